//! Merging `docmost` into `main` (SPEC §6 "Pull", second half).
//!
//! The merge works on flat path → entry maps of the three commits so that
//! it can first re-align paths by page id (a page both sides moved, or one
//! side moved and the other edited, is merged as one file), then merges
//! path by path without rename detection. Text merges are libgit2's; hunks
//! both sides changed take `main`'s (git's) text, so no conflict marker is
//! ever produced. Nothing here moves a ref.

use git2::Oid;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::convert;
use crate::error::EngineError;
use crate::pagefile;
use crate::vault::{Entry, Vault};

type Entries = BTreeMap<String, Entry>;

/// What merging `docmost` into `main` gives.
#[derive(Debug, PartialEq, Eq)]
pub enum MergeResult {
    /// `main` already contains `docmost`.
    Unchanged,
    /// `main` has no commits of its own: it moves to `docmost`.
    FastForward(Oid),
    /// A merge commit with parents (main, docmost); `conflict` when any
    /// hunk was changed on both sides (git's text kept).
    Merged { commit: Oid, conflict: bool },
    /// The two branches share no history; nothing can be merged safely.
    Unrelated,
}

impl MergeResult {
    /// `main` after the merge.
    pub fn main(&self, main: Oid) -> Oid {
        match self {
            MergeResult::FastForward(c) | MergeResult::Merged { commit: c, .. } => *c,
            MergeResult::Unchanged | MergeResult::Unrelated => main,
        }
    }

    pub fn conflict(&self) -> bool {
        matches!(self, MergeResult::Merged { conflict: true, .. })
    }
}

/// Merges `docmost` into `main`. `settled` names pages whose DB state is
/// known to equal `main`'s file (the push just wrote them): their file on
/// the `docmost` side is taken to be `main`'s, so the DB's rendering of
/// git's text never shows up as a conflict with it.
pub fn merge_docmost(
    vault: &Vault,
    main: Oid,
    docmost: Oid,
    settled: &HashSet<String>,
) -> Result<MergeResult, EngineError> {
    if vault.is_ancestor(docmost, main)? {
        return Ok(MergeResult::Unchanged);
    }
    if vault.is_ancestor(main, docmost)? {
        return Ok(MergeResult::FastForward(docmost));
    }
    let Some(base) = vault.merge_base(main, docmost)? else {
        return Ok(MergeResult::Unrelated);
    };
    if let Some(tree) = one_sided(vault, base, main, docmost, settled)? {
        let commit = vault.commit(tree, &[main, docmost], MERGE_MESSAGE)?;
        return Ok(MergeResult::Merged {
            commit,
            conflict: false,
        });
    }
    let original = vault.entries(main)?;
    let mut ids = IdCache::new(vault);
    let mut sides = Sides {
        base: vault.entries(base)?,
        ours: original.clone(),
        theirs: vault.entries(docmost)?,
    };
    let same = same_on_all_sides(&sides);
    realign(&mut sides, &same, &mut ids)?;
    settle(&mut sides, settled, &same, &mut ids)?;
    let (merged, conflict) = merge_entries(vault, &sides, &mut ids)?;

    let upserts: Vec<(String, Entry)> = merged
        .iter()
        .filter(|(path, e)| original.get(*path) != Some(e))
        .map(|(p, e)| (p.clone(), *e))
        .collect();
    let removes: Vec<String> = original
        .keys()
        .filter(|p| !merged.contains_key(*p))
        .cloned()
        .collect();
    let tree = vault.tree_with(main, &upserts, &removes)?;
    let message = if conflict {
        "Merge docmost into main (conflicting hunks kept from main)\n\nDocmost-Sync-Source: docmost\n"
    } else {
        MERGE_MESSAGE
    };
    let commit = vault.commit(tree, &[main, docmost], message)?;
    Ok(MergeResult::Merged { commit, conflict })
}

const MERGE_MESSAGE: &str = "Merge docmost into main\n\nDocmost-Sync-Source: docmost\n";

/// The merged tree when one side has the merge base's tree: then the
/// merge is the other side's tree, as the full merge would find after
/// reading every file of all three. That is the usual case after a push
/// whose Markdown the export writes alike (`main` has merge commits but
/// `docmost`'s tree), and it keeps such merges from costing the size of
/// the vault. Pages to settle change `docmost`'s side, so with any the
/// full merge runs unless `docmost` is the unchanged side.
fn one_sided(
    vault: &Vault,
    base: Oid,
    main: Oid,
    docmost: Oid,
    settled: &HashSet<String>,
) -> Result<Option<Oid>, EngineError> {
    let base_tree = vault.tree_of(base)?;
    let (ours, theirs) = (vault.tree_of(main)?, vault.tree_of(docmost)?);
    Ok(if theirs == base_tree {
        Some(ours)
    } else if ours == base_tree && settled.is_empty() {
        Some(theirs)
    } else {
        None
    })
}

struct Sides {
    base: Entries,
    ours: Entries,
    theirs: Entries,
}

/// Page ids of blobs, read once each.
struct IdCache<'v> {
    vault: &'v Vault,
    by_blob: HashMap<Oid, Option<String>>,
}

impl<'v> IdCache<'v> {
    fn new(vault: &'v Vault) -> Self {
        IdCache {
            vault,
            by_blob: HashMap::new(),
        }
    }

    /// The valid page id a file claims; None for non-page entries.
    fn id(&mut self, path: &str, entry: &Entry) -> Result<Option<String>, EngineError> {
        if !entry.is_regular() || !pagefile::is_page_path(path) {
            return Ok(None);
        }
        if let Some(id) = self.by_blob.get(&entry.id) {
            return Ok(id.clone());
        }
        let id = pagefile::claimed_id(&self.vault.read_blob(entry.id)?);
        self.by_blob.insert(entry.id, id.clone());
        Ok(id)
    }

    /// id → the paths that claim it, leaving out the paths in `same`.
    fn index(
        &mut self,
        entries: &Entries,
        same: &HashSet<String>,
    ) -> Result<HashMap<String, Vec<String>>, EngineError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (path, e) in entries {
            if same.contains(path) {
                continue;
            }
            if let Some(id) = self.id(path, e)? {
                out.entry(id).or_default().push(path.clone());
            }
        }
        Ok(out)
    }
}

/// Paths whose entry is the same on all three sides: most of a large
/// vault, and none of them takes part in a realignment or a settling, so
/// their files need not be read. A page claimed at such a path has it on
/// `docmost`, which holds one file per page, so `docmost` has no other
/// file of that page to realign or settle; and on the other sides any
/// second file of it would only have made its id ambiguous there, which
/// rules out the same moves.
fn same_on_all_sides(sides: &Sides) -> HashSet<String> {
    sides
        .theirs
        .iter()
        .filter(|(path, e)| sides.ours.get(*path) == Some(e) && sides.base.get(*path) == Some(e))
        .map(|(path, _)| path.clone())
        .collect()
}

/// The one path an id has in an index, if exactly one.
fn single<'a>(index: &'a HashMap<String, Vec<String>>, id: &str) -> Option<&'a String> {
    match index.get(id).map(Vec::as_slice) {
        Some([path]) => Some(path),
        _ => None,
    }
}

/// One page's file moved to a common path on all three sides.
struct Realignment {
    target: String,
    /// (side, current path) for each side whose file moves.
    from: Vec<(usize, String)>,
}

/// Puts each page that both sides hold (once each) at one path on all
/// three sides before the path-based merge: `main`'s path when git moved
/// it, else `docmost`'s. Without this, a page moved on one side and edited
/// on the other would become two files claiming one id. A move whose
/// target is taken by another file is left to the path-based merge.
fn realign(
    sides: &mut Sides,
    same: &HashSet<String>,
    ids: &mut IdCache,
) -> Result<(), EngineError> {
    let base_ids = ids.index(&sides.base, same)?;
    let our_ids = ids.index(&sides.ours, same)?;
    let their_ids = ids.index(&sides.theirs, same)?;
    let mut plans = Vec::new();
    for id in our_ids.keys() {
        let (Some(o), Some(t)) = (single(&our_ids, id), single(&their_ids, id)) else {
            continue;
        };
        if o == t {
            continue;
        }
        let b = single(&base_ids, id);
        let target = if b == Some(o) { t.clone() } else { o.clone() };
        let mut from = Vec::new();
        for (side, path) in [(0, b), (1, Some(o)), (2, Some(t))] {
            if let Some(path) = path.filter(|p| **p != target) {
                from.push((side, path.clone()));
            }
        }
        plans.push(Realignment { target, from });
    }
    let plans = collision_free(sides, plans);
    for plan in plans {
        for (side, path) in plan.from {
            let map = side_mut(sides, side);
            if let Some(e) = map.remove(&path) {
                map.insert(plan.target.clone(), e);
            }
        }
    }
    Ok(())
}

/// Drops realignments whose target path is held, on a side that moves a
/// file there, by a file that stays, or that share a target.
fn collision_free(sides: &Sides, plans: Vec<Realignment>) -> Vec<Realignment> {
    let vacated: HashSet<(usize, &str)> = plans
        .iter()
        .flat_map(|p| p.from.iter().map(|(s, path)| (*s, path.as_str())))
        .collect();
    let mut targets: HashMap<&str, usize> = HashMap::new();
    for p in &plans {
        *targets.entry(p.target.as_str()).or_default() += 1;
    }
    let clear = |p: &Realignment| {
        targets[p.target.as_str()] == 1
            && p.from.iter().all(|(side, _)| {
                !side_ref(sides, *side).contains_key(&p.target)
                    || vacated.contains(&(*side, p.target.as_str()))
            })
    };
    let keep: Vec<bool> = plans.iter().map(clear).collect();
    plans
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
        .collect()
}

fn side_ref(sides: &Sides, side: usize) -> &Entries {
    match side {
        0 => &sides.base,
        1 => &sides.ours,
        _ => &sides.theirs,
    }
}

fn side_mut(sides: &mut Sides, side: usize) -> &mut Entries {
    match side {
        0 => &mut sides.base,
        1 => &mut sides.ours,
        _ => &mut sides.theirs,
    }
}

/// For pages the DB already holds as `main` has them, the `docmost` file
/// is replaced by `main`'s so the two sides agree.
fn settle(
    sides: &mut Sides,
    settled: &HashSet<String>,
    same: &HashSet<String>,
    ids: &mut IdCache,
) -> Result<(), EngineError> {
    if settled.is_empty() {
        return Ok(());
    }
    let our_ids = ids.index(&sides.ours, same)?;
    for id in settled {
        let Some(path) = single(&our_ids, id) else {
            continue;
        };
        let theirs_here = match sides.theirs.get(path) {
            Some(e) => ids.id(path, e)?,
            None => None,
        };
        if theirs_here.as_deref() == Some(id.as_str()) {
            sides.theirs.insert(path.clone(), sides.ours[path]);
        }
    }
    Ok(())
}

/// The path-based 3-way merge of the aligned sides.
fn merge_entries(
    vault: &Vault,
    sides: &Sides,
    ids: &mut IdCache,
) -> Result<(Entries, bool), EngineError> {
    let paths: BTreeSet<&String> = sides
        .base
        .keys()
        .chain(sides.ours.keys())
        .chain(sides.theirs.keys())
        .collect();
    let mut out = Entries::new();
    let mut displaced = Vec::new();
    let mut conflict = false;
    for path in paths {
        let b = sides.base.get(path);
        let o = sides.ours.get(path);
        let t = sides.theirs.get(path);
        let merged = if o == t || b == t {
            o.copied()
        } else if b == o {
            t.copied()
        } else {
            match (o, t) {
                (Some(o), Some(t)) if o.is_regular() && t.is_regular() => match b {
                    Some(b) if b.is_regular() => {
                        let (e, c) = merge_text(vault, b, o, t)?;
                        conflict |= c;
                        Some(e)
                    }
                    _ => match add_add(vault, ids, path, o, t)? {
                        AddAdd::One(e) => Some(e),
                        AddAdd::Both => {
                            displaced.push((path.clone(), *o));
                            Some(*t)
                        }
                    },
                },
                // A symlink or submodule changed on both sides: git's.
                (Some(o), Some(_)) => Some(*o),
                // Modified on one side, deleted on the other: the edit is
                // kept, so no side's work is lost (the push restores the
                // page, or the next pull removes the file again).
                (Some(e), None) | (None, Some(e)) => Some(*e),
                (None, None) => None,
            }
        };
        if let Some(e) = merged {
            out.insert(path.clone(), e);
        }
    }
    for (path, entry) in displaced {
        let free = git_sibling(&path, |p| {
            out.contains_key(p) || sides.ours.contains_key(p) || sides.theirs.contains_key(p)
        });
        out.insert(free, entry);
    }
    Ok((out, conflict))
}

/// libgit2's file merge; when hunks conflict, merged again favouring
/// `main` so the result holds no markers.
fn merge_text(
    vault: &Vault,
    base: &Entry,
    ours: &Entry,
    theirs: &Entry,
) -> Result<(Entry, bool), EngineError> {
    let (mut bytes, conflicted) = vault.merge_blobs(Some(base.id), ours.id, theirs.id, false)?;
    if conflicted {
        bytes = vault
            .merge_blobs(Some(base.id), ours.id, theirs.id, true)?
            .0;
    }
    let id = vault.write_blob(&bytes)?;
    Ok((
        Entry {
            id,
            mode: ours.mode,
        },
        conflicted,
    ))
}

enum AddAdd {
    /// The two files are one page: this entry holds it.
    One(Entry),
    /// Two different pages: the DB's keeps the path, git's moves aside.
    Both,
}

/// Both sides added a file at one path. The same page (same id, or git's
/// file has no id but the DB page's body — e.g. the page the push created
/// before a crash lost its id write-back) merges into one file with git's
/// text; anything else is two pages.
fn add_add(
    vault: &Vault,
    ids: &mut IdCache,
    path: &str,
    ours: &Entry,
    theirs: &Entry,
) -> Result<AddAdd, EngineError> {
    if !pagefile::is_page_path(path) {
        return Ok(AddAdd::One(*ours));
    }
    let our_id = ids.id(path, ours)?;
    let their_id = ids.id(path, theirs)?;
    if our_id.is_some() && our_id == their_id {
        return Ok(AddAdd::One(*ours));
    }
    let (Some(their_id), None) = (their_id, our_id) else {
        return Ok(AddAdd::Both);
    };
    let git = text_of(vault, ours)?;
    let db = text_of(vault, theirs)?;
    let (git, db) = (pagefile::parse(&git), pagefile::parse(&db));
    let same = git.body == db.body
        || convert::canonical_eq(
            &convert::from_markdown(&git.body),
            &convert::from_markdown(&db.body),
        );
    if !same {
        return Ok(AddAdd::Both);
    }
    let text = pagefile::render(&their_id, &git.extra_frontmatter, &git.body);
    Ok(AddAdd::One(Entry {
        id: vault.write_blob(text.as_bytes())?,
        mode: ours.mode,
    }))
}

fn text_of(vault: &Vault, entry: &Entry) -> Result<String, EngineError> {
    Ok(String::from_utf8_lossy(&vault.read_blob(entry.id)?).into_owned())
}

/// `<dir>/<name> ~git.md`, then ` ~git-2`, … : the first path `taken`
/// does not hold.
pub fn git_sibling(path: &str, taken: impl Fn(&str) -> bool) -> String {
    let stem = path.strip_suffix(".md").unwrap_or(path);
    (1..)
        .map(|n| match n {
            1 => format!("{stem} ~git.md"),
            n => format!("{stem} ~git-{n}.md"),
        })
        .find(|p| !taken(p))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{id, SPACE};
    use crate::vault::{vault_path, MAIN};

    fn file(n: u32, body: &str) -> String {
        pagefile::render(&id(n), &[], body)
    }

    struct Repo {
        _dir: tempfile::TempDir,
        vault: Vault,
        root: Oid,
    }

    impl Repo {
        fn new() -> Repo {
            let dir = tempfile::tempdir().unwrap();
            let vault = Vault::open_or_init(&vault_path(dir.path(), SPACE)).unwrap();
            let root = vault.required_ref(MAIN).unwrap();
            Repo {
                _dir: dir,
                vault,
                root,
            }
        }

        /// A commit on `parent` writing `files` and removing `gone`.
        fn commit(&self, parent: Oid, files: &[(&str, &str)], gone: &[&str]) -> Oid {
            let upserts: Vec<(String, Oid)> = files
                .iter()
                .map(|(p, text)| {
                    (
                        p.to_string(),
                        self.vault.write_blob(text.as_bytes()).unwrap(),
                    )
                })
                .collect();
            let removes: Vec<String> = gone.iter().map(|s| s.to_string()).collect();
            let tree = self.vault.updated_tree(parent, &upserts, &removes).unwrap();
            self.vault.commit(tree, &[parent], "c").unwrap()
        }

        fn files(&self, commit: Oid) -> BTreeMap<String, String> {
            self.vault
                .page_files(commit)
                .unwrap()
                .into_iter()
                .map(|(p, b)| {
                    let text = String::from_utf8(self.vault.read_blob(b).unwrap()).unwrap();
                    (p, text)
                })
                .collect()
        }

        fn merge(&self, main: Oid, docmost: Oid) -> (Oid, bool) {
            match merge_docmost(&self.vault, main, docmost, &HashSet::new()).unwrap() {
                MergeResult::Merged { commit, conflict } => {
                    let c = self.vault.parents(commit).unwrap();
                    assert_eq!(c, vec![main, docmost]);
                    (commit, conflict)
                }
                other => panic!("not a merge: {other:?}"),
            }
        }
    }

    fn no_markers(files: &BTreeMap<String, String>) {
        for (path, text) in files {
            assert!(
                !text.contains("<<<<<<<") && !text.contains(">>>>>>>"),
                "{path}: {text}"
            );
        }
    }

    #[test]
    fn fast_forward_and_unchanged() {
        let r = Repo::new();
        let d = r.commit(r.root, &[("A.md", &file(1, "a"))], &[]);
        let v = &r.vault;
        assert_eq!(
            merge_docmost(v, r.root, d, &HashSet::new()).unwrap(),
            MergeResult::FastForward(d)
        );
        assert_eq!(
            merge_docmost(v, d, r.root, &HashSet::new()).unwrap(),
            MergeResult::Unchanged
        );
    }

    #[test]
    fn disjoint_edits_both_survive() {
        let r = Repo::new();
        let base = r.commit(
            r.root,
            &[("A.md", &file(1, "one\n\ntwo\n\nthree\n\nfour"))],
            &[],
        );
        let main = r.commit(
            base,
            &[("A.md", &file(1, "ONE\n\ntwo\n\nthree\n\nfour"))],
            &[],
        );
        let db = r.commit(
            base,
            &[("A.md", &file(1, "one\n\ntwo\n\nthree\n\nFOUR"))],
            &[],
        );
        let (m, conflict) = r.merge(main, db);
        assert!(!conflict);
        assert_eq!(r.files(m)["A.md"], file(1, "ONE\n\ntwo\n\nthree\n\nFOUR"));
    }

    #[test]
    fn same_hunk_takes_gits_text_without_markers() {
        let r = Repo::new();
        let base = r.commit(
            r.root,
            &[("A.md", &file(1, "one\n\ntwo\n\nthree\n\nfour"))],
            &[],
        );
        let main = r.commit(
            base,
            &[("A.md", &file(1, "one\n\nGIT\n\nthree\n\nfour"))],
            &[],
        );
        let db = r.commit(
            base,
            &[("A.md", &file(1, "one\n\nDB\n\nthree\n\nFOUR"))],
            &[],
        );
        let (m, conflict) = r.merge(main, db);
        assert!(conflict);
        let files = r.files(m);
        no_markers(&files);
        assert_eq!(files["A.md"], file(1, "one\n\nGIT\n\nthree\n\nFOUR"));
    }

    #[test]
    fn trailing_whitespace_only_is_not_a_conflict() {
        let r = Repo::new();
        let base = r.commit(r.root, &[("A.md", &file(1, "one\n\ntwo"))], &[]);
        let main = r.commit(base, &[("A.md", &file(1, "one\n\ntwo  "))], &[]);
        let main = r.commit(
            main,
            &[("A.md", &file(1, "one\n\ntwo  ").replace("two", "two \t"))],
            &[],
        );
        let db = r.commit(base, &[("A.md", &file(1, "one\n\ntwo changed"))], &[]);
        let (m, conflict) = r.merge(main, db);
        assert!(!conflict);
        let text = &r.files(m)["A.md"];
        assert!(text.contains("two changed"), "{text}");
    }

    #[test]
    fn add_add_of_different_pages_moves_gits_aside() {
        let r = Repo::new();
        let base = r.commit(r.root, &[("A.md", &file(1, "a"))], &[]);
        let main = r.commit(base, &[("New.md", "# git's new page\n")], &[]);
        let main = r.commit(main, &[("New ~git.md", "taken\n")], &[]);
        let db = r.commit(base, &[("New.md", &file(2, "db's new page"))], &[]);
        let (m, _) = r.merge(main, db);
        let files = r.files(m);
        assert_eq!(files["New.md"], file(2, "db's new page"));
        assert_eq!(files["New ~git-2.md"], "# git's new page\n");
        assert_eq!(files["New ~git.md"], "taken\n");
    }

    #[test]
    fn add_add_of_the_same_body_is_one_page_with_the_db_id() {
        let r = Repo::new();
        let base = r.commit(r.root, &[("A.md", &file(1, "a"))], &[]);
        let main = r.commit(base, &[("New.md", "---\ntags: x\n---\nsame body\n")], &[]);
        let db = r.commit(base, &[("New.md", &file(2, "same body"))], &[]);
        let (m, conflict) = r.merge(main, db);
        assert!(!conflict);
        let files = r.files(m);
        assert_eq!(files.len(), 2);
        assert_eq!(
            files["New.md"],
            pagefile::render(&id(2), &["tags: x".into()], "same body")
        );
    }

    #[test]
    fn a_page_moved_in_the_db_and_edited_in_git_is_one_file() {
        let r = Repo::new();
        let base = r.commit(r.root, &[("A.md", &file(1, "one\n\ntwo"))], &[]);
        let main = r.commit(base, &[("A.md", &file(1, "one\n\nTWO"))], &[]);
        let db = r.commit(
            base,
            &[
                ("B/A.md", &file(1, "one\n\ntwo")),
                ("B/B.md", &file(2, "b")),
            ],
            &["A.md"],
        );
        let (m, conflict) = r.merge(main, db);
        assert!(!conflict);
        let files = r.files(m);
        assert_eq!(files.keys().collect::<Vec<_>>(), ["B/A.md", "B/B.md"]);
        assert_eq!(files["B/A.md"], file(1, "one\n\nTWO"));
    }

    #[test]
    fn both_sides_moved_a_page_gits_path_wins() {
        let r = Repo::new();
        let base = r.commit(r.root, &[("A.md", &file(1, "one\n\ntwo"))], &[]);
        let main = r.commit(base, &[("Git name.md", &file(1, "one\n\ntwo"))], &["A.md"]);
        let db = r.commit(base, &[("Db name.md", &file(1, "ONE\n\ntwo"))], &["A.md"]);
        let (m, _) = r.merge(main, db);
        let files = r.files(m);
        assert_eq!(files.keys().collect::<Vec<_>>(), ["Git name.md"]);
        assert_eq!(files["Git name.md"], file(1, "ONE\n\ntwo"));
    }

    #[test]
    fn modify_delete_keeps_the_edit_and_non_pages_survive() {
        let r = Repo::new();
        let base = r.commit(
            r.root,
            &[("A.md", &file(1, "a")), ("B.md", &file(2, "b"))],
            &[],
        );
        let main = r.commit(
            base,
            &[("A.md", &file(1, "a edited")), ("img.png", "png")],
            &["B.md"],
        );
        let db = r.commit(base, &[("B.md", &file(2, "b edited"))], &["A.md"]);
        let (m, _) = r.merge(main, db);
        let files = r.files(m);
        assert_eq!(files["A.md"], file(1, "a edited"));
        assert_eq!(files["B.md"], file(2, "b edited"));
        assert!(r.vault.entries(m).unwrap().contains_key("img.png"));
    }

    #[test]
    fn a_copy_made_in_git_beside_its_unchanged_original_stays_a_copy() {
        let r = Repo::new();
        let base = r.commit(
            r.root,
            &[("A.md", &file(1, "a")), ("B.md", &file(2, "b"))],
            &[],
        );
        let main = r.commit(base, &[("Copy.md", &file(1, "a, copied"))], &[]);
        let db = r.commit(base, &[("B.md", &file(2, "b edited"))], &[]);
        let (m, conflict) = r.merge(main, db);
        assert!(!conflict);
        let files = r.files(m);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["A.md", "B.md", "Copy.md"]
        );
        assert_eq!(files["A.md"], file(1, "a"));
        assert_eq!(files["Copy.md"], file(1, "a, copied"));
        assert_eq!(files["B.md"], file(2, "b edited"));
    }

    #[test]
    fn a_side_that_kept_the_bases_tree_takes_the_other_sides_tree() {
        let r = Repo::new();
        let base = r.commit(
            r.root,
            &[("A.md", &file(1, "a")), ("B.md", &file(2, "b"))],
            &[],
        );
        // A merge commit's worth of history on one side, same tree.
        let same = r.commit(base, &[], &[]);
        let edited = r.commit(
            base,
            &[("A.md", &file(1, "a edited")), ("C.md", &file(3, "c"))],
            &["B.md"],
        );
        for (main, db) in [(same, edited), (edited, same)] {
            let (m, conflict) = r.merge(main, db);
            assert!(!conflict);
            assert_eq!(r.files(m), r.files(edited));
        }
    }

    #[test]
    fn git_sibling_names() {
        assert_eq!(git_sibling("a/N.md", |_| false), "a/N ~git.md");
        assert_eq!(git_sibling("N.md", |p| p == "N ~git.md"), "N ~git-2.md");
    }
}
