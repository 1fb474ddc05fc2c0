//! `git notion doctor`: every check the seed runbooks did by hand with curl, each with ✓/✗ and the fix.
//! Checks go on after a failure wherever they still can, so one run shows every problem.

mod notion;
mod repo;

use notion::{api_checks, comments_check, key_check, people_check, schema_checks};
use repo::{hook_check, index_check, outbox_check};

use serde::Serialize;
use serde_json::json;

use crate::config::{self, Config, Token};
use crate::git::Repo;
use crate::hooks::install::{Hooks, State};
use crate::hooks::outbox::Outbox;
use crate::notion::client::{ApiError, Client};
use crate::notion::schema::{self, Binding, Kind, Schema, SchemaError, SchemaFix};
use crate::notion::values;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Passed.
    Ok,
    /// Worth knowing, not broken.
    Warn,
    /// Broken: the fix says what to do.
    Fail,
    /// Not checked because an earlier check failed.
    Skip,
}

impl Level {
    /// The mark shown before the check's name.
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✓",
            Level::Warn => "!",
            Level::Fail => "✗",
            Level::Skip => "-",
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked (`token`, `database`, `properties.status`, …).
    pub name: String,
    /// How it came out.
    pub status: Level,
    /// What was found.
    pub detail: String,
    /// What to do, for a failure or a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Notion's request id, when the detail is Notion's answer (for Notion's support).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every check of one run.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// No check failed.
    pub ok: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// The token acts as a person (a personal access token): nothing needs sharing with a connection.
    #[serde(skip)]
    personal_token: bool,
}

/// What `doctor` may do about a data source that lacks what the configuration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fix {
    /// Only say it (the fix names `--fix`).
    #[default]
    Off,
    /// `--fix`: show the change.
    Show,
    /// `--fix --apply`: make it.
    Apply,
}

impl Fix {
    /// From the flags.
    pub fn of(fix: bool, apply: bool) -> Fix {
        match (fix, apply) {
            (true, true) => Fix::Apply,
            (true, false) => Fix::Show,
            _ => Fix::Off,
        }
    }
}

impl Report {
    fn push(&mut self, name: &str, status: Level, detail: impl Into<String>, fix: Option<String>) {
        self.checks.push(Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix,
            request_id: None,
        });
    }

    /// The last check's detail is Notion's answer, with this request id.
    fn notion_said(&mut self, e: &crate::notion::client::ApiError) {
        if let Some(c) = self.checks.last_mut() {
            c.request_id = e.request_id().map(String::from);
        }
    }

    fn ok(&mut self, name: &str, detail: impl Into<String>) {
        self.push(name, Level::Ok, detail, None);
    }

    fn fail(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(name, Level::Fail, detail, Some(fix.into()));
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.push(name, Level::Skip, format!("not checked: {why}"), None);
    }

    /// The report for people: one line per check, its fix under it, then a verdict.
    pub fn render(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for c in &self.checks {
            let pad = width - c.name.chars().count();
            out.push_str(&format!(
                "{} {}{}  {}\n",
                c.status.mark(),
                c.name,
                " ".repeat(pad),
                c.detail
            ));
            if let Some(fix) = &c.fix {
                for (i, line) in fix.lines().enumerate() {
                    let lead = if i == 0 { "fix: " } else { "     " };
                    out.push_str(&format!("    {lead}{line}\n"));
                }
            }
        }
        let failed = self
            .checks
            .iter()
            .filter(|c| c.status == Level::Fail)
            .count();
        if failed == 0 {
            out.push_str("all checks passed\n");
        } else {
            out.push_str(&format!("{failed} check(s) failed\n"));
        }
        out
    }

    /// The report as JSON (`ok` and the checks).
    pub fn json(&self) -> serde_json::Value {
        json!(self)
    }
}

/// The configuration loaded (and from where), or what is wrong with it and how to fix it.
fn config_check(
    r: &mut Report,
    repo: Option<&Repo>,
    config: Result<Config, config::ConfigError>,
) -> Option<Config> {
    match config {
        Ok(c) => {
            let origin = match repo {
                Some(repo) if repo.root().join(config::FILE_NAME).exists() => {
                    config::FILE_NAME.to_string()
                }
                _ => "no .git-notion.toml; defaults and GIT_NOTION_* variables".to_string(),
            };
            r.ok("configuration", format!("loaded ({origin})"));
            Some(c)
        }
        Err(e) => {
            let fix = match &e {
                config::ConfigError::BadPattern { .. } => {
                    "fix the regex in [tickets] patterns (whole match = the key as titles write it, e.g. \"#([0-9]+)\")".to_string()
                }
                config::ConfigError::SecretInFile { .. } => {
                    "remove the token from the file and export NOTION_TOKEN instead".to_string()
                }
                // Name the file (or variable) that is wrong: the user config file is not .git-notion.toml.
                _ => match e.origin() {
                    Some(o) if o == config::FILE_NAME || o.ends_with(config::FILE_NAME) => format!(
                        "correct {o} as the message says (`git notion init` writes a fresh one)"
                    ),
                    Some(o) => format!("correct {o} as the message says"),
                    None => "correct the value the message names".to_string(),
                },
            };
            r.fail("configuration", e.to_string(), fix);
            None
        }
    }
}

/// Fewer rows than one read returns: that was the whole data source, so the local index is made of it
/// (a larger one is read whole by `git notion index --refresh` or a replay's scan).
fn index_from_rows(repo: &Repo, config: &Config, binding: &Binding, rows: &[serde_json::Value]) {
    if rows.len() >= 100 {
        return;
    }
    if let Ok(rules) = crate::rules::desired::Rules::new(config, repo.origin_url().as_deref()) {
        let ix = crate::pipeline::lookup::Index::new(rows, binding, &rules.extractor);
        let _ = crate::pipeline::key_index::KeyIndex::replace(
            crate::hooks::outbox::Outbox::new(repo.common_dir()).dir(),
            config.position(),
            &binding.data_source_id,
            binding.status_names(),
            crate::pipeline::key_index::of_pages(&ix),
            jiff::Timestamp::now().as_second(),
        );
    }
}

/// Runs every check. `config` is the loaded configuration, or the error loading it gave.
pub fn run(
    repo: Option<&Repo>,
    config: Result<Config, config::ConfigError>,
    env: &crate::config::Env,
    fix: Fix,
) -> Report {
    let mut r = Report::default();
    if repo.is_none() {
        // First things first: everything git-notion does is about a repository's commits.
        r.fail(
            "repository",
            "not inside a git repository",
            "cd into the repository whose commits name tickets (or `git init` one), then run doctor again",
        );
    }
    let config = config_check(&mut r, repo, config);
    let client = api_checks(&mut r, config.as_ref(), env);
    let every: Vec<Config> = config
        .as_ref()
        .map(|c| c.databases().into_iter().cloned().collect())
        .unwrap_or_default();
    if every.len() < 2 {
        database_checks(&mut r, client.as_ref(), config.as_ref(), repo, fix);
    }
    for db in every.iter().filter(|_| every.len() > 1) {
        // Each database checked in turn, its checks named after it: `database (Bugs)`.
        let from = r.checks.len();
        database_checks(&mut r, client.as_ref(), Some(db), repo, fix);
        let label = db.label().unwrap_or_default();
        for c in &mut r.checks[from..] {
            c.name = format!("{} ({label})", c.name);
        }
    }
    let positions = config.as_ref().map_or_else(|| vec![0], Config::positions);
    repo_checks(&mut r, repo, &positions);
    r.ok = !r.checks.iter().any(|c| c.status == Level::Fail);
    r
}

/// One database's checks: its schema, its keys, comments, people, and (the first database's) the index.
fn database_checks(
    r: &mut Report,
    client: Option<&crate::notion::client::Client>,
    config: Option<&Config>,
    repo: Option<&Repo>,
    fix: Fix,
) {
    let binding = match (client, config) {
        (Some(client), Some(config)) => schema_checks(r, client, config, fix),
        _ => {
            let why = if config.is_none() {
                "the configuration did not load"
            } else {
                "Notion was not reached, or refused the token"
            };
            for name in ["database", "properties", "ticket keys"] {
                r.skip(name, why);
            }
            None
        }
    };
    if let (Some(client), Some(config), Some(binding)) = (client, config, &binding) {
        let rows = key_check(r, client, config, binding);
        let row = rows.first().and_then(|row| row["id"].as_str());
        comments_check(r, client, config, row);
        people_check(r, client, binding);
        if let Some(repo) = repo {
            index_from_rows(repo, config, binding, &rows);
        }
    }
}

/// The checks of the repository itself: hooks, outbox, index.
fn repo_checks(r: &mut Report, repo: Option<&Repo>, positions: &[usize]) {
    match repo {
        Some(repo) => {
            hook_check(r, repo);
            outbox_check(r, repo);
            index_check(r, repo, positions);
        }
        None => {
            for name in ["hooks", "outbox", "index"] {
                r.skip(name, "not inside a git repository");
            }
        }
    }
}
