#!/usr/bin/env bash
# The whole-suite personal-data scan (issue 7): every file under
# target/test-logs/ (the daemon's stderr of every test that starts it, and the
# event streams tests captured) is searched for every personal string of the
# test documents listed in tests/pii-strings.txt (names, document and ID
# numbers, the CAN, dates in every form, MRZ lines, the QR text, addresses,
# DG13 fields, a window of each portrait's base64; generated from and checked
# against the documents by tests/daemon_access.rs).
#
#   bash scripts/scan-pii.sh [DIR...]      (default: target/test-logs)
#
# The timestamp that starts each log line is left out first: its microseconds
# can spell any YYMMDD date. Prints "pii scan: N files, M strings, K hits" and
# every hit (file:line: string); exits 1 on any hit, 2 when there is nothing to
# scan (an empty scan proves nothing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

LIST=tests/pii-strings.txt
DIRS=("$@")
[[ ${#DIRS[@]} -gt 0 ]] || DIRS=(target/test-logs)

patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
grep -v -e '^#' -e '^$' "$LIST" >"$patterns"
strings=$(wc -l <"$patterns")

mapfile -d '' files < <(find "${DIRS[@]}" -type f -print0 2>/dev/null | sort -z)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "pii scan: no files under ${DIRS[*]}: nothing was scanned" >&2
    exit 2
fi

hits=0
for f in "${files[@]}"; do
    # -F fixed strings, -n line numbers, -o each match; LC_ALL=C.UTF-8 for the Vietnamese text.
    while IFS= read -r hit; do
        [[ -n $hit ]] || continue
        printf 'pii scan: HIT %s:%s\n' "$f" "$hit" >&2
        hits=$((hits + 1))
    done < <(sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z//' "$f" |
             LC_ALL=C.UTF-8 grep -n -o -F -f "$patterns" || true)
done

echo "pii scan: ${#files[@]} files, $strings strings, $hits hits"
[[ $hits -eq 0 ]]
