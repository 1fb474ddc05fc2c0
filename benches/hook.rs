//! Two measurements, each side by side in one run. Run with `cargo bench --bench hook`.
//!
//! 1. The post-commit hook's own wall time beside `git rev-parse HEAD` (one git process: the floor any
//!    hook pays): HEAD names no ticket (no network), and, in `foreground` mode, one ticket already up to
//!    date (schema + one query) or needing a write (schema + query + PATCH, paced at 3 requests/s).
//! 2. What users would otherwise have: `git commit` (an empty repository, and one changed file in a
//!    2,000-file tree), `git rebase` of a 200-commit branch and `git pull` of 50 commits, with no hooks
//!    at all, with an empty post-commit hook, with `git notion hooks install` (the post-* hooks, linked to
//!    the static `git-notion-hook` that `install.sh` builds, and to the dynamic one of `cargo install`) and
//!    with `--every-move` (reference-transaction), interleaved, the sandbox adding 500 ms per request: git
//!    never waits for Notion.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notion_sandbox::Sandbox;
use serde_json::json;

const ROUNDS: usize = 15;
/// Commits are cheap to repeat; more rounds steady the median on a noisy machine.
const COMMIT_ROUNDS: usize = 41;
const P005: &str = "17853bd4-e437-4814-8006-01e7495de496";

fn cmd(program: &str, repo: &Path, sb: &Sandbox, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("GIT_AUTHOR_DATE", "2025-10-01T12:00:00+08:00")
        .env("GIT_COMMITTER_DATE", "2025-10-01T12:00:00+08:00")
        .env("NOTION_TOKEN", sb.token())
        .env("GIT_NOTION_API_URL", sb.base_url());
    c
}

fn run(c: &mut Command) -> Duration {
    let t = Instant::now();
    let out = c.output().expect("runs");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The commit-msg hook says what each message does (`git-notion: #005: …`); nothing else may be said.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .all(|l| l.starts_with("git-notion: ") && !l.contains("warning")),
        "{err}"
    );
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn reset_page(sb: &Sandbox) {
    let agent: ureq::Agent = ureq::Agent::config_builder().proxy(None).build().into();
    let req = ureq::http::Request::builder()
        .method("PATCH")
        .uri(format!("{}/v1/pages/{P005}", sb.base_url()))
        .header("Authorization", format!("Bearer {}", sb.token()))
        .header("Notion-Version", "2025-09-03")
        .header("Content-Type", "application/json")
        .body(
            json!({"properties": {"状态": {"status": {"name": "未开始"}}}})
                .to_string()
                .into_bytes(),
        )
        .unwrap();
    agent.run(req).unwrap();
}

fn main() {
    let hook = env!("CARGO_BIN_EXE_git-notion");
    let sb = Sandbox::start_builtin("zh").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        let out = cmd("git", &repo, &sb, &home).args(args).output().unwrap();
        assert!(out.status.success());
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join(".git-notion.toml"),
        "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"标题\"\nstatus = \"状态\"\n[status]\non_commit = \"进行中\"\non_merge = \"完成\"\n",
    )
    .unwrap();
    // Each run finds no tips recorded, so post-commit queues HEAD's commit as the first event does (with
    // the tips recorded, re-running the hook for the same HEAD would find nothing moved).
    let tips = repo.join(".git/git-notion/tips");
    let hook_cmd = || {
        let _ = std::fs::remove_file(&tips);
        let mut c = cmd(hook, &repo, &sb, &home);
        c.args(["hook", "post-commit"])
            .env("GIT_NOTION_MODE", "foreground");
        c
    };
    let floor_cmd = || {
        let mut c = cmd("git", &repo, &sb, &home);
        c.args(["rev-parse", "HEAD"]);
        c
    };

    git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "chore: no ticket here",
    ]);
    let (mut floor, mut none) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        floor.push(run(&mut floor_cmd()));
        none.push(run(&mut hook_cmd()));
    }
    assert!(sb.requests().is_empty(), "no ticket, no network");

    git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feat: #005 monitoring",
    ]);
    run(&mut hook_cmd());
    let (mut up_to_date, mut write) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        up_to_date.push(run(&mut hook_cmd()));
        reset_page(&sb);
        write.push(run(&mut hook_cmd()));
    }
    assert!(sb.writes().len() >= 2 * ROUNDS, "every write round wrote");

    // Offline for a while: 1,000 updates waiting. Hooks append to the queue without reading it, so a hook costs
    // the same as with an empty outbox. The bench holds the flusher lock, so no flusher starts.
    let background = || {
        let _ = std::fs::remove_file(&tips);
        let mut c = cmd(hook, &repo, &sb, &home);
        c.args(["hook", "post-commit"]);
        c
    };
    let outbox = repo.join(".git/git-notion");
    std::fs::create_dir_all(&outbox).unwrap();
    let flusher = std::fs::File::create(outbox.join("flush.lock")).unwrap();
    flusher.lock().unwrap();
    let (mut fresh, mut backlog) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        for f in ["outbox.json", "queue.jsonl"] {
            let _ = std::fs::remove_file(outbox.join(f));
        }
        fresh.push(run(&mut background()));
    }
    for _ in 0..1000 {
        run(&mut background());
    }
    for _ in 0..ROUNDS {
        backlog.push(run(&mut background()));
    }
    drop(flusher);
    let (fresh, backlog) = (median(fresh), median(backlog));

    // commit-msg as git runs it (through git-notion-hook, which hands it to git-notion), with the index
    // of the seed's 37 keys read whole.
    let out = cmd(hook, &repo, &sb, &home)
        .args(["index", "--refresh"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let msg = repo.join(".git/COMMIT_EDITMSG");
    std::fs::write(
        &msg,
        "feat: closes #005 and #0051 monitoring\n\n# Please enter the commit message\n",
    )
    .unwrap();
    let hook_binary = Path::new(hook).with_file_name("git-notion-hook");
    let mut commit_msg = vec![];
    for _ in 0..ROUNDS {
        let mut c = cmd(hook_binary.to_str().unwrap(), &repo, &sb, &home);
        c.args(["hook", "commit-msg", ".git/COMMIT_EDITMSG"]);
        commit_msg.push(run(&mut c));
    }
    let commit_msg = median(commit_msg);

    let (floor, none, up_to_date, write) = (
        median(floor),
        median(none),
        median(up_to_date),
        median(write),
    );
    let table = against_no_hooks(hook);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("post-commit hook wall time, median of {ROUNDS} (sandbox on loopback):");
    println!("  git rev-parse HEAD (floor)        {:>8.2} ms", ms(floor));
    println!(
        "  hook, no ticket                   {:>8.2} ms  ratio {:.2}",
        ms(none),
        ms(none) / ms(floor)
    );
    println!(
        "  hook, 1 ticket already up to date {:>8.2} ms  ratio {:.2}  (3 requests)",
        ms(up_to_date),
        ms(up_to_date) / ms(floor)
    );
    println!(
        "  hook, 1 ticket with a write       {:>8.2} ms  ratio {:.2}  (4 requests at 3/s)",
        ms(write),
        ms(write) / ms(floor)
    );
    println!(
        "  hook, background, empty outbox     {:>8.2} ms  ratio {:.2}",
        ms(fresh),
        ms(fresh) / ms(floor)
    );
    println!(
        "  hook, background, 1,000 queued     {:>8.2} ms  ratio {:.2}  (to the empty outbox: {:.2})",
        ms(backlog),
        ms(backlog) / ms(floor),
        ms(backlog) / ms(fresh)
    );
    println!(
        "  commit-msg, 2 tickets, index of 37   {:>8.2} ms  ratio {:.2}  (no network)",
        ms(commit_msg),
        ms(commit_msg) / ms(floor)
    );
    println!(
        "What users would otherwise have: no hooks, or an empty post-commit hook; medians of interleaved runs \
         (commits {COMMIT_ROUNDS}, rebases and pulls {BIG_ROUNDS}), the sandbox adding 500 ms per request:"
    );
    for (op, row) in OPS.iter().zip(&table) {
        let none = ms(row[Hooks::None as usize]);
        let empty = ms(row[Hooks::EmptyPostCommit as usize]);
        println!("  {op}");
        for k in KINDS {
            let t = ms(row[k as usize]);
            let mut line = format!("    {:<46}{:>9.2} ms", k.label(), t);
            if k != Hooks::None {
                line.push_str(&format!(
                    "  {:.2}x no hooks (+{:.2} ms)",
                    t / none,
                    t - none
                ));
            }
            if !matches!(k, Hooks::None | Hooks::EmptyPostCommit) {
                line.push_str(&format!(", {:.2}x an empty post-commit", t / empty));
            }
            println!("{line}");
        }
    }
}

/// What is measured against no hooks at all.
const OPS: [&str; 4] = [
    "git commit --allow-empty, empty repository",
    "git commit of one changed file, 2,000-file tree",
    "git rebase main of a 200-commit branch",
    "git pull of 50 commits (fast-forward)",
];

/// Rounds of the rebases and pulls (each takes up to seconds).
const BIG_ROUNDS: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hooks {
    /// No hooks at all.
    None,
    /// `#!/bin/sh\nexit 0` as post-commit: the cost of git running a hook at all.
    EmptyPostCommit,
    /// What `install.sh` installs: `git-notion-hook`, statically linked, linked as the four post-* hooks
    /// and commit-msg.
    Default,
    /// The same without commit-msg: the post-* hooks alone (what a commit costs without commit time's
    /// lines).
    PostOnly,
    /// The same with the dynamically linked `git-notion-hook` that `cargo install` alone builds.
    DefaultDynamic,
    /// `git notion hooks install --every-move`: the reference-transaction sh filter.
    EveryMove,
}

const KINDS: [Hooks; 6] = [
    Hooks::None,
    Hooks::EmptyPostCommit,
    Hooks::Default,
    Hooks::PostOnly,
    Hooks::DefaultDynamic,
    Hooks::EveryMove,
];

impl Hooks {
    fn label(self) -> &'static str {
        match self {
            Hooks::None => "no hooks",
            Hooks::EmptyPostCommit => "an empty post-commit hook (sh: exit 0)",
            Hooks::Default => "hooks install (install.sh: static hook binary)",
            Hooks::PostOnly => "  the same without commit-msg (post-* only)",
            Hooks::DefaultDynamic => "hooks install (cargo install: dynamic)",
            Hooks::EveryMove => "git notion hooks install --every-move",
        }
    }
}

/// A directory holding this build's `git-notion` beside a statically linked `git-notion-hook`, built as
/// `install.sh` builds it (`cargo rustc … -C target-feature=+crt-static`, in a target directory of its
/// own: the bench's is locked while it runs). `GIT_NOTION_BENCH_STATIC_HOOK` names a built one instead.
fn static_hook_dir(hook: &str, tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("static-bin");
    std::fs::create_dir_all(&dir).unwrap();
    let built = match std::env::var_os("GIT_NOTION_BENCH_STATIC_HOOK") {
        Some(p) => std::path::PathBuf::from(p),
        None => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            let target = manifest.join("target/static-hook");
            eprintln!(
                "building the static git-notion-hook as install.sh does (once; into {}) ...",
                target.display()
            );
            let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .args([
                    "rustc",
                    "--locked",
                    "--quiet",
                    "--release",
                    "--bin",
                    "git-notion-hook",
                ])
                .arg("--manifest-path")
                .arg(manifest.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(&target)
                .args([
                    "--",
                    "-C",
                    "target-feature=+crt-static",
                    "-C",
                    "relocation-model=static",
                ])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "the static hook binary builds");
            target.join("release/git-notion-hook")
        }
    };
    std::fs::copy(hook, dir.join("git-notion")).unwrap();
    std::fs::copy(built, dir.join("git-notion-hook")).unwrap();
    dir
}

/// Median times of [`OPS`] with each kind of hook ([`KINDS`]), interleaved, against a slow sandbox.
fn against_no_hooks(hook: &str) -> Vec<Vec<Duration>> {
    let sb = Sandbox::start_builtin("zh").unwrap();
    sb.inject(notion_sandbox::Fault::latency_ms(500));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let static_bin = static_hook_dir(hook, tmp.path());
    let bin_dir = Path::new(hook).parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let git = |repo: &Path, args: &[&str]| {
        let mut c = cmd("git", repo, &sb, &home);
        c.env("PATH", &path).args(args);
        c
    };
    let quiet = |repo: &Path, args: &[&str]| {
        let mut c = git(repo, &["-c", "core.hooksPath=/dev/null"]);
        c.args(args);
        run(&mut c);
    };
    let init = |repo: &Path| {
        std::fs::create_dir_all(repo).unwrap();
        run(&mut git(repo, &["init", "-q", "-b", "main"]));
        std::fs::write(
            repo.join(".git-notion.toml"),
            "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\nstatus = \"状态\"\n[status]\non_merge = \"完成\"\n",
        )
        .unwrap();
    };
    let install = |repo: &Path, kind: Hooks| {
        let hooks = repo.join(".git/hooks");
        match kind {
            Hooks::None => {}
            Hooks::EmptyPostCommit => {
                let dst = hooks.join("post-commit");
                std::fs::write(&dst, "#!/bin/sh\nexit 0\n").unwrap();
                let mut perm = std::fs::metadata(&dst).unwrap().permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
                std::fs::set_permissions(&dst, perm).unwrap();
            }
            Hooks::Default | Hooks::PostOnly | Hooks::DefaultDynamic | Hooks::EveryMove => {
                let binary = if matches!(kind, Hooks::Default | Hooks::PostOnly) {
                    static_bin.join("git-notion")
                } else {
                    Path::new(hook).to_path_buf()
                };
                let mut c = cmd(binary.to_str().unwrap(), repo, &sb, &home);
                c.args(["hooks", "install"]);
                if kind == Hooks::EveryMove {
                    c.arg("--every-move");
                }
                assert!(c.output().unwrap().status.success());
                if kind == Hooks::PostOnly {
                    std::fs::remove_file(hooks.join("commit-msg")).unwrap();
                }
            }
        }
    };
    let dir = |op: &str, k: Hooks| tmp.path().join(format!("{op}-{}", k as usize));
    // 1. Commits in an empty repository; 2. in a 2,000-file tree.
    for k in KINDS {
        init(&dir("empty", k));
        install(&dir("empty", k), k);
        let repo = dir("tree", k);
        init(&repo);
        for i in 0..2000 {
            let d = repo.join(format!("src/m{}", i % 40));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("f{i}.txt")), format!("file {i}\n")).unwrap();
        }
        quiet(&repo, &["add", "-A"]);
        quiet(&repo, &["commit", "-q", "-m", "chore: tree"]);
        install(&repo, k);
    }
    // 3. A 200-commit branch to rebase onto main (each commit its own file: no conflicts).
    for k in KINDS {
        let repo = dir("rebase", k);
        init(&repo);
        quiet(
            &repo,
            &["commit", "-q", "--allow-empty", "-m", "chore: base"],
        );
        quiet(&repo, &["checkout", "-q", "-b", "topic"]);
        for i in 0..200 {
            std::fs::write(repo.join(format!("t{i}.txt")), format!("{i}\n")).unwrap();
            quiet(&repo, &["add", "-A"]);
            quiet(
                &repo,
                &["commit", "-q", "-m", &format!("chore: topic step {i}")],
            );
        }
        quiet(&repo, &["branch", "-q", "topic-orig"]);
        quiet(&repo, &["checkout", "-q", "main"]);
        std::fs::write(repo.join("main.txt"), "main\n").unwrap();
        quiet(&repo, &["add", "-A"]);
        quiet(&repo, &["commit", "-q", "-m", "chore: main moves on"]);
        install(&repo, k);
    }
    // 4. An upstream 50 commits ahead, pulled (a fast-forward) into a clone.
    let up = tmp.path().join("upstream");
    init(&up);
    quiet(&up, &["commit", "-q", "--allow-empty", "-m", "chore: base"]);
    quiet(&up, &["tag", "base"]);
    for i in 0..50 {
        quiet(
            &up,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("chore: upstream {i}"),
            ],
        );
    }
    for k in KINDS {
        let repo = dir("pull", k);
        run(&mut git(
            tmp.path(),
            &["clone", "-q", up.to_str().unwrap(), repo.to_str().unwrap()],
        ));
        std::fs::copy(up.join(".git-notion.toml"), repo.join(".git-notion.toml")).unwrap();
        install(&repo, k);
    }
    let mut t: Vec<Vec<Vec<Duration>>> = vec![vec![vec![]; KINDS.len()]; OPS.len()];
    for i in 0..COMMIT_ROUNDS {
        for k in KINDS {
            let msg = format!("feat: #005 step {i}");
            t[0][k as usize].push(run(&mut git(
                &dir("empty", k),
                &["commit", "-q", "--allow-empty", "-m", &msg],
            )));
            let repo = dir("tree", k);
            std::fs::write(repo.join("src/m1/f1.txt"), format!("change {i}\n")).unwrap();
            t[1][k as usize].push(run(&mut git(&repo, &["commit", "-q", "-a", "-m", &msg])));
        }
    }
    for _ in 0..BIG_ROUNDS {
        for k in KINDS {
            let repo = dir("rebase", k);
            quiet(&repo, &["checkout", "-q", "-B", "topic", "topic-orig"]);
            t[2][k as usize].push(run(&mut git(&repo, &["rebase", "-q", "main"])));
            quiet(&repo, &["checkout", "-q", "main"]);
            let repo = dir("pull", k);
            quiet(&repo, &["reset", "-q", "--hard", "base"]);
            t[3][k as usize].push(run(&mut git(&repo, &["pull", "-q", "--ff-only"])));
        }
    }
    // Let the last flushers finish before the sandbox goes away.
    std::thread::sleep(Duration::from_secs(3));
    t.into_iter()
        .map(|row| row.into_iter().map(median).collect())
        .collect()
}
