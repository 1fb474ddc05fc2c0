//! The post-commit hook, run by `git commit` through the `hooks/post-commit` shim.

use serde_json::json;

use crate::util::*;

const P003: &str = "a1c38de3f02b4bf98449e6f025ba9d81";
const P042: &str = "c3a8dad9d1eb4aa3894f1f4745f78740";
const TASK6: &str = "d509529443234b1782038c14a8b4f735";

#[test]
fn chinese_commit_sets_done_and_fills_the_placeholder_title() {
    let w = World::new("zh", ZH_CONFIG);
    // The seed team's drifted state: a placeholder title and the wrong status.
    w.edit_page(
        P003,
        json!({"标题": {"title": [{"text": {"content": "#003"}}]}, "状态": {"status": {"name": "未开始"}}}),
    );
    let out = w.commit("feat: 完成工单 #003 - 统一 MT5 工作目录");
    assert_eq!(post_hook_stderr(&out), "", "a successful hook is silent");
    w.wait_for_flusher();
    let sha = w.head();
    assert_eq!(w.prop(P003, "状态"), "完成");
    assert_eq!(
        w.prop(P003, "标题"),
        "feat: 完成工单 #003 - 统一 MT5 工作目录"
    );
    assert_eq!(w.prop(P003, "日期"), "2025-10-01");
    assert_eq!(
        w.prop(P003, "Commit"),
        format!("https://github.com/acme/mt5/commit/{sha}")
    );
    // Exactly one write, carrying exactly the four differing properties.
    let writes = w.sb.writes();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].path, format!("/v1/pages/{}", dashed(P003)));
    let body = writes[0].json();
    assert_eq!(
        patched_properties(&body),
        ["Commit", "日期", "标题", "状态"]
    );
    assert_eq!(
        writes[0].header("notion-version"),
        Some(api_version().as_str())
    );
}

#[test]
fn a_real_title_is_kept_under_fill_placeholder_and_an_up_to_date_page_costs_no_write() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit("docs: 完成 #042 收尾");
    w.wait_for_flusher();
    assert_eq!(w.prop(P042, "标题"), "#042 - Exact Matching Guard");
    assert_eq!(w.prop(P042, "状态"), "完成");
    assert_eq!(w.write_count(), 1);
    w.sb.clear_log();
    // Syncing the same commit again finds the page up to date.
    w.run(&["sync"]);
    assert_eq!(w.write_count(), 0, "nothing differs, nothing is sent");
}

#[test]
fn a_commit_without_a_ticket_touches_no_network() {
    let w = World::new("zh", ZH_CONFIG);
    let out = w.commit("chore: tidy up");
    assert_eq!(post_hook_stderr(&out), "");
    assert!(w.sb.requests().is_empty(), "{:#?}", w.sb.requests());
}

#[test]
fn hash_04_never_touches_042() {
    let w = World::new(
        "zh",
        &format!("{ZH_CONFIG}\n[hooks]\nmode = \"foreground\"\n"),
    );
    let out = w.commit("fix: typo in #04");
    assert_eq!(w.write_count(), 0);
    assert_eq!(w.prop(P042, "状态"), "未开始");
    assert_eq!(w.prop(P042, "标题"), "#042 - Exact Matching Guard");
    let err = post_hook_stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("git-notion: warning: #04 not found in 工单"),
        "{err}"
    );
}

#[test]
fn the_english_select_database_works_with_the_same_code() {
    let w = World::new("en", EN_CONFIG);
    assert_eq!(w.prop(TASK6, "Status"), "Backlog");
    let out = w.commit("feat: implements TASK-6 nightly backups");
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    assert_eq!(w.prop(TASK6, "Status"), "Done");
    assert_eq!(
        w.prop(TASK6, "Name"),
        "Nightly backup job",
        "a real title is kept"
    );
    assert_eq!(w.prop(TASK6, "Date"), "2025-10-01");
    let writes = w.sb.writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].json()["properties"]["Status"],
        json!({"select": {"name": "Done"}})
    );
    // It was found through the unique_id property by number.
    let query =
        w.sb.requests()
            .into_iter()
            .find(|r| r.path.ends_with("/query"))
            .unwrap();
    assert_eq!(query.json()["filter"]["unique_id"], json!({"equals": 6}));
}

#[test]
fn a_feature_branch_commit_moves_to_in_progress_and_never_backwards() {
    let w = World::new("zh", ZH_CONFIG);
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit("wip #006 secrets");
    w.wait_for_flusher();
    assert_eq!(w.prop("94d9697d90f945358de0843f5f971d3c", "状态"), "进行中");
    // #002 is 完成: a mention on a feature branch does not move it back.
    w.commit("refactor: touch #002 again");
    w.wait_for_flusher();
    assert_eq!(w.prop("ef8e0776c3ca495f8620a21df3c4b444", "状态"), "完成");
}

#[test]
fn a_notion_page_link_in_the_message_addresses_that_page() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit("docs: closes https://www.notion.so/acme/Exact-Matching-Guard-c3a8dad9d1eb4aa3894f1f4745f78740");
    w.wait_for_flusher();
    assert_eq!(w.prop(P042, "状态"), "完成");
    assert!(w
        .sb
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path == format!("/v1/pages/{}", dashed(P042))));
}

#[test]
fn gbk_encoded_messages_are_decoded() {
    let w = World::new("zh", ZH_CONFIG);
    w.edit_page(
        P003,
        json!({"标题": {"title": [{"text": {"content": "#003 待定"}}]}}),
    );
    // "完成工单 #003" in GBK, committed by a repository configured for GBK.
    let (gbk, _, _) = encoding_rs::GBK.encode("feat: 完成工单 #003");
    let msg = w.repo.join("msg.txt");
    std::fs::write(&msg, &gbk[..]).unwrap();
    w.git(&["config", "i18n.commitEncoding", "GBK"]);
    let out = w.git_output(&["commit", "-q", "--allow-empty", "-F", msg.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    assert_eq!(w.prop(P003, "标题"), "feat: 完成工单 #003");
}

#[test]
fn failures_never_fail_the_commit_and_say_one_line() {
    let w = World::new(
        "zh",
        &format!("{ZH_CONFIG}\n[api]\nmax_retries = 1\n[hooks]\nmode = \"foreground\"\n"),
    );
    w.sb.inject(notion_sandbox::Fault::status(503));
    let out = w.commit("feat: #005 monitoring");
    assert!(out.status.success());
    let err = post_hook_stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("git-notion: warning: "), "{err}");
    assert!(err.contains("Notion is unavailable (503"), "{err}");
    assert_no_token(&out, &w.token);
    assert_eq!(w.head().len(), 40, "the commit exists");
}

#[test]
fn git_notion_skip_skips_the_hook() {
    let w = World::new("zh", ZH_CONFIG);
    let out = w
        .command(std::path::Path::new("git"))
        .env("GIT_NOTION_SKIP", "1")
        .args(["commit", "-q", "--allow-empty", "-m", "feat: #005"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Nothing queued (the hook appends before it returns), so no flusher has anything to send.
    assert!(!w.outbox_dir().join("queue.jsonl").exists());
    assert!(!w.outbox_dir().join("outbox.json").exists());
    w.wait_for_flusher();
    assert!(w.sb.requests().is_empty());
    // Without the variable the same commit is queued and delivered.
    w.commit("feat: #005 again");
    w.wait_for_flusher();
    assert!(!w.sb.requests().is_empty());
}

#[test]
fn an_unconfigured_repository_is_left_alone() {
    let w = World::new("zh", "");
    let out = w.commit("feat: #005");
    assert_eq!(post_hook_stderr(&out), "");
    assert!(!w.outbox_dir().exists(), "nothing queued, no outbox made");
    w.wait_for_flusher();
    assert!(w.sb.requests().is_empty());
    // Configured, the same commit is queued and delivered.
    w.write_config(ZH_CONFIG);
    w.commit("feat: #005 configured");
    w.wait_for_flusher();
    assert!(w.outbox_dir().exists());
    assert!(!w.sb.requests().is_empty());
}

#[test]
fn a_linked_worktree_commit_runs_the_shared_hook() {
    let w = World::new("zh", ZH_CONFIG);
    w.git(&["add", ".git-notion.toml"]);
    w.commit_without_hook("chore: add the git-notion config");
    let wt = w.repo.parent().unwrap().join("wt");
    w.git(&["worktree", "add", "-q", "-b", "topic", wt.to_str().unwrap()]);
    let out = w
        .command(std::path::Path::new("git"))
        .current_dir(&wt)
        .args(["commit", "-q", "--allow-empty", "-m", "feat: #006 secrets"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(post_hook_stderr(&out), "");
    w.wait_for_flusher();
    // On branch `topic` (read from the worktree's own HEAD): on_commit.
    assert_eq!(w.prop("94d9697d90f945358de0843f5f971d3c", "状态"), "进行中");
}

#[test]
fn wide_white_space_before_a_page_url_never_panics() {
    // A non-breaking or ideographic space (several bytes) before a Notion page URL once panicked the
    // message reader: the hook printed a panic during `git commit` and the replay of any history holding
    // such a commit exited 101.
    let w = World::new("zh", ZH_CONFIG);
    let url = "https://www.notion.so/acme/Monitoring-17853bd4e4374814800601e7495de496";
    let out = w.commit(&format!("feat: closes\u{a0}{url}\n\n完成\u{3000}{url}"));
    assert_eq!(post_hook_stderr(&out), "", "no panic, no warning");
    w.wait_for_flusher();
    assert_eq!(w.prop("17853bd4e4374814800601e7495de496", "状态"), "完成");
    let out = w.replay(&["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}
