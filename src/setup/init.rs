//! `git notion init`: a commented `.git-notion.toml` written from the database's real schema and its
//! latest rows (the title, status, date and URL properties, the status options for a commit and a merge,
//! and the ticket key pattern the titles use). It never writes the token.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::config::{self, Config};
use crate::notion::schema::{Kind, Property, Schema};
use crate::notion::values;
use crate::pipeline::Error;
use crate::rules::tickets::DEFAULT_PATTERN;

/// Notion's status groups, in order.
const GROUPS: [&str; 3] = ["To-do", "In progress", "Complete"];

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn matches_any(name: &str, words: &[&str]) -> bool {
    let n = name.to_lowercase();
    words.iter().any(|w| n.contains(w))
}

/// The property of one of `kinds` whose name looks like one of `words`, else the first of those kinds.
fn pick<'a>(schema: &'a Schema, kinds: &[Kind], words: &[&str]) -> Option<&'a Property> {
    let of_kind = || schema.properties.iter().filter(|p| kinds.contains(&p.kind));
    of_kind()
        .find(|p| matches_any(&p.name, words))
        .or_else(|| of_kind().next())
}

/// The status property: a `status` property, else a select named like a status.
fn status_property(schema: &Schema) -> Option<&Property> {
    let words = ["status", "state", "stage", "状态", "阶段"];
    let status = || schema.properties.iter().filter(|p| p.kind == Kind::Status);
    status()
        .find(|p| matches_any(&p.name, &words))
        .or_else(|| status().next())
        .or_else(|| {
            schema
                .properties
                .iter()
                .find(|p| p.kind == Kind::Select && matches_any(&p.name, &words))
        })
}

/// The options for a commit (in progress) and a merge (done).
fn status_options(p: &Property) -> (Option<String>, Option<String>) {
    let in_group = |rank: usize| {
        p.choices
            .iter()
            .find(|c| c.rank == Some(rank))
            .map(|c| c.name.clone())
    };
    if p.kind == Kind::Status {
        return (in_group(1), in_group(2));
    }
    let find = |words: &[&str]| {
        p.choices
            .iter()
            .find(|c| matches_any(&c.name, words))
            .map(|c| c.name.clone())
    };
    (
        find(&["progress", "doing", "active", "started", "进行", "开发中"]),
        find(&[
            "done", "complete", "closed", "finished", "resolved", "shipped", "完成",
        ]),
    )
}

/// The ticket key pattern the titles use: `#042` (the default), or the most common `ABC-12` prefix.
/// Returns the pattern (None: titles carry no keys), how many titles carry it and some examples.
#[allow(
    clippy::expect_used,
    reason = "a literal pattern, run by the unit tests"
)]
fn guess_pattern(titles: &[String]) -> (Option<String>, usize, Vec<String>) {
    let hash = crate::rules::tickets::Extractor::default_patterns();
    let prefixed = regex::Regex::new(r"\b([A-Z][A-Z0-9]{1,9})-[0-9]+\b").expect("regex");
    let mut hash_hits = vec![];
    let mut prefixes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for t in titles {
        if let Some(k) = hash.title_key(t) {
            hash_hits.push(k.to_string());
        }
        if let Some(c) = prefixed.captures(t) {
            prefixes
                .entry(c[1].to_string())
                .or_default()
                .push(c[0].to_string());
        }
    }
    let best = prefixes.into_iter().max_by_key(|(_, v)| v.len());
    match best {
        Some((prefix, hits)) if hits.len() > hash_hits.len() => {
            let examples = hits.iter().take(3).cloned().collect();
            (
                Some(format!("{}-[0-9]+", regex::escape(&prefix))),
                hits.len(),
                examples,
            )
        }
        _ if !hash_hits.is_empty() => {
            let examples = hash_hits.iter().take(3).cloned().collect();
            (Some(DEFAULT_PATTERN.to_string()), hash_hits.len(), examples)
        }
        _ => (None, 0, vec![]),
    }
}

/// The `[tickets] ignore` comment: which hosting conventions' numbers are not tickets here, by default.
pub fn ignore_section(origin_url: Option<&str>) -> String {
    use crate::rules::conventions;
    let forge = origin_url.and_then(crate::git::links::forge);
    let host = match forge {
        Some(f) => format!("{f:?} (origin)"),
        None => "a host not recognised, or no origin".to_string(),
    };
    let defaults = conventions::defaults(forge);
    let mut t = format!(
        "# Numbers a code host writes that are not tickets. Unset, they follow origin's host, here {host}:\n"
    );
    for c in crate::config::Convention::ALL {
        let mark = if defaults.contains(&c) {
            "skipped"
        } else {
            "read "
        };
        t.push_str(&format!(
            "#   {mark} {:<20} {}\n",
            c.name(),
            conventions::example(c)
        ));
    }
    t.push_str(&format!(
        "# ignore = [{}]   # [] reads every key; `git notion explain` shows what a message names\n",
        defaults
            .iter()
            .map(|c| format!("{:?}", c.name()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    t.push_str("# ignore_patterns = ['Backport of #[0-9]+']   # regexes: keys inside a match are skipped\n");
    t
}

/// Reads the schema and the latest 100 rows of `database` and returns the configuration text.
pub fn generate(
    database: &str,
    data_source: Option<&str>,
    origin_url: Option<&str>,
    env: &crate::config::Env,
) -> Result<String, Error> {
    config::database_id(database).ok_or_else(|| config::ConfigError::BadDatabase {
        origin: "--database".into(),
        value: database.into(),
    })?;
    // The environment's settings (the API version, say) apply; no file is read yet.
    let mut config = Config::from_layers(&[], env)?;
    config.database = Some(database.to_string());
    config.data_source = data_source.map(String::from);
    let client = crate::pipeline::session::connect_client(&config, env)?;
    let schema = Schema::resolve(&client, &config)?;
    // Every property by id: on 2026-12-01 a query without `filter_properties` answers with titles alone.
    let ids: Vec<&str> = schema.properties.iter().map(|p| p.id.as_str()).collect();
    let rows = crate::pipeline::lookup::recent_rows(&client, &schema.data_source_id, &ids)?;
    Ok(render(database, data_source, origin_url, &schema, &rows))
}

/// A proposed configuration (`generate`) as one `[[databases]]` table: its database's own settings
/// (database, data source, tickets, properties, status, title, create), with `name`.
pub fn as_table(proposed: &str, name: Option<&str>) -> Result<String, Error> {
    let bad = |e: toml::de::Error| config::ConfigError::Toml {
        origin: "the proposed table".into(),
        message: e.to_string(),
    };
    let all: toml::Table = toml::from_str(proposed).map_err(bad)?;
    let mut table = toml::Table::new();
    if let Some(n) = name {
        table.insert("name".into(), n.into());
    }
    for key in [
        "database",
        "data_source",
        "tickets",
        "properties",
        "status",
        "title",
        "create",
    ] {
        if let Some(v) = all.get(key) {
            table.insert(key.into(), v.clone());
        }
    }
    let mut doc = toml::Table::new();
    doc.insert("databases".into(), vec![toml::Value::Table(table)].into());
    toml::to_string(&doc).map_err(|e| {
        Error::from(config::ConfigError::Toml {
            origin: "the proposed table".into(),
            message: e.to_string(),
        })
    })
}

/// The configuration text for a schema and some of its rows.
pub fn render(
    database: &str,
    data_source: Option<&str>,
    origin_url: Option<&str>,
    schema: &Schema,
    rows: &[Value],
) -> String {
    let titles: Vec<String> = match schema.title_property() {
        Some(t) => rows
            .iter()
            .map(|r| values::read(&r["properties"], t))
            .collect(),
        None => vec![],
    };
    let mut t = header_section(database, data_source, schema);
    t.push_str(&tickets_section(schema, &titles));
    t.push_str(&ignore_section(origin_url));
    t.push_str(&properties_section(schema));
    t.push_str(&status_section(schema));
    t.push_str(
        "\n[title]\n# never | fill-placeholder (an empty title, \"Untitled\", a bare key, or a key with a placeholder such as \"#026 - TBD\" or 待定) | always\npolicy = \"fill-placeholder\"\n",
    );
    t
}

/// The file's comment and where the tickets live.
fn header_section(database: &str, data_source: Option<&str>, schema: &Schema) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "# git-notion configuration, written by `git notion init` from the schema of {:?}.\n\
         # Commit it: it holds no secret (the token is read only from NOTION_TOKEN).\n\
         # Every key is explained in docs/configuration.md of git-notion; `git notion doctor` checks this file.\n\n",
        schema.name
    ));
    t.push_str(&format!("database = {}\n", q(database)));
    match data_source {
        Some(ds) => t.push_str(&format!("data_source = {}\n", q(ds))),
        None => t.push_str(&format!(
            "# data_source = {}   # needed only when the database has several data sources\n",
            q(&schema.name)
        )),
    }

    t
}

/// `[tickets]`: the pattern the titles use (guessed from the latest titles), or the unique ID.
fn tickets_section(schema: &Schema, titles: &[String]) -> String {
    let (pattern, hits, examples) = guess_pattern(titles);
    let unique = schema.properties.iter().find(|p| p.kind == Kind::UniqueId);
    let mut t = String::new();
    t.push_str("\n[tickets]\n");
    match &pattern {
        Some(p) => {
            t.push_str(&format!(
                "# Keys as the titles write them: {hits} of the latest {} titles carry one (e.g. {}).\n",
                titles.len(),
                examples.join(", ")
            ));
            t.push_str(&format!("patterns = [{}]\n", q(p)));
        }
        None if unique.is_some() => {
            t.push_str(&format!(
                "# No title carries a key; tickets are named by their unique ID instead. To also write keys in\n\
                 # titles, add a pattern such as {}.\npatterns = []\n",
                q(DEFAULT_PATTERN)
            ));
        }
        None => {
            t.push_str(&format!(
                "# None of the latest {} titles carries a ticket key yet. git-notion finds a ticket by the key in\n\
                 # its title (\"#001 - Set up CI\"); put keys in titles, or change the pattern to how you write them.\n\
                 patterns = [{}]\n",
                titles.len(),
                q(DEFAULT_PATTERN)
            ));
        }
    }
    t.push_str(&id_prefixes_line(unique));
    t
}

/// `id_prefixes`, from the unique ID property's prefix (commented out without one).
fn id_prefixes_line(unique: Option<&Property>) -> String {
    let Some(u) = unique else {
        return "# id_prefixes = [\"TASK\"]   # PREFIX-N keys, for a database with a unique ID property\n"
            .into();
    };
    let prefix = u.prefix.clone().unwrap_or_default();
    if prefix.is_empty() {
        format!(
            "# {:?} is a unique ID without a prefix: give it one in Notion (e.g. TASK) to name tickets TASK-17.\n",
            u.name
        )
    } else {
        format!(
            "# {prefix}-17 in a commit names the ticket whose unique ID {:?} is {prefix}-17.\nid_prefixes = [{}]\n",
            u.name,
            q(&prefix)
        )
    }
}

/// `[properties]`: the title, status, date and commit link found in the schema, and what is left out.
fn properties_section(schema: &Schema) -> String {
    let title = schema.title_property();
    let status = status_property(schema);
    let date = pick(schema, &[Kind::Date], &["date", "日期", "day", "when"]);
    let commit_url = pick(schema, &[Kind::Url], &["commit", "link", "提交", "url"]).or_else(|| {
        schema
            .properties
            .iter()
            .find(|p| p.kind == Kind::RichText && matches_any(&p.name, &["commit", "提交"]))
    });
    let mut t = String::new();
    t.push_str("\n# The properties git-notion writes, by their names in Notion (case-sensitive). Leave one out and\n# it is never written.\n[properties]\n");
    let mut used = vec![];
    if let Some(p) = title {
        t.push_str(&format!(
            "title = {}   # title: filled from the commit subject per [title] policy\n",
            q(&p.name)
        ));
        used.push(&p.name);
    }
    match status {
        Some(p) => {
            t.push_str(&status_line(p));
            used.push(&p.name);
        }
        None => t.push_str(
            "# status = \"Status\"   # no status (or status-like select) property was found\n",
        ),
    }
    match date {
        Some(p) => {
            t.push_str(&format!(
                "date = {}   # date: the commit date\n",
                q(&p.name)
            ));
            used.push(&p.name);
        }
        None => {
            t.push_str("# date = \"Date\"   # a date property for the commit date (none found)\n")
        }
    }
    match commit_url {
        Some(p) => {
            t.push_str(&format!(
                "commit_url = {}   # {}: a link to the commit\n",
                q(&p.name),
                p.kind
            ));
            used.push(&p.name);
        }
        None => t.push_str(
            "# commit_url = \"Commit\"   # a URL property for the commit link (none found)\n",
        ),
    }
    t.push_str(&assignee_line(schema));
    t.push_str(&commits_line(schema));
    t.push_str(&release_and_pull_request_lines(schema));
    let others: Vec<String> = schema
        .properties
        .iter()
        .filter(|p| !used.contains(&&p.name))
        .map(|p| format!("{} ({})", p.name, p.kind))
        .collect();
    if !others.is_empty() {
        t.push_str(&format!("# Not written: {}\n", others.join(", ")));
    }

    t
}

/// A people property, offered (commented: assigning people is a choice) when the schema has one.
fn assignee_line(schema: &Schema) -> String {
    match pick(schema, &[Kind::People], &["assignee", "owner", "负责人", "assigned"]) {
        Some(p) => format!(
            "# assignee = {}   # people: the author of a ticket's first commit, while nobody is assigned\n",
            q(&p.name)
        ),
        None => String::new(),
    }
}

/// A status option named for review and one named for a release, offered (commented: opt-in).
fn ladder_lines(status: Option<&Property>) -> String {
    let option = |words: &[&str]| {
        status.and_then(|p| p.choices.iter().find(|c| matches_any(&c.name, words)))
    };
    let mut t = String::new();
    if let Some(c) = option(&["review", "审核", "评审"]) {
        t.push_str(&format!(
            "# on_review = {}   # `git notion review` in CI: the tickets an open pull request names\n",
            q(&c.name)
        ));
    }
    if let Some(c) = option(&["released", "shipped", "已发布", "发布"]) {
        t.push_str(&format!(
            "# on_release = {}   # the tickets a release tag (release_tags, default [\"v*\"]) ships\n",
            q(&c.name)
        ));
    }
    t
}

/// A property named for the release and one for the pull request, offered (commented: opt-in).
fn release_and_pull_request_lines(schema: &Schema) -> String {
    let named = |kinds: &[Kind], words: &[&str]| {
        schema
            .properties
            .iter()
            .find(|p| kinds.contains(&p.kind) && matches_any(&p.name, words))
    };
    let mut t = String::new();
    let release = [Kind::Select, Kind::MultiSelect, Kind::RichText];
    if let Some(p) = named(&release, &["release", "version", "版本", "发布"]) {
        t.push_str(&format!(
            "# release = {}   # {}: the release tag that shipped the ticket\n",
            q(&p.name),
            p.kind
        ));
    }
    let links = [Kind::Url, Kind::RichText];
    let pull_request =
        named(&links, &["pull request", "merge request", "pull_request"]).or_else(|| {
            schema.properties.iter().find(|p| {
                links.contains(&p.kind) && ["pr", "mr"].contains(&p.name.to_lowercase().as_str())
            })
        });
    if let Some(p) = pull_request {
        t.push_str(&format!(
            "# pull_request = {}   # {}: the pull request's link (`git notion review` in CI)\n",
            q(&p.name),
            p.kind
        ));
    }
    t
}

/// A text property named for commits, offered (commented: the list is a choice) when the schema has one.
fn commits_line(schema: &Schema) -> String {
    let words = ["commits", "提交"];
    schema
        .properties
        .iter()
        .find(|p| p.kind == Kind::RichText && matches_any(&p.name, &words))
        .map(|p| {
            format!(
                "# commits = {}   # rich_text: every commit naming the ticket, newest first\n",
                q(&p.name)
            )
        })
        .unwrap_or_default()
}

/// `status = …`, with its options (and their groups, for a status property).
fn status_line(p: &Property) -> String {
    let options: Vec<String> = p
        .choices
        .iter()
        .map(|c| match c.rank {
            Some(r) if p.kind == Kind::Status => format!("{} ({})", c.name, GROUPS[r.min(2)]),
            _ => c.name.clone(),
        })
        .collect();
    format!(
        "status = {}   # {}: {}\n",
        q(&p.name),
        p.kind,
        options.join(", ")
    )
}

/// `[status]`: the options a commit and a merge set, the closing keywords (Chinese ones for a Chinese
/// schema) and the commented choices.
fn status_section(schema: &Schema) -> String {
    let status = status_property(schema);
    let mut t = String::new();
    t.push_str("\n[status]\n");
    let (on_commit, on_merge) = status.map(status_options).unwrap_or((None, None));
    match (status, on_commit) {
        (Some(_), Some(s)) => t.push_str(&format!(
            "on_commit = {}   # a commit that names the ticket, on any other branch\n",
            q(&s)
        )),
        _ => t.push_str("# on_commit = \"In progress\"   # a commit that names the ticket\n"),
    }
    match (status, on_merge) {
        (Some(_), Some(s)) => t.push_str(&format!(
            "on_merge = {}   # a commit on (or merged into) a release branch\n",
            q(&s)
        )),
        _ => {
            t.push_str("# on_merge = \"Done\"   # a commit on (or merged into) a release branch\n")
        }
    }
    t.push_str("release_branches = [\"main\", \"master\"]   # globs: \"release/*\"\n");
    t.push_str(&ladder_lines(status));
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let chinese = schema
        .properties
        .iter()
        .any(|p| cjk(&p.name) || p.choices.iter().any(|c| cjk(&c.name)));
    let quoted = |words: &[&str]| words.iter().map(|w| q(w)).collect::<Vec<_>>().join(", ");
    if chinese {
        let mut words: Vec<&str> = crate::rules::intent::DEFAULT_CLOSING_KEYWORDS.to_vec();
        words.extend(crate::rules::intent::CHINESE_CLOSING_KEYWORDS);
        t.push_str(&format!(
            "# Words that close the ticket right after them (`Fixes #12`, `完成工单 #003`); a mention only links.\nclosing_keywords = [{}]\n",
            quoted(&words)
        ));
    } else {
        t.push_str(&format!(
            "# Words that close the ticket right after them (`Fixes #12`); a mention only links. Default:\n# closing_keywords = [{}]\n",
            quoted(&crate::rules::intent::DEFAULT_CLOSING_KEYWORDS)
        ));
    }
    t.push_str("# close_on = \"merge\"    # or \"commit\": close at once, on any branch\n");
    t.push_str("# on_revert = \"comment\" # or \"reopen\" (back to on_commit), or \"ignore\"\n");
    t.push_str(
        "# [status.types]   # a conventional-commit type → a status (one mapped to on_merge closes), e.g.:\n# docs = \"Done\"\n",
    );

    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pattern_guess_prefers_the_commonest_form() {
        let titles: Vec<String> = ["#001 - a", "#002 - b", "ENG-3 c", "Untitled"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (p, n, ex) = guess_pattern(&titles);
        assert_eq!(p.as_deref(), Some(DEFAULT_PATTERN));
        assert_eq!((n, ex), (2, vec!["#001".to_string(), "#002".to_string()]));

        let titles: Vec<String> = ["ENG-1 a", "ENG-22: b", "fix #3", "OPS-1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (p, n, _) = guess_pattern(&titles);
        assert_eq!((p.as_deref(), n), (Some("ENG-[0-9]+"), 2));

        let (p, n, _) = guess_pattern(&["Set up CI".to_string()]);
        assert_eq!((p, n), (None, 0));
    }

    #[test]
    fn rendered_config_loads_and_holds_no_secret() {
        let schema = Schema::from_json(&json!({
            "id": "ds", "title": [{"plain_text": "工单"}],
            "properties": {
                "标题": {"id": "title", "type": "title", "title": {}},
                "状态": {"id": "s", "type": "status", "status": {
                    "options": [{"id": "a", "name": "未开始"}, {"id": "b", "name": "进行中"}, {"id": "c", "name": "完成"}],
                    "groups": [{"name": "To-do", "option_ids": ["a"]}, {"name": "In progress", "option_ids": ["b"]}, {"name": "Complete", "option_ids": ["c"]}]}},
                "日期": {"id": "d", "type": "date", "date": {}},
                "Commit": {"id": "u", "type": "url", "url": {}}
            }
        }));
        let rows = vec![
            json!({"properties": {"标题": {"type": "title", "title": [{"plain_text": "#001 - a"}]}}}),
        ];
        let text = render(
            "2845c4eb952681828ccf000b14d4c431",
            None,
            Some("git@github.com:acme/app.git"),
            &schema,
            &rows,
        );
        let c = Config::from_layers(
            &[config::Layer {
                origin: "init".into(),
                text: text.clone(),
            }],
            &config::Env::default(),
        )
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.properties.status.as_deref(), Some("状态"));
        assert_eq!(c.status.on_commit.as_deref(), Some("进行中"));
        assert_eq!(c.status.on_merge.as_deref(), Some("完成"));
        assert_eq!(c.properties.commit_url.as_deref(), Some("Commit"));
        assert_eq!(c.tickets.patterns, vec![DEFAULT_PATTERN.to_string()]);
        assert!(!text.contains("ntn_"));
    }
}
