//! git's state read from its files, without opening the repository: where the git directories are for a
//! hook, whether a rebase is in progress, what HEAD names. The hooks' fast path reads only this (a hook
//! must cost about what a process start costs); [`super::Repo`] reads the same facts the same way.

use std::path::{Path, PathBuf};

use crate::config::Env;

/// A hook's repository: the worktree's top, its git directory and the common one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    /// The worktree's top (git runs hooks there).
    pub root: PathBuf,
    /// This worktree's git directory.
    pub git_dir: PathBuf,
    /// The git directory shared by all worktrees.
    pub common_dir: PathBuf,
}

impl Dirs {
    /// The repository a hook runs in, from its environment and working directory, or None when it is
    /// not the plain case (`GIT_COMMON_DIR` set, `GIT_DIR` without a worktree, …): open it then.
    pub fn of_hook(env: &Env) -> Option<Dirs> {
        if env.value("GIT_COMMON_DIR").is_some() {
            return None;
        }
        let cwd = std::env::current_dir().ok()?;
        let git_dir = match (env.value("GIT_DIR"), env.value("GIT_WORK_TREE")) {
            // A linked worktree: git sets both (`GIT_WORK_TREE=.`, the hook's directory).
            (Some(dir), Some(".")) => cwd.join(dir),
            (Some(_), _) | (None, Some(_)) => return None,
            (None, None) => {
                let dot_git = cwd.join(".git");
                if std::fs::metadata(&dot_git).ok()?.is_dir() {
                    dot_git
                } else {
                    let text = std::fs::read_to_string(&dot_git).ok()?;
                    cwd.join(text.strip_prefix("gitdir:")?.trim())
                }
            }
        };
        let common_dir = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(rel) => git_dir.join(rel.trim()),
            Err(_) => git_dir.clone(),
        };
        Some(Dirs {
            root: cwd,
            git_dir,
            common_dir,
        })
    }
}

/// A rebase, cherry-pick sequence or `git am` is in progress in this git directory.
pub fn rebase_in_progress(git_dir: &Path) -> bool {
    git_dir.join("rebase-merge").exists() || git_dir.join("rebase-apply").exists()
}

/// What HEAD names, read from its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A branch (`refs/heads/main`), or another symbolic reference.
    Symbolic(String),
    /// A commit id (detached).
    Detached(String),
}

/// HEAD of this git directory, or None when its file cannot be read.
pub fn head(git_dir: &Path) -> Option<Head> {
    let text = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let text = text.trim();
    Some(match text.strip_prefix("ref:") {
        Some(r) => Head::Symbolic(r.trim().to_string()),
        None => Head::Detached(text.to_string()),
    })
}

/// A full commit id (SHA-1 or SHA-256, hexadecimal).
pub fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}
