//! `git notion-replay`: repair a drifted database from history. The same pipeline as the hooks, in bulk:
//! history (streamed, one decisive commit kept per ticket) → one paginated scan of the data source, matched
//! locally → the plan → apply, journalled for undo and resumable.
//!
//! Requests: the schema reads, ⌈rows/100⌉ scan requests, one PATCH per page that changes.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::client::{ApiError, Client};
use crate::desired::{self, Rules, Track};
use crate::git::{Commit, Repo, WalkSpec};
use crate::journal::{self, Journal, Line};
use crate::lookup::Index;
use crate::plan::{self, Entry, Outcome};
use crate::sync::Session;
use crate::tickets::TicketKey;
use crate::Error;

/// Which commit gives a ticket its title, date and link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Decide {
    /// The latest commit that names the ticket.
    #[default]
    Latest,
    /// The latest commit of one of these conventional-commit types (`feat`, `docs`), else the latest.
    Prefer(Vec<String>),
}

/// Which commits are on a release branch (closing keywords close only there).
#[derive(Debug, Clone)]
pub enum Released {
    All,
    Ids(HashSet<String>),
}

impl Released {
    /// Every commit reachable from a release branch, local or remote-tracking (`origin/main`), within the
    /// walk's bounds; `All` without a second walk when only the current branch is replayed and it is one.
    pub fn of(repo: &Repo, rules: &Rules, spec: &WalkSpec) -> Result<Released, Error> {
        if !spec.all && spec.tips == ["HEAD"] && rules.is_release(repo.branch().as_deref()) {
            return Ok(Released::All);
        }
        let tips: Vec<String> = repo
            .branches()
            .into_iter()
            .filter(|(short, _)| rules.is_release(Some(short)))
            .map(|(_, full)| full)
            .collect();
        if tips.is_empty() {
            return Ok(Released::Ids(HashSet::new()));
        }
        Ok(Released::Ids(repo.reachable(
            &tips,
            &spec.hidden,
            spec.since,
        )?))
    }

    pub fn contains(&self, id: &str) -> bool {
        match self {
            Released::All => true,
            Released::Ids(ids) => ids.contains(id),
        }
    }
}

/// What history says: how many commits were read, and the tickets (sorted by key).
#[derive(Debug, Default)]
pub struct History {
    pub commits: usize,
    pub commits_with_refs: usize,
    pub tickets: Vec<Track>,
}

/// Reads history newest first, gathering per ticket its effects (see [`Track`]: memory grows with the
/// number of tickets, the distinct statuses asked for and the comments, not with the number of commits).
/// The walk and the reading of messages run on two threads, batches of commits passing between them.
pub fn history(
    repo: &Repo,
    rules: &Rules,
    spec: &WalkSpec,
    decide: &Decide,
    released: &Released,
    only: Option<&HashSet<TicketKey>>,
) -> Result<History, Error> {
    const BATCH: usize = 256;
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Commit>>(16);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut reading = Reading::default();
            for batch in receive {
                for c in batch {
                    reading.read(rules, decide, released, only, c);
                }
            }
            reading
        });
        let mut batch = Vec::with_capacity(BATCH);
        let walked = repo.walk(spec, |c| {
            batch.push(c);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                // The reader stops only by panicking; the walk stops with it.
                return send.send(full).is_ok();
            }
            true
        });
        if !batch.is_empty() {
            let _ = send.send(batch);
        }
        drop(send);
        let reading = reader.join().expect("the history reader panicked");
        walked?;
        Ok(reading.finish())
    })
}

/// What [`history`] gathers as it reads commits, newest first.
#[derive(Default)]
struct Reading {
    commits: usize,
    commits_with_refs: usize,
    /// Per ticket: its track, and the latest commit of a preferred type (`--prefer`).
    tracks: HashMap<TicketKey, (Track, Option<Commit>)>,
}

impl Reading {
    fn read(
        &mut self,
        rules: &Rules,
        decide: &Decide,
        released: &Released,
        only: Option<&HashSet<TicketKey>>,
        c: Commit,
    ) {
        self.commits += 1;
        let mut effects = rules.effects(&c, released.contains(&c.id));
        if let Some(only) = only {
            effects.retain(|(k, _)| only.contains(k));
        }
        if effects.is_empty() {
            return;
        }
        self.commits_with_refs += 1;
        let preferred = match decide {
            Decide::Latest => false,
            Decide::Prefer(types) => desired::commit_type(c.subject())
                .is_some_and(|t| types.iter().any(|p| p.eq_ignore_ascii_case(&t))),
        };
        // Newest first: positions count down.
        let pos = -(self.commits as i64);
        for (key, effect) in effects {
            let (track, pref) = match self.tracks.get_mut(&key) {
                Some(t) => t,
                None => self
                    .tracks
                    .entry(key.clone())
                    .or_insert_with(|| (Track::new(key), None)),
            };
            track.add(pos, &c, effect);
            if preferred && pref.is_none() {
                *pref = Some(c.clone());
            }
        }
    }

    fn finish(self) -> History {
        let mut tickets: Vec<Track> = self
            .tracks
            .into_values()
            .map(|(mut t, pref)| {
                if let Some(c) = pref {
                    t.set_commit(c);
                }
                t
            })
            .collect();
        tickets.sort_by(|a, b| a.key.cmp(&b.key));
        History {
            commits: self.commits,
            commits_with_refs: self.commits_with_refs,
            tickets,
        }
    }
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

/// The plan, and with `apply` the writes (journalled first), then the comments. `reset`: the status
/// history asks for is set exactly, even where that moves a page backwards (repairs).
pub fn run(
    repo: &Repo,
    session: &Session,
    history: History,
    origin_url: Option<&str>,
    reset: bool,
    apply: bool,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Replay, Error> {
    let config = &session.config;
    let b = &session.binding;
    let pages = scan(&session.client, &b.data_source_id, &b.read_ids(), |n| {
        progress("scan", n, 0)
    })?;
    let index = Index::new(&pages, &session.binding, &session.rules.extractor);
    let rank = |s: &str| b.status_rank(s);
    let raw: HashMap<&str, &Value> = pages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, &p["properties"])))
        .collect();
    let mut entries: Vec<Entry> = history
        .tickets
        .iter()
        .filter_map(|t| {
            let mut d = desired::desired(config, &session.rules.extractor, origin_url, t, &rank)?;
            d.status_exact |= reset && d.status.is_some();
            let time_of = |id: &str| repo.commit_time(id);
            let mut e = plan::entry(
                &session.binding,
                config.title.policy,
                d,
                Ok(index.find(&t.key)),
                // --reset repairs: it may move a page back to an older commit too.
                (!reset).then_some(&time_of as plan::CommitTime),
            );
            e.check_comments(&session.client);
            Some(e)
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
        // An apply stopped by an outage (a transient failure, or pages not tried) stays open: the next
        // apply resumes this journal, so that one `git notion undo` restores everything it changed.
        let stopped = entries.iter().any(|e| match (&e.outcome, &e.applied) {
            (Outcome::Update { .. }, None) => true,
            (_, Some(Err(err))) => err.is_transient(),
            _ => false,
        });
        if !stopped {
            j.write(&Line::End {
                at: jiff::Timestamp::now().as_second(),
                written,
            })?;
        }
    }
    if apply {
        for e in entries.iter_mut() {
            e.post_comments(&session.client);
        }
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
        "comments": s.comments,
        "comments_posted": s.comments_posted,
        "notes": s.notes,
        "rows_scanned": r.rows,
        "requests": r.requests,
        "journal": r.journal.as_ref().map(|p| p.display().to_string()),
        "resumed": r.resumed,
    })
}
