//! Converter throughput over the shared ProseMirror fixture corpus (issue
//! 4): MB/s of `to_markdown` and `from_markdown`, beside the raw speed of
//! pulldown-cmark just walking its events over the same Markdown.
//!
//!     cargo run --release -p gitsync-engine --example convert_bench [DIR [MB]]
//!
//! A measurement, not a test: it asserts nothing about speed. The corpus is
//! every `*.json` in `shared/fixtures/prosemirror` (or the folder given as
//! the first argument), joined into one document and repeated until the
//! Markdown is a few MB.

use gitsync_engine::convert::{export_body, from_markdown, to_markdown};
use pulldown_cmark::{Options, Parser};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Markdown size the corpus is repeated to, in MB, unless the second
/// argument says otherwise.
const DEFAULT_MB: usize = 4;
/// Each measurement runs at least this long (and at least three times).
const MIN_TIME: Duration = Duration::from_secs(2);

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/prosemirror")
        });
    let target_mb = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_MB);
    let fixtures = load_fixtures(&dir);
    let doc = repeated_doc(&fixtures, target_mb << 20);
    let md = to_markdown(&doc).expect("the corpus converts");
    let json_len = doc.to_string().len();
    println!(
        "corpus: {} fixtures from {}, repeated to {:.2} MB of Markdown ({:.2} MB of JSON)",
        fixtures.len(),
        dir.display(),
        mb(md.len()),
        mb(json_len)
    );
    let rows = [
        (
            "to_markdown (JSON -> md)",
            time(|| to_markdown(&doc).map(|m| m.len()).unwrap_or(0)),
        ),
        (
            "from_markdown (md -> JSON)",
            time(|| from_markdown(&md).as_object().map_or(0, |o| o.len())),
        ),
        ("pulldown-cmark events only", time(|| parse_only(&md))),
    ];
    println!();
    println!(
        "| {:<28} | {:>10} | {:>13} |",
        "direction", "ms / pass", "MB/s of md"
    );
    println!("|{:-<30}|{:->12}|{:->15}|", "", "", "");
    for (name, per_pass) in rows {
        let secs = per_pass.as_secs_f64();
        println!(
            "| {:<28} | {:>10.1} | {:>13.1} |",
            name,
            secs * 1e3,
            mb(md.len()) / secs
        );
    }
    println!("\nMB/s is measured against the Markdown size for all rows (1 MB = 2^20 bytes).");
    export_page(&fixtures);
}

/// `export_body` (what every page export runs) on one page: the corpus
/// repeated to about 3 KB of Markdown, a typical wiki page.
fn export_page(fixtures: &[Value]) {
    let page = repeated_doc(fixtures, 3 << 10);
    let body = export_body(Some(&page)).expect("the corpus exports");
    let per_page = time(|| export_body(Some(&page)).map_or(0, |b| b.len()));
    println!(
        "\nexport_body of one {:.1} KB page: {:.3} ms",
        body.len() as f64 / 1024.0,
        per_page.as_secs_f64() * 1e3
    );
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

/// Every fixture document (bare, or wrapped as `{"doc": ...}`).
fn load_fixtures(dir: &Path) -> Vec<Value> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("fixture text");
            let v: Value = serde_json::from_str(&text).expect("fixture JSON");
            v.get("doc").cloned().unwrap_or(v)
        })
        .collect()
}

/// One document holding every fixture's blocks, over and over, with a
/// paragraph between copies so lists of neighbouring copies stay apart.
fn repeated_doc(fixtures: &[Value], target_bytes: usize) -> Value {
    let blocks: Vec<Value> = fixtures
        .iter()
        .flat_map(|d| d["content"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] != "footnotes")
        .collect();
    let one = json!({"type": "doc", "content": blocks});
    let copy_len = to_markdown(&one).expect("fixtures convert").len().max(1);
    let copies = target_bytes.div_ceil(copy_len).max(1);
    let separator = json!({"type": "paragraph", "content": [{"type": "text", "text": "—"}]});
    let mut content = Vec::new();
    for _ in 0..copies {
        content.extend(blocks.iter().cloned());
        content.push(separator.clone());
    }
    json!({"type": "doc", "content": content})
}

/// The parser alone, with the options the converter uses.
fn parse_only(md: &str) -> usize {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH;
    Parser::new_ext(md, options).into_offset_iter().count()
}

/// Mean wall time of one run of `f`.
fn time(mut f: impl FnMut() -> usize) -> Duration {
    black_box(f()); // warm-up
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < 3 || start.elapsed() < MIN_TIME {
        black_box(f());
        runs += 1;
    }
    start.elapsed() / runs
}
