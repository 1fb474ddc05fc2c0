//! Desired state: what a ticket's page should say, given the commits that name it.
//!
//! Each commit asks something of each ticket it names (an [`Effect`], from its message's intents and the
//! `[status]` rules); a [`Track`] gathers a ticket's effects over its commits, in any order; the desired
//! state follows:
//! - Status: a mention asks for `on_commit`; a closing keyword (or a type mapped to `on_merge`) asks for
//!   `on_merge` once the commit is on a release branch (or at once with `close_on = "commit"`), else
//!   `on_commit`; other `[status.types]` apply as they are; WIP never closes; a revert asks nothing (or,
//!   with `on_revert = "reopen"`, `on_commit` exactly). Automatic statuses never move backwards: the
//!   furthest one wins (the plan also never moves a page backwards). `#status Name` is exact: the latest
//!   one wins over older commits and may move a page backwards; later automatic statuses only move it on.
//! - Comments: `#comment text` commands, and a revert's subject (`on_revert` = comment or reopen).
//! - Title: the latest commit's subject, offered only to the ticket the subject is about (its first key),
//!   so that `#012 … (#026)` never retitles #026, and never a revert's (the plan applies the title policy).
//!   Date: the commit date. Commit URL: from the `origin` remote.

use crate::config::{CloseOn, Config, ConfigError, OnRevert, Status};
use crate::git::Commit;
use std::sync::Arc;

use crate::rules::commit_list::Line;
use crate::rules::intent::{self, Keywords};
use crate::rules::tickets::{Extractor, Overflow, TicketKey};

/// What one ticket's page should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The ticket.
    pub key: TicketKey,
    /// The commit that gives the title, date and link (the latest that names the ticket).
    pub commit: Commit,
    /// The status history asks for (None: leave it).
    pub status: Option<String>,
    /// The status was asked for by `#status` (or a reopening revert): it may move the page backwards.
    pub status_exact: bool,
    /// None when the subject is about another ticket, or reverts.
    pub title: Option<String>,
    /// The commit's date (`YYYY-MM-DD`, the committer's time zone).
    pub date: String,
    /// The commit's web link, when `origin` gives one.
    pub commit_url: Option<String>,
    /// Comments to post (once: the plan skips those already on the page).
    pub comments: Vec<Comment>,
    /// The author's email of the first commit that names the ticket (`[properties] assignee`).
    pub author: Option<String>,
    /// The newest commits that name the ticket, newest first (`[properties] commits`).
    pub commits: Vec<Line>,
    /// The releases that shipped a commit closing the ticket, oldest first (`[properties] release`).
    pub releases: Vec<String>,
    /// The link of a pull request that names the ticket (`git notion review`; history gives none).
    pub pull_request: Option<String>,
    /// How many older commits name it beyond `commits`.
    pub commits_older: usize,
}

impl Desired {
    /// A desired state of `key` that asks nothing yet, `commit` standing for it: a caller sets what it
    /// asks (`git notion review`: a status and a link).
    pub fn nothing(key: TicketKey, commit: Commit) -> Desired {
        Desired {
            key,
            commit,
            status: None,
            status_exact: false,
            title: None,
            date: String::new(),
            commit_url: None,
            comments: vec![],
            author: None,
            commits: vec![],
            commits_older: 0,
            releases: vec![],
            pull_request: None,
        }
    }
}

/// A comment a commit asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The full commit id: it marks the comment, so that it is never posted twice.
    pub commit: String,
    /// What to say.
    pub text: String,
    /// The commit's web link, when `origin` gives one.
    pub commit_url: Option<String>,
}

/// A status a commit asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// From the rules: never moves backwards.
    Auto(String),
    /// From `#status Name` or a reopening revert: exactly this.
    Exact(String),
}

/// What one commit asks of one ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effect {
    /// The status it proposes.
    pub status: Option<Proposal>,
    /// Comments it asks for (`#comment`, a revert's subject).
    pub comments: Vec<String>,
    /// The commit's subject is about this ticket (its first key, not a revert): it may give the title.
    pub titles: bool,
    /// The commit closes the ticket (a closing keyword, or a type mapped to `on_merge`; not WIP, not a
    /// revert).
    pub closes: bool,
    /// The release that shipped the commit, when it closes the ticket: (the tag's place among the
    /// releases, oldest first; its name).
    pub release: Option<(usize, String)>,
    /// The ticket's commits are listed (`[properties] commits`): this commit's subject as its line shows
    /// it (cut once per commit, shared by the tickets it names), for the track to keep.
    pub listed: Option<Arc<str>>,
}

/// The `[status]` rules and ticket patterns, compiled.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Finds ticket keys in text.
    pub extractor: Extractor,
    keywords: Keywords,
    status: Status,
    /// `[branches] patterns`, compiled (empty: the ticket patterns).
    branch_patterns: Vec<regex::Regex>,
    branches: crate::config::Branches,
    /// Whether releases are followed (`[status] on_release` or `[properties] release`).
    follows_releases: bool,
    /// Whether each ticket's commits are listed (`[properties] commits`).
    lists_commits: bool,
}

impl Rules {
    /// The rules of a configuration (its patterns compiled, its keywords sorted) for a repository whose
    /// `origin` remote is `origin_url`: without `[tickets] ignore`, its host decides which hosting
    /// conventions' numbers are not keys (`rules::conventions`).
    pub fn new(config: &Config, origin_url: Option<&str>) -> Result<Rules, ConfigError> {
        let extractor = Extractor::of(config)?;
        let conventions = config.tickets.ignore.clone().unwrap_or_else(|| {
            crate::rules::conventions::defaults(origin_url.and_then(crate::git::links::forge))
        });
        let ignore = crate::rules::conventions::Ignore {
            conventions,
            patterns: extractor.ignore().patterns.clone(),
        };
        let follows = |c: &Config| c.status.on_release.is_some() || c.properties.release.is_some();
        let mut status = config.status.clone();
        if config.several() {
            // The whole configuration's rules (the hooks') queue what any database asks for: every
            // database's closing keywords and release tags.
            let every = config.databases();
            status.closing_keywords = every
                .iter()
                .flat_map(|c| c.status.closing_keywords.iter().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            status.release_tags = every
                .iter()
                .filter(|c| follows(c))
                .flat_map(|c| c.status.release_tags.iter().cloned())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
        }
        Ok(Rules {
            extractor: extractor.with_ignore(ignore),
            keywords: Keywords::new(&status.closing_keywords),
            branch_patterns: config.patterns("configuration")?.branch_patterns,
            branches: config.branches.clone(),
            follows_releases: config.databases().iter().any(|c| follows(c)),
            lists_commits: config.properties.commits.is_some(),
            status,
        })
    }

    /// Whether releases are followed (`[status] on_release` or `[properties] release`): only then are
    /// tags read.
    pub fn follows_releases(&self) -> bool {
        self.follows_releases
    }

    /// The tag is a release (`[status] release_tags`, globs).
    pub fn is_release_tag(&self, tag: &str) -> bool {
        self.status.release_tags.iter().any(|p| glob_match(p, tag))
    }

    /// What a commit that the release `tag` (the `place`-th release, oldest first) ships asks of the
    /// tickets it closes: `on_release`, and the release's name.
    pub fn shipped(&self, effects: &mut [(TicketKey, Effect)], place: usize, tag: &str) {
        for (_, effect) in effects.iter_mut().filter(|(_, e)| e.closes) {
            effect.release = Some((place, tag.to_string()));
            if let Some(s) = &self.status.on_release {
                effect.status = Some(Proposal::Auto(s.clone()));
            }
        }
    }

    /// The `[branches]` settings.
    pub fn branches(&self) -> &crate::config::Branches {
        &self.branches
    }

    /// The ticket a branch's name carries (`feature/TASK-17-login` → TASK-17): by `[branches] patterns`
    /// (the match, or its first group, formatted by `key`), else the first key the ticket patterns find.
    pub fn branch_key(&self, branch: &str) -> Option<TicketKey> {
        let written = if self.branch_patterns.is_empty() {
            branch.to_string()
        } else {
            self.branch_patterns.iter().find_map(|re| {
                let c = re.captures(branch)?;
                let m = c.get(1).or_else(|| c.get(0))?;
                Some(self.branches.key.replace("{}", m.as_str()))
            })?
        };
        self.extractor
            .extract(&written)
            .into_iter()
            .find(|k| !matches!(k, TicketKey::Page(_)))
    }

    /// What a message asks, plus, with `[branches] close_on_merge`, a close of the ticket that the
    /// branch a merge commit merges carries (`Merge branch 'feature/TASK-17-login'`).
    pub fn intents(&self, commit: &Commit) -> intent::Intents {
        let mut intents = intent::parse(&commit.message, &self.extractor, &self.keywords);
        if !self.branches.close_on_merge || commit.parents < 2 || intents.skip {
            return intents;
        }
        if intents.revert.is_some() {
            return intents;
        }
        let Some(key) = merged_branch(commit.subject()).and_then(|b| self.branch_key(b)) else {
            return intents;
        };
        match intents.tickets.iter_mut().find(|(k, _)| *k == key) {
            Some((_, t)) => t.close = true,
            None => intents.tickets.push((
                key,
                intent::TicketIntent {
                    close: true,
                    ..Default::default()
                },
            )),
        }
        intents
    }

    /// The branch is a release branch (`[status] release_branches`, globs).
    pub fn is_release(&self, branch: Option<&str>) -> bool {
        branch.is_some_and(|b| {
            self.status
                .release_branches
                .iter()
                .any(|p| glob_match(p, b))
        })
    }

    /// The tickets a commit names (none with `[skip notion]`).
    pub fn keys(&self, commit: &Commit) -> Vec<TicketKey> {
        self.keys_noted(commit).0
    }

    /// [`Rules::keys`], and what the message named beyond the limits (left out).
    pub fn keys_noted(&self, commit: &Commit) -> (Vec<TicketKey>, Overflow) {
        let intents = self.intents(commit);
        let keys = intents.tickets.into_iter().map(|(k, _)| k).collect();
        (keys, intents.overflow)
    }

    /// What a commit asks of each ticket it names; `released`: the commit is on a release branch.
    pub fn effects(&self, commit: &Commit, released: bool) -> Vec<(TicketKey, Effect)> {
        self.effects_noted(commit, released).0
    }

    /// [`Rules::effects`], and what the message named beyond the limits (left out).
    pub fn effects_noted(
        &self,
        commit: &Commit,
        released: bool,
    ) -> (Vec<(TicketKey, Effect)>, Overflow) {
        let intents = self.intents(commit);
        let overflow = intents.overflow;
        if intents.skip {
            return (vec![], overflow);
        }
        let s = &self.status;
        let mapped = commit_type(commit.subject())
            .and_then(|t| s.types.get(&t))
            .or_else(|| s.types.get("*"));
        let type_closes = mapped.is_some() && mapped == s.on_merge.as_ref();
        let first = self.extractor.extract(commit.subject()).into_iter().next();
        let closed = if released || s.close_on == CloseOn::Commit {
            s.on_merge.as_ref().or(s.on_commit.as_ref())
        } else {
            s.on_commit.as_ref()
        };
        let listed: Option<Arc<str>> = self
            .lists_commits
            .then_some(())
            .filter(|_| !intents.tickets.is_empty())
            .map(|_| crate::rules::commit_list::cut(commit.subject()).into());
        let effects = intents
            .tickets
            .into_iter()
            .map(|(key, t)| {
                let mut effect = Effect {
                    status: None,
                    comments: t.comments,
                    titles: intents.revert.is_none() && first.as_ref() == Some(&key),
                    closes: false,
                    release: None,
                    listed: listed.clone(),
                };
                if intents.revert.is_some() {
                    if s.on_revert != OnRevert::Ignore {
                        effect.comments.insert(0, intent::bounded(commit.subject()));
                    }
                    if s.on_revert == OnRevert::Reopen {
                        effect.status = s.on_commit.clone().map(Proposal::Exact);
                    }
                } else if let Some(name) = t.status {
                    effect.status = Some(Proposal::Exact(name));
                } else if t.close || (type_closes && !intents.wip) {
                    effect.status = closed.cloned().map(Proposal::Auto);
                    effect.closes = true;
                } else if let (Some(m), false) = (mapped.filter(|_| !type_closes), intents.wip) {
                    effect.status = Some(Proposal::Auto(m.clone()));
                } else {
                    effect.status = s.on_commit.clone().map(Proposal::Auto);
                }
                (key, effect)
            })
            .collect();
        (effects, overflow)
    }
}

/// The branch a merge commit's subject names as merged, as git and the hosts write it: `Merge branch 'X'`
/// (`… into 'main'`), `Merge remote-tracking branch 'origin/X'`, `Merge pull request #9 from owner/X`,
/// `Merged in X (pull request #12)`.
pub fn merged_branch(subject: &str) -> Option<&str> {
    fn quoted(rest: &str) -> Option<&str> {
        let rest = rest.strip_prefix('\'')?;
        Some(&rest[..rest.find('\'')?])
    }
    if let Some(rest) = subject.strip_prefix("Merge branch ") {
        return quoted(rest);
    }
    if let Some(rest) = subject.strip_prefix("Merge remote-tracking branch ") {
        return quoted(rest);
    }
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        let (_, from) = rest.split_once(" from ")?;
        return from.split_whitespace().next();
    }
    if let Some(rest) = subject.strip_prefix("Merged in ") {
        return rest.split_whitespace().next();
    }
    None
}

/// One ticket's effects gathered over its commits, in any order: `pos` orders them (larger is newer).
#[derive(Debug, Clone)]
pub struct Track {
    /// The ticket.
    pub key: TicketKey,
    /// How many commits name it.
    pub commits: usize,
    latest: Option<(i64, Commit)>,
    /// The latest commit whose subject is about this ticket (it gives the title).
    titled: Option<(i64, Commit)>,
    /// Each automatic status asked for, with the newest position that asked for it.
    autos: Vec<(String, i64)>,
    /// The newest exact status.
    exact: Option<(String, i64)>,
    /// (position, commit id, text)
    comments: Vec<(i64, String, String)>,
    /// The author's email of the earliest commit that has one (position, email).
    first_author: Option<(i64, String)>,
    /// The newest commits (time, id, subject), at most [`Track::LISTED`], newest first.
    listed: Vec<(i64, String, Arc<str>)>,
    /// Commits older than those in `listed`.
    listed_older: usize,
    /// The releases that shipped a commit closing the ticket (place, name), oldest first.
    releases: Vec<(usize, String)>,
}

impl Track {
    /// An empty track for `key`.
    pub fn new(key: TicketKey) -> Track {
        Track {
            key,
            commits: 0,
            latest: None,
            titled: None,
            autos: vec![],
            exact: None,
            comments: vec![],
            first_author: None,
            listed: vec![],
            listed_older: 0,
            releases: vec![],
        }
    }

    /// How many commits a track lists by name (more than a page shows: the rest is a count).
    pub const LISTED: usize = 100;

    /// Keeps `commit` in the list of the newest commits (each once).
    fn list(&mut self, commit: &Commit, subject: Arc<str>) {
        let key = (commit.time, commit.id.as_str());
        let at = self
            .listed
            .partition_point(|(t, id, _)| (*t, id.as_str()) > key);
        // Kept in (time, id) order: the same commit again would be right here.
        if self
            .listed
            .get(at)
            .is_some_and(|(t, id, _)| (*t, id.as_str()) == key)
        {
            return;
        }
        if at >= Self::LISTED {
            self.listed_older += 1;
            return;
        }
        // Cut as the line shows it, once per commit: one naming 50,000 tickets shares one short subject.
        self.listed
            .insert(at, (commit.time, commit.id.clone(), subject));
        if self.listed.len() > Self::LISTED {
            self.listed.pop();
            self.listed_older += 1;
        }
    }

    /// Adds one commit's effect at position `pos` (larger is newer).
    pub fn add(&mut self, pos: i64, commit: &Commit, effect: Effect) {
        self.commits += 1;
        if let Some(subject) = effect.listed {
            self.list(commit, subject);
        }
        if self.latest.as_ref().is_none_or(|(p, _)| pos > *p) {
            self.latest = Some((pos, commit.clone()));
        }
        if effect.titles && self.titled.as_ref().is_none_or(|(p, _)| pos > *p) {
            self.titled = Some((pos, commit.clone()));
        }
        if !commit.author_email.is_empty()
            && self.first_author.as_ref().is_none_or(|(p, _)| pos < *p)
        {
            self.first_author = Some((pos, commit.author_email.clone()));
        }
        if let Some(release) = effect.release {
            if let Err(at) = self.releases.binary_search(&release) {
                self.releases.insert(at, release);
            }
        }
        match effect.status {
            Some(Proposal::Auto(name)) => match self.autos.iter_mut().find(|(n, _)| *n == name) {
                Some((_, p)) => *p = (*p).max(pos),
                None => self.autos.push((name, pos)),
            },
            Some(Proposal::Exact(name)) if self.exact.as_ref().is_none_or(|(_, p)| pos > *p) => {
                self.exact = Some((name, pos));
            }
            _ => {}
        }
        for text in effect.comments {
            if !self
                .comments
                .iter()
                .any(|(_, c, t)| *c == commit.id && *t == text)
            {
                self.comments.push((pos, commit.id.clone(), text));
            }
        }
    }

    /// The commit that gives the title, date and link (the latest, unless set).
    pub fn commit(&self) -> Option<&Commit> {
        self.latest.as_ref().map(|(_, c)| c)
    }

    /// The commit that gives the title: the latest whose subject is about this ticket.
    pub fn title_commit(&self) -> Option<&Commit> {
        self.titled.as_ref().map(|(_, c)| c)
    }

    /// Lets another commit give the title, date and link (`git notion-replay --prefer`).
    pub fn set_commit(&mut self, commit: Commit) {
        let pos = self.latest.as_ref().map_or(0, |(p, _)| *p);
        self.latest = Some((pos, commit.clone()));
        self.titled = Some((pos, commit));
    }

    /// The status the commits ask for, and whether it is exact. `rank` orders statuses (None: unknown).
    pub fn status(&self, rank: &dyn Fn(&str) -> Option<usize>) -> Option<(String, bool)> {
        let further = |a: &(String, i64), b: &(String, i64)| match (rank(&a.0), rank(&b.0)) {
            (Some(x), Some(y)) => x.cmp(&y).then(a.1.cmp(&b.1)),
            _ => a.1.cmp(&b.1),
        };
        let auto = self
            .autos
            .iter()
            .filter(|(_, p)| self.exact.as_ref().is_none_or(|(_, pe)| p > pe))
            .max_by(|a, b| further(a, b));
        match (&self.exact, auto) {
            (Some((e, _)), Some((a, _))) if rank(a).zip(rank(e)).is_none_or(|(ra, re)| ra > re) => {
                Some((a.clone(), false))
            }
            (Some((e, _)), _) => Some((e.clone(), true)),
            (None, Some((a, _))) => Some((a.clone(), false)),
            (None, None) => None,
        }
    }
}

/// The conventional-commit type of a subject (`feat(ui)!: x` → `feat`), lowercased.
pub fn commit_type(subject: &str) -> Option<String> {
    let head = subject.split_once(':')?.0;
    let ty = head.split(['(', '!']).next()?.trim();
    (!ty.is_empty()
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| ty.to_ascii_lowercase())
}

/// Glob match with `*` and `?` (branch patterns like `release/*`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The desired state of a tracked ticket. `rank` orders the status options (see [`Track::status`]).
pub fn desired(
    config: &Config,
    extractor: &Extractor,
    origin_url: Option<&str>,
    track: &Track,
    rank: &dyn Fn(&str) -> Option<usize>,
) -> Option<Desired> {
    let commit = track.commit()?.clone();
    let link = |id: &str| {
        origin_url.and_then(|remote| {
            crate::git::links::commit_url(remote, id, config.commit_url_template.as_deref())
        })
    };
    // The title comes from the latest commit about the ticket, even when a later commit only mentions it
    // (so that gathering commits in one batch, after an outage, fills a placeholder as one by one would).
    let title = track.title_commit().and_then(|c| {
        let subject = c.subject();
        match extractor.extract(subject).first() {
            _ if intent::revert_of(&c.message, subject).is_some() => None,
            Some(first) if *first != track.key => None,
            _ => Some(subject.to_string()),
        }
    });
    let (status, status_exact) = match track.status(rank) {
        Some((s, exact)) => (Some(s), exact),
        None => (None, false),
    };
    let mut comments = track.comments.clone();
    comments.sort_by_key(|(p, _, _)| *p);
    Some(Desired {
        key: track.key.clone(),
        status,
        status_exact,
        title,
        date: commit.date(),
        commit_url: link(&commit.id),
        comments: comments
            .into_iter()
            .map(|(_, id, text)| Comment {
                commit_url: link(&id),
                commit: id,
                text,
            })
            .collect(),
        author: track.first_author.as_ref().map(|(_, a)| a.clone()),
        commits: track
            .listed
            .iter()
            .map(|(time, id, subject)| Line::of(id, *time, subject, link(id)))
            .collect(),
        commits_older: track.listed_older,
        releases: track.releases.iter().map(|(_, r)| r.clone()).collect(),
        pull_request: None,
        commit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(subject: &str) -> Commit {
        Commit {
            id: "a".repeat(40),
            message: format!("{subject}\n\nbody\n").into(),
            time: 1_700_000_000,
            offset: 8 * 3600,
            parents: 1,
            author_email: String::new(),
        }
    }

    #[test]
    fn the_first_author_is_the_earliest_commits_whatever_the_order_seen() {
        let mut t = Track::new(TicketKey::Token("#005".into()));
        let by = |email: &str| Commit {
            author_email: email.into(),
            ..commit("feat: #005 x")
        };
        t.add(2, &by("later@example.com"), Effect::default());
        t.add(1, &by(""), Effect::default());
        t.add(0, &by("first@example.com"), Effect::default());
        t.add(3, &by("last@example.com"), Effect::default());
        assert_eq!(t.first_author, Some((0, "first@example.com".to_string())));
    }

    #[test]
    fn types() {
        assert_eq!(commit_type("feat: 完成工单 #003").as_deref(), Some("feat"));
        assert_eq!(commit_type("Fix(ui)!: x").as_deref(), Some("fix"));
        assert_eq!(commit_type("Merge branch 'a'"), None);
        assert_eq!(commit_type("工单: x"), None);
        assert_eq!(commit_type("see http://x"), None);
    }

    #[test]
    fn globs() {
        assert!(glob_match("main", "main"));
        assert!(glob_match("release/*", "release/1.2"));
        assert!(!glob_match("release/*", "feature/x"));
        assert!(glob_match("v?", "v1"));
        assert!(!glob_match("main", "mainline"));
    }

    #[test]
    fn more_types_and_globs() {
        assert_eq!(commit_type(": x"), None, "an empty type");
        assert_eq!(commit_type("a b: x"), None, "a type has no space");
        assert_eq!(
            commit_type("chore-deps_x: y").as_deref(),
            Some("chore-deps_x")
        );
        // A star that must give back characters more than once.
        assert!(glob_match("*-rc*", "1.0-beta-rc2"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("**", ""));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn release_branches_and_keys() {
        let r = rules(|c| c.status.release_branches = vec!["main".into(), "release/*".into()]);
        assert!(r.is_release(Some("main")));
        assert!(r.is_release(Some("release/2.0")));
        assert!(!r.is_release(Some("feature/main")));
        assert!(!r.is_release(None));
        assert_eq!(
            r.keys(&commit("feat: #005 and #006")),
            vec![
                TicketKey::Token("#005".into()),
                TicketKey::Token("#006".into())
            ]
        );
        assert!(r.keys(&commit("feat: #005 [skip notion]")).is_empty());
        // Only the ticket the subject is about (its first key) may take the title; never from a revert.
        let titles = |m: &str| -> Vec<(String, bool)> {
            r.effects(&commit(m), false)
                .into_iter()
                .map(|(k, e)| (k.to_string(), e.titles))
                .collect()
        };
        assert_eq!(
            titles("feat: #005 x, refs #006"),
            [("#005".to_string(), true), ("#006".to_string(), false)]
        );
        assert_eq!(
            titles("Revert \"feat: #005 x\""),
            [("#005".to_string(), false)]
        );
    }

    fn at(id: &str, subject: &str) -> Commit {
        Commit {
            id: id.repeat(40),
            ..commit(subject)
        }
    }

    #[test]
    fn a_track_keeps_the_newest_commit_title_and_exact_status_in_any_order() {
        let key = TicketKey::Token("#5".into());
        let auto = |s: &str| Effect {
            status: Some(Proposal::Auto(s.into())),
            comments: vec![],
            titles: true,
            ..Effect::default()
        };
        let exact = |s: &str| Effect {
            status: Some(Proposal::Exact(s.into())),
            comments: vec![],
            titles: true,
            ..Effect::default()
        };
        let rank = |s: &str| ["Todo", "Doing", "Done"].iter().position(|x| *x == s);
        for order in [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]] {
            let mut t = Track::new(key.clone());
            let steps = [
                (1, at("a", "#5 first"), auto("Doing")),
                (2, at("b", "#5 second"), exact("Todo")),
                (
                    3,
                    at("c", "#6 third, refs #5"),
                    Effect {
                        titles: false,
                        ..auto("Doing")
                    },
                ),
                (4, at("d", "#5 fourth"), exact("Doing")),
            ];
            for i in order {
                let (pos, c, e) = steps[i].clone();
                t.add(pos, &c, e);
            }
            assert_eq!(t.commits, 4);
            assert_eq!(
                t.commit().map(|c| c.id.clone()),
                Some("d".repeat(40)),
                "{order:?}"
            );
            assert_eq!(t.title_commit().map(|c| c.id.clone()), Some("d".repeat(40)));
            // The newest exact status (pos 4) wins over the older automatic ones.
            assert_eq!(
                t.status(&rank),
                Some(("Doing".to_string(), true)),
                "{order:?}"
            );
        }
        // Without the last commit, the title comes from the latest commit about the ticket (pos 1).
        let mut t = Track::new(key.clone());
        t.add(
            3,
            &at("c", "#6 third, refs #5"),
            Effect {
                titles: false,
                ..auto("Doing")
            },
        );
        t.add(1, &at("a", "#5 first"), auto("Doing"));
        assert_eq!(t.title_commit().map(|c| c.id.clone()), Some("a".repeat(40)));
        assert_eq!(t.commit().map(|c| c.id.clone()), Some("c".repeat(40)));
        // A later automatic status beats an older exact one only when it is further along.
        let mut t = Track::new(key.clone());
        t.add(1, &at("a", "#5"), exact("Doing"));
        t.add(2, &at("b", "#5"), auto("Todo"));
        assert_eq!(t.status(&rank), Some(("Doing".to_string(), true)));
        t.add(2, &at("b", "#5"), auto("Doing"));
        assert_eq!(
            t.status(&rank),
            Some(("Doing".to_string(), true)),
            "as far, not further"
        );
        t.add(3, &at("c", "#5"), auto("Done"));
        assert_eq!(t.status(&rank), Some(("Done".to_string(), false)));
        // --prefer: another commit gives the title, date and link.
        t.set_commit(at("e", "#5 preferred"));
        assert_eq!(t.commit().map(|c| c.id.clone()), Some("e".repeat(40)));
        assert_eq!(t.title_commit().map(|c| c.id.clone()), Some("e".repeat(40)));
    }

    #[test]
    fn a_track_keeps_each_comment_of_each_commit_once() {
        let mut t = Track::new(TicketKey::Token("#5".into()));
        let said = |text: &str| Effect {
            status: None,
            comments: vec![text.into()],
            titles: false,
            ..Effect::default()
        };
        t.add(1, &at("a", "#5"), said("hello"));
        t.add(1, &at("a", "#5"), said("hello"));
        t.add(2, &at("b", "#5"), said("hello"));
        t.add(2, &at("b", "#5"), said("other"));
        let kept: Vec<(i64, String, String)> = vec![
            (1, "a".repeat(40), "hello".into()),
            (2, "b".repeat(40), "hello".into()),
            (2, "b".repeat(40), "other".into()),
        ];
        assert_eq!(t.comments, kept);
    }

    #[test]
    fn merged_branches_as_git_and_the_hosts_name_them() {
        assert_eq!(
            merged_branch("Merge branch 'feature/TASK-17-login' into 'main'"),
            Some("feature/TASK-17-login")
        );
        assert_eq!(
            merged_branch("Merge remote-tracking branch 'origin/TASK-17'"),
            Some("origin/TASK-17")
        );
        assert_eq!(
            merged_branch("Merge pull request #9 from acme/TASK-17-login"),
            Some("acme/TASK-17-login")
        );
        assert_eq!(
            merged_branch("Merged in TASK-17-login (pull request #12)"),
            Some("TASK-17-login")
        );
        assert_eq!(merged_branch("feat: merge branch handling"), None);
        let r = rules(|c| {
            c.tickets.id_prefixes = vec!["TASK".into()];
            c.branches.close_on_merge = true;
        });
        assert_eq!(
            r.branch_key("feature/TASK-17-login").map(|k| k.to_string()),
            Some("TASK-17".into())
        );
        let mut merge = commit("x");
        merge.message = "Merge branch 'feature/TASK-17-login'\n".into();
        merge.parents = 2;
        let intents = r.intents(&merge);
        assert!(intents
            .tickets
            .iter()
            .any(|(k, t)| k.to_string() == "TASK-17" && t.close));
        let r = rules(|c| {
            c.branches.patterns = vec![r"(?:^|/)([0-9]{3})(?:-|$)".into()];
            c.branches.key = "#{}".into();
        });
        assert_eq!(
            r.branch_key("feature/042-guard").map(|k| k.to_string()),
            Some("#042".into())
        );
    }

    fn rules(edit: impl FnOnce(&mut Config)) -> Rules {
        let mut c = Config::default();
        c.status.on_commit = Some("进行中".into());
        c.status.on_merge = Some("完成".into());
        c.status.closing_keywords.push("完成工单".into());
        edit(&mut c);
        Rules::new(&c, None).unwrap()
    }

    /// The effects of a message as `KEY=status` (`~` exact, `-` none) plus `+comment` per comment.
    fn show(r: &Rules, message: &str, released: bool) -> String {
        let mut c = commit("x");
        c.message = message.into();
        r.effects(&c, released)
            .into_iter()
            .map(|(k, e)| {
                let mut s = format!(
                    "{k}={}",
                    match e.status {
                        Some(Proposal::Auto(n)) => n,
                        Some(Proposal::Exact(n)) => format!("~{n}"),
                        None => "-".into(),
                    }
                );
                for c in e.comments {
                    s.push_str(&format!(" +{c}"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn status_rules() {
        let r = rules(|_| {});
        let cases: &[(&str, bool, &str)] = &[
            // A mention moves at most to on_commit, on any branch.
            ("feat: x #003", true, "#003=进行中"),
            ("feat: x #003", false, "#003=进行中"),
            // A closing keyword closes on a release branch only, and only its own ticket.
            ("Closes #1. Follow-up in #2", true, "#1=完成 #2=进行中"),
            ("Closes #1. Follow-up in #2", false, "#1=进行中 #2=进行中"),
            ("feat: 完成工单 #003", true, "#003=完成"),
            // WIP never closes; [skip notion] names nothing.
            ("WIP: fixes #4", true, "#4=进行中"),
            ("fixes #4 [skip notion]", true, ""),
            // Commands: #status is exact, #comment adds a comment.
            ("#5 #status 未开始", true, "#5=~未开始"),
            ("#5 #comment 等待评审", false, "#5=进行中 +等待评审"),
            // A revert comments by default and closes nothing.
            (
                "Revert \"fix: closes #6\"\n\nThis reverts commit 0123456789abcdef.",
                true,
                "#6=- +Revert \"fix: closes #6\"",
            ),
        ];
        for (message, released, want) in cases {
            assert_eq!(
                show(&r, message, *released),
                *want,
                "{message:?} released={released}"
            );
        }
        let at_once = rules(|c| c.status.close_on = CloseOn::Commit);
        assert_eq!(show(&at_once, "fixes #1", false), "#1=完成");
        let reopen = rules(|c| c.status.on_revert = OnRevert::Reopen);
        assert_eq!(
            show(&reopen, "Revert \"fixes #1\"", true),
            "#1=~进行中 +Revert \"fixes #1\""
        );
        let ignore = rules(|c| c.status.on_revert = OnRevert::Ignore);
        assert_eq!(show(&ignore, "Revert \"fixes #1\"", true), "#1=-");
        // Types: one mapped to on_merge closes (with the branch rules); others apply as they are.
        let typed = rules(|c| {
            c.status.types.insert("feat".into(), "完成".into());
            c.status.types.insert("docs".into(), "评审中".into());
        });
        assert_eq!(show(&typed, "feat: x #1", true), "#1=完成");
        assert_eq!(show(&typed, "feat: x #1", false), "#1=进行中");
        assert_eq!(show(&typed, "docs: x #1", false), "#1=评审中");
        assert_eq!(show(&typed, "wip: feat #1", true), "#1=进行中");
        assert_eq!(show(&typed, "chore: x #1", true), "#1=进行中");
        let every = rules(|c| {
            c.status.types.insert("*".into(), "完成".into());
        });
        assert_eq!(show(&every, "chore: x #1", true), "#1=完成");
    }

    #[test]
    fn tracks_never_move_back_on_their_own() {
        /// A track of `messages`, the i-th at position `sign * i`.
        fn track(r: &Rules, messages: &[&str], sign: i64) -> Track {
            let mut t = Track::new(TicketKey::Token("#1".into()));
            for (i, m) in messages.iter().enumerate() {
                let mut c = commit("x");
                c.message = (*m).into();
                for (_, e) in r.effects(&c, true) {
                    t.add(sign * i as i64, &c, e);
                }
            }
            t
        }
        let r = rules(|_| {});
        let rank = |s: &str| ["未开始", "进行中", "完成"].iter().position(|n| *n == s);
        let status = |messages: &[&str]| track(&r, messages, 1).status(&rank);
        let s = |n: &str, exact: bool| Some((n.to_string(), exact));
        assert_eq!(status(&["fixes #1", "refs #1"]), s("完成", false));
        assert_eq!(status(&["refs #1", "fixes #1"]), s("完成", false));
        assert_eq!(
            status(&["fixes #1", "#1 #status 未开始"]),
            s("未开始", true)
        );
        assert_eq!(
            status(&["#1 #status 未开始", "refs #1"]),
            s("进行中", false)
        );
        assert_eq!(status(&["#1 #status 完成", "refs #1"]), s("完成", true));
        assert_eq!(
            status(&["fixes #1", "Revert \"fixes #1\""]),
            s("完成", false)
        );
        let reopen = rules(|c| c.status.on_revert = OnRevert::Reopen);
        let t = track(&reopen, &["fixes #1", "Revert \"fixes #1\"", "refs #1"], 1);
        assert_eq!(t.status(&rank), s("进行中", true));
        // Positions order effects whichever order they arrive in (replay walks newest first).
        let t = track(&r, &["refs #1", "#1 #status 未开始", "fixes #1"], -1);
        assert_eq!(t.status(&rank), s("进行中", false));
        assert_eq!(t.commit().unwrap().message, "refs #1".into());
    }

    #[test]
    fn date_in_committer_zone() {
        // 1700000000 = 2023-11-14T22:13:20Z, which is the 15th at +08:00.
        assert_eq!(commit("x").date(), "2023-11-15");
    }
}
