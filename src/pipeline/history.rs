//! History read into per-ticket tracks: streamed newest first, each ticket's effects gathered in a
//! [`Track`] (memory grows with tickets, not commits), with which commits a release branch reaches. The
//! replay reads all of it; the hooks' flusher and `sync` read it for the tickets they deliver
//! ([`crate::pipeline::session::history_tracks`]), which is what makes them agree.

use std::collections::{HashMap, HashSet};

use super::Error;
use crate::git::{Commit, Repo, WalkSpec};
use crate::rules::desired::{self, Rules, Track};
use crate::rules::tickets::{Overflow, TicketKey};

/// Which commit gives a ticket its title, date and link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Decide {
    /// The latest commit that names the ticket.
    #[default]
    Latest,
    /// The latest commit of one of these conventional-commit types (`feat`, `docs`), else the latest.
    Prefer(Vec<String>),
}

/// Which commits are on a release branch (closing keywords close only there), and which release tag
/// shipped each (`[status] on_release`, `[properties] release`).
#[derive(Debug, Clone)]
pub struct Released {
    branches: OnBranch,
    /// Which release ships each commit.
    tags: Releases,
}

/// Which release ships each commit: the first release tag (oldest first) that contains it.
#[derive(Debug, Clone, Default)]
pub struct Releases {
    /// The release tags' names, oldest first (a release's place is its index).
    names: Vec<String>,
    /// Commit id → the place of the release that ships it.
    shipped_by: HashMap<String, usize>,
}

impl Releases {
    /// The release tags ([`release_tags`]) and the commits each ships: those it contains and no earlier
    /// release contains (one pass over history).
    pub fn of(repo: &Repo, rules: &Rules) -> Result<Releases, Error> {
        let tags = release_tags(repo, rules);
        let ids: Vec<String> = tags.iter().map(|(_, id, _)| id.clone()).collect();
        let mut shipped_by = HashMap::new();
        for (place, shipped) in repo.reached_first(&ids)?.into_iter().enumerate() {
            for commit in shipped {
                shipped_by.insert(commit, place);
            }
        }
        Ok(Releases {
            names: tags.into_iter().map(|(name, _, _)| name).collect(),
            shipped_by,
        })
    }

    /// The release that ships commit `id`: its place (oldest first) and its tag.
    pub fn of_commit(&self, id: &str) -> Option<(usize, &str)> {
        let place = *self.shipped_by.get(id)?;
        Some((place, self.names.get(place)?.as_str()))
    }

    /// Each commit shipped, with its release's tag.
    pub fn shipped(&self) -> impl Iterator<Item = (&str, &str)> {
        self.shipped_by
            .iter()
            .filter_map(|(c, p)| Some((c.as_str(), self.names.get(*p)?.as_str())))
    }
}

/// Which commits a release branch reaches.
#[derive(Debug, Clone)]
enum OnBranch {
    /// Every commit counts as released (`close_on = "commit"`, or the walk is a release branch's).
    All,
    /// The ids of the commits reachable from a release branch.
    Ids(HashSet<String>),
}

impl Released {
    /// Every commit counts as on a release branch; no release tags.
    #[cfg(test)]
    pub fn all() -> Released {
        Released {
            branches: OnBranch::All,
            tags: Releases::default(),
        }
    }

    /// Every commit reachable from a release branch, local or remote-tracking (`origin/main`), within the
    /// walk's bounds; `All` without a second walk when only the current branch is replayed and it is one.
    /// With releases followed, each commit's first release tag too ([`releases`]).
    pub fn of(repo: &Repo, rules: &Rules, spec: &WalkSpec) -> Result<Released, Error> {
        let tags = if rules.follows_releases() {
            Releases::of(repo, rules)?
        } else {
            Releases::default()
        };
        if !spec.all && spec.tips == ["HEAD"] && rules.is_release(repo.branch().as_deref()) {
            return Ok(Released {
                branches: OnBranch::All,
                tags,
            });
        }
        let tips: Vec<String> = repo
            .branches()
            .into_iter()
            .filter(|(short, _)| rules.is_release(Some(short)))
            .map(|(_, full)| full)
            .collect();
        let ids = if tips.is_empty() {
            HashSet::new()
        } else {
            repo.reachable(&tips, &spec.hidden, spec.since)?
        };
        Ok(Released {
            branches: OnBranch::Ids(ids),
            tags,
        })
    }

    /// Whether the commit `id` is on a release branch.
    pub fn contains(&self, id: &str) -> bool {
        match &self.branches {
            OnBranch::All => true,
            OnBranch::Ids(ids) => ids.contains(id),
        }
    }

    /// The release that shipped commit `id` (its place, oldest first; its tag), if one did.
    pub fn release_of(&self, id: &str) -> Option<(usize, &str)> {
        self.tags.of_commit(id)
    }
}

/// The release tags (`[status] release_tags`) oldest first (by their commit's time, then name), each with
/// its place, and the commits each ships: those it contains and no earlier release contains.
pub fn release_tags(repo: &Repo, rules: &Rules) -> Vec<(String, String, i64)> {
    let mut tags: Vec<(String, String, i64)> = repo
        .tags()
        .into_iter()
        .filter(|(name, _, _)| rules.is_release_tag(name))
        .collect();
    tags.sort_by(|a, b| a.2.cmp(&b.2).then(a.0.cmp(&b.0)));
    tags
}

/// What history says: how many commits were read, and the tickets (sorted by key).
#[derive(Debug, Default)]
pub struct History {
    /// Commits read.
    pub commits: usize,
    /// Commits that name at least one ticket.
    pub commits_with_refs: usize,
    /// One track per ticket, with what its commits ask for.
    pub tickets: Vec<Track>,
    /// Commits whose message could not be judged (a bug in git-notion, reported): skipped, the rest read.
    pub unreadable: Vec<String>,
    /// Commits that named more keys than are read, or keys too long (the first [`MAX_WARNINGS`] warnings).
    pub overflows: Vec<String>,
}

/// The most overflow warnings kept (one commit each).
pub const MAX_WARNINGS: usize = 20;

/// Reads history newest first, gathering per ticket its effects (see [`Track`]: memory grows with the
/// number of tickets, the distinct statuses asked for and the comments, not with the number of commits).
/// Messages are judged on the walk's reader threads; their effects are gathered here, in walk order.
pub fn history(
    repo: &Repo,
    rules: &Rules,
    spec: &WalkSpec,
    decide: &Decide,
    released: &Released,
    only: Option<&HashSet<TicketKey>>,
) -> Result<History, Error> {
    let judge = |c: &Commit, r: bool| {
        let (mut effects, overflow) = rules.effects_noted(c, r);
        if let Some((place, tag)) = released.release_of(&c.id) {
            rules.shipped(&mut effects, place, tag);
        }
        (effects, overflow)
    };
    let map = |c: Commit| {
        let noted = judged(&judge, released, only, &c);
        (c, noted)
    };
    let mut reading = Reading::default();
    repo.walk_map(spec, &map, |(c, noted)| {
        let effects = noted.map(|(effects, overflow)| {
            if overflow.any() && reading.overflows.len() < MAX_WARNINGS {
                let short = c.id.get(..12).unwrap_or(&c.id);
                reading.overflows.push(overflow.warning(short));
            }
            effects
        });
        reading.add(decide, c, effects);
        true
    })?;
    Ok(reading.finish())
}

/// What one commit asks of its tickets (only those of `only`, if given), or None when judging its message
/// failed (a bug, reported: one commit never stops a whole replay).
fn judged(
    judge: Judge,
    released: &Released,
    only: Option<&HashSet<TicketKey>>,
    c: &Commit,
) -> Option<(Vec<(TicketKey, desired::Effect)>, Overflow)> {
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        judge(c, released.contains(&c.id))
    }));
    let (mut effects, overflow) = judged.ok()?;
    if let Some(only) = only {
        effects.retain(|(k, _)| only.contains(k));
    }
    Some((effects, overflow))
}

/// What [`history`] gathers as it reads commits, newest first.
#[derive(Default)]
struct Reading {
    commits: usize,
    commits_with_refs: usize,
    /// Per ticket: its track, and the latest commit of a preferred type (`--prefer`).
    tracks: HashMap<TicketKey, (Track, Option<Commit>)>,
    unreadable: Vec<String>,
    overflows: Vec<String>,
}

/// What a commit asks of each ticket, given whether it is released.
type Judge<'a> = &'a dyn Fn(&Commit, bool) -> (Vec<(TicketKey, desired::Effect)>, Overflow);

impl Reading {
    /// Reads one commit with `judge` (see [`judged`]).
    #[cfg(test)]
    fn read_with(
        &mut self,
        judge: Judge,
        decide: &Decide,
        released: &Released,
        only: Option<&HashSet<TicketKey>>,
        c: Commit,
    ) {
        let effects = judged(judge, released, only, &c).map(|(e, _)| e);
        self.add(decide, c, effects);
    }

    /// Gathers what one commit asks (commits come newest first).
    fn add(
        &mut self,
        decide: &Decide,
        c: Commit,
        effects: Option<Vec<(TicketKey, desired::Effect)>>,
    ) {
        self.commits += 1;
        let Some(effects) = effects else {
            self.unreadable.push(c.id.clone());
            return;
        };
        if effects.is_empty() {
            return;
        }
        self.commits_with_refs += 1;
        let preferred = match decide {
            Decide::Latest => false,
            Decide::Prefer(types) => desired::commit_type(c.subject())
                .is_some_and(|t| types.iter().any(|p| p.eq_ignore_ascii_case(&t))),
        };
        // Newest first: positions count down.
        let pos = -(self.commits as i64);
        for (key, effect) in effects {
            let (track, pref) = match self.tracks.get_mut(&key) {
                Some(t) => t,
                None => self
                    .tracks
                    .entry(key.clone())
                    .or_insert_with(|| (Track::new(key), None)),
            };
            track.add(pos, &c, effect);
            if preferred && pref.is_none() {
                *pref = Some(c.clone());
            }
        }
    }

    fn finish(self) -> History {
        let mut tickets: Vec<Track> = self
            .tracks
            .into_values()
            .map(|(mut t, pref)| {
                if let Some(c) = pref {
                    t.set_commit(c);
                }
                t
            })
            .collect();
        tickets.sort_by(|a, b| a.key.cmp(&b.key));
        History {
            commits: self.commits,
            commits_with_refs: self.commits_with_refs,
            tickets,
            unreadable: self.unreadable,
            overflows: self.overflows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(id: &str, message: &str) -> Commit {
        Commit {
            id: id.into(),
            message: message.into(),
            time: 0,
            offset: 0,
            parents: 1,
            author_email: String::new(),
        }
    }

    #[test]
    fn a_commit_that_cannot_be_judged_is_skipped_and_reported() {
        let judge = |c: &Commit, _released: bool| {
            assert!(c.id != "bad", "a bug while judging this message");
            (
                vec![(TicketKey::Token("#1".into()), desired::Effect::default())],
                Overflow::default(),
            )
        };
        let mut reading = Reading::default();
        for c in [
            commit("new", "#1 b"),
            commit("bad", "#1 x"),
            commit("old", "#1 a"),
        ] {
            reading.read_with(&judge, &Decide::Latest, &Released::all(), None, c);
        }
        let h = reading.finish();
        assert_eq!(h.unreadable, ["bad"]);
        assert_eq!(h.commits, 3);
        assert_eq!(h.commits_with_refs, 2);
        assert_eq!(h.tickets.len(), 1);
        assert_eq!(h.tickets[0].commit().map(|c| c.id.as_str()), Some("new"));
    }
}
