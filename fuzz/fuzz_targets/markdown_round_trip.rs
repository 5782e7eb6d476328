//! Markdown → ProseMirror → Markdown on arbitrary input (issue 4): no
//! panic, and after one normalizing pass the Markdown is a fixed point.

#![no_main]

use gitsync_engine::convert::{from_markdown, to_markdown};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The pull reads files as UTF-8 (lossily), so that is the input space.
    let input = String::from_utf8_lossy(data);
    let m1 = to_markdown(&from_markdown(&input)).expect("a read document always writes");
    let m2 = to_markdown(&from_markdown(&m1)).expect("a read document always writes");
    assert!(
        m1 == m2,
        "not stable after one pass\n--- m1\n{m1}\n--- m2\n{m2}"
    );
});
