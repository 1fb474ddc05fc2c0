//! The git hooks: which commits each one syncs, queued in the outbox, then delivered by a detached flusher
//! (or inside the hook within a time budget in `foreground` mode). A hook never fails or slows git: what it
//! has to tell is a list of [`Note`]s, which the command line writes as one warning line, and the exit
//! code is always 0. Which hooks, binaries and flusher process: [`process`]; its errors: [`HookError`].

pub mod commit_msg;
pub mod deliveries;
mod error;
pub mod flush;
pub mod install;
pub mod managers;
mod notes;
pub mod outbox;
mod process;
pub mod releases;
pub mod sighting;
pub mod tips;

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::{Config, HookMode};
use crate::git::{Commit, Repo};
use crate::pipeline::{plan, Reason};
use crate::rules::desired::Rules;
pub use error::HookError;
use notes::attention;
pub use notes::{Note, Notes};
use outbox::{Event, Outbox, OutboxError};
pub use process::{main_binary, COMMIT_MSG, HOOK_BINARY, NAMES, POST_HOOKS, REFERENCE_TRANSACTION};
use process::{spawn_flusher, REF_UPDATE_CAP};

fn configured(repo: &Repo, env: &crate::config::Env) -> bool {
    repo.root().join(crate::config::FILE_NAME).exists()
        || env.value("GIT_NOTION_DATABASE").is_some()
}

/// The hook the pre-commit framework is running (`git-notion hook auto`, for one hook id declared for three
/// stages): it sets `PRE_COMMIT_IS_SQUASH_MERGE` only for post-merge and `PRE_COMMIT_REWRITE_COMMAND` only
/// for post-rewrite.
pub fn pre_commit_stage(env: &crate::config::Env) -> &'static str {
    if env.value("PRE_COMMIT_CHECKOUT_TYPE").is_some() {
        "post-checkout"
    } else if env.value("PRE_COMMIT_IS_SQUASH_MERGE").is_some() {
        "post-merge"
    } else if env.value("PRE_COMMIT_REWRITE_COMMAND").is_some() {
        "post-rewrite"
    } else {
        "post-commit"
    }
}

/// The commits a `reference-transaction` hook reports (state `committed`, the updates on stdin as
/// `<old> <new> <ref>`): those each update makes newly reachable from a local or remote-tracking branch,
/// or from a detached HEAD outside a rebase (post-rewrite-free: a rebase's commits count once its branch
/// moves). Each with the short name of the reference that moved. Symbolic updates, deletions and other
/// references (tags, `AUTO_MERGE`, `ORIG_HEAD`, the stash) report nothing.
pub fn commits_for_refs(repo: &Repo, text: &str) -> Result<Vec<(Commit, String)>, HookError> {
    let mut out: Vec<(Commit, String)> = vec![];
    for (old, new, reference, short) in sighting::updates(text) {
        // On a branch, the branch's own line reports the same commits.
        if reference == "HEAD" && (repo.branch().is_some() || repo.rebase_in_progress()) {
            continue;
        }
        let old = if old.starts_with("ref:") { "" } else { old };
        for c in repo.newly_reachable(reference, old, new, REF_UPDATE_CAP)? {
            if !out.iter().any(|(x, _)| x.id == c.id) {
                out.push((c, short.to_string()));
            }
        }
    }
    Ok(out)
}

/// The reference HEAD is on (`refs/heads/main`), or `HEAD` when detached.
fn head_ref(repo: &Repo) -> String {
    repo.branch()
        .map_or_else(|| "HEAD".to_string(), |b| format!("refs/heads/{b}"))
}

/// Whether the process may exit before any work: a `reference-transaction` hook (linked as the binary, or
/// `git-notion hook reference-transaction STATE`) in a state other than `committed`, or `post-commit`
/// while a rebase replays commits (git runs it once per commit; the branch moves once, at the end, and
/// the next hook queues that): one `stat`, no repository, no configuration.
pub fn skip_at_once(argv: &[std::ffi::OsString]) -> bool {
    let name =
        |a: &std::ffi::OsString, hook: &str| Path::new(a).file_name().is_some_and(|n| n == hook);
    match argv {
        [first, state, ..] if name(first, REFERENCE_TRANSACTION) => state != "committed",
        [_, hook, rt, state, ..] if hook == "hook" && rt == REFERENCE_TRANSACTION => {
            state != "committed"
        }
        [first, ..] if name(first, "post-commit") => rebase_in_progress_here(),
        [_, hook, pc, ..] if hook == "hook" && pc == "post-commit" => rebase_in_progress_here(),
        _ => false,
    }
}

/// A rebase is in progress in the repository a hook runs in (git runs hooks at the top of the worktree;
/// `GIT_DIR` when git set it): its `rebase-merge` or `rebase-apply` directory exists.
fn rebase_in_progress_here() -> bool {
    let git_dir = std::env::var_os("GIT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(".git"));
    crate::git::files::rebase_in_progress(&git_dir)
}

/// What a hook's fast path made of a run.
#[derive(Debug)]
pub enum Fast {
    /// Done (nothing to do, skipped, or queued): what to tell.
    Done(Notes),
    /// The full path must run (a configuration to read, a new branch, foreground mode, a repository found
    /// some other way): the hook's name and, for `reference-transaction`, the updates already read.
    Full {
        /// The hook (`auto` resolved to the pre-commit framework's stage).
        name: String,
        /// `reference-transaction`'s updates (read from stdin or `--refs`).
        refs: Option<String>,
    },
}

/// A hook's fast path: no repository opened, no configuration parsed, no pattern compiled (`auto`: the
/// hook the pre-commit framework runs). The hooks' own binary (`git-notion-hook`) runs only this and hands
/// [`Fast::Full`] to `git-notion`.
pub fn fast(
    name: &str,
    args: &[String],
    env: &crate::config::Env,
    stdin: &mut dyn Read,
    user_config: Option<&Path>,
) -> Fast {
    let name = if name == "auto" {
        pre_commit_stage(env)
    } else {
        name
    };
    // commit-msg reads the configuration and the index: the full binary's work.
    let full = |refs| Fast::Full {
        name: name.to_string(),
        refs,
    };
    if name == COMMIT_MSG {
        return if env.skipping() {
            Fast::Done(Notes::none())
        } else {
            full(None)
        };
    }
    // git runs reference-transaction for every state of every transaction; only `committed` moved refs.
    if name == REFERENCE_TRANSACTION && args.first().map(String::as_str) != Some("committed") {
        return Fast::Done(Notes::none());
    }
    if env.skipping() {
        // Skipped means skipped: what moved is recorded as seen, so no later event delivers it.
        sighting::skip(env);
        return Fast::Done(Notes::none());
    }
    // The updates (`--refs TEXT` from the installed filter: no pipe to set up; run any other way, git's
    // stdin has them).
    let rt_text = (name == REFERENCE_TRANSACTION).then(|| match args.get(1).map(String::as_str) {
        Some("--refs") => args.get(2).cloned().unwrap_or_default(),
        _ => {
            let mut t = String::new();
            let _ = stdin.read_to_string(&mut t);
            t
        }
    });
    match sighting::quick(name, rt_text.as_deref(), env, user_config) {
        Some(notes) => Fast::Done(notes),
        None => full(rt_text),
    }
}

/// Runs a hook (`auto`: the one the pre-commit framework runs); returns what it has to tell.
/// The `post-*` hooks queue what moved since the tips last recorded ([`tips`]); `reference-transaction`
/// (installed with `--every-move`) queues the updates git hands it.
pub fn run(
    name: &str,
    args: &[String],
    env: &crate::config::Env,
    stdin: &mut dyn Read,
    user_config: Option<&Path>,
) -> Notes {
    match fast(name, args, env, stdin, user_config) {
        Fast::Done(notes) => notes,
        // Its lines and exit code are the command line's to print (`commit_msg::run`).
        Fast::Full { name, .. } if name == COMMIT_MSG => Notes::none(),
        Fast::Full { name, refs } => full(&name, refs, env, user_config),
    }
}

/// A hook's full path: the repository opened, the configuration read, the commits of
/// `reference-transaction`'s updates (`rt_text`) read and their tickets found; then queued and delivered.
fn full(
    name: &str,
    rt_text: Option<String>,
    env: &crate::config::Env,
    user_config: Option<&Path>,
) -> Notes {
    let run = || -> Result<Notes, HookError> {
        let cwd = std::env::current_dir().map_err(HookError::WorkingDirectory)?;
        let repo = Repo::discover(&cwd)?;
        if !configured(&repo, env) {
            return Ok(Notes::none());
        }
        // A configuration that cannot be read yet does not lose the commit: it is queued without its
        // tickets, which the flusher finds once the configuration is fixed.
        let config = Config::load(&repo.root(), user_config, env);
        let rules = config.as_ref().map_err(Reason::of_config).and_then(|c| {
            Rules::new(c, repo.origin_url().as_deref()).map_err(|e| Reason::of_config(&e))
        });
        let events = match &rt_text {
            Some(text) => events_of_refs(&repo, name, text, rules.as_ref().ok())?,
            None => vec![],
        };
        let ob = Outbox::new(repo.common_dir()).with_sync(repo.fsyncs_commits());
        if rules.is_ok() {
            sighting::config_read(&ob, &repo.root(), user_config);
        }
        let queued = match queue(&repo, &ob, name, rt_text.as_deref(), &events) {
            Ok(n) => n,
            Err(e) => {
                let commits = events.len().max(1);
                return Ok(Notes::one(Note::NotQueued { error: e, commits }));
            }
        };
        let mut notes = Notes(rules.err().map(Note::ConfigWaits).into_iter().collect());
        let foreground = config
            .as_ref()
            .ok()
            .filter(|c| c.hooks.mode == HookMode::Foreground);
        match foreground {
            // No ticket, no network; only said if earlier updates need attention, or if the next commit
            // naming a ticket could not be queued.
            _ if queued == 0 => {
                if let Err(error) = ob.openable() {
                    return Ok(Notes::one(Note::NotQueued { error, commits: 0 }));
                }
            }
            Some(config) => return deliver_now(&repo, &ob, config, env),
            // A running flusher picks the new events up (it looks again before it exits).
            None => {
                if !matches!(ob.flusher_lock(false), Ok(None)) {
                    spawn_flusher(&repo.root());
                }
            }
        }
        notes.0.extend(attention(&ob).0);
        Ok(notes)
    };
    run().unwrap_or_else(|e| Notes::one(Note::Failed(e)))
}

/// The events of `reference-transaction`'s updates: each commit they made newly reachable that names a
/// ticket (every commit when the rules cannot be read yet: its tickets are found once they can).
fn events_of_refs(
    repo: &Repo,
    name: &str,
    text: &str,
    rules: Option<&Rules>,
) -> Result<Vec<Event>, HookError> {
    let origin_url = repo.origin_url();
    let at = outbox::now();
    Ok(commits_for_refs(repo, text)?
        .into_iter()
        .filter_map(|(c, branch)| {
            let keys = match rules {
                Some(r) => Some(r.keys(&c)).filter(|k| !k.is_empty())?,
                None => vec![],
            };
            let seen = outbox::Seen {
                hook: name.to_string(),
                branch: Some(branch),
                origin_url: origin_url.clone(),
                at,
            };
            Some(Event::new(String::new(), c, keys, &seen))
        })
        .collect())
}

/// Records what moved (the `post-*` hooks: since the tips were last recorded, the first time this
/// commit; `reference-transaction`: the updates it hands over, as seen) and appends `events`. Returns
/// how many things were queued. A damaged outbox file is set aside, and the queueing tried once more in a
/// fresh one.
fn queue(
    repo: &Repo,
    ob: &Outbox,
    name: &str,
    rt_text: Option<&str>,
    events: &[Event],
) -> Result<usize, OutboxError> {
    let t = outbox::now();
    let tips_now = rt_text.is_none().then(|| repo.tips());
    let first = match (&tips_now, name) {
        (Some(_), "post-commit") if !repo.rebase_in_progress() => repo
            .head()
            .ok()
            .flatten()
            .map(|c| format!("= {} {}\n", c.id, head_ref(repo)))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let once = || -> Result<usize, OutboxError> {
        let guard = ob.lock()?;
        let mut n = 0;
        if let Some(now) = &tips_now {
            n += sighting::updates(&guard.record_tips(now, &first, true, t)?).count();
        } else if let (Some(text), Some(mut seen)) = (rt_text, guard.tips()) {
            // reference-transaction: the updates it hands over are seen.
            for (_, new, reference, _) in sighting::updates(text) {
                seen.insert(reference.to_string(), new.to_string());
            }
            guard.set_tips(&seen)?;
        }
        n += events.len();
        guard.append(events.to_vec())?;
        Ok(n)
    };
    match once() {
        Err(OutboxError::Damaged { .. }) => once(),
        other => other,
    }
}

/// A foreground hook delivers what it queued within its time budget, and tells what went wrong.
fn deliver_now(
    repo: &Repo,
    ob: &Outbox,
    config: &Config,
    env: &crate::config::Env,
) -> Result<Notes, HookError> {
    let deadline = Instant::now() + Duration::from_secs_f64(config.hooks.budget_secs.max(0.0));
    let report = flush::flush(ob, repo, Ok(config), env, true, Some(deadline), false)?;
    let problems = plan::problems(&report.entries, &report.source_name);
    if problems.is_empty() && report.error.is_none() && report.requeued == 0 {
        return Ok(Notes::none());
    }
    Ok(Notes::one(Note::Delivery {
        problems,
        error: report.error,
        requeued: report.requeued,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn argv(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn reference_transaction_leaves_at_once_unless_committed() {
        for state in ["prepared", "aborted", "preparing"] {
            assert!(skip_at_once(&argv(&[
                "/r/.git/hooks/reference-transaction",
                state
            ])));
            assert!(skip_at_once(&argv(&[
                "git-notion",
                "hook",
                "reference-transaction",
                state
            ])));
        }
        assert!(!skip_at_once(&argv(&[
            "/r/.git/hooks/reference-transaction",
            "committed"
        ])));
        assert!(!skip_at_once(&argv(&[
            "git-notion",
            "hook",
            "reference-transaction",
            "committed",
            "--refs",
            "x"
        ])));
        assert!(!skip_at_once(&argv(&["/r/.git/hooks/post-commit"])));
        assert!(!skip_at_once(&argv(&["git-notion", "sync"])));
    }
}
