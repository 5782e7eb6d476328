//! A typed view of ProseMirror JSON and its canonical form: the form both
//! canonical comparison and the Markdown writer work on, so the output only
//! depends on what canonical equality can see.

use super::schema::{is_block_id, mark_attrs, mark_rank, node_attrs};
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub ty: String,
    pub attrs: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Node {
    pub ty: String,
    pub attrs: Map<String, Value>,
    pub content: Vec<Node>,
    pub marks: Vec<Mark>,
    pub text: String,
}

impl Node {
    pub fn new(ty: &str) -> Node {
        Node {
            ty: ty.to_string(),
            ..Node::default()
        }
    }

    pub fn text(text: &str, marks: Vec<Mark>) -> Node {
        Node {
            ty: "text".into(),
            text: text.into(),
            marks,
            ..Node::default()
        }
    }

    pub fn with_content(ty: &str, content: Vec<Node>) -> Node {
        Node {
            content,
            ..Node::new(ty)
        }
    }

    pub fn attr(&self, key: &str) -> &Value {
        self.attrs.get(key).unwrap_or(&Value::Null)
    }

    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(Value::as_str)
    }

    /// Reads any JSON; shapes that are not nodes become empty parts rather
    /// than errors: type checking is `check_known`'s job.
    pub fn from_value(v: &Value) -> Node {
        let obj = v.as_object();
        let get = |k: &str| obj.and_then(|o| o.get(k));
        Node {
            ty: get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            attrs: get("attrs")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            content: get("content")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(Node::from_value).collect())
                .unwrap_or_default(),
            marks: get("marks")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(mark_from_value).collect())
                .unwrap_or_default(),
            text: get("text")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        }
    }

    pub fn to_value(&self) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), Value::String(self.ty.clone()));
        if !self.attrs.is_empty() {
            o.insert("attrs".into(), Value::Object(self.attrs.clone()));
        }
        if !self.content.is_empty() {
            o.insert(
                "content".into(),
                Value::Array(self.content.iter().map(Node::to_value).collect()),
            );
        }
        if !self.marks.is_empty() {
            let marks = self.marks.iter().map(mark_to_value).collect();
            o.insert("marks".into(), Value::Array(marks));
        }
        if self.ty == "text" {
            o.insert("text".into(), Value::String(self.text.clone()));
        }
        Value::Object(o)
    }

    /// The first node or mark type Docmost's schema does not know.
    pub fn first_unknown(&self) -> Option<String> {
        if node_attrs(&self.ty).is_none() {
            return Some(format!("unknown node type `{}`", self.ty));
        }
        if let Some(m) = self.marks.iter().find(|m| mark_attrs(&m.ty).is_none()) {
            return Some(format!("unknown mark type `{}`", m.ty));
        }
        self.content.iter().find_map(Node::first_unknown)
    }
}

fn mark_from_value(v: &Value) -> Mark {
    Mark {
        ty: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        attrs: v
            .get("attrs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    }
}

fn mark_to_value(m: &Mark) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), Value::String(m.ty.clone()));
    if !m.attrs.is_empty() {
        o.insert("attrs".into(), Value::Object(m.attrs.clone()));
    }
    Value::Object(o)
}

/// Keeps only attributes the schema knows whose value differs from the
/// default. Unknown types keep everything (they are reported, not read).
pub fn strip_defaults(
    attrs: &Map<String, Value>,
    defaults: Option<Vec<(&'static str, Value)>>,
    keep: impl Fn(&str) -> bool,
) -> Map<String, Value> {
    let Some(defaults) = defaults else {
        return attrs.clone();
    };
    let mut out = Map::new();
    for (key, default) in defaults {
        match attrs.get(key) {
            Some(v) if *v != default && !v.is_null() && keep(key) => {
                out.insert(key.to_string(), v.clone());
            }
            _ => {}
        }
    }
    out
}

pub fn canonical_mark(m: &Mark) -> Mark {
    Mark {
        ty: m.ty.clone(),
        attrs: strip_defaults(&m.attrs, mark_attrs(&m.ty), |_| true),
    }
}

/// Sorted by rank, one mark per type.
pub fn canonical_marks(marks: &[Mark]) -> Vec<Mark> {
    let mut out: Vec<Mark> = Vec::new();
    for m in marks.iter().map(canonical_mark) {
        if let Some(old) = out.iter_mut().find(|o| o.ty == m.ty) {
            *old = m;
        } else {
            out.push(m);
        }
    }
    out.sort_by(|a, b| {
        mark_rank(&a.ty)
            .cmp(&mark_rank(&b.ty))
            .then(a.ty.cmp(&b.ty))
    });
    out
}

/// Drops block ids and default attributes, sorts marks, merges adjacent
/// text with equal marks and drops empty text. A document always ends in a
/// paragraph, as Docmost's TrailingNode extension guarantees when the page
/// is opened; the Markdown form leaves out that trailing empty paragraph.
pub fn canonical(node: &Node) -> Node {
    let ty = node.ty.as_str();
    let mut out = Node {
        ty: node.ty.clone(),
        attrs: strip_defaults(&node.attrs, node_attrs(ty), |k| !is_block_id(ty, k)),
        marks: canonical_marks(&node.marks),
        text: node.text.clone(),
        content: Vec::new(),
    };
    for child in node.content.iter().map(canonical) {
        push_merged(&mut out.content, child);
    }
    if ty == "doc" && out.content.last().is_none_or(|n| n.ty != "paragraph") {
        let footnotes_last = out.content.last().is_some_and(|n| n.ty == "footnotes");
        if !footnotes_last {
            out.content.push(Node::new("paragraph"));
        }
    }
    out
}

/// Appends, merging text into a preceding text node with the same marks.
pub fn push_merged(content: &mut Vec<Node>, child: Node) {
    if child.ty == "text" {
        if child.text.is_empty() {
            return;
        }
        if let Some(prev) = content.last_mut() {
            if prev.ty == "text" && prev.marks == child.marks {
                prev.text.push_str(&child.text);
                return;
            }
        }
    }
    content.push(child);
}

pub fn is_empty_paragraph(n: &Node) -> bool {
    n.ty == "paragraph" && n.content.is_empty() && n.attrs.is_empty()
}
