//! The idle fast path against a MemStore and a temporary vault, opened
//! anew for every cycle as the extension does: it answers only after a
//! settled cycle, and every change a full cycle would act on sends the
//! next cycle down the full path.

use super::*;
use crate::cycle::DEFAULT_MAX_FILE_BYTES;
use crate::model::PageMeta;
use crate::pagefile;
use crate::store::MemStore;
use crate::testkit::{doc, id};
use crate::vault::{vault_path, RefUpdate, DOCMOST, MAIN};
use serde_json::json;
use std::path::PathBuf;

const SPACE: &str = "0190c0de-0000-7000-8000-00000000aaaa";
const OTHER_SPACE: &str = "0190c0de-0000-7000-8000-00000000bbbb";
const ACTOR: &str = "0190c0de-0000-7000-8000-00000000cccc";

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
        assert!(!settle.fast && settle.idle_key.is_some(), "{settle:?}");
        w
    }

    fn page(&mut self, n: u32, title: &str, parent: Option<u32>) {
        let meta = PageMeta {
            id: id(n),
            slug_id: format!("slug{n:06}"),
            title: Some(title.into()),
            parent_id: parent.map(id),
            deleted: false,
            updated_at_us: 1_000,
        };
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

    /// Asserts that the next cycle runs in full and acts, and that the
    /// space then settles and goes fast again.
    fn assert_picked_up(&mut self, what: &str) -> Ran {
        let ran = self.run();
        assert!(!ran.fast, "{what}: answered by the fast path");
        assert!(!is_settled(&ran.outcome), "{what}: nothing done: {ran:?}");
        self.assert_settles(what);
        ran
    }

    fn assert_settles(&mut self, what: &str) {
        let settle = self.run();
        assert!(
            !settle.fast && settle.idle_key.is_some(),
            "{what}: {settle:?}"
        );
        let fast = self.run();
        assert!(fast.fast, "{what}: not fast once settled: {fast:?}");
    }
}

#[test]
fn a_settled_space_is_answered_without_reading_pages() {
    let mut w = World::settled();
    let contents = w.store.contents_read;
    let ran = w.run();
    assert!(ran.fast, "{ran:?}");
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
    assert!(!ran.fast && ran.idle_key.is_some(), "{ran:?}");
    assert!(w.run().fast);
}

#[test]
fn a_body_edit_and_a_page_leaving_the_space_are_seen() {
    let mut w = World::settled();
    let (_, meta, content) = w.store.page_mut(&id(1));
    meta.updated_at_us += 1;
    *content = Some(doc("Edited"));
    assert_eq!(w.assert_picked_up("body edit").outcome.written, 1);

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
        assert!(!ran.fast, "setting {change}: {ran:?}");
        assert!(ran.idle_key.is_some());
        assert!(w.run().fast);
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
        assert!(!ran.fast && ran.idle_key.is_none(), "{ran:?}");
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
        assert!(!ran.fast && ran.idle_key.is_none(), "{ran:?}");
        assert!(ran.outcome.kept_files > 0 && !ran.outcome.warnings.is_empty());
    }
}

#[test]
fn a_key_of_another_format_is_not_trusted() {
    let mut w = World::settled();
    w.recorded = w
        .recorded
        .as_ref()
        .map(|k| k.replace(&format!("key {KEY_FORMAT};"), "key 0;"));
    let ran = w.run();
    assert!(!ran.fast && ran.idle_key.is_some(), "{ran:?}");
    assert!(w.run().fast);
}
