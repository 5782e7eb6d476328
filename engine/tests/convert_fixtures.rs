//! The round-trip property of SPEC §5 on every shared fixture document and
//! every page of the seed space.

use gitsync_engine::convert::{canonical_eq, export_body, from_markdown, to_markdown};
use serde_json::Value;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

fn assert_round_trip(name: &str, doc: &Value) {
    let md1 = to_markdown(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
    let doc2 = from_markdown(&md1);
    let md2 = to_markdown(&doc2).unwrap_or_else(|e| panic!("{name} (second pass): {e}"));
    assert_eq!(md2, md1, "{name}: Markdown is not a fixed point");
    assert!(
        canonical_eq(&doc2, doc),
        "{name}: document changed\nmd:\n{md1}\nback: {doc2:#}"
    );
}

#[test]
fn convert_every_prosemirror_fixture_round_trips() {
    let dir = Path::new(FIXTURES).join("prosemirror");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture folder") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("fixture text");
        let value: Value = serde_json::from_str(&text).expect("fixture JSON");
        let doc = value.get("doc").cloned().unwrap_or(value);
        assert_round_trip(&path.display().to_string(), &doc);
        seen += 1;
    }
    assert!(
        seen >= 11,
        "only {seen} fixtures found in {}",
        dir.display()
    );
}

/// The page documents in the seed script: the `$json$ ... $json$` literals
/// (their `{{placeholders}}` are plain text to the converter).
fn seed_docs() -> Vec<Value> {
    let sql = std::fs::read_to_string(Path::new(FIXTURES).join("seed-space.sql")).expect("seed");
    sql.split("$json$")
        .skip(1)
        .step_by(2)
        .map(|json| serde_json::from_str(json).expect("seed doc JSON"))
        .collect()
}

#[test]
fn convert_every_seed_page_exports_and_round_trips() {
    let docs = seed_docs();
    assert!(docs.len() >= 5, "found {} seed docs", docs.len());
    for (i, doc) in docs.iter().enumerate() {
        assert_round_trip(&format!("seed doc {i}"), doc);
        let body = export_body(Some(doc)).expect("export");
        assert_eq!(body, body.trim_matches('\n'));
    }
}
