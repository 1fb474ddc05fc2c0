//! The `git-notion` command line. Exit codes (the one place they are decided, see [`exit_code`]):
//! 0 done (or nothing to do); 1 some tickets were not brought up to date, or Notion was unreachable;
//! 2 usage, configuration, schema or access error. Hooks always exit 0.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Token};
use crate::git::Repo;
use crate::hooks::outbox::Outbox;
use crate::notion::schema::SchemaError;
use crate::pipeline::plan::{self, Summary};
use crate::pipeline::session::{self, Session};
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
enum HooksAction {
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

fn hook(name: &str, args: &[String], env: &[(String, String)], out: &Out) -> u8 {
    let mut stdin = std::io::stdin();
    if let Some(line) =
        crate::hooks::run(name, args, env, &mut stdin, user_config_path().as_deref())
    {
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
    let rules = crate::rules::desired::Rules::new(&config)?;
    let commit = repo.resolve(rev)?;
    let keys: std::collections::HashSet<_> = rules.keys(&commit).into_iter().collect();
    if keys.is_empty() {
        out.print(&format!(
            "{}: {:?} names no ticket; nothing to do\n",
            &commit.id[..12],
            commit.subject()
        ));
        return Ok(0);
    }
    let session = Session::connect(config, env)?;
    // What history says of these tickets, as the hooks and the replay deliver it; a commit no branch
    // reaches (a dangling one named by its id) speaks for itself.
    let ob = Outbox::new(repo.common_dir());
    let _writer = if dry_run {
        None
    } else {
        Some(ob.writer_lock()?)
    };
    let mut tracks = session::history_tracks(&repo, &rules, &keys)?;
    for t in session::tracks(&rules, &[(&commit, false)], |_, _| true) {
        if !tracks.iter().any(|h| h.key == t.key) {
            tracks.push(t);
        }
    }
    let mut entries = session.plan(&repo, repo.origin_url().as_deref(), &tracks);
    if !dry_run {
        session.apply(&mut entries);
        forget_delivered(&ob, &entries, &session.binding.source_name);
    }
    out.print(&plan::render(
        &entries,
        &session.binding.source_name,
        dry_run,
    ));
    let summary = Summary::of(&entries);
    Ok(if summary.has_problems() { 1 } else { 0 })
}

/// Drops the failed records of tickets a command has just delivered (a page created since, say).
fn forget_delivered(ob: &Outbox, entries: &[plan::Entry], source_name: &str) {
    let done: Vec<_> = entries
        .iter()
        .filter(|e| e.delivery(source_name) == plan::Delivery::Done)
        .map(|e| e.desired.key.clone())
        .collect();
    let _ = crate::hooks::flush::forget_failed(ob, &done);
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

fn doctor_cmd(json: bool, env: &[(String, String)], out: &Out) -> Result<u8, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let repo = Repo::discover(&cwd).ok();
    let root = repo.as_ref().map_or(cwd, Repo::root);
    let config = Config::load(&root, user_config_path().as_deref(), &[]);
    let report = crate::setup::doctor::run(repo.as_ref(), config, env);
    if json {
        out.print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report.json()).unwrap_or_default()
        ));
    } else {
        out.print(&report.render());
    }
    Ok(if report.ok { 0 } else { 1 })
}

fn init_cmd(
    database: Option<String>,
    data_source: Option<String>,
    force: bool,
    stdout: bool,
    env: &[(String, String)],
    out: &Out,
) -> Result<u8, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let path = repo.root().join(crate::config::FILE_NAME);
    if path.exists() && !force && !stdout {
        return Err(Error::Usage(format!(
            "{} exists; `git notion init --force` replaces it, `--stdout` prints a new one",
            path.display()
        )));
    }
    // The database from the flag, else the environment or the existing configuration.
    let existing = Config::load(&repo.root(), user_config_path().as_deref(), &[]).ok();
    let database = database
        .or_else(|| existing.as_ref().and_then(|c| c.database.clone()))
        .ok_or_else(|| {
            Error::Usage(
                "which database? `git notion init --database <Notion database URL or id>` (open the database in Notion, ••• → Copy link)"
                    .into(),
            )
        })?;
    let data_source = data_source.or_else(|| existing.as_ref().and_then(|c| c.data_source.clone()));
    let text = crate::setup::init::generate(&database, data_source.as_deref(), env)?;
    if stdout {
        out.print(&text);
        return Ok(0);
    }
    std::fs::write(&path, &text)
        .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?;
    out.print(&format!(
        "wrote {} (review it, then commit it: it holds no secret)\nnext: `git notion doctor`\n",
        path.display()
    ));
    Ok(0)
}

fn hooks_cmd(action: Option<HooksAction>, out: &Out) -> Result<u8, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let hooks = crate::hooks::install::Hooks::of(&repo);
    let mut text = format!("hooks directory: {}\n", hooks.dir.display());
    let done = match action {
        None => {
            for (name, state) in hooks.states() {
                text.push_str(&format!("  {name:<21}  {}\n", state.describe()));
            }
            out.print(&text);
            return Ok(0);
        }
        Some(HooksAction::Install { post }) => {
            let binary = std::env::current_exe()
                .and_then(|p| p.canonicalize())
                .map_err(|e| {
                    Error::Usage(format!("cannot tell where git-notion is installed: {e}"))
                })?;
            hooks.install(
                &binary,
                !post && crate::hooks::install::git_has_reference_transaction(),
            )
        }
        Some(HooksAction::Uninstall) => hooks.uninstall(),
    };
    let done = done?;
    for (name, action) in done {
        text.push_str(&format!("  {name:<21}  {}\n", action.describe(name)));
    }
    out.print(&text);
    Ok(0)
}

fn open_outbox() -> Result<(Outbox, Repo), Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    Ok((Outbox::new(repo.common_dir()), repo))
}

fn flush_cmd(background: bool, env: &[(String, String)], out: &Out) -> Result<u8, Error> {
    let (ob, repo) = open_outbox()?;
    let config = load_config(&repo, &[]);
    if !background && config.is_ok() {
        // A person asking: tickets that had no page are looked up again (one may exist now).
        crate::hooks::flush::retry_failed(&ob, Some(&[plan::Settled::NoPage]))?;
    }
    let r = crate::hooks::flush::flush(
        &ob,
        &repo,
        config.as_ref().map_err(|e| e.to_string()),
        env,
        !background,
        None,
    )?;
    if background {
        return Ok(0);
    }
    // Updates wait with the reason; the error itself is what the user must fix.
    config?;
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
    // Undelivered, by named state: what needs a change in Notion or history.
    for state in [
        plan::Settled::NoPage,
        plan::Settled::Ambiguous,
        plan::Settled::Rejected,
    ] {
        let group: Vec<_> = failed.iter().filter(|f| f.state == state).collect();
        if group.is_empty() {
            continue;
        }
        text.push_str(&format!("{}: {}\n", state.label(), group.len()));
        for f in group {
            text.push_str(&format!(
                "  {}  {}  {:?}: {}\n",
                f.key,
                f.event.commit.id.get(..12).unwrap_or(&f.event.commit.id),
                f.event.commit.subject(),
                f.reason
            ));
        }
    }
    if !failed.is_empty() {
        text.push_str(
            "  (`git notion clear KEY…` dismisses; `git notion retry` tries again; `git notion flush` \
             looks up tickets without a page again)\n",
        );
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

fn clear_cmd(keys: &[String], yes: bool, out: &Out) -> Result<u8, Error> {
    use std::io::IsTerminal;
    let (ob, _) = open_outbox()?;
    let guard = ob.lock()?;
    let mut pending = guard.pending()?;
    let mut failed = guard.failed()?;
    if !keys.is_empty() {
        let named = |k: &crate::rules::tickets::TicketKey| {
            keys.iter().any(|a| {
                *a == k.to_string()
                    || matches!(k, crate::rules::tickets::TicketKey::Page(id)
                        if crate::notion::id::normalize(a).as_deref() == Some(id.as_str()))
            })
        };
        let before = failed.len();
        failed.retain(|f| !named(&f.key));
        let mut dropped = before - failed.len();
        for e in pending.events.iter_mut() {
            let n = e.keys.len();
            e.keys.retain(|k| !named(k));
            dropped += n - e.keys.len();
        }
        // An event left without keys had only these (one whose keys are not known yet stays).
        let had_keys: std::collections::HashSet<String> = guard
            .pending()?
            .events
            .iter()
            .filter(|e| !e.keys.is_empty())
            .map(|e| e.id.clone())
            .collect();
        pending
            .events
            .retain(|e| !e.keys.is_empty() || !had_keys.contains(&e.id));
        guard.set_pending(&pending)?;
        guard.set_failed(&failed)?;
        if dropped == 0 {
            out.print(&format!(
                "nothing pending or undelivered for {}\n",
                keys.join(", ")
            ));
            return Ok(1);
        }
        out.print(&format!(
            "dismissed {dropped} update(s) of {}\n",
            keys.join(", ")
        ));
        return Ok(0);
    }
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

fn undo_cmd(
    journal: Option<PathBuf>,
    apply: bool,
    json: bool,
    env: &[(String, String)],
    out: &Out,
) -> Result<u8, Error> {
    use crate::replay::journal::{self, Line};
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let dir = journal::dir(repo.common_dir());
    let path = match journal {
        Some(p) => p,
        None => journal::list(&dir)
            .pop()
            .ok_or(journal::JournalError::None { dir: dir.clone() })?,
    };
    let lines = journal::read(&path)?;
    let config = load_config(&repo, &[])?;
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
        out.print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
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
    Ok(if errors.is_empty() { 0 } else { 1 })
}

/// `git notion-replay`: repair a drifted database from history.
#[derive(Parser)]
#[command(name = "git-notion-replay", version, long_about = None)]
#[command(
    about = "Repair a drifted Notion database from git history: a dry-run plan first, then --apply \
(journalled: `git notion undo` restores)."
)]
struct ReplayCli {
    /// Revisions: a range (`v1.0..HEAD`), revisions, or `^REV` to exclude (default HEAD).
    revs: Vec<String>,
    /// Every reference (branches, tags, remotes), not only HEAD.
    #[arg(long)]
    all: bool,
    /// Only commits since a date (`2025-10-01`, RFC 3339) or after a revision.
    #[arg(long, value_name = "DATE|REV")]
    since: Option<String>,
    /// Follow only the first parent of merges.
    #[arg(long)]
    first_parent: bool,
    /// Take the title, date and link from the latest commit of these types (`feat,docs`), else the latest.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    prefer: Vec<String>,
    /// Set each status exactly as history says, even where that moves a page backwards (a repair; the
    /// journal keeps what was there).
    #[arg(long)]
    reset: bool,
    /// Write the plan (a journal is kept first; `git notion undo` restores).
    #[arg(long, visible_alias = "force")]
    apply: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Override `database` (a Notion URL, database id or data source id).
    #[arg(long, value_name = "URL_OR_ID")]
    database: Option<String>,
    /// Override `[title] policy`.
    #[arg(long, value_name = "never|fill-placeholder|always")]
    title_policy: Option<String>,
}

/// The `git-notion-replay` binary. Exit codes: 0 done or nothing to do (tickets without a page are
/// reported, not failures: sub-tickets often have none); 1 some pages could not be written, read, or
/// matched one-to-one (ambiguous); 2 usage or configuration error.
pub fn replay_main() -> std::process::ExitCode {
    use std::io::IsTerminal;
    let cli = match ReplayCli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return std::process::ExitCode::from(code);
        }
    };
    let env = env();
    let out = Out::new(&env);
    let tty = std::io::stderr().is_terminal() && !cli.json;
    let code = match replay_cmd(&cli, &env, &out, tty) {
        Ok(code) => code,
        Err(e) => {
            out.error(&format!("git-notion-replay: error: {e}"));
            exit_code(&e)
        }
    };
    std::process::ExitCode::from(code)
}

fn walk_spec(repo: &Repo, cli: &ReplayCli) -> Result<crate::git::WalkSpec, Error> {
    let mut spec = crate::git::WalkSpec {
        all: cli.all,
        first_parent: cli.first_parent,
        ..Default::default()
    };
    for r in &cli.revs {
        if r.contains("...") {
            return Err(Error::Usage(format!(
                "{r:?}: symmetric ranges (A...B) are not supported; use A..B"
            )));
        }
        if let Some((from, to)) = r.split_once("..") {
            spec.hidden
                .push(if from.is_empty() { "HEAD" } else { from }.to_string());
            spec.tips
                .push(if to.is_empty() { "HEAD" } else { to }.to_string());
        } else if let Some(h) = r.strip_prefix('^') {
            spec.hidden.push(h.to_string());
        } else {
            spec.tips.push(r.clone());
        }
    }
    if spec.tips.is_empty() && !spec.all {
        spec.tips.push("HEAD".into());
    }
    if let Some(since) = &cli.since {
        if repo.resolve(since).is_ok() {
            spec.hidden.push(since.clone());
        } else if let Ok(d) = since.parse::<jiff::civil::Date>() {
            spec.since = Some(
                d.to_zoned(jiff::tz::TimeZone::UTC)
                    .map_err(|e| Error::Usage(e.to_string()))?
                    .timestamp()
                    .as_second(),
            );
        } else if let Ok(t) = since.parse::<jiff::Timestamp>() {
            spec.since = Some(t.as_second());
        } else {
            return Err(Error::Usage(format!(
                "--since {since:?} is neither a revision nor a date (2025-10-01, or RFC 3339 like 2025-10-01T12:00:00Z)"
            )));
        }
    }
    Ok(spec)
}

fn replay_cmd(
    cli: &ReplayCli,
    env: &[(String, String)],
    out: &Out,
    tty: bool,
) -> Result<u8, Error> {
    use crate::pipeline::history::{self, Decide};
    use crate::replay;
    use std::io::IsTerminal;
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let mut flags = vec![];
    if let Some(d) = &cli.database {
        flags.push(("GIT_NOTION_DATABASE".to_string(), d.clone()));
    }
    if let Some(t) = &cli.title_policy {
        flags.push(("GIT_NOTION_TITLE_POLICY".to_string(), t.clone()));
    }
    let config = load_config(&repo, &flags)?;
    let rules = crate::rules::desired::Rules::new(&config)?;
    let spec = walk_spec(&repo, cli)?;
    let decide = if cli.prefer.is_empty() {
        Decide::Latest
    } else {
        Decide::Prefer(cli.prefer.clone())
    };
    let released = history::Released::of(&repo, &rules, &spec)?;
    let history = history::history(&repo, &rules, &spec, &decide, &released, None)?;
    if history.tickets.is_empty() {
        if cli.json {
            // The same shape as a run with tickets, so that CI parses one format.
            let empty = replay::Replay {
                history,
                entries: vec![],
                rows: 0,
                requests: 0,
                journal: None,
                resumed: false,
            };
            let v = serde_json::json!({
                "applied": cli.apply,
                "summary": replay::summary_json(&empty),
                "tickets": [],
            });
            out.print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            ));
        } else {
            out.print(&format!(
                "{} commit(s) read; none names a ticket: nothing to do\n",
                history.commits
            ));
        }
        return Ok(0);
    }
    let session = Session::connect(config, env)?;
    let ob = Outbox::new(repo.common_dir());
    // One writer at a time per repository (the hooks' flusher waits meanwhile).
    let _writer = if cli.apply {
        Some(ob.writer_lock()?)
    } else {
        None
    };
    let progress = |what: &str, n: usize, total: usize| {
        if tty {
            let line = match what {
                "scan" => format!("\rscanning {}: {n} rows", session.binding.source_name),
                _ => format!("\rapplying: {n}/{total} pages"),
            };
            let _ = write!(std::io::stderr(), "{line}\x1b[K");
        }
    };
    let r = replay::run(
        &repo,
        &session,
        history,
        repo.origin_url().as_deref(),
        cli.reset,
        cli.apply,
        progress,
    )?;
    if tty {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    if cli.apply {
        forget_delivered(&ob, &r.entries, &session.binding.source_name);
    }
    let summary = Summary::of(&r.entries);
    let failed = summary.failed + summary.ambiguous;
    if cli.json {
        let entries: Vec<serde_json::Value> = r.entries.iter().map(entry_json).collect();
        let v = serde_json::json!({
            "applied": cli.apply,
            "summary": replay::summary_json(&r),
            "tickets": entries,
        });
        out.print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        ));
        return Ok(if failed > 0 { 1 } else { 0 });
    }
    let mut text = plan::render(&r.entries, &session.binding.source_name, !cli.apply);
    let bold = |s: &str| {
        if std::io::stdout().is_terminal() {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    text.push_str(&format!(
        "\n{}\n",
        bold(&format!(
            "replay: {} commit(s) read, {} name tickets; {} ticket(s)",
            r.history.commits,
            r.history.commits_with_refs,
            r.history.tickets.len()
        ))
    ));
    let verb = if cli.apply { "updated" } else { "to update" };
    let rows = [
        (
            verb,
            if cli.apply {
                summary.written
            } else {
                summary.to_update
            },
        ),
        ("already correct", summary.up_to_date),
        ("not found", summary.not_found),
        ("ambiguous", summary.ambiguous),
        ("errors", summary.failed),
    ];
    for (name, n) in rows {
        text.push_str(&format!("  {name:<16}{n:>6}\n"));
    }
    text.push_str(&format!(
        "  {:<16}{:>6}  ({} row(s) scanned of {})\n",
        "requests", r.requests, r.rows, session.binding.source_name
    ));
    match (&r.journal, cli.apply) {
        (Some(j), true) => text.push_str(&format!(
            "journal: {}{} (`git notion undo` restores)\n",
            j.display(),
            if r.resumed { ", resumed from an interrupted apply" } else { "" }
        )),
        (_, false) if summary.to_update > 0 => text.push_str(
            "dry run: nothing written; run again with --apply to write (journalled: `git notion undo` restores)\n",
        ),
        _ => {}
    }
    out.print(&text);
    Ok(if failed > 0 { 1 } else { 0 })
}

fn entry_json(e: &plan::Entry) -> serde_json::Value {
    use crate::pipeline::plan::Outcome;
    let (outcome, page, changes, pages) = match &e.outcome {
        Outcome::Update { page, changes } => (
            match &e.applied {
                Some(Ok(())) => "updated",
                Some(Err(_)) => "failed",
                None => "to_update",
            },
            Some(page.id.clone()),
            changes
                .iter()
                .map(|c| serde_json::json!({"property": c.property, "from": c.from, "to": c.to}))
                .collect(),
            vec![],
        ),
        Outcome::UpToDate { page } => ("already_correct", Some(page.id.clone()), vec![], vec![]),
        Outcome::NotFound => ("not_found", None, vec![], vec![]),
        Outcome::Ambiguous(pages) => (
            "ambiguous",
            None,
            vec![],
            pages.iter().map(|p| p.id.clone()).collect(),
        ),
        Outcome::Failed(_) => ("failed", None, vec![], vec![]),
    };
    let error = match (&e.outcome, &e.applied, &e.comment_error) {
        (Outcome::Failed(err), _, _) | (_, Some(Err(err)), _) | (_, _, Some(err)) => {
            Some(err.to_string())
        }
        _ => None,
    };
    let comments: Vec<serde_json::Value> = e
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({"commit": c.commit, "text": c.text, "posted": i < e.comments_posted})
        })
        .collect();
    serde_json::json!({
        "key": e.desired.key.to_string(),
        "commit": e.desired.commit.id,
        "outcome": outcome,
        "page": page,
        "changes": changes,
        "comments": comments,
        "notes": e.notes,
        "pages": pages,
        "error": error,
    })
}
