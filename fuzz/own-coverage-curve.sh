#!/bin/sh
# mrtdd's own source coverage over a fuzz campaign: one line per corpus
# snapshot that `SNAPSHOT=N fuzz/run-all.sh ...` took of TARGET, with the
# second of the run, the inputs, and the regions and lines of src/ reached
# (and, apart, the dependencies' regions, which libFuzzer's `cov` also counts).
# Flat own-code columns over the last snapshots mean the campaign stopped
# reaching new code of ours; growth only in the last column is inside
# x509-parser, asn1-rs, der or the crypto crates.
#
#   SNAPSHOT=600 fuzz/run-all.sh 3600 600 master_list
#   fuzz/own-coverage-curve.sh master_list
#
# Each snapshot's line is kept in target/campaign/TARGET/curve/, so running
# this again while the campaign goes on measures only the new snapshots
# (a rebuilt coverage binary measures them all again).
# Needs what fuzz/own-coverage.sh needs.
set -eu
cd "$(dirname "$0")"
t=$1
dir=target/campaign/$t/snapshots
cache=target/campaign/$t/curve
[ -d "$dir" ] || { echo "no snapshots in fuzz/$dir: run fuzz/run-all.sh with SNAPSHOT=N" >&2; exit 1; }
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=target/$host/coverage/$host/release/$t
mkdir -p "$cache"
printf '%-24s %7s %7s %12s %10s %18s\n' target second inputs own_regions own_lines dependency_regions
for s in $(ls "$dir" | sort -n); do
    if [ ! -f "$cache/$s" ] || [ "$bin" -nt "$cache/$s" ]; then
        out=$(sh own-coverage.sh "$t" "$dir/$s")
        own=$(echo "$out" | sed -n 's/.*mrtdd src: *regions \([0-9]*\)\/.*lines \([0-9]*\)\/.*/\1 \2/p')
        dep=$(echo "$out" | sed -n 's/.*dependencies: *regions \([0-9]*\)\/.*/\1/p')
        # shellcheck disable=SC2086 # two fields
        printf '%-24s %7s %7s %12s %10s %18s\n' "$t" "$s" "$(ls "$dir/$s" | wc -l)" $own "$dep" >"$cache/$s"
    fi
    cat "$cache/$s"
done
