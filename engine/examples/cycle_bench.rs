//! The engine alone, without Postgres: a first export, idle cycles and
//! one-page edits of a space of N small pages held in a MemStore, run the
//! way the extension runs them (recorded idle key in, route out), to tell
//! the engine's cost from SPI's when `make bench` shows a slow cycle.
//!
//! `cargo run --release -p gitsync-engine --example cycle_bench -- 10000 [cycles]`

use gitsync_engine::cycle::{CycleOptions, DEFAULT_MAX_FILE_BYTES};
use gitsync_engine::idle::cycle_unless_idle;
use gitsync_engine::model::PageMeta;
use gitsync_engine::store::MemStore;
use gitsync_engine::vault::Vault;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

const SPACE: &str = "0190c0de-0000-7000-8000-000000000001";
const ACTOR: &str = "0190c0de-0000-7000-8000-0000000000aa";

fn page_id(i: usize) -> String {
    format!("0b0e0c00-0000-4000-8000-{i:012x}")
}

/// Ten roots, ten children a page.
fn space_of(pages: usize) -> MemStore {
    let mut store = MemStore::default();
    for i in 0..pages {
        let meta = PageMeta {
            id: page_id(i),
            slug_id: format!("s{i:09}"),
            title: Some(format!("Page {i}")),
            parent_id: (i >= 10).then(|| page_id(i / 10 - 1)),
            deleted: false,
            updated_at_us: 1,
        };
        let body = json!({"type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": format!("Body of page {i}.")}]}
        ]});
        store.put(SPACE, meta, Some(body));
    }
    store
}

fn main() {
    let pages: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut store = space_of(pages);
    let dir = tempfile_dir();
    let vault = dir.join("vault.git");
    let opts = CycleOptions {
        actor: ACTOR,
        auto_merge_conflicts: false,
        max_file_bytes: DEFAULT_MAX_FILE_BYTES,
    };
    let cycles: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let mut recorded = None;
    for k in 0..cycles {
        let what = if k == 0 { "first export" } else { "idle cycle" };
        let label = format!("{pages} pages, {what}");
        timed_cycle(&mut store, &vault, &opts, &mut recorded, &label);
    }
    for k in 0..3 {
        edit_page(&mut store, 1, k);
        let label = format!("{pages} pages, one page edited");
        timed_cycle(&mut store, &vault, &opts, &mut recorded, &label);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One cycle with its ref moves applied, as after a commit, timed; the
/// key it leaves is what the next cycle gets. The vault is opened anew,
/// as the extension does every cycle.
fn timed_cycle(
    store: &mut MemStore,
    path: &Path,
    opts: &CycleOptions,
    recorded: &mut Option<String>,
    what: &str,
) {
    let start = Instant::now();
    let vault = &Vault::open_or_init(path).expect("vault");
    let ran = cycle_unless_idle(store, vault, SPACE, opts, recorded.as_deref()).expect("cycle");
    vault
        .apply_ref_updates(&ran.outcome.ref_updates)
        .expect("refs");
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    println!("{what}: {ms:.1} ms ({:?} route)", ran.route);
    *recorded = ran.idle_key;
}

/// A body edit in the wiki: new text, newer `updated_at`.
fn edit_page(store: &mut MemStore, i: usize, edit: usize) {
    let (_, meta, content) = store.page_mut(&page_id(i));
    meta.updated_at_us += 1;
    *content = Some(json!({"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": format!("Edit {edit} of page {i}.")}]}
    ]}));
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitsync-cycle-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
