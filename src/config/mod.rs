//! Configuration: `.git-notion.toml` (committed, no secrets), layered as built-in defaults < user config
//! < repository config < `GIT_NOTION_*` environment. Everything is validated on load: TOML errors carry
//! line and column, unknown keys are reported, ticket patterns are compiled, secrets are refused. The
//! environment is read once into an [`Env`]; the command line's settings arrive as [`Overrides`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod databases;
mod env;
pub use env::Env;

/// The file name of the repository config.
pub const FILE_NAME: &str = ".git-notion.toml";

/// Why a configuration cannot be used; each says where the wrong value is and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A configuration file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type (with line and column).
    #[error("{origin}: {message}")]
    Toml {
        /// The file or variable.
        origin: String,
        /// What the parser said.
        message: String,
    },
    /// A token-like value in a file: the token is read only from the environment.
    #[error("{origin}: `{key}` looks like a secret. git-notion reads the token only from the NOTION_TOKEN environment variable (NOTION_API_KEY and NOTION_API_TOKEN work too), never from a file: remove it from {origin} and revoke it if the file was shared")]
    SecretInFile {
        /// The file.
        origin: String,
        /// The key that holds it.
        key: String,
    },
    /// A ticket pattern that does not compile.
    #[error("{origin}: ticket pattern {pattern:?} does not compile: {error}")]
    BadPattern {
        /// The file or variable.
        origin: String,
        /// The pattern as written.
        pattern: String,
        /// What the regex compiler said.
        error: String,
    },
    /// A `database` that is not a Notion URL or id.
    #[error("{origin}: database {value:?} is not a Notion database URL or id (32 hex digits, with or without dashes)")]
    BadDatabase {
        /// The file, variable or flag.
        origin: String,
        /// The value as given.
        value: String,
    },
    /// No token in the environment.
    #[error("no Notion token: set NOTION_TOKEN to an internal connection's secret or a personal access token (both from Notion's developer portal, https://www.notion.so/developers), e.g. `export NOTION_TOKEN=ntn_…`")]
    MissingToken,
    /// The token holds a character no Notion token has (a line break pasted with it, a space).
    #[error("{variable} is not a Notion token: it holds {what} at character {at}, which no token has (pasted with a line break or a space?). Copy the token again from https://www.notion.so/developers and set {variable} to it alone")]
    MalformedToken {
        /// The variable it came from.
        variable: &'static str,
        /// What was found (`a line break`, `a space`, `a control character`).
        what: &'static str,
        /// Its position, counting from 1.
        at: usize,
    },
    /// A `GIT_NOTION_*` or token variable that is not UTF-8 (it would otherwise be ignored, and a run meant
    /// for the sandbox would talk to api.notion.com).
    #[error("the environment variable {variable} is not valid UTF-8, so git-notion cannot read it; set it again in plain text (or unset it)")]
    NotUtf8 {
        /// The variable.
        variable: String,
    },
    /// A number that cannot work (negative, `nan`, huge).
    #[error("configuration: {key} = {value} is out of range: use a number from {min} to {max}")]
    OutOfRange {
        /// The key (`api.timeout_secs`).
        key: &'static str,
        /// The value as given.
        value: String,
        /// The smallest value that works.
        min: f64,
        /// The largest value that works.
        max: f64,
    },
    /// Plain http to a host that is not loopback.
    #[error("configuration: [people] {email:?} = {value:?} is not a Notion user id (32 hex digits, with or without dashes; `GET /v1/users` lists them)")]
    BadUserId {
        /// The author's email.
        email: String,
        /// What was given.
        value: String,
    },
    /// A `[[databases]]` table that cannot be one (no `database`, a shared setting, listed twice).
    #[error("configuration: [[databases]] {which}: {problem}")]
    BadDatabases {
        /// Which table (`#2`, or its name).
        which: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// `--database` or `GIT_NOTION_DATABASE` names none of the configured databases.
    #[error("{origin}: {value:?} is none of the configured databases ({names}): name one by its `name` or its id")]
    NoSuchDatabase {
        /// The flag or variable.
        origin: String,
        /// What was given.
        value: String,
        /// The configured databases.
        names: String,
    },
    #[error("GIT_NOTION_API_URL={url:?} is refused: plain http is allowed only to loopback (127.0.0.1, localhost, [::1]); use https")]
    InsecureApiUrl {
        /// The URL as given (without user info).
        url: String,
    },
}

impl ConfigError {
    /// Where the wrong value is: the file (the repository's `.git-notion.toml`, the user config file) or
    /// the environment variable it came from, when the error knows.
    pub fn origin(&self) -> Option<String> {
        match self {
            ConfigError::Read { path, .. } => Some(path.display().to_string()),
            ConfigError::Toml { origin, .. }
            | ConfigError::SecretInFile { origin, .. }
            | ConfigError::BadPattern { origin, .. }
            | ConfigError::BadDatabase { origin, .. }
            | ConfigError::NoSuchDatabase { origin, .. } => Some(origin.clone()),
            ConfigError::InsecureApiUrl { .. } => Some("GIT_NOTION_API_URL".into()),
            ConfigError::MalformedToken { variable, .. } => Some((*variable).into()),
            ConfigError::NotUtf8 { variable } => Some(variable.clone()),
            ConfigError::MissingToken
            | ConfigError::OutOfRange { .. }
            | ConfigError::BadUserId { .. }
            | ConfigError::BadDatabases { .. } => None,
        }
    }
}

/// When a commit's subject becomes the page's title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TitlePolicy {
    /// Never touch titles.
    Never,
    /// Replace a title only when it is empty, "Untitled", or just the ticket key plus a placeholder.
    #[default]
    FillPlaceholder,
    /// Always set the title to the commit subject (the seed team's repair).
    Always,
}

impl TitlePolicy {
    /// As the configuration writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TitlePolicy::Never => "never",
            TitlePolicy::FillPlaceholder => "fill-placeholder",
            TitlePolicy::Always => "always",
        }
    }
}

/// Settings one run takes from its command line (`--database`, `--title-policy`): they win over the files
/// and the environment, and are checked as they are (a token pasted into `--database` is refused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `database`.
    pub database: Option<String>,
    /// `[title] policy`.
    pub title_policy: Option<TitlePolicy>,
}

impl Overrides {
    fn table(&self) -> toml::Table {
        let mut t = toml::Table::new();
        if let Some(d) = &self.database {
            t.insert("database".into(), d.clone().into());
        }
        if let Some(p) = self.title_policy {
            let mut title = toml::Table::new();
            title.insert("policy".into(), p.as_str().into());
            t.insert("title".into(), title.into());
        }
        t
    }
}

/// `[tickets.lookup]`: find pages by another property than the title.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// A `unique_id`, `number` or `rich_text` property holding the ticket key instead of the title.
    pub property: String,
}

/// `[tickets]`: how commit messages and titles write ticket keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tickets {
    /// Regexes whose whole match is a ticket key as written in titles (`#042`).
    pub patterns: Vec<String>,
    /// Prefixes of `unique_id` keys (`TASK` for `TASK-17`), found through a `unique_id` property by number.
    pub id_prefixes: Vec<String>,
    /// Find pages by this property instead of the title.
    pub lookup: Option<Lookup>,
    /// The most distinct keys read from one commit message; the rest are left out with a warning naming
    /// the commit (a message naming 50,000 keys costs what 1,000 cost).
    pub max_keys_per_commit: usize,
    /// The longest key read, in bytes; a longer match (600 KB of digits) is left out with a warning.
    pub max_key_length: usize,
    /// Hosting conventions whose numbers are not ticket keys (`["pull-request-suffix", …]`); unset: chosen
    /// from the `origin` remote's host.
    pub ignore: Option<Vec<Convention>>,
    /// Regexes: a key inside a match in a commit message is not a key.
    pub ignore_patterns: Vec<String>,
}

/// A hosting convention whose numbers are never ticket keys (`[tickets] ignore`; what each skips is in
/// `rules::conventions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// `Subject (#123)` ending the first line: the pull request of a squash merge (GitHub, Gitea, Forgejo);
    /// never a number written with a leading zero (`(#025)`).
    PullRequestSuffix,
    /// `Merge pull request #123 from owner/branch` (GitHub's merge subject).
    GithubMerge,
    /// `See merge request group/project!42` lines (GitLab's merge commits).
    GitlabMerge,
    /// `Merged in branch (pull request #12)` (Bitbucket's merge subject).
    BitbucketMerge,
    /// `GH-123`: GitHub's issue references.
    GhRefs,
}

impl Convention {
    /// Every convention, in the order docs/configuration.md lists them.
    pub const ALL: [Convention; 5] = [
        Convention::PullRequestSuffix,
        Convention::GithubMerge,
        Convention::GitlabMerge,
        Convention::BitbucketMerge,
        Convention::GhRefs,
    ];

    /// The name written in `[tickets] ignore`.
    pub fn name(self) -> &'static str {
        match self {
            Convention::PullRequestSuffix => "pull-request-suffix",
            Convention::GithubMerge => "github-merge",
            Convention::GitlabMerge => "gitlab-merge",
            Convention::BitbucketMerge => "bitbucket-merge",
            Convention::GhRefs => "gh-refs",
        }
    }
}

impl std::fmt::Display for Convention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Default of `[tickets] max_keys_per_commit`.
pub const MAX_KEYS_PER_COMMIT: usize = 1000;
/// Default of `[tickets] max_key_length`.
pub const MAX_KEY_LENGTH: usize = 100;

impl Default for Tickets {
    fn default() -> Self {
        Tickets {
            patterns: vec![DEFAULT_PATTERN.to_string()],
            id_prefixes: vec![],
            lookup: None,
            max_keys_per_commit: MAX_KEYS_PER_COMMIT,
            max_key_length: MAX_KEY_LENGTH,
            ignore: None,
            ignore_patterns: vec![],
        }
    }
}

/// Property names as they are in Notion; an omitted one is not written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Properties {
    /// The title property (default: the data source's title property).
    pub title: Option<String>,
    /// The status (or select) property.
    pub status: Option<String>,
    /// A date property for the commit's date.
    pub date: Option<String>,
    /// A URL (or text) property for the commit's link.
    pub commit_url: Option<String>,
    /// A people property: set to the author of the first commit naming the ticket, only while it is
    /// empty (authors matched to Notion users by email; `[people]` maps the others).
    pub assignee: Option<String>,
    /// A text property listing every commit that names the ticket, newest first (links to each).
    pub commits: Option<String>,
    /// A select, multi_select or rich_text property: the release tag that shipped the ticket.
    pub release: Option<String>,
    /// A url or rich_text property: the link of the pull (merge) request that names the ticket.
    pub pull_request: Option<String>,
}

/// `[status]`: which status commits set, and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Status {
    /// Status for any commit that names a ticket (e.g. In progress / 进行中), and for closing commits
    /// that have not reached a release branch yet.
    pub on_commit: Option<String>,
    /// Status for closing commits that reach a release branch (e.g. Done / 完成).
    pub on_merge: Option<String>,
    /// Status for tickets named by an open pull (merge) request, set by `git notion review` in CI (e.g.
    /// In review): after `on_commit`, before `on_merge`.
    pub on_review: Option<String>,
    /// Status for tickets closed by commits a release tag contains (e.g. Released): after `on_merge`.
    pub on_release: Option<String>,
    /// Tags (globs) that are releases.
    pub release_tags: Vec<String>,
    /// Branches (globs: `release/*`) where a closing commit closes its tickets.
    pub release_branches: Vec<String>,
    /// Conventional-commit type → status (`feat = "完成"`; `"*"` for every type). A type mapped to
    /// `on_merge` counts as closing (and follows the branch rules); other statuses apply as they are.
    pub types: BTreeMap<String, String>,
    /// Words that, right before a key, close that ticket (any case, with or without a colon). Replaces
    /// the default list; list the English words too to keep them.
    pub closing_keywords: Vec<String>,
    /// When a closing commit closes: when it reaches a release branch (default), or at once.
    pub close_on: CloseOn,
    /// What a revert of a commit does to the tickets it names.
    pub on_revert: OnRevert,
    /// For a select status: its options from first to last stage (`["Todo", "Doing", "Done"]`), so that a
    /// status never moves backwards. Default: `on_commit`, then `on_merge`. A status property uses its groups.
    pub order: Vec<String>,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            on_commit: None,
            on_merge: None,
            on_review: None,
            on_release: None,
            release_tags: vec!["v*".into()],
            release_branches: vec!["main".into(), "master".into()],
            types: BTreeMap::new(),
            closing_keywords: DEFAULT_CLOSING_KEYWORDS
                .iter()
                .map(|w| w.to_string())
                .collect(),
            close_on: CloseOn::Merge,
            on_revert: OnRevert::Comment,
            order: vec![],
        }
    }
}

/// When a closing keyword closes its ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CloseOn {
    /// When the commit is committed on, or merged into, a release branch; before that, `on_commit`.
    #[default]
    Merge,
    /// As soon as it is committed, on any branch.
    Commit,
}

/// What a revert does to the tickets its message names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OnRevert {
    /// Adds a comment with the revert's subject and link; the status stays.
    #[default]
    Comment,
    /// The comment, and the status goes back to `on_commit` (even from Done).
    Reopen,
    /// Links only (date and commit link), like a mention that never moves the status.
    Ignore,
}

/// `[title]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Title {
    /// When the subject becomes the title.
    pub policy: TitlePolicy,
}

/// How hooks deliver their updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum HookMode {
    /// Queue and return; a detached flusher delivers (the default: a commit never waits for Notion).
    #[default]
    Background,
    /// Deliver inside the hook within `budget_secs` (for CI); what does not fit stays queued.
    Foreground,
}

/// `[hooks]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hooks {
    /// Background (default) or foreground delivery.
    pub mode: HookMode,
    /// In foreground mode, how long a hook may deliver before it leaves the rest queued (seconds).
    pub budget_secs: f64,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks {
            mode: HookMode::Background,
            budget_secs: 10.0,
        }
    }
}

/// What the `commit-msg` hook does with what it finds in a message (`[commit] check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// Says nothing.
    Off,
    /// Says what the message will do and what looks wrong; the commit is always made (the default).
    #[default]
    Warn,
    /// As `warn`, and refuses a message with a problem that is certain (a key a fresh index does not
    /// have, a `#status` that is no option); a missing or stale index never refuses.
    Block,
}

/// `[commit]`: what happens at commit time (the `commit-msg` hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CommitMsg {
    /// `off`, `warn` (default) or `block`.
    pub check: Check,
}

/// How a commit made on a ticket's branch names its ticket (`[branches] mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BranchMode {
    /// The `prepare-commit-msg` hook adds a `Refs: KEY` trailer (the default).
    #[default]
    Trailer,
    /// It puts `KEY ` before the subject.
    Subject,
    /// Nothing is added: the branch name says nothing to git-notion.
    Off,
}

/// `[branches]`: the ticket a branch's name carries (`feature/TASK-17-login`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Branches {
    /// Regexes finding the ticket in a branch name; the match (or its first group) is formatted by
    /// `key`. Empty (the default): the ticket patterns and id prefixes, as in messages.
    pub patterns: Vec<String>,
    /// How a match becomes the key as messages write it: `{}` is the match (`"#{}"` for `042-login`).
    pub key: String,
    /// `trailer`, `subject` or `off`.
    pub mode: BranchMode,
    /// A merge commit of a branch whose name carries a ticket closes it (once on a release branch).
    pub close_on_merge: bool,
}

impl Default for Branches {
    fn default() -> Self {
        Branches {
            patterns: vec![],
            key: "{}".into(),
            mode: BranchMode::Trailer,
            close_on_merge: false,
        }
    }
}

/// `[create]`: pages for tickets that have none (opt-in).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Create {
    /// A ticket a commit names and no page carries gets one (title from the commit subject with the
    /// key, status from the rules).
    pub missing: bool,
    /// Only keys one of these regexes matches whole (default: every key of the ticket patterns), e.g.
    /// `['#[0-9]{3}']` to leave sub-tickets (`#011.3`) without pages.
    pub patterns: Vec<String>,
}

/// How git-notion talks to Notion.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Api {
    /// Average request rate (Notion allows about 3 per second per integration).
    pub requests_per_second: f64,
    /// Requests that may go at once before the average applies.
    pub burst: u32,
    /// Retries of one request on 429, 529, 5xx and network errors.
    pub max_retries: u32,
    /// Total time one request may take, in seconds.
    pub timeout_secs: f64,
    /// The Notion API version every request names (`Notion-Version`).
    pub version: NotionVersion,
    /// Notion's rate-limit window in seconds (60): a budget learned from its 429s is spread over it.
    pub window_secs: f64,
}

/// A Notion API version git-notion speaks. Each changes what a request may say and what an answer holds
/// (Notion's upgrade guides): 2026-03-11 renames `archived` to `in_trash` everywhere (sending `archived`
/// is refused); 2026-12-01 answers queries with only the title unless `filter_properties` names the rest,
/// and leaves a wiki's child data sources out of a query that asks for `result_type: "page"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Default)]
pub enum NotionVersion {
    /// The first version with data sources.
    #[serde(rename = "2025-09-03")]
    V2025_09_03,
    /// The default: the newest version whose every change is documented and handled.
    #[default]
    #[serde(rename = "2026-03-11")]
    V2026_03_11,
    /// The newest; four of its seven changes are not documented where we could read them (README).
    #[serde(rename = "2026-12-01")]
    V2026_12_01,
}

impl NotionVersion {
    /// As the `Notion-Version` header says it.
    pub fn as_str(self) -> &'static str {
        match self {
            NotionVersion::V2025_09_03 => "2025-09-03",
            NotionVersion::V2026_03_11 => "2026-03-11",
            NotionVersion::V2026_12_01 => "2026-12-01",
        }
    }

    /// Queries answer with the title alone unless `filter_properties` names the other properties.
    pub fn trims_unnamed_properties(self) -> bool {
        self >= NotionVersion::V2026_12_01
    }

    /// Queries take `result_type: "page"` and then leave a wiki's child data sources out.
    pub fn takes_result_type(self) -> bool {
        self >= NotionVersion::V2026_12_01
    }
}

impl Default for Api {
    fn default() -> Self {
        Api {
            requests_per_second: 3.0,
            burst: 3,
            max_retries: 4,
            // Notion lets a request run up to 60 s before it gives up itself.
            timeout_secs: 65.0,
            version: NotionVersion::default(),
            window_secs: 60.0,
        }
    }
}

/// The whole configuration, as loaded from its layers and validated.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A Notion database URL or id (dashed or not), or a data source id.
    pub database: Option<String>,
    /// The data source's name or id, for a database with several.
    pub data_source: Option<String>,
    /// `[tickets]`.
    pub tickets: Tickets,
    /// `[properties]`.
    pub properties: Properties,
    /// `[status]`.
    pub status: Status,
    /// `[title]`.
    pub title: Title,
    /// A commit link template with `{sha}` (and `{short}`), for remotes git-notion does not recognise.
    pub commit_url_template: Option<String>,
    /// `[api]`.
    pub api: Api,
    /// `[hooks]`.
    pub hooks: Hooks,
    /// `[commit]`.
    pub commit: CommitMsg,
    /// `[branches]`.
    pub branches: Branches,
    /// `[create]`.
    pub create: Create,
    /// `[people]`: a commit author's email → the Notion user id to assign (where the email in git is
    /// not the one in Notion).
    pub people: BTreeMap<String, String>,
    /// The database's name in messages and JSON (default: its data source's name).
    pub name: Option<String>,
    /// `[[databases]]`: more databases, each a table of its own settings over the shared ones.
    #[serde(rename = "databases")]
    pub tables: Vec<toml::Table>,
    /// Every database, each a whole configuration (built on load from `database` and `[[databases]]`;
    /// empty for a configuration of one database, which is its own).
    #[serde(skip)]
    each: Vec<Config>,
    /// The ticket patterns, compiled once on load.
    #[serde(skip)]
    compiled: Compiled,
}

/// The default ticket pattern (the seed team's): `#042`, `#011.3`.
pub const DEFAULT_PATTERN: &str = r"#([0-9]+(?:\.[0-9]+)?)";

/// The default closing keywords (GitHub's and GitLab's, plus `complete(s|d)` and `implement(s|ed)`).
pub const DEFAULT_CLOSING_KEYWORDS: [&str; 15] = [
    "fix",
    "fixes",
    "fixed",
    "close",
    "closes",
    "closed",
    "resolve",
    "resolves",
    "resolved",
    "complete",
    "completes",
    "completed",
    "implement",
    "implements",
    "implemented",
];

/// The ticket patterns, compiled: the configured regexes, and one for `PREFIX-N` unique ids.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// The configured patterns.
    pub patterns: Vec<regex::Regex>,
    /// `PREFIX-N` for the configured unique id prefixes.
    pub unique_id: Option<regex::Regex>,
    /// The most distinct keys read from one text (`[tickets] max_keys_per_commit`).
    pub max_keys: usize,
    /// The longest key read, in bytes (`[tickets] max_key_length`).
    pub max_key_length: usize,
    /// `[tickets] ignore` (None: chosen from the `origin` host where the rules are made).
    pub ignore: Option<Vec<Convention>>,
    /// `[tickets] ignore_patterns`, compiled.
    pub ignore_patterns: Vec<regex::Regex>,
    /// `[branches] patterns`, compiled.
    pub branch_patterns: Vec<regex::Regex>,
    /// `[create] patterns`, compiled.
    pub create_patterns: Vec<regex::Regex>,
    /// With several databases: each one's own patterns and `PREFIX-N` pattern, in order (a key belongs to
    /// the first whose patterns find it); empty for one database.
    pub databases: Vec<(Vec<regex::Regex>, Option<regex::Regex>)>,
    /// Which of `databases` these patterns find keys for (None: every one's).
    pub database: Option<usize>,
}

/// A ticket pattern that does not compile.
#[derive(Debug)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What the regex compiler said.
    pub error: regex::Error,
}

impl Patterns {
    /// Compiles `patterns` (regexes whose whole match is the key as written) and, with
    /// `unique_id_prefixes`, the `PREFIX-N` pattern. A bad pattern is reported with its text.
    pub fn compile(
        patterns: &[String],
        unique_id_prefixes: &[String],
    ) -> Result<Self, PatternError> {
        let patterns = patterns
            .iter()
            .map(|p| {
                regex::Regex::new(p).map_err(|error| PatternError {
                    pattern: p.clone(),
                    error,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let unique_id = if unique_id_prefixes.is_empty() {
            None
        } else {
            let alts: Vec<String> = unique_id_prefixes
                .iter()
                .map(|p| regex::escape(p))
                .collect();
            let pattern = format!(r"(?i-u)\b({})-([0-9]+)\b", alts.join("|"));
            Some(regex::Regex::new(&pattern).map_err(|error| PatternError { pattern, error })?)
        };
        Ok(Patterns {
            patterns,
            unique_id,
            max_keys: MAX_KEYS_PER_COMMIT,
            max_key_length: MAX_KEY_LENGTH,
            ignore: None,
            ignore_patterns: vec![],
            branch_patterns: vec![],
            create_patterns: vec![],
            databases: vec![],
            database: None,
        })
    }
}

/// The compiled patterns carried by the config (equal to any other: they follow from the patterns).
#[derive(Clone, Default)]
struct Compiled(Option<Patterns>);

impl PartialEq for Compiled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compiled")
    }
}

/// One layer of configuration text and where it came from (for messages).
pub struct Layer {
    /// Where it came from (a file's path, `environment`).
    pub origin: String,
    /// The TOML text.
    pub text: String,
}

impl Layer {
    /// A file's layer; None when the file does not exist.
    pub fn file(path: &Path) -> Result<Option<Layer>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(Layer {
                origin: path.display().to_string(),
                text,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// Looks like a key that holds a secret.
fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    ["token", "secret", "api_key", "apikey", "password", "auth"]
        .iter()
        .any(|s| k.contains(s))
}

/// A value that is, or contains, something shaped like a Notion token: the whole value starting with
/// `ntn_` or `secret_`, or such a prefix (not inside a word) followed by 16 or more letters and digits
/// anywhere in it (`commit_url_template = "…?k=ntn_…"`).
fn secret_value(v: &str) -> bool {
    if v.starts_with("ntn_") || v.starts_with("secret_") {
        return true;
    }
    ["ntn_", "secret_"].iter().any(|prefix| {
        v.match_indices(prefix).any(|(i, _)| {
            let before = v[..i].chars().next_back();
            let word = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
            let run = v[i + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .count();
            !word && run >= 16
        })
    })
}

/// Whether a value, or any string inside it (arrays, tables), looks like a secret.
fn holds_secret(v: &toml::Value) -> bool {
    match v {
        toml::Value::String(s) => secret_value(s),
        toml::Value::Array(items) => items.iter().any(holds_secret),
        _ => false,
    }
}

fn check_secrets(origin: &str, table: &toml::Table, prefix: &str) -> Result<(), ConfigError> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if secret_key(k) || holds_secret(v) {
            return Err(ConfigError::SecretInFile {
                origin: origin.to_string(),
                key,
            });
        }
        if let Some(t) = v.as_table() {
            check_secrets(origin, t, &key)?;
        }
        // `[[databases]]`: an array of tables.
        for (i, t) in v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(toml::Value::as_table)
            .enumerate()
        {
            check_secrets(origin, t, &format!("{key}[{i}]"))?;
        }
    }
    Ok(())
}

/// Hides anything shaped like a Notion token in a message that quotes config text.
#[allow(
    clippy::expect_used,
    reason = "a literal pattern, run by the unit tests"
)]
fn scrub(message: &str) -> String {
    let re = regex::Regex::new(r"(ntn_|secret_)[A-Za-z0-9_]+").expect("regex");
    re.replace_all(message, "<redacted>").into_owned()
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Settings from `GIT_NOTION_*` variables, as a TOML table.
fn env_layer(env: &Env) -> toml::Table {
    let mut t = toml::Table::new();
    let get = |name: &str| env.value(name).map(String::from);
    if let Some(v) = get("GIT_NOTION_DATABASE") {
        t.insert("database".into(), v.into());
    }
    if let Some(v) = get("GIT_NOTION_DATA_SOURCE") {
        t.insert("data_source".into(), v.into());
    }
    if let Some(v) = get("GIT_NOTION_MODE") {
        let mut hooks = toml::Table::new();
        hooks.insert("mode".into(), v.into());
        t.insert("hooks".into(), hooks.into());
    }
    if let Some(v) = get("GIT_NOTION_TITLE_POLICY") {
        let mut title = toml::Table::new();
        title.insert("policy".into(), v.into());
        t.insert("title".into(), title.into());
    }
    if let Some(v) = get("GIT_NOTION_API_VERSION") {
        let mut api = toml::Table::new();
        api.insert("version".into(), v.into());
        t.insert("api".into(), api.into());
    }
    t
}

/// The merged layers do not make a configuration: each layer is parsed alone (only now: it costs a parse
/// per file on every hook), so that the error points into the file it comes from, with line and column.
fn where_wrong(layers: &[Layer], merged: toml::de::Error) -> ConfigError {
    for layer in layers {
        if let Err(e) = toml::from_str::<Config>(&layer.text) {
            return ConfigError::Toml {
                origin: layer.origin.clone(),
                message: scrub(e.to_string().trim_end()),
            };
        }
    }
    ConfigError::Toml {
        origin: "environment (GIT_NOTION_*)".into(),
        message: merged.to_string(),
    }
}

impl Config {
    /// Parses and validates layers (lowest first) and the environment into one config.
    pub fn from_layers(layers: &[Layer], env: &Env) -> Result<Config, ConfigError> {
        Self::from_sources(layers, env, &Overrides::default())
    }

    /// [`Config::from_layers`] with the command line's settings on top.
    pub fn from_sources(
        layers: &[Layer],
        env: &Env,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut merged = toml::Table::new();
        for layer in layers {
            let toml_error = |e: toml::de::Error| ConfigError::Toml {
                origin: layer.origin.clone(),
                message: scrub(e.to_string().trim_end()),
            };
            // Secrets first, so that no later message can quote one.
            let table: toml::Table = toml::from_str(&layer.text).map_err(toml_error)?;
            check_secrets(&layer.origin, &table, "")?;
            merge(&mut merged, table);
        }
        // The environment and command-line flags too: a token pasted into GIT_NOTION_DATABASE or
        // --database is refused without being echoed.
        let mut env_table = env_layer(env);
        check_secrets("environment (GIT_NOTION_*)", &env_table, "")?;
        let mut flags = overrides.table();
        check_secrets("command line", &flags, "")?;
        // With `[[databases]]`, a database named on the command line or in the environment picks one of
        // them rather than adding one.
        let pick = databases::pick(&merged, &mut env_table, &mut flags);
        merge(&mut merged, env_table);
        merge(&mut merged, flags);
        let mut config: Config = merged
            .clone()
            .try_into()
            .map_err(|e| where_wrong(layers, e))?;
        config.checked()?;
        if !config.tables.is_empty() {
            config.each = databases::each(&config, merged)?;
            databases::route(&mut config)?;
            if let Some((origin, value)) = pick {
                databases::keep_picked(&mut config, &origin, &value)?;
            }
        }
        Ok(config)
    }

    /// Checks a configuration of one database (its patterns compiled, its numbers, people and database id).
    fn checked(&mut self) -> Result<(), ConfigError> {
        self.compiled = Compiled(Some(self.patterns("configuration")?));
        self.check_numbers()?;
        self.check_people()?;
        if let Some(db) = &self.database {
            database_id(db).ok_or_else(|| ConfigError::BadDatabase {
                origin: "configuration".into(),
                value: db.clone(),
            })?;
        }
        Ok(())
    }

    /// Every database this configuration writes to, each a whole configuration of one database: the
    /// top-level `database` (if any) first, then each `[[databases]]` table over the shared settings.
    pub fn databases(&self) -> Vec<&Config> {
        if self.each.is_empty() {
            vec![self]
        } else {
            self.each.iter().collect()
        }
    }

    /// The database's place among every configured one (0 for the first, and for one database alone).
    pub fn position(&self) -> usize {
        self.compiled
            .0
            .as_ref()
            .and_then(|p| p.database)
            .unwrap_or(0)
    }

    /// The places of the databases in use (see [`Config::position`]).
    pub fn positions(&self) -> Vec<usize> {
        self.databases().iter().map(|c| c.position()).collect()
    }

    /// Whether it writes to several databases (`[[databases]]`).
    pub fn several(&self) -> bool {
        self.each.len() > 1
    }

    /// The database's name for messages and JSON: `name`, else its id as written (None: not configured).
    pub fn label(&self) -> Option<String> {
        self.name.clone().or_else(|| self.database.clone())
    }

    /// Every number is finite and in its range (a `Duration` built from `-1`, `nan`, `inf` or `1e300`
    /// would panic later, in a hook).
    fn check_numbers(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, f64, f64, f64); 8] = [
            (
                "tickets.max_keys_per_commit",
                self.tickets.max_keys_per_commit as f64,
                1.0,
                100_000.0,
            ),
            (
                "tickets.max_key_length",
                self.tickets.max_key_length as f64,
                8.0,
                10_000.0,
            ),
            (
                "api.requests_per_second",
                self.api.requests_per_second,
                0.01,
                1000.0,
            ),
            ("api.burst", f64::from(self.api.burst), 1.0, 1000.0),
            (
                "api.max_retries",
                f64::from(self.api.max_retries),
                0.0,
                100.0,
            ),
            ("api.timeout_secs", self.api.timeout_secs, 0.1, 3600.0),
            ("api.window_secs", self.api.window_secs, 1.0, 3600.0),
            ("hooks.budget_secs", self.hooks.budget_secs, 0.0, 600.0),
        ];
        for (key, value, min, max) in checks {
            if !(value.is_finite() && value >= min && value <= max) {
                return Err(ConfigError::OutOfRange {
                    key,
                    value: value.to_string(),
                    min,
                    max,
                });
            }
        }
        Ok(())
    }

    /// `[people]`: each value a Notion user id; emails kept lowercase (git and Notion may differ in case).
    fn check_people(&mut self) -> Result<(), ConfigError> {
        let mut people = BTreeMap::new();
        for (email, id) in &self.people {
            let Some(id) = crate::id::normalize(id) else {
                return Err(ConfigError::BadUserId {
                    email: email.clone(),
                    value: id.clone(),
                });
            };
            people.insert(email.trim().to_lowercase(), id);
        }
        self.people = people;
        Ok(())
    }

    /// Loads the user config (platform config dir), the repository's `.git-notion.toml` and the
    /// environment's `GIT_NOTION_*` settings.
    pub fn load(
        repo_root: &Path,
        user_config: Option<&Path>,
        env: &Env,
    ) -> Result<Config, ConfigError> {
        Self::load_overridden(repo_root, user_config, env, &Overrides::default())
    }

    /// [`Config::load`] with the command line's settings on top.
    pub fn load_overridden(
        repo_root: &Path,
        user_config: Option<&Path>,
        env: &Env,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut layers = vec![];
        if let Some(p) = user_config {
            layers.extend(Layer::file(p)?);
        }
        layers.extend(Layer::file(&repo_root.join(FILE_NAME))?);
        Self::from_sources(&layers, env, overrides)
    }

    /// The compiled ticket patterns (compiled on load; compiled here for a config built by hand).
    pub fn patterns(&self, origin: &str) -> Result<Patterns, ConfigError> {
        if let Compiled(Some(x)) = &self.compiled {
            return Ok(x.clone());
        }
        let bad = |e: PatternError| ConfigError::BadPattern {
            origin: origin.into(),
            pattern: e.pattern,
            error: e.error.to_string(),
        };
        let compile = |list: &[String]| {
            list.iter()
                .map(|p| {
                    regex::Regex::new(p).map_err(|error| PatternError {
                        pattern: p.clone(),
                        error,
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let ignore_patterns = compile(&self.tickets.ignore_patterns).map_err(bad)?;
        let branch_patterns = compile(&self.branches.patterns).map_err(bad)?;
        let create_patterns = compile(&self.create.patterns).map_err(bad)?;
        Patterns::compile(&self.tickets.patterns, &self.tickets.id_prefixes)
            .map(|p| Patterns {
                max_keys: self.tickets.max_keys_per_commit,
                max_key_length: self.tickets.max_key_length,
                ignore: self.tickets.ignore.clone(),
                ignore_patterns,
                branch_patterns,
                create_patterns,
                ..p
            })
            .map_err(bad)
    }
}

/// The dashed id in a database URL or id (the last 32 hex digits of the path), if any.
pub fn database_id(value: &str) -> Option<String> {
    let path = value.split(['?', '#']).next().unwrap_or(value);
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path);
    // Exactly one id ends the segment: 32 hex digits after the last dash (`Title-<id>`, or the id
    // alone), or the dashed form 8-4-4-4-12. A 33rd digit makes it no id at all (never a guess).
    let groups: Vec<&str> = last.split('-').collect();
    let hex = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_hexdigit());
    let n = groups.len();
    if n >= 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&groups[n - 5..])
            .all(|(len, g)| hex(g, *len))
    {
        return crate::id::normalize(&groups[n - 5..].concat());
    }
    groups
        .last()
        .filter(|g| hex(g, 32))
        .and_then(|g| crate::id::normalize(g))
}

/// The integration token. Its Debug and Display never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// The variables a token is read from, in order.
pub const TOKEN_VARIABLES: [&str; 3] = ["NOTION_TOKEN", "NOTION_API_KEY", "NOTION_API_TOKEN"];

impl Token {
    /// The token for an Authorization header. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads the first of `NOTION_TOKEN`, `NOTION_API_KEY`, `NOTION_API_TOKEN` that is set and not empty
    /// (an empty one falls through to the next), trimmed. One with a character no token has inside it (a
    /// line break, a space, a control character) is [`ConfigError::MalformedToken`], named, never shown.
    pub fn from_env(env: &Env) -> Result<Token, ConfigError> {
        for name in TOKEN_VARIABLES {
            let Some(v) = env.get(name) else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            if let Some((i, c)) = v
                .chars()
                .enumerate()
                .find(|(_, c)| c.is_whitespace() || c.is_control() || !c.is_ascii())
            {
                let what = match c {
                    '\n' | '\r' => "a line break",
                    c if c.is_whitespace() => "a space",
                    c if c.is_control() => "a control character",
                    _ => "a character that is not ASCII",
                };
                return Err(ConfigError::MalformedToken {
                    variable: name,
                    what,
                    at: i + 1,
                });
            }
            return Ok(Token(v.to_string()));
        }
        Err(ConfigError::MissingToken)
    }

    /// Replaces every occurrence of the token in a text (for errors and logs).
    /// `text` with the token replaced. A "token" of a few characters that is not shaped like Notion's (a
    /// placeholder such as `x`) is left alone: replacing every `x` in a message protects nothing.
    pub fn redact(&self, text: &str) -> String {
        let shaped = self.0.starts_with("ntn_") || self.0.starts_with("secret_");
        if self.0.is_empty() || (!shaped && self.0.chars().count() < 8) {
            text.to_string()
        } else {
            text.replace(&self.0, "<redacted>")
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The API base URL: `GIT_NOTION_API_URL` or Notion's. Plain http only to loopback.
pub fn api_url(env: &Env) -> Result<String, ConfigError> {
    let Some(url) = env.value("GIT_NOTION_API_URL") else {
        return Ok("https://api.notion.com".to_string());
    };
    let url = url.trim_end_matches('/').to_string();
    match url_host(&url) {
        Some((scheme, host))
            if scheme == "https" || (scheme == "http" && is_loopback_host(&host)) =>
        {
            Ok(url)
        }
        _ => Err(ConfigError::InsecureApiUrl { url }),
    }
}

/// The scheme and host of an absolute URL, parsed as a URI (`http::Uri`); None for a URL that does not
/// parse, has no host, or carries user info (`http://127.0.0.1:1@example.com` names example.com).
fn url_host(url: &str) -> Option<(String, String)> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Some((
        uri.scheme_str()?.to_ascii_lowercase(),
        authority.host().to_ascii_lowercase(),
    ))
}

/// Whether a host is this machine: `localhost`, an IPv4 address in 127.0.0.0/8 written in full
/// (`127.1`, `2130706433` and `0x7f.1` are not addresses to the standard parser, so they are not), or
/// `::1`. Names that only start like one (`localhost.evil.com`, `127.0.0.1.nip.io`) are not.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
        || host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether an API URL points at this machine (its traffic then bypasses any proxy).
pub fn is_loopback_url(url: &str) -> bool {
    url_host(url).is_some_and(|(_, host)| is_loopback_host(&host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Layer {
        Layer {
            origin: ".git-notion.toml".into(),
            text: text.into(),
        }
    }

    fn load(texts: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let layers: Vec<Layer> = texts.iter().map(|t| layer(t)).collect();
        Config::from_layers(&layers, &Env::from_pairs(env.iter().copied()))
    }

    #[test]
    fn the_seed_teams_config() {
        let c = load(
            &[r#"
database = "https://www.notion.so/acme/2845c4eb952681828ccf000b14d4c431"
[properties]
title = "标题"
status = "状态"
date = "日期"
[status]
on_commit = "进行中"
on_merge = "完成"
types = { feat = "完成", fix = "完成" }
[title]
policy = "always"
"#],
            &[],
        )
        .unwrap();
        assert_eq!(c.properties.title.as_deref(), Some("标题"));
        assert_eq!(c.title.policy, TitlePolicy::Always);
        assert_eq!(c.tickets.patterns, [DEFAULT_PATTERN]);
        assert_eq!(c.status.release_branches, ["main", "master"]);
        assert_eq!(c.status.types["feat"], "完成");
        assert_eq!(
            database_id(c.database.as_deref().unwrap()).unwrap(),
            "2845c4eb-9526-8182-8ccf-000b14d4c431"
        );
    }

    #[test]
    fn layers_override_and_environment_wins() {
        let c = load(
            &[
                "database = \"2845c4eb952681828ccf000b14d4c431\"\n[properties]\ntitle = \"Name\"\n",
                "[properties]\nstatus = \"Status\"\n",
            ],
            &[("GIT_NOTION_TITLE_POLICY", "never")],
        )
        .unwrap();
        assert_eq!(c.properties.title.as_deref(), Some("Name"));
        assert_eq!(c.properties.status.as_deref(), Some("Status"));
        assert_eq!(c.title.policy, TitlePolicy::Never);
    }

    #[test]
    fn toml_errors_have_line_and_column() {
        let e = load(&["database = \"x\"\n[properties\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with(".git-notion.toml: "), "{e}");
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn unknown_keys_are_reported_with_the_expected_ones() {
        let e = load(&["[properties]\ntitel = \"标题\"\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("titel") && e.contains("title") && e.contains("line 2"),
            "{e}"
        );
        let e = load(&["[title]\npolicy = \"sometimes\"\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sometimes") && e.contains("fill-placeholder"),
            "{e}"
        );
    }

    #[test]
    fn bad_patterns_fail_at_load_with_the_pattern() {
        let e = load(&["[tickets]\npatterns = ['#(\\d+']\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("#(\\\\d+") || e.contains("#(\\d+"), "{e}");
        assert!(e.contains("does not compile"), "{e}");
    }

    #[test]
    fn secrets_in_files_are_refused_without_echoing_them() {
        let e = load(&["token = \"ntn_abc123\"\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("NOTION_TOKEN") && e.contains("`token`"), "{e}");
        assert!(!e.contains("ntn_abc123"), "{e}");
        let e = load(&["[properties]\ntitle = \"secret_zzz\"\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("secret_zzz") && e.contains("properties.title"),
            "{e}"
        );
        assert!(load(&["[notion]\napi_key = \"x\"\n"], &[]).is_err());
        // A syntax error on a line holding a token does not quote the token.
        let e = load(&["database = ntn_abc123\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && !e.contains("ntn_abc123"), "{e}");
    }

    #[test]
    fn bad_database_values() {
        let e = load(&["database = \"my tickets\"\n"], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a Notion database URL or id"), "{e}");
        assert_eq!(
            database_id("2845c4eb-9526-8182-8ccf-000b14d4c431").unwrap(),
            "2845c4eb-9526-8182-8ccf-000b14d4c431"
        );
        assert_eq!(
            database_id(
                "https://www.notion.so/acme/Tickets-2845c4eb952681828ccf000b14d4c431?v=123abc"
            )
            .unwrap(),
            "2845c4eb-9526-8182-8ccf-000b14d4c431"
        );
    }

    #[test]
    fn token_from_environment_and_redaction() {
        let env = |pairs: &[(&str, &str)]| Env::from_pairs(pairs.iter().copied());
        assert!(matches!(
            Token::from_env(&env(&[])),
            Err(ConfigError::MissingToken)
        ));
        assert!(matches!(
            Token::from_env(&env(&[("NOTION_TOKEN", " ")])),
            Err(ConfigError::MissingToken)
        ));
        let t = Token::from_env(&env(&[
            ("NOTION_API_TOKEN", "ntn_b"),
            ("NOTION_API_KEY", "ntn_a"),
        ]))
        .unwrap();
        assert_eq!(t.expose(), "ntn_a");
        assert_eq!(format!("{t} {t:?}"), "<redacted> Token(<redacted>)");
        assert_eq!(t.redact("Bearer ntn_a failed"), "Bearer <redacted> failed");
    }

    #[test]
    fn api_url_override_is_loopback_only_for_http() {
        let env = |v: &str| Env::from_pairs([("GIT_NOTION_API_URL", v)]);
        assert_eq!(api_url(&Env::default()).unwrap(), "https://api.notion.com");
        assert_eq!(
            api_url(&env("http://127.0.0.1:8787/")).unwrap(),
            "http://127.0.0.1:8787"
        );
        assert!(api_url(&env("http://localhost:8787")).is_ok());
        assert!(api_url(&env("http://[::1]:8787")).is_ok());
        assert!(api_url(&env("https://proxy.example.com")).is_ok());
        assert!(matches!(
            api_url(&env("http://10.0.0.5:8787")),
            Err(ConfigError::InsecureApiUrl { .. })
        ));
        assert!(matches!(
            api_url(&env("http://localhost.evil.com")),
            Err(ConfigError::InsecureApiUrl { .. })
        ));
        for refused in [
            "http://127.0.0.1.nip.io",
            "http://127.1",
            "http://2130706433",
            "http://0x7f.1",
            "http://127.0.0.1:1@example.invalid",
            "http://localhost:1@example.invalid",
            "http://[::1]@example.invalid",
            "https://user:pw@api.notion.com",
            "ftp://127.0.0.1",
            "127.0.0.1:8787",
            "http://localhost.",
            "http://127.0.0.1.",
            "http://xn--nxasmq6b.example",
            "http://例え.テスト",
            "http://[::ffff:7f00:1]@evil.example",
        ] {
            assert!(
                matches!(
                    api_url(&env(refused)),
                    Err(ConfigError::InsecureApiUrl { .. })
                ),
                "{refused}"
            );
        }
    }

    #[test]
    fn secrets_are_found_in_arrays_substrings_and_the_environment() {
        let token = "ntn_4f1c2b8e9d7a6035c1e2f3a4b5c6d7e8f9a0b1c2";
        let secret = "secret_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv1";
        for text in [
            format!("[status]\nrelease_branches = [\"main\", \"{token}\"]\n"),
            format!("[tickets]\npatterns = [\"{secret}\"]\n"),
            format!("[status]\nclosing_keywords = [\"fixes\", \"{secret}\"]\n"),
            format!("commit_url_template = \"https://git.example.com/c/{{sha}}?k={token}\"\n"),
        ] {
            let e = Config::from_layers(&[layer(&text)], &Env::default())
                .unwrap_err()
                .to_string();
            assert!(e.contains("looks like a secret"), "{text}: {e}");
            assert!(
                !e.contains(&token[4..]) && !e.contains(&secret[7..]),
                "echoed: {e}"
            );
        }
        for (var, value) in [
            ("GIT_NOTION_DATABASE", token),
            ("GIT_NOTION_DATABASE", secret),
        ] {
            let env = Env::from_pairs([(var, value)]);
            let e = Config::from_layers(&[], &env).unwrap_err().to_string();
            assert!(e.contains("looks like a secret"), "{e}");
            assert!(!e.contains(&value[4..]), "echoed: {e}");
            // The same pasted into `--database`.
            let flags = Overrides {
                database: Some(value.to_string()),
                ..Overrides::default()
            };
            let e = Config::from_sources(&[], &Env::default(), &flags)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("command line") && e.contains("looks like a secret"),
                "{e}"
            );
            assert!(!e.contains(&value[4..]), "echoed: {e}");
        }
        // Words that only contain the prefix are fine.
        let ok = "database = \"2845c4eb952681828ccf000b14d4c431\"\n[status]\nrelease_branches = [\"my_secret_branch\", \"release/secret_santa_2025_edition\"]\n";
        assert!(Config::from_layers(&[layer(ok)], &Env::default()).is_ok());
    }

    #[test]
    fn database_ids_are_exactly_32_hex_digits() {
        let id = "2845c4eb-9526-8182-8ccf-000b14d4c431";
        for ok in [
            "2845c4eb952681828ccf000b14d4c431",
            "2845c4eb-9526-8182-8ccf-000b14d4c431",
            "https://www.notion.so/acme/2845c4eb952681828ccf000b14d4c431",
            "https://www.notion.so/acme/Tickets-2845c4eb952681828ccf000b14d4c431?v=abc",
            "https://www.notion.so/acme/Cafe-2845c4eb952681828ccf000b14d4c431",
            "https://www.notion.so/2845c4eb-9526-8182-8ccf-000b14d4c431",
        ] {
            assert_eq!(database_id(ok).as_deref(), Some(id), "{ok}");
        }
        for bad in [
            "02845c4eb952681828ccf000b14d4c431",
            "2845c4eb952681828ccf000b14d4c4310",
            "https://www.notion.so/acme/Tickets-2845c4eb952681828ccf000b14d4c43",
            "ntn_whatever",
        ] {
            assert_eq!(database_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_out_of_range_are_refused_on_load() {
        for (section, key, value) in [
            ("api", "timeout_secs", "-1"),
            ("api", "timeout_secs", "nan"),
            ("api", "timeout_secs", "inf"),
            ("api", "timeout_secs", "1e300"),
            ("api", "requests_per_second", "1e-300"),
            ("api", "requests_per_second", "0"),
            ("api", "burst", "0"),
            ("hooks", "budget_secs", "inf"),
            ("hooks", "budget_secs", "-0.5"),
        ] {
            let text = format!(
                "database = \"2845c4eb952681828ccf000b14d4c431\"\n[{section}]\n{key} = {value}\n"
            );
            let e = Config::from_layers(&[layer(&text)], &Env::default()).unwrap_err();
            assert!(
                e.to_string().contains(&format!("{section}.{key}")),
                "{section}.{key} = {value}: {e}"
            );
        }
        let ok = "database = \"2845c4eb952681828ccf000b14d4c431\"\n[api]\ntimeout_secs = 60\n";
        assert!(Config::from_layers(&[layer(ok)], &Env::default()).is_ok());
    }

    #[test]
    fn one_loopback_rule_for_urls_and_the_proxy_bypass() {
        for yes in [
            "http://127.0.0.1:8787",
            "http://127.5.6.7",
            "http://localhost:1",
            "http://[::1]:8787",
            "https://LOCALHOST",
        ] {
            assert!(is_loopback_url(yes), "{yes}");
        }
        for no in [
            "https://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "http://127.1",
            "https://api.notion.com",
            "http://127.0.0.1:1@example.invalid",
            "not a url",
        ] {
            assert!(!is_loopback_url(no), "{no}");
        }
    }
}
