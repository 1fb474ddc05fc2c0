//! At commit time: a code host's numbers are not tickets (GitHub's squash suffix `(#123)`, merge subjects),
//! chosen by the `origin` host or by `[tickets] ignore`, the same in the hooks and the replay; and
//! `git notion explain` says what a message names and what it skipped, and why. Message shapes are those
//! the hosts write (GitHub's squash merge `Title (#123)` and `Merge pull request #123 from owner/branch`;
//! Bitbucket's `Merged in branch (pull request #12)`), written here as fixtures.

use serde_json::Value;

use crate::util::*;

/// The seed's "Untitled" page, retitled as a ticket whose key is also a pull-request number.
const P123: &str = "742b0e3fa6884f7a866742f75e0be12a";

fn world(extra: &str) -> World {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}{extra}"));
    w.edit_page(
        P123,
        serde_json::json!({"标题": {"title": [{"text": {"content": "#123 - Pull request collision"}}]}}),
    );
    w
}

fn with_stdin(mut c: std::process::Command, text: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn explain(w: &World, args: &[&str]) -> Value {
    let mut a = vec!["explain"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = w.run(&a);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
}

#[test]
fn a_github_squash_suffix_is_not_a_ticket_and_the_replay_agrees() {
    let w = world("");
    // A squash merge of pull request #123 that closes #006, as GitHub writes it.
    let out = w.commit(
        "feat: Secrets management, closes #006 (#123)\n\n* feat: vault client\n* fix: rotate keys",
    );
    assert_eq!(post_hook_stderr(&out), "", "no warning: #123 is not read");
    // GitHub's merge commit of a pull request, named by its number.
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit_without_hook("feat: #007 engine skeleton");
    w.git(&["checkout", "-q", "main"]);
    let out = w.git_output(&[
        "merge",
        "-q",
        "--no-ff",
        "topic",
        "-m",
        "Merge pull request #123 from acme/topic",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.wait_for_flusher();
    let why = || {
        let mut files = String::new();
        for e in std::fs::read_dir(w.outbox_dir()).unwrap().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            files.push_str(&format!(
                "== {}\n{}\n",
                e.path().display(),
                text.chars().take(4000).collect::<String>()
            ));
        }
        format!(
            "{files}\n{}\n{}\n{:?}",
            stdout(&w.run(&["status"])),
            stdout(&w.run(&["log"])),
            w.sb.requests()
                .iter()
                .map(|r| format!("{} {} {}", r.method, r.path, r.status))
                .collect::<Vec<_>>()
        )
    };
    assert_eq!(w.prop_by_title("#006"), "完成", "{}", why());
    assert_eq!(w.prop_by_title("#007"), "进行中");
    assert_eq!(
        w.prop(P123, "状态"),
        "未开始",
        "the pull request's number never wrote a page"
    );
    assert_eq!(w.prop(P123, "Commit"), "");
    // The seed team's own style: a padded key in parentheses is a key.
    w.commit("chore: 工单 #002 完成报告 (#025)");
    w.wait_for_flusher();
    assert!(w.prop_by_title("#025").contains("进行中"));
    w.assert_replay_plans_nothing();
    // explain says what was skipped and why.
    let e = explain(&w, &["HEAD~1"]);
    assert_eq!(e["skipped"][0]["text"], "#123", "{e:#}");
    assert_eq!(e["skipped"][0]["rule"], "github-merge", "{e:#}");
    let e = explain(&w, &["HEAD~2"]);
    assert_eq!(e["skipped"][0]["rule"], "pull-request-suffix", "{e:#}");
    assert_eq!(e["tickets"][0]["key"], "#006", "{e:#}");
    assert_eq!(e["tickets"][0]["action"], "close", "{e:#}");
    assert_eq!(e["ignore_from"], "github", "{e:#}");
}

#[test]
fn ignore_set_to_nothing_reads_every_number() {
    let w = world("[tickets]\nignore = []\n");
    w.commit("feat: Secrets management, closes #006 (#123)");
    w.wait_for_flusher();
    assert_eq!(
        w.prop(P123, "状态"),
        "进行中",
        "with ignore = [] the suffix is a key"
    );
    w.assert_replay_plans_nothing();
    let e = explain(&w, &[]);
    assert_eq!(e["tickets"].as_array().unwrap().len(), 2, "{e:#}");
    assert_eq!(e["ignore_from"], "config", "{e:#}");
}

#[test]
fn a_host_that_writes_no_suffix_reads_it_and_a_pattern_of_ones_own_skips() {
    let w = world("[tickets]\nignore_patterns = ['Backport of #[0-9]+']\n");
    w.git(&[
        "remote",
        "set-url",
        "origin",
        "https://git.acme.dev/acme/mt5.git",
    ]);
    // An unknown host: `(#123)` is read as written; a backport note is not.
    let out = w.commit("feat: vault (#123)\n\nBackport of #006 to 2.x");
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    assert_eq!(w.prop(P123, "状态"), "进行中");
    assert_eq!(w.prop_by_title("#006"), "未开始");
    w.assert_replay_plans_nothing();
    // Bitbucket's merge subject, from stdin (as a commit-msg hook would see it).
    let mut c = w.command(&bin("git-notion"));
    c.args(["explain", "-"]);
    let out = with_stdin(
        c,
        "Merged in feature/vault (pull request #12)\n\nCloses #006\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("#006       closes"), "{text}");
    assert!(
        text.contains("#12        not a ticket: bitbucket-merge"),
        "{text}"
    );
    assert!(text.contains("on a release branch"), "{text}");
}

#[test]
fn a_bad_ignore_entry_is_refused_on_load_with_the_names_to_use() {
    let w = world("[tickets]\nignore = [\"github-squash\"]\n");
    let out = w.run(&["explain"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("github-squash"), "{err}");
    assert!(err.contains("pull-request-suffix"), "{err}");
    // A commit is never failed by it: the hook says it in one line.
    w.write_config(&format!(
        "{ZH_CONFIG}{FAST}[tickets]\nignore_patterns = ['(']\n"
    ));
    let out = w.commit("feat: #006");
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("does not compile"),
        "{}",
        stderr(&out)
    );
}

/// The commit-msg hook, installed with the others: a line per ticket from the local index, a typo's
/// neighbours; `block` refuses only what a fresh index makes certain; never the network.
#[test]
fn the_commit_msg_hook_says_what_a_message_does_and_block_refuses_only_certain_typos() {
    let w = world("");
    assert!(w.repo.join(".git/hooks/commit-msg").exists());
    // No index yet: the lines say what the rules do; nothing is refused.
    let out = w.commit("feat: closes #006 and #0061");
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("git-notion: #006: closes, → 完成 now"),
        "{err}"
    );
    w.wait_for_flusher();
    // The flusher's lookups went into the index: #006's page (and its new status); #0061 has none.
    let index = std::fs::read_to_string(w.outbox_dir().join("index.tsv")).unwrap();
    assert!(
        index.contains("#006\t94d9697d-90f9-4535-8de0-843f5f971d3c\t1\t完成"),
        "{index}"
    );
    assert!(!index.contains("#0061"), "{index}");
    // Read whole: each key's page and status; a typo gets its neighbours.
    let out = w.run(&["index", "--refresh"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("index: 38 keys"), "{}", stdout(&out));
    w.sb.clear_log();
    let head = w.head();
    let out = w.commit("docs: #007 skeleton notes, see #0071");
    let err = stderr(&out);
    assert!(
        err.contains(
            "git-notion: #007 \"#007 - Backtest Engine Skeleton\" (未开始): links, → 进行中 now"
        ),
        "{err}"
    );
    assert!(err.contains("#0071: no page carries it"), "{err}");
    assert!(err.contains("did you mean #007"), "{err}");
    assert_ne!(w.head(), head, "warn never refuses");
    w.wait_for_flusher();
    // Block: a certain typo and a #status that is no option are refused, before any request.
    w.write_config(&format!("{ZH_CONFIG}{FAST}[commit]\ncheck = \"block\"\n"));
    w.sb.clear_log();
    let head = w.head();
    for message in ["feat: closes #0061", "feat: #006 #status 完了"] {
        let out = w.git_output(&["commit", "-q", "--allow-empty", "-m", message]);
        assert!(!out.status.success(), "{message}: refused");
        let err = stderr(&out);
        assert!(
            err.contains("commit refused ([commit] check = \"block\")"),
            "{err}"
        );
        assert_eq!(w.head(), head);
    }
    assert!(w.sb.requests().is_empty(), "commit time never asks Notion");
    assert!(w
        .git_output(&[
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            "feat: #0061"
        ])
        .status
        .success());
    // A stale index never refuses: only says.
    let ix = w.outbox_dir().join("index.tsv");
    let text = std::fs::read_to_string(&ix).unwrap();
    let start = text.find("refreshed=").unwrap() + "refreshed=".len();
    let end = start + text[start..].find(' ').unwrap();
    let old = format!("{}1000{}", &text[..start], &text[end..]);
    std::fs::write(&ix, old).unwrap();
    let out = w.commit("feat: #0099 typo while the index is old");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("#0099: not in the local index"),
        "{}",
        stderr(&out)
    );
    // Merges and fixups are left alone; [commit] check = "off" says nothing.
    let said = |out: &std::process::Output| stderr(out).contains("git-notion: #0061");
    let out = w.commit("fixup! feat: #0061");
    assert!(out.status.success());
    assert!(!said(&out), "{}", stderr(&out));
    w.write_config(&format!("{ZH_CONFIG}{FAST}[commit]\ncheck = \"off\"\n"));
    let out = w.commit("feat: #0061 again");
    assert!(out.status.success());
    assert!(!said(&out), "{}", stderr(&out));
}

/// The ticket from the branch name: the commit-msg hook adds `Refs: TASK-17` once (not again on amend,
/// not when the message names it), the replay reads the same from history, and with
/// `[branches] close_on_merge` the merge of the branch into main closes it.
#[test]
fn the_ticket_from_the_branch_is_added_once_and_its_merge_closes_it() {
    const TASK6: &str = "d509529443234b1782038c14a8b4f735";
    let w = World::new(
        "en",
        &format!("{EN_CONFIG}{FAST}[branches]\nclose_on_merge = true\n"),
    );
    w.commit("chore: start");
    w.wait_for_flusher();
    w.git(&["checkout", "-q", "-b", "feature/TASK-6-login"]);
    let out = w.commit("feat: the login form");
    assert!(
        stderr(&out).contains("TASK-6: added as `Refs: TASK-6`"),
        "{}",
        stderr(&out)
    );
    let message = w.git(&["log", "-1", "--format=%B"]);
    assert_eq!(message.trim_end(), "feat: the login form\n\nRefs: TASK-6");
    // Amended: not twice. A message naming it: not added.
    w.git_output(&["commit", "-q", "--amend", "-m", &message]);
    assert_eq!(
        w.git(&["log", "-1", "--format=%B"])
            .matches("TASK-6")
            .count(),
        1
    );
    w.commit("feat: TASK-6 remember me");
    assert_eq!(
        w.git(&["log", "-1", "--format=%B"])
            .matches("TASK-6")
            .count(),
        1
    );
    w.wait_for_flusher();
    assert_eq!(w.prop(TASK6, "Status"), "In Progress");
    // The merge into main closes the branch's ticket; the replay agrees.
    w.git(&["checkout", "-q", "main"]);
    let out = w.git_output(&[
        "merge",
        "-q",
        "--no-ff",
        "feature/TASK-6-login",
        "-m",
        "Merge branch 'feature/TASK-6-login'",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.wait_for_flusher();
    assert_eq!(w.prop(TASK6, "Status"), "Done");
    w.assert_replay_plans_nothing();
    // On main (no ticket in its name) nothing is added.
    let out = w.commit("chore: tidy");
    assert!(!stderr(&out).contains("added as"), "{}", stderr(&out));
}
