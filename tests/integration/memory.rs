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
    let page: Value = serde_json::from_str(&w.git(&[
        "show",
        &format!("refs/notion/backup:pages/{}.json", dashed(P006)),
    ]))
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
    let trashed: Value = serde_json::from_str(&w.git(&[
        "show",
        &format!("refs/notion/backup:pages/{}.json", dashed(P007)),
    ]))
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
