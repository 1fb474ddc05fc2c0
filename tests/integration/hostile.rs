//! Hostile input and racing clones: answers no honest Notion gives, commits built to exhaust memory,
//! terminal escapes, two clones writing at once. Each test fails on the code before its fix.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use notion_sandbox::Fault;
use serde_json::{json, Value};

use crate::util::*;

/// Runs `c`, killing it after `secs` (a command that loops for ever fails the test instead of hanging it).
pub fn run_within(mut c: Command, secs: u64) -> Output {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "still running after {secs} s: {}{}",
                stdout(&out),
                stderr(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pending(w: &World) -> Vec<Value> {
    w.outbox()["pending"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The status (状态) of the page whose title starts with `prefix`.
fn status_of(w: &World, prefix: &str) -> String {
    w.prop_by_title(prefix)
}

#[test]
fn a_cursor_that_never_ends_ends_the_read_with_an_error_naming_the_endpoint() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #003 and #004");
    for body in [
        // A page of no results that says more follow.
        json!({"object": "list", "results": [], "has_more": true, "next_cursor": "again"}),
        // The same cursor again and again, with a result each time.
        json!({"object": "list", "results": [{"object": "page", "id": "00000000-0000-0000-0000-000000000001", "properties": {}}], "has_more": true, "next_cursor": "again"}),
    ] {
        w.sb.clear_faults();
        w.sb.inject(
            Fault::respond(200, body)
                .method("POST")
                .path("/v1/data_sources/"),
        );
        for (what, mut c) in [
            ("sync", w.command(&bin("git-notion"))),
            ("replay", w.command(&bin("git-notion-replay"))),
        ] {
            if what == "sync" {
                c.arg("sync");
            }
            let out = run_within(c, 60);
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert_ne!(out.status.code(), Some(0), "{what}: {text}");
            assert!(
                text.contains("/query") && text.contains("cannot go on for ever"),
                "{what}: {text}"
            );
        }
    }
    // The background flusher ends too, leaving the update pending with the reason.
    w.commit("feat: #003 again");
    w.wait_for_flusher();
    let p = pending(&w);
    assert!(
        p.iter().any(|e| e["last_error"]
            .as_str()
            .is_some_and(|r| r.contains("cannot go on for ever"))),
        "{p:#?}"
    );
}

#[test]
fn a_write_answered_by_something_other_than_the_page_stays_pending() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let before = status_of(&w, "#003");
    w.sb.inject(Fault::respond(200, json!({})).method("PATCH"));
    w.commit("feat: 完成工单 #003");
    w.wait_for_flusher();
    assert_eq!(status_of(&w, "#003"), before, "nothing was written");
    let p = pending(&w);
    assert_eq!(p.len(), 1, "the update is kept: {p:#?}");
    let reason = p[0]["last_error"].as_str().unwrap_or_default();
    assert!(reason.contains("not a page"), "{reason}");
    // Nor does a page that does not show the value written count.
    w.sb.clear_faults();
    let other = w
        .api(
            "GET",
            &format!(
                "/v1/pages/{}",
                w.sb.state().find_page_by_title("#003").unwrap().id
            ),
            Value::Null,
        )
        .1;
    w.sb.inject(Fault::respond(200, other).method("PATCH").times(1));
    let out = w.run(&["flush"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(status_of(&w, "#003"), before);
    // Once Notion answers as Notion does, the kept update is delivered.
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(status_of(&w, "#003"), "完成");
    assert!(pending(&w).is_empty());
}

/// Peak memory allowed for a command over a hostile commit (the bound).
const MAX_RSS_KIB: u64 = 150 * 1024;

#[test]
fn a_commit_naming_50000_keys_costs_bounded_memory_and_later_tickets_still_arrive() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let keys: Vec<String> = (1..=50_000).map(|n| format!("#{n}")).collect();
    let message = format!("chore: sweep {}\n", keys.join(" "));
    let file = w.home.join("msg");
    std::fs::write(&file, &message).unwrap();
    // 200 keys and a 2 MB body: no per-ticket copy of the message.
    let big = format!(
        "feat: #003 {}\n\n{}\n",
        (1..=200)
            .map(|n| format!("#9{n:03}"))
            .collect::<Vec<_>>()
            .join(" "),
        "x".repeat(2 << 20)
    );
    let big_file = w.home.join("big");
    std::fs::write(&big_file, &big).unwrap();
    let flusher = w.hold_flusher();
    for f in [&file, &big_file] {
        w.git(&["commit", "-q", "--allow-empty", "-F", f.to_str().unwrap()]);
    }
    w.commit("feat: 完成工单 #004 later");
    let sweep = w.git(&["rev-parse", "HEAD~2"]).trim().to_string();
    drop(flusher);
    let mut flush = w.command(&bin("git-notion"));
    flush.arg("flush");
    let (out, rss) = run_measuring_rss(flush);
    eprintln!("peak RSS of flush: {rss} KiB");
    assert!(
        rss < MAX_RSS_KIB,
        "flush peaked at {rss} KiB: {}",
        stderr(&out)
    );
    assert_eq!(status_of(&w, "#004"), "完成", "{}", stderr(&out));
    let mut sync = w.command(&bin("git-notion"));
    sync.args(["sync", "--dry-run", &sweep]);
    let (out, rss) = run_measuring_rss(sync);
    eprintln!("peak RSS of sync: {rss} KiB");
    assert!(rss < MAX_RSS_KIB, "sync peaked at {rss} KiB");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("commit {}", &sweep[..12]))
            && err.contains("49000 more distinct keys than the 1000 read"),
        "{err}"
    );
    let mut replay = w.command(&bin("git-notion-replay"));
    replay.arg("--all");
    let (out, rss) = run_measuring_rss(replay);
    eprintln!("peak RSS of the replay: {rss} KiB");
    assert!(rss < MAX_RSS_KIB, "the replay peaked at {rss} KiB");
    assert!(
        stderr(&out).contains("49000 more distinct keys"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_key_notion_refuses_to_look_up_is_set_aside_and_the_rest_delivered() {
    let w = World::new(
        "zh",
        &format!("{ZH_CONFIG}{FAST}\n[tickets]\nmax_key_length = 5000\n"),
    );
    let huge = format!("#1{}", "0".repeat(3000));
    w.commit(&format!("docs: 完成工单 #003 and #004, see {huge}"));
    w.wait_for_flusher();
    assert_eq!(status_of(&w, "#003"), "完成");
    assert!(pending(&w).is_empty(), "{:#?}", pending(&w));
    let failed = w.outbox()["failed"].as_array().cloned().unwrap_or_default();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let reason = failed[0]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("refused to look up the key #1000") && !reason.contains("property names"),
        "{reason}"
    );
    assert_eq!(failed[0]["state"], "rejected");
    // People see the key cut short, never 3,000 digits on a line.
    let out = w.run(&["status"]);
    let text = stdout(&out);
    assert!(text.lines().all(|l| l.chars().count() < 2100), "{text}");
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Raw terminal controls or bidi overrides in what a command printed (git-notion itself prints no
/// colour to a pipe, so any ESC is someone else's).
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        })
        .collect()
}

#[test]
fn escapes_from_commits_keys_and_notion_never_reach_the_terminal() {
    let config = format!(
        "{}{FAST}\n[tickets]\npatterns = [\"#[0-9]+\", \"#x[^ ]+\"]\n",
        ZH_CONFIG
    );
    let w = World::new("zh", &config);
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2J \u{202e}txt.exe";
    let notion_says = json!({
        "object": "error", "status": 400, "code": "validation_error",
        "message": format!("bad value {hostile}")
    });
    w.sb.inject(Fault::respond(400, notion_says).method("PATCH"));
    w.commit(&format!(
        "feat: 完成工单 #003 {hostile} and #x\u{1b}[31m\u{202e}9"
    ));
    w.wait_for_flusher();
    let mut outputs = vec![];
    for args in [
        vec!["status"],
        vec!["flush"],
        vec!["retry"],
        vec!["sync"],
        vec!["sync", "--dry-run"],
        vec!["log"],
        vec!["doctor"],
    ] {
        let out = w.run(&args);
        outputs.push((args.join(" "), out));
    }
    for args in [vec!["--all"], vec!["--all", "--apply"]] {
        let out = w.replay(&args);
        outputs.push((format!("replay {}", args.join(" ")), out));
    }
    let mut seen_error = false;
    for (what, out) in &outputs {
        let text = format!("{}{}", stdout(out), stderr(out));
        seen_error |= text.contains("bad value");
        assert!(
            raw_controls(&text).is_empty(),
            "{what} printed raw controls {:?}:\n{text}",
            raw_controls(&text)
        );
    }
    assert!(seen_error, "Notion's message was shown somewhere");
}

#[test]
fn the_small_ones_token_shapes_non_utf8_settings_private_outbox_and_exit_codes() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #003");
    // doctor creates the outbox directory only its owner can enter.
    let _ = std::fs::remove_dir_all(w.outbox_dir());
    w.run(&["doctor"]);
    let mode = std::fs::metadata(w.outbox_dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    // A token pasted with a line break is named as such, at once, without a request.
    w.sb.clear_log();
    let out = w
        .command(&bin("git-notion"))
        .args(["sync", "--dry-run"])
        .env("NOTION_TOKEN", format!("{}\nx", w.token))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("NOTION_TOKEN is not a Notion token: it holds a line break"),
        "{}",
        stderr(&out)
    );
    assert_no_token(&out, &w.token);
    assert!(w.sb.requests().is_empty());
    // An empty NOTION_TOKEN falls through to NOTION_API_KEY, as documented.
    let out = w
        .command(&bin("git-notion"))
        .args(["sync", "--dry-run"])
        .env("NOTION_TOKEN", "")
        .env("NOTION_API_KEY", &w.token)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A setting that is not UTF-8 is an error naming it, never silently skipped.
    for var in ["GIT_NOTION_API_URL", "GIT_NOTION_DATABASE"] {
        for program in ["git-notion", "git-notion-replay"] {
            let mut c = w.command(&bin(program));
            if program == "git-notion" {
                c.args(["sync", "--dry-run"]);
            }
            let out = c
                .env(var, std::ffi::OsStr::from_bytes(b"http://127.0.0.1:1/\xff"))
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(2),
                "{program} {var}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(&format!("{var} is not valid UTF-8")),
                "{}",
                stderr(&out)
            );
        }
    }
    // A data source that does not exist: flush exits as sync does (2).
    w.write_config(&format!(
        "{}{FAST}",
        ZH_CONFIG.replace(
            "2845c4eb952681828ccf000b14d4c431",
            "00000000000000000000000000000bad"
        )
    ));
    let sync = w.run(&["sync"]);
    assert_eq!(sync.status.code(), Some(2), "{}", stderr(&sync));
    w.commit("feat: #004");
    w.wait_for_flusher();
    let flush = w.run(&["flush"]);
    assert_eq!(flush.status.code(), Some(2), "{}", stderr(&flush));
}

/// The git-notion comments on the page whose title starts with `prefix`, as the sandbox holds them
/// (resolved ones included).
fn comments_on(w: &World, prefix: &str) -> Vec<String> {
    let st = w.sb.state();
    let page = st.find_page_by_title(prefix).unwrap().id.clone();
    st.comments
        .iter()
        .filter(|c| c.page_id == page)
        .map(|c| {
            c.rich_text
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|t| t["plain_text"].as_str())
                .collect::<String>()
        })
        .filter(|t| t.contains("git-notion · commit"))
        .collect()
}

#[test]
fn two_clones_syncing_at_the_same_instant_leave_one_comment() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #005 #comment 等待评审");
    let mate = w.origin_and_teammate();
    std::fs::copy(
        w.repo.join(".git-notion.toml"),
        mate.join(".git-notion.toml"),
    )
    .unwrap();
    // Both read the page's comments before either posts: the posts are slow.
    w.sb.inject(Fault::latency_ms(400).method("POST").path("/v1/comments"));
    let children: Vec<_> = [&w.repo, &mate]
        .into_iter()
        .map(|dir| {
            w.command(&bin("git-notion"))
                .current_dir(dir)
                .arg("sync")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    let posted = comments_on(&w, "#005");
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert!(posted[0].starts_with("等待评审"));
    w.sb.clear_faults();
    w.assert_replay_plans_nothing();
}

#[test]
fn a_resolved_comment_is_not_posted_again_after_its_commit_is_rebased() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    std::fs::write(w.repo.join("a.txt"), "a\n").unwrap();
    w.git(&["add", "a.txt"]);
    w.git(&["commit", "-q", "-m", "chore: start"]);
    w.git(&["checkout", "-q", "-b", "feature"]);
    std::fs::write(w.repo.join("b.txt"), "b\n").unwrap();
    w.git(&["add", "b.txt"]);
    w.git(&["commit", "-q", "-m", "feat: #005 #comment 等待评审"]);
    w.settle();
    assert_eq!(comments_on(&w, "#005").len(), 1);
    // A person resolves it: Notion no longer lists it.
    let page = w.sb.state().find_page_by_title("#005").unwrap().id.clone();
    assert_eq!(w.sb.resolve_comments(&page), 1);
    // main moves on; the branch is rebased: the commit gets a new id, the same change.
    w.git(&["checkout", "-q", "main"]);
    std::fs::write(w.repo.join("c.txt"), "c\n").unwrap();
    w.git(&["add", "c.txt"]);
    w.git(&["commit", "-q", "-m", "chore: other"]);
    w.git(&["checkout", "-q", "feature"]);
    w.git(&["rebase", "-q", "main"]);
    w.settle();
    let posted = comments_on(&w, "#005");
    assert_eq!(posted.len(), 1, "posted again: {posted:#?}");
    w.assert_replay_plans_nothing();
}

/// A commit on `dir` dated `2025-10-<day>` 09:00 +08:00; returns its id.
fn commit_on(w: &World, dir: &std::path::Path, day: &str, message: &str) -> String {
    let date = format!("2025-10-{day}T09:00:00+08:00");
    w.git_with(
        dir,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        ],
        &[("GIT_AUTHOR_DATE", &date), ("GIT_COMMITTER_DATE", &date)],
    );
    w.git_in(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn link_of(w: &World, prefix: &str) -> String {
    let id = w.sb.state().find_page_by_title(prefix).unwrap().id.clone();
    w.prop(&id, "Commit")
}

#[test]
fn a_plan_never_writes_over_a_newer_link_written_after_its_read() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    commit_on(&w, &w.repo, "09", "chore: start");
    let mate = w.origin_and_teammate();
    std::fs::copy(
        w.repo.join(".git-notion.toml"),
        mate.join(".git-notion.toml"),
    )
    .unwrap();
    // Here: an older commit about #006, and a comment that makes the replay read comments before writing.
    commit_on(&w, &w.repo, "10", "feat: #005 #comment 等待评审");
    let older = commit_on(&w, &w.repo, "10", "feat: #006 from here");
    // The teammate's newer commit about #006, delivered while the replay here sits between its read and
    // its writes.
    let newer = commit_on(&w, &mate, "20", "feat: #006 from the teammate");
    w.sb.clear_log();
    w.sb.inject(Fault::latency_ms(1500).method("GET").path("/v1/comments"));
    let replay = w
        .command(&bin("git-notion-replay"))
        .arg("--apply")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !w
        .sb
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path.starts_with("/v1/comments"))
        && w.sb
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/query"))
            .count()
            == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the replay did not read"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = w.run_in(&mate, "git-notion", &["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(link_of(&w, "#006").ends_with(&newer));
    let out = replay.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        link_of(&w, "#006").ends_with(&newer),
        "the newer link was overwritten by {older}: {}",
        link_of(&w, "#006")
    );
    // Once this clone has the teammate's commit, its replay agrees.
    w.sb.clear_faults();
    w.git(&["pull", "-q", "--rebase"]);
    w.settle();
    w.assert_replay_plans_nothing();
}

#[test]
fn a_yaml_alias_bomb_in_a_hook_managers_file_is_reported_not_expanded() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    // lefthook owns the hooks (its generated hook file), and its committed configuration is a bomb of a
    // few hundred bytes: nine levels of nine aliases.
    let out = w.run(&["hooks", "uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hook = w.repo.join(".git/hooks/post-commit");
    std::fs::write(&hook, "#!/bin/sh\n# lefthook generated\nexit 0\n").unwrap();
    let mut perm = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&hook, perm).unwrap();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        bomb.push_str(&format!(
            "{}: &{} [{}]\n",
            pair[1],
            pair[1],
            vec![format!("*{}", pair[0]); 9].join(",")
        ));
    }
    bomb.push_str(
        "post-commit:\n  commands:\n    notion:\n      run: git-notion hook post-commit\n",
    );
    std::fs::write(w.repo.join("lefthook.yml"), &bomb).unwrap();
    for args in [&["doctor"][..], &["hooks", "install"], &["hooks"]] {
        let (out, rss) = run_measuring_rss({
            let mut c = w.command(&bin("git-notion"));
            c.args(args);
            c
        });
        eprintln!("peak RSS of {args:?}: {rss} KiB");
        assert!(rss < MAX_RSS_KIB, "{args:?} peaked at {rss} KiB");
        if args != ["hooks"] {
            let text = format!("{}{}", stdout(&out), stderr(&out));
            assert!(
                text.contains("lefthook.yml expands to more than 100000 YAML nodes"),
                "{args:?}: {text}"
            );
        }
    }
}
