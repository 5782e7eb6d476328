//! What Docmost's editor schema allows (`shared/fixtures/editor-schema.md`):
//! known node and mark types, attribute defaults, and content rules. The
//! Markdown reader consults it so it never emits anything the editor would
//! refuse to open.

use serde_json::{json, Value};

/// Attribute defaults of a node type, or `None` for a type Docmost does not
/// know. `null` stands for both `null` and `undefined` defaults: stored JSON
/// treats them alike.
pub fn node_attrs(ty: &str) -> Option<Vec<(&'static str, Value)>> {
    let n = Value::Null;
    let media = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("src", json!("")),
            ("attachmentId", n.clone()),
            ("size", n.clone()),
            ("placeholder", n.clone()),
        ];
        v.extend(extra);
        v
    };
    let diagram = vec![
        ("src", json!("")),
        ("title", n.clone()),
        ("alt", n.clone()),
        ("width", n.clone()),
        ("height", n.clone()),
        ("size", n.clone()),
        ("aspectRatio", n.clone()),
        ("align", json!("center")),
        ("attachmentId", n.clone()),
    ];
    let cell = vec![
        ("colspan", json!(1)),
        ("rowspan", json!(1)),
        ("colwidth", n.clone()),
        ("align", n.clone()),
        ("backgroundColor", n.clone()),
        ("backgroundColorName", n.clone()),
    ];
    let text_block = vec![
        ("id", n.clone()),
        ("textAlign", n.clone()),
        ("indent", json!(0)),
    ];
    let mut attrs: Vec<(&'static str, Value)> = match ty {
        "text" => return Some(Vec::new()),
        "doc" | "blockquote" | "bulletList" | "listItem" | "taskList" | "hardBreak"
        | "horizontalRule" | "detailsSummary" | "detailsContent" | "table" | "tableRow"
        | "subpages" | "pageBreak" => Vec::new(),
        "paragraph" => text_block,
        "heading" => {
            let mut v = text_block;
            v.push(("level", json!(1)));
            v
        }
        "orderedList" => vec![("start", json!(1)), ("type", n.clone())],
        "taskItem" => vec![("checked", json!(false))],
        "codeBlock" => vec![("language", n.clone())],
        "image" => media(vec![
            ("width", n.clone()),
            ("height", n.clone()),
            ("align", json!("center")),
            ("alt", n.clone()),
            ("aspectRatio", n.clone()),
        ]),
        "video" => media(vec![
            ("alt", n.clone()),
            ("width", n.clone()),
            ("height", n.clone()),
            ("align", json!("center")),
            ("aspectRatio", n.clone()),
        ]),
        "audio" => media(Vec::new()),
        "pdf" => media(vec![
            ("name", n.clone()),
            ("width", json!(800)),
            ("height", json!(600)),
        ]),
        "attachment" => vec![
            ("url", json!("")),
            ("name", n.clone()),
            ("mime", n.clone()),
            ("size", n.clone()),
            ("attachmentId", n.clone()),
            ("placeholder", n.clone()),
        ],
        "drawio" | "excalidraw" => diagram,
        "embed" => vec![
            ("src", json!("")),
            ("provider", json!("")),
            ("align", json!("center")),
            ("width", json!(800)),
            ("height", json!(600)),
        ],
        "youtube" => vec![
            ("src", n.clone()),
            ("start", json!(0)),
            ("width", json!(640)),
            ("height", json!(480)),
        ],
        "callout" => vec![("type", json!("info")), ("icon", n.clone())],
        "details" => vec![("open", json!(false))],
        "tableHeader" | "tableCell" => cell,
        "mathBlock" | "mathInline" => vec![("text", json!(""))],
        "mention" => vec![
            ("id", n.clone()),
            ("label", n.clone()),
            ("entityType", n.clone()),
            ("entityId", n.clone()),
            ("slugId", n.clone()),
            ("creatorId", n.clone()),
            ("anchorId", n.clone()),
        ],
        "status" => vec![("text", json!("")), ("color", json!("gray"))],
        "columns" => vec![
            ("layout", json!("two_equal")),
            ("widthMode", json!("normal")),
        ],
        "column" => vec![("width", n.clone())],
        "transclusionSource" => vec![("id", n.clone())],
        "transclusionReference" => vec![("sourcePageId", n.clone()), ("transclusionId", n.clone())],
        "base" => vec![("pageId", n.clone()), ("pendingKey", n.clone())],
        "footnotes" => vec![("class", json!("footnotes"))],
        "footnote" => vec![("id", n.clone()), ("data-id", n.clone())],
        "footnoteReference" => vec![
            ("class", json!("footnote-ref")),
            ("data-id", n.clone()),
            ("referenceNumber", n.clone()),
            ("href", n.clone()),
        ],
        _ => return None,
    };
    attrs.push(("dir", json!("auto")));
    Some(attrs)
}

/// Attribute defaults of a mark type, or `None` for an unknown mark.
pub fn mark_attrs(ty: &str) -> Option<Vec<(&'static str, Value)>> {
    let n = Value::Null;
    Some(match ty {
        "bold" | "italic" | "strike" | "underline" | "code" | "subscript" | "superscript" => {
            Vec::new()
        }
        "link" => vec![
            ("href", n.clone()),
            ("target", json!("_blank")),
            ("rel", json!("noopener noreferrer nofollow")),
            ("class", n.clone()),
            ("title", n.clone()),
            ("internal", json!(false)),
        ],
        "highlight" => vec![("color", n.clone()), ("colorName", n.clone())],
        "textStyle" => vec![("color", n.clone())],
        "comment" => vec![("commentId", n.clone()), ("resolved", json!(false))],
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
