#!/bin/sh
# Fuzz campaign: every target (or those named), one after the other, on ONE
# core, each until its coverage is stable — no new `cov:` for STALE seconds —
# or MAX seconds at most. New inputs that add coverage are merged into
# fuzz/corpus/<target>/ (libFuzzer -merge=1, the minimisation `cargo fuzz cmin`
# runs, which keeps the named seeds); a crash stops the campaign and leaves
# its reproducer in fuzz/artifacts/<target>/.
#
#   fuzz/run-all.sh [MAX=480] [STALE=120] [target ...]
#
# With SNAPSHOT=N in the environment, the campaign corpus is also
# hard-linked every N seconds into target/campaign/<target>/snapshots/<second>/,
# for fuzz/own-coverage-curve.sh: how much of mrtdd's own code the corpus
# reached over the run, apart from the dependencies `cov` also counts.
#
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`). Prints one line
# per target: executions, exec/s, final cov and ft, seconds run, and the
# second at which cov last grew; the logs stay in fuzz/target/campaign/.
set -eu
cd "$(dirname "$0")"
MAX=${1:-480}
STALE=${2:-120}
SNAPSHOT=${SNAPSHOT:-0}
# Hard-links target $1's campaign corpus as snapshots/<second $2>/ (SNAPSHOT set).
snapshot() {
    [ "$SNAPSHOT" -gt 0 ] || return 0
    mkdir -p "$WORK/$1/snapshots" && cp -al "$WORK/$1/corpus" "$WORK/$1/snapshots/$2" 2>/dev/null || true
}
[ $# -ge 2 ] && shift 2 || shift $#
TARGETS=${*:-$(sed -n 's/^    "\([a-z0-9_]*\)",$/\1/p' harness.rs)}

for t in $TARGETS; do nice -n 19 cargo +nightly fuzz build -O "$t" >/dev/null 2>&1; done
BIN=target/x86_64-unknown-linux-gnu/release
WORK=target/campaign
mkdir -p "$WORK" artifacts
printf '%-24s %12s %8s %7s %7s %6s %13s\n' target executions exec/s cov ft secs cov_last_grew
for t in $TARGETS; do
    rm -rf "$WORK/$t" && mkdir -p "$WORK/$t/corpus" "artifacts/$t"
    cp corpus/"$t"/* "$WORK/$t/corpus/"
    log="$WORK/$t/log"
    nice -n 19 "$BIN/$t" "$WORK/$t/corpus" -max_total_time="$MAX" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1 &
    pid=$!
    start=$(date +%s)
    last_cov=-1
    grew=0
    snap=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        now=$(($(date +%s) - start))
        if [ "$now" -ge "$snap" ]; then
            snapshot "$t" "$now"
            snap=$((now + SNAPSHOT))
        fi
        cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        cov=${cov:-0}
        if [ "$cov" != "$last_cov" ]; then
            last_cov=$cov
            grew=$now
        elif [ $((now - grew)) -ge "$STALE" ]; then
            kill -INT "$pid" 2>/dev/null || true
        fi
    done
    wait "$pid" || status=$?
    secs=$(($(date +%s) - start))
    snapshot "$t" "$secs"
    line=$(grep -aE '^#[0-9]+' "$log" | tail -1)
    execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}')
    rate=$(grep -ao 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{print $2}')
    ft=$(echo "$line" | grep -o 'ft: [0-9]*' | cut -d' ' -f2)
    printf '%-24s %12s %8s %7s %7s %6s %13s\n' "$t" "${execs:-?}" "${rate:-?}" "$last_cov" "${ft:-?}" "$secs" "$grew"
    if [ -n "$(find "artifacts/$t" -type f -name 'crash-*' -o -type f -name 'oom-*' -o -type f -name 'timeout-*')" ]; then
        echo "$t: crash, out-of-memory or timeout: see artifacts/$t/ and $log" >&2
        exit 1
    fi
    "$BIN/$t" -merge=1 corpus/"$t" "$WORK/$t/corpus" >"$WORK/$t/merge.log" 2>&1
done
