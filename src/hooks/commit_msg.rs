//! The `commit-msg` hook: what a message will do, said before the commit is made. One line per ticket with
//! its page and the status it will get (`#042 "Exact Matching Guard" (未开始): → 进行中 now, → 完成 once on
//! main`), from the local index (`pipeline::key_index`) and the lifecycle rules; a warning for a key the
//! index does not have (with the closest ones it has), a message naming no ticket, a `#status` that is no
//! option, and a note for a host's number that is not a ticket. No network, ever.
//!
//! `[commit] check = "block"` refuses only what is certain: a key missing from a *fresh* index (read whole
//! within a day), a `#status` no option matches. A missing or stale index, Notion unreachable, a broken
//! configuration: the commit is made. Merges, `fixup!`/`squash!`/`amend!` commits, reverts and
//! `[skip notion]` are left alone.

use std::io::Read;
use std::path::Path;

use crate::config::{Check, Config};
use crate::git::{Commit, Repo};
use crate::pipeline::key_index::KeyIndex;
use crate::rules::desired::{Proposal, Rules};
use crate::rules::tickets::TicketKey;

/// The most of a message file read (a message is never this long).
const MAX_MESSAGE: u64 = 16 << 20;

/// What the hook says, and whether it refuses the commit.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Said {
    /// Lines for stderr (without the `git-notion: ` prefix).
    pub lines: Vec<String>,
    /// The commit is refused (`block`, and a certain problem).
    pub refuse: bool,
}

/// The message as git will record it: git's comment lines (`# Please enter…`, a lone `#`, and everything
/// below the scissors line) left out; a line starting with a key (`#042 done`) kept.
pub fn message_text(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        if line.starts_with("# ------------------------ >8 ------------------------") {
            break;
        }
        if line == "#" || line.starts_with("# ") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// What keeps the commit-msg hook from reading the message (said as a warning; the commit is made).
#[derive(Debug, thiserror::Error)]
enum CommitMsgError {
    #[error("commit-msg: git gave no message file")]
    NoFile,
    #[error("commit-msg: cannot read the current directory: {0}")]
    WorkingDirectory(std::io::Error),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("commit-msg: cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
}

/// Runs the hook on the message file `args[0]`: the lines to print and the exit code (1: refused).
pub fn run(
    args: &[String],
    env: &crate::config::Env,
    user_config: Option<&Path>,
) -> (Vec<String>, u8) {
    let said = (|| -> Result<Said, CommitMsgError> {
        let Some(file) = args.first() else {
            return Err(CommitMsgError::NoFile);
        };
        let cwd = std::env::current_dir().map_err(CommitMsgError::WorkingDirectory)?;
        let repo = Repo::discover(&cwd)?;
        if !super::configured(&repo, env) {
            return Ok(Said::default());
        }
        // A configuration that does not load is said once, by the post-commit hook after it.
        let Ok(config) = Config::load(&repo.root(), user_config, env) else {
            return Ok(Said::default());
        };
        let path = repo.root().join(file);
        let read = || -> Result<String, CommitMsgError> {
            let mut raw = vec![];
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_MESSAGE).read_to_end(&mut raw))
                .map_err(|source| CommitMsgError::Read {
                    file: file.clone(),
                    source,
                })?;
            Ok(message_text(&String::from_utf8_lossy(&raw)))
        };
        let merging = repo.git_dir().join("MERGE_HEAD").exists();
        let Ok(rules) = Rules::new(&config, repo.origin_url().as_deref()) else {
            return Ok(Said::default());
        };
        let mut said = Said::default();
        // The ticket the branch's name carries, added to the message (never twice).
        if !merging && !repo.rebase_in_progress() {
            if let Some(branch) = repo.branch() {
                let message = read()?;
                if let Some(line) = add_branch_key(&path, &message, &branch, &rules) {
                    said.lines.push(line);
                }
            }
        }
        if config.commit.check == Check::Off {
            return Ok(said);
        }
        let message = read()?;
        let dir = super::outbox::Outbox::new(repo.common_dir())
            .dir()
            .to_path_buf();
        let index = KeyIndex::read_all(&dir, &config.positions());
        let released = rules.is_release(repo.branch().as_deref());
        let checked = check(
            &message,
            &config,
            &rules,
            index.as_ref(),
            released,
            merging,
            jiff::Timestamp::now().as_second(),
        );
        said.lines.extend(checked.lines);
        said.refuse = checked.refuse;
        Ok(said)
    })();
    match said {
        Ok(s) => {
            let code = u8::from(s.refuse);
            (s.lines, code)
        }
        Err(e) => (vec![format!("warning: {e}")], 0),
    }
}

/// Adds the ticket `branch`'s name carries to the message file, as `[branches] mode` says: a `Refs: KEY`
/// trailer (`git interpret-trailers`, so an existing trailer block is extended) or `KEY ` before the
/// subject. Nothing when the mode is `off`, the branch carries no ticket, the message is empty (git then
/// aborts the commit) or already names the ticket (an amend, a message that says it). Returns what it did.
fn add_branch_key(path: &Path, message: &str, branch: &str, rules: &Rules) -> Option<String> {
    use crate::config::BranchMode;
    let mode = rules.branches().mode;
    if mode == BranchMode::Off || message.trim().is_empty() {
        return None;
    }
    let key = rules.branch_key(branch)?;
    let commit = Commit {
        id: String::new(),
        message: message.into(),
        time: 0,
        offset: 0,
        parents: 1,
        author_email: String::new(),
    };
    if rules.keys(&commit).contains(&key) {
        return None;
    }
    match mode {
        BranchMode::Trailer => {
            let out = std::process::Command::new("git")
                .args([
                    "interpret-trailers",
                    "--in-place",
                    "--if-exists",
                    "addIfDifferent",
                ])
                .arg("--trailer")
                .arg(format!("Refs: {key}"))
                .arg(path)
                .output()
                .ok()?;
            out.status.success().then(|| {
                format!("{key}: added as `Refs: {key}` (the branch {branch:?} carries it)")
            })
        }
        BranchMode::Subject => {
            let raw = std::fs::read_to_string(path).ok()?;
            std::fs::write(path, format!("{key} {raw}")).ok()?;
            Some(format!(
                "{key}: put before the subject (the branch {branch:?} carries it)"
            ))
        }
        BranchMode::Off => None,
    }
}

/// What a message will do (see the module documentation). `released`: the current branch is a release
/// branch; `merging`: git is making a merge commit.
pub fn check(
    message: &str,
    config: &Config,
    rules: &Rules,
    index: Option<&KeyIndex>,
    released: bool,
    merging: bool,
    now: i64,
) -> Said {
    let mut said = Said::default();
    if merging || exempt(message) {
        return said;
    }
    let commit = Commit {
        id: String::new(),
        message: message.into(),
        time: now,
        offset: 0,
        parents: 1,
        author_email: String::new(),
    };
    let e = rules.explain(&commit, released);
    if e.skip || e.revert {
        return said;
    }
    let fresh = index.is_some_and(|ix| ix.fresh(now));
    let mut certain = vec![];
    if e.named.is_empty() {
        said.lines.push(
            "this message names no ticket, so Notion is not updated (`git notion explain -` shows what \
             git-notion reads)"
                .into(),
        );
    }
    for n in &e.named {
        ticket_lines(n, config, index, fresh, now, &mut said.lines, &mut certain);
    }
    let skipped = |s: &crate::rules::tickets::Skipped| {
        format!(
            "{} is not a ticket here ({}; [tickets] ignore)",
            s.text, s.rule
        )
    };
    said.lines.extend(e.skipped.iter().map(skipped));
    if config.commit.check == Check::Block && !certain.is_empty() {
        said.refuse = true;
        said.lines.push(format!(
            "commit refused ([commit] check = \"block\"): {}. Fix the message, or commit with --no-verify",
            certain.join("; ")
        ));
    }
    said
}

/// A message the check leaves alone: empty, or one git folds into another commit (`fixup!`, `squash!`,
/// `amend!`).
fn exempt(message: &str) -> bool {
    let subject = message.lines().next().unwrap_or("");
    message.trim().is_empty()
        || ["fixup! ", "squash! ", "amend! "]
            .iter()
            .any(|p| subject.starts_with(p))
}

/// The lines of one ticket: its page and status from the index and what the message does to it, or why
/// the index does not know it (with its neighbours); an unknown `#status`. What is certain (a fresh index)
/// goes to `certain`.
fn ticket_lines(
    n: &crate::rules::explain::Named,
    config: &Config,
    index: Option<&KeyIndex>,
    fresh: bool,
    now: i64,
    lines: &mut Vec<String>,
    certain: &mut Vec<String>,
) {
    let key = n.key.to_string();
    let what = effect(n, config);
    match (index, &n.key) {
        (_, TicketKey::Page(_)) | (None, _) => lines.push(format!("{key}: {what}")),
        (Some(ix), k) => match ix.get(k) {
            Some(known) if known.pages > 1 => lines.push(format!(
                "{key}: {} pages carry it, so none is written: give one page the key",
                known.pages
            )),
            Some(known) => {
                let status = if known.status.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", known.status)
                };
                lines.push(format!("{key} {:?}{status}: {what}", cut(&known.title, 60)));
            }
            None => {
                let near = ix.closest(k, 3);
                let hint = if near.is_empty() {
                    String::new()
                } else {
                    format!("; did you mean {}?", near.join(", "))
                };
                if fresh {
                    let ago = crate::pipeline::key_index::ago(now, ix.refreshed.unwrap_or(now));
                    lines.push(format!(
                        "{key}: no page carries it (index read whole {ago}){hint}"
                    ));
                    certain.push(format!("{key} has no page"));
                } else {
                    lines.push(format!(
                        "{key}: not in the local index ({}){hint}; `git notion index --refresh` reads \
                         the database again",
                        ix.describe(now)
                    ));
                }
            }
        },
    }
    if let Some(Proposal::Exact(name)) = &n.status_now {
        let options = index.map(|ix| &ix.options).filter(|o| !o.is_empty());
        if let Some(options) = options.filter(|o| !o.iter().any(|x| x.eq_ignore_ascii_case(name))) {
            lines.push(format!(
                "{key}: #status {name:?} is no option of the status (options: {})",
                options.join(", ")
            ));
            if fresh {
                certain.push(format!("#status {name:?} is no option"));
            }
        }
    }
}

/// What a ticket's line says it will get: `links; → In progress now, → Done once on main`.
fn effect(n: &crate::rules::explain::Named, config: &Config) -> String {
    let mut parts = vec![if n.closes { "closes" } else { "links" }.to_string()];
    match &n.status_now {
        Some(Proposal::Exact(s)) => parts.push(format!("→ {s} (exactly)")),
        Some(Proposal::Auto(s)) => parts.push(format!("→ {s} now")),
        None => {}
    }
    if let Some(Proposal::Auto(s) | Proposal::Exact(s)) = &n.status_released {
        parts.push(format!(
            "→ {s} once on {}",
            config.status.release_branches.join(", ")
        ));
    }
    if !n.comments.is_empty() {
        parts.push(format!("{} comment(s)", n.comments.len()));
    }
    parts.join(", ")
}

/// At most `n` characters of `s` (on a character boundary).
fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::key_index::Known;

    #[test]
    fn comments_and_the_scissors_are_left_out_but_keys_at_line_start_kept() {
        let raw = "feat: login\n#042 done\n# Please enter the commit message\n#\n# ------------------------ >8 ------------------------\ndiff #9\n";
        assert_eq!(message_text(raw), "feat: login\n#042 done\n");
    }

    fn setup(check: Check) -> (Config, Rules, KeyIndex) {
        let mut c = Config::default();
        c.status.on_commit = Some("Doing".into());
        c.status.on_merge = Some("Done".into());
        c.commit.check = check;
        let rules = Rules::new(&c, None).unwrap();
        let known = |t: &str| Known {
            page: "p".into(),
            pages: 1,
            status: "To do".into(),
            title: t.into(),
        };
        let ix = KeyIndex {
            source: "ds".into(),
            refreshed: Some(1_000),
            updated: 1_000,
            options: vec!["To do".into(), "Doing".into(), "Done".into()],
            entries: [
                ("#17".to_string(), known("Login page")),
                ("#42".to_string(), known("Guard")),
            ]
            .into(),
        };
        (c, rules, ix)
    }

    #[test]
    fn each_ticket_gets_its_line_and_a_typo_its_neighbours() {
        let (c, r, ix) = setup(Check::Warn);
        let s = check(
            "feat: closes #17, see #171",
            &c,
            &r,
            Some(&ix),
            false,
            false,
            2_000,
        );
        assert!(!s.refuse);
        assert_eq!(
            s.lines[0],
            "#17 \"Login page\" (To do): closes, → Doing now, → Done once on main, master"
        );
        assert!(s.lines[1].starts_with("#171: no page carries it"), "{s:?}");
        assert!(s.lines[1].ends_with("did you mean #17?"), "{s:?}");
        // Block refuses what a fresh index makes certain, and a #status that is no option.
        let (c, r, ix) = setup(Check::Block);
        let s = check("feat: #171", &c, &r, Some(&ix), false, false, 2_000);
        assert!(s.refuse, "{s:?}");
        let s = check(
            "feat: #17 #status Doen",
            &c,
            &r,
            Some(&ix),
            false,
            false,
            2_000,
        );
        assert!(s.refuse, "{s:?}");
        // A stale index, no index, a merge, a fixup: never refused.
        let stale = 1_000 + crate::pipeline::key_index::FRESH_SECS + 1;
        assert!(!check("feat: #171", &c, &r, Some(&ix), false, false, stale).refuse);
        assert!(!check("feat: #171", &c, &r, None, false, false, 2_000).refuse);
        assert!(check("feat: #171", &c, &r, Some(&ix), false, true, 2_000)
            .lines
            .is_empty());
        assert!(
            check("fixup! feat: #171", &c, &r, Some(&ix), false, false, 2_000)
                .lines
                .is_empty()
        );
        // No ticket: said, never refused.
        let s = check("chore: tidy", &c, &r, Some(&ix), false, false, 2_000);
        assert!(!s.refuse);
        assert!(s.lines[0].contains("names no ticket"));
    }
}
