//! Notion as it answers in late 2026 (issue 28): the edge in front of it, its newer error codes.

use notion_sandbox::Fault;

use crate::util::*;

/// Cloudflare's edge answers some requests with an HTML page of its own and a `cf-ray` id (notion-sdk-js
/// #751): a 403 from the edge is not a capability the integration lacks, and nothing is lost; an edge 5xx
/// is retried as Notion's own.
#[test]
fn an_edge_page_is_named_as_the_edge_not_as_a_missing_capability() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(Fault::html(403).method("PATCH"));
    let out = w.run(&["sync"]);
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "kept for later: {err}");
    assert!(
        err.contains("Notion's edge (Cloudflare) answered 403"),
        "{err}"
    );
    assert!(err.contains("cf-ray "), "{err}");
    assert!(!err.contains("lacks a capability"), "{err}");
    assert!(!err.contains("Capabilities"), "{err}");
    // A hook's update meets the same edge: it waits, it is not refused.
    w.commit("fix: #006 again");
    w.wait_for_flusher();
    let v = w.outbox();
    // (Both commits: the first, made without a hook, is queued by the tips' catch-up.)
    assert_eq!(v["pending"].as_array().map(Vec::len), Some(2), "{v:#}");
    let reason = v["pending"][0]["last_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("an HTML page titled \"403 Forbidden\""),
        "{reason}"
    );
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(0), "{v:#}");
    w.sb.clear_faults();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = w.prop_by_title("#006");
    assert_eq!(status, "进行中", "delivered once the edge lets it through");
    // An edge 5xx is retried; one that lasts names the edge and its cf-ray.
    w.commit_without_hook("docs: #007 runbook");
    w.sb.inject(Fault::html(502).method("PATCH").times(1));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "retried: {}", stderr(&out));
    w.commit_without_hook("docs: #005 more");
    w.sb.inject(Fault::html(502).method("PATCH"));
    let out = w.run(&["sync"]);
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("(502 from the edge in front of Notion)"),
        "{err}"
    );
    assert!(err.contains("[cf-ray "), "{err}");
}

/// `service_overload` (529) and `gateway_timeout` (504), Notion's newer 5xx codes: retried, and named by
/// their code when they last.
#[test]
fn service_overload_and_gateway_timeout_are_retried_and_named() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(Fault::status(529).times(2));
    w.sb.inject(Fault::status(504).path("/v1/data_sources").times(1));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.commit_without_hook("fix: #007 start");
    w.sb.inject(Fault::status(529));
    let out = w.run(&["sync"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("(529 service_overload)"), "{err}");
    assert!(err.contains("[request_id "), "{err}");
}

/// `invalid_beta` (a 400 Notion added in 2026) is not blamed on the configuration's property names.
#[test]
fn invalid_beta_is_not_blamed_on_the_configuration() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(
        Fault::respond(
            400,
            serde_json::json!({"object": "error", "status": 400, "code": "invalid_beta",
                "message": "The requested beta feature is not enabled.", "request_id": "r-beta"}),
        )
        .method("PATCH"),
    );
    let out = w.run(&["sync"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid_beta"), "{text}");
    assert!(
        text.contains("beta feature this request asked for"),
        "{text}"
    );
    assert!(!text.contains("Check the property names"), "{text}");
}

/// Every API version git-notion speaks (`[api] version`, here `GIT_NOTION_API_VERSION`) does the same work
/// with the same result: `init` reads the same rows (on 2026-12-01 a query without `filter_properties`
/// answers titles alone), a hook delivers, the replay repairs and then plans nothing, undo restores (it
/// reads whole pages there). Every request names the version, none says `archived` (refused from
/// 2026-03-11), and on 2026-12-01 every query names its properties and asks for rows only.
#[test]
fn every_api_version_does_the_same_work() {
    const P006: &str = "94d9697d90f945358de0843f5f971d3c";
    let mut configs = vec![];
    for v in ["2025-09-03", "2026-03-11", "2026-12-01"] {
        let w = World::new("zh", "");
        w.speak(v);
        let init = w.run(&[
            "init",
            "--database",
            &format!("https://www.notion.so/acme/{ZH_DB}"),
        ]);
        assert!(init.status.success(), "{v}: {}", stderr(&init));
        configs.push(
            std::fs::read_to_string(w.repo.join(".git-notion.toml"))
                .unwrap_or_else(|_| stdout(&init)),
        );
        w.write_config(&format!("{ZH_CONFIG}{FAST}"));
        w.commit("feat: #006 secrets");
        w.wait_for_flusher();
        assert_eq!(w.prop(P006, "状态"), "进行中", "{v}");
        w.commit_without_hook("fix: 完成 #006 done");
        let out = w.replay(&["--apply"]);
        assert!(out.status.success(), "{v}: {}", stderr(&out));
        assert_eq!(w.prop(P006, "状态"), "完成", "{v}");
        w.assert_replay_plans_nothing();
        let out = w.run(&["undo", "--apply"]);
        assert!(out.status.success(), "{v}: {}", stderr(&out));
        assert_eq!(w.prop(P006, "状态"), "进行中", "{v}: undone");
        let doctor = w.run(&["doctor"]);
        assert!(doctor.status.success(), "{v}: {}", stdout(&doctor));
        for r in w.sb.requests() {
            assert_eq!(
                r.header("notion-version"),
                Some(v),
                "{} {}",
                r.method,
                r.path
            );
            assert!(!r.body.contains("\"archived\""), "{v}: {}", r.body);
            if v == "2026-12-01" && r.path.ends_with("/query") {
                assert!(
                    r.query.contains("filter_properties"),
                    "{} {}",
                    r.path,
                    r.query
                );
                assert!(r.body.contains("\"result_type\":\"page\""), "{}", r.body);
            }
        }
    }
    assert_eq!(configs[0], configs[1]);
    assert_eq!(
        configs[0], configs[2],
        "init on 2026-12-01 sees every property"
    );
}

/// A wiki's last items are child data sources: a `created_time` window of the scan can then end in data
/// sources, and the next window must start after them, not at the last page (notion-sdk-js #731), or the
/// scan stops short and calls itself incomplete.
#[test]
fn a_scan_window_ending_in_a_wikis_data_sources_moves_past_them() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["data_sources"][0]["wiki_children"] = serde_json::json!(6);
    seed["query_row_cap"] = serde_json::json!(5);
    let w = World::with_seed(
        &seed,
        notion_sandbox::SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    w.import_history(&["feat: #067 bulk resync".to_string()]);
    let out = w.replay(&["--json", "--read", "scan"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let s = &v["summary"];
    assert_eq!(s["rows_scanned"], 38, "{s:#}");
    assert!(
        s["tickets_looked_up"].is_null(),
        "a whole scan, no fallback: {s:#}"
    );
    assert_eq!(s["to_update"], 1, "{s:#}");
}

/// A configured status the data source lacks: doctor says so and names `--fix`; `--fix` shows the one
/// change (nothing written); `--fix --apply` adds the option through `PATCH /v1/data_sources` (to the
/// To-do group, as Notion does, and says to move it), keeps every other option, and then every check
/// passes and the status is written.
#[test]
fn doctor_adds_a_missing_status_option_only_when_asked() {
    const P006: &str = "94d9697d90f945358de0843f5f971d3c";
    let config =
        format!("{ZH_CONFIG}{FAST}").replace("on_merge = \"完成\"", "on_merge = \"已验收\"");
    let w = World::new("zh", &config);
    let out = w.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("\"已验收\" is not an option of status property \"状态\""),
        "{text}"
    );
    assert!(text.contains("git notion doctor --fix"), "{text}");
    let out = w.run(&["doctor", "--fix"]);
    assert_eq!(out.status.code(), Some(1), "still broken until applied");
    let text = stdout(&out);
    assert!(
        text.contains("would add \"已验收\" to status property \"状态\""),
        "{text}"
    );
    assert!(text.contains("--fix --apply"), "{text}");
    assert_eq!(w.write_count(), 0, "--fix alone changes nothing");
    let before =
        w.sb.state()
            .data_sources
            .values()
            .next()
            .unwrap()
            .properties
            .iter()
            .find(|p| p.name == "状态")
            .unwrap()
            .options
            .len();
    let out = w.run(&["doctor", "--fix", "--apply"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("did add \"已验收\""), "{text}");
    assert!(text.contains("To-do group"), "{text}");
    let writes = w.sb.writes();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "PATCH");
    assert!(
        writes[0].path.starts_with("/v1/data_sources/"),
        "{}",
        writes[0].path
    );
    {
        let st = w.sb.state();
        let p = st
            .data_sources
            .values()
            .next()
            .unwrap()
            .properties
            .iter()
            .find(|p| p.name == "状态")
            .unwrap()
            .clone();
        assert_eq!(p.options.len(), before + 1, "every option kept, one added");
        let added = p.options.iter().find(|o| o.name == "已验收").unwrap();
        assert!(
            p.groups[0].option_ids.contains(&added.id),
            "in the To-do group"
        );
    }
    let out = w.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("schema fix"));
    w.commit("feat: #006 secrets");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "进行中");
    // `--apply` alone is refused: it needs --fix.
    let out = w.run(&["doctor", "--apply"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// A personal access token acts as a person (`/v1/users/me` answers a `person`) and sees what that person
/// sees: doctor says which kind of token it sees, and never asks to share a database with a connection;
/// an integration's secret is told to share it (••• → Connections).
#[test]
fn doctor_tells_a_personal_access_token_from_an_integration() {
    for kind in ["personal", "integration"] {
        let mut seed = notion_sandbox::seed::load("zh").unwrap();
        seed["token_kind"] = serde_json::json!(kind);
        seed["databases"][0]["shared"] = serde_json::json!(false);
        let w = World::with_seed(
            &seed,
            notion_sandbox::SandboxConfig::default(),
            &format!("{ZH_CONFIG}{FAST}"),
        );
        let out = w.run(&["doctor"]);
        let text = stdout(&out);
        if kind == "personal" {
            assert!(text.contains("a personal access token of"), "{text}");
            assert!(!text.contains("Connections"), "{text}");
            assert_eq!(w.doctor_check("database")["status"], "ok", "{text}");
        } else {
            assert!(text.contains("an internal connection's secret"), "{text}");
            assert_eq!(w.doctor_check("database")["status"], "fail", "{text}");
            assert!(text.contains("••• → Connections"), "{text}");
        }
    }
}

/// Notion's budget per window is set by the workspace's plan and not published: the client learns it
/// from the first 429 of a window (the requests Notion took before it), then spreads its requests over
/// the window at 90 % of it, so one sync meets one 429, not one per window; the budget is kept beside the
/// outbox, so the next process spreads from its first request and meets none.
#[test]
fn a_window_budget_is_learned_from_the_first_429_and_spread_over_the_window() {
    use notion_sandbox::Window;
    let keys: Vec<String> = (1..=27).map(|n| format!("#{n:03}")).collect();
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}window_secs = 3\n"));
    w.commit_without_hook(&format!("feat: {}", keys.join(" ")));
    w.sb.set_windows(vec![Window::new(10, 3.0, "connection_window")]);
    let out = w.run(&["sync"]);
    assert!(
        out.status.success(),
        "{:?} {} {}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    let requests = w.sb.requests();
    let limited = requests.iter().filter(|r| r.status == 429).count();
    assert!(requests.len() >= 20, "{} requests", requests.len());
    assert_eq!(
        limited,
        1,
        "one 429 taught the budget: {} requests",
        requests.len()
    );
    assert!(w.outbox_dir().join("budget.json").exists());
    // A later commit: the window of the first sync has ended.
    std::thread::sleep(std::time::Duration::from_secs(3));
    w.sb.clear_log();
    let closing: Vec<String> = keys.iter().map(|k| format!("完成 {k}")).collect();
    w.commit_without_hook(&format!("fix: {}", closing.join(", ")));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = w.sb.requests();
    assert!(requests.len() >= 20, "{} requests", requests.len());
    let limited = requests.iter().filter(|r| r.status == 429).count();
    assert_eq!(limited, 0, "the next process knew the budget");
}

/// A hook's update meets a rate limit longer than a hook waits (20 s): the commit returns at once, and
/// the detached flusher waits the window out quietly and delivers, instead of leaving it for the next
/// commit.
#[test]
fn the_detached_flusher_waits_out_a_window_and_delivers() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.sb.inject(Fault::rate_limited(21).method("PATCH").times(1));
    let started = std::time::Instant::now();
    let out = w.commit("feat: #006 secrets");
    assert!(out.status.success());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the commit waited"
    );
    assert!(post_hook_stderr(&out).is_empty(), "{}", stderr(&out));
    // (Longer than `wait_for_flusher` waits.)
    while w.prop("94d9697d90f945358de0843f5f971d3c", "状态") != "进行中" {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(90),
            "never delivered: {:#}",
            w.outbox()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(20));
    w.wait_for_flusher();
    let v = w.outbox();
    assert_eq!(v["pending"].as_array().map(Vec::len), Some(0), "{v:#}");
}
