//! Each command of `git-notion`: what its options ask of the output, and the function that runs it.

use super::*;

impl Command {
    /// `--json`: the answer is one JSON object on stdout.
    pub(super) fn json(&self) -> bool {
        match self {
            Command::Sync { json, .. }
            | Command::Flush { json, .. }
            | Command::Retry { json }
            | Command::Log { json, .. }
            | Command::Status { json, .. }
            | Command::Explain { json, .. }
            | Command::Index { json, .. }
            | Command::Backup { json, .. }
            | Command::Review { json, .. }
            | Command::History { json, .. }
            | Command::Restore { json, .. }
            | Command::BackfillIds { json, .. }
            | Command::Clear { json, .. }
            | Command::Doctor { json, .. }
            | Command::Hooks { json, .. }
            | Command::Undo { json, .. } => *json,
            Command::Hook { .. }
            | Command::Init { .. }
            | Command::Completions { .. }
            | Command::Manpages { .. } => false,
        }
    }

    /// A person waits for it: a long rate limit is waited out (and said) rather than left for later.
    pub(super) fn waits_out_long_limits(&self) -> bool {
        match self {
            Command::Flush { background, .. } => !background,
            Command::Sync { .. }
            | Command::Review { .. }
            | Command::Retry { .. }
            | Command::Undo { .. }
            | Command::Backup { .. }
            | Command::Restore { .. }
            | Command::BackfillIds { .. }
            | Command::Init { .. } => true,
            _ => false,
        }
    }

    /// The detached flusher the hooks start (`flush --background`).
    pub(super) fn is_background_flusher(&self) -> bool {
        matches!(
            self,
            Command::Flush {
                background: true,
                ..
            }
        )
    }

    /// It reads git-notion's settings from the environment (each must be UTF-8).
    pub(super) fn reads_settings(&self) -> bool {
        !matches!(
            self,
            Command::Hook { .. } | Command::Completions { .. } | Command::Manpages { .. }
        )
    }

    /// Runs the command; its exit code.
    pub(super) fn exec(self, env: &crate::config::Env, out: &Out) -> u8 {
        match self {
            Command::Hook {
                name: Some(name),
                args,
            } => hook(&name, &args, env, out),
            // Like every hook run, never an error: what it is for, and 0.
            Command::Hook { name: None, .. } => {
                warn(
                    out,
                    Some(format!(
                        "`git notion hook` needs the hook's name ({}, or auto); git runs it, and `git notion \
                         hooks install` sets that up",
                        crate::hooks::NAMES.join(", ")
                    )),
                );
                0
            }
            command => report(out, command.run(env, out)),
        }
    }

    /// Runs a command other than `hook`.
    fn run(self, env: &crate::config::Env, out: &Out) -> Result<Exit, Error> {
        match self {
            Command::Flush { background, json } => flush_cmd(background, json, None, env, out),
            Command::Status { stale: None, json } => status_cmd(json, env, out),
            Command::Status {
                stale: Some(days),
                json,
            } => backup::stale_cmd(days, json, env, out),
            Command::Log { n, json } => log_cmd(n, json, out),
            Command::Retry { json } => retry_cmd(json, env, out),
            Command::Clear { keys, yes, json } => clear_cmd(&keys, yes, json, out),
            Command::Doctor { json, fix, apply } => {
                doctor_cmd(json, crate::setup::doctor::Fix::of(fix, apply), env, out)
            }
            Command::Init {
                database,
                data_source,
                stdout,
                add: true,
                name,
                ..
            } => add_cmd(
                database.unwrap_or_default(),
                data_source,
                name,
                stdout,
                env,
                out,
            ),
            Command::Init {
                database,
                data_source,
                force,
                stdout,
                ..
            } => init_cmd(database, data_source, force, stdout, env, out),
            Command::Hooks { action, json } => hooks_cmd(action, json, env, out),
            Command::Explain { rev, json } => explain::explain_cmd(&rev, json, env, out),
            Command::Index { refresh, json } => index_cmd(refresh, json, env, out),
            Command::Backup { full, json } => backup::backup_cmd(full, json, env, out),
            Command::Review {
                event,
                dry_run,
                json,
            } => review::review_cmd(event.as_deref(), dry_run, json, env, out),
            Command::History { key, json } => backup::history_cmd(&key, json, env, out),
            Command::Restore {
                at,
                keys,
                apply,
                json,
            } => backup::restore_cmd(&at, &keys, apply, json, env, out),
            Command::BackfillIds {
                property,
                apply,
                json,
            } => backup::backfill_cmd(&property, apply, json, env, out),
            Command::Completions { shell } => docs::completions_cmd(shell, out),
            Command::Manpages { dir } => docs::man_cmd(&dir, out),
            Command::Undo {
                journal,
                apply,
                json,
            } => undo_cmd(journal, apply, json, env, out),
            Command::Sync {
                rev,
                dry_run,
                overrides,
                json,
            } => sync_cmd(&rev, dry_run, json, &(&overrides).into(), env, out),
            // Run by `exec`, never an error.
            Command::Hook { .. } => Ok(Exit::Done),
        }
    }
}

/// `git notion retry`: the failed updates back in the queue, then a flush.
fn retry_cmd(json: bool, env: &crate::config::Env, out: &Out) -> Result<Exit, Error> {
    let (ob, _) = open_outbox()?;
    let n = crate::hooks::flush::retry_failed(&ob, None)?;
    if !json {
        out.print(&format!("re-queued {n} failed update(s)\n"));
    }
    flush_cmd(false, json, Some(n), env, out)
}
