//! Issue 4: random documents over Docmost's whole editor schema survive the
//! round trip (`md(pm(md(doc))) == md(doc)`, `pm(md(doc))` canonically
//! equal to `doc`). Shrunk counterexamples live on as fixtures in
//! `fixtures/counterexamples/` (see `convert_counterexamples.rs`).

mod convert_support;

use convert_support::{doc, round_trip_problem};
use proptest::prelude::*;

/// Container nesting depth of generated documents: deep enough for lists
/// in lists in a table in a column, shallow enough that 10,000 cases run
/// in well under two minutes in a debug build.
const DEPTH: u32 = 3;

proptest! {
    #![proptest_config(convert_support::proptest_config())]

    #[test]
    fn convert_random_documents_round_trip(d in doc(DEPTH)) {
        if let Some(problem) = round_trip_problem(&d.0) {
            prop_assert!(false, "{}", problem);
        }
    }
}
