//! The JSON that `gitsync_run_once` returns: the reference's shape and key
//! names (SPEC §2), built in one place so the worker's run history and the
//! SQL function agree.

use serde_json::{json, Value};

use crate::cycle::CycleOutcome;
use crate::pull::PageFailure;

/// Why a cycle did not run. The strings are the SQL contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    Disabled,
    NoServiceUser,
    SpaceNotFound,
    SpaceNotEnabled,
    LockHeld,
    InProgress,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Disabled => "disabled",
            Skip::NoServiceUser => "no-service-user",
            Skip::SpaceNotFound => "space-not-found",
            Skip::SpaceNotEnabled => "space-not-enabled",
            Skip::LockHeld => "lock-held",
            Skip::InProgress => "in-progress",
        }
    }
}

pub fn skipped(space_id: &str, reason: Skip) -> Value {
    json!({"spaceId": space_id, "ran": false, "skipped": reason.as_str()})
}

pub fn failed(space_id: &str, error: &str) -> Value {
    json!({"spaceId": space_id, "ran": true, "divergentDocmost": false, "error": error})
}

/// A cycle that ran: the pull's counts, the push's failures (with the
/// first one, when there is one) and whether a ref was refused.
pub fn ran(space_id: &str, cycle: &CycleOutcome) -> Value {
    let mut push = json!({"mode": "apply", "failures": cycle.push.failures.len()});
    if let Some(first) = cycle.push.failures.first() {
        push["firstFailure"] = failure(first);
    }
    json!({
        "spaceId": space_id,
        "ran": true,
        "pull": {"written": cycle.written, "deleted": cycle.deleted, "conflict": cycle.conflict},
        "push": push,
        "divergentDocmost": cycle.divergent_docmost,
    })
}

/// `{"path","pageId","kind","error"}`, as `firstFailure` is shaped.
pub fn failure(f: &PageFailure) -> Value {
    json!({"path": f.path, "pageId": f.page_id, "kind": f.kind, "error": f.error})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_result_has_exactly_the_contract_keys() {
        let v = skipped("s", Skip::InProgress);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["ran", "skipped", "spaceId"]);
        assert_eq!(v["skipped"], "in-progress");
    }
}
