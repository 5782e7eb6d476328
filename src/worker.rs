//! The background worker (SPEC §3): one per cluster, connected to
//! `gitsync.database`, a cycle per enabled space every poll interval, each
//! in its own transaction.

use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags,
};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::CString;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use crate::guc;
use crate::run::{self, Trigger, WORKER_TYPE};

/// Long enough not to spin on a persistent crash, short enough that an
/// operator who killed the worker sees it back at once.
const RESTART_AFTER: Duration = Duration::from_secs(5);

pub fn register() {
    BackgroundWorkerBuilder::new(WORKER_TYPE)
        .set_type(WORKER_TYPE)
        .set_library("gitsync")
        .set_function("gitsync_worker_main")
        .enable_spi_access()
        // Not before recovery ends: a standby never runs cycles.
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(RESTART_AFTER))
        .load();
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn gitsync_worker_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(Some(&guc::database()), None);
    pgrx::log!(
        "gitsync: worker started on database \"{}\"",
        guc::database()
    );

    let mut readiness = Readiness::Unknown;
    loop {
        if BackgroundWorker::sighup_received() {
            // SAFETY: the documented way for a worker to re-read postgresql.conf.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        if guc::enabled() {
            readiness = tick(readiness);
        }
        if !BackgroundWorker::wait_latch(Some(guc::poll_interval())) {
            break;
        }
    }
    // Exit code 1 so that a worker ended by pg_terminate_backend comes back
    // after RESTART_AFTER; at shutdown the postmaster restarts nothing.
    // SAFETY: ends this process the way Postgres expects.
    unsafe { pg_sys::proc_exit(1) };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Readiness {
    Unknown,
    Ready,
    /// The database lacks the extension or Docmost's tables; logged once.
    Waiting,
}

fn tick(previous: Readiness) -> Readiness {
    let ready = in_transaction(database_ready).and_then(|checked| checked);
    let now = match ready {
        Ok(()) => Readiness::Ready,
        Err(why) => {
            if previous != Readiness::Waiting {
                pgrx::log!("gitsync: {why}; waiting (checked again every poll interval)");
            }
            Readiness::Waiting
        }
    };
    if now == Readiness::Ready {
        if previous == Readiness::Waiting {
            pgrx::log!(
                "gitsync: database \"{}\" is ready; syncing",
                guc::database()
            );
        }
        run_enabled_spaces();
    }
    now
}

fn database_ready() -> Result<(), String> {
    let installed = Spi::get_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'gitsync')",
    )
    .ok()
    .flatten()
    .unwrap_or(false);
    if !installed {
        return Err(format!(
            "database \"{}\" has no gitsync extension (run CREATE EXTENSION gitsync there)",
            guc::database()
        ));
    }
    let missing = Spi::get_one::<String>(
        "SELECT string_agg(t, ', ') FROM unnest(ARRAY['spaces', 'pages', 'users']) AS t
          WHERE to_regclass(t) IS NULL",
    )
    .ok()
    .flatten();
    match missing {
        Some(tables) => Err(format!(
            "database \"{}\" lacks Docmost's tables ({tables})",
            guc::database()
        )),
        None => Ok(()),
    }
}

fn run_enabled_spaces() {
    let spaces = in_transaction(|| {
        Spi::connect(|client| {
            client
                .select(
                    "SELECT id::text FROM spaces
                      WHERE deleted_at IS NULL AND settings -> 'gitSync' ->> 'enabled' = 'true'
                      ORDER BY id",
                    None,
                    &[],
                )
                .map(|rows| {
                    rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let spaces = match spaces {
        Ok(s) => s,
        Err(e) => {
            pgrx::warning!("gitsync: could not list enabled spaces: {e}");
            return;
        }
    };
    for space_id in spaces {
        if shutdown_requested() {
            return;
        }
        report_activity(
            pg_sys::BackendState::STATE_RUNNING,
            &format!("gitsync: syncing space {space_id}"),
        );
        if let Err(e) = in_transaction(|| run::run_space(&space_id, Trigger::Worker)) {
            pgrx::warning!("gitsync: cycle of space {space_id} aborted: {e}");
        }
    }
    report_activity(pg_sys::BackendState::STATE_IDLE, "");
}

fn shutdown_requested() -> bool {
    // SAFETY: a sig_atomic_t flag set by the SIGTERM handler.
    unsafe { std::ptr::read_volatile(&raw const pg_sys::ShutdownRequestPending) != 0 }
}

/// Runs `f` in a transaction of its own. An ERROR inside aborts the
/// transaction (never commits after one) and comes back as `Err`.
fn in_transaction<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    // SAFETY: the transaction protocol of a background worker outside any
    // transaction: start, snapshot, and either commit or abort.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
        let result = PgTryBuilder::new(AssertUnwindSafe(|| Ok(f())))
            .catch_others(|caught| Err(run::caught_message(caught)))
            .execute();
        match result {
            Ok(value) => {
                pg_sys::PopActiveSnapshot();
                pg_sys::CommitTransactionCommand();
                Ok(value)
            }
            Err(e) => {
                pg_sys::AbortCurrentTransaction();
                Err(e)
            }
        }
    }
}

/// What `pg_stat_activity.query` shows for the worker.
fn report_activity(state: pg_sys::BackendState::Type, text: &str) {
    if let Ok(c) = CString::new(text) {
        // SAFETY: pgstat copies the string.
        unsafe { pg_sys::pgstat_report_activity(state, c.as_ptr()) };
    }
}
