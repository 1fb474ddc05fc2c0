//! The checks that talk to Notion: the token and the API, the database and its schema, the comment
//! capabilities, the ticket patterns against real rows.

use super::*;

/// Token present, API URL acceptable, Notion reachable and the token accepted. The client, if all pass.
pub(super) fn api_checks(
    r: &mut Report,
    config: Option<&Config>,
    env: &crate::config::Env,
) -> Option<Client> {
    let token = match Token::from_env(env) {
        Ok(t) => {
            r.ok("token", "set in the environment (not shown)");
            Some(t)
        }
        Err(e) => {
            r.fail(
                "token",
                e.to_string(),
                "export NOTION_TOKEN=<an internal connection's secret, or a personal access token> (https://www.notion.so/developers); never in a file",
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
    // Named for what it does first: an unreachable API is not a token problem.
    match client.get("reach Notion with the token", "/v1/users/me") {
        Ok(me) => {
            let name = me["name"].as_str().unwrap_or("(unnamed)");
            r.ok("API", format!("{base} reachable"));
            r.personal_token = me["type"] == "person";
            r.ok("token accepted", token_kind(r.personal_token, name));
            Some(client)
        }
        Err(e @ ApiError::Unauthorized { .. }) => {
            r.ok("API", format!("{base} reachable"));
            r.fail(
                "token accepted",
                e.to_string(),
                "copy the connection's secret again (or create a personal access token) at https://www.notion.so/developers and export NOTION_TOKEN",
            );
            r.notion_said(&e);
            None
        }
        Err(e) => {
            r.fail(
                "API",
                e.to_string(),
                "check the network, proxy and GIT_NOTION_API_URL; https://status.notion.so for Notion's side",
            );
            r.notion_said(&e);
            r.skip("token accepted", "Notion was not reached");
            None
        }
    }
}

/// Which kind of token Notion took (`/v1/users/me` answers a person for a personal access token, a bot
/// for an internal connection's secret), and what that kind needs.
fn token_kind(personal: bool, name: &str) -> String {
    if personal {
        format!("a personal access token of {name:?}: it sees what that person sees, no database needs sharing")
    } else {
        format!("integration {name:?}: an internal connection's secret, which sees only the databases shared with it (••• → Connections)")
    }
}

/// The database shared and its data source resolved; every configured property and status checked.
pub(super) fn schema_checks(
    r: &mut Report,
    client: &Client,
    config: &Config,
    fix: Fix,
) -> Option<Binding> {
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
            unresolved(r, &e);
            return None;
        }
    };
    let schema = options_fix(r, client, config, schema, fix);
    let (binding, problems) = match Binding::check(&schema, config) {
        Ok(b) => (Some(b), vec![]),
        Err(p) => (None, p),
    };
    writes_something(r, config);
    for (key, value, kind) in configured_items(&schema, config) {
        match problems.iter().find(|p| p.key() == Some(key.as_str())) {
            Some(p) => r.fail(&key, p.to_string(), schema_fix(&key, p)),
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

/// What the configuration names and the data source lacks (properties, status options): shown
/// (`--fix`) or added (`--fix --apply`, then the schema is read again so that the checks below see it).
fn options_fix(
    r: &mut Report,
    client: &Client,
    config: &Config,
    schema: Schema,
    fix: Fix,
) -> Schema {
    let Some(f) = SchemaFix::of(&schema, config) else {
        return schema;
    };
    let (change, group) = describe_fix(&f, &schema.data_source_id);
    match fix {
        Fix::Off => schema,
        Fix::Show => {
            let fix = format!("`git notion doctor --fix --apply` makes this change{group}");
            r.push(
                "schema fix",
                Level::Warn,
                format!("would {change}"),
                Some(fix),
            );
            schema
        }
        Fix::Apply => match f.apply(client, &schema.data_source_id) {
            Ok(()) => {
                let fix = (!group.is_empty()).then(|| group.trim_start().to_string());
                r.push("schema fix", Level::Warn, format!("did {change}"), fix);
                Schema::resolve(client, config).unwrap_or(schema)
            }
            Err(e) => {
                r.fail("schema fix", format!("could not {change}: {e}"), "add it in Notion (the database's properties), or fix the names in .git-notion.toml");
                r.notion_said(&e);
                schema
            }
        },
    }
}

/// The change `--fix` makes, in words, and (for status options) where Notion puts them.
fn describe_fix(f: &SchemaFix, data_source_id: &str) -> (String, String) {
    let mut parts: Vec<String> = f
        .properties
        .iter()
        .map(|(name, kind)| format!("add property {name:?} ({})", kind.as_str()))
        .collect();
    let mut group = String::new();
    if let Some(m) = &f.options {
        let names = m
            .missing
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(format!(
            "add {names} to {} property {:?} (its {} options are kept)",
            m.kind.as_str(),
            m.property,
            m.existing.len()
        ));
        if m.kind == Kind::Status {
            group = format!(
                "\nNotion puts new status options in the To-do group: in Notion, drag {names} to the group it belongs to (In progress, Complete), since git-notion never moves a ticket back to an earlier group"
            );
        }
    }
    let change = format!(
        "{} (one PATCH /v1/data_sources/{data_source_id}; nothing renamed or deleted)",
        parts.join("; ")
    );
    (change, group)
}

/// The database could not be resolved: why, and what to do.
fn unresolved(r: &mut Report, e: &SchemaError) {
    let fix = match e {
        SchemaError::NoDatabase => {
            "run `git notion init --database <Notion database URL>`, or set database in .git-notion.toml"
        }
        SchemaError::Api(ApiError::NotFound { .. }) if r.personal_token => {
            "the personal access token's person cannot open it: check the id in .git-notion.toml, and that this person has access to the database in Notion"
        }
        SchemaError::Api(ApiError::NotFound { .. }) => {
            "in Notion open the database, ••• → Connections → add your integration (a personal access token needs no sharing); check the id in .git-notion.toml"
        }
        SchemaError::SeveralDataSources { .. } | SchemaError::NoSuchDataSource { .. } => {
            "set data_source = \"<name or id>\" in .git-notion.toml to one of those listed"
        }
        _ => "see the message",
    };
    r.fail("database", e.to_string(), fix);
    if let SchemaError::Api(a) = e {
        r.notion_said(a);
    }
    r.skip("properties", "the data source was not resolved");
    r.skip("ticket keys", "the data source was not resolved");
}

/// A configuration that can write nothing but placeholder titles passes every other check: said.
fn writes_something(r: &mut Report, config: &Config) {
    let props = &config.properties;
    let statuses = props.status.is_some()
        && (config.status.on_commit.is_some()
            || config.status.on_merge.is_some()
            || !config.status.types.is_empty());
    if !statuses && props.date.is_none() && props.commit_url.is_none() {
        r.push(
            "writes",
            Level::Warn,
            "nothing but placeholder titles will ever be written: no status (with on_commit/on_merge), \
             date or commit link property is configured",
            Some(
                "run `git notion init` (it writes [properties] and [status] from the database's schema), \
                 or set them in .git-notion.toml"
                    .into(),
            ),
        );
    }
}

/// Each configured property, prefix and status option: (key, value, what the schema has for it).
fn configured_items(schema: &Schema, config: &Config) -> Vec<(String, String, Option<String>)> {
    let props = &config.properties;
    let mut items = vec![];
    let title = props
        .title
        .clone()
        .or_else(|| schema.title_property().map(|p| p.name.clone()));
    for (key, value) in [
        ("properties.title", title),
        ("properties.status", props.status.clone()),
        ("properties.date", props.date.clone()),
        ("properties.commit_url", props.commit_url.clone()),
        ("properties.assignee", props.assignee.clone()),
        ("properties.commits", props.commits.clone()),
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
    items
}

/// What to do about a configured key the schema does not match.
fn schema_fix(key: &str, p: &SchemaError) -> String {
    match p {
        SchemaError::UnknownProperty { .. }
            if [
                "properties.date",
                "properties.commit_url",
                "tickets.lookup.property",
            ]
            .contains(&key) =>
        {
            format!("set {key} to one of the properties listed (a renamed property must be renamed here too), or add it: `git notion doctor --fix` shows the change, `--fix --apply` makes it")
        }
        SchemaError::UnknownProperty { .. } | SchemaError::WrongType { .. } => {
            format!("set {key} to one of the properties listed (a renamed property must be renamed here too)")
        }
        SchemaError::UnknownOption { .. } => {
            format!("set {key} to one of the options listed, or add the option: `git notion doctor --fix` shows the change, `--fix --apply` makes it")
        }
        SchemaError::NoStatusProperty { .. } => {
            "set [properties] status to the status property's name".to_string()
        }
        _ => "see the message".to_string(),
    }
}

/// The key a row carries, by the same rules as the lookups: a title belongs to its first key, a text
/// property to any; else its unique ID when keys are read from one.
fn row_key(
    row: &serde_json::Value,
    extractor: &crate::rules::tickets::Extractor,
    binding: &Binding,
    uses_unique: bool,
) -> Option<String> {
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
    key.or_else(|| {
        let p = binding.unique_id.as_ref().filter(|_| uses_unique)?;
        let text = values::read(&row["properties"], p);
        (!text.is_empty()).then_some(text)
    })
}

/// Comments (`#comment` commands, and reverts unless `on_revert = "ignore"`) need their own capabilities,
/// *Read comments* and *Insert comments* (developers.notion.com/reference/capabilities). Reading is
/// probed with one GET on a row; inserting cannot be probed without posting a comment, so it is named in
/// the fix only.
pub(super) fn comments_check(r: &mut Report, client: &Client, config: &Config, row: Option<&str>) {
    let Some(row) = row else {
        r.skip("comments", "no row to try reading comments on");
        return;
    };
    let fix = "enable Read comments and Insert comments at https://www.notion.so/developers (the connection's Capabilities); until then `#comment` commands and revert comments stay pending (the status still moves)";
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
            r.notion_said(&e);
        }
        Err(e) => {
            r.fail("comments", e.to_string(), "see the message");
            r.notion_said(&e);
        }
    }
}

/// With `[properties] assignee`: the workspace's people the token can read by email (to match authors).
pub(super) fn people_check(r: &mut Report, client: &Client, binding: &Binding) {
    if binding.assignee.is_none() {
        return;
    }
    let fix = "enable Read user information including email addresses at https://www.notion.so/developers (the connection's Capabilities), or map each author in [people]";
    match crate::notion::users::by_email(client) {
        Ok(people) if !people.is_empty() => r.ok(
            "people",
            format!(
                "{} person(s) readable by email; {} mapped in [people]; a commit's author is matched to them",
                people.len(),
                binding.people.len()
            ),
        ),
        Ok(_) => r.push(
            "people",
            Level::Warn,
            "no person of the workspace shows an email to this token: authors match only [people]",
            Some(fix.into()),
        ),
        Err(e) => {
            r.push("people", Level::Warn, e.to_string(), Some(fix.into()));
            r.notion_said(&e);
        }
    }
}

/// The ticket patterns match keys in existing rows (the latest 100): otherwise no commit will ever find
/// its page. Returns the rows read (with the bound properties: the local index is made of them when they
/// are the whole data source).
pub(super) fn key_check(
    r: &mut Report,
    client: &Client,
    config: &Config,
    binding: &Binding,
) -> Vec<serde_json::Value> {
    let Ok(extractor) = crate::rules::tickets::Extractor::of(config) else {
        return vec![];
    };
    let ids = binding.read_ids();
    let rows = match crate::pipeline::lookup::recent_rows(client, &binding.data_source_id, &ids) {
        Ok(rows) => rows,
        Err(e) => {
            r.fail(
                "ticket keys",
                e.to_string(),
                "run `git notion doctor` again; the integration needs the read content capability",
            );
            r.notion_said(&e);
            return vec![];
        }
    };
    if rows.is_empty() {
        r.push(
            "ticket keys",
            Level::Warn,
            "the data source has no rows yet, so the patterns could not be tried",
            None,
        );
        return rows;
    }
    let uses_unique =
        !config.tickets.id_prefixes.is_empty() || binding.lookup.kind == Kind::UniqueId;
    let keys: Vec<String> = rows
        .iter()
        .filter_map(|row| row_key(row, &extractor, binding, uses_unique))
        .collect();
    let matched = keys.len();
    let examples: Vec<String> = keys.into_iter().take(3).collect();
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
    rows
}
