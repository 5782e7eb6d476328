//! What Docmost's editor schema allows (`shared/fixtures/editor-schema.md`):
//! known node and mark types, attribute defaults, and content rules. The
//! Markdown reader consults it so it never emits anything the editor would
//! refuse to open.

use serde_json::Value;

/// A schema attribute default. `Null` stands for both `null` and
/// `undefined` defaults: stored JSON treats them alike.
#[derive(Clone, Copy, Debug)]
pub enum AttrDefault {
    Null,
    Str(&'static str),
    Int(i64),
    Bool(bool),
}

impl AttrDefault {
    /// Whether `v` is this default (numbers compare as JSON numbers do:
    /// `1.0` is not the integer default `1`).
    pub fn is(self, v: &Value) -> bool {
        match (self, v) {
            (AttrDefault::Null, Value::Null) => true,
            (AttrDefault::Str(d), Value::String(s)) => d == s,
            (AttrDefault::Int(d), Value::Number(n)) => !n.is_f64() && n.as_i64() == Some(d),
            (AttrDefault::Bool(d), Value::Bool(b)) => d == *b,
            _ => false,
        }
    }
}

/// Attribute defaults of one node or mark type.
pub type Attrs = &'static [(&'static str, AttrDefault)];

use AttrDefault::{Bool, Int, Null, Str};

/// `dir` is global: every node type has it, defaulting to `auto`.
const DIR: (&str, AttrDefault) = ("dir", Str("auto"));

const NO_ATTRS: Attrs = &[DIR];
const TEXT_BLOCK: Attrs = &[("id", Null), ("textAlign", Null), ("indent", Int(0)), DIR];
const HEADING: Attrs = &[
    ("id", Null),
    ("textAlign", Null),
    ("indent", Int(0)),
    ("level", Int(1)),
    DIR,
];
const CELL: Attrs = &[
    ("colspan", Int(1)),
    ("rowspan", Int(1)),
    ("colwidth", Null),
    ("align", Null),
    ("backgroundColor", Null),
    ("backgroundColorName", Null),
    DIR,
];
const DIAGRAM: Attrs = &[
    ("src", Str("")),
    ("title", Null),
    ("alt", Null),
    ("width", Null),
    ("height", Null),
    ("size", Null),
    ("aspectRatio", Null),
    ("align", Str("center")),
    ("attachmentId", Null),
    DIR,
];
const IMAGE: Attrs = &[
    ("src", Str("")),
    ("attachmentId", Null),
    ("size", Null),
    ("placeholder", Null),
    ("width", Null),
    ("height", Null),
    ("align", Str("center")),
    ("alt", Null),
    ("aspectRatio", Null),
    DIR,
];
const VIDEO: Attrs = &[
    ("src", Str("")),
    ("attachmentId", Null),
    ("size", Null),
    ("placeholder", Null),
    ("alt", Null),
    ("width", Null),
    ("height", Null),
    ("align", Str("center")),
    ("aspectRatio", Null),
    DIR,
];
const AUDIO: Attrs = &[
    ("src", Str("")),
    ("attachmentId", Null),
    ("size", Null),
    ("placeholder", Null),
    DIR,
];
const PDF: Attrs = &[
    ("src", Str("")),
    ("attachmentId", Null),
    ("size", Null),
    ("placeholder", Null),
    ("name", Null),
    ("width", Int(800)),
    ("height", Int(600)),
    DIR,
];
const ATTACHMENT: Attrs = &[
    ("url", Str("")),
    ("name", Null),
    ("mime", Null),
    ("size", Null),
    ("attachmentId", Null),
    ("placeholder", Null),
    DIR,
];
const EMBED: Attrs = &[
    ("src", Str("")),
    ("provider", Str("")),
    ("align", Str("center")),
    ("width", Int(800)),
    ("height", Int(600)),
    DIR,
];
const YOUTUBE: Attrs = &[
    ("src", Null),
    ("start", Int(0)),
    ("width", Int(640)),
    ("height", Int(480)),
    DIR,
];
const MENTION: Attrs = &[
    ("id", Null),
    ("label", Null),
    ("entityType", Null),
    ("entityId", Null),
    ("slugId", Null),
    ("creatorId", Null),
    ("anchorId", Null),
    DIR,
];
const FOOTNOTE_REFERENCE: Attrs = &[
    ("class", Str("footnote-ref")),
    ("data-id", Null),
    ("referenceNumber", Null),
    ("href", Null),
    DIR,
];

/// Attribute defaults of a node type, or `None` for a type Docmost does not
/// know.
pub fn node_attrs(ty: &str) -> Option<Attrs> {
    Some(match ty {
        "text" => &[],
        "doc" | "blockquote" | "bulletList" | "listItem" | "taskList" | "hardBreak"
        | "horizontalRule" | "detailsSummary" | "detailsContent" | "table" | "tableRow"
        | "subpages" | "pageBreak" => NO_ATTRS,
        "paragraph" => TEXT_BLOCK,
        "heading" => HEADING,
        "orderedList" => &[("start", Int(1)), ("type", Null), DIR],
        "taskItem" => &[("checked", Bool(false)), DIR],
        "codeBlock" => &[("language", Null), DIR],
        "image" => IMAGE,
        "video" => VIDEO,
        "audio" => AUDIO,
        "pdf" => PDF,
        "attachment" => ATTACHMENT,
        "drawio" | "excalidraw" => DIAGRAM,
        "embed" => EMBED,
        "youtube" => YOUTUBE,
        "callout" => &[("type", Str("info")), ("icon", Null), DIR],
        "details" => &[("open", Bool(false)), DIR],
        "tableHeader" | "tableCell" => CELL,
        "mathBlock" | "mathInline" => &[("text", Str("")), DIR],
        "mention" => MENTION,
        "status" => &[("text", Str("")), ("color", Str("gray")), DIR],
        "columns" => &[
            ("layout", Str("two_equal")),
            ("widthMode", Str("normal")),
            DIR,
        ],
        "column" => &[("width", Null), DIR],
        "transclusionSource" => &[("id", Null), DIR],
        "transclusionReference" => &[("sourcePageId", Null), ("transclusionId", Null), DIR],
        "base" => &[("pageId", Null), ("pendingKey", Null), DIR],
        "footnotes" => &[("class", Str("footnotes")), DIR],
        "footnote" => &[("id", Null), ("data-id", Null), DIR],
        "footnoteReference" => FOOTNOTE_REFERENCE,
        _ => return None,
    })
}

/// Attribute defaults of a mark type, or `None` for an unknown mark.
pub fn mark_attrs(ty: &str) -> Option<Attrs> {
    Some(match ty {
        "bold" | "italic" | "strike" | "underline" | "code" | "subscript" | "superscript" => &[],
        "link" => &[
            ("href", Null),
            ("target", Str("_blank")),
            ("rel", Str("noopener noreferrer nofollow")),
            ("class", Null),
            ("title", Null),
            ("internal", Bool(false)),
        ],
        "highlight" => &[("color", Null), ("colorName", Null)],
        "textStyle" => &[("color", Null)],
        "comment" => &[("commentId", Null), ("resolved", Bool(false))],
        _ => return None,
    })
}

/// Nesting order of marks in Markdown output, outermost first. Sorting by
/// a fixed rank makes the output independent of stored mark order.
pub fn mark_rank(ty: &str) -> usize {
    const ORDER: [&str; 11] = [
        "link",
        "comment",
        "textStyle",
        "highlight",
        "bold",
        "italic",
        "underline",
        "strike",
        "subscript",
        "superscript",
        "code",
    ];
    ORDER.iter().position(|t| *t == ty).unwrap_or(ORDER.len())
}

/// Block ids set by Docmost's UniqueID plugin; canonical comparison and the
/// Markdown output ignore them (SPEC §5).
pub fn is_block_id(node_ty: &str, attr: &str) -> bool {
    attr == "id" && matches!(node_ty, "paragraph" | "heading")
}

pub fn is_inline(ty: &str) -> bool {
    matches!(
        ty,
        "text" | "hardBreak" | "mention" | "mathInline" | "status" | "footnoteReference"
    )
}

/// Leaf blocks: no content of their own.
pub fn is_block_atom(ty: &str) -> bool {
    matches!(
        ty,
        "horizontalRule"
            | "image"
            | "video"
            | "audio"
            | "pdf"
            | "attachment"
            | "drawio"
            | "excalidraw"
            | "embed"
            | "youtube"
            | "mathBlock"
            | "subpages"
            | "pageBreak"
            | "transclusionReference"
            | "base"
    )
}

/// How deep containers (nodes holding blocks) may nest, counting the doc's
/// children as depth 1. The reader flattens anything deeper, so that every
/// recursive pass over a read document stays shallow whatever the input.
pub const MAX_DEPTH: usize = 48;

/// Nodes that hold blocks rather than inline content, text or nothing.
pub fn is_container(ty: &str) -> bool {
    matches!(content_of(ty), Content::Blocks | Content::Only(_))
}

/// Container levels a node of this type needs below itself before any
/// child may be a textblock or leaf: a list needs its items, a table its
/// rows and cells.
pub fn required_levels(ty: &str) -> usize {
    match ty {
        "table" => 2,
        "bulletList" | "orderedList" | "taskList" | "columns" | "details" | "footnotes" => 1,
        _ => 0,
    }
}

/// Blocks whose content is inline.
pub fn is_textblock(ty: &str) -> bool {
    matches!(ty, "paragraph" | "heading" | "detailsSummary")
}

/// What kind of child a parent accepts.
pub enum Content {
    Inline,
    /// Code text only.
    Text,
    /// Any block of group `block`.
    Blocks,
    /// Only these types.
    Only(&'static [&'static str]),
    Leaf,
}

const CELL_CONTENT: &[&str] = &[
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

const TRANSCLUSION_CONTENT: &[&str] = &[
    "paragraph",
    "heading",
    "blockquote",
    "codeBlock",
    "horizontalRule",
    "bulletList",
    "orderedList",
    "taskList",
    "image",
    "video",
    "audio",
    "attachment",
    "callout",
    "details",
    "embed",
    "mathBlock",
    "table",
    "drawio",
    "excalidraw",
    "pdf",
    "subpages",
    "columns",
    "youtube",
];

pub fn content_of(ty: &str) -> Content {
    match ty {
        t if is_textblock(t) => Content::Inline,
        "codeBlock" => Content::Text,
        "doc" | "blockquote" | "listItem" | "taskItem" | "callout" | "detailsContent"
        | "column" => Content::Blocks,
        "bulletList" | "orderedList" => Content::Only(&["listItem"]),
        "taskList" => Content::Only(&["taskItem"]),
        "table" => Content::Only(&["tableRow"]),
        "tableRow" => Content::Only(&["tableCell", "tableHeader"]),
        "tableCell" | "tableHeader" => Content::Only(CELL_CONTENT),
        "transclusionSource" => Content::Only(TRANSCLUSION_CONTENT),
        "columns" => Content::Only(&["column"]),
        "details" => Content::Only(&["detailsSummary", "detailsContent"]),
        "footnotes" => Content::Only(&["footnote"]),
        "footnote" => Content::Only(&["paragraph"]),
        _ => Content::Leaf,
    }
}

/// Members of the `block` group that may stand on their own: what
/// `Content::Blocks` accepts. `column`, `detailsSummary` and
/// `detailsContent` join the group too but only make sense in their parent.
pub fn is_group_block(ty: &str) -> bool {
    is_block_atom(ty)
        || matches!(
            ty,
            "paragraph"
                | "heading"
                | "blockquote"
                | "bulletList"
                | "orderedList"
                | "taskList"
                | "codeBlock"
                | "callout"
                | "details"
                | "table"
                | "columns"
                | "transclusionSource"
        )
}

/// Parents whose content must not be empty (`+` in the content expression).
pub fn needs_content(ty: &str) -> bool {
    matches!(
        ty,
        "doc"
            | "blockquote"
            | "callout"
            | "column"
            | "listItem"
            | "taskItem"
            | "transclusionSource"
            | "footnote"
            | "tableCell"
            | "tableHeader"
    )
}
