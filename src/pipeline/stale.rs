//! `git notion status --stale [DAYS]`: tickets in progress (their status in the local index is
//! `[status] on_commit`) whose last commit is older than DAYS, or that no commit names at all: the seed
//! runbook's "identify stale sync state", answered from history and the index, without the network.

use std::collections::HashMap;

use serde::Serialize;

use crate::git::{GitError, Repo, WalkSpec};
use crate::pipeline::key_index::KeyIndex;
use crate::rules::desired::Rules;

/// One ticket in progress with no recent commit.
#[derive(Debug, Serialize, PartialEq)]
pub struct Stale {
    /// The ticket key.
    pub key: String,
    /// Its page's title (as the index has it).
    pub title: String,
    /// Its status (the index's).
    pub status: String,
    /// The last commit naming it, if any.
    pub last_commit: Option<String>,
    /// When (committer time, Unix seconds).
    pub last_commit_at: Option<i64>,
    /// Whole days since then (none: no commit names it).
    pub idle_days: Option<i64>,
}

/// The tickets of `index` whose status is `in_progress` and whose last commit (on any branch, remote or
/// tag) is more than `days` days before `now`, oldest first; those no commit names come last.
pub fn stale(
    repo: &Repo,
    rules: &Rules,
    index: &KeyIndex,
    in_progress: &str,
    days: u32,
    now: i64,
) -> Result<Vec<Stale>, GitError> {
    let last = last_commits(repo, rules)?;
    let limit = i64::from(days) * 86_400;
    let mut out: Vec<Stale> = index
        .entries
        .iter()
        .filter(|(_, known)| known.status == in_progress && known.pages == 1)
        .filter_map(|(key, known)| {
            let seen = last.get(key);
            if seen.is_some_and(|(_, t)| now - t <= limit) {
                return None;
            }
            Some(Stale {
                key: key.clone(),
                title: known.title.clone(),
                status: known.status.clone(),
                last_commit: seen.map(|(id, _)| id.clone()),
                last_commit_at: seen.map(|(_, t)| *t),
                idle_days: seen.map(|(_, t)| (now - t) / 86_400),
            })
        })
        .collect();
    out.sort_by_key(|s| (s.last_commit_at.is_none(), s.last_commit_at));
    Ok(out)
}

/// Each key's last commit (id, committer time) on any branch, remote or tag.
fn last_commits(repo: &Repo, rules: &Rules) -> Result<HashMap<String, (String, i64)>, GitError> {
    let mut last: HashMap<String, (String, i64)> = HashMap::new();
    if repo.head()?.is_none() {
        return Ok(last);
    }
    let spec = WalkSpec {
        all: true,
        ..WalkSpec::default()
    };
    let map = |c: crate::git::Commit| {
        let keys: Vec<String> = rules.keys(&c).iter().map(|k| k.to_string()).collect();
        (c.id, c.time, keys)
    };
    repo.walk_map(&spec, &map, |(id, time, keys)| {
        for k in keys {
            let e = last.entry(k).or_insert((id.clone(), time));
            if time > e.1 {
                *e = (id.clone(), time);
            }
        }
        true
    })?;
    Ok(last)
}
