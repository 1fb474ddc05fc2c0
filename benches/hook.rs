//! Two measurements, each side by side in one run. Run with `cargo bench --bench hook`.
//!
//! 1. The post-commit hook's own wall time beside `git rev-parse HEAD` (one git process: the floor any
//!    hook pays): HEAD names no ticket (no network), and, in `foreground` mode, one ticket already up to
//!    date (schema + one query) or needing a write (schema + query + PATCH, paced at 3 requests/s).
//! 2. `git commit` with git-notion's three hooks installed (default `background` mode) beside the same
//!    commit with empty hooks, the sandbox adding 500 ms to every request: the commit must not wait.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use notion_sandbox::Sandbox;
use serde_json::json;

const ROUNDS: usize = 15;
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

    let (floor, none, up_to_date, write) = (
        median(floor),
        median(none),
        median(up_to_date),
        median(write),
    );
    let [commit_ours, commit_empty, change_ours, change_empty] = commit_with_latency(hook);
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
    println!("git commit naming a ticket, sandbox adding 500 ms per request, median of {ROUNDS}, 2,000-file tree:");
    let pair = |what: &str, ours: Duration, empty: Duration| {
        println!("  {what}, empty hooks       {:>8.2} ms", ms(empty));
        println!(
            "  {what}, git-notion hooks  {:>8.2} ms  ratio {:.2}  (target <= 1.3)",
            ms(ours),
            ms(ours) / ms(empty)
        );
    };
    pair("--allow-empty   ", commit_ours, commit_empty);
    pair("one changed file", change_ours, change_empty);
}

/// Median `git commit` times with our hooks and with empty hooks, alternating, against a slow sandbox.
fn commit_with_latency(hook: &str) -> [Duration; 4] {
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
    let make = |name: &str, ours: bool| {
        let repo = tmp.path().join(name);
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
        for h in ["post-commit", "post-merge", "post-rewrite"] {
            let dst = repo.join(".git/hooks").join(h);
            if ours {
                std::fs::copy(
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks").join(h),
                    &dst,
                )
                .unwrap();
            } else {
                std::fs::write(&dst, "#!/bin/sh\nexit 0\n").unwrap();
                let mut perm = std::fs::metadata(&dst).unwrap().permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
                std::fs::set_permissions(&dst, perm).unwrap();
            }
        }
        repo
    };
    let (ours, empty) = (make("ours", true), make("empty", false));
    // A working tree of 2,000 files, so that a commit does what real commits do (index, tree, objects).
    for repo in [&ours, &empty] {
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
    let (mut a, mut b, mut c, mut d) = (vec![], vec![], vec![], vec![]);
    for i in 0..ROUNDS {
        b.push(commit(&empty, i, false));
        a.push(commit(&ours, i, false));
        d.push(commit(&empty, i, true));
        c.push(commit(&ours, i, true));
    }
    // Let the last flusher finish before the sandbox goes away.
    std::thread::sleep(Duration::from_secs(3));
    [median(a), median(b), median(c), median(d)]
}
