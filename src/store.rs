//! SPI access to Docmost's tables and gitsync's own, behind the engine's
//! `Store` trait. Every statement is parameterised. Reads go through
//! `update()` (a mutating SPI call) so each statement takes a fresh
//! snapshot after the space lock was taken, not the one from before it.

use gitsync_engine::convert;
use gitsync_engine::model::PageMeta;
use gitsync_engine::position;
use gitsync_engine::store::{
    digest_parts, ExportState, NewPage, PageRow, PageUpdate, RecentPages, SpacePages, Store,
    StoreError, WriteOutcome,
};
use pgrx::datum::DatumWithOid;
use pgrx::spi::{SpiClient, SpiError, SpiTupleTable};
use serde_json::Value;
use std::collections::HashMap;

pub struct SpiStore<'a, 'conn> {
    pub client: &'a mut SpiClient<'conn>,
    /// Optional Docmost columns, looked up once per cycle.
    columns: Option<Columns>,
}

/// Columns some Docmost versions lack; gitsync writes them only where
/// they exist (SPEC §1).
#[derive(Clone, Copy)]
struct Columns {
    page_source: bool,
    history_source: bool,
    history_contributors: bool,
}

/// `updated_at` as the engine sees it: microseconds since the epoch.
const UPDATED_AT_US: &str = "(extract(epoch FROM updated_at) * 1000000)::int8";

/// The per-row hash of a space's digest (see `SpacePages`): every column the pull
/// reads of a page row (`title IS NULL` because a NULL field adds nothing
/// to a record hash). `hash_record_extended` hashes the values in their
/// binary form, so it costs about what reading them does; summed with
/// their count over the space's rows it does not depend on row order.
const ROW_HASH: &str = "hash_record_extended(ROW(id, slug_id, title, title IS NULL, parent_page_id,
                                                  deleted_at IS NULL, updated_at), 0)";

/// The hash [`ROW_HASH`] gave a page row that `gitsync.page_state` (as
/// `s`) describes: the state keeps every hashed column, and a page with a
/// state was live.
const STATE_HASH: &str = "hash_record_extended(ROW(s.page_id, s.slug_id, s.title, s.title IS NULL,
    s.parent_id, true, to_timestamp(0) + s.updated_at_us * interval '1 microsecond'), 0)";

/// The space's digest, as one aggregate row.
fn digest_sql(space_param: &str) -> String {
    format!(
        "count(*), sum({ROW_HASH})::text,
         (extract(epoch FROM max(updated_at)) * 1000000)::int8
         FROM pages WHERE space_id = {space_param}::uuid"
    )
}

/// The digest's text (see `SpacePages`); the sum and the newest stamp
/// are empty for a space without pages, as SQL's aggregates over no rows
/// are NULL.
fn digest_text(count: i64, sum: Option<String>, newest: Option<i64>) -> String {
    let newest = newest.map(|n| n.to_string()).unwrap_or_default();
    format!("{count}:{}:{newest}", sum.unwrap_or_default())
}

/// A digest's sum as a number ("" for no rows).
fn digest_sum(sum: &str) -> Result<i128, StoreError> {
    if sum.is_empty() {
        return Ok(0);
    }
    sum.parse()
        .map_err(|_| StoreError(format!("bad digest sum {sum:?}")))
}

/// Docmost's slug alphabet; 36^10 keys make a clash rare, and a clash is
/// simply retried.
const SLUG_ALPHABET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";
const SLUG_ATTEMPTS: usize = 5;

fn err(e: SpiError) -> StoreError {
    StoreError(e.to_string())
}

impl<'a, 'conn> SpiStore<'a, 'conn> {
    pub fn new(client: &'a mut SpiClient<'conn>) -> Self {
        SpiStore {
            client,
            columns: None,
        }
    }

    fn query<'mcx>(
        &mut self,
        sql: &str,
        args: &[DatumWithOid<'mcx>],
    ) -> Result<SpiTupleTable<'conn>, StoreError> {
        self.client.update(sql, None, args).map_err(err)
    }

    fn columns(&mut self) -> Result<Columns, StoreError> {
        if let Some(c) = self.columns {
            return Ok(c);
        }
        let table = self.query(
            "SELECT table_name::text || '.' || column_name::text FROM information_schema.columns
              WHERE table_schema = ANY (current_schemas(false))
                AND (table_name, column_name) IN (('pages', 'last_updated_source'),
                     ('page_history', 'last_updated_source'), ('page_history', 'contributor_ids'))",
            &[],
        )?;
        let mut found = Vec::new();
        for row in table {
            found.push(required_text(&row, 1)?);
        }
        let has = |name: &str| found.iter().any(|f| f == name);
        let c = Columns {
            page_source: has("pages.last_updated_source"),
            history_source: has("page_history.last_updated_source"),
            history_contributors: has("page_history.contributor_ids"),
        };
        self.columns = Some(c);
        Ok(c)
    }

    /// Runs one page's writes in a subtransaction: any ERROR (a constraint,
    /// a trigger, a lock timeout) undoes that page's writes only and comes
    /// back as a per-page failure instead of aborting the cycle.
    fn isolated<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        crate::run::in_subtransaction(|| f(self), StoreError)
    }

    /// A position key after the last sibling under `parent` (trashed ones
    /// included, so a restored page never shares a key).
    fn next_position(
        &mut self,
        space_id: &str,
        parent: Option<&str>,
    ) -> Result<String, StoreError> {
        let table = self.query(
            "SELECT position FROM pages
              WHERE space_id = $1::uuid AND parent_page_id IS NOT DISTINCT FROM $2::uuid
                AND position IS NOT NULL
              ORDER BY position COLLATE \"C\" DESC LIMIT 1",
            &[space_id.into(), parent.map(str::to_owned).into()],
        )?;
        let last = match table.is_empty() {
            true => None,
            false => table.first().get_one::<String>().map_err(err)?,
        };
        Ok(position::key_after(last.as_deref()))
    }

    /// Keeps the body about to be replaced as a `page_history` row, so it
    /// can be restored in Docmost, and the Yjs document beside it (SPEC §6,
    /// the stale editor tab hazard).
    fn save_history(&mut self, id: &str) -> Result<(), StoreError> {
        let c = self.columns()?;
        let mut cols = String::from(
            "page_id, slug_id, title, content, icon, cover_photo, last_updated_by_id, space_id, workspace_id",
        );
        let mut vals = String::from(
            "id, slug_id, title, content, icon, cover_photo, last_updated_by_id, space_id, workspace_id",
        );
        if c.history_contributors {
            cols.push_str(", contributor_ids");
            vals.push_str(", contributor_ids");
        }
        if c.history_source {
            cols.push_str(", last_updated_source");
            vals.push_str(if c.page_source {
                ", last_updated_source"
            } else {
                ", NULL"
            });
        }
        let sql = format!(
            "WITH history AS (
                 INSERT INTO page_history ({cols}) SELECT {vals} FROM pages WHERE id = $1::uuid
                 RETURNING id, page_id)
             INSERT INTO gitsync.replaced_body (page_id, history_id, ydoc)
             SELECT h.page_id, h.id, p.ydoc FROM history h JOIN pages p ON p.id = h.page_id"
        );
        self.query(&sql, &[id.into()])?;
        self.query(
            "DELETE FROM gitsync.replaced_body
              WHERE page_id = $1::uuid
                AND id < (SELECT min(id) FROM (SELECT id FROM gitsync.replaced_body
                                                WHERE page_id = $1::uuid
                                                ORDER BY id DESC LIMIT 10) AS kept)",
            &[id.into()],
        )?;
        Ok(())
    }

    fn apply_update(&mut self, u: &PageUpdate, actor: &str) -> Result<WriteOutcome, StoreError> {
        let locked = self.query(
            &format!(
                "SELECT space_id::text FROM pages
                  WHERE id = $1::uuid AND {UPDATED_AT_US} = $2 FOR UPDATE"
            ),
            &[u.id.as_str().into(), u.expected_updated_at_us.into()],
        )?;
        if locked.is_empty() {
            return Ok(WriteOutcome::Stale);
        }
        let space_id = locked
            .first()
            .get_one::<String>()
            .map_err(err)?
            .unwrap_or_default();
        if u.content.is_some() {
            self.save_history(&u.id)?;
        }
        let new_parent = u.parent_id.clone().flatten();
        let position = match &u.parent_id {
            Some(parent) => Some(self.next_position(&space_id, parent.as_deref())?),
            None => None,
        };
        let content = u.content.as_ref().map(Value::to_string);
        let text = u.content.as_ref().map(convert::text_content);
        let source = if self.columns()?.page_source {
            ", last_updated_source = 'git-sync'"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE pages SET
                title = CASE WHEN $2 THEN $3 ELSE title END,
                content = CASE WHEN $4 THEN $5::jsonb ELSE content END,
                text_content = CASE WHEN $4 THEN $6 ELSE text_content END,
                ydoc = CASE WHEN $4 THEN NULL ELSE ydoc END,
                contributor_ids = CASE WHEN $4 AND NOT ($7::uuid = ANY (coalesce(contributor_ids, '{{}}')))
                                       THEN array_append(coalesce(contributor_ids, '{{}}'), $7::uuid)
                                       ELSE contributor_ids END,
                parent_page_id = CASE WHEN $8 THEN $9::uuid ELSE parent_page_id END,
                position = CASE WHEN $8 THEN $10 ELSE position END,
                deleted_at = CASE WHEN $11 THEN NULL ELSE deleted_at END,
                deleted_by_id = CASE WHEN $11 THEN NULL ELSE deleted_by_id END,
                updated_at = clock_timestamp(),
                last_updated_by_id = $7::uuid{source}
              WHERE id = $1::uuid"
        );
        self.query(
            &sql,
            &[
                u.id.as_str().into(),
                u.title.is_some().into(),
                u.title.clone().into(),
                u.content.is_some().into(),
                content.into(),
                text.into(),
                actor.into(),
                u.parent_id.is_some().into(),
                new_parent.into(),
                position.into(),
                u.restore.into(),
            ],
        )?;
        Ok(WriteOutcome::Written)
    }

    fn insert_page(&mut self, page: &NewPage, actor: &str) -> Result<String, StoreError> {
        let position = self.next_position(&page.space_id, page.parent_id.as_deref())?;
        let (source_col, source_val) = if self.columns()?.page_source {
            (", last_updated_source", ", 'git-sync'")
        } else {
            ("", "")
        };
        let sql = format!(
            "WITH s AS (
                 SELECT string_agg(substr($8, 1 + floor(random() * length($8))::int, 1), '') AS slug
                   FROM generate_series(1, 10))
             INSERT INTO pages (id, slug_id, title, position, content, text_content, parent_page_id,
                                creator_id, last_updated_by_id, space_id, workspace_id, contributor_ids{source_col})
             SELECT gen_random_uuid(), s.slug, $1, $2, $3::jsonb, $4, $5::uuid, $6::uuid, $6::uuid,
                    sp.id, sp.workspace_id, ARRAY[$6::uuid]{source_val}
               FROM s, spaces sp
              WHERE sp.id = $7::uuid AND NOT EXISTS (SELECT 1 FROM pages WHERE slug_id = s.slug)
             RETURNING id::text"
        );
        let content = page.content.to_string();
        let text = convert::text_content(&page.content);
        for _ in 0..SLUG_ATTEMPTS {
            let table = self.query(
                &sql,
                &[
                    page.title.as_str().into(),
                    position.as_str().into(),
                    content.as_str().into(),
                    text.as_str().into(),
                    page.parent_id.clone().into(),
                    actor.into(),
                    page.space_id.as_str().into(),
                    SLUG_ALPHABET.into(),
                ],
            )?;
            if !table.is_empty() {
                return table
                    .first()
                    .get_one::<String>()
                    .map_err(err)?
                    .ok_or_else(|| StoreError("insert returned no id".into()));
            }
        }
        Err(StoreError(format!(
            "could not create page in space {}: no free slug or no such space",
            page.space_id
        )))
    }

    fn trash(&mut self, id: &str, expected: i64, actor: &str) -> Result<WriteOutcome, StoreError> {
        let table = self.query(
            &format!(
                "WITH RECURSIVE target AS (
                     SELECT id FROM pages
                      WHERE id = $1::uuid AND deleted_at IS NULL AND {UPDATED_AT_US} = $2
                      FOR UPDATE),
                 tree AS (
                     SELECT id FROM target
                     UNION
                     SELECT p.id FROM pages p JOIN tree t ON p.parent_page_id = t.id
                      WHERE p.deleted_at IS NULL)
                 UPDATE pages SET deleted_at = clock_timestamp(), deleted_by_id = $3::uuid
                  WHERE id IN (SELECT id FROM tree)
                 RETURNING id"
            ),
            &[id.into(), expected.into(), actor.into()],
        )?;
        Ok(if table.is_empty() {
            WriteOutcome::Stale
        } else {
            WriteOutcome::Written
        })
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

/// A page row from six columns starting at `first`: id, slug_id, title,
/// parent id, trashed, `updated_at` in µs.
fn page_meta_at(row: &pgrx::spi::SpiHeapTupleData, first: usize) -> Result<PageMeta, StoreError> {
    Ok(PageMeta {
        id: required_text(row, first)?,
        slug_id: required_text(row, first + 1)?,
        title: text(row, first + 2)?,
        parent_id: text(row, first + 3)?,
        deleted: boolean(row, first + 4)?,
        updated_at_us: int8(row, first + 5)?,
    })
}

/// A `gitsync.page_state` row from its seven columns, in table order,
/// starting at `first`.
fn export_state_at(
    row: &pgrx::spi::SpiHeapTupleData,
    first: usize,
) -> Result<ExportState, StoreError> {
    Ok(ExportState {
        page_id: required_text(row, first)?,
        path: required_text(row, first + 1)?,
        updated_at_us: int8(row, first + 2)?,
        title: text(row, first + 3)?,
        slug_id: required_text(row, first + 4)?,
        parent_id: text(row, first + 5)?,
        blob: required_text(row, first + 6)?,
    })
}

fn nullable_int8(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<Option<i64>, StoreError> {
    row.get::<i64>(i).map_err(err)
}

fn boolean(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<bool, StoreError> {
    Ok(row.get::<bool>(i).map_err(err)?.unwrap_or(false))
}

impl Store for SpiStore<'_, '_> {
    fn space_pages(&mut self, space_id: &str) -> Result<SpacePages, StoreError> {
        // The digest comes from the very rows returned (one statement, one
        // snapshot), so a settled cycle records what it actually saw.
        let table = self.query(
            &format!(
                "SELECT id::text, slug_id, title, parent_page_id::text, deleted_at IS NOT NULL,
                        {UPDATED_AT_US}, count(*) OVER (), (sum({ROW_HASH}) OVER ())::text,
                        (extract(epoch FROM max(updated_at) OVER ()) * 1000000)::int8
                   FROM pages WHERE space_id = $1::uuid"
            ),
            &[space_id.into()],
        )?;
        let mut pages = Vec::with_capacity(table.len());
        let mut digest = digest_text(0, None, None);
        for row in table {
            if pages.is_empty() {
                digest = digest_text(int8(&row, 7)?, text(&row, 8)?, nullable_int8(&row, 9)?);
            }
            pages.push(page_meta_at(&row, 1)?);
        }
        Ok(SpacePages { pages, digest })
    }

    fn pages_since(&mut self, space_id: &str, since: &str) -> Result<RecentPages, StoreError> {
        let (count0, sum0, newest0) =
            digest_parts(since).ok_or_else(|| StoreError(format!("bad digest {since:?}")))?;
        // One statement: the rows and the digest share a snapshot. Only
        // live rows can be edits, which lets Docmost's index on (space,
        // updated_at) of live pages find them without a second pass.
        let table = self.query(
            &format!(
                "SELECT 'page', c.id::text, c.slug_id::text, c.title::text, c.parent::text, c.deleted,
                        c.stamp, c.hash, s.page_id::text, s.path, s.updated_at_us, s.title,
                        s.slug_id, s.parent_id::text, s.blob, {STATE_HASH},
                        NULL::int8, NULL::text, NULL::int8
                   FROM (SELECT id, slug_id, title, parent_page_id AS parent,
                                deleted_at IS NOT NULL AS deleted, {UPDATED_AT_US} AS stamp,
                                {ROW_HASH} AS hash
                           FROM pages
                          WHERE space_id = $1::uuid AND deleted_at IS NULL
                            AND ($2::int8 IS NULL
                                 OR updated_at > to_timestamp(0) + $2::int8 * interval '1 microsecond')) c
                   LEFT JOIN gitsync.page_state s ON s.space_id = $1::uuid AND s.page_id = c.id
                 UNION ALL
                 SELECT 'space', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                        NULL, NULL, NULL, NULL, {}",
                digest_sql("$1")
            ),
            &[space_id.into(), newest0.into()],
        )?;
        let mut pages = Vec::new();
        let mut change: Option<i128> = Some(0);
        let mut digest = None;
        for row in table {
            if required_text(&row, 1)? == "space" {
                digest = Some(digest_text(
                    int8(&row, 17)?,
                    text(&row, 18)?,
                    nullable_int8(&row, 19)?,
                ));
                continue;
            }
            let page = page_meta_at(&row, 2)?;
            let state = match text(&row, 9)? {
                Some(_) => Some(export_state_at(&row, 9)?),
                None => None,
            };
            let new_hash = i128::from(int8(&row, 8)?);
            let old_hash = nullable_int8(&row, 16)?;
            change = change
                .zip(old_hash)
                .map(|(sum, old)| sum + new_hash - i128::from(old));
            pages.push((page, state));
        }
        let digest = digest.ok_or_else(|| StoreError("no digest row".into()))?;
        let (count, sum, _) =
            digest_parts(&digest).ok_or_else(|| StoreError(format!("bad digest {digest:?}")))?;
        let explained = match change {
            Some(change) => count == count0 && digest_sum(sum)? - digest_sum(sum0)? == change,
            None => false,
        };
        Ok(RecentPages {
            digest,
            pages,
            explained,
        })
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
            let state = export_state_at(&row, 1)?;
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

    fn update_page(
        &mut self,
        update: &PageUpdate,
        actor: &str,
    ) -> Result<WriteOutcome, StoreError> {
        self.isolated(|store| store.apply_update(update, actor))
    }

    fn create_page(&mut self, page: &NewPage, actor: &str) -> Result<String, StoreError> {
        self.isolated(|store| store.insert_page(page, actor))
    }

    fn soft_delete_page(
        &mut self,
        id: &str,
        expected_updated_at_us: i64,
        actor: &str,
    ) -> Result<WriteOutcome, StoreError> {
        self.isolated(|store| store.trash(id, expected_updated_at_us, actor))
    }
}
