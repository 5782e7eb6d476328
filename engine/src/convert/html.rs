//! The HTML carriers for what plain Markdown cannot say: block comments
//! `<!-- gitsync... -->`, and `data-gitsync` JSON on inline tags. Their JSON
//! is written with sorted keys so the output never depends on map order.

use serde_json::{Map, Value};

/// Compact JSON with object keys sorted and `'` escaped, so it can sit in a
/// single-quoted HTML attribute and in a one-line comment.
pub fn json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(&Value::String(k.clone()), out);
                out.push(':');
                write_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::String(s) => {
            let quoted = Value::String(s.clone()).to_string();
            // `-->` would end the comment early, `'` the attribute, and `&`
            // could read as an entity.
            let safe = quoted
                .replace('\'', "\\u0027")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026");
            out.push_str(&safe);
        }
        other => out.push_str(&other.to_string()),
    }
}

pub fn parse_object(s: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// Extra attributes for the block that follows.
pub fn attrs_comment(attrs: &Map<String, Value>) -> String {
    format!("<!-- gitsync {} -->", json(&Value::Object(attrs.clone())))
}

/// Opens a container node, or stands for a whole leaf node.
pub fn open_comment(ty: &str, attrs: &Map<String, Value>) -> String {
    if attrs.is_empty() {
        format!("<!-- gitsync:{ty} -->")
    } else {
        format!(
            "<!-- gitsync:{ty} {} -->",
            json(&Value::Object(attrs.clone()))
        )
    }
}

pub fn close_comment(ty: &str) -> String {
    format!("<!-- /gitsync:{ty} -->")
}

/// One line of an HTML block, understood.
pub enum Directive {
    Attrs(Map<String, Value>),
    Open(String, Map<String, Value>),
    Close(String),
    DetailsOpen(bool),
    DetailsClose,
    Summary(String),
    EmptyParagraph,
    /// A paragraph holding one hard break.
    BreakParagraph,
}

pub fn directive(line: &str) -> Option<Directive> {
    let line = line.trim();
    if let Some(body) = line
        .strip_prefix("<!--")
        .and_then(|l| l.strip_suffix("-->"))
    {
        return comment_directive(body.trim());
    }
    match line.to_ascii_lowercase().as_str() {
        "<br>" | "<br/>" | "<br />" => return Some(Directive::EmptyParagraph),
        "<p><br></p>" => return Some(Directive::BreakParagraph),
        "<details>" => return Some(Directive::DetailsOpen(false)),
        "<details open>" => return Some(Directive::DetailsOpen(true)),
        "</details>" => return Some(Directive::DetailsClose),
        _ => {}
    }
    let summary = line.strip_prefix("<summary>")?.strip_suffix("</summary>")?;
    Some(Directive::Summary(summary.to_string()))
}

fn comment_directive(body: &str) -> Option<Directive> {
    if let Some(rest) = body.strip_prefix("/gitsync:") {
        return Some(Directive::Close(rest.trim().to_string()));
    }
    let rest = body.strip_prefix("gitsync")?;
    if let Some(json) = rest.strip_prefix(' ') {
        if json.trim_start().starts_with('{') {
            return parse_object(json.trim()).map(Directive::Attrs);
        }
    }
    let rest = rest.strip_prefix(':')?;
    let (ty, json) = rest.split_once(' ').unwrap_or((rest, ""));
    let attrs = if json.trim().is_empty() {
        Map::new()
    } else {
        parse_object(json.trim())?
    };
    Some(Directive::Open(ty.to_string(), attrs))
}

/// An inline HTML tag as the reader sees it.
pub struct Tag {
    pub name: String,
    pub closing: bool,
    pub attrs: Vec<(String, String)>,
}

/// Parses one complete tag such as `<a href="x" data-gitsync='{..}'>`.
/// Attribute values are taken verbatim except the entities [`quote_attr`]
/// writes.
pub fn parse_tag(s: &str) -> Option<Tag> {
    let inner = s.strip_prefix('<')?.strip_suffix('>')?;
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_end = inner
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    if name.is_empty() {
        return None;
    }
    let mut rest = inner[name_end..].trim_start();
    let mut attrs = Vec::new();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let quote = after.chars().next()?;
            if quote == '"' || quote == '\'' {
                let end = after[1..].find(quote)? + 1;
                value = unquote_attr(&after[1..end]);
                rest = after[end + 1..].trim_start();
            } else {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                value = after[..end].to_string();
                rest = after[end..].trim_start();
            }
        }
        attrs.push((key, value));
    }
    Some(Tag {
        name,
        closing,
        attrs,
    })
}

impl Tag {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn gitsync(&self) -> Option<Map<String, Value>> {
        self.attr("data-gitsync").and_then(parse_object)
    }
}

/// An attribute value for a double-quoted HTML attribute.
/// Line ends are encoded too: a raw one inside a tag at the start of a line
/// would end an HTML block halfway through the tag.
pub fn quote_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match ENTITIES.iter().find(|(ch, _)| *ch == c) {
            Some((_, entity)) => out.push_str(entity),
            None => out.push(c),
        }
    }
    out
}

const ENTITIES: [(char, &str); 4] = [
    ('&', "&amp;"),
    ('"', "&quot;"),
    ('\n', "&#10;"),
    ('\r', "&#13;"),
];

/// The inverse of [`quote_attr`], in one pass so `&amp;quot;` stays
/// `&quot;`.
fn unquote_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match ENTITIES.iter().find(|(_, e)| rest.starts_with(e)) {
            Some((c, e)) => {
                out.push(*c);
                rest = &rest[e.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
