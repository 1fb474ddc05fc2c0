//! The hooks as processes: the hooks git-notion handles, the binaries they run, and the detached
//! flusher they start.

use std::path::Path;

/// The hooks git-notion handles. The four `post-*` hooks are the default: each queues what moved since
/// the branch tips were last recorded ([`tips`]), so a move no hook reports (`reset`, `update-ref`, a
/// fetch) is queued at the next event. `reference-transaction` (git 2.28 and later, `hooks install
/// --every-move`) sees each move as it happens, at the cost of a process for every state of every
/// reference transaction.
pub const NAMES: [&str; 6] = [
    "post-commit",
    "post-merge",
    "post-rewrite",
    "post-checkout",
    REFERENCE_TRANSACTION,
    COMMIT_MSG,
];

/// The hook that reads a message before the commit is made ([`commit_msg`]); installed with either set.
pub const COMMIT_MSG: &str = "commit-msg";

/// The `post-*` hooks: the default install (each queues what moved since the tips were recorded).
pub const POST_HOOKS: [&str; 4] = ["post-commit", "post-merge", "post-rewrite", "post-checkout"];

/// The hook that sees every reference update.
pub const REFERENCE_TRANSACTION: &str = "reference-transaction";

/// The name of the hooks' own binary: the fast path alone, statically linked where `install.sh` can (it
/// starts in a third of the time `git-notion` takes); everything else is handed to `git-notion`.
pub const HOOK_BINARY: &str = "git-notion-hook";

/// The binary that runs commands (`git-notion`): this one, or, from the hooks' own binary, the
/// `git-notion` beside it (on PATH when there is none).
pub fn main_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|_| "git-notion".into());
    if exe.file_stem().is_some_and(|n| n == HOOK_BINARY) {
        let beside = exe.with_file_name(format!("git-notion{}", std::env::consts::EXE_SUFFIX));
        return if beside.exists() {
            beside
        } else {
            "git-notion".into()
        };
    }
    exe
}

/// At most this many commits are read from one reference update (a first fetch of a large repository);
/// `git notion-replay` covers the rest.
pub(super) const REF_UPDATE_CAP: usize = 10_000;

/// Starts `git-notion flush --background` detached: its own process group, no terminal, no pipes held
/// (hook managers wait for their pipes to close).
pub(super) fn spawn_flusher(root: &Path) {
    let mut c = std::process::Command::new(main_binary());
    c.args(["flush", "--background"])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let _ = c.spawn();
}
