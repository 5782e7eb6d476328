//! Makes a parsed tree fit Docmost's schema: allowed children only,
//! required children present, known attributes and marks only. Whatever
//! the Markdown said, the result is something the editor opens.

use super::node::{canonical, canonical_marks, Mark, Node};
use super::schema::{self, content_of, is_group_block, is_inline, Content};
use serde_json::Value;

/// Sanitized, canonical children for a parent of type `parent`.
pub fn sanitize_blocks(parent: &str, children: Vec<Node>) -> Vec<Node> {
    let children = sanitize_children(parent, children);
    limit_depth(parent, children, 0)
        .into_iter()
        .map(canonical)
        .collect()
}

/// Flattens containers nested deeper than [`schema::MAX_DEPTH`], counted
/// in document levels. The reader's own limit counts parse frames, and the
/// sanitizer may add levels (it wraps stray list content in items), so only
/// a limit on the finished document makes a read document write Markdown
/// that reads back without flattening again. `depth` is the parent's.
fn limit_depth(parent: &str, children: Vec<Node>, depth: usize) -> Vec<Node> {
    let mut out = Vec::new();
    for mut child in children {
        if !schema::is_container(&child.ty) {
            out.push(child);
        } else if depth + 1 + schema::required_levels(&child.ty) <= schema::MAX_DEPTH {
            let ty = child.ty.clone();
            child.content = limit_depth(&ty, child.content, depth + 1);
            out.push(child);
        } else {
            let mut leaves = Vec::new();
            collect_leaves(child, &mut leaves);
            for leaf in leaves {
                place(parent, leaf, &mut out);
            }
        }
    }
    fix_required(parent, &mut out);
    out
}

/// The textblocks and leaf blocks of a subtree, in document order.
fn collect_leaves(node: Node, out: &mut Vec<Node>) {
    if schema::is_container(&node.ty) {
        for child in node.content {
            collect_leaves(child, out);
        }
    } else {
        out.push(node);
    }
}

fn sanitize_children(parent: &str, children: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for child in children {
        place(parent, child, &mut out);
    }
    fix_required(parent, &mut out);
    out
}

fn allows(parent: &str, child: &str) -> bool {
    match content_of(parent) {
        Content::Blocks => is_group_block(child) || (parent == "doc" && child == "footnotes"),
        Content::Only(types) => types.contains(&child),
        Content::Inline => is_inline(child),
        Content::Text => child == "text",
        Content::Leaf => false,
    }
}

/// Puts `child` into `out`, adapting it when `parent` cannot hold it.
fn place(parent: &str, mut child: Node, out: &mut Vec<Node>) {
    if allows(parent, &child.ty) {
        if let Some(n) = sanitize_node(child) {
            out.push(n);
        }
        return;
    }
    let wrapper = match parent {
        "bulletList" | "orderedList" => Some("listItem"),
        "taskList" => Some("taskItem"),
        _ => None,
    };
    if let Some(w) = wrapper {
        return place(parent, Node::with_content(w, vec![child]), out);
    }
    if schema::is_textblock(&child.ty) && allows(parent, "paragraph") {
        child.ty = "paragraph".into();
        child
            .attrs
            .retain(|k, _| k == "textAlign" || k == "indent" || k == "dir");
        return place(parent, child, out);
    }
    for grandchild in child.content {
        if !is_inline(&grandchild.ty) {
            place(parent, grandchild, out);
        }
    }
}

fn sanitize_node(mut n: Node) -> Option<Node> {
    keep_known_attrs(&mut n);
    if n.ty == "heading" {
        let level = n.attr("level").as_u64().unwrap_or(1).clamp(1, 6);
        n.attrs.insert("level".into(), Value::from(level));
    }
    match content_of(&n.ty) {
        Content::Inline => n.content = sanitize_inline(n.content),
        Content::Text => {
            let text: String = n.content.iter().map(|c| no_nul(&c.text)).collect();
            n.content = if text.is_empty() {
                Vec::new()
            } else {
                vec![Node::text(&text, Vec::new())]
            };
        }
        Content::Leaf => n.content.clear(),
        _ => {
            if n.ty == "details" {
                n.content = details_parts(n.content);
            }
            let ty = n.ty.clone();
            n.content = sanitize_children(&ty, n.content);
        }
    }
    n.marks.clear();
    let empty_list = matches!(
        n.ty.as_str(),
        "bulletList" | "orderedList" | "taskList" | "table" | "columns"
    ) && n.content.is_empty();
    (!empty_list).then_some(n)
}

/// Exactly one summary, then one content holding everything else.
fn details_parts(children: Vec<Node>) -> Vec<Node> {
    let mut summary = None;
    let mut body = Vec::new();
    for c in children {
        match c.ty.as_str() {
            "detailsSummary" if summary.is_none() => summary = Some(c),
            "detailsContent" => body.extend(c.content),
            _ => body.push(c),
        }
    }
    vec![
        summary.unwrap_or_else(|| Node::new("detailsSummary")),
        Node::with_content("detailsContent", body),
    ]
}

fn fix_required(parent: &str, out: &mut Vec<Node>) {
    let needs_paragraph_first = matches!(parent, "listItem" | "taskItem");
    if needs_paragraph_first && out.first().is_none_or(|n| n.ty != "paragraph") {
        out.insert(0, Node::new("paragraph"));
    }
    if schema::needs_content(parent) && out.is_empty() && parent != "doc" {
        out.push(Node::new("paragraph"));
    }
    if parent == "doc" {
        // `footnotes` may only close the document.
        let last = out.len().saturating_sub(1);
        let mut i = 0;
        out.retain(|n| {
            let keep = n.ty != "footnotes" || i == last;
            i += 1;
            keep
        });
    }
}

fn sanitize_inline(items: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for mut item in items {
        if !is_inline(&item.ty) {
            continue;
        }
        keep_known_attrs(&mut item);
        item.marks = sanitize_marks(item.marks);
        if item.text.contains('\0') {
            item.text = no_nul(&item.text);
        }
        if item.ty == "footnoteReference" {
            let text: String = item.content.iter().map(|c| c.text.as_str()).collect();
            item.content = if text.is_empty() {
                Vec::new()
            } else {
                vec![Node::text(&text, Vec::new())]
            };
        } else {
            item.content.clear();
        }
        out.push(item);
    }
    out
}

/// Known marks with known attributes; `code` excludes every other mark
/// (a link wins over it, as losing a link target is worse).
fn sanitize_marks(marks: Vec<Mark>) -> Vec<Mark> {
    let mut marks: Vec<Mark> = marks
        .into_iter()
        .filter_map(|mut m| {
            let defaults = schema::mark_attrs(&m.ty)?;
            m.attrs.retain(|k, _| defaults.iter().any(|(d, _)| d == k));
            no_nul_values(&mut m.attrs);
            Some(m)
        })
        .collect();
    marks = canonical_marks(marks);
    let has_code = marks.iter().any(|m| m.ty == "code");
    let has_link = marks.iter().any(|m| m.ty == "link");
    if has_code && has_link {
        marks.retain(|m| m.ty != "code");
    } else if has_code {
        marks.retain(|m| m.ty == "code");
    }
    marks
}

fn keep_known_attrs(n: &mut Node) {
    if let Some(defaults) = schema::node_attrs(&n.ty) {
        n.attrs.retain(|k, _| defaults.iter().any(|(d, _)| d == k));
    }
    no_nul_values(&mut n.attrs);
}

/// Attribute strings get the same NUL treatment as text: an image's alt is
/// written as escaped text, where NUL turns into U+FFFD.
fn no_nul_values(attrs: &mut serde_json::Map<String, Value>) {
    for v in attrs.values_mut() {
        if let Value::String(s) = v {
            if s.contains('\0') {
                *s = no_nul(s);
            }
        }
    }
}

/// CommonMark reads NUL as U+FFFD; doing so here keeps a second pass equal.
fn no_nul(s: &str) -> String {
    s.replace('\0', "\u{FFFD}")
}
