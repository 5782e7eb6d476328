//! Markdown written by people: any text converts without panicking, and
//! after one normalizing pass the Markdown is a fixed point.

use gitsync_engine::convert::{
    canonical_eq, export_body, from_markdown, text_content, to_markdown,
};
use serde_json::json;

fn stability_problem(input: &str) -> Option<String> {
    let doc1 = from_markdown(input);
    let m1 = to_markdown(&doc1).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let doc2 = from_markdown(&m1);
    let m2 = to_markdown(&doc2).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    if m1 != m2 {
        return Some(format!("{input:?}: not stable\n--- m1\n{m1}\n--- m2\n{m2}"));
    }
    if !canonical_eq(&doc1, &doc2) {
        return Some(format!("{input:?}: documents differ\n{m1}\n{doc1}\n{doc2}"));
    }
    None
}

fn assert_stable(input: &str) {
    if let Some(problem) = stability_problem(input) {
        panic!("{problem}");
    }
}

const TRICKY: &[&str] = &[
    "",
    "<",
    "\0",
    "a\0b",
    "   ",
    "\n\n\n",
    "Title\n=====\n\nSub\n---\n",
    "> > > nested\n> > quote\n>\n> back",
    "[ref]\n\n[ref]: https://example.com \"T\"",
    "Text with a footnote[^1].\n\n[^1]: The note.",
    "<div align=\"center\">\n\n**hi**\n\n</div>",
    "<!-- a comment -->\n\nafter",
    "inline <b>bold</b> and <i>it</i> and <u>under <em>both</em></u> and <span>plain</span>",
    "unclosed <u>under and </mark> stray",
    "- a\n* b\n+ c\n1. d\n2) e",
    "- [ ] task\n- plain\n- [x] done\n\n1. [ ] ordered task",
    "-\n\n  text after empty item",
    "1.\n2.\n",
    "* * *\n___\n- - -",
    "```\nunclosed fence",
    "~~~py\nprint('~~~')\n~~~~",
    "    indented code\n\n\tand tab",
    "| a | b |\n|---|:-:|\n| 1 | 2 | 3 |\n| only |",
    "| x |\n|---|\n| `a|b` \\| c |",
    "![img](a.png \"t\") inline ![two](b.png) text",
    "[![badge](b.svg)](https://x)",
    "**bold *nested* ~~strike~~** `code` <https://auto.link> foo@bar.com",
    "$x^2$ and $$y$$ and $5 or $6",
    "\\*not emphasis\\* &amp; &copy; &#0; &#x1F600; &bogus;",
    "# heading #\n## ##\n###### six\n####### seven",
    "line  \nbreak\\\nbreak2",
    "> [!NOTE]\n> GitHub alert\n\n> [!tip]\n> Tip\n\n> [!unknown]\n> x",
    "> [!warning]\n\n> [!info]\n> - list first",
    "<details>\n<summary>S *em*</summary>\n\nbody\n\n</details>",
    "<details open>\n<summary>only</summary>\n\n<details>\n<summary>inner</summary>\n\nx\n\n",
    "</details>\n\n<!-- /gitsync:column -->\n\n<!-- gitsync:columns -->\n\ntext",
    "<!-- gitsync:columns {\"layout\":\"three\"} -->\n<!-- gitsync:column -->\n\n- a\n\n<!-- /gitsync:columns -->",
    "<!-- gitsync {\"textAlign\":\"center\",\"bogus\":1} -->\ncentered",
    "<!-- gitsync:fooBar {} -->\n\n<!-- gitsync:subpages -->",
    "<span data-gitsync='{\"node\":\"mention\",\"label\":\"X\"}'>@X <span>in</span></span> after",
    "<span data-gitsync='{\"mark\":\"nope\"}'>unknown mark</span>",
    "<code>**not bold**</code> <a href=\"x\">link</a> <mark data-gitsync='{\"color\":\"red\"}'>m</mark>",
    "**`code in bold`** [`code in link`](u)",
    "a\r\nb\r\n\r\nc",
    "trailing spaces   \n   leading spaces",
    "Setext with *emph*\n---\n\n    \n",
    "1) one\n\n\n2) two\n10. ten",
    "<br>\n\n<br/>\n\ntext<br>more",
    "&#32;space &#10; newline",
    "[link]( <a b> \"title\") [empty]() [](x)",
];

#[test]
fn convert_tricky_inputs_normalize_in_one_pass() {
    let problems: Vec<String> = TRICKY.iter().filter_map(|i| stability_problem(i)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn convert_deep_nesting_does_not_overflow() {
    assert_stable(&">".repeat(5000));
    assert_stable(&"- ".repeat(2000));
    assert_stable(&format!("{}x{}", "*".repeat(3000), "*".repeat(3000)));
    assert_stable(&"[".repeat(3000));
    assert_stable(&"<!-- gitsync:column -->\n\n".repeat(500));
}

#[test]
fn convert_output_is_schema_shaped() {
    let doc = from_markdown("- \n\n> \n\n| a |\n|---|\n| ![x](y) |\n");
    assert_eq!(doc["type"], "doc");
    let item = &doc["content"][0]["content"][0];
    assert_eq!(item["type"], "listItem");
    assert_eq!(item["content"][0]["type"], "paragraph");
    let quote = &doc["content"][1];
    assert_eq!(quote["content"][0]["type"], "paragraph");
}

#[test]
fn convert_unknown_types_are_errors_naming_them() {
    let doc = json!({"type": "doc", "content": [{"type": "fooBar"}]});
    let err = to_markdown(&doc).unwrap_err();
    assert!(err.to_string().contains("fooBar"), "{err}");
    let doc = json!({"type": "doc", "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "x", "marks": [{"type": "blink"}]}]}]});
    assert!(to_markdown(&doc).unwrap_err().to_string().contains("blink"));
    assert!(export_body(Some(&json!([1, 2]))).is_err());
    assert!(export_body(Some(&json!("not json"))).is_err());
}

#[test]
fn convert_export_body_edges() {
    assert_eq!(export_body(None).unwrap(), "");
    assert_eq!(export_body(Some(&json!(null))).unwrap(), "");
    assert_eq!(export_body(Some(&json!({"type": "doc"}))).unwrap(), "");
    let empty_para = json!({"type": "doc", "content": [{"type": "paragraph"}]});
    assert_eq!(export_body(Some(&empty_para)).unwrap(), "");
    let as_string = json!(
        r#"{"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"hi"}]}]}"#
    );
    assert_eq!(export_body(Some(&as_string)).unwrap(), "hi");
}

#[test]
fn convert_text_content_matches_docmost() {
    let doc = json!({"type": "doc", "content": [
        {"type": "heading", "attrs": {"level": 1}, "content": [{"type": "text", "text": "T"}]},
        {"type": "paragraph", "content": [
            {"type": "text", "text": "a"}, {"type": "hardBreak"},
            {"type": "mention", "attrs": {"label": "Bob"}}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "i"}]}]}]}
    ]});
    assert_eq!(text_content(&doc), "T\n\na\n@Bob\n\ni");
}
