//! `git notion backup` and `git notion history`: the bound data source's rows kept in git, one JSON file
//! per page (`pages/<first character>/<page id>.json`: id, url, times, `in_trash` and every property
//! as Notion gives it, keys sorted) on `refs/notion/backup`, never on a working branch. (Files are spread
//! over 16 directories: `git fast-import` looks a tree's entries up one by one, so 50,000 files in one
//! directory took ten seconds to commit; 256 directories made a year of daily runs a third bigger, in
//! trees. A backup made before keeps `pages/<page id>.json`, read as well and moved when the page is
//! next read.) A run reads only the rows edited since
//! the checkpoint the last run left (`checkpoint.json`), plus one cheap pass over every row (titles only)
//! to see pages that are gone: their file stays, marked `in_trash`. One commit per run that changed
//! something; pushable like any ref (`git push origin refs/notion/backup`), so the history is shared.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::git::store::{Change, Import, Store};
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
    let mut stored = store.read(&files.values().cloned().collect::<Vec<_>>())?;
    let checkpoint_on_file = files.get(CHECKPOINT).and_then(|b| stored.remove(b));
    let checkpoint = checkpoint_on_file
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Checkpoint>(b).ok())
        .filter(|c| c.data_source_id == schema.data_source_id && !full);
    let since = checkpoint.map(|c| c.last_edited_time);
    let mut run = Run::new(store.import(), kept_pages(&files, &mut stored));
    let live = read_rows(client, schema, since.as_deref(), &mut run)?;
    if let Some(e) = run.failed.take() {
        return Err(e.into());
    }
    let mut report = BackupReport {
        rows_read: run.rows,
        changed: run.written,
        since,
        ..BackupReport::default()
    };
    if let Some(live) = &live {
        report.gone = run.gone(live);
    }
    if let Some(t) = run.newest.clone().or(report.since.clone()) {
        let c = Checkpoint {
            data_source_id: schema.data_source_id.clone(),
            last_edited_time: t,
        };
        let body = pretty(&serde_json::to_value(&c).unwrap_or_default());
        if checkpoint_on_file.as_ref() != Some(&body) && !run.changes.is_empty() {
            run.changes
                .insert(CHECKPOINT.to_string(), Change::Write(body));
        }
    }
    report.pages = run.kept.len() + run.new_pages;
    report.requests = client.request_count();
    if let Some(e) = run.failed.take() {
        return Err(e.into());
    }
    if report.changed + report.gone > 0 {
        let message = message(schema, &report);
        report.commit = Some(run.import.commit(&message, &run.changes)?);
    }
    Ok(report)
}

/// Where a page's file is kept: `pages/<first character of its id>/<id>.json`.
pub fn page_path(id: &str) -> String {
    let shard: String = id.chars().take(1).collect();
    format!("pages/{shard}/{id}.json")
}

/// The page id a file of the backup holds (either layout), if it is a page's.
pub fn page_id(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("pages/")?;
    rest.rsplit('/').next()?.strip_suffix(".json")
}

/// Page id → the path its file is kept at and its contents (taken out of `stored`).
fn kept_pages(
    files: &BTreeMap<String, String>,
    stored: &mut BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, (String, Vec<u8>)> {
    files
        .iter()
        .filter_map(|(path, blob)| {
            let body = stored.remove(blob)?;
            Some((page_id(path)?.to_string(), (path.clone(), body)))
        })
        .collect()
}

/// One run's work, done as rows arrive: each page file that differs from the one kept goes to
/// `git fast-import` at once (it compresses while the next rows are awaited).
struct Run<'s> {
    import: Import<'s>,
    /// Page id → (the path its file is kept at, its contents), before this run.
    kept: BTreeMap<String, (String, Vec<u8>)>,
    /// What the commit does, by path.
    changes: BTreeMap<String, Change>,
    /// Rows read, page files written, and of those pages not on file before.
    rows: usize,
    written: usize,
    new_pages: usize,
    /// The newest `last_edited_time` read.
    newest: Option<String>,
    /// Sending a blob failed (the scan goes on; the run then fails with it).
    failed: Option<GitError>,
}

impl<'s> Run<'s> {
    fn new(import: Import<'s>, kept: BTreeMap<String, (String, Vec<u8>)>) -> Run<'s> {
        Run {
            import,
            kept,
            changes: BTreeMap::new(),
            rows: 0,
            written: 0,
            new_pages: 0,
            newest: None,
            failed: None,
        }
    }

    /// Takes rows in: each one's file, written when it differs from the one kept.
    fn take(&mut self, rows: &[Value]) {
        for row in rows {
            let Some(id) = row["id"].as_str() else {
                continue;
            };
            self.rows += 1;
            if let Some(t) = row["last_edited_time"].as_str() {
                if self.newest.as_deref().is_none_or(|n| t > n) {
                    self.newest = Some(t.to_string());
                }
            }
            if self.put(id, page_file(row)) {
                self.written += 1;
            }
        }
    }

    /// Writes a page's file at its path (removing one kept at an older layout's path) unless it is
    /// kept there as it is; whether it wrote.
    fn put(&mut self, id: &str, body: Vec<u8>) -> bool {
        let path = page_path(id);
        match self.kept.get(id) {
            Some((at, kept)) if *at == path && *kept == body => return false,
            Some((at, _)) if *at != path => {
                self.changes.insert(at.clone(), Change::Remove);
            }
            Some(_) => {}
            None => self.new_pages += 1,
        }
        if self.failed.is_some() {
            return true;
        }
        match self.import.blob(&body) {
            Ok(mark) => {
                self.changes.insert(path, Change::Sent(mark));
            }
            Err(e) => self.failed = Some(e),
        }
        true
    }

    /// Marks the files of pages no longer among the rows `in_trash` (their content kept); how many.
    fn gone(&mut self, live: &HashSet<String>) -> usize {
        let marked: Vec<(String, Value)> = self
            .kept
            .iter()
            .filter(|(id, _)| !live.contains(*id))
            .filter_map(|(id, (_, body))| Some((id.clone(), serde_json::from_slice(body).ok()?)))
            .filter(|(_, v): &(String, Value)| v["in_trash"] != json!(true))
            .collect();
        for (id, mut v) in marked.iter().cloned() {
            v["in_trash"] = json!(true);
            self.put(&id, pretty(&v));
        }
        marked.len()
    }
}

/// The rows to back up (every row, or those edited since `since`, with every property) into `run`, as
/// they arrive; and the ids of every page that still exists (for an incremental run, from one more scan
/// reading titles only; none when the scan could not read every row).
fn read_rows(
    client: &Client,
    schema: &Schema,
    since: Option<&str>,
    run: &mut Run,
) -> Result<Option<HashSet<String>>, ApiError> {
    let ids: Vec<&str> = schema.properties.iter().map(|p| p.id.as_str()).collect();
    let ds = &schema.data_source_id;
    // A scan that could not read every row (more rows than one query returns share one creation
    // minute) says nothing of which pages are gone.
    let live = |s: &crate::pipeline::scan::Scanned| s.complete.then(|| page_ids(&s.pages));
    let Some(since) = since else {
        let mut done = 0;
        let scanned = crate::pipeline::scan::scan(client, ds, &ids, None, |rows| {
            run.take(&rows[done..]);
            done = rows.len();
        })?;
        run.take(&scanned.pages[done..]);
        return Ok(live(&scanned));
    };
    let rows = edited_since(client, ds, &ids, since)?;
    let title: Vec<&str> = schema
        .title_property()
        .map(|p| p.id.as_str())
        .into_iter()
        .collect();
    let scanned = crate::pipeline::scan::scan(client, ds, &title, None, |_| {})?;
    run.take(&rows);
    Ok(live(&scanned))
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

fn page_ids(rows: &[Value]) -> HashSet<String> {
    rows.iter()
        .filter_map(|r| r["id"].as_str().map(String::from))
        .collect()
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
    let id = page_id(path).unwrap_or_default();
    let versions = store.versions(&[page_path(id), format!("pages/{id}.json")])?;
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
    Ok(Some((id.to_string(), out)))
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
