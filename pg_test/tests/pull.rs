//! DB → vault: SPEC §8 scenarios 1–5 and the seed space export.

use gitsync_pg_test::{page_file, Cluster, Config, Space};
use serde_json::json;

/// The empty tree's id (SHA-1).
const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

fn sorted(paths: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = paths.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Asserts main and docmost point at the same commit and returns it.
fn assert_main_is_docmost(c: &Cluster, space: &Space) -> String {
    let main = c.rev(&space.id, "main").expect("main exists");
    let docmost = c.rev(&space.id, "docmost").expect("docmost exists");
    assert_eq!(main, docmost, "main should equal docmost");
    main
}

/// Runs a cycle and asserts it changed neither the refs nor the DB.
fn assert_idle_cycle(c: &Cluster, space: &Space) {
    let refs_before = (c.rev(&space.id, "main"), c.rev(&space.id, "docmost"));
    let db_before = c.db_fingerprint(space);
    let result = c.run_cycle(space);
    assert_eq!(
        result["pull"]["written"],
        json!(0),
        "idle cycle wrote: {result}"
    );
    assert_eq!(
        result["pull"]["deleted"],
        json!(0),
        "idle cycle deleted: {result}"
    );
    assert_eq!(
        (c.rev(&space.id, "main"), c.rev(&space.id, "docmost")),
        refs_before,
        "an idle cycle must not commit"
    );
    assert_eq!(
        c.db_fingerprint(space),
        db_before,
        "an idle cycle must not write to the DB"
    );
}

/// Runs a cycle that must leave the DB untouched (no echo write), and
/// returns its result.
fn run_without_db_writes(c: &Cluster, space: &Space) -> serde_json::Value {
    let db_before = c.db_fingerprint(space);
    let result = c.run_cycle(space);
    assert_eq!(
        c.db_fingerprint(space),
        db_before,
        "a pull must not write to the DB"
    );
    result
}

fn assert_files(c: &Cluster, space: &Space, expected: &[&str]) {
    assert_eq!(
        c.vault_files(&space.id, "main"),
        sorted(expected),
        "files on main"
    );
}

fn assert_file(c: &Cluster, space: &Space, path: &str, expected: &str) {
    assert_eq!(
        c.vault_file(&space.id, "main", path).as_deref(),
        Some(expected),
        "bytes of {path} on main"
    );
}

/// SPEC §8.1
#[test]
fn scenario1_first_cycle_exact_bytes_then_no_commits() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "first");
    let a = c.insert_page(&s, "s1AAAAAAAA", "A", None, "Hello A");
    let b = c.insert_page(&s, "s1BBBBBBBB", "B", None, "Hello B");
    let cc = c.insert_page(&s, "s1CCCCCCCC", "C", Some(&b), "Hello C");

    let result = run_without_db_writes(&c, &s);
    assert_eq!(result["spaceId"], json!(s.id));
    assert_eq!(result["pull"]["written"], json!(3), "{result}");
    assert_eq!(result["pull"]["deleted"], json!(0), "{result}");
    assert_eq!(result["pull"]["conflict"], json!(false), "{result}");
    assert_eq!(result["divergentDocmost"], json!(false), "{result}");

    assert_files(&c, &s, &["A.md", "B/B.md", "B/C.md"]);
    assert_file(&c, &s, "A.md", &page_file(&a, "Hello A"));
    assert_file(&c, &s, "B/B.md", &page_file(&b, "Hello B"));
    assert_file(&c, &s, "B/C.md", &page_file(&cc, "Hello C"));

    let head = assert_main_is_docmost(&c, &s);
    // One empty root commit, then the export.
    assert_eq!(c.commit_count(&s.id, "docmost"), 2);
    let root = c.vault_git(&s.id, &["rev-list", "--max-parents=0", "docmost"]);
    let root_tree = c.vault_git(&s.id, &["rev-parse", &format!("{}^{{tree}}", root.trim())]);
    assert_eq!(root_tree.trim(), EMPTY_TREE, "the root commit is empty");
    let message = c.vault_git(&s.id, &["log", "-1", "--format=%B", &head]);
    assert!(
        message.contains("Docmost-Sync-Source: docmost"),
        "pull commit lacks the trailer: {message}"
    );

    assert_idle_cycle(&c, &s);
    c.restart();
    assert_idle_cycle(&c, &s);
    assert_eq!(c.rev(&s.id, "main").as_deref(), Some(head.as_str()));
}

/// SPEC §8.2
#[test]
fn scenario2_same_title_siblings_and_hostile_titles() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "hostile");
    let long_title = "abcd ".repeat(40); // 200 chars
    let long_name = "abcd ".repeat(24).trim_end().to_string(); // cap 120, trim
                                                               // (slug, title, expected file path); inserted in this (unsorted) order.
    let pages: Vec<(&str, String, String)> = vec![
        ("samec00003", "Same".into(), "Same ~samec00003.md".into()),
        ("samea00001", "Same".into(), "Same.md".into()),
        ("sameb00002", "Same".into(), "Same ~sameb00002.md".into()),
        ("xdash00001", "x-y".into(), "x-y ~xdash00001.md".into()),
        ("xcolon0001", "x:y".into(), "x-y.md".into()),
        ("empty00001", "".into(), "_.md".into()),
        ("dots000001", "..".into(), "_...md".into()),
        ("con0000001", "CON".into(), "_CON.md".into()),
        ("conext0001", "con.txt".into(), "_con.txt.md".into()),
        ("lpt9000001", "Lpt9".into(), "_Lpt9.md".into()),
        ("hostile001", "a/b: c?".into(), "a-b- c-.md".into()),
        ("special001", "<x>|\"y\"*\\z".into(), "-x---y---z.md".into()),
        (
            "spaces0001",
            "  multi   space\u{0007}title ".into(),
            "multi space-title.md".into(),
        ),
        ("long000001", long_title, format!("{long_name}.md")),
    ];
    let mut expected = Vec::new();
    for (slug, title, path) in &pages {
        let id = c.insert_page(&s, slug, title, None, &format!("Body {slug}"));
        expected.push((path.clone(), page_file(&id, &format!("Body {slug}"))));
    }
    // A hostile folder name with a hostile child.
    let parent = c.insert_page(&s, "folder0001", "p:q", None, "Parent");
    let child = c.insert_page(&s, "child00001", "r?", Some(&parent), "Child");
    expected.push(("p-q/p-q.md".into(), page_file(&parent, "Parent")));
    expected.push(("p-q/r-.md".into(), page_file(&child, "Child")));

    run_without_db_writes(&c, &s);
    let mut want_paths: Vec<String> = expected.iter().map(|(p, _)| p.clone()).collect();
    want_paths.sort();
    assert_eq!(c.vault_files(&s.id, "main"), want_paths);
    for (path, bytes) in &expected {
        assert_file(&c, &s, path, bytes);
    }

    // Rewriting rows changes their physical order; the layout must not change.
    c.sql(&format!(
        "UPDATE pages SET title = title WHERE space_id = '{}' AND slug_id IN ('samea00001', 'xcolon0001')",
        s.id
    ));
    assert_idle_cycle(&c, &s);
}

/// SPEC §8.3 (DB → vault half)
#[test]
fn scenario3_db_edits_rename_move_trash_follow_without_echo() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "follow");
    let alpha = c.insert_page(&s, "s3alpha001", "Alpha", None, "Alpha text");
    let beta = c.insert_page(&s, "s3beta0001", "Beta", None, "Beta text");
    let gamma = c.insert_page(&s, "s3gamma001", "Gamma", Some(&beta), "Gamma text");
    let delta = c.insert_page(&s, "s3delta001", "Delta", None, "Delta text");
    let eps = c.insert_page(&s, "s3eps00001", "Eps", None, "Eps text");
    run_without_db_writes(&c, &s);
    assert_files(
        &c,
        &s,
        &[
            "Alpha.md",
            "Beta/Beta.md",
            "Beta/Gamma.md",
            "Delta.md",
            "Eps.md",
        ],
    );

    // Body edit.
    let commits = c.commit_count(&s.id, "docmost");
    c.update_body(&alpha, "Alpha edited");
    run_without_db_writes(&c, &s);
    assert_file(&c, &s, "Alpha.md", &page_file(&alpha, "Alpha edited"));
    assert_eq!(
        c.commit_count(&s.id, "docmost"),
        commits + 1,
        "one commit per change"
    );
    assert_main_is_docmost(&c, &s);

    // Rename.
    c.rename_page(&delta, "Delta renamed");
    run_without_db_writes(&c, &s);
    assert_files(
        &c,
        &s,
        &[
            "Alpha.md",
            "Beta/Beta.md",
            "Beta/Gamma.md",
            "Delta renamed.md",
            "Eps.md",
        ],
    );
    assert_file(&c, &s, "Delta renamed.md", &page_file(&delta, "Delta text"));

    // Move under another page.
    c.move_page(&eps, Some(&beta));
    run_without_db_writes(&c, &s);
    assert_files(
        &c,
        &s,
        &[
            "Alpha.md",
            "Beta/Beta.md",
            "Beta/Eps.md",
            "Beta/Gamma.md",
            "Delta renamed.md",
        ],
    );
    assert_file(&c, &s, "Beta/Eps.md", &page_file(&eps, "Eps text"));

    // Trash a leaf.
    c.trash_page(&gamma);
    run_without_db_writes(&c, &s);
    assert_files(
        &c,
        &s,
        &[
            "Alpha.md",
            "Beta/Beta.md",
            "Beta/Eps.md",
            "Delta renamed.md",
        ],
    );

    // Trash a page with a child: both files go (2 of 4 is not more than half).
    c.trash_page(&beta);
    let result = run_without_db_writes(&c, &s);
    assert_eq!(result["pull"]["deleted"], json!(2), "{result}");
    assert_files(&c, &s, &["Alpha.md", "Delta renamed.md"]);
    assert_main_is_docmost(&c, &s);

    // No echo: later cycles write nothing anywhere.
    assert_idle_cycle(&c, &s);
    assert_idle_cycle(&c, &s);
    let history = c.sql(&format!(
        "SELECT count(*) FROM page_history WHERE space_id = '{}'",
        s.id
    ));
    assert_eq!(history, "0", "a pull must not create page_history rows");
}

/// SPEC §8.4
#[test]
fn scenario4_first_child_turns_leaf_into_folder() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "firstchild");
    let p = c.insert_page(&s, "s4parent01", "P", None, "Parent body");
    c.insert_page(&s, "s4other001", "Other", None, "Other body");
    run_without_db_writes(&c, &s);
    assert_files(&c, &s, &["Other.md", "P.md"]);

    let child = c.insert_page(&s, "s4child001", "Child", Some(&p), "Child body");
    run_without_db_writes(&c, &s);
    assert_files(&c, &s, &["Other.md", "P/Child.md", "P/P.md"]);
    assert_file(&c, &s, "P/P.md", &page_file(&p, "Parent body"));
    assert_file(&c, &s, "P/Child.md", &page_file(&child, "Child body"));
    assert_main_is_docmost(&c, &s);
    assert_idle_cycle(&c, &s);
}

/// The run_history warnings of the space's latest run.
fn latest_warnings(c: &Cluster, space: &Space) -> Vec<String> {
    let history = c.run_history(&space.id);
    let last = history.last().expect("a run_history row");
    last["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_deletions_suppressed(c: &Cluster, space: &Space, result: &serde_json::Value) {
    assert_eq!(result["pull"]["deleted"], json!(0), "{result}");
    let warnings = latest_warnings(c, space);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("absence deletions suppressed")),
        "expected an 'absence deletions suppressed' warning, got {warnings:?}"
    );
    assert!(
        !c.log_lines_with(&["absence deletions suppressed"])
            .is_empty(),
        "the reason must be logged; log tail:\n{}",
        c.log_tail(30)
    );
}

/// SPEC §8.5
#[test]
fn scenario5_mass_trash_is_suppressed_and_logged() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "masstrash");
    let ids: Vec<String> = (0..6)
        .map(|i| {
            c.insert_page(
                &s,
                &format!("s5page000{i}"),
                &format!("Page {i}"),
                None,
                "Text",
            )
        })
        .collect();
    run_without_db_writes(&c, &s);
    assert_eq!(c.vault_files(&s.id, "main").len(), 6);

    // 2 of 6 go: an ordinary deletion.
    c.trash_page(&ids[0]);
    c.trash_page(&ids[1]);
    let result = c.run_cycle(&s);
    assert_eq!(result["pull"]["deleted"], json!(2), "{result}");
    assert_files(
        &c,
        &s,
        &["Page 2.md", "Page 3.md", "Page 4.md", "Page 5.md"],
    );
    assert!(c
        .log_lines_with(&["absence deletions suppressed"])
        .is_empty());

    // 3 of the remaining 4 (> 50 % of >= 4 files): suppressed.
    for id in &ids[2..5] {
        c.trash_page(id);
    }
    let main_before = c.rev(&s.id, "main");
    let result = c.run_cycle(&s);
    assert_deletions_suppressed(&c, &s, &result);
    assert_files(
        &c,
        &s,
        &["Page 2.md", "Page 3.md", "Page 4.md", "Page 5.md"],
    );
    assert_eq!(c.rev(&s.id, "main"), main_before, "nothing to commit");
}

/// SPEC §6: an empty live set while files are tracked deletes nothing.
#[test]
fn scenario5_empty_live_set_is_suppressed() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "emptied");
    let one = c.insert_page(&s, "s5empty001", "One", None, "Text");
    let two = c.insert_page(&s, "s5empty002", "Two", None, "Text");
    run_without_db_writes(&c, &s);
    c.trash_page(&one);
    c.trash_page(&two);
    let result = c.run_cycle(&s);
    assert_deletions_suppressed(&c, &s, &result);
    assert_files(&c, &s, &["One.md", "Two.md"]);
}

/// Slug id of a seeded page, looked up by title and parent title.
fn seed_slug(c: &Cluster, space: &Space, title: &str) -> Vec<String> {
    c.sql(&format!(
        "SELECT slug_id FROM pages WHERE space_id = '{}' AND title = '{title}' ORDER BY slug_id COLLATE \"C\"",
        space.id
    ))
    .lines()
    .map(str::to_string)
    .collect()
}

/// fixtures/seed-space.sql exports with the SPEC §5 layout.
#[test]
fn seed_space_exports_expected_layout() {
    let c = Cluster::start(Config::manual());
    let s = c.seed_space("demo");
    c.set_service_user(&s.service_user_id);
    let result = run_without_db_writes(&c, &s);
    assert_eq!(result["pull"]["conflict"], json!(false), "{result}");

    let notes = seed_slug(&c, &s, "Notes");
    assert_eq!(notes.len(), 2, "two Notes siblings");
    let runbook = "Engineering/Runbook- deploy - rollback";
    let expected = sorted(&[
        "Welcome.md",
        "Engineering/Engineering.md",
        &format!("{runbook}/Runbook- deploy - rollback.md"),
        &format!("{runbook}/Notes.md"),
        &format!("{runbook}/Notes ~{}.md", notes[1]),
        "Engineering/API v2-v3 migration.md",
        "Meeting notes/Meeting notes.md",
        "Meeting notes/Draft.md",
    ]);
    assert_eq!(c.vault_files(&s.id, "main"), expected);

    // Every file carries the id of the page it belongs to.
    let page_of = |path: &str| -> String {
        let text = c.vault_file(&s.id, "main", path).unwrap();
        let id = text
            .strip_prefix("---\ngitmost_id: ")
            .and_then(|rest| rest.split('\n').next())
            .unwrap_or_else(|| panic!("{path} has no gitmost_id frontmatter:\n{text}"));
        assert!(
            text.starts_with(&format!("---\ngitmost_id: {id}\n---\n\n")),
            "{path}:\n{text}"
        );
        assert!(
            text.ends_with('\n') && !text.ends_with("\n\n\n\n"),
            "{path}:\n{text:?}"
        );
        id.to_string()
    };
    assert_eq!(
        page_of(&format!("{runbook}/Notes.md")),
        c.page_id_by_slug(&notes[0])
    );
    assert_eq!(
        page_of(&format!("{runbook}/Notes ~{}.md", notes[1])),
        c.page_id_by_slug(&notes[1])
    );
    for (path, title) in [
        ("Welcome.md", "Welcome"),
        ("Engineering/Engineering.md", "Engineering"),
        ("Meeting notes/Draft.md", "Draft"),
        ("Engineering/API v2-v3 migration.md", "API v2/v3 migration"),
    ] {
        let slug = &seed_slug(&c, &s, title)[0];
        assert_eq!(page_of(path), c.page_id_by_slug(slug), "{path}");
    }
    let welcome = c.vault_file(&s.id, "main", "Welcome.md").unwrap();
    assert!(welcome.contains("Welcome to the space"), "{welcome}");

    assert_main_is_docmost(&c, &s);
    assert_idle_cycle(&c, &s);
}
