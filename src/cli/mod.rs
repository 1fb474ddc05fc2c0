//! The `git-notion` command line. Exit codes (the one place they are decided, see `Error::exit_code` in `error.rs`):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::path::PathBuf;

use clap::Parser;

use crate::config::{Config, Env};
use crate::git::Repo;

mod args;
mod backup;
mod dispatch;
mod docs;
mod error;
mod explain;
mod hook;
mod outbox;
mod output;
mod replay;
mod review;
mod setup;
mod sync;
mod undo;

use args::*;
pub(crate) use error::Error;
pub use hook::hook_main;
use hook::{hook, hook_call, warn};
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

/// The repository here, its configuration (validated) and the rules for it (its `origin` decides the
/// hosting conventions).
pub(super) fn here(env: &Env) -> Result<(Repo, Config, crate::rules::desired::Rules), Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = load_config(&repo, env)?;
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    Ok((repo, config, rules))
}

/// The first database's configuration (commands that work on one database: backup, restore, backfill,
/// index, `status --stale`; `GIT_NOTION_DATABASE` picks another of `[[databases]]`).
pub(super) fn first_database(config: Config) -> Config {
    config.databases()[0].clone()
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
    let out = Out::new(&env).with_json(cli.command.json());
    if cli.command.waits_out_long_limits() {
        wait_out_long_limits();
    } else if cli.command.is_background_flusher() {
        // Nobody waits for the detached flusher: it waits out a window (or a workspace's longer limit)
        // and delivers, rather than leaving the update for the next commit.
        wait_out_long_limits_quietly();
    }
    if cli.command.reads_settings() {
        if let Err(e) = settings_readable(&env) {
            return std::process::ExitCode::from(report(&out, Err(e)));
        }
    }
    std::process::ExitCode::from(cli.command.exec(&env, &out))
}

/// Says what went wrong, if anything (under `--json` also as an object on stdout), and gives the exit code.
fn report(out: &Out, r: Result<Exit, Error>) -> u8 {
    if let Err(e) = &r {
        out.failure("git-notion", e, code(&r));
    }
    code(&r)
}
