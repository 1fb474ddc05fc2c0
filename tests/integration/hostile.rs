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
