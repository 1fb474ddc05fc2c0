//! `git notion sync`: bring the tickets a commit names to what history says of them.

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::pipeline::databases;
use crate::pipeline::plan::{self, Summary};
use crate::pipeline::session::{self, Session};

use super::*;

pub(super) fn sync_cmd(
    rev: &str,
    dry_run: bool,
    json: bool,
    overrides: &crate::config::Overrides,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = load_config_overridden(&repo, env, overrides)?;
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let commit = repo.resolve(rev)?;
    if !dry_run {
        // What moved without a hook seeing it is queued for the flusher.
        Outbox::new(repo.common_dir()).catch_up(&repo)?;
    }
    let keys = keys_of(&rules, &commit, out);
    let answer = |entries: &[plan::Entry]| out.json(sync_json(&commit, dry_run, entries));
    if keys.is_empty() {
        if json {
            answer(&[]);
        } else {
            let short = commit.id.get(..12).unwrap_or(&commit.id);
            out.print(&format!(
                "{short}: {:?} names no ticket; nothing to do\n",
                commit.subject()
            ));
        }
        return Ok(Exit::Done);
    }
    let outbox = Outbox::new(repo.common_dir());
    let budget = crate::pipeline::budget::recall(outbox.dir());
    let dbs = databases::of(&config, repo.origin_url().as_deref())?;
    let mut sessions = databases::Sessions::new();
    let work = databases::connect_each(&dbs, &keys, &mut sessions, env, budget);
    let mut plans = vec![];
    for (i, mine) in work? {
        let session = sessions.get(i, &dbs[i], env, budget)?;
        let mine = mine.into_iter().collect();
        let entries = bring_up_to_date(&repo, session, &commit, &mine, dry_run);
        let source_name = session.binding.source_name.clone();
        crate::pipeline::budget::keep(outbox.dir(), sessions.client());
        plans.push(databases::Plan {
            source_name,
            entries: entries?,
        });
    }
    databases::one_entry_per_page(&mut plans);
    Ok(report(&plans, dry_run, json.then_some(&answer), out))
}

/// Writes a plan's JSON answer.
pub(super) type Answer<'a> = dyn Fn(&[plan::Entry]) + 'a;

/// A plan's answer: JSON (`answer`) or the plan as text, database by database; exit 1 when a ticket
/// was not brought up to date.
pub(super) fn report(
    plans: &[databases::Plan],
    dry_run: bool,
    answer: Option<&Answer>,
    out: &Out,
) -> Exit {
    let all: Vec<plan::Entry> = plans.iter().flat_map(|p| p.entries.clone()).collect();
    match answer {
        Some(answer) => answer(&all),
        None => {
            let mut text: String = plans
                .iter()
                .map(|p| plan::render_entries(&p.entries, &p.source_name, dry_run))
                .collect();
            text.push_str(&plan::summary_line(&all, dry_run));
            out.print(&text);
        }
    }
    Exit::partial_if(Summary::of(&all).has_problems())
}

/// `sync --json` (docs/json.md).
fn sync_json(
    commit: &crate::git::Commit,
    dry_run: bool,
    entries: &[plan::Entry],
) -> serde_json::Value {
    serde_json::json!({
        "commit": {"id": commit.id, "subject": commit.subject()},
        "dry_run": dry_run,
        "tickets": entries.iter().map(entry_json).collect::<Vec<_>>(),
        "summary": Summary::of_run(entries, !dry_run),
    })
}

/// The tickets a commit names, with a warning when it names more (or longer keys) than are read.
fn keys_of(
    rules: &crate::rules::desired::Rules,
    commit: &crate::git::Commit,
    out: &Out,
) -> std::collections::HashSet<crate::rules::tickets::TicketKey> {
    let (keys, overflow) = rules.keys_noted(commit);
    if overflow.any() {
        let short = commit.id.get(..12).unwrap_or(&commit.id);
        out.error(&format!("git-notion: warning: {}", overflow.warning(short)));
    }
    keys.into_iter().collect()
}

/// What history says of these tickets, as the hooks and the replay deliver it (a commit no branch
/// reaches, a dangling one named by its id, speaks for itself): planned, and unless `dry_run` written.
/// The local index learns what the lookups found (a dry run too: it read the pages).
fn bring_up_to_date(
    repo: &Repo,
    session: &Session,
    commit: &crate::git::Commit,
    keys: &std::collections::HashSet<crate::rules::tickets::TicketKey>,
    dry_run: bool,
) -> Result<Vec<plan::Entry>, Error> {
    let rules = &session.rules;
    let ob = Outbox::new(repo.common_dir());
    let _writer = if dry_run {
        None
    } else {
        Some(ob.writer_lock()?)
    };
    let mut tracks = session::history_tracks(repo, rules, keys)?;
    for t in session::tracks(rules, &[(commit, false)], |_, _| true) {
        if !tracks.iter().any(|h| h.key == t.key) {
            tracks.push(t);
        }
    }
    let read_at = jiff::Timestamp::now().as_second();
    let mut entries = session.plan(repo, repo.origin_url().as_deref(), &tracks);
    if !dry_run {
        // What another clone wrote since the plan's read is read again, then each page is written.
        let time_of = |id: &str| repo.commit_time(id);
        let mut recheck = session::Recheck::new(read_at);
        for i in 0..entries.len() {
            recheck.before_write(session, &mut entries[i..], Some(&time_of));
            session.apply(&mut entries[i..=i]);
        }
        crate::hooks::deliveries::record(ob.dir(), "sync", &entries);
        forget_delivered(&ob, &entries);
    }
    let _ = crate::pipeline::key_index::KeyIndex::merge(
        ob.dir(),
        session.config.position(),
        &session.binding.data_source_id,
        crate::pipeline::key_index::seen_in(&entries, &session.binding),
        read_at,
    );
    Ok(entries)
}

/// Drops the failed records of tickets a command has just delivered (a page created since, say).
pub(super) fn forget_delivered(ob: &Outbox, entries: &[plan::Entry]) {
    let done: Vec<_> = entries
        .iter()
        .filter(|e| e.delivery(&e.database) == plan::Delivery::Done)
        .map(|e| e.desired.key.clone())
        .collect();
    let _ = crate::hooks::flush::forget_failed(ob, &done);
}
