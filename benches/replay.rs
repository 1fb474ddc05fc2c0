//! `cargo bench --bench replay`: the replay's two costs, each measured side by side in one run.
//!
//! 1. Reading history: 100,000 commits (made with `git fast-import`), walked and scanned for tickets, beside
//!    `git log --format=%H%x00%B` on the same repository (best of 5 each, interleaved), as `fast-import` left
//!    it and again with a commit-graph file (which most repositories have once git has run `gc`).
//! 2. Requests: an apply against the sandbox rate-limited at 3 requests/s, beside request count / 3.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use git_notion::bench::HistoryReader;
use notion_sandbox::Sandbox;

const COMMITS: usize = 100_000;

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(repo)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", repo)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    c
}

fn fast_import(repo: &Path, messages: impl Iterator<Item = String>, remote: bool) {
    assert!(git(repo)
        .args(["init", "-q", "-b", "main"])
        .status()
        .unwrap()
        .success());
    if remote {
        assert!(git(repo)
            .args(["remote", "add", "origin", "git@github.com:acme/mt5.git"])
            .status()
            .unwrap()
            .success());
    }
    let mut child = git(repo)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
        for (i, m) in messages.enumerate() {
            let t = 1_700_000_000 + 60 * i as i64;
            write!(
                w,
                "commit refs/heads/main\ncommitter Dev <dev@example.com> {t} +0800\ndata {}\n{m}\n\n",
                m.len()
            )
            .unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
}

fn git_log(repo: &Path) -> (Duration, usize) {
    let t = Instant::now();
    let out = git(repo)
        .args(["log", "--format=%H%x00%B"])
        .output()
        .unwrap();
    let d = t.elapsed();
    assert!(out.status.success());
    (d, out.stdout.len())
}

fn ours(repo: &Path, reader: &HistoryReader) -> (Duration, usize, usize) {
    let t = Instant::now();
    let (commits, tickets) = reader.read(repo).unwrap();
    (t.elapsed(), commits, tickets)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    // Seed-shaped messages: a conventional type, Chinese text, a key (500 tickets, sub-tickets), a body.
    let messages = (0..COMMITS).map(|i| {
        let key = if i % 5 == 0 {
            format!("#{:03}.{}", i % 500, i % 7)
        } else {
            format!("#{:03}", i % 500)
        };
        let kind = ["feat", "fix", "docs", "chore"][i % 4];
        let mut m = format!("{kind}: 完成工单 {key} - 第 {i} 步\n\n");
        m.push_str(
            "Explains the change in a few lines, as commit bodies do.\nRefs the runbook and the design notes.\n",
        );
        if i % 10 == 3 {
            m.push_str("Also https://www.notion.so/acme/Fix-393abc1eedcd81e9afcae7cba9d39cff\n");
        }
        m
    });
    let t = Instant::now();
    fast_import(&big, messages, false);
    println!(
        "generated {COMMITS} commits with git fast-import in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // The default patterns and closing keywords, with the seed team's statuses and Chinese keywords.
    let rules = HistoryReader::seed_team();
    println!(
        "reading {COMMITS} commits, best of 5, interleaved (target: replay <= 0.7 x git log):"
    );
    for graph in [false, true] {
        if graph {
            assert!(git(&big)
                .args(["commit-graph", "write", "--reachable"])
                .status()
                .unwrap()
                .success());
        }
        let (mut best_git, mut best_ours) = (Duration::MAX, Duration::MAX);
        let (mut bytes, mut seen, mut tickets) = (0, 0, 0);
        for _ in 0..5 {
            let (d, b) = git_log(&big);
            best_git = best_git.min(d);
            bytes = b;
            let (d, n, k) = ours(&big, &rules);
            best_ours = best_ours.min(d);
            (seen, tickets) = (n, k);
        }
        assert_eq!(seen, COMMITS);
        let how = if graph {
            "with a commit-graph (as after `git gc` or `git maintenance`)"
        } else {
            "one pack, no commit-graph (as `git fast-import` left it)"
        };
        println!("  {how}:");
        println!(
            "    git log --format=%H%x00%B          {:>8.1} ms  ({:.1} MB of output)",
            best_git.as_secs_f64() * 1e3,
            bytes as f64 / 1e6
        );
        println!(
            "    replay: walk + read messages     {:>8.1} ms  ratio {:.2}  ({tickets} tickets)",
            best_ours.as_secs_f64() * 1e3,
            best_ours.as_secs_f64() / best_git.as_secs_f64()
        );
    }

    // The same read with each ticket's commits listed and releases followed: 100 release tags.
    let ids = git(&big).args(["rev-list", "HEAD"]).output().unwrap();
    let ids = String::from_utf8(ids.stdout).unwrap();
    let mut refs = String::new();
    for (n, id) in ids.lines().rev().step_by(COMMITS / 100).enumerate() {
        refs.push_str(&format!("create refs/tags/v1.{n} {id}\n"));
    }
    let mut child = git(&big)
        .args(["update-ref", "--stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(refs.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let listing = HistoryReader::seed_team_listing_releases();
    let (mut best_git, mut best_plain, mut best_listing) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    let (only_list, only_releases) = (
        HistoryReader::seed_team_with(true, false),
        HistoryReader::seed_team_with(false, true),
    );
    let (mut best_list, mut best_rel) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best_git = best_git.min(git_log(&big).0);
        best_plain = best_plain.min(ours(&big, &rules).0);
        best_listing = best_listing.min(ours(&big, &listing).0);
        best_list = best_list.min(ours(&big, &only_list).0);
        best_rel = best_rel.min(ours(&big, &only_releases).0);
    }
    println!("  with a commit-graph and 100 release tags, best of 5, interleaved:");
    println!(
        "    git log --format=%H%x00%B          {:>8.1} ms",
        best_git.as_secs_f64() * 1e3
    );
    println!(
        "    replay: walk + read messages     {:>8.1} ms  ratio {:.2}",
        best_plain.as_secs_f64() * 1e3,
        best_plain.as_secs_f64() / best_git.as_secs_f64()
    );
    println!(
        "    + commits listed, releases read  {:>8.1} ms  ratio {:.2}  (target <= 1.0 x git log)",
        best_listing.as_secs_f64() * 1e3,
        best_listing.as_secs_f64() / best_git.as_secs_f64()
    );
    println!(
        "      (commits listed alone {:.1} ms, releases read alone {:.1} ms)",
        best_list.as_secs_f64() * 1e3,
        best_rel.as_secs_f64() * 1e3
    );

    // Peak memory of a whole replay (dry run) over the 100,000 commits, as a process (GNU time's %M).
    let sb = Sandbox::start_builtin("zh").unwrap();
    std::fs::write(
        big.join(".git-notion.toml"),
        "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"标题\"\nstatus = \"状态\"\n[status]\non_commit = \"进行中\"\non_merge = \"完成\"\n[api]\nrequests_per_second = 500\nburst = 50\n",
    )
    .unwrap();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_git-notion-replay"))
        .arg("--json")
        .current_dir(&big)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &big)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NOTION_TOKEN", sb.token())
        .env("GIT_NOTION_API_URL", sb.base_url())
        .output()
        .unwrap();
    let kb: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(f64::NAN);
    println!(
        "  replay process, dry run over {COMMITS} commits: peak RSS {:.1} MB  (target <= 100 MB)",
        kb / 1024.0
    );
    drop(sb);

    // 2. An apply against the Chinese seed, rate-limited like Notion.
    let sb = Sandbox::start_builtin("zh").unwrap();
    sb.set_rate_limit(Some(3.0), 3);
    let repo = tmp.path().join("seed");
    std::fs::create_dir_all(&repo).unwrap();
    let keys: Vec<String> = (1..=27)
        .chain([29, 30])
        .chain(32..=37)
        .map(|n| format!("#{n:03}"))
        .collect();
    fast_import(
        &repo,
        (0..304).map(|i| format!("feat: 完成工单 {} - 第 {i} 步", keys[i % keys.len()])),
        true,
    );
    std::fs::write(
        repo.join(".git-notion.toml"),
        "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"标题\"\nstatus = \"状态\"\ndate = \"日期\"\ncommit_url = \"Commit\"\n[status]\non_commit = \"进行中\"\non_merge = \"完成\"\n",
    )
    .unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_git-notion-replay"))
        .current_dir(&repo)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NOTION_TOKEN", sb.token())
        .env("GIT_NOTION_API_URL", sb.base_url())
        .args(["--apply", "--json"])
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    let requests = s["requests"].as_u64().unwrap();
    assert_eq!(requests as usize, sb.requests().len());
    let refused = sb.requests().iter().filter(|r| r.status == 429).count();
    let ideal = requests as f64 / 3.0;
    println!("apply against the sandbox at 3 requests/s (35 tickets of the seed, 304 commits):");
    println!(
        "  requests {requests} (schema 2 + scan and the re-read before writing {} for {} rows + {} writes), 429s {refused}",
        requests - 2 - s["written"].as_u64().unwrap(),
        s["rows_scanned"],
        s["written"]
    );
    println!(
        "  wall {wall:.2} s, requests / 3 = {ideal:.2} s, ratio {:.2}  (target within 10%)",
        wall / ideal
    );
}
