//! The flusher: drains the outbox through the core pipeline. One flusher at a time; events are merged per
//! ticket (the latest commit wins), and removed only once Notion has them. Transient failures stay queued
//! with their attempt count and next-try time; permanent ones move to `failed` with the reason.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::config::Config;
use crate::desired::{Rules, Track};
use crate::git::Commit;
use crate::outbox::{now, Event, Failure, LastFlush, Outbox, OutboxError};
use crate::plan::{Delivery, Entry};
use crate::sync::Session;
use crate::tickets::TicketKey;

/// What one flush did.
#[derive(Debug, Default)]
pub struct Report {
    pub delivered: usize,
    pub requeued: usize,
    pub failed: usize,
    /// The plan entries, for a human report.
    pub entries: Vec<Entry>,
    /// Why nothing could be sent (token, schema, Notion down), if so.
    pub error: Option<String>,
    /// Another flusher was running; this one did nothing.
    pub busy: bool,
    /// The data source's name, once connected.
    pub source_name: String,
}

/// Seconds to wait before trying a transient failure again: 30 s doubling, at most an hour.
pub fn retry_delay(attempts: u32) -> i64 {
    (30i64 << attempts.saturating_sub(1).min(7)).min(3600)
}

/// The tickets of `events`, each with the effects of its commits gathered (oldest first by commit time,
/// then queue order; a commit on a release branch in any event counts as released: a post-merge event
/// reports the commits a branch brought), in order of first appearance in that order; and the `origin`
/// of the latest event.
fn merge(rules: &Rules, events: &[Event]) -> (Vec<Track>, Option<String>) {
    struct Seen<'a> {
        commit: &'a Commit,
        released: bool,
        keys: Vec<&'a TicketKey>,
    }
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by_key(|e| (e.commit.time, e.queued_at));
    let mut commits: Vec<Seen> = vec![];
    for e in sorted {
        let released = rules.is_release(e.branch.as_deref());
        match commits.iter_mut().find(|c| c.commit.id == e.commit.id) {
            Some(c) => {
                c.released |= released;
                c.keys.extend(&e.keys);
            }
            None => commits.push(Seen {
                commit: &e.commit,
                released,
                keys: e.keys.iter().collect(),
            }),
        }
    }
    let list: Vec<(&Commit, bool)> = commits.iter().map(|c| (c.commit, c.released)).collect();
    let tracks = crate::sync::tracks(rules, &list, |i, key| commits[i].keys.contains(&key));
    let origin = events
        .iter()
        .max_by_key(|e| e.queued_at)
        .and_then(|e| e.origin_url.clone());
    (tracks, origin)
}

/// Drains the outbox. `wait`: wait for a running flusher instead of leaving the work to it. `deadline`:
/// stop starting new tickets after it (foreground hooks). Returns what it did; errors only for the
/// outbox's own files.
pub fn flush(
    outbox: &Outbox,
    config: &Config,
    env: &[(String, String)],
    wait: bool,
    deadline: Option<Instant>,
) -> Result<Report, OutboxError> {
    let Some(mut flusher) = outbox.flusher_lock(wait)? else {
        return Ok(Report {
            busy: true,
            ..Report::default()
        });
    };
    // Hooks may have left their fsync to the flusher (see `outbox`): make what they wrote durable first.
    outbox.sync_files();
    let mut report = Report::default();
    let mut session: Option<Session> = None;
    // Every pending event once: the first pass takes all (a new commit or a `flush` is the moment to try
    // again), later passes only events queued meanwhile.
    let mut seen: std::collections::HashSet<String> = Default::default();
    loop {
        let mut run = |report: &mut Report| {
            drain(
                outbox,
                config,
                env,
                deadline,
                report,
                &mut session,
                &mut seen,
            )
        };
        match run(&mut report) {
            // The damaged file has been set aside: go on with a fresh one, and say so.
            Err(e @ OutboxError::Damaged { .. }) => {
                report.error = Some(e.to_string());
                run(&mut report)?;
            }
            other => other?,
        }
        drop(flusher);
        // A hook that saw this flusher running left its events to it: look once more after letting go.
        let unseen = outbox
            .lock()?
            .pending()?
            .events
            .iter()
            .any(|e| !seen.contains(&e.id));
        if !unseen || report.error.is_some() || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match outbox.flusher_lock(false)? {
            Some(l) => flusher = l,
            None => break,
        }
    }
    Ok(report)
}

/// Passes over the pending events until none is left that this flush has not tried.
fn drain(
    outbox: &Outbox,
    config: &Config,
    env: &[(String, String)],
    deadline: Option<Instant>,
    report: &mut Report,
    session: &mut Option<Session>,
    seen: &mut std::collections::HashSet<String>,
) -> Result<(), OutboxError> {
    loop {
        let pending = {
            let guard = outbox.lock()?;
            // Only what is written in outbox.json is delivered (see `outbox`): never twice after a crash.
            guard.fold_queue()?;
            guard.pending()?
        };
        let due: Vec<Event> = pending
            .events
            .into_iter()
            .filter(|e| seen.insert(e.id.clone()))
            .collect();
        if due.is_empty() {
            break;
        }
        if session.is_none() {
            match Session::connect(config.clone(), env) {
                Ok(s) => {
                    report.source_name = s.binding.source_name.clone();
                    *session = Some(s)
                }
                Err(e) => {
                    let msg = e.to_string();
                    let transient = crate::cli::exit_code(&e) == 1;
                    settle(
                        outbox,
                        &due,
                        &BTreeMap::new(),
                        Some((&msg, transient)),
                        report,
                    )?;
                    report.error = Some(msg);
                    break;
                }
            }
        }
        let s = session.as_ref().expect("connected");
        let mut outcomes: BTreeMap<TicketKey, Delivery> = BTreeMap::new();
        let (tracks, origin) = merge(&s.rules, &due);
        for track in tracks {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let Some(mut entry) = s.plan_one(origin.as_deref(), &track) else {
                // The commits ask nothing of it any more (say, `[skip notion]` under a newer config).
                outcomes.insert(track.key.clone(), Delivery::Done);
                continue;
            };
            s.apply(std::slice::from_mut(&mut entry));
            outcomes.insert(track.key.clone(), entry.delivery(&s.binding.source_name));
            report.entries.push(entry);
        }
        settle(outbox, &due, &outcomes, None, report)?;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    let guard = outbox.lock()?;
    let mut p = guard.pending()?;
    p.last_flush = Some(LastFlush {
        at: now(),
        delivered: report.delivered,
        requeued: report.requeued,
        failed: report.failed,
        error: report.error.clone(),
    });
    guard.set_pending(&p)
}

/// Writes back what happened to `due`: delivered keys leave, transient ones stay with their attempt
/// count and next try, permanent ones move to `failed`. `all` applies one outcome to every key.
fn settle(
    outbox: &Outbox,
    due: &[Event],
    outcomes: &BTreeMap<TicketKey, Delivery>,
    all: Option<(&str, bool)>,
    report: &mut Report,
) -> Result<(), OutboxError> {
    let guard = outbox.lock()?;
    let mut pending = guard.pending()?;
    let mut failed = guard.failed()?;
    let t = now();
    for d in due {
        let Some(pos) = pending.events.iter().position(|e| e.id == d.id) else {
            continue;
        };
        let mut keep = vec![];
        let mut last_error = None;
        for key in &d.keys {
            let outcome = match all {
                Some((msg, true)) => Delivery::Retry(msg.to_string()),
                Some((msg, false)) => Delivery::Permanent(msg.to_string()),
                None => match outcomes.get(key) {
                    Some(o) => o.clone(),
                    // Not reached before the deadline.
                    None => {
                        keep.push(key.clone());
                        continue;
                    }
                },
            };
            match outcome {
                Delivery::Done => report.delivered += 1,
                Delivery::Retry(msg) => {
                    report.requeued += 1;
                    keep.push(key.clone());
                    last_error = Some(msg);
                }
                Delivery::Permanent(reason) => {
                    report.failed += 1;
                    failed.push(Failure {
                        event: d.clone(),
                        key: key.clone(),
                        reason,
                        failed_at: t,
                    });
                }
            }
        }
        if keep.is_empty() {
            pending.events.remove(pos);
        } else {
            let e = &mut pending.events[pos];
            e.keys = keep;
            if last_error.is_some() {
                e.attempts += 1;
                e.next_try = t + retry_delay(e.attempts);
                e.last_error = last_error;
            }
        }
    }
    guard.set_pending(&pending)?;
    if !failed.is_empty() || all.is_some_and(|(_, transient)| !transient) {
        guard.set_failed(&failed)?;
    }
    Ok(())
}

/// Moves failed updates back to pending (`git notion retry`). Returns how many.
pub fn retry_failed(outbox: &Outbox) -> Result<usize, OutboxError> {
    let guard = outbox.lock()?;
    let failed = guard.failed()?;
    let mut pending = guard.pending()?;
    let n = failed.len();
    for f in failed {
        let mut e = f.event;
        e.keys = vec![f.key];
        e.attempts = 0;
        e.next_try = 0;
        e.last_error = None;
        e.queued_at = now();
        pending.seq += 1;
        e.id = format!(
            "{}-{}",
            &e.commit.id[..12.min(e.commit.id.len())],
            pending.seq
        );
        pending.events.push(e);
    }
    guard.set_pending(&pending)?;
    guard.set_failed(&[])?;
    Ok(n)
}
