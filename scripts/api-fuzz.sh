#!/bin/bash
# Property-based API fuzzing (issue 7): schemathesis generates requests from
# docs/openapi.yaml and checks every answer of the live daemon against it.
#
# Starts `mrtdd --simulate` with its loopback TCP listener (a fresh token and
# a free port), runs schemathesis with a fixed seed and a bounded number of
# examples per operation, stops the daemon by its PID and prints
# `N passed, M failed` (test cases, from schemathesis's JUnit report).
# Exit status: 0 when nothing failed and the daemon stopped cleanly.
#
#   scripts/api-fuzz.sh                  # seed 20261127, 1000 examples per operation
#   MRTDD_FUZZ_SEED=1 MRTDD_FUZZ_EXAMPLES=1000 scripts/api-fuzz.sh
#
# schemathesis (pinned) is installed into target/venv on first use (PyPI).
# The checks are all of schemathesis's, with the exceptions and expected
# statuses in scripts/api-fuzz.toml (each explained there). GET /v1/events is
# left out: its stream never ends, so schemathesis would only time out on it
# (tests/openapi_served.rs and tests/daemon_simulated.rs check its events).
# The daemon's log: target/test-logs/api-fuzz.log; reports: target/api-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
SEED=${MRTDD_FUZZ_SEED:-20261127}
EXAMPLES=${MRTDD_FUZZ_EXAMPLES:-1000}
VENV=target/venv
OUT=target/api-fuzz
LOG=target/test-logs/api-fuzz.log

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    echo "api-fuzz: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    # Debian splits venv's pip bootstrap into python3-venv.
    if ! python3 -c 'import ensurepip' 2>/dev/null && [[ $(id -u) -eq 0 ]] && command -v apt-get > /dev/null; then
        apt-get install -y -qq --no-install-recommends python3-venv > /dev/null
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build --quiet --bin mrtdd
MRTDD=${CARGO_TARGET_DIR:-target}/debug/mrtdd

mkdir -p "$OUT" "$(dirname "$LOG")"
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$work/token"
chmod 600 "$work/token"
token=$(cat "$work/token")
cat > "$work/mrtdd.toml" <<EOF
socket = "$work/mrtdd.sock"
simulate = true
log_level = "info"

[tcp]
enabled = true
address = "127.0.0.1:$port"
token_file = "$work/token"
EOF

"$MRTDD" --config "$work/mrtdd.toml" > /dev/null 2> "$LOG" &
pid=$!
for _ in $(seq 100); do
    if curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/health" > /dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "api-fuzz: mrtdd did not start (see $LOG)" >&2; exit 1; fi
    sleep 0.1
done

status=0
"$VENV/bin/schemathesis" --config-file scripts/api-fuzz.toml run docs/openapi.yaml \
    --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" \
    --checks all --exclude-checks unsupported_method \
    --exclude-operation-id events \
    --seed "$SEED" --max-examples "$EXAMPLES" --workers 1 \
    --continue-on-failure --request-timeout 40 \
    --report junit --report-junit-path "$OUT/junit.xml" \
    > "$OUT/output.txt" 2>&1 || status=$?
cat "$OUT/output.txt"

# The daemon must still be up, and stop cleanly.
alive=1
kill -0 "$pid" 2>/dev/null || alive=0
kill -TERM "$pid" 2>/dev/null || true
exit_code=0
wait "$pid" || exit_code=$?
pid=
if [ "$alive" != 1 ] || [ "$exit_code" != 0 ]; then
    echo "api-fuzz: the daemon died or did not stop cleanly (alive=$alive, exit $exit_code; see $LOG)" >&2
    status=1
fi
if grep -q 'panicked' "$LOG"; then
    echo "api-fuzz: the daemon panicked (see $LOG)" >&2
    status=1
fi

# N passed, M failed: schemathesis's test cases (its summary line), cross-checked with the JUnit report.
generated=$(grep -oE '[0-9]+ generated' "$OUT/output.txt" | tail -1 | grep -oE '^[0-9]+' || echo 0)
failed=$(python3 - "$OUT/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.iter("testcase")
print(sum(len(c.findall("failure")) + len(c.findall("error")) for c in cases))
PY
)
echo "api-fuzz: $((generated - failed)) passed, $failed failed (test cases generated: $generated; seed $SEED, $EXAMPLES examples per operation)"
if [ "$failed" != 0 ] && [ "$status" = 0 ]; then status=1; fi
exit "$status"
