//! Hooks ≡ replay: every way a commit reaches a release branch lands in Notion, nothing is dropped for a
//! reason that can be fixed later, and after the hooks settle `git notion-replay --all` plans nothing.
//! Hooks are installed as users install them (`git notion hooks install`: reference-transaction) and run
//! in the default background mode; nothing sleeps between a commit and the next command.

use std::path::Path;

use notion_sandbox::Fault;
use serde_json::{json, Value};

use crate::util::*;

const P005: &str = "17853bd4e4374814800601e7495de496";
const P006: &str = "94d9697d90f945358de0843f5f971d3c";
const P007: &str = "3c60dbeb1cf14df984dc897a682fb3c5";
const P008: &str = "aeaff51c21874ceb8d1a7471d27d02bf";
const P009: &str = "28a79a61069e46c5895284e1b04a4923";
const P011: &str = "34f1aa2c8f27473082ef3ff2d777f29b";
const P012: &str = "6a07cf55b195491b8778ea3cfe2fcdec";
const P013: &str = "0bde1c2a6ea343c9860e2d04719cbc28";
const P014: &str = "bf5c149d51ea49ca877b1f2e5d81bb78";
const ZH_DS: &str = "2845c4eb-9526-81d7-a1f0-000b2e6a9c10";

fn world() -> World {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}\nmax_retries = 1\n"));
    let repo = w.repo.clone();
    commit_in(&w, &repo, "chore: start");
    w
}

fn pending(w: &World) -> Vec<Value> {
    w.outbox()["pending"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn link(w: &World, page: &str) -> String {
    w.prop(page, "Commit")
}

fn commit_in(w: &World, dir: &Path, message: &str) -> String {
    w.git_timed(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    w.git_in(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

fn comment_posts(w: &World) -> usize {
    w.sb.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/comments")
        .count()
}

#[test]
fn a_close_merged_at_once_by_fast_forward_or_no_ff_lands_even_while_offline() {
    let w = world();
    let repo = w.repo.clone();
    // Fast-forward, right after the commit (the flusher of the branch commit may still run).
    w.git(&["switch", "-q", "-c", "fix"]);
    commit_in(&w, &repo, "fix: crash, closes #006");
    w.git(&["switch", "-q", "main"]);
    w.git(&["merge", "-q", "fix"]);
    // --no-ff.
    w.git(&["switch", "-q", "-c", "fix2"]);
    commit_in(&w, &repo, "fix: leak, closes #007");
    w.git(&["switch", "-q", "main"]);
    w.git_timed(
        &repo,
        &["merge", "-q", "--no-ff", "-m", "merge fix2", "fix2"],
    );
    w.settle();
    assert_eq!(w.prop(P006, "状态"), "完成");
    assert_eq!(w.prop(P007, "状态"), "完成");

    // Offline: the branch commit and the fast-forward both wait; once Notion is back, the close lands.
    w.sb.inject(Fault::drop_connection());
    w.git(&["switch", "-q", "-c", "fix3"]);
    commit_in(&w, &repo, "fix: race, closes #008");
    w.git(&["switch", "-q", "main"]);
    w.git(&["merge", "-q", "fix3"]);
    w.wait_for_flusher();
    assert_ne!(w.prop(P008, "状态"), "完成");
    assert!(!pending(&w).is_empty(), "kept while offline");
    w.sb.clear_faults();
    let out = w.settle();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.prop(P008, "状态"), "完成");
    assert!(pending(&w).is_empty(), "{:#?}", pending(&w));
    w.assert_replay_plans_nothing();
}

#[test]
fn commits_that_reach_main_without_a_merge_close_their_tickets() {
    let w = world();
    let mate = w.origin_and_teammate();
    let repo = w.repo.clone();

    // `pull --rebase` over a local commit brings a teammate's close.
    commit_in(&w, &mate, "feat: closes #009 model registry");
    w.git_in(&mate, &["push", "-q"]);
    commit_in(&w, &repo, "chore: #005 local work");
    w.git(&["pull", "-q", "--rebase"]);
    w.settle();
    assert_eq!(w.prop(P009, "状态"), "完成", "pull --rebase");

    // `pull --rebase` that only fast-forwards (no local commit: git runs no post-* hook).
    w.git(&["push", "-q"]);
    w.git_in(&mate, &["pull", "-q", "--rebase"]);
    commit_in(&w, &mate, "feat: closes #011 ssh setup");
    w.git_in(&mate, &["push", "-q"]);
    w.git(&["pull", "-q", "--rebase"]);
    w.settle();
    assert_eq!(w.prop(P011, "状态"), "完成", "fast-forward pull --rebase");

    // `fetch` then `merge --ff-only origin/main`.
    commit_in(&w, &mate, "feat: closes #012 the twelfth");
    w.git_in(&mate, &["push", "-q"]);
    w.git(&["fetch", "-q"]);
    w.git(&["merge", "-q", "--ff-only", "origin/main"]);
    w.settle();
    assert_eq!(w.prop(P012, "状态"), "完成", "merge --ff-only");

    // `reset --hard origin/main`.
    commit_in(&w, &mate, "feat: closes #013 risk limits");
    w.git_in(&mate, &["push", "-q"]);
    w.git(&["fetch", "-q"]);
    w.git(&["reset", "-q", "--hard", "origin/main"]);
    w.settle();
    assert_eq!(w.prop(P013, "状态"), "完成", "reset --hard");

    // `git am` of a teammate's patch.
    let patch = w.repo.parent().unwrap().join("0001.patch");
    std::fs::write(mate.join("router.txt"), "orders\n").unwrap();
    w.git_in(&mate, &["add", "router.txt"]);
    commit_in(&w, &mate, "feat: closes #014 order router");
    let text = w.git_in(&mate, &["format-patch", "-1", "--stdout"]);
    std::fs::write(&patch, text).unwrap();
    w.git_timed(&repo, &["am", "-q", patch.to_str().unwrap()]);
    w.settle();
    assert_eq!(w.prop(P014, "状态"), "完成", "git am");

    // `rebase` of a topic branch's close onto main, then main fast-forwarded to it.
    w.git(&["switch", "-q", "-c", "topic"]);
    commit_in(&w, &repo, "feat: closes #007 backtest");
    w.git(&["switch", "-q", "main"]);
    commit_in(&w, &repo, "chore: #005 more");
    w.git(&["switch", "-q", "topic"]);
    w.git_timed(&repo, &["rebase", "-q", "main"]);
    w.settle();
    assert_eq!(w.prop(P007, "状态"), "进行中", "not on main yet");
    w.git(&["switch", "-q", "main"]);
    w.git(&["update-ref", "refs/heads/main", "topic"]);
    w.settle();
    assert_eq!(w.prop(P007, "状态"), "完成", "update-ref");
    w.assert_replay_plans_nothing();
}

#[test]
fn updates_without_a_token_or_with_a_broken_configuration_wait_and_are_delivered_once_fixed() {
    let w = world();
    let good = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    // No token (an IDE's git): queued with the reason, said by the next commit.
    let out = w
        .command(Path::new("git"))
        .env_remove("NOTION_TOKEN")
        .args([
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: 完成 #005 monitoring",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    w.wait_for_flusher();
    let p = pending(&w);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(
        p[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("NOTION_TOKEN"),
        "{p:#?}"
    );
    assert!(w.outbox()["failed"].as_array().unwrap().is_empty());

    // A broken configuration: the commit is queued without its tickets, and the hook says why.
    std::fs::write(w.repo.join(".git-notion.toml"), "database = [[[\n").unwrap();
    let out = w.commit("feat: 完成 #006 secrets");
    let err = stderr(&out);
    assert!(err.starts_with("git-notion: warning: "), "{err}");
    assert!(err.contains("wait in the queue until it is fixed"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    w.wait_for_flusher();
    assert_eq!(pending(&w).len(), 2);

    // A property that does not exist (yet).
    std::fs::write(
        w.repo.join(".git-notion.toml"),
        good.replace("status = \"状态\"", "status = \"Stage\""),
    )
    .unwrap();
    let out = w.commit("feat: 完成 #007 backtest");
    w.wait_for_flusher();
    let p = pending(&w);
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(
        p.iter().any(|e| e["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("Stage")),
        "{p:#?}"
    );
    assert!(
        stderr(&out).contains("pending") || post_hook_stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
    let out = w.commit("chore: nothing");
    assert!(
        stderr(&out).contains("Notion update(s) pending"),
        "the next commit says so: {}",
        stderr(&out)
    );
    assert_ne!(w.prop(P005, "状态"), "完成");

    // Fixed: one flush with the token delivers all three; nothing was dropped.
    std::fs::write(w.repo.join(".git-notion.toml"), &good).unwrap();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    for page in [P005, P006, P007] {
        assert_eq!(w.prop(page, "状态"), "完成");
    }
    assert!(pending(&w).is_empty());
    w.assert_replay_plans_nothing();
}

#[test]
fn a_ticket_without_a_page_is_named_warned_once_and_picked_up_when_its_page_appears() {
    let w = world();
    w.commit("feat: #011.3 sub-ticket work");
    w.wait_for_flusher();
    let out = w.commit("chore: nothing");
    let err = stderr(&out);
    assert!(err.contains("#011.3 (no page)"), "{err}");
    let out = w.commit("chore: nothing again");
    assert_eq!(post_hook_stderr(&out), "", "said once, not on every commit");
    // A flush looks it up again (still no page): said once still, not again at the next commit.
    let out = w.run(&["flush"]);
    assert!(
        stdout(&out).contains("#011.3"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = w.commit("chore: after the flush");
    assert_eq!(
        post_hook_stderr(&out),
        "",
        "a flush looking it up again does not make it new"
    );
    let status = stdout(&w.run(&["status"]));
    assert!(status.contains("no page: 1"), "{status}");
    assert!(status.contains("#011.3"), "{status}");

    // Per-key dismissal.
    w.commit("feat: #099 nobody's");
    w.wait_for_flusher();
    let out = w.run(&["clear", "#099"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = stdout(&w.run(&["status"]));
    assert!(!status.contains("#099"), "{status}");
    assert!(status.contains("#011.3"), "{status}");

    // The page is created later: the next flush finds it.
    let (code, body) = w.api(
        "POST",
        "/v1/pages",
        json!({"parent": {"data_source_id": ZH_DS},
               "properties": {"标题": {"title": [{"text": {"content": "#011.3 - Sub"}}]}}}),
    );
    assert_eq!(code, 200, "{body}");
    let page = body["id"].as_str().unwrap().to_string();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.prop(&page, "状态"), "进行中");
    assert!(w.outbox()["failed"].as_array().unwrap().is_empty());
}

#[test]
fn a_retried_older_update_never_moves_a_page_back() {
    let w = world();
    let repo = w.repo.clone();
    // A's write fails while B is committed; A is retried after B was delivered.
    w.sb.inject(Fault::latency_ms(150));
    w.sb.inject(Fault::status(503).method("PATCH").times(2));
    let a = commit_in(&w, &repo, "feat: #005 first step");
    let b = commit_in(&w, &repo, "feat: #005 second step");
    w.wait_for_flusher();
    w.sb.clear_faults();
    w.settle();
    w.run(&["flush"]);
    assert!(
        link(&w, P005).ends_with(&b),
        "{} (A was {a})",
        link(&w, P005)
    );
    w.assert_replay_plans_nothing();

    // Two clones naming the same ticket on different days: whichever delivers last, the newer stays.
    let mate = w.origin_and_teammate();
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&mate)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::copy(repo.join(".git-notion.toml"), mate.join(".git-notion.toml")).unwrap();
    let at = |dir: &Path, day: &str, message: &str| {
        let date = format!("2025-10-{day}T09:00:00+08:00");
        let out = w
            .command(Path::new("git"))
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(["commit", "-q", "--allow-empty", "-m", message])
            .output()
            .unwrap();
        assert!(out.status.success());
        w.git_in(dir, &["rev-parse", "HEAD"]).trim().to_string()
    };
    // The newer commit is delivered first, then the older one from the other clone.
    let newer = at(&mate, "20", "feat: #006 from the teammate");
    settle_in(&w, &mate);
    let _older = at(&repo, "10", "feat: #006 from here");
    w.settle();
    assert!(link(&w, P006).ends_with(&newer), "{}", link(&w, P006));
    assert_eq!(w.prop(P006, "日期"), "2025-10-20");
    // And the other way round.
    let older = at(&mate, "11", "feat: #007 from the teammate");
    settle_in(&w, &mate);
    let newer = at(&repo, "21", "feat: #007 from here");
    w.settle();
    assert!(
        link(&w, P007).ends_with(&newer),
        "{} (older {older})",
        link(&w, P007)
    );
}

fn settle_in(w: &World, dir: &Path) {
    let out = w
        .command(&bin("git-notion"))
        .current_dir(dir)
        .args(["flush"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_placeholder_title_is_filled_after_an_outage_when_a_later_commit_also_names_the_ticket() {
    let w = world();
    let repo = w.repo.clone();
    w.sb.inject(Fault::drop_connection());
    commit_in(&w, &repo, "#012 行情数据清洗");
    commit_in(&w, &repo, "#013 risk limits, refs #012");
    w.wait_for_flusher();
    assert_eq!(w.prop(P012, "标题"), "#012");
    w.sb.clear_faults();
    w.settle();
    assert_eq!(w.prop(P012, "标题"), "#012 行情数据清洗");
    w.assert_replay_plans_nothing();
}

#[test]
fn comments_are_posted_once_when_sync_or_replay_overlaps_the_flusher() {
    let w = world();
    w.sb.inject(Fault::latency_ms(100));
    w.commit("feat: #005 #comment 部署完成");
    // While the flusher works: a sync and a replay --apply of the same commit.
    let sync = w
        .command(&bin("git-notion"))
        .arg("sync")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let replay = w
        .command(&bin("git-notion-replay"))
        .args(["--apply"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for mut child in [sync, replay] {
        child.wait().unwrap();
    }
    w.settle();
    assert_eq!(comment_posts(&w), 1, "{:#?}", w.sb.requests());

    // A comment POST whose answer is lost (slower than the client's timeout) is checked before it is
    // sent again.
    std::fs::write(
        w.repo.join(".git-notion.toml"),
        format!("{ZH_CONFIG}{FAST}\nmax_retries = 1\ntimeout_secs = 1\n"),
    )
    .unwrap();
    w.sb.clear_faults();
    w.sb.clear_log();
    w.sb.inject(
        Fault::latency_ms(1500)
            .method("POST")
            .path("/v1/comments")
            .times(1),
    );
    w.commit("feat: #006 #comment 上线");
    w.wait_for_flusher();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    w.settle();
    w.run(&["flush"]);
    let st = w.sb.state();
    let page = st.page(&dashed(P006)).unwrap().id.clone();
    let on_page = st.comments.iter().filter(|c| c.page_id == page).count();
    drop(st);
    assert_eq!(on_page, 1, "{:#?}", w.sb.requests());
    w.assert_replay_plans_nothing();
}

#[test]
fn an_outbox_that_cannot_be_written_is_said_on_every_commit_and_fails_doctor() {
    let w = world();
    // The set-up's own flusher is done before the outbox goes (else it makes the directory again).
    w.wait_for_flusher();
    // A file where the outbox directory should be: nothing can be queued (as a read-only or full disk).
    let _ = std::fs::remove_dir_all(w.outbox_dir());
    std::fs::write(w.outbox_dir(), b"in the way").unwrap();
    for message in ["feat: 完成 #005", "chore: anything"] {
        let out = w.commit(message);
        let err = post_hook_stderr(&out);
        assert!(err.contains("NOT QUEUED"), "{err}");
        assert!(err.contains("git notion-replay --apply"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let out = w.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("the hooks cannot queue updates"),
        "{}",
        stdout(&out)
    );
    // The replay is the repair.
    std::fs::remove_file(w.outbox_dir()).unwrap();
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop(P005, "状态"), "完成");
}

#[test]
fn a_replay_stopped_by_an_outage_resumes_its_journal_and_undo_restores_every_page() {
    let w = world();
    // History that never passed through the hooks: 30 tickets to close.
    let keys: Vec<String> = (1..=37)
        .map(|n| format!("#{n:03}"))
        .filter(|k| w.sb.state().find_page_by_title(k).is_some())
        .collect();
    let messages: Vec<String> = keys
        .iter()
        .map(|k| format!("feat: 完成 {k} work"))
        .collect();
    w.import_history(&messages);
    let before = w.sb.dump()["pages"].clone();
    // Notion goes down after a few writes.
    w.sb.inject(Fault::latency_ms(30));
    let mut child = w.apply_until(5);
    w.sb.inject(Fault::status(503));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "stopped by the outage");
    w.sb.clear_faults();
    let out = w.replay(&["--apply"]);
    assert!(
        stdout(&out).contains("resumed from an interrupted apply"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let journals = std::fs::read_dir(w.outbox_dir().join("journal"))
        .unwrap()
        .count();
    assert_eq!(journals, 1, "one journal for the whole apply");
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let strip = |pages: &Value| -> Value {
        json!(pages
            .as_array()
            .unwrap()
            .iter()
            .map(|p| json!({"id": p["id"], "properties": p["properties"]}))
            .collect::<Vec<_>>())
    };
    assert_eq!(
        strip(&w.sb.dump()["pages"]),
        strip(&before),
        "every page restored"
    );
}
