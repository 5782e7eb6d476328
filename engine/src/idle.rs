//! The idle fast path and the edits route: a cycle that would change
//! nothing is recognised without reading the space's pages, its export
//! state or the vault's trees, which is what an idle cycle of a large
//! space spends its time on; and a cycle with only page bodies to export
//! reads just those pages.
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
//! without running it.
//!
//! When only the digest differs, the same statement also returned the
//! rows stamped after the newest row the recorded digest saw. If those
//! rows account for the whole change of the digest, all kept their title,
//! slug and parent, and `main` has `docmost`'s tree, then only their
//! bodies changed, at paths the export state knows: the edits route
//! exports just them (see `edits_since`). Such a cycle leaves the space
//! where a settled one would, with new refs, so it records a key too and
//! a stream of edits never needs a full cycle. Anything else (no key, a
//! vault that had to be created, a moved ref, a changed setting, any
//! other row change) runs the full cycle.
//!
//! What the key leaves out, and why that is safe:
//! - page bodies: the pull itself notices a body change only through the
//!   page's `updated_at` (Docmost moves it on every save), and `updated_at`
//!   is in the digest, so the fast path adds no blind spot of its own;
//! - rows of other spaces: a settled outcome never depends on them (ids
//!   of other spaces' pages in files are warnings, and files the pull
//!   keeps because of them are `kept_files`; either unsettles it);
//! - `gitsync.page_state`: only cycles write it; a settled cycle wrote
//!   nothing that changes what the next one does, and an edits-route
//!   cycle wrote the state of exactly the files it wrote;
//! - objects of the vault: the refs name immutable commits, and a vault
//!   re-created under the same path is reported by [`Vault::was_created`].

use crate::cycle::{cycle_from, CycleOptions, CycleOutcome, FirstPull, Heads};
use crate::error::EngineError;
use crate::model::PageMeta;
use crate::store::{digest_parts, ExportState, RecentPages, Store};
use crate::vault::{Vault, LAST_PUSHED};

/// Raised whenever what a cycle does for the same inputs changes in a way
/// the extension's version does not already tell (keys of older formats
/// then simply never match, and the next cycle runs in full).
pub const KEY_FORMAT: u32 = 2;

/// How a cycle was run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Recognised as idle: nothing read beyond the digest.
    Idle,
    /// Only pages edited since a settled cycle were read (see
    /// `edits_since`).
    Edits,
    /// Every row, the export state and the trees.
    Full,
}

/// One cycle, fast or full.
#[derive(Debug)]
pub struct Ran {
    pub outcome: CycleOutcome,
    /// The key to record for the next cycle; None when the next cycle
    /// must run in full (the outcome was not settled, and was not an
    /// edits-route cycle that only exported pages).
    pub idle_key: Option<String>,
    pub route: Route,
}

/// Runs one cycle of `space_id`, recognising a cycle that would be idle
/// and one that only has page bodies to export. `recorded` is the key the
/// previous cycle left (None if it was not settled, failed, or there was
/// none).
pub fn cycle_unless_idle(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    opts: &CycleOptions,
    recorded: Option<&str>,
) -> Result<Ran, EngineError> {
    let heads = Heads::read(vault)?;
    let since = recorded
        .filter(|_| !vault.was_created())
        .and_then(|key| recorded_digest(key, &heads, opts));
    let mut first = FirstPull::Space;
    if let Some(since) = since {
        let recent = store.pages_since(space_id, since)?;
        if recent.digest == since {
            return Ok(Ran {
                idle_key: Some(idle_key(&recent.digest, &heads, opts)),
                outcome: CycleOutcome::idle(&heads, recent.digest),
                route: Route::Idle,
            });
        }
        if main_mirrors_docmost(vault, &heads)? {
            if let Some(edits) = edits_since(recent) {
                first = edits;
            }
        }
    }
    let route = match first {
        FirstPull::Space => Route::Full,
        FirstPull::Edits { .. } => Route::Edits,
    };
    let outcome = cycle_from(store, vault, space_id, opts, &heads, first)?;
    let idle_key = if is_settled(&outcome) {
        Some(idle_key(&outcome.pages_digest, &heads, opts))
    } else if route == Route::Edits && only_exported(&outcome) {
        Some(idle_key(
            &outcome.pages_digest,
            &heads_after(&outcome, &heads),
            opts,
        ))
    } else {
        None
    };
    Ok(Ran {
        outcome,
        idle_key,
        route,
    })
}

/// The rows stamped since a settled cycle, when they are all a cycle has
/// to act on: the digests say no other row changed, and each of them
/// still has the title, slug and parent (so the path) its export state
/// has and is live. The vault is what that cycle left (the caller
/// checked the refs), so each file on `docmost` is its state's blob: only
/// these pages' bodies need exporting, at their paths.
fn edits_since(recent: RecentPages) -> Option<FirstPull> {
    if !recent.explained {
        return None;
    }
    let pages: Option<Vec<(PageMeta, ExportState)>> = recent
        .pages
        .into_iter()
        .map(|(page, state)| state.filter(|s| s.same_place(&page)).map(|s| (page, s)))
        .collect();
    Some(FirstPull::Edits {
        pages: pages?,
        digest: recent.digest,
    })
}

/// True when `main` has exactly `docmost`'s tree and `docmost` is in its
/// history. Then merging new exports into `main` gives it `docmost`'s new
/// tree again, and the push finds nothing to do: which is why the edits
/// route may hand the push only the edited rows. After a push whose
/// Markdown is not byte for byte what the export writes, the trees differ
/// and edits go the full route.
fn main_mirrors_docmost(vault: &Vault, heads: &Heads) -> Result<bool, EngineError> {
    if heads.main == heads.docmost {
        return Ok(true);
    }
    Ok(vault.tree_of(heads.main)? == vault.tree_of(heads.docmost)?
        && vault.is_ancestor(heads.docmost, heads.main)?)
}

/// The digest in `recorded` when the rest of the key is what this cycle
/// starts from (same refs, settings and format) and it is a well-formed
/// digest; a key damaged by hand is simply not trusted.
fn recorded_digest<'a>(recorded: &'a str, heads: &Heads, opts: &CycleOptions) -> Option<&'a str> {
    let (start, digest) = recorded.rsplit_once(PAGES)?;
    let trusted = start == starting_point(heads, opts) && digest_parts(digest).is_some();
    trusted.then_some(digest)
}

const PAGES: &str = "; pages ";

/// Everything a settled outcome depends on, as one string.
pub fn idle_key(pages_digest: &str, heads: &Heads, opts: &CycleOptions) -> String {
    format!("{}{PAGES}{pages_digest}", starting_point(heads, opts))
}

fn starting_point(heads: &Heads, opts: &CycleOptions) -> String {
    format!(
        "gitsync {} key {KEY_FORMAT}; main {}; docmost {}; last-pushed {}; \
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
    out.written == 0 && out.ref_updates.is_empty() && only_exported(out)
}

/// The refs as `out`'s updates leave them. A key made with them is only
/// trusted while the refs really are these: an update lost to a push, or
/// a transaction rolled back with the key in it, simply fails to match.
fn heads_after(out: &CycleOutcome, before: &Heads) -> Heads {
    let pushed = out
        .ref_updates
        .iter()
        .find(|u| u.name == LAST_PUSHED)
        .map_or(before.pushed, |u| u.new);
    Heads {
        docmost: out.docmost,
        main: out.main,
        pushed,
    }
}

/// True when all the cycle did was export page files (and move refs to
/// them): nothing removed, failed, warned about, kept, pushed or refused.
/// After an edits-route cycle like that, `docmost` holds every page as
/// its export state says and `main` has `docmost`'s tree, which is just
/// where a settled cycle leaves a space: so its key may be recorded with
/// the refs it moved to, and the next cycle can take the idle or edits
/// route at once.
fn only_exported(out: &CycleOutcome) -> bool {
    let push = &out.push;
    out.deleted == 0
        && !out.conflict
        && out.failures.is_empty()
        && out.kept_files == 0
        && !out.divergent_docmost
        && out.warnings.is_empty()
        && push.writes() == 0
        && push.failures.is_empty()
        && push.warnings.is_empty()
        && push.write_back.is_none()
        && !push.refused
}

#[cfg(test)]
#[path = "idle_tests.rs"]
mod tests;
