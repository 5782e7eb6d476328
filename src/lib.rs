//! gitsync: a thin pgrx layer (settings, worker, SQL functions, SPI store)
//! around the sync engine in the `gitsync-engine` crate, which never sees
//! Postgres and is tested with plain `cargo test`.

use pgrx::prelude::*;

mod api;
mod guc;
mod run;
mod store;
mod worker;

::pgrx::pg_module_magic!();

extension_sql_file!("../sql/schema.sql", name = "schema", bootstrap);
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::register();
    // SAFETY: reading a postmaster-set global during library load.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        worker::register();
    }
}
