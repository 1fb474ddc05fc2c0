//! Throwaway repositories driven with the `git` CLI, the real binaries, and the sandbox on loopback.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use notion_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

pub const ZH_DB: &str = "2845c4eb-9526-8182-8ccf-000b14d4c431";

/// The seed team's configuration (Chinese property names).
pub const ZH_CONFIG: &str = r#"
database = "https://www.notion.so/acme/2845c4eb952681828ccf000b14d4c431"
[properties]
title = "标题"
status = "状态"
date = "日期"
commit_url = "Commit"
[status]
on_commit = "进行中"
on_merge = "完成"
closing_keywords = ["fixes", "closes", "完成", "完成工单", "修复"]
"#;

/// The English database: a select-typed Status and `TASK-N` unique ids.
pub const EN_CONFIG: &str = r#"
database = "6f8258748fb84d328e423dbfff883005"
[tickets]
id_prefixes = ["TASK"]
[properties]
title = "Name"
status = "Status"
date = "Date"
commit_url = "Commit"
[status]
on_commit = "In Progress"
on_merge = "Done"
"#;

pub fn bin(name: &str) -> PathBuf {
    match name {
        "git-notion" => PathBuf::from(env!("CARGO_BIN_EXE_git-notion")),
        "git-notion-replay" => PathBuf::from(env!("CARGO_BIN_EXE_git-notion-replay")),
        "git-notion-hook" => PathBuf::from(env!("CARGO_BIN_EXE_git-notion-hook")),
        other => panic!("no binary {other}"),
    }
}

pub fn dashed(id: &str) -> String {
    let h: String = id.chars().filter(|c| *c != '-').collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// No pacing: tests that count requests need not wait for the 3 requests/s limiter.
pub const FAST: &str = "\n[api]\nrequests_per_second = 500\nburst = 50\n";

/// A sandbox, a temporary HOME and a git repository with git-notion's hook installed.
pub struct World {
    pub sb: Sandbox,
    pub _tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub repo: PathBuf,
    pub token: String,
    /// Seconds past 2025-10-02 00:00 UTC for the next [`World::git_timed`] command.
    clock: std::cell::Cell<i64>,
    /// The Notion API version this world's commands speak, when a test chooses one ([`World::speak`]).
    version: std::cell::RefCell<Option<String>>,
}

impl World {
    pub fn new(seed: &str, config: &str) -> World {
        Self::with_sandbox(Sandbox::start_builtin(seed).expect("sandbox"), config)
    }

    /// A sandbox that answers 429 above `rps` requests a second (bursts of 3), as Notion does.
    pub fn rate_limited(seed: &str, config: &str, rps: f64) -> World {
        let seed = notion_sandbox::seed::load(seed).expect("seed");
        let sb = Sandbox::start(
            &seed,
            SandboxConfig {
                rps: Some(rps),
                burst: 3,
                ..SandboxConfig::default()
            },
        )
        .expect("sandbox");
        Self::with_sandbox(sb, config)
    }

    /// A sandbox started from this seed (and `config`).
    pub fn with_seed(seed: &Value, sandbox: SandboxConfig, config: &str) -> World {
        Self::with_sandbox(Sandbox::start(seed, sandbox).expect("sandbox"), config)
    }

    fn with_sandbox(sb: Sandbox, config: &str) -> World {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path().join("home");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&repo).unwrap();
        let token = sb.token();
        let w = World {
            sb,
            _tmp: tmp,
            home,
            repo,
            token,
            clock: std::cell::Cell::new(0),
            version: Default::default(),
        };
        w.git(&["init", "-q", "-b", "main"]);
        w.git(&["remote", "add", "origin", "git@github.com:acme/mt5.git"]);
        if !config.is_empty() {
            std::fs::write(w.repo.join(".git-notion.toml"), config).unwrap();
        }
        // As users install them: `git notion hooks install` (reference-transaction on git >= 2.28).
        let out = w.run(&["hooks", "install"]);
        assert!(out.status.success(), "{}", stderr(&out));
        w
    }

    /// `git` in `dir` with author and committer dates one minute later than the previous such command
    /// (so that "the latest commit" is a fact, not a tie).
    pub fn git_timed(&self, dir: &Path, args: &[&str]) -> String {
        let t = self.clock.get() + 60;
        self.clock.set(t);
        let date = format!("{} +0800", 1_759_334_400 + t);
        self.git_with(
            dir,
            args,
            &[("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)],
        )
    }

    /// `git` in `dir` with extra environment variables; its stdout (it must succeed).
    pub fn git_with(&self, dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
        let out = self
            .command(Path::new("git"))
            .current_dir(dir)
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git notion-replay --apply` started in the background, returned once it has written `writes` pages.
    pub fn apply_until(&self, writes: usize) -> std::process::Child {
        let child = self
            .command(&bin("git-notion-replay"))
            .arg("--apply")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        self.wait_for_writes(writes);
        child
    }

    /// Waits until the sandbox has seen `writes` writes (30 s at most).
    pub fn wait_for_writes(&self, writes: usize) {
        let started = std::time::Instant::now();
        while self.write_count() < writes {
            assert!(
                started.elapsed().as_secs() < 30,
                "the apply did not start writing"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Lets the hooks' deliveries settle as a user would see them: the background flusher finishes, then
    /// `git notion flush` tries once more whatever waits (a retry after a fault, say).
    pub fn settle(&self) -> Output {
        self.wait_for_flusher();
        self.run(&["flush"])
    }

    /// The invariant: after the hooks settle, `git notion-replay --all` plans nothing (no property, no
    /// comment).
    pub fn assert_replay_plans_nothing(&self) {
        let out = self.replay(&["--all", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        let s = &v["summary"];
        assert_eq!(s["to_update"], 0, "the replay would still change: {v:#}");
        assert_eq!(s["comments"], 0, "the replay would still comment: {v:#}");
        assert_eq!(s["to_create"], 0, "the replay would still create: {v:#}");
    }

    /// A bare `origin` this repository pushes to and pulls from (its URL stays the GitHub one, rewritten
    /// with `url.<path>.insteadOf`, so commit links keep their form), `main` pushed; and a teammate's
    /// clone without git-notion. Returns the teammate's directory.
    pub fn origin_and_teammate(&self) -> PathBuf {
        let root = self.repo.parent().unwrap().to_path_buf();
        let bare = root.join("origin.git");
        let mate = root.join("teammate");
        self.git_in(
            &root,
            &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()],
        );
        let rewrite = format!("url.{}.insteadOf", bare.display());
        self.git(&["config", &rewrite, "git@github.com:acme/mt5.git"]);
        self.git(&["push", "-q", "-u", "origin", "main"]);
        self.git_in(
            &root,
            &[
                "clone",
                "-q",
                bare.to_str().unwrap(),
                mate.to_str().unwrap(),
            ],
        );
        self.git_in(
            &mate,
            &["remote", "set-url", "origin", "git@github.com:acme/mt5.git"],
        );
        self.git_in(&mate, &["config", &rewrite, "git@github.com:acme/mt5.git"]);
        mate
    }

    /// Replaces the installed hooks by the four `post-*` sh shims of `hooks/` (what a user copying them
    /// runs).
    pub fn use_post_hooks(&self) {
        let out = self.run(&["hooks", "uninstall"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let hooks = self.repo.join(".git/hooks");
        for hook in ["post-commit", "post-merge", "post-rewrite", "post-checkout"] {
            let shim = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("hooks")
                .join(hook);
            std::fs::copy(&shim, hooks.join(hook)).unwrap();
        }
    }

    /// The outbox directory (under the common git dir).
    pub fn outbox_dir(&self) -> PathBuf {
        self.repo.join(".git/git-notion")
    }

    /// Holds `flush.lock` as a running flusher would (until the file is dropped): hooks leave their work
    /// queued.
    pub fn hold_flusher(&self) -> std::fs::File {
        std::fs::create_dir_all(self.outbox_dir()).unwrap();
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.outbox_dir().join("flush.lock"))
            .unwrap();
        f.lock().unwrap();
        f
    }

    /// Asserts that the sandbox saw `pages` writes, each to a different page.
    pub fn assert_each_page_written_once(&self, pages: usize) {
        let writes = self.sb.writes();
        let mut paths: Vec<&str> = writes.iter().map(|r| r.path.as_str()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(
            (writes.len(), paths.len()),
            (pages, pages),
            "each page once"
        );
    }

    /// Asserts that doctor's hooks check passes and says every branch move is seen.
    pub fn assert_every_move_seen(&self) {
        let check = self.doctor_check("hooks");
        assert_eq!(check["status"], "ok", "{check:#}");
        let detail = check["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("every branch move"), "{check:#}");
    }

    /// One check of `git notion doctor --json` (Null when doctor has no such check).
    pub fn doctor_check(&self, name: &str) -> Value {
        let out = self.run(&["doctor", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_default()
    }

    /// `git notion status --json`.
    pub fn outbox(&self) -> Value {
        let out = self.run(&["status", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Whether a flusher holds `flush.lock`, seen in `/proc/locks` without touching the lock: a probe that
    /// took the lock for an instant would make a flusher starting at that instant leave at once (it takes
    /// the holder for another flusher), and the queue would wait for the next commit.
    pub fn flusher_running(&self) -> bool {
        self.flusher_running_in(&self.repo)
    }

    /// [`World::flusher_running`] for the clone at `dir`.
    pub fn flusher_running_in(&self, dir: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir.join(".git/git-notion").join("flush.lock")) else {
            return false;
        };
        let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
        let inode = format!(":{}", meta.ino());
        locks.lines().any(|l| {
            l.split_whitespace()
                .nth(5)
                .is_some_and(|dev_inode| dev_inode.ends_with(&inode))
        })
    }

    /// Waits until the background flusher has finished: no flusher holds its lock and every pending
    /// event has been tried at least once.
    pub fn wait_for_flusher(&self) {
        self.wait_for_flusher_in(&self.repo)
    }

    /// [`World::wait_for_flusher`] for the clone at `dir`.
    pub fn wait_for_flusher_in(&self, dir: &Path) {
        let outbox = dir.join(".git/git-notion");
        let started = std::time::Instant::now();
        loop {
            let idle = !self.flusher_running_in(dir);
            let settled = std::fs::read(outbox.join("outbox.json"))
                .ok()
                .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
                .map(|v| {
                    v["events"]
                        .as_array()
                        .is_none_or(|a| a.iter().all(|e| e["attempts"].as_u64() > Some(0)))
                })
                .unwrap_or(true);
            // Events a hook appended and no flusher has taken yet.
            let queued = outbox.join("queue.jsonl").exists();
            if idle && settled && !queued {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "the flusher did not finish (idle {idle}, settled {settled}, queued {queued}): {}",
                std::fs::read_to_string(outbox.join("outbox.json")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The environment of every command: pinned dates and identities, a private HOME, no system config,
    /// no proxies, our binaries first on PATH, the sandbox as the API.
    pub fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.repo).env_clear();
        let bin_dir = bin("git-notion").parent().unwrap().to_path_buf();
        let path = std::env::var("PATH").unwrap_or_default();
        pinned_env(&mut c, &self.home, &format!("{}:{path}", bin_dir.display()));
        c.env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("NOTION_TOKEN", &self.token)
            .env("GIT_NOTION_API_URL", self.sb.base_url());
        if let Some(v) = self.version.borrow().as_deref() {
            c.env("GIT_NOTION_API_VERSION", v);
        }
        c
    }

    /// Every later command (hooks and their flusher included) speaks this Notion API version, whatever
    /// the suite runs against.
    pub fn speak(&self, version: &str) {
        *self.version.borrow_mut() = Some(version.to_string());
    }

    /// `git commit --amend --allow-empty -m message` (post-rewrite runs).
    pub fn amend(&self, message: &str) {
        self.git(&["commit", "-q", "--amend", "--allow-empty", "-m", message]);
    }

    pub fn git_output(&self, args: &[&str]) -> Output {
        self.command(Path::new("git"))
            .args(args)
            .output()
            .expect("git runs")
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.repo, args)
    }

    /// `git` in another directory (a clone, a worktree), with the same environment.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        self.git_with(dir, args, &[])
    }

    /// `git commit --allow-empty -m message`: the hook runs as it would for a developer.
    pub fn commit(&self, message: &str) -> Output {
        let out = self.git_output(&["commit", "-q", "--allow-empty", "-m", message]);
        assert!(
            out.status.success(),
            "commit failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A commit made with hooks disabled (history that never passed through git-notion).
    pub fn commit_without_hook(&self, message: &str) {
        self.commit_without_hook_in(&self.repo, message);
    }

    pub fn commit_without_hook_in(&self, dir: &Path, message: &str) {
        self.commit_without_hook_as(dir, "dev@example.com", message);
    }

    /// [`World::commit_without_hook_in`] by the author with this email.
    pub fn commit_without_hook_as(&self, dir: &Path, email: &str, message: &str) {
        self.commit_without_hook_with(dir, message, &[("GIT_AUTHOR_EMAIL", email)]);
    }

    /// [`World::commit_without_hook_in`] with these environment variables (an author, a date).
    pub fn commit_without_hook_with(&self, dir: &Path, message: &str, envs: &[(&str, &str)]) {
        self.git_with(
            dir,
            &[
                "-c",
                "core.hooksPath=/dev/null",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                message,
            ],
            envs,
        );
    }

    /// Runs one of our binaries (`git-notion`, `git-notion-replay`) in the clone at `dir`.
    pub fn run_in(&self, dir: &Path, binary: &str, args: &[&str]) -> Output {
        self.command(&bin(binary))
            .current_dir(dir)
            .args(args)
            .output()
            .expect("the binary runs")
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(&bin("git-notion"))
            .args(args)
            .output()
            .expect("git-notion runs")
    }

    /// Runs `git-notion-replay` with `args`.
    pub fn replay(&self, args: &[&str]) -> Output {
        self.command(&bin("git-notion-replay"))
            .args(args)
            .output()
            .expect("git-notion-replay runs")
    }

    /// Appends commits with these messages to `main` through `git fast-import` (fast, no hooks), one minute
    /// apart from 2025-10-01 12:00 +08:00 on.
    pub fn import_history(&self, messages: &[String]) {
        let parent = stdout(&self.git_output(&["rev-parse", "-q", "--verify", "refs/heads/main"]));
        let mut stream = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let t = 1_759_291_200 + 60 * i as i64;
            stream.extend_from_slice(b"commit refs/heads/main\n");
            stream.extend_from_slice(
                format!("committer Dev <dev@example.com> {t} +0800\n").as_bytes(),
            );
            stream.extend_from_slice(format!("data {}\n", m.len()).as_bytes());
            stream.extend_from_slice(m.as_bytes());
            stream.push(b'\n');
            if i == 0 && !parent.trim().is_empty() {
                stream.extend_from_slice(format!("from {}\n", parent.trim()).as_bytes());
            }
            stream.push(b'\n');
        }
        let mut child = self
            .command(Path::new("git"))
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "fast-import",
                "--quiet",
                "--force",
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&stream).unwrap();
        assert!(child.wait().unwrap().success());
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.repo.join(".git-notion.toml"), text).unwrap();
    }

    /// Plain text of a page property in the sandbox (title and rich text joined, select/status name,
    /// date start, url).
    pub fn prop(&self, page_id: &str, name: &str) -> String {
        let st = self.sb.state();
        let page = st.page(&dashed(page_id)).expect("page exists");
        let v = st.page_property(page, name).expect("property exists");
        let kind = v["type"].as_str().unwrap().to_string();
        let inner = &v[&kind];
        match kind.as_str() {
            "title" | "rich_text" => inner
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["plain_text"].as_str().unwrap_or_default())
                .collect(),
            "status" | "select" => inner["name"].as_str().unwrap_or_default().into(),
            "date" => inner["start"].as_str().unwrap_or_default().into(),
            "url" => inner.as_str().unwrap_or_default().into(),
            _ => inner.to_string(),
        }
    }

    /// The status (状态) of the page whose title starts with `prefix`.
    pub fn prop_by_title(&self, prefix: &str) -> String {
        let id = self
            .sb
            .state()
            .find_page_by_title(prefix)
            .unwrap_or_else(|| panic!("no page {prefix}"))
            .id
            .clone();
        self.prop(&id, "状态")
    }

    /// Calls the sandbox's Notion API directly (as a teammate or another tool would); returns status and body.
    pub fn api(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.sb.base_url()))
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Notion-Version", "2025-09-03")
            .header("Content-Type", "application/json")
            .body(if body.is_null() {
                vec![]
            } else {
                body.to_string().into_bytes()
            })
            .unwrap();
        let mut resp = agent.run(req).expect("sandbox answers");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sets a page's properties through the API, then clears the request log.
    pub fn edit_page(&self, page_id: &str, properties: Value) {
        let path = format!("/v1/pages/{}", dashed(page_id));
        let (status, body) = self.api("PATCH", &path, json!({ "properties": properties }));
        assert_eq!(status, 200, "{body}");
        self.sb.clear_log();
    }

    pub fn write_count(&self) -> usize {
        self.sb.writes().len()
    }
}

/// The property names a PATCH body sets, sorted.
pub fn patched_properties(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The Notion API version the suite runs against: git-notion's default, or `GIT_NOTION_API_VERSION` from
/// the test's own environment (`.ci/run` runs the suite once per version), passed on to every command.
pub fn api_version() -> String {
    std::env::var("GIT_NOTION_API_VERSION").unwrap_or_else(|_| "2026-03-11".into())
}

/// A cleared environment with a private HOME, no system git config, pinned identities and dates, and the
/// API version under test.
pub fn pinned_env(c: &mut Command, home: &Path, path: &str) {
    c.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", "2025-10-01T12:00:00+08:00")
        .env("GIT_COMMITTER_DATE", "2025-10-01T12:00:00+08:00");
    if let Ok(v) = std::env::var("GIT_NOTION_API_VERSION") {
        c.env("GIT_NOTION_API_VERSION", v);
    }
}

/// What a commit's `post-*` hooks said: its stderr without the `commit-msg` hook's lines, which say what
/// the message does (`git-notion: #006: closes, → 完成 now`); warnings (`git-notion: warning: …`) stay.
pub fn post_hook_stderr(o: &Output) -> String {
    stderr(o)
        .lines()
        .filter(|l| !l.starts_with("git-notion: ") || l.starts_with("git-notion: warning:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The token must appear in no output.
pub fn assert_no_token(o: &Output, token: &str) {
    if token.is_empty() {
        return;
    }
    for text in [stdout(o), stderr(o)] {
        assert!(!text.contains(token), "token leaked: {text}");
    }
}

/// The status and detail of one doctor check.
pub fn check<'a>(report: &'a Value, name: &str) -> (&'a str, &'a str, &'a str) {
    let c = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"));
    (
        c["status"].as_str().unwrap(),
        c["detail"].as_str().unwrap(),
        c["fix"].as_str().unwrap_or(""),
    )
}

/// Runs `c` to its end and returns its output and its peak resident memory in KiB (`wait4`'s
/// `ru_maxrss` for that process alone, so other tests running meanwhile do not count).
#[allow(
    clippy::zombie_processes,
    reason = "waited for with wait4, which std does not know of"
)]
pub fn run_measuring_rss(mut c: Command) -> (Output, u64) {
    use std::io::Read;
    let mut child = c
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = vec![];
        let _ = out_pipe.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = vec![];
        let _ = err_pipe.read_to_end(&mut b);
        b
    });
    let mut status: libc::c_int = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pid is our child's, not yet waited for; status and usage are valid out-pointers.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    use std::os::unix::process::ExitStatusExt;
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    };
    (output, usage.ru_maxrss as u64)
}
