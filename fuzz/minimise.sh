#!/bin/sh
# Minimises a target's committed corpus after campaigns have merged into it:
# `run-all.sh` merges each campaign's new inputs on top of the old ones, so
# inputs whose coverage later ones also reach pile up. This keeps every named
# seed (anything whose name is not a 40-hex libFuzzer hash: those are the
# documented cases and the replay tests' fixtures), adds back only the hashed
# inputs that still add a feature (libFuzzer `-merge=1` into the seeds), and
# replaces fuzz/corpus/TARGET only if mrtdd's own coverage (own-coverage.sh)
# is the same before and after; otherwise it leaves the corpus untouched.
#
#   fuzz/minimise.sh TARGET ...
#
# Needs the fuzz build `run-all.sh` makes and what own-coverage.sh needs.
# Afterwards `cargo test --test fuzz_corpus` replays the corpus.
set -eu
cd "$(dirname "$0")"
BIN=target/x86_64-unknown-linux-gnu/release
for t in "$@"; do
    [ -x "$BIN/$t" ] || nice -n 19 cargo +nightly fuzz build -O "$t" >/dev/null 2>&1
    new=$(mktemp -d)
    for f in corpus/"$t"/*; do
        basename "$f" | grep -Eqx '[0-9a-f]{40}' || cp "$f" "$new/"
    done
    "$BIN/$t" -merge=1 -rss_limit_mb=2048 -timeout=10 -artifact_prefix="artifacts/$t/" "$new" corpus/"$t" >"$new.log" 2>&1 ||
        { echo "$t: merge failed, see $new.log" >&2; rm -rf "$new"; exit 1; }
    before=$(sh own-coverage.sh "$t" | sed -n 's/^  mrtdd src: *//p')
    after=$(sh own-coverage.sh "$t" "$new" | sed -n 's/^  mrtdd src: *//p')
    old=$(ls corpus/"$t" | wc -l)
    if [ "$before" = "$after" ]; then
        rm -rf corpus/"$t" && mv "$new" corpus/"$t" && chmod 755 corpus/"$t"
        echo "$t: $old -> $(ls corpus/"$t" | wc -l) inputs, src $after"
    else
        echo "$t: kept $old inputs: src $before before, $after minimised" >&2
        rm -rf "$new"
    fi
    rm -f "$new.log"
done
