//! Harness for end-to-end tests: a throwaway cluster with the worker preloaded.
//!
//! Every test gets its own PostgreSQL 15 cluster (data directory, private
//! unix-socket directory, log file, vault root) under a fresh temp directory.
//! Postgres is driven with the `psql` CLI and the vaults with the `git` CLI,
//! both run as the OS user `postgres` where it matters (the server owns the
//! vaults). The cluster is stopped (`pg_ctl stop -m immediate`) and its
//! directory removed when the [`Cluster`] is dropped, also during a panic.
//! Set `GITSYNC_PG_TEST_KEEP=1` to keep the directories for inspection.

use serde_json::{json, Value};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
pub const CONTROL_FILE: &str = "/usr/share/postgresql/15/extension/gitsync.control";
pub const SHARED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");
pub const DB: &str = "docmost";

/// How long a worker-driven change may take to show up before a test fails.
pub const WORKER_TIMEOUT: Duration = Duration::from_secs(30);

static CLUSTER_COUNTER: AtomicU32 = AtomicU32::new(0);
static SESSION_COUNTER: AtomicU32 = AtomicU32::new(0);

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// SQL string literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Exact bytes of a page file (SPEC §5).
pub fn page_file(page_id: &str, body: &str) -> String {
    format!("---\ngitmost_id: {page_id}\n---\n\n{body}\n")
}

/// ProseMirror doc with one paragraph holding `text` (an empty doc when `text` is empty).
pub fn paragraph_doc(text: &str) -> Value {
    if text.is_empty() {
        return json!({"type": "doc", "content": [{"type": "paragraph"}]});
    }
    json!({"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    ]})
}

/// A doc the converter cannot export (unknown node type).
pub fn unconvertible_doc() -> Value {
    json!({"type": "doc", "content": [{"type": "bogusNode"}]})
}

/// Runs `cmd`, panicking with its output when it cannot be started.
fn output_of(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` and panics (with stdout/stderr) unless it succeeds.
fn run_ok(cmd: &mut Command) -> String {
    let out = output_of(cmd);
    if !out.status.success() {
        panic!(
            "command failed ({}): {cmd:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A command run as the OS user `postgres`.
fn as_postgres(program: &str) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--", program]);
    cmd
}

fn pg_bin(name: &str) -> String {
    format!("{PG_BIN}/{name}")
}

/// `chown -R postgres:postgres path` (e.g. files a test wrote into a clone).
pub fn chown_postgres(path: &Path) {
    run_ok(
        Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(path),
    );
}

/// Polls `cond` every 100 ms until it returns `Some`, panicking after `timeout`
/// with `what` and `context()` (e.g. the server log tail).
pub fn poll_for<T>(
    timeout: Duration,
    what: &str,
    mut cond: impl FnMut() -> Option<T>,
    context: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = cond() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for: {what}\n{}",
                context()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---------------------------------------------------------------------------
// Cluster configuration
// ---------------------------------------------------------------------------

/// How a test cluster is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// `gitsync.poll_interval` in postgresql.conf.
    pub poll_interval: String,
    /// `gitsync.enabled` in postgresql.conf.
    pub enabled: bool,
    /// Load docmost-schema.sql into the `docmost` database.
    pub load_schema: bool,
    /// Run `CREATE EXTENSION gitsync` (requires `load_schema`).
    pub create_extension: bool,
    /// Extra postgresql.conf lines.
    pub extra_conf: Vec<String>,
}

impl Config {
    /// The worker polls every second: for tests of worker behaviour.
    pub fn worker() -> Config {
        Config {
            poll_interval: "1s".into(),
            enabled: true,
            load_schema: true,
            create_extension: true,
            extra_conf: Vec::new(),
        }
    }

    /// The worker polls once a day: tests drive cycles with `gitsync_run_once`.
    pub fn manual() -> Config {
        Config {
            poll_interval: "1d".into(),
            ..Config::worker()
        }
    }

    pub fn poll_interval(mut self, interval: &str) -> Config {
        self.poll_interval = interval.into();
        self
    }

    pub fn without_extension(mut self) -> Config {
        self.create_extension = false;
        self
    }
}

// ---------------------------------------------------------------------------
// Spaces
// ---------------------------------------------------------------------------

/// A Docmost space created by the harness (or by seed-space.sql).
#[derive(Clone, Debug)]
pub struct Space {
    pub id: String,
    pub slug: String,
    pub workspace_id: String,
    /// users.id of gitsync@example.com in the space's workspace.
    pub service_user_id: String,
    /// users.id of an ordinary author (alice@example.com).
    pub author_id: String,
}

// ---------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------

/// A running PostgreSQL 15 cluster with gitsync preloaded, owned by one test.
pub struct Cluster {
    pub root: PathBuf,
    pub data: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    pub vault_root: PathBuf,
    pub log_file: PathBuf,
    pub git_home: PathBuf,
}

impl Cluster {
    /// Starts a cluster: initdb, postgresql.conf, `docmost` database, schema,
    /// extension (as `config` says).
    pub fn start(config: Config) -> Cluster {
        assert!(
            Path::new(CONTROL_FILE).exists(),
            "the gitsync extension is not installed into the system PostgreSQL \
             ({CONTROL_FILE} is missing): run `make install` first"
        );
        let cluster = Cluster::create_dirs();
        cluster.initdb();
        cluster.create_database_single_user();
        cluster.write_conf(&config);
        cluster.pg_ctl_start();
        if config.load_schema {
            cluster.load_schema();
            if config.create_extension {
                cluster.create_extension();
            }
        }
        cluster
    }

    /// A manual cluster with one enabled space whose service user is configured.
    pub fn start_with_space(config: Config, slug: &str) -> (Cluster, Space) {
        let cluster = Cluster::start(config);
        let space = cluster.new_space(slug);
        cluster.set_service_user(&space.service_user_id);
        (cluster, space)
    }

    fn create_dirs() -> Cluster {
        let n = CLUSTER_COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let root = std::env::temp_dir()
            .join("gitsync-pg-test")
            .join(format!("{pid}-{n}-{nanos}"));
        fs::create_dir_all(&root).expect("create test root");
        // The socket directory is private to this cluster, so the socket name
        // (which contains the port) can never collide with another cluster;
        // the port is still made distinct per process and per cluster.
        let port = 20000 + (pid % 2000) as u16 * 20 + (n % 20) as u16;
        let cluster = Cluster {
            data: root.join("data"),
            socket_dir: root.join("sock"),
            vault_root: root.join("vaults"),
            log_file: root.join("server.log"),
            git_home: root.join("home"),
            port,
            root,
        };
        for dir in [&cluster.socket_dir, &cluster.vault_root, &cluster.git_home] {
            fs::create_dir_all(dir).expect("create test dir");
        }
        // The parent of the per-test roots must be traversable by postgres.
        let parent = cluster.root.parent().unwrap().to_path_buf();
        run_ok(Command::new("chmod").arg("0755").arg(&parent));
        chown_postgres(&cluster.root);
        cluster
    }

    fn initdb(&self) {
        run_ok(
            as_postgres(&pg_bin("initdb"))
                .arg("-D")
                .arg(&self.data)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]),
        );
    }

    /// Creates the `docmost` database before the server (and so the worker)
    /// first starts, so the worker can always connect to it.
    fn create_database_single_user(&self) {
        let mut child = as_postgres(&pg_bin("postgres"))
            .arg("--single")
            .arg("-D")
            .arg(&self.data)
            .args(["-c", "fsync=off", "postgres"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start single-user postgres");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("CREATE DATABASE {DB};\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && !stdout.contains("ERROR"),
            "single-user CREATE DATABASE failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn write_conf(&self, config: &Config) {
        let mut conf = format!(
            "\n# gitsync-pg-test\n\
             listen_addresses = ''\n\
             port = {port}\n\
             unix_socket_directories = '{sock}'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             logging_collector = off\n\
             log_line_prefix = '%m [%p] %b '\n\
             shared_preload_libraries = 'gitsync'\n\
             gitsync.enabled = {enabled}\n\
             gitsync.database = '{DB}'\n\
             gitsync.poll_interval = '{poll}'\n\
             gitsync.vault_root = '{vaults}'\n",
            port = self.port,
            sock = self.socket_dir.display(),
            enabled = if config.enabled { "on" } else { "off" },
            poll = config.poll_interval,
            vaults = self.vault_root.display(),
        );
        for line in &config.extra_conf {
            conf.push_str(line);
            conf.push('\n');
        }
        let path = self.data.join("postgresql.conf");
        let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(conf.as_bytes()).unwrap();
    }

    fn pg_ctl(&self, action: &str, extra: &[&str]) -> Output {
        output_of(
            as_postgres(&pg_bin("pg_ctl"))
                .arg(action)
                .arg("-D")
                .arg(&self.data)
                .arg("-l")
                .arg(&self.log_file)
                .args(["-w", "-t", "60"])
                .args(extra),
        )
    }

    fn pg_ctl_ok(&self, action: &str, extra: &[&str]) {
        let out = self.pg_ctl(action, extra);
        if !out.status.success() {
            panic!(
                "pg_ctl {action} failed: {}{}\nserver log:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log_tail(60)
            );
        }
    }

    fn pg_ctl_start(&self) {
        self.pg_ctl_ok("start", &[]);
    }

    /// `pg_ctl restart -m fast`: a clean shutdown and start.
    /// Returns once the new worker has finished its first tick.
    pub fn restart(&self) {
        self.pg_ctl_ok("restart", &["-m", "fast"]);
        self.wait_for_worker();
        self.wait_for_worker_asleep();
    }

    pub fn load_schema(&self) {
        self.psql_file(&format!("{SHARED_DIR}/docmost-schema.sql"), &[]);
    }

    pub fn create_extension(&self) {
        self.sql("CREATE EXTENSION gitsync");
    }

    // -- psql ---------------------------------------------------------------

    /// A psql command connected to `db` as `user` (unaligned, tuples only).
    pub fn psql(&self, user: &str, db: &str) -> Command {
        let mut cmd = Command::new(pg_bin("psql"));
        cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(&self.socket_dir)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", user, "-d", db])
            .env("PGOPTIONS", "-c statement_timeout=60000")
            .env("PGAPPNAME", "gitsync-pg-test")
            .env("PGCONNECT_TIMEOUT", "10");
        cmd
    }

    /// Runs `sql` in `docmost` as `user`; Ok(stdout trimmed) or Err(stderr).
    pub fn try_sql_as(&self, user: &str, sql: &str) -> Result<String, String> {
        let out = output_of(self.psql(user, DB).arg("-c").arg(sql));
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        self.try_sql_as("postgres", sql)
    }

    /// Runs `sql` as the superuser; panics (with the server log tail) on error.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| {
            panic!(
                "SQL failed: {sql}\n{e}\nserver log tail:\n{}",
                self.log_tail(30)
            )
        })
    }

    /// Runs a query returning one json/jsonb value (or nothing → Null).
    pub fn json(&self, sql: &str) -> Value {
        let text = self.sql(sql);
        if text.is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON from {sql}: {e}: {text}"))
    }

    /// Loads an SQL file with psql variables.
    pub fn psql_file(&self, path: &str, vars: &[(&str, &str)]) -> String {
        let mut cmd = self.psql("postgres", DB);
        for (k, v) in vars {
            cmd.arg("-v").arg(format!("{k}={v}"));
        }
        run_ok(cmd.arg("-f").arg(path))
    }

    // -- configuration --------------------------------------------------------

    pub fn show(&self, guc: &str) -> String {
        self.sql(&format!("SELECT current_setting({}, true)", lit(guc)))
    }

    fn reload_and_wait_for_change(&self, guc: &str, before: &str, changes: bool) {
        self.sql("SELECT pg_reload_conf()");
        if changes {
            self.wait_until(
                Duration::from_secs(20),
                &format!("{guc} to change from {before:?} after pg_reload_conf()"),
                || self.show(guc) != before,
            );
        }
        self.wait_for_worker_asleep();
    }

    /// The worker ticks when a reload wakes it: wait until it sleeps again
    /// (three consecutive sightings in its latch wait), so that a test's
    /// next steps do not race with that tick. No-op without a worker.
    pub fn wait_for_worker_asleep(&self) {
        let asleep = || {
            self.try_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'gitsync worker' \
                 AND wait_event_type IS DISTINCT FROM 'Extension'",
            )
            .is_ok_and(|n| n == "0")
        };
        let mut seen = 0;
        self.wait_until(WORKER_TIMEOUT, "the gitsync worker to sleep", || {
            seen = if asleep() { seen + 1 } else { 0 };
            seen >= 3
        });
    }

    /// `ALTER SYSTEM SET guc = value; SELECT pg_reload_conf()`, then waits
    /// until new backends see the new value.
    pub fn set_guc(&self, guc: &str, value: &str) {
        let before = self.show(guc);
        self.sql(&format!("ALTER SYSTEM SET {guc} = {}", lit(value)));
        self.reload_and_wait_for_change(guc, &before, before != value);
    }

    /// `ALTER SYSTEM RESET guc`, reload, wait until new backends see it.
    pub fn reset_guc(&self, guc: &str) {
        let before = self.show(guc);
        self.sql(&format!("ALTER SYSTEM RESET {guc}"));
        // The reset value is unknown here; it differs whenever it was set.
        self.reload_and_wait_for_change(guc, &before, !before.is_empty());
    }

    pub fn set_service_user(&self, user_id: &str) {
        self.set_guc("gitsync.service_user_id", user_id);
    }

    // -- logs and waiting ----------------------------------------------------

    pub fn log_text(&self) -> String {
        fs::read(&self.log_file)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Log lines containing every one of `needles`.
    pub fn log_lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_string)
            .collect()
    }

    /// Polls `cond` until true; on timeout panics with `what` and the log tail.
    pub fn wait_until(&self, timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        self.wait_for(timeout, what, || cond().then_some(()))
    }

    /// Polls `cond` until it yields a value; on timeout panics with `what` and the log tail.
    pub fn wait_for<T>(&self, timeout: Duration, what: &str, cond: impl FnMut() -> Option<T>) -> T {
        poll_for(timeout, what, cond, || {
            format!("server log tail:\n{}", self.log_tail(40))
        })
    }

    /// Asserts `cond` holds at every check during `window` (a negative check:
    /// something must *not* happen while the worker keeps ticking).
    pub fn assert_holds_for(&self, window: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let end = Instant::now() + window;
        while Instant::now() < end {
            assert!(
                cond(),
                "{what} stopped holding\nserver log tail:\n{}",
                self.log_tail(30)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the worker has run a whole cycle of `space` that started
    /// after this call (two changes of gitsync_status().last_run_at).
    pub fn wait_for_next_worker_run(&self, space: &Space) {
        let last_run_at = || self.status(&space.id)["last_run_at"].clone();
        for _ in 0..2 {
            let before = last_run_at();
            self.wait_until(WORKER_TIMEOUT, "another worker cycle", || {
                let now = last_run_at();
                !now.is_null() && now != before
            });
        }
    }

    /// pid of the gitsync background worker, if it is running.
    pub fn worker_pid(&self) -> Option<i32> {
        self.try_sql(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'gitsync worker' \
             ORDER BY backend_start DESC LIMIT 1",
        )
        .ok()
        .and_then(|s| s.parse().ok())
    }

    pub fn wait_for_worker(&self) -> i32 {
        self.wait_for(
            WORKER_TIMEOUT,
            "the gitsync worker in pg_stat_activity",
            || self.worker_pid(),
        )
    }

    // -- spaces --------------------------------------------------------------

    /// A new workspace with a service user and an author, and in it an
    /// enabled space `slug` (settings {"gitSync":{"enabled":true}}).
    pub fn new_space(&self, slug: &str) -> Space {
        self.new_space_with_settings(slug, &json!({"gitSync": {"enabled": true}}))
    }

    pub fn new_space_with_settings(&self, slug: &str, settings: &Value) -> Space {
        let workspace_id = self.sql(&format!(
            "INSERT INTO workspaces (name) VALUES ({}) RETURNING id",
            lit(&format!("Workspace {slug}"))
        ));
        let new_user = |name: &str, email: &str, role: &str| {
            self.sql(&format!(
                "INSERT INTO users (name, email, role, workspace_id) \
                 VALUES ({}, {}, {}, '{workspace_id}') RETURNING id",
                lit(name),
                lit(email),
                lit(role)
            ))
        };
        let service_user_id = new_user("Git Sync", "gitsync@example.com", "admin");
        let author_id = new_user("Alice Martin", "alice@example.com", "owner");
        let id = self.sql(&format!(
            "INSERT INTO spaces (name, slug, creator_id, workspace_id, settings) \
             VALUES ({}, {}, '{author_id}', '{workspace_id}', {}::jsonb) RETURNING id",
            lit(slug),
            lit(slug),
            lit(&settings.to_string())
        ));
        Space {
            id,
            slug: slug.into(),
            workspace_id,
            service_user_id,
            author_id,
        }
    }

    /// Runs fixtures/seed-space.sql for `slug` and returns the space it made.
    pub fn seed_space(&self, slug: &str) -> Space {
        self.psql_file(
            &format!("{SHARED_DIR}/fixtures/seed-space.sql"),
            &[("space_slug", slug)],
        );
        let row = self.sql(&format!(
            "SELECT s.id || ' ' || s.workspace_id || ' ' || svc.id || ' ' || alice.id \
             FROM spaces s \
             JOIN users svc ON svc.workspace_id = s.workspace_id AND svc.email = 'gitsync@example.com' \
             JOIN users alice ON alice.workspace_id = s.workspace_id AND alice.email = 'alice@example.com' \
             WHERE s.slug = {}",
            lit(slug)
        ));
        let parts: Vec<&str> = row.split(' ').collect();
        assert_eq!(parts.len(), 4, "seeded space {slug} not found: {row:?}");
        Space {
            id: parts[0].into(),
            slug: slug.into(),
            workspace_id: parts[1].into(),
            service_user_id: parts[2].into(),
            author_id: parts[3].into(),
        }
    }

    pub fn set_space_settings(&self, space: &Space, settings: &Value) {
        self.sql(&format!(
            "UPDATE spaces SET settings = {}::jsonb WHERE id = '{}'",
            lit(&settings.to_string()),
            space.id
        ));
    }

    // -- pages ---------------------------------------------------------------

    /// Inserts a page whose body is one paragraph `body`; returns its id.
    pub fn insert_page(
        &self,
        space: &Space,
        slug_id: &str,
        title: &str,
        parent: Option<&str>,
        body: &str,
    ) -> String {
        self.insert_page_content(space, slug_id, title, parent, &paragraph_doc(body), body)
    }

    /// Inserts a page with explicit ProseMirror `content`; returns its id.
    pub fn insert_page_content(
        &self,
        space: &Space,
        slug_id: &str,
        title: &str,
        parent: Option<&str>,
        content: &Value,
        text_content: &str,
    ) -> String {
        assert!(
            slug_id.len() == 10 && slug_id.chars().all(|c| c.is_ascii_alphanumeric()),
            "slug_id must be 10 alphanumeric characters: {slug_id:?}"
        );
        let parent_sql = parent.map_or("NULL".to_string(), |p| format!("'{p}'::uuid"));
        self.sql(&format!(
            "INSERT INTO pages (slug_id, title, position, content, text_content, parent_page_id, \
                                creator_id, last_updated_by_id, contributor_ids, space_id, workspace_id) \
             SELECT {slug}, {title}, 'a' || count(*), {content}::jsonb, {text}, {parent_sql}, \
                    '{author}', '{author}', ARRAY['{author}'::uuid], '{space}', '{ws}' \
             FROM pages WHERE space_id = '{space}' AND parent_page_id IS NOT DISTINCT FROM {parent_sql} \
             RETURNING id",
            slug = lit(slug_id),
            title = lit(title),
            content = lit(&content.to_string()),
            text = lit(text_content),
            author = space.author_id,
            space = space.id,
            ws = space.workspace_id,
        ))
    }

    /// Replaces a page's body by one paragraph `body`, like an editor save.
    pub fn update_body(&self, page_id: &str, body: &str) {
        self.set_content(page_id, &paragraph_doc(body), body);
    }

    pub fn set_content(&self, page_id: &str, content: &Value, text_content: &str) {
        self.sql(&format!(
            "UPDATE pages SET content = {}::jsonb, text_content = {}, ydoc = NULL, \
             updated_at = now() WHERE id = '{page_id}'",
            lit(&content.to_string()),
            lit(text_content)
        ));
    }

    /// Changes only the title (updated_at untouched: the sync must notice anyway).
    pub fn rename_page(&self, page_id: &str, title: &str) {
        self.sql(&format!(
            "UPDATE pages SET title = {} WHERE id = '{page_id}'",
            lit(title)
        ));
    }

    /// Changes only the parent (updated_at untouched: the sync must notice anyway).
    pub fn move_page(&self, page_id: &str, new_parent: Option<&str>) {
        let parent_sql = new_parent.map_or("NULL".to_string(), |p| format!("'{p}'::uuid"));
        self.sql(&format!(
            "UPDATE pages SET parent_page_id = {parent_sql} WHERE id = '{page_id}'"
        ));
    }

    /// Soft-deletes a page (Docmost's Trash).
    pub fn trash_page(&self, page_id: &str) {
        self.sql(&format!(
            "UPDATE pages SET deleted_at = now(), deleted_by_id = creator_id WHERE id = '{page_id}'"
        ));
    }

    pub fn page_id_by_slug(&self, slug_id: &str) -> String {
        let id = self.sql(&format!(
            "SELECT id FROM pages WHERE slug_id = {}",
            lit(slug_id)
        ));
        assert!(!id.is_empty(), "no page with slug_id {slug_id}");
        id
    }

    /// Every column gitsync could write, of every page of the space, plus the
    /// space's page_history rows: equal fingerprints = no DB writes happened.
    pub fn db_fingerprint(&self, space: &Space) -> String {
        self.sql(&format!(
            "SELECT coalesce(string_agg(concat_ws('|', id, slug_id, title, content::text, \
                    text_content, md5(ydoc), parent_page_id, position, updated_at, \
                    last_updated_by_id, deleted_at, deleted_by_id, last_updated_source), \
                    E'\\n' ORDER BY id), '') \
                    || E'\\nhistory:' || (SELECT count(*) FROM page_history WHERE space_id = '{0}') \
             FROM pages WHERE space_id = '{0}'",
            space.id
        ))
    }

    // -- gitsync SQL interface -------------------------------------------------

    /// `SELECT gitsync_run_once(space)` as the superuser.
    pub fn run_once(&self, space_id: &str) -> Value {
        self.json(&format!("SELECT gitsync_run_once('{space_id}')::text"))
    }

    /// Runs one cycle, retrying while the worker holds the space, and asserts
    /// that it ran without error. Returns the result.
    pub fn run_cycle(&self, space: &Space) -> Value {
        let result = self.wait_for(WORKER_TIMEOUT, "gitsync_run_once to run", || {
            let r = self.run_once(&space.id);
            let busy = matches!(
                r["skipped"].as_str(),
                Some("lock-held") | Some("in-progress")
            );
            (!busy).then_some(r)
        });
        assert_eq!(
            result["ran"],
            json!(true),
            "cycle did not run: {result}\nserver log tail:\n{}",
            self.log_tail(30)
        );
        assert!(
            result["error"].is_null(),
            "cycle failed: {result}\nserver log tail:\n{}",
            self.log_tail(30)
        );
        result
    }

    /// The gitsync_status() row of a space as a JSON object (Null if none).
    pub fn status(&self, space_id: &str) -> Value {
        self.json(&format!(
            "SELECT row_to_json(s)::text FROM gitsync_status() s WHERE s.space_id = '{space_id}'"
        ))
    }

    /// gitsync.run_history rows of a space, oldest first.
    pub fn run_history(&self, space_id: &str) -> Vec<Value> {
        match self.json(&format!(
            "SELECT coalesce(json_agg(h ORDER BY h.id), '[]')::text \
             FROM gitsync.run_history h WHERE h.space_id = '{space_id}'"
        )) {
            Value::Array(rows) => rows,
            other => panic!("unexpected run_history: {other}"),
        }
    }

    /// A psql session kept open (stdin piped), e.g. to hold a transaction.
    pub fn session(&self) -> Session<'_> {
        Session::open(self)
    }

    // -- vault ---------------------------------------------------------------

    pub fn vault_path(&self, space_id: &str) -> PathBuf {
        self.vault_root.join(format!("{space_id}.git"))
    }

    /// `git <args>` run as postgres in `dir` with a private HOME.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        output_of(
            as_postgres("env")
                .arg(format!("HOME={}", self.git_home.display()))
                .args(["GIT_CONFIG_NOSYSTEM=1", "git"])
                .args([
                    "-c",
                    "user.name=Test User",
                    "-c",
                    "user.email=test@example.com",
                ])
                .arg("-C")
                .arg(dir)
                .args(args),
        )
    }

    /// `git <args>` in `dir`; panics unless it succeeds; stdout.
    pub fn git_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git_in(dir, args);
        if !out.status.success() {
            panic!(
                "git {args:?} in {} failed:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git <args>` in the space's vault; panics unless it succeeds.
    pub fn vault_git(&self, space_id: &str, args: &[&str]) -> String {
        self.git_ok(&self.vault_path(space_id), args)
    }

    /// Commit id of `rev` in the space's vault, or None.
    pub fn rev(&self, space_id: &str, rev: &str) -> Option<String> {
        let vault = self.vault_path(space_id);
        if !vault.is_dir() {
            return None;
        }
        let out = self.git_in(
            &vault,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        );
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Sorted file paths of `rev` (empty when the vault or rev does not exist).
    pub fn vault_files(&self, space_id: &str, rev: &str) -> Vec<String> {
        if self.rev(space_id, rev).is_none() {
            return Vec::new();
        }
        let mut files: Vec<String> = self
            .vault_git(
                space_id,
                &[
                    "-c",
                    "core.quotePath=false",
                    "ls-tree",
                    "-r",
                    "--name-only",
                    rev,
                ],
            )
            .lines()
            .map(str::to_string)
            .collect();
        files.sort();
        files
    }

    /// Content of `path` at `rev` (e.g. "main"), or None.
    pub fn vault_file(&self, space_id: &str, rev: &str, path: &str) -> Option<String> {
        let vault = self.vault_path(space_id);
        if !vault.is_dir() {
            return None;
        }
        let out = self.git_in(&vault, &["show", &format!("{rev}:{path}")]);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits until `path` exists on main with exactly `content`.
    pub fn wait_for_file(&self, space_id: &str, path: &str, content: &str) {
        self.wait_until(
            WORKER_TIMEOUT,
            &format!("{path} on main of {space_id} to be {content:?}"),
            || self.vault_file(space_id, "main", path).as_deref() == Some(content),
        );
    }

    /// Number of commits reachable from `rev`.
    pub fn commit_count(&self, space_id: &str, rev: &str) -> usize {
        self.vault_git(space_id, &["rev-list", "--count", rev])
            .trim()
            .parse()
            .unwrap()
    }

    /// A fresh directory owned by postgres under the cluster root.
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        fs::create_dir_all(&dir).unwrap();
        chown_postgres(&dir);
        dir
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = self.pg_ctl("stop", &["-m", "immediate"]);
        }
        if std::env::var_os("GITSYNC_PG_TEST_KEEP").is_some() {
            eprintln!("keeping test cluster at {}", self.root.display());
        } else {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

// ---------------------------------------------------------------------------
// Held psql sessions
// ---------------------------------------------------------------------------

/// A psql process reading SQL from a pipe: it keeps its connection (and any
/// open transaction) until [`Session::finish`] or drop.
pub struct Session<'a> {
    cluster: &'a Cluster,
    child: Child,
    stdin: Option<ChildStdin>,
    app: String,
    out_file: PathBuf,
}

impl<'a> Session<'a> {
    fn open(cluster: &'a Cluster) -> Session<'a> {
        let n = SESSION_COUNTER.fetch_add(1, Ordering::SeqCst);
        let app = format!("gitsync-test-session-{n}");
        let out_file = cluster.root.join(format!("{app}.out"));
        let out = fs::File::create(&out_file).unwrap();
        let err = out.try_clone().unwrap();
        let mut child = cluster
            .psql("postgres", DB)
            .env("PGAPPNAME", &app)
            .env("PGOPTIONS", "-c statement_timeout=120000")
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn psql session");
        let stdin = child.stdin.take();
        let session = Session {
            cluster,
            child,
            stdin,
            app,
            out_file,
        };
        session.wait_idle("");
        session
    }

    /// Sends SQL without waiting.
    pub fn send(&mut self, sql: &str) {
        let stdin = self.stdin.as_mut().expect("session already finished");
        stdin.write_all(sql.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// Sends SQL and waits until the session is idle again with a last query
    /// containing `marker`; panics if its transaction got aborted.
    pub fn run(&mut self, sql: &str, marker: &str) {
        self.send(sql);
        self.wait_idle(marker);
    }

    fn wait_idle(&self, marker: &str) {
        let query = format!(
            "SELECT state FROM pg_stat_activity WHERE application_name = {} \
             AND state LIKE 'idle%' AND strpos(query, {}) > 0",
            lit(&self.app),
            lit(marker)
        );
        let state = self.cluster.wait_for(
            WORKER_TIMEOUT,
            &format!(
                "session {} to finish a statement containing {marker:?}",
                self.app
            ),
            || self.cluster.try_sql(&query).ok().filter(|s| !s.is_empty()),
        );
        assert!(
            !state.contains("aborted"),
            "session {} failed: {}",
            self.app,
            self.output()
        );
    }

    /// Backend pid of the session.
    pub fn pid(&self) -> i32 {
        self.cluster
            .sql(&format!(
                "SELECT pid FROM pg_stat_activity WHERE application_name = {}",
                lit(&self.app)
            ))
            .parse()
            .unwrap()
    }

    pub fn output(&self) -> String {
        fs::read_to_string(&self.out_file).unwrap_or_default()
    }

    /// Closes stdin, waits for psql to exit and returns its output.
    pub fn finish(mut self) -> String {
        self.close();
        self.output()
    }

    fn close(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Our own child, by pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            self.close();
        }
    }
}
