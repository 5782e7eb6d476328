//! ProseMirror (canonical form) → Markdown, block level.
//!
//! Each block renders to lines without a trailing newline; siblings are
//! separated by one blank line. Containers prefix their children's lines.
//! Every top-level block is read back right away (unless [`super::safe`]
//! can tell from its shape that it reads back); when that does not give
//! the same block, it is written again in a more defensive [`Mode`].

use super::html::{attrs_comment, close_comment, directive, open_comment};
use super::inline::{destination, escape_text, write_inline, InlineCtx, Mode};
use super::node::{is_empty_paragraph, Node};
use super::{from_md, safe, schema};
use serde_json::{Map, Value};

/// Markdown for a document in canonical form.
pub fn write_doc(doc: &Node) -> String {
    let mut blocks: &[Node] = &doc.content;
    // Docmost keeps an empty paragraph after a last non-paragraph block;
    // the reader adds it back, so it is left out of the file.
    if let [rest @ .., last] = blocks {
        if is_empty_paragraph(last) && rest.last().is_none_or(|n| n.ty != "paragraph") {
            blocks = rest;
        }
    }
    let alternation = list_alternation(blocks);
    let parts: Vec<String> = blocks
        .iter()
        .zip(alternation)
        .map(|(block, alternate)| verified_block(block, alternate))
        .collect();
    parts.join("\n\n")
}

/// The block in the first mode whose Markdown reads back as the block
/// (the last mode if none does). Shapes [`safe::known_safe`] vouches for
/// are written once, without reading them back.
fn verified_block(block: &Node, alternate: bool) -> String {
    if safe::known_safe(block) {
        return Blocks { mode: Mode::Pretty }.block(block, alternate);
    }
    let mut md = String::new();
    for mode in [Mode::Pretty, Mode::HtmlMarks, Mode::Safe] {
        md = Blocks { mode }.block(block, alternate);
        // The reader's blocks are already canonical.
        let back = from_md::parse_blocks(&md);
        if back.len() == 1 && back[0] == *block {
            break;
        }
    }
    md
}

struct Blocks {
    mode: Mode,
}

fn indent(text: &str, first: &str, rest: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let prefix = if i == 0 { first } else { rest };
        if line.is_empty() {
            out.push_str(prefix.trim_end());
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
    }
    out
}

/// Attributes of `node` other than those in `shown`.
fn extra_attrs(node: &Node, shown: &[&str]) -> Map<String, Value> {
    node.attrs
        .iter()
        .filter(|(k, _)| !shown.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn with_attrs(extra: &Map<String, Value>, md: String) -> String {
    if extra.is_empty() {
        md
    } else {
        format!("{}\n{md}", attrs_comment(extra))
    }
}

fn fence_for(text: &str, ch: char) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == ch { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    ch.to_string().repeat((longest + 1).max(3))
}

impl Blocks {
    fn inline_ctx(&self, single_line: bool) -> InlineCtx {
        InlineCtx {
            mode: self.mode,
            single_line,
            in_table: false,
            heading: false,
        }
    }

    fn blocks(&self, nodes: &[Node]) -> String {
        let parts: Vec<String> = nodes
            .iter()
            .zip(list_alternation(nodes))
            .map(|(n, alternate)| self.block(n, alternate))
            .collect();
        parts.join("\n\n")
    }

    /// `alternate`: a list that directly follows a list of the same
    /// Markdown kind uses the other marker, or the two would merge.
    fn block(&self, n: &Node, alternate: bool) -> String {
        match n.ty.as_str() {
            "paragraph" => self.paragraph(n),
            "heading" => self.heading(n),
            "blockquote" => indent(&self.blocks(&n.content), "> ", "> "),
            "callout" => self.callout(n),
            "bulletList" | "orderedList" | "taskList" => self.list(n, alternate),
            "codeBlock" => self.code_block(n),
            "mathBlock" => {
                let tex = n.str_attr("text").unwrap_or("");
                let shown: &[&str] = if tex.contains('\r') { &[] } else { &["text"] };
                let md = code_fence(&unix_newlines(tex), "math");
                with_attrs(&extra_attrs(n, shown), md)
            }
            "horizontalRule" => with_attrs(&n.attrs, "---".into()),
            "image" | "drawio" | "excalidraw" => self.image(n),
            "details" => self.details(n),
            "table" => self.table(n),
            t if schema::is_block_atom(t) => open_comment(t, &n.attrs),
            _ => self.generic(n),
        }
    }

    fn paragraph(&self, n: &Node) -> String {
        let md = if n.content.is_empty() {
            "<br>".to_string()
        } else {
            let inline = write_inline(&n.content, self.inline_ctx(false));
            // A lone `<br>` line is an HTML block, read as an empty
            // paragraph; a paragraph holding just a line break says so
            // in HTML.
            if inline == "<br>" {
                "<p><br></p>".to_string()
            } else {
                inline
            }
        };
        with_attrs(&n.attrs, md)
    }

    fn heading(&self, n: &Node) -> String {
        let level = n.attr("level").as_u64().unwrap_or(1).clamp(1, 6) as usize;
        let ctx = InlineCtx {
            heading: true,
            ..self.inline_ctx(true)
        };
        let text = write_inline(&n.content, ctx);
        let hashes = "#".repeat(level);
        let md = if text.is_empty() {
            hashes
        } else {
            format!("{hashes} {text}")
        };
        with_attrs(&extra_attrs(n, &["level"]), md)
    }

    /// `> [!type]` on its own line; a first plain paragraph follows it
    /// directly, anything else after a blank quote line.
    fn callout(&self, n: &Node) -> String {
        let ty = n.str_attr("type").unwrap_or("info");
        let body = self.blocks(&n.content);
        let first_plain = n
            .content
            .first()
            .is_some_and(|c| c.ty == "paragraph" && c.attrs.is_empty() && !c.content.is_empty());
        let joined = if first_plain {
            format!("[!{ty}]\n{body}")
        } else {
            format!("[!{ty}]\n\n{body}")
        };
        with_attrs(&extra_attrs(n, &["type"]), indent(&joined, "> ", "> "))
    }

    fn list(&self, n: &Node, alternate: bool) -> String {
        let ordered = n.ty == "orderedList";
        let start = n.attr("start").as_u64().filter(|s| *s <= 999_999_999);
        let shown: &[&str] = if start.is_some() { &["start"] } else { &[] };
        let mut items = Vec::new();
        for (i, item) in n.content.iter().enumerate() {
            let bullet = if alternate { '*' } else { '-' };
            let (marker, width) = if ordered {
                let num = item_number(start.unwrap_or(1), i, n.content.len());
                let m = format!("{num}{} ", if alternate { ')' } else { '.' });
                let w = m.len();
                (m, w)
            } else if n.ty == "taskList" {
                let checked = item.attr("checked").as_bool().unwrap_or(false);
                (
                    format!("{bullet} [{}] ", if checked { 'x' } else { ' ' }),
                    2,
                )
            } else {
                (format!("{bullet} "), 2)
            };
            items.push(self.list_item(item, &marker, width));
        }
        with_attrs(&extra_attrs(n, shown), items.join("\n"))
    }

    fn list_item(&self, item: &Node, marker: &str, width: usize) -> String {
        let pad = " ".repeat(width);
        let only_empty = item.content.len() == 1 && is_empty_paragraph(&item.content[0]);
        if only_empty && item.ty != "taskItem" {
            return marker.trim_end().to_string();
        }
        let body = self.blocks(&item.content);
        let first_line = body.split('\n').next().unwrap_or("");
        if item.ty == "taskItem" && (first_line.is_empty() || directive(first_line).is_some()) {
            // After `[ ]` a directive line (`<br>`, an attribute comment)
            // reads as inline HTML of the item's text, and a bare `- [ ]`
            // is no task at all: such a first block starts on the next line.
            return format!("{}\n{}", marker.trim_end(), indent(&body, &pad, &pad));
        }
        indent(&body, marker, &pad)
    }

    fn code_block(&self, n: &Node) -> String {
        let text: String = n.content.iter().map(|c| c.text.as_str()).collect();
        let lang = n.str_attr("language").unwrap_or("");
        let mut extra = extra_attrs(n, &["language"]);
        // An empty info string reads as no language; `""` is not `null`.
        let set_but_empty = lang.is_empty() && n.attrs.contains_key("language");
        let lang_ok = !set_but_empty
            // The info string decodes entities and backslash escapes.
            && !lang.contains(|c: char| {
                c.is_whitespace() || c.is_control() || matches!(c, '`' | '&' | '\\')
            });
        let shown_lang = if lang_ok { lang } else { "" };
        if !lang_ok {
            extra.insert("language".into(), Value::String(lang.into()));
        }
        if shown_lang == "math" {
            extra.insert("node".into(), Value::String("codeBlock".into()));
        }
        if text.contains('\r') {
            // Markdown reads any `\r` as a line end: the exact text rides
            // along in the comment, and the fence shows it readably.
            extra.insert("text".into(), Value::String(text.clone()));
        }
        with_attrs(&extra, code_fence(&unix_newlines(&text), shown_lang))
    }

    fn image(&self, n: &Node) -> String {
        // Line ends in a destination or title do not survive (and `![](u
        // "")` reads as no title at all): such values ride in the comment.
        let showable = |v: &&str| !v.contains(|c: char| c.is_control());
        let src = n.str_attr("src").filter(showable).unwrap_or("");
        let alt = n.str_attr("alt").unwrap_or("");
        let title = n.str_attr("title").filter(|t| !t.is_empty() && showable(t));
        let mut shown = Vec::new();
        if n.str_attr("src").is_some_and(|s| showable(&s)) {
            shown.push("src");
        }
        if !alt.is_empty() {
            shown.push("alt");
        }
        if title.is_some() {
            shown.push("title");
        }
        let mut extra = extra_attrs(n, &shown);
        if n.ty != "image" {
            extra.insert("node".into(), Value::String(n.ty.clone()));
        }
        let ctx = self.inline_ctx(true);
        let alt_md = escape_text(alt, ctx, false, false);
        let md = format!("![{alt_md}]({})", destination(src, title));
        with_attrs(&extra, md)
    }

    fn details(&self, n: &Node) -> String {
        let [summary, content] = &n.content[..] else {
            return self.generic(n);
        };
        if summary.ty != "detailsSummary" || content.ty != "detailsContent" {
            return self.generic(n);
        }
        let open = n.attr("open").as_bool().unwrap_or(false);
        let head = if open { "<details open>" } else { "<details>" };
        let summary_md = write_inline(&summary.content, self.inline_ctx(true));
        let mut md = format!("{head}\n<summary>{summary_md}</summary>\n\n");
        if !content.content.is_empty() {
            md.push_str(&self.blocks(&content.content));
            md.push_str("\n\n");
        }
        md.push_str("</details>");
        with_attrs(&extra_attrs(n, &["open"]), md)
    }

    /// `<!-- gitsync:type {attrs} -->`, the children, then the closing
    /// comment: for nodes Markdown has no form for.
    fn generic(&self, n: &Node) -> String {
        let mut md = open_comment(&n.ty, &n.attrs);
        if !n.content.is_empty() {
            md.push_str("\n\n");
            md.push_str(&self.blocks(&n.content));
        }
        md.push_str("\n\n");
        md.push_str(&close_comment(&n.ty));
        md
    }

    /// In `Safe` mode a table is always the generic form: GFM splits a row
    /// at every `|` before inline parsing, even one inside an HTML carrier's
    /// attribute, and no escape reaches there.
    fn table(&self, n: &Node) -> String {
        let gfm = match self.mode {
            Mode::Safe => None,
            Mode::Pretty | Mode::HtmlMarks => self.gfm_table(n),
        };
        gfm.unwrap_or_else(|| self.generic(n))
    }

    /// A GFM table when every row has the same number of single-paragraph
    /// cells without spans; cell attributes Markdown cannot show travel in
    /// a `cells` matrix in the comment before it.
    fn gfm_table(&self, n: &Node) -> Option<String> {
        let rows = &n.content;
        let width = rows.first()?.content.len();
        if width == 0 {
            return None;
        }
        for row in rows {
            let simple = row.ty == "tableRow"
                && row.attrs.is_empty()
                && row.content.len() == width
                && row.content.iter().all(|c| {
                    c.attr("colspan").is_null()
                        && c.attr("rowspan").is_null()
                        && matches!(&c.content[..], [p] if p.ty == "paragraph" && p.attrs.is_empty())
                });
            if !simple {
                return None;
            }
        }
        let aligns: Vec<Option<&str>> = (0..width).map(|col| column_align(rows, col)).collect();
        let mut cells_meta = Vec::new();
        let mut any_meta = false;
        for (r, row) in rows.iter().enumerate() {
            let mut metas = Vec::new();
            for (c, cell) in row.content.iter().enumerate() {
                let mut meta = cell.attrs.clone();
                if aligns[c].is_some() {
                    meta.remove("align");
                }
                if (cell.ty == "tableHeader") != (r == 0) {
                    meta.insert("header".into(), Value::Bool(cell.ty == "tableHeader"));
                }
                any_meta |= !meta.is_empty();
                metas.push(Value::Object(meta));
            }
            cells_meta.push(Value::Array(metas));
        }
        let mut lines = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            lines.push(self.table_row(row));
            if r == 0 {
                let delims: Vec<&str> = aligns
                    .iter()
                    .map(|a| match a {
                        Some("left") => ":---",
                        Some("center") => ":---:",
                        Some("right") => "---:",
                        _ => "---",
                    })
                    .collect();
                lines.push(format!("| {} |", delims.join(" | ")));
            }
        }
        let mut extra = n.attrs.clone();
        if any_meta {
            extra.insert("cells".into(), Value::Array(cells_meta));
        }
        Some(with_attrs(&extra, lines.join("\n")))
    }

    fn table_row(&self, row: &Node) -> String {
        let ctx = InlineCtx {
            in_table: true,
            ..self.inline_ctx(true)
        };
        let cells: Vec<String> = row
            .content
            .iter()
            .map(|cell| write_inline(&cell.content[0].content, ctx))
            .collect();
        format!("| {} |", cells.join(" | "))
    }
}

/// CommonMark list numbers have at most nine digits and only the first one
/// counts: a list that would count past that repeats its start number.
fn item_number(start: u64, index: usize, count: usize) -> u64 {
    let last = start + count.saturating_sub(1) as u64;
    if last <= 999_999_999 {
        start + index as u64
    } else {
        start
    }
}

/// For each block: whether it is a list that must use the alternate
/// marker because the block before it is a list of the same kind using
/// the normal one (bullet and task lists share `-`).
fn list_alternation(nodes: &[Node]) -> Vec<bool> {
    let kind = |n: &Node| match n.ty.as_str() {
        "bulletList" | "taskList" => Some(false),
        "orderedList" => Some(true),
        _ => None,
    };
    let mut out: Vec<bool> = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let after_same = i > 0 && kind(n).is_some() && kind(&nodes[i - 1]) == kind(n);
        out.push(after_same && !out[i - 1]);
    }
    out
}

/// The alignment every cell of a column shares, if it is one GFM can show.
fn column_align(rows: &[Node], col: usize) -> Option<&str> {
    let first = rows[0].content[col].str_attr("align")?;
    let same = rows
        .iter()
        .all(|r| r.content[col].str_attr("align") == Some(first));
    (same && matches!(first, "left" | "center" | "right")).then_some(first)
}

/// Line ends as a Markdown reader gives them back: `\r\n` and `\r` are `\n`.
pub fn unix_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// A fenced block; the reader drops the one newline the fence adds.
fn code_fence(text: &str, info: &str) -> String {
    let fence = fence_for(text, '`');
    if text.is_empty() {
        format!("{fence}{info}\n{fence}")
    } else {
        format!("{fence}{info}\n{text}\n{fence}")
    }
}
