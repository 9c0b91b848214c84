#!/bin/sh
# Cross-seeds the session targets from the file parsers' corpora: every
# corpus file of dg1, dg2, dg11, dg12, com, sod, dg13, dg14, dg15 and
# card_access, served by the software chip as that file in a whole recorded
# session (`write_cross_seeds` in tests/fuzz_corpus.rs), then merged into
# fuzz/corpus/session_sm/ and fuzz/corpus/session_plain/ with libFuzzer's
# -merge=1, which keeps only the inputs that add coverage.
#
#   fuzz/cross-seed.sh
#
# Why: the session targets contain every parser but run at a few hundred
# executions per second (each input is a whole BAC/PACE session), so on
# their own they keep finding parser corners that the parsers' own targets
# found long ago, a few regions every ten minutes, for many hours. Run this
# after the parser corpora change and before fuzzing the session targets.
# Needs what fuzz/run-all.sh needs.
set -eu
cd "$(dirname "$0")"
cargo test --manifest-path ../Cargo.toml --features software-chip --test fuzz_corpus write_cross_seeds \
    -- --ignored >/dev/null
BIN=target/x86_64-unknown-linux-gnu/release
for t in session_sm session_plain; do
    nice -n 19 cargo +nightly fuzz build -O "$t" >/dev/null 2>&1
    before=$(ls corpus/"$t" | wc -l)
    "$BIN/$t" -merge=1 corpus/"$t" target/cross-seeds/"$t" >target/cross-seeds/"$t".merge.log 2>&1
    echo "$t: $(ls target/cross-seeds/"$t" | wc -l) cross-seeds, $(($(ls corpus/"$t" | wc -l) - before)) added"
done
