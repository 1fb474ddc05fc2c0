//! `git notion sync`: the plan (current → new), dry runs, idempotence and conflicts.

use serde_json::json;

use crate::util::*;

fn redacted(text: &str) -> String {
    regex::Regex::new("[0-9a-f]{40}")
        .unwrap()
        .replace_all(text, "[SHA]")
        .into_owned()
}

#[test]
fn dry_run_prints_current_to_new_and_writes_nothing_then_apply_sends_exactly_that() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: 完成工单 #012 统一工作目录 (#026, #04, #042)");
    let out = w.run(&["sync", "--dry-run"]);
    assert!(out.status.code() == Some(1), "#04 is not found: exit 1");
    assert_eq!(w.write_count(), 0);
    insta::assert_snapshot!("dry_run", redacted(&stdout(&out)));
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        w.write_count(),
        3,
        "#012, #026 and #042 change; #04 has no page"
    );
    insta::assert_snapshot!("apply", redacted(&stdout(&out)));
    // Exactly what the dry run showed: the PATCH bodies carry those properties, and the pages say it.
    let sha = w.head();
    let link = format!("https://github.com/acme/mt5/commit/{sha}");
    let pages = [
        (
            "6a07cf55b195491b8778ea3cfe2fcdec",
            vec!["Commit", "日期", "标题", "状态"],
            "完成",
        ),
        (
            "2d49bfa858914f578c36e0ca3bc8c6c0",
            vec!["Commit", "日期", "状态"],
            "进行中",
        ),
        (
            "c3a8dad9d1eb4aa3894f1f4745f78740",
            vec!["Commit", "日期", "状态"],
            "进行中",
        ),
    ];
    for (page, props, status) in pages {
        let write =
            w.sb.writes()
                .into_iter()
                .find(|r| r.path.ends_with(&dashed(page)))
                .unwrap_or_else(|| panic!("no write to {page}"));
        let body: serde_json::Value = serde_json::from_str(&write.body).unwrap();
        assert_eq!(patched_properties(&body), props, "{page}");
        assert_eq!(w.prop(page, "状态"), status);
        assert_eq!(w.prop(page, "日期"), "2025-10-01");
        assert_eq!(w.prop(page, "Commit"), link);
    }
    assert_eq!(
        w.prop("6a07cf55b195491b8778ea3cfe2fcdec", "标题"),
        "feat: 完成工单 #012 统一工作目录 (#026, #04, #042)"
    );
    assert_eq!(
        w.prop("2d49bfa858914f578c36e0ca3bc8c6c0", "标题"),
        "#026 - TBD"
    );
    // A second run finds everything up to date and writes nothing.
    w.sb.clear_log();
    let out = w.run(&["sync"]);
    assert_eq!(w.write_count(), 0);
    assert!(stdout(&out).contains("3 up to date"), "{}", stdout(&out));
}

#[test]
fn several_pages_with_one_key_are_a_conflict_not_a_guess() {
    let w = World::new("zh", ZH_CONFIG);
    let st_ds = "2845c4eb-9526-81d7-a1f0-000b2e6a9c10";
    // A teammate duplicated #042.
    let (status, _) = w.api(
        "POST",
        "/v1/pages",
        json!({"parent": {"data_source_id": st_ds},
               "properties": {"标题": {"title": [{"text": {"content": "#042 (copy)"}}]}}}),
    );
    assert_eq!(status, 200);
    w.sb.clear_log();
    w.commit_without_hook("fix: 完成 #042");
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("#042  ambiguous: 2 pages match, none changed"),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.write_count(), 0);
}

#[test]
fn a_data_source_id_works_as_the_database() {
    let w = World::new(
        "zh",
        &ZH_CONFIG.replace(
            "https://www.notion.so/acme/2845c4eb952681828ccf000b14d4c431",
            "2845c4eb952681d7a1f0000b2e6a9c10",
        ),
    );
    w.commit_without_hook("fix: 完成 #005");
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop("17853bd4e4374814800601e7495de496", "状态"), "完成");
}

#[test]
fn a_database_with_several_data_sources_asks_which() {
    let w = World::new("zh", ZH_CONFIG);
    // A second data source in the same database.
    let (status, body) = w.api(
        "POST",
        "/v1/data_sources",
        json!({"parent": {"type": "database_id", "database_id": ZH_DB},
               "title": [{"text": {"content": "归档"}}],
               "properties": {"名称": {"title": {}}}}),
    );
    assert_eq!(status, 200, "{body}");
    w.commit_without_hook("fix: 完成 #005");
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("has 2 data sources; name one with `data_source = \"…\"`"),
        "{err}"
    );
    assert!(
        err.contains("\"工单\"") && err.contains("\"归档\""),
        "{err}"
    );
    w.write_config(&format!("data_source = \"工单\"\n{ZH_CONFIG}"));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_commit_naming_no_ticket_is_nothing_to_do() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("chore: bump");
    let out = w.run(&["sync"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("names no ticket; nothing to do"));
    assert!(w.sb.requests().is_empty());
}

#[test]
fn pages_can_be_found_by_a_rich_text_property() {
    let config = ZH_CONFIG.replace(
        "[properties]",
        "[tickets]\nlookup = { property = \"备注\" }\n[properties]",
    );
    let w = World::new("zh", &config);
    let p013 = "0bde1c2a6ea343c9860e2d04719cbc28";
    w.edit_page(
        p013,
        json!({"备注": {"rich_text": [{"text": {"content": "ref #099, #0990"}}]}}),
    );
    w.commit_without_hook("fix: 完成 #099 risk limits");
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.prop(p013, "状态"), "完成");
    assert_eq!(
        w.prop(p013, "标题"),
        "#013 - Risk Limits",
        "a real title is kept"
    );
    let query =
        w.sb.requests()
            .into_iter()
            .find(|r| r.path.ends_with("/query"))
            .unwrap();
    assert_eq!(
        query.json()["filter"]["rich_text"],
        json!({"contains": "#099"})
    );
}

#[test]
fn flags_override_the_files() {
    let w = World::new(
        "zh",
        &ZH_CONFIG.replace(
            "2845c4eb952681828ccf000b14d4c431",
            "0000000000000000000000000000beef",
        ),
    );
    w.commit_without_hook("feat: 完成 #001 bootstrap");
    let out = w.run(&[
        "sync",
        "--database",
        "2845c4eb952681828ccf000b14d4c431",
        "--title-policy",
        "always",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        w.prop("be3a359fca8847b58056854a14fe9929", "标题"),
        "feat: 完成 #001 bootstrap"
    );
    let out = w.run(&["sync", "--title-policy", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    // Refused by the command line itself, naming the flag and its values.
    assert!(
        stderr(&out).contains("invalid value 'sometimes' for '--title-policy")
            && stderr(&out).contains("fill-placeholder"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_page_outside_the_data_source_is_never_written() {
    // The database's parent page (a standalone page, shared with the integration) named by a trailer.
    let w = World::new("zh", ZH_CONFIG);
    let (status, _) = w.api(
        "GET",
        "/v1/pages/393abc1e-edcd-80f3-813b-e205934558c6",
        json!(null),
    );
    assert_eq!(status, 200, "the page exists and is shared");
    w.commit_without_hook(
        "docs: notes\n\nNotion: https://www.notion.so/acme/Parent-393abc1eedcd80f3813be205934558c6",
    );
    let out = w.run(&["sync"]);
    assert!(stdout(&out).contains("not found"), "{}", stdout(&out));
    assert_eq!(w.write_count(), 0);
}

#[test]
fn commit_links_follow_git_configuration_as_git_reads_it() {
    // `url.<base>.insteadOf` (a short alias in the user's git config, or in a file `includeIf` adds) and
    // `git -c remote.origin.url=…` (GIT_CONFIG_PARAMETERS) decide the link as they decide where git
    // fetches from; a rewrite to a local mirror keeps the forge's link (the tests' teammates fetch
    // through one).
    let w = World::new("zh", ZH_CONFIG);
    // A commit synced with `git [ARGS] notion sync`: the page's link, and the link expected for `base`.
    let synced = |git_args: &[&str], base: &str| {
        w.commit_without_hook("feat: #005 linked");
        let out = w
            .command(std::path::Path::new("git"))
            .args(git_args)
            .args(["notion", "sync"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let head = w.git(&["rev-parse", "HEAD"]);
        let link = w.prop("17853bd4e4374814800601e7495de496", "Commit");
        (link, format!("{base}{}", head.trim()))
    };
    let global = |args: &[&str]| w.git(&[&["config", "--global"][..], args].concat());
    global(&["url.https://github.com/.insteadOf", "gh:"]);
    w.git(&["remote", "set-url", "origin", "gh:acme/aliased"]);
    let (link, expected) = synced(&[], "https://github.com/acme/aliased/commit/");
    assert_eq!(link, expected);
    // includeIf: a file included for this repository's directory only.
    let included = w.home.join("work.gitconfig");
    std::fs::write(
        &included,
        "[url \"https://gitlab.com/\"]\n\tinsteadOf = gl:\n",
    )
    .unwrap();
    let condition = format!("includeIf.gitdir:{}/.path", w.repo.display());
    global(&[&condition, included.to_str().unwrap()]);
    w.git(&["remote", "set-url", "origin", "gl:acme/included"]);
    let (link, expected) = synced(&[], "https://gitlab.com/acme/included/-/commit/");
    assert_eq!(link, expected);
    // A repository without `origin` given one for a command, as `git -c … remote get-url origin` reads it.
    w.git(&["remote", "remove", "origin"]);
    let once = ["-c", "remote.origin.url=https://gitlab.com/acme/once.git"];
    let (link, expected) = synced(&once, "https://gitlab.com/acme/once/-/commit/");
    assert_eq!(link, expected);
}
