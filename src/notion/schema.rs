//! The data source's real schema, and the configuration bound to it: every configured property must exist
//! with a usable type and every configured status must be an option, before anything is written.

use serde_json::Value;

use crate::config::Config;
use crate::notion::client::{ApiError, Client};

/// One option of a status or select property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The option's name.
    pub name: String,
    /// For a status: the index of its group (To-do 0 < In progress 1 < Complete 2).
    pub rank: Option<usize>,
}

/// A property's type, as Notion names it (`title`, `status`, …); the ones git-notion reads or writes
/// have a variant, the others keep their name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `title`.
    Title,
    /// `rich_text`.
    RichText,
    /// `status` (options in groups).
    Status,
    /// `select`.
    Select,
    /// `date`.
    Date,
    /// `url`.
    Url,
    /// `number`.
    Number,
    /// `unique_id` (read-only, `PREFIX-N`).
    UniqueId,
    /// `people` (users of the workspace).
    People,
    /// `multi_select`.
    MultiSelect,
    /// Any other type, by its name.
    Other(String),
}

impl Kind {
    /// Notion's name of the type (the key its values are under).
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Title => "title",
            Kind::RichText => "rich_text",
            Kind::Status => "status",
            Kind::Select => "select",
            Kind::Date => "date",
            Kind::Url => "url",
            Kind::Number => "number",
            Kind::UniqueId => "unique_id",
            Kind::People => "people",
            Kind::MultiSelect => "multi_select",
            Kind::Other(name) => name,
        }
    }

    /// The kind Notion calls `name`.
    pub fn from_name(name: &str) -> Kind {
        match name {
            "title" => Kind::Title,
            "rich_text" => Kind::RichText,
            "status" => Kind::Status,
            "select" => Kind::Select,
            "date" => Kind::Date,
            "url" => Kind::Url,
            "number" => Kind::Number,
            "unique_id" => Kind::UniqueId,
            "people" => Kind::People,
            "multi_select" => Kind::MultiSelect,
            other => Kind::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One property of the data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Its name (case-sensitive, as in Notion).
    pub name: String,
    /// Its id (stable when the property is renamed).
    pub id: String,
    /// Its type.
    pub kind: Kind,
    /// The options of a status or select.
    pub choices: Vec<Choice>,
    /// The prefix of a `unique_id` property (`TASK`).
    pub prefix: Option<String>,
}

/// A data source and its properties.
#[derive(Debug, Clone)]
pub struct Schema {
    /// The data source's id.
    pub data_source_id: String,
    /// Its name.
    pub name: String,
    /// Its properties.
    pub properties: Vec<Property>,
}

/// Why the configuration does not fit the database; each names the value and what would fit.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Notion refused or could not be reached.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No `database` configured.
    #[error("no database configured: set `database = \"<Notion database URL or id>\"` in .git-notion.toml (or GIT_NOTION_DATABASE)")]
    NoDatabase,
    /// The `database` is a page.
    #[error("database = {id}: that is a page, not a database ({message}). Use the database's own link: open the database as a full page, then ••• → Copy link (a row's link, or a side-peek link's `p=` part, is a page)")]
    NotADatabase {
        /// The configured value.
        id: String,
        /// Notion's message.
        message: String,
    },
    /// The `database` is a linked view of another database.
    #[error("database = {id}: that is a linked database, a view of another database placed on a page, and Notion's API cannot read it ({message}). Use the source database: click the view's title (↗) to open it, copy its link, and put that URL in `database`")]
    LinkedDatabase {
        /// The configured value.
        id: String,
        /// Notion's message.
        message: String,
    },
    /// The database has several data sources and none is named.
    #[error("database {database} has {} data sources; name one with `data_source = \"…\"` in .git-notion.toml: {}", .sources.len(), list_sources(.sources))]
    SeveralDataSources {
        /// The database id.
        database: String,
        /// Its data sources (id, name).
        sources: Vec<(String, String)>,
    },
    /// The named data source is not in the database.
    #[error("database {database} has no data source named or with id {wanted:?}; it has: {}", list_sources(.sources))]
    NoSuchDataSource {
        /// The database id.
        database: String,
        /// The name or id asked for.
        wanted: String,
        /// Its data sources (id, name).
        sources: Vec<(String, String)>,
    },
    /// A configured property does not exist.
    #[error("{key} = {name:?}: data source {source_name:?} has no such property (names are case-sensitive). Its properties are: {available}")]
    UnknownProperty {
        /// The configuration key (`properties.status`).
        key: String,
        /// The property name as configured.
        name: String,
        /// The data source's name.
        source_name: String,
        /// The properties it has.
        available: String,
    },
    /// A configured property has a type that cannot hold the value.
    #[error("{key} = {name:?}: property is of type {kind}, which cannot hold {wanted}; use a property of type {expected}")]
    WrongType {
        /// The configuration key (`properties.status`).
        key: String,
        /// The property name as configured.
        name: String,
        /// The type it has.
        kind: String,
        /// The name or id asked for.
        wanted: String,
        /// A type that would work.
        expected: String,
    },
    /// A configured status is not an option.
    #[error("{key} = {value:?} is not an option of {kind} property {property:?}. Its options are: {options}. Fix the name in .git-notion.toml, or add the option: `git notion doctor --fix` shows the change, `--fix --apply` makes it")]
    UnknownOption {
        /// The configuration key (`properties.status`).
        key: String,
        /// The value as configured.
        value: String,
        /// The status property.
        property: String,
        /// The type it has.
        kind: String,
        /// The options it has.
        options: String,
    },
    /// Statuses are configured but no status property.
    #[error("{key} is set but [properties] status is not: name the status property, e.g. `status = \"Status\"`")]
    NoStatusProperty {
        /// The configuration key (`properties.status`).
        key: String,
    },
    /// `id_prefixes` without a unique_id property.
    #[error("tickets.id_prefixes {prefixes:?} need a unique_id property, and data source {source_name:?} has none")]
    NoUniqueId {
        /// The configured prefixes.
        prefixes: Vec<String>,
        /// The data source's name.
        source_name: String,
    },
}

/// The configured status names, each with its config key (`status.on_merge`).
pub fn configured_statuses(config: &Config) -> Vec<(String, String)> {
    let mut configured = vec![];
    if let Some(s) = &config.status.on_commit {
        configured.push(("status.on_commit".to_string(), s.clone()));
    }
    if let Some(s) = &config.status.on_merge {
        configured.push(("status.on_merge".to_string(), s.clone()));
    }
    if let Some(s) = &config.status.on_review {
        configured.push(("status.on_review".to_string(), s.clone()));
    }
    if let Some(s) = &config.status.on_release {
        configured.push(("status.on_release".to_string(), s.clone()));
    }
    for (ty, s) in &config.status.types {
        configured.push((format!("status.types.{ty}"), s.clone()));
    }
    for (i, s) in config.status.order.iter().enumerate() {
        configured.push((format!("status.order[{i}]"), s.clone()));
    }
    configured
}

impl SchemaError {
    /// The configuration key the problem is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            SchemaError::UnknownProperty { key, .. }
            | SchemaError::WrongType { key, .. }
            | SchemaError::UnknownOption { key, .. }
            | SchemaError::NoStatusProperty { key } => Some(key),
            SchemaError::NoUniqueId { .. } => Some("tickets.id_prefixes"),
            _ => None,
        }
    }
}

fn list_sources(sources: &[(String, String)]) -> String {
    sources
        .iter()
        .map(|(id, name)| format!("{name:?} ({id})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plain_text(rich: &Value) -> String {
    rich.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["plain_text"].as_str())
                .collect::<String>()
        })
        .unwrap_or_default()
}

impl Schema {
    /// Reads a data source's schema.
    pub fn fetch(client: &Client, data_source_id: &str) -> Result<Schema, ApiError> {
        let v = client.get(
            "read the data source schema",
            &format!("/v1/data_sources/{data_source_id}"),
        )?;
        Ok(Self::from_json(&v))
    }

    /// Resolves the configured database (URL, database id or data source id) to its data source and reads
    /// its schema. A database with several data sources needs `data_source` to name one.
    pub fn resolve(client: &Client, config: &Config) -> Result<Schema, SchemaError> {
        let database = config.database.as_deref().ok_or(SchemaError::NoDatabase)?;
        let id = crate::config::database_id(database).ok_or(SchemaError::NoDatabase)?;
        let db = match client.get("read the database", &format!("/v1/databases/{id}")) {
            Ok(db) => db,
            // Notion answers a linked database in one of two ways (dust-tt/dust#18188,
            // ultimate-notion#113); the status of the second is not documented: 400 or 404 alike.
            Err(ApiError::Rejected { said, .. } | ApiError::NotFound { said, .. })
                if linked_answer(&said.message) =>
            {
                let message = said.message_text();
                return Err(SchemaError::LinkedDatabase { id, message });
            }
            // Maybe it is a data source id.
            Err(ApiError::NotFound { .. }) => match Self::fetch(client, &id) {
                Ok(schema) => return Ok(schema),
                Err(ApiError::NotFound { said, .. }) => {
                    return Err(ApiError::NotFound {
                        op: format!("read database {id}"),
                        said,
                    }
                    .into())
                }
                Err(e) => return Err(e.into()),
            },
            Err(ApiError::Rejected { said, .. }) if said.message.contains("is a page, not a") => {
                let message = said.message_text();
                return Err(SchemaError::NotADatabase { id, message });
            }
            Err(e) => return Err(e.into()),
        };
        let sources: Vec<(String, String)> = db["data_sources"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        (
                            s["id"].as_str().unwrap_or_default().to_string(),
                            s["name"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let chosen = match &config.data_source {
            Some(wanted) => {
                let wanted_id = crate::id::normalize(wanted);
                sources
                    .iter()
                    .find(|(sid, name)| {
                        name == wanted || wanted_id.as_deref() == Some(sid.as_str())
                    })
                    .ok_or_else(|| SchemaError::NoSuchDataSource {
                        database: id.clone(),
                        wanted: wanted.clone(),
                        sources: sources.clone(),
                    })?
            }
            None if sources.len() == 1 => &sources[0],
            None => {
                return Err(SchemaError::SeveralDataSources {
                    database: id,
                    sources,
                })
            }
        };
        Ok(Self::fetch(client, &chosen.0)?)
    }

    /// The schema of a data source object as Notion returns it.
    pub fn from_json(v: &Value) -> Schema {
        let properties = v["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .map(|(name, p)| property_from_json(name, p))
                    .collect()
            })
            .unwrap_or_default();
        Schema {
            data_source_id: v["id"].as_str().unwrap_or_default().to_string(),
            name: plain_text(&v["title"]),
            properties,
        }
    }

    /// The property named `name` (case-sensitive).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The title property.
    pub fn title_property(&self) -> Option<&Property> {
        self.properties.iter().find(|p| p.kind == Kind::Title)
    }

    /// Every property with its type, for messages.
    pub fn describe(&self) -> String {
        self.properties
            .iter()
            .map(|p| format!("{} ({})", p.name, p.kind))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The property `name`, which must be of one of `kinds` (else an error naming `key` and `wanted`).
    pub fn require(
        &self,
        key: &str,
        name: &str,
        kinds: &[Kind],
        wanted: &str,
    ) -> Result<Property, SchemaError> {
        let p = self
            .property(name)
            .ok_or_else(|| SchemaError::UnknownProperty {
                key: key.into(),
                name: name.into(),
                source_name: self.name.clone(),
                available: self.describe(),
            })?;
        if !kinds.contains(&p.kind) {
            return Err(SchemaError::WrongType {
                key: key.into(),
                name: name.into(),
                kind: p.kind.to_string(),
                wanted: wanted.into(),
                expected: kinds
                    .iter()
                    .map(Kind::as_str)
                    .collect::<Vec<_>>()
                    .join(" or "),
            });
        }
        Ok(p.clone())
    }
}

/// The configuration checked against the schema: the properties git-notion reads and writes.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The data source written.
    pub data_source_id: String,
    /// Its name, for messages.
    pub source_name: String,
    /// The title property.
    pub title: Property,
    /// Set when `[properties] title` is configured (or the title is the lookup): written per title policy.
    pub write_title: bool,
    /// The status (or select) property, when configured.
    pub status: Option<Property>,
    /// The date property, when configured.
    pub date: Option<Property>,
    /// The commit-link property, when configured.
    pub commit_url: Option<Property>,
    /// The people property the first author goes to while it is empty, when configured.
    pub assignee: Option<Property>,
    /// The text property listing the ticket's commits, when configured.
    pub commits: Option<Property>,
    /// The property the release tag goes to, when configured.
    pub release: Option<Property>,
    /// The property the pull request's link goes to, when configured.
    pub pull_request: Option<Property>,
    /// The automatic statuses in their order (`on_commit`, `on_review`, `on_merge`, `on_release`, those
    /// configured): within one status group, a later one ranks higher.
    pub ladder: Vec<String>,
    /// `[people]`: author email (lowercase) → Notion user id.
    pub people: std::collections::BTreeMap<String, String>,
    /// Where `Token` keys are looked up (the title unless `tickets.lookup` names another property).
    pub lookup: Property,
    /// The `unique_id` property for `PREFIX-N` keys.
    pub unique_id: Option<Property>,
    /// A select status's order of stages (`[status] order`, else on_commit then on_merge).
    pub status_order: Vec<String>,
    /// `[create] missing`: a key no page carries gets one when one of these matches it whole (any key
    /// when empty); None when off.
    pub create: Option<Vec<regex::Regex>>,
}

impl Binding {
    /// Checks every configured property and status against the schema. Nothing is written before this passes.
    pub fn new(schema: &Schema, config: &Config) -> Result<Binding, SchemaError> {
        Self::check(schema, config).map_err(|mut problems| problems.remove(0))
    }

    /// Like [`Binding::new`], but reports every problem, not only the first (for `git notion doctor`).
    pub fn check(schema: &Schema, config: &Config) -> Result<Binding, Vec<SchemaError>> {
        let mut problems = vec![];
        let mut keep = |r: Result<Property, SchemaError>| match r {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(e);
                None
            }
        };
        let props = &config.properties;
        let title = keep(title_of(schema, props.title.as_deref()));
        let [status, date, commit_url, assignee, commits, release, pull_request] =
            optional_properties(schema, props).map(|r| r.and_then(&mut keep));
        let lookup = match &config.tickets.lookup {
            Some(l) => keep(schema.require(
                "tickets.lookup.property",
                &l.property,
                &[Kind::Title, Kind::RichText, Kind::Number, Kind::UniqueId],
                "a ticket key",
            )),
            None => title.clone(),
        };
        let unique_id = unique_id_of(schema, lookup.as_ref());
        if !config.tickets.id_prefixes.is_empty() && unique_id.is_none() {
            problems.push(SchemaError::NoUniqueId {
                prefixes: config.tickets.id_prefixes.clone(),
                source_name: schema.name.clone(),
            });
        }
        problems.extend(status_problems(status.as_ref(), config));
        match (title, lookup) {
            (Some(title), Some(lookup)) if problems.is_empty() => Ok(Binding {
                data_source_id: schema.data_source_id.clone(),
                source_name: schema.name.clone(),
                write_title: props.title.is_some(),
                title,
                status,
                date,
                commit_url,
                assignee,
                commits,
                release,
                pull_request,
                ladder: ladder(&config.status),
                people: config.people.clone(),
                lookup,
                unique_id,
                status_order: status_order(&config.status),
                create: create_patterns(config),
            }),
            _ => Err(problems),
        }
    }

    /// Whether a ticket key no page carries gets a page (`[create]`).
    pub fn creates(&self, key: &str) -> bool {
        self.create.as_ref().is_some_and(|patterns| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| p.find(key).is_some_and(|m| m.as_str() == key))
        })
    }

    /// The rank of a status option, for "never move backwards": its group, and within the group its
    /// place on the ladder of automatic statuses (`on_commit` < `on_review` < `on_merge` < `on_release`:
    /// In review stays In review when a later commit only mentions the ticket); a select's configured order.
    pub fn status_rank(&self, name: &str) -> Option<usize> {
        let p = self.status.as_ref()?;
        if p.kind == Kind::Select {
            return self.status_order.iter().position(|s| s == name);
        }
        let group = p.choices.iter().find(|c| c.name == name)?.rank?;
        let step = self
            .ladder
            .iter()
            .position(|s| s == name)
            .map_or(0, |i| i + 1);
        Some(group * (self.ladder.len() + 1) + step)
    }

    /// The status option `text` names, as the schema spells it: the option itself, ignoring case
    /// (`#status in progress`), or the longest option that starts it as a whole word (`#status 未开始
    /// (by hand)`: the rest of the line may follow).
    pub fn status_option(&self, text: &str) -> Option<&str> {
        let p = self.status.as_ref()?;
        let text = text.trim();
        let lower = text.to_lowercase();
        if let Some(c) = p.choices.iter().find(|c| c.name == text) {
            return Some(&c.name);
        }
        p.choices
            .iter()
            .filter(|c| {
                let name = c.name.to_lowercase();
                !name.is_empty()
                    && lower.starts_with(&name)
                    && lower.get(name.len()..).is_some_and(|rest| {
                        !rest
                            .chars()
                            .next()
                            .is_some_and(|ch| ch.is_alphanumeric() && name.is_ascii())
                    })
            })
            .max_by_key(|c| c.name.len())
            .map(|c| c.name.as_str())
    }

    /// The status property's option names (none when no status is bound).
    pub fn status_names(&self) -> Vec<String> {
        self.status
            .as_ref()
            .map(|p| p.choices.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The status options, quoted, for messages.
    pub fn status_options(&self) -> String {
        self.status
            .as_ref()
            .map(|p| {
                p.choices
                    .iter()
                    .map(|c| format!("{:?}", c.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    /// Property ids to fetch with query results (`filter_properties`).
    pub fn read_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = vec![self.title.id.as_str(), self.lookup.id.as_str()];
        for p in [
            &self.status,
            &self.date,
            &self.commit_url,
            &self.assignee,
            &self.commits,
            &self.release,
            &self.pull_request,
            &self.unique_id,
        ]
        .into_iter()
        .flatten()
        {
            ids.push(&p.id);
        }
        ids.dedup();
        let mut seen = vec![];
        ids.retain(|i| {
            let new = !seen.contains(i);
            seen.push(*i);
            new
        });
        ids
    }
}

/// One property of a data source's schema, its options ranked by their status group.
fn property_from_json(name: &str, p: &Value) -> Property {
    let kind = p["type"].as_str().unwrap_or_default().to_string();
    let spec = &p[&kind];
    let ids = |g: &Value| -> Vec<String> {
        g["option_ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let groups: Vec<Vec<String>> = spec["groups"]
        .as_array()
        .map(|gs| gs.iter().map(ids).collect())
        .unwrap_or_default();
    let choice = |o: &Value| {
        let oid = o["id"].as_str().unwrap_or_default();
        Choice {
            name: o["name"].as_str().unwrap_or_default().to_string(),
            rank: groups.iter().position(|g| g.iter().any(|i| i == oid)),
        }
    };
    Property {
        name: name.to_string(),
        id: p["id"].as_str().unwrap_or_default().to_string(),
        kind: Kind::from_name(&kind),
        choices: spec["options"]
            .as_array()
            .map(|opts| opts.iter().map(choice).collect())
            .unwrap_or_default(),
        prefix: spec["prefix"].as_str().map(String::from),
    }
}

/// The options the configuration names that its status (or select) property lacks: what
/// `git notion doctor --fix` proposes to add with one `PATCH /v1/data_sources/{id}` (Notion's API adds
/// status options since 2026, to the To-do group; it never deletes or renames one here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingOptions {
    /// The property's name.
    pub property: String,
    /// Its id.
    pub id: String,
    /// Its type (status or select).
    pub kind: Kind,
    /// The options it has, kept as they are.
    pub existing: Vec<String>,
    /// The options to add, in the configuration's order.
    pub missing: Vec<String>,
}

impl MissingOptions {
    /// What the configuration names and `schema`'s status property lacks, if anything.
    pub fn of(schema: &Schema, config: &Config) -> Option<MissingOptions> {
        let p = schema.property(config.properties.status.as_deref()?)?;
        if !matches!(p.kind, Kind::Status | Kind::Select) {
            return None;
        }
        let mut missing: Vec<String> = vec![];
        for (_, value) in configured_statuses(config) {
            if !p.choices.iter().any(|c| c.name == value) && !missing.contains(&value) {
                missing.push(value);
            }
        }
        (!missing.is_empty()).then(|| MissingOptions {
            property: p.name.clone(),
            id: p.id.clone(),
            kind: p.kind.clone(),
            existing: p.choices.iter().map(|c| c.name.clone()).collect(),
            missing,
        })
    }

    /// The PATCH body: every option the property has, by name, then the new ones.
    pub fn body(&self) -> Value {
        let options: Vec<Value> = self
            .existing
            .iter()
            .chain(&self.missing)
            .map(|n| serde_json::json!({ "name": n }))
            .collect();
        serde_json::json!({"properties": {&self.id: {self.kind.as_str(): {"options": options}}}})
    }
}

/// What `git notion doctor --fix` proposes as one `PATCH /v1/data_sources/{id}`: the properties the
/// configuration names that the data source lacks (a date, a url, a people property, a text property for
/// lookups: added with that type) and the status options it lacks. Only adds: nothing is renamed, retyped or deleted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaFix {
    /// Properties to add: name, type.
    pub properties: Vec<(String, Kind)>,
    /// Options to add to the status (or select) property.
    pub options: Option<MissingOptions>,
}

impl SchemaFix {
    /// What the configuration names and `schema` lacks, if anything.
    pub fn of(schema: &Schema, config: &Config) -> Option<SchemaFix> {
        let p = &config.properties;
        let lookup = config.tickets.lookup.as_ref().map(|l| l.property.clone());
        let wanted = [
            (p.date.clone(), Kind::Date),
            (p.commit_url.clone(), Kind::Url),
            (p.assignee.clone(), Kind::People),
            (p.commits.clone(), Kind::RichText),
            (p.release.clone(), Kind::RichText),
            (p.pull_request.clone(), Kind::Url),
            (lookup, Kind::RichText),
        ];
        let mut properties: Vec<(String, Kind)> = vec![];
        for (name, kind) in wanted {
            if let Some(name) = name.filter(|n| schema.property(n).is_none()) {
                if !properties.iter().any(|(n, _)| *n == name) {
                    properties.push((name, kind));
                }
            }
        }
        let fix = SchemaFix {
            properties,
            options: MissingOptions::of(schema, config),
        };
        (fix != SchemaFix::default()).then_some(fix)
    }

    /// The PATCH body.
    pub fn body(&self) -> Value {
        let mut props = serde_json::Map::new();
        for (name, kind) in &self.properties {
            props.insert(name.clone(), serde_json::json!({ kind.as_str(): {} }));
        }
        if let Some(o) = &self.options {
            props.extend(
                o.body()["properties"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        serde_json::json!({ "properties": props })
    }

    /// Makes the change on data source `data_source_id`.
    pub fn apply(&self, client: &Client, data_source_id: &str) -> Result<(), ApiError> {
        client.patch(
            "add what the configuration names to the data source",
            &format!("/v1/data_sources/{data_source_id}"),
            &self.body(),
        )?;
        Ok(())
    }
}

/// Notion's answer for a linked database (a view), in either of its two forms.
fn linked_answer(message: &str) -> bool {
    message.contains("is a linked database")
        || message.contains("does not contain any data sources accessible")
}

/// The title property: the one configured, else the data source's.
fn title_of(schema: &Schema, configured: Option<&str>) -> Result<Property, SchemaError> {
    match configured {
        Some(name) => schema.require("properties.title", name, &[Kind::Title], "a page title"),
        None => schema
            .title_property()
            .cloned()
            .ok_or_else(|| SchemaError::UnknownProperty {
                key: "properties.title".into(),
                name: "(title)".into(),
                source_name: schema.name.clone(),
                available: schema.describe(),
            }),
    }
}

/// The `unique_id` property for `PREFIX-N` keys: the lookup when it is one, else the schema's.
fn unique_id_of(schema: &Schema, lookup: Option<&Property>) -> Option<Property> {
    match lookup {
        Some(l) if l.kind == Kind::UniqueId => Some(l.clone()),
        _ => schema
            .properties
            .iter()
            .find(|p| p.kind == Kind::UniqueId)
            .cloned(),
    }
}

/// The optional properties the configuration names (status, date, commit_url, assignee, commits, release,
/// pull_request), each
/// checked against the schema (None: not configured).
fn optional_properties(
    schema: &Schema,
    props: &crate::config::Properties,
) -> [Option<Result<Property, SchemaError>>; 7] {
    let status: &[Kind] = &[Kind::Status, Kind::Select];
    [
        ("properties.status", &props.status, status, "a status"),
        (
            "properties.date",
            &props.date,
            &[Kind::Date],
            "the commit date",
        ),
        (
            "properties.commit_url",
            &props.commit_url,
            &[Kind::Url, Kind::RichText],
            "the commit link",
        ),
        (
            "properties.assignee",
            &props.assignee,
            &[Kind::People],
            "people",
        ),
        (
            "properties.commits",
            &props.commits,
            &[Kind::RichText],
            "the list of commits",
        ),
        (
            "properties.release",
            &props.release,
            &[Kind::Select, Kind::MultiSelect, Kind::RichText],
            "a release tag",
        ),
        (
            "properties.pull_request",
            &props.pull_request,
            &[Kind::Url, Kind::RichText],
            "a pull request link",
        ),
    ]
    .map(|(key, name, kinds, holds)| {
        name.as_deref()
            .map(|n| schema.require(key, n, kinds, holds))
    })
}

/// `[create] missing`: the patterns a key must match whole to get a page (empty: any); None when off.
fn create_patterns(config: &Config) -> Option<Vec<regex::Regex>> {
    config.create.missing.then(|| {
        config
            .patterns("configuration")
            .map(|p| p.create_patterns)
            .unwrap_or_default()
    })
}

/// The order of a select used as a status (for "never move backwards"): `[status] order`, else the
/// ladder of automatic statuses.
fn status_order(s: &crate::config::Status) -> Vec<String> {
    if s.order.is_empty() {
        ladder(s)
    } else {
        let mut order = s.order.clone();
        order.dedup();
        order
    }
}

/// The automatic statuses configured, in their order: on_commit, on_review, on_merge, on_release.
fn ladder(s: &crate::config::Status) -> Vec<String> {
    let mut order: Vec<String> = vec![];
    for name in [&s.on_commit, &s.on_review, &s.on_merge, &s.on_release]
        .into_iter()
        .flatten()
    {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
}

/// Each configured status that the status property has no option for (or a status configured without
/// a status property).
fn status_problems(status: Option<&Property>, config: &Config) -> Vec<SchemaError> {
    let configured = configured_statuses(config);
    match (status, &config.properties.status) {
        (Some(p), _) => configured
            .into_iter()
            .filter(|(_, value)| !p.choices.iter().any(|c| c.name == *value))
            .map(|(key, value)| SchemaError::UnknownOption {
                key,
                value,
                property: p.name.clone(),
                kind: p.kind.to_string(),
                options: p
                    .choices
                    .iter()
                    .map(|c| format!("{:?}", c.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        // The status property itself is wrong: already reported.
        (None, Some(_)) => vec![],
        (None, None) => configured
            .into_iter()
            .next()
            .map(|(key, _)| SchemaError::NoStatusProperty { key })
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(kind: &str, options: &[&str], config: &Config) -> Binding {
        let schema = Schema::from_json(&serde_json::json!({
            "id": "ds",
            "title": [{"plain_text": "Tickets"}],
            "properties": {
                "Name": {"id": "title", "type": "title", "title": {}},
                "Status": {"id": "s", "type": kind, kind: {
                    "options": options.iter().enumerate()
                        .map(|(i, n)| serde_json::json!({"id": i.to_string(), "name": n}))
                        .collect::<Vec<_>>(),
                    "groups": [{"option_ids": ["0"]}, {"option_ids": ["1", "2"]}, {"option_ids": ["3"]}],
                }},
            },
        }));
        Binding::new(&schema, config).unwrap()
    }

    #[test]
    fn status_commands_name_options_loosely_but_never_guess() {
        let mut c = Config::default();
        c.properties.status = Some("Status".into());
        let b = binding(
            "status",
            &["Not started", "In progress", "In progress 2", "Done"],
            &c,
        );
        assert_eq!(b.status_option("in PROGRESS"), Some("In progress"));
        assert_eq!(b.status_option("In progress 2"), Some("In progress 2"));
        assert_eq!(b.status_option("done (by hand)"), Some("Done"));
        assert_eq!(b.status_option("Doneness"), None);
        assert_eq!(b.status_option("Blocked"), None);
        let zh = binding("status", &["未开始", "进行中", "审核", "完成"], &c);
        assert_eq!(zh.status_option("未开始（手动）"), Some("未开始"));
        // Ranks: a status property's groups; a select's configured order.
        assert!(b.status_rank("Done") > b.status_rank("In progress"));
        c.status.on_commit = Some("Doing".into());
        c.status.on_merge = Some("Shipped".into());
        let select = binding("select", &["Todo", "Doing", "Review", "Shipped"], &c);
        assert!(select.status_rank("Shipped") > select.status_rank("Doing"));
        assert_eq!(
            select.status_rank("Review"),
            None,
            "not in the order: no guess"
        );
        c.status.order = vec![
            "Todo".into(),
            "Doing".into(),
            "Review".into(),
            "Shipped".into(),
        ];
        let select = binding("select", &["Todo", "Doing", "Review", "Shipped"], &c);
        assert!(select.status_rank("Review") > select.status_rank("Doing"));
    }

    #[test]
    fn within_a_group_the_ladder_of_automatic_statuses_ranks() {
        // Groups: [未开始] [进行中, 审核中] [完成]; 已发布 is not an option here, so 完成 and a released
        // ladder are checked with a select below.
        let mut c = Config::default();
        c.properties.status = Some("Status".into());
        c.status.on_commit = Some("进行中".into());
        c.status.on_review = Some("审核中".into());
        c.status.on_merge = Some("完成".into());
        let b = binding("status", &["未开始", "进行中", "审核中", "完成"], &c);
        let rank = |n: &str| b.status_rank(n).unwrap();
        assert!(
            rank("审核中") > rank("进行中"),
            "In review is past In progress"
        );
        assert!(rank("完成") > rank("审核中"));
        assert!(rank("进行中") > rank("未开始"));
        // An option the ladder does not name ranks first in its group (any move within it is forward).
        c.status.on_review = None;
        let b = binding("status", &["未开始", "进行中", "审核中", "完成"], &c);
        assert!(b.status_rank("进行中") > b.status_rank("审核中"));
        // A select without `order`: the ladder is the order.
        c.status.on_review = Some("Review".into());
        c.status.on_commit = Some("Doing".into());
        c.status.on_merge = Some("Done".into());
        c.status.on_release = Some("Released".into());
        let select = binding("select", &["Doing", "Review", "Done", "Released"], &c);
        let rank = |n: &str| select.status_rank(n).unwrap();
        assert!(rank("Doing") < rank("Review") && rank("Review") < rank("Done"));
        assert!(rank("Done") < rank("Released"));
    }
}
