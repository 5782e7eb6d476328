//! `make bench`: what a cycle costs at 1k, 10k and 50k pages, measured in
//! one run beside the alternatives, so that ratios are fair on a noisy
//! machine. Prints a table and writes it to `bench/results.md`.
//!
//! Cycles are timed inside the server (a plpgsql wrapper around the call),
//! so client start-up is not counted. The worker is idle (1-day poll): the
//! bench drives every cycle with `gitsync_run_once`. Memory is read from
//! the backend that ran the cycles: it runs the very code the worker runs.
//!
//! Environment: BENCH_SIZES (default `1000,10000,50000`), BENCH_RUNS
//! (default 5), BENCH_RSS_CYCLES (default 1000), BENCH_OUT.

use gitsync_engine::convert;
use gitsync_pg_test::{chown_postgres, lit, Cluster, Config, Session, Space};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/prosemirror"
);
const FAN_OUT: usize = 10;
const BODY_TARGET_BYTES: usize = 3000;

struct Row {
    pages: usize,
    what: String,
    samples: Vec<f64>,
    note: String,
}

impl Row {
    fn median(&self) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn spread(&self) -> String {
        let min = self.samples.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self
            .samples
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        format!("{min:.1}–{max:.1}")
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn main() {
    let sizes: Vec<usize> = env_or("BENCH_SIZES", "1000,10000,50000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs: usize = env_or("BENCH_RUNS", "5").parse().unwrap_or(5);
    let rss_cycles: usize = env_or("BENCH_RSS_CYCLES", "1000").parse().unwrap_or(1000);
    let out = PathBuf::from(env_or(
        "BENCH_OUT",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/results.md"),
    ));

    let bodies = body_pool();
    let c = Cluster::start(Config::manual());
    c.sql(
        "CREATE FUNCTION bench_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
         DECLARE t0 timestamptz := clock_timestamp();
         BEGIN EXECUTE q; RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END $$",
    );
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    for (n, &pages) in sizes.iter().enumerate() {
        eprintln!("bench: {pages} pages");
        let space = c.new_space(&format!("bench{pages}"));
        c.set_service_user(&space.service_user_id);
        generate_space(&c, &space, pages, n, &bodies);
        let size_rows = bench_space(&c, &space, pages, runs, &bodies);
        ratios.extend(ratio_lines(pages, &size_rows));
        rows.extend(size_rows);
        if pages == 10_000 || (sizes.len() == 1 && n == 0) {
            rows.extend(bench_rss(&c, &space, pages, rss_cycles));
        }
    }
    let report = render(&rows, &ratios, runs);
    println!("{report}");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&out, &report).expect("write bench results");
    eprintln!("bench: written to {}", out.display());
}

/// Page bodies of about 3 KB of Markdown, built from the fixture corpus.
fn body_pool() -> Vec<Value> {
    let mut docs: Vec<Value> = std::fs::read_dir(FIXTURES)
        .expect("../shared/fixtures/prosemirror")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            v.get("doc").cloned().unwrap_or(v)
        })
        .collect();
    docs.sort_by_key(|d| d.to_string());
    (0..docs.len())
        .map(|start| {
            let mut content = Vec::new();
            let mut k = start;
            loop {
                content.extend(
                    docs[k % docs.len()]["content"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
                let doc = json!({"type": "doc", "content": content});
                if convert::to_markdown(&doc).map_or(0, |m| m.len()) >= BODY_TARGET_BYTES {
                    return doc;
                }
                k += 1;
            }
        })
        .collect()
}

fn uuid(space_no: usize, i: usize) -> String {
    format!("0b0e0c00-{space_no:04x}-4000-8000-{i:012x}")
}

/// COPY text-format escaping.
fn copy_field(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// A space of `pages` pages: ten roots, each page with up to ten children,
/// so 50k pages are five levels deep.
fn generate_space(c: &Cluster, space: &Space, pages: usize, space_no: usize, bodies: &[Value]) {
    let mut tsv = String::new();
    for i in 0..pages {
        let parent = (i >= FAN_OUT).then(|| uuid(space_no, i / FAN_OUT - 1));
        let body = &bodies[i % bodies.len()];
        let fields = [
            uuid(space_no, i),
            format!("b{space_no}{i:08}"),
            format!("Page {i}"),
            format!("a{i:08}"),
            body.to_string(),
            convert::text_content(body),
            parent.unwrap_or_else(|| "\\N".into()),
            space.author_id.clone(),
            space.author_id.clone(),
            space.id.clone(),
            space.workspace_id.clone(),
        ];
        let line: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(k, f)| if k == 6 { f.clone() } else { copy_field(f) })
            .collect();
        tsv.push_str(&line.join("\t"));
        tsv.push('\n');
    }
    let file = c.root.join(format!("pages-{space_no}.tsv"));
    std::fs::write(&file, tsv).unwrap();
    let copy = format!(
        "\\copy pages (id, slug_id, title, position, content, text_content, parent_page_id, \
         creator_id, last_updated_by_id, space_id, workspace_id) FROM '{}'",
        file.display()
    );
    let status = c
        .psql("postgres", "docmost")
        .arg("-c")
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success(), "loading {pages} pages failed");
    c.sql("ANALYZE pages");
}

/// Milliseconds `sql` takes inside the server. A first export of a large
/// space outlasts the harness's statement timeout, so it is lifted here.
fn timed_sql(c: &Cluster, sql: &str) -> f64 {
    c.sql(&format!(
        "SET statement_timeout = 0; SELECT bench_ms({})",
        lit(sql)
    ))
    .parse()
    .unwrap()
}

fn cycle_ms(c: &Cluster, space: &Space) -> f64 {
    let ms = timed_sql(c, &format!("SELECT gitsync_run_once('{}')", space.id));
    let last = c.sql(&format!(
        "SELECT result::text FROM gitsync.run_history WHERE space_id = '{}' ORDER BY id DESC LIMIT 1",
        space.id
    ));
    assert!(
        !last.contains("\"error\""),
        "a benchmarked cycle failed: {last}"
    );
    ms
}

fn reset_export(c: &Cluster, space: &Space) {
    let vault = c.vault_path(&space.id);
    if vault.exists() {
        std::fs::remove_dir_all(&vault).unwrap();
    }
    c.sql(&format!(
        "DELETE FROM gitsync.page_state WHERE space_id = '{}'",
        space.id
    ));
}

/// Makes the next cycle run in full, as after any cycle that did work.
fn forget_idle_key(c: &Cluster, space: &Space) {
    c.sql(&format!(
        "UPDATE gitsync.space_state SET idle_key = NULL WHERE space_id = '{}'",
        space.id
    ));
}

fn row(pages: usize, what: &str, samples: Vec<f64>, note: &str) -> Row {
    Row {
        pages,
        what: what.into(),
        samples,
        note: note.into(),
    }
}

fn bench_space(
    c: &Cluster,
    space: &Space,
    pages: usize,
    runs: usize,
    bodies: &[Value],
) -> Vec<Row> {
    let export_runs = if pages > 20_000 {
        runs.min(2)
    } else {
        runs.min(3)
    };
    let mut export = Vec::new();
    for _ in 0..export_runs {
        reset_export(c, space);
        export.push(cycle_ms(c, space));
    }
    let files = c.vault_files(&space.id, "main").len();
    let fast_import: Vec<f64> = (0..export_runs).map(|_| fast_import_ms(c, space)).collect();
    let naive: Vec<f64> = (0..export_runs)
        .map(|_| naive_pipeline_ms(c, space))
        .collect();
    // What any export pays before converting anything: the bodies leave
    // Postgres as JSON text (ProseMirror JSON is about 4× its Markdown).
    let bodies_sql = format!(
        "SELECT sum(length(content::text)) FROM pages WHERE space_id = '{}' AND deleted_at IS NULL",
        space.id
    );
    let read_bodies: Vec<f64> = (0..export_runs)
        .map(|_| timed_sql(c, &bodies_sql))
        .collect();
    let json_mb = c.sql(&format!(
        "SELECT round(sum(length(content::text)) / 1e6) FROM pages WHERE space_id = '{}'",
        space.id
    ));

    // The first idle cycle after a writing one runs in full and records
    // the idle key; the steady state is what the following ones cost.
    cycle_ms(c, space);
    let noop: Vec<f64> = (0..runs).map(|_| cycle_ms(c, space)).collect();
    let full_noop: Vec<f64> = (0..runs)
        .map(|_| {
            forget_idle_key(c, space);
            cycle_ms(c, space)
        })
        .collect();
    let listing_sql = format!(
        "SELECT id, updated_at FROM pages WHERE space_id = '{}'",
        space.id
    );
    let listing: Vec<f64> = (0..runs).map(|_| timed_sql(c, &listing_sql)).collect();

    let edited = uuid_of(c, space, "Page 1");
    let mut edit = Vec::new();
    for k in 0..runs {
        let body = &bodies[k % bodies.len()];
        c.set_content(&edited, body, &convert::text_content(body));
        edit.push(cycle_ms(c, space));
    }
    let content = bodies[(runs - 1) % bodies.len()].clone();
    let convert_ms = conversion_ms(&content);

    let mut rows = vec![
        row(
            pages,
            "initial export (first cycle)",
            export,
            &format!("{files} files"),
        ),
        row(pages, "git fast-import, same files", fast_import, ""),
        row(pages, "naive: psql export + git add -A + commit", naive, ""),
        row(
            pages,
            "reading the bodies as JSON text",
            read_bodies,
            &format!("{json_mb} MB of content::text"),
        ),
        row(pages, "no-op cycle", noop, "idle fast path"),
        row(
            pages,
            "no-op cycle, full path",
            full_noop,
            "idle key cleared first",
        ),
        row(pages, "listing query (id, updated_at)", listing, ""),
        row(pages, "cycle after one page edit", edit, ""),
        row(
            pages,
            "that page's conversion",
            vec![convert_ms],
            "export_body, in-process",
        ),
    ];
    rows.push(push_100_files(c, space, runs));

    // After pushes `main` carries merge commits: edits keep the edits
    // route while its tree is docmost's (the pushed Markdown is in the
    // export's own form here). The first cycle settles after the push.
    cycle_ms(c, space);
    let mut after_push = Vec::new();
    for k in 0..runs {
        let body = &bodies[(k + 1) % bodies.len()];
        c.set_content(&edited, body, &convert::text_content(body));
        after_push.push(cycle_ms(c, space));
    }
    rows.push(row(
        pages,
        "cycle after one page edit, after the pushes",
        after_push,
        "main has merge commits",
    ));
    rows
}

fn uuid_of(c: &Cluster, space: &Space, title: &str) -> String {
    c.sql(&format!(
        "SELECT id FROM pages WHERE space_id = '{}' AND title = {}",
        space.id,
        lit(title)
    ))
}

fn conversion_ms(content: &Value) -> f64 {
    let reps = 50;
    let start = Instant::now();
    for _ in 0..reps {
        convert::export_body(Some(content)).unwrap();
    }
    start.elapsed().as_secs_f64() * 1000.0 / reps as f64
}

fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
            "-c",
            "safe.directory=*",
        ])
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `git fast-import` of the vault's `main` (exported with fast-export), as
/// the floor of what writing those files as one commit can cost.
fn fast_import_ms(c: &Cluster, space: &Space) -> f64 {
    let stream = git(&c.vault_path(&space.id), &["fast-export", "main"]);
    let dir = c.root.join("fast-import.git");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "--bare"]);
    let stream_file = c.root.join("fast-import.stream");
    std::fs::write(&stream_file, stream).unwrap();
    let start = Instant::now();
    let status = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["fast-import", "--quiet"])
        .stdin(std::fs::File::open(&stream_file).unwrap())
        .status()
        .unwrap();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    assert!(status.success());
    ms
}

/// What a user would script: dump the bodies with psql, one file a page,
/// then `git add -A && git commit`. No Markdown conversion at all.
fn naive_pipeline_ms(c: &Cluster, space: &Space) -> f64 {
    let dir = c.root.join("naive");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let start = Instant::now();
    let out = c
        .psql("postgres", "docmost")
        .args(["-F", "\t", "-c"])
        .arg(format!(
            "SELECT id, content FROM pages WHERE space_id = '{}' AND deleted_at IS NULL",
            space.id
        ))
        .output()
        .unwrap();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((id, content)) = line.split_once('\t') {
            std::fs::write(dir.join(format!("{id}.json")), content).unwrap();
        }
    }
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "export"]);
    start.elapsed().as_secs_f64() * 1000.0
}

/// A pushed commit changing 100 page files, applied by one cycle.
fn push_100_files(c: &Cluster, space: &Space, runs: usize) -> Row {
    let parent = c.scratch_dir(&format!("push-{}", space.slug));
    let vault = c.vault_path(&space.id);
    c.git_ok(&parent, &["clone", "-q", vault.to_str().unwrap(), "work"]);
    let work = parent.join("work");
    let mut samples = Vec::new();
    let mut note = String::new();
    for run in 0..runs {
        c.git_ok(&work, &["pull", "-q", "--no-rebase", "origin", "main"]);
        let files = String::from_utf8(c.git_ok(&work, &["ls-files", "*.md"]).into_bytes()).unwrap();
        for path in files.lines().take(100) {
            let p = work.join(path);
            let mut text = std::fs::read_to_string(&p).unwrap();
            let _ = writeln!(text, "\nEdited in git, run {run}.");
            std::fs::write(&p, text).unwrap();
        }
        chown_postgres(&work);
        c.git_ok(&work, &["commit", "-q", "-a", "-m", "edit 100 pages"]);
        c.git_ok(&work, &["push", "-q", "origin", "main"]);
        samples.push(cycle_ms(c, space));
        let applied = c.sql(&format!(
            "SELECT count(*) FROM pages WHERE space_id = '{}' AND text_content LIKE '%Edited in git, run {run}.%'",
            space.id
        ));
        note = format!("{applied} of 100 pages updated in the DB");
    }
    row(
        space_pages(space),
        "cycle applying a 100-file push",
        samples,
        &note,
    )
}

fn space_pages(space: &Space) -> usize {
    space.slug.trim_start_matches("bench").parse().unwrap_or(0)
}

/// Resident memory of one backend after 10 and after `cycles` no-op cycles.
fn bench_rss(c: &Cluster, space: &Space, pages: usize, cycles: usize) -> Vec<Row> {
    let mut session = c.session();
    let after_10 = run_cycles_then_rss(&mut session, space, 0, 10);
    let after_n = run_cycles_then_rss(&mut session, space, 10, cycles);
    drop(session);
    let note = format!(
        "{:+.1} % after {cycles} vs 10",
        (after_n - after_10) / after_10 * 100.0
    );
    vec![
        row(
            pages,
            "backend RSS after 10 no-op cycles (MiB)",
            vec![after_10 / 1024.0],
            "",
        ),
        row(
            pages,
            &format!("backend RSS after {cycles} no-op cycles (MiB)"),
            vec![after_n / 1024.0],
            &note,
        ),
    ]
}

/// Runs cycles `from..to` in the session's backend, then reads its RSS.
fn run_cycles_then_rss(session: &mut Session, space: &Space, from: usize, to: usize) -> f64 {
    for _ in from..to {
        session.send(&format!("SELECT gitsync_run_once('{}') IS NULL;", space.id));
    }
    session.run(&format!("SELECT 'rss-{to}';"), &format!("rss-{to}"));
    rss_kib(session.pid())
}

fn rss_kib(pid: i32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}

fn find<'a>(rows: &'a [Row], what: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.what == what)
}

/// The issue's targets as ratios from the same run.
fn ratio_lines(pages: usize, rows: &[Row]) -> Vec<String> {
    let m = |what: &str| find(rows, what).map_or(f64::NAN, Row::median);
    let export = m("initial export (first cycle)");
    let noop = m("no-op cycle");
    vec![
        format!(
            "{pages} pages: export / fast-import = {:.2} (target ≤ 1.5); naive / export = {:.2} (target ≥ 5)",
            export / m("git fast-import, same files"),
            m("naive: psql export + git add -A + commit") / export
        ),
        format!(
            "{pages} pages: reading the bodies alone / fast-import = {:.2}; conversion and writing = {:.0} % of the export",
            m("reading the bodies as JSON text") / m("git fast-import, same files"),
            100.0 * (export - m("reading the bodies as JSON text")) / export
        ),
        format!(
            "{pages} pages: no-op / listing = {:.2} (target ≤ 2); edit / (2 × no-op + conversion) = {:.2} (target ≤ 1)",
            noop / m("listing query (id, updated_at)"),
            m("cycle after one page edit") / (2.0 * noop + m("that page's conversion"))
        ),
        format!(
            "{pages} pages: full-path no-op / listing = {:.2}; edit / (2 × full-path no-op + conversion) = {:.2}",
            m("no-op cycle, full path") / m("listing query (id, updated_at)"),
            m("cycle after one page edit")
                / (2.0 * m("no-op cycle, full path") + m("that page's conversion"))
        ),
    ]
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

fn render(rows: &[Row], ratios: &[String], runs: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Machine: {}. Runs per figure: up to {runs} (median, min–max).\n",
        machine()
    );
    let _ = writeln!(s, "| pages | measurement | median ms | spread ms | note |");
    let _ = writeln!(s, "| ---: | --- | ---: | ---: | --- |");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.1} | {} | {} |",
            r.pages,
            r.what,
            r.median(),
            r.spread(),
            r.note
        );
    }
    let _ = writeln!(s);
    for line in ratios {
        let _ = writeln!(s, "- {line}");
    }
    s
}
