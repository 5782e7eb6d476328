//! ProseMirror JSON ↔ Markdown (SPEC §5 "Body conversion").
//!
//! - [`to_markdown`] writes CommonMark/GFM for standard nodes and marks and
//!   HTML carriers for Docmost-only ones (`to_md`, `inline`, `html`).
//! - [`from_markdown`] reads any text with `pulldown-cmark`, a maintained
//!   CommonMark parser that never panics on any input, and emits only what
//!   Docmost's schema allows (`from_md`, `sanitize`, `schema`).
//!
//! Round trip: `md(pm(md(doc))) == md(doc)` byte for byte, and
//! `pm(md(doc))` equals `doc` under [`canonical_eq`].

mod from_md;
mod html;
mod inline;
mod node;
mod safe;
mod sanitize;
mod schema;
mod text;
mod to_md;

use node::{canonical, canonical_from_value, checked_canonical_from_value, Node};
use serde_json::Value;
use std::fmt;

/// Why a document cannot be written as Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError(pub String);

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

/// Markdown for a ProseMirror document. Fails on anything that is not a
/// `doc` and on node or mark types Docmost does not know, rather than
/// dropping them.
pub fn to_markdown(doc: &Value) -> Result<String, ConvertError> {
    Ok(to_md::write_doc(&checked_doc(doc)?))
}

/// The canonical form of `doc`, which must be a `doc` of known types only.
fn checked_doc(doc: &Value) -> Result<Node, ConvertError> {
    let ty = doc.get("type").and_then(Value::as_str).unwrap_or("");
    if !doc.is_object() || ty != "doc" {
        return Err(ConvertError(format!(
            "not a ProseMirror doc (top node type `{ty}`)"
        )));
    }
    let (node, unknown) = checked_canonical_from_value(doc);
    match unknown {
        Some(problem) => Err(ConvertError(problem)),
        None => Ok(node),
    }
}

/// A ProseMirror document for any Markdown text.
pub fn from_markdown(md: &str) -> Value {
    read_doc(md).into_value()
}

/// The document `from_markdown` returns, as a node in canonical form (the
/// reader's blocks are canonical, and it ends the document as canonical
/// form does).
fn read_doc(md: &str) -> Node {
    let mut content = from_md::parse_blocks(md);
    let ends_in_paragraph = content.last().is_some_and(|n| n.ty == "paragraph");
    let ends_in_footnotes = content.last().is_some_and(|n| n.ty == "footnotes");
    if !ends_in_paragraph && !ends_in_footnotes {
        content.push(Node::new("paragraph"));
    }
    Node::with_content("doc", content)
}

/// The page body as the pull writes it: Markdown after one normalizing
/// round trip, without leading or trailing blank lines. A missing, null
/// or empty document is the empty string.
pub fn export_body(content: Option<&Value>) -> Result<String, ConvertError> {
    let parsed;
    let doc = match content {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::String(s)) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|e| ConvertError(format!("content is not JSON: {e}")))?;
            &parsed
        }
        Some(v) => v,
    };
    let node = checked_doc(doc)?;
    let md1 = to_md::write_doc(&node);
    // The writer's output depends only on the canonical form of its input,
    // and reading the JSON of a node back gives its canonical form again.
    // So when reading `md1` gives the canonical form of `doc`, writing it
    // again would give `md1` byte for byte, and the second pass can be
    // skipped.
    let doc2 = canonical(read_doc(&md1));
    let md2 = if doc2 == node {
        md1
    } else {
        to_markdown(&doc2.into_value())?
    };
    Ok(md2.trim_matches('\n').to_string())
}

/// `pages.text_content` for a document.
pub fn text_content(doc: &Value) -> String {
    text::plain_text(&Node::from_value(doc))
}

/// Tree equality ignoring block ids, attributes at their default, mark
/// order, how text is split into nodes, and the trailing empty paragraph
/// Docmost keeps after a last non-paragraph block.
pub fn canonical_eq(a: &Value, b: &Value) -> bool {
    canonical_from_value(a) == canonical_from_value(b)
}
