//! The `git-notion` command line. Exit codes (the one place they are decided, see [`exit_code`]):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::git::Repo;
use crate::notion::schema::SchemaError;
use crate::Error;

mod docs;
mod outbox;
mod output;
mod replay;
mod setup;
mod sync;
mod undo;

use outbox::*;
use output::*;
pub use replay::replay_main;
use setup::*;
use sync::*;
use undo::*;

/// Keep a Notion ticket database true from git.
#[derive(Parser)]
#[command(name = "git-notion", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as a git hook: `git-notion hook post-commit|post-merge|post-rewrite [ARGS]`. Always exits 0.
    Hook {
        /// The hook's name.
        name: String,
        /// The arguments git passed to the hook.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Sync the tickets a commit names (default HEAD), as the post-commit hook does, and report.
    Sync {
        /// The commit to sync.
        #[arg(default_value = "HEAD")]
        rev: String,
        /// Show the plan (current → new per ticket) without writing anything.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Override `database` (a Notion URL, database id or data source id).
        #[arg(long, value_name = "URL_OR_ID")]
        database: Option<String>,
        /// Override `[title] policy`.
        #[arg(long, value_name = "never|fill-placeholder|always", value_parser = ["never", "fill-placeholder", "always"])]
        title_policy: Option<String>,
    },
    /// Deliver the queued updates now and show what was done.
    Flush {
        /// Run as the hooks' detached flusher: no output; exit at once if another flusher runs.
        #[arg(long, hide = true)]
        background: bool,
    },
    /// Show pending updates, failed ones with their reasons, and the last flush.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Move failed updates back to the queue (after fixing their cause), then flush.
    Retry,
    /// Dismiss the updates of these tickets (`#011.3 TASK-9`), pending or not delivered; without keys, drop
    /// every pending and undelivered update (asks first).
    Clear {
        /// The tickets to dismiss (as `git notion status` shows them).
        keys: Vec<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Check the token, Notion, the database, the configured properties and statuses, the ticket
    /// patterns, the hooks and the outbox; each with ✓/✗ and the fix. Exit 1 on any ✗.
    Doctor {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write a commented .git-notion.toml from the database's real schema (never the token).
    Init {
        /// The Notion database (URL or id); default: GIT_NOTION_DATABASE or the existing config.
        #[arg(long, value_name = "URL_OR_ID")]
        database: Option<String>,
        /// The data source's name or id, for a database with several.
        #[arg(long, value_name = "NAME_OR_ID")]
        data_source: Option<String>,
        /// Replace an existing .git-notion.toml.
        #[arg(long)]
        force: bool,
        /// Print the configuration instead of writing it.
        #[arg(long)]
        stdout: bool,
    },
    /// Show who runs this repository's post-commit, post-merge and post-rewrite hooks; install or
    /// uninstall git-notion's.
    Hooks {
        #[command(subcommand)]
        action: Option<HooksAction>,
    },
    /// Print shell completions: `source <(git notion completions bash)` (also completes `git notion …`
    /// through git's own completion), `git notion completions zsh > ~/.zfunc/_git-notion`, fish.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (git-notion.1, one per command, git-notion-replay.1) into DIR, as install.sh
    /// does into PREFIX/share/man/man1 so that `git notion --help` and `git help notion` find them.
    #[command(hide = true)]
    Manpages {
        /// Where to write them.
        dir: PathBuf,
    },
    /// Restore the pages a replay changed, from its journal (dry run unless --apply).
    Undo {
        /// The journal (default: the latest under .git/git-notion/journal/).
        journal: Option<PathBuf>,
        /// Write the recorded values back.
        #[arg(long)]
        apply: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum HooksAction {
    /// Install git-notion's hooks: reference-transaction with git 2.28 or later (it sees every branch
    /// move), else the three post-* hooks (the binary linked where none exists). An existing hook is kept
    /// and chained (it runs first). Refuses where a hook manager (husky, pre-commit, lefthook) owns the
    /// hooks, and prints its snippet.
    Install {
        /// Install the three post-* hooks even where git has reference-transaction (as older gits get;
        /// fast-forwards that no merge made then reach Notion through a replay).
        #[arg(long)]
        post: bool,
    },
    /// Remove git-notion's hooks and restore the hooks they chained.
    Uninstall,
}

/// What a command came to, when it ran to its end (errors are [`Error`]s). [`code`] maps both to exit
/// codes: the one place they are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, or nothing to do.
    Done,
    /// Some tickets were not brought up to date (not found, ambiguous, failed, still queued).
    Partial,
    /// The user declined, or must act before anything can happen.
    Declined,
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
pub fn code(r: &Result<Exit, Error>) -> u8 {
    match r {
        Ok(Exit::Done) => 0,
        Ok(Exit::Partial) => 1,
        Ok(Exit::Declined) => 2,
        Err(e) => exit_code(e),
    }
}

/// Exit code of an error: 2 when the user must fix something (config, token, access, schema), 1 when
/// trying again later may succeed.
fn exit_code(e: &Error) -> u8 {
    let api = match e {
        Error::Api(a) => a,
        Error::Schema(s) => match s.as_ref() {
            SchemaError::Api(a) => a,
            _ => return 2,
        },
        _ => return 2,
    };
    if api.is_transient() {
        1
    } else {
        2
    }
}

/// The environment as text. A variable that is not UTF-8 is skipped (`std::env::vars` would panic on it,
/// and a hook must never fail).
pub(super) fn env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// The user config file: `<platform config dir>/git-notion/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("git-notion").join("config.toml"))
}

pub(super) fn load_config(repo: &Repo, flags: &[(String, String)]) -> Result<Config, Error> {
    Ok(Config::load(
        &repo.root(),
        user_config_path().as_deref(),
        flags,
    )?)
}

fn hook(name: &str, args: &[String], env: &[(String, String)], out: &Out) -> u8 {
    // A hook never fails git: a panic (a bug) becomes the same one warning line, without Rust's report.
    std::panic::set_hook(Box::new(|_| {}));
    let run = std::panic::catch_unwind(|| {
        let mut stdin = std::io::stdin();
        crate::hooks::run(name, args, env, &mut stdin, user_config_path().as_deref())
    });
    let line = run.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Some(format!(
            "git-notion failed inside the {name} hook ({what}); the commit is kept; \
             `git notion-replay --apply` brings its tickets up to date; please report this"
        ))
    });
    if let Some(line) = line {
        // One line, whatever the messages inside it (a TOML error spans several).
        let line = line
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        out.error(&format!("git-notion: warning: {line}"));
    }
    0
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
        let env = env();
        return std::process::ExitCode::from(hook(name, &lossy(&argv[1..]), &env, &Out::new(&env)));
    }
    if argv.len() >= 3 && argv[1] == "hook" {
        if let Some(name) = argv[2].to_str().filter(|n| !n.starts_with('-')) {
            let env = env();
            return std::process::ExitCode::from(hook(
                name,
                &lossy(&argv[3..]),
                &env,
                &Out::new(&env),
            ));
        }
    }
    let cli = Cli::parse_from(argv);
    let env = env();
    let out = Out::new(&env);
    let foreground = match &cli.command {
        Command::Flush { background } => !background,
        Command::Sync { .. } | Command::Retry | Command::Undo { .. } | Command::Init { .. } => true,
        _ => false,
    };
    if foreground {
        wait_out_long_limits();
    }
    let code = match cli.command {
        Command::Hook { name, args } => hook(&name, &args, &env, &out),
        Command::Flush { background } => report(&out, flush_cmd(background, &env, &out)),
        Command::Status { json } => report(&out, status_cmd(json, &out)),
        Command::Retry => report(
            &out,
            (|| {
                let (ob, _) = open_outbox()?;
                let n = crate::hooks::flush::retry_failed(&ob, None)?;
                out.print(&format!("re-queued {n} failed update(s)\n"));
                flush_cmd(false, &env, &out)
            })(),
        ),
        Command::Clear { keys, yes } => report(&out, clear_cmd(&keys, yes, &out)),
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
        Command::Hooks { action } => report(&out, hooks_cmd(action, &out)),
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
            database,
            title_policy,
        } => {
            let mut flags = vec![];
            if let Some(d) = database {
                flags.push(("GIT_NOTION_DATABASE".to_string(), d));
            }
            if let Some(t) = title_policy {
                flags.push(("GIT_NOTION_TITLE_POLICY".to_string(), t));
            }
            report(&out, sync_cmd(&rev, dry_run, &flags, &env, &out))
        }
    };
    std::process::ExitCode::from(code)
}

/// Says what went wrong, if anything, and gives the exit code.
fn report(out: &Out, r: Result<Exit, Error>) -> u8 {
    if let Err(e) = &r {
        out.error(&format!("git-notion: error: {e}"));
    }
    code(&r)
}
