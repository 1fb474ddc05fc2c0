//! Real Notion, not just our sandbox: where Notion behaves differently from a naive stand-in (see
//! ../shared/notion-reference/README.md, *Where real Notion differs*), the sandbox does too, and the
//! binaries handle it end to end.

use notion_sandbox::SandboxConfig;
use serde_json::{json, Value};

use crate::util::*;

const P005: &str = "17853bd4e4374814800601e7495de496";
const P006: &str = "94d9697d90f945358de0843f5f971d3c";
const ZH_DB: &str = "2845c4eb952681828ccf000b14d4c431";

/// A page id where a database is expected is a 400 "Provided ID … is a page, not a database" in Notion
/// (quoted by public clients; the reference README's *Wrong kind of object*): `init` and every command say
/// to use the database's own link, not "check the property names".
#[test]
fn a_page_given_as_the_database_says_to_use_the_databases_link() {
    let w = World::new("zh", "");
    let page_url = format!("https://app.notion.com/p/Monitoring-Baseline-{P005}");
    let out = w.run(&["init", "--database", &page_url]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("that is a page, not a database"), "{err}");
    assert!(err.contains("Copy link"), "{err}");
    assert!(!err.contains("property names"), "{err}");
    assert!(!w.repo.join(".git-notion.toml").exists());
    w.write_config(&ZH_CONFIG.replace(&format!("acme/{ZH_DB}"), &format!("acme/x-{P005}")));
    w.commit_without_hook("feat: #005");
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("that is a page, not a database"),
        "{}",
        stderr(&out)
    );
}

/// A side-peek link is `…/<database>?v=<view>&p=<page>` (the reference README's *Page URLs*): given to
/// `init`, it is the database; named in a commit, it is the page `p`, never the database or the view.
#[test]
fn side_peek_and_app_links_pick_the_right_id() {
    let w = World::new("zh", "");
    let view = "1a2b3c4d5e6f40718293a4b5c6d7e8f9";
    let peek = format!("https://www.notion.so/acme/{ZH_DB}?v={view}&p={P006}&pm=s");
    let out = w.run(&["init", "--database", &peek]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut config = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    config.push_str(FAST);
    w.write_config(&config);
    w.commit(&format!("feat: secrets rotation\n\nRefs {peek}"));
    w.commit(&format!(
        "chore: monitoring\n\nSee https://app.notion.com/p/Monitoring-{P005}"
    ));
    w.wait_for_flusher();
    // In whichever order the flusher took them (one pass or two).
    let mut writes: Vec<String> = w.sb.writes().iter().map(|r| r.path.clone()).collect();
    writes.sort();
    let mut want = [
        format!("/v1/pages/{}", dashed(P006)),
        format!("/v1/pages/{}", dashed(P005)),
    ];
    want.sort();
    assert_eq!(
        writes, want,
        "only the two pages, never the database or the view"
    );
    assert!(w
        .prop(P006, "Commit")
        .ends_with(&w.git(&["rev-parse", "HEAD~1"]).trim().to_string()));
    let v = w.outbox();
    assert_eq!(
        v["failed"].as_array().map(Vec::len).unwrap_or(0),
        0,
        "{v:#}"
    );
}

/// A linked database (a view of another database) cannot be read through the API. Notion answers it in
/// one of two ways ("Database with ID … is a linked database. Database retrievals do not support linked
/// databases.", dust-tt/dust#18188; "Database with ID … does not contain any data sources accessible by
/// this API bot", ultimate-notion#113): either way the message says to use the source database, not to
/// share it.
#[test]
fn a_linked_database_says_to_use_the_source_database() {
    for answer in [json!(true), json!("no_data_sources")] {
        let mut seed = notion_sandbox::seed::load("zh").unwrap();
        let linked = "0e0e0e0e0e0e4e0e8e0e0e0e0e0e0e0e";
        seed["databases"].as_array_mut().unwrap().push(
            json!({"id": linked, "title": "工单 (view)", "linked": answer, "data_sources": []}),
        );
        let w = World::with_seed(&seed, SandboxConfig::default(), "");
        let out = w.run(&[
            "init",
            "--database",
            &format!("https://www.notion.so/acme/View-{linked}"),
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("that is a linked database"), "{answer}: {err}");
        assert!(err.contains("source database"), "{err}");
        assert!(!err.contains("Connections"), "{err}");
        let (code, v) = doctor_json(&w, &format!("https://www.notion.so/acme/View-{linked}"));
        assert_eq!(code, 1, "{v:#}");
        assert!(v.to_string().contains("linked database"), "{v:#}");
    }
}

fn doctor_json(w: &World, database: &str) -> (i32, Value) {
    w.write_config(&ZH_CONFIG.replace(&format!("https://www.notion.so/acme/{ZH_DB}"), database));
    let out = w.run(&["doctor", "--json"]);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

/// `git notion doctor --json` with the configuration as it is.
fn doctor(w: &World) -> (i32, Value) {
    let out = w.run(&["doctor", "--json"]);
    assert_no_token(&out, &w.token);
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
    )
}

/// Comments need their own capabilities, *Read comments* and *Insert comments*
/// (developers.notion.com/reference/capabilities); without them Notion answers 403 on the comment calls.
/// `doctor` probes reading (one GET) and names both in its fix; a commit asking for a comment still moves
/// the status, and says what to enable.
#[test]
fn doctor_probes_the_comment_capabilities_and_says_which_to_enable() {
    let with = |caps: &[&str], config: &str| {
        let mut seed = notion_sandbox::seed::load("zh").unwrap();
        seed["capabilities"] = json!(caps);
        World::with_seed(&seed, SandboxConfig::default(), config)
    };
    let content = ["read_content", "update_content", "insert_content"];
    let w = with(&content, &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("chore: base");
    let (code, v) = doctor(&w);
    assert_eq!(code, 1, "{v:#}");
    let (status, detail, fix) = check(&v, "comments");
    assert_eq!(status, "fail", "{v:#}");
    assert!(detail.contains("403 restricted_resource"), "{detail}");
    assert!(fix.contains("Read comments and Insert comments"), "{fix}");
    // Without revert comments, only `#comment` commands need them: a warning.
    let ignore = ZH_CONFIG.replace("[status]\n", "[status]\non_revert = \"ignore\"\n");
    let w = with(&content, &format!("{ignore}{FAST}"));
    let (_, v) = doctor(&w);
    assert_eq!(check(&v, "comments").0, "warn", "{v:#}");
    // Granted: ok.
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let (code, v) = doctor(&w);
    assert_eq!(check(&v, "comments").0, "ok", "{v:#}");
    assert_eq!(code, 0, "{v:#}");
    // A commit asking for a comment without the capability: the status moves, the reason says what to
    // enable, and nothing is dropped.
    let w = with(&content, &format!("{ZH_CONFIG}{FAST}"));
    w.commit("feat: #006 #comment 等待评审");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "进行中");
    let text = w.outbox().to_string();
    assert!(text.contains("Read comments and Insert comments"), "{text}");
}

/// A wiki's data source answers queries with `data_source` objects among its pages (notion-sdk-js types;
/// the reference README's *Wiki databases*): they are not rows, so no scan counts them and no lookup
/// takes one for a ticket.
#[test]
fn a_wiki_data_source_returns_data_sources_among_pages_and_only_pages_count() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["data_sources"][0]["wiki"] = json!(true);
    let rows = seed["databases"][0]["data_sources"][0]["pages"]
        .as_array()
        .unwrap()
        .len();
    let w = World::with_seed(
        &seed,
        SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    w.commit("feat: #006 secrets");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "进行中");
    let out = w.replay(&["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["rows_scanned"], rows, "{v:#}");
    w.assert_replay_plans_nothing();
}
