//! Team scale: any number of tickets costs a few requests. Counts, asserted on the sandbox's request
//! log (never times).

use notion_sandbox::SandboxConfig;
use serde_json::{json, Value};

use crate::util::*;

/// The zh database with `n` tickets `#001`…, all "未开始".
fn seed_with_tickets(n: usize) -> Value {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let pages: Vec<Value> = (1..=n)
        .map(|i| json!({"properties": {"标题": format!("#{i:03} - ticket {i}"), "状态": "未开始"}}))
        .collect();
    seed["databases"][0]["data_sources"][0]["pages"] = json!(pages);
    seed
}

/// Reads (not writes) the sandbox saw, by kind.
fn reads(w: &World) -> Vec<String> {
    w.sb.requests()
        .iter()
        .filter(|r| !(r.method == "PATCH" || (r.method == "POST" && r.path == "/v1/comments")))
        .map(|r| format!("{} {} → {}", r.method, r.path, r.status))
        .collect()
}

/// A commit naming 200 tickets: found in batched `or` queries (Notion takes at most 100 filters in one
/// compound filter), so the hook's delivery and `sync` each cost the schema (2 reads) plus 2 queries,
/// then one write per ticket. Before: one query per ticket (202 reads).
#[test]
fn a_commit_naming_200_tickets_costs_a_few_reads_plus_its_writes() {
    // 200 writes at once: past the default window budget (180 a minute), which is not what is counted.
    let w = World::with_seed(
        &seed_with_tickets(250),
        SandboxConfig::without_limits(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    let keys: Vec<String> = (1..=200).map(|i| format!("#{i:03}")).collect();
    w.commit(&format!("feat: sweep\n\nRefs {}", keys.join(" ")));
    w.wait_for_flusher();
    let r = reads(&w);
    assert!(r.len() <= 5, "{} reads: {r:#?}", r.len());
    assert_eq!(w.sb.writes().len(), 200);
    assert_eq!(w.prop_by_title("#150"), "进行中");
    assert_eq!(w.prop_by_title("#201"), "未开始");
    // `sync` of the same commit: the same few reads, and nothing to write.
    w.sb.clear_log();
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = reads(&w);
    assert!(r.len() <= 5, "{} reads: {r:#?}", r.len());
    assert_eq!(w.sb.writes().len(), 0);
    w.assert_replay_plans_nothing();
}

/// Batched lookups keep the exact matching of one-by-one lookups: `#04` is never `#042`, a title belongs
/// to its first key, and two pages with one key are ambiguous (the same answers as a replay's scan).
#[test]
fn batched_lookups_match_exactly_like_single_ones() {
    let mut seed = seed_with_tickets(0);
    seed["databases"][0]["data_sources"][0]["pages"] = json!([
        {"properties": {"标题": "#042 - answer", "状态": "未开始"}},
        {"properties": {"标题": "#04 - four", "状态": "未开始"}},
        {"properties": {"标题": "#012 - twelve (#026)", "状态": "未开始"}},
        {"properties": {"标题": "#026 - twenty-six", "状态": "未开始"}},
        {"properties": {"标题": "#077 - one", "状态": "未开始"}},
        {"properties": {"标题": "#077 - two", "状态": "未开始"}}
    ]);
    let w = World::with_seed(
        &seed,
        SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    w.commit("feat: #04 #026 #077 #099 work");
    w.wait_for_flusher();
    assert_eq!(w.prop_by_title("#04 - four"), "进行中");
    assert_eq!(w.prop_by_title("#042"), "未开始");
    assert_eq!(w.prop_by_title("#026"), "进行中");
    assert_eq!(w.prop_by_title("#012"), "未开始");
    assert_eq!(
        w.prop_by_title("#077 - one"),
        "未开始",
        "ambiguous: neither changed"
    );
    let status = w.outbox().to_string();
    assert!(status.contains("ambiguous"), "{status}");
    assert!(status.contains("#099"), "{status}");
    // Schema (2), one batched lookup, the rows edited since it read again before writing.
    assert_eq!(reads(&w).len(), 4, "{:#?}", reads(&w));
}

/// The zh database with `n` tickets written with five digits (`#00001`…), so that no key is a part
/// of another (`contains` finds exactly one row per key).
fn seed_with_wide_tickets(n: usize) -> Value {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let pages: Vec<Value> = (1..=n)
        .map(|i| json!({"properties": {"标题": format!("#{i:05} - ticket {i}"), "状态": "未开始"}}))
        .collect();
    seed["databases"][0]["data_sources"][0]["pages"] = json!(pages);
    seed
}

fn replay_plan(w: &World, read: &str) -> (Value, Value) {
    w.sb.clear_log();
    let out = w.replay(&["--json", "--read", read]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["tickets"].clone(), v["summary"].clone())
}

/// The replay reads by cost: a 50,000-row data source whose history names 30 tickets costs one scan
/// request and one batched lookup (plus the schema), not 500 scan requests.
#[test]
fn the_replay_reads_a_huge_data_source_by_cost() {
    let w = World::with_seed(
        &seed_with_wide_tickets(50_000),
        SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    let messages: Vec<String> = (1..=30)
        .map(|i| format!("feat: #{:05} part {i}", i * 1_601))
        .collect();
    w.import_history(&messages);
    // The installed hooks saw the import: let their flusher finish before counting or comparing.
    w.wait_for_flusher();
    let (auto, s) = replay_plan(&w, "auto");
    // Answered reads (a retry after a timeout on a loaded machine is the same read again).
    let r: Vec<String> = reads(&w)
        .into_iter()
        .filter(|r| r.ends_with("→ 200"))
        .collect();
    assert!(r.len() <= 5, "{} reads: {:#?}", r.len(), reads(&w));
    assert_eq!(s["read"]["strategy"], "scan+lookups", "{s:#}");
    assert_eq!(s["read"]["scan_requests"], 1, "{s:#}");
    assert_eq!(s["read"]["lookup_requests"], 1, "{s:#}");
    assert_eq!(s["to_update"], 30, "{s:#}");
    let (lookups, _) = replay_plan(&w, "lookups");
    assert_eq!(lookups, auto);
}

/// Scan, lookups or both: the same plan on the same world, only the requests differ.
#[test]
fn every_way_of_reading_plans_the_same() {
    let w = World::with_seed(
        &seed_with_tickets(1_500),
        SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    let mut messages: Vec<String> = (1..=40)
        .map(|i| format!("feat: #{:03} part {i}", i * 23))
        .collect();
    messages.push("fix: 完成 #023 done".into());
    messages.push("chore: #999 and #1499 and #77".into());
    w.import_history(&messages);
    // The installed hooks saw the import: let their flusher finish before counting or comparing.
    w.wait_for_flusher();
    let (scan, s) = replay_plan(&w, "scan");
    assert_eq!(s["read"]["strategy"], "scan");
    assert_eq!(s["read"]["scan_requests"], 15, "{s:#}");
    let (auto, s) = replay_plan(&w, "auto");
    assert_eq!(s["read"]["strategy"], "scan+lookups", "{s:#}");
    let (lookups, _) = replay_plan(&w, "lookups");
    assert_eq!(auto, scan);
    assert_eq!(lookups, scan);
}

/// The reconcile command a CI example runs (the line that calls the copied reconcile.sh), with the CI's
/// variables as the shell would see them.
fn ci_command(example: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.contains("git-notion-reconcile.sh\" ") || l.contains("git-notion-reconcile.sh \"")
        })
        .expect("the example runs the reconcile script")
        .trim();
    let line = line.strip_prefix("- ").unwrap_or(line);
    let line = line.strip_prefix("run: ").unwrap_or(line);
    line.replace("${{ github.event.before }}", "$GITHUB_BEFORE")
        .replace("${{ github.sha }}", "$GITHUB_SHA")
}

/// Org scale: three repositories feed one database, two through the GitHub Actions example and one
/// through the GitLab CI one (their reconcile commands run here against the sandbox; installing with
/// cargo is what this machine cannot do from a CI image). Each applies its pushed range; run again, they
/// only read: an in-sync database costs no write.
#[test]
fn ci_examples_for_several_repositories_feed_one_database_and_rerun_with_reads_only() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/reconcile.sh");
    let root = w.repo.parent().unwrap().to_path_buf();
    let repos = [
        (
            "svc-a",
            "github-actions-reconcile.yml",
            ".github",
            "feat: 完成工单 #003 api",
        ),
        (
            "svc-b",
            "gitlab-ci-reconcile.yml",
            ".gitlab",
            "fix: #004 worker",
        ),
        (
            "svc-c",
            "github-actions-reconcile.yml",
            ".github",
            "feat: #006 ui",
        ),
    ];
    let mut runs = vec![];
    for (name, example, dir, message) in repos {
        let repo = root.join(name);
        std::fs::create_dir_all(repo.join(dir)).unwrap();
        w.git_in(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join(".git-notion.toml"), format!("{ZH_CONFIG}{FAST}")).unwrap();
        std::fs::copy(&script, repo.join(dir).join("git-notion-reconcile.sh")).unwrap();
        w.git_in(&repo, &["add", "."]);
        w.git_in(&repo, &["commit", "-q", "-m", "chore: set up"]);
        let before = w.git_in(&repo, &["rev-parse", "HEAD"]).trim().to_string();
        w.git_in(&repo, &["commit", "-q", "--allow-empty", "-m", message]);
        let after = w.git_in(&repo, &["rev-parse", "HEAD"]).trim().to_string();
        runs.push((repo, ci_command(example), before, after));
    }
    let round = |w: &World| {
        for (repo, command, before, after) in &runs {
            let out = w
                .command(std::path::Path::new("sh"))
                .current_dir(repo)
                .args(["-c", command])
                .env("GITHUB_BEFORE", before)
                .env("GITHUB_SHA", after)
                .env("CI_COMMIT_BEFORE_SHA", before)
                .env("CI_COMMIT_SHA", after)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{command}: {}{}",
                stdout(&out),
                stderr(&out)
            );
            assert_no_token(&out, &w.token);
        }
    };
    w.sb.clear_log();
    round(&w);
    assert_eq!(w.sb.writes().len(), 3, "one write per repository's ticket");
    assert_eq!(w.prop_by_title("#003"), "完成");
    assert_eq!(w.prop_by_title("#004"), "完成");
    assert_eq!(w.prop_by_title("#006"), "进行中");
    w.sb.clear_log();
    round(&w);
    assert_eq!(w.sb.writes().len(), 0, "in sync: reads only");
    // Each repository: the schema (2), one scan request (38 rows), nothing else.
    assert_eq!(w.sb.requests().len(), 3 * 3, "{:#?}", reads(&w));
}

/// `undo` reads its recorded pages by cost too: a journal of 3 pages over a 1,500-row data source costs
/// at most 3 scan requests and a read per page the scan did not reach (15 scan requests before).
#[test]
fn undo_reads_its_pages_by_cost() {
    let w = World::with_seed(
        &seed_with_tickets(1_500),
        SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    w.import_history(&[
        "fix: 完成 #100 one".to_string(),
        "fix: 完成 #700 two".to_string(),
        "fix: 完成 #1400 three".to_string(),
    ]);
    w.wait_for_flusher();
    let out = w.replay(&["--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop_by_title("#700"), "完成");
    w.sb.clear_log();
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = reads(&w);
    assert!(r.len() <= 3 + 3, "{} reads: {r:#?}", r.len());
    assert_eq!(w.sb.writes().len(), 3);
    for key in ["#100", "#700", "#1400"] {
        assert_eq!(w.prop_by_title(key), "未开始", "{key} restored");
    }
}

/// What reading again before writing costs (no stale overwrite): a 1,000-page apply sends one query of
/// the rows edited since its read before the first write, and one more per `RECHECK_EVERY` (10 s) of
/// writing, a page of results each unless more than 100 rows changed meanwhile. Printed for the docs.
#[test]
fn reading_again_before_writing_costs_a_few_queries_for_1000_pages() {
    // 1,000 writes in seconds: the default window budget (180 a minute) would only make this wait.
    let w = World::with_seed(
        &seed_with_tickets(1000),
        SandboxConfig::without_limits(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    let messages: Vec<String> = (1..=1000).map(|i| format!("feat: #{i:03} work")).collect();
    w.import_history(&messages);
    w.sb.clear_log();
    let started = std::time::Instant::now();
    let out = w.replay(&["--apply", "--json"]);
    let secs = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = w.sb.requests();
    let rechecks = requests
        .iter()
        .filter(|r| r.path.ends_with("/query") && r.body.contains("last_edited_time"))
        .count();
    let writes = w.sb.writes().len();
    assert_eq!(writes, 1000);
    eprintln!(
        "1,000-page apply: {} requests in {secs:.1} s, of which {rechecks} read again what changed ({:.1}%)",
        requests.len(),
        100.0 * rechecks as f64 / requests.len() as f64
    );
    assert!(
        rechecks <= 1 + (secs / 10.0).ceil() as usize + 10,
        "{rechecks} rechecks in {secs:.1} s"
    );
    w.assert_replay_plans_nothing();
}
