//! The `git-notion-replay` binary: repair a drifted database from history.

use clap::Parser;

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::pipeline::databases;
use crate::pipeline::plan::{self, Summary};
use crate::pipeline::session::Session;

use super::*;

/// The `git-notion-replay` binary. Exit codes: 0 done or nothing to do (tickets without a page are
/// reported, not failures: sub-tickets often have none); 1 some pages could not be written, read, or
/// matched one-to-one (ambiguous); 2 usage or configuration error.
pub fn replay_main() -> std::process::ExitCode {
    let cli = match ReplayCli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    let env = env();
    let out = Out::new(&env);
    wait_out_long_limits();
    let tty = !cli.json && live_progress(&env, cli.color);
    let out = out.with_json(cli.json);
    let r = settings_readable(&env).and_then(|()| replay_cmd(&cli, &env, &out, tty));
    if let Err(e) = &r {
        out.failure("git-notion-replay", e, code(&r));
    }
    std::process::ExitCode::from(code(&r))
}

fn walk_spec(repo: &Repo, cli: &ReplayCli) -> Result<crate::git::WalkSpec, Error> {
    let mut spec = crate::git::WalkSpec {
        all: cli.all,
        first_parent: cli.first_parent,
        ..Default::default()
    };
    for r in &cli.revs {
        if r.contains("...") {
            return Err(Error::Usage(format!(
                "{r:?}: symmetric ranges (A...B) are not supported; use A..B"
            )));
        }
        if let Some((from, to)) = r.split_once("..") {
            spec.hidden
                .push(if from.is_empty() { "HEAD" } else { from }.to_string());
            spec.tips
                .push(if to.is_empty() { "HEAD" } else { to }.to_string());
        } else if let Some(h) = r.strip_prefix('^') {
            spec.hidden.push(h.to_string());
        } else {
            spec.tips.push(r.clone());
        }
    }
    if spec.tips.is_empty() && !spec.all {
        spec.tips.push("HEAD".into());
    }
    if let Some(since) = &cli.since {
        if repo.resolve(since).is_ok() {
            spec.hidden.push(since.clone());
        } else if let Ok(d) = since.parse::<jiff::civil::Date>() {
            spec.since = Some(
                d.to_zoned(jiff::tz::TimeZone::UTC)
                    .map_err(|e| Error::Usage(e.to_string()))?
                    .timestamp()
                    .as_second(),
            );
        } else if let Ok(t) = since.parse::<jiff::Timestamp>() {
            spec.since = Some(t.as_second());
        } else {
            return Err(Error::Usage(format!(
                "--since {since:?} is neither a revision nor a date (2025-10-01, or RFC 3339 like 2025-10-01T12:00:00Z)"
            )));
        }
    }
    Ok(spec)
}

fn replay_cmd(
    cli: &ReplayCli,
    env: &crate::config::Env,
    out: &Out,
    tty: bool,
) -> Result<Exit, Error> {
    use crate::replay;
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = load_config_overridden(&repo, env, &(&cli.overrides).into())?;
    let origin = repo.origin_url();
    let dbs = databases::of(&config, origin.as_deref())?;
    // History read once per database (its keys, its rules); warnings said once.
    let mut work = vec![];
    for (i, db) in dbs.iter().enumerate() {
        let history = read_history(&repo, &db.rules, cli, (i == 0).then_some(out))?;
        work.push((i, history));
    }
    let unreadable = work.iter().any(|(_, h)| !h.unreadable.is_empty());
    if work.iter().all(|(_, h)| h.tickets.is_empty()) {
        let (_, history) = work.swap_remove(0);
        nothing_to_do(history, cli, out);
        return Ok(Exit::partial_if(unreadable));
    }
    work.retain(|(_, h)| !h.tickets.is_empty());
    // Every database's schema checked before anything is written.
    let mut sessions = databases::Sessions::new();
    for (i, _) in &work {
        sessions.get(*i, &dbs[*i], env, None)?;
    }
    let ob = Outbox::new(repo.common_dir());
    let _held = if cli.apply {
        Some(Applying::start(&ob)?)
    } else {
        None
    };
    let how = replay::How {
        reset: cli.reset,
        apply: cli.apply,
        read: cli.read.into(),
        // Several databases: one journal each, named by one run (an interrupted one goes on).
        run: (dbs.len() > 1).then(|| {
            let dir = crate::replay::journal::dir(repo.common_dir());
            crate::replay::journal::run_to_resume(&dir)
                .unwrap_or_else(crate::replay::journal::new_run)
        }),
    };
    let runs = each_database(&repo, (&dbs, &mut sessions), work, &how, env, tty)?;
    finish(runs, cli, &ob, unreadable, out)
}

/// The replay of each database that has tickets, in turn (one run: its journals are undone together);
/// a page link kept in the database that holds it.
fn each_database(
    repo: &Repo,
    (dbs, sessions): (&[databases::Database], &mut databases::Sessions),
    work: Vec<(usize, crate::pipeline::history::History)>,
    how: &crate::replay::How,
    env: &crate::config::Env,
    tty: bool,
) -> Result<Vec<(String, crate::replay::Replay)>, Error> {
    use crate::replay::{self, journal};
    let journals = journal::dir(repo.common_dir());
    if let (Some(run), true) = (&how.run, how.apply) {
        journal::mark_run(&journals, run)?;
    }
    let origin = repo.origin_url();
    let mut runs: Vec<(String, replay::Replay)> = vec![];
    for (i, history) in work {
        let session = sessions.get(i, &dbs[i], env, None)?;
        let bar = Progress::new(tty, &session.binding.source_name);
        let r = replay::run(
            repo,
            session,
            history,
            origin.as_deref(),
            how.clone(),
            |w, n, t| bar.show(w, n, t),
        )?;
        bar.finish();
        remember_keys(repo, session, &r);
        runs.push((session.binding.source_name.clone(), r));
        if replay::stop_requested() {
            break;
        }
    }
    if let (Some(run), false) = (&how.run, replay::stop_requested()) {
        journal::unmark_run(&journals, run);
    }
    let mut plans: Vec<databases::Plan> = runs
        .iter_mut()
        .map(|(name, r)| databases::Plan {
            source_name: name.clone(),
            entries: std::mem::take(&mut r.entries),
        })
        .collect();
    databases::one_entry_per_page(&mut plans);
    for ((_, r), p) in runs.iter_mut().zip(plans) {
        r.entries = p.entries;
    }
    Ok(runs)
}

/// The replay's answer once every database is planned (and written): JSON or the report, the journal's
/// deliveries recorded.
fn finish(
    runs: Vec<(String, crate::replay::Replay)>,
    cli: &ReplayCli,
    ob: &Outbox,
    unreadable: bool,
    out: &Out,
) -> Result<Exit, Error> {
    use crate::replay;
    let names: Vec<String> = runs.iter().map(|(n, _)| n.clone()).collect();
    let mut all: Option<replay::Replay> = None;
    let mut text = String::new();
    // Per database: its name, the commits naming its tickets, its tickets.
    let mut read: Vec<(String, usize, usize)> = vec![];
    for (name, r) in runs {
        text.push_str(&printable(&plan::render_entries(
            &r.entries, &name, !cli.apply,
        )));
        read.push((
            name.clone(),
            r.history.commits_with_refs,
            r.history.tickets.len(),
        ));
        match &mut all {
            Some(a) => a.absorb(r),
            None => all = Some(r),
        }
    }
    let Some(r) = all else {
        return Ok(Exit::Done);
    };
    if replay::stop_requested() {
        interrupted(&r, cli.apply, ob, out);
        return Ok(Exit::Interrupted);
    }
    if cli.apply {
        forget_delivered(ob, &r.entries);
        crate::hooks::deliveries::record(ob.dir(), "replay", &r.entries);
    }
    let summary = Summary::of(&r.entries);
    let partial = summary.failed + summary.ambiguous > 0 || unreadable;
    if cli.json {
        out.json(serde_json::json!({
            "applied": cli.apply,
            "summary": replay::ReplaySummary::of(&r, cli.apply),
            "tickets": r.entries.iter().map(entry_json).collect::<Vec<_>>(),
        }));
    } else {
        text.push_str(&render(&r, &summary, (&names.join(", "), &read), cli));
        out.print_styled(&text);
    }
    Ok(Exit::partial_if(partial))
}

/// History read as the options say, with a warning for each commit naming too many keys and for commits
/// that could not be read.
fn read_history(
    repo: &Repo,
    rules: &crate::rules::desired::Rules,
    cli: &ReplayCli,
    out: Option<&Out>,
) -> Result<crate::pipeline::history::History, Error> {
    use crate::pipeline::history::{self, Decide};
    let spec = walk_spec(repo, cli)?;
    let decide = if cli.prefer.is_empty() {
        Decide::Latest
    } else {
        Decide::Prefer(cli.prefer.clone())
    };
    let released = history::Released::of(repo, rules, &spec)?;
    let history = history::history(repo, rules, &spec, &decide, &released, None)?;
    let Some(out) = out else {
        return Ok(history);
    };
    for w in &history.overflows {
        out.error(&format!("git-notion-replay: warning: {w}"));
    }
    if let Some(first) = history.unreadable.first() {
        out.error(&format!(
            "git-notion-replay: warning: {} commit(s) could not be read and were skipped (first: {first}); \
             the rest of history was read. Please report this",
            history.unreadable.len()
        ));
    }
    Ok(history)
}

/// No commit names a ticket: said, or under `--json` the same shape as a run with tickets (CI parses
/// one format).
fn nothing_to_do(history: crate::pipeline::history::History, cli: &ReplayCli, out: &Out) {
    if !cli.json {
        out.print(&format!(
            "{} commit(s) read; none names a ticket: nothing to do\n",
            history.commits
        ));
        return;
    }
    let empty = crate::replay::Replay {
        history,
        entries: vec![],
        rows: 0,
        looked_up: None,
        scan_requests: 0,
        lookup_requests: 0,
        requests: 0,
        journal: None,
        resumed: false,
        keys: None,
    };
    out.json(serde_json::json!({
        "applied": cli.apply,
        "summary": crate::replay::ReplaySummary::of(&empty, cli.apply),
        "tickets": [],
    }));
}

/// What an apply holds while it runs: the repository's writer lock (the hooks' flusher waits meanwhile),
/// the terminal's foreground, and Ctrl-C's handler.
struct Applying {
    _writer: std::fs::File,
    _terminal: Option<terminal::Foreground>,
}

impl Applying {
    fn start(ob: &Outbox) -> Result<Applying, Error> {
        let writer = ob.writer_lock()?;
        // Run by git (`git notion-replay`), the terminal's Ctrl-C would reach git too, and git passes one
        // more to us and, with SIGINT ignored by the shell, reaps us in its handler and fails (`waitpid …
        // failed`, exit 128): the apply takes the terminal's foreground for its own process group while
        // it runs, so Ctrl-C reaches it alone, once, as when the binary is called directly.
        let terminal = terminal::Foreground::take();
        // Ctrl-C: the page in flight is finished and journalled, then the apply stops (the journal stays
        // open, so running the same command again resumes it); a second Ctrl-C quits at once.
        let _ = ctrlc::set_handler(|| {
            if crate::replay::stop_requested() {
                terminal::Foreground::give_back();
                std::process::exit(i32::from(super::error::INTERRUPTED));
            }
            crate::replay::request_stop();
            above_progress(
                "git-notion-replay: stopping after the page in flight (Ctrl-C again quits at once; \
                 the journal resumes either way)",
            );
        });
        Ok(Applying {
            _writer: writer,
            _terminal: terminal,
        })
    }
}

/// On a terminal: a spinner while reading, a bar with rate and ETA while writing; nothing on a pipe.
/// Waits for Notion's rate limit are said above it.
struct Progress<'a> {
    bar: indicatif::ProgressBar,
    source_name: &'a str,
}

impl<'a> Progress<'a> {
    fn new(tty: bool, source_name: &'a str) -> Progress<'a> {
        let bar = if tty {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        set_progress(Some(bar.clone()));
        Progress { bar, source_name }
    }

    fn show(&self, what: &str, n: usize, total: usize) {
        let bar = &self.bar;
        match what {
            "scan" => bar.set_message(format!("scanning {}: {n} rows", self.source_name)),
            "lookup" => bar.set_message(format!("looking up tickets: {n}/{total}")),
            _ => {
                if bar.length() != Some(total as u64) {
                    bar.set_style(
                        indicatif::ProgressStyle::with_template(
                            "applying {bar:30} {pos}/{len} pages  {per_sec}  ETA {eta}",
                        )
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                    );
                    bar.set_length(total as u64);
                }
                bar.set_position(n as u64);
            }
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
        set_progress(None);
    }
}

/// Ctrl-C stopped the apply: what was written, and how to resume.
fn interrupted(r: &crate::replay::Replay, apply: bool, ob: &Outbox, out: &Out) {
    let s = Summary::of(&r.entries);
    out.error(&format!(
        "git-notion-replay: interrupted: {} of {} page(s) written; the journal {} stays open: run the \
         same command again to resume (`git notion undo` restores what was written)",
        s.written,
        s.to_update,
        r.journal
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    ));
    if apply {
        crate::hooks::deliveries::record(ob.dir(), "replay", &r.entries);
    }
}

/// The replay's human report: one line per ticket, then its own summary block (bold on a terminal).
fn render(
    r: &crate::replay::Replay,
    summary: &Summary,
    (source_name, read): (&str, &[(String, usize, usize)]),
    cli: &ReplayCli,
) -> String {
    // The entries were made printable before (text from commits and Notion), before git-notion adds
    // its own styles.
    let mut text = String::new();
    let colour = colour(cli.color);
    let bold = |s: &str| {
        let style = anstyle::Style::new().bold();
        if colour {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    };
    text.push_str(&format!(
        "\n{}\n",
        bold(&if read.len() > 1 {
            // Several databases: each says what it read (a commit may name tickets of both).
            let each: Vec<String> = read
                .iter()
                .map(|(name, with_refs, tickets)| {
                    format!("{name}: {with_refs} name tickets, {tickets} ticket(s)")
                })
                .collect();
            format!(
                "replay: {} commit(s) read; {}",
                r.history.commits,
                each.join("; ")
            )
        } else {
            format!(
                "replay: {} commit(s) read, {} name tickets; {} ticket(s)",
                r.history.commits,
                r.history.commits_with_refs,
                r.history.tickets.len()
            )
        })
    ));
    let (verb, changed) = if cli.apply {
        ("updated", summary.written)
    } else {
        ("to update", summary.to_update)
    };
    let rows = [
        (verb, changed),
        ("already correct", summary.up_to_date),
        ("not found", summary.not_found),
        ("ambiguous", summary.ambiguous),
        ("errors", summary.failed),
    ];
    for (name, n) in rows {
        text.push_str(&format!("  {name:<16}{n:>6}\n"));
    }
    text.push_str(&format!(
        "  {:<16}{:>6}  ({} row(s) scanned of {source_name})\n",
        "requests", r.requests, r.rows
    ));
    if let Some(n) = r.looked_up {
        text.push_str(&format!(
            "  (read: {} scan request(s), then the {n} ticket(s) looked up in {} batched request(s): cheaper than scanning the rest, or the scan could not page past rows sharing one created_time)\n",
            r.scan_requests, r.lookup_requests
        ));
    }
    match (&r.journal, cli.apply) {
        (Some(j), true) => text.push_str(&format!(
            "journal: {}{} (`git notion undo` restores)\n",
            j.display(),
            if r.resumed { ", resumed from an interrupted apply" } else { "" }
        )),
        (_, false) if summary.to_update > 0 => text.push_str(
            "dry run: nothing written; run again with --apply to write (journalled: `git notion undo` restores)\n",
        ),
        _ => {}
    }
    text
}

/// The terminal's foreground while an apply runs under git (see `replay_cmd`).
mod terminal {
    /// The process group that had the terminal's foreground, and the terminal, while this process holds
    /// it (0: not held).
    static HELD: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
    static TTY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

    /// Holds the foreground until dropped (or [`Foreground::give_back`]).
    pub(super) struct Foreground;

    impl Foreground {
        /// Takes the terminal's foreground for a new process group of this process, when this process
        /// runs in the foreground as part of another's group (git's): None otherwise (called directly
        /// from a shell, it leads its own group already; on a pipe there is no terminal).
        #[cfg(unix)]
        pub(super) fn take() -> Option<Foreground> {
            // SAFETY: plain system calls on this process and a terminal descriptor it opened; SIGTTOU is
            // ignored around tcsetpgrp (a background group may not change the foreground otherwise) and
            // restored after.
            unsafe {
                let fd = libc::open(c"/dev/tty".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
                if fd < 0 {
                    return None;
                }
                let group = libc::getpgrp();
                let foreground = libc::tcgetpgrp(fd);
                if foreground != group || group == libc::getpid() {
                    libc::close(fd);
                    return None;
                }
                let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                let ok = libc::setpgid(0, 0) == 0 && libc::tcsetpgrp(fd, libc::getpid()) == 0;
                libc::signal(libc::SIGTTOU, old);
                if !ok {
                    libc::setpgid(0, group);
                    libc::close(fd);
                    return None;
                }
                TTY.store(fd, std::sync::atomic::Ordering::SeqCst);
                HELD.store(group, std::sync::atomic::Ordering::SeqCst);
                Some(Foreground)
            }
        }

        #[cfg(not(unix))]
        pub(super) fn take() -> Option<Foreground> {
            None
        }

        /// Gives the foreground back to the group that had it (once; also from the Ctrl-C handler before
        /// an immediate exit).
        pub(super) fn give_back() {
            let group = HELD.swap(0, std::sync::atomic::Ordering::SeqCst);
            #[cfg(unix)]
            if group != 0 {
                let fd = TTY.load(std::sync::atomic::Ordering::SeqCst);
                // SAFETY: as in `take`.
                unsafe {
                    let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                    libc::tcsetpgrp(fd, group);
                    libc::signal(libc::SIGTTOU, old);
                }
            }
            #[cfg(not(unix))]
            let _ = group;
        }
    }

    impl Drop for Foreground {
        fn drop(&mut self) {
            Foreground::give_back();
        }
    }
}

/// The local index learns the data source's keys: all of them when the scan read it whole, else those the
/// plan looked up; then what the apply wrote (a cache for commit time: failing to write it fails nothing).
fn remember_keys(repo: &Repo, session: &Session, r: &crate::replay::Replay) {
    use crate::pipeline::key_index::{seen_in, KeyIndex};
    let dir = Outbox::new(repo.common_dir()).dir().to_path_buf();
    let b = &session.binding;
    let at = session.config.position();
    let now = jiff::Timestamp::now().as_second();
    if let Some(all) = &r.keys {
        let _ = KeyIndex::replace(
            &dir,
            at,
            &b.data_source_id,
            b.status_names(),
            all.clone(),
            now,
        );
    }
    let _ = KeyIndex::merge(&dir, at, &b.data_source_id, seen_in(&r.entries, b), now);
}
