//! The delivery log, `deliveries.jsonl` under the outbox directory: one JSON line per ticket that a write
//! changed (or failed to change), whoever wrote it (the background flusher, `flush`, `sync`, the
//! replay), so that `git notion log` can say what reached Notion, when, and on which page, also when the
//! background flusher did the work. At 1 MiB the file is moved to `deliveries.jsonl.1` (the previous one
//! is dropped): two generations, a few thousand deliveries.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::pipeline::plan::{Entry, Outcome};

const LOG: &str = "deliveries.jsonl";
const OLD: &str = "deliveries.jsonl.1";
/// The log's size cap before it is rotated.
pub const CAP_BYTES: u64 = 1 << 20;

/// One property a delivery changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    /// The property's name.
    pub property: String,
    /// Its value before, as text.
    pub from: String,
    /// Its value after, as text.
    pub to: String,
}

/// One ticket delivered (or whose write failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// When (seconds since the epoch).
    pub at: i64,
    /// Who wrote: `flusher` (the hooks' background flusher), `hook` (foreground mode), `flush`, `sync`,
    /// `replay`.
    pub by: String,
    /// The commit whose state was delivered.
    pub commit: String,
    /// The ticket.
    pub key: String,
    /// The page written.
    pub page: String,
    /// `updated` or `failed`.
    pub outcome: String,
    /// The properties written.
    pub changes: Vec<Changed>,
    /// Comments posted.
    pub comments_posted: usize,
    /// Why the write failed (Notion's message, with its request id when it gave one).
    pub error: Option<String>,
}

/// The deliveries of applied `entries` worth recording: pages written, comments posted, writes refused.
pub fn of(entries: &[Entry], by: &str, at: i64) -> Vec<Delivery> {
    entries
        .iter()
        .filter_map(|e| {
            if e.created {
                return created(e, by, at);
            }
            let Outcome::Update { page, changes } = &e.outcome else {
                return None;
            };
            let (outcome, error) = match (&e.applied, &e.comment_error) {
                (Some(Ok(())), None) => ("updated", None),
                (Some(Err(err)), _) | (_, Some(err)) => ("failed", Some(err.to_string())),
                (None, None) if e.comments_posted > 0 => ("updated", None),
                (None, None) => return None,
            };
            let written = matches!(e.applied, Some(Ok(())));
            Some(Delivery {
                at,
                by: by.to_string(),
                commit: e.desired.commit.id.clone(),
                key: e.desired.key.to_string(),
                page: page.id.clone(),
                outcome: outcome.to_string(),
                changes: changes
                    .iter()
                    .filter(|_| written)
                    .map(|c| Changed {
                        property: c.property.clone(),
                        from: c.from.clone(),
                        to: c.to.clone(),
                    })
                    .collect(),
                comments_posted: e.comments_posted,
                error,
            })
        })
        .collect()
}

/// A page `[create] missing` made, as the log records it.
fn created(e: &Entry, by: &str, at: i64) -> Option<Delivery> {
    let page = e.page()?;
    Some(Delivery {
        at,
        by: by.to_string(),
        commit: e.desired.commit.id.clone(),
        key: e.desired.key.to_string(),
        page: page.id.clone(),
        outcome: "created".to_string(),
        changes: vec![Changed {
            property: "(the page)".into(),
            from: String::new(),
            to: page.title.clone(),
        }],
        comments_posted: e.comments_posted,
        error: e.comment_error.as_ref().map(|err| err.to_string()),
    })
}

/// Appends the deliveries of applied `entries` to the log in `dir` (rotating it past [`CAP_BYTES`]).
/// The log is a record, not a queue: failing to write it loses no update, so errors are ignored.
pub fn record(dir: &Path, by: &str, entries: &[Entry]) {
    let found = of(entries, by, crate::hooks::outbox::now());
    if found.is_empty() {
        return;
    }
    let mut text = vec![];
    for d in &found {
        if serde_json::to_writer(&mut text, d).is_err() {
            return;
        }
        text.push(b'\n');
    }
    let path = dir.join(LOG);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() + text.len() as u64 > CAP_BYTES) {
        let _ = std::fs::rename(&path, dir.join(OLD));
    }
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    if crate::files::private_dir(dir).is_ok() {
        if let Ok(mut f) = o.open(&path) {
            let _ = f.write_all(&text);
        }
    }
}

/// The last `n` deliveries, newest first (lines that do not parse are skipped).
pub fn last(dir: &Path, n: usize) -> Vec<Delivery> {
    let mut out = vec![];
    for name in [LOG, OLD] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        out.extend(
            text.lines()
                .rev()
                .filter_map(|l| serde_json::from_str::<Delivery>(l).ok())
                .take(n - out.len().min(n)),
        );
        if out.len() >= n {
            break;
        }
    }
    out
}

/// The last delivery that changed something (a property or a comment), if any.
pub fn last_change(dir: &Path) -> Option<Delivery> {
    last(dir, 200)
        .into_iter()
        .find(|d| d.outcome == "updated" && (!d.changes.is_empty() || d.comments_posted > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(key: &str) -> Delivery {
        Delivery {
            at: 1,
            by: "sync".into(),
            commit: "c".into(),
            key: key.into(),
            page: "p".into(),
            outcome: "updated".into(),
            changes: vec![Changed {
                property: "状态".into(),
                from: "未开始".into(),
                to: "进行中".into(),
            }],
            comments_posted: 0,
            error: None,
        }
    }

    #[test]
    fn the_log_reads_newest_first_across_its_rotation_and_skips_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let line = |k: &str| format!("{}\n", serde_json::to_string(&delivery(k)).unwrap());
        std::fs::write(dir.path().join(OLD), line("#1") + &line("#2")).unwrap();
        std::fs::write(dir.path().join(LOG), line("#3") + "{torn\n" + &line("#4")).unwrap();
        let keys = |v: Vec<Delivery>| v.into_iter().map(|d| d.key).collect::<Vec<_>>();
        assert_eq!(keys(last(dir.path(), 3)), ["#4", "#3", "#2"]);
        assert_eq!(keys(last(dir.path(), 10)), ["#4", "#3", "#2", "#1"]);
        assert_eq!(last_change(dir.path()).map(|d| d.key), Some("#4".into()));
        assert!(last(&dir.path().join("none"), 5).is_empty());
    }
}
