//! The `git-notion` command line. Exit codes (the one place they are decided, see [`exit_code`]):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Token};
use crate::desired::Context;
use crate::git::Repo;
use crate::outbox::Outbox;
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
        #[arg(long, value_name = "never|fill-placeholder|always")]
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
    /// Drop every pending and failed update.
    Clear {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
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

/// The environment as text. A variable that is not UTF-8 is skipped (`std::env::vars` would panic on it,
/// and a hook must never fail).
fn env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
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

fn hook(name: &str, args: &[String], env: &[(String, String)], out: &Out) -> u8 {
    let mut stdin = std::io::stdin();
    if let Some(line) =
        crate::hooks::run(name, args, env, &mut stdin, user_config_path().as_deref())
    {
        out.error(&format!("git-notion: warning: {line}"));
    }
    0
}

pub fn main() -> std::process::ExitCode {
    // Hooks run on every commit, so they skip building the clap parser: `git-notion hook NAME [ARGS]`, or the
    // binary installed (linked) as the hook itself, `.git/hooks/post-commit [ARGS]`, which also saves the
    // shell a shim costs.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
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
    let code = match cli.command {
        Command::Hook { name, args } => hook(&name, &args, &env, &out),
        Command::Flush { background } => report(&out, flush_cmd(background, &env, &out)),
        Command::Status { json } => report(&out, status_cmd(json, &out)),
        Command::Retry => report(
            &out,
            (|| {
                let (repo, _) = open_outbox()?;
                let n = crate::flush::retry_failed(&repo)?;
                out.print(&format!("re-queued {n} failed update(s)\n"));
                flush_cmd(false, &env, &out)
            })(),
        ),
        Command::Clear { yes } => report(&out, clear_cmd(yes, &out)),
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

fn report(out: &Out, r: Result<u8, Error>) -> u8 {
    match r {
        Ok(code) => code,
        Err(e) => {
            out.error(&format!("git-notion: error: {e}"));
            exit_code(&e)
        }
    }
}

fn open_outbox() -> Result<(Outbox, Repo), Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    Ok((Outbox::new(repo.common_dir()), repo))
}

fn flush_cmd(background: bool, env: &[(String, String)], out: &Out) -> Result<u8, Error> {
    let (ob, repo) = open_outbox()?;
    let config = load_config(&repo, &[])?;
    let r = crate::flush::flush(&ob, &config, env, !background, None)?;
    if background {
        return Ok(0);
    }
    if !r.entries.is_empty() {
        out.print(&plan::render(&r.entries, &r.source_name, false));
    }
    out.print(&format!(
        "flush: {} delivered, {} still queued, {} failed\n",
        r.delivered, r.requeued, r.failed
    ));
    if let Some(e) = &r.error {
        out.error(&format!("git-notion: error: {e}"));
    }
    Ok(if r.error.is_some() || r.failed + r.requeued > 0 {
        1
    } else {
        0
    })
}

fn when(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn status_cmd(json: bool, out: &Out) -> Result<u8, Error> {
    let (ob, _) = open_outbox()?;
    let guard = ob.lock()?;
    let pending = guard.pending()?;
    let failed = guard.failed()?;
    drop(guard);
    let damaged: Vec<String> = ob
        .damaged()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    if json {
        let v = serde_json::json!({
            "pending": pending.events,
            "failed": failed,
            "damaged": damaged,
            "last_flush": pending.last_flush,
        });
        out.print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return Ok(0);
    }
    let mut text = format!("pending: {}\n", pending.events.len());
    for e in &pending.events {
        let keys: Vec<String> = e.keys.iter().map(ToString::to_string).collect();
        text.push_str(&format!(
            "  {}  {}  {:?}  queued {}",
            &e.commit.id[..12.min(e.commit.id.len())],
            keys.join(" "),
            e.commit.subject(),
            when(e.queued_at)
        ));
        if e.attempts > 0 {
            text.push_str(&format!(
                ", {} attempt(s), next try after {}: {}",
                e.attempts,
                when(e.next_try),
                e.last_error.as_deref().unwrap_or("")
            ));
        }
        text.push('\n');
    }
    text.push_str(&format!("failed: {}\n", failed.len()));
    for f in &failed {
        text.push_str(&format!(
            "  {}  {}  {:?}: {}\n",
            f.key,
            &f.event.commit.id[..12.min(f.event.commit.id.len())],
            f.event.commit.subject(),
            f.reason
        ));
    }
    match &pending.last_flush {
        Some(l) => text.push_str(&format!(
            "last flush: {} ({} delivered, {} queued again, {} failed{})\n",
            when(l.at),
            l.delivered,
            l.requeued,
            l.failed,
            l.error
                .as_deref()
                .map(|e| format!("; {e}"))
                .unwrap_or_default()
        )),
        None => text.push_str("last flush: never\n"),
    }
    if !damaged.is_empty() {
        text.push_str(&format!(
            "damaged: {} file(s) set aside because they could not be read; review (`git notion sync <commit>` \
             re-sends a commit's updates), then delete them\n",
            damaged.len()
        ));
        for d in &damaged {
            text.push_str(&format!("  {d}\n"));
        }
    }
    out.print(&text);
    Ok(0)
}

fn clear_cmd(yes: bool, out: &Out) -> Result<u8, Error> {
    use std::io::IsTerminal;
    let (ob, _) = open_outbox()?;
    let guard = ob.lock()?;
    let mut pending = guard.pending()?;
    let failed = guard.failed()?;
    let (np, nf) = (pending.events.len(), failed.len());
    if np + nf == 0 {
        out.print("nothing to clear\n");
        return Ok(0);
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            out.error(&format!(
                "git-notion: error: this drops {np} pending and {nf} failed update(s); run `git notion clear --yes` to confirm"
            ));
            return Ok(2);
        }
        eprint!("Drop {np} pending and {nf} failed update(s)? [y/N] ");
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            out.print("kept everything\n");
            return Ok(1);
        }
    }
    pending.events.clear();
    guard.set_pending(&pending)?;
    guard.set_failed(&[])?;
    out.print(&format!("dropped {np} pending and {nf} failed update(s)\n"));
    Ok(0)
}
