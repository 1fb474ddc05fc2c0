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
            | Command::Status { json }
            | Command::Explain { json, .. }
            | Command::Index { json, .. }
            | Command::Clear { json, .. }
            | Command::Doctor { json }
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
            | Command::Retry { .. }
            | Command::Undo { .. }
            | Command::Init { .. } => true,
            _ => false,
        }
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
            Command::Flush { background, json } => {
                report(out, flush_cmd(background, json, None, env, out))
            }
            Command::Status { json } => report(out, status_cmd(json, env, out)),
            Command::Log { n, json } => report(out, log_cmd(n, json, out)),
            Command::Retry { json } => report(out, retry_cmd(json, env, out)),
            Command::Clear { keys, yes, json } => report(out, clear_cmd(&keys, yes, json, out)),
            Command::Doctor { json } => report(out, doctor_cmd(json, env, out)),
            Command::Init {
                database,
                data_source,
                force,
                stdout,
            } => report(
                out,
                init_cmd(database, data_source, force, stdout, env, out),
            ),
            Command::Hooks { action, json } => report(out, hooks_cmd(action, json, out)),
            Command::Explain { rev, json } => {
                report(out, explain::explain_cmd(&rev, json, env, out))
            }
            Command::Index { refresh, json } => report(out, index_cmd(refresh, json, env, out)),
            Command::Completions { shell } => report(out, docs::completions_cmd(shell, out)),
            Command::Manpages { dir } => report(out, docs::man_cmd(&dir, out)),
            Command::Undo {
                journal,
                apply,
                json,
            } => report(out, undo_cmd(journal, apply, json, env, out)),
            Command::Sync {
                rev,
                dry_run,
                overrides,
                json,
            } => report(
                out,
                sync_cmd(&rev, dry_run, json, &(&overrides).into(), env, out),
            ),
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
