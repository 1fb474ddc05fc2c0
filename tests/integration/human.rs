//! What people read: the human output of the commands of a typical day, as snapshots (hashes, times,
//! paths and ports redacted), so that a change of wording is a reviewed diff, not a surprise. The JSON
//! shapes are in `json.rs`; `sync`'s plan in `sync.rs`.

use crate::util::*;

/// Commit ids, temporary paths, ports and ages vary from run to run.
fn redacted(text: &str) -> String {
    let bin_dir = bin("git-notion").parent().unwrap().display().to_string();
    let text = text.replace(&bin_dir, "[BIN]");
    let rules = [
        (r"[0-9a-f]{40}", "[SHA]"),
        (r"\b[0-9a-f]{12}\b", "[SHORT]"),
        (r"/tmp/[^\s)]+", "[PATH]"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[PORT]"),
        (r"[0-9]+ (s|min|h|days) ago", "[AGE]"),
        (
            r"20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?",
            "[TIME]",
        ),
    ];
    let mut out = text;
    for (re, with) in rules {
        out = regex::Regex::new(re)
            .unwrap()
            .replace_all(&out, with)
            .into_owned();
    }
    out
}

#[test]
fn a_day_in_human_output() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit("chore: start");
    w.wait_for_flusher();
    // What `hooks` says of this repository.
    insta::assert_snapshot!("hooks", redacted(&stdout(&w.run(&["hooks"]))));
    // The index read whole.
    insta::assert_snapshot!(
        "index_refresh",
        redacted(&stdout(&w.run(&["index", "--refresh"])))
    );
    // A commit: what the commit-msg hook says.
    let out = w.commit("feat: closes #006 and #0061, see #007 #comment started (#123)");
    insta::assert_snapshot!("commit_msg", redacted(&stderr(&out)));
    // What the message names, and why.
    insta::assert_snapshot!("explain", redacted(&stdout(&w.run(&["explain"]))));
    w.wait_for_flusher();
    // The flush that looks the ticket without a page up again, and the queue's state.
    insta::assert_snapshot!("flush", redacted(&stdout(&w.run(&["flush"]))));
    insta::assert_snapshot!("status", redacted(&stdout(&w.run(&["status"]))));
}

/// A repair: the replay's plan, its apply, what undo would restore and restores, the delivery log.
#[test]
fn a_repair_in_human_output() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: 完成 #006 secrets");
    w.commit_without_hook("fix: #007 start the runbook");
    w.commit_without_hook("docs: #0061 has no page");
    let plan = w.replay(&[]);
    insta::assert_snapshot!("replay_dry_run", redacted(&stdout(&plan)));
    let apply = w.replay(&["--apply"]);
    insta::assert_snapshot!("replay_apply", redacted(&stdout(&apply)));
    insta::assert_snapshot!("replay_again", redacted(&stdout(&w.replay(&[]))));
    insta::assert_snapshot!("undo_dry_run", redacted(&stdout(&w.run(&["undo"]))));
    insta::assert_snapshot!(
        "undo_apply",
        redacted(&stdout(&w.run(&["undo", "--apply"])))
    );
    insta::assert_snapshot!("log", redacted(&stdout(&w.run(&["log"]))));
}

/// A day without a token, then with one: each hook's one warning line (what `hooks::Notes` become), the
/// queue as `status` shows it, and the flush that delivers it.
#[test]
fn a_day_without_a_token_in_human_output() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let no_token = [("NOTION_TOKEN", "")];
    let commit = |message: &str| {
        w.command(std::path::Path::new("git"))
            .envs(no_token)
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .output()
            .unwrap()
    };
    commit("feat: #006 secrets");
    w.wait_for_flusher();
    // No flusher may run meanwhile: what the hook says does not race a flusher it started.
    let held = w.hold_flusher();
    let second = commit("fix: #007 start");
    drop(held);
    insta::assert_snapshot!("hook_pending", redacted(&post_hook_stderr(&second)));
    let status = w
        .command(&bin("git-notion"))
        .envs(no_token)
        .arg("status")
        .output()
        .unwrap();
    insta::assert_snapshot!("status_waiting", redacted(&stdout(&status)));
    let flush = w
        .command(&bin("git-notion"))
        .envs(no_token)
        .arg("flush")
        .output()
        .unwrap();
    assert_eq!(flush.status.code(), Some(2), "{}", stderr(&flush));
    insta::assert_snapshot!("flush_no_token", redacted(&stderr(&flush)));
    insta::assert_snapshot!("flush_delivered", redacted(&stdout(&w.run(&["flush"]))));
}
