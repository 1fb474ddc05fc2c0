//! Hosting conventions: texts a code host writes into commit messages that look like ticket keys and are
//! not — GitHub's squash-merge suffix `Fix login (#123)`, its merge subject `Merge pull request #123 from
//! acme/topic`, GitLab's `See merge request group/project!42`, Bitbucket's `Merged in topic (pull request
//! #12)`, and GitHub's `GH-123` issue references. `[tickets] ignore` names the ones to skip; by default
//! they follow the `origin` remote's host, so hooks and the replay read a message the same way.

use std::ops::Range;

use crate::git::links::Forge;

pub use crate::config::Convention;

/// What each convention skips, for `init`, `explain` and the docs.
pub fn example(c: Convention) -> &'static str {
    match c {
        Convention::PullRequestSuffix => "`Fix login (#123)`: a squash merge's pull request",
        Convention::GithubMerge => "`Merge pull request #123 from owner/branch`",
        Convention::GitlabMerge => "`See merge request group/project!42`",
        Convention::BitbucketMerge => "`Merged in branch (pull request #12)`",
        Convention::GhRefs => "`GH-123`: a GitHub issue",
    }
}

/// The conventions skipped when `[tickets] ignore` is not set: the merge subjects of every host (their
/// shapes are never a ticket reference), plus what the `origin` host writes — GitHub: the squash
/// suffix and `GH-123`; Gitea, Forgejo, Codeberg: the squash suffix.
pub fn defaults(forge: Option<Forge>) -> Vec<Convention> {
    let mut v = vec![
        Convention::GithubMerge,
        Convention::GitlabMerge,
        Convention::BitbucketMerge,
    ];
    match forge {
        Some(Forge::GitHub) => v.extend([Convention::PullRequestSuffix, Convention::GhRefs]),
        Some(Forge::Gitea) => v.push(Convention::PullRequestSuffix),
        _ => {}
    }
    v
}

/// Where a convention stands in a commit message (byte spans; keys inside them are skipped).
pub fn spans(c: Convention, text: &str) -> Vec<Range<usize>> {
    let subject = &text[..text.find('\n').unwrap_or(text.len())];
    match c {
        Convention::PullRequestSuffix => pull_request_suffix(subject).into_iter().collect(),
        Convention::GithubMerge => {
            let Some(rest) = subject.strip_prefix("Merge pull request #") else {
                return vec![];
            };
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let after = &rest[digits..];
            if digits == 0 || !after.starts_with(" from ") {
                return vec![];
            }
            let start = "Merge pull request ".len();
            std::iter::once(start..start + 1 + digits).collect()
        }
        Convention::GitlabMerge => {
            let mut out = vec![];
            let mut at = 0;
            for line in text.split_inclusive('\n') {
                if line.trim_start().starts_with("See merge request ") {
                    out.push(at..at + line.trim_end().len());
                }
                at += line.len();
            }
            out
        }
        Convention::BitbucketMerge => {
            if !subject.starts_with("Merged in ") {
                return vec![];
            }
            match subject.rfind("(pull request #") {
                Some(i) if subject.trim_end().ends_with(')') => {
                    std::iter::once(i..subject.trim_end().len()).collect()
                }
                _ => vec![],
            }
        }
        Convention::GhRefs => gh_refs(text),
    }
}

/// The `#123` of a subject ending in ` (#123)`, not written with a leading zero.
fn pull_request_suffix(subject: &str) -> Option<Range<usize>> {
    let trimmed = subject.trim_end();
    let body = trimmed.strip_suffix(')')?;
    let open = body.rfind("(#")?;
    let digits = &body[open + 2..];
    let plain_number = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    // Something comes before it (a subject that is only `(#123)` says nothing else).
    let spaced = body[..open].ends_with(' ') && !body[..open].trim().is_empty();
    (plain_number && spaced).then(|| open + 1..body.len())
}

/// An ASCII word character: what a token may not touch (as ticket keys are matched).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `GH-123` (any case), standing as a whole token.
fn gh_refs(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i + 3 < b.len() {
        if b[i..i + 3].eq_ignore_ascii_case(b"gh-") && (i == 0 || !word_byte(b[i - 1])) {
            let digits = b[i + 3..].iter().take_while(|c| c.is_ascii_digit()).count();
            let end = i + 3 + digits;
            if digits > 0 && !b.get(end).copied().is_some_and(word_byte) {
                out.push(i..end);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The conventions and patterns in force for one repository: keys inside their spans are not keys.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    /// The built-in conventions.
    pub conventions: Vec<Convention>,
    /// `[tickets] ignore_patterns`, compiled.
    pub patterns: Vec<regex::Regex>,
}

impl Ignore {
    /// Every span of a message to skip, with the rule that put it there (a convention's name, or the
    /// pattern as written).
    pub fn spans(&self, text: &str) -> Vec<(Range<usize>, String)> {
        let mut out: Vec<(Range<usize>, String)> = vec![];
        for c in &self.conventions {
            out.extend(
                spans(*c, text)
                    .into_iter()
                    .map(|r| (r, c.name().to_string())),
            );
        }
        for p in &self.patterns {
            out.extend(
                p.find_iter(text)
                    .map(|m| (m.range(), format!("ignore_patterns {:?}", p.as_str()))),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(c: Convention, text: &str) -> Vec<&str> {
        spans(c, text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn the_squash_suffix_is_the_last_parenthesis_of_the_subject_only() {
        let c = Convention::PullRequestSuffix;
        assert_eq!(cut(c, "Fix login for #004 (#123)"), ["#123"]);
        assert_eq!(cut(c, "Fix login (#123)  \n\n* Closes #9 (#10)"), ["#123"]);
        // A padded number is a ticket key, as the seed team writes them.
        assert!(cut(c, "chore: 工单 #002 完成报告 (#025)").is_empty());
        assert!(cut(c, "(#123)").is_empty());
        assert!(cut(c, "Fix (#123) later").is_empty());
        assert!(cut(c, "Fix (#12a)").is_empty());
    }

    #[test]
    fn merge_subjects_of_each_host() {
        assert_eq!(
            cut(
                Convention::GithubMerge,
                "Merge pull request #123 from acme/TASK-17-login\n\nLogin page"
            ),
            ["#123"]
        );
        assert!(cut(Convention::GithubMerge, "Merge pull request #123").is_empty());
        assert_eq!(
            cut(
                Convention::GitlabMerge,
                "Merge branch 'login' into 'main'\n\nLogin #12\n\nSee merge request acme/app!42\n"
            ),
            ["See merge request acme/app!42"]
        );
        assert_eq!(
            cut(
                Convention::BitbucketMerge,
                "Merged in feature/login (pull request #12)\n\nApproved-by: Ann"
            ),
            ["(pull request #12)"]
        );
        assert_eq!(
            cut(Convention::GhRefs, "see GH-12, gh-7 and xgh-3 or GH-4a"),
            ["GH-12", "gh-7"]
        );
    }

    #[test]
    fn defaults_follow_the_host() {
        let github = defaults(Some(Forge::GitHub));
        assert!(github.contains(&Convention::PullRequestSuffix));
        assert!(github.contains(&Convention::GhRefs));
        let none = defaults(None);
        assert!(!none.contains(&Convention::PullRequestSuffix));
        assert!(none.contains(&Convention::GithubMerge));
        for c in Convention::ALL {
            let name = format!("\"{c}\"");
            let back: Convention = serde_json::from_str(&name).unwrap();
            assert_eq!(back, c);
        }
    }
}
