//! git-notion's own files under the git directory (the outbox, the journals): directories only their
//! owner can enter, files only their owner can read. They may hold commit messages and page titles.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Creates a directory only its owner can enter (0700 on Unix), with its parents.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Writes a new file only its owner can read (0600 on Unix).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = OpenOptions::new();
    o.create(true).truncate(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)?.write_all(bytes)
}
