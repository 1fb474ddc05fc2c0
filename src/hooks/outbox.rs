//! The durable outbox under `<git common dir>/git-notion/`, shared by all worktrees: `outbox.json` (pending
//! events), `queue.jsonl` (events hooks appended since, one JSON line each), `failed.json` (permanent failures
//! with their reason), `lock` (held while any of them is read or written) and `flush.lock` (held by the one
//! running flusher). Files are created with mode 0600; `outbox.json` and `failed.json` are replaced
//! atomically (temp file, fsync, rename, fsync of the directory).
//!
//! Hooks only append to `queue.jsonl`, so a hook costs the same whether one update waits or a week of them
//! (offline). Reading the pending events folds the queue in (an event whose id is already pending is not
//! added twice); writing them back empties the queue, and the flusher delivers only events written back
//! that way, so a crash between the two steps never sends an update twice.
//!
//! Durability follows the commit it records: a hook fsyncs its write only when git fsyncs commits too
//! (`core.fsync` naming `loose-object`, `reference`, `objects`, `committed` or `all`, or
//! `core.fsyncObjectFiles`). Otherwise the rename is atomic but the fsync is left to the flusher, which
//! syncs the files as soon as it looks at them: with git's defaults a power cut in that moment would lose
//! the unsynced commit itself, and an fsync right after git's unsynced writes costs the commit most of a
//! millisecond (the journal flushes git's data too).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::git::Commit;
use crate::pipeline::plan::Settled;
use crate::pipeline::Reason;
use crate::rules::tickets::TicketKey;

/// What the outbox's files can run into.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The system refused a file operation.
    #[error("git-notion's outbox at {path}: {detail}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// A file did not parse: kept aside, and a fresh one started.
    #[error("git-notion's outbox file {path} is damaged ({detail}); it was kept as {kept}, and a fresh one started")]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// Why it did not parse.
        detail: String,
        /// Where it was kept.
        kept: PathBuf,
    },
}

/// One commit a hook saw, with the tickets still to deliver for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique within the outbox: `<commit id>` plus a sequence number.
    pub id: String,
    /// The hook that saw it (`post-commit`, `reference-transaction`, …).
    pub hook: String,
    /// The commit.
    pub commit: Commit,
    /// Its tickets still to deliver (empty when the configuration could not be read: found later).
    pub keys: Vec<TicketKey>,
    /// The branch it was seen on.
    pub branch: Option<String>,
    /// The `origin` remote's URL then, for commit links.
    pub origin_url: Option<String>,
    /// Seconds since the epoch.
    pub queued_at: i64,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not before this time (seconds since the epoch).
    pub next_try: i64,
    /// Why the last attempt did not deliver.
    pub last_error: Option<Reason>,
    /// A hook already said that this key left the queue in this state (`retry` and `flush` look such keys
    /// up again): the same outcome is not said twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<crate::pipeline::plan::Settled>,
}

/// The longest subject a failed record keeps, in characters.
pub const FAILED_SUBJECT_CHARS: usize = 200;

/// Where and when a hook saw commits: what each [`Event`] of them records besides the commit.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The hook.
    pub hook: String,
    /// The branch they were seen on.
    pub branch: Option<String>,
    /// The `origin` remote's URL then.
    pub origin_url: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
}

impl Event {
    /// A commit a hook saw, with its tickets, not tried yet.
    pub fn new(id: String, commit: Commit, keys: Vec<TicketKey>, seen: &Seen) -> Event {
        Event {
            id,
            hook: seen.hook.clone(),
            commit,
            keys,
            branch: seen.branch.clone(),
            origin_url: seen.origin_url.clone(),
            queued_at: seen.at,
            attempts: 0,
            next_try: seen.at,
            last_error: None,
            said: None,
        }
    }

    /// This event as a failed record of one key keeps it: that key alone and the subject (cut to
    /// [`FAILED_SUBJECT_CHARS`]) instead of the message, so a commit naming a thousand missing tickets
    /// costs a thousand small records, not a thousand copies of its message.
    pub fn slim(&self, key: &TicketKey) -> Event {
        let subject = self.commit.subject();
        let subject = match subject.char_indices().nth(FAILED_SUBJECT_CHARS) {
            Some((i, _)) => format!("{}…", &subject[..i]),
            None => subject.to_string(),
        };
        Event {
            id: self.id.clone(),
            hook: self.hook.clone(),
            commit: Commit {
                message: subject.into(),
                ..self.commit.clone()
            },
            keys: vec![key.clone()],
            branch: self.branch.clone(),
            origin_url: self.origin_url.clone(),
            queued_at: self.queued_at,
            attempts: self.attempts,
            next_try: self.next_try,
            last_error: self.last_error.clone(),
            said: self.said,
        }
    }
}

/// Reference updates a `reference-transaction` hook saw and left unread (the hook's fast path: it neither
/// opens the repository nor reads the configuration). The flusher reads their commits and tickets before
/// it delivers anything, as the hook would have; each update moves an existing branch (`old` is a
/// commit), so what it brings does not depend on when it is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// Unique within the outbox.
    pub id: String,
    /// `<old> <new> <ref>` lines, as git gave them (only those that bring commits).
    pub refs: String,
    /// Seconds since the epoch.
    pub queued_at: i64,
}

/// One line of `queue.jsonl`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Sighting { sighting: Sighting },
    Event(Box<Event>),
}

/// A ticket update that left the queue undelivered, in a named state (no page, ambiguous, rejected),
/// kept with its reason until a person dismisses it (`git notion clear KEY`) or it is retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The event the update came from.
    pub event: Event,
    /// The ticket.
    pub key: TicketKey,
    /// Why it left the queue: no page, ambiguous, rejected.
    #[serde(default = "rejected")]
    pub state: Settled,
    /// Why, as the delivery gave it.
    pub reason: Reason,
    /// When (seconds since the epoch).
    pub failed_at: i64,
    /// A hook has said so once (hooks warn once per key, not on every commit).
    #[serde(default)]
    pub warned: bool,
}

impl Default for Pending {
    fn default() -> Pending {
        Pending {
            version: PENDING_VERSION,
            events: vec![],
            last_flush: None,
            seq: 0,
        }
    }
}

fn version_one() -> u32 {
    1
}

fn rejected() -> Settled {
    Settled::Rejected
}

/// The last flush, for `git notion status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastFlush {
    /// When it ran (seconds since the epoch).
    pub at: i64,
    /// Updates delivered.
    pub delivered: usize,
    /// Updates left queued.
    pub requeued: usize,
    /// Updates that left the queue undelivered.
    pub failed: usize,
    /// Why nothing could be tried, if so.
    pub error: Option<Reason>,
}

/// What a hook says about waiting updates, kept small beside `outbox.json` (`notice.json`) so that a hook
/// never reads the whole queue: how many updates wait for a fix, and the first reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Updates that were tried and wait for a fix.
    pub waiting: usize,
    /// The first one's reason.
    pub reason: Option<Reason>,
}

/// The version of `outbox.json` this build writes: 2 stores reasons as values (`kind`, `message`,
/// `request_id`); 1 (no `version` field) stored their text, which is still read (kind `unknown`).
pub const PENDING_VERSION: u32 = 2;

/// `outbox.json`: the events waiting for delivery, and the last flush.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The file's version ([`PENDING_VERSION`] when written by this build; 1 when absent).
    #[serde(default = "version_one")]
    pub version: u32,
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// What the last flush did.
    pub last_flush: Option<LastFlush>,
    /// Sequence for event ids.
    pub seq: u64,
}

/// The outbox directory of a repository.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
    /// fsync every write (see the module documentation for when hooks leave it to the flusher).
    sync: bool,
}

/// Holds the outbox lock; the files may be read and written while it lives.
pub struct Guard<'a> {
    outbox: &'a Outbox,
    _file: File,
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Outbox {
    /// The outbox of the repository whose common git directory is `common_dir` (shared by worktrees).
    pub fn new(common_dir: &Path) -> Outbox {
        Outbox {
            dir: common_dir.join("git-notion"),
            sync: true,
        }
    }

    /// The outbox directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether writes are fsynced before they count as done (default true).
    pub fn with_sync(mut self, sync: bool) -> Outbox {
        self.sync = sync;
        self
    }

    /// fsyncs the outbox files and their directory (what a hook that deferred its fsync left to do).
    pub fn sync_files(&self) {
        for name in ["outbox.json", QUEUE, "failed.json", "notice.json"] {
            if let Ok(f) = File::open(self.dir.join(name)) {
                let _ = f.sync_all();
            }
        }
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
    }

    fn io(&self, path: &Path, e: impl std::fmt::Display) -> OutboxError {
        OutboxError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }

    fn open_lock_file(&self, name: &str) -> Result<File, OutboxError> {
        crate::files::private_dir(&self.dir).map_err(|e| self.io(&self.dir, e))?;
        let path = self.dir.join(name);
        let mut o = OpenOptions::new();
        o.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(&path).map_err(|e| self.io(&path, e))
    }

    /// Takes the outbox lock (waits for it).
    pub fn lock(&self) -> Result<Guard<'_>, OutboxError> {
        let file = self.open_lock_file("lock")?;
        file.lock()
            .map_err(|e| self.io(&self.dir.join("lock"), e))?;
        Ok(Guard {
            outbox: self,
            _file: file,
        })
    }

    /// Takes the writers' lock (waits for it): every writer of this repository's tickets (the hooks'
    /// flusher, `sync`, `flush`, the replay, `undo`) holds it around plan and apply, so that two never read
    /// the same page's comments and both post.
    pub fn writer_lock(&self) -> Result<File, OutboxError> {
        let file = self.open_lock_file("write.lock")?;
        file.lock()
            .map_err(|e| self.io(&self.dir.join("write.lock"), e))?;
        Ok(file)
    }

    /// The writers' lock if no other writer holds it (a foreground hook never waits for a long replay).
    pub fn try_writer_lock(&self) -> Result<Option<File>, OutboxError> {
        let file = self.open_lock_file("write.lock")?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(self.io(&self.dir.join("write.lock"), e)),
        }
    }

    /// Queues what moved since the tips were recorded (a `flush`, `sync`, `status` or flusher pass; the
    /// tips read through gix, any reference backend). It starts no flusher: a flush delivers it at once,
    /// and what `sync` and `status` queue is delivered by the next event (so that what they send stays
    /// their own). Nothing happens where git-notion has no outbox yet.
    pub fn catch_up(&self, repo: &crate::git::Repo) -> Result<(), OutboxError> {
        if !self.dir.join(super::tips::FILE).exists() {
            return Ok(());
        }
        let tips = repo.tips();
        self.lock()?.record_tips(&tips, "", true, now()).map(drop)
    }

    /// Records the tips now without queuing anything (`hooks install`: moves from then on are seen).
    pub fn start_tips(&self, repo: &crate::git::Repo) -> Result<(), OutboxError> {
        let tips = repo.tips();
        self.lock()?.record_tips(&tips, "", false, now()).map(drop)
    }

    /// Whether the outbox can be opened for writing (one open of its lock file: cheap enough for every
    /// hook run).
    pub fn openable(&self) -> Result<(), OutboxError> {
        self.open_lock_file("lock").map(drop)
    }

    /// Whether a file can be created in the outbox directory (a read-only or full disk cannot queue).
    pub fn writable(&self) -> Result<(), OutboxError> {
        crate::files::private_dir(&self.dir).map_err(|e| self.io(&self.dir, e))?;
        let probe = self.dir.join(format!(".probe-{}", std::process::id()));
        let r = std::fs::write(&probe, b"probe");
        let _ = std::fs::remove_file(&probe);
        r.map_err(|e| self.io(&self.dir, e))
    }

    /// Takes the flusher lock: Some when no other flusher runs (or, with `wait`, once it has finished).
    pub fn flusher_lock(&self, wait: bool) -> Result<Option<File>, OutboxError> {
        let file = self.open_lock_file("flush.lock")?;
        if wait {
            file.lock()
                .map_err(|e| self.io(&self.dir.join("flush.lock"), e))?;
            return Ok(Some(file));
        }
        match file.try_lock() {
            Ok(()) => {
                // Who holds it, for people and tests (`kill $(cat flush.lock)`).
                let _ = file.set_len(0);
                let _ = (&file).write_all(std::process::id().to_string().as_bytes());
                Ok(Some(file))
            }
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(self.io(&self.dir.join("flush.lock"), e)),
        }
    }

    /// Files set aside because they could not be read (`*.damaged-<time>`): they may hold updates that only
    /// a person can recover, so hooks and `status` point at them until they are deleted.
    pub fn damaged(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Whether anything is pending or failed (without taking the lock: a hint for hooks).
    pub fn exists(&self) -> bool {
        ["outbox.json", "queue.jsonl", "failed.json"]
            .iter()
            .any(|n| self.dir.join(n).exists())
    }
}

impl Guard<'_> {
    fn path(&self, name: &str) -> PathBuf {
        self.outbox.dir.join(name)
    }

    fn read<T: Default + for<'de> Deserialize<'de>>(&self, name: &str) -> Result<T, OutboxError> {
        let path = self.path(name);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
            Err(e) => return Err(self.outbox.io(&path, e)),
        };
        match serde_json::from_slice(&text) {
            Ok(v) => Ok(v),
            Err(e) => {
                // Never lose it: keep the damaged file beside, and start afresh.
                let kept = self.path(&format!("{name}.damaged-{}", now()));
                std::fs::rename(&path, &kept).map_err(|e| self.outbox.io(&path, e))?;
                Err(OutboxError::Damaged {
                    path,
                    detail: e.to_string(),
                    kept,
                })
            }
        }
    }

    fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<(), OutboxError> {
        let path = self.path(name);
        let tmp = self.path(&format!("{name}.tmp"));
        let io = |e: std::io::Error| self.outbox.io(&path, e);
        let text = serde_json::to_vec_pretty(value).map_err(|e| self.outbox.io(&path, e))?;
        let mut o = OpenOptions::new();
        o.create(true).truncate(true).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&tmp).map_err(io)?;
        f.write_all(&text).map_err(io)?;
        if self.outbox.sync {
            f.sync_all().map_err(io)?;
        }
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io)?;
        if self.outbox.sync {
            if let Ok(d) = File::open(&self.outbox.dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    /// The pending events: `outbox.json` with the queue's events folded in (its sightings are not events
    /// yet: see [`Guard::fold_queue_with`]).
    pub fn pending(&self) -> Result<Pending, OutboxError> {
        let mut p: Pending = self.read("outbox.json")?;
        for e in self.queued()?.0 {
            // Already folded (a crash before the queue was emptied). A second sighting of the same commit
            // is kept: what it changes (now on a release branch) is decided from history at delivery.
            let dup = p.events.iter().any(|x| x.id == e.id);
            if !dup {
                p.events.push(e);
            }
        }
        Ok(p)
    }

    /// Writes the pending events back (they must come from [`Guard::pending`] under this guard): the
    /// queue's events are in them now, so it keeps only its sightings.
    pub fn set_pending(&self, p: &Pending) -> Result<(), OutboxError> {
        let sightings = self.queued()?.1;
        self.write_pending(p, &sightings)
    }

    fn write_pending(&self, p: &Pending, sightings: &[Sighting]) -> Result<(), OutboxError> {
        /// `Pending` as this build writes it, without copying the queue.
        #[derive(Serialize)]
        struct Written<'a> {
            version: u32,
            events: &'a [Event],
            last_flush: &'a Option<LastFlush>,
            seq: u64,
        }
        self.write(
            "outbox.json",
            &Written {
                version: PENDING_VERSION,
                events: &p.events,
                last_flush: &p.last_flush,
                seq: p.seq,
            },
        )?;
        let waiting: Vec<&Event> = p
            .events
            .iter()
            .filter(|e| e.attempts > 0 && e.last_error.is_some())
            .collect();
        let notice = Notice {
            waiting: waiting.len(),
            reason: waiting.first().and_then(|e| e.last_error.clone()),
        };
        if notice != self.notice() {
            self.write("notice.json", &notice)?;
        }
        let queue = self.path(QUEUE);
        if !sightings.is_empty() {
            let mut text = vec![];
            for sighting in sightings {
                serde_json::to_writer(&mut text, &serde_json::json!({ "sighting": sighting }))
                    .map_err(|e| self.outbox.io(&queue, e))?;
                text.push(b'\n');
            }
            let tmp = self.path(&format!("{QUEUE}.tmp"));
            crate::files::write_private(&tmp, &text).map_err(|e| self.outbox.io(&tmp, e))?;
            return std::fs::rename(&tmp, &queue).map_err(|e| self.outbox.io(&queue, e));
        }
        match std::fs::remove_file(&queue) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.outbox.io(&queue, e)),
        }
    }

    /// Writes queued events into `outbox.json`; sightings stay queued (the tests' way to look at the fold).
    #[cfg(test)]
    pub fn fold_queue(&self) -> Result<(), OutboxError> {
        if self.path(QUEUE).exists() {
            let p = self.pending()?;
            self.set_pending(&p)?;
        }
        Ok(())
    }

    /// Writes the queue into `outbox.json`, each sighting read into its events by `read` (the flusher
    /// does this before delivering anything). Events read from a sighting have ids made from the
    /// sighting's, so reading it again after a crash adds nothing twice.
    pub fn fold_queue_with(
        &self,
        read: &dyn Fn(&Sighting) -> Vec<Event>,
    ) -> Result<(), OutboxError> {
        if !self.path(QUEUE).exists() {
            return Ok(());
        }
        let mut p = self.pending()?;
        for sighting in self.queued()?.1 {
            for e in read(&sighting) {
                if !p.events.iter().any(|x| x.id == e.id) {
                    p.events.push(e);
                }
            }
        }
        self.write_pending(&p, &[])
    }

    /// Whether the queue holds sightings not read yet.
    pub fn has_sightings(&self) -> bool {
        self.queued().is_ok_and(|(_, s)| !s.is_empty())
    }

    /// How many sightings wait to be read (for `git notion status`).
    pub fn sightings(&self) -> Result<Vec<Sighting>, OutboxError> {
        Ok(self.queued()?.1)
    }

    /// The events hooks appended. A line that does not parse (a hook killed in mid-write) is kept aside in
    /// `queue.jsonl.damaged-<time>` and skipped; the other lines count.
    fn queued(&self) -> Result<(Vec<Event>, Vec<Sighting>), OutboxError> {
        let path = self.path(QUEUE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(e) => return Err(self.outbox.io(&path, e)),
        };
        let mut events = vec![];
        let mut sightings = vec![];
        let mut damaged = vec![];
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            match serde_json::from_slice::<Line>(line) {
                Ok(Line::Event(e)) => events.push(*e),
                Ok(Line::Sighting { sighting }) => sightings.push(sighting),
                Err(_) => {
                    damaged.extend_from_slice(line);
                    damaged.push(b'\n');
                }
            }
        }
        if !damaged.is_empty() {
            let kept = self.path(&format!("{QUEUE}.damaged-{}", now()));
            let _ = crate::files::write_private(&kept, &damaged);
        }
        Ok((events, sightings))
    }

    /// The updates waiting for a fix (see [`Notice`]); nothing when it cannot be read.
    pub fn notice(&self) -> Notice {
        std::fs::read(self.path("notice.json"))
            .ok()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default()
    }

    /// The updates that left the queue undelivered (`failed.json`).
    pub fn failed(&self) -> Result<Vec<Failure>, OutboxError> {
        self.read("failed.json")
    }

    /// Writes `failed.json`.
    pub fn set_failed(&self, f: &[Failure]) -> Result<(), OutboxError> {
        self.write("failed.json", &f)
    }

    /// Appends events for commits to the queue, each with a unique id, without reading what is pending
    /// (folding skips a commit already pending with the same tickets).
    pub fn append(&self, events: Vec<Event>) -> Result<(), OutboxError> {
        if events.is_empty() {
            return Ok(());
        }
        let nonce = nonce();
        let mut text = vec![];
        for (n, mut e) in events.into_iter().enumerate() {
            e.id = format!("{}-{nonce}{n}", &e.commit.id[..12.min(e.commit.id.len())]);
            serde_json::to_writer(&mut text, &e)
                .map_err(|e| self.outbox.io(&self.path(QUEUE), e))?;
            text.push(b'\n');
        }
        self.append_lines(text)
    }

    /// The branch tips as the last hook or pass recorded them (None: never recorded here).
    pub fn tips(&self) -> Option<super::tips::Tips> {
        std::fs::read_to_string(self.path(super::tips::FILE))
            .ok()
            .map(|t| super::tips::parse(&t))
    }

    /// Records the branch tips (written aside, then renamed: never torn).
    pub fn set_tips(&self, tips: &super::tips::Tips) -> Result<(), OutboxError> {
        let path = self.path(super::tips::FILE);
        let tmp = self.path(&format!("{}.tmp", super::tips::FILE));
        crate::files::write_private(&tmp, super::tips::render(tips).as_bytes())
            .map_err(|e| self.outbox.io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.outbox.io(&path, e))
    }

    /// Compares the tips `now` with the record and, where something moved, queues it as one sighting;
    /// then records `now`. With no record yet, records `now` and queues `first` (a hook's own commit, as
    /// `= <id> <ref>`, or nothing): what happened before git-notion watched is the replay's. `queue:
    /// false` (`GIT_NOTION_SKIP=1`) only records. Returns the lines queued.
    pub fn record_tips(
        &self,
        now: &super::tips::Tips,
        first: &str,
        queue: bool,
        queued_at: i64,
    ) -> Result<String, OutboxError> {
        let lines = match self.tips() {
            Some(seen) if &seen == now => return Ok(String::new()),
            Some(seen) => super::tips::moved(&seen, now),
            None => first.to_string(),
        };
        if queue && !lines.is_empty() {
            self.append_sighting(lines.clone(), queued_at)?;
        }
        self.set_tips(now)?;
        Ok(if queue { lines } else { String::new() })
    }

    /// Appends a hook's unread reference updates to the queue, with a unique id.
    pub fn append_sighting(&self, refs: String, queued_at: i64) -> Result<(), OutboxError> {
        let sighting = Sighting {
            id: format!("s-{}", nonce()),
            refs,
            queued_at,
        };
        let mut text = serde_json::to_vec(&serde_json::json!({ "sighting": sighting }))
            .map_err(|e| self.outbox.io(&self.path(QUEUE), e))?;
        text.push(b'\n');
        self.append_lines(text)
    }

    fn append_lines(&self, mut text: Vec<u8>) -> Result<(), OutboxError> {
        let path = self.path(QUEUE);
        let io = |e: std::io::Error| self.outbox.io(&path, e);
        let mut o = OpenOptions::new();
        o.create(true).append(true).read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&path).map_err(io)?;
        // After a hook killed in mid-write, start on a fresh line: only the torn line is spoiled.
        if !ends_with_newline(&f) {
            text.insert(0, b'\n');
        }
        // One write: a reader under the lock never sees half of it, and a kill in mid-write spoils one line.
        f.write_all(&text).map_err(io)?;
        if self.outbox.sync {
            f.sync_all().map_err(io)?;
            if let Ok(d) = File::open(&self.outbox.dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// A process-unique stamp for ids: the time in nanoseconds and the process id, in hex.
fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}{:x}", std::process::id())
}

const QUEUE: &str = "queue.jsonl";

/// Whether a file is empty or ends with a newline.
fn ends_with_newline(f: &File) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = f;
    match f.metadata() {
        Ok(m) if m.len() == 0 => true,
        Ok(_) => {
            let mut last = [0u8];
            f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] == b'\n'
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ReasonKind;

    fn event(commit: &str, key: &str) -> Event {
        Event {
            id: String::new(),
            hook: "post-commit".into(),
            commit: Commit {
                id: commit.repeat(40),
                message: format!("feat: {key}\n").into(),
                time: 1_760_000_000,
                offset: 0,
                parents: 1,
                author_email: String::new(),
            },
            keys: vec![TicketKey::Token(key.into())],
            branch: Some("main".into()),
            origin_url: None,
            queued_at: 1,
            attempts: 0,
            next_try: 1,
            last_error: None,
            said: None,
        }
    }

    fn outbox() -> (tempfile::TempDir, Outbox) {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::new(dir.path()).with_sync(false);
        (dir, ob)
    }

    #[test]
    fn sightings_stay_queued_until_read_and_are_read_once_even_after_a_crash() {
        let (_d, ob) = outbox();
        let g = ob.lock().unwrap();
        g.append(vec![event("a", "#1")]).unwrap();
        g.append_sighting("o n refs/heads/main\n".into(), 7)
            .unwrap();
        assert!(g.has_sightings());
        // Events fold; the sighting is not an event yet and survives every write of the pending list.
        g.fold_queue().unwrap();
        assert_eq!(g.pending().unwrap().events.len(), 1);
        assert!(g.has_sightings());
        let p = g.pending().unwrap();
        g.set_pending(&p).unwrap();
        let sighting = g.sightings().unwrap().remove(0);
        assert_eq!(
            (sighting.refs.as_str(), sighting.queued_at),
            ("o n refs/heads/main\n", 7)
        );
        // Reading it: events with ids made from the sighting's.
        let read = |s: &Sighting| {
            let mut e = event("b", "#2");
            e.id = format!("bbbbbbbbbbbb-{}-0", s.id);
            vec![e]
        };
        let queue = std::fs::read(ob.dir.join(QUEUE)).unwrap();
        g.fold_queue_with(&read).unwrap();
        assert!(!g.has_sightings());
        assert_eq!(g.pending().unwrap().events.len(), 2);
        // A crash after outbox.json was written and before the queue was emptied: read again, added once.
        std::fs::write(ob.dir.join(QUEUE), &queue).unwrap();
        g.fold_queue_with(&read).unwrap();
        assert_eq!(g.pending().unwrap().events.len(), 2);
    }

    #[test]
    fn appended_events_fold_into_the_pending_list_once_each() {
        let (_d, ob) = outbox();
        assert!(!ob.exists());
        let g = ob.lock().unwrap();
        g.append(vec![event("a", "#1"), event("b", "#2")]).unwrap();
        g.append(vec![]).unwrap();
        assert!(ob.exists());
        let p = g.pending().unwrap();
        assert_eq!(p.events.len(), 2);
        assert_ne!(
            p.events[0].id, p.events[1].id,
            "every event gets its own id"
        );
        assert!(p.events[0].id.starts_with(&"a".repeat(12)));
        // Folding writes them into outbox.json and empties the queue; reading again changes nothing.
        g.fold_queue().unwrap();
        assert!(!ob.dir.join(QUEUE).exists());
        assert_eq!(g.pending().unwrap().events, p.events);
        // An event already folded and still in the queue (a crash in between) counts once.
        g.append(vec![event("c", "#3")]).unwrap();
        let again = g.pending().unwrap();
        assert_eq!(again.events.len(), 3);
        g.set_pending(&again).unwrap();
        let text = std::fs::read_to_string(ob.dir.join("outbox.json")).unwrap();
        let mut copy = again.events[2].clone();
        copy.attempts = 0;
        std::fs::write(
            ob.dir.join(QUEUE),
            format!("{}\n", serde_json::to_string(&copy).unwrap()),
        )
        .unwrap();
        assert_eq!(g.pending().unwrap().events.len(), 3, "{text}");
    }

    #[test]
    fn a_torn_line_is_set_aside_and_the_next_append_starts_a_new_one() {
        let (_d, ob) = outbox();
        let g = ob.lock().unwrap();
        g.append(vec![event("a", "#1")]).unwrap();
        // A hook killed in mid-write: half a line, no newline.
        let mut f = OpenOptions::new()
            .append(true)
            .open(ob.dir.join(QUEUE))
            .unwrap();
        f.write_all(b"{\"id\":\"half").unwrap();
        assert!(!ends_with_newline(&File::open(ob.dir.join(QUEUE)).unwrap()));
        g.append(vec![event("b", "#2")]).unwrap();
        assert!(ends_with_newline(&File::open(ob.dir.join(QUEUE)).unwrap()));
        let p = g.pending().unwrap();
        let keys: Vec<String> = p.events.iter().map(|e| e.keys[0].to_string()).collect();
        assert_eq!(keys, ["#1", "#2"]);
        let damaged: Vec<PathBuf> = std::fs::read_dir(&ob.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().contains("queue.jsonl.damaged-"))
            .collect();
        assert_eq!(damaged.len(), 1);
        assert_eq!(std::fs::read(&damaged[0]).unwrap(), b"{\"id\":\"half\n");
        let empty = tempfile::tempfile().unwrap();
        assert!(ends_with_newline(&empty));
    }

    #[test]
    fn a_damaged_outbox_is_kept_aside_and_reported() {
        let (_d, ob) = outbox();
        let g = ob.lock().unwrap();
        std::fs::write(ob.dir.join("outbox.json"), "{not json").unwrap();
        match g.pending() {
            Err(OutboxError::Damaged { kept, .. }) => {
                assert_eq!(std::fs::read_to_string(&kept).unwrap(), "{not json");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ob.damaged().len(), 1);
        assert_eq!(g.pending().unwrap(), Pending::default(), "a fresh start");
    }

    #[test]
    fn the_notice_says_how_many_wait_and_why_and_failures_round_trip() {
        let (_d, ob) = outbox();
        let g = ob.lock().unwrap();
        assert_eq!(g.notice(), Notice::default());
        let mut waiting = event("a", "#1");
        waiting.attempts = 2;
        waiting.last_error = Some("no token".into());
        let mut untried = event("b", "#2");
        untried.last_error = Some("not tried yet".into());
        let p = Pending {
            events: vec![untried, waiting.clone()],
            seq: 3,
            ..Pending::default()
        };
        g.set_pending(&p).unwrap();
        assert_eq!(
            g.notice(),
            Notice {
                waiting: 1,
                reason: Some("no token".into())
            }
        );
        assert_eq!(g.pending().unwrap(), p);
        let f = vec![Failure {
            event: waiting,
            key: TicketKey::Token("#1".into()),
            state: Settled::NoPage,
            reason: "no page".into(),
            failed_at: 5,
            warned: false,
        }];
        assert!(g.failed().unwrap().is_empty());
        g.set_failed(&f).unwrap();
        assert_eq!(g.failed().unwrap(), f);
        assert!(ob.exists());
    }

    #[test]
    fn an_outbox_written_before_reasons_had_kinds_is_read_and_written_as_version_2() {
        let (_d, ob) = outbox();
        let mut old = event("a", "#1");
        old.attempts = 1;
        let mut v = serde_json::json!({"events": [old], "last_flush": null, "seq": 1});
        v["events"][0]["last_error"] = "no token".into();
        std::fs::create_dir_all(ob.dir()).unwrap();
        std::fs::write(ob.dir().join("outbox.json"), v.to_string()).unwrap();
        let guard = ob.lock().unwrap();
        let p = guard.pending().unwrap();
        assert_eq!(p.version, 1);
        let reason = p.events[0].last_error.clone().unwrap();
        assert_eq!(reason, Reason::new(ReasonKind::Unknown, "no token"));
        guard.set_pending(&p).unwrap();
        let text = std::fs::read_to_string(ob.dir().join("outbox.json")).unwrap();
        let now: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(now["version"], PENDING_VERSION);
        assert_eq!(now["events"][0]["last_error"]["kind"], "unknown");
        assert_eq!(guard.pending().unwrap().events[0].last_error, Some(reason));
    }

    #[test]
    fn one_writer_and_one_flusher_at_a_time() {
        let (_d, ob) = outbox();
        let held = ob.try_writer_lock().unwrap().expect("free");
        assert!(ob.try_writer_lock().unwrap().is_none(), "held");
        drop(held);
        assert!(ob.try_writer_lock().unwrap().is_some());
        let flusher = ob.flusher_lock(false).unwrap().expect("free");
        assert!(ob.flusher_lock(false).unwrap().is_none());
        drop(flusher);
        assert!(ob.flusher_lock(false).unwrap().is_some());
        ob.openable().unwrap();
        ob.writable().unwrap();
        assert!(now() > 1_700_000_000);
    }
}
