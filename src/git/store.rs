//! Files kept on a ref of their own (`refs/notion/backup`), never on a working branch: read with
//! `git ls-tree` and `git cat-file --batch`, written with one `git fast-import` per commit (each changed
//! file a blob, the rest of the tree kept from the ref's last commit). One process per step, whatever
//! the number of files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

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

    /// The history of one file on the ref, newest first: (commit, committer time, blob id).
    pub fn versions(&self, path: &str) -> Result<Vec<(String, i64, String)>, GitError> {
        let Some(tip) = self.tip() else {
            return Ok(vec![]);
        };
        let out = self
            .git()
            .args(["log", "--format=%H %ct", "--no-renames", &tip, "--", path])
            .output()
            .map_err(|e| failed("the backup's history (git log)", e))?;
        let mut versions = vec![];
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let mut words = line.split_whitespace();
            let (Some(commit), Some(time)) = (words.next(), words.next()) else {
                continue;
            };
            let blob = self.list(Some(commit), path)?.remove(path);
            if let Some(blob) = blob {
                versions.push((commit.to_string(), time.parse().unwrap_or(0), blob));
            }
        }
        Ok(versions)
    }

    /// One commit on the ref: `changes` written (path → contents), the rest of the tree kept. The
    /// committer is the repository's (`git var GIT_COMMITTER_IDENT`). Returns the new commit.
    pub fn commit(
        &self,
        message: &str,
        changes: &BTreeMap<String, Vec<u8>>,
    ) -> Result<String, GitError> {
        let what = "a commit on the backup ref (git fast-import)";
        let ident = self
            .git()
            .args(["var", "GIT_COMMITTER_IDENT"])
            .output()
            .map_err(|e| failed(what, e))?;
        let ident = String::from_utf8_lossy(&ident.stdout).trim().to_string();
        if ident.is_empty() {
            return Err(failed(
                what,
                "git has no committer identity: set user.name and user.email",
            ));
        }
        let stream = fast_import_stream(self.reference, &ident, message, self.tip(), changes);
        let mut child = self
            .git()
            .args(["fast-import", "--quiet", "--force"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(what, e))?;
        let Some(mut stdin) = child.stdin.take() else {
            return Err(failed(what, "no pipe to git fast-import"));
        };
        let writer = std::thread::spawn(move || stdin.write_all(&stream));
        let out = child.wait_with_output().map_err(|e| failed(what, e))?;
        let _ = writer.join();
        if !out.status.success() {
            return Err(failed(what, String::from_utf8_lossy(&out.stderr).trim()));
        }
        self.tip()
            .ok_or_else(|| failed(what, "the ref was not written"))
    }
}

/// What `git fast-import` reads to make one commit on `reference`: `changes` written, the rest of the
/// tree kept from `tip`.
fn fast_import_stream(
    reference: &str,
    ident: &str,
    message: &str,
    tip: Option<String>,
    changes: &BTreeMap<String, Vec<u8>>,
) -> Vec<u8> {
    let mut stream: Vec<u8> = vec![];
    stream.extend_from_slice(format!("commit {reference}\ncommitter {ident}\n").as_bytes());
    stream.extend_from_slice(format!("data {}\n{message}\n", message.len()).as_bytes());
    if let Some(tip) = tip {
        stream.extend_from_slice(format!("from {tip}\n").as_bytes());
    }
    for (path, body) in changes {
        stream
            .extend_from_slice(format!("M 100644 inline {path}\ndata {}\n", body.len()).as_bytes());
        stream.extend_from_slice(body);
        stream.push(b'\n');
    }
    stream.extend_from_slice(b"\n");
    stream
}
