#!/usr/bin/env bash
# Static checks of the deployment files (systemd units, sysusers/tmpfiles
# entries, the polkit rule, the udev rules, the modprobe example):
#
#   bash scripts/check-units.sh
#
# Needs systemd-analyze, systemd-sysusers and systemd-tmpfiles (Debian
# package `systemd`; systemd need not be running: everything works offline
# on a temporary root) and node for the polkit rule. Works as root or not.
# Exit status non-zero on the first failure, including a security exposure
# of mrtdd.service above MAX_EXPOSURE (2.0).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MAX_EXPOSURE=2.0
SERVICE=systemd/mrtdd.service
TCP_DROPIN=systemd/mrtdd-tcp-listener.conf
SOCKET=systemd/mrtdd.socket
SYSUSERS=systemd/mrtdd.sysusers
TMPFILES=systemd/mrtdd.tmpfiles
POLKIT=polkit/50-mrtdd-pcscd.rules
UDEV=udev/93-mrtdd-readers.rules
BLACKLIST=udev/mrtdd-blacklist-pn533.conf

log() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'check-units: FAIL: %s\n' "$*" >&2; exit 1; }

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles node; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian: apt-get install systemd nodejs)"
done

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT

# A temporary root laid out as the package installs the files. The host's
# units are copied in because verify loads the targets and sockets ours
# refer to (sysinit.target, sockets.target, pcscd.socket if present).
# ExecStart must name an executable file inside the root: a stub stands in
# for /usr/bin/mrtdd (verify checks only that it exists and is executable,
# so the check does not need a built binary).
mkdir -p "$ROOT/usr/bin" "$ROOT/bin" "$ROOT/usr/lib/systemd/system" "$ROOT/etc" \
         "$ROOT/usr/lib/sysusers.d" "$ROOT/usr/lib/tmpfiles.d"
for dir in /usr/lib/systemd/system /lib/systemd/system; do
    [[ -d $dir ]] && cp -a "$dir/." "$ROOT/usr/lib/systemd/system/" 2>/dev/null || true
done
printf '#!/bin/sh\nexit 0\n' >"$ROOT/usr/bin/mrtdd"
chmod 755 "$ROOT/usr/bin/mrtdd"
cp /bin/kill "$ROOT/bin/kill" 2>/dev/null || cp /usr/bin/kill "$ROOT/bin/kill"
cp "$SERVICE" "$SOCKET" "$ROOT/usr/lib/systemd/system/"
cp "$SYSUSERS" "$ROOT/usr/lib/sysusers.d/mrtdd.conf"
cp "$TMPFILES" "$ROOT/usr/lib/tmpfiles.d/mrtdd.conf"

# --- systemd units -------------------------------------------------------------
log "systemd-analyze verify $SERVICE $SOCKET"
# --man=no: the man pages are not in the temporary root; --generators=no:
# no generator output is needed for two unit files.
out=$(systemd-analyze verify --man=no --generators=no --root="$ROOT" mrtdd.service mrtdd.socket 2>&1) \
    || fail "systemd-analyze verify: $out"
# verify also exits 0 on some warnings: treat any output about our units as failure.
if grep -E 'mrtdd\.(service|socket)' <<<"$out"; then fail "systemd-analyze verify printed warnings"; fi

log "systemd-analyze security --offline=true $SERVICE (max $MAX_EXPOSURE)"
report=$(systemd-analyze security --offline=true "$SERVICE" 2>&1) || true
exposure=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+\.[0-9]+).*/\1/p' <<<"$report")
[[ -n $exposure ]] || fail "no exposure figure in: $report"
log "exposure: $exposure"
awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' \
    || { printf '%s\n' "$report" >&2; fail "exposure $exposure > $MAX_EXPOSURE"; }
# The same through --threshold (tenths), so systemd's own comparison agrees.
systemd-analyze security --offline=true --threshold=20 "$SERVICE" >/dev/null 2>&1 \
    || fail "systemd-analyze security --threshold=20 failed"

# The service with the opt-in TCP drop-in appended (what systemd merges).
log "systemd-analyze security with $TCP_DROPIN (max $MAX_EXPOSURE)"
mkdir -p "$ROOT/tcp"
cat "$SERVICE" "$TCP_DROPIN" >"$ROOT/tcp/mrtdd.service"
report=$(systemd-analyze security --offline=true "$ROOT/tcp/mrtdd.service" 2>&1) || true
tcp_exposure=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+\.[0-9]+).*/\1/p' <<<"$report")
[[ -n $tcp_exposure ]] || fail "no exposure figure in: $report"
log "exposure with the TCP listener: $tcp_exposure"
awk -v e="$tcp_exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' \
    || fail "exposure with $TCP_DROPIN: $tcp_exposure > $MAX_EXPOSURE"
grep -q '^IPAddressAllow=localhost$' "$TCP_DROPIN" || fail "$TCP_DROPIN must allow localhost only"
mkdir -p "$ROOT/etc/systemd/system/mrtdd.service.d"
cp "$TCP_DROPIN" "$ROOT/etc/systemd/system/mrtdd.service.d/tcp-listener.conf"
out=$(systemd-analyze verify --man=no --generators=no --root="$ROOT" mrtdd.service 2>&1) \
    || fail "systemd-analyze verify with $TCP_DROPIN: $out"
rm -rf "$ROOT/etc/systemd/system/mrtdd.service.d"

# --- sysusers and tmpfiles ----------------------------------------------------------
log "systemd-sysusers --root (creates the mrtdd user in the temporary root)"
systemd-sysusers --root="$ROOT" mrtdd.conf
grep -qE '^mrtdd:x:[0-9]+:[0-9]+:mrtdd eMRTD reader daemon:/:/usr/sbin/nologin$' "$ROOT/etc/passwd" \
    || fail "sysusers: no mrtdd user in $(cat "$ROOT/etc/passwd")"
grep -qE '^mrtdd:x:[0-9]+:' "$ROOT/etc/group" || fail "sysusers: no mrtdd group"
gid=$(awk -F: '$1 == "mrtdd" { print $3 }' "$ROOT/etc/group")

log "systemd-tmpfiles --root --create"
if [[ $(id -u) -eq 0 ]]; then
    mkdir -p "$ROOT/etc/mrtdd"
    printf 'a-token-for-the-check-only\n' >"$ROOT/etc/mrtdd/tcp-token"
    chmod 644 "$ROOT/etc/mrtdd/tcp-token"
    systemd-tmpfiles --root="$ROOT" --create mrtdd.conf
    [[ $(stat -c '%a %u %g' "$ROOT/etc/mrtdd") == "755 0 0" ]] || fail "/etc/mrtdd: $(stat -c '%a %u %g' "$ROOT/etc/mrtdd")"
    [[ $(stat -c '%a %u %g' "$ROOT/etc/mrtdd/trust") == "750 0 $gid" ]] || fail "/etc/mrtdd/trust: $(stat -c '%a %u %g' "$ROOT/etc/mrtdd/trust")"
    [[ $(stat -c '%a %u %g' "$ROOT/etc/mrtdd/tcp-token") == "640 0 $gid" ]] || fail "tcp-token: $(stat -c '%a %u %g' "$ROOT/etc/mrtdd/tcp-token")"
else
    # Not root: chown would fail, so only parse the file (--cat-config shows
    # it; a syntax error makes --create on an empty root fail before chown).
    log "not root: parsing only"
    out=$(systemd-tmpfiles --root="$ROOT" --create mrtdd.conf 2>&1) || true
    if grep -qiE 'invalid|unknown|syntax|failed to parse' <<<"$out"; then fail "tmpfiles: $out"; fi
fi

# --- polkit -------------------------------------------------------------------------
log "polkit rule: syntax (node --check) and behaviour"
node --check - <"$POLKIT" || fail "$POLKIT: JavaScript syntax"
# Run the rule with a stand-in for polkit's API and check its decisions.
node - "$POLKIT" <<'JS' || fail "$POLKIT: wrong decisions"
"use strict";
const fs = require("fs");
const vm = require("vm");
const rules = [];
const polkit = { Result: { YES: "yes", NO: "no", NOT_HANDLED: null }, addRule: (f) => rules.push(f) };
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8"), { polkit });
if (rules.length === 0) { console.error("no rule added"); process.exit(1); }
function decide(id, user) {
    const action = { id, lookup: (k) => (k === "reader" ? "ACS ACR1252 Dual Reader PICC 00 00" : undefined) };
    const subject = { user, isInGroup: (g) => g === "mrtdd", local: false, active: false };
    for (const rule of rules) {
        const v = rule(action, subject);
        if (v !== null && v !== undefined) return v;
    }
    return null;
}
const cases = [
    ["org.debian.pcsc-lite.access_pcsc", "mrtdd", "yes"],
    ["org.debian.pcsc-lite.access_card", "mrtdd", "yes"],
    // Members of group mrtdd (kiosk apps) get nothing from this rule.
    ["org.debian.pcsc-lite.access_pcsc", "kiosk", null],
    ["org.debian.pcsc-lite.access_card", "kiosk", null],
    ["org.debian.pcsc-lite.access_pcsc", "root", null],
    // Other actions are left to the other rules, for mrtdd too.
    ["org.freedesktop.login1.reboot", "mrtdd", null],
];
for (const [id, user, want] of cases) {
    const got = decide(id, user);
    if (got !== want) { console.error(`${id} for ${user}: got ${got}, want ${want}`); process.exit(1); }
}
JS

# --- udev -----------------------------------------------------------------------------
log "udev rules: $UDEV"
if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
    udevadm verify "$UDEV" || fail "udevadm verify $UDEV"
else
    # udevadm verify exists from systemd 253 on (Debian 12 has 252): check the
    # grammar of every rule line ourselves: comma-separated KEY[{attr}] OP "value".
    log "udevadm verify unavailable: checking the rule grammar with the shell"
    pair='[A-Z_]+(\{[^}]+\})?(==|!=|\+=|-=|:=|=)"[^"]*"'
    n=0
    while IFS= read -r line || [[ -n $line ]]; do
        n=$((n + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        stripped=$(sed -E 's/, */,/g; s/[[:space:]]+$//' <<<"$line")
        [[ $stripped =~ ^$pair(,$pair)*$ ]] || fail "$UDEV:$n: not KEY OP \"value\" pairs: $line"
    done <"$UDEV"
    # Every GOTO has its LABEL.
    for label in $(grep -oE 'GOTO="[^"]+"' "$UDEV" | sed -E 's/GOTO="(.*)"/\1/' | sort -u); do
        grep -qE "^LABEL=\"$label\"" "$UDEV" || fail "$UDEV: GOTO=\"$label\" has no LABEL"
    done
fi
# The real parser, where udevadm is installed (Debian package udev): load
# the rules with `udevadm test` in a private mount namespace whose /run is an
# empty tmpfs holding only our file in /run/udev/rules.d, so nothing on the
# host is read from or written to /run. A parse problem is printed as
# "FILE:LINE message".
if command -v udevadm >/dev/null && [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    syspath=
    for p in /sys/devices/virtual/mem/null /sys/class/net/lo; do [[ -e $p ]] && { syspath=$p; break; }; done
    if [[ -n $syspath ]]; then
        log "udevadm test (the real rules parser) on $syspath"
        name=$(basename "$UDEV")
        out=$(unshare -m sh -c 'mount -t tmpfs tmpfs /run && mkdir -p /run/udev/rules.d &&
                cp "$1" /run/udev/rules.d/ && udevadm test --action=add "$2"' sh "$PWD/$UDEV" "$syspath" 2>&1) || true
        grep -q "Reading rules file: /run/udev/rules.d/$name" <<<"$out" \
            || fail "udevadm test did not load $name: $out"
        if grep -E "$name:[0-9]+" <<<"$out"; then fail "udevadm: problems in $UDEV"; fi
    fi
else
    log "udevadm not installed (or not root): skipping the udevadm test parse"
fi
# libccid's file is 92_pcscd_ccid.rules upstream, 92-libccid.rules on Debian.
name=$(basename "$UDEV")
[[ $name > 92_pcscd_ccid.rules && $name > 92-libccid.rules && $name < 99-systemd.rules ]] \
    || fail "$UDEV must sort after libccid's 92 rules and before 99-systemd.rules"

log "modprobe example: $BLACKLIST"
grep -vE '^[[:space:]]*(#|$)' "$BLACKLIST" | grep -vqE '^blacklist [a-z0-9_]+$' \
    && fail "$BLACKLIST: a line other than 'blacklist MODULE'"
for m in pn533_usb pn533 nfc; do grep -qx "blacklist $m" "$BLACKLIST" || fail "$BLACKLIST: no blacklist $m"; done

log "deployment files OK (exposure $exposure)"
