//! postgresql.conf settings (SPEC §2). Names and contexts are the contract;
//! the README documents each.

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::PathBuf;
use std::time::Duration;

static ENABLED: GucSetting<bool> = GucSetting::<bool>::new(false);
static DATABASE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"postgres"));
static SERVICE_USER_ID: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static POLL_INTERVAL_S: GucSetting<i32> = GucSetting::<i32>::new(15);
static VAULT_ROOT: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
static RUN_HISTORY_LIMIT: GucSetting<i32> = GucSetting::<i32>::new(500);
static MAX_FILE_SIZE_KB: GucSetting<i32> = GucSetting::<i32>::new(1024);

pub fn register() {
    GucRegistry::define_bool_guc(
        c"gitsync.enabled",
        c"Master switch: when off, the worker idles and gitsync_run_once skips with \"disabled\".",
        c"",
        &ENABLED,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"gitsync.database",
        c"Database the gitsync background worker connects to.",
        c"",
        &DATABASE,
        GucContext::Postmaster,
        GucFlags::default(),
    );
    // SAFETY: the hook is a plain function that cannot panic.
    unsafe {
        GucRegistry::define_string_guc_with_hooks(
            c"gitsync.service_user_id",
            c"users.id of the Docmost user that git-side changes are written as.",
            c"Empty means none: cycles are skipped with \"no-service-user\".",
            &SERVICE_USER_ID,
            GucContext::Sighup,
            GucFlags::default(),
            Some(check_service_user_id),
            None,
            None,
        );
    }
    GucRegistry::define_int_guc(
        c"gitsync.poll_interval",
        c"Time between two passes of the worker over the enabled spaces.",
        c"",
        &POLL_INTERVAL_S,
        1,
        86_400,
        GucContext::Sighup,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_string_guc(
        c"gitsync.vault_root",
        c"Directory holding one bare git repository per space (<space_id>.git).",
        c"Empty means <data_directory>/gitsync.",
        &VAULT_ROOT,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"gitsync.run_history_limit",
        c"Rows of gitsync.run_history kept per space; older runs are deleted.",
        c"",
        &RUN_HISTORY_LIMIT,
        1,
        1_000_000,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"gitsync.max_file_size",
        c"Largest page file the push reads from a vault; a larger one is a per-file failure.",
        c"",
        &MAX_FILE_SIZE_KB,
        1,
        1024 * 1024,
        GucContext::Sighup,
        GucFlags::UNIT_KB,
    );
}

pub fn enabled() -> bool {
    ENABLED.get()
}

pub fn database() -> String {
    text_of(&DATABASE).unwrap_or_else(|| "postgres".into())
}

/// The configured service user, lowercased; None when unset.
pub fn service_user_id() -> Option<String> {
    text_of(&SERVICE_USER_ID).map(|s| s.to_ascii_lowercase())
}

pub fn poll_interval() -> Duration {
    Duration::from_secs(POLL_INTERVAL_S.get().max(1) as u64)
}

pub fn max_file_bytes() -> usize {
    usize::try_from(MAX_FILE_SIZE_KB.get()).unwrap_or(1) * 1024
}

pub fn run_history_limit() -> i64 {
    i64::from(RUN_HISTORY_LIMIT.get())
}

/// The configured root, or `<data_directory>/gitsync`. A relative setting
/// is relative to the data directory, the server's working directory.
pub fn vault_root() -> PathBuf {
    match text_of(&VAULT_ROOT) {
        Some(root) => PathBuf::from(root),
        None => data_directory().join("gitsync"),
    }
}

fn data_directory() -> PathBuf {
    // SAFETY: DataDir is set by the postmaster before any backend runs our code.
    let dir = unsafe { CStr::from_ptr(pg_sys::DataDir) };
    PathBuf::from(dir.to_string_lossy().into_owned())
}

fn text_of(setting: &GucSetting<Option<CString>>) -> Option<String> {
    setting
        .get()
        .map(|s| s.to_string_lossy().trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Rejects anything but an empty string or a uuid, so a typo is refused by
/// `ALTER SYSTEM`/`SET` instead of silently skipping every cycle.
#[pgrx::pg_guard]
unsafe extern "C-unwind" fn check_service_user_id(
    newval: *mut *mut c_char,
    _extra: *mut *mut c_void,
    _source: pg_sys::GucSource::Type,
) -> bool {
    if newval.is_null() || (*newval).is_null() {
        return true;
    }
    let value = CStr::from_ptr(*newval).to_string_lossy();
    let value = value.trim();
    if value.is_empty() || gitsync_engine::model::is_uuid(value) {
        return true;
    }
    pg_sys::GUC_check_errdetail_string =
        pg_sys::pstrdup(c"gitsync.service_user_id must be a uuid (a users.id) or empty.".as_ptr());
    false
}
