//! Installing git-notion's hooks into a repository: where git looks for hooks (`core.hooksPath`, or the
//! common dir that linked worktrees share), who owns each hook (git-notion, another script, a hook
//! manager), and an install that never clobbers and an uninstall that restores exactly what was there.
//!
//! The default is the four `post-*` hooks (`post-commit`, `post-merge`, `post-rewrite`, `post-checkout`):
//! each queues what moved since the branch tips were last recorded (`hooks::tips`), so every branch move
//! is seen at the next hook, and a rebase pays one process per commit, not one per reference
//! transaction. `--every-move` installs `reference-transaction` instead (git 2.28 and later; git-notion's
//! own `post-*` hooks are removed, and the other way round: never both), a small sh filter (git runs it
//! several times per commit; a shell exits sooner than the binary) that hands only committed branch
//! updates to the binary, by absolute path. Where no `post-*` hook exists the binary is linked as the hook
//! (no shell). An existing hook is kept beside ours as `NAME.pre-git-notion` and a small sh shim runs it
//! first, then git-notion, and exits with its code. The files themselves record what was done, so
//! uninstall needs no other state.

use std::path::{Path, PathBuf};

use crate::git::Repo;
use crate::hooks::{COMMIT_MSG, NAMES, REFERENCE_TRANSACTION};

pub use super::POST_HOOKS;

/// Whether the `git` on PATH runs the `reference-transaction` hook (git 2.28 and later).
pub fn git_has_reference_transaction() -> bool {
    let Ok(out) = std::process::Command::new("git").arg("version").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2).unwrap_or_default();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 28)
}

/// husky's hook scripts that would run git-notion (`.husky/<hook>`).
const HUSKY_HOOK_FILES: [&str; 6] = [
    ".husky/reference-transaction",
    ".husky/post-checkout",
    ".husky/post-commit",
    ".husky/post-merge",
    ".husky/post-rewrite",
    ".husky/commit-msg",
];

/// The suffix of an existing hook kept beside the chaining shim.
pub const KEPT_SUFFIX: &str = ".pre-git-notion";

/// The hook managers git-notion recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Manager {
    /// husky (npm), through `core.hooksPath`.
    Husky,
    /// The pre-commit framework (PyPI).
    PreCommit,
    /// lefthook.
    Lefthook,
}

impl Manager {
    /// The manager's name, as its users write it.
    pub fn name(self) -> &'static str {
        match self {
            Manager::Husky => "husky",
            Manager::PreCommit => "pre-commit",
            Manager::Lefthook => "lefthook",
        }
    }

    /// What to add to the manager's configuration instead of installing hooks (also in docs/hooks.md).
    pub fn snippet(self) -> &'static str {
        match self {
            Manager::Husky => HUSKY_SNIPPET,
            Manager::PreCommit => PRE_COMMIT_SNIPPET,
            Manager::Lefthook => LEFTHOOK_SNIPPET,
        }
    }
}

/// What to add to husky's hooks to run git-notion.
pub const HUSKY_SNIPPET: &str = r#"# husky runs .husky/<hook> for the hooks it knows: add git-notion to the four post-* hooks (each
# queues what moved since the last one: commits, merges, rewrites, checkouts, and a reset or fetch at the
# next hook; they always exit 0) and to commit-msg (what the message does; refuses only with
# [commit] check = "block").
for h in post-commit post-merge post-rewrite post-checkout commit-msg; do
  printf 'git-notion hook %s "$@"\n' "$h" >> .husky/$h
done
git add .husky
# Optional (git >= 2.28): reference-transaction sees each branch move as it happens, but runs in every
# reference transaction (a 200-commit rebase several times slower). husky does not list it: give it one in
# husky's own _ directory (ignored by git: run these lines in each clone)
#   printf 'git-notion hook reference-transaction "$@"\n' >> .husky/reference-transaction
#   printf '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n' > .husky/_/reference-transaction && chmod +x .husky/_/reference-transaction"#;

/// What to add to `.pre-commit-config.yaml` to run git-notion.
pub const PRE_COMMIT_SNIPPET: &str = r#"# .pre-commit-config.yaml: add this repo entry (the installed binary, nothing to build)
repos:
  - repo: local
    hooks:
      - id: git-notion
        name: git-notion
        entry: git-notion hook auto
        language: system
        stages: [post-commit, post-merge, post-rewrite, post-checkout]
        always_run: true
        pass_filenames: false
      - id: git-notion-commit-msg
        name: git-notion (what this message does in Notion)
        entry: git-notion hook commit-msg
        language: system
        stages: [commit-msg]
        verbose: true
# then install the five hook types:
pre-commit install --hook-type post-commit --hook-type post-merge --hook-type post-rewrite --hook-type post-checkout --hook-type commit-msg"#;

/// What to add to `lefthook.yml` to run git-notion.
pub const LEFTHOOK_SNIPPET: &str = r#"# lefthook.yml: add git-notion to the post-* hooks (each queues what moved since the last one: commits,
# merges, rewrites, checkouts, and a reset or fetch at the next hook), then run `lefthook install`
post-commit:
  commands:
    git-notion:
      run: git-notion hook post-commit
post-merge:
  commands:
    git-notion:
      run: git-notion hook post-merge {0}
post-rewrite:
  commands:
    git-notion:
      run: git-notion hook post-rewrite {0}
      use_stdin: true
post-checkout:
  commands:
    git-notion:
      run: git-notion hook post-checkout {0}
commit-msg:
  commands:
    git-notion:
      run: git-notion hook commit-msg {1}
# Optional (git >= 2.28): each branch move as it happens, at the cost of a process in every reference
# transaction (a 200-commit rebase several times slower):
# reference-transaction:
#   commands:
#     git-notion:
#       run: git-notion hook reference-transaction {0}
#       use_stdin: true"#;

/// Who owns one hook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// No hook.
    Missing,
    /// The git-notion binary linked as the hook.
    Linked(PathBuf),
    /// git-notion's sh shim.
    Shim,
    /// git-notion's chaining shim; the hook that was there is kept as `NAME.pre-git-notion`.
    Chained,
    /// A hook manager's file; `runs_us` when the manager's configuration runs git-notion.
    Managed {
        /// Which manager.
        manager: Manager,
        /// Its configuration runs git-notion.
        runs_us: bool,
    },
    /// Someone else's hook; `runs_us` when it calls `git-notion hook` itself.
    Other {
        /// It calls `git-notion hook` itself.
        runs_us: bool,
    },
}

impl State {
    /// git-notion runs from this hook.
    pub fn runs_us(&self) -> bool {
        match self {
            State::Linked(_) | State::Shim | State::Chained => true,
            State::Managed { runs_us, .. } | State::Other { runs_us } => *runs_us,
            State::Missing => false,
        }
    }

    /// What runs the hook `name`, in a few words.
    pub fn describe(&self, name: &str) -> String {
        match self {
            State::Missing => "not installed".into(),
            State::Linked(p) => format!("git-notion (linked to {})", p.display()),
            State::Shim => "git-notion (sh shim)".into(),
            State::Chained => format!("git-notion, after the hook kept as {name}{KEPT_SUFFIX}"),
            State::Managed { manager, runs_us } => format!(
                "managed by {}{}",
                manager.name(),
                if *runs_us {
                    ", which runs git-notion"
                } else {
                    ", whose configuration does not run git-notion"
                }
            ),
            State::Other { runs_us: true } => "your own hook, which runs git-notion".into(),
            State::Other { runs_us: false } => "another hook (not git-notion)".into(),
        }
    }
}

/// Why hooks could not be installed or removed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A hook manager owns the hooks: its snippet is the way.
    #[error("{manager} manages this repository's hooks ({why}), so git-notion leaves them alone. Add git-notion to {manager}'s configuration instead:\n\n{snippet}\n", manager = .manager.name())]
    Managed {
        /// Which manager.
        manager: Manager,
        /// How it was recognised.
        why: String,
        /// What to add (husky's with its own directory).
        snippet: String,
    },
    /// The file an existing hook would be kept as is already there.
    #[error("{path} already exists (left from an earlier install?): move it away, then run the install again")]
    KeptExists {
        /// That file.
        path: PathBuf,
    },
    /// The system refused a file operation.
    #[error("cannot {what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// To which file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> InstallError + 'a {
    move |source| InstallError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// The hooks of one repository.
pub struct Hooks {
    /// Where git looks for hooks.
    pub dir: PathBuf,
    /// The working tree root (where managers keep their configuration).
    root: PathBuf,
    /// husky owns `core.hooksPath`: the directory of the hooks people edit (`.husky`, or a custom one such
    /// as `npx husky .config/husky` makes).
    husky: Option<PathBuf>,
}

impl Hooks {
    /// The hooks of `repo`: its hooks directory (`core.hooksPath` honoured) and who manages it.
    pub fn of(repo: &Repo) -> Hooks {
        let root = repo.root();
        let husky = repo
            .hooks_path_setting()
            .and_then(|p| husky_dir(&root.join(p)));
        Hooks {
            dir: repo.hooks_dir(),
            root,
            husky,
        }
    }

    /// Whether `manager`'s configuration runs git-notion in hook `name` (parsed: a comment naming
    /// git-notion runs nothing, and pre-commit runs a hook only at its stages).
    fn manager_runs_us(&self, manager: Manager, name: &str) -> bool {
        match manager {
            Manager::Lefthook => super::managers::lefthook_runs(&self.root, name),
            Manager::PreCommit => super::managers::pre_commit_runs(&self.root, name),
            Manager::Husky => HUSKY_HOOK_FILES.iter().any(|f| {
                std::fs::read_to_string(self.root.join(f)).is_ok_and(|t| t.contains("git-notion"))
            }),
        }
    }

    /// Who owns the hook `name`.
    pub fn state(&self, name: &str) -> State {
        if let Some(dir) = &self.husky {
            // A line of the hook's script that is not a comment calls git-notion.
            let runs_us = std::fs::read_to_string(dir.join(name)).is_ok_and(|t| {
                t.lines()
                    .any(|l| !l.trim_start().starts_with('#') && l.contains("git-notion"))
            });
            return State::Managed {
                manager: Manager::Husky,
                runs_us,
            };
        }
        let path = self.dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return State::Missing;
        };
        if meta.file_type().is_symlink() {
            return linked_state(&path);
        }
        let text = std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        if text.contains(CHAIN_MARKER) {
            State::Chained
        } else if text.trim_end() == plain_shim(name).trim_end()
            || (name == REFERENCE_TRANSACTION && text.contains(RT_MARKER))
        {
            State::Shim
        } else if text.contains("File generated by pre-commit") {
            State::Managed {
                manager: Manager::PreCommit,
                runs_us: self.manager_runs_us(Manager::PreCommit, name),
            }
        } else if text.contains("lefthook") {
            State::Managed {
                manager: Manager::Lefthook,
                runs_us: self.manager_runs_us(Manager::Lefthook, name),
            }
        } else {
            State::Other {
                runs_us: text.contains(SHIM_MARKER),
            }
        }
    }

    /// The states of the four hooks.
    pub fn states(&self) -> Vec<(&'static str, State)> {
        NAMES.iter().map(|n| (*n, self.state(n))).collect()
    }

    /// Whether git-notion sees every commit that reaches this repository's branches: through
    /// `reference-transaction` (each move as it happens), or through the four `post-*` hooks (each move at
    /// the next event, by the tips rule).
    pub fn coverage(&self) -> Coverage {
        let states = self.states();
        let runs = |n: &str| states.iter().any(|(name, s)| *name == n && s.runs_us());
        if runs(REFERENCE_TRANSACTION) {
            Coverage::Every
        } else if POST_HOOKS.iter().all(|n| runs(n)) {
            Coverage::PostHooks
        } else {
            Coverage::Missing(
                POST_HOOKS
                    .iter()
                    .copied()
                    .filter(|n| !runs(n))
                    .chain([REFERENCE_TRANSACTION])
                    .collect(),
            )
        }
    }

    /// What to add to `manager`'s configuration: husky's snippet names its own directory (`.husky`, or
    /// the custom one `core.hooksPath` points into).
    pub fn snippet(&self, manager: Manager) -> String {
        match (&self.husky, manager) {
            (Some(dir), Manager::Husky) => {
                let rel = dir.strip_prefix(&self.root).unwrap_or(dir);
                manager.snippet().replace(".husky", &rel.to_string_lossy())
            }
            _ => manager.snippet().to_string(),
        }
    }

    /// The manager that owns this repository's hooks, and how we know.
    fn manager(&self) -> Option<(Manager, String)> {
        if let Some(dir) = &self.husky {
            return Some((
                Manager::Husky,
                format!("core.hooksPath points to husky's {}", dir.display()),
            ));
        }
        let problems = super::managers::problems(&self.root);
        self.states().into_iter().find_map(|(name, s)| match s {
            State::Managed { manager, .. } => Some((
                manager,
                format!(
                    "{} is {}'s{}",
                    self.dir.join(name).display(),
                    manager.name(),
                    problems
                        .iter()
                        .map(|p| format!("; {p}"))
                        .collect::<String>()
                ),
            )),
            _ => None,
        })
    }

    /// Installs the hooks: `reference-transaction` when `every_move` (git 2.28 and later; our own `post-*`
    /// hooks from an earlier install are removed), else the four `post-*` hooks; `commit-msg` with either.
    /// `binary` (the hooks' own binary where installed) is linked where no hook exists, a chaining shim
    /// goes where another hook is; hooks already git-notion's are left as they are (linked again when they
    /// point at another binary). Where a hook manager owns the hooks: nothing to do if its configuration
    /// runs git-notion at every `post-*` stage, else refused (changing nothing) with its snippet.
    pub fn install(
        &self,
        binary: &Path,
        every_move: bool,
    ) -> Result<Vec<(&'static str, Action)>, InstallError> {
        if let Some((manager, why)) = self.manager() {
            return self.under_manager(manager, why);
        }
        // commit-msg goes with either set; the post-* hooks and reference-transaction exclude each other.
        let wanted =
            |name: &str| name == COMMIT_MSG || (name == REFERENCE_TRANSACTION) == every_move;
        let states: Vec<(&'static str, State)> = self.states();
        // Check everything before changing anything.
        for (name, state) in states.iter().filter(|(n, _)| wanted(n)) {
            let kept = self.dir.join(format!("{name}{KEPT_SUFFIX}"));
            if *state == (State::Other { runs_us: false })
                && std::fs::symlink_metadata(&kept).is_ok()
            {
                return Err(InstallError::KeptExists { path: kept });
            }
        }
        std::fs::create_dir_all(&self.dir).map_err(io("create", &self.dir))?;
        let mut done = vec![];
        for (name, state) in states {
            let path = self.dir.join(name);
            if !wanted(name) {
                // reference-transaction does their work: our own post-* hooks would only repeat it.
                if matches!(state, State::Linked(_) | State::Shim) {
                    std::fs::remove_file(&path).map_err(io("remove", &path))?;
                    done.push((name, Action::Superseded));
                }
                continue;
            }
            done.push((name, self.install_one(binary, name, state)?));
        }
        Ok(done)
    }

    /// Under a hook manager: nothing to do when its configuration runs git-notion at every post-* stage
    /// already, else refused with the snippet to add.
    fn under_manager(
        &self,
        manager: Manager,
        why: String,
    ) -> Result<Vec<(&'static str, Action)>, InstallError> {
        let states = self.states();
        let runs = |n: &str| {
            states
                .iter()
                .any(|(name, s)| *name == n && matches!(s, State::Managed { runs_us: true, .. }))
        };
        if !POST_HOOKS.iter().all(|n| runs(n)) {
            return Err(InstallError::Managed {
                manager,
                why,
                snippet: self.snippet(manager),
            });
        }
        Ok(states
            .iter()
            .filter(|(_, s)| matches!(s, State::Managed { runs_us: true, .. }))
            .map(|(name, _)| (*name, Action::ManagerRunsUs(manager)))
            .collect())
    }

    /// Installs one hook wanted in its current state.
    fn install_one(&self, binary: &Path, name: &str, state: State) -> Result<Action, InstallError> {
        let path = self.dir.join(name);
        Ok(match state {
            // Linked to another binary (`git-notion` before the hooks' own binary was installed
            // beside it, or one that moved): linked again.
            State::Linked(to) if to != binary => {
                std::fs::remove_file(&path).map_err(io("remove", &path))?;
                link_or_shim(binary, &path, name)?;
                Action::Relinked
            }
            State::Linked(_) | State::Shim | State::Chained => Action::AlreadyInstalled,
            State::Other { runs_us: true } => Action::RunsUsAlready,
            State::Missing if name == REFERENCE_TRANSACTION => {
                write_executable(&path, &rt_shim(binary))?;
                Action::Installed
            }
            State::Missing => {
                link_or_shim(binary, &path, name)?;
                Action::Installed
            }
            State::Other { runs_us: false } => {
                let kept = self.dir.join(format!("{name}{KEPT_SUFFIX}"));
                std::fs::rename(&path, &kept).map_err(io("move", &path))?;
                if let Err(e) = write_executable(&path, &chain_shim(name, binary)) {
                    // Put the hook back rather than leave the repository without it.
                    let _ = std::fs::rename(&kept, &path);
                    return Err(e);
                }
                Action::Chained
            }
            // Refused before anything was changed (`under_manager`).
            State::Managed { manager, .. } => Action::ManagerRunsUs(manager),
        })
    }

    /// Removes git-notion's hooks and puts back the hooks they chained. Other hooks are not touched.
    pub fn uninstall(&self) -> Result<Vec<(&'static str, Action)>, InstallError> {
        let mut done = vec![];
        for (name, state) in self.states() {
            let path = self.dir.join(name);
            let action = match state {
                State::Linked(_) | State::Shim => {
                    std::fs::remove_file(&path).map_err(io("remove", &path))?;
                    Action::Removed
                }
                State::Chained => {
                    let kept = self.dir.join(format!("{name}{KEPT_SUFFIX}"));
                    if std::fs::symlink_metadata(&kept).is_ok() {
                        std::fs::rename(&kept, &path).map_err(io("restore", &kept))?;
                        Action::Restored
                    } else {
                        std::fs::remove_file(&path).map_err(io("remove", &path))?;
                        Action::Removed
                    }
                }
                State::Missing => Action::NotInstalled,
                State::Managed { .. } | State::Other { .. } => Action::NotOurs,
            };
            done.push((name, action));
        }
        Ok(done)
    }
}

/// What install or uninstall did to one hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Installed where there was no hook.
    Installed,
    /// Installed after an existing hook, which is kept and runs first.
    Chained,
    /// Ours already.
    AlreadyInstalled,
    /// Ours, linked to another binary (or one that moved), linked to this one.
    Relinked,
    /// A hook manager owns the hook and its configuration runs git-notion already.
    ManagerRunsUs(Manager),
    /// A hook of the user's own that calls `git-notion hook` already.
    RunsUsAlready,
    /// Ours, removed.
    Removed,
    /// Ours removed, and the hook we had chained put back.
    Restored,
    /// Nothing of ours was there.
    NotInstalled,
    /// Someone else's hook, left alone.
    NotOurs,
    /// Our `post-*` hook, removed because `reference-transaction` does its work.
    Superseded,
}

/// Which commits the installed hooks report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// `reference-transaction`: every move of every branch.
    Every,
    /// The four `post-*` hooks: every move, at the next event (the tips rule).
    PostHooks,
    /// Hooks that do not run git-notion.
    Missing(Vec<&'static str>),
}

impl Action {
    /// What was done to the hook `name`, in a few words.
    pub fn describe(self, name: &str) -> String {
        match self {
            Action::Installed => "installed".into(),
            Action::Chained => format!(
                "installed after the existing hook (kept as {name}{KEPT_SUFFIX}; it runs first and its exit code is kept)"
            ),
            Action::AlreadyInstalled => "already installed".into(),
            Action::Relinked => "linked again, to the binary installed now".into(),
            Action::ManagerRunsUs(m) => format!("{}'s configuration runs git-notion already", m.name()),
            Action::RunsUsAlready => "left alone: your hook already runs `git-notion hook`".into(),
            Action::Removed => "removed".into(),
            Action::Restored => "removed; the hook that was there before is back".into(),
            Action::NotInstalled => "not installed".into(),
            Action::NotOurs => "not git-notion's, left alone".into(),
            Action::Superseded if name == REFERENCE_TRANSACTION => {
                "removed: the post-* hooks do its work (`hooks install --every-move` brings it back)".into()
            }
            Action::Superseded => "removed: reference-transaction does its work".into(),
        }
    }
}

/// How a hook that calls git-notion is recognised.
const SHIM_MARKER: &str = "git-notion hook ";
const CHAIN_MARKER: &str = "# git-notion: chained hook";
const RT_MARKER: &str = "# git-notion reference-transaction hook";

/// The `reference-transaction` filter (`hooks/reference-transaction`), calling the binary by absolute
/// path (GUI git clients often run hooks without the user's PATH), PATH as the fallback.
fn rt_shim(binary: &Path) -> String {
    plain_shim(REFERENCE_TRANSACTION).replacen(
        "bin=git-notion\n",
        &format!("bin={}\n", sh_quote(&binary.to_string_lossy())),
        1,
    )
}

/// A hook that is a symbolic link: linked to one of git-notion's binaries, or to something else.
fn linked_state(path: &Path) -> State {
    if let Ok(target) = std::fs::read_link(path) {
        let is_us = target
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(std::env::consts::EXE_SUFFIX))
            .is_some_and(|n| n == "git-notion" || n == super::HOOK_BINARY);
        if is_us {
            return State::Linked(target);
        }
    }
    State::Other { runs_us: false }
}

fn link_or_shim(binary: &Path, path: &Path, name: &str) -> Result<(), InstallError> {
    #[cfg(unix)]
    {
        if std::os::unix::fs::symlink(binary, path).is_ok() {
            return Ok(());
        }
    }
    write_executable(path, plain_shim(name))
}

/// The sh shim `hooks/NAME` (used where a link cannot be made).
fn plain_shim(name: &str) -> &'static str {
    match name {
        "post-commit" => include_str!("../../hooks/post-commit"),
        "post-merge" => include_str!("../../hooks/post-merge"),
        "post-checkout" => include_str!("../../hooks/post-checkout"),
        "reference-transaction" => include_str!("../../hooks/reference-transaction"),
        "commit-msg" => include_str!("../../hooks/commit-msg"),
        _ => include_str!("../../hooks/post-rewrite"),
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs the kept hook with the same arguments (and, for post-rewrite, the same stdin), then git-notion;
/// exits with the kept hook's code.
fn chain_shim(name: &str, binary: &Path) -> String {
    let (read, feed) = if name == "post-rewrite" || name == REFERENCE_TRANSACTION {
        (
            "input=$(cat; echo x); input=${input%x}\n",
            "printf '%s' \"$input\" | ",
        )
    } else {
        ("", "")
    };
    // commit-msg: a refusal from either hook refuses the commit (git-notion's only with check = "block").
    let (run, end) = if name == COMMIT_MSG {
        (
            "[ $status -eq 0 ] || exit $status\n",
            "\"$bin\" hook commit-msg \"$@\" || status=$?\n",
        )
    } else {
        ("", "")
    };
    let ours = if end.is_empty() {
        format!("{feed}\"$bin\" hook {name} \"$@\"\n")
    } else {
        end.to_string()
    };
    format!(
        "#!/bin/sh\n{CHAIN_MARKER}. The {name} hook that was here is kept as {name}{KEPT_SUFFIX} and runs\n\
         # first (its exit code is kept), then git-notion. `git notion hooks uninstall` puts it back.\n\
         {read}status=0\n\
         kept=\"$(dirname \"$0\")/{name}{KEPT_SUFFIX}\"\n\
         if [ -x \"$kept\" ]; then {feed}\"$kept\" \"$@\"; status=$?; fi\n\
         {run}\
         bin={bin}\n\
         [ -x \"$bin\" ] || bin=$(command -v git-notion) || exit $status\n\
         {ours}\
         exit $status\n",
        bin = sh_quote(&binary.to_string_lossy()),
    )
}

fn write_executable(path: &Path, text: &str) -> Result<(), InstallError> {
    std::fs::write(path, text).map_err(io("write", path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(io("make executable", path))?;
    }
    Ok(())
}

/// husky's directory if `hooks_path` (absolute) is husky's: v9 sets `core.hooksPath` to `<dir>/_`, which
/// holds its `h` runner; v4-8 to `<dir>` itself, with `_/husky.sh` inside. `<dir>` is `.husky` unless
/// given (`npx husky .config/husky`).
fn husky_dir(hooks_path: &Path) -> Option<PathBuf> {
    let p = hooks_path;
    if p.file_name().is_some_and(|n| n == "_")
        && (p.join("h").exists() || p.join("husky.sh").exists())
    {
        return p.parent().map(Path::to_path_buf);
    }
    if p.join("_").join("husky.sh").exists() || p.file_name().is_some_and(|n| n == ".husky") {
        return Some(p.to_path_buf());
    }
    if p.file_name().is_some_and(|n| n == "_") && p.parent().is_some_and(|d| d.ends_with(".husky"))
    {
        return p.parent().map(Path::to_path_buf);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hook_has_its_own_shim() {
        for name in NAMES {
            let shim = plain_shim(name);
            assert!(
                shim.contains(&format!("exec git-notion hook {name} "))
                    || shim.contains(&format!("exec \"$bin\" hook {name} ")),
                "{name}"
            );
        }
    }

    #[test]
    fn chain_shim_quotes_the_binary_path() {
        let s = chain_shim("post-rewrite", Path::new("/opt/it's here/git-notion"));
        assert!(s.contains(r"bin='/opt/it'\''s here/git-notion'"), "{s}");
        assert!(s.contains(CHAIN_MARKER));
        assert!(s.contains("printf '%s' \"$input\" | \"$kept\""));
    }
}
