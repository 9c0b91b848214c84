#!/usr/bin/env bash
# mrtdd from the shell with nothing but curl: health, readers, one read with
# the CAN, and the verification block of the answer.
#
#   bash examples/curl.sh [SOCKET] [CAN]
#
# SOCKET defaults to /run/mrtdd/mrtdd.sock, CAN to 012345 (the demo CCCD of
# `mrtdd --simulate`). The read's personal data is not printed, only the
# verdict, the reader and the holder's name as a one-line summary:
#   status=passed name=Nguyễn Văn An
# The JSON is picked apart with grep/sed so that no JSON tool is needed; a
# real client should use a JSON parser (jq, Python, Node.js — see the other
# examples).
set -euo pipefail

socket=${1:-/run/mrtdd/mrtdd.sock}
can=${2:-012345}
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# call METHOD PATH [JSON]: writes the answer to $body, prints it on failure.
call() {
    local method=$1 path=$2 data=${3:-} code
    local args=(-sS --unix-socket "$socket" -X "$method" -o "$body" -w '%{http_code}')
    if [[ -n $data ]]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$data")
    fi
    code=$(curl "${args[@]}" "http://localhost$path")
    if [[ $code != 200 ]]; then
        echo "$method $path: HTTP $code $(cat "$body")" >&2
        exit 1
    fi
}

# field NAME: the first "NAME":"text" string value in $body.
field() {
    grep -o "\"$1\":\"[^\"]*\"" "$body" | head -n 1 | sed 's/^"[^"]*":"//; s/"$//'
}

echo "== GET /v1/health"
call GET /v1/health
cat "$body"
echo

echo "== GET /v1/readers"
call GET /v1/readers
cat "$body"
echo

echo "== POST /v1/read (CAN)"
call POST /v1/read "{\"key\":{\"can\":\"$can\"}}"
echo "reader=$(field reader)"
echo "access=$(field method)/$(field key)"
# The verification object holds one nested object (data_groups).
echo "verification=$(grep -o '"verification":{[^{}]*\({[^{}]*}\)\?[^{}]*}' "$body" | sed 's/^"verification"://')"
status=$(grep -o '"verification":{.*' "$body" | grep -o '"status":"[^"]*"' | head -n 1 | sed 's/^"status":"//; s/"$//')
name=$(field full_name)
if [[ -z $name ]]; then
    name="$(field given_names) $(field surname)"
fi
echo "status=$status name=$name"
