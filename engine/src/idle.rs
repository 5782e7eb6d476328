//! The idle fast path: a cycle that would change nothing is recognised
//! without reading the space's pages, its export state or the vault's
//! trees, which is what an idle cycle of a large space spends its time on.
//!
//! A full cycle whose outcome is *settled* (it wrote, removed, moved,
//! failed, kept back and warned about nothing) yields an idle key: every
//! input that outcome depends on, namely the digest of the page rows its
//! pull read (in the same statement as the rows themselves), the three
//! refs it started from, the settings that change what a cycle does, and
//! the key's format. The caller records the key. The next cycle computes
//! the key again, which costs one SQL aggregate and three ref reads; when
//! it equals the recorded one, a full cycle would start from exactly what
//! the settled one saw and settle again, so its outcome is returned
//! without running it. Anything else (no key recorded, a vault that had
//! to be created, any difference) runs the full cycle.
//!
//! What the key leaves out, and why that is safe:
//! - page bodies: the pull itself notices a body change only through the
//!   page's `updated_at` (Docmost moves it on every save), and `updated_at`
//!   is in the digest, so the fast path adds no blind spot of its own;
//! - rows of other spaces: a settled outcome never depends on them (ids
//!   of other spaces' pages in files are warnings, and files the pull
//!   keeps because of them are `kept_files`; either unsettles it);
//! - `gitsync.page_state`: only cycles write it, and a settled cycle
//!   wrote nothing that changes what the next one does;
//! - objects of the vault: the refs name immutable commits, and a vault
//!   re-created under the same path is reported by [`Vault::was_created`].

use crate::cycle::{cycle_from, CycleOptions, CycleOutcome, Heads};
use crate::error::EngineError;
use crate::store::Store;
use crate::vault::Vault;

/// Raised whenever what a cycle does for the same inputs changes in a way
/// the extension's version does not already tell (keys of older formats
/// then simply never match, and the next cycle runs in full).
pub const KEY_FORMAT: u32 = 1;

/// One cycle, fast or full.
#[derive(Debug)]
pub struct Ran {
    pub outcome: CycleOutcome,
    /// The key to record for the next cycle; None when the outcome was
    /// not settled (the next cycle must run in full).
    pub idle_key: Option<String>,
    /// True when the fast path answered.
    pub fast: bool,
}

/// Runs one cycle of `space_id`, or recognises that it would be idle.
/// `recorded` is the key the previous cycle left (None if it was not
/// settled, failed, or there was none).
pub fn cycle_unless_idle(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    opts: &CycleOptions,
    recorded: Option<&str>,
) -> Result<Ran, EngineError> {
    let heads = Heads::read(vault)?;
    if let Some(recorded) = recorded.filter(|_| !vault.was_created()) {
        let digest = store.pages_digest(space_id)?;
        let key = idle_key(&digest, &heads, opts);
        if key == recorded {
            return Ok(Ran {
                outcome: CycleOutcome::idle(&heads, digest),
                idle_key: Some(key),
                fast: true,
            });
        }
    }
    let outcome = cycle_from(store, vault, space_id, opts, &heads)?;
    let idle_key = is_settled(&outcome).then(|| idle_key(&outcome.pages_digest, &heads, opts));
    Ok(Ran {
        outcome,
        idle_key,
        fast: false,
    })
}

/// Everything a settled outcome depends on, as one string.
pub fn idle_key(pages_digest: &str, heads: &Heads, opts: &CycleOptions) -> String {
    format!(
        "gitsync {} key {KEY_FORMAT}; pages {pages_digest}; main {}; docmost {}; last-pushed {}; \
         actor {}; autoMergeConflicts {}; max_file_bytes {}",
        env!("CARGO_PKG_VERSION"),
        heads.main,
        heads.docmost,
        heads.pushed,
        opts.actor,
        opts.auto_merge_conflicts,
        opts.max_file_bytes,
    )
}

/// True when the cycle changed nothing and left nothing to retry: no
/// file written or removed, no page written, no ref to move, no failure,
/// no warning (held-back deletions, skipped stale writes and ignored ids
/// all come with one), no file kept pending, nothing refused or diverged.
/// Running it again on the same inputs would give the same outcome.
pub fn is_settled(out: &CycleOutcome) -> bool {
    let push = &out.push;
    out.written == 0
        && out.deleted == 0
        && !out.conflict
        && out.failures.is_empty()
        && out.kept_files == 0
        && !out.divergent_docmost
        && out.warnings.is_empty()
        && out.ref_updates.is_empty()
        && push.writes() == 0
        && push.failures.is_empty()
        && push.warnings.is_empty()
        && push.write_back.is_none()
        && !push.refused
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
