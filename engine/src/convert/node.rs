//! A typed view of ProseMirror JSON and its canonical form: the form both
//! canonical comparison and the Markdown writer work on, so the output only
//! depends on what canonical equality can see.

use super::schema::{is_block_id, mark_attrs, mark_rank, node_attrs, Attrs};
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
    /// than errors: type checking is `first_unknown`'s job.
    pub fn from_value(v: &Value) -> Node {
        let p = Parts::of(v);
        Node {
            ty: p.ty.to_string(),
            attrs: p.attrs.cloned().unwrap_or_default(),
            content: p.content.iter().map(Node::from_value).collect(),
            marks: p.marks.iter().map(mark_from_value).collect(),
            text: p.text.to_string(),
        }
    }

    /// The node as ProseMirror JSON, moving its strings rather than
    /// copying them.
    pub fn into_value(self) -> Value {
        let mut o = Map::new();
        let is_text = self.ty == "text";
        o.insert("type".into(), Value::String(self.ty));
        if !self.attrs.is_empty() {
            o.insert("attrs".into(), Value::Object(self.attrs));
        }
        if !self.content.is_empty() {
            let content = self.content.into_iter().map(Node::into_value).collect();
            o.insert("content".into(), Value::Array(content));
        }
        if !self.marks.is_empty() {
            let marks = self.marks.into_iter().map(mark_into_value).collect();
            o.insert("marks".into(), Value::Array(marks));
        }
        if is_text {
            o.insert("text".into(), Value::String(self.text));
        }
        Value::Object(o)
    }
}

/// Records the first node or mark type Docmost's schema does not know, in
/// document order (a shape that is not a node has type `""`, unknown too).
fn note_unknown(p: &Parts, unknown: &mut Option<String>) {
    if unknown.is_some() {
        return;
    }
    if node_attrs(p.ty).is_none() {
        *unknown = Some(format!("unknown node type `{}`", p.ty));
        return;
    }
    let mark_types = p.marks.iter().map(|m| Parts::of(m).ty);
    if let Some(ty) = mark_types.into_iter().find(|t| mark_attrs(t).is_none()) {
        *unknown = Some(format!("unknown mark type `{ty}`"));
    }
}

/// The members of a node (or mark) object, found in one pass over its
/// map: a JSON object is a sorted tree, and five separate look-ups per
/// node were most of the cost of reading a document.
struct Parts<'a> {
    ty: &'a str,
    attrs: Option<&'a Map<String, Value>>,
    content: &'a [Value],
    marks: &'a [Value],
    text: &'a str,
}

impl<'a> Parts<'a> {
    fn of(v: &'a Value) -> Parts<'a> {
        let mut p = Parts {
            ty: "",
            attrs: None,
            content: &[],
            marks: &[],
            text: "",
        };
        let Some(obj) = v.as_object() else {
            return p;
        };
        for (k, val) in obj {
            match (k.as_str(), val) {
                ("type", Value::String(s)) => p.ty = s,
                ("attrs", Value::Object(m)) => p.attrs = Some(m),
                ("content", Value::Array(a)) => p.content = a,
                ("marks", Value::Array(a)) => p.marks = a,
                ("text", Value::String(s)) => p.text = s,
                _ => {}
            }
        }
        p
    }
}

fn mark_from_value(v: &Value) -> Mark {
    let p = Parts::of(v);
    Mark {
        ty: p.ty.to_string(),
        attrs: p.attrs.cloned().unwrap_or_default(),
    }
}

fn mark_into_value(m: Mark) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), Value::String(m.ty));
    if !m.attrs.is_empty() {
        o.insert("attrs".into(), Value::Object(m.attrs));
    }
    Value::Object(o)
}

/// Whether canonical form keeps an attribute: one the schema knows whose
/// value differs from the default (and is not null), or any attribute of
/// a type the schema does not know (it is reported, not read).
fn attr_kept(key: &str, v: &Value, defaults: Option<Attrs>, keep: impl Fn(&str) -> bool) -> bool {
    let Some(defaults) = defaults else {
        return true;
    };
    let default = defaults.iter().find(|(d, _)| *d == key).map(|(_, d)| *d);
    default.is_some_and(|d| !d.is(v)) && !v.is_null() && keep(key)
}

fn strip_defaults(
    attrs: &mut Map<String, Value>,
    defaults: Option<Attrs>,
    keep: impl Fn(&str) -> bool,
) {
    attrs.retain(|key, v| attr_kept(key, v, defaults, &keep));
}

pub fn canonical_mark(mut m: Mark) -> Mark {
    strip_defaults(&mut m.attrs, mark_attrs(&m.ty), |_| true);
    m
}

/// Sorted by rank, one mark per type (the last one given wins).
pub fn canonical_marks(marks: Vec<Mark>) -> Vec<Mark> {
    if marks.is_empty() {
        return marks;
    }
    let mut out: Vec<Mark> = Vec::with_capacity(marks.len());
    for m in marks.into_iter().map(canonical_mark) {
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
/// Takes the node by value: every caller is done with the original, and
/// moving its strings is most of the speed of this pass.
pub fn canonical(node: Node) -> Node {
    let Node {
        ty,
        mut attrs,
        content,
        marks,
        text,
    } = node;
    strip_defaults(&mut attrs, node_attrs(&ty), |k| !is_block_id(&ty, k));
    let mut out = Node {
        ty,
        attrs,
        marks: canonical_marks(marks),
        text,
        content: Vec::with_capacity(content.len()),
    };
    for child in content {
        push_merged(&mut out.content, canonical(child));
    }
    ensure_trailing_paragraph(&mut out);
    out
}

/// `canonical(Node::from_value(v))` in one pass, copying only what the
/// canonical form keeps (ids and default attributes are never cloned).
pub fn canonical_from_value(v: &Value) -> Node {
    // Already `Some`: no unknown type is looked for or recorded.
    canonical_walk(v, &mut Some(String::new()))
}

/// [`canonical_from_value`], and the first type Docmost's schema does not
/// know, found in the same walk (the JSON tree of a large document is
/// spread over memory, so each walk over it costs).
pub fn checked_canonical_from_value(v: &Value) -> (Node, Option<String>) {
    let mut unknown = None;
    let node = canonical_walk(v, &mut unknown);
    (node, unknown)
}

fn canonical_walk(v: &Value, unknown: &mut Option<String>) -> Node {
    let p = Parts::of(v);
    note_unknown(&p, unknown);
    let defaults = node_attrs(p.ty);
    let attrs = p
        .attrs
        .into_iter()
        .flatten()
        .filter(|(k, val)| attr_kept(k, val, defaults, |k| !is_block_id(p.ty, k)))
        .map(|(k, val)| (k.clone(), val.clone()))
        .collect();
    let marks = if p.marks.is_empty() {
        Vec::new()
    } else {
        canonical_marks(p.marks.iter().map(mark_from_value).collect())
    };
    let mut out = Node {
        ty: p.ty.to_string(),
        attrs,
        marks,
        text: p.text.to_string(),
        content: Vec::with_capacity(p.content.len()),
    };
    for child in p.content {
        push_merged(&mut out.content, canonical_walk(child, unknown));
    }
    ensure_trailing_paragraph(&mut out);
    out
}

/// A document ends in a paragraph (or in footnotes, which must be last).
fn ensure_trailing_paragraph(doc: &mut Node) {
    if doc.ty == "doc" && doc.content.last().is_none_or(|n| n.ty != "paragraph") {
        let footnotes_last = doc.content.last().is_some_and(|n| n.ty == "footnotes");
        if !footnotes_last {
            doc.content.push(Node::new("paragraph"));
        }
    }
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
