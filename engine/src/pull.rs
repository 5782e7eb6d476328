//! The pull: DB → `docmost` branch, then `main` follows when it can
//! fast-forward (SPEC §6 "Pull"). Nothing here moves a ref: the caller
//! applies [`PullOutcome::ref_updates`] once the DB transaction that read
//! this state has committed.

use git2::Oid;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::convert;
use crate::error::EngineError;
use crate::layout;
use crate::model::PageMeta;
use crate::pagefile;
use crate::store::{ExportState, Store};
use crate::vault::{RefUpdate, Vault, DOCMOST, MAIN};
use serde_json::Value;

/// A page that could not be synced this cycle; it is retried next cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageFailure {
    pub path: String,
    pub page_id: String,
    pub kind: &'static str,
    pub error: String,
}

#[derive(Debug)]
pub struct PullOutcome {
    /// Page files whose bytes changed on `docmost`.
    pub written: usize,
    /// Page files removed from `docmost` (trashed, moved away, moved out).
    pub deleted: usize,
    pub conflict: bool,
    pub failures: Vec<PageFailure>,
    /// Things an operator should know that are not failures.
    pub warnings: Vec<String>,
    /// Ref moves to apply after commit, in order.
    pub ref_updates: Vec<RefUpdate>,
    /// `docmost` and `main` once the updates are applied.
    pub docmost: Oid,
    pub main: Oid,
}

/// Deletions of files whose pages left the space are held back when they
/// look like an accident rather than an edit (SPEC §6).
const MASS_DELETE_MIN_FILES: usize = 4;

/// Page bodies read per statement by an export.
const CONTENT_BATCH: usize = 500;

pub fn pull(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
) -> Result<PullOutcome, EngineError> {
    let base = vault.required_ref(DOCMOST)?;
    let step = pull_onto(store, vault, space_id, base)?;
    let docmost = step.docmost;

    let mut ref_updates = Vec::new();
    if docmost != base {
        ref_updates.push(RefUpdate {
            name: DOCMOST.into(),
            old: base,
            new: docmost,
        });
    }
    let main_now = vault.required_ref(MAIN)?;
    let main = if main_now != docmost && vault.is_ancestor(main_now, docmost)? {
        ref_updates.push(RefUpdate {
            name: MAIN.into(),
            old: main_now,
            new: docmost,
        });
        docmost
    } else {
        main_now
    };

    Ok(PullOutcome {
        written: step.written,
        deleted: step.deleted,
        conflict: false,
        failures: step.failures,
        warnings: step.warnings,
        ref_updates,
        docmost,
        main,
    })
}

/// One export of the DB onto a `docmost` commit, without any ref logic.
pub struct PullStep {
    /// `base` itself when nothing changed, else a new child of `base`.
    pub docmost: Oid,
    pub written: usize,
    pub deleted: usize,
    pub failures: Vec<PageFailure>,
    pub warnings: Vec<String>,
    /// The page rows as this export read them: the push compares
    /// `updated_at` against them so that a page edited since is skipped.
    pub pages: Vec<PageMeta>,
    /// The digest of those rows (see [`crate::store::SpacePages`]).
    pub digest: String,
    /// Files on `base` that no live page claims and that stay (a file whose
    /// id never existed, a held-back deletion, a move not yet placed).
    pub kept: usize,
    /// Blobs exports wrote, each with the page id it claims (what the
    /// export state records; a blob's claim never changes).
    pub exported: HashMap<Oid, String>,
}

/// Exports what changed in the DB since `base` (a `docmost` commit) and
/// commits it on top of `base`. The cycle runs it twice: before the push,
/// and after it so that `docmost` holds what the push wrote.
pub fn pull_onto(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    base: Oid,
) -> Result<PullStep, EngineError> {
    let listing = store.space_pages(space_id)?;
    let pages = listing.pages;
    let paths = layout::compute(&pages);
    let state = store.export_state(space_id)?;
    let files = vault.page_files(base)?;

    let exported = export_changed(store, vault, &pages, &paths, &state, &files)?;
    let removal = plan_removals(store, vault, space_id, &paths, &state, &files, &exported)?;

    let known = exported_blobs(state.values().chain(&exported.state));
    let written = exported.upserts.len();
    let deleted = removal.paths.len();
    let tree = vault.updated_tree(base, &exported.upserts, &removal.paths)?;
    let docmost = if tree == vault.tree_of(base)? {
        base
    } else {
        vault.commit(tree, &[base], &commit_message(written, deleted))?
    };
    store.save_export_state(space_id, &exported.state, &removal.forgotten)?;
    Ok(PullStep {
        docmost,
        written,
        deleted,
        failures: exported.failures,
        warnings: removal.warnings,
        pages,
        digest: listing.digest,
        kept: removal.kept,
        exported: known,
    })
}

/// The pull of a cycle that knows which rows changed (the edits route):
/// `edits` are pages whose place in the layout is what their export
/// state says and whose file on `base` is the state's blob, and no other
/// row changed since that state was written. Only their bodies are read
/// and exported, at their state's paths; no other row, state or tree is.
pub fn pull_edits(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    base: Oid,
    edits: Vec<(PageMeta, ExportState)>,
    digest: String,
) -> Result<PullStep, EngineError> {
    let ids: Vec<String> = edits.iter().map(|(page, _)| page.id.clone()).collect();
    let contents = store.page_contents(&ids)?;
    let mut exported = Exported::default();
    for (page, state) in &edits {
        // A page deleted since is seen by the next cycle's digest.
        let Some(content) = contents.get(&page.id) else {
            continue;
        };
        let current = Oid::from_str(&state.blob).ok();
        exported.export(vault, page, &state.path, content.as_ref(), current.as_ref())?;
    }
    let written = exported.upserts.len();
    let docmost = if written == 0 {
        base
    } else {
        let tree = vault.updated_tree(base, &exported.upserts, &[])?;
        vault.commit(tree, &[base], &commit_message(written, 0))?
    };
    store.save_export_state(space_id, &exported.state, &[])?;
    let known = exported_blobs(edits.iter().map(|(_, s)| s).chain(&exported.state));
    Ok(PullStep {
        docmost,
        written,
        deleted: 0,
        failures: exported.failures,
        warnings: vec![],
        pages: edits.into_iter().map(|(page, _)| page).collect(),
        digest,
        kept: 0,
        exported: known,
    })
}

/// Blob → the page id its file claims, for the blobs these states name.
fn exported_blobs<'a>(states: impl Iterator<Item = &'a ExportState>) -> HashMap<Oid, String> {
    states
        .filter_map(|s| Some((Oid::from_str(&s.blob).ok()?, s.page_id.clone())))
        .collect()
}

fn commit_message(written: usize, deleted: usize) -> String {
    format!(
        "Sync from Docmost: {written} written, {deleted} deleted\n\nDocmost-Sync-Source: docmost\n"
    )
}

#[derive(Default)]
struct Exported {
    upserts: Vec<(String, Oid)>,
    state: Vec<ExportState>,
    failures: Vec<PageFailure>,
    /// Live pages whose file is in place at their layout path after this cycle.
    placed: HashSet<String>,
}

/// Writes the file of every live page whose fingerprint or file changed
/// since its last export; unchanged pages are not even read.
fn export_changed(
    store: &mut dyn Store,
    vault: &Vault,
    pages: &[PageMeta],
    paths: &BTreeMap<String, String>,
    state: &HashMap<String, ExportState>,
    files: &BTreeMap<String, Oid>,
) -> Result<Exported, EngineError> {
    let meta: HashMap<&str, &PageMeta> = pages.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut out = Exported::default();
    let mut stale = Vec::new();
    for (id, path) in paths {
        let current = state.get(id).is_some_and(|s| {
            s.matches(meta[id.as_str()], path)
                && files.get(path).map(Oid::to_string) == Some(s.blob.clone())
        });
        if current {
            out.placed.insert(id.clone());
        } else {
            stale.push(id.clone());
        }
    }
    // Bodies are read a batch at a time: a first export of a large space
    // would otherwise hold every body, as text and as a tree, at once.
    for batch in stale.chunks(CONTENT_BATCH) {
        let contents = store.page_contents(batch)?;
        for id in batch {
            // A page deleted between the two reads is simply seen next cycle.
            let Some(content) = contents.get(id) else {
                continue;
            };
            let path = &paths[id];
            out.export(
                vault,
                meta[id.as_str()],
                path,
                content.as_ref(),
                files.get(path),
            )?;
        }
    }
    Ok(out)
}

impl Exported {
    /// Writes `page`'s file at `path` unless `current` (the blob there)
    /// already holds its bytes; a page that does not convert is a failure,
    /// retried next cycle, and its old file stays.
    fn export(
        &mut self,
        vault: &Vault,
        page: &PageMeta,
        path: &str,
        content: Option<&Value>,
        current: Option<&Oid>,
    ) -> Result<(), EngineError> {
        match convert::export_body(content) {
            Ok(body) => {
                let blob = vault.write_blob(pagefile::render(&page.id, &[], &body).as_bytes())?;
                if current != Some(&blob) {
                    self.upserts.push((path.to_string(), blob));
                }
                self.state.push(export_state(page, path, blob));
                self.placed.insert(page.id.clone());
            }
            Err(e) => self.failures.push(PageFailure {
                path: path.to_string(),
                page_id: page.id.clone(),
                kind: "convert",
                error: e.to_string(),
            }),
        }
        Ok(())
    }
}

fn export_state(page: &PageMeta, path: &str, blob: Oid) -> ExportState {
    ExportState {
        page_id: page.id.clone(),
        path: path.to_string(),
        updated_at_us: page.updated_at_us,
        title: page.title.clone(),
        slug_id: page.slug_id.clone(),
        parent_id: page.parent_id.clone(),
        blob: blob.to_string(),
    }
}

struct Removal {
    paths: Vec<String>,
    /// Export-state rows of pages that no longer have a file here.
    forgotten: Vec<String>,
    warnings: Vec<String>,
    /// Files that no live page claims and that stay.
    kept: usize,
}

/// Which files on `docmost` that no live page claims should go. A file goes
/// when its page moved (and the new file is in place) or left the space;
/// a file whose id never existed as a page is kept [D-P3-1].
#[allow(clippy::too_many_arguments)]
fn plan_removals(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    paths: &BTreeMap<String, String>,
    state: &HashMap<String, ExportState>,
    files: &BTreeMap<String, Oid>,
    exported: &Exported,
) -> Result<Removal, EngineError> {
    let claimed: HashSet<&str> = paths.values().map(String::as_str).collect();
    let owner_by_path: HashMap<&str, &str> = state
        .values()
        .map(|s| (s.path.as_str(), s.page_id.as_str()))
        .collect();

    let mut orphans = Vec::new();
    for (path, blob) in files {
        if claimed.contains(path.as_str()) {
            continue;
        }
        let id = match owner_by_path.get(path.as_str()) {
            Some(id) => Some(id.to_string()),
            None => file_id(vault, *blob)?,
        };
        orphans.push((path.clone(), id));
    }
    let unknown: Vec<String> = orphans
        .iter()
        .filter_map(|(_, id)| id.clone())
        .filter(|id| !paths.contains_key(id) && !state.contains_key(id))
        .collect();
    let rows = store.page_rows(&unknown)?;

    let orphan_count = orphans.len();
    let mut moves = Vec::new();
    let mut absent = Vec::new();
    for (path, id) in orphans {
        let Some(id) = id else { continue };
        if paths.contains_key(&id) {
            if exported.placed.contains(&id) {
                moves.push(path);
            }
        } else if state.contains_key(&id)
            || rows
                .get(&id)
                .is_some_and(|r| r.deleted || r.space_id != space_id)
        {
            absent.push((path, id));
        }
    }

    let mut warnings = Vec::new();
    if let Some(reason) = mass_delete_reason(paths.len(), files.len(), absent.len()) {
        warnings.push(format!("absence deletions suppressed: {reason}"));
        absent.clear();
    }
    let gone: HashSet<&str> = absent.iter().map(|(_, id)| id.as_str()).collect();
    let forgotten = state
        .keys()
        .filter(|id| !paths.contains_key(*id))
        .filter(|id| gone.contains(id.as_str()) || !files.contains_key(&state[*id].path))
        .cloned()
        .collect();
    let kept = orphan_count - moves.len() - absent.len();
    let mut removed = moves;
    removed.extend(absent.into_iter().map(|(path, _)| path));
    Ok(Removal {
        paths: removed,
        forgotten,
        warnings,
        kept,
    })
}

/// The page id a file claims, canonicalised; a malformed id claims nothing.
fn file_id(vault: &Vault, blob: Oid) -> Result<Option<String>, EngineError> {
    Ok(pagefile::claimed_id(&vault.read_blob(blob)?))
}

fn mass_delete_reason(live: usize, files: usize, going: usize) -> Option<String> {
    if going == 0 {
        return None;
    }
    if live == 0 {
        return Some(format!(
            "the space has no live pages while {files} page files are tracked"
        ));
    }
    if files >= MASS_DELETE_MIN_FILES && going * 2 > files {
        return Some(format!(
            "{going} of {files} page files would go (more than half)"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemStore;
    use crate::testkit::{doc, id, page_meta, SPACE};
    use crate::vault::vault_path;
    use serde_json::{json, Value};

    struct World {
        _dir: tempfile::TempDir,
        vault: Vault,
        store: MemStore,
    }

    impl World {
        fn new() -> World {
            let dir = tempfile::tempdir().unwrap();
            let vault = Vault::open_or_init(&vault_path(dir.path(), SPACE)).unwrap();
            World {
                _dir: dir,
                vault,
                store: MemStore::default(),
            }
        }

        fn page(&mut self, n: u32, title: &str, parent: Option<u32>, text: &str) {
            self.store
                .put(SPACE, page_meta(n, title, parent), Some(doc(text)));
        }

        fn edit(&mut self, n: u32, f: impl FnOnce(&mut PageMeta, &mut Option<Value>)) {
            let (_, m, c) = self.store.page_mut(&id(n));
            f(m, c);
            m.updated_at_us += 1;
        }

        /// One pull with its ref moves applied, as after a commit.
        fn cycle(&mut self) -> PullOutcome {
            let out = pull(&mut self.store, &self.vault, SPACE).unwrap();
            assert!(self
                .vault
                .apply_ref_updates(&out.ref_updates)
                .unwrap()
                .is_empty());
            out
        }

        fn main_files(&self) -> Vec<String> {
            let main = self.vault.required_ref(MAIN).unwrap();
            self.vault.page_files(main).unwrap().into_keys().collect()
        }

        fn main_file(&self, path: &str) -> String {
            let main = self.vault.required_ref(MAIN).unwrap();
            let blob = self.vault.page_files(main).unwrap()[path];
            String::from_utf8(self.vault.read_blob(blob).unwrap()).unwrap()
        }
    }

    fn abc() -> World {
        let mut w = World::new();
        w.page(1, "A", None, "Hello A");
        w.page(2, "B", None, "Hello B");
        w.page(3, "C", Some(2), "Hello C");
        w
    }

    #[test]
    fn first_cycle_writes_exact_files_and_main_follows() {
        let mut w = abc();
        let out = w.cycle();
        assert_eq!((out.written, out.deleted), (3, 0));
        assert_eq!(w.main_files(), ["A.md", "B/B.md", "B/C.md"]);
        assert_eq!(
            w.main_file("A.md"),
            format!("---\ngitmost_id: {}\n---\n\nHello A\n", id(1))
        );
        assert_eq!(
            w.main_file("B/C.md"),
            format!("---\ngitmost_id: {}\n---\n\nHello C\n", id(3))
        );
        assert_eq!(
            w.vault.required_ref(MAIN).unwrap(),
            w.vault.required_ref(DOCMOST).unwrap()
        );
    }

    #[test]
    fn an_export_of_several_body_batches_writes_every_page() {
        let mut w = World::new();
        let pages = 2 * CONTENT_BATCH as u32 + 1;
        for n in 1..=pages {
            w.page(n, &format!("P{n}"), None, &format!("Body {n}"));
        }
        let out = w.cycle();
        assert_eq!(out.written, pages as usize);
        assert_eq!(w.store.contents_read, pages as usize);
        assert_eq!(w.main_files().len(), pages as usize);
        assert_eq!(
            w.main_file(&format!("P{pages}.md")),
            format!("---\ngitmost_id: {}\n---\n\nBody {pages}\n", id(pages))
        );
    }

    #[test]
    fn idle_cycles_and_a_lost_state_make_no_commit() {
        let mut w = abc();
        w.cycle();
        let head = w.vault.required_ref(DOCMOST).unwrap();
        let read_before = w.store.contents_read;
        let out = w.cycle();
        assert!(out.ref_updates.is_empty());
        assert_eq!(
            w.store.contents_read, read_before,
            "an idle cycle reads no body"
        );
        // A restart that lost the export state re-exports byte-identically.
        w.store.state.clear();
        let out = w.cycle();
        assert_eq!((out.written, out.deleted), (0, 0));
        assert!(out.ref_updates.is_empty());
        assert_eq!(w.vault.required_ref(DOCMOST).unwrap(), head);
    }

    #[test]
    fn edit_rename_move_and_trash_follow() {
        let mut w = abc();
        w.page(4, "D", None, "Hello D");
        w.page(5, "E", None, "Hello E");
        w.cycle();
        w.edit(1, |_, c| *c = Some(doc("Changed A")));
        w.edit(4, |m, _| m.title = Some("D2".into()));
        w.edit(5, |m, _| m.parent_id = Some(id(2)));
        let out = w.cycle();
        assert_eq!((out.written, out.deleted), (3, 2));
        assert_eq!(
            w.main_files(),
            ["A.md", "B/B.md", "B/C.md", "B/E.md", "D2.md"]
        );
        assert!(w.main_file("A.md").ends_with("\n\nChanged A\n"));
        w.edit(3, |m, _| m.deleted = true);
        let out = w.cycle();
        assert_eq!((out.written, out.deleted), (0, 1));
        assert_eq!(w.main_files(), ["A.md", "B/B.md", "B/E.md", "D2.md"]);
    }

    #[test]
    fn first_child_turns_a_leaf_into_a_folder() {
        let mut w = World::new();
        w.page(1, "P", None, "Parent");
        w.cycle();
        w.page(2, "Child", Some(1), "Kid");
        let out = w.cycle();
        assert_eq!((out.written, out.deleted), (2, 1));
        assert_eq!(w.main_files(), ["P/Child.md", "P/P.md"]);
        assert!(w.main_file("P/P.md").ends_with("\n\nParent\n"));
    }

    #[test]
    fn mass_trash_is_held_back_with_a_reason() {
        let mut w = abc();
        w.page(4, "D", None, "Hello D");
        w.cycle();
        for n in [1, 3, 4] {
            w.edit(n, |m, _| m.deleted = true);
        }
        let out = w.cycle();
        assert_eq!(out.warnings.len(), 1);
        assert!(
            out.warnings[0].starts_with("absence deletions suppressed: 3 of 4"),
            "{:?}",
            out.warnings
        );
        // B lost its only child, so it moves to B.md; moves are not held back.
        assert_eq!(out.deleted, 1);
        assert_eq!(w.main_files(), ["A.md", "B.md", "B/C.md", "D.md"]);
        // The held-back deletions stay pending: restoring one page lets the rest go.
        w.edit(4, |m, _| m.deleted = false);
        let out = w.cycle();
        assert_eq!(out.deleted, 2);
        assert_eq!(w.main_files(), ["B.md", "D.md"]);
    }

    #[test]
    fn an_emptied_space_keeps_its_files() {
        let mut w = World::new();
        w.page(1, "Only", None, "x");
        w.cycle();
        w.edit(1, |m, _| m.deleted = true);
        let out = w.cycle();
        assert_eq!(out.deleted, 0);
        assert!(out.warnings[0].contains("no live pages"));
        assert_eq!(w.main_files(), ["Only.md"]);
    }

    #[test]
    fn unconvertible_page_is_a_failure_and_keeps_its_old_file() {
        let mut w = abc();
        w.cycle();
        w.edit(1, |m, c| {
            m.title = Some("A renamed".into());
            *c = Some(json!({"type": "doc", "content": [{"type": "bogusNode"}]}));
        });
        w.edit(2, |_, c| *c = Some(doc("B still syncs")));
        let out = w.cycle();
        assert_eq!(out.failures.len(), 1);
        let f = &out.failures[0];
        assert_eq!(
            (f.page_id.as_str(), f.path.as_str(), f.kind),
            (id(1).as_str(), "A renamed.md", "convert")
        );
        assert!(f.error.contains("bogusNode"), "{}", f.error);
        assert_eq!(w.main_files(), ["A.md", "B/B.md", "B/C.md"]);
        assert!(w.main_file("A.md").ends_with("\n\nHello A\n"));
        assert!(w.main_file("B/B.md").ends_with("\n\nB still syncs\n"));
        // Fixed content: retried and moved on the next cycle.
        w.edit(1, |_, c| *c = Some(doc("Fixed")));
        let out = w.cycle();
        assert!(out.failures.is_empty());
        assert_eq!(w.main_files(), ["A renamed.md", "B/B.md", "B/C.md"]);
    }

    #[test]
    fn files_of_unknown_pages_and_pages_moved_out_are_told_apart() {
        let mut w = abc();
        w.cycle();
        // A file whose id never existed, put on docmost by hand.
        let docmost = w.vault.required_ref(DOCMOST).unwrap();
        let stray = pagefile::render(&id(99), &[], "stray");
        let blob = w.vault.write_blob(stray.as_bytes()).unwrap();
        let tree = w
            .vault
            .updated_tree(docmost, &[("Stray.md".into(), blob)], &[])
            .unwrap();
        let c = w.vault.commit(tree, &[docmost], "stray").unwrap();
        let main = w.vault.required_ref(MAIN).unwrap();
        w.vault
            .apply_ref_updates(&[
                RefUpdate {
                    name: DOCMOST.into(),
                    old: docmost,
                    new: c,
                },
                RefUpdate {
                    name: MAIN.into(),
                    old: main,
                    new: c,
                },
            ])
            .unwrap();
        // Page A moves to another space.
        w.store.page_mut(&id(1)).0 = "0190c0de-0000-7000-8000-00000000bbbb".into();
        let out = w.cycle();
        assert_eq!(out.deleted, 1);
        assert_eq!(w.main_files(), ["B/B.md", "B/C.md", "Stray.md"]);
    }

    #[test]
    fn main_with_its_own_commits_is_not_moved() {
        let mut w = abc();
        w.cycle();
        let main = w.vault.required_ref(MAIN).unwrap();
        let own = w
            .vault
            .commit(w.vault.tree_of(main).unwrap(), &[main], "user")
            .unwrap();
        w.vault
            .apply_ref_updates(&[RefUpdate {
                name: MAIN.into(),
                old: main,
                new: own,
            }])
            .unwrap();
        w.edit(1, |_, c| *c = Some(doc("DB edit")));
        let out = w.cycle();
        assert_eq!(out.written, 1);
        assert_eq!(w.vault.required_ref(MAIN).unwrap(), own);
        assert_eq!(out.main, own);
        assert_ne!(out.docmost, main);
    }
}
