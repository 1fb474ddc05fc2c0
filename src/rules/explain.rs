//! What git-notion reads in one commit message, and why (`git notion explain`): each key with what the
//! message asks of it (link or close, `#comment`, `#status`) and the status that follows on this branch and
//! once on a release branch; each text that looked like a key and was skipped, with the rule that
//! skipped it; the message-wide markers (`[skip notion]`, WIP, a revert).

use crate::git::Commit;
use crate::rules::desired::{Proposal, Rules};
use crate::rules::tickets::{Overflow, Skipped, TicketKey};

/// One ticket a message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The ticket.
    pub key: TicketKey,
    /// A closing keyword stands before it.
    pub closes: bool,
    /// The status this commit asks for where it is now (None: none configured, or a revert that keeps it).
    pub status_now: Option<Proposal>,
    /// The status it asks for once on a release branch, when that differs.
    pub status_released: Option<Proposal>,
    /// `#comment` texts (and a revert's subject).
    pub comments: Vec<String>,
    /// The subject is about this ticket: it may give the title.
    pub titles: bool,
}

/// What one message says to git-notion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// `[skip notion]`: nothing at all.
    pub skip: bool,
    /// WIP: mentions only.
    pub wip: bool,
    /// A revert: closes nothing.
    pub revert: bool,
    /// The commit is on a release branch (or `close_on = "commit"`).
    pub released: bool,
    /// The tickets, in order of first appearance.
    pub named: Vec<Named>,
    /// Texts that looked like keys and are not, with the rule.
    pub skipped: Vec<Skipped>,
    /// What was left out beyond the limits.
    pub overflow: Overflow,
}

impl Rules {
    /// What `commit` asks for; `released`: it is on a release branch.
    pub fn explain(&self, commit: &Commit, released: bool) -> Explanation {
        let intents = self.intents(commit);
        let (now, overflow) = self.effects_noted(commit, released);
        let (later, _) = if released {
            (vec![], overflow)
        } else {
            self.effects_noted(commit, true)
        };
        let named = now
            .into_iter()
            .map(|(key, effect)| {
                let closes = intents.tickets.iter().any(|(k, t)| *k == key && t.close);
                let status_released = later
                    .iter()
                    .find(|(k, _)| *k == key)
                    .and_then(|(_, e)| e.status.clone())
                    .filter(|s| Some(s) != effect.status.as_ref());
                Named {
                    key,
                    closes,
                    status_now: effect.status,
                    status_released,
                    comments: effect.comments,
                    titles: effect.titles,
                }
            })
            .collect();
        Explanation {
            skip: intents.skip,
            wip: intents.wip,
            revert: intents.revert.is_some(),
            released,
            named,
            skipped: self.extractor.skipped(&commit.message),
            overflow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(edit: impl FnOnce(&mut crate::config::Config), origin: Option<&str>) -> Rules {
        let mut c = crate::config::Config::default();
        c.status.on_commit = Some("Doing".into());
        c.status.on_merge = Some("Done".into());
        edit(&mut c);
        Rules::new(&c, origin).unwrap()
    }

    fn commit(message: &str) -> Commit {
        Commit {
            id: "0".repeat(40),
            message: message.into(),
            time: 0,
            offset: 0,
            parents: 1,
            author_email: String::new(),
        }
    }

    #[test]
    fn a_squash_suffix_on_github_is_explained_not_read() {
        let r = rules(|_| {}, Some("git@github.com:acme/app.git"));
        let e = r.explain(&commit("Fix login, closes #004 (#123)"), false);
        assert_eq!(e.named.len(), 1);
        let n = &e.named[0];
        assert_eq!(n.key.to_string(), "#004");
        assert!(n.closes);
        assert_eq!(n.status_now, Some(Proposal::Auto("Doing".into())));
        assert_eq!(n.status_released, Some(Proposal::Auto("Done".into())));
        assert_eq!(e.skipped.len(), 1);
        assert_eq!(e.skipped[0].text, "#123");
        assert_eq!(e.skipped[0].rule, "pull-request-suffix");
        // Elsewhere the suffix is a key; so it is with `ignore = []`.
        let elsewhere = rules(|_| {}, Some("git@git.acme.dev:acme/app.git"));
        assert_eq!(
            elsewhere.explain(&commit("Fix (#123)"), false).named.len(),
            1
        );
        let none = rules(
            |c| c.tickets.ignore = Some(vec![]),
            Some("git@github.com:acme/app.git"),
        );
        assert_eq!(none.explain(&commit("Fix (#123)"), false).named.len(), 1);
        // And a pattern of one's own.
        let own = rules(
            |c| c.tickets.ignore_patterns = vec!["Backport of #[0-9]+".into()],
            None,
        );
        let e = own.explain(&commit("Backport of #12 to 2.x, fixes #13"), true);
        assert_eq!(e.named.len(), 1);
        assert_eq!(e.skipped[0].rule, "ignore_patterns \"Backport of #[0-9]+\"");
    }
}
