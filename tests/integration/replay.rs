//! `git notion-replay` and `git notion undo`: the seed team's bulk repair, done right.

use serde_json::{json, Value};

use crate::util::*;

/// The 35 ticket keys that have a page in the Chinese seed, and 19 sub-tickets that have none.
fn seed_keys() -> (Vec<String>, Vec<String>) {
    let mut pages: Vec<String> = (1..=27).map(|n| format!("#{n:03}")).collect();
    pages.extend(["#029", "#030"].map(String::from));
    pages.extend((32..=37).map(|n| format!("#{n:03}")));
    let mut subs: Vec<String> = (1..=10).map(|n| format!("#011.{n}")).collect();
    subs.extend((1..=9).map(|n| format!("#040.{n}")));
    (pages, subs)
}

/// About 300 commits over 54 keys, several per key, shaped like the seed's history: conventional types,
/// Chinese subjects, some commits naming a second ticket in the body.
fn seed_history() -> Vec<String> {
    let (pages, subs) = seed_keys();
    let keys: Vec<String> = pages.into_iter().chain(subs).collect();
    let types = ["feat", "fix", "docs", "chore"];
    (0..304)
        .map(|i| {
            let key = &keys[i % keys.len()];
            let mut m = format!("{}: 完成工单 {key} - 第 {i} 步", types[i % 4]);
            if i % 7 == 3 {
                m.push_str(&format!("\n\nRefs {}\n", keys[(i * 5) % keys.len()]));
            }
            m
        })
        .collect()
}

/// Every page's properties, as the sandbox holds them.
fn snapshot(w: &World) -> Value {
    let st = w.sb.dump();
    json!(st["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"id": p["id"], "properties": p["properties"]}))
        .collect::<Vec<_>>())
}

fn summary(out: &std::process::Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", stdout(out), stderr(out));
    });
    v["summary"].clone()
}

/// Tests do not wait for Notion's 3 requests/s (the benchmark measures that).
const FAST: &str = "\n[api]\nrequests_per_second = 500\nburst = 50\n";

fn zh_world() -> World {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.import_history(&seed_history());
    // A second page carrying #013: ambiguous, never guessed.
    let (status, body) = w.api(
        "POST",
        "/v1/pages",
        json!({"parent": {"data_source_id": zh_source(&w)},
               "properties": {"标题": {"title": [{"text": {"content": "#013 - Risk Limits (copy)"}}]}}}),
    );
    assert_eq!(status, 200, "{body}");
    w.sb.clear_log();
    w
}

fn zh_source(w: &World) -> String {
    let (status, db) = w.api("GET", &format!("/v1/databases/{ZH_DB}"), json!({}));
    assert_eq!(status, 200, "{db}");
    db["data_sources"][0]["id"].as_str().unwrap().to_string()
}

#[test]
fn the_seed_history_plans_exactly_applies_reruns_to_nothing_and_undoes_byte_for_byte() {
    let w = zh_world();
    let before = snapshot(&w);

    // Dry run: the exact counts, nothing written, the request count in the summary.
    let out = w.replay(&["--json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ambiguous #013: exit 1\n{}",
        stderr(&out)
    );
    let s = summary(&out);
    assert_eq!(s["commits_read"], 304);
    assert_eq!(s["tickets"], 54);
    assert_eq!(s["to_update"], 34);
    assert_eq!(s["already_correct"], 0);
    assert_eq!(s["not_found"], 19);
    assert_eq!(s["ambiguous"], 1);
    assert_eq!(s["errors"], 0);
    assert_eq!(w.write_count(), 0, "a dry run writes nothing");
    // Schema reads (database, data source) and one scan request for 39 rows: never one query per ticket.
    let reqs = w.sb.requests();
    assert_eq!(s["requests"], reqs.len());
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    assert!(
        reqs[2].query.contains("filter_properties"),
        "{}",
        reqs[2].query
    );
    assert_eq!(snapshot(&w), before);
    w.sb.clear_log();

    // Apply: one PATCH per changed page; the latest commit naming a ticket decides it.
    let out = w.replay(&["--apply"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("journal: "), "{text}");
    assert_eq!(w.write_count(), 34);
    // Schema and scan (3), the rows edited since the scan read again before writing (1), the writes.
    assert_eq!(w.sb.requests().len(), 3 + 1 + 34);
    let log = w.git(&["log", "--format=%H %s", "--grep", "#003 ", "-n1"]);
    let sha = log.split_whitespace().next().unwrap().to_string();
    assert_eq!(w.prop("a1c38de3f02b4bf98449e6f025ba9d81", "状态"), "完成");
    assert_eq!(
        w.prop("a1c38de3f02b4bf98449e6f025ba9d81", "Commit"),
        format!("https://github.com/acme/mt5/commit/{sha}")
    );
    // A placeholder title is filled from its ticket's own commit; a real title is kept.
    for (page, key) in [
        ("6a07cf55b195491b8778ea3cfe2fcdec", "#012"),
        ("2d49bfa858914f578c36e0ca3bc8c6c0", "#026"),
    ] {
        // The latest subject about the ticket (naming it first), even when later commits only mention it.
        let subjects = w.git(&["log", "--format=%s"]);
        let about = subjects.lines().find(|s| {
            s.find('#').is_some_and(|i| {
                s[i..].starts_with(key)
                    && !s[i + key.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
        });
        let title = w.prop(page, "标题");
        match about {
            Some(subject) => assert_eq!(title, subject.trim(), "{key}"),
            None => assert!(title.starts_with(key), "{key}: {title:?}"),
        }
    }

    assert_eq!(
        w.prop("c3a8dad9d1eb4aa3894f1f4745f78740", "标题"),
        "#042 - Exact Matching Guard",
        "#042 is not in this history"
    );
    // #011's page is not #011.3's.
    assert_eq!(
        w.prop("34f1aa2c8f27473082ef3ff2d777f29b", "标题"),
        "#011 - SSH & Remote Host Setup"
    );
    w.sb.clear_log();

    // A second run plans nothing.
    let out = w.replay(&["--json"]);
    let s = summary(&out);
    assert_eq!(s["to_update"], 0);
    assert_eq!(s["already_correct"], 34);
    let out = w.replay(&["--apply"]);
    assert!(
        stdout(&out).contains("already correct     34"),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.write_count(), 0);

    // Undo: a dry run first, then every page back as it was, byte for byte.
    let out = w.run(&["undo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("34 page(s) to restore"),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.write_count(), 0);
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.write_count(), 34);
    assert_eq!(snapshot(&w), before);
    // Undone is undone: nothing left to restore.
    let out = w.run(&["undo", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["to_restore"], 0);
    assert_eq!(v["as_recorded"], 34);
    assert_no_token(&out, &w.token);
}

#[test]
fn a_replay_killed_midway_resumes_without_writing_twice_and_undo_still_restores_all() {
    let w = zh_world();
    let before = snapshot(&w);
    w.sb.inject(notion_sandbox::Fault::latency_ms(60));
    let mut child = w.apply_until(10);
    child.kill().unwrap();
    child.wait().unwrap();
    // The PATCH in flight when the process died lands (or not) within its 60 ms; the resume comes after.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let first = w.write_count();
    assert!(first < 34, "killed midway ({first} writes)");
    w.sb.clear_faults();

    let out = w.replay(&["--apply"]);
    assert!(
        stdout(&out).contains("resumed from an interrupted apply"),
        "{}",
        stdout(&out)
    );
    // Every page written exactly once over both runs.
    w.assert_each_page_written_once(34);
    let s = summary(&w.replay(&["--json"]));
    assert_eq!(s["to_update"], 0);

    // The journal kept the values from before the first run.
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snapshot(&w), before);
}

#[test]
fn the_english_database_with_a_select_status_and_task_ids() {
    let w = World::new("en", &format!("{EN_CONFIG}{FAST}"));
    let before = snapshot(&w);
    w.import_history(&[
        "feat: implements TASK-6 nightly backup job".to_string(),
        "fix: TASK-7 dashboard, see TASK-6".to_string(),
        "chore: task-8 webhooks".to_string(),
        "docs: TASK-99 has no page".to_string(),
        "feat: TASK-7 dashboard done".to_string(),
    ]);
    let out = w.replay(&["--json"]);
    let s = summary(&out);
    assert_eq!(s["tickets"], 4);
    assert_eq!(s["to_update"], 3);
    assert_eq!(s["not_found"], 1);
    assert_eq!(
        out.status.code(),
        Some(0),
        "not found alone is not a failure"
    );
    let out = w.replay(&["--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.write_count(), 3);
    assert_eq!(w.prop("d509529443234b1782038c14a8b4f735", "Status"), "Done");
    let head = w.git(&["rev-parse", "HEAD"]);
    assert!(w
        .prop("9e0c612ee0ea427084501218ec5e7f37", "Commit")
        .ends_with(head.trim()));
    assert_eq!(summary(&w.replay(&["--json"]))["to_update"], 0);
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snapshot(&w), before);
}

#[test]
fn ranges_since_and_preferred_types_choose_the_commits() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.import_history(&[
        "feat: #005 first".to_string(),
        "docs: #006 docs".to_string(),
        "chore: #006 later chore".to_string(),
    ]);
    let first = w.git(&["rev-list", "--max-parents=0", "HEAD"]);
    let first = first.trim();
    // A range leaves #005 out.
    let out = w.replay(&["--json", &format!("{first}..HEAD")]);
    assert_eq!(summary(&out)["tickets"], 1);
    // --since a revision: the same.
    let out = w.replay(&["--json", "--since", first]);
    assert_eq!(summary(&out)["tickets"], 1);
    // --since a date after everything: nothing to do, no request.
    w.sb.clear_log();
    let out = w.replay(&["--since", "2030-01-01"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("nothing to do"), "{}", stdout(&out));
    assert!(w.sb.requests().is_empty());
    // A bad date is a usage error.
    let out = w.replay(&["--since", "yesterday-ish"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("neither a revision nor a date"));
    // --prefer docs: the docs commit decides #006 (its link), not the later chore.
    let out = w.replay(&["--json", "--prefer", "docs"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t006 = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "#006")
        .unwrap()
        .clone();
    let docs = w.git(&["log", "--format=%H", "--grep", "docs: #006", "-n1"]);
    assert_eq!(t006["commit"], docs.trim());
    // --force is --apply.
    let out = w.replay(&["--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.write_count(), 2);
}

#[test]
fn a_data_source_past_the_query_row_cap_is_scanned_in_created_time_windows() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.import_history(&["feat: #067 bulk resync".to_string()]);
    // Notion stops one query at 10,000 rows; the sandbox at 10 here, over 38 rows.
    w.sb.state().query_row_cap = 10;
    let out = w.replay(&["--json", "--read", "scan"]);
    let s = summary(&out);
    assert_eq!(s["rows_scanned"], 38, "{}", stderr(&out));
    assert_eq!(s["to_update"], 1);
    let scans =
        w.sb.requests()
            .iter()
            .filter(|r| r.path.ends_with("/query"))
            .count();
    assert!(scans >= 4, "{scans} scan requests");
}

/// Notion shows `created_time` by the minute, so a CSV import leaves more rows in one minute than one
/// query returns (../shared/notion-reference/README.md): `created_time` windows cannot page past them.
/// The replay then looks up each ticket of the history directly, and plans exactly what a full scan plans.
#[test]
fn rows_sharing_one_created_time_past_the_cap_fall_back_to_lookups_with_the_same_plan() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.import_history(&[
        "feat: #067 bulk resync".to_string(),
        "fix: 完成工单 #005 alerts".to_string(),
        "chore: #999 no page".to_string(),
    ]);
    let plan = |out: &std::process::Output| -> (Value, Value) {
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(out)));
        (v["tickets"].clone(), v["summary"].clone())
    };
    let (full, full_summary) = plan(&w.replay(&["--json"]));
    assert!(
        full_summary["tickets_looked_up"].is_null(),
        "{full_summary:#}"
    );
    {
        // An import: every row created in the same minute, and a cap (10,000 in Notion) below the rows.
        let mut st = w.sb.state();
        st.query_row_cap = 10;
        let t = st.pages[0].created_time;
        for p in st.pages.iter_mut() {
            p.created_time = t;
        }
    }
    w.sb.clear_log();
    let out = w.replay(&["--json"]);
    let (fallback, summary) = plan(&out);
    assert_eq!(fallback, full, "the same plan");
    assert_eq!(summary["tickets_looked_up"], 3, "{summary:#}");
    assert_eq!(summary["rows_scanned"], 10, "{summary:#}");
    let text = stdout(&w.replay(&[]));
    assert!(
        text.contains("ticket(s) looked up in 1 batched request(s)"),
        "{text}"
    );
    let out = w.replay(&["--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.write_count(), 2);
    assert_eq!(w.prop("17853bd4e4374814800601e7495de496", "状态"), "完成");
    w.assert_replay_plans_nothing();
}

/// `examples/reconcile.sh`, as the example CI workflow runs it after a push: only the pushed range is
/// applied, the JSON summary is kept, and a second run writes nothing.
#[test]
fn the_example_ci_reconcile_applies_the_pushed_range() {
    const P004: &str = "7d79a8a82632448a8d157f5ecc29e89b";
    const P006: &str = "94d9697d90f945358de0843f5f971d3c";
    const P007: &str = "3c60dbeb1cf14df984dc897a682fb3c5";
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.import_history(&["feat: #006 pushed earlier".to_string()]);
    let before = w.head();
    w.import_history(&[
        "feat: 完成工单 #007 merged in the web UI".to_string(),
        "fix: #004 hotfix".to_string(),
    ]);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/reconcile.sh");
    let run = |args: &[&str]| {
        w.command(std::path::Path::new("sh"))
            .arg(&script)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[&before, "HEAD"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_no_token(&out, &w.token);
    let kept: Value =
        serde_json::from_slice(&std::fs::read(w.repo.join("git-notion-replay.json")).unwrap())
            .unwrap();
    assert_eq!(kept["summary"]["commits_read"], 2, "{kept:#}");
    assert_eq!(kept["summary"]["written"], 2, "{kept:#}");
    assert_eq!(w.prop(P007, "状态"), "完成");
    assert_eq!(w.prop(P004, "状态"), "完成");
    assert_eq!(w.prop(P006, "状态"), "未开始", "outside the pushed range");
    // Again (a re-run of the workflow): nothing to write.
    let writes = w.write_count();
    assert!(run(&[&before, "HEAD"]).status.success());
    assert_eq!(w.write_count(), writes);
    // A new branch (before = zeros): the last 7 days; these commits are dated 2025, so none.
    let out = run(&["0000000000000000000000000000000000000000", "HEAD"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kept: Value =
        serde_json::from_slice(&std::fs::read(w.repo.join("git-notion-replay.json")).unwrap())
            .unwrap();
    assert_eq!(kept["summary"]["commits_read"], 0, "{kept:#}");
}

#[test]
fn history_read_on_several_threads_is_history_read_in_order() {
    // Batches of 256 commits go round-robin to reader threads and come back in walk order: every way of
    // walking (ranges, --all, --first-parent, --since) plans the same as gix's own walk on one thread, with
    // and without a commit-graph file.
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let types = ["feat", "fix", "docs", "chore"];
    let messages: Vec<String> = (0..700)
        .map(|i| format!("{}: #{:03} step {i}", types[i % 4], 1 + i % 37))
        .collect();
    w.import_history(&messages);
    let fork = w.git(&["rev-parse", "HEAD~300"]);
    let no_hooks = ["-c", "core.hooksPath=/dev/null"];
    let git = |args: &[&str]| w.git_timed(&w.repo, &[&no_hooks[..], args].concat());
    git(&["checkout", "-q", "-b", "topic", fork.trim()]);
    for i in 0..5 {
        git(&[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("feat: #0{} topic {i}", 40 + i),
        ]);
    }
    git(&["checkout", "-q", "main"]);
    git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge topic: 完成 #041",
        "topic",
    ]);
    git(&["branch", "release/1", "HEAD~2"]);
    let ways: [&[&str]; 6] = [
        &[],
        &["--all"],
        &["--first-parent"],
        &["--since", "2025-10-01T08:00:00+08:00"],
        &["HEAD~400..HEAD"],
        &["topic", "release/1"],
    ];
    let plan = |args: &[&str], serial: bool| -> Value {
        let mut c = w.command(&bin("git-notion-replay"));
        c.arg("--json").args(args);
        if serial {
            c.env("GIT_NOTION_SERIAL_WALK", "1");
        }
        let out = c.output().unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["summary"]["requests"] = Value::Null;
        v
    };
    let serial: Vec<Value> = ways.iter().map(|a| plan(a, true)).collect();
    assert!(
        serial[0]["summary"]["commits_read"].as_u64() > Some(700),
        "{}",
        serial[0]["summary"]
    );
    for graph in [false, true] {
        if graph {
            w.git(&["commit-graph", "write", "--reachable"]);
        }
        for (args, expected) in ways.iter().zip(&serial) {
            assert_eq!(
                &plan(args, false),
                expected,
                "{args:?}, commit-graph: {graph}"
            );
        }
    }
}

#[test]
fn ctrl_c_finishes_the_page_in_flight_and_says_how_to_resume() {
    let w = zh_world();
    w.sb.inject(notion_sandbox::Fault::latency_ms(60));
    let child = w
        .command(&bin("git-notion-replay"))
        .arg("--apply")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    w.wait_for_writes(5);
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("stopping after the page in flight"), "{err}");
    assert!(
        err.contains("interrupted: ") && err.contains("run the same command again to resume"),
        "{err}"
    );
    let first = w.write_count();
    assert!((5..34).contains(&first), "stopped midway ({first} writes)");
    // What was written is journalled: the next apply resumes and writes each page once in all.
    w.sb.clear_faults();
    let out = w.replay(&["--apply"]);
    assert!(
        stdout(&out).contains("resumed from an interrupted apply"),
        "{}",
        stdout(&out)
    );
    w.assert_each_page_written_once(34);
}

/// Ctrl-C typed on a terminal while `git notion-replay --apply` runs (git runs the binary as its child,
/// and both get the terminal's SIGINT; git passes one more on): the same as calling the binary directly:
/// the page in flight finished and journalled, the resume line, exit 130. Also with a shell that
/// ignores SIGINT (`trap '' INT`), as some CI shells and scripts do.
#[test]
fn ctrl_c_through_git_on_a_terminal_behaves_as_the_binary_alone() {
    use std::io::Write;
    for shell in ["", "trap '' INT; "] {
        let w = zh_world();
        w.sb.inject(notion_sandbox::Fault::latency_ms(60));
        let mut child = w
            .command(std::path::Path::new("script"))
            .args([
                "-q",
                "-e",
                "-c",
                &format!("{shell}git notion-replay --apply"),
                "/dev/null",
            ])
            .env("TERM", "dumb")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        w.wait_for_writes(5);
        // ^C typed on the terminal: the line discipline sends SIGINT to the foreground group.
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"\x03").unwrap();
        stdin.flush().unwrap();
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(130), "{shell:?}: {text}");
        assert!(
            text.contains("interrupted: ") && text.contains("run the same command again to resume"),
            "{shell:?}: {text}"
        );
        assert!(!text.contains("waitpid"), "{shell:?}: {text}");
        let first = w.write_count();
        assert!((5..34).contains(&first), "stopped midway ({first} writes)");
        w.sb.clear_faults();
        let out = w.replay(&["--apply"]);
        assert!(stdout(&out).contains("resumed from an interrupted apply"));
        w.assert_each_page_written_once(34);
    }
}

/// A fast rebase or an import gives many commits one committer second. The walk by commit time orders
/// those arbitrarily, and from every ref (`--all`, what the hooks deliver) a tagged parent could come out
/// before its child: the latest commit naming a ticket must not depend on which refs the walk starts from.
#[test]
fn commits_of_one_second_give_the_same_latest_commit_from_head_and_from_every_ref() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let at = [
        ("GIT_COMMITTER_DATE", "2025-10-01T10:00:00Z"),
        ("GIT_AUTHOR_DATE", "2025-10-01T10:00:00Z"),
    ];
    let repo = w.repo.clone();
    for i in 1..=6 {
        let message = format!("chore: step {i} on #006");
        w.git_with(
            &repo,
            &["commit", "-q", "--allow-empty", "-m", &message],
            &at,
        );
        if i < 6 {
            w.git(&["tag", &format!("t{i}")]);
        }
    }
    w.wait_for_flusher();
    w.run(&["flush"]);
    let head = w.head();
    let latest = |args: &[&str], envs: &[(&str, &str)]| -> String {
        let mut c = w.command(&bin("git-notion-replay"));
        c.current_dir(&w.repo).args(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let t = v["tickets"].as_array().unwrap();
        let t = t.iter().find(|t| t["key"] == "#006").unwrap();
        t["commit"].as_str().unwrap().to_string()
    };
    assert_eq!(latest(&["--json"], &[]), head);
    assert_eq!(latest(&["--all", "--json"], &[]), head);
    let serial = [("GIT_NOTION_SERIAL_WALK", "1")];
    assert_eq!(latest(&["--all", "--json"], &serial), head);
    // The hooks delivered the same commit.
    let page = w.sb.state().find_page_by_title("#006").unwrap().id.clone();
    assert_eq!(
        w.prop(&page, "Commit"),
        format!("https://github.com/acme/mt5/commit/{head}")
    );
    w.assert_replay_plans_nothing();
}
