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
