//! Random documents of the shapes real pages mostly have (words, ordinary
//! punctuation, marks on words, lists, quotes, code, tables, images) round
//! trip. The writer skips its read-back check for such plain shapes when it
//! can tell statically that they read back, so this test aims at the edges
//! of that rule: punctuation next to marks, line-initial `-`/`+`/`=`/`1.`,
//! marks meeting at one point, code spans, edge spaces. The whole-schema
//! test (`convert_proptest_docs.rs`) mostly produces shapes that are
//! checked, this one mostly shapes that are not.

mod convert_support;

use convert_support::round_trip_problem;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{json, Value};

const PIECES: &[&str] = &[
    " ", " ", "  ", ",", ".", ";", ":", "!", "?", "'", "\"", "(", ")", "/", "%", "@", "-", "+",
    "=", "1.", "2)", "- ", "+ ", "= ", "--", "é", "中", "—", "…", "\u{a0}", "😀", "ß", "Ж",
];

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => "[a-zA-Z0-9]{1,5}",
        2 => prop::sample::select(PIECES).prop_map(str::to_string),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|v| v.concat())
}

fn url() -> impl Strategy<Value = String> {
    "(https://|/|#)[a-z0-9./?=%-]{0,10}"
}

fn mark() -> impl Strategy<Value = Value> {
    let simple = prop::sample::select(
        &[
            "bold",
            "italic",
            "strike",
            "underline",
            "subscript",
            "superscript",
        ][..],
    )
    .prop_map(|ty| json!({"type": ty}));
    let link = (url(), any::<bool>()).prop_map(|(href, internal)| {
        if internal {
            json!({"type": "link", "attrs": {"href": href, "internal": true}})
        } else {
            json!({"type": "link", "attrs": {"href": href}})
        }
    });
    let styled = prop::sample::select(&["highlight", "textStyle", "comment"][..]).prop_map(|ty| {
        let attrs = match ty {
            "highlight" => json!({"color": "#ff0"}),
            "textStyle" => json!({"color": "red"}),
            _ => json!({"commentId": "c-1"}),
        };
        json!({"type": ty, "attrs": attrs})
    });
    prop_oneof![6 => simple, 2 => link, 1 => styled]
}

/// One mark per type; `code` alone.
fn marks() -> impl Strategy<Value = Vec<Value>> {
    let code = Just(vec![json!({"type": "code"})]);
    let set = prop::collection::vec(mark(), 0..3).prop_map(|all| {
        let mut out: Vec<Value> = Vec::new();
        for m in all {
            if !out.iter().any(|o| o["type"] == m["type"]) {
                out.push(m);
            }
        }
        out
    });
    prop_oneof![1 => code, 5 => set]
}

fn inline_node() -> impl Strategy<Value = Value> {
    let text = (text(), marks()).prop_map(|(t, m)| {
        let mut n = json!({"type": "text", "text": t});
        if !m.is_empty() {
            n["marks"] = Value::Array(m);
        }
        n
    });
    let mention =
        "[a-zA-Z]{1,6}".prop_map(|l| json!({"type": "mention", "attrs": {"label": l, "id": "u1"}}));
    prop_oneof![
        8 => text,
        1 => Just(json!({"type": "hardBreak"})),
        1 => mention,
    ]
}

fn inline() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(inline_node(), 1..6)
}

fn paragraph() -> impl Strategy<Value = Value> {
    (inline(), prop::option::weighted(0.1, Just("center"))).prop_map(|(c, align)| match align {
        Some(a) => json!({"type": "paragraph", "attrs": {"textAlign": a}, "content": c}),
        None => json!({"type": "paragraph", "content": c}),
    })
}

fn heading() -> impl Strategy<Value = Value> {
    (1..=6u32, inline())
        .prop_map(|(l, c)| json!({"type": "heading", "attrs": {"level": l}, "content": c}))
}

fn code_block() -> impl Strategy<Value = Value> {
    let piece = prop_oneof![
        3 => "[a-z ]{1,6}",
        1 => prop::sample::select(&["\n", "\t", "`", "```", "  ", "\n\n"][..]).prop_map(str::to_string),
    ];
    (
        prop::collection::vec(piece, 0..5).prop_map(|v| v.concat()),
        prop::option::of(prop::sample::select(&["rust", "c++", "sh"][..])),
    )
        .prop_map(|(t, lang)| {
            let mut n = json!({"type": "codeBlock"});
            if let Some(l) = lang {
                n["attrs"] = json!({"language": l});
            }
            if !t.is_empty() {
                n["content"] = json!([{"type": "text", "text": t}]);
            }
            n
        })
}

fn image() -> impl Strategy<Value = Value> {
    (
        url(),
        prop::option::of("[a-zA-Z ]{1,6}"),
        prop::sample::select(&["image", "drawio"][..]),
    )
        .prop_map(|(src, alt, ty)| {
            let mut attrs = json!({"src": src, "width": 100});
            if let Some(a) = alt {
                attrs["alt"] = Value::from(a);
            }
            json!({"type": ty, "attrs": attrs})
        })
}

fn table() -> impl Strategy<Value = Value> {
    (1..4usize, 1..4usize)
        .prop_flat_map(|(rows, cols)| {
            let cell = prop::option::weighted(0.8, inline()).prop_map(|c| {
                let p = match c {
                    Some(c) => json!({"type": "paragraph", "content": c}),
                    None => json!({"type": "paragraph"}),
                };
                json!({"type": "tableCell", "content": [p]})
            });
            prop::collection::vec(prop::collection::vec(cell, cols), rows)
        })
        .prop_map(|rows| {
            let rows: Vec<Value> = rows
                .into_iter()
                .map(|cells| json!({"type": "tableRow", "content": cells}))
                .collect();
            json!({"type": "table", "content": rows})
        })
}

fn leaf_block() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => paragraph(),
        1 => heading(),
        1 => code_block(),
    ]
    .boxed()
}

fn block(depth: u32) -> BoxedStrategy<Value> {
    if depth == 0 {
        return leaf_block();
    }
    let inner = || prop::collection::vec(block(depth - 1), 1..3);
    let item = |ty: &'static str| {
        (
            paragraph(),
            prop::collection::vec(block(depth - 1), 0..2),
            any::<bool>(),
        )
            .prop_map(move |(p, rest, checked)| {
                let mut content = vec![p];
                content.extend(rest);
                let mut n = json!({"type": ty, "content": content});
                if ty == "taskItem" && checked {
                    n["attrs"] = json!({"checked": true});
                }
                n
            })
    };
    let list = |ty: &'static str, item_ty: &'static str| {
        prop::collection::vec(item(item_ty), 1..3)
            .prop_map(move |items| json!({"type": ty, "content": items}))
    };
    let quote = inner().prop_map(|c| json!({"type": "blockquote", "content": c}));
    let callout = (
        prop::sample::select(&["info", "note", "warning", "danger", "success"][..]),
        inner(),
    )
        .prop_map(|(t, c)| json!({"type": "callout", "attrs": {"type": t}, "content": c}));
    let ordered = (list("orderedList", "listItem"), 0..12u64).prop_map(|(mut l, start)| {
        l["attrs"] = json!({"start": start});
        l
    });
    let details = (prop::option::of(inline()), inner()).prop_map(|(summary, body)| {
        let mut s = json!({"type": "detailsSummary"});
        if let Some(c) = summary {
            s["content"] = Value::Array(c);
        }
        json!({"type": "details", "content": [s, {"type": "detailsContent", "content": body}]})
    });
    Union::new_weighted(vec![
        (6, leaf_block()),
        (2, list("bulletList", "listItem").boxed()),
        (1, list("taskList", "taskItem").boxed()),
        (1, ordered.boxed()),
        (1, quote.boxed()),
        (1, callout.boxed()),
        (1, details.boxed()),
    ])
    .boxed()
}

fn top_block() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => block(2),
        1 => table(),
        1 => image(),
        1 => Just(json!({"type": "horizontalRule"})),
        1 => Just(json!({"type": "paragraph"})),
    ]
    .boxed()
}

fn doc() -> impl Strategy<Value = Value> {
    prop::collection::vec(top_block(), 1..5).prop_map(|c| json!({"type": "doc", "content": c}))
}

proptest! {
    #![proptest_config(convert_support::proptest_config())]

    #[test]
    fn convert_plain_documents_round_trip(d in doc()) {
        if let Some(problem) = round_trip_problem(&d) {
            prop_assert!(false, "{}\n--- doc\n{}", problem, d);
        }
    }
}
