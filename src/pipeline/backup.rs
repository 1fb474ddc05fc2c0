//! `git notion backup` and `git notion history`: the bound data source's rows kept in git, one JSON file
//! per page (`pages/<page id>.json`: id, url, times, `in_trash` and every property as Notion gives it,
//! keys sorted) on `refs/notion/backup`, never on a working branch. A run reads only the rows edited since
//! the checkpoint the last run left (`checkpoint.json`), plus one cheap pass over every row (titles only)
//! to see pages that are gone: their file stays, marked `in_trash`. One commit per run that changed
//! something; pushable like any ref (`git push origin refs/notion/backup`), so the history is shared.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::git::store::Store;
use crate::git::GitError;
use crate::notion::client::{ApiError, Client};

use crate::notion::schema::Schema;

/// The ref the backup lives on.
pub const REF: &str = "refs/notion/backup";

const CHECKPOINT: &str = "checkpoint.json";

/// Where the last run stopped reading.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    data_source_id: String,
    /// The newest `last_edited_time` read.
    last_edited_time: String,
}

/// What one run did.
#[derive(Debug, Default, Serialize)]
pub struct BackupReport {
    /// The commit made on the ref (none when nothing changed).
    pub commit: Option<String>,
    /// Pages whose file was added or changed.
    pub changed: usize,
    /// Pages found gone (trashed or deleted) since the last run.
    pub gone: usize,
    /// Rows read in full.
    pub rows_read: usize,
    /// Pages on file after the run.
    pub pages: usize,
    /// Read only the rows edited since this time (the checkpoint), or everything when absent.
    pub since: Option<String>,
    /// Requests sent to Notion.
    pub requests: u64,
}

/// Backs up the data source `schema` describes into the repository at `git_dir`. `full`: read every
/// row, not only those edited since the checkpoint.
pub fn backup(
    client: &Client,
    schema: &Schema,
    git_dir: &Path,
    full: bool,
) -> Result<BackupReport, super::Error> {
    let store = Store::new(git_dir, REF);
    let files = store.list(None, "")?;
    let checkpoint = read_checkpoint(&store, &files)
        .filter(|c| c.data_source_id == schema.data_source_id && !full);
    let since = checkpoint.map(|c| c.last_edited_time);
    let (rows, live) = read_rows(client, schema, since.as_deref())?;
    let stored = store.read(&files.values().cloned().collect::<Vec<_>>())?;
    let mut report = BackupReport {
        rows_read: rows.len(),
        since,
        ..BackupReport::default()
    };
    let on_file = |path: &str| files.get(path).and_then(|id| stored.get(id));
    let mut changes = changed_pages(&rows, on_file);
    report.changed = changes.len();
    if let Some(live) = &live {
        gone(&files, &stored, live, &mut changes, &mut report);
    }
    if let Some(t) = newest_edit(&rows).or(report.since.clone()) {
        let c = Checkpoint {
            data_source_id: schema.data_source_id.clone(),
            last_edited_time: t,
        };
        let body = pretty(&serde_json::to_value(&c).unwrap_or_default());
        if on_file(CHECKPOINT) != Some(&body) && !changes.is_empty() {
            changes.insert(CHECKPOINT.to_string(), body);
        }
    }
    report.pages = files
        .keys()
        .chain(changes.keys().filter(|p| !files.contains_key(*p)))
        .filter(|p| p.starts_with("pages/"))
        .count();
    report.requests = client.request_count();
    if report.changed + report.gone > 0 {
        report.commit = Some(store.commit(&message(schema, &report), &changes)?);
    }
    Ok(report)
}

/// The page files that differ from what is on file (`on_file`: a path's contents now).
fn changed_pages<'a>(
    rows: &[Value],
    on_file: impl Fn(&str) -> Option<&'a Vec<u8>>,
) -> BTreeMap<String, Vec<u8>> {
    let mut changes = BTreeMap::new();
    for row in rows {
        let Some(id) = row["id"].as_str() else {
            continue;
        };
        let path = format!("pages/{id}.json");
        let body = page_file(row);
        if on_file(&path) != Some(&body) {
            changes.insert(path, body);
        }
    }
    changes
}

/// The rows to back up (every row, or those edited since `since`, with every property), and the ids of
/// every page that still exists (for an incremental run, from one more scan reading titles only; none
/// when the scan could not read every row).
fn read_rows(
    client: &Client,
    schema: &Schema,
    since: Option<&str>,
) -> Result<(Vec<Value>, Option<HashSet<String>>), ApiError> {
    let ids: Vec<&str> = schema.properties.iter().map(|p| p.id.as_str()).collect();
    let ds = &schema.data_source_id;
    // A scan that could not read every row (more rows than one query returns share one creation
    // minute) says nothing of which pages are gone.
    let live = |s: &crate::pipeline::scan::Scanned| s.complete.then(|| page_ids(&s.pages));
    let Some(since) = since else {
        let scanned = crate::pipeline::scan::scan(client, ds, &ids, None, |_| {})?;
        let live = live(&scanned);
        return Ok((scanned.pages, live));
    };
    let rows = edited_since(client, ds, &ids, since)?;
    let title: Vec<&str> = schema
        .title_property()
        .map(|p| p.id.as_str())
        .into_iter()
        .collect();
    let scanned = crate::pipeline::scan::scan(client, ds, &title, None, |_| {})?;
    Ok((rows, live(&scanned)))
}

/// The backup commit's message.
fn message(schema: &Schema, r: &BackupReport) -> String {
    format!(
        "git-notion backup of {:?}: {} page(s) changed, {} gone; {} row(s) read{}",
        schema.name,
        r.changed,
        r.gone,
        r.rows_read,
        r.since
            .as_ref()
            .map(|t| format!(", edited since {t}"))
            .unwrap_or_default()
    )
}

/// Files of pages no longer among the rows, not yet marked: marked `in_trash` (their content kept).
fn gone(
    files: &BTreeMap<String, String>,
    stored: &BTreeMap<String, Vec<u8>>,
    live: &HashSet<String>,
    changes: &mut BTreeMap<String, Vec<u8>>,
    report: &mut BackupReport,
) {
    for (path, blob) in files {
        let Some(id) = path
            .strip_prefix("pages/")
            .and_then(|p| p.strip_suffix(".json"))
        else {
            continue;
        };
        if live.contains(id) {
            continue;
        }
        let Some(mut v) = stored
            .get(blob)
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        else {
            continue;
        };
        if v["in_trash"] == json!(true) {
            continue;
        }
        v["in_trash"] = json!(true);
        changes.insert(path.clone(), pretty(&v));
        report.gone += 1;
    }
}

fn page_ids(rows: &[Value]) -> HashSet<String> {
    rows.iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect()
}

fn newest_edit(rows: &[Value]) -> Option<String> {
    rows.iter()
        .filter_map(|r| r["last_edited_time"].as_str())
        .max()
        .map(String::from)
}

fn read_checkpoint(store: &Store, files: &BTreeMap<String, String>) -> Option<Checkpoint> {
    let id = files.get(CHECKPOINT)?;
    let blobs = store.read(std::slice::from_ref(id)).ok()?;
    serde_json::from_slice(blobs.get(id)?).ok()
}

/// The rows edited at or after `since` (Notion keeps edit times by the minute: that whole minute).
fn edited_since(
    client: &Client,
    data_source_id: &str,
    properties: &[&str],
    since: &str,
) -> Result<Vec<Value>, ApiError> {
    let minute = since
        .get(..16)
        .map(|m| format!("{m}:00.000Z"))
        .unwrap_or_default();
    let path = crate::pipeline::lookup::query_path(data_source_id, properties);
    let endpoint = format!(
        "read the rows edited since the last backup (POST /v1/data_sources/{data_source_id}/query)"
    );
    let mut rows = vec![];
    crate::notion::client::paginate(
        &endpoint,
        |cursor| {
            let mut body = json!({
                "filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": minute}},
                "page_size": 100,
            });
            if let Some(c) = cursor {
                body["start_cursor"] = json!(c);
            }
            let body = crate::pipeline::lookup::rows_only(client, body);
            client.post_read("read the rows edited since the last backup", &path, &body)
        },
        |row| {
            if crate::pipeline::lookup::is_page(&row) {
                rows.push(row)
            }
        },
    )?;
    Ok(rows)
}

/// A page as its backup file holds it.
fn page_file(row: &Value) -> Vec<u8> {
    let mut v = Map::new();
    for key in [
        "id",
        "url",
        "created_time",
        "last_edited_time",
        "in_trash",
        "properties",
    ] {
        v.insert(
            key.to_string(),
            row.get(key).cloned().unwrap_or(Value::Null),
        );
    }
    if v["in_trash"].is_null() {
        v.insert("in_trash".into(), json!(false));
    }
    pretty(&Value::Object(v))
}

/// JSON with its keys sorted at every level, pretty, ending in a newline: the same page gives the same
/// bytes, so git stores one blob per version.
fn pretty(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&o[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let mut out = serde_json::to_vec_pretty(&sorted(v)).unwrap_or_default();
    out.push(b'\n');
    out
}

/// One version of a page in the backup.
#[derive(Debug, Serialize)]
pub struct Version {
    /// The backup commit.
    pub commit: String,
    /// When the backup was made (Unix seconds).
    pub backed_up_at: i64,
    /// The page's `last_edited_time` then.
    pub last_edited_time: String,
    /// In the trash (or deleted) then.
    pub in_trash: bool,
    /// Each property as text.
    pub properties: BTreeMap<String, String>,
}

/// The page a ticket key names in the backup, and its versions, newest first. `key_of` gives a page's
/// key from its file (the lookup's rules).
pub fn history(
    git_dir: &Path,
    key_of: impl Fn(&Value) -> Option<String>,
    key: &str,
) -> Result<Option<(String, Vec<Version>)>, GitError> {
    let store = Store::new(git_dir, REF);
    let files = store.list(None, "pages/")?;
    let blobs = store.read(&files.values().cloned().collect::<Vec<_>>())?;
    let found = files.iter().find(|(_, blob)| {
        blobs
            .get(*blob)
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .is_some_and(|v| key_of(&v).as_deref() == Some(key))
    });
    let Some((path, _)) = found else {
        return Ok(None);
    };
    let versions = store.versions(path)?;
    let ids: Vec<String> = versions.iter().map(|(_, _, b)| b.clone()).collect();
    let contents = store.read(&ids)?;
    let out = versions
        .into_iter()
        .filter_map(|(commit, at, blob)| {
            let v: Value = serde_json::from_slice(contents.get(&blob)?).ok()?;
            Some(Version {
                commit,
                backed_up_at: at,
                last_edited_time: v["last_edited_time"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                in_trash: v["in_trash"] == json!(true),
                properties: v["properties"]
                    .as_object()
                    .map(|o| o.iter().map(|(k, p)| (k.clone(), text_of(p))).collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let page = path
        .trim_start_matches("pages/")
        .trim_end_matches(".json")
        .to_string();
    Ok(Some((page, out)))
}

/// A property value as text, by its own type.
fn text_of(prop: &Value) -> String {
    prop["type"]
        .as_str()
        .map(|kind| {
            crate::notion::values::text(prop, &crate::notion::schema::Kind::from_name(kind))
        })
        .unwrap_or_default()
}
