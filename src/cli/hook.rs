//! The hooks as the command line runs them: `git-notion hook NAME`, the binary linked as a hook, and the
//! hooks' own small binary (`git-notion-hook`); what a hook tells ([`Notes`]) written as its one line.

use crate::hooks::{Note, Notes};

use super::*;

/// What a hook tells, as its one warning line (None: nothing to say).
fn hook_line(notes: Notes) -> Option<String> {
    let parts: Vec<String> = notes.0.into_iter().map(note_text).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The warning of a hook that cannot write the outbox (said on every commit until it is fixed).
fn not_queued(error: &crate::hooks::outbox::OutboxError, commits: usize) -> String {
    let what = if commits == 0 {
        "commits naming tickets cannot be queued for Notion".to_string()
    } else {
        format!("the Notion updates of {commits} commit(s) could not be recorded")
    };
    format!(
        "NOT QUEUED: {error}; {what}. Make the directory writable (or free disk space), then run \
         `git notion-replay --apply` to repair"
    )
}

fn note_text(note: Note) -> String {
    match note {
        Note::NotQueued { error, commits } => not_queued(&error, commits),
        Note::ConfigWaits(reason) => format!(
            "{reason}; the commit's Notion updates wait in the queue until it is fixed (`git notion doctor`)"
        ),
        Note::Waiting { count, reason } => format!(
            "{count} Notion update(s) pending: {}; they are delivered once this is fixed (`git notion status`)",
            reason.map(|r| r.message).unwrap_or_default()
        ),
        Note::NotDelivered(keys) => format!(
            "not delivered: {}; `git notion status` shows why, `git notion clear KEY` dismisses, \
             `git notion retry` tries again",
            keys.iter()
                .map(|(key, state)| format!("{key} ({})", state.label()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Note::Damaged { first, count } => format!(
            "git-notion's outbox file {} is damaged and was set aside ({count} file(s)); the updates in it \
             may need `git notion-replay --apply`; delete it once reviewed",
            first.display()
        ),
        Note::Delivery {
            mut problems,
            error,
            requeued,
        } => {
            problems.extend(error.map(|r| r.message));
            if requeued > 0 && problems.is_empty() {
                problems.push(format!("{requeued} update(s) queued for later"));
            }
            format!(
                "{} (the commit is kept; `git notion status` lists pending and failed updates)",
                problems.join("; ")
            )
        }
        Note::Failed(e) => e.to_string(),
    }
}

/// Runs hook `name` for `git-notion hook NAME ARGS` (or the binary linked as the hook); its exit code.
pub(super) fn hook(name: &str, args: &[String], env: &crate::config::Env, out: &Out) -> u8 {
    if name == crate::hooks::COMMIT_MSG {
        // What the message will do, line by line; 1 only when `[commit] check = "block"` refuses it.
        if env.skipping() {
            return 0;
        }
        std::panic::set_hook(Box::new(|_| {}));
        let said = std::panic::catch_unwind(|| {
            crate::hooks::commit_msg::run(args, env, user_config_path().as_deref())
        });
        let (lines, code) = said.unwrap_or_else(|_| {
            (
                vec!["warning: git-notion failed inside the commit-msg hook; the commit is made; please report this".into()],
                0,
            )
        });
        for l in lines {
            out.error(&format!("git-notion: {}", printable(&l)));
        }
        return code;
    }
    let line = caught(name, || {
        hook_line(crate::hooks::run(
            name,
            args,
            env,
            &mut std::io::stdin(),
            user_config_path().as_deref(),
        ))
    });
    warn(out, line);
    0
}

/// Runs a hook's work; a panic (a bug) becomes the same one warning line, without Rust's report: a hook
/// never fails git.
fn caught(
    name: &str,
    work: impl FnOnce() -> Option<String> + std::panic::UnwindSafe,
) -> Option<String> {
    std::panic::set_hook(Box::new(|_| {}));
    std::panic::catch_unwind(work).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Some(format!(
            "git-notion failed inside the {name} hook ({what}); the commit is kept; \
             `git notion-replay --apply` brings its tickets up to date; please report this"
        ))
    })
}

/// Prints a hook's warning as one line, whatever the messages inside it (a TOML error spans several).
pub(super) fn warn(out: &Out, line: Option<String>) {
    if let Some(line) = line {
        let line = line
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        out.error(&format!("git-notion: warning: {line}"));
    }
}

/// The hook a process runs as: `(name, arguments)` from the binary linked as the hook
/// (`.git/hooks/post-commit ARGS`), or from `hook NAME ARGS` after the binary's name.
pub(super) fn hook_call(argv: &[std::ffi::OsString]) -> Option<(String, Vec<String>)> {
    let lossy = |a: &[std::ffi::OsString]| -> Vec<String> {
        a.iter().map(|a| a.to_string_lossy().into_owned()).collect()
    };
    let invoked_as = argv
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .filter(|n| crate::hooks::NAMES.contains(n));
    if let Some(name) = invoked_as {
        return Some((name.to_string(), lossy(&argv[1..])));
    }
    let hooked = argv.len() >= 3 && argv[1] == "hook";
    let name = argv.get(2).filter(|_| hooked)?.to_str()?;
    (!name.starts_with('-')).then(|| (name.to_string(), lossy(&argv[3..])))
}

/// The hooks' own binary, `git-notion-hook`: the fast path only (`hooks::fast`), so that a hook
/// costs about what a process start costs; anything needing the full path is handed to `git-notion hook`
/// (exec, same stdin). Linked as the hook, or run as `git-notion-hook hook NAME ARGS`; always exits 0.
pub fn hook_main() -> std::process::ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if crate::hooks::skip_at_once(&argv) {
        return std::process::ExitCode::SUCCESS;
    }
    let env = env();
    let out = Out::new(&env);
    let Some((name, args)) = hook_call(&argv) else {
        warn(
            &out,
            Some(format!(
                "git-notion-hook runs git's hooks (`git-notion-hook hook NAME [ARGS]`, or linked as one \
                 of: {}); `git notion hooks install` sets it up",
                crate::hooks::NAMES.join(", ")
            )),
        );
        return std::process::ExitCode::SUCCESS;
    };
    let line = caught(&name, || {
        let user_config = user_config_path();
        let fast = crate::hooks::fast(
            &name,
            &args,
            &env,
            &mut std::io::stdin(),
            user_config.as_deref(),
        );
        match fast {
            crate::hooks::Fast::Done(notes) => hook_line(notes),
            crate::hooks::Fast::Full { name, refs } => hand_over(&name, &args, refs),
        }
    });
    warn(&out, line);
    std::process::ExitCode::SUCCESS
}

/// Runs `git-notion hook NAME ARGS` in this process's place (the updates already read from stdin passed
/// as `--refs`); the warning line when it cannot be started.
fn hand_over(name: &str, args: &[String], refs: Option<String>) -> Option<String> {
    let binary = crate::hooks::main_binary();
    let mut c = std::process::Command::new(&binary);
    c.arg("hook").arg(name);
    match refs {
        Some(text) => {
            c.args(args.first()).arg("--refs").arg(text);
        }
        None => {
            c.args(args);
        }
    }
    #[cfg(unix)]
    let e = std::os::unix::process::CommandExt::exec(&mut c);
    #[cfg(not(unix))]
    let e = match c.status() {
        Ok(_) => return None,
        Err(e) => e,
    };
    Some(format!(
        "cannot run {} for the {name} hook ({e}); the commit is kept; reinstall git-notion, then \
         `git notion-replay --apply` brings its tickets up to date",
        binary.display()
    ))
}
