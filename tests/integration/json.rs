//! `--json` is a contract: every answer (and every error) is an object with `"schema": 1`, shaped as the
//! examples in `docs/json.md` are. Each command's real output is checked against its example: the same
//! fields at every level (values differ; arrays are checked by their first element).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::*;

/// The examples of `docs/json.md`: each `### <command>` heading followed by a ```json block.
fn documented() -> BTreeMap<String, Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut heading: Option<String> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("### ") {
            heading = Some(h.trim().trim_matches('`').to_string());
        } else if line.trim() == "```json" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let v: Value = serde_json::from_str(&block.join("\n"))
                .unwrap_or_else(|e| panic!("docs/json.md, {heading:?}: {e}"));
            out.insert(heading.clone().expect("a heading before each example"), v);
        }
    }
    out
}

/// The field paths of a JSON value (`tickets[].changes[].from`), with the kind of each leaf.
fn shape(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        // `undo`'s changes and `history`'s properties are keyed by property name: one documented key
        // stands for all.
        Value::Object(m)
            if path.ends_with("[].changes") || path.ends_with("versions[].properties") =>
        {
            if let Some(child) = m.values().next() {
                shape(child, &format!("{path}.<property name>"), out);
            }
        }
        Value::Object(m) => {
            for (k, child) in m {
                shape(child, &format!("{path}.{k}"), out);
            }
        }
        // A list is a field; its first element (if any) shows the elements' fields.
        Value::Array(a) => {
            out.push(path.to_string());
            if let Some(first) = a.first() {
                shape(first, &format!("{path}[]"), out);
            }
        }
        _ => out.push(path.to_string()),
    }
}

fn fields(v: &Value) -> Vec<String> {
    let mut out = vec![];
    shape(v, "", &mut out);
    out.sort();
    out
}

fn check(docs: &BTreeMap<String, Value>, name: &str, out: &std::process::Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}\n{}\n{}", stdout(out), stderr(out)));
    assert_eq!(v["schema"], 1, "{name}: {v}");
    // GIT_NOTION_PRINT_JSON=1 prints the answers (to refresh the examples) instead of checking them.
    if std::env::var_os("GIT_NOTION_PRINT_JSON").is_some() {
        eprintln!(
            "### `{name}`\n```json\n{}\n```\n",
            serde_json::to_string_pretty(&v).unwrap()
        );
        return v;
    }
    let doc = docs
        .get(name)
        .unwrap_or_else(|| panic!("docs/json.md has no example for {name:?}"));
    // Every field of the answer is documented; every documented top-level field is there (fields shown
    // only sometimes, such as a failed check's `fix`, are documented in the examples too).
    let documented = fields(doc);
    let actual = fields(&v);
    let undocumented: Vec<&String> = actual.iter().filter(|f| !documented.contains(f)).collect();
    assert!(
        undocumented.is_empty(),
        "{name}: not in docs/json.md: {undocumented:?}\n{v:#}"
    );
    for k in doc.as_object().unwrap().keys() {
        assert!(
            v.get(k).is_some(),
            "{name}: docs/json.md shows {k:?}, the answer lacks it\n{v:#}"
        );
    }
    v
}

#[test]
fn every_json_answer_is_shaped_as_docs_json_md_shows() {
    let docs = documented();
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: #005 fixes, closes #009 and 完成 #006");
    let sync = w.run(&["sync", "--json", "--dry-run"]);
    check(&docs, "git notion sync --json", &sync);
    let out = w.run(&["sync", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Something pending: a commit queued while Notion is down.
    w.sb.inject(notion_sandbox::Fault::drop_connection());
    w.commit("feat: #007 queued while Notion is down");
    w.wait_for_flusher();
    check(
        &docs,
        "git notion status --json",
        &w.run(&["status", "--json"]),
    );
    w.sb.clear_faults();
    check(
        &docs,
        "git notion flush --json",
        &w.run(&["flush", "--json"]),
    );
    check(
        &docs,
        "git notion retry --json",
        &w.run(&["retry", "--json"]),
    );
    w.commit_without_hook("feat: vault, closes #006 (#123)");
    check(
        &docs,
        "git notion explain --json",
        &w.run(&["explain", "--json"]),
    );
    check(
        &docs,
        "git notion index --json",
        &w.run(&["index", "--refresh", "--json"]),
    );
    check(
        &docs,
        "git notion status --stale --json",
        &w.run(&["status", "--stale", "--json"]),
    );
    check(
        &docs,
        "git notion hooks --json",
        &w.run(&["hooks", "--json"]),
    );
    check(
        &docs,
        "git notion doctor --json",
        &w.run(&["doctor", "--json"]),
    );
    // Something to clear: a commit queued while Notion is down, dismissed by its key.
    w.sb.inject(notion_sandbox::Fault::drop_connection());
    w.commit("feat: #009 queued, then dismissed");
    w.wait_for_flusher();
    w.sb.clear_faults();
    let clear = check(
        &docs,
        "git notion clear --json",
        &w.run(&["clear", "--json", "#009"]),
    );
    assert_eq!(clear["dropped"], 1, "{clear:#}");
    w.commit_without_hook("feat: #011 only the replay brings this");
    let out = w.replay(&["--json", "--apply"]);
    check(&docs, "git notion-replay --json", &out);
    check(&docs, "git notion undo --json", &w.run(&["undo", "--json"]));
    let event = w.repo.parent().unwrap().join("event.json");
    let payload = serde_json::json!({"action": "opened", "pull_request": {
        "number": 42, "html_url": "https://github.com/acme/mt5/pull/42", "title": "Vault for #006",
        "state": "open", "draft": false, "merged": false, "head": {"ref": "feature/vault"}}});
    std::fs::write(&event, payload.to_string()).unwrap();
    check(
        &docs,
        "git notion review --json",
        &w.run(&["review", "--json", "--event", event.to_str().unwrap()]),
    );
    check(
        &docs,
        "git notion backup --json",
        &w.run(&["backup", "--json"]),
    );
    check(
        &docs,
        "git notion history --json",
        &w.run(&["history", "--json", "#006"]),
    );
    check(
        &docs,
        "git notion backfill-ids --json",
        &w.run(&["backfill-ids", "--json", "--property", "备注"]),
    );
    check(
        &docs,
        "git notion restore --json",
        &w.run(&["restore", "--json", "--at", "refs/notion/backup"]),
    );
    // Errors: an object on stdout with a stable kind and the exit code (and the line on stderr).
    let out = w.run(&["sync", "--json", "no-such-revision"]);
    assert_eq!(out.status.code(), Some(2));
    let v = check(&docs, "error", &out);
    assert_eq!(v["error"]["kind"], "git");
    assert_eq!(v["error"]["exit_code"], 2);
    assert!(
        stderr(&out).contains("no-such-revision"),
        "{}",
        stderr(&out)
    );
    w.write_config("database = 42\n");
    let out = w.replay(&["--json"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(check(&docs, "error", &out)["error"]["kind"], "config");
}
