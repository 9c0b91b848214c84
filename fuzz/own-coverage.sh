#!/bin/sh
# Source coverage of a fuzz corpus, split into mrtdd's own code and its
# dependencies: libFuzzer's `cov` counts edges in both, and for the X.509 /
# CMS targets most of its late growth is inside x509-parser, asn1-rs and der.
# This says how much of *our* code a corpus reaches.
#
#   fuzz/own-coverage.sh TARGET [CORPUS_DIR=fuzz/corpus/TARGET]
#
# Needs nightly with llvm-tools (`rustup component add llvm-tools-preview
# --toolchain nightly`) and cargo-fuzz. Builds the coverage-instrumented
# target (`cargo fuzz coverage`, once), runs it over the corpus (no fuzzing)
# and prints regions, functions and lines covered, for src/ and for the
# dependencies. Compare two corpora (say the one in git and the one a
# campaign merged) to see whether a campaign still reached new code of ours.
set -eu
cd "$(dirname "$0")"
t=$1
corpus=$(realpath "${2:-corpus/$t}")
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
tools=$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin
bin=target/$host/coverage/$host/release/$t
[ -x "$tools/llvm-cov" ] || { echo "needs: rustup component add llvm-tools-preview --toolchain nightly" >&2; exit 1; }
if [ ! -x "$bin" ]; then
    nice -n 19 cargo +nightly fuzz coverage "$t" "$corpus" >/dev/null 2>&1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# libFuzzer reports slow inputs as files (`slow-unit-*`) where the artifact
# prefix says: in the scratch folder, not fuzz/. (The session targets' first
# input builds the session documents, RSA key generation included, and is
# slow under coverage instrumentation.)
LLVM_PROFILE_FILE="$work/%m_%p.profraw" "$bin" -runs=0 -artifact_prefix="$work/" "$corpus" >/dev/null 2>&1 || true
"$tools/llvm-profdata" merge -sparse "$work"/*.profraw -o "$work/all.profdata"
covered() {
    "$tools/llvm-cov" report "$bin" -instr-profile="$work/all.profdata" -ignore-filename-regex="$1" |
        tail -1 | awk '{printf "regions %d/%d, functions %d/%d, lines %d/%d", $2-$3, $2, $5-$6, $5, $8-$9, $8}'
}
echo "$t ($(ls "$corpus" | wc -l) inputs)"
echo "  mrtdd src:    $(covered '(\.cargo/registry|/rustc/|/fuzz/)')"
echo "  dependencies: $(covered "($(realpath ..)/|/rustc/)")"
