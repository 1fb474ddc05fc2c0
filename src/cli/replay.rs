//! The `git-notion-replay` binary: repair a drifted database from history.

use clap::Parser;

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
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
    use crate::pipeline::history::{self, Decide};
    use crate::replay;
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = load_config_overridden(&repo, env, &(&cli.overrides).into())?;
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let spec = walk_spec(&repo, cli)?;
    let decide = if cli.prefer.is_empty() {
        Decide::Latest
    } else {
        Decide::Prefer(cli.prefer.clone())
    };
    let released = history::Released::of(&repo, &rules, &spec)?;
    let history = history::history(&repo, &rules, &spec, &decide, &released, None)?;
    for w in &history.overflows {
        out.error(&format!("git-notion-replay: warning: {w}"));
    }
    let unreadable = history.unreadable.clone();
    if let Some(first) = unreadable.first() {
        out.error(&format!(
            "git-notion-replay: warning: {} commit(s) could not be read and were skipped (first: {first}); \
             the rest of history was read. Please report this",
            unreadable.len()
        ));
    }
    if history.tickets.is_empty() {
        if cli.json {
            // The same shape as a run with tickets, so that CI parses one format.
            let empty = replay::Replay {
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
            let v = serde_json::json!({
                "applied": cli.apply,
                "summary": replay::summary_json(&empty),
                "tickets": [],
            });
            out.json(v);
        } else {
            out.print(&format!(
                "{} commit(s) read; none names a ticket: nothing to do\n",
                history.commits
            ));
        }
        return Ok(Exit::partial_if(!unreadable.is_empty()));
    }
    let session = Session::connect(config, rules.clone(), env)?;
    let ob = Outbox::new(repo.common_dir());
    // One writer at a time per repository (the hooks' flusher waits meanwhile).
    let _writer = if cli.apply {
        Some(ob.writer_lock()?)
    } else {
        None
    };
    // Run by git (`git notion-replay`), the terminal's Ctrl-C would reach git too, and git passes one
    // more to us and, with SIGINT ignored by the shell, reaps us in its handler and fails (`waitpid …
    // failed`, exit 128): the apply takes the terminal's foreground for its own process group while it
    // runs, so Ctrl-C reaches it alone, once, as when the binary is called directly.
    let _terminal = if cli.apply {
        terminal::Foreground::take()
    } else {
        None
    };
    if cli.apply {
        // Ctrl-C: the page in flight is finished and journalled, then the apply stops (the journal stays
        // open, so running the same command again resumes it); a second Ctrl-C quits at once.
        let _ = ctrlc::set_handler(|| {
            if replay::stop_requested() {
                terminal::Foreground::give_back();
                std::process::exit(130);
            }
            replay::request_stop();
            above_progress(
                "git-notion-replay: stopping after the page in flight (Ctrl-C again quits at once; \
                 the journal resumes either way)",
            );
        });
    }
    // On a terminal: a spinner while reading, a bar with rate and ETA while writing; nothing on a pipe.
    let bar = if tty {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    // Waits for Notion's rate limit are said above the bar.
    set_progress(Some(bar.clone()));
    let progress = |what: &str, n: usize, total: usize| match what {
        "scan" => bar.set_message(format!(
            "scanning {}: {n} rows",
            session.binding.source_name
        )),
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
    };
    let r = replay::run(
        &repo,
        &session,
        history,
        repo.origin_url().as_deref(),
        replay::How {
            reset: cli.reset,
            apply: cli.apply,
            read: cli.read.into(),
        },
        progress,
    )?;
    bar.finish_and_clear();
    set_progress(None);
    remember_keys(&repo, &session, &r);
    if replay::stop_requested() {
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
        if cli.apply {
            crate::hooks::deliveries::record(ob.dir(), "replay", &r.entries);
        }
        return Ok(Exit::Interrupted);
    }
    if cli.apply {
        forget_delivered(&ob, &r.entries, &session.binding.source_name);
        crate::hooks::deliveries::record(ob.dir(), "replay", &r.entries);
    }
    let summary = Summary::of(&r.entries);
    let failed = summary.failed + summary.ambiguous;
    if cli.json {
        let entries: Vec<serde_json::Value> = r.entries.iter().map(entry_json).collect();
        let v = serde_json::json!({
            "applied": cli.apply,
            "summary": replay::summary_json(&r),
            "tickets": entries,
        });
        out.json(v);
        return Ok(Exit::partial_if(failed > 0 || !unreadable.is_empty()));
    }
    // Text from commits and Notion is made printable here, before git-notion adds its own styles.
    // The replay's own block below is the summary.
    let mut text = printable(&plan::render_entries(
        &r.entries,
        &session.binding.source_name,
        !cli.apply,
    ));
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
        bold(&format!(
            "replay: {} commit(s) read, {} name tickets; {} ticket(s)",
            r.history.commits,
            r.history.commits_with_refs,
            r.history.tickets.len()
        ))
    ));
    let verb = if cli.apply { "updated" } else { "to update" };
    let rows = [
        (
            verb,
            if cli.apply {
                summary.written
            } else {
                summary.to_update
            },
        ),
        ("already correct", summary.up_to_date),
        ("not found", summary.not_found),
        ("ambiguous", summary.ambiguous),
        ("errors", summary.failed),
    ];
    for (name, n) in rows {
        text.push_str(&format!("  {name:<16}{n:>6}\n"));
    }
    text.push_str(&format!(
        "  {:<16}{:>6}  ({} row(s) scanned of {})\n",
        "requests", r.requests, r.rows, session.binding.source_name
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
    out.print_styled(&text);
    Ok(Exit::partial_if(failed > 0 || !unreadable.is_empty()))
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
    let now = jiff::Timestamp::now().as_second();
    if let Some(all) = &r.keys {
        let _ = KeyIndex::replace(&dir, &b.data_source_id, b.status_names(), all.clone(), now);
    }
    let _ = KeyIndex::merge(&dir, &b.data_source_id, seen_in(&r.entries, b), now);
}
