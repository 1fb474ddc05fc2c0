//! Two measurements, each side by side in one run. Run with `cargo bench --bench hook`.
//!
//! 1. The post-commit hook's own wall time beside `git rev-parse HEAD` (one git process: the floor any
//!    hook pays): HEAD names no ticket (no network), and, in `foreground` mode, one ticket already up to
//!    date (schema + one query) or needing a write (schema + query + PATCH, paced at 3 requests/s).
//! 2. `git commit` with git-notion's hooks (default `background` mode) beside the same commit with empty
//!    hooks of the same kind, the sandbox adding 500 ms to every request: the commit must not wait. As
//!    installed with git >= 2.28 (the reference-transaction filter) beside an empty reference-transaction
//!    hook (and beside the three empty post-* hooks, the floor before it), and the post-* hooks as older
//!    gits get them, linked and as sh shims, beside three empty post-* hooks.

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
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
    let hook_cmd = || {
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

    let (floor, none, up_to_date, write) = (
        median(floor),
        median(none),
        median(up_to_date),
        median(write),
    );
    let commits = commit_with_latency(hook);
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
    println!("git commit naming a ticket, sandbox adding 500 ms per request, median of {COMMIT_ROUNDS} (interleaved), 2,000-file tree:");
    for (change, what) in [(false, "--allow-empty   "), (true, "one changed file")] {
        let t = |k: Hooks| commits[usize::from(change) * KINDS.len() + k as usize];
        for k in KINDS {
            let line = format!("  {what}, {:<44}{:>8.2} ms", k.label(), ms(t(k)));
            match k.floor() {
                None => println!("{line}"),
                Some(floor) => println!(
                    "{line}  ratio {:.2} to {}{}",
                    ms(t(k)) / ms(t(floor)),
                    floor.short(),
                    if k == Hooks::Installed {
                        format!(
                            " ({:.2} to the three empty post-* hooks)",
                            ms(t(k)) / ms(t(Hooks::Empty3))
                        )
                    } else {
                        String::new()
                    }
                ),
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hooks {
    /// `#!/bin/sh\nexit 0` as the three post-* hooks: the cost of git running those hooks at all.
    Empty3,
    /// `exit 0` as reference-transaction alone: git runs it several times per commit.
    EmptyRt,
    /// What `git notion hooks install` installs with git >= 2.28: the reference-transaction sh filter.
    Installed,
    /// The binary itself as the three post-* hooks (a symbolic link), as older gits get it.
    Link3,
    /// The three post-* sh shims from `hooks/`, as used when an existing hook is chained.
    Shim3,
}

const KINDS: [Hooks; 5] = [
    Hooks::Empty3,
    Hooks::EmptyRt,
    Hooks::Installed,
    Hooks::Link3,
    Hooks::Shim3,
];

impl Hooks {
    fn label(self) -> &'static str {
        match self {
            Hooks::Empty3 => "empty post-* hooks (sh: exit 0)",
            Hooks::EmptyRt => "empty reference-transaction (sh: exit 0)",
            Hooks::Installed => "git-notion as installed (reference-transaction)",
            Hooks::Link3 => "git-notion linked as the post-* hooks",
            Hooks::Shim3 => "git-notion post-* sh shims",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Hooks::Empty3 => "empty post-*",
            _ => "empty reference-transaction",
        }
    }

    /// The empty hooks of the same kind: the physical floor of this way of hooking in.
    fn floor(self) -> Option<Hooks> {
        match self {
            Hooks::Empty3 | Hooks::EmptyRt => None,
            Hooks::Installed => Some(Hooks::EmptyRt),
            Hooks::Link3 | Hooks::Shim3 => Some(Hooks::Empty3),
        }
    }
}

/// Median `git commit` times with each kind of hook ([`KINDS`] for an empty commit, then for a commit
/// changing one file), interleaved, against a slow sandbox.
fn commit_with_latency(hook: &str) -> Vec<Duration> {
    let sb = Sandbox::start_builtin("zh").unwrap();
    sb.inject(notion_sandbox::Fault::latency_ms(500));
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin_dir = Path::new(hook).parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let executable = |dst: &Path, text: &str| {
        std::fs::write(dst, text).unwrap();
        let mut perm = std::fs::metadata(dst).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(dst, perm).unwrap();
    };
    let make = |kind: Hooks| {
        let repo = tmp
            .path()
            .join(kind.label().replace([' ', '(', ')', ':', '*'], "_"));
        std::fs::create_dir_all(&repo).unwrap();
        let out = cmd("git", &repo, &sb, &home)
            .args(["init", "-q", "-b", "main"])
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::write(
            repo.join(".git-notion.toml"),
            "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\nstatus = \"状态\"\n[status]\non_merge = \"完成\"\n",
        )
        .unwrap();
        let hooks = repo.join(".git/hooks");
        match kind {
            Hooks::Installed => {
                let out = cmd(hook, &repo, &sb, &home)
                    .args(["hooks", "install"])
                    .output()
                    .unwrap();
                assert!(out.status.success());
                assert!(hooks.join("reference-transaction").exists());
            }
            Hooks::EmptyRt => {
                executable(&hooks.join("reference-transaction"), "#!/bin/sh\nexit 0\n")
            }
            _ => {
                for h in ["post-commit", "post-merge", "post-rewrite"] {
                    let dst = hooks.join(h);
                    match kind {
                        Hooks::Link3 => std::os::unix::fs::symlink(hook, &dst).unwrap(),
                        Hooks::Shim3 => {
                            std::fs::copy(
                                Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks").join(h),
                                &dst,
                            )
                            .unwrap();
                        }
                        _ => executable(&dst, "#!/bin/sh\nexit 0\n"),
                    }
                }
            }
        }
        repo
    };
    let repos: Vec<std::path::PathBuf> = KINDS.iter().map(|k| make(*k)).collect();
    // A working tree of 2,000 files, so that a commit does what real commits do (index, tree, objects).
    for repo in &repos {
        for i in 0..2000 {
            let dir = repo.join(format!("src/m{}", i % 40));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(format!("f{i}.txt")), format!("file {i}\n")).unwrap();
        }
        run(cmd("git", repo, &sb, &home).args(["-c", "core.hooksPath=/dev/null", "add", "-A"]));
        run(cmd("git", repo, &sb, &home).args([
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "-m",
            "chore: tree",
        ]));
    }
    let commit = |repo: &Path, i: usize, change: bool| {
        let mut c = cmd("git", repo, &sb, &home);
        let msg = format!("feat: #005 step {i}");
        c.env("PATH", &path);
        if change {
            std::fs::write(repo.join("src/m1/f1.txt"), format!("change {i}\n")).unwrap();
            c.args(["commit", "-q", "-a", "-m", &msg]);
        } else {
            c.args(["commit", "-q", "--allow-empty", "-m", &msg]);
        }
        run(&mut c)
    };
    let mut t: Vec<Vec<Duration>> = vec![vec![]; 2 * KINDS.len()];
    for i in 0..COMMIT_ROUNDS {
        for change in [false, true] {
            for (k, repo) in repos.iter().enumerate() {
                t[usize::from(change) * KINDS.len() + k].push(commit(repo, i, change));
            }
        }
    }
    // Every git-notion hook queued its update.
    for (k, repo) in KINDS.iter().zip(&repos) {
        if k.floor().is_some() {
            assert!(
                repo.join(".git/git-notion/outbox.json").exists()
                    || repo.join(".git/git-notion/queue.jsonl").exists(),
                "{}",
                k.label()
            );
        }
    }
    // Let the last flusher finish before the sandbox goes away.
    std::thread::sleep(Duration::from_secs(3));
    t.into_iter().map(median).collect()
}
