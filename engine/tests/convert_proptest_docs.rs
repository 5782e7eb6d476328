//! Issue 4: random documents over Docmost's whole editor schema survive the
//! round trip (`md(pm(md(doc))) == md(doc)`, `pm(md(doc))` canonically
//! equal to `doc`). Shrunk counterexamples live on as fixtures in
//! `fixtures/counterexamples/` (see `convert_counterexamples.rs`).

mod convert_support;

use convert_support::{doc, round_trip_problem};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Container nesting depth of generated documents: deep enough for lists
/// in lists in a table in a column, shallow enough that 10,000 cases run
/// in well under two minutes in a debug build.
const DEPTH: u32 = 3;

fn config() -> Config {
    Config {
        cases: 10_000,
        // Counterexamples are kept as JSON fixtures, not as seed files.
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn convert_random_documents_round_trip(d in doc(DEPTH)) {
        if let Some(problem) = round_trip_problem(&d.0) {
            prop_assert!(false, "{}", problem);
        }
    }
}
