//! Branch tips as the last hook or pass saw them: the local and remote-tracking branches (and HEAD when
//! it is detached outside a rebase), recorded in the outbox as `tips`. Every hook event (`post-commit`,
//! `post-merge`, `post-rewrite`, `post-checkout`) and every `flush`, `sync`, `status` and flusher pass
//! compares the tips now with the record and queues what moved as a sighting (`<old> <new> <ref>` lines,
//! read by the flusher with the same `old..new` rule as a `reference-transaction` sighting), then records
//! the tips now. So a move no hook reports (a `reset`, an `update-ref`, a fetch of a teammate's commits, a
//! commit made with hooks off) is queued at the next event, and the cheap `post-*` hooks see every move
//! that `reference-transaction` sees, without running inside every reference transaction.
//!
//! `GIT_NOTION_SKIP=1` records the tips and queues nothing: what a skipped hook would have delivered is
//! never delivered later. The hook reads the tips from the files (`packed-refs`, then the loose refs) without
//! opening the repository; the other readers ask gix (any reference backend).

use std::collections::BTreeMap;
use std::path::Path;

/// Full reference name (`refs/heads/main`, `refs/remotes/origin/main`, `HEAD`) → commit id.
pub type Tips = BTreeMap<String, String>;

/// The outbox file holding the tips as of the last pass.
pub const FILE: &str = "tips";

/// An id standing for "no commit" (a reference that was not there).
pub const NONE: &str = "0000000000000000000000000000000000000000";

/// Whether a reference's tip is recorded: local and remote-tracking branches (not `origin/HEAD`) and HEAD.
pub fn tracked(reference: &str) -> bool {
    reference == "HEAD"
        || reference.starts_with("refs/heads/")
        || (reference.starts_with("refs/remotes/") && !reference.ends_with("/HEAD"))
}

fn is_id(s: &str) -> bool {
    crate::git::files::is_commit_id(s)
}

/// The tips a `tips` file records (lines `<id> <ref>`; anything else is skipped).
pub fn parse(text: &str) -> Tips {
    text.lines()
        .filter_map(|l| {
            let (id, reference) = l.split_once(' ')?;
            (is_id(id) && tracked(reference)).then(|| (reference.to_string(), id.to_string()))
        })
        .collect()
}

/// The `tips` file's text.
pub fn render(tips: &Tips) -> String {
    tips.iter().map(|(r, id)| format!("{id} {r}\n")).collect()
}

/// What moved from `seen` to `now`, as sighting lines `<old> <new> <ref>` (`old` is [`NONE`] for a
/// reference that was not there; deleted references bring nothing). A new reference at a commit some
/// recorded reference was at (`checkout -b`, a branch made where another is) brings nothing.
///
/// When a reference is new, the recorded tips follow as `^<id>` lines after a lone `^`: its commits are
/// those none of them reached. The flusher reads the sighting later, when other branches may have moved
/// on from those commits (a branch made from the new one and committed to), so what "no other reference
/// reached" means is fixed here, when the move was seen.
pub fn moved(seen: &Tips, now: &Tips) -> String {
    let mut lines: String = now
        .iter()
        .filter(|(r, id)| seen.get(*r) != Some(*id))
        .filter(|(r, id)| seen.contains_key(*r) || !seen.values().any(|s| s == *id))
        .map(|(r, id)| {
            let old = seen.get(r).map_or(NONE, String::as_str);
            format!("{old} {id} {r}\n")
        })
        .collect();
    if lines.lines().any(|l| l.starts_with(NONE)) {
        lines.push_str("^\n");
        let hidden: std::collections::BTreeSet<&String> = seen.values().collect();
        for id in hidden {
            lines.push_str(&format!("^{id}\n"));
        }
    }
    lines
}

/// The tips recorded with a sighting's new references (`^` lines, see [`moved`]), if it has them.
pub fn hidden_in(text: &str) -> Option<Vec<String>> {
    let mut lines = text.lines().filter_map(|l| l.strip_prefix('^')).peekable();
    lines.peek()?;
    Some(lines.filter(|id| is_id(id)).map(String::from).collect())
}

/// The tips from the repository's files, without opening it: `packed-refs`, then the loose references
/// under `refs/heads` and `refs/remotes` (which win), and HEAD when it is detached and no rebase is in
/// progress (a rebase's commits count once its branch moves). None where the files are not the plain
/// case (the reftable backend, a reference that cannot be read): the caller asks gix instead.
pub fn read_files(git_dir: &Path, common_dir: &Path) -> Option<Tips> {
    if common_dir.join("reftable").exists() {
        return None;
    }
    let mut tips = Tips::new();
    match std::fs::read_to_string(common_dir.join("packed-refs")) {
        Ok(text) => {
            for line in text.lines() {
                if line.starts_with('#') || line.starts_with('^') {
                    continue;
                }
                let (id, reference) = line.split_once(' ')?;
                if tracked(reference) && reference != "HEAD" && is_id(id) {
                    tips.insert(reference.to_string(), id.to_string());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) => return None,
    }
    for top in ["refs/heads", "refs/remotes"] {
        loose(common_dir, &common_dir.join(top), &mut tips)?;
    }
    let head = crate::git::files::head(git_dir)?;
    let rebase = crate::git::files::rebase_in_progress(git_dir);
    // Linked worktrees share the record: only the main worktree's detached HEAD is kept.
    if let (crate::git::files::Head::Detached(id), false, true) =
        (head, rebase, git_dir == common_dir)
    {
        if is_id(&id) {
            tips.insert("HEAD".into(), id);
        }
    }
    Some(tips)
}

/// The loose references under `dir` (recursively), by their full names.
fn loose(common_dir: &Path, dir: &Path, tips: &mut Tips) -> Option<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(()),
        Err(_) => return None,
    };
    for entry in entries {
        let entry = entry.ok()?;
        let path = entry.path();
        let kind = entry.file_type().ok()?;
        if kind.is_dir() {
            loose(common_dir, &path, tips)?;
            continue;
        }
        let name = path.strip_prefix(common_dir).ok()?.to_str()?.to_string();
        // A lock file of a reference being written, or a symbolic reference (`origin/HEAD`).
        if name.ends_with(".lock") || !tracked(&name) {
            continue;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let text = text.trim();
        if text.starts_with("ref:") {
            continue;
        }
        if !is_id(text) {
            return None;
        }
        tips.insert(name, text.to_string());
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const C: &str = "3333333333333333333333333333333333333333";

    #[test]
    fn moved_lists_new_and_changed_references_only() {
        let seen: Tips = [("refs/heads/main".to_string(), A.to_string())].into();
        let mut now = seen.clone();
        assert_eq!(moved(&seen, &now), "");
        now.insert("refs/heads/main".into(), B.into());
        now.insert("refs/remotes/origin/main".into(), C.into());
        // A new reference carries the tips recorded before it (its commits are those none reached).
        let lines = moved(&seen, &now);
        assert_eq!(
            lines,
            format!("{A} {B} refs/heads/main\n{NONE} {C} refs/remotes/origin/main\n^\n^{A}\n")
        );
        assert_eq!(hidden_in(&lines), Some(vec![A.to_string()]));
        assert_eq!(hidden_in(&format!("{A} {B} refs/heads/main\n")), None);
        // The first branch of an empty repository: recorded, nothing hidden.
        let first = moved(
            &Tips::new(),
            &[("refs/heads/main".to_string(), A.to_string())].into(),
        );
        assert_eq!(hidden_in(&first), Some(vec![]));
        assert_eq!(parse(&render(&now)), now);
        // A branch made where another is brings nothing.
        let mut branched = seen.clone();
        branched.insert("refs/heads/topic".into(), A.into());
        assert_eq!(moved(&seen, &branched), "");
        assert!(parse("garbage\n1234 refs/heads/x\n").is_empty());
    }

    #[test]
    fn files_give_packed_then_loose_and_a_detached_head() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path();
        std::fs::create_dir_all(git.join("refs/heads/feature")).unwrap();
        std::fs::create_dir_all(git.join("refs/remotes/origin")).unwrap();
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs with: peeled fully-peeled sorted\n{A} refs/heads/main\n{A} refs/tags/v1\n^{B}\n{A} refs/remotes/origin/main\n"),
        )
        .unwrap();
        std::fs::write(git.join("refs/heads/main"), format!("{B}\n")).unwrap();
        std::fs::write(git.join("refs/heads/feature/x"), format!("{A}\n")).unwrap();
        std::fs::write(
            git.join("refs/remotes/origin/HEAD"),
            "ref: refs/remotes/origin/main\n",
        )
        .unwrap();
        std::fs::write(git.join("HEAD"), format!("{A}\n")).unwrap();
        let tips = read_files(git, git).unwrap();
        assert_eq!(
            render(&tips),
            format!("{A} HEAD\n{B} refs/heads/feature/x\n{B} refs/heads/main\n{A} refs/remotes/origin/main\n")
                .replace(&format!("{B} refs/heads/feature/x"), &format!("{A} refs/heads/feature/x"))
        );
        std::fs::create_dir_all(git.join("rebase-merge")).unwrap();
        assert!(!read_files(git, git).unwrap().contains_key("HEAD"));
        std::fs::create_dir_all(git.join("reftable")).unwrap();
        assert!(read_files(git, git).is_none());
    }
}
