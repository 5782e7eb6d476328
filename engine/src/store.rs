//! What the engine needs from the database, as a trait: the extension
//! implements it over SPI, tests with [`MemStore`].

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::model::PageMeta;

#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

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
    pub fn matches(&self, page: &PageMeta, path: &str) -> bool {
        self.path == path
            && self.updated_at_us == page.updated_at_us
            && self.title == page.title
            && self.slug_id == page.slug_id
            && self.parent_id == page.parent_id
    }
}

pub trait Store {
    /// Every page row of the space, live and trashed, without bodies.
    fn space_pages(&mut self, space_id: &str) -> Result<Vec<PageMeta>, StoreError>;
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
}

/// An in-memory [`Store`] for tests and benchmarks of the engine.
#[derive(Default)]
pub struct MemStore {
    /// page id → (space id, meta, content)
    pub pages: BTreeMap<String, (String, PageMeta, Option<Value>)>,
    pub state: HashMap<String, HashMap<String, ExportState>>,
    /// How many bodies the engine asked for, to test change detection.
    pub contents_read: usize,
}

impl MemStore {
    pub fn put(&mut self, space_id: &str, meta: PageMeta, content: Option<Value>) {
        self.pages
            .insert(meta.id.clone(), (space_id.to_string(), meta, content));
    }

    pub fn page_mut(&mut self, id: &str) -> &mut (String, PageMeta, Option<Value>) {
        self.pages.get_mut(id).expect("no such page")
    }
}

impl Store for MemStore {
    fn space_pages(&mut self, space_id: &str) -> Result<Vec<PageMeta>, StoreError> {
        Ok(self
            .pages
            .values()
            .filter(|(s, _, _)| s == space_id)
            .map(|(_, m, _)| m.clone())
            .collect())
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
}
