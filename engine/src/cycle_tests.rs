//! Whole cycles against a MemStore and a temporary bare vault: the push's
//! classification, the merge as the cycle drives it, partial pushes and
//! the absence of echo writes.

use super::*;
use crate::convert;
use crate::model::PageMeta;
use crate::pagefile;
use crate::store::MemStore;
use crate::testkit::{doc, id, page_meta, ACTOR, OTHER_SPACE, SPACE};
use crate::vault::vault_path;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

struct World {
    _dir: tempfile::TempDir,
    vault: Vault,
    store: MemStore,
    auto_merge: bool,
    /// Off while a test's user has committed markers on purpose.
    check_markers: bool,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open_or_init(&vault_path(dir.path(), SPACE)).unwrap();
        World {
            _dir: dir,
            vault,
            store: MemStore::default(),
            auto_merge: false,
            check_markers: true,
        }
    }

    /// A/B/B-C, synced once.
    fn abc() -> World {
        let mut w = World::new();
        w.page(1, "A", None, "Hello A");
        w.page(2, "B", None, "Hello B");
        w.page(3, "C", Some(2), "Hello C");
        w.cycle();
        w.store.writes.clear();
        w
    }

    fn page(&mut self, n: u32, title: &str, parent: Option<u32>, text: &str) {
        let meta = page_meta(n, title, parent);
        self.store.put(SPACE, meta, Some(doc(text)));
    }

    fn edit(&mut self, n: u32, f: impl FnOnce(&mut PageMeta, &mut Option<Value>)) {
        let (_, m, c) = self.store.page_mut(&id(n));
        f(m, c);
        m.updated_at_us += 1;
    }

    fn opts(&self) -> CycleOptions<'static> {
        CycleOptions {
            actor: ACTOR,
            auto_merge_conflicts: self.auto_merge,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }

    /// One cycle with its ref moves applied, as after a commit.
    fn cycle(&mut self) -> CycleOutcome {
        let opts = self.opts();
        let out = cycle(&mut self.store, &self.vault, SPACE, &opts).unwrap();
        let lost = self.vault.apply_ref_updates(&out.ref_updates).unwrap();
        assert!(lost.is_empty(), "{lost:?}");
        assert_eq!(self.vault.required_ref(MAIN).unwrap(), out.main);
        assert_eq!(self.vault.required_ref(DOCMOST).unwrap(), out.docmost);
        if self.check_markers {
            self.assert_no_markers();
        }
        out
    }

    /// A git user's commit on `main`: `Some(text)` writes, `None` removes.
    fn git(&self, changes: &[(&str, Option<&str>)]) {
        let main = self.vault.required_ref(MAIN).unwrap();
        let mut upserts = Vec::new();
        let mut removes = Vec::new();
        for (path, text) in changes {
            match text {
                Some(t) => upserts.push((
                    path.to_string(),
                    self.vault.write_blob(t.as_bytes()).unwrap(),
                )),
                None => removes.push(path.to_string()),
            }
        }
        let tree = self.vault.updated_tree(main, &upserts, &removes).unwrap();
        let c = self.vault.commit(tree, &[main], "user edit").unwrap();
        let lost = self
            .vault
            .apply_ref_updates(&[RefUpdate {
                name: MAIN.into(),
                old: main,
                new: c,
            }])
            .unwrap();
        assert!(lost.is_empty());
    }

    fn files(&self, r#ref: &str) -> BTreeMap<String, String> {
        let c = self.vault.required_ref(r#ref).unwrap();
        self.vault
            .page_files(c)
            .unwrap()
            .into_iter()
            .map(|(p, b)| {
                let text = String::from_utf8(self.vault.read_blob(b).unwrap()).unwrap();
                (p, text)
            })
            .collect()
    }

    fn main_file(&self, path: &str) -> String {
        self.files(MAIN)
            .get(path)
            .cloned()
            .unwrap_or_else(|| panic!("no {path} in {:?}", self.files(MAIN).keys()))
    }

    fn main_paths(&self) -> Vec<String> {
        self.files(MAIN).into_keys().collect()
    }

    fn assert_no_markers(&self) {
        for (path, text) in self.files(MAIN) {
            assert!(!text.contains("<<<<<<< "), "marker in {path}: {text}");
        }
    }

    fn db_md(&self, page: &str) -> String {
        let (_, _, c) = &self.store.pages[page];
        convert::to_markdown(c.as_ref().unwrap()).unwrap()
    }

    fn meta(&self, page: &str) -> PageMeta {
        self.store.pages[page].1.clone()
    }

    /// The page titled `title`, which must be unique.
    fn by_title(&self, title: &str) -> PageMeta {
        let found: Vec<&PageMeta> = self
            .store
            .pages
            .values()
            .map(|(_, m, _)| m)
            .filter(|m| m.title.as_deref() == Some(title))
            .collect();
        assert_eq!(found.len(), 1, "pages titled {title}: {found:?}");
        found[0].clone()
    }

    /// Asserts that further cycles write nothing to the DB and commit nothing.
    fn assert_settled(&mut self) {
        let before = (
            self.vault.required_ref(MAIN).unwrap(),
            self.vault.required_ref(DOCMOST).unwrap(),
        );
        let writes = self.store.writes.len();
        for _ in 0..2 {
            let out = self.cycle();
            assert!(out.push.failures.is_empty(), "{:?}", out.push.failures);
        }
        assert_eq!(
            self.store.writes[writes..],
            [] as [String; 0],
            "echo writes"
        );
        let after = (
            self.vault.required_ref(MAIN).unwrap(),
            self.vault.required_ref(DOCMOST).unwrap(),
        );
        assert_eq!(before, after, "idle cycles made commits");
    }
}

fn page_file(n: u32, body: &str) -> String {
    pagefile::render(&id(n), &[], body)
}

#[test]
fn db_edits_rename_move_trash_are_not_echoed() {
    let mut w = World::abc();
    w.assert_settled();
    w.edit(1, |m, c| {
        m.title = Some("A2".into());
        *c = Some(doc("DB edit"));
    });
    w.edit(3, |m, _| m.parent_id = None);
    w.edit(2, |m, _| m.deleted = true);
    let out = w.cycle();
    assert_eq!(out.push.writes(), 0);
    assert!(w.store.writes.is_empty(), "{:?}", w.store.writes);
    assert_eq!(w.main_paths(), ["A2.md", "C.md"]);
    w.assert_settled();
}

#[test]
fn git_edit_updates_the_page_once_and_keeps_history() {
    let mut w = World::abc();
    w.git(&[("A.md", Some(&page_file(1, "Edited in git")))]);
    let out = w.cycle();
    assert_eq!(
        (out.push.updated, out.push.created, out.push.deleted),
        (1, 0, 0)
    );
    assert_eq!(w.db_md(&id(1)).trim(), "Edited in git");
    assert_eq!(w.store.history, vec![(id(1), Some(doc("Hello A")))]);
    assert_eq!(w.vault.required_ref(LAST_PUSHED).unwrap(), out.main);
    w.assert_settled();
    assert_eq!(w.store.writes.len(), 1);
}

#[test]
fn new_nested_files_become_pages_with_ids_written_back() {
    let mut w = World::abc();
    w.git(&[
        ("N/N.md", Some("# N body\n")),
        ("N/K.md", Some("---\ntags: [x]\n---\nK body\n")),
        ("B/New.md", Some("new under B\n")),
    ]);
    let out = w.cycle();
    assert_eq!(out.push.created, 3, "{:?}", out.push);
    let n = w.by_title("N");
    let k = w.by_title("K");
    let new = w.by_title("New");
    assert_eq!(n.parent_id, None);
    assert_eq!(k.parent_id.as_deref(), Some(n.id.as_str()));
    assert_eq!(new.parent_id, Some(id(2)));
    assert_eq!(
        w.main_file("N/K.md"),
        pagefile::render(&k.id, &["tags: [x]".into()], "K body")
    );
    assert_eq!(
        pagefile::parse(&w.main_file("N/N.md")).id,
        Some(n.id.clone())
    );
    assert!(w.files(DOCMOST).contains_key("N/K.md"));
    w.assert_settled();
    assert_eq!(w.store.writes.len(), 3);
}

#[test]
fn git_rm_trashes_the_page_and_its_descendants() {
    let mut w = World::abc();
    w.git(&[("B/B.md", None), ("B/C.md", None)]);
    let out = w.cycle();
    assert_eq!(out.push.deleted, 1);
    assert!(w.meta(&id(2)).deleted && w.meta(&id(3)).deleted);
    assert!(!w.meta(&id(1)).deleted);
    w.assert_settled();
}

#[test]
fn rename_with_edit_and_move_into_a_folder() {
    let mut w = World::abc();
    w.git(&[
        ("A.md", None),
        ("B/Renamed.md", Some(&page_file(1, "Hello A, edited"))),
    ]);
    let out = w.cycle();
    assert_eq!(
        (out.push.updated, out.push.deleted),
        (1, 0),
        "{:?}",
        out.push
    );
    let a = w.meta(&id(1));
    assert_eq!(a.title.as_deref(), Some("Renamed"));
    assert_eq!(a.parent_id, Some(id(2)));
    assert_eq!(w.db_md(&id(1)).trim(), "Hello A, edited");
    assert_eq!(w.main_paths(), ["B/B.md", "B/C.md", "B/Renamed.md"]);
    w.assert_settled();
}

#[test]
fn a_copied_file_becomes_a_new_page() {
    let mut w = World::abc();
    let a = w.main_file("A.md");
    w.git(&[("A copy.md", Some(&a))]);
    let out = w.cycle();
    assert_eq!((out.push.created, out.push.updated), (1, 0));
    let copy = w.by_title("A copy");
    assert_ne!(copy.id, id(1));
    assert_eq!(pagefile::parse(&w.main_file("A copy.md")).id, Some(copy.id));
    assert_eq!(pagefile::parse(&w.main_file("A.md")).id, Some(id(1)));
    w.assert_settled();
}

#[test]
fn a_trashed_pages_file_coming_back_restores_it() {
    let mut w = World::abc();
    let a = w.main_file("A.md");
    w.edit(1, |m, _| m.deleted = true);
    w.cycle();
    assert!(!w.main_paths().contains(&"A.md".to_string()));
    w.git(&[("A.md", Some(&a))]);
    let out = w.cycle();
    assert_eq!(out.push.updated, 1);
    assert!(!w.meta(&id(1)).deleted);
    w.assert_settled();
}

#[test]
fn malformed_unknown_and_foreign_ids_are_warnings_only() {
    let mut w = World::abc();
    let foreign = PageMeta {
        id: id(50),
        slug_id: "f".into(),
        title: Some("F".into()),
        parent_id: None,
        deleted: false,
        updated_at_us: 1,
    };
    w.store.put(OTHER_SPACE, foreign, Some(doc("foreign")));
    w.git(&[
        (
            "Bad.md",
            Some("---\ngitmost_id: ../../etc/passwd\n---\nx\n"),
        ),
        ("Unknown.md", Some(&page_file(99, "x"))),
        ("Foreign.md", Some(&page_file(50, "x"))),
    ]);
    let out = w.cycle();
    assert!(out.push.failures.is_empty());
    assert_eq!(out.push.writes(), 0);
    assert_eq!(out.push.warnings.len(), 3, "{:?}", out.push.warnings);
    assert!(w.store.writes.is_empty());
    assert_eq!(w.db_md(&id(50)).trim(), "foreign");
}

#[test]
fn conflict_markers_fail_the_page_until_fixed() {
    let mut w = World::abc();
    w.check_markers = false;
    let marked = page_file(1, "a\n\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> x\n");
    w.git(&[
        ("A.md", Some(&marked)),
        (
            "B/C.md",
            Some(&page_file(3, "```\n<<<<<<< a\n=======\n>>>>>>> b\n```")),
        ),
    ]);
    let out = w.cycle();
    assert_eq!(out.push.failures.len(), 1);
    let f = &out.push.failures[0];
    assert_eq!(
        (f.path.as_str(), f.error.as_str()),
        ("A.md", "unresolved conflict markers")
    );
    assert_eq!(out.push.updated, 1, "fenced markers are content");
    assert_eq!(w.db_md(&id(1)).trim(), "Hello A");
    // Retried (and failing) alone, until the user fixes it.
    let out = w.cycle();
    assert_eq!((out.push.failures.len(), out.push.writes()), (1, 0));
    w.git(&[("A.md", Some(&page_file(1, "a\n\nmine")))]);
    let out = w.cycle();
    assert_eq!((out.push.failures.len(), out.push.updated), (0, 1));
    w.assert_settled();
}

#[test]
fn auto_merge_conflicts_strips_markers_and_writes_the_file_back() {
    let mut w = World::abc();
    w.auto_merge = true;
    w.git(&[(
        "A.md",
        Some(&page_file(
            1,
            "a\n\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> x\n",
        )),
    )]);
    let out = w.cycle();
    assert!(out.push.failures.is_empty());
    assert_eq!(w.main_file("A.md"), page_file(1, "a\n\nmine\ntheirs"));
    assert!(w.db_md(&id(1)).contains("mine"));
    w.assert_settled();
}

#[test]
fn too_many_git_copies_refuse_the_push() {
    let mut w = World::abc();
    let files: Vec<(String, String)> = (1..=21)
        .map(|n| (format!("X ~git-{}.md", n + 1), format!("copy {n}\n")))
        .collect();
    let changes: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    w.git(&changes);
    let out = w.cycle();
    assert!(out.push.refused);
    assert_eq!(out.push.failures[0].kind, "refused");
    assert!(w.store.writes.is_empty());
    assert_ne!(w.vault.required_ref(LAST_PUSHED).unwrap(), out.main);
}

#[test]
fn a_partial_push_retries_only_the_failed_page() {
    let mut w = World::abc();
    w.store.fail_writes.insert(id(1));
    w.git(&[
        ("A.md", Some(&page_file(1, "A from git"))),
        ("B/B.md", Some(&page_file(2, "B from git"))),
        ("New.md", Some("brand new\n")),
    ]);
    let out = w.cycle();
    assert_eq!(out.push.failures.len(), 1);
    assert_eq!(out.push.failures[0].page_id, id(1));
    assert_eq!((out.push.updated, out.push.created), (1, 1));
    let report = crate::report::ran(SPACE, &out);
    assert_eq!(report["push"]["failures"], 1);
    assert_eq!(report["push"]["firstFailure"]["pageId"], id(1));
    assert_eq!(w.store.writes.len(), 2);
    w.store.fail_writes.clear();
    let out = w.cycle();
    assert_eq!(
        (out.push.updated, out.push.created),
        (1, 0),
        "{:?}",
        out.push
    );
    assert_eq!(w.store.writes.len(), 3);
    assert_eq!(w.store.writes[2], format!("update {}", id(1)));
    assert_eq!(w.db_md(&id(1)).trim(), "A from git");
    w.assert_settled();
}

#[test]
fn same_block_edited_on_both_sides_git_wins_and_disjoint_edits_survive() {
    let mut w = World::new();
    w.page(1, "A", None, "");
    w.edit(1, |_, c| {
        *c = Some(convert::from_markdown("one\n\ntwo\n\nthree\n\nfour"))
    });
    w.cycle();
    w.git(&[("A.md", Some(&page_file(1, "ONE\n\ntwo\n\nGIT\n\nfour")))]);
    w.edit(1, |_, c| {
        *c = Some(convert::from_markdown("one\n\ntwo\n\nDB\n\nFOUR"))
    });
    let out = w.cycle();
    assert!(out.conflict);
    assert_eq!(out.push.updated, 1);
    assert_eq!(w.db_md(&id(1)).trim(), "ONE\n\ntwo\n\nGIT\n\nFOUR");
    assert_eq!(
        w.main_file("A.md"),
        page_file(1, "ONE\n\ntwo\n\nGIT\n\nFOUR")
    );
    let report = crate::report::ran(SPACE, &out);
    assert_eq!(report["pull"]["conflict"], true);
    w.assert_settled();
}

#[test]
fn add_add_puts_gits_page_beside_the_dbs() {
    let mut w = World::abc();
    w.git(&[("New.md", Some("git's new page\n"))]);
    w.page(7, "New", None, "db's new page");
    let out = w.cycle();
    assert_eq!(out.push.created, 1);
    // The DB's page keeps the path; git's page is titled like its file, so
    // the layout keeps both where the merge put them.
    assert_eq!(w.main_file("New.md"), page_file(7, "db's new page"));
    let git_page = pagefile::parse(&w.main_file("New ~git.md"));
    let created = git_page.id.expect("id written back");
    assert_eq!(w.db_md(&created).trim(), "git's new page");
    assert_eq!(w.meta(&created).title.as_deref(), Some("New ~git"));
    w.assert_settled();
}

#[test]
fn a_file_that_lost_its_frontmatter_keeps_its_page() {
    let mut w = World::abc();
    w.git(&[("A.md", Some("Hello A without frontmatter\n"))]);
    let out = w.cycle();
    assert_eq!((out.push.updated, out.push.created), (1, 0));
    assert_eq!(w.db_md(&id(1)).trim(), "Hello A without frontmatter");
    assert_eq!(
        w.main_file("A.md"),
        page_file(1, "Hello A without frontmatter")
    );
    w.assert_settled();
}

#[test]
fn a_page_moved_to_another_space_is_not_trashed() {
    let mut w = World::abc();
    w.git(&[("A.md", None)]);
    w.store.page_mut(&id(1)).0 = OTHER_SPACE.into();
    let pages = w
        .store
        .pages
        .values()
        .map(|(_, m, _)| m.clone())
        .collect::<Vec<_>>();
    let out = push_alone(&mut w, &pages);
    assert_eq!(out.writes(), 0);
    assert!(!w.meta(&id(1)).deleted);
}

/// The push step alone, from `docmost` to `main`, with `pages` as the
/// rows the pull read.
fn push_alone(w: &mut World, pages: &[PageMeta]) -> push::PushOutcome {
    let opts = push::PushOptions {
        space_id: SPACE,
        actor: ACTOR,
        auto_merge_conflicts: false,
        max_file_bytes: DEFAULT_MAX_FILE_BYTES,
    };
    let base = w.vault.required_ref(DOCMOST).unwrap();
    let head = w.vault.required_ref(MAIN).unwrap();
    push::push(
        &mut w.store,
        &w.vault,
        &opts,
        base,
        head,
        pages,
        &HashMap::new(),
    )
    .unwrap()
}

#[test]
fn a_page_edited_in_docmost_after_the_pull_is_skipped_not_clobbered() {
    let mut w = World::abc();
    w.git(&[("A.md", Some(&page_file(1, "git text")))]);
    let stale: Vec<PageMeta> = w.store.pages.values().map(|(_, m, _)| m.clone()).collect();
    w.edit(1, |_, c| *c = Some(doc("concurrent DB edit")));
    let out = push_alone(&mut w, &stale);
    assert_eq!(out.writes(), 0);
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(w.db_md(&id(1)).trim(), "concurrent DB edit");
    // The next real cycle merges both and pushes git's text.
    w.cycle();
    assert_eq!(w.db_md(&id(1)).trim(), "git text");
}

#[test]
fn a_rolled_back_cycle_converges_on_the_next() {
    let mut w = World::abc();
    w.git(&[
        ("A.md", Some(&page_file(1, "git edit"))),
        ("N.md", Some("new\n")),
    ]);
    // The transaction rolls back: DB writes undone, refs never moved.
    let snapshot = std::mem::take(&mut w.store.pages);
    w.store.pages = snapshot.clone();
    let state = w.store.state.clone();
    let opts = w.opts();
    let out = cycle(&mut w.store, &w.vault, SPACE, &opts).unwrap();
    assert_eq!(out.push.writes(), 2);
    w.store.pages = snapshot;
    w.store.state = state;
    w.store.writes.clear();
    let out = w.cycle();
    assert_eq!((out.push.updated, out.push.created), (1, 1));
    assert_eq!(w.by_title("N").title.as_deref(), Some("N"));
    w.assert_settled();
}

#[test]
fn refs_not_moved_after_a_commit_converge_without_duplicates() {
    let mut w = World::abc();
    w.git(&[
        ("N.md", Some("new page\n")),
        ("A.md", Some(&page_file(1, "git edit"))),
    ]);
    // The DB commits but the ref moves are lost (crash before the callback).
    let opts = w.opts();
    let out = cycle(&mut w.store, &w.vault, SPACE, &opts).unwrap();
    assert_eq!(out.push.created, 1);
    let writes = w.store.writes.len();
    let out = w.cycle();
    assert_eq!(out.push.writes(), 0, "{:?}", out.push);
    assert_eq!(w.store.writes.len(), writes);
    let n = w.by_title("N");
    assert_eq!(pagefile::parse(&w.main_file("N.md")).id, Some(n.id));
    assert_eq!(w.db_md(&id(1)).trim(), "git edit");
    w.assert_settled();
}

#[test]
fn trashing_a_folder_note_keeps_children_whose_files_stay() {
    let mut w = World::abc();
    w.git(&[("B/B.md", None)]);
    let out = w.cycle();
    assert_eq!(
        (out.push.deleted, out.push.updated),
        (1, 1),
        "{:?}",
        out.push
    );
    assert!(w.meta(&id(2)).deleted);
    let c = w.meta(&id(3));
    assert!(!c.deleted);
    assert_eq!(c.parent_id, None);
    assert!(w.main_paths().iter().any(|p| p.ends_with("C.md")));
    w.assert_settled();
}

#[test]
fn a_first_child_beside_a_leaf_goes_under_it() {
    let mut w = World::abc();
    w.git(&[("A/Kid.md", Some("kid\n"))]);
    let out = w.cycle();
    assert_eq!(out.push.created, 1);
    assert_eq!(w.by_title("Kid").parent_id, Some(id(1)));
    assert_eq!(w.main_paths(), ["A/A.md", "A/Kid.md", "B/B.md", "B/C.md"]);
    w.assert_settled();
}

#[test]
fn a_git_push_landing_mid_cycle_is_kept_and_converges() {
    let mut w = World::abc();
    w.git(&[
        ("A.md", Some(&page_file(1, "first git edit"))),
        ("N.md", Some("new\n")),
    ]);
    let opts = w.opts();
    let out = cycle(&mut w.store, &w.vault, SPACE, &opts).unwrap();
    assert_eq!(out.push.writes(), 2);
    // A user's push lands before the ref moves are applied.
    w.git(&[("B/B.md", Some(&page_file(2, "pushed mid-cycle")))]);
    let lost = w.vault.apply_ref_updates(&out.ref_updates).unwrap();
    assert!(lost.iter().any(|u| u.name == MAIN), "{lost:?}");
    let writes = w.store.writes.len();
    let out = w.cycle();
    assert_eq!(
        (out.push.updated, out.push.created),
        (1, 0),
        "{:?}",
        out.push
    );
    assert_eq!(w.store.writes.len(), writes + 1);
    assert_eq!(w.db_md(&id(2)).trim(), "pushed mid-cycle");
    assert_eq!(w.db_md(&id(1)).trim(), "first git edit");
    let n = w.by_title("N");
    assert_eq!(pagefile::parse(&w.main_file("N.md")).id, Some(n.id));
    w.assert_settled();
}
