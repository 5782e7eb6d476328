//! Block shapes whose `Pretty` Markdown is known to read back as the same
//! block, so the writer can skip its read-back check for them.
//!
//! The check (parse the written block again and compare) is what makes the
//! writer correct on awkward input, and it costs as much as reading. Most
//! blocks of real pages are plain: words, spaces, ordinary punctuation,
//! emphasis on whole words, code spans, simple links, lists and quotes of
//! such paragraphs. For those the escaping in `inline::escape_text` leaves
//! nothing for CommonMark to misread, which this module decides from the
//! tree alone. Anything it is unsure of is reported unsafe and checked as
//! before: every rule here errs towards "check".
//!
//! Why each text rule holds (CommonMark 0.31, pulldown-cmark's options):
//! - Text characters are letters, digits, spaces, non-ASCII non-control
//!   characters and the ASCII punctuation in [`PLAIN_PUNCTUATION`], none of
//!   which starts inline syntax. Line-initial `-`, `+`, `=` and `1.` (block
//!   syntax) are always escaped by the writer; `#`, `>`, `*`, `_`, `~`, `$`,
//!   `&`, `<`, `[`, `|`, `` ` `` and `\` are not allowed at all, nor a `!`
//!   right before a link (it would make the link an image).
//! - No line of a block begins or ends with whitespace (no entities, no
//!   trimming, no indented code).
//! - At most one mark opens or closes between two inline nodes, so every
//!   delimiter run is a single mark's; and emphasis and strike spans begin
//!   and end with an alphanumeric character inside. Such an opener is always
//!   left-flanking and such a closer right-flanking; runs of the same
//!   character are properly nested, so each closer pairs with its own
//!   opener (`*` with `*`, `**` with `**`; the rule of three only forbids
//!   the mismatched `*`/`**` pairs).

use super::node::{Mark, Node};

/// ASCII punctuation that has no meaning in CommonMark inline text here.
/// `-`, `+`, `=` and `.` matter only at the start of a line, where the
/// writer escapes them.
const PLAIN_PUNCTUATION: &str = ",.;:!?'\"()/%@-+=";

/// Callout types the reader maps back to themselves.
const CALLOUT_TYPES: [&str; 5] = ["default", "note", "success", "warning", "danger"];

/// A top-level block (canonical form) that needs no read-back check.
pub fn known_safe(block: &Node) -> bool {
    match block.ty.as_str() {
        "paragraph" if block.content.is_empty() => block.attrs.is_empty(),
        "paragraph" => inline_safe(&block.content, Place::Block),
        "heading" => heading_safe(block),
        "table" => table_safe(block),
        "horizontalRule" => block.attrs.is_empty(),
        "codeBlock" => code_block_safe(block, true),
        "image" | "drawio" | "excalidraw" => image_safe(block),
        "details" => details_safe(block),
        _ => nested_safe(block),
    }
}

/// A block inside a container: no attribute comments, no tabs in code (their
/// width depends on the indentation the container adds).
fn nested_safe(block: &Node) -> bool {
    match block.ty.as_str() {
        "paragraph" => block.attrs.is_empty() && inline_safe(&block.content, Place::Block),
        "heading" => block.attrs.keys().all(|k| k == "level") && heading_safe(block),
        "codeBlock" => code_block_safe(block, false),
        "blockquote" => block.attrs.is_empty() && children_safe(&block.content),
        "callout" => callout_safe(block),
        "bulletList" | "taskList" => block.attrs.is_empty() && items_safe(block),
        "orderedList" => ordered_attrs_safe(block) && items_safe(block),
        _ => false,
    }
}

fn children_safe(children: &[Node]) -> bool {
    !children.is_empty() && children.iter().all(nested_safe)
}

fn heading_safe(n: &Node) -> bool {
    let level_ok = match n.attrs.get("level") {
        None => true,
        Some(v) => v.as_u64().is_some_and(|l| (1..=6).contains(&l)),
    };
    level_ok && !n.content.is_empty() && inline_safe(&n.content, Place::Line)
}

/// `![alt](src)` after a comment with the other attributes.
fn image_safe(n: &Node) -> bool {
    let alt_ok = match n.attrs.get("alt") {
        None => true,
        Some(a) => a.as_str().is_some_and(|a| {
            !a.is_empty() && !a.starts_with(' ') && !a.ends_with(' ') && a.chars().all(plain_char)
        }),
    };
    n.str_attr("src").is_some_and(url_safe) && alt_ok && !n.attrs.contains_key("title")
}

/// `<details>` and `<summary>` lines around safe blocks.
fn details_safe(n: &Node) -> bool {
    let open_ok = n
        .attrs
        .iter()
        .all(|(k, v)| k == "open" && v.as_bool() == Some(true));
    let [summary, content] = &n.content[..] else {
        return false;
    };
    let summary_ok = summary.ty == "detailsSummary"
        && summary.attrs.is_empty()
        && (summary.content.is_empty() || inline_safe(&summary.content, Place::Line));
    let content_ok = content.ty == "detailsContent"
        && content.attrs.is_empty()
        && children_safe(&content.content);
    open_ok && summary_ok && content_ok
}

fn callout_safe(n: &Node) -> bool {
    let type_ok = match n.attrs.get("type") {
        None => n.attrs.is_empty(),
        Some(t) => n.attrs.len() == 1 && t.as_str().is_some_and(|t| CALLOUT_TYPES.contains(&t)),
    };
    type_ok && children_safe(&n.content)
}

fn ordered_attrs_safe(n: &Node) -> bool {
    n.attrs
        .iter()
        .all(|(k, v)| k == "start" && v.as_u64().is_some_and(|s| s <= 999_999_999))
}

/// Items that start with a non-empty plain paragraph (so the marker line
/// holds text), followed by safe blocks.
fn items_safe(list: &Node) -> bool {
    let item_ty = if list.ty == "taskList" {
        "taskItem"
    } else {
        "listItem"
    };
    !list.content.is_empty()
        && list.content.iter().all(|item| {
            let attrs_ok = item
                .attrs
                .iter()
                .all(|(k, v)| item_ty == "taskItem" && k == "checked" && v.is_boolean());
            let first_ok = item.content.first().is_some_and(|p| {
                p.ty == "paragraph" && p.attrs.is_empty() && !p.content.is_empty()
            });
            item.ty == item_ty && attrs_ok && first_ok && item.content.iter().all(nested_safe)
        })
}

/// A fenced block with a plain language and text the fence shows exactly.
/// Tabs only at the top level: inside a container, the indentation the
/// container adds changes how far a leading tab reaches.
fn code_block_safe(n: &Node, tabs: bool) -> bool {
    let lang_ok = match n.attrs.get("language") {
        None => n.attrs.is_empty(),
        Some(l) => {
            n.attrs.len() == 1
                && l.as_str().is_some_and(|l| {
                    !l.is_empty()
                        && l != "math"
                        && l.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '.' | '-')
                        })
                })
        }
    };
    let text_ok = match &n.content[..] {
        [] => true,
        [t] => {
            t.ty == "text"
                && t.marks.is_empty()
                && !t
                    .text
                    .contains(|c: char| matches!(c, '\r' | '\0') || (c == '\t' && !tabs))
        }
        _ => false,
    };
    lang_ok && text_ok
}

/// A GFM table (the writer's `gfm_table` shape) whose cells hold safe
/// one-line text or nothing.
fn table_safe(n: &Node) -> bool {
    let Some(width) = n.content.first().map(|r| r.content.len()) else {
        return false;
    };
    width > 0
        && n.attrs.is_empty()
        && n.content.iter().all(|row| {
            row.ty == "tableRow"
                && row.attrs.is_empty()
                && row.content.len() == width
                && row.content.iter().all(cell_safe)
        })
}

fn cell_safe(cell: &Node) -> bool {
    if cell.ty != "tableCell" && cell.ty != "tableHeader" {
        return false;
    }
    let spans = cell.attrs.contains_key("colspan") || cell.attrs.contains_key("rowspan");
    let para_ok = match &cell.content[..] {
        [p] => {
            p.ty == "paragraph"
                && p.attrs.is_empty()
                && (p.content.is_empty() || inline_safe(&p.content, Place::Cell))
        }
        _ => false,
    };
    !spans && para_ok
}

/// Where inline content is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Block,
    /// Headings and summaries: one line, a hard break would be HTML.
    Line,
    /// A GFM table cell: one line, and no HTML carrier (GFM splits a row
    /// at a `|` even inside an attribute).
    Cell,
}

/// Inline content per the module rules.
fn inline_safe(nodes: &[Node], place: Place) -> bool {
    if nodes.is_empty() {
        return false;
    }
    let mut prev_marks: Vec<&Mark> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        let ok = match n.ty.as_str() {
            "text" => text_node_safe(n, place),
            "hardBreak" => {
                place == Place::Block
                    && n.marks.is_empty()
                    && i > 0
                    && nodes.get(i + 1).is_some_and(|next| next.ty == "text")
                    && nodes[i - 1].ty == "text"
            }
            "mention" | "status" | "footnoteReference" => place != Place::Cell && atom_safe(n),
            _ => false,
        };
        let marks = span_marks(n);
        if !ok || mark_changes(&prev_marks, &marks) > 1 || bang_before_link(nodes, i) {
            return false;
        }
        prev_marks = marks;
    }
    mark_changes(&prev_marks, &[]) <= 1 && spans_safe(nodes)
}

/// A `!` written right before a link's `[` makes it an image.
fn bang_before_link(nodes: &[Node], i: usize) -> bool {
    let opens_link = |n: &Node| n.marks.iter().any(|m| m.ty == "link");
    i > 0
        && nodes[i - 1].ty == "text"
        && nodes[i - 1].text.ends_with('!')
        && opens_link(&nodes[i])
        && !opens_link(&nodes[i - 1])
}

/// An inline atom's `<span data-gitsync>` carrier. The reader skips the
/// visible text inside, but it must not pair with syntax outside the span.
fn atom_safe(n: &Node) -> bool {
    let visible = match n.ty.as_str() {
        "mention" => n.str_attr("label").unwrap_or(""),
        "status" => n.str_attr("text").unwrap_or(""),
        _ => "",
    };
    n.marks.iter().all(|m| mark_safe(m, Place::Block)) && visible.chars().all(plain_char)
}

/// Marks written around spans (`code` wraps single nodes).
fn span_marks(n: &Node) -> Vec<&Mark> {
    n.marks.iter().filter(|m| m.ty != "code").collect()
}

/// Marks the writer closes plus marks it opens between two nodes: it keeps
/// the common prefix of the two (rank-sorted) mark lists open.
fn mark_changes(before: &[&Mark], after: &[&Mark]) -> usize {
    let keep = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    before.len() - keep + after.len() - keep
}

fn text_node_safe(n: &Node, place: Place) -> bool {
    let code = n.marks.iter().any(|m| m.ty == "code");
    if code {
        return n.marks.len() == 1 && code_text_safe(&n.text);
    }
    n.marks.iter().all(|m| mark_safe(m, place)) && n.text.chars().all(plain_char)
}

fn plain_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || c == ' ' || PLAIN_PUNCTUATION.contains(c)
    } else {
        !c.is_control()
    }
}

/// A backtick code span shows its text verbatim when it holds no backtick,
/// line end, NUL, table pipe or `$` (math), and no edge space to strip.
fn code_text_safe(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(' ')
        && !text.ends_with(' ')
        && !text.contains(|c: char| c.is_control() || matches!(c, '`' | '|' | '$'))
}

/// Delimiters, plain links, and (outside table cells) the HTML tags of the
/// other marks, whose attributes travel as escaped JSON.
fn mark_safe(m: &Mark, place: Place) -> bool {
    match m.ty.as_str() {
        "bold" | "italic" | "strike" => m.attrs.is_empty(),
        "link" => link_safe(m, place),
        "underline" | "highlight" | "subscript" | "superscript" | "textStyle" | "comment" => {
            place != Place::Cell
        }
        _ => false,
    }
}

/// `[text](href)`, or outside cells `<a href>` with a JSON carrier, for an
/// href of URL characters and no title.
fn link_safe(m: &Mark, place: Place) -> bool {
    let href = m.attrs.get("href").and_then(|h| h.as_str());
    let carrier_ok = m.attrs.len() == 1 || place != Place::Cell;
    carrier_ok && !m.attrs.contains_key("title") && href.is_some_and(url_safe)
}

fn url_safe(h: &str) -> bool {
    !h.is_empty()
        && h.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '.'
                        | '_'
                        | ':'
                        | '/'
                        | '?'
                        | '#'
                        | '@'
                        | '!'
                        | '+'
                        | ','
                        | ';'
                        | '='
                        | '%'
                )
        })
}

/// Every emphasis or strike span the writer delimits (one without edge
/// whitespace, which gets its HTML tag instead) starts and ends, inside,
/// with an alphanumeric character of plain (not code) text.
fn spans_safe(nodes: &[Node]) -> bool {
    nodes.iter().enumerate().all(|(i, n)| {
        n.marks.iter().filter(|m| is_delimited(m)).all(|m| {
            let start = (0..=i)
                .rev()
                .take_while(|&j| nodes[j].marks.contains(m))
                .last();
            let end = (i..nodes.len())
                .take_while(|&j| nodes[j].marks.contains(m))
                .last();
            let (Some(start), Some(end)) = (start, end) else {
                return false;
            };
            if start != i && end != i {
                return true;
            }
            let first = span_char(&nodes[start], true);
            let last = span_char(&nodes[end], false);
            let html_form = first.is_whitespace() || last.is_whitespace();
            let plain = |n: &Node, c: char| {
                n.ty == "text" && !n.marks.iter().any(|m| m.ty == "code") && c.is_alphanumeric()
            };
            html_form || (plain(&nodes[start], first) && plain(&nodes[end], last))
        })
    })
}

/// The first (or last) character the writer sees for a node when it
/// decides between delimiters and tags: atoms count as `x`, breaks as a
/// line end.
fn span_char(n: &Node, first: bool) -> char {
    match n.ty.as_str() {
        "text" if first => n.text.chars().next().unwrap_or('x'),
        "text" => n.text.chars().next_back().unwrap_or('x'),
        "hardBreak" => '\n',
        _ => 'x',
    }
}

fn is_delimited(m: &Mark) -> bool {
    matches!(m.ty.as_str(), "bold" | "italic" | "strike")
}
