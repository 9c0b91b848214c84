#!/usr/bin/env bash
# Builds the Debian package with cargo-deb, installs it on this machine, checks
# every installed file (owner, group, mode), the mrtdd user, the enabled
# socket, the installed units (systemd-analyze verify) and binaries (config
# check, a simulated daemon answering mrtdctl health), then purges the package
# and checks that everything is gone.
#
#   sudo bash scripts/test-deb.sh            # build, install, check, purge
#   sudo bash scripts/test-deb.sh --no-build # reuse target/debian/mrtdd_*.deb
#
# Needs root and Debian (dpkg, apt-get). Works without a running systemd (a
# container): the maintainer scripts skip what needs one. Refuses to run if a
# mrtdd package is already installed (it would purge it).
#
# The package is built with the `release` profile (cargo-deb's default): the
# real binaries that would ship. Set MRTDD_DEB_PROFILE to use another profile.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '==> %s\n' "$*" >&2; }

PASS=0
FAIL=0
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        log "FAIL: $what"
    fi
}

# stat_is PATH OWNER GROUP MODE (octal, e.g. 755): a regular file or directory
# with exactly that owner, group and mode.
stat_is() {
    local path=$1 want="$2 $3 $4" got
    got=$(stat -c '%U %G %a' "$path" 2>/dev/null) || { log "FAIL: $path missing"; FAIL=$((FAIL + 1)); return; }
    if [[ $got == "$want" ]]; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        log "FAIL: $path is '$got', want '$want'"
    fi
}

if [[ $(id -u) -ne 0 ]]; then
    log "scripts/test-deb.sh must run as root (it installs and purges the package)"
    exit 1
fi
if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    log "dpkg/apt-get not found: the package test needs Debian or Ubuntu"
    exit 1
fi
if dpkg-query -W -f='${Status}' mrtdd 2>/dev/null | grep -q 'installed'; then
    log "a mrtdd package is already installed: remove it first (this test purges it at the end)"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
PROFILE=${MRTDD_DEB_PROFILE:-release}

# --- build ---------------------------------------------------------------------
if [[ ${1:-} != --no-build ]]; then
    # Installed when missing (CI machines start fresh): a few minutes once,
    # then found in ~/.cargo/bin.
    if ! command -v cargo-deb >/dev/null; then
        log "installing cargo-deb (cargo install cargo-deb --locked)"
        start=$SECONDS
        cargo install cargo-deb --locked --quiet || { log "cargo install cargo-deb failed"; exit 1; }
        log "cargo-deb installed in $((SECONDS - start)) s"
    fi
    # Needed by cargo-deb's $auto dependency detection (dpkg-shlibdeps).
    if ! command -v dpkg-shlibdeps >/dev/null; then
        apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
    fi
    rm -f target/debian/mrtdd_*.deb
    log "cargo deb --profile $PROFILE"
    start=$SECONDS
    cargo deb --profile "$PROFILE" || { log "cargo deb failed"; exit 1; }
    log "package built in $((SECONDS - start)) s"
fi

shopt -s nullglob
debs=(target/debian/mrtdd_*.deb)
shopt -u nullglob
if [[ ${#debs[@]} -ne 1 ]]; then
    log "expected one target/debian/mrtdd_*.deb, found ${#debs[@]}"
    exit 1
fi
DEB=${debs[0]}
log "package: $DEB"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p' >&2
dpkg-deb --contents "$DEB" >&2

# --- install -------------------------------------------------------------------
log "apt-get install ./$DEB"
start=$SECONDS
check "apt-get install of the package" apt-get install -y -qq --no-install-recommends "./$DEB"
log "installed in $((SECONDS - start)) s"
check "dpkg reports mrtdd installed" sh -c "dpkg-query -W -f='\${Status}' mrtdd | grep -qx 'install ok installed'"

# Every file the package ships, with its owner, group and mode.
FILES=(
    "/usr/bin/mrtdd root root 755"
    "/usr/bin/mrtdctl root root 755"
    "/usr/lib/systemd/system/mrtdd.service root root 644"
    "/usr/lib/systemd/system/mrtdd.socket root root 644"
    "/usr/lib/sysusers.d/mrtdd.conf root root 644"
    "/usr/lib/tmpfiles.d/mrtdd.conf root root 644"
    "/usr/share/polkit-1/rules.d/50-mrtdd-pcscd.rules root root 644"
    "/usr/lib/udev/rules.d/93-mrtdd-readers.rules root root 644"
    "/usr/share/doc/mrtdd/examples/mrtdd-blacklist-pn533.conf root root 644"
    "/usr/share/doc/mrtdd/examples/mrtdd-tcp-listener.conf root root 644"
    "/usr/share/doc/mrtdd/examples/mrtdd.toml root root 644"
    "/etc/mrtdd/mrtdd.toml root root 644"
    "/usr/share/man/man8/mrtdd.8.gz root root 644"
    "/usr/share/man/man1/mrtdctl.1.gz root root 644"
    "/usr/share/doc/mrtdd/README.md root root 644"
    "/usr/share/doc/mrtdd/copyright root root 644"
)
for entry in "${FILES[@]}"; do
    # shellcheck disable=SC2086 # split the entry into its four fields
    stat_is $entry
done
# Made by the maintainer scripts (tmpfiles.d), not shipped.
stat_is /etc/mrtdd root root 755
stat_is /etc/mrtdd/trust root mrtdd 750

# No file in the package is writable by group or others, and all are root's.
check "no group/world-writable file in the package" \
    sh -c "dpkg -L mrtdd | while read -r f; do [ -L \"\$f\" ] || [ -z \"\$(find \"\$f\" -maxdepth 0 -perm /022)\" ] || exit 1; done"
# (Files only: shared directories such as /usr/share/polkit-1/rules.d belong
# to other packages, e.g. polkitd owns that one.)
check "every packaged file is owned by root:root" \
    sh -c "dpkg -L mrtdd | while read -r f; do [ -d \"\$f\" ] || [ \"\$(stat -c %U:%G \"\$f\")\" = root:root ] || exit 1; done"
check "/etc/mrtdd/mrtdd.toml is a conffile" sh -c "dpkg-query -W -f='\${Conffiles}' mrtdd | grep -q ' /etc/mrtdd/mrtdd.toml '"

# The user and group (systemd-sysusers or adduser), a system account.
check "user mrtdd exists" getent passwd mrtdd
check "group mrtdd exists" getent group mrtdd
check "mrtdd is a system user (uid < 1000)" sh -c '[ "$(id -u mrtdd)" -lt 1000 ]'
check "mrtdd has no login shell" sh -c 'case "$(getent passwd mrtdd | cut -d: -f7)" in */nologin|*/false|"") exit 0;; *) exit 1;; esac'

# mrtdd.socket enabled (symlink made without a running systemd).
check "mrtdd.socket enabled (sockets.target.wants)" \
    test -L /etc/systemd/system/sockets.target.wants/mrtdd.socket
if command -v systemctl >/dev/null; then
    check "systemctl is-enabled mrtdd.socket" sh -c 'systemctl is-enabled mrtdd.socket | grep -qx enabled'
fi

# The installed units.
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify /usr/lib/systemd/system/mrtdd.socket /usr/lib/systemd/system/mrtdd.service 2>&1)
    rc=$?
    # Without a running systemd (containers), verify may warn about the
    # environment; any line naming our units is a real finding.
    if [[ $rc -eq 0 ]] && ! grep -q 'mrtdd\.' <<<"$out"; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        log "FAIL: systemd-analyze verify (rc $rc):"
        printf '%s\n' "$out" >&2
    fi
else
    log "systemd-analyze not installed: skipping unit verification"
fi

# The installed binaries.
check "mrtdd --version" /usr/bin/mrtdd --version
check "mrtdctl --version" /usr/bin/mrtdctl --version
check "mrtdd --check-config with the installed config" \
    sh -c '/usr/bin/mrtdd --config /etc/mrtdd/mrtdd.toml --check-config | grep -qx "configuration OK"'
check "the installed config is the commented default" cmp /etc/mrtdd/mrtdd.toml docs/mrtdd.toml.example
check "man mrtdd.8 renders" sh -c 'zcat /usr/share/man/man8/mrtdd.8.gz | groff -man -Tutf8 >/dev/null 2>&1 || ! command -v groff'

SOCK=$(mktemp -u /tmp/mrtdd-deb-test.XXXXXX.sock)
/usr/bin/mrtdd --simulate --socket "$SOCK" >target/test-deb-mrtdd.log 2>&1 &
DAEMON=$!
for _ in $(seq 1 100); do
    [[ -S $SOCK ]] && break
    kill -0 "$DAEMON" 2>/dev/null || break
    sleep 0.1
done
check "installed mrtdctl health against the installed mrtdd --simulate" \
    /usr/bin/mrtdctl --socket "$SOCK" --timeout 10 health
if kill -0 "$DAEMON" 2>/dev/null; then
    kill -TERM "$DAEMON"
    wait "$DAEMON"
    check "mrtdd exits 0 on SIGTERM" test $? -eq 0
else
    wait "$DAEMON"
    FAIL=$((FAIL + 1))
    log "FAIL: mrtdd --simulate exited early:"
    cat target/test-deb-mrtdd.log >&2
fi
rm -f "$SOCK"

# --- purge ---------------------------------------------------------------------
log "apt-get purge mrtdd"
start=$SECONDS
check "apt-get purge of the package" apt-get purge -y -qq mrtdd
log "purged in $((SECONDS - start)) s"
check "dpkg no longer knows mrtdd" sh -c "! dpkg-query -W mrtdd 2>/dev/null | grep -q ."
for entry in "${FILES[@]}"; do
    path=${entry%% *}
    check "$path removed" test ! -e "$path"
done
check "/etc/mrtdd removed on purge" test ! -e /etc/mrtdd
check "/usr/share/doc/mrtdd removed" test ! -e /usr/share/doc/mrtdd
check "sockets.target.wants/mrtdd.socket removed" test ! -L /etc/systemd/system/sockets.target.wants/mrtdd.socket
check "no mask left (/etc/systemd/system/mrtdd.socket)" test ! -L /etc/systemd/system/mrtdd.socket
check "no deb-systemd-helper state left for mrtdd" \
    sh -c '! grep -rqs mrtdd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked && ! find /var/lib/systemd -path "*deb-systemd-helper*" -name "*mrtdd*" | grep -q .'
# Kept on purge by design (debian/postrm): the system user and group.
check "user mrtdd kept after purge (debian/postrm)" getent passwd mrtdd

echo "test-deb: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]
