//! Every shrunk counterexample the property tests and the fuzzer ever
//! found, kept as a permanent fixture: documents in
//! `fixtures/counterexamples/*.json` (shape `{"doc": {...}}`, like the
//! shared `ce-*.json`) must round-trip, and Markdown inputs in
//! `fixtures/counterexamples/*.md` must normalize in one pass.

mod convert_support;

use convert_support::{normalization_problem, round_trip_problem};
use serde_json::Value;
use std::path::{Path, PathBuf};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/counterexamples"
);

fn fixtures(ext: &str) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(DIR))
        .expect("counterexample folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    paths.sort();
    paths
}

#[test]
fn convert_document_counterexamples_round_trip() {
    let paths = fixtures("json");
    assert!(!paths.is_empty(), "no counterexamples in {DIR}");
    let problems: Vec<String> = paths
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).expect("fixture text");
            let value: Value = serde_json::from_str(&text).expect("fixture JSON");
            let doc = value.get("doc").expect("a `doc` member");
            round_trip_problem(doc).map(|p| format!("{}: {p}", path.display()))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn convert_markdown_counterexamples_normalize_in_one_pass() {
    let problems: Vec<String> = fixtures("md")
        .iter()
        .filter_map(|path| {
            // Read as the pull and the fuzz target read files: UTF-8,
            // lossily (fuzz inputs may hold any bytes).
            let bytes = std::fs::read(path).expect("fixture bytes");
            let input = String::from_utf8_lossy(&bytes);
            normalization_problem(&input).map(|p| format!("{}: {p}", path.display()))
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
