//! One whole cycle for one space (SPEC §6): pull the DB onto `docmost`,
//! merge `docmost` into `main`, push `main`'s changes into the DB, then
//! export what the push wrote so `docmost` again mirrors the DB.
//!
//! Crash safety: the caller runs this inside the DB transaction and
//! applies [`CycleOutcome::ref_updates`] (each a compare-and-swap) only
//! after that transaction commits. Until then no ref claims anything the
//! DB has not committed; if the refs never move, the next cycle re-exports
//! the committed DB state and converges (writes are no-ops by then).

use git2::Oid;
use std::collections::HashSet;

use crate::error::EngineError;
use crate::merge::{merge_docmost, MergeResult};
use crate::model::PageMeta;
use crate::pull::{pull_edits, pull_onto, PageFailure};
use crate::push::{self, PushOptions, PushOutcome};
use crate::store::{ExportState, Store};
use crate::vault::{RefUpdate, Vault, DOCMOST, LAST_PUSHED, MAIN};

/// Page files above this size are per-file failures (SPEC §7 default).
pub const DEFAULT_MAX_FILE_BYTES: usize = 1024 * 1024;

pub struct CycleOptions<'a> {
    /// The service user id: author of every DB write.
    pub actor: &'a str,
    pub auto_merge_conflicts: bool,
    pub max_file_bytes: usize,
}

#[derive(Debug)]
pub struct CycleOutcome {
    /// Page files the pull wrote to / removed from `docmost`.
    pub written: usize,
    pub deleted: usize,
    /// The merge kept git's text for hunks both sides changed.
    pub conflict: bool,
    /// Pages the pull could not export.
    pub failures: Vec<PageFailure>,
    pub push: PushOutcome,
    /// A ref would have had to move in a way that is not a fast-forward;
    /// nothing was forced.
    pub divergent_docmost: bool,
    pub warnings: Vec<String>,
    /// Ref moves to apply after commit, in order.
    pub ref_updates: Vec<RefUpdate>,
    /// `docmost` and `main` once the updates are applied.
    pub docmost: Oid,
    pub main: Oid,
    /// Files on `docmost` that no live page claims and that the pull kept.
    pub kept_files: usize,
    /// The digest of the page rows the (first) pull read.
    pub pages_digest: String,
}

impl CycleOutcome {
    /// The outcome of a cycle that changes nothing: what the idle fast
    /// path returns.
    pub fn idle(heads: &Heads, pages_digest: String) -> CycleOutcome {
        CycleOutcome {
            written: 0,
            deleted: 0,
            conflict: false,
            failures: Vec::new(),
            push: PushOutcome::default(),
            divergent_docmost: false,
            warnings: Vec::new(),
            ref_updates: Vec::new(),
            docmost: heads.docmost,
            main: heads.main,
            kept_files: 0,
            pages_digest,
        }
    }
}

/// The three refs a cycle starts from, read once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heads {
    pub docmost: Oid,
    pub main: Oid,
    pub pushed: Oid,
}

impl Heads {
    pub fn read(vault: &Vault) -> Result<Heads, EngineError> {
        Ok(Heads {
            docmost: vault.required_ref(DOCMOST)?,
            main: vault.required_ref(MAIN)?,
            pushed: vault.required_ref(LAST_PUSHED)?,
        })
    }
}

/// What the cycle's first pull reads.
pub enum FirstPull {
    /// Every row of the space, its export state and `docmost`'s tree.
    Space,
    /// Only these rows, whose files are at their export state's paths,
    /// read with `digest` (the caller vouches for them: see
    /// `idle::edits_since`).
    Edits {
        pages: Vec<(PageMeta, ExportState)>,
        digest: String,
    },
}

pub fn cycle(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    opts: &CycleOptions,
) -> Result<CycleOutcome, EngineError> {
    let heads = Heads::read(vault)?;
    cycle_from(store, vault, space_id, opts, &heads, FirstPull::Space)
}

/// A whole cycle starting from `heads`, which the caller has read.
pub fn cycle_from(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    opts: &CycleOptions,
    heads: &Heads,
    first: FirstPull,
) -> Result<CycleOutcome, EngineError> {
    vault.batched(|| cycle_unbatched(store, vault, space_id, opts, heads, first))
}

fn cycle_unbatched(
    store: &mut dyn Store,
    vault: &Vault,
    space_id: &str,
    opts: &CycleOptions,
    heads: &Heads,
    first: FirstPull,
) -> Result<CycleOutcome, EngineError> {
    let Heads {
        docmost: docmost0,
        main: main0,
        pushed: pushed0,
    } = *heads;

    let pulled = match first {
        FirstPull::Space => pull_onto(store, vault, space_id, docmost0)?,
        FirstPull::Edits { pages, digest } => {
            pull_edits(store, vault, space_id, docmost0, pages, digest)?
        }
    };
    let docmost1 = pulled.docmost;
    let mut out = CycleOutcome {
        written: pulled.written,
        deleted: pulled.deleted,
        conflict: false,
        failures: pulled.failures,
        push: PushOutcome::default(),
        divergent_docmost: false,
        warnings: pulled.warnings,
        ref_updates: Vec::new(),
        docmost: docmost1,
        main: main0,
        kept_files: pulled.kept,
        pages_digest: pulled.digest,
    };

    let merged = merge_docmost(vault, main0, docmost1, &HashSet::new())?;
    if merged == MergeResult::Unrelated {
        out.divergent_docmost = true;
        out.warnings
            .push("main and docmost share no history: nothing merged or pushed".into());
        out.ref_updates = ref_moves(vault, &mut out, docmost0, docmost1, main0, main0)?;
        return Ok(out);
    }
    out.conflict = merged.conflict();
    let main1 = merged.main(main0);

    let push_opts = PushOptions {
        space_id,
        actor: opts.actor,
        auto_merge_conflicts: opts.auto_merge_conflicts,
        max_file_bytes: opts.max_file_bytes,
    };
    let base = vault.merge_base(docmost1, main1)?.unwrap_or(docmost1);
    let pushed = push::push(
        store,
        vault,
        &push_opts,
        base,
        main1,
        &pulled.pages,
        &pulled.exported,
    )?;
    let main2 = pushed.write_back.unwrap_or(main1);

    // What the push wrote is exported onto `docmost` now, so the next
    // diff starts from the DB as it is: landed pages are never re-sent,
    // failed ones still differ and are retried alone.
    let (docmost2, main3) = if pushed.writes() > 0 {
        let after = pull_onto(store, vault, space_id, docmost1)?;
        let merged = merge_docmost(vault, main2, after.docmost, &pushed.settled)?;
        out.conflict |= merged.conflict();
        (after.docmost, merged.main(main2))
    } else {
        (docmost1, main2)
    };
    out.warnings.extend(pushed.warnings.iter().cloned());
    let clean = pushed.failures.is_empty() && !pushed.refused;
    out.push = pushed;
    out.ref_updates = ref_moves(vault, &mut out, docmost0, docmost2, main0, main3)?;
    if clean && out.main != pushed0 && !out.divergent_docmost {
        out.ref_updates.push(RefUpdate {
            name: LAST_PUSHED.into(),
            old: pushed0,
            new: out.main,
        });
    }
    Ok(out)
}

/// The `docmost` and `main` moves, each only forward: a move that is not
/// a fast-forward is refused and reported as `divergentDocmost`.
fn ref_moves(
    vault: &Vault,
    out: &mut CycleOutcome,
    docmost0: Oid,
    docmost: Oid,
    main0: Oid,
    main: Oid,
) -> Result<Vec<RefUpdate>, EngineError> {
    let mut updates = Vec::new();
    out.docmost = docmost0;
    out.main = main0;
    for (name, old, new) in [(DOCMOST, docmost0, docmost), (MAIN, main0, main)] {
        if old == new {
            continue;
        }
        if !vault.is_ancestor(old, new)? {
            out.divergent_docmost = true;
            out.warnings
                .push(format!("{name} would not fast-forward; left as it is"));
            return Ok(Vec::new());
        }
        updates.push(RefUpdate {
            name: name.into(),
            old,
            new,
        });
    }
    out.docmost = docmost;
    out.main = main;
    Ok(updates)
}
#[cfg(test)]
#[path = "cycle_tests.rs"]
mod tests;
