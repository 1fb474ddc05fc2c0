//! The queue as people see it: `git notion flush`, `status`, `clear` (and `retry`, which is flush).

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::pipeline::plan;

use super::*;

pub(super) fn open_outbox() -> Result<(Outbox, Repo), Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    Ok((Outbox::new(repo.common_dir()), repo))
}

/// `flush` (and `retry`, which re-queued `requeued_failed` first).
/// A flush's exit: as `sync`'s for the same cause (2 when the user must change something: a data source
/// that does not exist, a refused token), else 1 while anything waits or failed.
fn flush_exit(r: &crate::hooks::flush::Report) -> Exit {
    if r.cause.as_ref().is_some_and(|e| !e.is_transient()) {
        return Exit::Declined;
    }
    Exit::partial_if(r.error.is_some() || r.failed + r.requeued > 0)
}

pub(super) fn flush_cmd(
    background: bool,
    json: bool,
    requeued_failed: Option<usize>,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let (ob, repo) = open_outbox()?;
    let config =
        crate::config::Config::load(&repo.root(), super::user_config_path().as_deref(), env);
    if !background {
        // Without a token nothing can be delivered: a configuration error (exit 2), the updates kept.
        let waiting = {
            let guard = ob.lock()?;
            !guard.pending()?.events.is_empty()
                || guard.has_sightings()
                || !guard.failed()?.is_empty()
        };
        if waiting {
            crate::config::Token::from_env(env)?;
        }
    }
    // A person asking: tickets that had no page are looked up again (one may exist now).
    let r = crate::hooks::flush::flush(
        &ob,
        &repo,
        config.as_ref().map_err(crate::pipeline::Reason::of_config),
        env,
        !background,
        None,
        !background && config.is_ok(),
    )?;
    if background {
        return Ok(Exit::Done);
    }
    // Updates wait with the reason; the error itself is what the user must fix.
    config?;
    if json {
        let mut v = serde_json::json!({
            "delivered": r.delivered,
            "still_queued": r.requeued,
            "failed": r.failed,
            "error": r.error,
            "tickets": r.entries.iter().map(entry_json).collect::<Vec<_>>(),
        });
        if let Some(n) = requeued_failed {
            v["requeued_failed"] = n.into();
        }
        out.json(v);
        return Ok(flush_exit(&r));
    }
    if !r.entries.is_empty() {
        // The per-ticket lines; the flush line below is the summary.
        out.print(&plan::render_entries(&r.entries, &r.source_name, false));
    }
    // "Not delivered": what left the queue in a named state (no page, ambiguous, rejected), as the
    // per-ticket lines above say.
    out.print(&format!(
        "flush: {} delivered, {} still queued, {} not delivered\n",
        r.delivered, r.requeued, r.failed
    ));
    if r.delivered == 0 {
        // Usually the background flusher has delivered already: say what and when.
        if let Some(d) = crate::hooks::deliveries::last_change(ob.dir()) {
            out.print(&format!(
                "last delivery: {} (`git notion log` lists them)\n",
                delivery_line(&d)
            ));
        }
    }
    if let Some(e) = &r.error {
        out.error(&format!("git-notion: error: {e}"));
    }
    Ok(flush_exit(&r))
}

pub(super) fn status_cmd(json: bool, env: &crate::config::Env, out: &Out) -> Result<Exit, Error> {
    let st = Status::read(env)?;
    let now = jiff::Timestamp::now().as_second();
    if json {
        out.json(serde_json::json!({
            "pending": st.pending.events,
            "failed": st.failed,
            "damaged": st.damaged,
            "last_flush": st.pending.last_flush,
            "last_delivery": st.last_delivery,
            "index": st.index.as_ref().map(|ix| index_json(ix, now)),
        }));
    } else {
        out.print(&st.render(now));
    }
    Ok(Exit::Done)
}

/// What `status` shows: the queue, the undelivered, the last flush and delivery, the index, damaged files.
struct Status {
    pending: crate::hooks::outbox::Pending,
    failed: Vec<crate::hooks::outbox::Failure>,
    damaged: Vec<String>,
    last_delivery: Option<crate::hooks::deliveries::Delivery>,
    index: Option<crate::pipeline::key_index::KeyIndex>,
}

impl Status {
    fn read(env: &crate::config::Env) -> Result<Status, Error> {
        let (ob, repo) = open_outbox()?;
        // What moved without a hook seeing it is queued (and shown) now.
        ob.catch_up(&repo)?;
        let guard = ob.lock()?;
        let mut pending = guard.pending()?;
        // Updates a hook wrote down unread (its fast path) are shown as the flusher will read them.
        let sightings = guard.sightings()?;
        let failed = guard.failed()?;
        drop(guard);
        if !sightings.is_empty() {
            let rules = load_config(&repo, env).ok().and_then(|c| {
                crate::rules::desired::Rules::new(&c, repo.origin_url().as_deref()).ok()
            });
            for s in &sightings {
                pending
                    .events
                    .extend(crate::hooks::sighting::read(&repo, rules.as_ref(), s));
            }
        }
        Ok(Status {
            pending,
            failed,
            damaged: ob
                .damaged()
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            last_delivery: crate::hooks::deliveries::last_change(ob.dir()),
            index: crate::pipeline::key_index::KeyIndex::read_all(
                ob.dir(),
                &load_config(&repo, env).map_or_else(|_| vec![0], |c| c.positions()),
            ),
        })
    }

    fn render(&self, now: i64) -> String {
        let mut text = self.pending_lines();
        text.push_str(&self.failed_lines());
        match &self.pending.last_flush {
            Some(l) => text.push_str(&format!(
                "last flush: {} ({} delivered, {} queued again, {} not delivered{})\n",
                when(l.at),
                l.delivered,
                l.requeued,
                l.failed,
                l.error
                    .as_ref()
                    .map(|e| format!("; {e}"))
                    .unwrap_or_default()
            )),
            None => text.push_str("last flush: never\n"),
        }
        if let Some(d) = &self.last_delivery {
            text.push_str(&format!("last delivery: {}\n", delivery_line(d)));
        }
        match &self.index {
            Some(ix) => text.push_str(&format!("index: {}\n", ix.describe(now))),
            None => text.push_str("index: none yet (`git notion index --refresh`)\n"),
        }
        if !self.damaged.is_empty() {
            text.push_str(&format!(
                "damaged: {} file(s) set aside because they could not be read; review (`git notion sync <commit>` \
                 re-sends a commit's updates), then delete them\n",
                self.damaged.len()
            ));
            for d in &self.damaged {
                text.push_str(&format!("  {d}\n"));
            }
        }
        text
    }

    /// The queue, one line per event (with its attempts and reason once tried).
    fn pending_lines(&self) -> String {
        let mut text = format!("pending: {}\n", self.pending.events.len());
        for e in &self.pending.events {
            let keys: Vec<String> = e.keys.iter().map(ToString::to_string).collect();
            text.push_str(&format!(
                "  {}  {}  {:?}  queued {}",
                &e.commit.id[..12.min(e.commit.id.len())],
                keys.join(" "),
                e.commit.subject(),
                when(e.queued_at)
            ));
            if e.attempts > 0 {
                text.push_str(&format!(
                    ", {} attempt(s), next try after {}: {}",
                    e.attempts,
                    when(e.next_try),
                    printable(e.last_error.as_ref().map_or("", |r| r.message.as_str()))
                ));
            }
            text.push('\n');
        }
        text
    }

    /// Undelivered, by named state: what needs a change in Notion or history.
    fn failed_lines(&self) -> String {
        let mut text = String::new();
        for state in [
            plan::Settled::NoPage,
            plan::Settled::Ambiguous,
            plan::Settled::Rejected,
        ] {
            let group: Vec<_> = self.failed.iter().filter(|f| f.state == state).collect();
            if group.is_empty() {
                continue;
            }
            text.push_str(&format!("{}: {}\n", state.label(), group.len()));
            for f in group {
                text.push_str(&format!(
                    "  {}  {}  {:?}: {}\n",
                    f.key,
                    f.event.commit.id.get(..12).unwrap_or(&f.event.commit.id),
                    f.event.commit.subject(),
                    printable(&f.reason.message)
                ));
            }
        }
        if !self.failed.is_empty() {
            text.push_str(
                "  (`git notion clear KEY…` dismisses; `git notion retry` tries again; `git notion flush` \
                 looks up tickets without a page again)\n",
            );
        }
        text
    }
}

pub(super) fn clear_cmd(keys: &[String], yes: bool, json: bool, out: &Out) -> Result<Exit, Error> {
    let said = |text: String, dropped: usize| {
        if json {
            out.json(serde_json::json!({"keys": keys, "dropped": dropped}));
        } else {
            out.print(&text);
        }
    };
    let (ob, _) = open_outbox()?;
    let guard = ob.lock()?;
    if !keys.is_empty() {
        let list = keys.join(", ");
        return Ok(match drop_keys(&guard, keys)? {
            0 => {
                said(format!("nothing pending or undelivered for {list}\n"), 0);
                Exit::Partial
            }
            n => {
                said(format!("dismissed {n} update(s) of {list}\n"), n);
                Exit::Done
            }
        });
    }
    clear_all(&guard, yes, json, out, &said)
}

/// Drops everything pending and undelivered, after asking (unless `yes`).
fn clear_all(
    guard: &crate::hooks::outbox::Guard,
    yes: bool,
    json: bool,
    out: &Out,
    said: &dyn Fn(String, usize),
) -> Result<Exit, Error> {
    let mut pending = guard.pending()?;
    let (np, nf) = (pending.events.len(), guard.failed()?.len());
    if np + nf == 0 {
        said("nothing to clear\n".into(), 0);
        return Ok(Exit::Done);
    }
    if !yes {
        match confirmed(np, nf, out) {
            Some(true) => {}
            Some(false) => {
                said("kept everything\n".into(), 0);
                return Ok(Exit::Partial);
            }
            None => {
                if json {
                    said(String::new(), 0);
                }
                return Ok(Exit::Declined);
            }
        }
    }
    pending.events.clear();
    guard.set_pending(&pending)?;
    guard.set_failed(&[])?;
    said(
        format!("dropped {np} pending and {nf} failed update(s)\n"),
        np + nf,
    );
    Ok(Exit::Done)
}

/// Drops the pending and undelivered updates of the keys named (as written, or a page's link or id);
/// returns how many.
fn drop_keys(guard: &crate::hooks::outbox::Guard, keys: &[String]) -> Result<usize, Error> {
    let named = |k: &crate::rules::tickets::TicketKey| {
        keys.iter().any(|a| {
            *a == k.to_string()
                || matches!(k, crate::rules::tickets::TicketKey::Page(id)
                    if crate::id::normalize(a).as_deref() == Some(id.as_str()))
        })
    };
    let mut pending = guard.pending()?;
    let mut failed = guard.failed()?;
    let before = failed.len();
    failed.retain(|f| !named(&f.key));
    let mut dropped = before - failed.len();
    // An event left without keys had only these (one whose keys are not known yet stays).
    let had_keys: std::collections::HashSet<String> = pending
        .events
        .iter()
        .filter(|e| !e.keys.is_empty())
        .map(|e| e.id.clone())
        .collect();
    for e in pending.events.iter_mut() {
        let n = e.keys.len();
        e.keys.retain(|k| !named(k));
        dropped += n - e.keys.len();
    }
    pending
        .events
        .retain(|e| !e.keys.is_empty() || !had_keys.contains(&e.id));
    guard.set_pending(&pending)?;
    guard.set_failed(&failed)?;
    Ok(dropped)
}

/// Asks before dropping everything: Some(answer) on a terminal, None (and why) without one.
fn confirmed(np: usize, nf: usize, out: &Out) -> Option<bool> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        out.error(&format!(
            "git-notion: error: this drops {np} pending and {nf} failed update(s); run `git notion clear --yes` to confirm"
        ));
        return None;
    }
    eprint!("Drop {np} pending and {nf} failed update(s)? [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    Some(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// One delivery in a line: when, who, the ticket, its page, what changed.
fn delivery_line(d: &crate::hooks::deliveries::Delivery) -> String {
    let what = match &d.error {
        Some(e) => format!("FAILED: {}", printable(e)),
        None => {
            let mut parts: Vec<String> = d
                .changes
                .iter()
                .map(|c| {
                    if c.from.is_empty() {
                        format!("{} → {}", c.property, printable(&c.to))
                    } else {
                        format!(
                            "{} {} → {}",
                            c.property,
                            printable(&c.from),
                            printable(&c.to)
                        )
                    }
                })
                .collect();
            if d.comments_posted > 0 {
                parts.push(format!("{} comment(s)", d.comments_posted));
            }
            parts.join("; ")
        }
    };
    format!(
        "{}  {}  {}  page {}  {}  (commit {})",
        when(d.at),
        d.by,
        d.key,
        d.page.get(..8).unwrap_or(&d.page),
        what,
        d.commit.get(..12).unwrap_or(&d.commit)
    )
}

/// `git notion log`: the last deliveries, newest first.
pub(super) fn log_cmd(n: usize, json: bool, out: &Out) -> Result<Exit, Error> {
    let (ob, _) = open_outbox()?;
    let found = crate::hooks::deliveries::last(ob.dir(), n);
    if json {
        out.json(serde_json::json!({ "deliveries": found }));
        return Ok(Exit::Done);
    }
    if found.is_empty() {
        out.print("no delivery recorded yet (the hooks, `flush`, `sync` and `git notion-replay --apply` record theirs)\n");
        return Ok(Exit::Done);
    }
    let mut text = String::new();
    for d in &found {
        text.push_str(&delivery_line(d));
        text.push('\n');
    }
    out.print(&text);
    Ok(Exit::Done)
}

/// The local index's summary, as `status --json` and `index --json` show it.
pub(super) fn index_json(ix: &crate::pipeline::key_index::KeyIndex, now: i64) -> serde_json::Value {
    serde_json::json!({
        "data_source": ix.source,
        "keys": ix.entries.len(),
        "refreshed_at": ix.refreshed,
        "updated_at": ix.updated,
        "fresh": ix.fresh(now),
    })
}

/// Reads one database whole into its index; says what it read.
fn refresh_index(
    ob: &Outbox,
    repo: &Repo,
    config: crate::config::Config,
    env: &crate::config::Env,
) -> Result<String, Error> {
    use crate::pipeline::key_index::{of_pages, KeyIndex};
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let at = config.position();
    let session = crate::pipeline::session::Session::connect(config, rules, env)?;
    let b = &session.binding;
    let scanned = crate::pipeline::scan::scan(
        &session.client,
        &b.data_source_id,
        &b.read_ids(),
        None,
        |_| {},
    )?;
    let ix = crate::pipeline::lookup::Index::new(&scanned.pages, b, &session.rules.extractor);
    KeyIndex::replace(
        ob.dir(),
        at,
        &b.data_source_id,
        b.status_names(),
        of_pages(&ix),
        jiff::Timestamp::now().as_second(),
    )
    .map_err(|source| Error::Io {
        what: format!("write the index in {}", ob.dir().display()),
        source,
    })?;
    Ok(format!(
        "read {} rows of {} in {} request(s){}\n",
        scanned.pages.len(),
        b.source_name,
        scanned.requests,
        if scanned.complete {
            ""
        } else {
            " (not every row: more rows than one query returns share a creation minute)"
        }
    ))
}

/// `git notion index [--refresh]`: the local index of the database's keys; `--refresh` reads the data
/// source whole (one request per 100 rows) and replaces it.
pub(super) fn index_cmd(
    refresh: bool,
    json: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    use crate::pipeline::key_index::KeyIndex;
    let (ob, repo) = open_outbox()?;
    let mut note = String::new();
    let config = match load_config(&repo, env) {
        Err(e) if refresh => return Err(e),
        c => c.ok(),
    };
    for db in config
        .iter()
        .filter(|_| refresh)
        .flat_map(|c| c.databases())
    {
        note.push_str(&refresh_index(&ob, &repo, db.clone(), env)?);
    }
    let now = jiff::Timestamp::now().as_second();
    let positions = config.map_or_else(|| vec![0], |c| c.positions());
    let index = KeyIndex::read_all(ob.dir(), &positions);
    if json {
        out.json(serde_json::json!({
            "index": index.as_ref().map(|ix| index_json(ix, now)),
        }));
        return Ok(Exit::Done);
    }
    out.print(&note);
    match index {
        Some(ix) => out.print(&format!(
            "index: {} ({})\n",
            ix.describe(now),
            ob.dir().join(crate::pipeline::key_index::FILE).display()
        )),
        None => out.print(
            "index: none yet; `git notion index --refresh` reads the data source whole (a flush, sync or \
             replay also add what they look up)\n",
        ),
    }
    Ok(Exit::Done)
}
