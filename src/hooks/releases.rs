//! Release tags the hooks have not seen yet (`[status] on_release`, `[properties] release`). The flusher,
//! `git notion flush` and `sync` compare the release tags now (`[status] release_tags`) with the record in
//! the outbox (`release-tags`: `<commit> <tag>` lines) and queue, for each new one, the commits it ships
//! (those it contains and no earlier release contains) that close a ticket: the tickets then go through
//! the usual delivery, whose desired state comes from history, releases included, as the replay's does.
//! The first time (no record), the tags are recorded and nothing is queued: what was released before
//! git-notion watched is the replay's, as for branches. The `reference-transaction` hook starts the
//! flusher when a tag is created; with the `post-*` hooks, the next hook event or `git notion flush` sees it.

use std::collections::HashSet;

use super::outbox::{Event, Outbox, OutboxError, Seen};
use crate::git::Repo;
use crate::pipeline::history;
use crate::rules::desired::Rules;

/// The outbox file recording the release tags seen.
pub const FILE: &str = "release-tags";

/// Queues what the release tags created since the record ship; returns how many commits were queued.
/// Nothing is read where releases are not followed.
pub fn catch_up(outbox: &Outbox, repo: &Repo, rules: &Rules) -> Result<usize, OutboxError> {
    if !rules.follows_releases() {
        return Ok(0);
    }
    let tags = history::release_tags(repo, rules);
    let now: String = tags
        .iter()
        .map(|(n, id, _)| format!("{id} {n}\n"))
        .collect();
    let path = outbox.dir().join(FILE);
    let io = |e: std::io::Error| OutboxError::Io {
        path: path.clone(),
        detail: e.to_string(),
    };
    let known = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(outbox.dir()).map_err(io)?;
            crate::files::write_private(&path, now.as_bytes()).map_err(io)?;
            return Ok(0);
        }
        Err(e) => return Err(io(e)),
    };
    if known == now {
        return Ok(0);
    }
    let seen: HashSet<&str> = known.lines().collect();
    let new: HashSet<&str> = tags
        .iter()
        .filter(|(n, id, _)| !seen.contains(format!("{id} {n}").as_str()))
        .map(|(n, _, _)| n.as_str())
        .collect();
    let queued = if new.is_empty() {
        0
    } else {
        queue_shipped(outbox, repo, rules, &new)?
    };
    let tmp = outbox.dir().join(format!("{FILE}.tmp"));
    crate::files::write_private(&tmp, now.as_bytes()).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(queued)
}

/// Queues, for each commit the releases `new` ship, the tickets it closes; returns how many commits.
fn queue_shipped(
    outbox: &Outbox,
    repo: &Repo,
    rules: &Rules,
    new: &HashSet<&str>,
) -> Result<usize, OutboxError> {
    let releases = history::Releases::of(repo, rules).unwrap_or_default();
    let seen_at = Seen {
        hook: "release".into(),
        branch: None,
        origin_url: repo.origin_url(),
        at: super::outbox::now(),
    };
    let mut events = vec![];
    for (id, tag) in releases.shipped() {
        if !new.contains(tag) {
            continue;
        }
        let Ok(commit) = repo.resolve(id) else {
            continue;
        };
        let keys: Vec<_> = rules
            .effects(&commit, true)
            .into_iter()
            .filter(|(_, e)| e.closes)
            .map(|(k, _)| k)
            .collect();
        if !keys.is_empty() {
            events.push(Event::new(String::new(), commit, keys, &seen_at));
        }
    }
    let queued = events.len();
    outbox.lock()?.append(events)?;
    Ok(queued)
}
