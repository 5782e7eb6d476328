//! The idle fast path (issue 5): once a space is settled, a cycle is
//! answered from its recorded idle key without reading the space's pages
//! or export state, and every kind of change after such an idle cycle is
//! still picked up by the next one. Body edits alone take the edits
//! route, which leaves a key of its own; anything else a full cycle.
//!
//! Which path a cycle took is read from `pg_stat_xact_user_tables` in the
//! cycle's own transaction: a full cycle always reads
//! `gitsync.page_state`, the fast path never does.

use gitsync_pg_test::{
    chown_postgres, page_file, paragraph_doc, unconvertible_doc, Cluster, Config, Space,
};
use serde_json::{json, Value};

/// `gitsync_run_once`, and how many scans of `gitsync.page_state` the
/// cycle made, counted in its own transaction.
const COUNTING_RUN: &str = "
CREATE FUNCTION run_counting(space uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    result jsonb := gitsync_run_once(space);
BEGIN
    RETURN jsonb_build_object('result', result, 'stateScans',
        (SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0)
           FROM pg_stat_xact_user_tables WHERE relid = 'gitsync.page_state'::regclass));
END $$";

#[derive(Debug, PartialEq, Eq)]
enum Path {
    Fast,
    Full,
}

/// One cycle (which must run without error) and the path it took.
fn cycle(c: &Cluster, s: &Space) -> (Path, Value) {
    let run = c.json(&format!("SELECT run_counting('{}')::text", s.id));
    let result = run["result"].clone();
    assert_eq!(result["ran"], json!(true), "{result}");
    assert!(result["error"].is_null(), "{result}");
    let path = match run["stateScans"].as_i64() {
        Some(0) => Path::Fast,
        _ => Path::Full,
    };
    (path, result)
}

fn idle_key(c: &Cluster, s: &Space) -> String {
    c.sql(&format!(
        "SELECT coalesce(idle_key, '') FROM gitsync.space_state WHERE space_id = '{}'",
        s.id
    ))
}

/// The result every idle cycle returns, fast or full.
fn assert_idle_result(result: &Value) {
    assert_eq!(
        result["pull"],
        json!({"written": 0, "deleted": 0, "conflict": false}),
        "{result}"
    );
    assert_eq!(
        result["push"],
        json!({"mode": "apply", "failures": 0}),
        "{result}"
    );
    assert_eq!(result["divergentDocmost"], json!(false), "{result}");
}

/// The next cycle must act on a change: full path, not idle.
fn assert_picked_up(c: &Cluster, s: &Space, what: &str) -> Value {
    let (path, result) = cycle(c, s);
    assert_eq!(path, Path::Full, "{what}: answered by the fast path");
    assert_eq!(
        idle_key(c, s),
        "",
        "{what}: a cycle that acted records no key"
    );
    result
}

/// The next cycle exports body edits and, unlike a full cycle that
/// wrote, leaves an idle key: the cycle after it is fast at once.
fn assert_exported_edits(c: &Cluster, s: &Space, what: &str) -> Value {
    let (_, result) = cycle(c, s);
    assert_ne!(result["pull"]["written"], 0, "{what}: {result}");
    assert_ne!(idle_key(c, s), "", "{what}: the edits route leaves a key");
    let (path, next) = cycle(c, s);
    assert_eq!(path, Path::Fast, "{what}: the next cycle is not fast");
    assert_idle_result(&next);
    result
}

/// A settling full cycle, then a fast one that returns the same result.
fn assert_settles(c: &Cluster, s: &Space, what: &str) {
    let (path, full) = cycle(c, s);
    assert_eq!(path, Path::Full, "{what}: the settling cycle");
    assert_idle_result(&full);
    assert_ne!(idle_key(c, s), "", "{what}: no idle key recorded");
    let db = c.db_fingerprint(s);
    let heads = (c.rev(&s.id, "main"), c.rev(&s.id, "docmost"));
    let (path, fast) = cycle(c, s);
    assert_eq!(path, Path::Fast, "{what}: settled but not fast");
    assert_eq!(fast, full, "{what}: the fast path answers differently");
    assert_eq!(c.db_fingerprint(s), db, "{what}: the fast path wrote");
    assert_eq!(
        (c.rev(&s.id, "main"), c.rev(&s.id, "docmost")),
        heads,
        "{what}: the fast path moved a ref"
    );
}

fn start(slug: &str) -> (Cluster, Space) {
    let (c, s) = Cluster::start_with_space(Config::manual(), slug);
    c.sql(COUNTING_RUN);
    (c, s)
}

#[test]
fn db_changes_after_an_idle_cycle_are_picked_up() {
    let (c, s) = start("fastdb");
    let a = c.insert_page(&s, "fdb0000001", "A", None, "Text A");
    let b = c.insert_page(&s, "fdb0000002", "B", None, "Text B");
    let kid = c.insert_page(&s, "fdb0000003", "C", Some(&b), "Text C");
    assert_picked_up(&c, &s, "first export");
    assert_settles(&c, &s, "export");

    c.update_body(&a, "Edited A");
    assert_eq!(
        assert_exported_edits(&c, &s, "body edit")["pull"]["written"],
        1
    );
    assert_eq!(
        c.vault_file(&s.id, "main", "A.md").as_deref(),
        Some(page_file(&a, "Edited A").as_str())
    );

    c.rename_page(&a, "A renamed");
    assert_picked_up(&c, &s, "rename without updated_at");
    assert_eq!(
        c.vault_files(&s.id, "main"),
        ["A renamed.md", "B/B.md", "B/C.md"]
    );
    assert_settles(&c, &s, "rename");

    c.move_page(&kid, None);
    assert_picked_up(&c, &s, "move without updated_at");
    assert_eq!(
        c.vault_files(&s.id, "main"),
        ["A renamed.md", "B.md", "C.md"]
    );
    assert_settles(&c, &s, "move");

    c.trash_page(&kid);
    assert_eq!(assert_picked_up(&c, &s, "trash")["pull"]["deleted"], 1);
    assert_eq!(c.vault_files(&s.id, "main"), ["A renamed.md", "B.md"]);
    assert_settles(&c, &s, "trash");

    // The key is persisted: the first cycle after a restart is fast.
    c.restart();
    let (path, result) = cycle(&c, &s);
    assert_eq!(path, Path::Fast, "after a restart: {result}");
    assert_idle_result(&result);
}

#[test]
fn body_edits_are_exported_by_the_edits_route_as_a_full_cycle_would() {
    let (c, s) = start("fastedit");
    let a = c.insert_page(&s, "fed0000001", "A", None, "Text A");
    let b = c.insert_page(&s, "fed0000002", "B", None, "Text B");
    let kid = c.insert_page(&s, "fed0000003", "C", Some(&b), "Text C");
    assert_picked_up(&c, &s, "first export");
    assert_settles(&c, &s, "export");

    for round in 0..3 {
        let (text_a, text_c) = (format!("A, round {round}"), format!("C, round {round}"));
        c.update_body(&a, &text_a);
        c.update_body(&kid, &text_c);
        let result = assert_exported_edits(&c, &s, &format!("round {round}"));
        assert_eq!(result["pull"]["written"], 2, "{result}");
        assert_eq!(
            c.vault_file(&s.id, "main", "A.md").as_deref(),
            Some(page_file(&a, &text_a).as_str())
        );
        assert_eq!(
            c.vault_file(&s.id, "main", "B/C.md").as_deref(),
            Some(page_file(&kid, &text_c).as_str())
        );
    }
    // A full cycle finds nothing left to do.
    c.sql(&format!(
        "UPDATE gitsync.space_state SET idle_key = NULL WHERE space_id = '{}'",
        s.id
    ));
    assert_settles(&c, &s, "a full cycle after the edits");

    // An edit beside a rename that kept updated_at: the full route.
    c.update_body(&a, "A again");
    c.rename_page(&b, "B2");
    assert_picked_up(&c, &s, "an edit beside a rename");
    assert_eq!(
        c.vault_files(&s.id, "main"),
        ["A.md", "B2/B2.md", "B2/C.md"]
    );
    assert_eq!(
        c.vault_file(&s.id, "main", "A.md").as_deref(),
        Some(page_file(&a, "A again").as_str())
    );
    assert_settles(&c, &s, "rename");
}

/// Clones the vault, writes `rel`, commits and pushes to `main`.
fn git_push_file(c: &Cluster, s: &Space, clone: &str, rel: &str, text: &str) {
    let parent = c.scratch_dir(clone);
    let vault = c.vault_path(&s.id);
    c.git_ok(&parent, &["clone", "-q", vault.to_str().unwrap(), "work"]);
    let work = parent.join("work");
    std::fs::write(work.join(rel), text).unwrap();
    chown_postgres(&work);
    c.git_ok(&work, &["commit", "-q", "-a", "-m", "edit in git"]);
    c.git_ok(&work, &["push", "-q", "origin", "main"]);
}

#[test]
fn git_pushes_vault_loss_and_settings_after_an_idle_cycle_are_picked_up() {
    let (c, s) = start("fastgit");
    let a = c.insert_page(&s, "fgit000001", "A", None, "Text A");
    assert_picked_up(&c, &s, "first export");
    assert_settles(&c, &s, "export");

    git_push_file(&c, &s, "clone1", "A.md", &page_file(&a, "From git"));
    assert_picked_up(&c, &s, "git push");
    assert_eq!(
        c.sql(&format!("SELECT text_content FROM pages WHERE id = '{a}'")),
        "From git"
    );
    assert_settles(&c, &s, "git push");

    std::fs::remove_dir_all(c.vault_path(&s.id)).unwrap();
    assert_eq!(
        assert_picked_up(&c, &s, "deleted vault")["pull"]["written"],
        1
    );
    assert_eq!(c.vault_files(&s.id, "main"), ["A.md"]);
    assert_settles(&c, &s, "deleted vault");

    // Committed conflict markers fail the page in every cycle until the
    // space allows autoMergeConflicts; that change is seen at once.
    let marked = "<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs";
    git_push_file(&c, &s, "clone2", "A.md", &page_file(&a, marked));
    for _ in 0..3 {
        let result = assert_picked_up(&c, &s, "a failing push");
        assert_eq!(result["push"]["failures"], 1, "{result}");
    }
    c.set_space_settings(
        &s,
        &json!({"gitSync": {"enabled": true, "autoMergeConflicts": true}}),
    );
    let result = assert_picked_up(&c, &s, "autoMergeConflicts turned on");
    assert_eq!(result["push"]["failures"], 0, "{result}");
    let text = c.sql(&format!("SELECT text_content FROM pages WHERE id = '{a}'"));
    assert!(text.contains("mine") && text.contains("theirs"), "{text}");
    assert_settles(&c, &s, "autoMergeConflicts");

    // A setting that changes what a cycle does is part of the key. (The
    // reload wakes the worker, whose cycle may be the one that notices.)
    let before = idle_key(&c, &s);
    assert!(before.contains("max_file_bytes 1048576"), "{before}");
    c.set_guc("gitsync.max_file_size", "2MB");
    let (_, result) = cycle(&c, &s);
    assert_idle_result(&result);
    let after = idle_key(&c, &s);
    assert!(after.contains("max_file_bytes 2097152"), "{after}");
}

#[test]
fn a_failing_page_is_retried_by_every_cycle_until_fixed() {
    let (c, s) = start("fastfail");
    let good = c.insert_page(&s, "ffail00001", "Good", None, "Good text");
    let broken = c.insert_page_content(&s, "ffail00002", "Broken", None, &unconvertible_doc(), "");
    for _ in 0..3 {
        let result = assert_picked_up(&c, &s, "an unconvertible page");
        assert_eq!(result["pull"]["conflict"], false, "{result}");
        let failures = c.status(&s.id)["pull_failures"].clone();
        assert_eq!(failures, 1, "pull_failures");
    }
    assert_eq!(c.vault_files(&s.id, "main"), ["Good.md"]);

    c.set_content(&broken, &paragraph_doc("Fixed"), "Fixed");
    assert_eq!(assert_picked_up(&c, &s, "fixed page")["pull"]["written"], 1);
    assert_eq!(c.status(&s.id)["pull_failures"], 0);
    assert_eq!(
        c.vault_file(&s.id, "main", "Broken.md").as_deref(),
        Some(page_file(&broken, "Fixed").as_str())
    );
    assert_eq!(
        c.vault_file(&s.id, "main", "Good.md").as_deref(),
        Some(page_file(&good, "Good text").as_str())
    );
    assert_settles(&c, &s, "fixed page");
}
