//! The index of hostile cases in docs/reliability.md ("## Hostile chips")
//! stays true: every case HOSTILE 1–35 has a row, every test a row names
//! (`tests/<file>.rs::<function>`) exists as a `#[test]` in that file, and
//! the cases 1–30, which the software chip plays, each name at least one.

use std::collections::BTreeMap;
use std::path::Path;

/// The rows of the first table of the "## Hostile chips" section: case number → cells.
fn hostile_rows() -> BTreeMap<u32, Vec<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/reliability.md")).unwrap();
    let section = doc.split("\n## ").find(|s| s.starts_with("Hostile chips")).expect("a Hostile chips section");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line.trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect();
        if let Some(n) = cells.first().and_then(|c| c.parse::<u32>().ok()) {
            assert!(rows.insert(n, cells).is_none(), "case {n} listed twice");
        }
    }
    rows
}

/// The `tests/<file>.rs::<function>` references in a cell.
fn test_refs(cell: &str) -> Vec<(String, String)> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|r| r.split_once("::"))
        .map(|(file, function)| (file.to_owned(), function.to_owned()))
        .collect()
}

#[test]
fn every_hostile_case_has_a_row() {
    let rows = hostile_rows();
    let numbers: Vec<u32> = rows.keys().copied().collect();
    assert_eq!(numbers, (1..=35).collect::<Vec<_>>());
}

#[test]
fn every_named_test_exists_and_cases_1_to_30_name_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for (n, cells) in hostile_rows() {
        let refs: Vec<(String, String)> = cells.iter().flat_map(|c| test_refs(c)).collect();
        if n <= 30 {
            assert!(!refs.is_empty(), "HOSTILE {n} names no test");
        }
        for (file, function) in refs {
            assert!(file.starts_with("tests/") && file.ends_with(".rs"), "HOSTILE {n}: {file}");
            let source = std::fs::read_to_string(root.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let at =
                source.find(&format!("fn {function}(")).unwrap_or_else(|| panic!("HOSTILE {n}: no {file}::{function}"));
            // The attribute lines just above the function must include #[test].
            let before = &source[..at];
            let attributes: Vec<&str> =
                before.lines().rev().take_while(|l| l.starts_with("#[") || l.starts_with("///")).collect();
            assert!(
                attributes.iter().any(|l| l.starts_with("#[test]")),
                "HOSTILE {n}: {file}::{function} is not a test"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30);
}
