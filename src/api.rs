//! The SQL functions. EXECUTE is revoked from PUBLIC in sql/finalize.sql.

use gitsync_engine::model::space_lock_key;
use gitsync_engine::vault::vault_path;
use pgrx::prelude::*;
use pgrx::{JsonB, Uuid};

use crate::guc;
use crate::run::{self, Trigger};

/// One cycle of a space now, in the calling transaction. Its ref moves
/// happen when that transaction commits; a ROLLBACK leaves the vault as it
/// was in meaning.
#[pg_extern(volatile, security_definer)]
#[search_path(public, pg_temp)]
fn gitsync_run_once(space_id: Uuid) -> JsonB {
    JsonB(run::run_space(&uuid_text(&space_id), Trigger::Manual))
}

#[pg_schema]
mod gitsync {
    use super::*;

    /// Where the vault of a space is (or will be) on the server.
    #[pg_extern(stable)]
    fn vault_path(space_id: Uuid) -> String {
        super::vault_path(&guc::vault_root(), &uuid_text(&space_id))
            .display()
            .to_string()
    }

    /// `pg_locks.objid` of a space's advisory lock.
    #[pg_extern(immutable, parallel_safe)]
    fn lock_key(space_id: Uuid) -> i64 {
        run::lock_objid(space_lock_key(&uuid_text(&space_id)))
    }

    /// `pg_locks.classid` of every gitsync advisory lock.
    #[pg_extern(immutable, parallel_safe)]
    fn lock_class() -> i64 {
        run::lock_class()
    }
}

fn uuid_text(id: &Uuid) -> String {
    let b = id.as_bytes();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
