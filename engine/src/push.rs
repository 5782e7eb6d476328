//! The push: what `main` changed since `docmost` (the DB's state) goes to
//! the DB (SPEC §6 "Push"). Every page is isolated: a failure is recorded
//! and that page alone is retried next cycle. Nothing here moves a ref:
//! id write-backs are a commit on top of `main` that the caller publishes.

use git2::Oid;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::convert;
use crate::error::EngineError;
use crate::layout::sanitize_name;
use crate::markers;
use crate::model::{is_uuid, PageMeta};
use crate::pagefile::{self, PageFile};
use crate::pull::PageFailure;
use crate::store::{NewPage, PageRow, PageUpdate, Store, WriteOutcome};
use crate::vault::{Entry, PageChange, Vault};

/// More `~git` copies than this in one push looks like a merge feeding on
/// itself: the whole push is refused (SPEC §6).
pub const MAX_GIT_COPY_CREATES: usize = 20;

pub struct PushOptions<'a> {
    pub space_id: &'a str,
    /// The service user: author of every DB write.
    pub actor: &'a str,
    /// The space's `autoMergeConflicts` setting.
    pub auto_merge_conflicts: bool,
    /// Page files larger than this are per-file failures.
    pub max_file_bytes: usize,
}

#[derive(Debug, Default)]
pub struct PushOutcome {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub failures: Vec<PageFailure>,
    pub warnings: Vec<String>,
    /// A commit on top of `main` holding written-back ids and cleaned
    /// files, to become `main`.
    pub write_back: Option<Oid>,
    /// Pages whose DB state now matches their file on `main`.
    pub settled: HashSet<String>,
    /// True when the growth breaker refused the whole push.
    pub refused: bool,
}

impl PushOutcome {
    pub fn writes(&self) -> usize {
        self.created + self.updated + self.deleted
    }
}

/// What a page file on `main` says about its page.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Claim {
    None,
    Malformed(String),
    Id(String),
}

/// A page file of `main` that the push reads.
struct HeadFile {
    claim: Claim,
    /// The parsed file, or why it cannot be a page; None for a file this
    /// push did not change whose blob an export wrote (its claim is that
    /// page's id), until a sync needs its body.
    parsed: Option<Result<PageFile, String>>,
}

/// What to do with one changed file of `main`.
#[derive(Debug)]
enum Op {
    /// A new page from a file without id (or a copy of another page's file).
    Create { path: String, copy: bool },
    /// The page the file names: body, title, parent, restore.
    Sync { path: String, id: String },
}

/// A page whose file left `main`: (its old path, its id).
type Deletion = (String, String);

/// Pushes `base` → `head` (`base` = the merge-base of `docmost` and `main`)
/// into the DB. `pages` are the rows as the pull read them: writes are
/// compare-and-swap against their `updated_at`. `exported` maps blobs the
/// export wrote to the page id each claims, so that the files this push
/// did not change need not be read to know which page they hold.
pub fn push(
    store: &mut dyn Store,
    vault: &Vault,
    opts: &PushOptions,
    base: Oid,
    head: Oid,
    pages: &[PageMeta],
    exported: &HashMap<Oid, String>,
) -> Result<PushOutcome, EngineError> {
    let mut out = PushOutcome::default();
    let changes = vault.page_changes(base, head)?;
    if changes.is_empty() {
        return Ok(out);
    }
    let mut run = Run::new(store, vault, opts, (base, head), pages, exported, &changes)?;
    run.recover_lost_ids(&changes)?;
    let (ops, deletes) = run.classify(&changes, &mut out)?;
    let git_copies = ops
        .iter()
        .filter(|op| matches!(op, Op::Create { path, .. } if is_git_copy(path)))
        .count();
    if git_copies > MAX_GIT_COPY_CREATES {
        out.refused = true;
        let error = format!(
            "{git_copies} new `~git` pages in one push (limit {MAX_GIT_COPY_CREATES}); push refused"
        );
        out.warnings.push(error.clone());
        out.failures.push(PageFailure {
            path: String::new(),
            page_id: String::new(),
            kind: "refused",
            error,
        });
        return Ok(out);
    }
    run.apply(ops, deletes, &mut out)?;
    out.write_back = run.write_back()?;
    Ok(out)
}

/// The state of one push while it runs.
struct Run<'s, 'v> {
    store: &'s mut dyn Store,
    vault: &'v Vault,
    opts: &'v PushOptions<'v>,
    head: Oid,
    head_blobs: BTreeMap<String, Oid>,
    base_blobs: BTreeMap<String, Oid>,
    files: BTreeMap<String, HeadFile>,
    meta: HashMap<String, PageMeta>,
    /// Files of `main` that get new bytes (ids, cleaned bodies).
    rewrites: BTreeMap<String, String>,
    /// Page id of files whose page was created or adopted in this push.
    created: HashMap<String, String>,
    /// Files whose create failed: their children cannot be placed.
    failed_paths: HashSet<String>,
}

impl<'s, 'v> Run<'s, 'v> {
    fn new(
        store: &'s mut dyn Store,
        vault: &'v Vault,
        opts: &'v PushOptions<'v>,
        (base, head): (Oid, Oid),
        pages: &[PageMeta],
        exported: &HashMap<Oid, String>,
        changes: &[PageChange],
    ) -> Result<Self, EngineError> {
        let head_blobs = vault.page_files(head)?;
        let changed: HashSet<&String> = changes.iter().filter_map(|(_, n)| n.as_ref()).collect();
        let mut files = BTreeMap::new();
        for (path, blob) in &head_blobs {
            let file = match exported.get(blob) {
                Some(id)
                    if !changed.contains(path)
                        && vault.blob_size(*blob)? <= opts.max_file_bytes =>
                {
                    HeadFile {
                        claim: Claim::Id(id.clone()),
                        parsed: None,
                    }
                }
                _ => read_file(vault, *blob, opts.max_file_bytes)?,
            };
            files.insert(path.clone(), file);
        }
        Ok(Run {
            store,
            vault,
            opts,
            head,
            base_blobs: vault.page_files(base)?,
            head_blobs,
            files,
            meta: pages.iter().map(|p| (p.id.clone(), p.clone())).collect(),
            rewrites: BTreeMap::new(),
            created: HashMap::new(),
            failed_paths: HashSet::new(),
        })
    }

    /// id → paths on `main` that claim it.
    fn claims(&self) -> HashMap<String, Vec<String>> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (path, f) in &self.files {
            if let Claim::Id(id) = &f.claim {
                out.entry(id.clone()).or_default().push(path.clone());
            }
        }
        out
    }

    fn base_claim(&self, path: &str) -> Result<Claim, EngineError> {
        Ok(match self.base_blobs.get(path) {
            Some(blob) => read_file(self.vault, *blob, usize::MAX)?.claim,
            None => Claim::None,
        })
    }

    /// A file that lost its frontmatter keeps the id its pre-image had
    /// [C10-D1], unless that id lives in another file now; the id is
    /// written back into the file.
    fn recover_lost_ids(&mut self, changes: &[PageChange]) -> Result<(), EngineError> {
        for (old, new) in changes {
            let (Some(old), Some(new)) = (old, new) else {
                continue;
            };
            let readable = self
                .files
                .get(new)
                .is_some_and(|f| matches!(f.parsed, Some(Ok(_))));
            if !readable || self.files[new].claim != Claim::None {
                continue;
            }
            let Claim::Id(id) = self.base_claim(old)? else {
                continue;
            };
            if self.claims().contains_key(&id) {
                continue;
            }
            let file = self.files.get_mut(new).expect("checked above");
            file.claim = Claim::Id(id.clone());
            if let Some(Ok(parsed)) = &file.parsed {
                let text = pagefile::render(&id, &parsed.extra_frontmatter, &parsed.body);
                self.rewrites.insert(new.clone(), text);
            }
        }
        Ok(())
    }

    /// Turns the changed paths into creates and syncs (parents first) and
    /// the ids that left `main` into deletes.
    fn classify(
        &mut self,
        changes: &[PageChange],
        out: &mut PushOutcome,
    ) -> Result<(Vec<Op>, Vec<Deletion>), EngineError> {
        let claims = self.claims();
        let changed: BTreeSet<&String> = changes.iter().filter_map(|(_, n)| n.as_ref()).collect();
        let renamed_from: HashMap<&String, &String> = changes
            .iter()
            .filter_map(|(o, n)| Some((n.as_ref()?, o.as_ref()?)))
            .collect();
        let mut ops = Vec::new();
        for path in &changed {
            let file = &self.files[*path];
            if let Some(Err(error)) = &file.parsed {
                out.failures.push(failure(path, "", "file", error.clone()));
                continue;
            }
            match &file.claim {
                Claim::None => ops.push(Op::Create {
                    path: (*path).clone(),
                    copy: false,
                }),
                Claim::Malformed(raw) => out
                    .warnings
                    .push(format!("{path}: malformed gitmost_id {raw:?} ignored")),
                Claim::Id(id) => {
                    let holders = &claims[id];
                    let primary = self.primary_path(id, holders, &changed, &renamed_from)?;
                    if **path == primary {
                        ops.push(Op::Sync {
                            path: (*path).clone(),
                            id: id.clone(),
                        });
                    } else {
                        ops.push(Op::Create {
                            path: (*path).clone(),
                            copy: true,
                        });
                    }
                }
            }
        }
        // Creates first, parents before children; then syncs, so a page
        // moved into a new folder finds its new parent.
        ops.sort_by_key(|op| match op {
            Op::Create { path, .. } => (0, page_depth(path), path.clone()),
            Op::Sync { path, .. } => (1, page_depth(path), path.clone()),
        });

        let mut deletes = Vec::new();
        for (old, new) in changes {
            let Some(old) = old else { continue };
            let new_claim = new.as_ref().map(|n| self.files[n].claim.clone());
            if matches!(new_claim, Some(Claim::Malformed(_))) {
                continue; // a damaged id is a warning, never a delete
            }
            if let Claim::Id(id) = self.base_claim(old)? {
                if !claims.contains_key(&id) && !deletes.iter().any(|(_, d)| *d == id) {
                    deletes.push((old.clone(), id));
                }
            }
        }
        self.rescue_children(&deletes, &claims, &mut ops);
        Ok((ops, deletes))
    }

    /// The parsed file at `path`, read now if the push had no need of it
    /// before.
    fn parsed(&mut self, path: &str) -> Result<PageFile, String> {
        let max = self.opts.max_file_bytes;
        let (Some(file), Some(blob)) = (self.files.get_mut(path), self.head_blobs.get(path)) else {
            return Err(format!("{path} is not a page file on main"));
        };
        if file.parsed.is_none() {
            let read = read_file(self.vault, *blob, max).map_err(|e| e.to_string())?;
            file.parsed = read.parsed;
        }
        match &file.parsed {
            Some(parsed) => parsed.clone(),
            None => Err(format!("{path} could not be read")),
        }
    }

    /// Live children of a page about to be trashed whose files are still on
    /// `main` are placed by their files first (syncs run before deletes),
    /// so trashing the parent does not take them along.
    fn rescue_children(
        &self,
        deletes: &[Deletion],
        claims: &HashMap<String, Vec<String>>,
        ops: &mut Vec<Op>,
    ) {
        let gone: HashSet<&str> = deletes.iter().map(|(_, id)| id.as_str()).collect();
        let synced: HashSet<String> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Sync { id, .. } => Some(id.clone()),
                Op::Create { .. } => None,
            })
            .collect();
        let mut kids: Vec<&PageMeta> = self
            .meta
            .values()
            .filter(|m| !m.deleted && !synced.contains(&m.id))
            .filter(|m| m.parent_id.as_deref().is_some_and(|p| gone.contains(p)))
            .collect();
        kids.sort_by(|a, b| a.id.cmp(&b.id));
        for kid in kids {
            if let Some([path]) = claims.get(&kid.id).map(Vec::as_slice) {
                ops.push(Op::Sync {
                    path: path.clone(),
                    id: kid.id.clone(),
                });
            }
        }
    }

    /// Of several files claiming one id, the one that is the page: the
    /// file that did not change (the page's existing file), else the one
    /// renamed from a file with that id, else the first by path.
    fn primary_path(
        &self,
        id: &str,
        holders: &[String],
        changed: &BTreeSet<&String>,
        renamed_from: &HashMap<&String, &String>,
    ) -> Result<String, EngineError> {
        if let Some(unchanged) = holders.iter().find(|p| !changed.contains(p)) {
            return Ok(unchanged.clone());
        }
        for p in holders {
            if let Some(old) = renamed_from.get(p) {
                if self.base_claim(old)? == Claim::Id(id.to_string()) {
                    return Ok(p.clone());
                }
            }
        }
        Ok(holders[0].clone())
    }

    fn apply(
        &mut self,
        ops: Vec<Op>,
        deletes: Vec<Deletion>,
        out: &mut PushOutcome,
    ) -> Result<(), EngineError> {
        let mut ids: Vec<String> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Sync { id, .. } => Some(id.clone()),
                Op::Create { .. } => None,
            })
            .collect();
        ids.extend(deletes.iter().map(|(_, id)| id.clone()));
        let rows = self.store.page_rows(&ids)?;
        for op in ops {
            match op {
                Op::Create { path, copy } => self.create(&path, copy, out)?,
                Op::Sync { path, id } => match rows.get(&id) {
                    Some(row) => self.sync(&path, &id, row, out)?,
                    None => out
                        .warnings
                        .push(format!("{path}: no page has id {id}; file ignored")),
                },
            }
        }
        for (path, id) in deletes {
            // An adoption may have given the id a file again.
            if !self.claims().contains_key(&id) {
                self.delete(&path, &id, rows.get(&id), out);
            }
        }
        Ok(())
    }

    /// The body to write for a file, or the per-page failure it is.
    fn body_of(&mut self, path: &str, id: &str) -> Result<String, PageFailure> {
        let parsed = match self.parsed(path) {
            Ok(p) => p,
            Err(e) => return Err(failure(path, id, "file", e)),
        };
        if !markers::has_conflict_markers(&parsed.body) {
            return Ok(parsed.body);
        }
        if !self.opts.auto_merge_conflicts {
            return Err(failure(
                path,
                id,
                "conflict",
                "unresolved conflict markers".into(),
            ));
        }
        let clean = markers::strip_conflict_markers(&parsed.body);
        if let Claim::Id(file_id) = &self.files[path].claim {
            let text = pagefile::render(file_id, &parsed.extra_frontmatter, &clean);
            self.rewrites.insert(path.to_string(), text);
        }
        Ok(clean)
    }

    fn create(&mut self, path: &str, copy: bool, out: &mut PushOutcome) -> Result<(), EngineError> {
        let body = match self.body_of(path, "") {
            Ok(b) => b,
            Err(f) => {
                self.failed_paths.insert(path.to_string());
                out.failures.push(f);
                return Ok(());
            }
        };
        let Ok(parent) = self.parent_of(path) else {
            self.failed_paths.insert(path.to_string());
            let error = "its folder's page could not be created".to_string();
            out.failures.push(failure(path, "", "create", error));
            return Ok(());
        };
        let title = create_title(path);
        let claims = self.claims();
        if let Some(adopted) = self.adoptable(&parent, &title, &claims) {
            // A page created by an earlier cycle whose id never reached
            // the file (crash before the write-back) [#1].
            self.assign_id(path, &adopted);
            let row = PageRow {
                space_id: self.opts.space_id.to_string(),
                deleted: false,
            };
            return self.sync(path, &adopted, &row, out);
        }
        let page = NewPage {
            space_id: self.opts.space_id.to_string(),
            parent_id: parent,
            title,
            content: convert::from_markdown(&body),
        };
        match self.store.create_page(&page, self.opts.actor) {
            Ok(id) => {
                self.assign_id(path, &id);
                out.created += 1;
                out.settled.insert(id);
            }
            Err(e) => {
                self.failed_paths.insert(path.to_string());
                let kind = if copy { "copy" } else { "create" };
                out.failures.push(failure(path, "", kind, e.to_string()));
            }
        }
        Ok(())
    }

    /// A live page of the space with this parent and title that no file on
    /// `main` claims, if exactly one.
    fn adoptable(
        &self,
        parent: &Option<String>,
        title: &str,
        claims: &HashMap<String, Vec<String>>,
    ) -> Option<String> {
        let mut found = self.meta.values().filter(|m| {
            !m.deleted
                && m.parent_id == *parent
                && m.title.as_deref().unwrap_or("") == title
                && !claims.contains_key(&m.id)
        });
        let first = found.next()?;
        found.next().is_none().then(|| first.id.clone())
    }

    /// Gives a file its page id: recorded for children's parents and
    /// written back into the file on `main`.
    fn assign_id(&mut self, path: &str, id: &str) {
        self.created.insert(path.to_string(), id.to_string());
        if let Some(file) = self.files.get_mut(path) {
            file.claim = Claim::Id(id.to_string());
            if let Some(Ok(parsed)) = &file.parsed {
                let body = match self.rewrites.get(path) {
                    Some(text) => pagefile::parse(text).body,
                    None => parsed.body.clone(),
                };
                let text = pagefile::render(id, &parsed.extra_frontmatter, &body);
                self.rewrites.insert(path.to_string(), text);
            }
        }
    }

    fn sync(
        &mut self,
        path: &str,
        id: &str,
        row: &PageRow,
        out: &mut PushOutcome,
    ) -> Result<(), EngineError> {
        if row.space_id != self.opts.space_id {
            out.warnings.push(format!(
                "{path}: page {id} belongs to another space; file ignored"
            ));
            return Ok(());
        }
        let Some(meta) = self.meta.get(id).cloned() else {
            // Created after the pull read the space: seen next cycle.
            return Ok(());
        };
        let body = match self.body_of(path, id) {
            Ok(b) => b,
            Err(f) => {
                out.failures.push(f);
                return Ok(());
            }
        };
        let Ok(parent) = self.parent_of(path) else {
            let error = "its folder's page could not be created".to_string();
            out.failures.push(failure(path, id, "move", error));
            return Ok(());
        };
        let mut update = PageUpdate::new(id, meta.updated_at_us);
        update.restore = meta.deleted || row.deleted;
        update.title = title_change(&stem(path), &meta);
        if parent != meta.parent_id && parent.as_deref() != Some(id) {
            update.parent_id = Some(parent);
        }
        let content = convert::from_markdown(&body);
        let current = self.store.page_contents(&[id.to_string()])?;
        let current = current.get(id).cloned().flatten();
        let empty = json!({"type": "doc", "content": []});
        if !convert::canonical_eq(&content, current.as_ref().unwrap_or(&empty)) {
            update.content = Some(content);
        }
        if update.is_empty() {
            return Ok(());
        }
        match self.store.update_page(&update, self.opts.actor) {
            Ok(WriteOutcome::Written) => {
                out.updated += 1;
                out.settled.insert(id.to_string());
            }
            Ok(WriteOutcome::Stale) => out.warnings.push(format!(
                "{path}: page {id} changed in Docmost during the cycle; retried next cycle"
            )),
            Err(e) => out
                .failures
                .push(failure(path, id, "update", e.to_string())),
        }
        Ok(())
    }

    /// The file left `main` and its id lives in no other file.
    fn delete(&mut self, path: &str, id: &str, row: Option<&PageRow>, out: &mut PushOutcome) {
        let Some(row) = row else { return };
        if row.space_id != self.opts.space_id {
            // Moved to another space: preserved, only the file goes.
            return;
        }
        let Some(meta) = self.meta.get(id) else {
            return;
        };
        if row.deleted || meta.deleted {
            return;
        }
        match self
            .store
            .soft_delete_page(id, meta.updated_at_us, self.opts.actor)
        {
            Ok(WriteOutcome::Written) => out.deleted += 1,
            Ok(WriteOutcome::Stale) => out.warnings.push(format!(
                "{path}: page {id} changed in Docmost during the cycle; not trashed, retried next cycle"
            )),
            Err(e) => out.failures.push(failure(path, id, "delete", e.to_string())),
        }
    }

    /// The page a file belongs under: the nearest enclosing folder note
    /// that is a page of this space. Err when that note's page failed to
    /// be created in this push.
    fn parent_of(&self, path: &str) -> Result<Option<String>, ()> {
        for note in enclosing_notes(path) {
            if self.failed_paths.contains(&note) {
                return Err(());
            }
            if let Some(id) = self.created.get(&note) {
                return Ok(Some(id.clone()));
            }
            let Some(file) = self.files.get(&note) else {
                continue;
            };
            if let Claim::Id(id) = &file.claim {
                if self.meta.contains_key(id) {
                    return Ok(Some(id.clone()));
                }
            }
        }
        Ok(None)
    }

    /// Commits the rewritten files on top of `main`.
    fn write_back(&self) -> Result<Option<Oid>, EngineError> {
        let mut upserts = Vec::new();
        for (path, text) in &self.rewrites {
            let blob = self.vault.write_blob(text.as_bytes())?;
            if self.head_blobs.get(path) != Some(&blob) {
                upserts.push((path.clone(), Entry::file(blob)));
            }
        }
        if upserts.is_empty() {
            return Ok(None);
        }
        let tree = self.vault.tree_with(self.head, &upserts, &[])?;
        let message = format!(
            "Write back {} page file(s) after pushing to Docmost\n\nDocmost-Sync-Source: docmost\n",
            upserts.len()
        );
        Ok(Some(self.vault.commit(tree, &[self.head], &message)?))
    }
}

fn read_file(vault: &Vault, blob: Oid, max: usize) -> Result<HeadFile, EngineError> {
    let bytes = vault.read_blob(blob)?;
    if bytes.len() > max {
        return Ok(HeadFile {
            claim: Claim::None,
            parsed: Some(Err(format!("page file is larger than {max} bytes"))),
        });
    }
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(HeadFile {
            claim: Claim::None,
            parsed: Some(Err("page file is not valid UTF-8".into())),
        });
    };
    let parsed = pagefile::parse(&text);
    let claim = match &parsed.id {
        None => Claim::None,
        Some(raw) if is_uuid(raw) => Claim::Id(raw.to_ascii_lowercase()),
        Some(raw) => Claim::Malformed(raw.clone()),
    };
    Ok(HeadFile {
        claim,
        parsed: Some(Ok(parsed)),
    })
}

fn failure(path: &str, id: &str, kind: &'static str, error: String) -> PageFailure {
    PageFailure {
        path: path.to_string(),
        page_id: id.to_string(),
        kind,
        error,
    }
}

/// The file name without `.md`.
fn stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).to_string()
}

/// True for `<name> ~git.md` and `<name> ~git-<n>.md`.
fn is_git_copy(path: &str) -> bool {
    strip_git_suffix(&stem(path)).len() != stem(path).len()
}

fn strip_git_suffix(stem: &str) -> &str {
    let Some((name, tag)) = stem.rsplit_once(" ~git") else {
        return stem;
    };
    let numbered = tag
        .strip_prefix('-')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if tag.is_empty() || numbered {
        name
    } else {
        stem
    }
}

/// The title of a page created from a file: its stem, verbatim. A `~git`
/// copy keeps its suffix in the wiki too: it tells the reader which page is
/// git's side of an add/add, and a distinct title keeps the layout from
/// swapping the two pages' paths on their (random) slugs.
fn create_title(path: &str) -> String {
    stem(path)
}

/// The new title a file's stem asks for, if it is one. The layout's own
/// spellings of the current title (sanitized, ` ~<slug>` / ` ~<id>` /
/// ` ~git` suffixes) are not title changes.
fn title_change(stem: &str, page: &PageMeta) -> Option<String> {
    let current = page.title.as_deref().unwrap_or("");
    let name = sanitize_name(current);
    let mut bare = strip_git_suffix(stem);
    for tag in [&page.slug_id, &page.id] {
        if let Some(b) = bare.strip_suffix(&format!(" ~{tag}")) {
            bare = b;
        }
    }
    let same = [stem, bare].iter().any(|s| *s == name || *s == current);
    (!same).then(|| bare.to_string())
}

/// The folders enclosing a file's page, innermost last. A folder note's
/// own folder does not count: `B/B.md` lives in `B`'s parent.
fn page_dirs(path: &str) -> Vec<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    let file = parts[parts.len() - 1];
    let mut dirs = parts[..parts.len() - 1].to_vec();
    if dirs.last().is_some_and(|d| format!("{d}.md") == file) {
        dirs.pop();
    }
    dirs
}

/// Files that could hold a file's parent page, nearest first: for each
/// enclosing folder `F`, its folder note `F/F.md`, then a leaf `F.md`
/// beside it (a user who adds the first child of a leaf page rarely moves
/// the leaf into the new folder).
fn enclosing_notes(path: &str) -> Vec<String> {
    let dirs = page_dirs(path);
    let mut out = Vec::new();
    for k in (1..=dirs.len()).rev() {
        let name = dirs[k - 1];
        out.push(format!("{}/{name}.md", dirs[..k].join("/")));
        match k {
            1 => out.push(format!("{name}.md")),
            _ => out.push(format!("{}/{name}.md", dirs[..k - 1].join("/"))),
        }
    }
    out
}

/// Depth of the folder a page lives in, so parents sort first.
fn page_depth(path: &str) -> usize {
    page_dirs(path).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(title: &str) -> PageMeta {
        PageMeta {
            id: "0190c0de-0000-7000-8000-000000000001".into(),
            slug_id: "abc123".into(),
            title: Some(title.into()),
            parent_id: None,
            deleted: false,
            updated_at_us: 0,
        }
    }

    #[test]
    fn titles_from_stems() {
        assert_eq!(title_change("Notes", &meta("Notes")), None);
        assert_eq!(title_change("Notes ~abc123", &meta("Notes")), None);
        assert_eq!(title_change("a-b- c-", &meta("a/b: c?")), None);
        assert_eq!(title_change("_", &meta("")), None);
        assert_eq!(title_change("Notes ~git", &meta("Notes")), None);
        assert_eq!(
            title_change("Renamed", &meta("Notes")),
            Some("Renamed".into())
        );
        assert_eq!(title_change("What?", &meta("Notes")), Some("What?".into()));
        assert_eq!(create_title("a/New ~git-3.md"), "New ~git-3");
        assert_eq!(create_title("a/New ~gitty.md"), "New ~gitty");
        assert!(is_git_copy("x/N ~git.md"));
        assert!(!is_git_copy("x/N.md"));
    }

    #[test]
    fn parents_come_from_enclosing_folder_notes() {
        assert!(enclosing_notes("A.md").is_empty());
        assert!(enclosing_notes("B/B.md").is_empty());
        assert_eq!(enclosing_notes("B/C.md"), ["B/B.md", "B.md"]);
        assert_eq!(enclosing_notes("B/C/C.md"), ["B/B.md", "B.md"]);
        assert_eq!(
            enclosing_notes("B/C/D.md"),
            ["B/C/C.md", "B/C.md", "B/B.md", "B.md"]
        );
    }
}
