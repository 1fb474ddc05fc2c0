//! `git notion-replay`: repair a drifted database from history. The same pipeline as the hooks, in bulk:
//! history (streamed, one decisive commit kept per ticket) → one paginated scan of the data source, matched
//! locally → the plan → apply, journalled for undo and resumable.
//!
//! Requests: the schema reads, ⌈rows/100⌉ scan requests, one PATCH per page that changes.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::client::{ApiError, Client};
use crate::desired::{self, Context};
use crate::git::{Commit, Repo, WalkSpec};
use crate::journal::{self, Journal, Line};
use crate::lookup::Index;
use crate::plan::{self, Entry, Outcome};
use crate::sync::Session;
use crate::tickets::{Extractor, TicketKey};
use crate::Error;

/// Which commit decides a ticket's desired state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Decide {
    /// The latest commit that names the ticket.
    #[default]
    Latest,
    /// The latest commit of one of these conventional-commit types (`feat`, `docs`), else the latest.
    Prefer(Vec<String>),
}

/// One ticket named in history.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub key: TicketKey,
    /// The decisive commit.
    pub commit: Commit,
    /// How many commits name it.
    pub commits: usize,
}

/// What history says: how many commits were read, and the tickets (sorted by key).
#[derive(Debug, Default)]
pub struct History {
    pub commits: usize,
    pub commits_with_refs: usize,
    pub tickets: Vec<Ticket>,
}

/// Reads history newest first, keeping per ticket only its decisive commit and a count (memory grows with
/// the number of tickets, not of commits).
pub fn history(
    repo: &Repo,
    extractor: &Extractor,
    spec: &WalkSpec,
    decide: &Decide,
) -> Result<History, Error> {
    struct Acc {
        latest: Commit,
        preferred: Option<Commit>,
        count: usize,
    }
    let mut acc: HashMap<TicketKey, Acc> = HashMap::new();
    let mut h = History::default();
    repo.walk(spec, |c| {
        h.commits += 1;
        let keys = extractor.extract(&c.message);
        if keys.is_empty() {
            return true;
        }
        h.commits_with_refs += 1;
        let preferred = match decide {
            Decide::Latest => false,
            Decide::Prefer(types) => desired::commit_type(c.subject())
                .is_some_and(|t| types.iter().any(|p| p.eq_ignore_ascii_case(&t))),
        };
        for key in keys {
            match acc.get_mut(&key) {
                // Newest first: the first commit seen is the latest.
                Some(a) => {
                    a.count += 1;
                    if preferred && a.preferred.is_none() {
                        a.preferred = Some(c.clone());
                    }
                }
                None => {
                    acc.insert(
                        key,
                        Acc {
                            latest: c.clone(),
                            preferred: preferred.then(|| c.clone()),
                            count: 1,
                        },
                    );
                }
            }
        }
        true
    })?;
    let mut tickets: Vec<Ticket> = acc
        .into_iter()
        .map(|(key, a)| Ticket {
            key,
            commit: a.preferred.unwrap_or(a.latest),
            commits: a.count,
        })
        .collect();
    tickets.sort_by(|a, b| a.key.cmp(&b.key));
    h.tickets = tickets;
    Ok(h)
}

/// Notion stops one query at 10,000 rows; past that, a new query starts at the last `created_time` seen.
const QUERY_ROW_CAP: usize = 10_000;

/// Every page of the data source, in `created_time` order: 100 rows a request, only the bound properties.
/// `properties` trims each row to those property ids (all when empty).
pub fn scan(
    client: &Client,
    data_source_id: &str,
    properties: &[&str],
    mut progress: impl FnMut(usize),
) -> Result<Vec<Value>, ApiError> {
    let path = crate::lookup::query_path(data_source_id, properties);
    let mut pages: Vec<Value> = vec![];
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut window_start: Option<String> = None;
    loop {
        let mut cursor: Option<String> = None;
        let mut in_window = 0;
        let mut capped = false;
        loop {
            let mut body = json!({
                "page_size": 100,
                "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
            });
            if let Some(t) = &window_start {
                body["filter"] =
                    json!({"timestamp": "created_time", "created_time": {"on_or_after": t}});
            }
            if let Some(c) = &cursor {
                body["start_cursor"] = json!(c);
            }
            let v = client.post_read("scan the data source", &path, &body)?;
            let results = v["results"].as_array().cloned().unwrap_or_default();
            in_window += results.len();
            for pg in results {
                let id = pg["id"].as_str().unwrap_or_default().to_string();
                if seen.insert(id) {
                    pages.push(pg);
                }
            }
            progress(pages.len());
            if v["request_status"]["type"] == "incomplete" || in_window >= QUERY_ROW_CAP {
                capped = true;
                break;
            }
            match (v["has_more"].as_bool(), v["next_cursor"].as_str()) {
                (Some(true), Some(next)) => cursor = Some(next.to_string()),
                _ => break,
            }
        }
        if !capped {
            break;
        }
        // The next window starts at the newest row seen; rows sharing that instant are skipped by id.
        let last = pages
            .last()
            .and_then(|p| p["created_time"].as_str())
            .map(String::from);
        if last.is_none() || last == window_start {
            // More rows than one query may return share one created_time: stop loudly, never plan on a
            // partial scan (a ticket would look "not found").
            return Err(ApiError::BadResponse {
                op: "scan the data source".into(),
                detail: format!(
                    "more than {QUERY_ROW_CAP} rows were created at {}; the scan cannot page past them",
                    last.unwrap_or_default()
                ),
            });
        }
        window_start = last;
    }
    Ok(pages)
}

/// A replay's result.
pub struct Replay {
    pub history: History,
    pub entries: Vec<Entry>,
    pub rows: usize,
    pub requests: u64,
    pub journal: Option<PathBuf>,
    pub resumed: bool,
}

/// The plan, and with `apply` the writes (journalled first).
pub fn run(
    repo: &Repo,
    session: &Session,
    history: History,
    ctx: &Context,
    apply: bool,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Replay, Error> {
    let config = &session.config;
    let b = &session.binding;
    let pages = scan(&session.client, &b.data_source_id, &b.read_ids(), |n| {
        progress("scan", n, 0)
    })?;
    let index = Index::new(&pages, &session.binding, &session.extractor);
    let raw: HashMap<&str, &Value> = pages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, &p["properties"])))
        .collect();
    let mut entries: Vec<Entry> = history
        .tickets
        .iter()
        .filter_map(|t| {
            let d = desired::desired(
                config,
                ctx,
                &session.extractor,
                &t.key,
                std::slice::from_ref(&t.commit),
            )?;
            Some(plan::entry(
                &session.binding,
                config.title.policy,
                d,
                Ok(index.find(&t.key)),
            ))
        })
        .collect();
    let mut replay = Replay {
        rows: pages.len(),
        history,
        entries: vec![],
        requests: 0,
        journal: None,
        resumed: false,
    };
    let updates = entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Update { .. }))
        .count();
    if apply && updates > 0 {
        let mut j = Journal::open(
            &journal::dir(repo.common_dir()),
            &session.binding.data_source_id,
            &session.binding.source_name,
        )?;
        replay.journal = Some(j.path.clone());
        replay.resumed = j.resumed;
        // Every page's previous values, on disk before the first write (a resumed journal keeps the first).
        for e in &entries {
            if let Outcome::Update { page, changes } = &e.outcome {
                if j.recorded.contains(&page.id) {
                    continue;
                }
                let mut before = Map::new();
                if let Some(props) = raw.get(page.id.as_str()) {
                    for c in changes {
                        if let Some(v) = props.get(&c.property) {
                            before.insert(c.property.clone(), v.clone());
                        }
                    }
                }
                j.write(&Line::Before {
                    page: page.id.clone(),
                    key: e.desired.key.to_string(),
                    title: page.title.clone(),
                    properties: before,
                })?;
            }
        }
        let mut done = 0;
        let mut written = 0;
        for e in entries.iter_mut() {
            if let Outcome::Update { page, changes } = &e.outcome {
                let op = format!("update the page of {}", e.desired.key);
                let r = session
                    .client
                    .patch(
                        &op,
                        &format!("/v1/pages/{}", page.id),
                        &plan::patch_body(changes),
                    )
                    .map(|_| ());
                if r.is_ok() {
                    j.write(&Line::Done {
                        page: page.id.clone(),
                    })?;
                    written += 1;
                }
                let circuit_open = matches!(r, Err(ApiError::CircuitOpen { .. }));
                e.applied = Some(r);
                done += 1;
                progress("apply", done, updates);
                if circuit_open {
                    break;
                }
            }
        }
        j.write(&Line::End {
            at: jiff::Timestamp::now().as_second(),
            written,
        })?;
    }
    replay.entries = entries;
    replay.requests = session.client.request_count();
    Ok(replay)
}

/// The summary counts, as the seed's report had them, and more.
pub fn summary_json(r: &Replay) -> Value {
    let s = plan::Summary::of(&r.entries);
    json!({
        "commits_read": r.history.commits,
        "commits_naming_tickets": r.history.commits_with_refs,
        "tickets": r.history.tickets.len(),
        "to_update": s.to_update,
        "properties": s.properties,
        "already_correct": s.up_to_date,
        "not_found": s.not_found,
        "ambiguous": s.ambiguous,
        "errors": s.failed,
        "written": s.written,
        "rows_scanned": r.rows,
        "requests": r.requests,
        "journal": r.journal.as_ref().map(|p| p.display().to_string()),
        "resumed": r.resumed,
    })
}
