//! `git notion restore --at DATE|REV [KEYS…]`: the pages as a backup (`refs/notion/backup`) saw them. A
//! plan first (each page's properties now → then, pages to take out of the trash), then `--apply`, each
//! page's values before the write journalled as the replay does, so `git notion undo` takes it back.
//! Only what can be written is restored (computed properties, formulas, unique IDs are not); a page
//! created after the backup, or in the trash then, is left as it is: restore never deletes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::journal::{restoring, Journal, Line};
use super::ReplayError;
use crate::git::store::Store;
use crate::notion::client::{ApiError, Client};
use crate::pipeline::backup::REF;
use crate::pipeline::{Reason, ReasonKind};

/// Why the point to restore to names no backup.
#[derive(Debug, thiserror::Error)]
pub enum PointError {
    /// No backup exists yet.
    #[error("there is no backup yet ({REF} does not exist): run `git notion backup` first (or fetch the ref: git fetch origin {REF}:{REF})")]
    NoBackup,
    /// A date before the first backup.
    #[error("no backup was made at or before {0}: `git notion history KEY` lists when backups were made")]
    TooEarly(String),
    /// Neither a date nor a revision.
    #[error("--at {0:?} is neither a date (2026-12-01, 2026-12-01T09:30:00Z) nor a revision of {REF} (e.g. {REF}~1, a commit id)")]
    Unknown(String),
}

/// A restore's plan, and after `--apply` what it did.
#[derive(Debug, Serialize)]
pub struct Restore {
    /// The backup restored from.
    pub commit: String,
    /// When it was made (Unix seconds).
    pub backed_up_at: i64,
    /// One entry per backed-up page asked for.
    pub pages: Vec<Page>,
}

/// One page of a restore.
#[derive(Debug, Serialize)]
pub struct Page {
    /// The page id.
    pub page: String,
    /// Its ticket key (empty when its title carries none).
    pub key: String,
    /// Its title in the backup.
    pub title: String,
    /// Property → (now, then), as text; only properties that differ.
    pub changes: BTreeMap<String, (String, String)>,
    /// In the trash now, not then: taken out of it.
    pub untrash: bool,
    /// Why it cannot be restored (read or write failed), if so.
    pub error: Option<Reason>,
    /// After `--apply`: written.
    pub restored: bool,
    /// The PATCH body.
    #[serde(skip)]
    body: Value,
    /// The page's values now, of the properties the restore changes (journalled before the write).
    #[serde(skip)]
    before: Map<String, Value>,
}

impl Page {
    /// Something to write.
    pub fn differs(&self) -> bool {
        !self.changes.is_empty() || self.untrash
    }
}

/// The backup commit `at` names: a date (the last backup made by its end, UTC), a time (the last at or
/// before it), or a revision.
pub fn point(store: &Store, at: &str) -> Result<String, PointError> {
    store.tip().ok_or(PointError::NoBackup)?;
    let time = if let Ok(t) = at.parse::<jiff::Timestamp>() {
        Some(t.as_second())
    } else if let Ok(d) = at.parse::<jiff::civil::Date>() {
        d.at(23, 59, 59, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second())
    } else {
        None
    };
    match time {
        Some(t) => store
            .at_or_before(t)
            .ok_or_else(|| PointError::TooEarly(at.to_string())),
        None => store
            .resolve(at)
            .ok_or_else(|| PointError::Unknown(at.to_string())),
    }
}

/// The plan: the backed-up pages whose key is in `keys` (all when empty) compared with the pages now.
pub fn plan(
    client: &Client,
    git_dir: &Path,
    data_source_id: &str,
    at: &str,
    keys: &[String],
    key_of: impl Fn(&Value) -> Option<String>,
) -> Result<Restore, ReplayError> {
    let store = Store::new(git_dir, REF);
    let commit = point(&store, at).map_err(|e| ReplayError::Point(Box::new(e)))?;
    let files = store.list(Some(&commit), "pages/")?;
    let blobs = store.read(&files.values().cloned().collect::<Vec<_>>())?;
    let then: Vec<(String, Value)> = files
        .values()
        .filter_map(|b| serde_json::from_slice::<Value>(blobs.get(b)?).ok())
        .filter(|v| v["in_trash"] != json!(true))
        .map(|v| (key_of(&v).unwrap_or_default(), v))
        .filter(|(k, _)| keys.is_empty() || keys.contains(k))
        .collect();
    let ids: Vec<String> = then
        .iter()
        .flat_map(|(_, v)| v["properties"].as_object().into_iter().flatten())
        .filter_map(|(_, p)| p["id"].as_str().map(String::from))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut now = pages_now(client, data_source_id, &ids, then.len())?;
    let mut pages = vec![];
    for (key, v) in then {
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let current = match now.remove(&crate::id::normalize(&id).unwrap_or_default()) {
            Some(p) => Ok(p),
            None => client.get(&format!("read page {id}"), &format!("/v1/pages/{id}")),
        };
        pages.push(page_plan(key, &v, current));
    }
    Ok(Restore {
        backed_up_at: store.time_of(&commit).unwrap_or(0),
        commit,
        pages,
    })
}

fn page_plan(key: String, then: &Value, current: Result<Value, ApiError>) -> Page {
    let recorded = then["properties"].as_object().cloned().unwrap_or_default();
    let title = recorded
        .values()
        .find(|p| p["type"] == "title")
        .map(|p| crate::notion::values::text(p, &crate::notion::schema::Kind::Title))
        .unwrap_or_default();
    let mut page = Page {
        page: then["id"].as_str().unwrap_or_default().to_string(),
        key,
        title,
        changes: BTreeMap::new(),
        untrash: false,
        error: None,
        restored: false,
        body: Value::Null,
        before: Map::new(),
    };
    match current {
        Ok(now) => {
            // A property gone from the data source since (deleted, or renamed) is not written.
            let recorded: Map<String, Value> = recorded
                .into_iter()
                .filter(|(name, _)| now["properties"].get(name).is_some())
                .collect();
            (page.changes, page.body) = restoring(&recorded, &now);
            page.before = page
                .changes
                .keys()
                .filter_map(|k| Some((k.clone(), now["properties"].get(k)?.clone())))
                .collect();
            page.untrash = now["in_trash"] == json!(true);
            if page.untrash {
                page.body["in_trash"] = json!(false);
            }
        }
        Err(e) => page.error = Some(Reason::of_api(&e)),
    }
    page
}

/// The data source's pages now, by normalized id, with the properties the backup holds: one scan, read
/// by cost (a page it does not return, one in the trash, is read alone).
fn pages_now(
    client: &Client,
    data_source_id: &str,
    ids: &[String],
    wanted: usize,
) -> Result<std::collections::HashMap<String, Value>, ApiError> {
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let scanned =
        crate::pipeline::scan::scan(client, data_source_id, &ids, Some(wanted.max(1)), |_| {})?;
    Ok(scanned
        .pages
        .into_iter()
        .filter_map(|p| Some((crate::id::normalize(p["id"].as_str()?)?, p)))
        .collect())
}

/// Writes each page that differs, journalled first (`git notion undo` takes it back).
pub fn apply(
    client: &Client,
    journal_dir: &Path,
    data_source_id: &str,
    source_name: &str,
    restore: &mut Restore,
) -> Result<usize, ReplayError> {
    let mut journal = Journal::open(journal_dir, data_source_id, source_name)?;
    let mut written = 0;
    for p in restore
        .pages
        .iter_mut()
        .filter(|p| p.differs() && p.error.is_none())
    {
        journal.write(&Line::Before {
            page: p.page.clone(),
            key: p.key.clone(),
            title: p.title.clone(),
            properties: p.before.clone(),
        })?;
        let r = client.patch(
            &format!("restore the page of {}", p.key),
            &format!("/v1/pages/{}", p.page),
            &p.body,
        );
        match r {
            Ok(v) if v["object"] == "page" => {
                journal.write(&Line::Done { page: p.page.clone() })?;
                p.restored = true;
                written += 1;
            }
            Ok(_) => {
                p.error = Some(Reason::new(
                    ReasonKind::Unreachable,
                    "Notion's answer is not the page restored, so nothing shows it was written; run restore again",
                ))
            }
            Err(e) => p.error = Some(Reason::of_api(&e)),
        }
    }
    journal.write(&Line::End {
        at: jiff::Timestamp::now().as_second(),
        written,
    })?;
    Ok(written)
}
