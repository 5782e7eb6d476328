//! Pages → vault paths (SPEC §5 "Layout"). A pure function of the page
//! rows: the same pages give the same paths whatever order they arrive in.
//!
//! Names are compared case-insensitively when looking for collisions, so a
//! vault cloned onto macOS or Windows never has two files that the file
//! system folds into one.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::PageMeta;

/// Longest page name, in characters, before collision suffixes.
const MAX_NAME_CHARS: usize = 120;

const WINDOWS_DEVICES: [&str; 4] = ["con", "prn", "aux", "nul"];

/// A title as a file or folder name: no path separators, no characters
/// Windows refuses, no names git or the layout would treat specially.
pub fn sanitize_name(title: &str) -> String {
    let replaced: String = title
        .chars()
        .map(|c| if is_forbidden(c) { '-' } else { c })
        .collect();
    let collapsed = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let capped: String = collapsed.chars().take(MAX_NAME_CHARS).collect();
    let name = capped.trim();
    if needs_prefix(name) {
        format!("_{name}")
    } else {
        name.to_string()
    }
}

fn is_forbidden(c: char) -> bool {
    c.is_ascii_control() || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Empty and all-dot names cannot be files; a leading dot would make the
/// file hidden and, by the page-file rule, not a page at all; device names
/// cannot be created on Windows even with an extension.
fn needs_prefix(name: &str) -> bool {
    name.is_empty() || name.starts_with('.') || is_windows_device(name)
}

fn is_windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_lowercase();
    if WINDOWS_DEVICES.contains(&stem.as_str()) {
        return true;
    }
    let numbered = |prefix: &str| {
        stem.strip_prefix(prefix)
            .is_some_and(|n| n.len() == 1 && matches!(n.as_bytes()[0], b'1'..=b'9'))
    };
    numbered("com") || numbered("lpt")
}

/// Vault path of every live page reachable from a root: page id → path.
/// Trashed pages, and live pages under a trashed parent, have no path.
pub fn compute(pages: &[PageMeta]) -> BTreeMap<String, String> {
    let tree = Tree::new(pages);
    let mut names = HashMap::new();
    tree.name_children(None, &mut names);
    let mut paths = BTreeMap::new();
    for root in tree.children(None) {
        tree.place(root, "", &names, &mut paths);
    }
    make_unique(&tree, paths)
}

/// The live pages as a forest, with parent cycles broken.
struct Tree<'a> {
    /// Live pages sorted by (slug_id, id): every later step iterates in this
    /// order, which is what makes the result independent of input order.
    pages: Vec<&'a PageMeta>,
    index: HashMap<&'a str, usize>,
    /// Visible children of each page, and the visible roots, sorted.
    kids: Vec<Vec<usize>>,
    roots: Vec<usize>,
}

impl<'a> Tree<'a> {
    fn new(all: &'a [PageMeta]) -> Tree<'a> {
        let trashed: HashSet<&str> = all
            .iter()
            .filter(|p| p.deleted)
            .map(|p| p.id.as_str())
            .collect();
        let mut pages: Vec<&PageMeta> = all.iter().filter(|p| !p.deleted).collect();
        pages.sort_by(|a, b| (&a.slug_id, &a.id).cmp(&(&b.slug_id, &b.id)));
        pages.dedup_by(|a, b| a.id == b.id);
        let index: HashMap<&str, usize> = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut parent: Vec<Option<usize>> = pages
            .iter()
            .map(|p| p.parent_id.as_deref().and_then(|id| index.get(id).copied()))
            .collect();
        break_cycles(&mut parent);
        let under_trash: Vec<bool> = pages
            .iter()
            .map(|p| {
                p.parent_id
                    .as_deref()
                    .is_some_and(|id| trashed.contains(id))
            })
            .collect();
        let mut kids = vec![Vec::new(); pages.len()];
        let mut roots = Vec::new();
        for i in 0..pages.len() {
            if ancestry(&parent, i).any(|a| under_trash[a]) {
                continue;
            }
            match parent[i] {
                Some(p) => kids[p].push(i),
                None => roots.push(i),
            }
        }
        Tree {
            pages,
            index,
            kids,
            roots,
        }
    }

    /// Visible children of `parent` (`None` = the roots), in sorted order.
    fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        match parent {
            Some(p) => self.kids[p].iter().copied(),
            None => self.roots.iter().copied(),
        }
    }

    fn has_children(&self, page: usize) -> bool {
        !self.kids[page].is_empty()
    }

    /// Sibling collisions (SPEC §5): the first by slug keeps the name, the
    /// others take ` ~<slug_id>`, or ` ~<id>` should that be taken too.
    fn name_children(&self, parent: Option<usize>, names: &mut HashMap<usize, String>) {
        let kids: Vec<usize> = self.children(parent).collect();
        let wanted: Vec<String> = kids
            .iter()
            .map(|&i| sanitize_name(self.pages[i].title.as_deref().unwrap_or("")))
            .collect();
        let mut taken: HashSet<String> = HashSet::new();
        let mut losers = Vec::new();
        for (&i, name) in kids.iter().zip(&wanted) {
            if taken.insert(fold(name)) {
                names.insert(i, name.clone());
            } else {
                losers.push((i, name));
            }
        }
        // Wanted names are reserved before any suffix is handed out, so a
        // title that literally reads "A ~x" is never displaced by a suffix.
        let reserved: HashSet<String> = wanted.iter().map(|n| fold(n)).collect();
        for (i, name) in losers {
            let page = self.pages[i];
            let name = [&page.slug_id, &page.id]
                .iter()
                .map(|tag| format!("{name} ~{tag}"))
                .find(|c| !reserved.contains(&fold(c)) && !taken.contains(&fold(c)))
                .unwrap_or_else(|| format!("{name} ~{}", page.id));
            taken.insert(fold(&name));
            names.insert(i, name);
        }
        for i in kids {
            self.name_children(Some(i), names);
        }
    }

    fn place(
        &self,
        page: usize,
        dir: &str,
        names: &HashMap<usize, String>,
        out: &mut BTreeMap<String, String>,
    ) {
        let name = &names[&page];
        let id = self.pages[page].id.clone();
        if self.has_children(page) {
            let folder = format!("{dir}{name}/");
            out.insert(id, format!("{folder}{name}.md"));
            for child in self.children(Some(page)) {
                self.place(child, &folder, names, out);
            }
        } else {
            out.insert(id, format!("{dir}{name}.md"));
        }
    }
}

/// Parent links that loop are cut at the page with the smallest sort key,
/// which becomes a root: every page of a cycle keeps a path. Each page is
/// walked once, so a deep tree costs linear time.
fn break_cycles(parent: &mut [Option<usize>]) {
    #[derive(Clone, Copy, PartialEq)]
    enum Seen {
        No,
        OnPath,
        Done,
    }
    let mut seen = vec![Seen::No; parent.len()];
    for start in 0..parent.len() {
        let mut path = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            match seen[i] {
                Seen::Done => break,
                Seen::OnPath => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    if let Some(&cut) = path[from..].iter().min() {
                        parent[cut] = None;
                    }
                    break;
                }
                Seen::No => {
                    seen[i] = Seen::OnPath;
                    path.push(i);
                    at = parent[i];
                }
            }
        }
        for i in path {
            seen[i] = Seen::Done;
        }
    }
}

/// A page followed by its ancestors. Call only once cycles are broken.
fn ancestry(parent: &[Option<usize>], page: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::successors(Some(page), move |&i| parent[i])
}

/// The whole-path pass (SPEC §5): a leaf whose path is a folder note's
/// (a child titled like its parent) gives way, folder notes first.
fn make_unique(tree: &Tree, paths: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut order: Vec<(&String, &String)> = paths.iter().collect();
    order.sort_by_key(|(id, path)| {
        let i = tree.index[id.as_str()];
        (!tree.has_children(i), path.matches('/').count(), i)
    });
    let mut taken = HashSet::new();
    let mut out = BTreeMap::new();
    for (id, path) in order {
        let page = tree.pages[tree.index[id.as_str()]];
        let stem = path.strip_suffix(".md").unwrap_or(path);
        let unique = std::iter::once(path.clone())
            .chain(
                [&page.slug_id, &page.id]
                    .iter()
                    .map(|tag| format!("{stem} ~{tag}.md")),
            )
            .find(|c| !taken.contains(&fold(c)))
            .unwrap_or_else(|| format!("{stem} ~{}.md", page.id));
        taken.insert(fold(&unique));
        out.insert(id.clone(), unique);
    }
    out
}

fn fold(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str, slug: &str, title: &str, parent: Option<&str>) -> PageMeta {
        PageMeta {
            id: id.into(),
            slug_id: slug.into(),
            title: Some(title.into()),
            parent_id: parent.map(Into::into),
            deleted: false,
            updated_at_us: 0,
        }
    }

    fn layout(pages: &[PageMeta]) -> Vec<(String, String)> {
        compute(pages).into_iter().collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn leaves_folders_and_folder_notes() {
        let pages = [
            page("a", "s1", "A", None),
            page("b", "s2", "B", None),
            page("c", "s3", "C", Some("b")),
        ];
        assert_eq!(
            layout(&pages),
            pairs(&[("a", "A.md"), ("b", "B/B.md"), ("c", "B/C.md")])
        );
    }

    #[test]
    fn hostile_titles_are_sanitized() {
        assert_eq!(sanitize_name(""), "_");
        assert_eq!(sanitize_name(".."), "_..");
        assert_eq!(sanitize_name("..."), "_...");
        assert_eq!(sanitize_name(".hidden"), "_.hidden");
        assert_eq!(sanitize_name("CON"), "_CON");
        assert_eq!(sanitize_name("con.txt"), "_con.txt");
        assert_eq!(sanitize_name("Lpt9"), "_Lpt9");
        assert_eq!(sanitize_name("com10"), "com10");
        assert_eq!(sanitize_name("console"), "console");
        assert_eq!(sanitize_name("a/b: c?"), "a-b- c-");
        assert_eq!(sanitize_name(r#"x\y<z>"|*"#), "x-y-z----");
        assert_eq!(sanitize_name("  many   \u{a0} spaces  "), "many spaces");
        assert_eq!(sanitize_name("tab\there\nnl\u{7f}"), "tab-here-nl-");
        assert_eq!(sanitize_name("../../etc/passwd"), "_..-..-etc-passwd");
        assert_eq!(sanitize_name("   "), "_");
    }

    #[test]
    fn long_titles_are_capped_by_characters_then_trimmed() {
        let long = "é".repeat(200);
        assert_eq!(sanitize_name(&long).chars().count(), 120);
        let spaced = format!("{} tail", "x".repeat(119));
        assert_eq!(sanitize_name(&spaced), "x".repeat(119));
    }

    #[test]
    fn same_title_siblings_are_told_apart_by_slug() {
        let pages = [
            page("3", "zzz", "Notes", None),
            page("1", "aaa", "Notes", None),
            page("2", "mmm", "notes", None),
        ];
        assert_eq!(
            layout(&pages),
            pairs(&[
                ("1", "Notes.md"),
                ("2", "notes ~mmm.md"),
                ("3", "Notes ~zzz.md")
            ])
        );
    }

    #[test]
    fn layout_does_not_depend_on_row_order() {
        let mut pages = vec![
            page("1", "s1", "Dup", None),
            page("2", "s2", "Dup", None),
            page("3", "s3", "Dup", Some("1")),
            page("4", "s4", "", None),
            page("5", "s5", "..", Some("1")),
            page("6", "s6", "CON", Some("3")),
            page("7", "s7", "a/b: c?", None),
            page("8", "s8", &"t".repeat(200), None),
        ];
        let expected = layout(&pages);
        pages.reverse();
        assert_eq!(layout(&pages), expected);
        pages.swap(1, 5);
        assert_eq!(layout(&pages), expected);
        assert_eq!(
            expected,
            pairs(&[
                ("1", "Dup/Dup.md"),
                ("2", "Dup ~s2.md"),
                ("3", "Dup/Dup/Dup.md"),
                ("4", "_.md"),
                ("5", "Dup/_...md"),
                ("6", "Dup/Dup/_CON.md"),
                ("7", "a-b- c-.md"),
                ("8", &format!("{}.md", "t".repeat(120))),
            ])
        );
    }

    #[test]
    fn a_child_titled_like_its_parent_yields_to_the_folder_note() {
        let pages = [page("p", "s1", "P", None), page("c", "s2", "P", Some("p"))];
        assert_eq!(
            layout(&pages),
            pairs(&[("c", "P/P ~s2.md"), ("p", "P/P.md")])
        );
    }

    #[test]
    fn a_literal_suffix_title_keeps_its_name() {
        let pages = [
            page("1", "s1", "A", None),
            page("2", "s2", "A", None),
            page("3", "s0", "A ~s2", None),
        ];
        assert_eq!(
            layout(&pages),
            pairs(&[("1", "A.md"), ("2", "A ~2.md"), ("3", "A ~s2.md")])
        );
    }

    #[test]
    fn trashed_pages_and_their_subtrees_have_no_path() {
        let mut gone = page("t", "s1", "Trash", None);
        gone.deleted = true;
        let pages = [
            gone,
            page("u", "s2", "Under", Some("t")),
            page("w", "s3", "Deep", Some("u")),
            page("k", "s4", "Kept", None),
        ];
        assert_eq!(layout(&pages), pairs(&[("k", "Kept.md")]));
    }

    #[test]
    fn missing_parents_go_to_the_root_and_cycles_do_not_loop() {
        let pages = [
            page("o", "s1", "Orphan", Some("nowhere")),
            page("x", "s2", "X", Some("y")),
            page("y", "s3", "Y", Some("x")),
            page("z", "s4", "Self", Some("z")),
        ];
        assert_eq!(
            layout(&pages),
            pairs(&[
                ("o", "Orphan.md"),
                ("x", "X/X.md"),
                ("y", "X/Y.md"),
                ("z", "Self.md")
            ])
        );
    }

    #[test]
    fn untitled_pages_get_distinct_names() {
        let mut untitled = page("1", "s1", "", None);
        untitled.title = None;
        let pages = [untitled, page("2", "s2", "", None)];
        assert_eq!(layout(&pages), pairs(&[("1", "_.md"), ("2", "_ ~s2.md")]));
    }
}
