//! Plain text of a document the way Docmost's `jsonToText` computes it
//! for `pages.text_content` (see `editor-schema.md`).

use super::node::Node;
use super::schema;

pub fn plain_text(doc: &Node) -> String {
    let mut out = String::new();
    let mut first = true;
    for child in &doc.content {
        walk(child, &mut out, &mut first);
    }
    collapse_newlines(&out)
}

/// Every block except the first in the document is preceded by a blank
/// line; atoms with a text form stop the descent.
fn walk(n: &Node, out: &mut String, first: &mut bool) {
    if !schema::is_inline(&n.ty) {
        if !*first {
            out.push_str("\n\n");
        }
        *first = false;
    }
    match n.ty.as_str() {
        "text" => out.push_str(&n.text),
        "hardBreak" => out.push('\n'),
        "mention" => {
            out.push('@');
            let label = n.str_attr("label").or_else(|| n.str_attr("id"));
            out.push_str(label.unwrap_or(""));
        }
        _ => {
            for c in &n.content {
                walk(c, out, first);
            }
        }
    }
}

fn collapse_newlines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        if c == '\n' {
            run += 1;
            if run <= 2 {
                out.push(c);
            }
        } else {
            run = 0;
            out.push(c);
        }
    }
    out
}
