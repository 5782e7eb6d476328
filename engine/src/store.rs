//! What the engine needs from the database, as a trait: the extension
//! implements it over SPI, tests with [`MemStore`].

use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::model::PageMeta;

#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// The page rows of a space, and the digest of exactly those rows (read
/// in one statement), so that a settled cycle can record what it saw.
///
/// A digest is `<rows>:<sum of row hashes>:<newest updated_at in µs>`:
/// every column of [`PageMeta`] of every row of the space is in it
/// (ids, slugs, titles, parents, trash state, `updated_at`, and which
/// rows are in the space), so equal digests mean the pull would read the
/// same rows. Bodies are not in it: the pull notices a body change by its
/// `updated_at`, and so does the digest. Being a sum, it also tells
/// whether a few known rows account for the whole difference between
/// two digests (see [`Store::pages_since`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpacePages {
    pub pages: Vec<PageMeta>,
    pub digest: String,
}

/// The rows of a space stamped after the newest row an earlier digest
/// saw, read in one statement with the digest of the space now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentPages {
    /// The digest of every row of the space now.
    pub digest: String,
    /// Each live row stamped later than the earlier digest's newest one,
    /// with its export state. (A trashed row is never an edit; if one
    /// changed, `explained` is false.)
    pub pages: Vec<(PageMeta, Option<ExportState>)>,
    /// True when every one of `pages` has an export state and, with a
    /// row's old version taken to be what its state says, these rows
    /// alone account for the difference between the earlier digest and
    /// `digest` (same row count, and the sums differ by exactly their
    /// hashes' change). A row changed without a later `updated_at` makes
    /// this false.
    pub explained: bool,
}

/// The parts of a digest: row count, the sum as text, the newest stamp.
pub fn digest_parts(digest: &str) -> Option<(i64, &str, Option<i64>)> {
    let mut parts = digest.split(':');
    let count = parts.next()?.parse().ok()?;
    let sum = parts.next()?;
    let newest = match parts.next()? {
        "" => None,
        n => Some(n.parse().ok()?),
    };
    parts.next().is_none().then_some((count, sum, newest))
}

/// Where a page row lives now, for ids met in vault files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRow {
    pub space_id: String,
    pub deleted: bool,
}

/// What the last successful export of one page wrote. A page whose
/// fingerprint is unchanged and whose file still holds `blob` needs no
/// export: that is what keeps a restart from re-exporting everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportState {
    pub page_id: String,
    pub path: String,
    pub updated_at_us: i64,
    pub title: Option<String>,
    pub slug_id: String,
    pub parent_id: Option<String>,
    /// Hex id of the blob written at `path`.
    pub blob: String,
}

impl ExportState {
    /// The page row as this state saw it (a live page: only live pages
    /// are exported).
    pub fn as_meta(&self) -> PageMeta {
        PageMeta {
            id: self.page_id.clone(),
            slug_id: self.slug_id.clone(),
            title: self.title.clone(),
            parent_id: self.parent_id.clone(),
            deleted: false,
            updated_at_us: self.updated_at_us,
        }
    }

    /// True when `page` differs from what this state saw only in its
    /// `updated_at`: its body may have changed, its place in the layout
    /// has not.
    pub fn same_place(&self, page: &PageMeta) -> bool {
        !page.deleted
            && self.page_id == page.id
            && self.title == page.title
            && self.slug_id == page.slug_id
            && self.parent_id == page.parent_id
    }

    pub fn matches(&self, page: &PageMeta, path: &str) -> bool {
        self.path == path
            && self.updated_at_us == page.updated_at_us
            && self.title == page.title
            && self.slug_id == page.slug_id
            && self.parent_id == page.parent_id
    }
}

/// A change to one existing page (SPEC §6 "DB writes"). It applies only
/// while the row's `updated_at` still equals `expected_updated_at_us`: a
/// page edited in Docmost after the pull read it is skipped, not clobbered.
#[derive(Clone, Debug, PartialEq)]
pub struct PageUpdate {
    pub id: String,
    pub expected_updated_at_us: i64,
    /// New title, when it changes.
    pub title: Option<String>,
    /// New parent (`Some(None)` = move to the root), when it changes.
    pub parent_id: Option<Option<String>>,
    /// New body, when it changes. The store keeps the replaced body as a
    /// history row and drops the stale `ydoc`.
    pub content: Option<Value>,
    /// Take the page out of the Trash.
    pub restore: bool,
}

impl PageUpdate {
    pub fn new(id: &str, expected_updated_at_us: i64) -> PageUpdate {
        PageUpdate {
            id: id.to_string(),
            expected_updated_at_us,
            title: None,
            parent_id: None,
            content: None,
            restore: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.parent_id.is_none() && self.content.is_none() && !self.restore
    }
}

/// A page the push creates, placed after its last sibling.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPage {
    pub space_id: String,
    pub parent_id: Option<String>,
    pub title: String,
    pub content: Value,
}

/// Whether a compare-and-swap write landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Written,
    /// The row changed (or vanished) since it was read; nothing written.
    Stale,
}

pub trait Store {
    /// Every page row of the space, live and trashed, without bodies.
    fn space_pages(&mut self, space_id: &str) -> Result<SpacePages, StoreError>;
    /// The space's digest now and its rows stamped after the newest row
    /// that `since` (an earlier digest of the space) saw; see
    /// [`RecentPages`]. Costs about one pass over the space's rows
    /// without building them, which is what keeps an idle cycle cheap.
    fn pages_since(&mut self, space_id: &str, since: &str) -> Result<RecentPages, StoreError>;
    /// `content` of the given pages (None where the column is NULL).
    fn page_contents(
        &mut self,
        ids: &[String],
    ) -> Result<HashMap<String, Option<Value>>, StoreError>;
    /// The rows that exist for the given ids, in any space.
    fn page_rows(&mut self, ids: &[String]) -> Result<HashMap<String, PageRow>, StoreError>;
    fn export_state(&mut self, space_id: &str) -> Result<HashMap<String, ExportState>, StoreError>;
    fn save_export_state(
        &mut self,
        space_id: &str,
        upserts: &[ExportState],
        removals: &[String],
    ) -> Result<(), StoreError>;

    /// Applies `update` as the user `actor` (compare-and-swap on
    /// `updated_at`). An error leaves the page untouched.
    fn update_page(&mut self, update: &PageUpdate, actor: &str)
        -> Result<WriteOutcome, StoreError>;
    /// Creates a page as `actor` and returns its id.
    fn create_page(&mut self, page: &NewPage, actor: &str) -> Result<String, StoreError>;
    /// Moves a page and its live descendants to the Trash as `actor`, if
    /// the page's `updated_at` is still the expected one.
    fn soft_delete_page(
        &mut self,
        id: &str,
        expected_updated_at_us: i64,
        actor: &str,
    ) -> Result<WriteOutcome, StoreError>;
}

/// An in-memory [`Store`] for tests and benchmarks of the engine.
#[derive(Default)]
pub struct MemStore {
    /// page id → (space id, meta, content)
    pub pages: BTreeMap<String, (String, PageMeta, Option<Value>)>,
    pub state: HashMap<String, HashMap<String, ExportState>>,
    /// How many bodies the engine asked for, to test change detection.
    pub contents_read: usize,
    /// Every successful page write, in order, to test "no echo".
    pub writes: Vec<String>,
    /// Bodies replaced by writes: (page id, old content), like page_history.
    pub history: Vec<(String, Option<Value>)>,
    /// Page ids or titles whose writes fail, to test per-page isolation.
    pub fail_writes: HashSet<String>,
    /// The clock of `updated_at`, advanced by every write.
    pub clock_us: i64,
    /// Ids handed to created pages, counting up.
    pub next_id: u32,
}

/// The digest [`MemStore`] uses: like the SQL one, a count, a sum of
/// per-row hashes (so that row order does not matter) and the newest stamp.
pub fn digest_of(pages: &[PageMeta]) -> String {
    let sum = pages
        .iter()
        .fold(0u64, |acc, page| acc.wrapping_add(row_hash(page)));
    let newest = pages.iter().map(|p| p.updated_at_us).max();
    let newest = newest.map(|n| n.to_string()).unwrap_or_default();
    format!("{}:{sum}:{newest}", pages.len())
}

fn row_hash(page: &PageMeta) -> u64 {
    // SipHash with fixed keys: the same value in every process.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    page.hash(&mut h);
    h.finish()
}

impl MemStore {
    pub fn put(&mut self, space_id: &str, meta: PageMeta, content: Option<Value>) {
        self.pages
            .insert(meta.id.clone(), (space_id.to_string(), meta, content));
    }

    pub fn page_mut(&mut self, id: &str) -> &mut (String, PageMeta, Option<Value>) {
        self.pages.get_mut(id).expect("no such page")
    }

    fn tick(&mut self) -> i64 {
        self.clock_us = self.clock_us.max(10_000_000) + 1;
        self.clock_us
    }

    fn check_failure(&self, keys: &[Option<&str>]) -> Result<(), StoreError> {
        match keys
            .iter()
            .flatten()
            .find(|k| self.fail_writes.contains(**k))
        {
            Some(k) => Err(StoreError(format!("injected failure for {k}"))),
            None => Ok(()),
        }
    }

    /// Ids of the live descendants of `id`, without cycles.
    fn live_descendants(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![id.to_string()];
        while let Some(parent) = todo.pop() {
            for (kid, (_, m, _)) in &self.pages {
                if m.parent_id.as_deref() == Some(parent.as_str())
                    && !m.deleted
                    && kid != id
                    && !out.contains(kid)
                {
                    out.push(kid.clone());
                    todo.push(kid.clone());
                }
            }
        }
        out
    }
}

impl Store for MemStore {
    fn space_pages(&mut self, space_id: &str) -> Result<SpacePages, StoreError> {
        let pages: Vec<PageMeta> = self
            .pages
            .values()
            .filter(|(s, _, _)| s == space_id)
            .map(|(_, m, _)| m.clone())
            .collect();
        let digest = digest_of(&pages);
        Ok(SpacePages { pages, digest })
    }

    fn pages_since(&mut self, space_id: &str, since: &str) -> Result<RecentPages, StoreError> {
        let now = self.space_pages(space_id)?;
        let (count, sum, newest) =
            digest_parts(since).ok_or_else(|| StoreError(format!("bad digest {since:?}")))?;
        let state = self.state.get(space_id);
        let pages: Vec<(PageMeta, Option<ExportState>)> = now
            .pages
            .into_iter()
            .filter(|p| !p.deleted && newest.is_none_or(|n| p.updated_at_us > n))
            .map(|p| {
                let s = state.and_then(|s| s.get(&p.id)).cloned();
                (p, s)
            })
            .collect();
        let change = pages.iter().try_fold(0u64, |acc, (page, state)| {
            let old = row_hash(&state.as_ref()?.as_meta());
            Some(acc.wrapping_add(row_hash(page)).wrapping_sub(old))
        });
        let (now_count, now_sum, _) = digest_parts(&now.digest).expect("own digest");
        let explained = change.is_some_and(|change| {
            let then: u64 = sum.parse().unwrap_or(0);
            now_count == count && now_sum == then.wrapping_add(change).to_string()
        });
        Ok(RecentPages {
            digest: now.digest,
            pages,
            explained,
        })
    }

    fn page_contents(
        &mut self,
        ids: &[String],
    ) -> Result<HashMap<String, Option<Value>>, StoreError> {
        self.contents_read += ids.len();
        Ok(ids
            .iter()
            .filter_map(|id| self.pages.get(id).map(|(_, _, c)| (id.clone(), c.clone())))
            .collect())
    }

    fn page_rows(&mut self, ids: &[String]) -> Result<HashMap<String, PageRow>, StoreError> {
        Ok(ids
            .iter()
            .filter_map(|id| {
                self.pages.get(id).map(|(s, m, _)| {
                    let row = PageRow {
                        space_id: s.clone(),
                        deleted: m.deleted,
                    };
                    (id.clone(), row)
                })
            })
            .collect())
    }

    fn export_state(&mut self, space_id: &str) -> Result<HashMap<String, ExportState>, StoreError> {
        Ok(self.state.get(space_id).cloned().unwrap_or_default())
    }

    fn save_export_state(
        &mut self,
        space_id: &str,
        upserts: &[ExportState],
        removals: &[String],
    ) -> Result<(), StoreError> {
        let state = self.state.entry(space_id.to_string()).or_default();
        for id in removals {
            state.remove(id);
        }
        for s in upserts {
            state.insert(s.page_id.clone(), s.clone());
        }
        Ok(())
    }

    fn update_page(
        &mut self,
        update: &PageUpdate,
        _actor: &str,
    ) -> Result<WriteOutcome, StoreError> {
        self.check_failure(&[Some(update.id.as_str()), update.title.as_deref()])?;
        let stamp = self.tick();
        let Some((_, meta, content)) = self.pages.get_mut(&update.id) else {
            return Ok(WriteOutcome::Stale);
        };
        if meta.updated_at_us != update.expected_updated_at_us {
            return Ok(WriteOutcome::Stale);
        }
        if let Some(new) = &update.content {
            self.history.push((update.id.clone(), content.clone()));
            *content = Some(new.clone());
        }
        if let Some(title) = &update.title {
            meta.title = Some(title.clone());
        }
        if let Some(parent) = &update.parent_id {
            meta.parent_id = parent.clone();
        }
        if update.restore {
            meta.deleted = false;
        }
        meta.updated_at_us = stamp;
        self.writes.push(format!("update {}", update.id));
        Ok(WriteOutcome::Written)
    }

    fn create_page(&mut self, page: &NewPage, _actor: &str) -> Result<String, StoreError> {
        self.check_failure(&[Some(page.title.as_str())])?;
        self.next_id += 1;
        let id = format!("0190c0de-0000-7000-9000-{:012}", self.next_id);
        let meta = PageMeta {
            id: id.clone(),
            slug_id: format!("new{:07}", self.next_id),
            title: Some(page.title.clone()),
            parent_id: page.parent_id.clone(),
            deleted: false,
            updated_at_us: self.tick(),
        };
        self.put(&page.space_id, meta, Some(page.content.clone()));
        self.writes.push(format!("create {id}"));
        Ok(id)
    }

    fn soft_delete_page(
        &mut self,
        id: &str,
        expected_updated_at_us: i64,
        _actor: &str,
    ) -> Result<WriteOutcome, StoreError> {
        self.check_failure(&[Some(id)])?;
        match self.pages.get(id) {
            Some((_, m, _)) if m.updated_at_us == expected_updated_at_us && !m.deleted => {}
            _ => return Ok(WriteOutcome::Stale),
        }
        let stamp = self.tick();
        let mut gone = self.live_descendants(id);
        gone.push(id.to_string());
        for page in gone {
            let (_, m, _) = self.page_mut(&page);
            m.deleted = true;
            m.updated_at_us = stamp;
        }
        self.writes.push(format!("delete {id}"));
        Ok(WriteOutcome::Written)
    }
}
