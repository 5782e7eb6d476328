//! Issue 4: Markdown people write, whatever it is, converts without
//! panicking, and after one normalizing pass `m1 = md(pm(s))` is a fixed
//! point: `md(pm(m1)) == m1`.

mod convert_support;

use convert_support::normalization_problem;
use proptest::prelude::*;

/// Fragments of Markdown syntax, CommonMark and GFM, plus the gitsync
/// carriers, so random strings are mostly near-Markdown rather than noise.
const SYNTAX: &[&str] = &[
    "\n",
    "\n\n",
    "\n",
    " ",
    "  ",
    "    ",
    "\t",
    "\r\n",
    "# ",
    "## ",
    "###### ",
    "> ",
    ">",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "2) ",
    "10. ",
    "- [ ] ",
    "- [x] ",
    "[ ]",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "~",
    "`",
    "``",
    "```",
    "~~~",
    "```rust\n",
    "$",
    "$$",
    "\\",
    "\\\n",
    "  \n",
    "[",
    "]",
    "(",
    ")",
    "[a](b)",
    "[a]: /u \"t\"\n",
    "![i](s.png)",
    "<",
    ">",
    "<https://x.io>",
    "www.x.io",
    "|",
    "| a | b |\n",
    "|---|:-:|\n",
    "---",
    "***",
    "===",
    "<br>",
    "<p><br></p>",
    "<b>",
    "</b>",
    "<u>",
    "</u>",
    "<span>",
    "</span>",
    "<details>\n",
    "</details>\n",
    "<summary>s</summary>\n",
    "<!-- gitsync {\"textAlign\":\"center\"} -->\n",
    "<!-- gitsync:columns -->\n",
    "<!-- gitsync:column -->\n",
    "<!-- /gitsync:column -->\n",
    "<!-- /gitsync:columns -->\n",
    "<!-- gitsync:subpages -->\n",
    "<span data-gitsync='{\"node\":\"mention\",\"label\":\"x\"}'>",
    "<mark data-gitsync='{\"color\":\"red\"}'>",
    "</mark>",
    "<!--",
    "-->",
    "&amp;",
    "&#32;",
    "&#10;",
    "&nbsp;",
    "&",
    "[^1]",
    "[^1]: n\n",
    "> [!note]\n",
    "> [!warning]\n",
    "a",
    "b",
    "word",
    "é",
    "中",
    "😀",
    "\u{a0}",
    "\u{b}",
    "\u{c}",
    "\u{0}",
    "0",
    "9",
];

fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SYNTAX), 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(convert_support::proptest_config())]

    #[test]
    fn convert_markdownish_text_normalizes_in_one_pass(s in markdownish()) {
        if let Some(problem) = normalization_problem(&s) {
            prop_assert!(false, "{}", problem);
        }
    }

    #[test]
    fn convert_arbitrary_text_normalizes_in_one_pass(s in any::<String>()) {
        if let Some(problem) = normalization_problem(&s) {
            prop_assert!(false, "{}", problem);
        }
    }
}
