//! SPI access to Docmost's tables and gitsync's own, behind the engine's
//! `Store` trait. Every statement is parameterised. Reads go through
//! `update()` (a mutating SPI call) so each statement takes a fresh
//! snapshot after the space lock was taken, not the one from before it.

use gitsync_engine::model::PageMeta;
use gitsync_engine::store::{ExportState, PageRow, Store, StoreError};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiError, SpiTupleTable};
use serde_json::Value;
use std::collections::HashMap;

pub struct SpiStore<'a, 'conn> {
    pub client: &'a mut SpiClient<'conn>,
}

fn err(e: SpiError) -> StoreError {
    StoreError(e.to_string())
}

impl<'a, 'conn> SpiStore<'a, 'conn> {
    fn query<'mcx>(
        &mut self,
        sql: &str,
        args: &[DatumWithOid<'mcx>],
    ) -> Result<SpiTupleTable<'conn>, StoreError> {
        self.client.update(sql, None, args).map_err(err)
    }
}

fn text(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<Option<String>, StoreError> {
    row.get::<String>(i).map_err(err)
}

fn required_text(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<String, StoreError> {
    text(row, i)?.ok_or_else(|| StoreError(format!("unexpected NULL in column {i}")))
}

fn int8(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<i64, StoreError> {
    row.get::<i64>(i)
        .map_err(err)?
        .ok_or_else(|| StoreError(format!("unexpected NULL in column {i}")))
}

fn boolean(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<bool, StoreError> {
    Ok(row.get::<bool>(i).map_err(err)?.unwrap_or(false))
}

impl Store for SpiStore<'_, '_> {
    fn space_pages(&mut self, space_id: &str) -> Result<Vec<PageMeta>, StoreError> {
        let table = self.query(
            "SELECT id::text, slug_id, title, parent_page_id::text, deleted_at IS NOT NULL,
                    (extract(epoch FROM updated_at) * 1000000)::int8
               FROM pages WHERE space_id = $1::uuid",
            &[space_id.into()],
        )?;
        let mut pages = Vec::with_capacity(table.len());
        for row in table {
            pages.push(PageMeta {
                id: required_text(&row, 1)?,
                slug_id: required_text(&row, 2)?,
                title: text(&row, 3)?,
                parent_id: text(&row, 4)?,
                deleted: boolean(&row, 5)?,
                updated_at_us: int8(&row, 6)?,
            });
        }
        Ok(pages)
    }

    fn page_contents(
        &mut self,
        ids: &[String],
    ) -> Result<HashMap<String, Option<Value>>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let table = self.query(
            "SELECT id::text, content::text FROM pages WHERE id = ANY($1::text[]::uuid[])",
            &[ids.to_vec().into()],
        )?;
        let mut out = HashMap::with_capacity(table.len());
        for row in table {
            let id = required_text(&row, 1)?;
            let content = match text(&row, 2)? {
                Some(json) => Some(
                    serde_json::from_str(&json)
                        .map_err(|e| StoreError(format!("page {id}: content is not JSON: {e}")))?,
                ),
                None => None,
            };
            out.insert(id, content);
        }
        Ok(out)
    }

    fn page_rows(&mut self, ids: &[String]) -> Result<HashMap<String, PageRow>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let table = self.query(
            "SELECT id::text, space_id::text, deleted_at IS NOT NULL
               FROM pages WHERE id = ANY($1::text[]::uuid[])",
            &[ids.to_vec().into()],
        )?;
        let mut out = HashMap::with_capacity(table.len());
        for row in table {
            let row_data = PageRow {
                space_id: required_text(&row, 2)?,
                deleted: boolean(&row, 3)?,
            };
            out.insert(required_text(&row, 1)?, row_data);
        }
        Ok(out)
    }

    fn export_state(&mut self, space_id: &str) -> Result<HashMap<String, ExportState>, StoreError> {
        let table = self.query(
            "SELECT page_id::text, path, updated_at_us, title, slug_id, parent_id::text, blob
               FROM gitsync.page_state WHERE space_id = $1::uuid",
            &[space_id.into()],
        )?;
        let mut out = HashMap::with_capacity(table.len());
        for row in table {
            let state = ExportState {
                page_id: required_text(&row, 1)?,
                path: required_text(&row, 2)?,
                updated_at_us: int8(&row, 3)?,
                title: text(&row, 4)?,
                slug_id: required_text(&row, 5)?,
                parent_id: text(&row, 6)?,
                blob: required_text(&row, 7)?,
            };
            out.insert(state.page_id.clone(), state);
        }
        Ok(out)
    }

    fn save_export_state(
        &mut self,
        space_id: &str,
        upserts: &[ExportState],
        removals: &[String],
    ) -> Result<(), StoreError> {
        let mut gone: Vec<String> = removals.to_vec();
        gone.extend(upserts.iter().map(|s| s.page_id.clone()));
        if !gone.is_empty() {
            self.query(
                "DELETE FROM gitsync.page_state
                  WHERE space_id = $1::uuid AND page_id = ANY($2::text[]::uuid[])",
                &[space_id.into(), gone.into()],
            )?;
        }
        if upserts.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = upserts.iter().map(|s| s.page_id.clone()).collect();
        let paths: Vec<String> = upserts.iter().map(|s| s.path.clone()).collect();
        let stamps: Vec<i64> = upserts.iter().map(|s| s.updated_at_us).collect();
        let titles: Vec<Option<String>> = upserts.iter().map(|s| s.title.clone()).collect();
        let slugs: Vec<String> = upserts.iter().map(|s| s.slug_id.clone()).collect();
        let parents: Vec<Option<String>> = upserts.iter().map(|s| s.parent_id.clone()).collect();
        let blobs: Vec<String> = upserts.iter().map(|s| s.blob.clone()).collect();
        self.query(
            "INSERT INTO gitsync.page_state
                    (space_id, page_id, path, updated_at_us, title, slug_id, parent_id, blob)
             SELECT $1::uuid, u.page_id::uuid, u.path, u.stamp, u.title, u.slug, u.parent::uuid, u.blob
               FROM unnest($2::text[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::text[], $8::text[])
                    AS u(page_id, path, stamp, title, slug, parent, blob)",
            &[
                space_id.into(),
                ids.into(),
                paths.into(),
                stamps.into(),
                titles.into(),
                slugs.into(),
                parents.into(),
                blobs.into(),
            ],
        )?;
        Ok(())
    }
}
