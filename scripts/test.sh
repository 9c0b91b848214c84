#!/usr/bin/env bash
# The one test command: installs what the tests need (Debian), starts a private
# pcscd (with the vpcd virtual reader), then runs rustfmt, clippy and every test,
# including the end-to-end tests through pcscd + vpcd + Debian's vicc emulator.
#
#   sudo bash scripts/test.sh
#
# As root on Debian it installs the packages with apt-get; otherwise it checks
# they are present. It refuses to run while another pcscd is running: pcscd is
# one per machine (its socket path is compiled in), and the tests must own the
# virtual reader. Everything it starts is stopped by PID on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Debian packages: pcsc-lite daemon and library (the `pcsc` crate links it via
# pkg-config), the vpcd virtual reader driver, vicc (python3-virtualsmartcard)
# and the crypto library it needs, pyscard/pcsc-tools for debugging by hand.
PACKAGES=(pcscd libpcsclite1 libpcsclite-dev pkg-config vsmartcard-vpcd
          python3-virtualsmartcard python3-pycryptodome python3 pcsc-tools)
# scripts/check-units.sh: systemd-analyze/-sysusers/-tmpfiles (offline, no
# running systemd needed), udevadm (parses the udev rules; udevd is not
# started) and node (the polkit rule's JavaScript).
PACKAGES+=(systemd udev nodejs)
# tests/client_examples.rs: examples/curl.sh needs curl (read.mjs uses nodejs).
PACKAGES+=(curl)
VPCD_PORT=35963
VPCD_PORT_HEX=8C7B

log() { printf '==> %s\n' "$*" >&2; }

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$p"
    done
}

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
else
    missing=$(missing_packages)
    if [[ -n $missing ]]; then
        log "missing Debian packages: $missing"
        log "run as root (sudo bash scripts/test.sh) to install them"
        exit 1
    fi
    log "not root: skipping apt-get (all packages present)"
fi

if ! command -v cargo >/dev/null; then
    log "cargo not found: install Rust (https://rustup.rs) first"
    exit 1
fi

# --- pcscd ------------------------------------------------------------------
if pgrep -x pcscd >/dev/null; then
    log "another pcscd is running (PID $(pgrep -x pcscd | tr '\n' ' ')): stop it first"
    log "(e.g. systemctl stop pcscd.socket pcscd.service); the tests need their own"
    exit 1
fi

PCSCD_PID=
# The pcscd restart tests (tests/e2e_monitor.rs) stop this pcscd and start a
# new one themselves. The PID file always names the pcscd running now: this
# script writes it, and a test that replaces pcscd stops the PID it names
# (after checking /proc/PID/comm is pcscd), starts `$MRTDD_PCSCD_BIN
# --foreground` with its output appended to $MRTDD_PCSCD_LOG, and writes the
# new PID back. Cleanup stops whichever pcscd the file names. Without
# MRTDD_PCSCD_PIDFILE those tests skip: they never touch a pcscd they were
# not handed.
PCSCD_PIDFILE=$PWD/target/pcscd.pid

# True while PID is a live (not zombie) pcscd.
pcscd_alive() {
    [[ -r /proc/$1/comm && $(</proc/"$1"/comm) == pcscd ]] || return 1
    local stat
    stat=$(</proc/"$1"/stat) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

cleanup() {
    local status=$?
    # The end-to-end tests stop each emulator they start by PID; one left
    # behind by a killed test run exits by itself when pcscd (vpcd) closes
    # its connection.
    local pid=$PCSCD_PID
    if [[ -s $PCSCD_PIDFILE ]]; then pid=$(<"$PCSCD_PIDFILE"); fi
    if [[ -n $pid ]] && pcscd_alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        if [[ $pid == "$PCSCD_PID" ]]; then
            wait "$pid" 2>/dev/null || true
        else
            # Started by a test: not our child, so poll until it is gone.
            for _ in $(seq 1 50); do pcscd_alive "$pid" || break; sleep 0.1; done
        fi
    fi
    if [[ -n $PCSCD_PID && $pid != "$PCSCD_PID" ]]; then wait "$PCSCD_PID" 2>/dev/null || true; fi
    rm -f "$PCSCD_PIDFILE"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PCSCD_LOG=${PCSCD_LOG:-target/pcscd.log}
mkdir -p "$(dirname "$PCSCD_LOG")"
log "starting pcscd (log: $PCSCD_LOG)"
# Debian's pcscd: the binary is in /usr/sbin.
PCSCD=$(command -v pcscd || echo /usr/sbin/pcscd)
"$PCSCD" --foreground >"$PCSCD_LOG" 2>&1 &
PCSCD_PID=$!
mkdir -p "$(dirname "$PCSCD_PIDFILE")"
echo "$PCSCD_PID" >"$PCSCD_PIDFILE"
export MRTDD_PCSCD_PIDFILE=$PCSCD_PIDFILE MRTDD_PCSCD_BIN=$PCSCD
MRTDD_PCSCD_LOG=$(realpath -m "$PCSCD_LOG"); export MRTDD_PCSCD_LOG

# Ready when vpcd listens on its port (hex in /proc/net/tcp, state 0A = LISTEN).
for _ in $(seq 1 100); do
    if grep -qE "^ *[0-9]+: [0-9A-F]+:${VPCD_PORT_HEX} [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
        break
    fi
    if ! kill -0 "$PCSCD_PID" 2>/dev/null; then
        log "pcscd exited at start-up:"; cat "$PCSCD_LOG" >&2; exit 1
    fi
    sleep 0.1
done
if ! grep -qE "^ *[0-9]+: [0-9A-F]+:${VPCD_PORT_HEX} [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
    log "vpcd is not listening on port $VPCD_PORT after 10 s (is vsmartcard-vpcd installed?)"
    exit 1
fi
log "pcscd ready (PID $PCSCD_PID, vpcd on port $VPCD_PORT)"

# --- checks and tests ---------------------------------------------------------
log "scripts/check-units.sh (systemd units, sysusers, tmpfiles, polkit, udev)"
bash scripts/check-units.sh

log "cargo fmt --check"
cargo fmt --check

log "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

# Every test that starts the daemon leaves its log (and captured events) in
# target/test-logs/; cleared first so the scan below sees this run only.
rm -rf target/test-logs
mkdir -p target/test-logs

log "cargo test --all-targets (with the end-to-end tests: MRTDD_E2E=1)"
MRTDD_E2E=1 cargo test --all-targets
log "scripts/api-fuzz.sh (schemathesis: docs/openapi.yaml against the live daemon)"
bash scripts/api-fuzz.sh

log "scripts/scan-pii.sh (no personal data of the test documents in any daemon log or event stream)"
bash scripts/scan-pii.sh

# The Debian package: build (release), install, check files/units/binaries,
# purge (needs root and dpkg; see the script's header).
if [[ $(id -u) -eq 0 ]] && command -v dpkg >/dev/null; then
    # The package is built from the dev-profile binaries cargo test has just
    # built (same code, unoptimised): a release build would add ~6 min on 2
    # cores. `bash scripts/test-deb.sh` alone packages the release build.
    log "scripts/test-deb.sh (Debian package, ${MRTDD_DEB_PROFILE:-dev} profile)"
    MRTDD_DEB_PROFILE=${MRTDD_DEB_PROFILE:-dev} bash scripts/test-deb.sh
else
    log "not root or no dpkg: skipping the Debian package test (scripts/test-deb.sh)"
fi

log "all checks passed"
