//! The `git-notion` command line. Exit codes (the one place they are decided, see [`exit_code`]):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Token};
use crate::desired::Context;
use crate::git::Repo;
use crate::plan::{self, Summary};
use crate::schema::SchemaError;
use crate::sync::{self, Session};
use crate::Error;

/// Keep a Notion ticket database true from git.
#[derive(Parser)]
#[command(name = "git-notion", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as a git hook (installed by install.sh): `git-notion hook post-commit`. Always exits 0.
    Hook {
        /// The hook's name: post-commit.
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
        #[arg(long, value_name = "never|fill-placeholder|always")]
        title_policy: Option<String>,
    },
}

/// Exit code of an error: 2 when the user must fix something (config, token, access, schema), 1 when
/// trying again later may succeed.
pub fn exit_code(e: &Error) -> u8 {
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

fn env() -> Vec<(String, String)> {
    std::env::vars().collect()
}

/// Prints text with the token (if any) redacted.
struct Out {
    token: Option<Token>,
}

impl Out {
    fn new(env: &[(String, String)]) -> Out {
        Out {
            token: Token::from_env(env).ok(),
        }
    }

    fn clean(&self, text: &str) -> String {
        match &self.token {
            Some(t) => t.redact(text),
            None => text.to_string(),
        }
    }

    fn print(&self, text: &str) {
        let _ = std::io::stdout().write_all(self.clean(text).as_bytes());
    }

    fn error(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "{}", self.clean(text));
    }
}

/// The user config file: `<platform config dir>/git-notion/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    etcetera::choose_base_strategy()
        .ok()
        .map(|s| s.config_dir().join("git-notion").join("config.toml"))
}

fn load_config(repo: &Repo, flags: &[(String, String)]) -> Result<Config, Error> {
    Ok(Config::load(
        &repo.root(),
        user_config_path().as_deref(),
        flags,
    )?)
}

fn context(repo: &Repo) -> Context {
    Context {
        branch: repo.branch(),
        origin_url: repo.origin_url(),
    }
}

pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let env = env();
    let out = Out::new(&env);
    let code = match cli.command {
        Command::Hook { name, args } => {
            hook(&name, &args, &env, &out);
            0
        }
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
            match sync_cmd(&rev, dry_run, &flags, &env, &out) {
                Ok(code) => code,
                Err(e) => {
                    out.error(&format!("git-notion: error: {e}"));
                    exit_code(&e)
                }
            }
        }
    };
    std::process::ExitCode::from(code)
}

fn sync_cmd(
    rev: &str,
    dry_run: bool,
    flags: &[(String, String)],
    env: &[(String, String)],
    out: &Out,
) -> Result<u8, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = load_config(&repo, flags)?;
    let extractor = config.extractor("configuration")?;
    let commit = repo.resolve(rev)?;
    let refs = sync::refs(&extractor, std::slice::from_ref(&commit));
    if refs.is_empty() {
        out.print(&format!(
            "{}: {:?} names no ticket; nothing to do\n",
            &commit.id[..12],
            commit.subject()
        ));
        return Ok(0);
    }
    let session = Session::connect(config, env)?;
    let mut entries = session.plan(&context(&repo), &refs);
    if !dry_run {
        session.apply(&mut entries);
    }
    out.print(&plan::render(
        &entries,
        &session.binding.source_name,
        dry_run,
    ));
    let summary = Summary::of(&entries);
    Ok(if summary.has_problems() { 1 } else { 0 })
}

/// Runs a hook. Never fails the git command: problems become one warning line on stderr.
fn hook(name: &str, _args: &[String], env: &[(String, String)], out: &Out) {
    let skip = env
        .iter()
        .any(|(k, v)| k == "GIT_NOTION_SKIP" && !v.is_empty() && v != "0");
    if skip {
        return;
    }
    let problems = match name {
        "post-commit" => post_commit(env),
        other => Err(format!(
            "unknown hook {other:?} (this version handles post-commit)"
        )),
    };
    if let Err(line) = problems {
        out.error(&format!("git-notion: warning: {line}"));
    }
}

fn post_commit(env: &[(String, String)]) -> Result<(), String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let repo = Repo::discover(&cwd).map_err(|e| e.to_string())?;
    // During a rebase every picked commit fires post-commit; post-rewrite reports them once it is done.
    if repo.rebase_in_progress() {
        return Ok(());
    }
    let configured = repo.root().join(crate::config::FILE_NAME).exists()
        || env.iter().any(|(k, _)| k == "GIT_NOTION_DATABASE");
    if !configured {
        return Ok(());
    }
    let Some(commit) = repo.head().map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let config = load_config(&repo, &[]).map_err(|e| e.to_string())?;
    let extractor = config
        .extractor("configuration")
        .map_err(|e| e.to_string())?;
    let refs = sync::refs(&extractor, std::slice::from_ref(&commit));
    if refs.is_empty() {
        return Ok(());
    }
    let session = Session::connect(config, env).map_err(|e| e.to_string())?;
    let mut entries = session.plan(&context(&repo), &refs);
    session.apply(&mut entries);
    let problems = plan::problems(&entries, &session.binding.source_name);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (the commit is kept; `git notion sync --dry-run` shows the details)",
            problems.join("; ")
        ))
    }
}
