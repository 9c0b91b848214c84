#!/usr/bin/env bash
# The main job, tried without a reader: builds mrtdd and mrtdctl, starts the
# daemon with the built-in software reader (--simulate: a synthetic demo CCCD
# and an ICAO specimen passport), reads the demo card through the API with
# mrtdctl and with curl, then keeps serving until Ctrl-C.
#
#   bash scripts/demo.sh            # read, then keep serving on $SOCKET
#   bash scripts/demo.sh --once     # read, then stop
#
# On a fresh Debian machine, as root, it installs the two build dependencies
# (libpcsclite-dev, pkg-config); Rust (cargo) must already be installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ONCE=false
[[ ${1:-} == --once ]] && ONCE=true
SOCKET=${MRTDD_SOCKET:-${XDG_RUNTIME_DIR:-/tmp}/mrtdd-demo.sock}

if ! pkg-config --exists libpcsclite 2>/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "==> installing build dependencies: libpcsclite-dev pkg-config" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpcsclite-dev pkg-config >/dev/null
    else
        echo "==> libpcsclite-dev and pkg-config are needed to build: sudo apt-get install libpcsclite-dev pkg-config" >&2
        exit 1
    fi
fi

echo "==> building mrtdd and mrtdctl" >&2
cargo build --release --quiet --bin mrtdd --bin mrtdctl
BIN=target/release

"$BIN/mrtdd" --simulate --socket "$SOCKET" &
DAEMON=$!
trap 'kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -S $SOCKET ]] && break; sleep 0.05; done

echo
echo "==> mrtdd --simulate is serving on $SOCKET. The demo CCCD's keys:"
echo "    CAN 012345   MRZ IDVNM0950123455001095012345<<6 / 9503124M3503122VNM<<<<<<<<<<<0 / NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<"
echo
echo "==> mrtdctl --socket $SOCKET readers"
"$BIN/mrtdctl" --socket "$SOCKET" readers
echo
echo "==> mrtdctl --socket $SOCKET read --can 012345"
"$BIN/mrtdctl" --socket "$SOCKET" read --can 012345
if command -v curl >/dev/null; then
    echo
    echo "==> curl --unix-socket $SOCKET -d '{\"key\":{\"can\":\"012345\"}}' http://localhost/v1/read  (verification block)"
    curl -s --unix-socket "$SOCKET" -H 'Content-Type: application/json' -d '{"key":{"can":"012345"}}' http://localhost/v1/read \
        | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["verification"], indent=2))' 2>/dev/null || true
fi
if $ONCE; then
    exit 0
fi
echo
echo "==> still serving on $SOCKET; try: $BIN/mrtdctl --socket $SOCKET watch   (Ctrl-C stops the daemon)"
wait "$DAEMON"
