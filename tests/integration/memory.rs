//! The database's memory in git (issue 29): backups of the data source on a ref of their own, and a
//! ticket's history read from them.

use serde_json::{json, Value};

use crate::util::*;

const P006: &str = "94d9697d90f945358de0843f5f971d3c";
const P007: &str = "3c60dbeb1cf14df984dc897a682fb3c5";

fn backup(w: &World) -> Value {
    let out = w.run(&["backup", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["backup"].clone()
}

/// `git notion backup`: every row once, as one JSON file per page in one commit on refs/notion/backup
/// (the working branch untouched); a second run reads only the rows edited since (counted in the request
/// log) and commits nothing when nothing changed; an edited page gets a new version, a trashed one stays
/// on file marked `in_trash`; `git notion history` shows each version and what changed.
#[test]
fn a_backup_keeps_every_row_then_only_what_changed() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("chore: start");
    let head = w.head();
    let status = w.git(&["status", "--porcelain"]);
    let first = backup(&w);
    assert_eq!(first["changed"], 38, "{first:#}");
    assert_eq!(first["rows_read"], 38);
    assert!(first["since"].is_null());
    let files = w.git(&["ls-tree", "-r", "--name-only", "refs/notion/backup"]);
    assert_eq!(
        files.lines().count(),
        39,
        "38 pages and the checkpoint: {files}"
    );
    assert_eq!(w.head(), head, "the working branch is untouched");
    assert_eq!(w.git(&["status", "--porcelain"]), status);
    let page: Value =
        serde_json::from_str(&w.git(&["show", &format!("refs/notion/backup:{}", kept_at(P006))]))
            .unwrap();
    assert_eq!(page["properties"]["状态"]["status"]["name"], "未开始");
    assert_eq!(page["in_trash"], false);

    // Nothing changed: nothing committed, and only the rows edited since were read.
    w.sb.clear_log();
    let again = backup(&w);
    assert!(again["commit"].is_null(), "{again:#}");
    assert_eq!(again["changed"], 0);
    assert!(again["rows_read"].as_u64().unwrap() <= 2, "{again:#}");
    let edited_query =
        w.sb.requests()
            .iter()
            .filter(|r| r.body.contains("last_edited_time"))
            .count();
    assert_eq!(edited_query, 1);

    // A teammate edits one page and trashes another.
    w.edit_page(P006, json!({"状态": {"status": {"name": "完成"}}}));
    let (code, body) = w.api(
        "PATCH",
        &format!("/v1/pages/{}", dashed(P007)),
        json!({"in_trash": true}),
    );
    assert_eq!(code, 200, "{body}");
    let third = backup(&w);
    assert_eq!(third["changed"], 1, "{third:#}");
    assert_eq!(third["gone"], 1, "{third:#}");
    let changed = w.git(&[
        "diff",
        "--name-only",
        "refs/notion/backup~1",
        "refs/notion/backup",
    ]);
    let pages: Vec<&str> = changed
        .lines()
        .filter(|l| l.starts_with("pages/"))
        .collect();
    assert_eq!(
        pages.len(),
        2,
        "the edited and the trashed page only: {changed}"
    );
    let trashed: Value =
        serde_json::from_str(&w.git(&["show", &format!("refs/notion/backup:{}", kept_at(P007))]))
            .unwrap();
    assert_eq!(trashed["in_trash"], true);
    assert_eq!(
        w.git(&["rev-list", "--count", "refs/notion/backup"]).trim(),
        "2"
    );

    let out = w.run(&["history", "#006"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("2 version(s)"), "{text}");
    assert!(text.contains("状态: \"未开始\" → \"完成\""), "{text}");
    let out = w.run(&["history", "#0061"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A full backup reads every row again and finds nothing new.
    let out = w.run(&["backup", "--full", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backup"]["rows_read"], 37, "{v:#}");
    assert_eq!(v["backup"]["changed"], 0, "{v:#}");
}

/// A backup made before files were spread over directories (`pages/<page id>.json`) is read as it is: a
/// page edited since moves to its new path in the next backup (the others stay), `history` follows the
/// page across the move (the move is not a version), and a restore to the old commit reads the old layout.
#[test]
fn a_backup_in_the_flat_layout_is_read_and_moved_page_by_page() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("chore: start");
    backup(&w);
    // The same backup as the flat layout kept it.
    let index = w._tmp.path().join("flat-index");
    let index = index.to_str().unwrap();
    let env = [("GIT_INDEX_FILE", index)];
    w.git_with(&w.repo, &["read-tree", "--empty"], &env);
    let listing = w.git(&["ls-tree", "-r", "refs/notion/backup"]);
    for line in listing.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let blob = meta.split_whitespace().nth(2).unwrap();
        let flat = match path.strip_prefix("pages/") {
            Some(rest) => format!("pages/{}", rest.rsplit('/').next().unwrap()),
            None => path.to_string(),
        };
        let info = format!("100644,{blob},{flat}");
        w.git_with(
            &w.repo,
            &["update-index", "--add", "--cacheinfo", &info],
            &env,
        );
    }
    let tree = w
        .git_with(&w.repo, &["write-tree"], &env)
        .trim()
        .to_string();
    let flat = w
        .git(&[
            "commit-tree",
            &tree,
            "-m",
            "git-notion backup (flat layout)",
        ])
        .trim()
        .to_string();
    w.git(&["update-ref", "refs/notion/backup", &flat]);

    w.edit_page(P006, json!({"状态": {"status": {"name": "完成"}}}));
    let next = backup(&w);
    assert_eq!(next["pages"], 38, "{next:#}");
    // The rows read (those edited in or after the checkpoint's minute) move; no other page does.
    let changed = w.git(&[
        "diff",
        "--no-renames",
        "--name-status",
        &flat,
        "refs/notion/backup",
    ]);
    let moved = changed
        .lines()
        .filter(|l| l.starts_with("A\tpages/"))
        .count();
    let removed = changed
        .lines()
        .filter(|l| l.starts_with("D\tpages/"))
        .count();
    assert_eq!(next["changed"].as_u64(), Some(moved as u64), "{changed}");
    assert_eq!(moved, removed, "{changed}");
    assert!((1..=2).contains(&moved), "{changed}");
    let id = dashed(P006);
    assert!(
        changed.contains(&format!("D\tpages/{id}.json")),
        "{changed}"
    );
    assert!(
        changed.contains(&format!("A\t{}", kept_at(P006))),
        "{changed}"
    );

    let out = w.run(&["history", "#006"]);
    let text = stdout(&out);
    assert!(text.contains("2 version(s)"), "{text}");
    assert!(text.contains("状态: \"未开始\" → \"完成\""), "{text}");
    let out = w.run(&["restore", "--at", &flat, "#006"]);
    let text = stdout(&out);
    assert!(text.contains("状态: \"完成\" → \"未开始\""), "{text}");
    // Unchanged pages are not rewritten by a full read either, wherever they are kept.
    let out = w.run(&["backup", "--full", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["backup"]["changed"].as_u64(),
        Some(38 - moved as u64),
        "the flat files move on a full read: {v:#}"
    );
    let out = w.run(&["backup", "--full", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backup"]["changed"], 0, "{v:#}");
}

/// Where the backup keeps a page's file: `pages/<first character>/<page id>.json`.
fn kept_at(page: &str) -> String {
    let id = dashed(page);
    format!("pages/{}/{id}.json", &id[..1])
}

/// The properties of every page of a backup commit, by page id (what a restore must give back).
fn backed_up(w: &World, rev: &str) -> std::collections::BTreeMap<String, Value> {
    let files = w.git(&["ls-tree", "-r", "--name-only", rev, "--", "pages/"]);
    files
        .lines()
        .map(|path| {
            let v: Value =
                serde_json::from_str(&w.git(&["show", &format!("{rev}:{path}")])).unwrap();
            (
                path.to_string(),
                json!({"properties": v["properties"], "in_trash": v["in_trash"]}),
            )
        })
        .collect()
}

/// `git notion restore --at`: a plan first (each property now → then, a page to take out of the trash),
/// nothing written; `--apply` leaves every page byte for byte as in the backup (checked by backing up
/// again and comparing every file's properties), journalled so that `undo` takes it back; a point
/// before the first backup, or no backup at all, is a usage error (exit 2).
#[test]
fn a_restore_puts_every_page_back_as_the_backup_saw_it_and_undo_takes_it_back() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("chore: start");
    let out = w.run(&["restore", "--at", "2026-01-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("git notion backup"),
        "{}",
        stderr(&out)
    );
    backup(&w);
    let then = w
        .git(&["rev-parse", "refs/notion/backup"])
        .trim()
        .to_string();
    let before = backed_up(&w, &then);
    w.edit_page(
        P006,
        json!({"状态": {"status": {"name": "完成"}}, "日期": {"date": {"start": "2026-12-01"}}}),
    );
    let (code, body) = w.api(
        "PATCH",
        &format!("/v1/pages/{}", dashed(P007)),
        json!({"in_trash": true}),
    );
    assert_eq!(code, 200, "{body}");
    backup(&w);

    let out = w.run(&["restore", "--at", "2000-01-01"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no backup was made at or before 2000-01-01"),
        "{}",
        stderr(&out)
    );
    w.sb.clear_log();
    let out = w.run(&["restore", "--at", "refs/notion/backup~1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("状态: \"完成\" → \"未开始\""), "{text}");
    assert!(text.contains("日期: \"2026-12-01\" → (empty)"), "{text}");
    assert!(text.contains("out of the trash"), "{text}");
    assert!(
        text.contains("2 page(s) differ from the backup, 36 already as then"),
        "{text}"
    );
    assert_eq!(w.write_count(), 0, "a dry run writes nothing");

    let out = w.run(&["restore", "--at", &then, "--apply", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["applied"], true);
    assert_eq!(w.write_count(), 2);
    assert_eq!(w.prop(P006, "状态"), "未开始");
    backup(&w);
    assert_eq!(
        backed_up(&w, "refs/notion/backup"),
        before,
        "every page as the backup saw it"
    );
    // Again: nothing differs.
    let out = w.run(&["restore", "--at", &then]);
    assert!(
        stdout(&out).contains("0 page(s) differ"),
        "{}",
        stdout(&out)
    );
    // Undo takes the restore back (the page stays out of the trash: undo restores values).
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop(P006, "状态"), "完成");
    // One ticket only.
    let out = w.run(&["restore", "--at", &then, "#006"]);
    let text = stdout(&out);
    assert!(
        text.contains("1 page(s) differ from the backup, 0 already as then"),
        "{text}"
    );
}

/// `git notion status --stale [DAYS]`: tickets in progress in the local index whose last commit (on any
/// branch) is older than DAYS, oldest first, then those no commit names; no request to Notion.
#[test]
fn stale_tickets_are_found_from_history_and_the_index() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let out = w.run(&["status", "--stale"]);
    assert_eq!(out.status.code(), Some(2), "no index yet: {}", stderr(&out));
    assert!(
        stderr(&out).contains("git notion index --refresh"),
        "{}",
        stderr(&out)
    );
    assert!(w.run(&["index", "--refresh"]).status.success());
    // #005 is in progress; its only commit is from 2025-10-01 (the pinned date).
    w.commit_without_hook("feat: #005 alerts, first cut");
    w.sb.clear_log();
    let stale = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["status", "--json", "--stale"];
        all.extend_from_slice(args);
        let out = w.run(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["stale"].as_array().unwrap().clone()
    };
    let list = stale(&[]);
    let first = &list[0];
    assert_eq!(first["key"], "#005", "{list:#?}");
    assert!(first["idle_days"].as_i64().unwrap() > 14);
    assert!(
        list[1..].iter().all(|t| t["last_commit"].is_null()),
        "{list:#?}"
    );
    let text = stdout(&w.run(&["status", "--stale"]));
    assert!(text.contains("#005"), "{text}");
    assert!(text.contains("day(s) ago"), "{text}");
    // A fresh commit: no longer stale.
    let now = jiff::Timestamp::now().to_string();
    w.git_with(
        &w.repo,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "fix: #005 thresholds",
        ],
        &[("GIT_COMMITTER_DATE", &now), ("GIT_AUTHOR_DATE", &now)],
    );
    w.wait_for_flusher();
    w.sb.clear_log();
    let list = stale(&["14"]);
    assert!(list.iter().all(|t| t["key"] != "#005"), "{list:#?}");
    assert!(w.sb.requests().is_empty(), "no network");
}

/// `git notion backfill-ids --property Key`: every page's key from its title into a rich_text property (a
/// plan first; `--apply` journalled, undo takes it back); a second run writes nothing; an `Untitled` page
/// and two pages sharing a key are listed and left alone; then `lookup = { property = "Key" }` finds a page
/// after its title lost the key. A number property holds the key's number.
#[test]
fn backfill_ids_writes_each_pages_key_into_a_property_once() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let ds = &mut seed["databases"][0]["data_sources"][0];
    ds["properties"]["Key"] = json!({"type": "rich_text"});
    ds["properties"]["No"] = json!({"type": "number"});
    ds["pages"]
        .as_array_mut()
        .unwrap()
        .push(json!({"properties": {"标题": "#013 - a copy", "状态": "未开始"}}));
    let w = World::with_seed(
        &seed,
        notion_sandbox::SandboxConfig::default(),
        &format!("{ZH_CONFIG}{FAST}"),
    );
    let out = w.run(&["backfill-ids", "--property", "Key"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("#006  \"#006 - Secrets Management\"  Key: (empty) → \"#006\"  to write"),
        "{text}"
    );
    assert!(text.contains("\"Untitled\""), "{text}");
    assert!(text.contains("#013  2 pages carry it"), "{text}");
    assert_eq!(w.write_count(), 0);
    let out = w.run(&["backfill-ids", "--property", "Key", "--apply", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let written = v["backfill"]["pages"].as_array().unwrap().len();
    assert!(written >= 30, "{v:#}");
    assert_eq!(w.write_count(), written);
    assert_eq!(w.prop(P006, "Key"), "#006");
    // Idempotent.
    w.sb.clear_log();
    let out = w.run(&["backfill-ids", "--property", "Key", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backfill"]["pages"].as_array().unwrap().len(), 0, "{v:#}");
    assert_eq!(v["backfill"]["already"], written);
    // Found by the property after a rename.
    w.edit_page(
        P006,
        json!({"标题": {"title": [{"text": {"content": "Secrets, renamed"}}]}}),
    );
    w.write_config(&format!(
        "{ZH_CONFIG}{FAST}\n[tickets]\nlookup = {{ property = \"Key\" }}\n"
    ));
    w.commit("feat: #006 vault");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "进行中", "{:#}", w.outbox());
    // A number property: the key's number.
    let out = w.run(&["backfill-ids", "--property", "No", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        w.prop(P007, "No"),
        "7",
        "P006 lost its key from its title: left alone"
    );
    assert_eq!(w.prop(P006, "No"), "null");
    // Undo takes the (latest) backfill back.
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop(P007, "No"), "null");
    assert_eq!(w.prop(P007, "Key"), "#007", "the earlier backfill stays");
    // A property that cannot hold a key.
    let out = w.run(&["backfill-ids", "--property", "日期"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rich_text or number"),
        "{}",
        stderr(&out)
    );
}

/// Self-healing schema: the properties the configuration names and the data source lacks (a date, a
/// commit link) are added by `doctor --fix --apply` in one data-source PATCH, shown first with `--fix`
/// (nothing written), never renaming or deleting; then every check passes and a commit fills them.
#[test]
fn doctor_fix_adds_the_properties_the_configuration_names() {
    const P006_: &str = P006;
    let config = format!("{ZH_CONFIG}{FAST}")
        .replace("date = \"日期\"", "date = \"完成日期\"")
        .replace(
            "commit_url = \"Commit\"",
            "commit_url = \"提交\"\nassignee = \"负责人\"\ncommits = \"Commits\"",
        );
    let w = World::new("zh", &config);
    let out = w.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("`git notion doctor --fix` shows the change"),
        "{}",
        stdout(&out)
    );
    let out = w.run(&["doctor", "--fix"]);
    let text = stdout(&out);
    assert!(
        text.contains(
            "would add property \"完成日期\" (date); add property \"提交\" (url); add property \"负责人\" (people); add property \"Commits\" (rich_text)"
        ),
        "{text}"
    );
    assert_eq!(w.write_count(), 0);
    let names = || -> Vec<String> {
        w.sb.state()
            .data_sources
            .values()
            .next()
            .unwrap()
            .properties
            .iter()
            .map(|p| p.name.clone())
            .collect()
    };
    let before = names();
    let out = w.run(&["doctor", "--fix", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let after = names();
    assert_eq!(after.len(), before.len() + 4, "{after:?}");
    assert!(
        before.iter().all(|p| after.contains(p)),
        "nothing renamed or deleted"
    );
    assert_eq!(w.sb.writes().len(), 1, "one PATCH");
    w.commit("feat: #006 vault");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006_, "完成日期"), "2025-10-01");
    assert!(w
        .prop(P006_, "提交")
        .starts_with("https://github.com/acme/mt5/commit/"));
    // dev@example.com is nobody in the sandbox's workspace: left empty.
    assert_eq!(w.prop(P006_, "负责人"), "[]");
    let head = w.head();
    assert_eq!(
        w.prop(P006_, "Commits"),
        format!("{} 2025-10-01 04:00 feat: #006 vault", &head[..7])
    );
}

/// The titles of the pages whose title starts with `prefix` (in the trash or not: (title, in_trash)).
fn pages_titled(w: &World, prefix: &str) -> Vec<(String, bool)> {
    let st = w.sb.state();
    st.pages
        .iter()
        .map(|p| (st.page_title(p), p.in_trash))
        .filter(|(t, _)| t.starts_with(prefix))
        .collect()
}

/// `[create] missing = true`: a ticket a commit names that no page carries gets one, once: the hook's
/// flusher makes it (the subject as title, the status by the rules, date, link) and a replay then plans
/// nothing; `patterns` leaves other keys alone (a sub-ticket stays "not found"); a replay says "would
/// create" first, `--apply` makes it (journalled) and `undo` puts it in the trash; off by default.
#[test]
fn missing_pages_are_created_once_when_asked() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit("feat: #099 exporter");
    w.wait_for_flusher();
    assert!(pages_titled(&w, "feat: #099").is_empty(), "off by default");
    w.write_config(&format!(
        "{ZH_CONFIG}{FAST}\n[create]\nmissing = true\npatterns = ['#[0-9]{{3}}']\n"
    ));
    w.commit("feat: #097 new exporter, with #097.1 a sub-ticket");
    w.wait_for_flusher();
    let made = pages_titled(&w, "feat: #097");
    assert_eq!(
        made,
        [(
            "feat: #097 new exporter, with #097.1 a sub-ticket".to_string(),
            false
        )],
        "{:#}",
        w.outbox()
    );
    assert_eq!(w.prop_by_title("feat: #097"), "进行中");
    let v = w.outbox();
    let failed = v["failed"].as_array().unwrap();
    assert!(
        failed
            .iter()
            .any(|f| f["key"]["token"] == "#097.1" && f["state"] == "no_page"),
        "{v:#}"
    );
    // The ticket named while it was off: `flush` looks tickets without a page up again, and makes it.
    let out = w.run(&["flush"]);
    assert!(
        pages_titled(&w, "feat: #099").len() == 1,
        "{}",
        stdout(&out)
    );
    w.assert_replay_plans_nothing();
    let log = stdout(&w.run(&["log"]));
    assert!(log.contains("#097") && log.contains("(the page)"), "{log}");

    // A replay: a plan first, then the page, journalled; undo puts it in the trash.
    w.commit_without_hook("fix: 完成 #096 importer");
    let out = w.replay(&[]);
    let text = stdout(&out);
    assert!(text.contains("#096  would create  in 工单"), "{text}");
    assert!(text.contains("状态: \"完成\""), "{text}");
    assert!(
        pages_titled(&w, "fix: 完成 #096").is_empty(),
        "a dry run makes nothing"
    );
    let out = w.replay(&["--apply", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["created"], 1, "{v:#}");
    assert_eq!(pages_titled(&w, "fix: 完成 #096").len(), 1);
    w.assert_replay_plans_nothing();
    let out = w.run(&["undo", "--apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        pages_titled(&w, "fix: 完成 #096"),
        [("fix: 完成 #096 importer".to_string(), true)]
    );
}

/// Two clones make the same missing page at the same instant (Notion has no conditional create, and both
/// looked it up just before): two pages. Then nothing makes a third: the next sync and the replay report
/// the key as ambiguous (both pages listed) and write neither.
#[test]
fn two_clones_creating_at_once_leave_an_ambiguity_never_a_third_page() {
    use notion_sandbox::Fault;
    use std::process::Stdio;
    let config = format!("{ZH_CONFIG}{FAST}\n[create]\nmissing = true\n");
    let w = World::new("zh", &config);
    w.commit_without_hook("feat: #093 exporter");
    let mate = w.origin_and_teammate();
    std::fs::write(mate.join(".git-notion.toml"), &config).unwrap();
    // Both look the key up before either page exists: the creates are slow.
    w.sb.inject(Fault::latency_ms(400).method("POST").path("/v1/pages"));
    let children: Vec<_> = [&w.repo, &mate]
        .into_iter()
        .map(|dir| {
            w.command(&bin("git-notion"))
                .current_dir(dir)
                .arg("sync")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    w.sb.clear_faults();
    let made = pages_titled(&w, "feat: #093").len();
    assert!((1..=2).contains(&made), "{made}");
    let out = w.run(&["sync"]);
    let out2 = w.replay(&["--json"]);
    let v: Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(v["summary"]["to_create"], 0, "{v:#}");
    if made == 2 {
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("#093  ambiguous: 2 pages match"),
            "{}",
            stdout(&out)
        );
        assert_eq!(v["summary"]["ambiguous"], 1, "{v:#}");
    }
    assert_eq!(pages_titled(&w, "feat: #093").len(), made, "no third page");
}
