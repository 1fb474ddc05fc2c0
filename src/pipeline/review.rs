//! Pull and merge requests, from CI (`git notion review`): the forge's event where the job runs (GitHub
//! Actions' event payload, `GITHUB_EVENT_PATH`; GitLab CI's merge-request variables), read into a
//! [`Request`]. An open request that is not a draft moves the tickets its branch, title or commits name to
//! `[status] on_review` (never backwards: a Done ticket stays Done); `[properties] pull_request` gets its
//! link (a draft's too). A merged or closed one is left to the merge rules (the hooks and the replay).
//! No forge token is needed: everything comes from the event and the checkout.

use serde_json::Value;

use crate::config::Env;
use crate::git::{Commit, Repo};
use crate::rules::desired::{Desired, Rules};
use crate::rules::tickets::TicketKey;

/// The most commits of a request read for keys.
pub const MAX_COMMITS: usize = 1000;

/// Why no request could be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Neither a GitHub pull-request event nor GitLab merge-request variables, and no `--event`.
    #[error("no pull or merge request event here: run `git notion review` in a GitHub Actions job on `pull_request` (it reads GITHUB_EVENT_PATH), in a GitLab CI merge-request pipeline (CI_MERGE_REQUEST_IID), or pass the event's JSON with --event FILE")]
    NoEvent,
    /// The event file cannot be read or is not JSON.
    #[error("cannot read the event {path}: {detail}")]
    Unreadable {
        /// The file.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The event is not about a pull request.
    #[error("the event {path} is not a pull request's (no `pull_request` object with `html_url`); `git notion review` runs on pull_request events")]
    NotARequest {
        /// The file.
        path: String,
    },
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Open (a draft or ready).
    Open,
    /// Merged: the merge rules close its tickets.
    Merged,
    /// Closed without merging.
    Closed,
}

/// A pull (merge) request as the forge's event describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    /// `github` or `gitlab`.
    pub forge: &'static str,
    /// Its number (GitHub) or IID (GitLab).
    pub number: u64,
    /// Its web link.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Its source branch.
    pub branch: String,
    /// The source branch's commit, when given.
    pub head: Option<String>,
    /// The commit its changes are compared against, when given.
    pub base: Option<String>,
    /// A draft: its link is written, its tickets do not move.
    pub draft: bool,
    /// Open, merged or closed.
    pub state: State,
}

impl Request {
    /// The request of the job this runs in: `event` (a GitHub-shaped payload) when given, else GitHub
    /// Actions' (`GITHUB_EVENT_PATH`, on `pull_request` and `pull_request_target`), else GitLab CI's.
    pub fn of_job(env: &Env, event: Option<&std::path::Path>) -> Result<Request, EventError> {
        let github = env
            .value("GITHUB_EVENT_NAME")
            .is_some_and(|n| n.starts_with("pull_request"));
        let path = match event {
            Some(p) => Some(p.to_path_buf()),
            None if github => env.value("GITHUB_EVENT_PATH").map(std::path::PathBuf::from),
            None => None,
        };
        if let Some(path) = path {
            let shown = path.display().to_string();
            let text = std::fs::read(&path).map_err(|e| EventError::Unreadable {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
            let v: Value = serde_json::from_slice(&text).map_err(|e| EventError::Unreadable {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
            return Request::github(&v).ok_or(EventError::NotARequest { path: shown });
        }
        Request::gitlab(env).ok_or(EventError::NoEvent)
    }

    /// A GitHub `pull_request` event payload.
    pub fn github(v: &Value) -> Option<Request> {
        let pr = &v["pull_request"];
        let url = pr["html_url"].as_str()?.to_string();
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let state = match (pr["merged"].as_bool(), pr["state"].as_str()) {
            (Some(true), _) => State::Merged,
            (_, Some("closed")) => State::Closed,
            _ => State::Open,
        };
        Some(Request {
            forge: "github",
            number: pr["number"].as_u64().or(v["number"].as_u64()).unwrap_or(0),
            url,
            title: text(&pr["title"]),
            branch: text(&pr["head"]["ref"]),
            head: pr["head"]["sha"].as_str().map(String::from),
            base: pr["base"]["sha"].as_str().map(String::from),
            draft: pr["draft"].as_bool().unwrap_or(false),
            state,
        })
    }

    /// GitLab CI's merge-request variables (a merge-request pipeline runs on an open request).
    pub fn gitlab(env: &Env) -> Option<Request> {
        let iid: u64 = env.value("CI_MERGE_REQUEST_IID")?.trim().parse().ok()?;
        let project = env.value("CI_MERGE_REQUEST_PROJECT_URL")?;
        let title = env.value("CI_MERGE_REQUEST_TITLE").unwrap_or_default();
        let draft = env
            .value("CI_MERGE_REQUEST_DRAFT")
            .is_some_and(|d| d == "true")
            || ["Draft:", "[Draft]", "(Draft)", "WIP:"]
                .iter()
                .any(|p| title.starts_with(p));
        Some(Request {
            forge: "gitlab",
            number: iid,
            url: format!("{}/-/merge_requests/{iid}", project.trim_end_matches('/')),
            title: title.to_string(),
            branch: env
                .value("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
                .unwrap_or_default()
                .to_string(),
            head: env
                .value("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA")
                .filter(|s| !s.is_empty())
                .or_else(|| env.value("CI_COMMIT_SHA"))
                .map(String::from),
            base: env
                .value("CI_MERGE_REQUEST_DIFF_BASE_SHA")
                .filter(|s| !s.is_empty())
                .map(String::from),
            draft,
            state: State::Open,
        })
    }

    /// The tickets it names: its branch's, its title's, and its commits' (those of `head` that `base`
    /// does not reach, when the checkout has them), each once, in that order.
    pub fn keys(&self, repo: &Repo, rules: &Rules) -> Vec<TicketKey> {
        let mut keys: Vec<TicketKey> = vec![];
        let mut add = |k: TicketKey| {
            if !keys.contains(&k) {
                keys.push(k);
            }
        };
        if let Some(k) = rules.branch_key(&self.branch) {
            add(k);
        }
        for k in rules.extractor.extract(&self.title) {
            add(k);
        }
        if let Some(head) = &self.head {
            let hidden: Vec<String> = self.base.iter().cloned().collect();
            for c in repo
                .reachable_past(head, &hidden, MAX_COMMITS)
                .unwrap_or_default()
            {
                for k in rules.keys(&c) {
                    add(k);
                }
            }
        }
        keys
    }

    /// What the request asks of one ticket: `on_review` unless a draft, and its link; nothing else (no
    /// title, date or commit link: those are the commits').
    pub fn desired(&self, key: TicketKey, on_review: Option<&str>, head: Commit) -> Desired {
        Desired {
            status: on_review.filter(|_| !self.draft).map(String::from),
            pull_request: Some(self.url.clone()),
            ..Desired::nothing(key, head)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_github_payload_and_gitlab_variables_read_alike() {
        let v = serde_json::json!({"action": "opened", "number": 7, "pull_request": {
            "number": 7, "html_url": "https://github.com/acme/mt5/pull/7", "title": "Alerts for #005",
            "draft": false, "merged": false, "state": "open",
            "head": {"ref": "feature/006-vault", "sha": "a".repeat(40)},
            "base": {"ref": "main", "sha": "b".repeat(40)}}});
        let gh = Request::github(&v).unwrap();
        assert_eq!(gh.state, State::Open);
        assert_eq!(gh.branch, "feature/006-vault");
        let env = Env::from_pairs([
            ("CI_MERGE_REQUEST_IID", "7"),
            (
                "CI_MERGE_REQUEST_PROJECT_URL",
                "https://gitlab.com/acme/mt5",
            ),
            ("CI_MERGE_REQUEST_TITLE", "Draft: Alerts for #005"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/006-vault"),
        ]);
        let gl = Request::gitlab(&env).unwrap();
        assert_eq!(gl.url, "https://gitlab.com/acme/mt5/-/merge_requests/7");
        assert!(gl.draft, "a Draft: title");
        let merged = serde_json::json!({"pull_request": {"html_url": "u", "merged": true, "state": "closed"}});
        assert_eq!(Request::github(&merged).unwrap().state, State::Merged);
        assert!(Request::github(&serde_json::json!({"push": {}})).is_none());
    }
}
