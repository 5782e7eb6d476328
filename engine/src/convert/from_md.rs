//! Markdown → ProseMirror JSON.
//!
//! Parsing is done by `pulldown-cmark`, a maintained CommonMark parser
//! (with the GFM table, task list and strikethrough extensions, and `$`
//! math) that accepts any input without panicking. This module turns its
//! event stream into nodes, reads the `gitsync` HTML carriers back
//! ([`super::html`]), and hands the tree to [`super::sanitize`] so that
//! only what Docmost's schema allows comes out.

use super::html::{self, Directive};
use super::node::{push_merged, Mark, Node};
use super::sanitize::sanitize_blocks;
use super::to_md::unix_newlines;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::{Map, Value};
use std::ops::Range;

pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
}

/// The blocks of `md`, sanitized and canonical.
pub fn parse_blocks(md: &str) -> Vec<Node> {
    let mut b = Builder::new(md);
    for (event, range) in Parser::new_ext(md, options()).into_offset_iter() {
        b.event(event, range);
    }
    b.finish()
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Origin {
    Markdown,
    Html,
    /// A paragraph around inline content pulldown-cmark gives without one
    /// (tight list items).
    Implicit,
    /// A container beyond `MAX_DEPTH`: children go to its parent.
    Flattened,
}

struct Frame {
    node: Node,
    origin: Origin,
    /// Inline content of a textblock or table cell.
    items: Vec<Node>,
    /// Attributes from a `<!-- gitsync {..} -->` for the next child block.
    pending: Option<Map<String, Value>>,
    /// Callout type read from a blockquote's first line.
    callout: Option<String>,
    task: Option<bool>,
    summary: Option<Vec<Node>>,
    /// Where a paragraph starts in the source (to tell `[!x]` from `\[!x]`).
    source_start: usize,
    alignments: Vec<Option<&'static str>>,
}

impl Frame {
    fn new(node: Node, origin: Origin) -> Frame {
        Frame {
            node,
            origin,
            items: Vec::new(),
            pending: None,
            callout: None,
            task: None,
            summary: None,
            source_start: 0,
            alignments: Vec::new(),
        }
    }
}

struct ImageState {
    src: String,
    title: String,
    alt: String,
    depth: usize,
}

struct Builder<'a> {
    source: &'a str,
    stack: Vec<Frame>,
    /// Marks opened by Markdown syntax (emphasis, links).
    marks: Vec<Mark>,
    /// Inline HTML tags open, with the mark each stands for.
    tags: Vec<(String, Option<Mark>)>,
    /// Inside the `<span>` of an inline atom: nesting depth still to close.
    skip: usize,
    image: Option<ImageState>,
    code: Option<(Option<String>, String)>,
    html: Option<String>,
}

impl<'a> Builder<'a> {
    fn new(source: &'a str) -> Builder<'a> {
        Builder {
            source,
            stack: vec![Frame::new(Node::new("doc"), Origin::Markdown)],
            marks: Vec::new(),
            tags: Vec::new(),
            skip: 0,
            image: None,
            code: None,
            html: None,
        }
    }

    fn finish(mut self) -> Vec<Node> {
        while self.stack.len() > 1 {
            self.pop();
        }
        let doc = self.stack.pop().expect("the doc frame stays");
        sanitize_blocks("doc", doc.node.content)
    }

    fn top(&mut self) -> &mut Frame {
        self.stack.last_mut().expect("the doc frame stays")
    }

    fn event(&mut self, event: Event, range: Range<usize>) {
        if let Some((_, text)) = &mut self.code {
            match event {
                Event::Text(t) => text.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.end_code(),
                _ => {}
            }
            return;
        }
        if let Some(buf) = &mut self.html {
            match event {
                Event::Html(t) | Event::Text(t) => buf.push_str(&t),
                Event::End(TagEnd::HtmlBlock) => self.end_html(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(t) => self.code_text(&t),
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                let mut attrs = Map::new();
                attrs.insert("text".into(), Value::String(t.to_string()));
                self.inline_atom(Node {
                    attrs,
                    ..Node::new("mathInline")
                });
            }
            Event::Html(t) | Event::InlineHtml(t) => self.inline_html(&t),
            Event::FootnoteReference(label) => self.text(&format!("[^{label}]")),
            Event::SoftBreak => self.inline_atom(Node::new("softBreak")),
            Event::HardBreak => self.inline_atom(Node::new("hardBreak")),
            Event::Rule => self.add_block(Node::new("horizontalRule")),
            Event::TaskListMarker(checked) => {
                if let Some(item) = self
                    .stack
                    .iter_mut()
                    .rev()
                    .find(|f| f.node.ty == "listItem")
                {
                    item.task = Some(checked);
                }
            }
        }
    }

    fn start(&mut self, tag: Tag, range: Range<usize>) {
        match tag {
            Tag::Emphasis => self.marks.push(mark("italic")),
            Tag::Strong => self.marks.push(mark("bold")),
            Tag::Strikethrough => self.marks.push(mark("strike")),
            Tag::Superscript => self.marks.push(mark("superscript")),
            Tag::Subscript => self.marks.push(mark("subscript")),
            Tag::Link {
                dest_url, title, ..
            } => {
                let mut m = mark("link");
                if !dest_url.is_empty() {
                    m.attrs
                        .insert("href".into(), Value::String(dest_url.to_string()));
                }
                if !title.is_empty() {
                    m.attrs
                        .insert("title".into(), Value::String(title.to_string()));
                }
                self.marks.push(m);
            }
            Tag::Image {
                dest_url, title, ..
            } => match &mut self.image {
                Some(img) => img.depth += 1,
                None => {
                    self.image = Some(ImageState {
                        src: dest_url.to_string(),
                        title: title.to_string(),
                        alt: String::new(),
                        depth: 0,
                    })
                }
            },
            Tag::CodeBlock(kind) => {
                self.close_implicit();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => Some(info.trim().to_string()),
                    CodeBlockKind::Indented => None,
                };
                self.code = Some((lang.filter(|l| !l.is_empty()), String::new()));
            }
            Tag::HtmlBlock => {
                self.close_implicit();
                self.html = Some(String::new());
            }
            Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell => {
                self.close_implicit();
                let node = match tag {
                    Tag::Heading { level, .. } => {
                        let mut n = Node::new("heading");
                        n.attrs.insert("level".into(), Value::from(level as u8));
                        n
                    }
                    Tag::TableCell => Node::new("tableCell"),
                    _ => Node::new("paragraph"),
                };
                let mut frame = Frame::new(node, Origin::Markdown);
                frame.source_start = range.start;
                self.push_frame(frame);
            }
            Tag::BlockQuote(_)
            | Tag::List(_)
            | Tag::Item
            | Tag::Table(_)
            | Tag::TableHead
            | Tag::TableRow
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {
                self.close_implicit();
                self.push_frame(container_frame(tag));
            }
        }
    }

    /// Parse frames beyond `MAX_DEPTH` are flattened right away, so the tree
    /// handed to the sanitizer is never deep; the sanitizer then enforces the
    /// limit on the document itself ([`super::sanitize`]).
    fn push_frame(&mut self, mut frame: Frame) {
        let containers = self
            .stack
            .iter()
            .filter(|f| f.origin != Origin::Flattened)
            .count();
        if containers > super::schema::MAX_DEPTH && !super::schema::is_textblock(&frame.node.ty) {
            frame.origin = Origin::Flattened;
        }
        self.stack.push(frame);
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Emphasis => pop_mark(&mut self.marks, "italic"),
            TagEnd::Strong => pop_mark(&mut self.marks, "bold"),
            TagEnd::Strikethrough => pop_mark(&mut self.marks, "strike"),
            TagEnd::Superscript => pop_mark(&mut self.marks, "superscript"),
            TagEnd::Subscript => pop_mark(&mut self.marks, "subscript"),
            TagEnd::Link => pop_mark(&mut self.marks, "link"),
            TagEnd::Image => self.end_image(),
            _ => self.end_markdown_block(),
        }
    }

    /// Closes frames up to and including the innermost Markdown one:
    /// HTML-opened containers left open inside it end with it.
    fn end_markdown_block(&mut self) {
        while self.stack.len() > 1 {
            let origin = self.top().origin;
            self.pop();
            if origin == Origin::Markdown || origin == Origin::Flattened {
                break;
            }
        }
    }

    fn close_implicit(&mut self) {
        if self.top().origin == Origin::Implicit {
            self.pop();
        }
    }

    fn pop(&mut self) {
        let frame = self.stack.pop().expect("never pops the doc frame");
        self.marks.clear();
        self.tags.clear();
        self.skip = 0;
        self.image = None;
        if frame.origin == Origin::Flattened {
            for child in frame.node.content {
                self.add_block(child);
            }
            return;
        }
        let nodes = self.finish_frame(frame);
        for n in nodes {
            self.add_block(n);
        }
    }

    fn finish_frame(&mut self, mut frame: Frame) -> Vec<Node> {
        match frame.node.ty.as_str() {
            "paragraph" => self.finish_paragraph(frame),
            "heading" => {
                frame.node.content = inline_only(frame.items);
                vec![frame.node]
            }
            "tableCell" if frame.origin == Origin::Markdown => {
                let blocks = split_images(frame.node.clone(), frame.items);
                frame.node.content = blocks;
                vec![frame.node]
            }
            "blockquote" => match frame.callout.take() {
                Some(ty) => {
                    let mut callout = Node::with_content("callout", frame.node.content);
                    callout.attrs.insert("type".into(), Value::String(ty));
                    vec![callout]
                }
                None => vec![frame.node],
            },
            "list" => split_list(frame.node),
            "listItem" => {
                if let Some(checked) = frame.task {
                    frame.node.ty = "taskItem".into();
                    frame
                        .node
                        .attrs
                        .insert("checked".into(), Value::Bool(checked));
                }
                vec![frame.node]
            }
            "table" => {
                apply_alignments(&mut frame.node, &frame.alignments);
                vec![frame.node]
            }
            "tableHead" => {
                frame.node.ty = "tableRow".into();
                for cell in &mut frame.node.content {
                    cell.ty = "tableHeader".into();
                }
                vec![frame.node]
            }
            "details" => {
                let summary =
                    Node::with_content("detailsSummary", frame.summary.unwrap_or_default());
                let content = Node::with_content("detailsContent", frame.node.content);
                frame.node.content = vec![summary, content];
                vec![frame.node]
            }
            "unwrap" => frame.node.content,
            _ => vec![frame.node],
        }
    }

    fn finish_paragraph(&mut self, frame: Frame) -> Vec<Node> {
        let mut items = frame.items;
        let parent = self.top();
        let first_in_quote = parent.node.ty == "blockquote"
            && parent.origin == Origin::Markdown
            && parent.node.content.is_empty()
            && parent.callout.is_none()
            && parent.pending.is_none();
        if first_in_quote && self.source[frame.source_start..].starts_with("[!") {
            if let Some(ty) = strip_callout_marker(&mut items) {
                self.top().callout = Some(ty);
                // A marker line alone leaves no paragraph behind.
                if items.is_empty() {
                    return Vec::new();
                }
            }
        }
        split_images(Node::new("paragraph"), items)
    }

    fn add_block(&mut self, mut node: Node) {
        let top = self.top();
        if let Some(pending) = top.pending.take() {
            apply_pending(&mut node, pending);
        }
        top.node.content.push(node);
    }

    fn ensure_inline(&mut self) {
        let top = self.top();
        let inline = top.origin != Origin::Html
            && matches!(top.node.ty.as_str(), "paragraph" | "heading" | "tableCell");
        if !inline {
            self.push_frame(Frame::new(Node::new("paragraph"), Origin::Implicit));
        }
    }

    fn active_marks(&self) -> Vec<Mark> {
        let mut marks = self.marks.clone();
        marks.extend(self.tags.iter().filter_map(|(_, m)| m.clone()));
        marks
    }

    fn text(&mut self, t: &str) {
        if self.skip > 0 {
            return;
        }
        if let Some(img) = &mut self.image {
            img.alt.push_str(t);
            return;
        }
        self.ensure_inline();
        let node = Node::text(t, self.active_marks());
        push_merged(&mut self.top().items, node);
    }

    fn code_text(&mut self, t: &str) {
        if self.skip > 0 || self.image.is_some() {
            return self.text(t);
        }
        self.ensure_inline();
        let mut marks = self.active_marks();
        marks.push(mark("code"));
        push_merged(&mut self.top().items, Node::text(t, marks));
    }

    fn inline_atom(&mut self, mut node: Node) {
        if self.skip > 0 {
            return;
        }
        if let Some(img) = &mut self.image {
            if node.ty == "softBreak" || node.ty == "hardBreak" {
                img.alt.push(' ');
            }
            return;
        }
        self.ensure_inline();
        node.marks = self.active_marks();
        self.top().items.push(node);
    }

    fn end_image(&mut self) {
        let Some(img) = &mut self.image else { return };
        if img.depth > 0 {
            img.depth -= 1;
            return;
        }
        let img = self.image.take().expect("checked above");
        let mut node = Node::new("image");
        node.attrs.insert("src".into(), Value::String(img.src));
        if !img.alt.is_empty() {
            node.attrs.insert("alt".into(), Value::String(img.alt));
        }
        if !img.title.is_empty() {
            node.attrs.insert("title".into(), Value::String(img.title));
        }
        self.inline_atom(node);
    }

    fn inline_html(&mut self, raw: &str) {
        let Some(tag) = html::parse_tag(raw.trim()) else {
            return self.text(raw);
        };
        if self.skip > 0 {
            if tag.name == "span" {
                self.skip = if tag.closing {
                    self.skip - 1
                } else {
                    self.skip + 1
                };
            }
            return;
        }
        if tag.closing {
            match self.tags.iter().rposition(|(name, _)| *name == tag.name) {
                Some(i) => {
                    self.tags.remove(i);
                }
                None => self.text(raw),
            }
            return;
        }
        if tag.name == "br" {
            return self.inline_atom(Node::new("hardBreak"));
        }
        let carried = tag.gitsync();
        if let Some(atom) = carried.as_ref().and_then(atom_from_carrier) {
            self.inline_atom(atom);
            self.skip = 1;
            return;
        }
        match tag_mark(&tag, carried) {
            Some(m) => self.tags.push((tag.name, Some(m))),
            None => self.text(raw),
        }
    }

    fn end_code(&mut self) {
        let (lang, mut text) = self.code.take().expect("in a code block");
        if text.ends_with('\n') {
            text.pop();
        }
        let node = if lang.as_deref() == Some("math") {
            let mut n = Node::new("mathBlock");
            n.attrs.insert("text".into(), Value::String(text));
            n
        } else {
            let mut n = Node::new("codeBlock");
            if let Some(l) = lang {
                n.attrs.insert("language".into(), Value::String(l));
            }
            if !text.is_empty() {
                n.content.push(Node::text(&text, Vec::new()));
            }
            n
        };
        self.add_block(node);
    }

    /// An HTML block made only of gitsync directives drives the tree; any
    /// other HTML is kept visibly, as an `html` code block.
    fn end_html(&mut self) {
        let buf = self.html.take().unwrap_or_default();
        let lines: Vec<&str> = buf.lines().filter(|l| !l.trim().is_empty()).collect();
        let directives: Option<Vec<Directive>> = lines.iter().map(|l| html::directive(l)).collect();
        match directives {
            Some(ds) => ds.into_iter().for_each(|d| self.directive(d)),
            None => {
                let mut n = Node::new("codeBlock");
                n.attrs
                    .insert("language".into(), Value::String("html".into()));
                let text = buf.strip_suffix('\n').unwrap_or(&buf);
                if !text.is_empty() {
                    n.content.push(Node::text(text, Vec::new()));
                }
                self.add_block(n);
            }
        }
    }

    fn directive(&mut self, d: Directive) {
        match d {
            Directive::Attrs(m) => {
                let top = self.top();
                top.pending.get_or_insert_with(Map::new).extend(m);
            }
            Directive::EmptyParagraph => self.add_block(Node::new("paragraph")),
            Directive::BreakParagraph => {
                let br = vec![Node::new("hardBreak")];
                self.add_block(Node::with_content("paragraph", br));
            }
            Directive::Open(ty, attrs) => self.open_generic(&ty, attrs),
            Directive::Close(ty) => self.close_html(&ty),
            Directive::DetailsOpen(open) => {
                let mut attrs = Map::new();
                if open {
                    attrs.insert("open".into(), Value::Bool(true));
                }
                self.open_generic("details", attrs);
            }
            Directive::DetailsClose => self.close_html("details"),
            Directive::Summary(s) => {
                let content = parse_inline_fragment(&s);
                let top = self.top();
                if top.node.ty == "details" && top.origin == Origin::Html && top.summary.is_none() {
                    top.summary = Some(content);
                } else {
                    self.add_block(Node::with_content("paragraph", content));
                }
            }
        }
    }

    fn open_generic(&mut self, ty: &str, attrs: Map<String, Value>) {
        let known = super::schema::node_attrs(ty).is_some();
        if !known || super::schema::is_inline(ty) || ty == "doc" {
            return;
        }
        let mut node = Node {
            attrs,
            ..Node::new(ty)
        };
        if super::schema::is_block_atom(ty) {
            return self.add_block(node);
        }
        if let Some(pending) = self.top().pending.take() {
            apply_pending(&mut node, pending);
        }
        self.push_frame(Frame::new(node, Origin::Html));
    }

    fn close_html(&mut self, ty: &str) {
        let found = self
            .stack
            .iter()
            .rev()
            .take_while(|f| f.origin != Origin::Markdown)
            .position(|f| f.origin == Origin::Html && f.node.ty == ty);
        if let Some(depth) = found {
            for _ in 0..=depth {
                self.pop();
            }
        }
    }
}

fn mark(ty: &str) -> Mark {
    Mark {
        ty: ty.into(),
        attrs: Map::new(),
    }
}

fn pop_mark(marks: &mut Vec<Mark>, ty: &str) {
    if let Some(i) = marks.iter().rposition(|m| m.ty == ty) {
        marks.remove(i);
    }
}

fn container_frame(tag: Tag) -> Frame {
    let ty = match &tag {
        Tag::BlockQuote(_) => "blockquote",
        Tag::List(_) => "list",
        Tag::Item => "listItem",
        Tag::Table(_) => "table",
        Tag::TableHead => "tableHead",
        Tag::TableRow => "tableRow",
        _ => "unwrap",
    };
    let mut frame = Frame::new(Node::new(ty), Origin::Markdown);
    match tag {
        Tag::List(Some(start)) => {
            frame.node.attrs.insert("start".into(), Value::from(start));
            frame.node.attrs.insert("ordered".into(), Value::Bool(true));
        }
        Tag::Table(aligns) => {
            frame.alignments = aligns
                .iter()
                .map(|a| match a {
                    pulldown_cmark::Alignment::Left => Some("left"),
                    pulldown_cmark::Alignment::Center => Some("center"),
                    pulldown_cmark::Alignment::Right => Some("right"),
                    pulldown_cmark::Alignment::None => None,
                })
                .collect();
        }
        _ => {}
    }
    frame
}

/// A Markdown list becomes runs of Docmost lists: task items make a
/// `taskList`, others a bullet or ordered list.
fn split_list(list: Node) -> Vec<Node> {
    let ordered = list.attrs.contains_key("ordered");
    let first = list.attr("start").as_u64().unwrap_or(1);
    let mut out: Vec<Node> = Vec::new();
    for (start, item) in (first..).zip(list.content) {
        let ty = if item.ty == "taskItem" {
            "taskList"
        } else if ordered {
            "orderedList"
        } else {
            "bulletList"
        };
        match out.last_mut() {
            Some(last) if last.ty == ty => last.content.push(item),
            _ => {
                let mut l = Node::with_content(ty, vec![item]);
                if ty == "orderedList" {
                    l.attrs.insert("start".into(), Value::from(start));
                }
                out.push(l);
            }
        }
    }
    out
}

fn apply_alignments(table: &mut Node, aligns: &[Option<&'static str>]) {
    for row in &mut table.content {
        for (cell, align) in row.content.iter_mut().zip(aligns) {
            if let Some(a) = align {
                cell.attrs
                    .insert("align".into(), Value::String(a.to_string()));
            }
        }
    }
}

/// Attributes from a preceding comment. Values the Markdown itself shows
/// win unless they are empty; `node` retypes an image or code block;
/// `cells` spreads over a table's cells.
fn apply_pending(node: &mut Node, mut pending: Map<String, Value>) {
    if let Some(Value::String(ty)) = pending.remove("node") {
        let retype = matches!(
            (node.ty.as_str(), ty.as_str()),
            ("image", "drawio" | "excalidraw") | ("mathBlock", "codeBlock")
        );
        if retype && node.ty == "mathBlock" {
            let text = node.str_attr("text").unwrap_or("").to_string();
            node.attrs.remove("text");
            if !text.is_empty() {
                node.content = vec![Node::text(&text, Vec::new())];
            }
            node.attrs
                .insert("language".into(), Value::String("math".into()));
        }
        if retype {
            node.ty = ty;
        }
    }
    if let Some(Value::Array(rows)) = pending.remove("cells") {
        if node.ty == "table" {
            apply_cells(node, &rows);
        }
    }
    if node.ty == "codeBlock" {
        if let Some(Value::String(exact)) = pending.remove("text") {
            exact_code_text(node, exact);
        }
    }
    let defaults = super::schema::node_attrs(&node.ty).unwrap_or_default();
    for (k, v) in pending {
        let shown = node.attrs.get(&k);
        // A shown default is no statement either: the Markdown shows the
        // default where it cannot show the value (an ordered list starting
        // past 999999999 is numbered from 1).
        let is_default = |s: &Value| defaults.iter().any(|(d, dv)| *d == k && dv.is(s));
        let shown_empty = shown
            .is_none_or(|s| s.is_null() || *s == Value::String(String::new()) || is_default(s));
        let same_but_newlines = matches!((shown, &v), (Some(Value::String(s)), Value::String(exact))
            if *s == unix_newlines(exact));
        if shown_empty || same_but_newlines {
            node.attrs.insert(k, v);
        }
    }
}

/// A code block's exact text from its comment (it holds `\r`), unless the
/// fence was edited since: then the fence wins.
fn exact_code_text(node: &mut Node, exact: String) {
    let shown: String = node.content.iter().map(|c| c.text.as_str()).collect();
    if shown == unix_newlines(&exact) && !exact.is_empty() {
        node.content = vec![Node::text(&exact, Vec::new())];
    }
}

fn apply_cells(table: &mut Node, rows: &[Value]) {
    for (row, metas) in table.content.iter_mut().zip(rows) {
        let Some(metas) = metas.as_array() else {
            continue;
        };
        for (cell, meta) in row.content.iter_mut().zip(metas) {
            let Some(meta) = meta.as_object() else {
                continue;
            };
            for (k, v) in meta {
                match (k.as_str(), v.as_bool()) {
                    ("header", Some(true)) => cell.ty = "tableHeader".into(),
                    ("header", Some(false)) => cell.ty = "tableCell".into(),
                    _ => {
                        cell.attrs.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
}

/// Removes a leading `[!type]` line, returning the callout type.
fn strip_callout_marker(items: &mut Vec<Node>) -> Option<String> {
    let first = items.first()?;
    if first.ty != "text" || !first.marks.is_empty() {
        return None;
    }
    let text = first.text.clone();
    let close = text.find(']')?;
    let ty = callout_type(&text[2..close])?;
    let rest = &text[close + 1..];
    let line_ends = rest.is_empty()
        && items
            .get(1)
            .is_none_or(|n| n.ty == "softBreak" || n.ty == "hardBreak");
    if !line_ends {
        return None;
    }
    items.remove(0);
    if !items.is_empty() {
        items.remove(0);
    }
    Some(ty)
}

/// Docmost callout types, and GitHub alert names mapped onto them.
fn callout_type(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let ty = match lower.as_str() {
        "default" | "info" | "note" | "success" | "warning" | "danger" => lower.as_str(),
        "tip" => "success",
        "important" => "info",
        "caution" => "danger",
        _ => return None,
    };
    Some(ty.to_string())
}

/// Inline items → inline nodes; soft breaks read as spaces, images as
/// their alt text.
fn inline_only(items: Vec<Node>) -> Vec<Node> {
    let mut out = Vec::new();
    for item in items {
        match item.ty.as_str() {
            "softBreak" => push_merged(&mut out, Node::text(" ", item.marks)),
            "image" => {
                let alt = item.str_attr("alt").unwrap_or("").to_string();
                push_merged(&mut out, Node::text(&alt, item.marks));
            }
            _ => push_merged(&mut out, item),
        }
    }
    out
}

/// Images are blocks in Docmost: a paragraph holding images splits around
/// them, dropping whitespace-only pieces between.
fn split_images(template: Node, items: Vec<Node>) -> Vec<Node> {
    let mut blocks = Vec::new();
    let mut run: Vec<Node> = Vec::new();
    let flush = |run: &mut Vec<Node>, blocks: &mut Vec<Node>, last: bool| {
        let blank = run
            .iter()
            .all(|n| n.ty == "softBreak" || (n.ty == "text" && n.text.trim().is_empty()));
        if !blank || (last && blocks.is_empty()) {
            let mut p = template.clone();
            p.ty = "paragraph".into();
            p.content = inline_only(std::mem::take(run));
            blocks.push(p);
        }
        run.clear();
    };
    for item in items {
        if item.ty == "image" {
            flush(&mut run, &mut blocks, false);
            let mut img = item;
            img.marks.clear();
            blocks.push(img);
        } else {
            run.push(item);
        }
    }
    flush(&mut run, &mut blocks, true);
    blocks
}

fn atom_from_carrier(carried: &Map<String, Value>) -> Option<Node> {
    let ty = carried.get("node")?.as_str()?;
    if !super::schema::is_inline(ty) || ty == "text" {
        return None;
    }
    let mut node = Node::new(ty);
    for (k, v) in carried {
        match k.as_str() {
            "node" => {}
            "text" if ty == "footnoteReference" => {
                if let Some(t) = v.as_str() {
                    node.content.push(Node::text(t, Vec::new()));
                }
            }
            _ => {
                node.attrs.insert(k.clone(), v.clone());
            }
        }
    }
    Some(node)
}

fn tag_mark(tag: &html::Tag, carried: Option<Map<String, Value>>) -> Option<Mark> {
    let ty = match tag.name.as_str() {
        "strong" | "b" => "bold",
        "em" | "i" => "italic",
        "s" | "del" | "strike" => "strike",
        "u" | "ins" => "underline",
        "mark" => "highlight",
        "sub" => "subscript",
        "sup" => "superscript",
        "code" => "code",
        "a" => "link",
        "span" => {
            let mut attrs = carried?;
            let ty = attrs.remove("mark")?.as_str()?.to_string();
            return Some(Mark { ty, attrs });
        }
        _ => return None,
    };
    let mut m = mark(ty);
    if let Some(attrs) = carried {
        m.attrs = attrs;
    }
    if ty == "link" {
        // Written only when set, so `href=""` is an empty href, not none.
        if let Some(href) = tag.attr("href") {
            m.attrs
                .insert("href".into(), Value::String(href.to_string()));
        }
    }
    Some(m)
}

/// The inline content of a one-line fragment such as a `<summary>`.
fn parse_inline_fragment(s: &str) -> Vec<Node> {
    // Alone, `<br>` would be an HTML block (an empty paragraph); in a
    // one-line fragment it is the line break it says. Only spaces and tabs
    // may surround it: other whitespace (a no-break space) is text.
    if matches!(
        html::directive(s.trim_ascii()),
        Some(Directive::EmptyParagraph)
    ) && s.trim_ascii() == s.trim()
    {
        return vec![Node::new("hardBreak")];
    }
    match &parse_blocks(s)[..] {
        [] => Vec::new(),
        [p] if p.ty == "paragraph" => p.content.clone(),
        _ => vec![Node::text(s, Vec::new())],
    }
}
