//! The `git-notion` command line. Exit codes (the one place they are decided, see [`exit_code`]):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::path::PathBuf;

use clap::Parser;

use crate::config::{Config, Env};
use crate::git::Repo;

mod args;
mod docs;
mod error;
mod explain;
mod outbox;
mod output;
mod replay;
mod setup;
mod sync;
mod undo;

use args::*;
pub(crate) use error::Error;
use outbox::*;
use output::*;
pub use replay::replay_main;
use setup::*;
use sync::*;
use undo::*;

/// What a command came to, when it ran to its end (errors are [`Error`]s). [`code`] maps both to exit
/// codes: the one place they are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Done, or nothing to do.
    Done,
    /// Some tickets were not brought up to date (not found, ambiguous, failed, still queued).
    Partial,
    /// The user declined, or must act before anything can happen.
    Declined,
    /// Stopped by Ctrl-C (after the request in flight); running the command again resumes.
    Interrupted,
}

impl Exit {
    /// `Partial` when `problems`, else `Done`.
    pub fn partial_if(problems: bool) -> Exit {
        if problems {
            Exit::Partial
        } else {
            Exit::Done
        }
    }
}

/// The exit code of a command's result: 0 done; 1 some tickets not brought up to date, or trying again
/// later may succeed (Notion unreachable); 2 usage, configuration, token, access or schema, or declined.
pub(crate) fn code(r: &Result<Exit, Error>) -> u8 {
    match r {
        Ok(Exit::Done) => error::DONE,
        Ok(Exit::Partial) => error::PARTIAL,
        Ok(Exit::Declined) => error::FIX_FIRST,
        Ok(Exit::Interrupted) => error::INTERRUPTED,
        Err(e) => e.exit_code(),
    }
}

/// This process's environment, read once per run.
pub(super) fn env() -> Env {
    Env::from_process()
}

/// The user config file: `<platform config dir>/git-notion/config.toml`.
pub(crate) fn user_config_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("git-notion").join("config.toml"))
}

/// Every setting git-notion reads from the environment is UTF-8: one that is not is an error naming it
/// (skipped, a `GIT_NOTION_API_URL` meant for the sandbox would leave the run talking to Notion).
pub(super) fn settings_readable(env: &Env) -> Result<(), Error> {
    match env.not_utf8_settings().into_iter().next() {
        Some(variable) => Err(crate::config::ConfigError::NotUtf8 { variable }.into()),
        None => Ok(()),
    }
}

pub(super) fn load_config(repo: &Repo, env: &Env) -> Result<Config, Error> {
    load_config_overridden(repo, env, &crate::config::Overrides::default())
}

pub(super) fn load_config_overridden(
    repo: &Repo,
    env: &Env,
    overrides: &crate::config::Overrides,
) -> Result<Config, Error> {
    Ok(Config::load_overridden(
        &repo.root(),
        user_config_path().as_deref(),
        env,
        overrides,
    )?)
}

fn hook(name: &str, args: &[String], env: &crate::config::Env, out: &Out) -> u8 {
    if name == crate::hooks::COMMIT_MSG {
        // What the message will do, line by line; 1 only when `[commit] check = "block"` refuses it.
        if env.value("GIT_NOTION_SKIP").is_some_and(|v| v != "0") {
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
        crate::hooks::run(
            name,
            args,
            env,
            &mut std::io::stdin(),
            user_config_path().as_deref(),
        )
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
fn warn(out: &Out, line: Option<String>) {
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
fn hook_call(argv: &[std::ffi::OsString]) -> Option<(String, Vec<String>)> {
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

/// The hooks' own binary, `git-notion-hook`: the fast path only ([`crate::hooks::fast`]), so that a hook
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
            crate::hooks::Fast::Done(line) => line,
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

/// The `git-notion` binary: a hook (fast path, no clap) or a command.
pub fn main() -> std::process::ExitCode {
    // Hooks run on every commit, so they skip building the clap parser: `git-notion hook NAME [ARGS]`, or the
    // binary installed (linked) as the hook itself, `.git/hooks/post-commit [ARGS]`, which also saves the
    // shell a shim costs.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // reference-transaction runs for every state of every ref transaction (six times for one commit):
    // anything but `committed` leaves before any work.
    if crate::hooks::skip_at_once(&argv) {
        return std::process::ExitCode::SUCCESS;
    }
    if let Some((name, args)) = hook_call(&argv) {
        let env = env();
        return std::process::ExitCode::from(hook(&name, &args, &env, &Out::new(&env)));
    }
    let cli = Cli::parse_from(argv);
    let env = env();
    let json = match &cli.command {
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
        _ => false,
    };
    let out = Out::new(&env).with_json(json);
    let foreground = match &cli.command {
        Command::Flush { background, .. } => !background,
        Command::Sync { .. }
        | Command::Retry { .. }
        | Command::Undo { .. }
        | Command::Init { .. } => true,
        _ => false,
    };
    if foreground {
        wait_out_long_limits();
    }
    if !matches!(
        cli.command,
        Command::Hook { .. } | Command::Completions { .. } | Command::Manpages { .. }
    ) {
        if let Err(e) = settings_readable(&env) {
            return std::process::ExitCode::from(report(&out, Err(e)));
        }
    }
    let code = match cli.command {
        Command::Hook {
            name: Some(name),
            args,
        } => hook(&name, &args, &env, &out),
        // Like every hook run, never an error: what it is for, and 0.
        Command::Hook { name: None, .. } => {
            warn(
                &out,
                Some(format!(
                    "`git notion hook` needs the hook's name ({}, or auto); git runs it, and `git notion \
                     hooks install` sets that up",
                    crate::hooks::NAMES.join(", ")
                )),
            );
            0
        }
        Command::Flush { background, json } => {
            report(&out, flush_cmd(background, json, None, &env, &out))
        }
        Command::Status { json } => report(&out, status_cmd(json, &env, &out)),
        Command::Log { n, json } => report(&out, log_cmd(n, json, &out)),
        Command::Retry { json } => report(
            &out,
            (|| {
                let (ob, _) = open_outbox()?;
                let n = crate::hooks::flush::retry_failed(&ob, None)?;
                if !json {
                    out.print(&format!("re-queued {n} failed update(s)\n"));
                }
                flush_cmd(false, json, Some(n), &env, &out)
            })(),
        ),
        Command::Clear { keys, yes, json } => report(&out, clear_cmd(&keys, yes, json, &out)),
        Command::Doctor { json } => report(&out, doctor_cmd(json, &env, &out)),
        Command::Init {
            database,
            data_source,
            force,
            stdout,
        } => report(
            &out,
            init_cmd(database, data_source, force, stdout, &env, &out),
        ),
        Command::Hooks { action, json } => report(&out, hooks_cmd(action, json, &out)),
        Command::Explain { rev, json } => {
            report(&out, explain::explain_cmd(&rev, json, &env, &out))
        }
        Command::Index { refresh, json } => report(&out, index_cmd(refresh, json, &env, &out)),
        Command::Completions { shell } => report(&out, docs::completions_cmd(shell, &out)),
        Command::Manpages { dir } => report(&out, docs::man_cmd(&dir, &out)),
        Command::Undo {
            journal,
            apply,
            json,
        } => report(&out, undo_cmd(journal, apply, json, &env, &out)),
        Command::Sync {
            rev,
            dry_run,
            overrides,
            json,
        } => report(
            &out,
            sync_cmd(&rev, dry_run, json, &(&overrides).into(), &env, &out),
        ),
    };
    std::process::ExitCode::from(code)
}

/// Says what went wrong, if anything (under `--json` also as an object on stdout), and gives the exit code.
fn report(out: &Out, r: Result<Exit, Error>) -> u8 {
    if let Err(e) = &r {
        out.failure("git-notion", e, code(&r));
    }
    code(&r)
}
