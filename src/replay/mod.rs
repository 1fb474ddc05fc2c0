//! `git notion-replay`: repair a drifted database from history. The same pipeline as the hooks, in bulk:
//! history (streamed, one decisive commit kept per ticket) → one paginated scan of the data source, matched
//! locally → the plan → apply, journalled for undo and resumable.
//!
//! Requests: the schema reads, ⌈rows/100⌉ scan requests, one PATCH per page that changes.

pub mod backfill;
pub mod journal;
pub mod restore;

mod error {
    use crate::config::ConfigError;
    use crate::git::GitError;
    use crate::notion::client::ApiError;
    use crate::notion::schema::SchemaError;
    use crate::pipeline;

    use super::journal::JournalError;

    /// An error of the replay: the pipeline's, or its journal's.
    #[derive(Debug, thiserror::Error)]
    pub enum ReplayError {
        /// The configuration, the repository, the schema or Notion.
        #[error(transparent)]
        Pipeline(#[from] pipeline::Error),
        /// A replay journal cannot be read or written.
        #[error(transparent)]
        Journal(#[from] JournalError),
        /// `restore --at` names no backup.
        #[error(transparent)]
        Point(Box<super::restore::PointError>),
    }

    impl ReplayError {
        /// A stable name for the kind of error: the pipeline's kinds, or `journal`.
        pub fn kind(&self) -> &'static str {
            match self {
                ReplayError::Pipeline(e) => e.kind(),
                ReplayError::Journal(_) => "journal",
                ReplayError::Point(_) => "usage",
            }
        }
    }

    impl From<GitError> for ReplayError {
        fn from(e: GitError) -> Self {
            ReplayError::Pipeline(e.into())
        }
    }

    impl From<ConfigError> for ReplayError {
        fn from(e: ConfigError) -> Self {
            ReplayError::Pipeline(e.into())
        }
    }

    impl From<ApiError> for ReplayError {
        fn from(e: ApiError) -> Self {
            ReplayError::Pipeline(e.into())
        }
    }

    impl From<SchemaError> for ReplayError {
        fn from(e: SchemaError) -> Self {
            ReplayError::Pipeline(e.into())
        }
    }
}

pub use error::ReplayError;

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::git::Repo;
use crate::notion::client::ApiError;
use crate::pipeline::history::History;
use crate::pipeline::lookup::{self, Index};
use crate::pipeline::plan::{self, Entry, Outcome};
use crate::pipeline::scan::scan;
use crate::pipeline::session::Session;
use crate::rules::desired;
use crate::rules::tickets::TicketKey;
use journal::{Journal, Line};

/// How a replay runs: `reset` sets statuses exactly as history says (a repair), `apply` writes, `read`
/// chooses how the data source is read.
#[derive(Debug, Clone, Default)]
pub struct How {
    /// Set statuses exactly as history says, even backwards.
    pub reset: bool,
    /// Write (journalled); otherwise a dry run.
    pub apply: bool,
    /// How to read the data source.
    pub read: Read,
    /// With several databases: the run naming each database's journal (see
    /// [`journal::Journal::open_in_run`]).
    pub run: Option<String>,
}

/// How the replay reads the data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Read {
    /// By cost (the default): scan up to what the batched lookups cost, then look up.
    #[default]
    Auto,
    /// Scan every row.
    Scan,
    /// Look the tickets up (after one scan request).
    Lookups,
}

/// A replay's result.
pub struct Replay {
    /// What history said: commits read and one track per ticket.
    pub history: History,
    /// The plan, one entry per ticket (applied when `apply`).
    pub entries: Vec<Entry>,
    /// Rows the scan read.
    pub rows: usize,
    /// The scan could not read every row (too many share one `created_time`): this many tickets were
    /// looked up one by one instead.
    pub looked_up: Option<usize>,
    /// Requests the scan sent, and what the batched lookups cost (or would have).
    pub scan_requests: usize,
    /// What the batched lookups of the history's tickets cost (or would have).
    pub lookup_requests: usize,
    /// Every request sent, retries included.
    pub requests: u64,
    /// The undo journal of an apply that wrote.
    pub journal: Option<PathBuf>,
    /// The apply went on with an unfinished journal.
    pub resumed: bool,
    /// Every key of the data source and its page, when the scan read it whole (for the local index).
    pub keys: Option<std::collections::BTreeMap<String, crate::pipeline::key_index::Known>>,
}

/// Set (by the command line's Ctrl-C handler) to stop an apply after the page in flight: the journal stays
/// open, and the next apply resumes it.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks a running apply to stop after the page in flight.
pub fn request_stop() {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// The plan, and with `how.apply` the writes (journalled first; per page its comments, then its
/// PATCH). `how.reset`: the status history asks for is set exactly, even where that moves a page
/// backwards (repairs).
pub fn run(
    repo: &Repo,
    session: &Session,
    history: History,
    origin_url: Option<&str>,
    how: How,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Replay, ReplayError> {
    let read_at = jiff::Timestamp::now().as_second();
    let keys: Vec<TicketKey> = history.tickets.iter().map(|t| t.key.clone()).collect();
    let pages = read_pages(session, &keys, how.read, &mut progress)?;
    let index = Index::new(&pages.pages, &session.binding, &session.rules.extractor);
    let mut entries = plan_entries(repo, session, &history, &index, origin_url, how.reset);
    let mut replay = Replay {
        rows: pages.rows,
        looked_up: pages.looked_up,
        scan_requests: pages.scan_requests,
        lookup_requests: pages.lookup_requests,
        history,
        entries: vec![],
        requests: 0,
        journal: None,
        resumed: false,
        keys: pages
            .complete
            .then(|| crate::pipeline::key_index::of_pages(&index)),
    };
    let updates = entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Update { .. } | Outcome::Create { .. }))
        .count();
    if how.apply && updates > 0 {
        let mut j = Journal::open_in_run(
            &journal::dir(repo.common_dir()),
            &session.binding.data_source_id,
            &session.binding.source_name,
            how.run.as_deref(),
        )?;
        replay.journal = Some(j.path.clone());
        replay.resumed = j.resumed;
        record_before(&mut j, &entries, &pages.pages)?;
        let writing = Writing {
            repo,
            session,
            read_at,
            reset: how.reset,
            updates,
        };
        writing.apply(&mut j, &mut entries, &mut progress)?;
    }
    if how.apply && !stop_requested() {
        // Pages that change were written above, comments first; the others may still owe comments.
        for e in entries.iter_mut() {
            if matches!(e.outcome, Outcome::UpToDate { .. }) {
                session.write(e);
            }
        }
    }
    replay.entries = entries;
    replay.requests = session.client.request_count();
    Ok(replay)
}

/// The rows a replay read, and what reading them cost.
struct Pages {
    pages: Vec<Value>,
    rows: usize,
    complete: bool,
    scan_requests: usize,
    lookup_requests: usize,
    looked_up: Option<usize>,
}

/// Reads by cost: a full scan costs ⌈rows/100⌉ requests, batched lookups ⌈tickets/100⌉ (plus one per
/// page key). Rows are unknown until read, so the scan may spend what the lookups would cost, then the
/// lookups take over (never more than twice the cheaper way). Both end in the same `Index`, so the plan
/// is the same.
fn read_pages(
    session: &Session,
    keys: &[TicketKey],
    read: Read,
    progress: &mut impl FnMut(&str, usize, usize),
) -> Result<Pages, ReplayError> {
    let b = &session.binding;
    let lookup_requests = lookup::lookup_cost(b, keys);
    let budget = match read {
        Read::Auto => Some(lookup_requests.max(1)),
        Read::Scan => None,
        Read::Lookups => Some(1),
    };
    // `--read lookups` reads no row it was not asked for: the tickets are looked up, however small the
    // data source.
    let scanned = if read == Read::Lookups {
        crate::pipeline::scan::Scanned::default()
    } else {
        scan(
            &session.client,
            &b.data_source_id,
            &b.read_ids(),
            budget,
            |rows| progress("scan", rows.len(), 0),
        )?
    };
    let rows = scanned.pages.len();
    let mut pages = scanned.pages;
    // Rows the scan did not reach (its budget, or more rows than one query returns sharing one
    // created_time, as after a CSV import): every ticket of the history is looked up, in batches, and
    // matched by the same rules.
    let looked_up = if scanned.complete {
        None
    } else {
        progress("lookup", 0, keys.len());
        look_up_the_rest(session, keys, &mut pages)?;
        Some(keys.len())
    };
    Ok(Pages {
        pages,
        rows,
        complete: scanned.complete,
        scan_requests: scanned.requests,
        lookup_requests,
        looked_up,
    })
}

/// Every ticket looked up, in batches, its pages added to those the scan read (each once).
fn look_up_the_rest(
    session: &Session,
    keys: &[TicketKey],
    pages: &mut Vec<Value>,
) -> Result<(), ReplayError> {
    let mut seen: std::collections::HashSet<String> = pages
        .iter()
        .filter_map(|p| p["id"].as_str().map(String::from))
        .collect();
    for page in lookup::candidates_many(&session.client, &session.binding, keys)? {
        if seen.insert(page["id"].as_str().unwrap_or_default().to_string()) {
            pages.push(page);
        }
    }
    Ok(())
}

/// One plan entry per ticket of the history that asks for something, its comments checked.
fn plan_entries(
    repo: &Repo,
    session: &Session,
    history: &History,
    index: &Index,
    origin_url: Option<&str>,
    reset: bool,
) -> Vec<Entry> {
    let config = &session.config;
    let rank = |s: &str| session.binding.status_rank(s);
    let time_of = |id: &str| repo.commit_time(id);
    history
        .tickets
        .iter()
        .filter_map(|t| {
            let mut d = desired::desired(config, &session.rules.extractor, origin_url, t, &rank)?;
            d.status_exact |= reset && d.status.is_some();
            let mut e = plan::entry(
                &session.binding,
                config.title.policy,
                d,
                Ok(index.find(&t.key)),
                // --reset repairs: it may move a page back to an older commit too.
                (!reset).then_some(&time_of as plan::CommitTime),
            );
            e.check_comments(&session.client, &|a, d| repo.has_equivalent(a, d));
            e.database = session.name();
            Some(e)
        })
        .collect()
}

/// Every changing page's previous values, on disk before the first write (a resumed journal keeps the
/// first).
fn record_before(j: &mut Journal, entries: &[Entry], pages: &[Value]) -> Result<(), ReplayError> {
    let raw: HashMap<&str, &Value> = pages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, &p["properties"])))
        .collect();
    for e in entries {
        let Outcome::Update { page, changes } = &e.outcome else {
            continue;
        };
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
    Ok(())
}

/// A page to write was not tried, or failed in a way trying again may fix.
fn stopped_by_outage(entries: &[Entry]) -> bool {
    entries.iter().any(|e| match (&e.outcome, &e.applied) {
        (Outcome::Update { .. }, None) => true,
        (_, Some(Err(err))) => err.is_transient(),
        _ => false,
    })
}

/// An apply's writes, one page at a time, journalled.
struct Writing<'a> {
    repo: &'a Repo,
    session: &'a Session,
    /// When the data source was read (what another clone wrote since is read again before writing).
    read_at: i64,
    reset: bool,
    /// Pages to write, for the progress.
    updates: usize,
}

impl Writing<'_> {
    /// Makes a page `[create] missing` asks for, journalled (`undo` trashes it); 1 when made.
    fn create(&self, j: &mut Journal, e: &mut Entry) -> Result<usize, ReplayError> {
        self.session.write(e);
        let (true, Some(p)) = (e.created, e.page()) else {
            return Ok(0);
        };
        j.write(&Line::Created {
            page: p.id.clone(),
            key: e.desired.key.to_string(),
        })?;
        Ok(1)
    }

    /// Writes each changing page (its comments, then its PATCH); stops at an open circuit or Ctrl-C.
    fn apply(
        &self,
        j: &mut Journal,
        entries: &mut [Entry],
        progress: &mut impl FnMut(&str, usize, usize),
    ) -> Result<(), ReplayError> {
        let (mut done, mut written) = (0, 0);
        // What another clone wrote since the scan is read again before the first write and every
        // `RECHECK_EVERY` after: a newer value is never overwritten by this plan's older one.
        let mut recheck = crate::pipeline::session::Recheck::new(self.read_at);
        let time_of = |id: &str| self.repo.commit_time(id);
        for i in 0..entries.len() {
            if matches!(entries[i].outcome, Outcome::Create { .. }) {
                written += self.create(j, &mut entries[i])?;
                done += 1;
                progress("apply", done, self.updates);
                let e = &entries[i];
                if matches!(e.applied, Some(Err(ApiError::CircuitOpen { .. }))) || stop_requested()
                {
                    break;
                }
                continue;
            }
            if !matches!(entries[i].outcome, Outcome::Update { .. }) {
                continue;
            }
            let older_than = (!self.reset).then_some(&time_of as plan::CommitTime);
            recheck.before_write(self.session, &mut entries[i..], older_than);
            let e = &mut entries[i];
            let Outcome::Update { page, .. } = &e.outcome else {
                // Another clone brought the page up to date after the scan: nothing of ours to undo.
                if let Some(p) = e.page() {
                    j.write(&Line::Skipped { page: p.id.clone() })?;
                }
                continue;
            };
            let page = page.id.clone();
            e.write(&self.session.client, &self.session.binding);
            if matches!(e.applied, Some(Ok(()))) {
                j.write(&Line::Done { page })?;
                written += 1;
            }
            done += 1;
            progress("apply", done, self.updates);
            if matches!(e.applied, Some(Err(ApiError::CircuitOpen { .. }))) || stop_requested() {
                break;
            }
        }
        // An apply stopped by an outage (a transient failure, or pages not tried) stays open: the next
        // apply resumes this journal, so that one `git notion undo` restores everything it changed.
        if !stopped_by_outage(entries) {
            j.write(&Line::End {
                at: jiff::Timestamp::now().as_second(),
                written,
            })?;
        }
        Ok(())
    }
}

impl Replay {
    /// Adds another database's replay of the same history to this one: its plan, its reads and its
    /// journal (the first journal is named; `undo` finds the others by it).
    pub fn absorb(&mut self, other: Replay) {
        self.history.commits = self.history.commits.max(other.history.commits);
        self.history.commits_with_refs = self
            .history
            .commits_with_refs
            .max(other.history.commits_with_refs);
        self.history.tickets.extend(other.history.tickets);
        self.entries.extend(other.entries);
        self.rows += other.rows;
        self.looked_up = match (self.looked_up, other.looked_up) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.scan_requests += other.scan_requests;
        self.lookup_requests += other.lookup_requests;
        self.requests = self.requests.max(other.requests);
        self.journal = self.journal.take().or(other.journal);
        self.resumed |= other.resumed;
        self.keys = self.keys.take().or(other.keys);
    }
}

/// The replay's `summary` (docs/json.md): what it read, the plan's counts, and what reading cost.
#[derive(serde::Serialize)]
pub struct ReplaySummary {
    commits_read: usize,
    commits_naming_tickets: usize,
    unreadable_commits: Vec<String>,
    tickets: usize,
    #[serde(flatten)]
    counts: plan::Summary,
    rows_scanned: usize,
    tickets_looked_up: Option<usize>,
    read: ReadCost,
    requests: u64,
    journal: Option<String>,
    resumed: bool,
}

/// What reading the data source cost, and how it was read (`scan`, `lookups`, `scan+lookups`).
#[derive(serde::Serialize)]
struct ReadCost {
    scan_requests: usize,
    lookup_requests: usize,
    strategy: &'static str,
}

impl ReplaySummary {
    /// The summary of a replay; `applied` false for a dry run.
    pub fn of(r: &Replay, applied: bool) -> ReplaySummary {
        ReplaySummary {
            commits_read: r.history.commits,
            commits_naming_tickets: r.history.commits_with_refs,
            unreadable_commits: r.history.unreadable.clone(),
            tickets: r.history.tickets.len(),
            counts: plan::Summary::of_run(&r.entries, applied),
            rows_scanned: r.rows,
            tickets_looked_up: r.looked_up,
            read: ReadCost {
                scan_requests: r.scan_requests,
                lookup_requests: r.lookup_requests,
                strategy: match (r.scan_requests, r.looked_up) {
                    (0, Some(_)) => "lookups",
                    (_, Some(_)) => "scan+lookups",
                    _ => "scan",
                },
            },
            requests: r.requests,
            journal: r.journal.as_ref().map(|p| p.display().to_string()),
            resumed: r.resumed,
        }
    }
}
