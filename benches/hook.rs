//! The post-commit hook's own wall time, beside `git rev-parse HEAD` (one git process: the floor any hook
//! pays) measured in the same run. Cases: HEAD names no ticket (must not touch the network), HEAD names
//! one ticket whose page is already up to date (schema + one query), and one ticket that needs a write
//! (schema + query + PATCH, paced by the 3 requests/s limiter). Run with `cargo bench --bench hook`.

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
        c.args(["hook", "post-commit"]);
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
}
