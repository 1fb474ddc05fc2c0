//! Hooks that never block: the outbox, the detached flusher, post-merge and post-rewrite.

use std::time::{Duration, Instant};

use notion_sandbox::Fault;
use serde_json::Value;

use crate::util::*;

const P005: &str = "17853bd4e4374814800601e7495de496";
const P006: &str = "94d9697d90f945358de0843f5f971d3c";
const P007: &str = "2f2bd5bf1b7a4d53b1e4fa7c1b7d8c5e";

/// The zh config with few retries, so that a "down" sandbox is given up on quickly.
fn config() -> String {
    format!("{ZH_CONFIG}\n[api]\nmax_retries = 1\n")
}

fn page_of(w: &World, key: &str) -> String {
    let st = w.sb.state();
    st.find_page_by_title(key).expect("page").id.clone()
}

fn pending(w: &World) -> Vec<Value> {
    w.outbox()["pending"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn failed(w: &World) -> Vec<Value> {
    w.outbox()["failed"].as_array().cloned().unwrap_or_default()
}

/// Exactly one failed update, whose reason contains `needle`.
fn assert_one_failure(w: &World, needle: &str) {
    let f = failed(w);
    assert_eq!(f.len(), 1, "{f:#?}");
    let reason = f[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(needle), "{reason}");
}

#[test]
fn a_commit_does_not_wait_for_a_slow_notion() {
    let w = World::new("zh", &config());
    w.sb.inject(Fault::latency_ms(500));
    let started = Instant::now();
    let out = w.commit("feat: 完成 #005 monitoring");
    let took = started.elapsed();
    assert_eq!(post_hook_stderr(&out), "");
    // Four requests at 500 ms each happen after the commit returned.
    assert!(
        took < Duration::from_millis(500),
        "git commit took {took:?}"
    );
    assert_ne!(
        w.prop(P005, "状态"),
        "完成",
        "not yet delivered when the commit returned"
    );
    w.wait_for_flusher();
    assert_eq!(w.prop(P005, "状态"), "完成");
    assert!(pending(&w).is_empty());
}

#[test]
fn with_notion_down_commits_succeed_and_the_next_commit_delivers_everything() {
    let w = World::new("zh", &config());
    w.sb.inject(Fault::drop_connection());
    let out = w.commit("feat: 完成 #005 monitoring");
    assert!(out.status.success());
    w.wait_for_flusher();
    let out = w.commit("feat: 完成 #006 secrets");
    assert!(out.status.success());
    w.wait_for_flusher();
    let p = pending(&w);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p.iter().all(|e| e["attempts"].as_u64() >= Some(1)));
    assert!(p[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot reach Notion"));
    let status = w.run(&["status"]);
    assert!(
        stdout(&status).contains("pending: 2"),
        "{}",
        stdout(&status)
    );
    assert_eq!(w.prop(P005, "状态"), "进行中", "unchanged while down");

    // Notion is back: the next commit's flusher delivers all three.
    w.sb.clear_faults();
    w.commit("feat: 完成 #007 and done");
    w.wait_for_flusher();
    assert!(pending(&w).is_empty(), "{:#?}", pending(&w));
    for page in [P005, P006, &page_of(&w, "#007")] {
        assert_eq!(w.prop(page, "状态"), "完成");
    }
    let _ = P007;
}

#[test]
fn flush_delivers_the_queue_in_the_foreground() {
    let w = World::new("zh", &config());
    w.sb.inject(Fault::status(503));
    w.commit("feat: 完成 #005");
    w.wait_for_flusher();
    assert_eq!(pending(&w).len(), 1);
    w.sb.clear_faults();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("flush: 1 delivered, 0 still queued, 0 not delivered"),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.prop(P005, "状态"), "完成");
}

#[test]
fn a_400_lands_in_failed_with_its_reason_and_retry_requeues_it() {
    let w = World::new("zh", &config());
    w.sb.inject(Fault::status(400).method("PATCH"));
    w.commit("feat: 完成 #005");
    w.wait_for_flusher();
    assert!(pending(&w).is_empty());
    assert_one_failure(&w, "400 validation_error");
    // The next commit says, in one line, that something needs attention.
    let out = w.commit("chore: unrelated");
    assert_eq!(
        post_hook_stderr(&out).trim(),
        "git-notion: warning: not delivered: #005 (rejected); `git notion status` shows why, \
         `git notion clear KEY` dismisses, `git notion retry` tries again"
    );
    // Said once per key, not on every later commit.
    let out = w.commit("chore: another");
    assert_eq!(post_hook_stderr(&out), "");
    w.sb.clear_faults();
    let out = w.run(&["retry"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("re-queued 1 failed update(s)"));
    assert!(failed(&w).is_empty());
    assert_eq!(w.prop(P005, "状态"), "完成");
}

#[test]
fn a_ticket_without_a_page_is_a_permanent_failure() {
    let w = World::new("zh", &config());
    w.commit("fix: 完成 #011.3 sub-ticket");
    w.wait_for_flusher();
    assert_one_failure(&w, "#011.3 not found");
    let out = w.run(&["clear"]);
    assert_eq!(out.status.code(), Some(2), "no terminal, no --yes: refused");
    let out = w.run(&["clear", "--yes"]);
    assert!(out.status.success());
    assert!(failed(&w).is_empty());
}

#[test]
fn two_worktrees_committing_at_once_lose_and_duplicate_nothing() {
    let w = World::new("zh", &config());
    w.git(&["add", ".git-notion.toml"]);
    w.commit_without_hook("chore: config");
    let wt = w.repo.parent().unwrap().join("wt");
    w.git(&["worktree", "add", "-q", "-b", "other", wt.to_str().unwrap()]);
    w.sb.inject(Fault::latency_ms(50));
    let mut a = w.command(std::path::Path::new("git"));
    a.args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feat: 完成 #005 and #006",
    ]);
    let mut b = w.command(std::path::Path::new("git"));
    b.current_dir(&wt).args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feat: 完成 #007 and #008",
    ]);
    let (ha, hb) = (a.spawn().unwrap(), b.spawn().unwrap());
    assert!(ha.wait_with_output().unwrap().status.success());
    assert!(hb.wait_with_output().unwrap().status.success());
    w.wait_for_flusher();
    // A flusher that found another running left the work to it; make sure nothing is left.
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(pending(&w).is_empty());
    assert!(failed(&w).is_empty());
    assert_eq!(w.prop(P005, "状态"), "完成");
    assert_eq!(w.prop(P006, "状态"), "完成");
    assert_eq!(w.prop(&page_of(&w, "#007"), "状态"), "进行中");
    assert_eq!(w.prop(&page_of(&w, "#008"), "状态"), "进行中");
    let writes = w.sb.writes();
    let mut paths: Vec<&str> = writes.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(writes.len(), 4, "one write per ticket: {paths:?}");
    assert_eq!(paths.len(), 4);
}

#[test]
fn killing_the_flusher_midway_loses_nothing() {
    let w = World::new("zh", &config());
    w.sb.inject(Fault::latency_ms(1500).method("PATCH"));
    w.commit("feat: 完成 #005, #006 and #007");
    // Wait until the flusher is inside its first PATCH, then kill it.
    let started = Instant::now();
    while !w.sb.requests().iter().any(|r| r.method == "PATCH") {
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = std::fs::read_to_string(w.outbox_dir().join("flush.lock")).unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .unwrap();
    assert!(killed.success());
    // Let the sandbox finish the PATCH it was holding.
    std::thread::sleep(Duration::from_millis(1600));
    w.sb.clear_faults();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(pending(&w).is_empty());
    for page in [P005, P006, &page_of(&w, "#007")] {
        assert_eq!(w.prop(page, "状态"), "完成");
    }
    // Every page written once: the killed PATCH landed (the sandbox finished it), so the resumed flush
    // found that page up to date and did not send it again.
    let mut paths: Vec<String> = w.sb.writes().iter().map(|r| r.path.clone()).collect();
    let n = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(n, paths.len(), "no page written twice");
    assert_eq!(n, 3);
}

/// After a rewrite, the page links the new HEAD, not `old`.
fn assert_link_moved(w: &World, page: &str, old: &str) {
    w.wait_for_flusher();
    let new = w.head();
    assert_ne!(old, new);
    let link = w.prop(page, "Commit");
    assert!(link.ends_with(&new), "{link}");
}

/// Amends HEAD (post-rewrite) and checks that #005's link left `first` for the new commit.
fn amend_and_check_the_link_moved(w: &World, first: &str) {
    w.amend("feat: 完成 #005 monitoring, amended");
    assert_link_moved(w, P005, first);
}

#[test]
fn amend_moves_the_link_to_the_new_commit() {
    let w = World::new("zh", &config());
    w.commit("feat: 完成 #005 monitoring");
    w.wait_for_flusher();
    let first = w.head();
    assert!(w.prop(P005, "Commit").ends_with(&first));
    amend_and_check_the_link_moved(&w, &first);
}

#[test]
fn pull_rebase_leaves_the_link_on_the_rebased_commit_only() {
    let w = World::new("zh", &config());
    // An upstream with one more commit.
    let up = w.repo.parent().unwrap().join("up.git");
    w.git(&["init", "-q", "--bare", "-b", "main", up.to_str().unwrap()]);
    w.commit_without_hook("chore: base");
    w.git(&["push", "-q", up.to_str().unwrap(), "main"]);
    let other = w.repo.parent().unwrap().join("other");
    w.git(&["clone", "-q", up.to_str().unwrap(), other.to_str().unwrap()]);
    w.commit_without_hook_in(&other, "chore: upstream work");
    w.git_in(&other, &["push", "-q", "origin", "main"]);
    // Our commit, delivered, then rebased onto upstream.
    w.commit("feat: 完成 #006 secrets");
    w.wait_for_flusher();
    let before = w.head();
    assert!(w.prop(P006, "Commit").ends_with(&before));
    w.git(&["pull", "-q", "--rebase", up.to_str().unwrap(), "main"]);
    assert_link_moved(&w, P006, &before);
}

#[test]
fn post_merge_syncs_the_merged_commits_and_a_squash_records_nothing() {
    let w = World::new("zh", &config());
    w.commit_without_hook("chore: base");
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit_without_hook("feat: 完成 #005 on topic");
    w.git(&["checkout", "-q", "main"]);
    w.git(&["merge", "-q", "--no-ff", "--no-edit", "topic"]);
    w.wait_for_flusher();
    // Merged into main: on_merge.
    assert_eq!(w.prop(P005, "状态"), "完成");
    w.git(&["checkout", "-q", "-b", "topic2"]);
    w.commit_without_hook("feat: 完成 #006 on topic2");
    // Made with hooks off, the topic2 commit is queued by the next hook (this checkout): in progress.
    w.git(&["checkout", "-q", "main"]);
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "进行中");
    w.sb.clear_log();
    w.git(&["merge", "-q", "--squash", "topic2"]);
    w.wait_for_flusher();
    assert!(w.sb.requests().is_empty(), "a squash merge records nothing");
    // Its own commit does, on main: it closes what the squashed commits close.
    w.git(&["commit", "-q", "--allow-empty", "--no-edit"]);
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
}

#[test]
fn detached_head_bare_repos_and_a_damaged_outbox_never_crash() {
    let w = World::new("zh", &config());
    w.commit_without_hook("chore: base");
    w.git(&["checkout", "-q", "--detach"]);
    let out = w.commit("feat: 完成 #006 detached");
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    assert_eq!(
        w.prop(P006, "状态"),
        "进行中",
        "no branch: not a release branch"
    );

    // A damaged outbox file is kept aside by the flusher, which goes on with a fresh one: the commit's update
    // (queued beside it) is still delivered, and from the next commit on the hooks point at the kept file.
    std::fs::write(w.outbox_dir().join("outbox.json"), "{not json").unwrap();
    let out = w.commit("feat: 完成 #005 after damage");
    assert!(out.status.success());
    w.wait_for_flusher();
    assert!(
        w.prop(P005, "Commit").ends_with(&w.head()),
        "the commit's update was still queued and delivered"
    );
    let kept: Vec<String> = std::fs::read_dir(w.outbox_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("outbox.json.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept");
    let out = w.commit("feat: 完成 #006 next");
    let err = post_hook_stderr(&out);
    assert!(out.status.success());
    assert!(
        err.contains("is damaged") && err.contains(&kept[0]) && err.lines().count() == 1,
        "{err}"
    );
    let status = w.run(&["status"]);
    assert!(stdout(&status).contains(&kept[0]), "{}", stdout(&status));
    assert_eq!(w.outbox()["damaged"].as_array().unwrap().len(), 1);
    w.wait_for_flusher();

    // A hook killed in mid-append leaves half a line: the other lines are delivered, the half is kept.
    w.commit_without_hook("feat: 完成 #006 half");
    let queue = w.outbox_dir().join("queue.jsonl");
    std::fs::write(&queue, "{\"id\":\"x\",\"hook\":\"post-comm").unwrap();
    let out = w.run(&["hook", "post-commit"]);
    assert!(out.status.success());
    w.wait_for_flusher();
    assert!(w.prop(P006, "Commit").ends_with(&w.head()));
    assert!(!queue.exists(), "the queue was folded in");
    let half = std::fs::read_dir(w.outbox_dir())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("queue.jsonl.damaged-")
        });
    assert!(half, "the torn line is kept aside");

    // A bare repository: nothing to do, nothing printed.
    let bare = w.repo.parent().unwrap().join("bare.git");
    w.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&bare)
        .args(["hook", "post-commit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(post_hook_stderr(&out), "");
}

#[test]
fn the_binary_linked_as_the_hooks_works_like_the_shims() {
    let w = World::new("zh", &config());
    w.use_post_hooks();
    for hook in ["post-commit", "post-merge", "post-rewrite"] {
        let dst = w.repo.join(".git/hooks").join(hook);
        std::fs::remove_file(&dst).unwrap();
        std::os::unix::fs::symlink(bin("git-notion"), &dst).unwrap();
    }
    let out = w.commit("feat: 完成 #005 monitoring");
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    let first = w.head();
    assert!(w.prop(P005, "Commit").ends_with(&first));
    // post-rewrite gets its argument and the old→new pairs on stdin through the link too.
    amend_and_check_the_link_moved(&w, &first);
    // post-merge: a branch merged into main (a release branch) closes its ticket.
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit_without_hook("feat: 完成 #006 on topic");
    w.git(&["checkout", "-q", "main"]);
    w.git(&["merge", "-q", "--no-ff", "-m", "merge topic", "topic"]);
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
}

#[test]
fn every_file_under_the_outbox_and_journal_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new("zh", &config());
    w.commit("feat: 完成 #005");
    w.wait_for_flusher();
    // A torn line, set aside when read.
    std::fs::write(w.outbox_dir().join("queue.jsonl"), b"{\"torn").unwrap();
    std::fs::set_permissions(
        w.outbox_dir().join("queue.jsonl"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    w.commit("feat: 完成 #006");
    w.wait_for_flusher();
    w.commit_without_hook("feat: 完成 #007");
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut seen = (0, 0);
    let mut stack = vec![w.outbox_dir()];
    while let Some(dir) = stack.pop() {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", dir.display());
        seen.0 += 1;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let mode = e.metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", p.display());
                seen.1 += 1;
            }
        }
    }
    assert!(w
        .outbox_dir()
        .join("journal")
        .read_dir()
        .unwrap()
        .next()
        .is_some());
    assert!(
        std::fs::read_dir(w.outbox_dir())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".damaged-")),
        "the torn line was set aside"
    );
    assert!(seen.0 >= 2 && seen.1 >= 5, "{seen:?}");
}

#[test]
fn a_commit_on_a_branch_writes_down_what_moved_and_the_flusher_reads_it() {
    // The reference-transaction hook's fast path: on an existing branch it records the update (a
    // sighting) without reading the commit; the flusher reads the commit and its tickets. A commit naming
    // no ticket still never reaches Notion; `status` shows the tickets before the flusher ran; a changed
    // configuration is read at once, on the full path, so a broken one is said by that very commit.
    let w = World::new("zh", &config());
    w.commit("chore: the first commit takes the full path");
    w.wait_for_flusher();
    let flusher = w.hold_flusher();
    w.sb.clear_log();
    let out = w.commit("feat: #005 sighted");
    assert_eq!(post_hook_stderr(&out), "");
    w.commit("chore: no ticket");
    let queue = std::fs::read_to_string(w.outbox_dir().join("queue.jsonl")).unwrap();
    assert_eq!(queue.lines().count(), 2, "{queue}");
    assert!(
        queue.lines().all(|l| l.starts_with("{\"sighting\"")),
        "{queue}"
    );
    let p = pending(&w);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0]["keys"][0]["token"], "#005");
    assert_eq!(p[0]["branch"], "main");
    drop(flusher);
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop(P005, "状态"), "进行中");
    assert_eq!(w.write_count(), 1);
    assert!(!w.outbox_dir().join("queue.jsonl").exists());
    // No ticket: not a single request.
    w.sb.clear_log();
    w.commit("chore: nothing to say");
    w.wait_for_flusher();
    assert!(w.sb.requests().is_empty(), "{:?}", w.sb.requests());
    // A broken configuration is said by the commit that meets it.
    w.write_config("database = 42\n");
    let out = w.commit("feat: #006 with a broken config");
    assert!(
        stderr(&out).contains("wait in the queue until it is fixed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_delivery_log_says_what_the_background_flusher_delivered() {
    // `flush` after the background flusher did the work used to say only "0 delivered": the log says
    // what reached Notion, when, by whom and on which page.
    let w = World::new("zh", &config());
    let out = w.run(&["log"]);
    assert!(
        stdout(&out).contains("no delivery recorded yet"),
        "{}",
        stdout(&out)
    );
    w.commit("feat: #005 delivered in the background");
    w.wait_for_flusher();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("flush: 0 delivered"), "{text}");
    assert!(
        text.contains("last delivery: ") && text.contains("flusher  #005  page 17853bd4"),
        "{text}"
    );
    w.commit_without_hook("feat: #006 by hand");
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = w.run(&["log", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = v["deliveries"].as_array().unwrap();
    assert_eq!(d.len(), 2, "{v:#}");
    assert_eq!(
        (d[0]["by"].as_str(), d[0]["key"].as_str()),
        (Some("sync"), Some("#006"))
    );
    assert_eq!(
        (d[1]["by"].as_str(), d[1]["key"].as_str()),
        (Some("flusher"), Some("#005"))
    );
    assert!(d[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["property"] == "Commit"
            && c["to"].as_str().is_some_and(|u| u.contains("/commit/"))));
    let out = w.run(&["log", "-n", "1"]);
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("sync  #006"), "{}", stdout(&out));
    let status = w.outbox();
    assert_eq!(status["last_delivery"]["key"], "#006");
}

#[test]
fn post_commit_writes_down_what_moved_and_the_flusher_reads_it() {
    // The post-* hooks (the sh shims, as the pre-commit framework runs them too) take the fast path:
    // the branch's move written down (`<old> <new> <ref>`), read by the flusher.
    let w = World::new("zh", &config());
    w.use_post_hooks();
    w.commit("chore: the first commit takes the full path");
    w.wait_for_flusher();
    let before = w.git(&["rev-parse", "HEAD"]);
    let flusher = w.hold_flusher();
    let out = w.commit("feat: #005 through post-commit");
    assert_eq!(post_hook_stderr(&out), "");
    let head = w.git(&["rev-parse", "HEAD"]);
    let queue = std::fs::read_to_string(w.outbox_dir().join("queue.jsonl")).unwrap();
    assert!(
        queue.contains(&format!(
            "{} {} refs/heads/main",
            before.trim(),
            head.trim()
        )),
        "{queue}"
    );
    drop(flusher);
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(w.prop(P005, "Commit").contains(head.trim()));
    assert_eq!(pending(&w).len(), 0);
}
