//! The `reference-transaction` hook's fast path. git runs the hook inside every commit, so on the common
//! path it only writes down what moved: it finds the git directory from the hook's environment (git runs
//! hooks at the top of the worktree, and sets `GIT_DIR` in linked worktrees), appends the `<old> <new>
//! <ref>` lines to the queue as a [`Sighting`] and starts the flusher. It opens no repository, reads no
//! configuration and compiles no pattern; the flusher reads the commits, their messages and their tickets
//! (a commit naming none still never reaches the network) before it delivers anything.
//!
//! `post-commit` (the `post-*` hooks of older gits and the pre-commit framework) takes it too: HEAD's
//! commit, read from HEAD and a loose branch file, is written down as `= <id> <ref>` (that commit only).
//!
//! Only updates of existing branches take this path: what `old..new` brings does not depend on when it
//! is read. A new branch (what no other reference reached *then*), a foreground configuration, a
//! repository found some other way, or anything unexpected takes the full path in the hook, as before.

use std::path::{Path, PathBuf};

use super::notes::{attention, Note, Notes};
use super::outbox::{Event, Outbox, OutboxError, Seen, Sighting};
use super::process::{spawn_flusher, REFERENCE_TRANSACTION, REF_UPDATE_CAP};
use crate::git::files::{self, Dirs as Place, Head};
use crate::git::Repo;
use crate::rules::desired::Rules;

/// Whether a file mentions `word` (lower case; a missing file does not).
fn mentions(path: &Path, word: &str) -> bool {
    std::fs::read(path).is_ok_and(|t| {
        t.to_ascii_lowercase()
            .windows(word.len())
            .any(|w| w == word.as_bytes())
    })
}

/// The branch updates worth reading, as `<old> <new> <ref>` lines, or None when one of them needs the full
/// path (a new reference).
fn lines(text: &str, place: &Place) -> Option<String> {
    let mut kept = String::new();
    for (old, new, reference, _) in updates(text) {
        if reference == "HEAD" {
            // On a branch (or in a rebase), the branch's own line reports the same commits.
            let on_branch = !matches!(files::head(&place.git_dir), Some(Head::Detached(_)));
            if on_branch || files::rebase_in_progress(&place.git_dir) {
                continue;
            }
        }
        let commit = files::is_commit_id;
        if !commit(old) || old.bytes().all(|b| b == b'0') || !commit(new) {
            return None;
        }
        kept.push_str(&format!("{old} {new} {reference}\n"));
    }
    Some(kept)
}

/// The updates of a `reference-transaction` text that bring commits to a reference that can hold them:
/// `(old, new, reference, short name)`. Symbolic updates, deletions, tags, `ORIG_HEAD`, `origin/HEAD` and
/// the stash bring none.
pub fn updates(text: &str) -> impl Iterator<Item = (&str, &str, &str, &str)> {
    text.lines().filter_map(|line| {
        let mut it = line.split_whitespace();
        let (old, new, reference) = (it.next()?, it.next()?, it.next()?);
        if new.starts_with("ref:") || new.bytes().all(|b| b == b'0') {
            return None;
        }
        Some((old, new, reference, short_name(reference)?))
    })
}

/// Whether a `reference-transaction` line creates a tag (`<zero> <id> refs/tags/<name>`).
fn created_tag(line: &str) -> bool {
    let mut it = line.split_whitespace();
    matches!(
        (it.next(), it.next(), it.next()),
        (Some(old), Some(new), Some(r))
            if old.bytes().all(|b| b == b'0') && !new.bytes().all(|b| b == b'0') && r.starts_with("refs/tags/")
    )
}

/// `post-commit`'s one commit, HEAD, as a `= <id> <ref>` line (`=`: this commit only, not a range), or
/// nothing during a rebase (post-rewrite reports those); None where HEAD is not a plain file pointing at
/// a loose branch file (packed refs, reftable, an unborn branch: the full path reads it).
fn head_line(place: &Place) -> Option<String> {
    if files::rebase_in_progress(&place.git_dir) {
        return Some(String::new());
    }
    let (id, reference) = match files::head(&place.git_dir)? {
        Head::Symbolic(r) => {
            if !r.starts_with("refs/heads/") {
                return None;
            }
            let id = std::fs::read_to_string(place.common_dir.join(&r)).ok()?;
            (id.trim().to_string(), r)
        }
        Head::Detached(id) => (id, "HEAD".to_string()),
    };
    files::is_commit_id(&id).then(|| format!("= {id} {reference}\n"))
}

/// The short name an event records for a reference that brings commits (`main`, `origin/main`, `HEAD`), or
/// None for references that bring none (tags, `ORIG_HEAD`, `origin/HEAD`, the stash).
pub fn short_name(reference: &str) -> Option<&str> {
    if let Some(b) = reference.strip_prefix("refs/heads/") {
        Some(b)
    } else if let Some(b) = reference.strip_prefix("refs/remotes/") {
        (!b.ends_with("/HEAD")).then_some(b)
    } else {
        (reference == "HEAD").then_some(reference)
    }
}

/// What a hook on the fast path queues.
enum Work {
    /// `reference-transaction`'s updates, as `<old> <new> <ref>` lines.
    Updates(String),
    /// The tips now, and what to queue when none were recorded yet.
    Tips {
        /// The branch tips now.
        tips: super::tips::Tips,
        /// post-commit's own commit (`= <id> <ref>`), for the first record.
        first: String,
    },
}

impl Work {
    /// Queues it (a damaged outbox file set aside, once more in a fresh one); what was queued.
    fn queue(&self, ob: &Outbox) -> Result<String, OutboxError> {
        let now = super::outbox::now();
        let once = || -> Result<String, OutboxError> {
            let guard = ob.lock()?;
            match self {
                Work::Updates(refs) => {
                    guard.append_sighting(refs.clone(), now)?;
                    // What it hands over is seen: the tips rule does not queue it again.
                    if let Some(mut seen) = guard.tips() {
                        for (_, new, reference, _) in updates(refs) {
                            seen.insert(reference.to_string(), new.to_string());
                        }
                        guard.set_tips(&seen)?;
                    }
                    Ok(refs.clone())
                }
                Work::Tips { tips, first } => guard.record_tips(tips, first, true, now),
            }
        };
        match once() {
            Err(OutboxError::Damaged { .. }) => once(),
            other => other,
        }
    }
}

/// `GIT_NOTION_SKIP=1`: records the tips as seen, queueing nothing (a no-op where the files are not the
/// plain case, or nothing was recorded yet).
pub(super) fn skip(env: &crate::config::Env) {
    let Some(place) = Place::of_hook(env) else {
        return;
    };
    let ob = Outbox::new(&place.common_dir);
    if !ob.dir().join(super::tips::FILE).exists() {
        return;
    }
    if let Some(now) = super::tips::read_files(&place.git_dir, &place.common_dir) {
        if let Ok(guard) = ob.lock() {
            let _ = guard.record_tips(&now, "", false, super::outbox::now());
        }
    }
}

/// The hook's fast path: None when it does not apply (the full path runs), else what the hook tells.
/// `text`: a `reference-transaction` hook's updates; None for the `post-*` hooks, which queue what moved
/// since the tips were recorded (the first time, `post-commit`'s own commit).
pub(super) fn quick(
    name: &str,
    text: Option<&str>,
    env: &crate::config::Env,
    user_config: Option<&Path>,
) -> Option<Notes> {
    let place = Place::of_hook(env)?;
    let config = place.root.join(crate::config::FILE_NAME);
    if !config.exists() && env.value("GIT_NOTION_DATABASE").is_none() {
        // Not configured here: nothing to do, as on the full path.
        return Some(Notes::none());
    }
    // A configuration changed since a hook last read it is read on the full path, which says at once if
    // it is broken.
    let ob = Outbox::new(&place.common_dir);
    if std::fs::read_to_string(ob.dir().join(STAMP)).ok() != Some(stamp(&config, user_config)) {
        return None;
    }
    // A foreground hook delivers inside the commit: the full path.
    if foreground(env, &config, user_config) {
        return None;
    }
    let ob = ob.with_sync(fsyncs(&place, env));
    // What to queue, found before taking the lock (None: the full path reads it).
    let work = match text {
        Some(text) => Work::Updates(lines(text, &place)?),
        None => {
            let tips = super::tips::read_files(&place.git_dir, &place.common_dir)?;
            // The first time (nothing recorded): post-commit's own commit.
            let first = if name == "post-commit" && !ob.dir().join(super::tips::FILE).exists() {
                head_line(&place)?
            } else {
                String::new()
            };
            Work::Tips { tips, first }
        }
    };
    if matches!(&work, Work::Updates(refs) if refs.is_empty()) {
        // A tag made where releases are followed: the flusher reads it (see `releases`).
        let released = text.is_some_and(|t| t.lines().any(created_tag))
            && ob.dir().join(super::releases::FILE).exists();
        if released && !matches!(ob.flusher_lock(false), Ok(None)) {
            spawn_flusher(&place.root);
        }
        return Some(attention_or_unwritable(&ob));
    }
    match work.queue(&ob) {
        Ok(queued) if queued.is_empty() => return Some(attention_or_unwritable(&ob)),
        Ok(_) => {}
        Err(error) => return Some(Notes::one(Note::NotQueued { error, commits: 1 })),
    }
    if !matches!(ob.flusher_lock(false), Ok(None)) {
        spawn_flusher(&place.root);
    }
    Some(attention(&ob))
}

/// The hooks may run in the foreground (the mode set so, or a configuration file mentioning it: read on
/// the full path).
fn foreground(env: &crate::config::Env, config: &Path, user_config: Option<&Path>) -> bool {
    env.value("GIT_NOTION_MODE").map_or_else(
        || mentions(config, "foreground") || user_config.is_some_and(|p| mentions(p, "foreground")),
        |m| m != "background",
    )
}

/// Nothing was queued: whether the next commit naming a ticket could be, else what needs attention.
fn attention_or_unwritable(ob: &Outbox) -> Notes {
    match ob.openable() {
        Err(error) => Notes::one(Note::NotQueued { error, commits: 0 }),
        Ok(()) => attention(ob),
    }
}

/// The file recording which configuration files a hook last read without a problem.
const STAMP: &str = "config.read";

/// The size and modification time of the repository's and the user's configuration files.
fn stamp(config: &Path, user_config: Option<&Path>) -> String {
    let one = |p: Option<&Path>| {
        p.and_then(|p| std::fs::metadata(p).ok())
            .map(|m| {
                let t = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{}:{t}", m.len())
            })
            .unwrap_or_else(|| "-".into())
    };
    format!("{} {}\n", one(Some(config)), one(user_config))
}

/// Records that the configuration read without a problem (the full path, after reading it): until a file
/// changes, hooks take the fast path.
pub(super) fn config_read(ob: &Outbox, root: &Path, user_config: Option<&Path>) {
    let now = stamp(&root.join(crate::config::FILE_NAME), user_config);
    if std::fs::read_to_string(ob.dir().join(STAMP))
        .ok()
        .as_deref()
        != Some(now.as_str())
    {
        let _ = ob.openable();
        let _ = crate::files::write_private(&ob.dir().join(STAMP), now.as_bytes());
    }
}

/// Whether git may be set to fsync commits (then the hook fsyncs its line too; see `outbox`): any of
/// git's configuration files mentioning `fsync`, or including others (not followed here).
fn fsyncs(place: &Place, env: &crate::config::Env) -> bool {
    let home = env.value("HOME").map(PathBuf::from);
    let xdg = env
        .value("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut files = vec![
        place.common_dir.join("config"),
        place.git_dir.join("config.worktree"),
    ];
    match env.value("GIT_CONFIG_GLOBAL") {
        Some(g) => files.push(PathBuf::from(g)),
        None => {
            files.extend(home.map(|h| h.join(".gitconfig")));
            files.extend(xdg.map(|x| x.join("git").join("config")));
        }
    }
    if env
        .value("GIT_CONFIG_NOSYSTEM")
        .is_none_or(|v| v == "0" || v == "false")
    {
        files.push(
            env.value("GIT_CONFIG_SYSTEM")
                .map_or_else(|| "/etc/gitconfig".into(), PathBuf::from),
        );
    }
    let from_env = env
        .vars()
        .any(|(k, v)| k.starts_with("GIT_CONFIG") && v.to_ascii_lowercase().contains("fsync"));
    from_env
        || files
            .iter()
            .any(|f| mentions(f, "fsync") || mentions(f, "[include"))
}

/// The events a sighting brings, as the full path would have queued them then: each commit the update
/// made newly reachable, with its tickets (`rules`; without them, when the configuration cannot be read
/// yet, every commit, its tickets found once it is fixed). Ids derive from the sighting's.
pub fn read(repo: &Repo, rules: Option<&Rules>, s: &Sighting) -> Vec<Event> {
    let origin_url = repo.origin_url();
    let mut events: Vec<Event> = vec![];
    let hidden = super::tips::hidden_in(&s.refs);
    for (old, new, reference, short) in updates(&s.refs) {
        // `=`: post-commit's one commit. A commit that cannot be read (pruned since) brings nothing: the
        // replay covers what it named.
        let one = old == "=";
        let created = old.bytes().all(|b| b == b'0');
        let read = match &hidden {
            _ if one => repo.resolve(new).map(|c| vec![c]),
            // A new reference: its commits no tip recorded before it reached.
            Some(hidden) if created => repo.reachable_past(new, hidden, REF_UPDATE_CAP),
            _ => repo.newly_reachable(reference, old, new, REF_UPDATE_CAP),
        };
        let Ok(commits) = read else {
            continue;
        };
        let (hook, branch) = match (one, reference) {
            (true, "HEAD") => ("post-commit", None),
            (true, _) => ("post-commit", Some(short.to_string())),
            (false, _) => (REFERENCE_TRANSACTION, Some(short.to_string())),
        };
        let seen = Seen {
            hook: hook.to_string(),
            branch,
            origin_url: origin_url.clone(),
            at: s.queued_at,
        };
        for c in commits {
            if events.iter().any(|e| e.commit.id == c.id) {
                continue;
            }
            let keys = match rules {
                Some(r) => Some(r.keys(&c)).filter(|k| !k.is_empty()),
                None => Some(vec![]),
            };
            let Some(keys) = keys else { continue };
            let id = format!("{}-{}-{}", &c.id[..12.min(c.id.len())], s.id, events.len());
            events.push(Event::new(id, c, keys, &seen));
        }
    }
    events
}
