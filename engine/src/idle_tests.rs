//! The idle fast path against a MemStore and a temporary vault, opened
//! anew for every cycle as the extension does: it answers only after a
//! settled cycle, and every change a full cycle would act on sends the
//! next cycle down the full path.

use super::*;
use crate::cycle::DEFAULT_MAX_FILE_BYTES;
use crate::model::PageMeta;
use crate::pagefile;
use crate::store::MemStore;
use crate::testkit::{doc, id, page_meta, ACTOR, OTHER_SPACE, SPACE};
use crate::vault::{vault_path, RefUpdate, DOCMOST, MAIN};
use serde_json::json;
use std::path::PathBuf;

struct World {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: MemStore,
    auto_merge: bool,
    max_file_bytes: usize,
    /// The key the last cycle left, as the extension's space_state holds it.
    recorded: Option<String>,
}

impl World {
    /// Three pages, exported, then one full idle cycle that settles.
    fn settled() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut w = World {
            path: vault_path(dir.path(), SPACE),
            _dir: dir,
            store: MemStore::default(),
            auto_merge: false,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            recorded: None,
        };
        for (n, title, parent) in [(1, "A", None), (2, "B", None), (3, "C", Some(2))] {
            w.page(n, title, parent);
        }
        let first = w.run();
        assert_eq!(first.outcome.written, 3);
        assert!(
            first.idle_key.is_none(),
            "a cycle that wrote is not settled"
        );
        let settle = w.run();
        assert!(
            settle.route != Route::Idle && settle.idle_key.is_some(),
            "{settle:?}"
        );
        w
    }

    fn page(&mut self, n: u32, title: &str, parent: Option<u32>) {
        let meta = page_meta(n, title, parent);
        self.store
            .put(SPACE, meta, Some(doc(&format!("Hello {title}"))));
    }

    fn meta_mut(&mut self, n: u32) -> &mut PageMeta {
        &mut self.store.page_mut(&id(n)).1
    }

    /// One cycle as run.rs runs it: a freshly opened vault, the recorded
    /// key in, ref moves applied as after a commit, the new key recorded.
    fn run(&mut self) -> Ran {
        let vault = Vault::open_or_init(&self.path).unwrap();
        let opts = CycleOptions {
            actor: ACTOR,
            auto_merge_conflicts: self.auto_merge,
            max_file_bytes: self.max_file_bytes,
        };
        let ran = cycle_unless_idle(
            &mut self.store,
            &vault,
            SPACE,
            &opts,
            self.recorded.as_deref(),
        )
        .unwrap();
        let lost = vault.apply_ref_updates(&ran.outcome.ref_updates).unwrap();
        assert!(lost.is_empty(), "{lost:?}");
        self.recorded = ran.idle_key.clone();
        ran
    }

    fn vault(&self) -> Vault {
        Vault::open_or_init(&self.path).unwrap()
    }

    fn main_paths(&self) -> Vec<String> {
        let vault = self.vault();
        let main = vault.required_ref(MAIN).unwrap();
        vault.page_files(main).unwrap().into_keys().collect()
    }

    /// A git user's commit on `main` writing `path`.
    fn git_write(&self, path: &str, text: &str) {
        let vault = self.vault();
        let main = vault.required_ref(MAIN).unwrap();
        let blob = vault.write_blob(text.as_bytes()).unwrap();
        let tree = vault
            .updated_tree(main, &[(path.to_string(), blob)], &[])
            .unwrap();
        let commit = vault.commit(tree, &[main], "user edit").unwrap();
        let update = RefUpdate {
            name: MAIN.into(),
            old: main,
            new: commit,
        };
        assert!(vault.apply_ref_updates(&[update]).unwrap().is_empty());
    }

    /// Asserts that the next cycle takes `route` and acts, and that the
    /// space then settles and goes fast again.
    fn assert_picked_up_by(&mut self, route: Route, what: &str) -> Ran {
        let ran = self.run();
        assert_eq!(ran.route, route, "{what}: {ran:?}");
        assert!(!is_settled(&ran.outcome), "{what}: nothing done: {ran:?}");
        if route == Route::Edits {
            // It leaves the key of where it left the space.
            assert!(ran.idle_key.is_some(), "{what}: {ran:?}");
            self.assert_fast(what);
        } else {
            self.assert_settles(what);
        }
        ran
    }

    fn assert_picked_up(&mut self, what: &str) -> Ran {
        self.assert_picked_up_by(Route::Full, what)
    }

    /// A full cycle that records a key, then the fast path.
    fn assert_settles(&mut self, what: &str) {
        let settle = self.run();
        assert!(
            settle.route == Route::Full && settle.idle_key.is_some(),
            "{what}: {settle:?}"
        );
        self.assert_fast(what);
    }

    fn assert_fast(&mut self, what: &str) {
        let fast = self.run();
        assert_eq!(fast.route, Route::Idle, "{what}: not fast: {fast:?}");
        assert!(is_settled(&fast.outcome));
    }

    /// A body edit in the DB, as Docmost saves one: stamped now, later
    /// than anything before it (the push's writes included).
    fn edit_body(&mut self, n: u32, text: &str) {
        let now = self.store.clock_us;
        let (_, meta, content) = self.store.page_mut(&id(n));
        meta.updated_at_us = meta.updated_at_us.max(now) + 1;
        *content = Some(doc(text));
    }

    fn main_file(&self, path: &str) -> String {
        let vault = self.vault();
        let main = vault.required_ref(MAIN).unwrap();
        let blob = vault.page_files(main).unwrap()[path];
        String::from_utf8(vault.read_blob(blob).unwrap()).unwrap()
    }
}

#[test]
fn a_settled_space_is_answered_without_reading_pages() {
    let mut w = World::settled();
    let contents = w.store.contents_read;
    let ran = w.run();
    assert!(ran.route == Route::Idle, "{ran:?}");
    assert_eq!(ran.idle_key, w.recorded);
    let out = &ran.outcome;
    assert_eq!((out.written, out.deleted, out.conflict), (0, 0, false));
    assert!(out.ref_updates.is_empty() && out.push.failures.is_empty());
    let vault = w.vault();
    assert_eq!(out.main, vault.required_ref(MAIN).unwrap());
    assert_eq!(out.docmost, vault.required_ref(DOCMOST).unwrap());
    assert_eq!(w.store.contents_read, contents);
}

#[test]
fn db_edits_without_updated_at_are_still_seen() {
    let mut w = World::settled();
    w.meta_mut(1).title = Some("A2".into());
    let ran = w.assert_picked_up("rename without updated_at");
    assert_eq!(ran.outcome.written, 1);
    assert_eq!(w.main_paths(), ["A2.md", "B/B.md", "B/C.md"]);

    w.meta_mut(1).parent_id = Some(id(2));
    w.assert_picked_up("move without updated_at");
    assert_eq!(w.main_paths(), ["B/A2.md", "B/B.md", "B/C.md"]);

    w.meta_mut(3).deleted = true;
    w.assert_picked_up("trash");
    assert_eq!(w.main_paths(), ["B/A2.md", "B/B.md"]);
}

#[test]
fn a_change_that_writes_nothing_still_runs_in_full() {
    let mut w = World::settled();
    // A new slug alone changes no path: the full cycle re-exports the
    // same bytes, and settles at once.
    w.meta_mut(1).slug_id = "slugnew001".into();
    let ran = w.run();
    assert!(
        ran.route != Route::Idle && ran.idle_key.is_some(),
        "{ran:?}"
    );
    assert_eq!(w.run().route, Route::Idle);
}

#[test]
fn a_body_edit_and_a_page_leaving_the_space_are_seen() {
    let mut w = World::settled();
    w.edit_body(1, "Edited");
    let ran = w.assert_picked_up_by(Route::Edits, "body edit");
    assert_eq!(ran.outcome.written, 1);

    w.store.page_mut(&id(1)).0 = OTHER_SPACE.into();
    assert_eq!(w.assert_picked_up("moved out").outcome.deleted, 1);
    assert_eq!(w.main_paths(), ["B/B.md", "B/C.md"]);
}

#[test]
fn a_git_push_and_a_recreated_vault_are_seen() {
    let mut w = World::settled();
    w.git_write("B/C.md", &pagefile::render(&id(3), &[], "From git"));
    assert_eq!(w.assert_picked_up("git push").outcome.push.updated, 1);

    std::fs::remove_dir_all(&w.path).unwrap();
    let ran = w.assert_picked_up("deleted vault");
    assert_eq!(ran.outcome.written, 3);
    assert_eq!(w.main_paths(), ["A.md", "B/B.md", "B/C.md"]);
}

#[test]
fn settings_that_change_a_cycle_are_in_the_key() {
    let mut w = World::settled();
    for change in 0..2 {
        match change {
            0 => w.auto_merge = true,
            _ => w.max_file_bytes = 10,
        }
        // Nothing to do, but the changed setting is not trusted blindly.
        let ran = w.run();
        assert!(ran.route != Route::Idle, "setting {change}: {ran:?}");
        assert!(ran.idle_key.is_some());
        assert_eq!(w.run().route, Route::Idle);
    }
}

#[test]
fn a_failing_page_is_retried_by_every_cycle() {
    let mut w = World::settled();
    let (_, meta, content) = w.store.page_mut(&id(1));
    meta.updated_at_us += 1;
    *content = Some(json!({"type": "doc", "content": [{"type": "bogusNode"}]}));
    for _ in 0..3 {
        let ran = w.run();
        assert!(
            ran.route != Route::Idle && ran.idle_key.is_none(),
            "{ran:?}"
        );
        assert_eq!(ran.outcome.failures.len(), 1);
    }
    w.store.page_mut(&id(1)).2 = Some(doc("Fixed"));
    w.meta_mut(1).updated_at_us += 1;
    w.assert_picked_up("fixed page");
}

#[test]
fn held_back_deletions_and_kept_files_keep_the_full_path() {
    let mut w = World::settled();
    for n in [1, 3] {
        w.meta_mut(n).deleted = true;
    }
    w.page(4, "D", None);
    w.page(5, "E", None);
    w.run();
    w.assert_settles("new pages");
    for n in [2, 4, 5] {
        w.meta_mut(n).deleted = true;
    }
    // Every page trashed: the deletions are held back, and stay pending.
    for _ in 0..2 {
        let ran = w.run();
        assert!(
            ran.route != Route::Idle && ran.idle_key.is_none(),
            "{ran:?}"
        );
        assert!(ran.outcome.kept_files > 0 && !ran.outcome.warnings.is_empty());
    }
}

#[test]
fn a_key_damaged_by_hand_runs_the_full_cycle() {
    let mut w = World::settled();
    let key = w.recorded.clone().unwrap();
    let (start, _) = key.rsplit_once("; pages ").unwrap();
    w.recorded = Some(format!("{start}; pages not a digest"));
    w.edit_body(1, "Edited");
    let ran = w.run();
    assert_eq!(ran.route, Route::Full, "{ran:?}");
    assert_eq!(ran.outcome.written, 1);
    assert_eq!(w.main_file("A.md"), exported_file(1, "Edited"));
}

#[test]
fn a_key_of_another_format_is_not_trusted() {
    let mut w = World::settled();
    w.recorded = w
        .recorded
        .as_ref()
        .map(|k| k.replace(&format!("key {KEY_FORMAT};"), "key 0;"));
    let ran = w.run();
    assert!(
        ran.route != Route::Idle && ran.idle_key.is_some(),
        "{ran:?}"
    );
    assert_eq!(w.run().route, Route::Idle);
}

fn exported_file(n: u32, text: &str) -> String {
    let body = crate::convert::export_body(Some(&doc(text))).unwrap();
    pagefile::render(&id(n), &[], &body)
}

#[test]
fn body_edits_read_only_the_edited_pages_and_leave_what_a_full_cycle_would() {
    let mut w = World::settled();
    for round in 0..3 {
        let read = w.store.contents_read;
        w.edit_body(3, &format!("C, round {round}"));
        w.edit_body(1, &format!("A, round {round}"));
        let ran = w.run();
        assert_eq!(ran.route, Route::Edits, "round {round}: {ran:?}");
        assert_eq!(ran.outcome.written, 2);
        assert_eq!(w.store.contents_read - read, 2, "only the edited bodies");
        // Each edits cycle leaves a key, so the next edit goes this way too.
        assert!(ran.idle_key.is_some());
        assert_eq!(
            w.main_file("B/C.md"),
            exported_file(3, &format!("C, round {round}"))
        );
        assert_eq!(
            w.main_file("A.md"),
            exported_file(1, &format!("A, round {round}"))
        );
    }
    let vault = w.vault();
    let docmost = vault.required_ref(DOCMOST).unwrap();
    assert_eq!(vault.required_ref(MAIN).unwrap(), docmost);

    // A full cycle from there finds nothing to do: the edits route left the
    // vault and the export state just as the full route would have.
    w.recorded = None;
    let full = w.run();
    assert_eq!(full.route, Route::Full);
    assert!(is_settled(&full.outcome), "{full:?}");
    assert_eq!(w.vault().required_ref(DOCMOST).unwrap(), docmost);
}

#[test]
fn a_change_besides_body_edits_takes_the_full_route() {
    // A rename with its updated_at, a rename without one, a new page, a
    // trashed page: each next to a body edit.
    for change in 0..4 {
        let mut w = World::settled();
        w.edit_body(1, "Edited");
        match change {
            0 => {
                w.meta_mut(3).title = Some("C2".into());
                w.meta_mut(3).updated_at_us += 1;
            }
            1 => w.meta_mut(3).title = Some("C2".into()),
            2 => {
                w.page(4, "D", None);
                w.meta_mut(4).updated_at_us = 5_000;
            }
            _ => {
                w.meta_mut(3).deleted = true;
                w.meta_mut(3).updated_at_us += 1;
            }
        }
        let ran = w.assert_picked_up(&format!("change {change}"));
        let out = &ran.outcome;
        let (written, deleted, expected): (usize, usize, &[&str]) = match change {
            0 | 1 => (2, 1, &["A.md", "B/B.md", "B/C2.md"]),
            2 => (2, 0, &["A.md", "B/B.md", "B/C.md", "D.md"]),
            // B has no child left: its file leaves the folder.
            _ => (2, 2, &["A.md", "B.md"]),
        };
        assert_eq!(
            (out.written, out.deleted),
            (written, deleted),
            "change {change}"
        );
        assert_eq!(w.main_paths(), expected, "change {change}");
        assert_eq!(w.main_file("A.md"), exported_file(1, "Edited"));
    }
}

#[test]
fn body_edits_take_the_full_route_while_main_differs_from_docmost() {
    let mut w = World::settled();
    // A file only git has: main's tree is no longer docmost's.
    w.git_write("notes.txt", "kept by git\n");
    w.run();
    w.assert_settles("a non-page file on main");
    w.edit_body(1, "Edited");
    w.assert_picked_up("body edit beside a git-only file");
    assert_eq!(w.main_file("A.md"), exported_file(1, "Edited"));
    let vault = w.vault();
    let main = vault.required_ref(MAIN).unwrap();
    assert!(vault.entries(main).unwrap().contains_key("notes.txt"));
}

#[test]
fn after_a_push_in_the_exports_own_form_edits_take_the_edits_route() {
    let mut w = World::settled();
    w.git_write("A.md", &exported_file(1, "From git"));
    assert_eq!(w.assert_picked_up("git push").outcome.push.updated, 1);
    let vault = w.vault();
    let (main, docmost) = (
        vault.required_ref(MAIN).unwrap(),
        vault.required_ref(DOCMOST).unwrap(),
    );
    assert_ne!(main, docmost, "the push left merge commits on main");
    assert_eq!(
        vault.tree_of(main).unwrap(),
        vault.tree_of(docmost).unwrap()
    );

    w.edit_body(3, "Edited C");
    let ran = w.assert_picked_up_by(Route::Edits, "an edit after a push");
    assert_eq!(ran.outcome.written, 1);
    assert_eq!(w.main_file("B/C.md"), exported_file(3, "Edited C"));
    assert_eq!(w.main_file("A.md"), exported_file(1, "From git"));
}
