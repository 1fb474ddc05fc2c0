//! Several databases (`[[databases]]`, issue 30 item 1): each key goes to the first database whose
//! patterns find it; hooks, sync, replay, undo, explain, doctor and `init --add` work across them.

use serde_json::{json, Value};

use crate::util::*;

/// The built-in `two` workspace: Bugs (`BUG-n`, a status property, "Fixed on") and Tasks (`TASK-n`,
/// a select, "Date"), as docs/configuration.md configures it (its "Several databases" example is this
/// test's configuration, so that it stays true).
fn two_config() -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/configuration.md"
    ))
    .unwrap();
    let section = &doc[doc.find("## Several databases").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    section[start..start + section[start..].find("\n```").unwrap()].to_string() + "\n"
}

/// The page of a unique id in the `two` seed (BUG-n and TASK-n are the n-th page of their database).
fn page_of(prefix: &str, n: usize) -> String {
    let start = if prefix == "BUG" {
        "b0c0ffee"
    } else {
        "7a5c0ffe"
    };
    format!("{start}{n:04}")
        .chars()
        .chain(std::iter::repeat('0'))
        .take(32)
        .collect()
}

#[test]
fn each_key_goes_to_its_own_database_through_hooks_replay_and_undo() {
    let w = World::new("two", &format!("{}{FAST}", two_config()));
    let tasks_page = page_of("TASK", 7);
    w.commit(&format!(
        "fix: export, fixes BUG-2; refs TASK-1 and https://www.notion.so/acme/Rotate-{tasks_page}"
    ));
    w.wait_for_flusher();
    let (bug2, task1) = (page_of("BUG", 2), page_of("TASK", 1));
    // Each database's own rules and properties: Bugs' status property and "Fixed on", Tasks' select
    // and "Date".
    assert_eq!(w.prop(&bug2, "Status"), "Fixed");
    assert!(!w.prop(&bug2, "Fixed on").is_empty());
    assert_eq!(w.prop(&task1, "Status"), "In Progress");
    assert!(!w.prop(&task1, "Date").is_empty());
    // The page link went to the database that holds the page, and nowhere failed.
    assert_eq!(w.prop(&tasks_page, "Status"), "In Progress");
    let status = w.run(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["failed"], json!([]), "{v:#}");
    assert_eq!(v["pending"], json!([]), "{v:#}");
    // hooks ≡ replay, across both databases.
    w.assert_replay_plans_nothing();
    // `sync` plans each ticket in its own database (the page link once, in the one that holds it).
    let sync = w.run(&["sync", "--dry-run", "--json"]);
    let v: Value = serde_json::from_slice(&sync.stdout).unwrap();
    let planned: Vec<(&str, &str, &str)> = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = |f: &str| t[f].as_str().unwrap();
            (s("key"), s("database"), s("outcome"))
        })
        .collect();
    let page_key = format!("page {}", dashed(&tasks_page));
    assert_eq!(
        planned,
        [
            ("BUG-2", "Bugs", "already_correct"),
            ("TASK-1", "Tasks", "already_correct"),
            (page_key.as_str(), "Tasks", "already_correct"),
        ],
        "{v:#}"
    );

    // The plan names each ticket's database; a drifted page in each is repaired by one replay.
    w.edit_page(&bug2, json!({"Status": {"status": {"name": "Open"}}}));
    w.edit_page(&task1, json!({"Status": {"select": {"name": "Backlog"}}}));
    let out = w.replay(&["--all", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let databases: Vec<(&str, &str)> = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["outcome"] == "to_update")
        .map(|t| (t["key"].as_str().unwrap(), t["database"].as_str().unwrap()))
        .collect();
    assert_eq!(databases, [("BUG-2", "Bugs"), ("TASK-1", "Tasks")], "{v:#}");
    // `--database` picks one of them.
    let only = w.replay(&["--all", "--json", "--database", "Tasks"]);
    let v: Value = serde_json::from_slice(&only.stdout).unwrap();
    assert!(
        v["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["database"] == "Tasks"),
        "{v:#}"
    );
    let out = w.replay(&["--all", "--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop(&bug2, "Status"), "Fixed");
    assert_eq!(w.prop(&task1, "Status"), "In Progress");
    w.assert_replay_plans_nothing();
    // One `undo` restores what the replay wrote in both databases (one journal each).
    let undo = w.run(&["undo", "--apply", "--json"]);
    assert!(undo.status.success(), "{}", stderr(&undo));
    let v: Value = serde_json::from_slice(&undo.stdout).unwrap();
    assert_eq!(v["restored"], 2, "{v:#}");
    assert_eq!(w.prop(&bug2, "Status"), "Open");
    assert_eq!(w.prop(&task1, "Status"), "Backlog");

    // explain and doctor speak of each database.
    let explain = stdout(&w.run(&["explain", "HEAD"]));
    assert!(explain.contains("in Bugs; closes"), "{explain}");
    assert!(explain.contains("in Tasks; links"), "{explain}");
    let doctor = w.run(&["doctor", "--json"]);
    let v: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v:#}");
    for name in [
        "database (Bugs)",
        "database (Tasks)",
        "status.on_merge (Tasks)",
        "index",
    ] {
        assert!(
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == name && c["status"] == "ok"),
            "{name}: {v:#}"
        );
    }
    // Commit time knows each database's keys (one index each, read whole by `index --refresh`).
    let out = w.run(&["index", "--refresh"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("rows of Bugs") && said.contains("rows of Tasks"),
        "{said}"
    );
    assert!(said.contains("index: 16 keys, read whole"), "{said}");
    assert!(w.outbox_dir().join("index-2.tsv").exists());
    let out = w.commit("docs: refs BUG-4, TASK-5 and TASK-55");
    let err = stderr(&out);
    assert!(err.contains("BUG-4 \"Search ignores accents\""), "{err}");
    assert!(err.contains("TASK-5 \"Nightly backup job\""), "{err}");
    assert!(err.contains("TASK-55: no page carries it"), "{err}");
    assert!(err.contains("did you mean TASK-5"), "{err}");
}

#[test]
fn one_database_down_keeps_its_tickets_pending_and_delivers_the_others() {
    // Tasks names a status option its database lacks: its keys wait with the reason, Bugs' go.
    let config = two_config().replace("on_merge = \"Done\"", "on_merge = \"Shipped\"");
    let w = World::new("two", &format!("{config}{FAST}"));
    w.commit("fix: fixes BUG-3, fixes TASK-2");
    w.wait_for_flusher();
    assert_eq!(w.prop(&page_of("BUG", 3), "Status"), "Fixed");
    let v = w.outbox();
    let pending = v["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{v:#}");
    assert_eq!(
        pending[0]["keys"],
        json!([{"unique_id": {"prefix": "TASK", "number": 2}}]),
        "{v:#}"
    );
    let why = pending[0]["last_error"].as_str().unwrap_or_default();
    assert!(why.contains("\"Shipped\" is not an option"), "{v:#}");
    // Fixed, it goes.
    w.write_config(&format!("{}{FAST}", two_config()));
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop(&page_of("TASK", 2), "Status"), "Done");
    w.assert_replay_plans_nothing();
}

#[test]
fn init_add_appends_a_database_and_the_first_stays_as_it_was() {
    let w = World::new("two", "");
    let init = w.run(&["init", "--database", "b0b0b0b0b0b040b0b0b0b0b0b0b0b0b0"]);
    assert!(init.status.success(), "{}", stderr(&init));
    let before = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    let add = w.run(&[
        "init",
        "--add",
        "--database",
        "7a5c7a5c7a5c47a5a7a5c7a5c7a5c7a5",
        "--name",
        "Tasks",
    ]);
    assert!(add.status.success(), "{}", stderr(&add));
    assert!(stdout(&add).contains("databases now:"), "{}", stdout(&add));
    let after = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    assert!(after.starts_with(before.trim_end()), "{after}");
    assert!(after.contains("\n[[databases]]\n"), "{after}");
    assert!(after.contains("name = \"Tasks\""), "{after}");
    assert!(after.contains("id_prefixes = [\"TASK\"]"), "{after}");
    let doctor = w.run(&["doctor", "--json"]);
    let v: Value = serde_json::from_slice(&doctor.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v:#}");
    // A commit naming one ticket of each reaches both.
    w.commit("feat: refs BUG-4 and TASK-5");
    w.wait_for_flusher();
    assert_eq!(w.prop(&page_of("BUG", 4), "Status"), "Fixing");
    assert_eq!(w.prop(&page_of("TASK", 5), "Status"), "In Progress");
    w.assert_replay_plans_nothing();
    // Adding the same database again is refused, and the file is left as it was.
    let again = w.run(&[
        "init",
        "--add",
        "--database",
        "7a5c7a5c7a5c47a5a7a5c7a5c7a5c7a5",
    ]);
    assert_eq!(again.status.code(), Some(2), "{}", stdout(&again));
    assert!(
        stderr(&again).contains("listed twice"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap(),
        after
    );
}

#[test]
fn an_apply_stopped_between_two_databases_goes_on_in_the_same_run_and_one_undo_restores_it() {
    // At Notion's pace (3 requests/s), the write in Tasks comes a second after the one in Bugs.
    let w = World::rate_limited("two", &two_config(), 3.0);
    w.commit_without_hook("fix: export, fixes BUG-2; refs TASK-1");
    let (bug2, task1) = (page_of("BUG", 2), page_of("TASK", 1));
    let mut apply = w.apply_until(1);
    apply.kill().unwrap();
    apply.wait().unwrap();
    assert_eq!(w.prop(&bug2, "Status"), "Fixed");
    assert_eq!(w.prop(&task1, "Status"), "Backlog", "stopped before Tasks");
    // Run again: Bugs has nothing left to write, Tasks is written in the same run.
    let out = w.replay(&["--all", "--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("Bugs: 1 name tickets, 1 ticket(s); Tasks: 1 name tickets, 1 ticket(s)"),
        "{}",
        stdout(&out)
    );
    assert_eq!(w.prop(&task1, "Status"), "In Progress");
    let journals: Vec<_> = std::fs::read_dir(w.outbox_dir().join("journal"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(journals.len(), 2, "one journal per database: {journals:?}");
    // One undo restores both databases.
    let undo = w.run(&["undo", "--apply", "--json"]);
    let v: Value = serde_json::from_slice(&undo.stdout).unwrap();
    assert_eq!(v["restored"], 2, "{v:#}");
    assert_eq!(w.prop(&bug2, "Status"), "Open");
    assert_eq!(w.prop(&task1, "Status"), "Backlog");
}
