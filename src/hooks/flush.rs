//! The flusher: drains the outbox through the core pipeline. One flusher at a time. The events say which
//! tickets to bring up to date; what each page should say is computed from history exactly as
//! `git notion-replay --all` computes it ([`crate::pipeline::session::history_tracks`]), so the order in which hooks saw
//! commits, outages and retries never decide a page's final state. A ticket leaves the queue once Notion has
//! it; whatever a person can fix later stays pending with its reason; only no page, several pages or a
//! refused value (400) leave it undelivered, as named states in `failed`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Instant;

use crate::config::Config;
use crate::git::Repo;
use crate::hooks::outbox::{now, Event, Failure, LastFlush, Outbox, OutboxError, Sighting};
use crate::pipeline::databases::{self, Sessions};
use crate::pipeline::plan::{Delivery, Entry, Settled};
use crate::pipeline::session::Session;
use crate::pipeline::{Reason, ReasonKind};
use crate::rules::desired::Rules;
use crate::rules::tickets::TicketKey;

/// What one flush did.
#[derive(Debug, Default)]
pub struct Report {
    /// Ticket updates Notion now has (written, or already up to date).
    pub delivered: usize,
    /// Ticket updates left queued for a later try, with their reason.
    pub requeued: usize,
    /// Ticket updates that left the queue in a named state (no page, ambiguous, rejected).
    pub failed: usize,
    /// The plan entries, for a human report.
    pub entries: Vec<Entry>,
    /// Why nothing could be sent (token, configuration, schema, Notion down), if so.
    pub error: Option<Reason>,
    /// The data source's name, once connected.
    pub source_name: String,
    /// Why connecting failed, as the error itself (a missing data source, a refused token), so the
    /// command line gives it the same exit code `sync` gives it.
    pub cause: Option<crate::pipeline::Error>,
}

/// Seconds to wait before trying a transient failure again: 30 s doubling, at most an hour.
pub fn retry_delay(attempts: u32) -> i64 {
    (30i64 << attempts.saturating_sub(1).min(7)).min(3600)
}

/// The tickets an event asks to bring up to date: the keys its hook found, or, for a hook that could not
/// read the configuration (or did not parse, as `reference-transaction`), the keys the current rules find.
fn event_keys(rules: &Rules, e: &Event) -> Vec<TicketKey> {
    if e.keys.is_empty() {
        rules.keys(&e.commit)
    } else {
        e.keys.clone()
    }
}

/// Drains the outbox. `config`: the configuration, or why it cannot be loaded (the events then stay
/// pending with that reason). `wait`: wait for a running flusher instead of leaving the work to it.
/// `deadline`: stop starting new tickets after it (foreground hooks). `look_up_again`: tickets that had no
/// page go back to the queue first (`git notion flush`: one may exist now), under the flusher lock, so no
/// background flusher takes them from this flush's report. Errors only for the outbox's files.
pub fn flush(
    outbox: &Outbox,
    repo: &Repo,
    config: Result<&Config, Reason>,
    env: &crate::config::Env,
    wait: bool,
    deadline: Option<Instant>,
    look_up_again: bool,
) -> Result<Report, OutboxError> {
    let Some(mut flusher) = outbox.flusher_lock(wait)? else {
        return Ok(Report::default());
    };
    prepare(outbox, repo, look_up_again)?;
    let mut report = Report::default();
    let mut sessions = Sessions::new();
    // Every pending event once: the first pass takes all (a new commit or a `flush` is the moment to try
    // again), later passes only events queued meanwhile.
    let mut seen: HashSet<String> = Default::default();
    // Sightings (the hooks' fast path) are read into events with the rules; without them (a configuration
    // that cannot be read yet) every commit is kept and its tickets found once it is fixed.
    let rules = rules_with_releases(outbox, repo, config.as_ref().ok().copied())?;
    let read = |s: &Sighting| super::sighting::read(repo, rules.as_ref(), s);
    let pass = Pass {
        outbox,
        repo,
        config,
        env,
        deadline,
        read: &read,
        by: deliverer(deadline, wait),
    };
    loop {
        pass.round(&mut report, &mut sessions, &mut seen)?;
        crate::pipeline::budget::keep(outbox.dir(), sessions.client());
        drop(flusher);
        if !pass.more(&seen)? || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        match outbox.flusher_lock(false)? {
            Some(l) => flusher = l,
            None => break,
        }
    }
    Ok(report)
}

/// The rules of the configuration (None: it cannot be read yet), after queuing what the release tags made
/// since the last pass ship (see `releases`).
fn rules_with_releases(
    outbox: &Outbox,
    repo: &Repo,
    config: Option<&Config>,
) -> Result<Option<Rules>, OutboxError> {
    let rules = config.and_then(|c| Rules::new(c, repo.origin_url().as_deref()).ok());
    if let Some(r) = &rules {
        super::releases::catch_up(outbox, repo, r)?;
    }
    Ok(rules)
}

/// Who delivers, for the delivery log: a foreground hook, `git notion flush`, or the detached flusher.
fn deliverer(deadline: Option<Instant>, wait: bool) -> &'static str {
    match (deadline, wait) {
        (Some(_), _) => "hook",
        (None, true) => "flush",
        (None, false) => "flusher",
    }
}

/// Before a flush: tickets without a page back in the queue (when asked), the hooks' writes made durable,
/// and what moved without a hook seeing it queued.
fn prepare(outbox: &Outbox, repo: &Repo, look_up_again: bool) -> Result<(), OutboxError> {
    if look_up_again {
        retry_failed(outbox, Some(&[Settled::NoPage]))?;
    }
    // Hooks may have left their fsync to the flusher (see `outbox`): make what they wrote durable first.
    outbox.sync_files();
    // What moved without a hook seeing it (a reset, a fetch, hooks switched off) is queued first.
    if let Err(e) = outbox.catch_up(repo) {
        if matches!(e, OutboxError::Damaged { .. }) {
            outbox.catch_up(repo)?;
        }
    }
    Ok(())
}

struct Pass<'a> {
    outbox: &'a Outbox,
    repo: &'a Repo,
    config: Result<&'a Config, Reason>,
    env: &'a crate::config::Env,
    deadline: Option<Instant>,
    /// Reads a sighting into its events.
    read: &'a dyn Fn(&Sighting) -> Vec<Event>,
    /// Who delivers, for the delivery log.
    by: &'static str,
}

impl Pass<'_> {
    /// One round under the flusher lock: the pending events drained; those queued meanwhile held with
    /// the same reason when nothing could be sent.
    fn round(
        &self,
        report: &mut Report,
        sessions: &mut Sessions,
        seen: &mut HashSet<String>,
    ) -> Result<(), OutboxError> {
        if report.error.is_none() {
            match self.drain(report, sessions, seen) {
                // The damaged file has been set aside: go on with a fresh one, and say so.
                Err(e @ OutboxError::Damaged { .. }) => {
                    report.error = Some(Reason::new(ReasonKind::Outbox, e.to_string()));
                    self.drain(report, sessions, seen)?;
                }
                other => other?,
            }
        }
        // A hook that saw this flusher running left its events to it: look once more.
        let unseen: Vec<Event> = {
            let guard = self.outbox.lock()?;
            guard.fold_queue_with(self.read)?;
            guard.pending()?
        }
        .events
        .into_iter()
        .filter(|e| !seen.contains(&e.id))
        .collect();
        if let (Some(reason), false) = (report.error.clone(), unseen.is_empty()) {
            // Nothing could be sent a moment ago: they wait with the same reason, untried.
            seen.extend(unseen.iter().map(|e| e.id.clone()));
            self.hold(&unseen, &reason, report)?;
        }
        Ok(())
    }

    /// Something was queued that this flush has not seen (after it let go of the flusher lock).
    fn more(&self, seen: &HashSet<String>) -> Result<bool, OutboxError> {
        let guard = self.outbox.lock()?;
        Ok(guard.has_sightings()
            || guard
                .pending()?
                .events
                .iter()
                .any(|e| !seen.contains(&e.id)))
    }

    /// Passes over the pending events until none is left that this flush has not tried.
    fn drain(
        &self,
        report: &mut Report,
        sessions: &mut Sessions,
        seen: &mut HashSet<String>,
    ) -> Result<(), OutboxError> {
        loop {
            let pending = {
                let guard = self.outbox.lock()?;
                // Only what is written in outbox.json is delivered (see `outbox`): never twice after a crash.
                guard.fold_queue_with(self.read)?;
                guard.pending()?
            };
            let due: Vec<Event> = pending
                .events
                .into_iter()
                .filter(|e| seen.insert(e.id.clone()))
                .collect();
            if due.is_empty() || !self.batch(&due, report, sessions)? {
                break;
            }
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        let guard = self.outbox.lock()?;
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

    /// Delivers one batch of due events, or holds them with the reason nothing could be sent. Returns
    /// whether to go on with the next batch. Each database's keys go through its own session.
    fn batch(
        &self,
        due: &[Event],
        report: &mut Report,
        sessions: &mut Sessions,
    ) -> Result<bool, OutboxError> {
        let (rules, dbs) = match self.rules() {
            Ok(cr) => cr,
            Err(reason) => {
                self.hold(due, &reason, report)?;
                return Ok(false);
            }
        };
        let keys: Vec<Vec<TicketKey>> = due.iter().map(|e| event_keys(&rules, e)).collect();
        let wanted: BTreeSet<TicketKey> = keys.iter().flatten().cloned().collect();
        if wanted.is_empty() {
            settle(self.outbox, due, &keys, &BTreeMap::new(), report)?;
            return Ok(true);
        }
        let split = databases::split(&dbs, &wanted);
        let budget = crate::pipeline::budget::recall(self.outbox.dir());
        let mut outcomes = self.connect(&dbs, (&split, &wanted), sessions, budget, report);
        if outcomes.len() == wanted.len() {
            // No database could be reached: everything waits with the reason.
            let reason = report.error.clone().unwrap_or_else(|| {
                Reason::new(
                    ReasonKind::Config,
                    "no configured database takes these tickets",
                )
            });
            self.hold(due, &reason, report)?;
            return Ok(false);
        }
        // One writer at a time per repository: `sync`, the replay and `undo` wait here too. A
        // foreground hook (a deadline) does not wait: its updates stay queued.
        let writer = if self.deadline.is_some() {
            self.outbox.try_writer_lock()?
        } else {
            Some(self.outbox.writer_lock()?)
        };
        let Some(_writer) = writer else {
            let busy = Reason::new(
                ReasonKind::Busy,
                "another git-notion command is writing to Notion; queued for later",
            );
            self.hold(due, &busy, report)?;
            return Ok(false);
        };
        for (i, mine) in split.iter().enumerate().filter(|(_, m)| !m.is_empty()) {
            let Ok(s) = sessions.get(i, &dbs[i], self.env, budget) else {
                continue;
            };
            let only: HashSet<TicketKey> = mine.iter().cloned().collect();
            match crate::pipeline::session::history_tracks(self.repo, &s.rules, &only) {
                Ok(tracks) => {
                    let several = dbs.len() > 1;
                    for (k, d) in self.deliver(s, mine, tracks, several, report) {
                        keep_found(&mut outcomes, k, d);
                    }
                }
                Err(e) => {
                    drop(_writer);
                    self.hold(due, &Reason::of_error(&e), report)?;
                    return Ok(false);
                }
            }
        }
        drop(_writer);
        settle(self.outbox, due, &keys, &outcomes, report)?;
        Ok(true)
    }

    /// The whole configuration's rules (every database's keys) and each database, or why not.
    fn rules(&self) -> Result<(Rules, Vec<databases::Database>), Reason> {
        let origin = self.repo.origin_url();
        match &self.config {
            Ok(c) => Rules::new(c, origin.as_deref())
                .and_then(|r| Ok((r, databases::of(c, origin.as_deref())?)))
                .map_err(|e| Reason::of_config(&e)),
            Err(reason) => Err(reason.clone()),
        }
    }

    /// Connects the session of each database that has keys (nothing is written before they are
    /// checked). Returns the keys of the databases that could not be reached (and of none in use), each
    /// to retry with why.
    fn connect(
        &self,
        dbs: &[databases::Database],
        (split, wanted): (&[BTreeSet<TicketKey>], &BTreeSet<TicketKey>),
        sessions: &mut Sessions,
        budget: Option<u32>,
        report: &mut Report,
    ) -> BTreeMap<TicketKey, Delivery> {
        let mut outcomes = BTreeMap::new();
        for k in wanted
            .iter()
            .filter(|k| !split.iter().any(|m| m.contains(*k)))
        {
            // Only when GIT_NOTION_DATABASE picks one database of several for the hooks.
            let why = format!("{k} belongs to none of the databases in use (GIT_NOTION_DATABASE)");
            outcomes.insert(
                k.clone(),
                Delivery::Retry(Reason::new(ReasonKind::Config, why)),
            );
        }
        for (i, mine) in split.iter().enumerate().filter(|(_, m)| !m.is_empty()) {
            if let Err(e) = sessions.get(i, &dbs[i], self.env, budget) {
                // No token, a token Notion refuses, a property that does not exist yet, Notion down:
                // all can be fixed later, so every update stays pending with the reason.
                let reason = Reason::of_error(&e);
                for k in mine {
                    outcomes.insert(k.clone(), Delivery::Retry(reason.clone()));
                }
                report.error = Some(reason);
                report.cause = Some(e);
            }
        }
        report.source_name = sessions.names();
        outcomes
    }

    /// Plans and applies each wanted ticket from its history track (a ticket history no longer names, say
    /// after an amend removed it, asks nothing: done).
    fn deliver(
        &self,
        s: &Session,
        wanted: &BTreeSet<TicketKey>,
        tracks: Vec<crate::rules::desired::Track>,
        several: bool,
        report: &mut Report,
    ) -> BTreeMap<TicketKey, Delivery> {
        let origin = self.repo.origin_url();
        let mut outcomes = BTreeMap::new();
        let mut by_key: BTreeMap<TicketKey, crate::rules::desired::Track> =
            tracks.into_iter().map(|t| (t.key.clone(), t)).collect();
        let mut tracks = vec![];
        for key in wanted {
            match by_key.remove(key) {
                Some(t) => tracks.push(t),
                None => {
                    outcomes.insert(key.clone(), Delivery::Done);
                }
            }
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return outcomes;
        }
        // Every page in a few batched queries, then one write (and its comments) per ticket; what another
        // clone wrote since the read is read again before writing (`Recheck`).
        let read_at = now();
        let mut entries = s.plan(self.repo, origin.as_deref(), &tracks);
        if several {
            // A page link this database does not hold is another's: said by none here.
            entries.retain(|e| {
                let elsewhere = matches!(e.desired.key, TicketKey::Page(_))
                    && matches!(e.outcome, crate::pipeline::plan::Outcome::NotFound);
                if elsewhere {
                    outcomes.insert(e.desired.key.clone(), e.delivery(&s.binding.source_name));
                }
                !elsewhere
            });
        }
        let time_of = |id: &str| self.repo.commit_time(id);
        let mut recheck = crate::pipeline::session::Recheck::new(read_at);
        for t in &tracks {
            if !entries.iter().any(|e| e.desired.key == t.key) {
                outcomes.insert(t.key.clone(), Delivery::Done);
            }
        }
        let mut done = 0;
        while done < entries.len() {
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            recheck.before_write(s, &mut entries[done..], Some(&time_of));
            let entry = &mut entries[done];
            s.apply(std::slice::from_mut(entry));
            super::deliveries::record(self.outbox.dir(), self.by, std::slice::from_ref(entry));
            outcomes.insert(
                entry.desired.key.clone(),
                entry.delivery(&s.binding.source_name),
            );
            done += 1;
        }
        // The local index learns what the lookups found (a cache for commit time; never a reason to fail).
        let _ = crate::pipeline::key_index::KeyIndex::merge(
            self.outbox.dir(),
            s.config.position(),
            &s.binding.data_source_id,
            crate::pipeline::key_index::seen_in(&entries, &s.binding),
            now(),
        );
        report.entries.extend(entries.drain(..done));
        outcomes
    }

    /// Keeps every key of `due` pending with `reason` (nothing could be tried).
    fn hold(&self, due: &[Event], reason: &Reason, report: &mut Report) -> Result<(), OutboxError> {
        let keys: Vec<Vec<TicketKey>> = due.iter().map(|e| e.keys.clone()).collect();
        let mut outcomes = BTreeMap::new();
        for k in keys.iter().flatten() {
            outcomes.insert(k.clone(), Delivery::Retry(reason.clone()));
        }
        settle_with(self.outbox, due, &keys, &outcomes, Some(reason), report)?;
        report.error = Some(reason.clone());
        Ok(())
    }
}

/// One database's outcome for a key, kept unless another database's says more (a page link found by one
/// database and not by the others).
fn keep_found(outcomes: &mut BTreeMap<TicketKey, Delivery>, key: TicketKey, d: Delivery) {
    let no_page = |d: &Delivery| matches!(d, Delivery::Settled(Settled::NoPage, _));
    match outcomes.get(&key) {
        Some(before) if !no_page(before) || no_page(&d) => {}
        _ => {
            outcomes.insert(key, d);
        }
    }
}

fn settle(
    outbox: &Outbox,
    due: &[Event],
    keys: &[Vec<TicketKey>],
    outcomes: &BTreeMap<TicketKey, Delivery>,
    report: &mut Report,
) -> Result<(), OutboxError> {
    settle_with(outbox, due, keys, outcomes, None, report)
}

/// Writes back what happened to `due` (each with its keys): delivered keys leave, keys to retry stay with
/// their attempt count, next try and reason, settled ones move to `failed` in their named state. `held`:
/// nothing was tried; an event whose keys are not known yet stays as it is, with the reason.
fn settle_with(
    outbox: &Outbox,
    due: &[Event],
    keys: &[Vec<TicketKey>],
    outcomes: &BTreeMap<TicketKey, Delivery>,
    held: Option<&Reason>,
    report: &mut Report,
) -> Result<(), OutboxError> {
    let guard = outbox.lock()?;
    let mut pending = guard.pending()?;
    let mut failed = guard.failed()?;
    let failed_before = failed.len();
    let t = now();
    for (d, keys) in due.iter().zip(keys) {
        let Some(pos) = pending.events.iter().position(|e| e.id == d.id) else {
            continue;
        };
        if let (Some(reason), true) = (held, keys.is_empty()) {
            let e = &mut pending.events[pos];
            e.attempts += 1;
            e.next_try = t + retry_delay(e.attempts);
            e.last_error = Some(reason.clone());
            report.requeued += 1;
            continue;
        }
        let mut keep = vec![];
        let mut last_error = None;
        for key in keys {
            match outcomes.get(key).cloned() {
                Some(Delivery::Done) => report.delivered += 1,
                Some(Delivery::Retry(msg)) => {
                    report.requeued += 1;
                    keep.push(key.clone());
                    last_error = Some(msg);
                }
                Some(Delivery::Settled(state, reason)) => {
                    report.failed += 1;
                    // One record per key: the newest says it.
                    failed.retain(|f| f.key != *key);
                    failed.push(Failure {
                        event: d.slim(key),
                        key: key.clone(),
                        state,
                        reason,
                        failed_at: t,
                        // Looked up again with the same outcome: said once already.
                        warned: d.said == Some(state),
                    });
                }
                // Not reached before the deadline.
                None => keep.push(key.clone()),
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
    if failed.len() != failed_before || report.failed > 0 {
        guard.set_failed(&failed)?;
    }
    Ok(())
}

/// Moves failed updates back to pending (`git notion retry`; `only`: just these states). Returns how many.
pub fn retry_failed(outbox: &Outbox, only: Option<&[Settled]>) -> Result<usize, OutboxError> {
    let guard = outbox.lock()?;
    let failed = guard.failed()?;
    let mut pending = guard.pending()?;
    let (back, stay): (Vec<Failure>, Vec<Failure>) = failed
        .into_iter()
        .partition(|f| only.is_none_or(|states| states.contains(&f.state)));
    let n = back.len();
    if n == 0 {
        return Ok(0);
    }
    for f in back {
        let mut e = f.event;
        e.keys = vec![f.key];
        e.said = f.warned.then_some(f.state);
        e.attempts = 0;
        e.next_try = 0;
        e.last_error = None;
        e.queued_at = now();
        pending.seq += 1;
        e.id = format!(
            "{}-r{}",
            e.commit.id.get(..12).unwrap_or(&e.commit.id),
            pending.seq
        );
        pending.events.push(e);
    }
    guard.set_pending(&pending)?;
    guard.set_failed(&stay)?;
    Ok(n)
}

/// Drops the failed records of these keys (`git notion clear KEY…`, or a replay that delivered them).
/// Returns how many were dropped.
pub fn forget_failed(outbox: &Outbox, keys: &[TicketKey]) -> Result<usize, OutboxError> {
    if !outbox.exists() {
        return Ok(0);
    }
    let guard = outbox.lock()?;
    let mut failed = guard.failed()?;
    let before = failed.len();
    failed.retain(|f| !keys.contains(&f.key));
    if failed.len() != before {
        guard.set_failed(&failed)?;
    }
    Ok(before - failed.len())
}
