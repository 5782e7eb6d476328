//! Every node and mark of `editor-schema.md`, with non-default attributes,
//! survives the round trip.

#![recursion_limit = "512"]

use gitsync_engine::convert::{canonical_eq, from_markdown, to_markdown};
use serde_json::{json, Value};

fn p(text: &str) -> Value {
    json!({"type": "paragraph", "content": [{"type": "text", "text": text}]})
}

fn t(text: &str, marks: Value) -> Value {
    json!({"type": "text", "text": text, "marks": marks})
}

fn check(doc: &Value) {
    let md1 = to_markdown(doc).expect("writes");
    let doc2 = from_markdown(&md1);
    let md2 = to_markdown(&doc2).expect("writes again");
    assert_eq!(md2, md1);
    assert!(canonical_eq(&doc2, doc), "changed:\n{md1}\n{doc2:#}");
}

#[test]
fn convert_every_inline_kind() {
    let marks = json!([
        {"type": "link", "attrs": {"href": "/s/x/p/y", "internal": true, "title": "T \"q\""}},
        {"type": "underline"},
    ]);
    check(&json!({"type": "doc", "content": [
        {"type": "paragraph", "attrs": {"textAlign": "center", "indent": 2, "dir": "rtl"}, "content": [
            t("  lead *x* _y_ #1 <b> & &amp; [a](b) ` ~ | $5 $6 \\ ", json!([])),
            t("hl", json!([{"type": "highlight", "attrs": {"color": "#ff0", "colorName": "yellow"}}])),
            t("link", marks),
            t("sub", json!([{"type": "subscript"}])),
            t("sup", json!([{"type": "superscript"}, {"type": "bold"}])),
            t("c", json!([{"type": "comment", "attrs": {"commentId": "c1", "resolved": true}}])),
            {"type": "mathInline", "attrs": {"text": "x^2"}},
            {"type": "mathInline", "attrs": {"text": " a$b "}},
            {"type": "status", "attrs": {"text": "Done", "color": "green"}},
            {"type": "mention", "attrs": {"label": "P", "entityType": "page", "anchorId": "a"}},
            {"type": "hardBreak"},
            t("1. not a list", json!([])),
            {"type": "hardBreak"},
            t("- nor this ", json!([{"type": "italic"}])),
            t("code `x`", json!([{"type": "code"}])),
            t("(punct)", json!([{"type": "bold"}])),
            t("after", json!([])),
            {"type": "hardBreak"}
        ]},
        {"type": "paragraph"},
        {"type": "paragraph", "content": [{"type": "hardBreak"}, t("x", json!([]))]},
        {"type": "heading", "attrs": {"level": 4, "textAlign": "right"}, "content": [
            t("C# #", json!([])), {"type": "hardBreak"}, t("two", json!([{"type": "strike"}]))]},
        {"type": "paragraph", "content": [t("x", json!([])), {"type": "footnoteReference",
            "attrs": {"data-id": "f1", "referenceNumber": 1}, "content": [{"type": "text", "text": "1"}]}]},
        {"type": "footnotes", "content": [{"type": "footnote", "attrs": {"id": "f1", "data-id": "f1"},
            "content": [p("note")]}]}
    ]}));
}

#[test]
fn convert_every_block_kind() {
    let cell = |ty: &str, attrs: Value, text: &str| json!({"type": ty, "attrs": attrs, "content": [p(text)]});
    check(&json!({"type": "doc", "content": [
        {"type": "heading", "attrs": {"level": 6, "id": "abc"}, "content": []},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [{"type": "paragraph"}]}]},
        {"type": "bulletList", "content": [{"type": "listItem", "content": [p("second list"),
            {"type": "codeBlock", "content": [{"type": "text", "text": "````\n"}]}]}]},
        {"type": "taskList", "content": [{"type": "taskItem", "attrs": {"checked": true}, "content": [p("t")]}]},
        {"type": "orderedList", "attrs": {"start": 0, "type": "a"}, "content": [
            {"type": "listItem", "content": [{"type": "paragraph"}, p("after empty")]}]},
        {"type": "orderedList", "content": [{"type": "listItem", "content": [p("next")]}]},
        {"type": "codeBlock", "attrs": {"language": "math"}, "content": [{"type": "text", "text": "not math"}]},
        {"type": "mathBlock", "attrs": {"text": "\\int x\n\ndx"}},
        {"type": "callout", "attrs": {"type": "success", "icon": "🎉"}, "content": [
            {"type": "bulletList", "content": [{"type": "listItem", "content": [p("in callout")]}]}]},
        {"type": "callout", "attrs": {"type": "default"}, "content": [{"type": "paragraph"}]},
        {"type": "blockquote", "content": [p("[!note] escaped")]},
        {"type": "details", "attrs": {"open": true}, "content": [
            {"type": "detailsSummary", "content": [t("sum", json!([{"type": "bold"}]))]},
            {"type": "detailsContent", "content": []}]},
        {"type": "image", "attrs": {"src": "a b(1).png", "alt": "A [x]", "width": "50%", "align": "left", "attachmentId": "i1"}},
        {"type": "image", "attrs": {"src": "", "alt": ""}},
        {"type": "drawio", "attrs": {"src": "/d.drawio", "title": "Flow", "width": 300}},
        {"type": "video", "attrs": {"src": "/v.mp4", "width": 640}},
        {"type": "audio", "attrs": {"src": "/a.mp3"}},
        {"type": "pdf", "attrs": {"src": "/f.pdf", "name": "f.pdf"}},
        {"type": "attachment", "attrs": {"url": "/f.zip", "name": "f.zip", "mime": "application/zip"}},
        {"type": "embed", "attrs": {"src": "https://x", "provider": "loom"}},
        {"type": "youtube", "attrs": {"src": "https://youtu.be/x", "start": 5}},
        {"type": "subpages"},
        {"type": "pageBreak"},
        {"type": "horizontalRule"},
        {"type": "transclusionReference", "attrs": {"sourcePageId": "p", "transclusionId": "t"}},
        {"type": "base", "attrs": {"pageId": "b"}},
        {"type": "transclusionSource", "attrs": {"id": "ts"}, "content": [p("shared")]},
        {"type": "columns", "attrs": {"layout": "three_equal"}, "content": [
            {"type": "column", "attrs": {"width": 2}, "content": [p("left")]},
            {"type": "column", "content": [{"type": "table", "content": [
                {"type": "tableRow", "content": [cell("tableHeader", json!({"colspan": 2}), "wide")]},
                {"type": "tableRow", "content": [cell("tableCell", json!({}), "a"), cell("tableCell", json!({}), "b")]}
            ]}]}]},
        {"type": "table", "content": [
            {"type": "tableRow", "content": [cell("tableCell", json!({"colwidth": [120], "align": "center"}), "no header"),
                cell("tableCell", json!({"backgroundColor": "#eee"}), "x | y")]},
            {"type": "tableRow", "content": [cell("tableHeader", json!({"align": "center"}), "h"),
                cell("tableCell", json!({}), "")]}
        ]},
        {"type": "paragraph", "content": [t("end", json!([]))]}
    ]}));
}
