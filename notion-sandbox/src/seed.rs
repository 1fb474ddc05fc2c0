//! Seeding the sandbox from JSON (a file, a built-in seed, or a `serde_json::json!` literal in a test).
//!
//! ```json
//! {
//!   "token": "ntn_…",                      // optional; default: a fixed sandbox token
//!   "integration": "git-notion sandbox",   // optional bot name
//!   "users": [{"name": "Ada", "email": "ada@example.com"}], // optional: the workspace's people
//!   "other_connections": ["ntn_…"],         // optional: more tokens of the same workspace (own budgets)
//!   "token_kind": "integration",           // or "personal": a personal access token (a person, no sharing)
//!   "capabilities": ["read_content", "update_content", "insert_content", "read_comments", "insert_comments"],
//!   "rows_per_minute": 1,                  // optional: rows created a minute (20000: a CSV import)
//!   "query_row_cap": 10000,                // optional: rows one query returns at most
//!   "text_matching": "case-insensitive",   // optional: or "case-sensitive" (contains, starts_with,
//!                                          //   ends_with); NOTION_SANDBOX_TEXT_MATCHING sets the default
//!   "pages": [{"id": "…", "title": "Team space"}],           // optional workspace pages
//!   "databases": [{
//!     "id": "…", "title": "工单", "parent_page": "…", "shared": true,
//!     "linked": false,                     // true: a linked database (a view), unreadable by the API;
//!                                          // "no_data_sources": one answering Notion's other message
//!     "data_sources": [{
//!       "id": "…", "name": "工单", "wiki": false,   // true: queries also return a child data source, first
//!       "wiki_children": 3,                // optional: a wiki whose last 3 items are child data sources
//!       "properties": {
//!         "标题": {"type": "title"},
//!         "状态": {"type": "status", "groups": {"To-do": ["未开始"], "In progress": ["进行中"], "Complete": ["完成"]}},
//!         "Type": {"type": "select", "options": ["Bug", "Feature"]},
//!         "ID": {"type": "unique_id", "prefix": "TASK"}
//!       },
//!       "pages": [{"id": "…", "properties": {"标题": "#002 - Git Workflow", "状态": "完成"}}]
//!     }]
//!   }]
//! }
//! ```
//! Page values may be short (a string, number, bool or list of names) or Notion's own write shape.

use serde_json::{json, Map, Value};

use crate::ids;
use crate::model::{
    rich_text_items, DataSource, Database, Page, Parent, PropKind, PropSchema, SelectOption, State,
    StatusGroup,
};
use crate::values::validate_writes;

/// The token a sandbox accepts when the seed names none. Obviously fake, but shaped like a real one
/// so that leak checks can look for it.
pub const DEFAULT_TOKEN: &str = "ntn_sandbox_4f1c2b8e9d7a6035c1e2f3a4b5c6d7e8f9a0b1c2";

/// Built-in seeds, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("zh", include_str!("../seeds/zh.json")),
    ("en", include_str!("../seeds/en.json")),
    // Two databases in one workspace: Bugs (`BUG-n`, a status property) and Tasks (`TASK-n`, a select).
    ("two", include_str!("../seeds/two.json")),
];

#[derive(Debug)]
pub struct SeedError(pub String);

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SeedError {}

/// Loads a seed by built-in name (`zh`, `en`) or from a JSON file.
pub fn load(name_or_path: &str) -> Result<Value, SeedError> {
    if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        return serde_json::from_str(text)
            .map_err(|e| SeedError(format!("built-in seed {name_or_path}: {e}")));
    }
    let text = std::fs::read_to_string(name_or_path).map_err(|e| {
        SeedError(format!(
            "cannot read seed {name_or_path}: {e} (built-in seeds: zh, en)"
        ))
    })?;
    serde_json::from_str(&text)
        .map_err(|e| SeedError(format!("seed {name_or_path} is not valid JSON: {e}")))
}

/// Builds a sandbox state from a seed.
pub fn build(seed: &Value) -> Result<State, SeedError> {
    let token = seed
        .get("token")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_TOKEN)
        .to_string();
    let mut state = State::new(
        token,
        seed.get("id_seed").and_then(Value::as_u64).unwrap_or(1),
    );
    if let Some(more) = seed.get("other_connections") {
        state.other_tokens = more
            .as_array()
            .and_then(|a| a.iter().map(|t| t.as_str().map(String::from)).collect())
            .ok_or_else(|| SeedError("other_connections must be a list of tokens".into()))?;
    }
    if let Some(users) = seed.get("users") {
        state.users = seed_users(users, &mut state.ids)?;
    }
    if let Some(name) = seed.get("integration").and_then(Value::as_str) {
        state.integration.name = name.to_string();
    }
    match seed.get("token_kind").and_then(Value::as_str) {
        None | Some("integration") => {}
        Some("personal") => state.integration.personal = true,
        Some(other) => {
            return Err(SeedError(format!(
                "token_kind {other:?} is not \"integration\" or \"personal\""
            )))
        }
    }
    // Whether Notion's text filters ignore case is documented nowhere found: the sandbox runs either way.
    let matching = seed
        .get("text_matching")
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| std::env::var("NOTION_SANDBOX_TEXT_MATCHING").ok());
    state.case_sensitive_text = matching.as_deref() == Some("case-sensitive");
    if let Some(caps) = seed.get("capabilities") {
        let caps: Vec<String> = serde_json::from_value(caps.clone())
            .map_err(|e| SeedError(format!("capabilities: {e}")))?;
        if let Some(bad) = caps
            .iter()
            .find(|c| !crate::model::CAPABILITIES.contains(&c.as_str()))
        {
            return Err(SeedError(format!(
                "capabilities: {bad:?} is not one of {:?}",
                crate::model::CAPABILITIES
            )));
        }
        state.integration.capabilities = caps;
    }
    if let Some(cap) = seed.get("query_row_cap").and_then(Value::as_u64) {
        state.query_row_cap = cap as usize;
    }
    for p in seed
        .get("pages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let id = id_or_new(&mut state, p.get("id"), "page")?;
        let title = p.get("title").and_then(Value::as_str).unwrap_or("");
        let now = state.clock.now();
        let mut props = std::collections::BTreeMap::new();
        props.insert("title".to_string(), rich_text_items(title));
        state.insert_page(Page {
            id,
            parent: Parent::Workspace,
            created_time: now,
            last_edited_time: now,
            in_trash: false,
            icon: Value::Null,
            cover: Value::Null,
            props,
        });
    }
    for db in seed
        .get("databases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add_database(&mut state, db)?;
    }
    spread_created_times(&mut state, seed)?;
    add_wiki_children(&mut state, seed)?;
    Ok(state)
}

/// A wiki's child data sources. `"wiki": true`: one, created a minute before the first row (queries
/// return it first). `"wiki_children": N`: the wiki's last N items are child data sources, one a minute
/// after its last row (its rows move N minutes earlier to make room), so that with a small
/// `query_row_cap` a `created_time` window can end in data sources, as in the notion-sdk-js #731 report.
fn add_wiki_children(state: &mut State, seed: &Value) -> Result<(), SeedError> {
    let counts: Vec<(Option<String>, Value)> = seed
        .get("databases")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|db| {
            db.get("data_sources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|ds| {
            let id = ds
                .get("id")
                .and_then(Value::as_str)
                .and_then(crate::ids::normalize);
            Some((id, ds.get("wiki_children")?.clone()))
        })
        .collect();
    let ids: Vec<String> = (state.data_sources.values())
        .filter(|ds| ds.wiki)
        .map(|ds| ds.id.clone())
        .collect();
    for id in ids {
        let n = match counts
            .iter()
            .find(|(i, _)| i.as_deref() == Some(id.as_str()))
        {
            None => None,
            Some((_, v)) => Some(v.as_u64().filter(|n| (1..=10_000).contains(n)).ok_or_else(
                || {
                    SeedError(format!(
                        "wiki_children {v} is not a whole number from 1 to 10000"
                    ))
                },
            )? as i64),
        };
        let minute = jiff::SignedDuration::from_mins(1);
        let created = state.data_sources[&id].created_time;
        let mut rows: Vec<&mut crate::model::Page> = state
            .pages
            .iter_mut()
            .filter(|p| matches!(&p.parent, crate::model::Parent::DataSource(d) if d == &id))
            .collect();
        let at: Vec<jiff::Timestamp> = match n {
            None => {
                let first = rows.first().map_or(created, |p| p.created_time);
                vec![first.checked_sub(minute).unwrap_or(first)]
            }
            Some(n) => {
                for p in rows.iter_mut() {
                    let back = minute * (n as i32);
                    p.created_time = p.created_time.checked_sub(back).unwrap_or(p.created_time);
                    p.last_edited_time = p.created_time;
                }
                let last = rows.last().map_or(created, |p| p.created_time);
                (1..=n)
                    .map(|k| last.checked_add(minute * (k as i32)).unwrap_or(last))
                    .collect()
            }
        };
        let name = state.data_sources[&id].name.clone();
        let children = at
            .into_iter()
            .enumerate()
            .map(|(k, created_time)| crate::model::WikiChild {
                id: state.ids.uuid(),
                name: format!("{name} / part {}", k + 1),
                created_time,
            })
            .collect();
        state
            .data_sources
            .get_mut(&id)
            .expect("data source")
            .children = children;
    }
    Ok(())
}

/// Seeded rows were created over time, as in a real workspace: `rows_per_minute` rows a minute (default
/// 1), in seed order, the last ones in the current minute. A CSV import creates thousands of rows in one
/// minute (`"rows_per_minute": 20000`), which `created_time` windows alone cannot page past.
fn spread_created_times(state: &mut State, seed: &Value) -> Result<(), SeedError> {
    let per_minute =
        match seed.get("rows_per_minute") {
            None => 1,
            Some(v) => v.as_u64().filter(|n| *n >= 1).ok_or_else(|| {
                SeedError(format!("rows_per_minute {v} is not a whole number ≥ 1"))
            })? as i64,
        };
    let n = state.pages.len() as i64;
    let minutes = (n + per_minute - 1) / per_minute;
    let now = state.clock.now();
    let base = now.as_second().div_euclid(60) * 60 - minutes * 60;
    for (i, p) in state.pages.iter_mut().enumerate() {
        // The exact instant (a millisecond per row) keeps seed order within a minute.
        let t = jiff::Timestamp::from_second(base + (i as i64 / per_minute + 1) * 60)
            .ok()
            .and_then(|t| {
                t.checked_add(jiff::SignedDuration::from_millis(i as i64 % 60_000))
                    .ok()
            })
            .unwrap_or(now)
            .min(now);
        p.created_time = t;
        p.last_edited_time = t;
    }
    Ok(())
}

fn id_or_new(state: &mut State, v: Option<&Value>, what: &str) -> Result<String, SeedError> {
    match v.and_then(Value::as_str) {
        Some(raw) => ids::normalize(raw)
            .ok_or_else(|| SeedError(format!("{what} id {raw:?} is not 32 hex digits"))),
        None => Ok(state.ids.uuid()),
    }
}

fn add_database(state: &mut State, db: &Value) -> Result<(), SeedError> {
    let id = id_or_new(state, db.get("id"), "database")?;
    let title = db
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("Tickets")
        .to_string();
    let parent_page_id = match db.get("parent_page").and_then(Value::as_str) {
        Some(p) => Some(
            ids::normalize(p)
                .ok_or_else(|| SeedError(format!("parent_page {p:?} is not an id")))?,
        ),
        None => None,
    };
    let now = state.clock.now();
    state.databases.insert(
        id.clone(),
        Database {
            id: id.clone(),
            title: title.clone(),
            parent_page_id,
            data_sources: vec![],
            created_time: now,
            last_edited_time: now,
            in_trash: false,
            linked: db.get("linked").and_then(Value::as_bool) == Some(true)
                || db.get("linked").and_then(Value::as_str) == Some("no_data_sources"),
            linked_no_sources: db.get("linked").and_then(Value::as_str) == Some("no_data_sources"),
        },
    );
    if db.get("shared").and_then(Value::as_bool) == Some(false) {
        state.unshared.insert(id.clone());
    }
    let sources = db
        .get("data_sources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if sources.is_empty() && !state.databases[&id].linked {
        return Err(SeedError(format!(
            "database {title:?} needs at least one data source"
        )));
    }
    for ds in &sources {
        add_data_source(state, &id, ds, &title)?;
    }
    Ok(())
}

/// Adds a data source (with its schema and pages) to an existing database.
pub fn add_data_source(
    state: &mut State,
    database_id: &str,
    ds: &Value,
    default_name: &str,
) -> Result<String, SeedError> {
    let id = id_or_new(state, ds.get("id"), "data source")?;
    let name = ds
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(default_name)
        .to_string();
    let mut properties = vec![];
    let props = ds
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for (pname, spec) in &props {
        properties.push(schema_from_seed(state, pname, spec)?);
    }
    if !properties.iter().any(|p| p.kind == PropKind::Title) {
        properties.insert(0, PropSchema::new("title".into(), "Name", PropKind::Title));
    }
    if properties
        .iter()
        .filter(|p| p.kind == PropKind::Title)
        .count()
        > 1
    {
        return Err(SeedError(format!(
            "data source {name:?} has more than one title property"
        )));
    }
    let now = state.clock.now();
    state.data_sources.insert(
        id.clone(),
        DataSource {
            id: id.clone(),
            database_id: database_id.to_string(),
            name,
            properties,
            created_time: now,
            last_edited_time: now,
            in_trash: false,
            next_unique: 1,
            icon: ds.get("icon").cloned().unwrap_or(Value::Null),
            wiki: ds.get("wiki").and_then(Value::as_bool) == Some(true)
                || ds.get("wiki_children").is_some(),
            children: vec![],
            case_sensitive_text: state.case_sensitive_text,
        },
    );
    state
        .databases
        .get_mut(database_id)
        .expect("database")
        .data_sources
        .push(id.clone());
    for p in ds
        .get("pages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let page_id = id_or_new(state, p.get("id"), "page")?;
        let values = p
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let writes = seed_writes(&state.data_sources[&id], &state.users, &values)?;
        create_page(state, &id, page_id, &writes)
            .map_err(|e| SeedError(format!("seed page: {}", e.message)))?;
        if p.get("in_trash").and_then(Value::as_bool) == Some(true) {
            let last = state.pages.len() - 1;
            state.pages[last].in_trash = true;
        }
    }
    Ok(id)
}

fn schema_from_seed(state: &mut State, name: &str, spec: &Value) -> Result<PropSchema, SeedError> {
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("rich_text");
    let kind = PropKind::parse(ty)
        .ok_or_else(|| SeedError(format!("property {name:?}: unknown type {ty:?}")))?;
    let id = match (spec.get("id").and_then(Value::as_str), kind) {
        (Some(id), _) => id.to_string(),
        (None, PropKind::Title) => "title".to_string(),
        (None, _) => state.ids.property_id(),
    };
    let mut schema = PropSchema::new(id, name, kind);
    let colors = [
        "gray", "blue", "green", "yellow", "orange", "red", "purple", "pink", "brown", "default",
    ];
    let option = |state: &mut State, n: &str, i: usize| SelectOption {
        id: state.ids.property_id(),
        name: n.to_string(),
        color: colors[i % colors.len()].to_string(),
    };
    match kind {
        PropKind::Select | PropKind::MultiSelect => {
            for (i, o) in spec
                .get("options")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let n = o
                    .as_str()
                    .ok_or_else(|| SeedError(format!("property {name:?}: options are names")))?;
                schema.options.push(option(state, n, i));
            }
        }
        PropKind::Status => {
            let groups = spec.get("groups").and_then(Value::as_object).cloned().unwrap_or_else(|| {
                json!({"To-do": ["Not started"], "In progress": ["In progress"], "Complete": ["Done"]})
                    .as_object()
                    .cloned()
                    .expect("object")
            });
            let group_colors = ["gray", "blue", "green"];
            for (gi, (gname, opts)) in groups.iter().enumerate() {
                let mut option_ids = vec![];
                for n in opts
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let o = option(state, n, gi);
                    option_ids.push(o.id.clone());
                    schema.options.push(o);
                }
                schema.groups.push(StatusGroup {
                    id: state.ids.property_id(),
                    name: gname.clone(),
                    color: group_colors[gi % 3].to_string(),
                    option_ids,
                });
            }
        }
        PropKind::UniqueId => {
            schema.prefix = spec
                .get("prefix")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        _ => {}
    }
    Ok(schema)
}

/// The seed's people: `[{"name", "email", "id"?}]` (an id is made when none is given).
fn seed_users(
    v: &Value,
    ids: &mut crate::ids::IdGen,
) -> Result<Vec<crate::model::User>, SeedError> {
    let bad = || SeedError("users must be a list of {\"name\", \"email\"} objects".into());
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|u| {
            let field = |k: &str| u.get(k).and_then(Value::as_str).map(String::from);
            Ok(crate::model::User {
                id: field("id").unwrap_or_else(|| ids.uuid()),
                name: field("name").ok_or_else(bad)?,
                email: field("email").ok_or_else(bad)?,
            })
        })
        .collect()
}

/// Turns a seed page's short values into Notion write shapes.
fn seed_writes(
    ds: &DataSource,
    users: &[crate::model::User],
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, SeedError> {
    let mut out = Map::new();
    for (key, v) in values {
        let schema = ds.property(key).ok_or_else(|| {
            SeedError(format!(
                "seed page: {key} is not a property of {:?}",
                ds.name
            ))
        })?;
        let ty = schema.kind.as_str();
        let already = v.as_object().map(|o| o.contains_key(ty)).unwrap_or(false);
        let write = if already {
            v.clone()
        } else {
            let inner = match (schema.kind, v) {
                (PropKind::Title | PropKind::RichText, Value::String(s)) => {
                    json!([{"text": {"content": s}}])
                }
                (PropKind::Select | PropKind::Status, Value::String(s)) => json!({"name": s}),
                (PropKind::MultiSelect, Value::Array(a)) => {
                    Value::Array(a.iter().map(|n| json!({"name": n})).collect())
                }
                (PropKind::Date, Value::String(s)) => json!({"start": s}),
                // People by email (or id) among the seed's users.
                (PropKind::People, Value::Array(a)) => Value::Array(
                    a.iter()
                        .map(|who| {
                            let who = who.as_str().unwrap_or_default();
                            let id = users
                                .iter()
                                .find(|u| u.email == who)
                                .map_or(who, |u| u.id.as_str());
                            json!({"object": "user", "id": id})
                        })
                        .collect(),
                ),
                (_, v) => v.clone(),
            };
            let mut w = json!({});
            w[ty] = inner;
            w
        };
        out.insert(key.clone(), write);
    }
    Ok(out)
}

/// Creates a page in a data source from Notion write shapes (validated), giving it a unique id number.
pub fn create_page(
    state: &mut State,
    ds_id: &str,
    page_id: String,
    writes: &Map<String, Value>,
) -> Result<String, crate::error::ApiError> {
    let mut ids = state.ids.clone();
    let users = state.users.clone();
    let ds = state.data_sources.get_mut(ds_id).expect("data source");
    let values = validate_writes(ds, writes, &mut ids, &users)?;
    let mut props = std::collections::BTreeMap::new();
    for schema in &ds.properties {
        let v = match schema.kind {
            PropKind::UniqueId => json!({"prefix": schema.prefix, "number": ds.next_unique}),
            _ => schema.default_value(),
        };
        props.insert(schema.id.clone(), v);
    }
    ds.next_unique += 1;
    for (id, v) in values {
        props.insert(id, v);
    }
    state.ids = ids;
    let now = state.clock.now();
    state.insert_page(Page {
        id: page_id.clone(),
        parent: Parent::DataSource(ds_id.to_string()),
        created_time: now,
        last_edited_time: now,
        in_trash: false,
        icon: Value::Null,
        cover: Value::Null,
        props,
    });
    Ok(page_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_seeds_build() {
        for (name, _) in BUILTIN {
            let state = build(&load(name).unwrap()).unwrap();
            assert!(!state.pages.is_empty(), "{name}");
        }
    }

    #[test]
    fn bad_seed_values_are_reported() {
        let seed = json!({"databases": [{"data_sources": [{
            "properties": {"Name": {"type": "title"}, "S": {"type": "status"}},
            "pages": [{"properties": {"S": "Nope"}}]
        }]}]});
        let err = build(&seed).unwrap_err();
        assert!(err.0.contains("Nope"), "{err}");
    }
}
