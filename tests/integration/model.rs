//! The model-based test of the invariant *after the hooks' deliveries settle, `git notion-replay --all`
//! plans nothing*: random workflows over a real repository with the installed hooks in background mode and
//! a teammate's clone behind a bare `origin`: commits naming tickets with and without closing keywords on
//! feature branches and main, fast-forward and `--no-ff` merges, `pull --rebase` and `pull` of teammate
//! commits, cherry-picks, amends, rebases, reverts, `#status`, `#comment`, offline windows, single
//! transient faults, commits without a token, `kill -9` of the flusher, and a `sync` or replay started
//! while the flusher runs. After each case: the flusher settles, `git notion flush`, then (a) the replay
//! plans nothing, (b) nothing is left pending, (c) no comment was posted twice and no page was written
//! twice in a row with the same values.
//!
//! CI runs 100 cases of 10–30 steps from a fixed seed for each install (the default post-* hooks, and
//! `--every-move`). A longer run:
//! `GIT_NOTION_MODEL_CASES=500 GIT_NOTION_MODEL_SEED=7 cargo test --test integration model -- --nocapture`.
//! A failure prints the steps as a shell-like script (shrunk to a small one).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::process::Child;

use notion_sandbox::Fault;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::util::*;

/// Tickets with a page, and one without (a sub-ticket).
/// `TASK-n` are a second database's (`[[databases]]`): keys route to two databases.
const TICKETS: [&str; 8] = [
    "#005", "#006", "#007", "#009", "#011", "#011.3", "TASK-2", "TASK-3",
];
const STATUSES: [&str; 3] = ["未开始", "进行中", "完成"];
const FEATURES: [&str; 2] = ["feature-a", "feature-b"];

#[derive(Clone)]
enum Step {
    Commit {
        ticket: usize,
        close: bool,
        comment: bool,
    },
    Status {
        ticket: usize,
        status: usize,
    },
    Switch(Option<usize>),
    Merge {
        feature: usize,
        no_ff: bool,
    },
    Teammate {
        ticket: usize,
        close: bool,
    },
    Pull {
        rebase: bool,
    },
    CherryPick(usize),
    Amend {
        ticket: usize,
        close: bool,
    },
    Rebase(usize),
    Revert,
    Offline(bool),
    Transient,
    NoToken {
        ticket: usize,
        close: bool,
    },
    KillFlusher,
    SyncMeanwhile,
    ReplayMeanwhile,
    /// `git notion sync` started in both clones at the same instant.
    SyncBoth,
    /// `git tag vN` at HEAD (a release: `on_release`, `[properties] release`).
    Tag,
}

fn message(ticket: usize, close: bool, n: impl fmt::Display) -> String {
    let t = TICKETS[ticket % TICKETS.len()];
    if close {
        format!("feat: step {n}, closes {t}")
    } else {
        format!("chore: step {n} on {t}")
    }
}

impl fmt::Debug for Step {
    /// The step as the commands it runs (the failure report is a script).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = |i: &usize| TICKETS[*i % TICKETS.len()];
        match self {
            Step::Commit {
                ticket,
                close,
                comment,
            } => write!(
                f,
                "git commit -m '{}{}'",
                message(*ticket, *close, "N"),
                if *comment { " #comment note" } else { "" }
            ),
            Step::Status { ticket, status } => write!(
                f,
                "git commit -m 'chore: {} #status {}'",
                t(ticket),
                STATUSES[*status % 3]
            ),
            Step::Switch(None) => write!(f, "git switch main"),
            Step::Switch(Some(b)) => write!(f, "git switch -C? {}", FEATURES[*b % 2]),
            Step::Merge { feature, no_ff } => write!(
                f,
                "git switch main && git merge {}{}",
                if *no_ff { "--no-ff " } else { "" },
                FEATURES[*feature % 2]
            ),
            Step::Teammate { ticket, close } => write!(
                f,
                "(teammate) git commit -m '{}' && git push",
                message(*ticket, *close, "N")
            ),
            Step::Pull { rebase } => write!(
                f,
                "git switch main && git pull{}",
                if *rebase { " --rebase" } else { " --no-rebase" }
            ),
            Step::CherryPick(b) => {
                write!(f, "git switch main && git cherry-pick {}", FEATURES[*b % 2])
            }
            Step::Amend { ticket, close } => {
                write!(
                    f,
                    "git commit --amend -m '{}'",
                    message(*ticket, *close, "N")
                )
            }
            Step::Rebase(b) => write!(
                f,
                "git switch {0} && git rebase main && git switch main",
                FEATURES[*b % 2]
            ),
            Step::Revert => write!(f, "git revert --no-edit HEAD"),
            Step::Offline(true) => write!(f, "# Notion goes offline"),
            Step::Offline(false) => write!(f, "# Notion is back"),
            Step::Transient => write!(f, "# the next PATCH answers 503"),
            Step::NoToken { ticket, close } => write!(
                f,
                "env -u NOTION_TOKEN git commit -m '{}'",
                message(*ticket, *close, "N")
            ),
            Step::KillFlusher => write!(f, "kill -9 $(cat .git/git-notion/flush.lock)"),
            Step::SyncMeanwhile => write!(f, "git notion sync &"),
            Step::ReplayMeanwhile => write!(f, "git notion-replay --all --apply &"),
            Step::SyncBoth => write!(f, "git notion sync & (teammate) git notion sync &"),
            Step::Tag => write!(f, "git tag vN"),
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    let ticket = 0..TICKETS.len();
    prop_oneof![
        6 => (ticket.clone(), any::<bool>(), prop::bool::weighted(0.15)).prop_map(
            |(ticket, close, comment)| Step::Commit { ticket, close, comment }
        ),
        1 => (ticket.clone(), 0..3usize).prop_map(|(ticket, status)| Step::Status { ticket, status }),
        3 => prop::option::of(0..2usize).prop_map(Step::Switch),
        3 => (0..2usize, any::<bool>()).prop_map(|(feature, no_ff)| Step::Merge { feature, no_ff }),
        2 => (ticket.clone(), any::<bool>()).prop_map(|(ticket, close)| Step::Teammate { ticket, close }),
        2 => any::<bool>().prop_map(|rebase| Step::Pull { rebase }),
        1 => (0..2usize).prop_map(Step::CherryPick),
        1 => (ticket.clone(), any::<bool>()).prop_map(|(ticket, close)| Step::Amend { ticket, close }),
        1 => (0..2usize).prop_map(Step::Rebase),
        1 => Just(Step::Revert),
        1 => any::<bool>().prop_map(Step::Offline),
        1 => Just(Step::Transient),
        1 => (ticket, any::<bool>()).prop_map(|(ticket, close)| Step::NoToken { ticket, close }),
        1 => Just(Step::KillFlusher),
        1 => Just(Step::SyncMeanwhile),
        1 => Just(Step::ReplayMeanwhile),
        1 => Just(Step::SyncBoth),
        1 => Just(Step::Tag),
    ]
}

/// The API URL of the teammate's clone: the same sandbox by another name, so the request log tells the
/// two clones' requests apart (by `Host`).
fn mate_api(w: &World) -> String {
    w.sb.base_url().replace("127.0.0.1", "localhost")
}

/// The clone a logged request came from.
fn clone_of(r: &notion_sandbox::LoggedRequest) -> &str {
    match r.header("Host") {
        Some(h) if h.starts_with("localhost") => "teammate",
        _ => "here",
    }
}

/// One case, run for real.
struct Case<'a> {
    w: &'a World,
    mate: std::path::PathBuf,
    /// Commits made so far (each adds its own file, so merges, rebases and picks never conflict).
    n: usize,
    children: Vec<Child>,
}

impl Case<'_> {
    fn git(&self, args: &[&str]) -> std::process::Output {
        self.w.git_output(args)
    }

    fn branch_exists(&self, b: &str) -> bool {
        self.git(&["rev-parse", "-q", "--verify", &format!("refs/heads/{b}")])
            .status
            .success()
    }

    fn commit_in(&mut self, dir: &Path, message: &str, token: bool) {
        self.n += 1;
        let file = format!("f{}-{}.txt", self.n, dir == self.mate);
        std::fs::write(dir.join(&file), format!("{}\n", self.n)).unwrap();
        self.w.git_in(dir, &["add", &file]);
        let t = 1_759_334_400 + 60 * self.w_tick();
        let date = format!("{t} +0800");
        let mut c = self.w.command(Path::new("git"));
        if dir == self.mate {
            c.env("GIT_NOTION_API_URL", mate_api(self.w));
        }
        c.current_dir(dir)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "-m", message]);
        if !token {
            c.env_remove("NOTION_TOKEN");
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn w_tick(&mut self) -> usize {
        self.n
    }

    /// A git command that may refuse in this state (nothing to merge, a merge at HEAD to revert): then
    /// the step does nothing.
    fn try_timed(&mut self, args: &[&str]) {
        self.n += 1;
        let date = format!("{} +0800", 1_759_334_400 + 60 * self.n);
        let out = self
            .w
            .command(Path::new("git"))
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(args)
            .output()
            .unwrap();
        if !out.status.success() {
            // Leave no half-done operation behind.
            for abort in [
                &["cherry-pick", "--abort"][..],
                &["revert", "--abort"],
                &["rebase", "--abort"],
                &["merge", "--abort"],
            ] {
                let _ = self.git(abort);
            }
        }
    }

    fn to_main(&self) {
        self.w.git(&["switch", "-q", "main"]);
    }

    fn run(&mut self, step: &Step) {
        let repo = self.w.repo.clone();
        match step {
            Step::Commit {
                ticket,
                close,
                comment,
            } => {
                let mut m = message(*ticket, *close, self.n + 1);
                if *comment {
                    m.push_str(&format!(" #comment note {}", self.n + 1));
                }
                self.commit_in(&repo, &m, true);
            }
            Step::Status { ticket, status } => {
                let m = format!(
                    "chore: step {} {} #status {}",
                    self.n + 1,
                    TICKETS[*ticket],
                    STATUSES[*status % 3]
                );
                self.commit_in(&repo, &m, true);
            }
            Step::Switch(None) => self.to_main(),
            Step::Switch(Some(b)) => {
                let b = FEATURES[*b % 2];
                if self.branch_exists(b) {
                    self.w.git(&["switch", "-q", b]);
                } else {
                    self.w.git(&["switch", "-q", "-c", b]);
                }
            }
            Step::Merge { feature, no_ff } => {
                let b = FEATURES[*feature % 2];
                if self.branch_exists(b) {
                    self.to_main();
                    let mut args = vec!["merge", "-q", "--no-edit"];
                    if *no_ff {
                        args.push("--no-ff");
                    }
                    args.push(b);
                    self.try_timed(&args);
                }
            }
            Step::Teammate { ticket, close } => {
                let mate = self.mate.clone();
                let m = message(*ticket, *close, self.n + 1);
                let api = mate_api(self.w);
                let env = [("GIT_NOTION_API_URL", api.as_str())];
                self.w.git_with(&mate, &["pull", "-q", "--rebase"], &env);
                self.commit_in(&mate, &m, true);
                self.w.git_with(&mate, &["push", "-q"], &env);
            }
            Step::Pull { rebase } => {
                self.to_main();
                self.try_timed(&[
                    "pull",
                    "-q",
                    "--no-edit",
                    if *rebase { "--rebase" } else { "--no-rebase" },
                ]);
                // What the teammate sees next includes ours.
                let _ = self.git(&["push", "-q"]);
            }
            Step::CherryPick(b) => {
                let b = FEATURES[*b % 2];
                if self.branch_exists(b) {
                    self.to_main();
                    self.try_timed(&["cherry-pick", b]);
                }
            }
            Step::Amend { ticket, close } => {
                let m = message(*ticket, *close, self.n + 1);
                self.try_timed(&["commit", "-q", "--amend", "-m", &m]);
            }
            Step::Rebase(b) => {
                let b = FEATURES[*b % 2];
                if self.branch_exists(b) {
                    self.w.git(&["switch", "-q", b]);
                    self.try_timed(&["rebase", "-q", "main"]);
                    self.to_main();
                }
            }
            Step::Revert => self.try_timed(&["revert", "--no-edit", "HEAD"]),
            Step::Tag => {
                self.n += 1;
                // A release is tagged and pushed (the teammate fetches it at the end).
                let tag = format!("v{}", self.n);
                let _ = self.git(&["tag", &tag]);
                let _ = self.git(&["push", "-q", "origin", &tag]);
            }
            Step::Offline(true) => self.w.sb.inject(Fault::drop_connection()),
            Step::Offline(false) => self.w.sb.clear_faults(),
            Step::Transient => self
                .w
                .sb
                .inject(Fault::status(503).method("PATCH").times(1)),
            Step::NoToken { ticket, close } => {
                let m = message(*ticket, *close, self.n + 1);
                self.commit_in(&repo, &m, false);
            }
            Step::KillFlusher => {
                let lock = self.w.outbox_dir().join("flush.lock");
                if self.w.flusher_running() {
                    if let Ok(pid) = std::fs::read_to_string(&lock) {
                        let _ = std::process::Command::new("kill")
                            .args(["-9", pid.trim()])
                            .status();
                    }
                }
            }
            Step::SyncMeanwhile => self.children.push(
                self.w
                    .command(&bin("git-notion"))
                    .arg("sync")
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            ),
            Step::ReplayMeanwhile => self.children.push(
                self.w
                    .command(&bin("git-notion-replay"))
                    .args(["--all", "--apply"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap(),
            ),
            Step::SyncBoth => {
                for dir in [repo, self.mate.clone()] {
                    let mut c = self.w.command(&bin("git-notion"));
                    if dir == self.mate {
                        c.env("GIT_NOTION_API_URL", mate_api(self.w));
                    }
                    self.children.push(
                        c.current_dir(dir)
                            .arg("sync")
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .spawn()
                            .unwrap(),
                    );
                }
            }
        }
    }
}

/// Runs the steps; Err with what went wrong.
fn run_case(steps: &[Step], every_move: bool) -> Result<(), String> {
    // Up to ~150 requests a case: the window budget (180) is not what the model checks.
    // Every commit of a ticket is listed too (备注, a text property), and release tags move what they
    // ship to 已发布 and name it in 版本: the lists and releases must agree as well.
    let config = ZH_CONFIG
        .replacen(
            "commit_url = \"Commit\"\n",
            "commit_url = \"Commit\"\ncommits = \"备注\"\nrelease = \"版本\"\n",
            1,
        )
        .replacen("[status]\n", "[status]\non_release = \"已发布\"\n", 1);
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let props = &mut seed["databases"][0]["data_sources"][0]["properties"];
    props["状态"]["groups"]["Complete"] = serde_json::json!(["完成", "已发布"]);
    props["版本"] = serde_json::json!({"type": "select", "options": []});
    // A second database, Tasks (`TASK-n` unique ids, the same properties), its own `[[databases]]`
    // table: each key goes to its own database, and both must agree with the replay.
    let mut tasks = seed["databases"][0].clone();
    tasks["id"] = serde_json::json!("5eca5eca5eca45ca85eca5eca5eca5ec");
    tasks["title"] = serde_json::json!("Tasks");
    let ds = &mut tasks["data_sources"][0];
    ds["id"] = serde_json::json!("5eca5ecad5d545ca85eca5eca5eca5ec");
    ds["name"] = serde_json::json!("Tasks");
    ds["properties"]["ID"] = serde_json::json!({"type": "unique_id", "prefix": "TASK"});
    let pages = ds["pages"].as_array_mut().unwrap();
    pages.truncate(4);
    for (i, p) in pages.iter_mut().enumerate() {
        p["id"] = serde_json::json!(format!("5eca{:028x}", i + 1));
    }
    seed["databases"].as_array_mut().unwrap().push(tasks);
    let config = format!(
        "{config}\n[[databases]]\nname = \"Tasks\"\ndatabase = \"5eca5eca5eca45ca85eca5eca5eca5ec\"\n\
         [databases.tickets]\nid_prefixes = [\"TASK\"]\n"
    );
    let w = World::with_seed(
        &seed,
        notion_sandbox::SandboxConfig::without_limits(),
        &format!("{config}{FAST}\nmax_retries = 1\n"),
    );
    let install: &[&str] = if every_move {
        &["hooks", "install", "--every-move"]
    } else {
        &["hooks", "install"]
    };
    if every_move {
        let out = w.run(install);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let mate = {
        // A first commit to push.
        std::fs::write(w.repo.join("README"), "demo\n").unwrap();
        w.git(&["add", "README"]);
        w.git_timed(&w.repo.clone(), &["commit", "-q", "-m", "chore: start"]);
        let mate = w.origin_and_teammate();
        // The teammate runs git-notion too: hooks installed, the same configuration.
        std::fs::copy(
            w.repo.join(".git-notion.toml"),
            mate.join(".git-notion.toml"),
        )
        .unwrap();
        let out = w
            .command(&bin("git-notion"))
            .current_dir(&mate)
            .args(install)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        mate
    };
    let mut case = Case {
        w: &w,
        mate,
        n: 1,
        children: vec![],
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for s in steps {
            case.run(s);
        }
        for mut c in std::mem::take(&mut case.children) {
            let _ = c.wait();
        }
        w.sb.clear_faults();
        // A killed flusher leaves its events, and a `sync` what it queued, to the next event: the flush
        // below delivers both.
        // Both clones end with the same history: here takes the teammate's commits and pushes every
        // branch; the teammate pulls them below.
        w.git(&["switch", "-q", "main"]);
        case.try_timed(&["pull", "-q", "--rebase"]);
        let _ = w.git_output(&["push", "-q", "origin", "--all"]);
        let _ = w.git_output(&["push", "-q", "origin", "--tags"]);
        // A flush delivers what a killed flusher left untried and what a `sync` queued (it starts no
        // flusher: the next event delivers it), in both clones; then whatever flusher runs settles.
        w.run(&["flush"]);
        let mate_flush = |w: &World| {
            w.command(&bin("git-notion"))
                .env("GIT_NOTION_API_URL", mate_api(w))
                .current_dir(&case.mate)
                .arg("flush")
                .output()
                .unwrap()
        };
        mate_flush(&w);
        w.wait_for_flusher();
        w.wait_for_flusher_in(&case.mate);
        let out = w.run(&["flush"]);
        let pending = w.outbox()["pending"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            pending.is_empty(),
            "left pending: {pending:#?}\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        // The teammate's clone, once it has what was pushed: its hooks settle and its replay agrees.
        let api = mate_api(&w);
        w.git_with(
            &case.mate,
            &["pull", "-q", "--rebase"],
            &[("GIT_NOTION_API_URL", api.as_str())],
        );
        w.git_with(
            &case.mate,
            &["fetch", "-q", "--tags"],
            &[("GIT_NOTION_API_URL", api.as_str())],
        );
        w.wait_for_flusher_in(&case.mate);
        let out = w
            .command(&bin("git-notion"))
            .env("GIT_NOTION_API_URL", &api)
            .current_dir(&case.mate)
            .args(["flush"])
            .output()
            .unwrap();
        let out2 = w
            .command(&bin("git-notion"))
            .env("GIT_NOTION_API_URL", &api)
            .current_dir(&case.mate)
            .args(["status", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out2.stdout).unwrap();
        assert!(
            v["pending"].as_array().is_none_or(|p| p.is_empty()),
            "the teammate left pending: {v:#}\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        let out = w
            .command(&bin("git-notion-replay"))
            .env("GIT_NOTION_API_URL", &api)
            .current_dir(&case.mate)
            .args(["--all", "--json"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        assert_eq!(
            v["summary"]["to_update"], 0,
            "the teammate's replay would still change: {v:#}"
        );
        assert_eq!(
            v["summary"]["comments"], 0,
            "the teammate's replay would still comment: {v:#}"
        );
        // And here, after all of that.
        w.wait_for_flusher();
        w.assert_replay_plans_nothing();
    }));
    let mut problems = vec![];
    if let Err(panic) = result {
        problems.push(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into()),
        );
    } else {
        // (b) No comment twice on one page; no page written twice in a row with the same values.
        let st = w.sb.state();
        let mut texts: HashMap<(String, String), usize> = HashMap::new();
        for c in &st.comments {
            *texts
                .entry((c.page_id.clone(), c.rich_text.to_string()))
                .or_default() += 1;
        }
        drop(st);
        problems.extend(repeated_writes(&w));
        for ((page, text), n) in texts {
            if n > 1 {
                problems.push(format!("comment posted {n} times on {page}: {text}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Consecutive PATCHes of one page with identical bodies from one clone: a write that changed nothing.
/// (Two clones may both write the same values at the same instant: nothing orders the writers of two
/// repositories, and the re-read before writing narrows that to the time of one request.)
fn repeated_writes(w: &World) -> Vec<String> {
    let mut last: HashMap<(String, String), String> = HashMap::new();
    let mut out = vec![];
    for r in w.sb.writes() {
        // A refused write (503) changed nothing: its retry is not a repeat.
        if r.method != "PATCH" || r.status != 200 {
            continue;
        }
        let key = (clone_of(&r).to_string(), r.path.clone());
        if last.get(&key) == Some(&r.body) {
            out.push(format!(
                "{} written twice by {} with {}",
                r.path, key.0, r.body
            ));
        }
        // Any clone's write is the page's latest value.
        for clone in ["here", "teammate"] {
            last.remove(&(clone.to_string(), r.path.clone()));
        }
        last.insert(key, r.body.clone());
    }
    out
}

/// The default install: the four post-* hooks (tips).
#[test]
fn hooks_and_replay_agree_on_random_workflows() {
    model(false, 2026);
}

/// `hooks install --every-move`: reference-transaction.
#[test]
fn hooks_and_replay_agree_on_random_workflows_with_every_move() {
    model(true, 2027);
}

/// Runs the model: `GIT_NOTION_MODEL_CASES` cases (100 by default) from `GIT_NOTION_MODEL_SEED` (or
/// `default_seed`).
fn model(every_move: bool, default_seed: u64) {
    let cases = std::env::var("GIT_NOTION_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("GIT_NOTION_MODEL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_seed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        max_shrink_iters: 48,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let started = std::time::Instant::now();
    let result = runner.run(&prop::collection::vec(step(), 10..=30), |steps| {
        run_case(&steps, every_move).map_err(|e| {
            let script: Vec<String> = steps.iter().map(|s| format!("  {s:?}")).collect();
            TestCaseError::fail(format!("{e}\nsteps:\n{}", script.join("\n")))
        })
    });
    eprintln!(
        "model ({}): {cases} case(s) from seed {seed} in {:.1} s",
        if every_move {
            "--every-move"
        } else {
            "post-* hooks"
        },
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_model_checks_can_fail() {
    // A page written twice with the same values is caught (the check (c) uses this).
    let w = World::new("zh", ZH_CONFIG);
    let body = serde_json::json!({"状态": {"status": {"name": "完成"}}});
    w.api(
        "PATCH",
        "/v1/pages/17853bd4-e437-4814-8006-01e7495de496",
        serde_json::json!({ "properties": body }),
    );
    w.api(
        "PATCH",
        "/v1/pages/17853bd4-e437-4814-8006-01e7495de496",
        serde_json::json!({ "properties": body }),
    );
    assert_eq!(repeated_writes(&w).len(), 1);
}
