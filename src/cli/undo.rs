//! `git notion undo`: restore what a replay changed, from its journal.

use std::path::PathBuf;

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::pipeline::{plan, session};

use super::*;

pub(super) fn undo_cmd(
    journal: Option<PathBuf>,
    apply: bool,
    json: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    use crate::replay::journal::{self, Line};
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let paths = journal_paths(&repo, journal)?;
    let config = load_config(&repo, env)?;
    let client = session::connect_client(config.databases()[0], env)?;
    let _writer = if apply {
        Some(Outbox::new(repo.common_dir()).writer_lock()?)
    } else {
        None
    };
    // A replay over several databases wrote one journal per database: restored together.
    let mut entries = vec![];
    let mut ended = true;
    for path in &paths {
        let lines = journal::read(path)?;
        ended &= lines.iter().any(|l| matches!(l, Line::End { .. }));
        let mut these = journal::undo_plan(&client, &lines)?;
        if apply {
            journal::undo_apply(&client, path, &mut these)?;
        }
        entries.extend(these);
    }
    let counts = Counts::of(&entries, client.request_count());
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if json {
        out.json(serde_json::json!({
            "journal": names.first(),
            "pages": entries,
            "to_restore": counts.to_restore,
            "restored": counts.restored,
            "as_recorded": counts.as_recorded,
            "errors": counts.errors,
            "requests": counts.requests,
            "applied": apply,
        }));
    } else {
        out.print(&render(&names.join(", "), &entries, &counts, apply, ended));
    }
    Ok(Exit::partial_if(counts.errors > 0))
}

/// The journals named (a path, or a name as the journal directory lists it:
/// `git notion undo 20261205-….jsonl`), else the newest run's (one per database).
fn journal_paths(repo: &Repo, journal: Option<PathBuf>) -> Result<Vec<PathBuf>, Error> {
    use crate::replay::journal;
    let dir = journal::dir(repo.common_dir());
    Ok(match journal {
        Some(p) if !p.exists() && p.components().count() == 1 && dir.join(&p).exists() => {
            vec![dir.join(p)]
        }
        Some(p) => vec![p],
        None => {
            let run = journal::newest_run(&dir);
            if run.is_empty() {
                return Err(journal::JournalError::None { dir: dir.clone() }.into());
            }
            run
        }
    })
}

/// What an undo found and did, counted.
struct Counts {
    to_restore: usize,
    restored: usize,
    as_recorded: usize,
    errors: usize,
    requests: u64,
}

impl Counts {
    fn of(entries: &[crate::replay::journal::UndoEntry], requests: u64) -> Counts {
        let count = |f: &dyn Fn(&crate::replay::journal::UndoEntry) -> bool| {
            entries.iter().filter(|e| f(e)).count()
        };
        Counts {
            to_restore: count(&|e| !e.changes.is_empty() && e.error.is_none()),
            restored: count(&|e| e.restored),
            as_recorded: count(&|e| e.changes.is_empty() && e.error.is_none()),
            errors: count(&|e| e.error.is_some()),
            requests,
        }
    }
}

/// A page that changes (what would be, or was, restored) or failed; nothing for one as recorded.
fn page_lines(e: &crate::replay::journal::UndoEntry, apply: bool) -> String {
    if let Some(err) = &e.error {
        return format!("{}  FAILED  {:?}\n    error: {err}\n", e.key, e.title);
    }
    if e.changes.is_empty() {
        return String::new();
    }
    let verb = match (apply, e.restored) {
        (false, _) => "would restore",
        (true, true) => "restored",
        (true, false) => "not restored",
    };
    let mut text = format!("{}  {verb}  {:?}\n", e.key, e.title);
    for (prop, (now, before)) in &e.changes {
        let (now, before) = (plan::quote(now), plan::quote(before));
        text.push_str(&format!("    {prop}: {now} → {before}\n"));
    }
    text
}

/// The undo's human report: each page that changes (or failed), then the counts.
fn render(
    path: &str,
    entries: &[crate::replay::journal::UndoEntry],
    c: &Counts,
    apply: bool,
    ended: bool,
) -> String {
    let mut text = format!("undo {path}\n");
    for e in entries {
        text.push_str(&page_lines(e, apply));
    }
    text.push_str(&format!(
        "{} page(s) to restore, {} already as recorded, {} error(s); {} request(s){}\n",
        c.to_restore,
        c.as_recorded,
        c.errors,
        c.requests,
        if ended {
            ""
        } else {
            " (the replay was interrupted; every recorded page is covered)"
        }
    ));
    if apply {
        text.push_str(&format!("restored {} page(s)\n", c.restored));
    } else if c.to_restore > 0 {
        text.push_str("dry run: nothing written; run again with --apply to restore\n");
    }
    text
}
