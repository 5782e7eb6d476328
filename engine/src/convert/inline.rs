//! Inline content → Markdown: text escaping and mark delimiters.
//!
//! Marks are opened outermost-first in schema rank order and kept open
//! across adjacent nodes that share them. Standard Markdown delimiters are
//! used where CommonMark can read them back; a mark whose text starts or
//! ends with whitespace (`**Модель: **` is not bold in CommonMark) gets its
//! HTML tag instead, which keeps the whitespace inside the mark.

use super::html::{json, quote_attr};
use super::node::{Mark, Node};
use serde_json::{Map, Value};

/// How hard the writer works for safety over readability. The block writer
/// retries a block in the next mode when reading it back does not give the
/// same block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Pretty,
    /// All marks as HTML tags: no delimiter-flanking surprises.
    HtmlMarks,
    /// HTML tags and every ASCII punctuation character escaped.
    Safe,
}

#[derive(Clone, Copy)]
pub struct InlineCtx {
    pub mode: Mode,
    /// Headings, table cells, summaries: a hard break must not end the line.
    pub single_line: bool,
    pub in_table: bool,
    pub heading: bool,
}

struct Open {
    mark: Mark,
    close: String,
}

struct Writer<'a> {
    ctx: InlineCtx,
    nodes: &'a [Node],
    out: String,
    stack: Vec<Open>,
    line_start: bool,
}

pub fn write_inline(nodes: &[Node], ctx: InlineCtx) -> String {
    let mut w = Writer {
        ctx,
        nodes,
        out: String::new(),
        stack: Vec::new(),
        line_start: true,
    };
    for i in 0..nodes.len() {
        w.node(i);
    }
    w.close_to(0);
    w.out
}

/// Marks that wrap spans; `code` wraps single nodes (it excludes all other
/// marks in Docmost, so it is always innermost).
fn span_marks(n: &Node) -> Vec<&Mark> {
    n.marks.iter().filter(|m| m.ty != "code").collect()
}

fn has_code(n: &Node) -> bool {
    n.marks.iter().any(|m| m.ty == "code")
}

impl Writer<'_> {
    fn node(&mut self, i: usize) {
        let node = &self.nodes[i];
        let marks = span_marks(node);
        let keep = self
            .stack
            .iter()
            .zip(&marks)
            .take_while(|(open, m)| open.mark == ***m)
            .count();
        self.close_to(keep);
        for (depth, m) in marks.iter().enumerate().skip(keep) {
            self.open(i, depth, (*m).clone());
        }
        let line_end = self.is_line_end(i);
        if has_code(node) {
            self.code(node, line_end);
        } else {
            self.content(node, i, line_end);
        }
    }

    fn is_line_end(&self, i: usize) -> bool {
        match self.nodes.get(i + 1) {
            None => true,
            Some(next) => next.ty == "hardBreak" && !self.ctx.single_line,
        }
    }

    fn close_to(&mut self, depth: usize) {
        while self.stack.len() > depth {
            let open = self.stack.pop().expect("stack longer than depth");
            self.out.push_str(&open.close);
        }
    }

    fn open(&mut self, i: usize, depth: usize, mark: Mark) {
        let span = self.span_text(i, depth);
        let edge_space =
            span.starts_with(char::is_whitespace) || span.ends_with(char::is_whitespace);
        let delimiters = self.ctx.mode == Mode::Pretty && !edge_space;
        let (open, close) = mark_tags(&mark, delimiters);
        self.out.push_str(&open);
        self.line_start = false;
        self.stack.push(Open { mark, close });
    }

    /// The text a mark opened at node `i`, nesting depth `depth`, will cover.
    /// Atoms count as a visible character.
    fn span_text(&self, i: usize, depth: usize) -> String {
        let prefix: Vec<&Mark> = span_marks(&self.nodes[i])[..=depth].to_vec();
        let mut text = String::new();
        for n in &self.nodes[i..] {
            let marks = span_marks(n);
            if marks.len() <= depth || marks[..=depth] != prefix[..] {
                break;
            }
            match n.ty.as_str() {
                "text" => text.push_str(&n.text),
                "hardBreak" => text.push('\n'),
                _ => text.push('x'),
            }
        }
        text
    }

    fn content(&mut self, node: &Node, i: usize, line_end: bool) {
        match node.ty.as_str() {
            "text" => {
                let s = escape_text(&node.text, self.ctx, self.line_start, line_end);
                self.out.push_str(&s);
                self.line_start = false;
            }
            "hardBreak" => self.hard_break(i),
            _ => {
                let s = atom(node, self.ctx);
                self.out.push_str(&s);
                self.line_start = false;
            }
        }
    }

    /// A backslash break reads back only when text follows it in the block.
    fn hard_break(&mut self, i: usize) {
        if self.ctx.single_line || i + 1 == self.nodes.len() {
            self.out.push_str("<br>");
            self.line_start = false;
        } else {
            self.out.push_str("\\\n");
            self.line_start = true;
        }
    }

    fn code(&mut self, node: &Node, line_end: bool) {
        let backticks = node.ty == "text"
            && self.ctx.mode != Mode::Safe
            && !node.text.contains(['\n', '\r', '\0']);
        if backticks {
            self.out.push_str(&code_span(&node.text, self.ctx.in_table));
        } else {
            self.out.push_str("<code>");
            let inner = if node.ty == "text" {
                escape_text(&node.text, self.ctx, false, line_end)
            } else {
                atom(node, self.ctx)
            };
            self.out.push_str(&inner);
            self.out.push_str("</code>");
        }
        self.line_start = false;
    }
}

fn code_span(text: &str, in_table: bool) -> String {
    let mut longest_runs = Vec::new();
    let mut run = 0;
    for c in text.chars().chain(std::iter::once('\0')) {
        if c == '`' {
            run += 1;
        } else if run > 0 {
            longest_runs.push(run);
            run = 0;
        }
    }
    let fence_len = (1..).find(|n| !longest_runs.contains(n)).unwrap_or(1);
    let fence = "`".repeat(fence_len);
    let all_space = text.chars().all(|c| c == ' ');
    let pad = !all_space
        && (text.starts_with('`')
            || text.ends_with('`')
            || (text.starts_with(' ') && text.ends_with(' ')));
    let body = if in_table {
        text.replace('|', "\\|")
    } else {
        text.to_string()
    };
    let space = if pad { " " } else { "" };
    format!("{fence}{space}{body}{space}{fence}")
}

/// Opening and closing text of a mark: Markdown delimiters when allowed and
/// possible, else an HTML tag carrying non-default attributes as JSON.
fn mark_tags(mark: &Mark, delimiters: bool) -> (String, String) {
    let plain = |o: &str, c: &str| (o.to_string(), c.to_string());
    if delimiters {
        match mark.ty.as_str() {
            "bold" => return plain("**", "**"),
            "italic" => return plain("*", "*"),
            "strike" => return plain("~~", "~~"),
            _ => {}
        }
    }
    if mark.ty == "link" {
        return link_tags(mark);
    }
    let tag = match mark.ty.as_str() {
        "bold" => "strong",
        "italic" => "em",
        "strike" => "s",
        "underline" => "u",
        "highlight" => "mark",
        "subscript" => "sub",
        "superscript" => "sup",
        _ => {
            let mut carried = mark.attrs.clone();
            carried.insert("mark".into(), Value::String(mark.ty.clone()));
            return (
                format!("<span data-gitsync='{}'>", json(&Value::Object(carried))),
                "</span>".into(),
            );
        }
    };
    if mark.attrs.is_empty() {
        (format!("<{tag}>"), format!("</{tag}>"))
    } else {
        let attrs = json(&Value::Object(mark.attrs.clone()));
        (
            format!("<{tag} data-gitsync='{attrs}'>"),
            format!("</{tag}>"),
        )
    }
}

fn link_tags(mark: &Mark) -> (String, String) {
    let href = mark.attrs.get("href").and_then(Value::as_str);
    let title = mark.attrs.get("title").and_then(Value::as_str);
    // `[x]()` and `[x](u "")` read as no href and no title, not as `""`.
    let markdown_ok = mark.attrs.keys().all(|k| k == "href" || k == "title")
        && href.is_some_and(|h| !h.is_empty() && !h.contains(|c: char| c.is_control()))
        && !title.is_some_and(|t| t.is_empty() || t.contains(|c: char| c.is_control()));
    if let (true, Some(href)) = (markdown_ok, href) {
        return ("[".into(), format!("]({})", destination(href, title)));
    }
    let mut rest: Map<String, Value> = mark.attrs.clone();
    rest.remove("href");
    let extra = if rest.is_empty() {
        String::new()
    } else {
        format!(" data-gitsync='{}'", json(&Value::Object(rest)))
    };
    let href_attr = match href {
        Some(h) => format!(" href=\"{}\"", quote_attr(h)),
        None => String::new(),
    };
    (format!("<a{href_attr}{extra}>"), "</a>".into())
}

/// `dest "title"` for links and images.
pub fn destination(href: &str, title: Option<&str>) -> String {
    let bare = !href.is_empty()
        && !href.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '(' | ')' | '<' | '>' | '\\')
        });
    let mut out = String::new();
    let escape_amp = |s: &str, out: &mut String, extra: &[char]| {
        let chars: Vec<char> = s.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if (c == '&' && (next.is_ascii_alphanumeric() || next == '#')) || extra.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    };
    if bare {
        escape_amp(href, &mut out, &[]);
    } else {
        out.push('<');
        escape_amp(href, &mut out, &['<', '>', '\\']);
        out.push('>');
    }
    if let Some(t) = title {
        out.push_str(" \"");
        escape_amp(t, &mut out, &['"', '\\']);
        out.push('"');
    }
    out
}

/// Inline atoms other than hard breaks.
fn atom(node: &Node, ctx: InlineCtx) -> String {
    if node.ty == "mathInline" {
        let tex = node.str_attr("text").unwrap_or("");
        let awkward = tex.is_empty()
            || tex.contains(['$', '\n', '\r', '`'])
            || tex.starts_with(char::is_whitespace)
            || tex.ends_with(char::is_whitespace)
            || tex.ends_with('\\')
            || !math_braces_balanced(tex)
            || (ctx.in_table && tex.contains('|'));
        let plain = !awkward;
        if plain {
            return format!("${tex}$");
        }
    }
    let mut carried = node.attrs.clone();
    carried.insert("node".into(), Value::String(node.ty.clone()));
    let inner_text: String = node.content.iter().map(|c| c.text.as_str()).collect();
    if !inner_text.is_empty() {
        carried.insert("text".into(), Value::String(inner_text));
    }
    let visible = match node.ty.as_str() {
        "mention" => format!("@{}", node.str_attr("label").unwrap_or("")),
        "status" | "mathInline" => node.str_attr("text").unwrap_or("").to_string(),
        "footnoteReference" => format!(
            "[{}]",
            node.attr("referenceNumber").as_i64().unwrap_or_default()
        ),
        _ => String::new(),
    };
    let visible = escape_text(&visible, ctx, false, false);
    format!(
        "<span data-gitsync='{}'>{visible}</span>",
        json(&Value::Object(carried))
    )
}

/// pulldown-cmark only pairs `$` delimiters in the same brace context, so
/// `$a}$` is not math. Backslash-escaped punctuation does not count, as
/// the parser skips it.
fn math_braces_balanced(tex: &str) -> bool {
    let mut depth = 0usize;
    let mut bytes = tex.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'\\' => {
                // An escape swallows the next punctuation byte; other bytes
                // after a backslash are ordinary (and never braces).
                bytes.next();
            }
            b'{' => depth += 1,
            b'}' if depth == 0 => return false,
            b'}' => depth -= 1,
            _ => {}
        }
    }
    depth == 0
}

/// Escapes text so CommonMark reads it back as the same characters.
/// `line_start`: the text begins a line of the block; `line_end`: it ends
/// one (trailing whitespace would be stripped).
pub fn escape_text(s: &str, ctx: InlineCtx, line_start: bool, line_end: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    let lead_ws = if line_start {
        chars.iter().take_while(|c| is_md_blank(**c)).count()
    } else {
        0
    };
    let trail_ws_from = if line_end {
        chars.len()
            - chars[lead_ws..]
                .iter()
                .rev()
                .take_while(|c| is_md_blank(**c))
                .count()
    } else {
        chars.len()
    };
    let ordered_marker = ordered_marker_at(&chars, lead_ws).filter(|_| line_start);
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if i < lead_ws || i >= trail_ws_from {
            out.push_str(&format!("&#{};", u32::from(c)));
            continue;
        }
        let prev = if i == 0 {
            None
        } else {
            chars.get(i - 1).copied()
        };
        let next = chars.get(i + 1).copied();
        let first = line_start && i == lead_ws;
        match c {
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\0' => out.push('\u{FFFD}'),
            _ => {
                let ordered = ordered_marker.is_some_and(|at| at == i);
                if ordered || needs_escape(c, prev, next, first, ctx) {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// What pulldown-cmark trims from the ends of a line of inline text: space,
/// tab, and the vertical tab and form feed it counts as ASCII whitespace.
fn is_md_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}')
}

/// Index of the `.` or `)` in a leading `123.` that would start a list.
fn ordered_marker_at(chars: &[char], from: usize) -> Option<usize> {
    let digits = chars[from..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let at = from + digits;
    (digits > 0 && matches!(chars.get(at), Some('.' | ')'))).then_some(at)
}

fn needs_escape(
    c: char,
    prev: Option<char>,
    next: Option<char>,
    first: bool,
    ctx: InlineCtx,
) -> bool {
    if !c.is_ascii_punctuation() {
        return false;
    }
    if ctx.mode == Mode::Safe {
        return true;
    }
    let alnum = |o: Option<char>| o.is_some_and(char::is_alphanumeric);
    match c {
        '\\' | '`' | '*' | '[' | ']' | '<' | '~' | '|' => true,
        '_' => !(alnum(prev) && alnum(next)),
        '&' => next.is_some_and(|n| n.is_ascii_alphanumeric() || n == '#'),
        '#' if ctx.heading => next.is_none_or(|n| n == '#' || n.is_whitespace()) || first,
        '#' | '>' | '-' | '+' | '=' => first,
        _ => false,
    }
}
