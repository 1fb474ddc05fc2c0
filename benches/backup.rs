//! `git notion backup` at scale, against the sandbox with a request rate enforced as Notion does. Run with
//! `cargo bench --bench backup`. Prints, side by side in one run:
//! - a first backup of a large data source: its requests and time beside what the rate allows (requests ÷
//!   rate), and the second, incremental run after a few edits: the rows it read and its requests;
//! - a year of daily backups of a smaller one (a few pages edited a day): the size of the backup ref,
//!   packed, beside the size of one snapshot of every page.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use notion_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

/// Rows of the large data source.
const ROWS: usize = 50_000;
/// Requests per second the sandbox allows and git-notion paces itself at (scaled from Notion's 3 so that
/// the run takes about a minute and pacing, not the sandbox's own work on 50,000 rows, sets the time; the
/// ratio is what matters).
const RATE: f64 = 10.0;
/// Rows of the data source backed up daily for a year, and pages edited a day.
const YEAR_ROWS: usize = 1_000;
const EDITS_A_DAY: usize = 10;
const DAYS: usize = 365;

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

fn backup(repo: &Path, home: &Path, sb: &Sandbox) -> Value {
    let out = git(repo, home, sb, &["notion", "backup", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["backup"].clone()
}

fn world(
    rows: usize,
    rps: Option<f64>,
) -> (
    Sandbox,
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let pages: Vec<Value> = (1..=rows)
        .map(|i| json!({"properties": {"标题": format!("#{i:05} - ticket"), "状态": "未开始", "备注": format!("row {i}")}}))
        .collect();
    seed["databases"][0]["data_sources"][0]["pages"] = json!(pages);
    // Rows created over time, 100 a minute (a scan's windows page past Notion's 10,000-row cap).
    seed["rows_per_minute"] = json!(100);
    let sb = Sandbox::start(
        &seed,
        SandboxConfig {
            rps,
            burst: 3,
            // The request rate is the limit measured here (the window budgets off).
            windows: vec![],
            ..SandboxConfig::default()
        },
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&repo).unwrap();
    assert!(git(&repo, &home, &sb, &["init", "-q", "-b", "main"])
        .status()
        .unwrap()
        .success());
    let config = format!(
        "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"标题\"\nstatus = \"状态\"\n[api]\nrequests_per_second = {}\nburst = 3\n",
        rps.unwrap_or(1000.0)
    );
    std::fs::write(repo.join(".git-notion.toml"), config).unwrap();
    (sb, tmp, home, repo)
}

fn edit(sb: &Sandbox, n: usize, day: usize, rows: usize) {
    let mut st = sb.state();
    let now = st.clock.now();
    let ds = st.data_sources.values().next().unwrap().clone();
    let note = ds.property("备注").unwrap().id.clone();
    for k in 0..n {
        let i = (day * 7919 + k * 104_729) % rows;
        let p = &mut st.pages[i];
        p.props.insert(
            note.clone(),
            json!([{"type": "text", "text": {"content": format!("day {day} edit {k}")}, "plain_text": format!("day {day} edit {k}")}]),
        );
        p.last_edited_time = now;
    }
}

fn main() {
    // A large data source: the first backup, then an incremental one.
    let (sb, _tmp, home, repo) = world(ROWS, Some(RATE));
    let started = Instant::now();
    let first = backup(&repo, &home, &sb);
    let took = started.elapsed().as_secs_f64();
    let requests = sb.requests().len();
    let floor = requests as f64 / RATE;
    let log = sb.requests();
    let span = match (log.first(), log.last()) {
        (Some(a), Some(b)) => (b.at_ms - a.at_ms) as f64 / 1000.0,
        _ => 0.0,
    };
    println!("backup of {ROWS} rows at {RATE} requests/s");
    println!(
        "  first backup      {} pages in {requests} requests, {took:.1} s; the rate allows {floor:.1} s; ratio {:.2}",
        first["changed"], took / floor
    );
    println!(
        "                    first to last request {span:.1} s; before and after them {:.1} s",
        took - span
    );
    edit(&sb, 20, 1, ROWS);
    sb.clear_log();
    let started = Instant::now();
    let next = backup(&repo, &home, &sb);
    let log = sb.requests();
    let edited = log
        .iter()
        .filter(|r| r.body.contains("last_edited_time"))
        .count();
    println!(
        "  incremental       {} rows read (20 edited) in {edited} request(s), plus {} to see which pages are gone; {} changed; {:.1} s",
        next["rows_read"],
        log.len() - edited,
        next["changed"],
        started.elapsed().as_secs_f64()
    );

    // A year of daily backups of a smaller data source.
    let (sb, _tmp2, home, repo) = world(YEAR_ROWS, None);
    backup(&repo, &home, &sb);
    let snapshot = pack_size(&repo, &home, &sb);
    for day in 1..=DAYS {
        edit(&sb, EDITS_A_DAY, day, YEAR_ROWS);
        backup(&repo, &home, &sb);
    }
    let year = pack_size(&repo, &home, &sb);
    println!("a year of daily backups of {YEAR_ROWS} rows, {EDITS_A_DAY} edited a day");
    println!(
        "  backup ref        {:.0} KiB packed after {DAYS} runs; one snapshot of every page {:.0} KiB; ratio {:.2}",
        year as f64 / 1024.0,
        snapshot as f64 / 1024.0,
        year as f64 / snapshot as f64
    );
}

/// The packed size of the repository's objects (after `git gc`), in bytes.
fn pack_size(repo: &Path, home: &Path, sb: &Sandbox) -> u64 {
    assert!(git(repo, home, sb, &["gc", "-q", "--aggressive"])
        .status()
        .unwrap()
        .success());
    let out = git(repo, home, sb, &["count-objects", "-v"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("size-pack: "))
        .and_then(|k| k.trim().parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}
