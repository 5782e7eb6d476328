//! The page file format (SPEC §5): a frontmatter block naming the page,
//! then the Markdown body. Byte-compatible with gitmost vaults.

use crate::model::is_uuid;

const ID_KEY: &str = "gitmost_id:";
const FENCE: &str = "---";

/// A page file as read from the vault.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageFile {
    /// The `gitmost_id` as written (quotes stripped), not yet validated.
    pub id: Option<String>,
    /// Frontmatter lines other than the id, kept verbatim so a write-back
    /// does not lose what a user put there.
    pub extra_frontmatter: Vec<String>,
    /// The Markdown body, trimmed.
    pub body: String,
}

/// The exact bytes of a page file.
pub fn render(id: &str, extra_frontmatter: &[String], body: &str) -> String {
    let mut out = format!("{FENCE}\n{ID_KEY} {id}\n");
    for line in extra_frontmatter {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(FENCE);
    out.push_str("\n\n");
    out.push_str(body.trim());
    out.push('\n');
    out
}

/// Reads any text as a page file; text without a frontmatter block is all
/// body and names no page.
pub fn parse(text: &str) -> PageFile {
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let Some((block, body)) = split_frontmatter(&text) else {
        return PageFile {
            id: None,
            extra_frontmatter: Vec::new(),
            body: text.trim().to_string(),
        };
    };
    let mut id = None;
    let mut extra_frontmatter = Vec::new();
    for line in block.lines() {
        match line.strip_prefix(ID_KEY) {
            Some(value) if id.is_none() => id = Some(unquote(value.trim()).to_string()),
            _ => extra_frontmatter.push(line.to_string()),
        }
    }
    PageFile {
        id: id.filter(|v| !v.is_empty()),
        extra_frontmatter,
        body: body.trim().to_string(),
    }
}

/// The page a file's bytes claim: its `gitmost_id`, lowercased. Bytes that
/// are not UTF-8, name no id or a malformed one claim nothing.
pub fn claimed_id(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    parse(text)
        .id
        .map(|id| id.to_ascii_lowercase())
        .filter(|id| is_uuid(id))
}

/// `(frontmatter, body)` when the text opens with a closed `---` block.
fn split_frontmatter(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("---\n")?;
    if let Some(body) = rest.strip_prefix("---\n") {
        return Some(("", body));
    }
    if rest == FENCE {
        return Some(("", ""));
    }
    let end = rest.find("\n---\n").map(|at| (at, at + 5)).or_else(|| {
        rest.strip_suffix("\n---")
            .map(|block| (block.len(), rest.len()))
    })?;
    Some((&rest[..end.0], &rest[end.1..]))
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// Whether a vault path holds a page: a `.md` file, no part of its path
/// hidden (dot-folders such as `.github` are the user's own), nothing
/// absolute or climbing out.
pub fn is_page_path(path: &str) -> bool {
    path.ends_with(".md")
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && !segment.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190c0de-0000-7000-8000-00000000000a";

    #[test]
    fn render_is_byte_exact() {
        assert_eq!(
            render(ID, &[], "\n\n# Hi\n\ntext\n\n\n"),
            format!("---\ngitmost_id: {ID}\n---\n\n# Hi\n\ntext\n")
        );
    }

    #[test]
    fn parse_reads_back_what_render_wrote() {
        let extra = vec![
            "tags: [a, b]".to_string(),
            "aliases:".to_string(),
            "  - x".to_string(),
        ];
        let file = render(ID, &extra, "body");
        assert_eq!(
            parse(&file),
            PageFile {
                id: Some(ID.into()),
                extra_frontmatter: extra.clone(),
                body: "body".into()
            }
        );
        assert_eq!(render(ID, &parse(&file).extra_frontmatter, "body"), file);
    }

    #[test]
    fn parse_tolerates_crlf_bom_and_quotes() {
        let text = format!(
            "\u{feff}---\r\ntitle: x\r\ngitmost_id: \"{ID}\"\r\n---\r\n\r\nbody\r\nmore\r\n"
        );
        let file = parse(&text);
        assert_eq!(file.id.as_deref(), Some(ID));
        assert_eq!(file.extra_frontmatter, vec!["title: x"]);
        assert_eq!(file.body, "body\nmore");
        assert_eq!(
            parse(&format!("---\ngitmost_id: '{ID}'\n---\n"))
                .id
                .as_deref(),
            Some(ID)
        );
    }

    #[test]
    fn the_first_id_line_wins_and_later_ones_are_kept() {
        let file = parse(&format!("---\ngitmost_id: {ID}\ngitmost_id: other\n---\nx"));
        assert_eq!(file.id.as_deref(), Some(ID));
        assert_eq!(file.extra_frontmatter, vec!["gitmost_id: other"]);
    }

    #[test]
    fn text_without_a_closed_block_has_no_id() {
        assert_eq!(parse("# Just markdown\n").id, None);
        assert_eq!(parse("# Just markdown\n").body, "# Just markdown");
        let unclosed = format!("---\ngitmost_id: {ID}\nbody");
        assert_eq!(parse(&unclosed).id, None);
        assert_eq!(parse(&unclosed).body, unclosed.trim());
        assert_eq!(parse(&format!(" ---\ngitmost_id: {ID}\n---\n")).id, None);
        assert_eq!(parse("").id, None);
        assert_eq!(parse("---\n---\n").body, "");
        assert_eq!(parse("---\ngitmost_id:\n---\n").id, None);
    }

    #[test]
    fn a_thematic_break_in_the_body_is_body() {
        let file = parse(&format!(
            "---\ngitmost_id: {ID}\n---\n\nabove\n\n---\n\nbelow\n"
        ));
        assert_eq!(file.body, "above\n\n---\n\nbelow");
        assert_eq!(
            parse(&format!("---\ngitmost_id: {ID}\n---")).id.as_deref(),
            Some(ID)
        );
    }

    #[test]
    fn hostile_ids_are_returned_raw_for_the_caller_to_reject() {
        let file = parse("---\ngitmost_id: ../../etc/passwd\n---\n");
        assert_eq!(file.id.as_deref(), Some("../../etc/passwd"));
    }

    #[test]
    fn claimed_ids_are_canonical_uuids_only() {
        let upper = render(&ID.to_uppercase(), &[], "x");
        assert_eq!(claimed_id(upper.as_bytes()).as_deref(), Some(ID));
        assert_eq!(claimed_id(b"---\ngitmost_id: not-a-uuid\n---\n"), None);
        assert_eq!(claimed_id(b"no frontmatter"), None);
        assert_eq!(claimed_id(&[0xff, 0xfe, b'-', b'-', b'-']), None);
    }

    #[test]
    fn page_paths() {
        for good in ["A.md", "B/B.md", "deep/er/x y ~abc.md", "_...md"] {
            assert!(is_page_path(good), "{good}");
        }
        for bad in [
            ".md",
            ".github/README.md",
            "a/.hidden/x.md",
            "a/../b.md",
            "/abs.md",
            "a//b.md",
            "A.MD",
            "notes.txt",
            "A.md/",
        ] {
            assert!(!is_page_path(bad), "{bad}");
        }
    }
}
