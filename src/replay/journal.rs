//! The undo journal of a replay: `<git common dir>/git-notion/journal/replay-<time>.jsonl`, one JSON line per
//! fact, appended (and fsynced) as it happens:
//! `start` (the data source), `before` (a page's previous values of the properties about to change, as
//! Notion returned them, recorded before the first write), `done` (a page written), `end`, and `undone`.
//! An apply that stops midway leaves a journal without `end`; the next apply resumes it (keeping the
//! first recorded values), and `git notion undo` restores every recorded page.

use crate::pipeline::{Reason, ReasonKind};
use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::notion::client::{ApiError, Client};

/// What reading or writing a journal can run into.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The system refused a file operation.
    #[error("journal {path}: {detail}")]
    Io {
        /// The journal.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// There is no journal to undo.
    #[error("no replay journal in {dir}: nothing to undo (journals are written by `git notion-replay --apply`)")]
    None {
        /// Where journals are kept.
        dir: PathBuf,
    },
    /// The file is not a journal.
    #[error("journal {path} is not a replay journal ({detail})")]
    Bad {
        /// The file.
        path: PathBuf,
        /// What does not parse.
        detail: String,
    },
}

/// One line of a journal (JSON, tagged by `kind`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Line {
    /// The apply started on this data source.
    Start {
        /// When (seconds since the epoch).
        at: i64,
        /// The data source written.
        data_source_id: String,
        /// Its name, for people.
        source_name: String,
    },
    /// A page's values before any write (the first record of a page wins).
    Before {
        /// The page id.
        page: String,
        /// Its ticket key.
        key: String,
        /// Its title then.
        title: String,
        /// Property name → the property value as Notion returned it.
        properties: Map<String, Value>,
    },
    /// The page was made (`[create] missing`): `undo` puts it in the trash.
    Created {
        /// The page id.
        page: String,
        /// Its ticket key.
        key: String,
    },
    /// The page was written.
    Done {
        /// The page id.
        page: String,
    },
    /// The page was not written after all: read again before its write, it showed a newer value another
    /// clone wrote after the plan's read. `undo` leaves it alone (unless a later apply wrote it: `done`).
    Skipped {
        /// The page id.
        page: String,
    },
    /// The apply finished (no outage): the journal is closed.
    End {
        /// When (seconds since the epoch).
        at: i64,
        /// Pages written.
        written: usize,
    },
    /// An undo restored the page.
    Undone {
        /// The page id.
        page: String,
    },
}

/// An open journal, appended to.
pub struct Journal {
    /// The journal's file.
    pub path: PathBuf,
    file: File,
    /// Pages whose previous values are recorded (the first record wins).
    pub recorded: HashSet<String>,
    /// An unfinished journal of the same data source was taken up again.
    pub resumed: bool,
}

/// The journal directory of a repository.
pub fn dir(common_dir: &Path) -> PathBuf {
    common_dir.join("git-notion").join("journal")
}

fn io(path: &Path, e: impl std::fmt::Display) -> JournalError {
    JournalError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Journals, oldest first (their names sort by time).
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("replay-") && n.ends_with(".jsonl"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The run a journal belongs to: the start in its name (`replay-<run>.jsonl`, or `replay-<run>-<n>.jsonl`
/// for the other databases of a replay over several).
pub fn run_of(path: &Path) -> Option<String> {
    let name = path
        .file_name()?
        .to_str()?
        .strip_prefix("replay-")?
        .strip_suffix(".jsonl")?;
    Some(match name.split_once('Z') {
        Some((time, _)) => format!("{time}Z"),
        None => name.to_string(),
    })
}

/// A new run's name: now, to the nanosecond.
pub fn new_run() -> String {
    jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%S%.fZ")
        .to_string()
}

/// The journals of the newest run: the newest journal, and those a replay over several databases wrote
/// beside it (named by the same run), oldest first.
pub fn newest_run(dir: &Path) -> Vec<PathBuf> {
    let all = list(dir);
    let Some(run) = all.last().and_then(|p| run_of(p)) else {
        return vec![];
    };
    all.into_iter()
        .filter(|p| run_of(p).as_deref() == Some(run.as_str()))
        .collect()
}

/// Marks a replay over several databases as under way (`run-<run>.open`) until every database is done,
/// so that an apply stopped between two databases goes on in the same run.
pub fn mark_run(dir: &Path, run: &str) -> Result<(), JournalError> {
    crate::files::private_dir(dir).map_err(|e| io(dir, e))?;
    let path = dir.join(format!("run-{run}.open"));
    std::fs::write(&path, b"").map_err(|e| io(&path, e))
}

/// The run is done: every database was replayed.
pub fn unmark_run(dir: &Path, run: &str) {
    let _ = std::fs::remove_file(dir.join(format!("run-{run}.open")));
}

/// The run a replay over several databases goes on in: one still marked under way, or the newest, when
/// one of its journals was left open (an interrupted apply); so that one `undo` restores the whole run.
pub fn run_to_resume(dir: &Path) -> Option<String> {
    let marked = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            Some(
                name.strip_prefix("run-")?
                    .strip_suffix(".open")?
                    .to_string(),
            )
        })
        .max();
    if marked.is_some() {
        return marked;
    }
    let run = newest_run(dir);
    let open = run
        .iter()
        .any(|p| read(p).is_ok_and(|lines| !lines.iter().any(|l| matches!(l, Line::End { .. }))));
    open.then(|| run.last().and_then(|p| run_of(p))).flatten()
}

/// Reads a journal's lines (a torn last line, from a kill in mid-write, is ignored).
pub fn read(path: &Path) -> Result<Vec<Line>, JournalError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let mut lines = vec![];
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for (i, l) in all.iter().enumerate() {
        match serde_json::from_str::<Line>(l) {
            Ok(line) => lines.push(line),
            Err(_) if i + 1 == all.len() => {}
            Err(e) => {
                return Err(JournalError::Bad {
                    path: path.to_path_buf(),
                    detail: format!("line {}: {e}", i + 1),
                })
            }
        }
    }
    if !matches!(lines.first(), Some(Line::Start { .. })) {
        return Err(JournalError::Bad {
            path: path.to_path_buf(),
            detail: "it does not begin with a start line".into(),
        });
    }
    Ok(lines)
}

impl Journal {
    /// Resumes the latest journal of this data source if it has no `end` (an interrupted apply), or starts
    /// a new one.
    pub fn open(
        dir: &Path,
        data_source_id: &str,
        source_name: &str,
    ) -> Result<Journal, JournalError> {
        Self::open_in_run(dir, data_source_id, source_name, None)
    }

    /// [`Journal::open`] for one database of a replay over several: the journals of one run are named
    /// by the run's start (`replay-<run>.jsonl`, `replay-<run>-1.jsonl`, …), so that `undo` restores
    /// them together.
    pub fn open_in_run(
        dir: &Path,
        data_source_id: &str,
        source_name: &str,
        run: Option<&str>,
    ) -> Result<Journal, JournalError> {
        crate::files::private_dir(dir).map_err(|e| io(dir, e))?;
        if let Some(j) = Self::resume(dir, data_source_id)? {
            return Ok(j);
        }
        let run = run.map_or_else(new_run, String::from);
        let mut path = dir.join(format!("replay-{run}.jsonl"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("replay-{run}-{n}.jsonl"));
            n += 1;
        }
        let file = append(&path)?;
        let mut j = Journal {
            path,
            file,
            recorded: HashSet::new(),
            resumed: false,
        };
        j.write(&Line::Start {
            at: jiff::Timestamp::now().as_second(),
            data_source_id: data_source_id.into(),
            source_name: source_name.into(),
        })?;
        Ok(j)
    }

    /// This data source's journal of the newest run, when an apply left it open (interrupted).
    fn resume(dir: &Path, data_source_id: &str) -> Result<Option<Journal>, JournalError> {
        for last in newest_run(dir).into_iter().rev() {
            let Ok(lines) = read(&last) else {
                continue;
            };
            let same = matches!(lines.first(), Some(Line::Start { data_source_id: d, .. }) if d == data_source_id);
            if !same {
                continue;
            }
            if lines.iter().any(|l| matches!(l, Line::End { .. })) {
                return Ok(None);
            }
            let recorded = lines
                .iter()
                .filter_map(|l| match l {
                    Line::Before { page, .. } => Some(page.clone()),
                    _ => None,
                })
                .collect();
            let file = append(&last)?;
            return Ok(Some(Journal {
                path: last,
                file,
                recorded,
                resumed: true,
            }));
        }
        Ok(None)
    }

    /// Appends one line and makes it durable before the caller goes on (a `before` line must be on disk
    /// before its page is written).
    pub fn write(&mut self, line: &Line) -> Result<(), JournalError> {
        let mut text = serde_json::to_vec(line).map_err(|e| io(&self.path, e))?;
        text.push(b'\n');
        self.file
            .write_all(&text)
            .and_then(|_| self.file.sync_data())
            .map_err(|e| io(&self.path, e))?;
        if let Line::Before { page, .. } = line {
            self.recorded.insert(page.clone());
        }
        Ok(())
    }
}

pub(crate) fn append(path: &Path) -> Result<File, JournalError> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| io(path, e))
}

/// Each item of an array value, shaped by `f` (an item it gives nothing for is left out).
fn each(v: &Value, f: impl Fn(&Value) -> Option<Value>) -> Vec<Value> {
    v.as_array()
        .map(|items| items.iter().filter_map(f).collect())
        .unwrap_or_default()
}

/// A property value as Notion returned it, shaped to be written back: computed fields (`plain_text`,
/// `href`, ids) dropped, everything the page showed kept (text, links, annotations, mentions).
pub fn writable(prop: &Value) -> Option<Value> {
    let kind = prop["type"].as_str()?;
    let v = &prop[kind];
    let value = match kind {
        "title" | "rich_text" => Value::Array(each(v, |item| {
            let mut out = item.clone();
            if let Some(o) = out.as_object_mut() {
                o.remove("plain_text");
                o.remove("href");
            }
            Some(out)
        })),
        "status" | "select" => match v["name"].as_str() {
            Some(name) => json!({ "name": name }),
            None => Value::Null,
        },
        "multi_select" => Value::Array(each(v, |o| Some(json!({"name": o["name"]})))),
        "date" => {
            if v.is_null() {
                Value::Null
            } else {
                json!({"start": v["start"], "end": v["end"], "time_zone": v["time_zone"]})
            }
        }
        "people" => Value::Array(each(v, |u| {
            Some(json!({"object": "user", "id": u["id"].as_str()?}))
        })),
        "url" | "number" | "checkbox" | "email" | "phone_number" => v.clone(),
        _ => return None,
    };
    Some(json!({ kind: value }))
}

/// What undoing one page would do.
#[derive(Debug, Clone, Serialize)]
pub struct UndoEntry {
    /// The page id.
    pub page: String,
    /// Its ticket key.
    pub key: String,
    /// Its title when recorded.
    pub title: String,
    /// Property → (current, previous), as text; only properties that differ.
    pub changes: BTreeMap<String, (String, String)>,
    /// The PATCH body that restores it.
    #[serde(skip)]
    pub body: Value,
    /// Why it cannot be restored, if so.
    pub error: Option<Reason>,
    /// After apply: it was restored.
    pub restored: bool,
}

/// Reads the recorded pages now, and compares them with their recorded values. By cost, as the replay
/// reads: the scan may spend as many requests as reading the recorded pages one by one would, and a
/// recorded page it did not reach is then read alone (so never more than twice the cheaper way).
pub fn undo_plan(client: &Client, lines: &[Line]) -> Result<Vec<UndoEntry>, ApiError> {
    let Some(Line::Start { data_source_id, .. }) = lines.first() else {
        return Ok(vec![]);
    };
    let skipped = skipped(lines);
    let current = pages_now(client, data_source_id, lines)?;
    let mut seen = HashSet::new();
    let mut out = vec![];
    out.extend(created_pages(lines, &current));
    for l in lines {
        let Line::Before {
            page,
            key,
            title,
            properties,
        } = l
        else {
            continue;
        };
        if !seen.insert(page.clone()) || skipped.contains(page.as_str()) {
            continue;
        }
        let mut e = UndoEntry {
            page: page.clone(),
            key: key.clone(),
            title: title.clone(),
            changes: BTreeMap::new(),
            body: Value::Null,
            error: None,
            restored: false,
        };
        let now = match current.get(page) {
            Some(p) => Ok(p.clone()),
            None => client.get(&format!("read page {page}"), &format!("/v1/pages/{page}")),
        };
        match now {
            Ok(now) => (e.changes, e.body) = restoring(properties, &now),
            Err(err) => e.error = Some(Reason::of_api(&err)),
        }
        out.push(e);
    }
    Ok(out)
}

/// Pages the journal's apply made (`created`, not undone): undo puts each in the trash, if it is not
/// there already.
fn created_pages(
    lines: &[Line],
    current: &std::collections::HashMap<String, Value>,
) -> Vec<UndoEntry> {
    let undone: HashSet<&str> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Undone { page } => Some(page.as_str()),
            _ => None,
        })
        .collect();
    lines
        .iter()
        .filter_map(|l| match l {
            Line::Created { page, key } if !undone.contains(page.as_str()) => Some((page, key)),
            _ => None,
        })
        .filter(|(page, _)| {
            current
                .get(*page)
                .is_none_or(|p| p["in_trash"] != json!(true))
        })
        .map(|(page, key)| UndoEntry {
            page: page.clone(),
            key: key.clone(),
            title: String::new(),
            changes: BTreeMap::from([(
                "(the page)".to_string(),
                ("made by git-notion".to_string(), "in the trash".to_string()),
            )]),
            body: json!({"in_trash": true}),
            error: None,
            restored: false,
        })
        .collect()
}

/// The data source's pages now, by id, read by cost: the scan may spend as many requests as reading the
/// recorded pages one by one would (a recorded page it missed is read alone).
fn pages_now(
    client: &Client,
    data_source_id: &str,
    lines: &[Line],
) -> Result<std::collections::HashMap<String, Value>, ApiError> {
    let recorded: HashSet<&str> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Before { page, .. } => Some(page.as_str()),
            _ => None,
        })
        .collect();
    // The recorded values are Notion's, each with its property's id: the scan reads only those
    // properties (on 2026-12-01 a query that names none answers titles alone).
    let mut ids: Vec<&str> = vec![];
    for l in lines {
        if let Line::Before { properties, .. } = l {
            for v in properties.values() {
                match v["id"].as_str() {
                    Some(id) if !ids.contains(&id) => ids.push(id),
                    Some(_) => {}
                    // An old journal without ids: each recorded page is read whole instead.
                    None if client.version().trims_unnamed_properties() => {
                        return Ok(Default::default())
                    }
                    None => {}
                }
            }
        }
    }
    if client.version().trims_unnamed_properties() && ids.is_empty() {
        return Ok(Default::default());
    }
    let budget = Some(recorded.len().max(1));
    Ok(
        crate::pipeline::scan::scan(client, data_source_id, &ids, budget, |_| {})?
            .pages
            .into_iter()
            .filter_map(|p| Some((p["id"].as_str()?.to_string(), p)))
            .collect(),
    )
}

/// Pages whose last word is `skipped`: this journal's applies never wrote them.
fn skipped(lines: &[Line]) -> HashSet<&str> {
    let mut skipped: HashSet<&str> = HashSet::new();
    for l in lines {
        match l {
            Line::Skipped { page } => {
                skipped.insert(page.as_str());
            }
            Line::Done { page } => {
                skipped.remove(page.as_str());
            }
            _ => {}
        }
    }
    skipped
}

/// What differs between the recorded values and the page now (property → (now, recorded), as text),
/// and the PATCH body that restores them.
pub(crate) fn restoring(
    recorded: &Map<String, Value>,
    now: &Value,
) -> (BTreeMap<String, (String, String)>, Value) {
    let mut changes = BTreeMap::new();
    let mut props = Map::new();
    for (name, before) in recorded {
        let current = &now["properties"][name];
        let (Some(want), have) = (writable(before), writable(current)) else {
            continue;
        };
        if Some(&want) != have.as_ref() {
            changes.insert(name.clone(), (text_of(current), text_of(before)));
            props.insert(name.clone(), want);
        }
    }
    (changes, json!({ "properties": props }))
}

/// Writes the recorded values back; appends an `undone` line per restored page.
pub fn undo_apply(
    client: &Client,
    journal: &Path,
    entries: &mut [UndoEntry],
) -> Result<(), JournalError> {
    let mut file = append(journal)?;
    for e in entries.iter_mut() {
        if e.changes.is_empty() || e.error.is_some() {
            continue;
        }
        let r: Result<Value, ApiError> = client.patch(
            &format!("restore the page of {}", e.key),
            &format!("/v1/pages/{}", e.page),
            &e.body,
        );
        let same_page = |v: &Value| {
            v["object"] == "page"
                && v["id"].as_str().and_then(crate::id::normalize) == crate::id::normalize(&e.page)
        };
        match r {
            Ok(v) if !same_page(&v) => {
                e.error = Some(Reason::new(
                    ReasonKind::Unreachable,
                    format!(
                        "restore the page of {}: Notion's answer is not the page restored, so nothing shows it was written; run undo again",
                        e.key
                    ),
                ))
            }
            Ok(_) => {
                e.restored = true;
                let mut text = serde_json::to_vec(&Line::Undone {
                    page: e.page.clone(),
                })
                .map_err(|x| io(journal, x))?;
                text.push(b'\n');
                file.write_all(&text)
                    .and_then(|_| file.sync_data())
                    .map_err(|x| io(journal, x))?;
            }
            Err(err) => e.error = Some(Reason::of_api(&err)),
        }
    }
    Ok(())
}

/// A property value as text, for people.
fn text_of(prop: &Value) -> String {
    prop["type"]
        .as_str()
        .map(|kind| {
            crate::notion::values::text(prop, &crate::notion::schema::Kind::from_name(kind))
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_values_drop_computed_fields() {
        let title = json!({"id": "title", "type": "title", "title": [
            {"type": "text", "text": {"content": "#003 x", "link": null},
             "annotations": {"bold": true}, "plain_text": "#003 x", "href": null}]});
        assert_eq!(
            writable(&title).unwrap(),
            json!({"title": [{"type": "text", "text": {"content": "#003 x", "link": null}, "annotations": {"bold": true}}]})
        );
        let status = json!({"id": "s", "type": "status", "status": {"id": "1", "name": "完成", "color": "green"}});
        assert_eq!(
            writable(&status).unwrap(),
            json!({"status": {"name": "完成"}})
        );
        let empty = json!({"id": "s", "type": "select", "select": null});
        assert_eq!(writable(&empty).unwrap(), json!({"select": null}));
        let date = json!({"id": "d", "type": "date", "date": null});
        assert_eq!(writable(&date).unwrap(), json!({"date": null}));
        assert_eq!(writable(&json!({"type": "formula", "formula": {}})), None);
        let tags = json!({"type": "multi_select", "multi_select": [{"id": "x", "name": "a", "color": "red"}]});
        assert_eq!(
            writable(&tags).unwrap(),
            json!({"multi_select": [{"name": "a"}]})
        );
        let people = json!({"type": "people", "people": [{"object": "user", "id": "u-1", "name": "Ada", "person": {"email": "a@x.invalid"}}]});
        assert_eq!(
            writable(&people).unwrap(),
            json!({"people": [{"object": "user", "id": "u-1"}]})
        );
        for (kind, v) in [
            ("url", json!("https://x.invalid/c/1")),
            ("number", json!(3)),
            ("checkbox", json!(true)),
            ("email", json!("a@x.invalid")),
            ("phone_number", json!("+1 555")),
        ] {
            let p = json!({"type": kind, kind: v.clone()});
            assert_eq!(writable(&p).unwrap(), json!({ kind: v }), "{kind}");
        }
        let date = json!({"type": "date", "date": {"start": "2026-01-02", "end": null, "time_zone": null}});
        assert_eq!(
            writable(&date).unwrap(),
            json!({"date": {"start": "2026-01-02", "end": null, "time_zone": null}})
        );
    }

    #[test]
    fn torn_last_line_is_ignored_and_others_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("replay-1.jsonl");
        let start = r#"{"kind":"start","at":1,"data_source_id":"d","source_name":"s"}"#;
        std::fs::write(&p, format!("{start}\n{{\"kind\":\"do")).unwrap();
        assert_eq!(read(&p).unwrap().len(), 1);
        std::fs::write(&p, format!("{start}\nnope\n{start}\n")).unwrap();
        assert!(read(&p).is_err());
    }

    #[test]
    fn an_open_journal_is_resumed_and_an_ended_one_is_not() {
        let common = tempfile::tempdir().unwrap();
        let d = dir(common.path());
        assert!(d.starts_with(common.path()) && d != common.path());
        assert!(list(&d).is_empty());
        std::fs::create_dir_all(&d).unwrap();
        for stray in ["replay-notes.txt", "other.jsonl", "replay-x.jsonl.tmp"] {
            std::fs::write(d.join(stray), "").unwrap();
        }
        assert!(
            list(&d).is_empty(),
            "only replay-*.jsonl files are journals"
        );
        let before = Line::Before {
            page: "p1".into(),
            key: "#1".into(),
            title: "#1 x".into(),
            properties: Map::new(),
        };
        let mut j = Journal::open(&d, "ds", "工单").unwrap();
        assert!(!j.resumed);
        j.write(&before).unwrap();
        j.write(&Line::Done { page: "p1".into() }).unwrap();
        let first = j.path.clone();
        drop(j);
        let lines = read(&first).unwrap();
        assert!(
            matches!(&lines[0], Line::Start { data_source_id, source_name, .. } if data_source_id == "ds" && source_name == "工单")
        );
        assert_eq!(
            lines[1..],
            [before.clone(), Line::Done { page: "p1".into() }]
        );
        // Not ended (an apply stopped by an outage): the next apply on the same data source resumes it.
        let mut j = Journal::open(&d, "ds", "工单").unwrap();
        assert!(j.resumed);
        assert_eq!(j.path, first);
        assert!(j.recorded.contains("p1"));
        j.write(&Line::End { at: 2, written: 1 }).unwrap();
        drop(j);
        // Ended: a new journal, listed after the first.
        let j = Journal::open(&d, "ds", "工单").unwrap();
        assert!(!j.resumed);
        assert_ne!(j.path, first);
        assert_eq!(list(&d), [first.clone(), j.path.clone()]);
        // Another data source never resumes this one.
        drop(j);
        let other = Journal::open(&d, "other", "x").unwrap();
        assert!(!other.resumed);
    }

    #[test]
    fn property_values_read_as_text_for_people() {
        let status = json!({"id": "s", "type": "status", "status": {"name": "完成"}});
        assert_eq!(text_of(&status), "完成");
        let title = json!({"type": "title", "title": [{"plain_text": "#003 x"}]});
        assert_eq!(text_of(&title), "#003 x");
        assert_eq!(text_of(&json!({"no": "type"})), "");
    }
}
