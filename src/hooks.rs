//! The git hooks: which commits each one syncs, queued in the outbox, then delivered by a detached flusher
//! (or inside the hook within a time budget in `foreground` mode). A hook never fails or slows git: every
//! problem becomes one warning line, and the exit code is always 0.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::config::{Config, HookMode};
use crate::desired::{Context, Rules};
use crate::git::{Commit, Repo};
use crate::outbox::{self, Event, Outbox, OutboxError};
use crate::{flush, plan};

/// The hooks git-notion handles.
pub const NAMES: [&str; 3] = ["post-commit", "post-merge", "post-rewrite"];

/// The commits a hook reports, and commits they replace (rewrites).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Commits {
    pub new: Vec<Commit>,
    pub replaced: Vec<String>,
}

fn env_get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Which commits a hook reports.
/// - post-commit: HEAD (nothing during a rebase: post-rewrite reports those).
/// - post-merge: `ORIG_HEAD..HEAD`, merge commits and fast-forwards included; a squash merge records
///   nothing (its own commit's post-commit does).
/// - post-rewrite: the new side of the old→new pairs on stdin; under the pre-commit framework (no stdin)
///   `ORIG_HEAD..HEAD` for a rebase and HEAD for an amend.
pub fn commits_for(
    repo: &Repo,
    name: &str,
    args: &[String],
    env: &[(String, String)],
    stdin: &mut dyn Read,
) -> Result<Commits, String> {
    let head_only = || -> Result<Commits, String> {
        Ok(Commits {
            new: repo
                .head()
                .map_err(|e| e.to_string())?
                .into_iter()
                .collect(),
            replaced: vec![],
        })
    };
    match name {
        "post-commit" => {
            if repo.rebase_in_progress() {
                return Ok(Commits::default());
            }
            head_only()
        }
        "post-merge" => {
            let squash = args.first().map(String::as_str) == Some("1")
                || env_get(env, "PRE_COMMIT_IS_SQUASH_MERGE") == Some("1");
            if squash {
                return Ok(Commits::default());
            }
            match repo.range("ORIG_HEAD", "HEAD") {
                Ok(new) => Ok(Commits {
                    new,
                    replaced: vec![],
                }),
                Err(_) => head_only(),
            }
        }
        "post-rewrite" => {
            let command = args
                .first()
                .map(String::as_str)
                .or_else(|| env_get(env, "PRE_COMMIT_REWRITE_COMMAND"))
                .unwrap_or("amend");
            let mut text = String::new();
            if env_get(env, "PRE_COMMIT_REWRITE_COMMAND").is_none() {
                let _ = stdin.read_to_string(&mut text);
            }
            let pairs: Vec<(String, String)> = text
                .lines()
                .filter_map(|l| {
                    let mut it = l.split_whitespace();
                    Some((it.next()?.to_string(), it.next()?.to_string()))
                })
                .collect();
            if pairs.is_empty() {
                return match command {
                    "rebase" => repo
                        .range("ORIG_HEAD", "HEAD")
                        .map(|new| Commits {
                            new,
                            replaced: vec![],
                        })
                        .or_else(|_| head_only()),
                    _ => head_only(),
                };
            }
            let mut new = vec![];
            for (_, n) in &pairs {
                if !new.iter().any(|c: &Commit| &c.id == n) {
                    new.push(repo.resolve(n).map_err(|e| e.to_string())?);
                }
            }
            Ok(Commits {
                new,
                replaced: pairs.into_iter().map(|(o, _)| o).collect(),
            })
        }
        other => Err(format!(
            "unknown hook {other:?}: git-notion handles post-commit, post-merge and post-rewrite"
        )),
    }
}

fn configured(repo: &Repo, env: &[(String, String)]) -> bool {
    repo.root().join(crate::config::FILE_NAME).exists()
        || env_get(env, "GIT_NOTION_DATABASE").is_some()
}

/// The hook the pre-commit framework is running (`git-notion hook auto`, for one hook id declared for three
/// stages): it sets `PRE_COMMIT_IS_SQUASH_MERGE` only for post-merge and `PRE_COMMIT_REWRITE_COMMAND` only
/// for post-rewrite.
pub fn pre_commit_stage(env: &[(String, String)]) -> &'static str {
    if env_get(env, "PRE_COMMIT_IS_SQUASH_MERGE").is_some() {
        "post-merge"
    } else if env_get(env, "PRE_COMMIT_REWRITE_COMMAND").is_some() {
        "post-rewrite"
    } else {
        "post-commit"
    }
}

/// Runs a hook (`auto`: the one the pre-commit framework runs); returns the warning line to print, if any.
pub fn run(
    name: &str,
    args: &[String],
    env: &[(String, String)],
    stdin: &mut dyn Read,
    user_config: Option<&Path>,
) -> Option<String> {
    if env_get(env, "GIT_NOTION_SKIP").is_some_and(|v| v != "0") {
        return None;
    }
    let name = if name == "auto" {
        pre_commit_stage(env)
    } else {
        name
    };
    let result = (|| -> Result<Option<String>, String> {
        let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
        let repo = Repo::discover(&cwd).map_err(|e| e.to_string())?;
        if !configured(&repo, env) {
            return Ok(None);
        }
        let config = Config::load(&repo.root(), user_config, &[]).map_err(|e| e.to_string())?;
        let rules = Rules::new(&config).map_err(|e| e.to_string())?;
        let commits = commits_for(&repo, name, args, env, stdin)?;
        let ctx = Context {
            branch: repo.branch(),
            origin_url: repo.origin_url(),
        };
        let t = outbox::now();
        let events: Vec<Event> = commits
            .new
            .into_iter()
            .filter_map(|c| {
                let keys = rules.keys(&c);
                (!keys.is_empty()).then(|| Event {
                    id: String::new(),
                    hook: name.to_string(),
                    keys,
                    branch: ctx.branch.clone(),
                    origin_url: ctx.origin_url.clone(),
                    queued_at: t,
                    attempts: 0,
                    next_try: t,
                    last_error: None,
                    commit: c,
                })
            })
            .collect();
        let ob = Outbox::new(repo.common_dir()).with_sync(repo.fsyncs_commits());
        if events.is_empty() && commits.replaced.is_empty() {
            // No ticket, no network; only say so if earlier updates need attention.
            return Ok(failed_warning(&ob));
        }
        let queue = || -> Result<usize, OutboxError> {
            let guard = ob.lock()?;
            if !commits.replaced.is_empty() {
                // A rewritten commit's pending update is superseded by the new commit's: never sent twice.
                let mut p = guard.pending()?;
                let before = p.events.len();
                p.events
                    .retain(|e| !commits.replaced.contains(&e.commit.id));
                if p.events.len() != before {
                    guard.set_pending(&p)?;
                }
            }
            guard.append(events.clone())?;
            Ok(guard.failed().map(|f| f.len()).unwrap_or(0))
        };
        // A damaged outbox file has been set aside by then: queue into a fresh one.
        let failed_before = match queue() {
            Ok(n) => n,
            Err(OutboxError::Damaged { .. }) => queue().map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        };
        match config.hooks.mode {
            HookMode::Background => {
                // A running flusher picks the new events up (it looks again before it exits).
                if !matches!(ob.flusher_lock(false), Ok(None)) {
                    spawn_flusher(&repo.root());
                }
                Ok(attention(&ob, failed_before))
            }
            HookMode::Foreground => {
                let deadline =
                    Instant::now() + Duration::from_secs_f64(config.hooks.budget_secs.max(0.0));
                let report = flush::flush(&ob, &config, env, true, Some(deadline))
                    .map_err(|e| e.to_string())?;
                let mut problems = plan::problems(&report.entries, &report.source_name);
                problems.extend(report.error.clone());
                if report.requeued > 0 && problems.is_empty() {
                    problems.push(format!("{} update(s) queued for later", report.requeued));
                }
                Ok((!problems.is_empty()).then(|| {
                    format!(
                        "{} (the commit is kept; `git notion status` lists pending and failed updates)",
                        problems.join("; ")
                    )
                }))
            }
        }
    })();
    match result {
        Ok(line) => line,
        Err(e) => Some(e),
    }
}

fn failed_warning(ob: &Outbox) -> Option<String> {
    if !ob.exists() && ob.damaged().is_empty() {
        return None;
    }
    let failed = ob.lock().ok()?.failed().map(|f| f.len()).unwrap_or(0);
    attention(ob, failed)
}

/// The one line a hook prints when earlier updates need a person: failures, or damaged outbox files.
fn attention(ob: &Outbox, failed: usize) -> Option<String> {
    let mut parts = vec![];
    if failed > 0 {
        parts.push(format!(
            "{failed} Notion update(s) failed; `git notion status` shows why, `git notion retry` re-queues them"
        ));
    }
    let damaged = ob.damaged();
    if let Some(first) = damaged.first() {
        parts.push(format!(
            "git-notion's outbox file {} is damaged and was set aside ({} file(s)); the updates in it may need \
             `git notion sync <commit>`; delete it once reviewed",
            first.display(),
            damaged.len()
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Starts `git-notion flush --background` detached: its own process group, no terminal, no pipes held
/// (hook managers wait for their pipes to close).
fn spawn_flusher(root: &Path) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut c = std::process::Command::new(exe);
    c.args(["flush", "--background"])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let _ = c.spawn();
}
