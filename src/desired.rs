//! Desired state: what a ticket's page should say, given the commits that name it.
//!
//! Status: `[status.types]` for the commit's conventional-commit type (`"*"` matches every type), else
//! `on_merge` on a release branch, else `on_commit`. Title: the latest commit's subject, offered only to
//! the ticket the subject is about (its first key), so that `#012 … (#026)` never retitles #026 (the plan
//! applies the title policy). Date: the commit date. Commit URL: from the `origin` remote.

use crate::config::Config;
use crate::git::Commit;
use crate::tickets::{Extractor, TicketKey};

/// What one ticket's page should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    pub key: TicketKey,
    /// The commit that decided it (the latest that names the ticket).
    pub commit: Commit,
    pub status: Option<String>,
    /// None when the subject is about another ticket.
    pub title: Option<String>,
    pub date: String,
    pub commit_url: Option<String>,
}

/// Where the commits are: the branch they are on and the `origin` remote.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub branch: Option<String>,
    pub origin_url: Option<String>,
}

/// The conventional-commit type of a subject (`feat(ui)!: x` → `feat`), lowercased.
pub fn commit_type(subject: &str) -> Option<String> {
    let head = subject.split_once(':')?.0;
    let ty = head.split(['(', '!']).next()?.trim();
    (!ty.is_empty()
        && ty
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    .then(|| ty.to_ascii_lowercase())
}

/// Glob match with `*` and `?` (branch patterns like `release/*`).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The status a commit asks for under the configuration.
pub fn status_for(config: &Config, commit: &Commit, branch: Option<&str>) -> Option<String> {
    let types = &config.status.types;
    if let Some(s) = commit_type(commit.subject()).and_then(|t| types.get(&t)) {
        return Some(s.clone());
    }
    if let Some(s) = types.get("*") {
        return Some(s.clone());
    }
    let release = branch.is_some_and(|b| {
        config
            .status
            .release_branches
            .iter()
            .any(|p| glob_match(p, b))
    });
    if release {
        config
            .status
            .on_merge
            .clone()
            .or_else(|| config.status.on_commit.clone())
    } else {
        config.status.on_commit.clone()
    }
}

/// The desired state of a ticket from the commits that name it, oldest first (the latest decides).
pub fn desired(
    config: &Config,
    ctx: &Context,
    extractor: &Extractor,
    key: &TicketKey,
    commits: &[Commit],
) -> Option<Desired> {
    let commit = commits.last()?.clone();
    let subject = commit.subject();
    let title = match extractor.extract(subject).first() {
        Some(first) if first != key => None,
        _ => Some(subject.to_string()),
    };
    let commit_url = ctx.origin_url.as_deref().and_then(|remote| {
        crate::links::commit_url(remote, &commit.id, config.commit_url_template.as_deref())
    });
    Some(Desired {
        key: key.clone(),
        status: status_for(config, &commit, ctx.branch.as_deref()),
        title,
        date: commit.date(),
        commit_url,
        commit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(subject: &str) -> Commit {
        Commit {
            id: "a".repeat(40),
            message: format!("{subject}\n\nbody\n"),
            time: 1_700_000_000,
            offset: 8 * 3600,
            parents: 1,
        }
    }

    #[test]
    fn types() {
        assert_eq!(commit_type("feat: 完成工单 #003").as_deref(), Some("feat"));
        assert_eq!(commit_type("Fix(ui)!: x").as_deref(), Some("fix"));
        assert_eq!(commit_type("Merge branch 'a'"), None);
        assert_eq!(commit_type("工单: x"), None);
        assert_eq!(commit_type("see http://x"), None);
    }

    #[test]
    fn globs() {
        assert!(glob_match("main", "main"));
        assert!(glob_match("release/*", "release/1.2"));
        assert!(!glob_match("release/*", "feature/x"));
        assert!(glob_match("v?", "v1"));
        assert!(!glob_match("main", "mainline"));
    }

    #[test]
    fn status_rules() {
        let mut c = Config::default();
        c.status.on_commit = Some("进行中".into());
        c.status.on_merge = Some("完成".into());
        let feat = commit("feat: x #003");
        assert_eq!(status_for(&c, &feat, Some("main")).as_deref(), Some("完成"));
        assert_eq!(
            status_for(&c, &feat, Some("topic")).as_deref(),
            Some("进行中")
        );
        assert_eq!(status_for(&c, &feat, None).as_deref(), Some("进行中"));
        c.status.types.insert("docs".into(), "完成".into());
        let docs = commit("docs: y #004");
        assert_eq!(
            status_for(&c, &docs, Some("topic")).as_deref(),
            Some("完成")
        );
        c.status.types.insert("*".into(), "未开始".into());
        assert_eq!(
            status_for(&c, &feat, Some("main")).as_deref(),
            Some("未开始")
        );
        assert_eq!(status_for(&c, &docs, Some("main")).as_deref(), Some("完成"));
    }

    #[test]
    fn date_in_committer_zone() {
        // 1700000000 = 2023-11-14T22:13:20Z, which is the 15th at +08:00.
        assert_eq!(commit("x").date(), "2023-11-15");
    }
}
