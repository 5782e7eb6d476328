//! The push direction and the merge, driven the way a git user drives them:
//! clone the vault, commit, push, then cycles. SPEC §8 scenarios 6-10 and
//! 12, and the interleavings of issue 3.

use gitsync_pg_test::{chown_postgres, lit, page_file, Cluster, Config, Space};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A clone of a space's vault, worked in as the vault's owner.
struct Checkout<'a> {
    c: &'a Cluster,
    dir: PathBuf,
}

impl<'a> Checkout<'a> {
    fn of(c: &'a Cluster, space: &Space, name: &str) -> Checkout<'a> {
        let parent = c.scratch_dir(name);
        let vault = c.vault_path(&space.id);
        c.git_ok(&parent, &["clone", "-q", vault.to_str().unwrap(), "work"]);
        Checkout {
            c,
            dir: parent.join("work"),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        chown_postgres(&self.dir);
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        self.c.git_ok(&self.dir, args)
    }

    fn commit_and_push(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["push", "-q", "origin", "main"]);
    }

    fn pull(&self) {
        self.git(&["pull", "-q", "--no-rebase", "origin", "main"]);
    }
}

fn page_count(c: &Cluster, space: &Space, title: &str) -> usize {
    c.sql(&format!(
        "SELECT count(*) FROM pages WHERE space_id = '{}' AND title = {} AND deleted_at IS NULL",
        space.id,
        lit(title)
    ))
    .parse()
    .unwrap()
}

fn live_page_id(c: &Cluster, space: &Space, title: &str) -> String {
    let id = c.sql(&format!(
        "SELECT id FROM pages WHERE space_id = '{}' AND title = {} AND deleted_at IS NULL",
        space.id,
        lit(title)
    ));
    assert!(
        !id.is_empty() && !id.contains('\n'),
        "one live page {title:?} expected, got {id:?}"
    );
    id
}

fn text_of(c: &Cluster, page_id: &str) -> String {
    c.sql(&format!(
        "SELECT text_content FROM pages WHERE id = '{page_id}'"
    ))
}

fn parent_of(c: &Cluster, page_id: &str) -> String {
    c.sql(&format!(
        "SELECT coalesce(parent_page_id::text, '') FROM pages WHERE id = '{page_id}'"
    ))
}

fn is_trashed(c: &Cluster, page_id: &str) -> bool {
    c.sql(&format!(
        "SELECT deleted_at IS NOT NULL FROM pages WHERE id = '{page_id}'"
    )) == "t"
}

fn push_failures(result: &Value) -> i64 {
    result["push"]["failures"].as_i64().unwrap_or(0)
}

/// Two cycles that change nothing anywhere: no DB write, no new commit.
fn assert_quiescent(c: &Cluster, space: &Space) {
    let db = c.db_fingerprint(space);
    let main = c.rev(&space.id, "main");
    let docmost = c.rev(&space.id, "docmost");
    for _ in 0..2 {
        let r = c.run_cycle(space);
        assert_eq!(push_failures(&r), 0, "{r}");
    }
    assert_eq!(
        c.db_fingerprint(space),
        db,
        "an idle cycle wrote to the database"
    );
    assert_eq!(
        c.rev(&space.id, "main"),
        main,
        "an idle cycle committed on main"
    );
    assert_eq!(
        c.rev(&space.id, "docmost"),
        docmost,
        "an idle cycle committed on docmost"
    );
}

fn no_markers(text: &str) -> bool {
    !text.contains("<<<<<<<") && !text.contains(">>>>>>>")
}

fn assert_no_markers_anywhere(c: &Cluster, space: &Space) {
    for rev in ["main", "docmost"] {
        for f in c.vault_files(&space.id, rev) {
            let body = c.vault_file(&space.id, rev, &f).unwrap_or_default();
            assert!(no_markers(&body), "conflict markers in {rev}:{f}:\n{body}");
        }
    }
    let db = c.sql(&format!(
        "SELECT count(*) FROM pages WHERE space_id = '{}' AND (content::text LIKE '%<<<<<<<%' OR text_content LIKE '%<<<<<<<%')",
        space.id
    ));
    assert_eq!(db, "0", "conflict markers reached the database");
}

/// SPEC §8.6: every kind of git change reaches the DB exactly once.
#[test]
fn scenario6_git_changes_reach_the_db_exactly_once() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "push6");
    let a = c.insert_page(&s, "push6aaaaa", "A", None, "Text A");
    let b = c.insert_page(&s, "push6bbbbb", "B", None, "Text B");
    let child = c.insert_page(&s, "push6ccccc", "C", Some(&b), "Text C");
    c.run_cycle(&s);

    let w = Checkout::of(&c, &s, "clone6");
    w.write("A.md", page_file(&a, "Edited A"));
    w.write("New.md", "Brand new page\n");
    w.write("Folder/Folder.md", "Folder body\n");
    w.write("Folder/Kid.md", "Kid body\n");
    w.git(&["rm", "-q", "B/C.md"]);
    w.commit_and_push("edit, create, nested create, delete");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");

    assert_eq!(text_of(&c, &a).trim(), "Edited A");
    let kept = c.sql(&format!(
        "SELECT count(*) FROM gitsync.replaced_body r JOIN page_history h ON h.id = r.history_id \
          WHERE r.page_id = '{a}' AND h.page_id = '{a}' AND h.content::text LIKE '%Text A%'"
    ));
    assert_eq!(
        kept, "1",
        "the replaced body is kept in page_history, with its ydoc beside it"
    );
    let new = live_page_id(&c, &s, "New");
    assert_eq!(text_of(&c, &new).trim(), "Brand new page");
    assert_eq!(parent_of(&c, &new), "");
    let slug = c.sql(&format!(
        "SELECT slug_id ~ '^[0-9A-Za-z]{{10}}$' FROM pages WHERE id = '{new}'"
    ));
    assert_eq!(
        slug, "t",
        "a new page gets a 10-character alphanumeric slug_id"
    );
    let last_root = c.sql(&format!(
        "SELECT id FROM pages WHERE space_id = '{}' AND parent_page_id IS NULL AND id IN ('{a}', '{b}', '{new}') \
          ORDER BY position COLLATE \"C\" DESC LIMIT 1",
        s.id
    ));
    assert_eq!(
        last_root, new,
        "a new page sorts after its existing siblings"
    );
    let folder = live_page_id(&c, &s, "Folder");
    let kid = live_page_id(&c, &s, "Kid");
    assert_eq!(parent_of(&c, &kid), folder);
    assert!(is_trashed(&c, &child), "git rm must trash the page");
    assert!(!is_trashed(&c, &b));
    // The new pages' ids are written back into their files on main.
    assert_eq!(
        c.vault_file(&s.id, "main", "New.md").unwrap(),
        page_file(&new, "Brand new page")
    );
    assert_eq!(
        c.vault_file(&s.id, "main", "Folder/Kid.md").unwrap(),
        page_file(&kid, "Kid body")
    );
    assert_quiescent(&c, &s);

    w.pull();
    w.git(&["mv", "A.md", "A renamed.md"]);
    w.write("A renamed.md", page_file(&a, "Edited A again"));
    w.git(&["mv", "New.md", "Folder/New.md"]);
    w.write("Copy of kid.md", w.read("Folder/Kid.md"));
    w.commit_and_push("rename+edit, move into a folder, copy");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");

    assert_eq!(
        c.sql(&format!("SELECT title FROM pages WHERE id = '{a}'")),
        "A renamed"
    );
    assert_eq!(text_of(&c, &a).trim(), "Edited A again");
    assert_eq!(parent_of(&c, &new), folder);
    assert_eq!(page_count(&c, &s, "Kid"), 1, "the original keeps its page");
    let copy = live_page_id(&c, &s, "Copy of kid");
    assert_ne!(copy, kid);
    assert_eq!(text_of(&c, &copy).trim(), "Kid body");
    assert_eq!(page_count(&c, &s, "New"), 1, "a move is not a create");
    assert_quiescent(&c, &s);
}

fn paragraphs(texts: &[&str]) -> Value {
    json!({"type": "doc", "content": texts.iter().map(|t| json!(
        {"type": "paragraph", "content": [{"type": "text", "text": t}]}
    )).collect::<Vec<_>>()})
}

fn body(texts: &[&str]) -> String {
    texts.join("\n\n")
}

const BASE: [&str; 5] = [
    "First block.",
    "Second block.",
    "Third block.",
    "Fourth block.",
    "Fifth block.",
];

/// BASE with git's edit of the first block.
const GIT_EDIT: [&str; 5] = ["First block, from git.", BASE[1], BASE[2], BASE[3], BASE[4]];
/// BASE with the wiki's edit of the fifth block.
const WIKI_EDIT: [&str; 5] = [
    BASE[0],
    BASE[1],
    BASE[2],
    BASE[3],
    "Fifth block, from the wiki.",
];
/// Both of the above.
const BOTH_EDITS: [&str; 5] = [GIT_EDIT[0], BASE[1], BASE[2], BASE[3], WIKI_EDIT[4]];

/// A cluster with one page of the five BASE blocks, exported once.
fn five_block_page(space_slug: &str, page_slug: &str) -> (Cluster, Space, String) {
    let (c, s) = Cluster::start_with_space(Config::manual(), space_slug);
    let p = c.insert_page_content(
        &s,
        page_slug,
        "P",
        None,
        &paragraphs(&BASE),
        &BASE.join("\n"),
    );
    c.run_cycle(&s);
    (c, s, p)
}

/// Clones the vault, gives P the given blocks, commits and pushes.
fn push_blocks(c: &Cluster, s: &Space, p: &str, clone: &str, blocks: &[&str]) {
    let w = Checkout::of(c, s, clone);
    w.write("P.md", page_file(p, &body(blocks)));
    w.commit_and_push("git edits P");
}

/// SPEC §8.7: the same block edited on both sides → git's block wins, the
/// DB's other edits are kept, no markers anywhere, `pull.conflict` true.
#[test]
fn scenario7_same_block_edited_on_both_sides() {
    let (c, s, p) = five_block_page("merge7", "merge7pppp");
    push_blocks(&c, &s, &p, "clone7", &GIT_EDIT);
    let wiki = [
        "First block, from the wiki.",
        BASE[1],
        BASE[2],
        BASE[3],
        WIKI_EDIT[4],
    ];
    c.set_content(&p, &paragraphs(&wiki), &wiki.join("\n\n"));

    let r = c.run_cycle(&s);
    assert_eq!(r["pull"]["conflict"], json!(true), "{r}");
    assert_eq!(
        c.vault_file(&s.id, "main", "P.md").unwrap(),
        page_file(&p, &body(&BOTH_EDITS))
    );
    assert_eq!(text_of(&c, &p).trim(), BOTH_EDITS.join("\n\n"));
    assert_no_markers_anywhere(&c, &s);
    assert_quiescent(&c, &s);
}

/// SPEC §8.7, second half: disjoint edits both survive, no conflict.
#[test]
fn scenario7_disjoint_edits_both_survive() {
    let (c, s, p) = five_block_page("merge7b", "merge7qqqq");
    push_blocks(&c, &s, &p, "clone7b", &GIT_EDIT);
    c.set_content(&p, &paragraphs(&WIKI_EDIT), &WIKI_EDIT.join("\n\n"));

    let r = c.run_cycle(&s);
    assert_eq!(r["pull"]["conflict"], json!(false), "{r}");
    assert_eq!(
        c.vault_file(&s.id, "main", "P.md").unwrap(),
        page_file(&p, &body(&BOTH_EDITS))
    );
    assert_eq!(text_of(&c, &p).trim(), BOTH_EDITS.join("\n\n"));
    assert_quiescent(&c, &s);
}

/// SPEC §8.8: add/add, committed markers, autoMergeConflicts, and markers
/// inside a code fence.
#[test]
fn scenario8_add_add_and_conflict_markers() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "merge8");
    let a = c.insert_page(&s, "merge8aaaa", "A", None, "Text A");
    c.run_cycle(&s);

    let w = Checkout::of(&c, &s, "clone8");
    w.write("New.md", "Written in git\n");
    w.commit_and_push("git adds New");
    let db_new = c.insert_page(&s, "merge8nnnn", "New", None, "Written in the wiki");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");
    assert_eq!(
        c.vault_file(&s.id, "main", "New.md").unwrap(),
        page_file(&db_new, "Written in the wiki")
    );
    let git_page = live_page_id(&c, &s, "New ~git");
    assert_eq!(
        c.vault_file(&s.id, "main", "New ~git.md").unwrap(),
        page_file(&git_page, "Written in git"),
        "git's body is kept beside, as a page of its own"
    );
    let pages_with_git_text = c.sql(&format!(
        "SELECT count(*) FROM pages WHERE space_id = '{}' AND deleted_at IS NULL AND text_content LIKE '%Written in git%'",
        s.id
    ));
    assert_eq!(
        pages_with_git_text, "1",
        "git's page becomes a second page, once"
    );
    assert_no_markers_anywhere(&c, &s);

    // Markers committed by a user are a per-page failure until fixed.
    w.pull();
    let marked = "<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs";
    w.write("A.md", page_file(&a, marked));
    w.commit_and_push("oops, markers");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 1, "{r}");
    assert!(
        r["push"]["firstFailure"]["error"]
            .as_str()
            .unwrap_or("")
            .contains("conflict markers"),
        "{r}"
    );
    assert_eq!(text_of(&c, &a).trim(), "Text A");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 1, "still failing until fixed: {r}");
    w.write("A.md", page_file(&a, "Fixed A"));
    w.commit_and_push("fix markers");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");
    assert_eq!(text_of(&c, &a).trim(), "Fixed A");

    // Markers inside a fenced code block are content.
    w.pull();
    let fenced = format!("Example:\n\n```\n{marked}\n```");
    w.write("A.md", page_file(&a, &fenced));
    w.commit_and_push("document a conflict");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");
    assert!(text_of(&c, &a).contains("<<<<<<< ours"));

    // With autoMergeConflicts the markers are stripped, both sides kept.
    c.set_space_settings(
        &s,
        &json!({"gitSync": {"enabled": true, "autoMergeConflicts": true}}),
    );
    w.pull();
    w.write("A.md", page_file(&a, marked));
    w.commit_and_push("markers again");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");
    let text = text_of(&c, &a);
    assert!(
        text.contains("mine") && text.contains("theirs") && no_markers(&text),
        "{text}"
    );
    let file = c.vault_file(&s.id, "main", "A.md").unwrap();
    assert!(
        no_markers(&file) && file.contains("mine") && file.contains("theirs"),
        "{file}"
    );
}

/// SPEC §8.9: a page moved to another enabled space is not trashed; its
/// file leaves A's vault and appears in B's.
#[test]
fn scenario9_page_moved_to_another_space() {
    let (c, a_space) = Cluster::start_with_space(Config::manual(), "move9a");
    let b_id = c.sql(&format!(
        "INSERT INTO spaces (name, slug, creator_id, workspace_id, settings) \
         VALUES ('move9b', 'move9b', '{}', '{}', '{{\"gitSync\":{{\"enabled\":true}}}}') RETURNING id",
        a_space.author_id, a_space.workspace_id
    ));
    let b_space = Space {
        id: b_id,
        slug: "move9b".into(),
        ..a_space.clone()
    };
    let keep = c.insert_page(&a_space, "move9kkkkk", "Keep", None, "Stays");
    let p = c.insert_page(&a_space, "move9ppppp", "Travels", None, "Goes to B");
    c.run_cycle(&a_space);
    c.run_cycle(&b_space);
    assert!(c.vault_file(&a_space.id, "main", "Travels.md").is_some());

    c.sql(&format!(
        "UPDATE pages SET space_id = '{}' WHERE id = '{p}'",
        b_space.id
    ));
    c.run_cycle(&a_space);
    c.run_cycle(&b_space);
    assert!(!is_trashed(&c, &p), "a page moved out must not be trashed");
    assert_eq!(
        c.vault_files(&a_space.id, "main"),
        vec!["Keep.md".to_string()]
    );
    assert_eq!(
        c.vault_file(&b_space.id, "main", "Travels.md").unwrap(),
        page_file(&p, "Goes to B")
    );
    assert!(!is_trashed(&c, &keep));
    assert_quiescent(&c, &a_space);
}

/// SPEC §8.10: hostile vault content has no effect on the DB and does not
/// wedge the space.
#[test]
fn scenario10_hostile_push_has_no_effect() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "hostile10");
    let other = c.new_space("hostile10other");
    let foreign = c.insert_page(&other, "hostileff1", "Foreign", None, "Not yours");
    let a = c.insert_page(&s, "hostileaaa", "A", None, "Text A");
    c.run_cycle(&s);
    let before = c.db_fingerprint(&s);
    let other_before = c.db_fingerprint(&other);

    let w = Checkout::of(&c, &s, "clone10");
    w.write("Malformed.md", "---\ngitmost_id: not-a-uuid\n---\n\nx\n");
    w.write(
        "Unknown.md",
        page_file("0190c0de-0000-7000-8000-0000000000ff", "nobody"),
    );
    w.write("Foreign.md", page_file(&foreign, "Taken over"));
    w.write("Binary.md", [0xff_u8, 0xfe, 0x00, 0x80, b'\n']);
    w.write("Big.md", "x".repeat(2 * 1024 * 1024));
    w.write(".github/Hidden.md", "dot folder\n");
    w.write("notes.txt", "not a page\n");
    std::os::unix::fs::symlink("A.md", w.path("Link.md")).unwrap();
    chown_postgres(&w.dir);
    w.git(&["add", "-A"]);
    let head = w.git(&["rev-parse", "HEAD"]);
    w.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{},Sub.md", head.trim()),
    ]);
    w.git(&["commit", "-q", "-m", "hostile content"]);
    w.git(&["push", "-q", "origin", "main"]);

    let r = c.run_cycle(&s);
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(
        c.db_fingerprint(&other),
        other_before,
        "another space's page was touched"
    );
    // Only the per-file failures (binary, oversized) may be recorded; the
    // DB holds exactly what it held.
    assert_eq!(
        c.db_fingerprint(&s),
        before,
        "hostile content reached the DB: {r}"
    );

    // The space is not wedged: a real edit still lands.
    w.pull();
    w.write("A.md", page_file(&a, "Still syncing"));
    w.commit_and_push("a real edit");
    c.run_cycle(&s);
    assert_eq!(text_of(&c, &a).trim(), "Still syncing");
}

/// SPEC §8.12: a rolled-back cycle changes nothing that matters; the next
/// cycle converges with every edit present exactly once.
#[test]
fn scenario12_rolled_back_cycle_then_converge() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "rollback12");
    let a = c.insert_page(&s, "rollbackaa", "A", None, "Text A");
    let b = c.insert_page(&s, "rollbackbb", "B", None, "Text B");
    c.run_cycle(&s);

    let w = Checkout::of(&c, &s, "clone12");
    w.write("A.md", page_file(&a, "A from git"));
    w.write("Created.md", "Created in git\n");
    w.commit_and_push("git side");
    c.update_body(&b, "B from the wiki");
    let main = c.rev(&s.id, "main");
    let docmost = c.rev(&s.id, "docmost");
    let db = c.db_fingerprint(&s);

    c.sql(&format!(
        "BEGIN; SELECT gitsync_run_once('{}'); ROLLBACK;",
        s.id
    ));
    assert_eq!(c.rev(&s.id, "main"), main);
    assert_eq!(c.rev(&s.id, "docmost"), docmost);
    assert_eq!(c.db_fingerprint(&s), db);

    c.run_cycle(&s);
    assert_eq!(text_of(&c, &a).trim(), "A from git");
    assert_eq!(page_count(&c, &s, "Created"), 1);
    assert_eq!(
        c.vault_file(&s.id, "main", "B.md").unwrap(),
        page_file(&b, "B from the wiki")
    );
    assert_quiescent(&c, &s);
    assert_eq!(page_count(&c, &s, "Created"), 1);
}

/// A `git push` landing between a cycle's read of `main` and its ref
/// update (the cycle's transaction is still open) is not overwritten.
#[test]
fn push_landing_mid_cycle_is_kept() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "midpush");
    let a = c.insert_page(&s, "midpushaaa", "A", None, "Text A");
    let b = c.insert_page(&s, "midpushbbb", "B", None, "Text B");
    c.run_cycle(&s);
    let w = Checkout::of(&c, &s, "clonemid");

    c.update_body(&b, "B from the wiki");
    let mut cycle = c.session();
    cycle.run(
        &format!("BEGIN; SELECT gitsync_run_once('{}');", s.id),
        "gitsync_run_once",
    );
    w.write("A.md", page_file(&a, "A pushed mid-cycle"));
    w.commit_and_push("lands mid-cycle");
    let pushed = w.git(&["rev-parse", "HEAD"]).trim().to_string();
    cycle.run("COMMIT;", "COMMIT");
    drop(cycle);

    let main = c.rev(&s.id, "main").unwrap();
    let kept = c.git_in(
        &c.vault_path(&s.id),
        &["merge-base", "--is-ancestor", &pushed, &main],
    );
    assert!(kept.status.success(), "the pushed commit left main");
    c.run_cycle(&s);
    c.run_cycle(&s);
    assert_eq!(text_of(&c, &a).trim(), "A pushed mid-cycle");
    assert_eq!(
        c.vault_file(&s.id, "main", "B.md").unwrap(),
        page_file(&b, "B from the wiki")
    );
    assert_eq!(
        c.vault_file(&s.id, "main", "A.md").unwrap(),
        page_file(&a, "A pushed mid-cycle")
    );
    assert_quiescent(&c, &s);
}

/// A page edited in the DB while a cycle runs (after the cycle read it,
/// before it writes) keeps the DB edit; the git edit is not lost either.
#[test]
fn db_edit_during_a_cycle_survives() {
    let (c, s, p) = five_block_page("midedit", "mideditppp");
    push_blocks(&c, &s, &p, "clonemidedit", &GIT_EDIT);

    // The editor's save holds the row: the cycle reads the old row, and its
    // compare-and-swap write waits for the save and then finds it changed.
    let mut editor = c.session();
    editor.run(
        &format!(
            "BEGIN; UPDATE pages SET content = {}::jsonb, text_content = {}, updated_at = clock_timestamp() WHERE id = '{p}';",
            lit(&paragraphs(&WIKI_EDIT).to_string()),
            lit(&WIKI_EDIT.join("\n\n"))
        ),
        "UPDATE pages",
    );
    let mut cycle = c.session();
    cycle.send(&format!("SELECT gitsync_run_once('{}');", s.id));
    c.wait_until(gitsync_pg_test::WORKER_TIMEOUT, "the cycle to wait for the editor's row", || {
        c.sql(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%gitsync_run_once%' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ) != "0"
    });
    editor.run("COMMIT;", "COMMIT");
    drop(editor);
    drop(cycle.finish());

    c.run_cycle(&s);
    c.run_cycle(&s);
    assert_eq!(text_of(&c, &p).trim(), BOTH_EDITS.join("\n\n"));
    assert_eq!(
        c.vault_file(&s.id, "main", "P.md").unwrap(),
        page_file(&p, &body(&BOTH_EDITS))
    );
    assert_quiescent(&c, &s);
}

/// No echo: once a push has landed, idle cycles never touch `updated_at`.
#[test]
fn idle_cycles_after_a_push_do_not_write() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "noecho");
    let a = c.insert_page(&s, "noechoaaaa", "A", None, "Text A");
    c.insert_page(&s, "noechobbbb", "B", None, "Text B");
    c.run_cycle(&s);
    let w = Checkout::of(&c, &s, "clonenoecho");
    w.write("A.md", page_file(&a, "Edited"));
    w.write("C.md", "New page\n");
    w.commit_and_push("edit and create");
    c.run_cycle(&s);
    let stamps = |c: &Cluster| {
        c.sql(&format!(
            "SELECT string_agg(id || updated_at::text, ',' ORDER BY id) FROM pages WHERE space_id = '{}'",
            s.id
        ))
    };
    let before = stamps(&c);
    for _ in 0..3 {
        c.run_cycle(&s);
    }
    assert_eq!(stamps(&c), before);
}

/// `gitsync.max_file_size` bounds what the push reads: a larger page file
/// is a per-file failure until the limit is raised (SPEC §7).
#[test]
fn max_file_size_is_a_per_file_limit() {
    let (c, s) = Cluster::start_with_space(Config::manual(), "maxsize");
    let a = c.insert_page(&s, "maxsizeaaa", "A", None, "Text A");
    c.insert_page(&s, "maxsizebbb", "B", None, "Text B");
    c.run_cycle(&s);
    c.set_guc("gitsync.max_file_size", "1kB");
    let w = Checkout::of(&c, &s, "clonemaxsize");
    let long = "word ".repeat(400);
    w.write("A.md", page_file(&a, long.trim()));
    w.write("Small.md", "Small page\n");
    w.commit_and_push("one large, one small");

    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 1, "{r}");
    assert_eq!(r["push"]["firstFailure"]["path"], json!("A.md"), "{r}");
    assert_eq!(text_of(&c, &a).trim(), "Text A");
    assert_eq!(page_count(&c, &s, "Small"), 1, "the other file still lands");

    c.set_guc("gitsync.max_file_size", "1MB");
    let r = c.run_cycle(&s);
    assert_eq!(push_failures(&r), 0, "{r}");
    assert_eq!(text_of(&c, &a).trim(), long.trim());
}
