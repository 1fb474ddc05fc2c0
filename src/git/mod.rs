//! The commit source: the repository opened with gix, honouring the environment git sets for hooks
//! (`GIT_DIR`, `GIT_WORK_TREE`, …), and commits read as bytes and decoded per their encoding header;
//! [`files`] reads git's state (the git directories, HEAD, a rebase) without opening the repository.

pub mod files;
pub mod links;
pub mod message;
pub mod store;
mod ties;
mod walk;

use std::path::{Path, PathBuf};

/// What reading the repository can run into.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GitError {
    /// The directory is in no git repository (gix's reason).
    #[error("not inside a git repository ({0})")]
    NotARepo(String),
    /// Something in the repository could not be read.
    #[error("cannot read {what}: {detail}")]
    Read {
        /// What was being read.
        what: String,
        /// gix's reason.
        detail: String,
    },
    /// A revision that names no commit.
    #[error("{rev:?} is not a commit in this repository ({detail})")]
    BadRevision {
        /// The revision as given.
        rev: String,
        /// gix's reason.
        detail: String,
    },
    /// An unborn repository: there is no commit to read yet.
    #[error("this repository has no commits yet, so there is nothing to read: commit first")]
    NoCommits,
}

/// One commit, as the pipeline needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Commit {
    /// Full hex id.
    pub id: String,
    /// The message, decoded (never fails; invalid bytes become U+FFFD).
    pub message: std::sync::Arc<str>,
    /// Committer time, seconds since the epoch, and the committer's UTC offset in seconds.
    pub time: i64,
    /// The committer's UTC offset, in seconds.
    pub offset: i32,
    /// How many parents (2 or more: a merge).
    pub parents: usize,
    /// The author's email, as git has it (empty in events queued before it was kept).
    #[serde(default)]
    pub author_email: String,
}

impl Commit {
    /// The message's first line.
    pub fn subject(&self) -> &str {
        message::subject(&self.message)
    }

    /// The commit date (`YYYY-MM-DD`) in the committer's own time zone.
    pub fn date(&self) -> String {
        let offset = jiff::tz::Offset::from_seconds(self.offset).unwrap_or(jiff::tz::Offset::UTC);
        jiff::Timestamp::from_second(self.time)
            .map(|t| t.to_zoned(offset.to_time_zone()).date().to_string())
            .unwrap_or_default()
    }
}

/// Which history to walk: commits reachable from `tips` (or every reference with `all`) but not from
/// `hidden`, not older than `since` (seconds), following only first parents if asked.
#[derive(Debug, Clone, Default)]
pub struct WalkSpec {
    /// Revisions to start from (`HEAD`, `main`, a hash).
    pub tips: Vec<String>,
    /// Revisions whose history is left out (`^REV`, the start of `A..B`).
    pub hidden: Vec<String>,
    /// Every reference (branches, remotes, tags) instead of `tips`.
    pub all: bool,
    /// Only commits made at or after this time (seconds since the epoch).
    pub since: Option<i64>,
    /// Follow only the first parent of merges.
    pub first_parent: bool,
}

/// An open repository.
pub struct Repo {
    repo: gix::Repository,
}

impl Repo {
    /// Finds the repository containing `dir`, honouring `GIT_DIR` and friends as git sets them in hooks.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        // `git -c key=value` reaches a subcommand (and hooks) as GIT_CONFIG_PARAMETERS, which gix does
        // not read: given to it as command-line overrides, as git applies them.
        let overrides = std::env::var("GIT_CONFIG_PARAMETERS")
            .map(|v| config_parameters(&v))
            .unwrap_or_default();
        let mut trust = gix::sec::trust::Mapping::<gix::open::Options>::default();
        if !overrides.is_empty() {
            trust.full = trust.full.cli_overrides(overrides.clone());
            trust.reduced = trust.reduced.cli_overrides(overrides);
        }
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
            dir,
            Default::default(),
            trust,
        )
        .map_err(|e| GitError::NotARepo(e.to_string()))?
        .to_thread_local();
        Ok(Repo { repo })
    }

    /// A bare repository: no working tree, so no commit is made in it.
    pub fn is_bare(&self) -> bool {
        self.repo.is_bare()
    }

    /// The working tree root (or the git dir of a bare repository).
    pub fn root(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.git_dir())
            .to_path_buf()
    }

    /// The repository's git directory (a worktree's own, under the common one).
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// The directory shared by all worktrees.
    pub fn common_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// The branch HEAD points to (`main`), or None when detached.
    pub fn branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok()??;
        let full = name.as_bstr().to_string();
        Some(
            full.strip_prefix("refs/heads/")
                .unwrap_or(&full)
                .to_string(),
        )
    }

    /// A rebase, cherry-pick sequence or `git am` is in progress (post-rewrite reports those commits).
    pub fn rebase_in_progress(&self) -> bool {
        files::rebase_in_progress(self.git_dir())
    }

    /// HEAD's commit, or None on an unborn branch.
    pub fn head(&self) -> Result<Option<Commit>, GitError> {
        let head = self.repo.head().map_err(|e| GitError::Read {
            what: "HEAD".into(),
            detail: e.to_string(),
        })?;
        if head.is_unborn() {
            return Ok(None);
        }
        let id = head.into_peeled_id().map_err(|e| GitError::Read {
            what: "HEAD".into(),
            detail: e.to_string(),
        })?;
        self.commit(id.detach()).map(Some)
    }

    /// A commit named by a revision (`HEAD`, `main~2`, a hash).
    pub fn resolve(&self, rev: &str) -> Result<Commit, GitError> {
        self.commit(resolve_id(&self.repo, rev)?)
    }

    /// [`Repo::walk`], each commit first passed through `map`, which runs on reader threads (several
    /// cores share the reading and the mapping; `visit` sees the results in walk order).
    pub fn walk_map<T: Send>(
        &self,
        spec: &WalkSpec,
        map: &(dyn Fn(Commit) -> T + Sync),
        visit: impl FnMut(T) -> bool,
    ) -> Result<(), GitError> {
        let mut repo = self.repo.clone();
        // The walk reads each commit to order it; the cache serves the second read (the message).
        repo.object_cache_size_if_unset(8 * 1024 * 1024);
        let resolve = |rev: &str| resolve_id(&repo, rev);
        let mut tips = vec![];
        for t in &spec.tips {
            tips.push(resolve(t)?);
        }
        if spec.all {
            tips.extend(self.history_tips()?);
        }
        let mut hidden = vec![];
        for h in &spec.hidden {
            hidden.push(resolve(h)?);
        }
        let order = gix::revision::walk::Sorting::ByCommitTime(
            gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
        );
        let sorting = match spec.since {
            Some(seconds) => gix::revision::walk::Sorting::ByCommitTimeCutoff {
                order: gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
                seconds,
            },
            None => order,
        };
        // Shallow clones and replaced objects take gix's own walk, which knows them; the rest is read on
        // several threads (see `walk`).
        let shallow = repo.shallow_commits().ok().flatten().is_some();
        let replaced = repo.objects.store_ref().replacements().next().is_some();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if !shallow
            && !replaced
            && cores > 1
            && std::env::var_os("GIT_NOTION_SERIAL_WALK").is_none()
        {
            let simple = match spec.since {
                Some(seconds) => gix::traverse::commit::simple::Sorting::ByCommitTimeCutoff {
                    order: gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
                    seconds,
                },
                None => gix::traverse::commit::simple::Sorting::ByCommitTime(
                    gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
                ),
            };
            let plan = walk::Plan {
                tips,
                hidden,
                sorting: simple,
                first_parent: spec.first_parent,
            };
            return walk::walk(&repo, plan, cores.min(4), map, visit);
        }
        let mut platform = repo.rev_walk(tips).with_hidden(hidden).sorting(sorting);
        if spec.first_parent {
            platform = platform.first_parent_only();
        }
        serial_walk(&repo, platform, map, visit)
    }

    /// The tips of "all history" (`--all`): HEAD, local branches, remote-tracking branches and tags. Not
    /// the stash, notes or `refs/original`: their commits are not history (a stash's message repeats the
    /// subject of the commit it was made on).
    pub fn history_tips(&self) -> Result<Vec<gix::ObjectId>, GitError> {
        let read = |e: &dyn std::fmt::Display| GitError::Read {
            what: "references".into(),
            detail: e.to_string(),
        };
        let mut tips = vec![];
        if let Ok(Some(id)) = self.repo.head_id().map(|id| Some(id.detach())) {
            tips.push(id);
        }
        let refs = self.repo.references().map_err(|e| read(&e))?;
        for prefix in ["refs/heads/", "refs/remotes/", "refs/tags/"] {
            let iter = refs.prefixed(prefix).map_err(|e| read(&e))?;
            for mut r in iter.flatten() {
                if let Ok(c) = r.peel_to_commit() {
                    tips.push(c.id);
                }
            }
        }
        tips.sort();
        tips.dedup();
        Ok(tips)
    }

    /// The commits a reference update makes newly reachable from `reference` (`old..new`; for a new
    /// reference, the commits of `new` that no other history tip reaches), oldest first, at most `cap`.
    pub fn newly_reachable(
        &self,
        reference: &str,
        old: &str,
        new: &str,
        cap: usize,
    ) -> Result<Vec<Commit>, GitError> {
        let parse = |rev: &str| {
            gix::ObjectId::from_hex(rev.as_bytes()).map_err(|e| GitError::BadRevision {
                rev: rev.into(),
                detail: e.to_string(),
            })
        };
        let new = parse(new)?;
        let hidden: Vec<gix::ObjectId> = match parse(old) {
            Ok(old) if !old.is_null() && self.repo.find_object(old).is_ok() => vec![old],
            _ => {
                // A new reference: what no other reference reached before.
                let refs = self.repo.references().map_err(|e| GitError::Read {
                    what: "references".into(),
                    detail: e.to_string(),
                })?;
                let mut v = vec![];
                for prefix in ["refs/heads/", "refs/remotes/", "refs/tags/"] {
                    if let Ok(iter) = refs.prefixed(prefix) {
                        for mut r in iter.flatten() {
                            if r.name().as_bstr() == reference {
                                continue;
                            }
                            if let Ok(c) = r.peel_to_commit() {
                                if c.id != new {
                                    v.push(c.id);
                                }
                            }
                        }
                    }
                }
                v
            }
        };
        self.reachable_hiding(new, hidden, cap)
    }

    /// The commits `new` reaches and none of `hidden` (commit ids; ones this repository lacks are
    /// ignored), oldest first, at most `cap`.
    pub fn reachable_past(
        &self,
        new: &str,
        hidden: &[String],
        cap: usize,
    ) -> Result<Vec<Commit>, GitError> {
        let new = gix::ObjectId::from_hex(new.as_bytes()).map_err(|e| GitError::BadRevision {
            rev: new.into(),
            detail: e.to_string(),
        })?;
        let hidden: Vec<gix::ObjectId> = hidden
            .iter()
            .filter_map(|h| gix::ObjectId::from_hex(h.as_bytes()).ok())
            .filter(|h| self.repo.find_object(*h).is_ok())
            .collect();
        self.reachable_hiding(new, hidden, cap)
    }

    fn reachable_hiding(
        &self,
        new: gix::ObjectId,
        hidden: Vec<gix::ObjectId>,
        cap: usize,
    ) -> Result<Vec<Commit>, GitError> {
        let read = |e: &dyn std::fmt::Display| GitError::Read {
            what: format!("history of {new}"),
            detail: e.to_string(),
        };
        let walk = self
            .repo
            .rev_walk([new])
            .with_hidden(hidden)
            .all()
            .map_err(|e| read(&e))?;
        let mut ids = vec![];
        for info in walk {
            ids.push(info.map_err(|e| read(&e))?.id);
            if ids.len() >= cap {
                break;
            }
        }
        ids.reverse();
        ids.into_iter().map(|id| self.commit(id)).collect()
    }

    /// The committer time of a commit, if this repository has it.
    pub fn commit_time(&self, id: &str) -> Option<i64> {
        let id = gix::ObjectId::from_hex(id.as_bytes()).ok()?;
        let object = self.repo.find_object(id).ok()?;
        let commit = object.try_into_commit().ok()?;
        let time = commit.time().ok()?;
        Some(time.seconds)
    }

    /// Whether commit `ancestor` is `descendant` or one of its ancestors (false when either is not in this
    /// repository).
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> bool {
        let (Ok(a), Ok(d)) = (
            gix::ObjectId::from_hex(ancestor.as_bytes()),
            gix::ObjectId::from_hex(descendant.as_bytes()),
        ) else {
            return false;
        };
        if a == d {
            return true;
        }
        matches!(self.repo.merge_base(a, d), Ok(Some(base)) if base.detach() == a)
    }

    /// Whether `commit`'s change is in `upstream`'s history: `commit` is an ancestor of it, or a commit
    /// with the same patch id (`git cherry`: the same diff, as a rebase or cherry-pick leaves it) is
    /// among the commits `upstream` has since they forked. A comment posted for a commit and then
    /// resolved stays posted for its rebased copy.
    pub fn has_equivalent(&self, commit: &str, upstream: &str) -> bool {
        if self.is_ancestor(commit, upstream) {
            return true;
        }
        let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(commit) || !hex(upstream) || self.repo.find_object(self.id_of(upstream)).is_err() {
            return false;
        }
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.repo.git_dir())
            .args(["cherry", upstream, commit, &format!("{commit}^")])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        matches!(out, Ok(o) if o.status.success()
            && String::from_utf8_lossy(&o.stdout).lines().any(|l| l.starts_with("- ")))
    }

    fn id_of(&self, hex: &str) -> gix::ObjectId {
        gix::ObjectId::from_hex(hex.as_bytes())
            .unwrap_or_else(|_| gix::ObjectId::null(gix::hash::Kind::Sha1))
    }

    /// The branches, local (`main`, `release/1.2`) and remote-tracking (`origin/main` as `main`): each as
    /// (branch name, full reference name).
    pub fn branches(&self) -> Vec<(String, String)> {
        let Ok(refs) = self.repo.references() else {
            return vec![];
        };
        let mut out = vec![];
        for (iter, prefix) in [
            (refs.local_branches(), "refs/heads/"),
            (refs.remote_branches(), "refs/remotes/"),
        ] {
            let Ok(iter) = iter else { continue };
            for r in iter.flatten() {
                let full = r.name().as_bstr().to_string();
                let Some(short) = full.strip_prefix(prefix) else {
                    continue;
                };
                let short = match prefix {
                    "refs/remotes/" => short.split_once('/').map_or(short, |(_, b)| b),
                    _ => short,
                };
                if short != "HEAD" {
                    out.push((short.to_string(), full.clone()));
                }
            }
        }
        out
    }

    /// The tags that point (through annotated tags) at commits: (name, commit id, committer time).
    pub fn tags(&self) -> Vec<(String, String, i64)> {
        let mut out = vec![];
        let Ok(refs) = self.repo.references() else {
            return out;
        };
        let Ok(iter) = refs.tags() else { return out };
        for mut r in iter.flatten() {
            let full = r.name().as_bstr().to_string();
            let Some(name) = full.strip_prefix("refs/tags/") else {
                continue;
            };
            let name = name.to_string();
            let Ok(commit) = r.peel_to_commit() else {
                continue;
            };
            let time = commit.time().map(|t| t.seconds).unwrap_or_default();
            out.push((name, commit.id.to_string(), time));
        }
        out
    }

    /// The tips of the local and remote-tracking branches (not `origin/HEAD`), and HEAD when it is detached
    /// outside a rebase in the main worktree: full reference name → commit id (any reference backend).
    pub fn tips(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        if let Ok(refs) = self.repo.references() {
            for iter in [refs.local_branches(), refs.remote_branches()] {
                let Ok(iter) = iter else { continue };
                for mut r in iter.flatten() {
                    let full = r.name().as_bstr().to_string();
                    if full.ends_with("/HEAD") {
                        continue;
                    }
                    if let Ok(id) = r.peel_to_id() {
                        out.insert(full, id.detach().to_string());
                    }
                }
            }
        }
        let main_worktree = self.git_dir() == self.common_dir();
        if self.repo.head_name().ok().flatten().is_none()
            && !self.rebase_in_progress()
            && main_worktree
        {
            if let Ok(Some(id)) = self.repo.head_id().map(|i| Some(i.detach())) {
                out.insert("HEAD".into(), id.to_string());
            }
        }
        out
    }

    /// For each of `tips` in order, the ids of the commits it reaches that no earlier one reaches. One pass
    /// over history in all: each walk stops where the earlier tips' commits begin (hiding them instead
    /// would walk their whole history once per tip).
    pub fn reached_first(&self, tips: &[String]) -> Result<Vec<Vec<String>>, GitError> {
        use std::cell::RefCell;
        use std::rc::Rc;
        let read = |e: &dyn std::fmt::Display| GitError::Read {
            what: "history".into(),
            detail: e.to_string(),
        };
        let seen: Rc<RefCell<std::collections::HashSet<gix::ObjectId>>> = Rc::default();
        let mut out = vec![];
        for tip in tips {
            let id = resolve_id(&self.repo, tip)?;
            if seen.borrow().contains(&id) {
                out.push(vec![]);
                continue;
            }
            let earlier = Rc::clone(&seen);
            let walk = self
                .repo
                .rev_walk([id])
                .selected(move |oid| !earlier.borrow().contains(oid))
                .map_err(|e| read(&e))?;
            let mut new = vec![];
            for info in walk {
                new.push(info.map_err(|e| read(&e))?.id);
            }
            seen.borrow_mut().extend(new.iter().copied());
            out.push(new.into_iter().map(|i| i.to_string()).collect());
        }
        Ok(out)
    }

    /// The ids of the commits reachable from `tips` and not from `hidden` (only ids: nothing is decoded
    /// but what the walk needs), at most back to `since`.
    pub fn reachable(
        &self,
        tips: &[String],
        hidden: &[String],
        since: Option<i64>,
    ) -> Result<std::collections::HashSet<String>, GitError> {
        let tips = tips
            .iter()
            .map(|t| resolve_id(&self.repo, t))
            .collect::<Result<Vec<_>, _>>()?;
        let hidden = hidden
            .iter()
            .map(|t| resolve_id(&self.repo, t))
            .collect::<Result<Vec<_>, _>>()?;
        let order = gix::traverse::commit::simple::CommitTimeOrder::NewestFirst;
        let sorting = match since {
            Some(seconds) => gix::revision::walk::Sorting::ByCommitTimeCutoff { order, seconds },
            None => gix::revision::walk::Sorting::ByCommitTime(order),
        };
        let read = |e: &dyn std::fmt::Display| GitError::Read {
            what: "history".into(),
            detail: e.to_string(),
        };
        let walk = self
            .repo
            .rev_walk(tips)
            .with_hidden(hidden)
            .sorting(sorting)
            .all()
            .map_err(|e| read(&e))?;
        let mut out = std::collections::HashSet::new();
        for info in walk {
            out.insert(info.map_err(|e| read(&e))?.id.to_string());
        }
        Ok(out)
    }

    fn commit(&self, id: gix::ObjectId) -> Result<Commit, GitError> {
        let read = |e: &dyn std::fmt::Display| GitError::Read {
            what: format!("commit {id}"),
            detail: e.to_string(),
        };
        let object = self.repo.find_object(id).map_err(|e| read(&e))?;
        let commit = object.try_into_commit().map_err(|e| read(&e))?;
        let c = commit.decode().map_err(|e| read(&e))?;
        commit_of(id, &c)
    }

    /// Whether git is configured to fsync new commits (`core.fsync` naming `loose-object`, `reference`,
    /// `objects`, `committed` or `all`, or the older `core.fsyncObjectFiles`); by default it does not.
    pub fn fsyncs_commits(&self) -> bool {
        let config = self.repo.config_snapshot();
        let listed = config.string("core.fsync").is_some_and(|v| {
            v.to_string().split(',').any(|c| {
                matches!(
                    c.trim(),
                    "loose-object" | "reference" | "objects" | "committed" | "all"
                )
            })
        });
        listed || config.boolean("core.fsyncObjectFiles") == Some(true)
    }

    /// `core.hooksPath` as configured (for telling who manages the hooks), `~` expanded.
    pub fn hooks_path_setting(&self) -> Option<PathBuf> {
        self.repo
            .config_snapshot()
            .trusted_path("core.hooksPath")
            .ok()
            .flatten()
    }

    /// Where git looks for hooks: `core.hooksPath` (relative to the working tree root, as git runs hooks
    /// there), else `hooks/` in the common dir, which linked worktrees share.
    pub fn hooks_dir(&self) -> PathBuf {
        match self.hooks_path_setting() {
            Some(p) if p.is_absolute() => p,
            Some(p) => self.root().join(p),
            None => self.common_dir().join("hooks"),
        }
    }

    /// The fetch URL of the `origin` remote as git reads it (`-c` and `GIT_CONFIG_*` included): with
    /// `url.<base>.insteadOf` applied, unless only the URL as written names a known forge (a rewrite to a
    /// mirror or a local path keeps the link to the forge).
    pub fn origin_url(&self) -> Option<String> {
        let written = self
            .repo
            .config_snapshot()
            .string("remote.origin.url")
            .map(|s| s.to_string());
        let rewritten = self.repo.find_remote("origin").ok().and_then(|r| {
            r.url(gix::remote::Direction::Fetch)
                .map(|u| u.to_bstring().to_string())
        });
        let known = |u: &Option<String>| {
            u.as_deref()
                .is_some_and(|u| links::commit_url(u, &"0".repeat(40), None).is_some())
        };
        if !known(&rewritten) && known(&written) {
            written
        } else {
            rewritten.or(written)
        }
    }
}

/// A decoded commit as the pipeline needs it: the message decoded per its encoding header, the
/// committer's time.
fn commit_of(id: gix::ObjectId, c: &gix::objs::CommitRef<'_>) -> Result<Commit, GitError> {
    let read = |e: &dyn std::fmt::Display| GitError::Read {
        what: format!("commit {id}"),
        detail: e.to_string(),
    };
    let time = c.committer().and_then(|s| s.time()).map_err(|e| read(&e))?;
    Ok(Commit {
        id: id.to_string(),
        message: message::decode(c.message, c.encoding.map(|e| e.as_ref()))
            .into_owned()
            .into(),
        time: time.seconds,
        offset: time.offset,
        parents: c.parents.len(),
        author_email: c.author().map(|a| a.email.to_string()).unwrap_or_default(),
    })
}

/// The `key=value` settings of `GIT_CONFIG_PARAMETERS` (git's `-c`): shell-quoted words separated by
/// spaces, `'key'='value'` (git 2.31 and later) or `'key=value'`; a key alone is a boolean true. Words that
/// do not parse end the list (git would have refused them).
pub fn config_parameters(text: &str) -> Vec<String> {
    let mut out = vec![];
    let mut chars = text.chars().peekable();
    // One shell word: quoted segments and backslash escapes, until a space or (for a key) `=`.
    let word =
        |chars: &mut std::iter::Peekable<std::str::Chars>, stop_at_eq: bool| -> Option<String> {
            let mut w = String::new();
            let mut any = false;
            while let Some(&c) = chars.peek() {
                match c {
                    '\'' => {
                        chars.next();
                        any = true;
                        loop {
                            match chars.next()? {
                                '\'' => break,
                                c => w.push(c),
                            }
                        }
                    }
                    '\\' => {
                        chars.next();
                        w.push(chars.next()?);
                        any = true;
                    }
                    '=' if stop_at_eq => break,
                    c if c.is_whitespace() => break,
                    c => {
                        chars.next();
                        w.push(c);
                        any = true;
                    }
                }
            }
            any.then_some(w)
        };
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let Some(key) = word(&mut chars, true) else {
            break;
        };
        if chars.peek() == Some(&'=') {
            chars.next();
            let Some(value) = word(&mut chars, false) else {
                break;
            };
            out.push(format!("{key}={value}"));
        } else {
            out.push(key);
        }
    }
    out
}

/// The commit a revision names (a tag peeled to its commit). An unborn repository says so, not
/// "malformed rev-spec".
/// gix's own walk on this thread (shallow clones, replaced objects, one core): each commit read, mapped
/// and visited in walk order, the commits of one second children first (`ties`).
fn serial_walk<T>(
    repo: &gix::Repository,
    platform: gix::revision::walk::Platform<'_>,
    map: &(dyn Fn(Commit) -> T + Sync),
    mut visit: impl FnMut(T) -> bool,
) -> Result<(), GitError> {
    let read = |e: &dyn std::fmt::Display| GitError::Read {
        what: "history".into(),
        detail: e.to_string(),
    };
    let mut ties = ties::Ties::new();
    let mut ids = vec![];
    let mut infos = platform.all().map_err(|e| read(&e))?;
    let mut done = false;
    while !done {
        match infos.next() {
            Some(info) => {
                let info = info.map_err(|e| read(&e))?;
                let parents = info.parent_ids().map(|p| p.detach()).collect();
                ties.push(info.commit_time, info.id, parents, info.id, &mut |id| {
                    ids.push(id)
                });
            }
            None => {
                done = true;
                ties.finish(&mut |id| ids.push(id));
            }
        }
        for id in ids.drain(..) {
            let object = repo.find_object(id).map_err(|e| read(&e))?;
            let commit = object.try_into_commit().map_err(|e| read(&e))?;
            let c = commit.decode().map_err(|e| read(&e))?;
            if !visit(map(commit_of(id, &c)?)) {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn resolve_id(repo: &gix::Repository, rev: &str) -> Result<gix::ObjectId, GitError> {
    let bad = |e: &dyn std::fmt::Display| {
        if repo.head().is_ok_and(|h| h.is_unborn()) {
            GitError::NoCommits
        } else {
            GitError::BadRevision {
                rev: rev.into(),
                detail: e.to_string(),
            }
        }
    };
    let id = repo.rev_parse_single(rev).map_err(|e| bad(&e))?;
    id.object()
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id)
        .map_err(|e| bad(&e))
}

#[cfg(test)]
mod tests {
    use super::{config_parameters, Repo};

    #[test]
    fn git_config_parameters_as_git_quotes_them() {
        // git 2.31+: 'key'='value'; older: 'key=value'; a bare key is true; quotes escaped as '\''.
        assert_eq!(
            config_parameters("'remote.origin.url'='https://x/y.git' 'core.bare' 'a.b=c d'"),
            ["remote.origin.url=https://x/y.git", "core.bare", "a.b=c d"]
        );
        assert_eq!(
            config_parameters("'user.name'='O'\\''Brien'"),
            ["user.name=O'Brien"]
        );
        assert_eq!(config_parameters(""), Vec::<String>::new());
        assert_eq!(config_parameters("'unterminated"), Vec::<String>::new());
    }

    #[test]
    fn fsyncs_commits_follows_core_fsync() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok);
        };
        git(&["init", "-q"]);
        let open = || Repo::discover(dir.path()).unwrap();
        assert!(
            !open().fsyncs_commits(),
            "git's default does not fsync commits"
        );
        git(&["config", "core.fsync", "pack,-loose-object"]);
        assert!(!open().fsyncs_commits());
        git(&["config", "core.fsync", "pack, committed"]);
        assert!(open().fsyncs_commits());
        git(&["config", "--unset", "core.fsync"]);
        git(&["config", "core.fsyncObjectFiles", "true"]);
        assert!(open().fsyncs_commits());
    }
}
