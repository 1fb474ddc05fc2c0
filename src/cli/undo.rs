//! `git notion undo`: restore what a replay changed, from its journal.

use std::path::PathBuf;

use super::Error;
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::pipeline::session;

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
    let dir = journal::dir(repo.common_dir());
    let path = match journal {
        // A name as the journal directory lists it (`git notion undo 20261205-….jsonl`).
        Some(p) if !p.exists() && p.components().count() == 1 && dir.join(&p).exists() => {
            dir.join(p)
        }
        Some(p) => p,
        None => journal::list(&dir)
            .pop()
            .ok_or(journal::JournalError::None { dir: dir.clone() })?,
    };
    let lines = journal::read(&path)?;
    let config = load_config(&repo, env)?;
    let client = session::connect_client(&config, env)?;
    let _writer = if apply {
        Some(Outbox::new(repo.common_dir()).writer_lock()?)
    } else {
        None
    };
    let mut entries = journal::undo_plan(&client, &lines)?;
    if apply {
        journal::undo_apply(&client, &path, &mut entries)?;
    }
    let to_restore = entries
        .iter()
        .filter(|e| !e.changes.is_empty() && e.error.is_none())
        .count();
    let restored = entries.iter().filter(|e| e.restored).count();
    let errors: Vec<&journal::UndoEntry> = entries.iter().filter(|e| e.error.is_some()).collect();
    let as_recorded = entries
        .iter()
        .filter(|e| e.changes.is_empty() && e.error.is_none())
        .count();
    if json {
        let v = serde_json::json!({
            "journal": path.display().to_string(),
            "pages": entries,
            "to_restore": to_restore,
            "restored": restored,
            "as_recorded": as_recorded,
            "errors": errors.len(),
            "requests": client.request_count(),
            "applied": apply,
        });
        out.json(v);
    } else {
        let mut text = format!("undo {}\n", path.display());
        for e in &entries {
            if let Some(err) = &e.error {
                text.push_str(&format!(
                    "{}  FAILED  {:?}\n    error: {err}\n",
                    e.key, e.title
                ));
                continue;
            }
            if e.changes.is_empty() {
                continue;
            }
            let verb = match (apply, e.restored) {
                (false, _) => "would restore",
                (true, true) => "restored",
                (true, false) => "not restored",
            };
            text.push_str(&format!("{}  {verb}  {:?}\n", e.key, e.title));
            for (prop, (now, before)) in &e.changes {
                text.push_str(&format!("    {prop}: {now:?} → {before:?}\n"));
            }
        }
        let ended = lines.iter().any(|l| matches!(l, Line::End { .. }));
        text.push_str(&format!(
            "{} page(s) to restore, {} already as recorded, {} error(s); {} request(s){}\n",
            to_restore,
            as_recorded,
            errors.len(),
            client.request_count(),
            if ended {
                ""
            } else {
                " (the replay was interrupted; every recorded page is covered)"
            }
        ));
        if apply {
            text.push_str(&format!("restored {restored} page(s)\n"));
        } else if to_restore > 0 {
            text.push_str("dry run: nothing written; run again with --apply to restore\n");
        }
        out.print(&text);
    }
    Ok(Exit::partial_if(!errors.is_empty()))
}
