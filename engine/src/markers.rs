//! Conflict markers in page bodies (SPEC §6 "Push"): a body a user
//! committed with unresolved markers must not reach the DB. Markers inside
//! fenced code are content (a tutorial about git may show them).

const OPEN: &str = "<<<<<<<";
const BASE: &str = "|||||||";
const SPLIT: &str = "=======";
const CLOSE: &str = ">>>>>>>";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    Text,
    Open,
    Base,
    Split,
    Close,
}

/// Classifies each line, treating everything inside a fenced code block
/// (``` or ~~~, closed by a fence of the same character at least as long)
/// as text.
fn classify(body: &str) -> Vec<(&str, Line)> {
    let mut fence: Option<(char, usize)> = None;
    body.split('\n')
        .map(|line| {
            let trimmed = line.trim_start_matches(' ');
            let indent_ok = line.len() - trimmed.len() <= 3;
            if let Some(run) = fence_run(trimmed).filter(|_| indent_ok) {
                match fence {
                    None => fence = Some(run),
                    Some((c, n)) if run.0 == c && run.1 >= n && is_bare_fence(trimmed) => {
                        fence = None
                    }
                    Some(_) => {}
                }
                return (line, Line::Text);
            }
            if fence.is_some() {
                return (line, Line::Text);
            }
            (line, marker_kind(line))
        })
        .collect()
}

/// The fence character and length a line opens with, if it is a fence.
fn fence_run(line: &str) -> Option<(char, usize)> {
    let c = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// A closing fence carries nothing after its run but spaces.
fn is_bare_fence(line: &str) -> bool {
    line.trim_end()
        .chars()
        .all(|c| c == line.chars().next().unwrap_or('`'))
}

fn marker_kind(line: &str) -> Line {
    let starts = |m: &str| line == m || line.starts_with(&format!("{m} "));
    if starts(OPEN) {
        Line::Open
    } else if starts(BASE) {
        Line::Base
    } else if line.trim_end() == SPLIT {
        Line::Split
    } else if starts(CLOSE) {
        Line::Close
    } else {
        Line::Text
    }
}

/// True when the body holds an opening and a closing conflict marker
/// outside fenced code.
pub fn has_conflict_markers(body: &str) -> bool {
    let kinds: Vec<Line> = classify(body).into_iter().map(|(_, k)| k).collect();
    kinds.contains(&Line::Open) && kinds.contains(&Line::Close)
}

/// Resolves every conflict by keeping both sides (ours, then theirs) and
/// dropping the marker lines and any diff3 base section.
pub fn strip_conflict_markers(body: &str) -> String {
    let mut out = Vec::new();
    let mut in_conflict = false;
    let mut in_base = false;
    for (line, kind) in classify(body) {
        match kind {
            Line::Open => (in_conflict, in_base) = (true, false),
            Line::Base if in_conflict => in_base = true,
            Line::Split if in_conflict => in_base = false,
            Line::Close if in_conflict => in_conflict = false,
            _ if in_base => {}
            _ => out.push(line),
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFLICT: &str = "a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\nz";

    #[test]
    fn markers_are_found_outside_code_only() {
        assert!(has_conflict_markers(CONFLICT));
        let fenced = format!("```text\n{CONFLICT}\n```\n");
        assert!(!has_conflict_markers(&fenced));
        let tilde = format!("~~~~\n{CONFLICT}\n~~~\nstill code\n~~~~\n");
        assert!(!has_conflict_markers(&tilde));
        assert!(!has_conflict_markers("a\n=======\nb"), "a setext underline");
        assert!(!has_conflict_markers("<<<<<<<<< not a marker\n>>>>>>>>>"));
    }

    #[test]
    fn stripping_keeps_both_sides() {
        assert_eq!(strip_conflict_markers(CONFLICT), "a\nours\ntheirs\nz");
        let diff3 = "<<<<<<< a\nx\n||||||| base\nold\n=======\ny\n>>>>>>> b";
        assert_eq!(strip_conflict_markers(diff3), "x\ny");
        let fenced = format!("```\n{CONFLICT}\n```");
        assert_eq!(strip_conflict_markers(&fenced), fenced);
    }
}
