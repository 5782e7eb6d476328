//! The SQL interface and the vault's protections: SPEC §8 scenarios 11 and
//! 13, vault refs and hook, persisted status, execute privileges.

use gitsync_pg_test::{chown_postgres, page_file, Cluster, Config, Session, Space, WORKER_TIMEOUT};
use serde_json::{json, Value};

fn assert_skipped(result: &Value, space_id: &str, reason: &str) {
    assert_eq!(result["ran"], json!(false), "{result}");
    assert_eq!(result["skipped"], json!(reason), "{result}");
    assert_eq!(result["spaceId"], json!(space_id), "{result}");
}

/// Opens a session that ran gitsync_run_once(space) inside an open
/// transaction and so holds the space's advisory lock (retrying while the
/// worker happens to hold it).
fn hold_space_lock<'a>(c: &'a Cluster, space: &Space) -> Session<'a> {
    c.wait_for(WORKER_TIMEOUT, "a session holding the space lock", || {
        let mut held = c.session();
        held.run(
            &format!("BEGIN; SELECT gitsync_run_once('{}');", space.id),
            "gitsync_run_once",
        );
        let locks = c.sql(&format!(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = {}",
            held.pid()
        ));
        (locks != "0").then_some(held)
    })
}

/// SPEC §8.11
#[test]
fn scenario11_concurrent_runs_skip_lock_held_and_in_progress() {
    let (c, s) = Cluster::start_with_space(Config::worker(), "locks");
    let a = c.insert_page(&s, "ilock00001", "A", None, "Text");
    c.wait_for_file(&s.id, "A.md", &page_file(&a, "Text"));

    // Two ordinary backends.
    let mut held = hold_space_lock(&c, &s);
    assert_skipped(&c.run_once(&s.id), &s.id, "lock-held");
    held.run("COMMIT;", "COMMIT");
    drop(held);
    c.run_cycle(&s);

    // The worker mid-cycle: it blocks on pages while holding the space lock.
    let mut locker = c.session();
    locker.run(
        "BEGIN; LOCK TABLE pages IN ACCESS EXCLUSIVE MODE;",
        "LOCK TABLE",
    );
    c.wait_until(WORKER_TIMEOUT, "the worker to be inside a cycle", || {
        !c.status(&s.id)["running_since"].is_null()
    });
    assert_skipped(&c.run_once(&s.id), &s.id, "in-progress");
    locker.run("COMMIT;", "COMMIT");
    drop(locker);
    c.wait_until(WORKER_TIMEOUT, "the worker's cycle to end", || {
        c.status(&s.id)["running_since"].is_null()
    });
    c.run_cycle(&s);
}

/// SPEC §8.13 and the strict opt-in of §1.
#[test]
fn scenario13_disabled_not_enabled_and_no_service_user_skips() {
    let c = Cluster::start(Config::worker());
    let on = c.new_space("on");
    let on_page = c.insert_page(&on, "ion0000001", "On", None, "Text");
    assert_skipped(&c.run_once(&on.id), &on.id, "no-service-user");
    c.set_service_user(&on.service_user_id);

    let off_settings = [
        json!({}),
        json!({"gitSync": {}}),
        json!({"gitSync": {"enabled": false}}),
        json!({"gitSync": {"enabled": "yes"}}),
        json!({"gitSync": {"enabled": null}}),
        json!({"gitSync": {"enabled": 1}}),
        json!({"gitSync": true}),
    ];
    let mut off_spaces: Vec<Space> = off_settings
        .iter()
        .enumerate()
        .map(|(i, settings)| c.new_space_with_settings(&format!("off{i}"), settings))
        .collect();
    let sql_null = c.new_space("offnull");
    c.sql(&format!(
        "UPDATE spaces SET settings = NULL WHERE id = '{}'",
        sql_null.id
    ));
    off_spaces.push(sql_null);
    for (i, space) in off_spaces.iter().enumerate() {
        c.insert_page(space, &format!("ioff{i:06}"), "Off", None, "Text");
        assert_skipped(&c.run_once(&space.id), &space.id, "space-not-enabled");
    }
    let missing = "00000000-0000-4000-8000-000000000000";
    assert_skipped(&c.run_once(missing), missing, "space-not-found");

    // The worker syncs the enabled space and ignores the others.
    c.wait_for_file(&on.id, "On.md", &page_file(&on_page, "Text"));
    c.wait_for_next_worker_run(&on);
    for space in &off_spaces {
        assert!(
            !c.vault_path(&space.id).exists(),
            "vault made for a space that is off"
        );
        let history = c.run_history(&space.id);
        assert!(
            history.iter().all(|h| h["trigger"] != json!("worker")),
            "the worker ran a space that is off: {history:?}"
        );
    }

    // The JSON string "true" reads as the text 'true': on.
    let text_true = c.new_space_with_settings("texttrue", &json!({"gitSync": {"enabled": "true"}}));
    assert_eq!(c.run_once(&text_true.id)["ran"], json!(true));

    // A non-uuid service user is rejected.
    let err = c
        .try_sql("ALTER SYSTEM SET gitsync.service_user_id = 'not-a-uuid'")
        .expect_err("a non-uuid service user must be rejected");
    assert!(err.contains("ERROR"), "{err}");

    c.set_guc("gitsync.enabled", "off");
    assert_skipped(&c.run_once(&on.id), &on.id, "disabled");
    c.set_guc("gitsync.enabled", "on");
    c.reset_guc("gitsync.service_user_id");
    assert_skipped(&c.run_once(&on.id), &on.id, "no-service-user");
}

/// (g) The vault is bare with the contract's refs; its hook rejects pushes
/// to docmost and refs/gitsync/*, and force-pushes to main.
#[test]
fn vault_refs_and_hook_reject_protected_pushes() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "hooks");
    c.insert_page(&s, "ihook00001", "A", None, "Text");
    c.run_cycle(&s);
    let vault = c.vault_path(&s.id);
    let vault_str = vault.to_str().unwrap();
    assert_eq!(
        c.vault_git(&s.id, &["rev-parse", "--is-bare-repository"])
            .trim(),
        "true"
    );
    assert_eq!(
        c.vault_git(&s.id, &["symbolic-ref", "HEAD"]).trim(),
        "refs/heads/main"
    );
    assert_eq!(
        c.vault_git(&s.id, &["config", "--get", "receive.denyNonFastForwards"])
            .trim(),
        "true"
    );
    let refs = c.vault_git(&s.id, &["for-each-ref", "--format=%(refname)"]);
    for r in [
        "refs/heads/main",
        "refs/heads/docmost",
        "refs/gitsync/last-pushed",
    ] {
        assert!(refs.lines().any(|l| l == r), "missing {r}; refs:\n{refs}");
    }

    let work = c.scratch_dir("clone");
    c.git_ok(&work, &["clone", "--quiet", vault_str, "repo"]);
    let repo = work.join("repo");
    std::fs::write(repo.join("Note.md"), "A note\n").unwrap();
    chown_postgres(&repo);
    c.git_ok(&repo, &["add", "Note.md"]);
    c.git_ok(&repo, &["commit", "--quiet", "-m", "note"]);
    let ahead = c.git_ok(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    let refs_before = c.vault_git(&s.id, &["for-each-ref"]);

    let push = |args: &[&str]| c.git_in(&repo, &[&["push", "origin"][..], args].concat());
    for target in ["refs/heads/docmost", "refs/gitsync/last-pushed"] {
        let out = push(&["--force", &format!("{ahead}:{target}")]);
        assert!(!out.status.success(), "push to {target} must be rejected");
    }
    let out = push(&[&format!("{ahead}:refs/gitsync/other")]);
    assert!(
        !out.status.success(),
        "push to refs/gitsync/other must be rejected"
    );

    // A rewrite of main (a sibling of its head) cannot be force-pushed.
    let rewritten = c
        .git_ok(
            &repo,
            &[
                "commit-tree",
                "HEAD~1^{tree}",
                "-p",
                "HEAD~2",
                "-m",
                "rewritten",
            ],
        )
        .trim()
        .to_string();
    let out = push(&["--force", &format!("{rewritten}:refs/heads/main")]);
    assert!(
        !out.status.success(),
        "a force-push to main must be rejected"
    );
    assert_eq!(
        c.vault_git(&s.id, &["for-each-ref"]),
        refs_before,
        "no ref moved"
    );

    // Control: a fast-forward push to main is accepted.
    let out = push(&[&format!("{ahead}:refs/heads/main")]);
    assert!(
        out.status.success(),
        "a fast-forward push to main must be accepted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(c.rev(&s.id, "main").as_deref(), Some(ahead.as_str()));
}

/// The status row without the fields that describe the present moment.
fn persisted_status(c: &Cluster, space: &Space) -> Value {
    let mut st = c.status(&space.id);
    let obj = st.as_object_mut().expect("a gitsync_status() row");
    obj.remove("running_since");
    obj.remove("lock_held_since");
    st
}

/// (h) gitsync_status() and run_history survive a server restart.
#[test]
fn status_survives_restart() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "persist");
    c.insert_page(&s, "ipers00001", "A", None, "Text");
    c.run_cycle(&s);
    let bad = c.new_space("persist-bad");
    std::fs::write(c.vault_path(&bad.id), "not a repository\n").unwrap();
    let result = c.run_once(&bad.id);
    assert!(
        result["error"].is_string(),
        "the bad space's cycle fails: {result}"
    );

    let ok_before = persisted_status(&c, &s);
    let bad_before = persisted_status(&c, &bad);
    assert_eq!(ok_before["last_result"], json!("ok"), "{ok_before}");
    assert!(!ok_before["main_commit"].is_null(), "{ok_before}");
    assert_eq!(bad_before["last_result"], json!("failed"), "{bad_before}");
    assert_eq!(bad_before["consecutive_failures"], json!(1), "{bad_before}");
    let history_before = (c.run_history(&s.id), c.run_history(&bad.id));

    // Keep the worker from running cycles after the restart.
    c.set_guc("gitsync.enabled", "off");
    c.restart();
    assert_eq!(persisted_status(&c, &s), ok_before);
    assert_eq!(persisted_status(&c, &bad), bad_before);
    assert_eq!(
        (c.run_history(&s.id), c.run_history(&bad.id)),
        history_before
    );
}

/// (i) EXECUTE is revoked from PUBLIC; a GRANT makes gitsync_run_once usable.
#[test]
fn execute_is_revoked_from_public() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "grants");
    let a = c.insert_page(&s, "igrant0001", "A", None, "Text");
    c.sql("CREATE ROLE plain LOGIN");
    let call = format!("SELECT gitsync_run_once('{}')::text", s.id);
    let err = c
        .try_sql_as("plain", &call)
        .expect_err("PUBLIC must not execute gitsync_run_once");
    assert!(
        err.contains("permission denied for function gitsync_run_once"),
        "{err}"
    );
    let err = c
        .try_sql_as("plain", "SELECT * FROM gitsync_status()")
        .expect_err("PUBLIC must not execute gitsync_status");
    assert!(
        err.contains("permission denied for function gitsync_status"),
        "{err}"
    );

    c.sql("GRANT EXECUTE ON FUNCTION gitsync_run_once(uuid) TO plain");
    let out = c.try_sql_as("plain", &call).expect("works after GRANT");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["ran"], json!(true), "{result}");
    assert!(result["error"].is_null(), "{result}");
    assert_eq!(
        c.vault_file(&s.id, "main", "A.md").as_deref(),
        Some(page_file(&a, "Text").as_str())
    );
}
