//! Shared fixtures of the engine's unit tests.

use serde_json::{json, Value};

use crate::model::PageMeta;

/// The space the tests sync, another one, and the service user.
pub const SPACE: &str = "0190c0de-0000-7000-8000-00000000aaaa";
pub const OTHER_SPACE: &str = "0190c0de-0000-7000-8000-00000000bbbb";
pub const ACTOR: &str = "0190c0de-0000-7000-8000-00000000cccc";

/// The uuid of test page `n`.
pub fn id(n: u32) -> String {
    format!("0190c0de-0000-7000-8000-{n:012}")
}

/// A document of one paragraph.
pub fn doc(text: &str) -> Value {
    json!({"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]})
}

/// The row of live test page `n`, stamped at 1,000 µs.
pub fn page_meta(n: u32, title: &str, parent: Option<u32>) -> PageMeta {
    PageMeta {
        id: id(n),
        slug_id: format!("slug{n:06}"),
        title: Some(title.into()),
        parent_id: parent.map(id),
        deleted: false,
        updated_at_us: 1_000,
    }
}
