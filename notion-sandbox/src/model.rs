//! The sandbox's state (databases, data sources, pages, comments) and how Notion renders it.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use serde_json::{json, Map, Value};

use crate::ids::{self, IdGen};

/// The Notion-Version a request was made with; it changes some shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiVersion {
    V2022_06_28,
    V2025_09_03,
    V2026_03_11,
    V2026_12_01,
}

impl ApiVersion {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "2022-06-28" => Some(Self::V2022_06_28),
            "2025-09-03" => Some(Self::V2025_09_03),
            "2026-03-11" => Some(Self::V2026_03_11),
            "2026-12-01" => Some(Self::V2026_12_01),
            _ => None,
        }
    }

    pub fn has_data_sources(self) -> bool {
        self != Self::V2022_06_28
    }

    /// 2026-03-11 renamed `archived` to `in_trash` in every request and answer: `archived` is no longer
    /// sent, and a request that says it is refused.
    pub fn says_in_trash_only(self) -> bool {
        self >= Self::V2026_03_11
    }

    /// 2026-12-01: a query or search answers with each page's title alone unless `filter_properties`
    /// names the properties wanted.
    pub fn trims_properties(self) -> bool {
        self >= Self::V2026_12_01
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    Title,
    RichText,
    Number,
    Select,
    MultiSelect,
    Status,
    Date,
    Url,
    Checkbox,
    People,
    UniqueId,
    CreatedTime,
    LastEditedTime,
}

impl PropKind {
    pub const ALL: [PropKind; 13] = [
        PropKind::Title,
        PropKind::RichText,
        PropKind::Number,
        PropKind::Select,
        PropKind::MultiSelect,
        PropKind::Status,
        PropKind::Date,
        PropKind::Url,
        PropKind::Checkbox,
        PropKind::People,
        PropKind::UniqueId,
        PropKind::CreatedTime,
        PropKind::LastEditedTime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PropKind::Title => "title",
            PropKind::RichText => "rich_text",
            PropKind::Number => "number",
            PropKind::Select => "select",
            PropKind::MultiSelect => "multi_select",
            PropKind::Status => "status",
            PropKind::Date => "date",
            PropKind::Url => "url",
            PropKind::Checkbox => "checkbox",
            PropKind::People => "people",
            PropKind::UniqueId => "unique_id",
            PropKind::CreatedTime => "created_time",
            PropKind::LastEditedTime => "last_edited_time",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn read_only(self) -> bool {
        matches!(
            self,
            PropKind::UniqueId | PropKind::CreatedTime | PropKind::LastEditedTime
        )
    }
}

/// A person of the workspace (`GET /v1/users`; the values of a people property).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

impl User {
    pub fn json(&self) -> Value {
        json!({
            "object": "user",
            "id": self.id,
            "name": self.name,
            // As recorded: a person has an avatar and a verified email.
            "avatar_url": format!("https://www.notion.so/images/page-cover/{}.png", self.id),
            "type": "person",
            "person": {"email": self.email, "email_verified": true}
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectOption {
    pub id: String,
    pub name: String,
    pub color: String,
}

impl SelectOption {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "color": self.color})
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusGroup {
    pub id: String,
    pub name: String,
    pub color: String,
    pub option_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropSchema {
    pub id: String,
    pub name: String,
    pub kind: PropKind,
    /// Options of a select, multi_select or status property.
    pub options: Vec<SelectOption>,
    /// Groups of a status property (To-do / In progress / Complete).
    pub groups: Vec<StatusGroup>,
    /// Prefix of a unique_id property (`TASK` in `TASK-17`).
    pub prefix: Option<String>,
}

impl PropSchema {
    pub fn new(id: String, name: &str, kind: PropKind) -> Self {
        PropSchema {
            id,
            name: name.to_string(),
            kind,
            options: vec![],
            groups: vec![],
            prefix: None,
        }
    }

    pub fn json(&self) -> Value {
        let config = match self.kind {
            PropKind::Select | PropKind::MultiSelect => json!({
                "options": self.options.iter().map(|o| json!({"id": o.id, "name": o.name, "color": o.color, "description": null})).collect::<Vec<_>>()
            }),
            PropKind::Status => json!({
                "options": self.options.iter().map(|o| json!({"id": o.id, "name": o.name, "color": o.color, "description": null})).collect::<Vec<_>>(),
                "groups": self.groups.iter().map(|g| json!({"id": g.id, "name": g.name, "color": g.color, "option_ids": g.option_ids})).collect::<Vec<_>>(),
            }),
            PropKind::Number => json!({"format": "number"}),
            PropKind::UniqueId => json!({"prefix": self.prefix}),
            _ => json!({}),
        };
        let mut v = json!({"id": self.id, "name": self.name, "description": null, "type": self.kind.as_str()});
        v[self.kind.as_str()] = config;
        v
    }

    /// The value a new page starts with.
    pub fn default_value(&self) -> Value {
        match self.kind {
            PropKind::Title | PropKind::RichText | PropKind::MultiSelect | PropKind::People => {
                json!([])
            }
            PropKind::Checkbox => json!(false),
            PropKind::Status => {
                // Notion gives new pages the first option of the first group (To-do).
                let first = self
                    .groups
                    .first()
                    .and_then(|g| g.option_ids.first())
                    .and_then(|id| self.options.iter().find(|o| &o.id == id))
                    .or(self.options.first());
                first.map(|o| o.json()).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DataSource {
    pub id: String,
    pub database_id: String,
    pub name: String,
    pub properties: Vec<PropSchema>,
    pub created_time: Timestamp,
    pub last_edited_time: Timestamp,
    pub in_trash: bool,
    pub next_unique: u64,
    pub icon: Value,
    /// A wiki's data source: its queries return its child data sources among the pages, in their place by
    /// `created_time`, unless the body asks for `"result_type": "page"` (notion-sdk-js types and #731).
    pub wiki: bool,
    /// A wiki's child data sources, as its queries return them.
    pub children: Vec<WikiChild>,
    /// Text filters (`contains`, `starts_with`, `ends_with`) match case exactly. Whether Notion's ignore
    /// case is documented nowhere found (../shared/notion-reference/README.md), so the sandbox can be run
    /// either way: seed `"text_matching": "case-sensitive"`, or `NOTION_SANDBOX_TEXT_MATCHING=case-sensitive`
    /// for every seed a process loads.
    pub case_sensitive_text: bool,
}

/// A child data source of a wiki: no row, but its queries return it among the rows (so it takes a place in
/// a page of results, in the 10,000-row cap, and can be the last row of a `created_time` window).
#[derive(Debug, Clone)]
pub struct WikiChild {
    pub id: String,
    pub name: String,
    pub created_time: Timestamp,
}

impl WikiChild {
    pub fn json(&self, parent: &DataSource) -> Value {
        json!({
            "object": "data_source",
            "id": self.id,
            "created_time": fmt_time(self.created_time),
            "last_edited_time": fmt_time(self.created_time),
            "title": rich_text_items(&self.name),
            "description": [],
            "properties": {},
            "parent": {"type": "data_source_id", "data_source_id": parent.id, "database_id": parent.database_id},
            "in_trash": false,
            "archived": false,
        })
    }
}

impl DataSource {
    /// The title property's id, as `filter_properties` names it.
    pub fn title_id(&self) -> Option<String> {
        self.title_property().map(|p| p.id.clone())
    }

    /// Finds a property by its name (case-sensitive) or by its id (raw or percent-decoded).
    pub fn property(&self, key: &str) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.name == key).or_else(|| {
            self.properties
                .iter()
                .find(|p| p.id == key || percent_decode(&p.id) == key)
        })
    }

    pub fn property_index(&self, key: &str) -> Option<usize> {
        self.properties
            .iter()
            .position(|p| p.name == key)
            .or_else(|| {
                self.properties
                    .iter()
                    .position(|p| p.id == key || percent_decode(&p.id) == key)
            })
    }

    pub fn title_property(&self) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.kind == PropKind::Title)
    }
}

#[derive(Debug, Clone)]
pub struct Database {
    pub id: String,
    pub title: String,
    pub parent_page_id: Option<String>,
    pub data_sources: Vec<String>,
    pub created_time: Timestamp,
    pub last_edited_time: Timestamp,
    pub in_trash: bool,
    /// A linked database (a view of another database placed on a page), which the API cannot read.
    pub linked: bool,
    /// The linked database answers Notion's other message ("… does not contain any data sources
    /// accessible by this API bot", ultimate-notion#113) rather than "… is a linked database".
    pub linked_no_sources: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    DataSource(String),
    Page(String),
    Workspace,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub id: String,
    pub parent: Parent,
    pub created_time: Timestamp,
    pub last_edited_time: Timestamp,
    pub in_trash: bool,
    pub icon: Value,
    pub cover: Value,
    /// Property values keyed by property id; each is what Notion shows under the type key.
    pub props: BTreeMap<String, Value>,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub page_id: String,
    pub discussion_id: String,
    pub created_time: Timestamp,
    pub rich_text: Value,
    /// A person resolved its discussion: Notion's comment list no longer shows it ("Retrieve comments …
    /// returns un-resolved comments", developers.notion.com/reference/retrieve-a-comment).
    pub resolved: bool,
}

#[derive(Debug, Clone)]
pub struct Integration {
    pub id: String,
    pub name: String,
    pub workspace_name: String,
    pub workspace_id: String,
    /// The token is a personal access token: it acts as a person (`GET /v1/users/me` answers a `person`)
    /// and sees what that person sees, so no database needs sharing with a connection.
    pub personal: bool,
    /// The integration's capabilities (developers.notion.com/reference/capabilities): `read_content`,
    /// `update_content`, `insert_content`, `read_comments`, `insert_comments`. All by default.
    pub capabilities: Vec<String>,
}

/// Every capability an integration can have.
pub const CAPABILITIES: [&str; 5] = [
    "read_content",
    "update_content",
    "insert_content",
    "read_comments",
    "insert_comments",
];

/// A clock that never repeats: every write gets a strictly later `last_edited_time`.
#[derive(Debug, Clone)]
pub struct Clock {
    last: Timestamp,
}

impl Clock {
    pub fn now(&mut self) -> Timestamp {
        let real = Timestamp::now();
        let min = self
            .last
            .checked_add(jiff::SignedDuration::from_millis(1))
            .unwrap_or(self.last);
        // Millisecond precision, like Notion's own timestamps.
        let real = Timestamp::from_millisecond(real.as_millisecond()).unwrap_or(real);
        self.last = if real > min { real } else { min };
        self.last
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            last: Timestamp::UNIX_EPOCH,
        }
    }
}

/// A timestamp as Notion shows it: rounded down to the minute (`…T09:08:00.000Z` in the recorded traffic;
/// ../shared/notion-reference/README.md, *Timestamps are rounded to the minute*). The sandbox keeps the
/// exact instant inside (so that order is stable) and shows, filters and sorts by the minute.
pub fn minute(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second().div_euclid(60) * 60).unwrap_or(t)
}

pub fn fmt_time(t: Timestamp) -> String {
    minute(t).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Everything the sandbox knows. Tests read it through [`crate::Sandbox::state`].
#[derive(Debug, Clone)]
pub struct State {
    pub integration: Integration,
    pub token: String,
    /// More connections to the same workspace (seed `other_connections`): tokens accepted as the first is,
    /// each with its own per-connection budget.
    pub other_tokens: Vec<String>,
    /// The workspace's people (seed `users`), listed by `GET /v1/users` with the integration's bot.
    pub users: Vec<User>,
    pub databases: HashMap<String, Database>,
    pub data_sources: HashMap<String, DataSource>,
    pub pages: Vec<Page>,
    pub page_index: HashMap<String, usize>,
    pub comments: Vec<Comment>,
    /// Ids that exist but are not shared with the integration (they answer 404).
    pub unshared: std::collections::HashSet<String>,
    /// Notion's cap on the rows one query can page through.
    pub query_row_cap: usize,
    /// Data sources made from now on match text filters case-sensitively
    /// ([`DataSource::case_sensitive_text`]).
    pub case_sensitive_text: bool,
    pub ids: IdGen,
    pub clock: Clock,
}

impl State {
    /// Whether a request with this bearer token is let in.
    pub fn accepts(&self, token: &str) -> bool {
        token == self.token || self.other_tokens.iter().any(|t| t == token)
    }

    pub fn new(token: String, seed: u64) -> Self {
        let mut ids = IdGen::new(seed);
        let integration = Integration {
            id: ids.uuid(),
            name: "git-notion sandbox".into(),
            workspace_name: "Sandbox workspace".into(),
            workspace_id: ids.uuid(),
            personal: false,
            capabilities: CAPABILITIES.iter().map(|c| c.to_string()).collect(),
        };
        State {
            integration,
            token,
            other_tokens: Vec::new(),
            users: vec![User {
                id: "a4f789cc-7bc8-4cf0-82b9-a8ba7d985ecf".into(),
                name: "Sandbox Person".into(),
                email: "person@sandbox.invalid".into(),
            }],
            databases: HashMap::new(),
            data_sources: HashMap::new(),
            pages: Vec::new(),
            page_index: HashMap::new(),
            comments: Vec::new(),
            unshared: Default::default(),
            case_sensitive_text: false,
            query_row_cap: 10_000,
            ids,
            clock: Clock::default(),
        }
    }

    pub fn page(&self, id: &str) -> Option<&Page> {
        self.page_index.get(id).map(|i| &self.pages[*i])
    }

    pub fn page_mut(&mut self, id: &str) -> Option<&mut Page> {
        self.page_index.get(id).map(|i| &mut self.pages[*i])
    }

    pub fn insert_page(&mut self, page: Page) {
        self.page_index.insert(page.id.clone(), self.pages.len());
        self.pages.push(page);
    }

    pub fn is_shared(&self, id: &str) -> bool {
        self.integration.personal || !self.unshared.contains(id)
    }

    /// The data source a page is a row of.
    pub fn page_data_source(&self, page: &Page) -> Option<&DataSource> {
        match &page.parent {
            Parent::DataSource(ds) => self.data_sources.get(ds),
            _ => None,
        }
    }

    /// Plain text of a page's title, for tests and URLs.
    pub fn page_title(&self, page: &Page) -> String {
        let title_id = match &page.parent {
            Parent::DataSource(ds) => self
                .data_sources
                .get(ds)
                .and_then(|d| d.title_property())
                .map(|p| p.id.clone()),
            _ => Some("title".to_string()),
        };
        title_id
            .and_then(|id| page.props.get(&id))
            .map(plain_text)
            .unwrap_or_default()
    }

    /// Finds a page by title text in a data source (test helper): the first whose title equals or starts with `prefix`.
    pub fn find_page_by_title(&self, prefix: &str) -> Option<&Page> {
        self.pages.iter().find(|p| {
            let t = self.page_title(p);
            t == prefix || t.starts_with(&format!("{prefix} "))
        })
    }

    /// A page's property by name, rendered as Notion would (`{"id","type",<type>}`).
    pub fn page_property(&self, page: &Page, name: &str) -> Option<Value> {
        let Parent::DataSource(ds) = &page.parent else {
            return None;
        };
        let ds = self.data_sources.get(ds)?;
        let schema = ds.property(name)?;
        Some(render_property(schema, page))
    }

    pub fn user_json(&self) -> Value {
        if self.integration.personal {
            // How a personal access token's /users/me answers is not published (asked for in the
            // issue's note): the sandbox answers the person it acts as.
            return json!({
                "object": "user",
                "id": self.integration.id,
                "name": self.integration.name,
                "avatar_url": null,
                "type": "person",
                "person": {"email": "person@sandbox.invalid"}
            });
        }
        json!({
            "object": "user",
            "id": self.integration.id,
            "name": self.integration.name,
            "avatar_url": null,
            "type": "bot",
            "bot": {
                "owner": {"type": "workspace", "workspace": true},
                "workspace_name": self.integration.workspace_name,
                "workspace_id": self.integration.workspace_id,
                "workspace_limits": {"max_file_upload_size_in_bytes": 5242880}
            }
        })
    }

    fn user_ref(&self) -> Value {
        json!({"object": "user", "id": self.integration.id})
    }

    pub fn page_json(&self, page: &Page, version: ApiVersion, only: Option<&[String]>) -> Value {
        let mut props = Map::new();
        let parent = match &page.parent {
            Parent::DataSource(ds_id) => {
                let ds = &self.data_sources[ds_id];
                for schema in &ds.properties {
                    if let Some(only) = only {
                        let keep = only.iter().any(|k| {
                            k == &schema.id || k == &schema.name || percent_decode(&schema.id) == *k
                        });
                        if !keep {
                            continue;
                        }
                    }
                    props.insert(schema.name.clone(), render_property(schema, page));
                }
                if version.has_data_sources() {
                    json!({"type": "data_source_id", "data_source_id": ds_id, "database_id": ds.database_id})
                } else {
                    json!({"type": "database_id", "database_id": ds.database_id})
                }
            }
            Parent::Page(pid) => {
                let title = page.props.get("title").cloned().unwrap_or(json!([]));
                props.insert(
                    "title".into(),
                    json!({"id": "title", "type": "title", "title": title}),
                );
                json!({"type": "page_id", "page_id": pid})
            }
            Parent::Workspace => json!({"type": "workspace", "workspace": true}),
        };
        let title = self.page_title(page);
        let slug: String = title
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let url = if slug.is_empty() {
            format!("https://app.notion.com/p/{}", ids::compact(&page.id))
        } else {
            // Page URLs as Notion gives them now (the recorded traffic): app.notion.com/p/<Title>-<id>.
            format!(
                "https://app.notion.com/p/{}-{}",
                slug,
                ids::compact(&page.id)
            )
        };
        json!({
            "object": "page",
            "id": page.id,
            "created_time": fmt_time(page.created_time),
            "last_edited_time": fmt_time(page.last_edited_time),
            "created_by": self.user_ref(),
            "last_edited_by": self.user_ref(),
            "cover": page.cover,
            "icon": page.icon,
            "parent": parent,
            "in_trash": page.in_trash,
            "is_archived": page.in_trash,
            "is_locked": false,
            "properties": props,
            "url": url,
            "public_url": null,
            "archived": page.in_trash,
        })
    }

    pub fn data_source_json(&self, ds: &DataSource) -> Value {
        let db = &self.databases[&ds.database_id];
        let props: Map<String, Value> = ds
            .properties
            .iter()
            .map(|p| (p.name.clone(), p.json()))
            .collect();
        json!({
            "object": "data_source",
            "id": ds.id,
            "cover": null,
            "icon": ds.icon,
            "created_time": fmt_time(ds.created_time),
            "created_by": self.user_ref(),
            "last_edited_by": self.user_ref(),
            "last_edited_time": fmt_time(ds.last_edited_time),
            "title": rich_text_items(&ds.name),
            "description": [],
            "is_inline": false,
            "properties": props,
            "parent": {"type": "database_id", "database_id": db.id},
            "database_parent": database_parent(db),
            "url": format!("https://www.notion.so/{}", ids::compact(&db.id)),
            "public_url": null,
            "in_trash": ds.in_trash,
            "archived": ds.in_trash,
        })
    }

    /// The database object; under 2022-06-28 it carries the schema of its single data source instead.
    pub fn database_json(&self, db: &Database, version: ApiVersion) -> Value {
        let mut v = json!({
            "object": "database",
            "id": db.id,
            "title": rich_text_items(&db.title),
            "description": [],
            "parent": database_parent(db),
            "is_inline": false,
            "in_trash": db.in_trash,
            "is_locked": false,
            "created_time": fmt_time(db.created_time),
            "last_edited_time": fmt_time(db.last_edited_time),
        });
        if version.has_data_sources() {
            v["data_sources"] = db
                .data_sources
                .iter()
                .map(|id| json!({"id": id, "name": self.data_sources[id].name}))
                .collect();
        } else if let Some(ds) = db.data_sources.first().map(|id| &self.data_sources[id]) {
            v["properties"] = ds
                .properties
                .iter()
                .map(|p| (p.name.clone(), p.json()))
                .collect::<Map<_, _>>()
                .into();
        }
        v["icon"] = Value::Null;
        v["cover"] = Value::Null;
        v["url"] = json!(format!("https://www.notion.so/{}", ids::compact(&db.id)));
        v["public_url"] = Value::Null;
        v["archived"] = json!(db.in_trash);
        v
    }

    pub fn comment_json(&self, c: &Comment) -> Value {
        json!({
            "object": "comment",
            "id": c.id,
            "parent": {"type": "page_id", "page_id": c.page_id},
            "discussion_id": c.discussion_id,
            "created_time": fmt_time(c.created_time),
            "last_edited_time": fmt_time(c.created_time),
            "created_by": self.user_ref(),
            "rich_text": c.rich_text,
            "display_name": {"type": "integration", "resolved_name": self.integration.name},
        })
    }

    pub fn block_json(&self, id: &str) -> Option<Value> {
        let (parent, created, edited, in_trash, kind, title) = if let Some(p) = self.page(id) {
            let parent = match &p.parent {
                Parent::Page(pid) => json!({"type": "page_id", "page_id": pid}),
                Parent::DataSource(ds) => json!({"type": "data_source_id", "data_source_id": ds}),
                Parent::Workspace => json!({"type": "workspace", "workspace": true}),
            };
            (
                parent,
                p.created_time,
                p.last_edited_time,
                p.in_trash,
                "child_page",
                self.page_title(p),
            )
        } else if let Some(db) = self.databases.get(id) {
            (
                database_parent(db),
                db.created_time,
                db.last_edited_time,
                db.in_trash,
                "child_database",
                db.title.clone(),
            )
        } else {
            return None;
        };
        let mut v = json!({
            "object": "block",
            "id": id,
            "parent": parent,
            "created_time": fmt_time(created),
            "last_edited_time": fmt_time(edited),
            "created_by": self.user_ref(),
            "last_edited_by": self.user_ref(),
            "has_children": false,
            "in_trash": in_trash,
            "type": kind,
        });
        v[kind] = json!({"title": title});
        v["archived"] = json!(in_trash);
        Some(v)
    }
}

fn database_parent(db: &Database) -> Value {
    match &db.parent_page_id {
        Some(p) => json!({"type": "page_id", "page_id": p}),
        None => json!({"type": "workspace", "workspace": true}),
    }
}

/// A property value as Notion renders it on a page: `{"id", "type", <type>: value}`.
pub fn render_property(schema: &PropSchema, page: &Page) -> Value {
    let value = match schema.kind {
        PropKind::CreatedTime => json!(fmt_time(page.created_time)),
        PropKind::LastEditedTime => json!(fmt_time(page.last_edited_time)),
        _ => page
            .props
            .get(&schema.id)
            .cloned()
            .unwrap_or_else(|| schema.default_value()),
    };
    let mut v = json!({"id": schema.id, "type": schema.kind.as_str()});
    v[schema.kind.as_str()] = value;
    v
}

/// One plain-text rich-text item, as Notion returns it.
pub fn rich_text_item(content: &str, link: Option<&str>) -> Value {
    json!({
        "type": "text",
        "text": {"content": content, "link": link.map(|u| json!({"url": u}))},
        "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
        "plain_text": content,
        "href": link,
    })
}

pub fn rich_text_items(content: &str) -> Value {
    if content.is_empty() {
        json!([])
    } else {
        json!([rich_text_item(content, None)])
    }
}

/// Concatenated `plain_text` of a rich-text array (or "" for anything else).
pub fn plain_text(v: &Value) -> String {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("plain_text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        if bytes[i] == b'+' {
            out.push(b' ');
        } else {
            out.push(bytes[i]);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("%3AUPp"), ":UPp");
        assert_eq!(percent_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("%E6%A0%87%E9%A2%98"), "标题");
        assert_eq!(percent_decode("bad%2"), "bad%2");
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let mut c = Clock::default();
        let a = c.now();
        let b = c.now();
        assert!(b > a);
        assert!(fmt_time(a).ends_with('Z'));
    }
}
