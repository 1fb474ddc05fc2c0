//! `git notion doctor`: every check the seed runbooks did by hand with curl, each with ✓/✗ and the fix.
//! Checks go on after a failure wherever they still can, so one run shows every problem.

use serde::Serialize;
use serde_json::json;

use crate::config::{self, Config, Token};
use crate::git::Repo;
use crate::hooks::install::{Hooks, State};
use crate::hooks::outbox::Outbox;
use crate::notion::client::{ApiError, Client};
use crate::notion::schema::{self, Binding, Kind, Schema, SchemaError};
use crate::notion::values;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Worth knowing, not broken.
    Warn,
    Fail,
    /// Not checked because an earlier check failed.
    Skip,
}

impl Level {
    pub fn mark(self) -> &'static str {
        match self {
            Level::Ok => "✓",
            Level::Warn => "!",
            Level::Fail => "✗",
            Level::Skip => "-",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Level,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    fn push(&mut self, name: &str, status: Level, detail: impl Into<String>, fix: Option<String>) {
        self.checks.push(Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix,
        });
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

    pub fn json(&self) -> serde_json::Value {
        json!(self)
    }
}

/// Runs every check. `config` is the loaded configuration, or the error loading it gave.
pub fn run(
    repo: Option<&Repo>,
    config: Result<Config, config::ConfigError>,
    env: &[(String, String)],
) -> Report {
    let mut r = Report::default();
    let config = match config {
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
                    "fix the regex in [tickets] patterns (whole match = the key as titles write it, e.g. \"#([0-9]+)\")"
                }
                config::ConfigError::SecretInFile { .. } => {
                    "remove the token from the file and export NOTION_TOKEN instead"
                }
                _ => "correct .git-notion.toml as the message says (`git notion init` writes a fresh one)",
            };
            r.fail("configuration", e.to_string(), fix);
            None
        }
    };

    let client = api_checks(&mut r, config.as_ref(), env);
    let binding = match (&client, &config) {
        (Some(client), Some(config)) => schema_checks(&mut r, client, config),
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
    if let (Some(client), Some(config), Some(binding)) = (&client, &config, &binding) {
        let row = key_check(&mut r, client, config, binding);
        comments_check(&mut r, client, config, row.as_deref());
    }
    match repo {
        Some(repo) => {
            hook_check(&mut r, repo);
            outbox_check(&mut r, repo);
        }
        None => {
            r.skip("hooks", "not inside a git repository");
            r.skip("outbox", "not inside a git repository");
        }
    }
    r.ok = !r.checks.iter().any(|c| c.status == Level::Fail);
    r
}

/// Token present, API URL acceptable, Notion reachable and the token accepted. The client, if all pass.
fn api_checks(r: &mut Report, config: Option<&Config>, env: &[(String, String)]) -> Option<Client> {
    let token = match Token::from_env(env) {
        Ok(t) => {
            r.ok("token", "set in the environment (not shown)");
            Some(t)
        }
        Err(e) => {
            r.fail(
                "token",
                e.to_string(),
                "export NOTION_TOKEN=<your integration's secret> (https://www.notion.so/my-integrations); never in a file",
            );
            None
        }
    };
    let base = match config::api_url(env) {
        Ok(b) => Some(b),
        Err(e) => {
            r.fail(
                "API",
                e.to_string(),
                "unset GIT_NOTION_API_URL for Notion itself, or use https",
            );
            None
        }
    };
    let (Some(token), Some(base)) = (token, base) else {
        r.skip("API", "no token or no usable API URL");
        return None;
    };
    let mut options = config
        .map(|c| crate::notion::client::Options::from_config(&c.api))
        .unwrap_or_default();
    // A diagnosis should answer quickly rather than retry for a minute.
    options.max_retries = options.max_retries.min(1);
    options.timeout = options.timeout.min(std::time::Duration::from_secs(10));
    let client = Client::new(&base, token, options);
    match client.get("check the token", "/v1/users/me") {
        Ok(me) => {
            let name = me["name"].as_str().unwrap_or("(unnamed)");
            r.ok("API", format!("{base} reachable"));
            r.ok("token accepted", format!("integration {name:?}"));
            Some(client)
        }
        Err(e @ ApiError::Unauthorized { .. }) => {
            r.ok("API", format!("{base} reachable"));
            r.fail(
                "token accepted",
                e.to_string(),
                "copy the Internal Integration Secret again from https://www.notion.so/my-integrations and export NOTION_TOKEN",
            );
            None
        }
        Err(e) => {
            r.fail(
                "API",
                e.to_string(),
                "check the network, proxy and GIT_NOTION_API_URL; https://status.notion.so for Notion's side",
            );
            r.skip("token accepted", "Notion was not reached");
            None
        }
    }
}

/// The database shared and its data source resolved; every configured property and status checked.
fn schema_checks(r: &mut Report, client: &Client, config: &Config) -> Option<Binding> {
    let schema = match Schema::resolve(client, config) {
        Ok(s) => {
            r.ok(
                "database",
                format!(
                    "shared with the integration; data source {:?} ({})",
                    s.name, s.data_source_id
                ),
            );
            s
        }
        Err(e) => {
            let fix = match &e {
                SchemaError::NoDatabase => {
                    "run `git notion init --database <Notion database URL>`, or set database in .git-notion.toml"
                        .to_string()
                }
                SchemaError::Api(ApiError::NotFound { .. }) => {
                    "in Notion open the database, ••• → Connections → add your integration; check the id in .git-notion.toml"
                        .to_string()
                }
                SchemaError::SeveralDataSources { .. } | SchemaError::NoSuchDataSource { .. } => {
                    "set data_source = \"<name or id>\" in .git-notion.toml to one of those listed".to_string()
                }
                _ => "see the message".to_string(),
            };
            r.fail("database", e.to_string(), fix);
            r.skip("properties", "the data source was not resolved");
            r.skip("ticket keys", "the data source was not resolved");
            return None;
        }
    };
    let (binding, problems) = match Binding::check(&schema, config) {
        Ok(b) => (Some(b), vec![]),
        Err(p) => (None, p),
    };
    let mut items: Vec<(String, String, Option<String>)> = vec![];
    let props = &config.properties;
    let title = props
        .title
        .clone()
        .or_else(|| schema.title_property().map(|p| p.name.clone()));
    for (key, value) in [
        ("properties.title", title),
        ("properties.status", props.status.clone()),
        ("properties.date", props.date.clone()),
        ("properties.commit_url", props.commit_url.clone()),
        (
            "tickets.lookup.property",
            config.tickets.lookup.as_ref().map(|l| l.property.clone()),
        ),
    ] {
        if let Some(v) = value {
            let kind = schema.property(&v).map(|p| p.kind.to_string());
            items.push((key.to_string(), v, kind));
        }
    }
    if !config.tickets.id_prefixes.is_empty() {
        let uid = schema.properties.iter().find(|p| p.kind == Kind::UniqueId);
        items.push((
            "tickets.id_prefixes".into(),
            config.tickets.id_prefixes.join(", "),
            uid.map(|p| format!("unique_id {:?}", p.name)),
        ));
    }
    for (key, value) in schema::configured_statuses(config) {
        items.push((key, value, Some("option".into())));
    }
    for (key, value, kind) in items {
        match problems.iter().find(|p| p.key() == Some(key.as_str())) {
            Some(p) => {
                let fix = match p {
                    SchemaError::UnknownProperty { .. } | SchemaError::WrongType { .. } => {
                        format!("set {key} to one of the properties listed (a renamed property must be renamed here too)")
                    }
                    SchemaError::UnknownOption { .. } => {
                        format!(
                            "set {key} to one of the options listed, or add the option in Notion"
                        )
                    }
                    SchemaError::NoStatusProperty { .. } => {
                        "set [properties] status to the status property's name".to_string()
                    }
                    _ => "see the message".to_string(),
                };
                r.fail(&key, p.to_string(), fix);
            }
            None => r.ok(
                &key,
                match kind {
                    Some(k) => format!("{value:?} ({k})"),
                    None => format!("{value:?}"),
                },
            ),
        }
    }
    // Problems not tied to a listed key (none today, but never hide one).
    for p in problems.iter().filter(|p| p.key().is_none()) {
        r.fail("properties", p.to_string(), "see the message");
    }
    if binding.is_none() {
        r.skip("ticket keys", "the properties do not match the schema");
    }
    binding
}

/// Comments (`#comment` commands, and reverts unless `on_revert = "ignore"`) need their own capabilities,
/// *Read comments* and *Insert comments* (developers.notion.com/reference/capabilities). Reading is
/// probed with one GET on a row; inserting cannot be probed without posting a comment, so it is named in
/// the fix only.
fn comments_check(r: &mut Report, client: &Client, config: &Config, row: Option<&str>) {
    let Some(row) = row else {
        r.skip("comments", "no row to try reading comments on");
        return;
    };
    let fix = "enable Read comments and Insert comments at https://www.notion.so/my-integrations (Capabilities); until then `#comment` commands and revert comments stay pending (the status still moves)";
    match client.get(
        "read a page's comments",
        &format!("/v1/comments?block_id={row}&page_size=1"),
    ) {
        Ok(_) => r.ok(
            "comments",
            "the integration may read comments (Insert comments is used when a commit asks for a comment)",
        ),
        Err(e @ ApiError::Forbidden { .. }) => {
            // Without revert comments, only explicit `#comment` commands need them: worth knowing.
            let level = if config.status.on_revert == crate::config::OnRevert::Ignore {
                Level::Warn
            } else {
                Level::Fail
            };
            r.push("comments", level, e.to_string(), Some(fix.into()));
        }
        Err(e) => r.fail("comments", e.to_string(), "see the message"),
    }
}

/// The ticket patterns match keys in existing rows (the first 100): otherwise no commit will ever find
/// its page. Returns a row's id (for the comments probe).
fn key_check(
    r: &mut Report,
    client: &Client,
    config: &Config,
    binding: &Binding,
) -> Option<String> {
    let Ok(extractor) = crate::rules::tickets::Extractor::of(config) else {
        return None;
    };
    let mut ids = vec![binding.lookup.id.as_str()];
    if let Some(u) = &binding.unique_id {
        ids.push(u.id.as_str());
    }
    let rows = match crate::pipeline::lookup::recent_rows(client, &binding.data_source_id, &ids) {
        Ok(rows) => rows,
        Err(e) => {
            r.fail(
                "ticket keys",
                e.to_string(),
                "run `git notion doctor` again; the integration needs the read content capability",
            );
            return None;
        }
    };
    if rows.is_empty() {
        r.push(
            "ticket keys",
            Level::Warn,
            "the data source has no rows yet, so the patterns could not be tried",
            None,
        );
        return None;
    }
    let uses_unique =
        !config.tickets.id_prefixes.is_empty() || binding.lookup.kind == Kind::UniqueId;
    let mut examples = vec![];
    let mut matched = 0;
    for row in &rows {
        // The same rules as the lookups: a title belongs to its first key, a text property to any.
        let text = values::read(&row["properties"], &binding.lookup);
        let key = match binding.lookup.kind {
            Kind::Title => extractor.title_key(&text).map(|k| k.to_string()),
            Kind::RichText => extractor
                .extract(&text)
                .into_iter()
                .find(|k| matches!(k, crate::rules::tickets::TicketKey::Token(_)))
                .map(|k| k.to_string()),
            _ => None,
        };
        let key = key.or_else(|| {
            let p = if uses_unique {
                binding.unique_id.as_ref()
            } else {
                None
            }?;
            let text = values::read(&row["properties"], p);
            (!text.is_empty()).then_some(text)
        });
        if let Some(k) = key {
            matched += 1;
            if examples.len() < 3 {
                examples.push(k);
            }
        }
    }
    let what = if uses_unique {
        format!("{} rows", rows.len())
    } else {
        format!(
            "{} {}s",
            rows.len(),
            binding.lookup.kind.as_str().replace('_', " ")
        )
    };
    if matched == 0 {
        let titles: Vec<String> = rows
            .iter()
            .take(3)
            .map(|row| format!("{:?}", values::read(&row["properties"], &binding.lookup)))
            .collect();
        r.fail(
            "ticket keys",
            format!(
                "none of the last {what} carries a key the patterns {:?} find (e.g. {})",
                config.tickets.patterns,
                titles.join(", ")
            ),
            "set [tickets] patterns to how your titles write keys (e.g. \"TASK-[0-9]+\"), or id_prefixes for a unique ID property; `git notion init` guesses both",
        );
    } else {
        r.ok(
            "ticket keys",
            format!(
                "{matched} of the last {what} carry a key (e.g. {})",
                examples.join(", ")
            ),
        );
    }
    rows.first()
        .and_then(|row| row["id"].as_str())
        .map(String::from)
}

fn hook_check(r: &mut Report, repo: &Repo) {
    use crate::hooks::install::Coverage;
    let hooks = Hooks::of(repo);
    let states = hooks.states();
    let describe = |list: &[&(&str, State)]| -> String {
        let mut groups: Vec<(String, Vec<&str>)> = vec![];
        for (n, s) in list {
            let d = s.describe();
            match groups.iter_mut().find(|(g, _)| *g == d) {
                Some((_, names)) => names.push(n),
                None => groups.push((d, vec![n])),
            }
        }
        groups
            .iter()
            .map(|(d, names)| format!("{}: {d}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let all: Vec<&(&str, State)> = states.iter().collect();
    let missing = match hooks.coverage() {
        Coverage::Every => {
            r.ok(
                "hooks",
                format!(
                    "every branch move is seen ({} in {})",
                    describe(&all),
                    hooks.dir.display()
                ),
            );
            return;
        }
        Coverage::PostHooks => {
            r.ok(
                "hooks",
                format!(
                    "commits, merges and rewrites made here are seen ({}; in {}); a fast-forward that no \
                     merge made (`pull --rebase`, `reset`, a fetch) reaches Notion through the next \
                     replay or the CI reconcile: git 2.28's reference-transaction hook sees those too",
                    describe(&all),
                    hooks.dir.display()
                ),
            );
            return;
        }
        Coverage::Missing(m) => m,
    };
    let managed = states.iter().find_map(|(_, s)| match s {
        State::Managed { manager, .. } => Some(*manager),
        _ => None,
    });
    let fix = match managed {
        Some(m) => format!(
            "add git-notion to {}'s configuration:\n{}",
            m.name(),
            m.snippet()
        ),
        None => "run `git notion hooks install` here (or ./install.sh from this repository)".into(),
    };
    r.fail(
        "hooks",
        format!(
            "git-notion does not run from {} ({}; in {})",
            missing.join(", "),
            describe(&all),
            hooks.dir.display()
        ),
        fix,
    );
}

fn outbox_check(r: &mut Report, repo: &Repo) {
    let ob = Outbox::new(repo.common_dir());
    if let Err(e) = ob.writable() {
        r.fail(
            "outbox",
            format!("the hooks cannot queue updates: {e}"),
            "make the directory writable (or free disk space); then `git notion-replay --apply` brings \
             the tickets of commits made meanwhile up to date",
        );
        return;
    }
    let (pending, failed) = match ob.lock().and_then(|g| Ok((g.pending()?, g.failed()?))) {
        Ok(x) => x,
        Err(e) => {
            r.fail(
                "outbox",
                e.to_string(),
                "see `git notion status`; a damaged file is set aside and can be deleted after review",
            );
            return;
        }
    };
    let damaged = ob.damaged();
    if !failed.is_empty() || !damaged.is_empty() {
        let mut detail = format!(
            "{} failed update(s), {} damaged file(s)",
            failed.len(),
            damaged.len()
        );
        for f in failed.iter().take(5) {
            detail.push_str(&format!(
                "\n      {} {}: {}",
                f.key,
                &f.event.commit.id[..12.min(f.event.commit.id.len())],
                f.reason
            ));
        }
        for d in &damaged {
            detail.push_str(&format!("\n      damaged: {}", d.display()));
        }
        r.fail(
            "outbox",
            detail,
            "fix the cause, then `git notion retry` (or `git notion clear`); delete damaged files after review",
        );
    } else if !pending.events.is_empty() {
        r.push(
            "outbox",
            Level::Warn,
            format!(
                "{} update(s) waiting to be delivered (`git notion status`)",
                pending.events.len()
            ),
            Some("`git notion flush` delivers them now".into()),
        );
    } else {
        r.ok("outbox", "empty");
    }
}
