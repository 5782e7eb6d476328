//! The background worker: ticks, isolation of failing spaces, per-page
//! failures, configuration reloads, restarts, a database without the extension.

use gitsync_pg_test::{
    page_file, paragraph_doc, unconvertible_doc, Cluster, Config, Space, WORKER_TIMEOUT,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// (a) A space enabled while the worker runs is exported within two poll
/// intervals, with no gitsync_run_once.
#[test]
fn worker_exports_space_enabled_after_start() {
    let c = Cluster::start(Config::worker().poll_interval("2s"));
    let late = c.new_space_with_settings("late", &json!({"gitSync": {"enabled": false}}));
    let late_page = c.insert_page(&late, "wlate00001", "Late", None, "Late text");
    let witness = c.new_space("witness");
    c.set_service_user(&witness.service_user_id);
    let w = c.insert_page(&witness, "wwitness01", "Witness", None, "Witness text");
    c.wait_for_file(&witness.id, "Witness.md", &page_file(&w, "Witness text"));
    c.wait_for_next_worker_run(&witness);
    assert!(
        !c.vault_path(&late.id).exists(),
        "a space that is not enabled must not get a vault"
    );

    c.set_space_settings(&late, &json!({"gitSync": {"enabled": true}}));
    let enabled_at = Instant::now();
    c.wait_for_file(&late.id, "Late.md", &page_file(&late_page, "Late text"));
    let took = enabled_at.elapsed();
    // Two poll intervals, plus slack for a loaded machine.
    assert!(took < Duration::from_secs(4 + 3), "export took {took:?}");
    let history = c.run_history(&late.id);
    assert!(!history.is_empty(), "the worker's run is in run_history");
    assert!(
        history.iter().all(|h| h["trigger"] == json!("worker")),
        "only worker runs: {history:?}"
    );
}

/// (b) A space whose cycle fails does not stop another space, is reported,
/// and recovers by itself.
#[test]
fn failing_space_is_isolated_reported_and_recovers() {
    let c = Cluster::start(Config::worker());
    let bad = c.new_space("bad");
    let good = c.new_space("good");
    c.set_service_user(&good.service_user_id);
    // A regular file where the vault directory should be. The worker may
    // already have created the vault, and may create it again between our
    // removal and our write, so retry until the file is in place.
    let blocker = c.vault_path(&bad.id);
    c.wait_until(WORKER_TIMEOUT, "a file in place of the bad vault", || {
        if blocker.is_dir() {
            let _ = std::fs::remove_dir_all(&blocker);
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&blocker)
            .is_ok()
    });
    let bad_page = c.insert_page(&bad, "wbad000001", "Bad", None, "Bad text");
    let g1 = c.insert_page(&good, "wgood00001", "Good", None, "Good text");
    c.wait_for_file(&good.id, "Good.md", &page_file(&g1, "Good text"));

    c.wait_until(
        WORKER_TIMEOUT,
        "the bad space to be reported failed",
        || {
            let st = c.status(&bad.id);
            st["last_result"] == json!("failed") && st["consecutive_failures"].as_i64() > Some(0)
        },
    );
    let st = c.status(&bad.id);
    assert!(
        st["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "last_error must say why: {st}"
    );
    assert_eq!(c.status(&good.id)["last_result"], json!("ok"));
    let pid = c.wait_for_worker();

    // The good space keeps syncing while the bad one keeps failing.
    let g2 = c.insert_page(&good, "wgood00002", "Good two", None, "More");
    c.wait_for_file(&good.id, "Good two.md", &page_file(&g2, "More"));
    assert_eq!(c.status(&bad.id)["last_result"], json!("failed"));
    assert_eq!(
        c.worker_pid(),
        Some(pid),
        "a failing space must not crash the worker"
    );

    std::fs::remove_file(c.vault_path(&bad.id)).unwrap();
    c.wait_for_file(&bad.id, "Bad.md", &page_file(&bad_page, "Bad text"));
    c.wait_until(WORKER_TIMEOUT, "the bad space to recover", || {
        let st = c.status(&bad.id);
        st["last_result"] == json!("ok") && st["consecutive_failures"] == json!(0)
    });
    assert!(!c.status(&bad.id)["last_success_at"].is_null());
}

fn pull_failures(c: &Cluster, space: &Space) -> (i64, Value) {
    let st = c.status(&space.id);
    (
        st["pull_failures"].as_i64().unwrap_or(-1),
        st["first_pull_failure"].clone(),
    )
}

/// (c) A page whose content cannot be converted is a recorded per-page
/// failure; the rest of the space syncs; its old file is kept.
#[test]
fn unconvertible_page_is_a_recorded_per_page_failure() {
    let c = Cluster::start(Config::worker());
    let s = c.new_space("pagefail");
    c.set_service_user(&s.service_user_id);
    let good = c.insert_page(&s, "wpf0000001", "Good", None, "Good text");
    let broken = c.insert_page_content(&s, "wpf0000002", "Broken", None, &unconvertible_doc(), "");
    c.wait_for_file(&s.id, "Good.md", &page_file(&good, "Good text"));
    c.wait_until(WORKER_TIMEOUT, "the broken page to be counted", || {
        pull_failures(&c, &s).0 > 0
    });
    let (_, first) = pull_failures(&c, &s);
    assert_eq!(
        first["pageId"],
        json!(broken),
        "first_pull_failure: {first}"
    );
    assert_eq!(
        first["path"],
        json!("Broken.md"),
        "first_pull_failure: {first}"
    );
    assert!(
        first["kind"].as_str().is_some_and(|k| !k.is_empty()),
        "{first}"
    );
    assert!(
        first["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{first}"
    );
    assert_eq!(c.vault_files(&s.id, "main"), vec!["Good.md".to_string()]);

    // Fixed: it is exported and the failure clears.
    c.set_content(&broken, &paragraph_doc("Fixed"), "Fixed");
    c.wait_for_file(&s.id, "Broken.md", &page_file(&broken, "Fixed"));
    c.wait_until(WORKER_TIMEOUT, "pull_failures to clear", || {
        pull_failures(&c, &s).0 == 0
    });

    // An exported page that breaks keeps its old file; others still sync.
    c.set_content(&good, &unconvertible_doc(), "");
    c.update_body(&broken, "Fixed again");
    c.wait_for_file(&s.id, "Broken.md", &page_file(&broken, "Fixed again"));
    c.wait_until(
        WORKER_TIMEOUT,
        "the good page's failure to be counted",
        || {
            let (n, first) = pull_failures(&c, &s);
            n > 0 && first["pageId"] == json!(good)
        },
    );
    assert_eq!(pull_failures(&c, &s).1["path"], json!("Good.md"));
    assert_eq!(
        c.vault_file(&s.id, "main", "Good.md").as_deref(),
        Some(page_file(&good, "Good text").as_str()),
        "the old file is kept"
    );
}

/// (d) ALTER SYSTEM SET gitsync.poll_interval + pg_reload_conf() takes effect.
#[test]
fn poll_interval_reload_takes_effect() {
    let (c, s) = Cluster::start_with_space(Config::worker().poll_interval("1h"), "reload");
    let a = c.insert_page(&s, "wrl0000001", "A", None, "First");
    c.run_cycle(&s);
    assert_eq!(
        c.vault_file(&s.id, "main", "A.md").as_deref(),
        Some(page_file(&a, "First").as_str())
    );
    let b = c.insert_page(&s, "wrl0000002", "B", None, "Second");
    c.assert_holds_for(
        Duration::from_secs(3),
        "B.md absent at a 1h poll interval",
        || c.vault_file(&s.id, "main", "B.md").is_none(),
    );
    c.set_guc("gitsync.poll_interval", "1s");
    c.wait_for_file(&s.id, "B.md", &page_file(&b, "Second"));
    assert!(
        c.run_history(&s.id)
            .iter()
            .any(|h| h["trigger"] == json!("worker")),
        "the worker exported B"
    );
}

/// (e) The worker comes back after pg_terminate_backend and after SIGKILL,
/// and keeps syncing.
#[test]
fn worker_restarts_after_being_killed() {
    let (c, s) = Cluster::start_with_space(Config::worker(), "killed");
    let a = c.insert_page(&s, "wkill00001", "A", None, "One");
    c.wait_for_file(&s.id, "A.md", &page_file(&a, "One"));

    let first = c.wait_for_worker();
    c.sql(&format!("SELECT pg_terminate_backend({first})"));
    let second = c.wait_for(
        Duration::from_secs(20),
        "a new worker after pg_terminate_backend",
        || c.worker_pid().filter(|p| *p != first),
    );
    let b = c.insert_page(&s, "wkill00002", "B", None, "Two");
    c.wait_for_file(&s.id, "B.md", &page_file(&b, "Two"));

    let out = std::process::Command::new("kill")
        .args(["-KILL", &second.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "kill -KILL {second} failed");
    c.wait_for(
        Duration::from_secs(30),
        "a new worker after SIGKILL",
        || c.worker_pid().filter(|p| *p != second),
    );
    let d = c.wait_for(WORKER_TIMEOUT, "the server to accept writes again", || {
        c.try_sql(&format!(
            "INSERT INTO pages (slug_id, title, position, content, text_content, creator_id, \
             space_id, workspace_id) VALUES ('wkill00003', 'D', 'b', '{}'::jsonb, 'Three', \
             '{}', '{}', '{}') RETURNING id",
            paragraph_doc("Three"),
            s.author_id,
            s.id,
            s.workspace_id
        ))
        .ok()
    });
    c.wait_for_file(&s.id, "D.md", &page_file(&d, "Three"));
}

/// (f) A database without the extension: one clear log line, the worker
/// waits (same pid), and syncs once the extension is created.
#[test]
fn worker_waits_for_missing_extension_then_syncs() {
    let c = Cluster::start(Config {
        load_schema: false,
        ..Config::worker().without_extension()
    });
    let waiting = || c.log_lines_with(&["gitsync:", "waiting"]);
    c.wait_until(WORKER_TIMEOUT, "a 'gitsync: ... waiting' log line", || {
        !waiting().is_empty()
    });
    let pid = c.wait_for_worker();
    c.assert_holds_for(
        Duration::from_secs(4),
        "one waiting line, same worker",
        || waiting().len() == 1 && c.worker_pid() == Some(pid),
    );

    // Docmost tables but still no extension: still waiting, no vaults.
    c.load_schema();
    let s = c.new_space("late-ext");
    c.set_service_user(&s.service_user_id);
    let a = c.insert_page(&s, "wext000001", "A", None, "Text");
    c.assert_holds_for(
        Duration::from_secs(3),
        "no vault without the extension",
        || !c.vault_path(&s.id).exists() && c.worker_pid() == Some(pid),
    );
    assert!(
        waiting().len() <= 2,
        "waiting is logged once per reason: {:?}",
        waiting()
    );

    c.create_extension();
    c.wait_for_file(&s.id, "A.md", &page_file(&a, "Text"));
    assert_eq!(c.worker_pid(), Some(pid), "the same worker starts syncing");
}
