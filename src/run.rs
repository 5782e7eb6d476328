//! One cycle for one space, as both the worker and `gitsync_run_once` run
//! it: the skip checks, the space lock, the engine inside a subtransaction,
//! the status row, the run history, and the ref moves deferred to commit.

use gitsync_engine::cycle::{CycleOptions, CycleOutcome};
use gitsync_engine::idle::{self, Ran};
use gitsync_engine::model::{space_lock_key, LOCK_CLASS};
use gitsync_engine::report::{self, Skip};
use gitsync_engine::vault::{vault_path, RefUpdate, Vault};
use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::{register_xact_callback, PgXactCallbackEvent};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use crate::guc;
use crate::store::SpiStore;

/// The backend type the worker registers; `in-progress` is told from
/// `lock-held` by it.
pub const WORKER_TYPE: &str = "gitsync worker";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Worker,
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Worker => "worker",
            Trigger::Manual => "manual",
        }
    }
}

/// Runs one cycle of `space_id` in the current transaction and returns the
/// SQL result. A per-space problem never raises: it is the result.
pub fn run_space(space_id: &str, trigger: Trigger) -> Value {
    let started = now();
    Spi::connect_mut(|client| match precheck(client, space_id) {
        Err(skip) => {
            let result = report::skipped(space_id, skip);
            if is_recorded(skip) && try_space_lock(client, space_id) {
                record_skip(client, space_id, skip);
                record_history(client, space_id, trigger, &started, &result, &[]);
            }
            result
        }
        Ok(()) => {
            let (result, warnings) = match cycle_in_subtransaction(space_id) {
                Ok(Ran {
                    outcome, idle_key, ..
                }) => {
                    defer_ref_updates(
                        vault_path(&guc::vault_root(), space_id),
                        outcome.ref_updates.clone(),
                    );
                    record_success(client, space_id, &outcome, idle_key.as_deref());
                    (report::ran(space_id, &outcome), outcome.warnings)
                }
                Err(error) => {
                    record_failure(client, space_id, &error);
                    (report::failed(space_id, &error), vec![])
                }
            };
            for w in &warnings {
                pgrx::log!("gitsync: space {space_id}: {w}");
            }
            record_history(client, space_id, trigger, &started, &result, &warnings);
            result
        }
    })
}

/// The skip reasons, checked in the order SPEC §2 lists them; the last
/// check takes the space's lock, held until the transaction ends.
fn precheck(client: &mut SpiClient, space_id: &str) -> Result<(), Skip> {
    if !guc::enabled() {
        return Err(Skip::Disabled);
    }
    let user_ok = match guc::service_user_id() {
        Some(user) => bool_query(
            client,
            "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1::uuid AND deleted_at IS NULL)",
            &[user.as_str().into()],
        ),
        None => false,
    };
    if !user_ok {
        return Err(Skip::NoServiceUser);
    }
    let space = client
        .update(
            "SELECT coalesce(settings -> 'gitSync' ->> 'enabled' = 'true', false) FROM spaces
              WHERE id = $1::uuid AND deleted_at IS NULL",
            None,
            &[space_id.into()],
        )
        .ok()
        .filter(|t| !t.is_empty())
        .and_then(|t| t.first().get_one::<bool>().ok().flatten());
    match space {
        None => return Err(Skip::SpaceNotFound),
        Some(false) => return Err(Skip::SpaceNotEnabled),
        Some(true) => {}
    }
    if try_space_lock(client, space_id) {
        return Ok(());
    }
    let key = space_lock_key(space_id);
    let holder_is_worker = bool_query(
        client,
        "SELECT EXISTS (
             SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                AND l.classid::int8 = $1 AND l.objid::int8 = $2
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND a.backend_type = $3)",
        &[
            lock_class().into(),
            lock_objid(key).into(),
            WORKER_TYPE.into(),
        ],
    );
    Err(if holder_is_worker {
        Skip::InProgress
    } else {
        Skip::LockHeld
    })
}

/// Takes the space's advisory lock for the rest of the transaction. Taken
/// with a mutating SPI call so that later reads get a fresh snapshot.
fn try_space_lock(client: &mut SpiClient, space_id: &str) -> bool {
    bool_query(
        client,
        "SELECT pg_try_advisory_xact_lock($1::int4, $2::int4)",
        &[LOCK_CLASS.into(), space_lock_key(space_id).into()],
    )
}

/// Which skips leave a trace in the status and history tables. Those rows
/// are written only under the space lock: a run that cannot take it must
/// not queue behind the holder's row locks (the holder may be a session
/// sitting in an open transaction), and the holder records its own run.
fn is_recorded(skip: Skip) -> bool {
    !matches!(
        skip,
        Skip::SpaceNotFound | Skip::LockHeld | Skip::InProgress
    )
}

/// `pg_locks.classid` of gitsync's locks (an oid, so unsigned).
pub fn lock_class() -> i64 {
    i64::from(LOCK_CLASS as u32)
}

/// `pg_locks.objid` of a space's lock (an oid, so unsigned).
pub fn lock_objid(key: i32) -> i64 {
    i64::from(key as u32)
}

fn bool_query(client: &mut SpiClient, sql: &str, args: &[DatumWithOid]) -> bool {
    client
        .update(sql, None, args)
        .and_then(|t| t.first().get_one::<bool>())
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Runs the engine in a subtransaction so that an ERROR anywhere in it
/// (ours or Postgres') rolls back only the cycle's own writes; the caller's
/// transaction goes on and records the failure.
fn cycle_in_subtransaction(space_id: &str) -> Result<Ran, String> {
    in_subtransaction(|| engine_cycle(space_id), std::convert::identity)
}

/// Runs `work` in an internal subtransaction, released when it returns Ok
/// and rolled back when it returns Err or raises an ERROR (which `caught`
/// turns into the Err value). Only `work`'s own writes are undone.
pub fn in_subtransaction<T, E>(
    work: impl FnOnce() -> Result<T, E>,
    caught: fn(String) -> E,
) -> Result<T, E> {
    // SAFETY: the standard internal-subtransaction protocol of PL handlers:
    // remember the memory context and resource owner, begin, and on either
    // outcome release or roll back, then restore both. pgrx does not free
    // SPI tuple tables on drop, so none is freed twice by the rollback.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let result = PgTryBuilder::new(AssertUnwindSafe(work))
            .catch_others(|e| Err(caught(caught_message(e))))
            .execute();
        match result {
            Ok(_) => pg_sys::ReleaseCurrentSubTransaction(),
            Err(_) => pg_sys::RollbackAndReleaseCurrentSubTransaction(),
        }
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
        result
    }
}

/// Pull, merge and push for one space (the engine's whole cycle), as the
/// service user, unless the idle key the last cycle recorded says it
/// would change nothing. Its DB writes belong to the caller's
/// transaction; its ref moves come back to be applied after commit.
fn engine_cycle(space_id: &str) -> Result<Ran, String> {
    let actor = guc::service_user_id().ok_or("gitsync.service_user_id is not set")?;
    let vault = Vault::open_or_init(&vault_path(&guc::vault_root(), space_id))
        .map_err(|e| e.to_string())?;
    Spi::connect_mut(|client| {
        let (auto_merge_conflicts, recorded) = space_settings(client, space_id)?;
        let opts = CycleOptions {
            actor: &actor,
            auto_merge_conflicts,
            max_file_bytes: guc::max_file_bytes(),
        };
        let mut store = SpiStore::new(client);
        idle::cycle_unless_idle(&mut store, &vault, space_id, &opts, recorded.as_deref())
            .map_err(|e| e.to_string())
    })
}

/// The space's `autoMergeConflicts` and the idle key its last cycle
/// recorded, in one round trip.
fn space_settings(
    client: &mut SpiClient,
    space_id: &str,
) -> Result<(bool, Option<String>), String> {
    let table = client
        .update(
            "SELECT coalesce(sp.settings -> 'gitSync' ->> 'autoMergeConflicts' = 'true', false),
                    (SELECT st.idle_key FROM gitsync.space_state st WHERE st.space_id = sp.id)
               FROM spaces sp WHERE sp.id = $1::uuid",
            None,
            &[space_id.into()],
        )
        .map_err(|e| e.to_string())?;
    if table.is_empty() {
        return Err(format!("space {space_id} not found"));
    }
    let row = table.first();
    let auto_merge = row.get::<bool>(1).map_err(|e| e.to_string())?;
    let recorded = row.get::<String>(2).map_err(|e| e.to_string())?;
    Ok((auto_merge.unwrap_or(false), recorded))
}

pub fn caught_message(caught: pg_sys::panic::CaughtError) -> String {
    match caught {
        pg_sys::panic::CaughtError::PostgresError(r)
        | pg_sys::panic::CaughtError::ErrorReport(r) => r.message().to_string(),
        pg_sys::panic::CaughtError::RustPanic { ereport, .. } => {
            format!("internal error: {}", ereport.message())
        }
    }
}

/// Moves the vault's refs once the transaction has committed, while the
/// space lock is still held (locks are released after commit callbacks).
/// A ref that moved meanwhile (a user's push) is left alone: the next
/// cycle starts from it.
fn defer_ref_updates(path: PathBuf, updates: Vec<RefUpdate>) {
    if updates.is_empty() {
        return;
    }
    register_xact_callback(PgXactCallbackEvent::Commit, move || {
        let outcome = Vault::open_or_init(&path).and_then(|v| v.apply_ref_updates(&updates));
        match outcome {
            Ok(lost) => {
                for u in lost {
                    pgrx::log!("gitsync: {} moved during the cycle; left as it is", u.name);
                }
            }
            Err(e) => pgrx::warning!("gitsync: could not move refs of {}: {e}", path.display()),
        }
    });
}

fn now() -> String {
    // clock_timestamp, not now(): a manual run inside a long transaction
    // should report when it ran.
    Spi::get_one::<String>("SELECT clock_timestamp()::text")
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn record_skip(client: &mut SpiClient, space_id: &str, skip: Skip) {
    run_status_sql(
        client,
        "INSERT INTO gitsync.space_state AS s (space_id, last_skipped_at, last_skip_reason)
         VALUES ($1::uuid, clock_timestamp(), $2)
         ON CONFLICT (space_id) DO UPDATE
            SET last_skipped_at = excluded.last_skipped_at, last_skip_reason = excluded.last_skip_reason",
        &[space_id.into(), skip.as_str().into()],
    );
}

/// Records a cycle that ran, with the idle key the next cycle may trust
/// (NULL when this one left something to do or retry).
fn record_success(
    client: &mut SpiClient,
    space_id: &str,
    outcome: &CycleOutcome,
    idle_key: Option<&str>,
) {
    let first_pull = outcome
        .failures
        .first()
        .map(|f| report::failure(f).to_string());
    let first_push = outcome
        .push
        .failures
        .first()
        .map(|f| report::failure(f).to_string());
    run_status_sql(
        client,
        "INSERT INTO gitsync.space_state AS s
                (space_id, last_run_at, last_result, last_error, last_success_at, consecutive_failures,
                 pull_failures, first_pull_failure, push_failures, first_push_failure,
                 divergent_docmost, main_commit, docmost_commit, idle_key)
         VALUES ($1::uuid, clock_timestamp(), 'ok', NULL, clock_timestamp(), 0,
                 $2, $3::jsonb, $4, $5::jsonb, $6, $7, $8, $9)
         ON CONFLICT (space_id) DO UPDATE
            SET last_run_at = excluded.last_run_at, last_result = 'ok', last_error = NULL,
                last_success_at = excluded.last_success_at, consecutive_failures = 0,
                pull_failures = excluded.pull_failures, first_pull_failure = excluded.first_pull_failure,
                push_failures = excluded.push_failures, first_push_failure = excluded.first_push_failure,
                divergent_docmost = excluded.divergent_docmost,
                main_commit = excluded.main_commit, docmost_commit = excluded.docmost_commit,
                idle_key = excluded.idle_key",
        &[
            space_id.into(),
            (outcome.failures.len() as i32).into(),
            first_pull.into(),
            (outcome.push.failures.len() as i32).into(),
            first_push.into(),
            outcome.divergent_docmost.into(),
            outcome.main.to_string().into(),
            outcome.docmost.to_string().into(),
            idle_key.map(str::to_owned).into(),
        ],
    );
}

/// Records a failed cycle (and forgets the idle key: the next cycle runs
/// in full); logs only when a healthy space starts failing,
/// so a space that stays broken does not flood the log.
fn record_failure(client: &mut SpiClient, space_id: &str, error: &str) {
    let previous = client
        .update(
            "INSERT INTO gitsync.space_state AS s
                    (space_id, last_run_at, last_result, last_error, consecutive_failures)
             VALUES ($1::uuid, clock_timestamp(), 'failed', $2, 1)
             ON CONFLICT (space_id) DO UPDATE
                SET last_run_at = excluded.last_run_at, last_result = 'failed',
                    last_error = excluded.last_error, idle_key = NULL,
                    consecutive_failures = s.consecutive_failures + 1
             RETURNING consecutive_failures",
            None,
            &[space_id.into(), error.into()],
        )
        .and_then(|t| t.first().get_one::<i32>());
    if matches!(previous, Ok(Some(1))) {
        pgrx::warning!("gitsync: space {space_id} is failing: {error}");
    }
}

fn record_history(
    client: &mut SpiClient,
    space_id: &str,
    trigger: Trigger,
    started: &str,
    result: &Value,
    warnings: &[String],
) {
    run_status_sql(
        client,
        "INSERT INTO gitsync.run_history (space_id, trigger, started_at, result, warnings)
         VALUES ($1::uuid, $2, $3::timestamptz, $4::jsonb, $5)",
        &[
            space_id.into(),
            trigger.as_str().into(),
            started.into(),
            result.to_string().into(),
            warnings.to_vec().into(),
        ],
    );
    run_status_sql(
        client,
        "DELETE FROM gitsync.run_history
          WHERE space_id = $1::uuid
            AND id < (SELECT min(id) FROM (SELECT id FROM gitsync.run_history
                                            WHERE space_id = $1::uuid
                                            ORDER BY id DESC LIMIT $2) AS kept)",
        &[space_id.into(), guc::run_history_limit().into()],
    );
}

/// Status bookkeeping must not turn a finished cycle into an error; a
/// failure here is an ERROR from Postgres and aborts like any other.
fn run_status_sql(client: &mut SpiClient, sql: &str, args: &[DatumWithOid]) {
    if let Err(e) = client.update(sql, None, args) {
        pgrx::error!("gitsync: could not record status: {e}");
    }
}
