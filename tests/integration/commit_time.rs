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
    assert_eq!(stderr(&out), "", "no warning: #123 is not read");
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
    assert_eq!(w.prop_by_title("#006"), "完成");
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
    assert_eq!(stderr(&out), "");
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
