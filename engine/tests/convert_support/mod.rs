//! Shared by the converter's property tests: the round-trip property itself
//! and proptest generators for documents in Docmost's editor schema
//! (`shared/fixtures/editor-schema.md`).
//!
//! The generators only build what the schema's content expressions allow,
//! and never an empty text node (ProseMirror rejects those). Attribute
//! values are drawn to be awkward for a Markdown writer: quotes, `-->`,
//! `&`, brackets, unicode and non-default values.

#![allow(dead_code)] // each test binary uses a different part of this file

use gitsync_engine::convert::{canonical_eq, from_markdown, to_markdown};
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{json, Map, Value};
use std::fmt;

/// A document whose `Debug` is its JSON, so a failing case printed by
/// proptest can be pasted straight into a fixture file.
#[derive(Clone)]
pub struct Doc(pub Value);

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", json!({ "doc": self.0 }))
    }
}

/// The round-trip property of issue 4: `md(pm(md(doc))) == md(doc)` and
/// `pm(md(doc))` canonically equals `doc`. `Err` describes the breakage.
/// Seed of CI's runs: a run that fails can be replayed exactly. Set
/// PROPTEST_RNG_SEED to explore other seeds.
const CI_SEED: u64 = 0x0067_6974_7379_6e63;

/// 10,000 cases a property. Counterexamples are kept as JSON fixtures, not
/// as proptest's seed files.
pub fn proptest_config() -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config {
        cases: 10_000,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(CI_SEED);
    }
    config
}

pub fn round_trip_problem(doc: &Value) -> Option<String> {
    let md1 = match to_markdown(doc) {
        Ok(md) => md,
        Err(e) => return Some(format!("to_markdown failed: {e}")),
    };
    let doc2 = from_markdown(&md1);
    let md2 = match to_markdown(&doc2) {
        Ok(md) => md,
        Err(e) => return Some(format!("second to_markdown failed: {e}")),
    };
    if md1 != md2 {
        return Some(format!(
            "Markdown not a fixed point\n--- md1\n{md1}\n--- md2\n{md2}"
        ));
    }
    if !canonical_eq(doc, &doc2) {
        return Some(format!(
            "document changed\n--- md1\n{md1}\n--- doc2\n{doc2}"
        ));
    }
    None
}

/// Hand-written Markdown after one normalizing pass is a fixed point.
pub fn normalization_problem(input: &str) -> Option<String> {
    let m1 = match to_markdown(&from_markdown(input)) {
        Ok(md) => md,
        Err(e) => return Some(format!("to_markdown failed: {e}")),
    };
    let m2 = match to_markdown(&from_markdown(&m1)) {
        Ok(md) => md,
        Err(e) => return Some(format!("second to_markdown failed: {e}")),
    };
    (m1 != m2).then(|| format!("not stable\n--- m1\n{m1}\n--- m2\n{m2}"))
}

// ---------------------------------------------------------------- text

/// Pieces of text a Markdown reader might take for syntax.
const TOKENS: &[&str] = &[
    "*",
    "**",
    "_",
    "__",
    "~",
    "~~",
    "`",
    "```",
    "~~~",
    "#",
    "# ",
    "> ",
    "- ",
    "+ ",
    "* ",
    "1. ",
    "2) ",
    "[",
    "]",
    "[x]",
    "[ ] ",
    "(",
    ")",
    "](u)",
    "![",
    "<",
    ">",
    "<b>",
    "</b>",
    "<br>",
    "<!--",
    "-->",
    "&",
    "&amp;",
    "&#32;",
    "&copy;",
    "\\",
    "\\*",
    "|",
    "$",
    "$x$",
    "$$",
    "^",
    "[^1]",
    "[!note]",
    "@",
    "---",
    "===",
    "    ",
    "\t",
    ":",
    "http://x.io/a?b=c&d",
    "www.x.io",
    "a@b.io",
    "{}",
    "'",
    "\"",
    "=",
    "1.",
    "10)",
    "<span>",
    "</span>",
    "<details>",
    "<summary>",
];

/// Characters outside ASCII: accents, CJK, RTL, emoji, odd spaces.
const UNICODE: &[&str] = &[
    "é", "ß", "Ж", "中", "文", "ש", "ع", "😀", "👍🏽", "\u{a0}", "\u{200b}", "\u{2028}", "\u{3000}",
    "ǅ", "ﬁ", "İ", "\u{301}", "\u{1}", "\u{7f}", "\u{b}", "\u{c}",
];

fn text_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9]{1,6}",
        3 => Just(" ".to_string()),
        1 => Just("  ".to_string()),
        4 => prop::sample::select(TOKENS).prop_map(str::to_string),
        2 => prop::sample::select(UNICODE).prop_map(str::to_string),
        1 => Just("\n".to_string()),
    ]
}

/// Non-empty text as a text node may hold it.
pub fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(text_piece(), 1..5).prop_map(|v| v.concat())
}

/// Code block content: may be empty, has newlines and fence look-alikes.
fn code_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => text_piece(),
        2 => Just("\n".to_string()),
        1 => prop::sample::select(&["````", "~~~~", "\n```\n", "\n    x", "\t", "\r\n"][..])
            .prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

/// An attribute string: usually plain, sometimes hostile to HTML comments
/// and attributes.
fn attr_str() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9]{1,8}",
        1 => prop::sample::select(
            &["a b", "it's", "say \"hi\"", "-->", "x > y", "a & b", "&amp;", "</span>", "é中😀", "  ", ""][..]
        ).prop_map(str::to_string),
        1 => text(),
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "(https://|/|#|mailto:)[a-z0-9./?=&-]{0,12}",
        1 => prop::sample::select(
            &["a b(1).png", "x)y", "<z>", "\\path", "a\nb", "/s/space/p/page-ab12", "a&copy;b", "q\"t", "é"][..]
        ).prop_map(str::to_string),
    ]
}

fn block_id() -> impl Strategy<Value = String> {
    "[a-z]{12}"
}

/// Adds `key: value` when the generated option is set.
fn put(attrs: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        attrs.insert(key.to_string(), v);
    }
}

fn with_attrs(mut node: Value, attrs: Map<String, Value>) -> Value {
    if !attrs.is_empty() {
        node["attrs"] = Value::Object(attrs);
    }
    node
}

/// The global `dir` attribute (`auto` is the default).
fn dir() -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(
        0.15,
        prop::sample::select(&["ltr", "rtl", "auto"][..]).prop_map(Value::from),
    )
}

// ---------------------------------------------------------------- marks

fn mark() -> impl Strategy<Value = Value> {
    let simple = prop::sample::select(
        &[
            "bold",
            "italic",
            "strike",
            "underline",
            "code",
            "subscript",
            "superscript",
        ][..],
    )
    .prop_map(|ty| json!({"type": ty}));
    let link = (
        url(),
        prop::option::of(attr_str()),
        prop::option::weighted(0.2, Just("_self")),
        prop::option::weighted(0.2, Just(true)),
        prop::option::weighted(0.1, attr_str()),
    )
        .prop_map(|(href, title, target, internal, class)| {
            let mut a = Map::new();
            a.insert("href".into(), href.into());
            put(&mut a, "title", title.map(Value::from));
            put(&mut a, "target", target.map(Value::from));
            put(&mut a, "internal", internal.map(Value::from));
            put(&mut a, "class", class.map(Value::from));
            json!({"type": "link", "attrs": a})
        });
    let highlight = (
        prop::option::of("#[0-9a-f]{6}"),
        prop::option::of("[a-z]{3,6}"),
    )
        .prop_map(|(color, name)| {
            let mut a = Map::new();
            put(&mut a, "color", color.map(Value::from));
            put(&mut a, "colorName", name.map(Value::from));
            with_attrs(json!({"type": "highlight"}), a)
        });
    let text_style = prop::option::of(prop_oneof!["#[0-9a-f]{6}", attr_str()]).prop_map(|c| {
        let mut a = Map::new();
        put(&mut a, "color", c.map(Value::from));
        with_attrs(json!({"type": "textStyle"}), a)
    });
    let comment =
        (prop::option::of("[a-z0-9-]{4,10}"), any::<bool>()).prop_map(|(id, resolved)| {
            let mut a = Map::new();
            put(&mut a, "commentId", id.map(Value::from));
            put(&mut a, "resolved", resolved.then_some(Value::Bool(true)));
            with_attrs(json!({"type": "comment"}), a)
        });
    prop_oneof![6 => simple, 2 => link, 1 => highlight, 1 => text_style, 1 => comment]
}

/// A mark set as ProseMirror allows it: one mark per type, and `code`
/// alone (it excludes every other mark).
fn marks() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(mark(), 0..4).prop_map(|all| {
        let mut out: Vec<Value> = Vec::new();
        for m in all {
            if !out.iter().any(|o| o["type"] == m["type"]) {
                out.push(m);
            }
        }
        if out.len() > 1 {
            out.retain(|m| m["type"] != "code");
        }
        out
    })
}

fn with_marks(mut node: Value, marks: Vec<Value>) -> Value {
    if !marks.is_empty() {
        node["marks"] = Value::Array(marks);
    }
    node
}

// ---------------------------------------------------------------- inline

fn inline_atom() -> impl Strategy<Value = Value> {
    let mention = (
        prop::option::of(attr_str()),
        prop::option::of(prop::sample::select(&["user", "page"][..])),
        prop::option::of("[a-z0-9]{6}"),
        prop::option::weighted(0.2, "[a-z0-9]{6}"),
    )
        .prop_map(|(label, entity, entity_id, anchor)| {
            let mut a = Map::new();
            put(&mut a, "label", label.map(Value::from));
            put(&mut a, "entityType", entity.map(Value::from));
            put(&mut a, "entityId", entity_id.map(Value::from));
            put(&mut a, "anchorId", anchor.map(Value::from));
            with_attrs(json!({"type": "mention"}), a)
        });
    let math = prop_oneof![3 => "[a-z^_{}+ ]{1,8}", 1 => attr_str()]
        .prop_map(|t| json!({"type": "mathInline", "attrs": {"text": t}}));
    let status = (
        attr_str(),
        prop::option::of(prop::sample::select(
            &["blue", "green", "yellow", "red", "purple", "gray"][..],
        )),
    )
        .prop_map(|(text, color)| {
            let mut a = Map::new();
            a.insert("text".into(), text.into());
            put(&mut a, "color", color.map(Value::from));
            json!({"type": "status", "attrs": a})
        });
    let footnote_ref = ("[a-z0-9]{4}", 1..20u32, any::<bool>()).prop_map(|(id, n, with_text)| {
        let mut node = json!({"type": "footnoteReference",
            "attrs": {"data-id": id, "referenceNumber": n}});
        if with_text {
            node["content"] = json!([{"type": "text", "text": n.to_string()}]);
        }
        node
    });
    prop_oneof![
        2 => Just(json!({"type": "hardBreak"})),
        1 => mention,
        1 => math,
        1 => status,
        1 => footnote_ref,
    ]
}

fn inline_node() -> impl Strategy<Value = Value> {
    let text =
        (text(), marks()).prop_map(|(t, m)| with_marks(json!({"type": "text", "text": t}), m));
    let atom = (inline_atom(), prop::option::weighted(0.3, marks()))
        .prop_map(|(a, m)| with_marks(a, m.unwrap_or_default()));
    prop_oneof![5 => text, 1 => atom]
}

fn inline_content() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(inline_node(), 0..5)
}

fn with_content(mut node: Value, content: Vec<Value>) -> Value {
    if !content.is_empty() {
        node["content"] = Value::Array(content);
    }
    node
}

// ---------------------------------------------------------------- blocks

/// `id`, `textAlign`, `indent` and `dir` of paragraphs and headings.
fn text_block_attrs() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::option::weighted(0.3, block_id()),
        prop::option::weighted(
            0.2,
            prop::sample::select(&["left", "center", "right", "justify"][..]),
        ),
        prop::option::weighted(0.15, 0..=8u32),
        dir(),
    )
        .prop_map(|(id, align, indent, dir)| {
            let mut a = Map::new();
            put(&mut a, "id", id.map(Value::from));
            put(&mut a, "textAlign", align.map(Value::from));
            put(&mut a, "indent", indent.map(Value::from));
            put(&mut a, "dir", dir);
            a
        })
}

fn paragraph() -> impl Strategy<Value = Value> {
    (text_block_attrs(), inline_content())
        .prop_map(|(a, c)| with_content(with_attrs(json!({"type": "paragraph"}), a), c))
}

fn heading() -> impl Strategy<Value = Value> {
    (text_block_attrs(), 1..=6u32, inline_content()).prop_map(|(mut a, level, c)| {
        a.insert("level".into(), level.into());
        with_content(with_attrs(json!({"type": "heading"}), a), c)
    })
}

fn code_block() -> impl Strategy<Value = Value> {
    let lang = prop::option::of(prop_oneof![
        3 => prop::sample::select(&["rust", "js", "c++", "math", "html", "x y", "a`b", ""][..])
            .prop_map(str::to_string),
        1 => attr_str(),
    ]);
    (lang, code_text(), dir()).prop_map(|(lang, text, dir)| {
        let mut a = Map::new();
        put(&mut a, "language", lang.map(Value::from));
        put(&mut a, "dir", dir);
        let node = with_attrs(json!({"type": "codeBlock"}), a);
        if text.is_empty() {
            node
        } else {
            with_content(node, vec![json!({"type": "text", "text": text})])
        }
    })
}

/// Width and height as Docmost stores them: pixels or a percentage.
fn size_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1..2000u32).prop_map(Value::from),
        (1..=100u32).prop_map(|p| format!("{p}%").into())
    ]
}

/// Every block atom with a random subset of its attributes set.
fn block_atom(allowed: Allowed) -> impl Strategy<Value = Value> {
    const ATOMS: &[&str] = &[
        "horizontalRule",
        "image",
        "video",
        "audio",
        "pdf",
        "attachment",
        "drawio",
        "excalidraw",
        "embed",
        "youtube",
        "mathBlock",
        "subpages",
        "pageBreak",
        "transclusionReference",
        "base",
    ];
    let here: Vec<&'static str> = ATOMS
        .iter()
        .copied()
        .filter(|t| allowed.admits(t))
        .collect();
    let kind = prop::sample::select(here);
    let values = (
        url(),
        prop::option::of(attr_str()),
        prop::option::of(size_value()),
        prop::option::of(size_value()),
        prop::option::of(prop::sample::select(&["left", "right", "center"][..])),
        prop::option::of("[a-z0-9-]{6}"),
        prop::option::of(1..100_000u64),
        prop::option::weighted(0.2, (1..40u32).prop_map(|r| f64::from(r) / 8.0)),
    );
    let extra = (dir(), attr_str(), any::<bool>());
    (kind, values, extra).prop_map(|(ty, v, (dir, s, flag))| {
        let (src, label, width, height, align, att, size, ratio) = v;
        let mut a = Map::new();
        put(&mut a, "dir", dir);
        let label = label.map(Value::from);
        let media = |a: &mut Map<String, Value>| {
            a.insert("src".into(), src.clone().into());
            put(a, "attachmentId", att.clone().map(Value::from));
            put(a, "size", size.map(Value::from));
        };
        match ty {
            "image" | "video" => {
                media(&mut a);
                put(&mut a, "alt", label);
                put(&mut a, "width", width);
                put(&mut a, "height", height);
                put(&mut a, "align", align.map(Value::from));
                put(&mut a, "aspectRatio", ratio.map(Value::from));
            }
            "audio" => media(&mut a),
            "pdf" => {
                media(&mut a);
                put(&mut a, "name", label);
                put(&mut a, "width", width);
                put(&mut a, "height", height);
            }
            "attachment" => {
                a.insert("url".into(), src.into());
                put(&mut a, "name", label);
                put(&mut a, "mime", flag.then(|| "application/zip".into()));
                put(&mut a, "size", size.map(Value::from));
                put(&mut a, "attachmentId", att.map(Value::from));
            }
            "drawio" | "excalidraw" => {
                media(&mut a);
                put(&mut a, "title", label);
                put(&mut a, "alt", flag.then(|| s.into()));
                put(&mut a, "width", width);
                put(&mut a, "height", height);
                put(&mut a, "align", align.map(Value::from));
                put(&mut a, "aspectRatio", ratio.map(Value::from));
            }
            "embed" => {
                a.insert("src".into(), src.into());
                put(&mut a, "provider", label);
                put(&mut a, "align", align.map(Value::from));
                put(&mut a, "width", width);
                put(&mut a, "height", height);
            }
            "youtube" => {
                a.insert("src".into(), src.into());
                put(&mut a, "start", size.map(Value::from));
                put(&mut a, "width", width);
            }
            "mathBlock" => {
                a.insert("text".into(), format!("{s}\n\\frac{{a}}{{b}}").into());
            }
            "transclusionReference" => {
                put(&mut a, "sourcePageId", att.map(Value::from));
                put(&mut a, "transclusionId", label);
            }
            "base" => put(&mut a, "pageId", att.map(Value::from)),
            _ => {}
        }
        with_attrs(json!({ "type": ty }), a)
    })
}

/// Which blocks a parent accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// The `block` group: doc, blockquote, list items, callout, column,
    /// details content.
    Any,
    /// `tableCell` / `tableHeader` content.
    Cell,
    /// `transclusionSource` content.
    Transclusion,
}

impl Allowed {
    fn admits(self, ty: &str) -> bool {
        const CELL: &[&str] = &[
            "paragraph",
            "heading",
            "bulletList",
            "orderedList",
            "taskList",
            "blockquote",
            "callout",
            "image",
            "video",
            "audio",
            "subpages",
            "attachment",
            "mathBlock",
            "details",
            "codeBlock",
        ];
        const NOT_IN_TRANSCLUSION: &[&str] = &[
            "transclusionSource",
            "transclusionReference",
            "base",
            "pageBreak",
        ];
        match self {
            Allowed::Any => true,
            Allowed::Cell => CELL.contains(&ty),
            Allowed::Transclusion => !NOT_IN_TRANSCLUSION.contains(&ty),
        }
    }
}

fn blocks(
    depth: u32,
    allowed: Allowed,
    range: std::ops::Range<usize>,
) -> BoxedStrategy<Vec<Value>> {
    prop::collection::vec(block(depth, allowed), range).boxed()
}

/// One block that `allowed` admits; containers only while `depth > 0`.
pub fn block(depth: u32, allowed: Allowed) -> BoxedStrategy<Value> {
    let mut arms: Vec<(u32, BoxedStrategy<Value>)> = vec![
        (8, paragraph().boxed()),
        (2, heading().boxed()),
        (1, code_block().boxed()),
    ];
    arms.push((3, block_atom(allowed).boxed()));
    if depth > 0 {
        let d = depth - 1;
        let containers: Vec<(u32, &str, BoxedStrategy<Value>)> = vec![
            (1, "blockquote", blockquote(d)),
            (2, "bulletList", list(d, "bulletList")),
            (2, "orderedList", list(d, "orderedList")),
            (2, "taskList", list(d, "taskList")),
            (1, "callout", callout(d)),
            (1, "details", details(d)),
            (1, "table", table(d)),
            (1, "columns", columns(d)),
            (1, "transclusionSource", transclusion(d)),
        ];
        for (w, ty, s) in containers {
            if allowed.admits(ty) {
                arms.push((w, s));
            }
        }
    }
    Union::new_weighted(arms).boxed()
}

fn blockquote(d: u32) -> BoxedStrategy<Value> {
    blocks(d, Allowed::Any, 1..3)
        .prop_map(|c| json!({"type": "blockquote", "content": c}))
        .boxed()
}

/// `paragraph block*`: the content of `listItem` and `taskItem`.
fn item(d: u32, ty: &'static str) -> BoxedStrategy<Value> {
    (paragraph(), blocks(d, Allowed::Any, 0..2), any::<bool>())
        .prop_map(move |(p, rest, checked)| {
            let mut content = vec![p];
            content.extend(rest);
            let mut node = json!({"type": ty, "content": content});
            if ty == "taskItem" && checked {
                node["attrs"] = json!({"checked": true});
            }
            node
        })
        .boxed()
}

fn list(d: u32, ty: &'static str) -> BoxedStrategy<Value> {
    let item_ty = if ty == "taskList" {
        "taskItem"
    } else {
        "listItem"
    };
    let start = prop::option::weighted(
        0.3,
        prop_oneof![0..20u64, Just(999_999_999), Just(1_000_000_000)],
    );
    let kind = prop::option::weighted(0.2, prop::sample::select(&["a", "A", "i", "I", "1"][..]));
    (prop::collection::vec(item(d, item_ty), 1..3), start, kind)
        .prop_map(move |(items, start, kind)| {
            let mut a = Map::new();
            if ty == "orderedList" {
                put(&mut a, "start", start.map(Value::from));
                put(&mut a, "type", kind.map(Value::from));
            }
            with_attrs(json!({"type": ty, "content": items}), a)
        })
        .boxed()
}

fn callout(d: u32) -> BoxedStrategy<Value> {
    let ty = prop::option::of(prop::sample::select(
        &["default", "info", "note", "success", "warning", "danger"][..],
    ));
    let icon = prop::option::weighted(0.3, prop::sample::select(&["🎉", "⚠️", "x"][..]));
    (ty, icon, blocks(d, Allowed::Any, 1..3))
        .prop_map(|(ty, icon, c)| {
            let mut a = Map::new();
            put(&mut a, "type", ty.map(Value::from));
            put(&mut a, "icon", icon.map(Value::from));
            with_attrs(json!({"type": "callout", "content": c}), a)
        })
        .boxed()
}

fn details(d: u32) -> BoxedStrategy<Value> {
    (
        any::<bool>(),
        inline_content(),
        blocks(d, Allowed::Any, 0..2),
    )
        .prop_map(|(open, summary, body)| {
            let node = json!({"type": "details", "content": [
                with_content(json!({"type": "detailsSummary"}), summary),
                with_content(json!({"type": "detailsContent"}), body),
            ]});
            let mut a = Map::new();
            put(&mut a, "open", open.then_some(Value::Bool(true)));
            with_attrs(node, a)
        })
        .boxed()
}

fn cell_attrs() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::option::weighted(0.1, 2..4u32),
        prop::option::weighted(0.1, 2..4u32),
        prop::option::weighted(0.15, (50..400u32).prop_map(|w| json!([w]))),
        prop::option::weighted(0.2, prop::sample::select(&["left", "center", "right"][..])),
        prop::option::weighted(0.1, "#[0-9a-f]{6}"),
        prop::option::weighted(0.1, "[a-z]{3,6}"),
    )
        .prop_map(|(colspan, rowspan, colwidth, align, bg, bg_name)| {
            let mut a = Map::new();
            put(&mut a, "colspan", colspan.map(Value::from));
            put(&mut a, "rowspan", rowspan.map(Value::from));
            put(&mut a, "colwidth", colwidth);
            put(&mut a, "align", align.map(Value::from));
            put(&mut a, "backgroundColor", bg.map(Value::from));
            put(&mut a, "backgroundColorName", bg_name.map(Value::from));
            a
        })
}

fn cell(d: u32) -> BoxedStrategy<Value> {
    let content = prop_oneof![
        4 => paragraph().prop_map(|p| vec![p]),
        1 => blocks(d, Allowed::Cell, 1..3),
    ];
    (any::<bool>(), cell_attrs(), content)
        .prop_map(|(header, a, c)| {
            let ty = if header { "tableHeader" } else { "tableCell" };
            with_attrs(json!({"type": ty, "content": c}), a)
        })
        .boxed()
}

/// Mostly rectangular tables (the GFM form); ragged and empty rows too,
/// which the schema allows.
fn table(d: u32) -> BoxedStrategy<Value> {
    let width = prop_oneof![6 => 1..4usize, 1 => 0..1usize];
    (width, 1..4usize)
        .prop_flat_map(move |(w, rows)| {
            let rectangular =
                prop::collection::vec(prop::collection::vec(cell(d), w..=w), rows..=rows);
            let ragged = prop::collection::vec(prop::collection::vec(cell(d), 0..4), 1..4);
            prop_oneof![5 => rectangular, 1 => ragged]
        })
        .prop_map(|rows| {
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|cells| with_content(json!({"type": "tableRow"}), cells))
                .collect();
            json!({"type": "table", "content": rows})
        })
        .boxed()
}

fn columns(d: u32) -> BoxedStrategy<Value> {
    let column = (
        prop::option::weighted(0.3, 1..5u32),
        blocks(d, Allowed::Any, 1..3),
    )
        .prop_map(|(width, c)| {
            let mut a = Map::new();
            put(&mut a, "width", width.map(Value::from));
            with_attrs(json!({"type": "column", "content": c}), a)
        });
    let layout = prop::option::weighted(
        0.3,
        prop::sample::select(&["three_equal", "two_left", "four"][..]),
    );
    let mode = prop::option::weighted(0.2, Just("wide"));
    (prop::collection::vec(column, 1..4), layout, mode)
        .prop_map(|(cols, layout, mode)| {
            let mut a = Map::new();
            put(&mut a, "layout", layout.map(Value::from));
            put(&mut a, "widthMode", mode.map(Value::from));
            with_attrs(json!({"type": "columns", "content": cols}), a)
        })
        .boxed()
}

fn transclusion(d: u32) -> BoxedStrategy<Value> {
    (
        prop::option::of(block_id()),
        blocks(d, Allowed::Transclusion, 1..3),
    )
        .prop_map(|(id, c)| {
            let mut a = Map::new();
            put(&mut a, "id", id.map(Value::from));
            with_attrs(json!({"type": "transclusionSource", "content": c}), a)
        })
        .boxed()
}

fn footnotes() -> impl Strategy<Value = Value> {
    let footnote = ("[a-z0-9]{4}", prop::collection::vec(paragraph(), 1..3))
        .prop_map(|(id, paras)| json!({"type": "footnote", "attrs": {"id": id, "data-id": id}, "content": paras}));
    prop::collection::vec(footnote, 0..3)
        .prop_map(|notes| with_content(json!({"type": "footnotes"}), notes))
}

/// `block+ footnotes?`.
pub fn doc(depth: u32) -> impl Strategy<Value = Doc> {
    (
        blocks(depth, Allowed::Any, 1..5),
        prop::option::weighted(0.1, footnotes()),
    )
        .prop_map(|(mut content, notes)| {
            content.extend(notes);
            Doc(json!({"type": "doc", "content": content}))
        })
}
