//! Replays every file of the fuzz corpus (`fuzz/corpus/<target>/`) through the
//! same harnesses the cargo-fuzz targets run (`fuzz/harness.rs`), as an
//! ordinary `cargo test`: no input may panic; seeds named `valid-*` must
//! parse and seeds named `invalid-*` must be rejected. Files the fuzzer adds
//! (named by their hash) only have to not panic.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn replay_fuzz_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0usize;
    for &target in harness::TARGETS {
        let dir = root.join(target);
        let mut valid_seeds = 0usize;
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if !path.is_file() {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            let bytes = std::fs::read(&path).unwrap();
            let parsed = harness::run(target, &bytes).expect("a known target");
            if name.starts_with("valid-") {
                assert!(parsed, "{target}/{name} should parse");
                valid_seeds += 1;
            } else if name.starts_with("invalid-") {
                assert!(!parsed, "{target}/{name} should be rejected");
            }
            replayed += 1;
        }
        assert!(valid_seeds > 0, "{target}: no valid seed in the corpus");
    }
    assert!(replayed >= harness::TARGETS.len());
}

#[test]
fn every_corpus_folder_has_a_harness() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for entry in std::fs::read_dir(root).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(harness::run(&name, &[]).is_some(), "corpus folder {name} has no harness");
    }
}
