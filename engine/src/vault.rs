//! The vault: one bare git repository per space, written only through the
//! object database. No working tree, no index, no checkout: every change is
//! blobs → tree → commit → compare-and-swap of a ref (SPEC §5).

use git2::{build::TreeUpdateBuilder, FileMode, ObjectType, Oid, Repository, Signature};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::pagefile::is_page_path;

/// The human branch: users clone, edit and push it.
pub const MAIN: &str = "refs/heads/main";
/// Mirror of what the DB contains; only gitsync moves it, only forward.
pub const DOCMOST: &str = "refs/heads/docmost";
/// The `main` commit whose changes the DB has fully absorbed.
pub const LAST_PUSHED: &str = "refs/gitsync/last-pushed";

/// Above every on-disk backend, so that batched writes go to memory.
const MEMPACK_PRIORITY: i32 = 1000;

const BOT_NAME: &str = "Docmost";
const BOT_EMAIL: &str = "gitsync@docmost.invalid";

/// Rejects pushes that would rewrite what only gitsync may write, and
/// deletions or rewrites of `main` (also covered by the receive.* settings,
/// which a user's global config cannot weaken for this repository).
const PRE_RECEIVE_HOOK: &str = r#"#!/bin/sh
# Installed by gitsync; rewritten when the vault is opened.
zero=0000000000000000000000000000000000000000
status=0
while read -r old new ref; do
    case "$ref" in
        refs/heads/docmost|refs/gitsync/*)
            echo "gitsync: $ref is written by gitsync only; push your changes to main" >&2
            status=1
            ;;
        refs/heads/main)
            if [ "$new" = "$zero" ]; then
                echo "gitsync: main cannot be deleted" >&2
                status=1
            elif [ "$old" != "$zero" ] && ! git merge-base --is-ancestor "$old" "$new"; then
                echo "gitsync: main only moves forward; pull, merge and push again" >&2
                status=1
            fi
            ;;
    esac
done
exit $status
"#;

#[derive(Debug)]
pub struct VaultError(pub String);

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VaultError {}

impl From<git2::Error> for VaultError {
    fn from(e: git2::Error) -> Self {
        VaultError(format!("git: {}", e.message()))
    }
}

impl From<std::io::Error> for VaultError {
    fn from(e: std::io::Error) -> Self {
        VaultError(format!("vault i/o: {e}"))
    }
}

/// One tree entry: object id and git file mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: Oid,
    pub mode: i32,
}

impl Entry {
    /// A regular (non-executable) file holding `id`.
    pub fn file(id: Oid) -> Entry {
        Entry {
            id,
            mode: i32::from(FileMode::Blob),
        }
    }

    pub fn is_regular(&self) -> bool {
        is_regular(self.mode)
    }
}

/// One changed page file: (old path, new path); None for an add or a delete.
pub type PageChange = (Option<String>, Option<String>);

/// One planned ref move: `name` goes from `old` to `new` only if it still
/// points at `old` when applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefUpdate {
    pub name: String,
    pub old: Oid,
    pub new: Oid,
}

pub struct Vault {
    repo: Repository,
    /// Opening created the repository or one of its refs: nothing recorded
    /// about an earlier vault at this path may be trusted.
    created: bool,
    /// Commits written since [`Vault::batched`] began: what its pack holds.
    batch_commits: RefCell<Vec<Oid>>,
}

/// `<vault_root>/<space_id>.git`; the caller has validated `space_id` as a
/// uuid, so nothing from user input shapes the path.
pub fn vault_path(vault_root: &Path, space_id: &str) -> PathBuf {
    vault_root.join(format!("{space_id}.git"))
}

impl Vault {
    /// Opens the vault at `path`, creating it (and finishing a creation that
    /// was interrupted) so that it always has both branches, HEAD → main,
    /// the receive settings and the hook.
    pub fn open_or_init(path: &Path) -> Result<Vault, VaultError> {
        let repo = if path.join("HEAD").is_file() {
            Repository::open_bare(path)?
        } else {
            if path.exists() && !path.is_dir() {
                return Err(VaultError(format!(
                    "vault path {} exists and is not a directory",
                    path.display()
                )));
            }
            let mut opts = git2::RepositoryInitOptions::new();
            opts.bare(true).initial_head("main").mkpath(true);
            Repository::init_opts(path, &opts)?
        };
        let mut vault = Vault {
            repo,
            created: false,
            batch_commits: RefCell::new(Vec::new()),
        };
        vault.created = vault.ensure_refs()?;
        vault.ensure_settings(path)?;
        Ok(vault)
    }

    /// True when [`Vault::open_or_init`] had to create the repository or
    /// any of its refs (a new space, or a vault directory someone deleted).
    pub fn was_created(&self) -> bool {
        self.created
    }

    /// Creates what is missing of the three refs and HEAD; true when a ref
    /// had to be created.
    fn ensure_refs(&self) -> Result<bool, VaultError> {
        let main = self.ref_target(MAIN)?;
        let docmost = self.ref_target(DOCMOST)?;
        let root = match (main, docmost) {
            (_, Some(d)) => d,
            (Some(m), None) => m,
            (None, None) => self.empty_root_commit()?,
        };
        let mut created = false;
        for name in [MAIN, DOCMOST, LAST_PUSHED] {
            if self.ref_target(name)?.is_none() {
                self.repo
                    .reference(name, root, false, "gitsync: initialise vault")?;
                created = true;
            }
        }
        if self
            .repo
            .head()
            .ok()
            .and_then(|h| h.name().map(str::to_owned))
            != Some(MAIN.into())
        {
            self.repo.set_head(MAIN)?;
        }
        Ok(created)
    }

    fn empty_root_commit(&self) -> Result<Oid, VaultError> {
        let tree = self.repo.treebuilder(None)?.write()?;
        self.commit(tree, &[], "Initialise gitsync vault")
    }

    fn ensure_settings(&self, path: &Path) -> Result<(), VaultError> {
        let mut config = self.repo.config()?.open_level(git2::ConfigLevel::Local)?;
        if !matches!(config.get_bool("receive.denyNonFastForwards"), Ok(true)) {
            config.set_bool("receive.denyNonFastForwards", true)?;
        }
        if !matches!(config.get_bool("receive.denyDeletes"), Ok(true)) {
            config.set_bool("receive.denyDeletes", true)?;
        }
        let hook = path.join("hooks").join("pre-receive");
        if std::fs::read_to_string(&hook).ok().as_deref() != Some(PRE_RECEIVE_HOOK) {
            std::fs::create_dir_all(path.join("hooks"))?;
            write_executable(&hook, PRE_RECEIVE_HOOK)?;
        }
        Ok(())
    }

    /// Runs `work` with every object it writes held in memory, then stores
    /// what its commits add as one pack. Writing thousands of loose objects
    /// (a file and often a directory each) is what made a first export
    /// slow; one pack is what `git fast-import` writes too. Objects land on
    /// disk before `work`'s result is returned, so no ref can ever point at
    /// an object that exists only in memory; after an error they are
    /// dropped, which is safe because nothing refers to them.
    pub fn batched<T, E: From<VaultError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let odb = self.repo.odb().map_err(VaultError::from)?;
        let mempack = odb
            .add_new_mempack_backend(MEMPACK_PRIORITY)
            .map_err(VaultError::from)?;
        self.batch_commits.borrow_mut().clear();
        let result = work();
        let stored = match &result {
            Ok(_) => self.store_pack(),
            Err(_) => Ok(()),
        };
        self.batch_commits.borrow_mut().clear();
        mempack.reset().map_err(VaultError::from)?;
        stored?;
        result
    }

    /// Packs the commits written in the batch and the trees and blobs they
    /// reach that are not on disk yet: a cycle that changes one file writes
    /// a pack of a few objects, not its whole tree again (which is what
    /// libgit2's mempack dump would do: it packs every commit's full
    /// tree). Only new trees are opened, so the cost follows the change,
    /// not the size of the vault (a revwalk hiding the refs would mark
    /// every tree they reach first). Objects no new commit reaches are
    /// garbage and are dropped.
    fn store_pack(&self) -> Result<(), VaultError> {
        let commits = self.batch_commits.borrow().clone();
        if commits.is_empty() {
            return Ok(());
        }
        let on_disk = git2::Odb::new()?;
        let objects = self.repo.path().join("objects");
        on_disk.add_disk_alternate(
            objects
                .to_str()
                .ok_or_else(|| VaultError("vault path is not UTF-8".into()))?,
        )?;
        let mut builder = self.repo.packbuilder()?;
        // No delta-search threads inside a database backend.
        builder.set_threads(1);
        let mut seen = HashSet::new();
        let mut trees = Vec::new();
        for commit in commits {
            if !on_disk.exists(commit) && seen.insert(commit) {
                builder.insert_object(commit, None)?;
                trees.push(self.repo.find_commit(commit)?.tree_id());
            }
        }
        while let Some(tree) = trees.pop() {
            if on_disk.exists(tree) || !seen.insert(tree) {
                continue;
            }
            builder.insert_object(tree, None)?;
            for entry in self.repo.find_tree(tree)?.iter() {
                match entry.kind() {
                    Some(ObjectType::Tree) => trees.push(entry.id()),
                    Some(ObjectType::Blob)
                        if !on_disk.exists(entry.id()) && seen.insert(entry.id()) =>
                    {
                        builder.insert_object(entry.id(), None)?;
                    }
                    // Blobs on disk already; submodule commits are not ours.
                    _ => {}
                }
            }
        }
        if builder.object_count() == 0 {
            return Ok(());
        }
        let mut pack = git2::Buf::new();
        builder.write_buf(&mut pack)?;
        let odb = self.repo.odb()?;
        let mut writer = odb.packwriter()?;
        std::io::Write::write_all(&mut writer, &pack)?;
        writer.commit()?;
        Ok(())
    }

    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>, VaultError> {
        match self.repo.find_reference(name) {
            Ok(r) => Ok(r.resolve()?.target()),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Like [`Vault::ref_target`] for a ref every opened vault has.
    pub fn required_ref(&self, name: &str) -> Result<Oid, VaultError> {
        self.ref_target(name)?
            .ok_or_else(|| VaultError(format!("vault has no {name}")))
    }

    /// The page files of a commit's tree: path → blob id. Only regular
    /// files with UTF-8 names that [`is_page_path`] accepts; symlinks,
    /// submodules and everything else are not pages (SPEC §7).
    pub fn page_files(&self, commit: Oid) -> Result<BTreeMap<String, Oid>, VaultError> {
        Ok(self
            .entries(commit)?
            .into_iter()
            .filter(|(path, e)| e.is_regular() && is_page_path(path))
            .map(|(path, e)| (path, e.id))
            .collect())
    }

    pub fn read_blob(&self, oid: Oid) -> Result<Vec<u8>, VaultError> {
        Ok(self.repo.find_blob(oid)?.content().to_vec())
    }

    /// A blob's size, from its object header (the blob is not inflated).
    pub fn blob_size(&self, oid: Oid) -> Result<usize, VaultError> {
        Ok(self.repo.odb()?.read_header(oid)?.0)
    }

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid, VaultError> {
        Ok(self.repo.blob(bytes)?)
    }

    /// The tree of `base` with `upserts` written and `removes` gone; files
    /// the change does not name (including non-page files) stay as they are.
    pub fn updated_tree(
        &self,
        base: Oid,
        upserts: &[(String, Oid)],
        removes: &[String],
    ) -> Result<Oid, VaultError> {
        let entries: Vec<(String, Entry)> = upserts
            .iter()
            .map(|(path, blob)| (path.clone(), Entry::file(*blob)))
            .collect();
        self.tree_with(base, &entries, removes)
    }

    pub fn tree_of(&self, commit: Oid) -> Result<Oid, VaultError> {
        Ok(self.repo.find_commit(commit)?.tree_id())
    }

    /// A commit by the sync bot. Nothing points at it until a ref update
    /// is applied.
    pub fn commit(&self, tree: Oid, parents: &[Oid], message: &str) -> Result<Oid, VaultError> {
        let sig = Signature::now(BOT_NAME, BOT_EMAIL)?;
        let tree = self.repo.find_tree(tree)?;
        let parents = parents
            .iter()
            .map(|p| self.repo.find_commit(*p))
            .collect::<Result<Vec<_>, _>>()?;
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let commit = self
            .repo
            .commit(None, &sig, &sig, message, &tree, &parent_refs)?;
        self.batch_commits.borrow_mut().push(commit);
        Ok(commit)
    }

    /// Every file entry of a commit's tree (any mode, any name that is
    /// UTF-8): path → (blob or gitlink id, file mode). The merge works on
    /// this flat view so that it can re-align paths before merging.
    pub fn entries(&self, commit: Oid) -> Result<BTreeMap<String, Entry>, VaultError> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut out = BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Tree) {
                return git2::TreeWalkResult::Ok;
            }
            if let Some(name) = entry.name() {
                let e = Entry {
                    id: entry.id(),
                    mode: entry.filemode(),
                };
                out.insert(format!("{dir}{name}"), e);
            }
            git2::TreeWalkResult::Ok
        })?;
        Ok(out)
    }

    /// The tree of `base` with the given entries written (with their modes)
    /// and `removes` gone.
    pub fn tree_with(
        &self,
        base: Oid,
        upserts: &[(String, Entry)],
        removes: &[String],
    ) -> Result<Oid, VaultError> {
        let base_tree = self.repo.find_commit(base)?.tree()?;
        let mut builder = TreeUpdateBuilder::new();
        for path in removes {
            builder.remove(path.as_str());
        }
        for (path, e) in upserts {
            builder.upsert(path.as_str(), e.id, file_mode(e.mode));
        }
        Ok(builder.create_updated(&self.repo, &base_tree)?)
    }

    /// The best common ancestor of two commits, if they share history.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>, VaultError> {
        match self.repo.merge_base(a, b) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// libgit2's line-based 3-way file merge (`ancestor` None = empty).
    /// Trailing-whitespace-only differences never conflict; with
    /// `favor_ours`, hunks changed on both sides take `ours`. Returns the
    /// merged bytes and whether any hunk conflicted.
    pub fn merge_blobs(
        &self,
        ancestor: Option<Oid>,
        ours: Oid,
        theirs: Oid,
        favor_ours: bool,
    ) -> Result<(Vec<u8>, bool), VaultError> {
        let empty;
        let ancestor = match ancestor {
            Some(a) => a,
            None => {
                empty = self.repo.blob(b"")?;
                empty
            }
        };
        let entry = |id: Oid| git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: i32::from(FileMode::Blob) as u32,
            uid: 0,
            gid: 0,
            file_size: 0,
            id,
            flags: 0,
            flags_extended: 0,
            path: b"page.md".to_vec(),
        };
        let mut opts = git2::MergeFileOptions::new();
        opts.ignore_whitespace_eol(true);
        if favor_ours {
            opts.favor(git2::FileFavor::Ours);
        }
        let result = self.repo.merge_file_from_index(
            &entry(ancestor),
            &entry(ours),
            &entry(theirs),
            Some(&mut opts),
        )?;
        Ok((result.content().to_vec(), !result.is_automergeable()))
    }

    /// Page-file changes from `old` to `new` with rename detection:
    /// (old path, new path) pairs, either side None for adds and deletes.
    pub fn page_changes(&self, old: Oid, new: Oid) -> Result<Vec<PageChange>, VaultError> {
        let old_tree = self.repo.find_commit(old)?.tree()?;
        let new_tree = self.repo.find_commit(new)?.tree()?;
        // libgit2 walks both trees whole even when they are one tree.
        if old_tree.id() == new_tree.id() {
            return Ok(Vec::new());
        }
        let mut diff = self
            .repo
            .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
        let mut find = git2::DiffFindOptions::new();
        find.renames(true);
        diff.find_similar(Some(&mut find))?;
        let mut out = Vec::new();
        for delta in diff.deltas() {
            let path = |f: git2::DiffFile| {
                f.path()
                    .and_then(|p| p.to_str())
                    .map(str::to_owned)
                    .filter(|p| is_page_path(p) && is_regular(i32::from(f.mode())))
            };
            let (o, n) = match delta.status() {
                git2::Delta::Added => (None, path(delta.new_file())),
                git2::Delta::Deleted => (path(delta.old_file()), None),
                _ => (path(delta.old_file()), path(delta.new_file())),
            };
            if o.is_some() || n.is_some() {
                out.push((o, n));
            }
        }
        Ok(out)
    }

    pub fn parents(&self, commit: Oid) -> Result<Vec<Oid>, VaultError> {
        Ok(self.repo.find_commit(commit)?.parent_ids().collect())
    }

    /// True when `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool, VaultError> {
        Ok(ancestor == descendant || self.repo.graph_descendant_of(descendant, ancestor)?)
    }

    /// Applies planned ref moves in order, each a compare-and-swap. Returns
    /// the updates that lost their race (the ref had moved since planning);
    /// the next cycle starts from whatever the ref holds then.
    pub fn apply_ref_updates(&self, updates: &[RefUpdate]) -> Result<Vec<RefUpdate>, VaultError> {
        let mut lost = Vec::new();
        for u in updates {
            if u.old == u.new {
                continue;
            }
            let result =
                self.repo
                    .reference_matching(&u.name, u.new, true, u.old, "gitsync: cycle");
            match result {
                Ok(_) => {}
                Err(e) if e.code() == git2::ErrorCode::Modified => lost.push(u.clone()),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(lost)
    }
}

fn file_mode(mode: i32) -> FileMode {
    [
        FileMode::Blob,
        FileMode::BlobExecutable,
        FileMode::Link,
        FileMode::Commit,
    ]
    .into_iter()
    .find(|m| i32::from(*m) == mode)
    .unwrap_or(FileMode::Blob)
}

fn is_regular(mode: i32) -> bool {
    mode == i32::from(FileMode::Blob) || mode == i32::from(FileMode::BlobExecutable)
}

fn write_executable(path: &Path, text: &str) -> Result<(), VaultError> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = path.with_extension("gitsync-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> (tempfile::TempDir, Vault, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = vault_path(dir.path(), "0190c0de-0000-7000-8000-000000000001");
        let vault = Vault::open_or_init(&path).unwrap();
        (dir, vault, path)
    }

    #[test]
    fn new_vault_has_one_empty_root_commit_on_both_branches() {
        let (_dir, vault, path) = fresh();
        let main = vault.required_ref(MAIN).unwrap();
        assert_eq!(vault.required_ref(DOCMOST).unwrap(), main);
        assert_eq!(vault.required_ref(LAST_PUSHED).unwrap(), main);
        let commit = vault.repo.find_commit(main).unwrap();
        assert_eq!(commit.parent_count(), 0);
        assert_eq!(commit.tree().unwrap().len(), 0);
        assert_eq!(vault.repo.head().unwrap().name(), Some(MAIN));
        assert!(vault.repo.is_bare());
        let hook = std::fs::read_to_string(path.join("hooks/pre-receive")).unwrap();
        assert!(hook.contains("refs/heads/docmost|refs/gitsync/*"));
        let config = vault.repo.config().unwrap();
        assert!(config.get_bool("receive.denyNonFastForwards").unwrap());
    }

    /// Objects in the vault's packs, from each pack's header.
    fn packed_objects(path: &Path) -> u32 {
        std::fs::read_dir(path.join("objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pack"))
            .map(|p| {
                let bytes = std::fs::read(p).unwrap();
                u32::from_be_bytes(bytes[8..12].try_into().unwrap())
            })
            .sum()
    }

    /// One batch: `files` written on top of `parent`, committed.
    fn batch(vault: &Vault, parent: Oid, files: &[(String, String)]) -> Oid {
        vault
            .batched(|| -> Result<Oid, VaultError> {
                let mut upserts = Vec::new();
                for (path, text) in files {
                    upserts.push((path.clone(), vault.write_blob(text.as_bytes())?));
                }
                let tree = vault.updated_tree(parent, &upserts, &[])?;
                vault.commit(tree, &[parent], "batch")
            })
            .unwrap()
    }

    #[test]
    fn a_batch_packs_only_what_its_commits_add() {
        let (_dir, vault, path) = fresh();
        let root = vault.required_ref(MAIN).unwrap();
        let fifty: Vec<(String, String)> = (0..50)
            .map(|i| (format!("d{}/f{i}.md", i % 5), format!("file {i}")))
            .collect();
        let first = batch(&vault, root, &fifty);
        // commit + root tree + 5 folders + 50 blobs
        assert_eq!(packed_objects(&path), 57);
        let update = RefUpdate {
            name: MAIN.into(),
            old: root,
            new: first,
        };
        assert!(vault.apply_ref_updates(&[update]).unwrap().is_empty());

        let second = batch(&vault, first, &[("d0/f0.md".into(), "changed".into())]);
        // commit + root tree + d0 + the new blob, not the whole tree again
        assert_eq!(packed_objects(&path), 57 + 4);
        vault.batched(|| Ok::<(), VaultError>(())).unwrap();
        assert_eq!(packed_objects(&path), 61, "an idle batch writes no pack");

        let reopened = Vault::open_or_init(&path).unwrap();
        let files = reopened.page_files(second).unwrap();
        assert_eq!(files.len(), 50);
        assert_eq!(reopened.read_blob(files["d0/f0.md"]).unwrap(), b"changed");
        assert_eq!(reopened.read_blob(files["d4/f9.md"]).unwrap(), b"file 9");
    }

    #[test]
    fn reopening_keeps_history() {
        let (_dir, vault, path) = fresh();
        let root = vault.required_ref(MAIN).unwrap();
        let blob = vault.write_blob(b"x").unwrap();
        let tree = vault
            .updated_tree(root, &[("a.md".into(), blob)], &[])
            .unwrap();
        let c = vault.commit(tree, &[root], "m").unwrap();
        let lost = vault
            .apply_ref_updates(&[RefUpdate {
                name: MAIN.into(),
                old: root,
                new: c,
            }])
            .unwrap();
        assert!(lost.is_empty());
        let again = Vault::open_or_init(&path).unwrap();
        assert_eq!(again.required_ref(MAIN).unwrap(), c);
        assert_eq!(again.required_ref(DOCMOST).unwrap(), root);
    }

    #[test]
    fn ref_update_is_compare_and_swap() {
        let (_dir, vault, _path) = fresh();
        let root = vault.required_ref(MAIN).unwrap();
        let tree = vault.tree_of(root).unwrap();
        let a = vault.commit(tree, &[root], "a").unwrap();
        let b = vault.commit(tree, &[root], "b").unwrap();
        let first = RefUpdate {
            name: MAIN.into(),
            old: root,
            new: a,
        };
        let stale = RefUpdate {
            name: MAIN.into(),
            old: root,
            new: b,
        };
        assert!(vault.apply_ref_updates(&[first]).unwrap().is_empty());
        assert_eq!(
            vault
                .apply_ref_updates(std::slice::from_ref(&stale))
                .unwrap(),
            vec![stale]
        );
        assert_eq!(vault.required_ref(MAIN).unwrap(), a);
    }

    #[test]
    fn page_files_skip_non_pages_symlinks_and_dot_folders() {
        let (_dir, vault, _path) = fresh();
        let root = vault.required_ref(MAIN).unwrap();
        let blob = vault.write_blob(b"body").unwrap();
        let tree = vault
            .updated_tree(
                root,
                &[
                    ("A.md".into(), blob),
                    ("B/C.md".into(), blob),
                    (".obsidian/x.md".into(), blob),
                    ("img.png".into(), blob),
                ],
                &[],
            )
            .unwrap();
        // A symlink named like a page must not count as one.
        let mut tb = vault
            .repo
            .treebuilder(Some(&vault.repo.find_tree(tree).unwrap()))
            .unwrap();
        tb.insert("link.md", blob, i32::from(FileMode::Link))
            .unwrap();
        let tree = tb.write().unwrap();
        let c = vault.commit(tree, &[root], "t").unwrap();
        let files: Vec<String> = vault.page_files(c).unwrap().into_keys().collect();
        assert_eq!(files, vec!["A.md".to_string(), "B/C.md".to_string()]);
    }

    #[test]
    fn updated_tree_removes_and_keeps_unnamed_files() {
        let (_dir, vault, _path) = fresh();
        let root = vault.required_ref(MAIN).unwrap();
        let blob = vault.write_blob(b"1").unwrap();
        let t1 = vault
            .updated_tree(
                root,
                &[("P.md".into(), blob), ("notes.txt".into(), blob)],
                &[],
            )
            .unwrap();
        let c1 = vault.commit(t1, &[root], "1").unwrap();
        let t2 = vault
            .updated_tree(c1, &[("P/P.md".into(), blob)], &["P.md".into()])
            .unwrap();
        let c2 = vault.commit(t2, &[c1], "2").unwrap();
        let tree = vault.repo.find_commit(c2).unwrap().tree().unwrap();
        assert!(tree.get_path(Path::new("P/P.md")).is_ok());
        assert!(tree.get_path(Path::new("P.md")).is_err());
        assert!(tree.get_path(Path::new("notes.txt")).is_ok());
        assert!(vault.is_ancestor(c1, c2).unwrap());
        assert!(!vault.is_ancestor(c2, c1).unwrap());
    }

    #[test]
    fn a_file_in_the_way_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = vault_path(dir.path(), "0190c0de-0000-7000-8000-000000000002");
        std::fs::write(&path, "not a repo").unwrap();
        let err = Vault::open_or_init(&path).err().unwrap();
        assert!(err.0.contains("is not a directory"), "{err}");
    }
}
