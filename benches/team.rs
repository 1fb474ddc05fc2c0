//! A team on one token: `CLONES` clones commit at the same moment and their background flushers deliver
//! against one sandbox that enforces a per-window budget, as Notion does for everyone sharing an
//! integration token (../shared/notion-reference/README.md, *Rate limits are more than 3 req/s*). Each
//! clone runs git-notion as installed (`git notion hooks install`, default `[api]` pacing of 3 requests/s).
//! Run with `cargo bench --bench team`. Prints what was delivered (every update exactly once), the
//! requests sent and the 429s received, and the time beside what the budget allows.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use notion_sandbox::{Sandbox, SandboxConfig, Window};
use serde_json::{json, Value};

const CLONES: usize = 20;
const TICKETS_PER_CLONE: usize = 2;
/// The shared budget: `WINDOW_REQUESTS` per `WINDOW_SECS` (10 requests/s, Notion's own is lower and
/// per minute; scaled so that a run takes seconds).
const WINDOW_REQUESTS: u32 = 20;
const WINDOW_SECS: f64 = 2.0;

fn git(repo: &Path, home: &Path, sb: &Sandbox, args: &[&str]) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_git-notion"))
        .parent()
        .unwrap();
    let mut c = Command::new("git");
    c.current_dir(repo)
        .env_clear()
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("NOTION_TOKEN", sb.token())
        .env("GIT_NOTION_API_URL", sb.base_url())
        .args(args);
    c
}

fn ok(c: &mut Command) {
    let out = c.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() {
    let tickets = CLONES * TICKETS_PER_CLONE;
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let pages: Vec<Value> = (1..=tickets)
        .map(|i| json!({"properties": {"标题": format!("#{i:03} - ticket"), "状态": "未开始"}}))
        .collect();
    seed["databases"][0]["data_sources"][0]["pages"] = json!(pages);
    let sb = Sandbox::start(
        &seed,
        SandboxConfig {
            threads: 8,
            ..SandboxConfig::default()
        },
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let config = "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"标题\"\nstatus = \"状态\"\n[status]\non_commit = \"进行中\"\non_merge = \"完成\"\n";
    let repos: Vec<PathBuf> = (0..CLONES)
        .map(|i| {
            let repo = tmp.path().join(format!("clone{i}"));
            std::fs::create_dir_all(&repo).unwrap();
            ok(&mut git(&repo, &home, &sb, &["init", "-q", "-b", "main"]));
            std::fs::write(repo.join(".git-notion.toml"), config).unwrap();
            ok(&mut git(&repo, &home, &sb, &["notion", "hooks", "install"]));
            repo
        })
        .collect();
    sb.clear_log();
    sb.set_windows(vec![Window::new(
        WINDOW_REQUESTS,
        WINDOW_SECS,
        "workspace_limit",
    )]);
    let started = Instant::now();
    std::thread::scope(|s| {
        for (i, repo) in repos.iter().enumerate() {
            let (home, sb) = (&home, &sb);
            s.spawn(move || {
                let keys: Vec<String> = (0..TICKETS_PER_CLONE)
                    .map(|k| format!("#{:03}", i * TICKETS_PER_CLONE + k + 1))
                    .collect();
                let msg = format!("feat: {} work", keys.join(" "));
                ok(&mut git(
                    repo,
                    home,
                    sb,
                    &["commit", "-q", "--allow-empty", "-m", &msg],
                ));
            });
        }
    });
    let delivered = |sb: &Sandbox| {
        let st = sb.state();
        (1..=tickets)
            .filter(|i| {
                st.find_page_by_title(&format!("#{i:03}"))
                    .and_then(|p| st.page_property(p, "状态"))
                    .is_some_and(|v| v["status"]["name"] == "进行中")
            })
            .count()
    };
    let deadline = Duration::from_secs(180);
    while started.elapsed() < deadline && delivered(&sb) < tickets {
        std::thread::sleep(Duration::from_millis(20));
    }
    let total = started.elapsed();
    let done = delivered(&sb);
    // Let any flusher still running finish, then count.
    std::thread::sleep(Duration::from_millis(500));
    let log = sb.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    let answered = log
        .iter()
        .filter(|r| (200..300).contains(&r.status))
        .count();
    let writes = log
        .iter()
        .filter(|r| r.method == "PATCH" && (200..300).contains(&r.status))
        .count();
    let pending: usize = repos
        .iter()
        .map(|r| {
            let out = git(r, &home, &sb, &["notion", "status", "--json"])
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            v["pending"].as_array().map_or(0, Vec::len)
        })
        .sum();
    // What the budget allows: the answered requests in whole windows (the first one at once).
    let windows = answered.div_ceil(WINDOW_REQUESTS as usize).max(1);
    let allowed = Duration::from_secs_f64((windows - 1) as f64 * WINDOW_SECS);
    println!("team on one token: {CLONES} clones × {TICKETS_PER_CLONE} tickets, budget {WINDOW_REQUESTS} requests / {WINDOW_SECS} s");
    println!(
        "  delivered         {done}/{tickets} tickets, {writes} writes (exactly once: {})",
        writes == tickets
    );
    println!("  still pending     {pending} update(s) in the clones' outboxes");
    println!("  requests          {} sent, {answered} answered, {refused} refused with 429 ({:.2} per clone)", log.len(), refused as f64 / CLONES as f64);
    println!(
        "  time              {:.2} s; the budget allows {:.2} s for {answered} requests; ratio {:.2}",
        total.as_secs_f64(),
        allowed.as_secs_f64(),
        total.as_secs_f64() / allowed.as_secs_f64().max(0.001)
    );
}
