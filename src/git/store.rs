//! Files kept on a ref of their own (`refs/notion/backup`), never on a working branch: read with
//! `git ls-tree` and `git cat-file --batch`, written with one `git fast-import` per commit (each changed
//! file a blob, sent as soon as it is known; the rest of the tree kept from the ref's last commit). One process per step, whatever
//! the number of files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::GitError;

/// A ref holding files, in the repository at `git_dir`.
pub struct Store<'a> {
    git_dir: &'a Path,
    reference: &'a str,
}

fn failed(what: &str, detail: impl std::fmt::Display) -> GitError {
    GitError::Read {
        what: what.to_string(),
        detail: detail.to_string(),
    }
}

impl<'a> Store<'a> {
    /// The files of `reference` (e.g. `refs/notion/backup`) in the repository at `git_dir`.
    pub fn new(git_dir: &'a Path, reference: &'a str) -> Store<'a> {
        Store { git_dir, reference }
    }

    fn git(&self) -> Command {
        let mut c = Command::new("git");
        c.arg("--git-dir").arg(self.git_dir);
        c
    }

    /// The ref's commit, if it exists.
    pub fn tip(&self) -> Option<String> {
        let out = self
            .git()
            .args(["rev-parse", "-q", "--verify"])
            .arg(format!("{}^{{commit}}", self.reference))
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !id.is_empty()).then_some(id)
    }

    /// The commit `rev` names (a commit id, `refs/notion/backup~2`), if it names one.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        if rev.starts_with('-') {
            return None;
        }
        let out = self
            .git()
            .args(["rev-parse", "-q", "--verify"])
            .arg(format!("{rev}^{{commit}}"))
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !id.is_empty()).then_some(id)
    }

    /// The ref's last commit made at or before `unix` (seconds), if any.
    pub fn at_or_before(&self, unix: i64) -> Option<String> {
        let tip = self.tip()?;
        let out = self
            .git()
            .args(["rev-list", "-1", &format!("--before={unix}"), &tip])
            .output()
            .ok()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!id.is_empty()).then_some(id)
    }

    /// When `commit` was made (committer time, Unix seconds).
    pub fn time_of(&self, commit: &str) -> Option<i64> {
        let out = self
            .git()
            .args(["show", "-s", "--format=%ct", commit])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }

    /// Path → blob id of every file under `prefix` at `rev` (the tip when `None`); empty when the ref
    /// does not exist yet.
    pub fn list(
        &self,
        rev: Option<&str>,
        prefix: &str,
    ) -> Result<BTreeMap<String, String>, GitError> {
        let Some(rev) = rev.map(String::from).or_else(|| self.tip()) else {
            return Ok(BTreeMap::new());
        };
        let mut c = self.git();
        c.args(["ls-tree", "-r", "-z", &rev]);
        if !prefix.is_empty() {
            c.args(["--", prefix]);
        }
        let out = c
            .output()
            .map_err(|e| failed("the backup's files (git ls-tree)", e))?;
        if !out.status.success() {
            return Err(failed(
                "the backup's files (git ls-tree)",
                String::from_utf8_lossy(&out.stderr).trim(),
            ));
        }
        let mut files = BTreeMap::new();
        for entry in out.stdout.split(|b| *b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            // `<mode> blob <id>\t<path>`
            if let Some((meta, path)) = entry.split_once('\t') {
                if let Some(id) = meta.split_whitespace().nth(2) {
                    files.insert(path.to_string(), id.to_string());
                }
            }
        }
        Ok(files)
    }

    /// The contents of these blobs, by id, read through one `git cat-file --batch`.
    pub fn read(&self, ids: &[String]) -> Result<BTreeMap<String, Vec<u8>>, GitError> {
        let what = "the backup's files (git cat-file)";
        let mut child = self
            .git()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| failed(what, e))?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(failed(what, "no pipe to git cat-file"));
        };
        let list: String = ids.iter().map(|id| format!("{id}\n")).collect();
        let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
        let mut out = BufReader::new(stdout);
        let mut blobs = BTreeMap::new();
        for id in ids {
            let mut header = String::new();
            out.read_line(&mut header).map_err(|e| failed(what, e))?;
            // `<id> blob <size>`, or `<id> missing`.
            let size: Option<usize> = header
                .split_whitespace()
                .nth(2)
                .and_then(|s| s.parse().ok());
            let Some(size) = size else { continue };
            let mut body = vec![0; size + 1];
            out.read_exact(&mut body).map_err(|e| failed(what, e))?;
            body.pop();
            blobs.insert(id.clone(), body);
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(blobs)
    }

    /// The history of one file on the ref, newest first: (commit, committer time, blob id). `paths`: where
    /// the file has been kept (its present path first); a commit that only moved it is not a version.
    pub fn versions(&self, paths: &[String]) -> Result<Vec<(String, i64, String)>, GitError> {
        let Some(tip) = self.tip() else {
            return Ok(vec![]);
        };
        let out = self
            .git()
            .args(["log", "--format=%H %ct", "--no-renames", &tip, "--"])
            .args(paths)
            .output()
            .map_err(|e| failed("the backup's history (git log)", e))?;
        let mut versions: Vec<(String, i64, String)> = vec![];
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut words = line.split_whitespace();
            let (Some(commit), Some(time)) = (words.next(), words.next()) else {
                continue;
            };
            let mut here = BTreeMap::new();
            for p in paths {
                here.append(&mut self.list(Some(commit), p)?);
            }
            let blob = paths.iter().find_map(|p| here.remove(p));
            if let Some(blob) = blob {
                // Newest first: the older of two equal neighbours is the version (the newer only moved it).
                if versions.last().is_some_and(|(_, _, b)| *b == blob) {
                    versions.pop();
                }
                versions.push((commit.to_string(), time.parse().unwrap_or(0), blob));
            }
        }
        Ok(versions)
    }

    /// A commit on the ref in the making ([`Import`]).
    pub fn import(&self) -> Import<'_> {
        Import {
            store: self,
            child: None,
            marks: 0,
        }
    }
}

/// What a commit does to one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// These contents.
    Write(Vec<u8>),
    /// The blob [`Import::blob`] sent with this mark.
    Sent(u64),
    /// The file goes.
    Remove,
}

/// One commit on the ref, through one `git fast-import`: blobs may go while the caller is still reading
/// (git compresses them meanwhile, on another core), then [`Import::commit`] writes the commit: the
/// changes made, the rest of the tree kept from the ref's last commit. Dropped before that, nothing is
/// committed.
pub struct Import<'s> {
    store: &'s Store<'s>,
    child: Option<(Child, std::io::BufWriter<ChildStdin>)>,
    marks: u64,
}

const IMPORT: &str = "a commit on the backup ref (git fast-import)";

impl Import<'_> {
    fn stream(&mut self) -> Result<&mut std::io::BufWriter<ChildStdin>, GitError> {
        if self.child.is_none() {
            let mut child = self
                .store
                .git()
                .args(["fast-import", "--quiet", "--force"])
                // glibc's malloc gives memory back after each blob and asks for it again (200,000 brk
                // calls for 50,000 files: 3 s of 4); a pad keeps it (0.8 s). Other allocators ignore it.
                .env("MALLOC_TOP_PAD_", "67108864")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| failed(IMPORT, e))?;
            let Some(stdin) = child.stdin.take() else {
                return Err(failed(IMPORT, "no pipe to git fast-import"));
            };
            self.child = Some((child, std::io::BufWriter::new(stdin)));
        }
        match &mut self.child {
            Some((_, w)) => Ok(w),
            None => Err(failed(IMPORT, "git fast-import did not start")),
        }
    }

    /// Sends a blob; its mark names it in [`Change::Sent`].
    pub fn blob(&mut self, body: &[u8]) -> Result<u64, GitError> {
        self.marks += 1;
        let mark = self.marks;
        let w = self.stream()?;
        let sent = w
            .write_all(format!("blob\nmark :{mark}\ndata {}\n", body.len()).as_bytes())
            .and_then(|()| w.write_all(body))
            .and_then(|()| w.write_all(b"\n"));
        match sent {
            Ok(()) => Ok(mark),
            Err(e) => Err(self.died(e)),
        }
    }

    /// fast-import's own words when writing to it failed (it stopped).
    fn died(&mut self, e: std::io::Error) -> GitError {
        match self.child.take() {
            Some((child, w)) => {
                drop(w);
                match child.wait_with_output() {
                    Ok(out) if !out.stderr.is_empty() => {
                        failed(IMPORT, String::from_utf8_lossy(&out.stderr).trim())
                    }
                    _ => failed(IMPORT, e),
                }
            }
            None => failed(IMPORT, e),
        }
    }

    /// Writes the commit: `changes` (path → what happens to it), the rest of the tree kept. The committer
    /// is the repository's (`git var GIT_COMMITTER_IDENT`). Returns the new commit.
    pub fn commit(
        mut self,
        message: &str,
        changes: &BTreeMap<String, Change>,
    ) -> Result<String, GitError> {
        let ident = self
            .store
            .git()
            .args(["var", "GIT_COMMITTER_IDENT"])
            .output()
            .map_err(|e| failed(IMPORT, e))?;
        let ident = String::from_utf8_lossy(&ident.stdout).trim().to_string();
        if ident.is_empty() {
            return Err(failed(
                IMPORT,
                "git has no committer identity: set user.name and user.email",
            ));
        }
        let stream = commit_stream(
            self.store.reference,
            &ident,
            message,
            self.store.tip(),
            changes,
        );
        let w = self.stream()?;
        if let Err(e) = w.write_all(&stream).and_then(|()| w.flush()) {
            return Err(self.died(e));
        }
        let Some((child, w)) = self.child.take() else {
            return Err(failed(IMPORT, "git fast-import did not start"));
        };
        drop(w);
        let out = child.wait_with_output().map_err(|e| failed(IMPORT, e))?;
        if !out.status.success() {
            return Err(failed(IMPORT, String::from_utf8_lossy(&out.stderr).trim()));
        }
        self.store
            .tip()
            .ok_or_else(|| failed(IMPORT, "the ref was not written"))
    }
}

impl Drop for Import<'_> {
    /// Not committed: fast-import is stopped, and the ref stays as it was.
    fn drop(&mut self) {
        if let Some((mut child, w)) = self.child.take() {
            drop(w);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What `git fast-import` reads to make one commit on `reference`: `changes` made, the rest of the tree
/// kept from `tip`.
fn commit_stream(
    reference: &str,
    ident: &str,
    message: &str,
    tip: Option<String>,
    changes: &BTreeMap<String, Change>,
) -> Vec<u8> {
    let mut stream: Vec<u8> = vec![];
    stream.extend_from_slice(format!("commit {reference}\ncommitter {ident}\n").as_bytes());
    stream.extend_from_slice(format!("data {}\n{message}\n", message.len()).as_bytes());
    if let Some(tip) = tip {
        stream.extend_from_slice(format!("from {tip}\n").as_bytes());
    }
    for (path, change) in changes {
        match change {
            Change::Remove => stream.extend_from_slice(format!("D {path}\n").as_bytes()),
            Change::Sent(mark) => {
                stream.extend_from_slice(format!("M 100644 :{mark} {path}\n").as_bytes())
            }
            Change::Write(body) => {
                stream.extend_from_slice(
                    format!("M 100644 inline {path}\ndata {}\n", body.len()).as_bytes(),
                );
                stream.extend_from_slice(body);
                stream.push(b'\n');
            }
        }
    }
    stream.extend_from_slice(b"\n");
    stream
}
