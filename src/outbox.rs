//! The durable outbox under `<git common dir>/git-notion/`, shared by all worktrees: `outbox.json` (pending
//! events), `failed.json` (permanent failures with their reason), `lock` (held while either file is read
//! and rewritten) and `flush.lock` (held by the one running flusher). Files are replaced atomically
//! (temp file, fsync, rename, fsync of the directory) and created with mode 0600.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::git::Commit;
use crate::tickets::TicketKey;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("git-notion's outbox at {path}: {detail}")]
    Io { path: PathBuf, detail: String },
    #[error("git-notion's outbox file {path} is damaged ({detail}); it was kept as {kept}, and a fresh one started")]
    Damaged {
        path: PathBuf,
        detail: String,
        kept: PathBuf,
    },
}

/// One commit a hook saw, with the tickets still to deliver for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique within the outbox: `<commit id>` plus a sequence number.
    pub id: String,
    pub hook: String,
    pub commit: Commit,
    pub keys: Vec<TicketKey>,
    pub branch: Option<String>,
    pub origin_url: Option<String>,
    /// Seconds since the epoch.
    pub queued_at: i64,
    pub attempts: u32,
    pub next_try: i64,
    pub last_error: Option<String>,
}

/// A ticket update Notion refused for good (or that named no page), kept with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub event: Event,
    pub key: TicketKey,
    pub reason: String,
    pub failed_at: i64,
}

/// The last flush, for `git notion status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastFlush {
    pub at: i64,
    pub delivered: usize,
    pub requeued: usize,
    pub failed: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub events: Vec<Event>,
    pub last_flush: Option<LastFlush>,
    /// Sequence for event ids.
    pub seq: u64,
}

/// The outbox directory of a repository.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// Holds the outbox lock; the files may be read and written while it lives.
pub struct Guard<'a> {
    outbox: &'a Outbox,
    _file: File,
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Outbox {
    pub fn new(common_dir: &Path) -> Outbox {
        Outbox {
            dir: common_dir.join("git-notion"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn io(&self, path: &Path, e: impl std::fmt::Display) -> OutboxError {
        OutboxError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    }

    fn open_lock_file(&self, name: &str) -> Result<File, OutboxError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(&self.dir, e))?;
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

    /// Whether anything is pending or failed (without taking the lock: a hint for hooks).
    pub fn exists(&self) -> bool {
        self.dir.join("outbox.json").exists() || self.dir.join("failed.json").exists()
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
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(io)?;
        if let Ok(d) = File::open(&self.outbox.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    pub fn pending(&self) -> Result<Pending, OutboxError> {
        self.read("outbox.json")
    }

    pub fn set_pending(&self, p: &Pending) -> Result<(), OutboxError> {
        self.write("outbox.json", p)
    }

    pub fn failed(&self) -> Result<Vec<Failure>, OutboxError> {
        self.read("failed.json")
    }

    pub fn set_failed(&self, f: &[Failure]) -> Result<(), OutboxError> {
        self.write("failed.json", &f)
    }

    /// Appends events for commits (one per commit that names tickets); events for a commit already
    /// pending are not added twice.
    pub fn append(&self, events: Vec<Event>) -> Result<usize, OutboxError> {
        let mut p = self.pending()?;
        let mut added = 0;
        for mut e in events {
            let dup = p
                .events
                .iter()
                .any(|x| x.commit.id == e.commit.id && x.keys == e.keys);
            if dup {
                continue;
            }
            p.seq += 1;
            e.id = format!("{}-{}", &e.commit.id[..12.min(e.commit.id.len())], p.seq);
            p.events.push(e);
            added += 1;
        }
        if added > 0 {
            self.set_pending(&p)?;
        }
        Ok(added)
    }
}
