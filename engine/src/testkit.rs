//! Shared fixtures of the engine's unit tests.

use serde_json::{json, Value};

/// The uuid of test page `n`.
pub fn id(n: u32) -> String {
    format!("0190c0de-0000-7000-8000-{n:012}")
}

/// A document of one paragraph.
pub fn doc(text: &str) -> Value {
    json!({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}
