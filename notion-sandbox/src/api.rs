//! The Notion endpoints, as functions of the state. HTTP plumbing lives in `server.rs`.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::ids;
use crate::model::{ApiVersion, Comment, Page, Parent, PropKind, State};
use crate::query;
use crate::seed;
use crate::values::{self, validate_writes};

/// A routed request.
pub struct Call<'a> {
    pub method: &'a str,
    pub segments: Vec<&'a str>,
    pub query: Vec<(String, String)>,
    pub body: Value,
    pub version: ApiVersion,
}

impl Call<'_> {
    fn query_all(&self, key: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Whether a path names an endpoint the sandbox serves (checked before auth, like Notion).
pub fn known_route(method: &str, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        ("GET", ["v1", "users", "me"])
            | ("GET", ["v1", "users"])
            | ("GET", ["v1", "databases", _])
            | ("POST", ["v1", "databases"])
            | ("POST", ["v1", "databases", _, "query"])
            | ("GET", ["v1", "data_sources", _])
            | ("PATCH", ["v1", "data_sources", _])
            | ("POST", ["v1", "data_sources"])
            | ("POST", ["v1", "data_sources", _, "query"])
            | ("GET", ["v1", "pages", _])
            | ("PATCH", ["v1", "pages", _])
            | ("POST", ["v1", "pages"])
            | ("GET", ["v1", "pages", _, "properties", _])
            | ("POST", ["v1", "comments"])
            | ("GET", ["v1", "comments"])
            | ("DELETE", ["v1", "comments", _])
            | ("GET", ["v1", "blocks", _])
            | ("DELETE", ["v1", "blocks", _])
            | ("POST", ["v1", "search"])
    )
}

/// Whether a request changes state (used by tests counting writes).
pub fn is_write(method: &str, path: &str) -> bool {
    match method {
        "PATCH" | "DELETE" => true,
        "POST" => !path.ends_with("/query") && path != "/v1/search",
        _ => false,
    }
}

/// The capability an endpoint needs (developers.notion.com/reference/capabilities): without it Notion
/// answers 403 `restricted_resource`.
fn capability(method: &str, segments: &[&str]) -> Option<&'static str> {
    match (method, segments) {
        (_, ["v1", "users", ..]) => None,
        ("GET", ["v1", "comments"]) => Some("read_comments"),
        ("POST", ["v1", "comments"]) | ("DELETE", ["v1", "comments", _]) => Some("insert_comments"),
        ("PATCH", _) | ("DELETE", _) => Some("update_content"),
        ("POST", ["v1", "pages"])
        | ("POST", ["v1", "databases"])
        | ("POST", ["v1", "data_sources"]) => Some("insert_content"),
        _ => Some("read_content"),
    }
}

pub fn dispatch(state: &mut State, call: &Call) -> Result<Value, ApiError> {
    if let Some(needed) = capability(call.method, &call.segments) {
        if !state.integration.capabilities.iter().any(|c| c == needed) {
            return Err(ApiError::new(
                403,
                "restricted_resource",
                "Insufficient permissions for this endpoint.",
            ));
        }
    }
    if call.version.says_in_trash_only() {
        if let Some(v) = call.body.get("archived") {
            return Err(ApiError::validation(format!(
                "body failed validation: body.archived should be not present, instead was `{v}`."
            )));
        }
    }
    let mut answer = route(state, call)?;
    if call.version.says_in_trash_only() {
        without_archived(&mut answer);
    }
    Ok(answer)
}

/// An answer as 2026-03-11 and later give it: `in_trash` only, no `archived` anywhere.
fn without_archived(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("archived");
            o.values_mut().for_each(without_archived);
        }
        Value::Array(a) => a.iter_mut().for_each(without_archived),
        _ => {}
    }
}

/// `GET /v1/users`: the workspace's people, then the integration's bot, `page_size` (≤ 100) at a time.
fn list_users(state: &State, call: &Call) -> Result<Value, ApiError> {
    let mut all: Vec<Value> = state.users.iter().map(crate::model::User::json).collect();
    all.push(state.user_json());
    let size = match call.query_all("page_size").first() {
        None => 100,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::validation(format!(
                    "page_size should be a number between 1 and 100, instead was `{s}`."
                )))
            }
        },
    };
    let start = match call.query_all("start_cursor").first() {
        None => 0,
        Some(c) => all
            .iter()
            .position(|u| u["id"].as_str() == Some(c.as_str()))
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "start_cursor should be a valid cursor, instead was `{c}`."
                ))
            })?,
    };
    let end = (start + size).min(all.len());
    let next = all
        .get(end)
        .and_then(|u| u["id"].as_str())
        .map(String::from);
    Ok(list(all[start..end].to_vec(), next, "user"))
}

fn route(state: &mut State, call: &Call) -> Result<Value, ApiError> {
    match (call.method, call.segments.as_slice()) {
        ("GET", ["v1", "users", "me"]) => Ok(state.user_json()),
        ("GET", ["v1", "users"]) => list_users(state, call),
        ("GET", ["v1", "databases", id]) => get_database(state, id, call.version),
        ("POST", ["v1", "databases"]) => create_database(state, &call.body, call.version),
        ("POST", ["v1", "databases", id, "query"]) => {
            if call.version.has_data_sources() {
                return Err(ApiError::invalid_url());
            }
            let ds = single_data_source(state, id)?;
            query_data_source(state, &ds, call)
        }
        ("GET", ["v1", "data_sources", id]) => {
            let id = data_source_id(state, id)?;
            Ok(state.data_source_json(&state.data_sources[&id]))
        }
        ("PATCH", ["v1", "data_sources", id]) => update_data_source(state, id, &call.body),
        ("POST", ["v1", "data_sources"]) => create_data_source(state, &call.body),
        ("POST", ["v1", "data_sources", id, "query"]) => {
            let id = data_source_id(state, id)?;
            query_data_source(state, &id, call)
        }
        ("GET", ["v1", "pages", id]) => {
            let id = page_id(state, id)?;
            Ok(state.page_json(state.page(&id).expect("page"), call.version, None))
        }
        ("PATCH", ["v1", "pages", id]) => update_page(state, id, &call.body, call.version),
        ("POST", ["v1", "pages"]) => create_page(state, &call.body, call.version),
        ("GET", ["v1", "pages", id, "properties", prop]) => property_item(state, id, prop),
        ("POST", ["v1", "comments"]) => create_comment(state, &call.body),
        ("GET", ["v1", "comments"]) => list_comments(state, call),
        ("DELETE", ["v1", "comments", id]) => delete_comment(state, id),
        ("GET", ["v1", "blocks", id]) => {
            let id = block_id(state, id)?;
            Ok(state.block_json(&id).expect("block"))
        }
        ("DELETE", ["v1", "blocks", id]) => delete_block(state, id),
        ("POST", ["v1", "search"]) => search(state, &call.body, call.version),
        _ => Err(ApiError::invalid_url()),
    }
}

fn list(results: Vec<Value>, next: Option<String>, ty: &str) -> Value {
    let mut v = json!({
        "object": "list",
        "results": results,
        "next_cursor": next,
        "has_more": next.is_some(),
        "type": ty,
    });
    v[ty] = json!({});
    v
}

fn valid_uuid(raw: &str, what: &str) -> Result<String, ApiError> {
    ids::normalize(raw).ok_or_else(|| {
        ApiError::validation(format!("path failed validation: path.{what}_id should be a valid uuid, instead was `\"{raw}\"`."))
    })
}

fn not_found(state: &State, kind: &str, id: &str) -> ApiError {
    ApiError::not_found(kind, id, &state.integration.name, &state.integration.id)
}

fn database_id(state: &State, raw: &str) -> Result<String, ApiError> {
    let id = valid_uuid(raw, "database")?;
    if !state.databases.contains_key(&id) || !state.is_shared(&id) {
        if page_id(state, &id).is_ok() {
            return Err(wrong_kind(&id, "page", "database"));
        }
        return Err(not_found(state, "database", &id));
    }
    if state.databases[&id].linked_no_sources {
        // The other answer public clients quote for a linked database (ultimate-notion#113); its status
        // was not found in any source: a 400, as the first.
        return Err(ApiError::validation(format!(
            "Database with ID {id} does not contain any data sources accessible by this API bot."
        )));
    }
    if state.databases[&id].linked {
        // Quoted by public clients (dust-tt/dust#18188); Notion's docs: "Linked databases are not
        // supported" (developers.notion.com/reference/retrieve-a-database).
        return Err(ApiError::validation(format!(
            "Database with ID {id} is a linked database. Database retrievals do not support linked databases."
        )));
    }
    Ok(id)
}

/// Notion's answer to an id of the wrong kind of object at an endpoint: a 400, not a 404 ("Provided ID
/// … is a database, not a page", quoted by several public clients; ../shared/notion-reference/README.md).
fn wrong_kind(id: &str, is: &str, wanted: &str) -> ApiError {
    let reference = match is {
        "page" => "https://developers.notion.com/reference/retrieve-a-page",
        _ => "https://developers.notion.com/reference/retrieve-a-database",
    };
    ApiError::validation(format!(
        "Provided ID {id} is a {is}, not a {wanted}. Use the retrieve {is} API instead, found at {reference}."
    ))
}

fn data_source_id(state: &State, raw: &str) -> Result<String, ApiError> {
    let id = valid_uuid(raw, "data_source")?;
    match state.data_sources.get(&id) {
        Some(ds) if state.is_shared(&id) && state.is_shared(&ds.database_id) => Ok(id),
        _ => Err(not_found(state, "data_source", &id)),
    }
}

fn page_id(state: &State, raw: &str) -> Result<String, ApiError> {
    let id = valid_uuid(raw, "page")?;
    let Some(page) = state.page(&id) else {
        if state.databases.contains_key(&id) && state.is_shared(&id) {
            return Err(wrong_kind(&id, "database", "page"));
        }
        return Err(not_found(state, "page", &id));
    };
    let visible = state.is_shared(&id)
        && match &page.parent {
            Parent::DataSource(ds) => {
                state.is_shared(ds) && state.is_shared(&state.data_sources[ds].database_id)
            }
            _ => true,
        };
    if !visible {
        return Err(not_found(state, "page", &id));
    }
    Ok(id)
}

fn block_id(state: &State, raw: &str) -> Result<String, ApiError> {
    let id = valid_uuid(raw, "block")?;
    if state.page(&id).is_some() {
        return page_id(state, raw);
    }
    if state.databases.contains_key(&id) && state.is_shared(&id) {
        return Ok(id);
    }
    Err(not_found(state, "block", &id))
}

fn get_database(state: &State, raw: &str, version: ApiVersion) -> Result<Value, ApiError> {
    let id = database_id(state, raw)?;
    let db = &state.databases[&id];
    if !version.has_data_sources() && db.data_sources.len() > 1 {
        return Err(multiple_sources(db));
    }
    Ok(state.database_json(db, version))
}

fn multiple_sources(db: &crate::model::Database) -> ApiError {
    let mut e = ApiError::validation(
        "Databases with multiple data sources are not supported in this API version. Use Notion-Version 2025-09-03 or later and the data source endpoints.",
    );
    e.additional_data = Some(Box::new(json!({
        "error_type": "multiple_data_sources_for_database",
        "database_id": db.id,
        "child_data_source_ids": db.data_sources,
        "minimum_api_version": "2025-09-03",
    })));
    e
}

/// Under 2022-06-28 a database is addressed directly; it must have exactly one data source.
fn single_data_source(state: &State, raw: &str) -> Result<String, ApiError> {
    let id = database_id(state, raw)?;
    let db = &state.databases[&id];
    if db.data_sources.len() > 1 {
        return Err(multiple_sources(db));
    }
    Ok(db.data_sources[0].clone())
}

fn query_data_source(state: &State, ds_id: &str, call: &Call) -> Result<Value, ApiError> {
    let ds = &state.data_sources[ds_id];
    let mut only = call.query_all("filter_properties[]");
    only.extend(call.query_all("filter_properties"));
    for key in &only {
        if ds.property(key).is_none() {
            return Err(ApiError::validation(format!(
                "Could not find property with name or id: {key}"
            )));
        }
    }
    let r = query::run(state, ds, &call.body)?;
    if only.is_empty() && call.version.trims_properties() {
        only.extend(ds.title_id());
    }
    let only = (!only.is_empty()).then_some(only.as_slice());
    let results: Vec<Value> = r
        .results
        .iter()
        .map(|row| match *row {
            query::Row::Page(i) => state.page_json(&state.pages[i], call.version, only),
            query::Row::Child(k) => ds.children[k].json(ds),
        })
        .collect();
    let ty = if call.version.has_data_sources() {
        "page_or_data_source"
    } else {
        "page_or_database"
    };
    let mut v = list(results, r.next_cursor, ty);
    if r.incomplete {
        v["request_status"] =
            json!({"type": "incomplete", "incomplete_reason": "query_result_limit_reached"});
    }
    Ok(v)
}

fn update_page(
    state: &mut State,
    raw: &str,
    body: &Value,
    version: ApiVersion,
) -> Result<Value, ApiError> {
    let id = page_id(state, raw)?;
    let page = state.page(&id).expect("page").clone();
    let props = body.get("properties").filter(|p| !p.is_null());
    let trash = body
        .get("in_trash")
        .or(body.get("archived"))
        .filter(|v| !v.is_null());
    if let Some(t) = trash {
        if !t.is_boolean() {
            return Err(ApiError::validation(format!(
                "body failed validation: body.in_trash should be a boolean, instead was `{t}`."
            )));
        }
    }
    for field in ["icon", "cover"] {
        if let Some(v) = body.get(field) {
            check_file_object(field, v)?;
        }
    }
    let unarchiving = trash.and_then(Value::as_bool) == Some(false);
    if page.in_trash && !unarchiving && (props.is_some() || body.get("icon").is_some()) {
        return Err(ApiError::validation(
            "Can't edit block that is archived. You must unarchive the block before editing.",
        ));
    }
    let mut new_values = vec![];
    if let Some(props) = props {
        let Some(map) = props.as_object() else {
            return Err(ApiError::validation(format!("body failed validation: body.properties should be an object, instead was `{props}`.")));
        };
        match &page.parent {
            Parent::DataSource(ds_id) => {
                let mut ids = state.ids.clone();
                let users = state.users.clone();
                let ds = state.data_sources.get_mut(ds_id).expect("data source");
                new_values = validate_writes(ds, map, &mut ids, &users)?;
                state.ids = ids;
            }
            _ => {
                for (k, v) in map {
                    if k != "title" {
                        return Err(ApiError::validation(format!(
                            "{k} is not a property that exists."
                        )));
                    }
                    let items = v.get("title").unwrap_or(v);
                    new_values.push((
                        "title".to_string(),
                        values::rich_text(items, "body.properties.title.title")?,
                    ));
                }
            }
        }
    }
    let now = state.clock.now();
    let page = state.page_mut(&id).expect("page");
    for (pid, v) in new_values {
        page.props.insert(pid, v);
    }
    if let Some(t) = trash.and_then(Value::as_bool) {
        page.in_trash = t;
    }
    if let Some(icon) = body.get("icon") {
        page.icon = icon.clone();
    }
    if let Some(cover) = body.get("cover") {
        page.cover = cover.clone();
    }
    page.last_edited_time = now;
    let page = state.page(&id).expect("page");
    Ok(state.page_json(page, version, None))
}

fn create_page(state: &mut State, body: &Value, version: ApiVersion) -> Result<Value, ApiError> {
    let Some(parent) = body.get("parent").and_then(Value::as_object) else {
        return Err(ApiError::validation(
            "body failed validation: body.parent should be defined, instead was `undefined`.",
        ));
    };
    for field in ["icon", "cover"] {
        if let Some(v) = body.get(field) {
            check_file_object(field, v)?;
        }
    }
    let props = body
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let new_id = state.ids.uuid();
    let id = if let Some(ds) = parent.get("data_source_id").and_then(Value::as_str) {
        let ds = data_source_id(state, ds)?;
        seed::create_page(state, &ds, new_id, &props)?
    } else if let Some(db) = parent.get("database_id").and_then(Value::as_str) {
        let ds = single_data_source(state, db)?;
        seed::create_page(state, &ds, new_id, &props)?
    } else if let Some(p) = parent.get("page_id").and_then(Value::as_str) {
        let parent_id = page_id(state, p)?;
        let mut title = json!([]);
        for (k, v) in &props {
            if k != "title" {
                return Err(ApiError::validation(format!(
                    "{k} is not a property that exists."
                )));
            }
            title = values::rich_text(v.get("title").unwrap_or(v), "body.properties.title.title")?;
        }
        let now = state.clock.now();
        let mut map = std::collections::BTreeMap::new();
        map.insert("title".to_string(), title);
        state.insert_page(Page {
            id: new_id.clone(),
            parent: Parent::Page(parent_id),
            created_time: now,
            last_edited_time: now,
            in_trash: false,
            icon: body.get("icon").cloned().unwrap_or(Value::Null),
            cover: body.get("cover").cloned().unwrap_or(Value::Null),
            props: map,
        });
        new_id
    } else {
        return Err(ApiError::validation(
            "body failed validation. Fix one:\nbody.parent.page_id should be defined, instead was `undefined`.\nbody.parent.database_id should be defined, instead was `undefined`.\nbody.parent.data_source_id should be defined, instead was `undefined`.",
        ));
    };
    Ok(state.page_json(state.page(&id).expect("page"), version, None))
}

fn property_item(state: &State, raw: &str, prop: &str) -> Result<Value, ApiError> {
    let id = page_id(state, raw)?;
    let page = state.page(&id).expect("page");
    let rendered = match &page.parent {
        Parent::DataSource(ds) => {
            let ds = &state.data_sources[ds];
            let schema = ds.property(prop).ok_or_else(|| {
                ApiError::validation(format!("{prop} is not a property that exists."))
            })?;
            crate::model::render_property(schema, page)
        }
        _ if prop == "title" => {
            json!({"id": "title", "type": "title", "title": page.props.get("title").cloned().unwrap_or(json!([]))})
        }
        _ => {
            return Err(ApiError::validation(format!(
                "{prop} is not a property that exists."
            )))
        }
    };
    let ty = rendered["type"].as_str().unwrap_or_default().to_string();
    let pid = rendered["id"].clone();
    if ty == "title" || ty == "rich_text" {
        let items: Vec<Value> = rendered[&ty]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let mut v = json!({"object": "property_item", "id": pid, "type": ty});
                v[&ty] = item;
                v
            })
            .collect();
        let mut v = list(items, None, "property_item");
        v["property_item"] = json!({"id": pid, "next_url": null, "type": ty});
        v["property_item"][&ty] = json!({});
        return Ok(v);
    }
    let mut v = json!({"object": "property_item", "id": pid, "type": ty});
    v[&ty] = rendered[&ty].clone();
    Ok(v)
}

/// A page's `icon` (an emoji or an external file) or `cover` (an external file), or null to remove it,
/// with no other keys (Notion's OpenAPI description: `additionalProperties: false`; schemathesis found a
/// cover with an unknown key accepted).
fn check_file_object(field: &str, v: &Value) -> Result<(), ApiError> {
    let bad =
        |why: String| ApiError::validation(format!("body failed validation: body.{field} {why}."));
    if v.is_null() {
        return Ok(());
    }
    let Some(o) = v.as_object() else {
        return Err(bad(format!(
            "should be an object or `null`, instead was `{v}`"
        )));
    };
    let emoji = field == "icon" && o.contains_key("emoji");
    let allowed: &[&str] = if emoji {
        &["type", "emoji"]
    } else {
        &["type", "external"]
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!(".{k} should be not present")));
    }
    let ty = match o.get("type") {
        None => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(t) => return Err(bad(format!(".type should be a string, instead was `{t}`"))),
    };
    if emoji {
        if !o["emoji"].is_string() || ty.is_some_and(|t| t != "emoji") {
            return Err(bad("should be an emoji object".into()));
        }
        return Ok(());
    }
    let url = o.get("external").and_then(Value::as_object);
    match url {
        Some(e)
            if e.len() == 1
                && e.get("url").is_some_and(Value::is_string)
                && ty.is_none_or(|t| t == "external") =>
        {
            Ok(())
        }
        _ => Err(bad(
            "should be an external file object: `{\"external\": {\"url\": \"…\"}}`".into(),
        )),
    }
}

fn create_comment(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let rich = values::rich_text(
        body.get("rich_text").unwrap_or(&Value::Null),
        "body.rich_text",
    )?;
    let (page, discussion) = if let Some(p) = body
        .get("parent")
        .and_then(|p| p.get("page_id"))
        .and_then(Value::as_str)
    {
        (page_id(state, p)?, None)
    } else if let Some(d) = body.get("discussion_id").and_then(Value::as_str) {
        let d = ids::normalize(d).unwrap_or_default();
        let c = state
            .comments
            .iter()
            .find(|c| c.discussion_id == d)
            .ok_or_else(|| not_found(state, "discussion", &d))?;
        (c.page_id.clone(), Some(d))
    } else {
        return Err(ApiError::validation(
            "body failed validation. Fix one:\nbody.parent should be defined, instead was `undefined`.\nbody.discussion_id should be defined, instead was `undefined`.",
        ));
    };
    let id = state.ids.uuid();
    let discussion_id = discussion.unwrap_or_else(|| state.ids.uuid());
    let now = state.clock.now();
    let c = Comment {
        id,
        page_id: page,
        discussion_id,
        created_time: now,
        rich_text: rich,
        resolved: false,
    };
    let v = state.comment_json(&c);
    state.comments.push(c);
    Ok(v)
}

/// `DELETE /v1/comments/{id}` (added to Notion's API in 2026 with comment updates; notion-sdk-js #703–#706):
/// the comment leaves its page, resolved or not; the answer is the comment as it was. A comment deleted
/// already, or never made, is a 404 like any object the integration cannot see.
fn delete_comment(state: &mut State, raw: &str) -> Result<Value, ApiError> {
    let id = ids::normalize(raw).unwrap_or_default();
    let Some(i) = state.comments.iter().position(|c| c.id == id) else {
        return Err(not_found(state, "comment", raw));
    };
    let c = state.comments.remove(i);
    Ok(state.comment_json(&c))
}

fn list_comments(state: &State, call: &Call) -> Result<Value, ApiError> {
    let Some(block) = call.query_all("block_id").into_iter().next() else {
        return Err(ApiError::validation(
            "query failed validation: query.block_id should be defined, instead was `undefined`.",
        ));
    };
    let id = block_id(state, &block)?;
    // As strict as a query body's page_size (schemathesis, with Notion's OpenAPI description, found a
    // negative page_size accepted here).
    let raw = call
        .query_all("page_size")
        .first()
        .map(|s| Value::String(s.clone()));
    let page_size = crate::query::page_size("query", raw.as_ref())?;
    // Notion lists un-resolved comments only (notion-openapi.json, GET /v1/comments: "Retrieves a list of
    // un-resolved Comment objects from a page or block").
    let all: Vec<&Comment> = state
        .comments
        .iter()
        .filter(|c| c.page_id == id && !c.resolved)
        .collect();
    let start = match call.query_all("start_cursor").first() {
        Some(cur) => all
            .iter()
            .position(|c| &c.id == cur)
            .ok_or_else(|| ApiError::validation("start_cursor is not valid."))?,
        None => 0,
    };
    let end = (start + page_size).min(all.len());
    let next = (end < all.len()).then(|| all[end].id.clone());
    Ok(list(
        all[start..end]
            .iter()
            .map(|c| state.comment_json(c))
            .collect(),
        next,
        "comment",
    ))
}

fn delete_block(state: &mut State, raw: &str) -> Result<Value, ApiError> {
    let id = block_id(state, raw)?;
    let now = state.clock.now();
    if let Some(p) = state.page_mut(&id) {
        p.in_trash = true;
        p.last_edited_time = now;
    } else if let Some(db) = state.databases.get_mut(&id) {
        db.in_trash = true;
        db.last_edited_time = now;
    }
    Ok(state.block_json(&id).expect("block"))
}

fn create_database(
    state: &mut State,
    body: &Value,
    version: ApiVersion,
) -> Result<Value, ApiError> {
    let Some(parent) = body
        .get("parent")
        .and_then(|p| p.get("page_id"))
        .and_then(Value::as_str)
    else {
        return Err(ApiError::validation("body failed validation: body.parent.page_id should be defined, instead was `undefined`."));
    };
    let parent = page_id(state, parent)?;
    let title = crate::model::plain_text(&values::rich_text(
        body.get("title").unwrap_or(&json!([])),
        "body.title",
    )?);
    let props = body
        .get("initial_data_source")
        .and_then(|d| d.get("properties"))
        .or(body.get("properties"))
        .cloned()
        .unwrap_or(json!({}));
    let id = state.ids.uuid();
    let now = state.clock.now();
    state.databases.insert(
        id.clone(),
        crate::model::Database {
            id: id.clone(),
            title: title.clone(),
            parent_page_id: Some(parent),
            data_sources: vec![],
            created_time: now,
            last_edited_time: now,
            in_trash: false,
            linked: false,
            linked_no_sources: false,
        },
    );
    seed::add_data_source(
        state,
        &id,
        &json!({"name": title, "properties": schema_spec(&props)?}),
        &title,
    )
    .map_err(|e| ApiError::validation(e.0))?;
    Ok(state.database_json(&state.databases[&id], version))
}

fn create_data_source(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let Some(db) = body
        .get("parent")
        .and_then(|p| p.get("database_id"))
        .and_then(Value::as_str)
    else {
        return Err(ApiError::validation("body failed validation: body.parent.database_id should be defined, instead was `undefined`."));
    };
    let db = database_id(state, db)?;
    let title = crate::model::plain_text(&values::rich_text(
        body.get("title").unwrap_or(&json!([])),
        "body.title",
    )?);
    let props = body.get("properties").cloned().unwrap_or(json!({}));
    let spec = json!({"name": title, "properties": schema_spec(&props)?, "icon": body.get("icon").cloned().unwrap_or(Value::Null)});
    let id =
        seed::add_data_source(state, &db, &spec, &title).map_err(|e| ApiError::validation(e.0))?;
    Ok(state.data_source_json(&state.data_sources[&id]))
}

/// Converts Notion's schema write shape (`{"Name": {"type":"title","title":{}}}`) to the seed's.
fn schema_spec(props: &Value) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for (name, spec) in props.as_object().into_iter().flatten() {
        let ty = spec
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                PropKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .find(|k| spec.get(*k).is_some())
                    .map(str::to_string)
            })
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: body.properties.{name}.type should be defined."
                ))
            })?;
        let mut s = json!({"type": ty});
        if let Some(opts) = spec
            .get(&ty)
            .and_then(|c| c.get("options"))
            .and_then(Value::as_array)
        {
            s["options"] = opts.iter().filter_map(|o| o.get("name").cloned()).collect();
        }
        if let Some(prefix) = spec.get(&ty).and_then(|c| c.get("prefix")) {
            s["prefix"] = prefix.clone();
        }
        out.insert(name.clone(), s);
    }
    Ok(Value::Object(out))
}

fn update_data_source(state: &mut State, raw: &str, body: &Value) -> Result<Value, ApiError> {
    let id = data_source_id(state, raw)?;
    if let Some(props) = body.get("properties").filter(|p| !p.is_null()) {
        add_options(state, &id, props)?;
    }
    let now = state.clock.now();
    let ds = state.data_sources.get_mut(&id).expect("data source");
    if let Some(t) = body
        .get("in_trash")
        .or(body.get("archived"))
        .and_then(Value::as_bool)
    {
        ds.in_trash = t;
    }
    if let Some(title) = body.get("title") {
        ds.name = crate::model::plain_text(&values::rich_text(title, "body.title")?);
    }
    ds.last_edited_time = now;
    Ok(state.data_source_json(&state.data_sources[&id]))
}

/// `PATCH /v1/data_sources/{id}` with `properties: {"<name or id>": {"status"|"select": {"options": […]}}}`:
/// options not yet there are added (a status's to its To-do group, as Notion's API does since 2026);
/// those named by id or name are kept. Any other schema change is refused here (edit the seed instead).
/// The whole body is checked before anything changes.
fn add_options(state: &mut State, ds_id: &str, props: &Value) -> Result<(), ApiError> {
    let refused = || {
        ApiError::invalid_request("The sandbox changes a data source's schema only by adding properties and select and status options; edit the seed for anything else.")
    };
    let Some(props) = props.as_object() else {
        return Err(ApiError::validation(
            "body failed validation: body.properties should be an object.",
        ));
    };
    let mut changes = vec![];
    let mut added: Vec<(String, PropKind)> = vec![];
    for (key, spec) in props {
        let ds = &state.data_sources[ds_id];
        let Some(p) = ds.property(key) else {
            added.push((key.clone(), new_property(key, spec)?));
            continue;
        };
        let kind = p.kind.as_str();
        let options = spec
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get(kind))
            .and_then(|c| c.get("options"))
            .and_then(Value::as_array)
            .filter(|_| {
                matches!(
                    p.kind,
                    PropKind::Status | PropKind::Select | PropKind::MultiSelect
                )
            })
            .ok_or_else(refused)?;
        let mut new = vec![];
        for o in options {
            let name = o.get("name").and_then(Value::as_str);
            let id = o.get("id").and_then(Value::as_str);
            let known = p
                .options
                .iter()
                .any(|x| Some(x.id.as_str()) == id || Some(x.name.as_str()) == name);
            match (known, name) {
                (true, _) => {}
                (false, Some(n)) if !n.trim().is_empty() && !n.contains(',') => new.push(n.to_string()),
                _ => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: an option of {key} needs the id or name of an option, or a name without commas, instead was `{o}`."
                    )))
                }
            }
        }
        changes.push((p.id.clone(), new));
    }
    for (name, kind) in added {
        let id = state.ids.property_id();
        let ds = state.data_sources.get_mut(ds_id).expect("data source");
        ds.properties
            .push(crate::model::PropSchema::new(id, &name, kind));
    }
    for (prop_id, names) in changes {
        for name in names {
            let option_id = state.ids.property_id();
            let ds = state.data_sources.get_mut(ds_id).expect("data source");
            let p = ds
                .properties
                .iter_mut()
                .find(|p| p.id == prop_id)
                .expect("property");
            p.options.push(crate::model::SelectOption {
                id: option_id.clone(),
                name,
                color: "default".into(),
            });
            if let Some(todo) = p.groups.first_mut() {
                todo.option_ids.push(option_id);
            }
        }
    }
    Ok(())
}

/// A property a data-source PATCH adds: `{"<name>": {"<type>": {}}}` for the plain types (Notion takes
/// more; the sandbox models what git-notion adds).
fn new_property(name: &str, spec: &Value) -> Result<PropKind, ApiError> {
    let (kind, config) = spec
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.iter().next())
        .ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: body.properties.{name} should be an object with one property type, instead was `{spec}`."
            ))
        })?;
    let kind = PropKind::parse(kind)
        .filter(|k| {
            matches!(
                k,
                PropKind::RichText
                    | PropKind::Number
                    | PropKind::Date
                    | PropKind::Url
                    | PropKind::Checkbox
                    | PropKind::People
            )
        })
        .filter(|_| config.as_object().is_some_and(|c| c.is_empty()))
        .ok_or_else(|| {
            ApiError::invalid_request(format!(
                "The sandbox adds only rich_text, number, date, url, checkbox and people properties (as `{{\"{name}\": {{\"date\": {{}}}}}}`); edit the seed for anything else."
            ))
        })?;
    if name.trim().is_empty() {
        return Err(ApiError::validation(
            "body failed validation: a property name cannot be empty.",
        ));
    }
    Ok(kind)
}

fn search(state: &State, body: &Value, version: ApiVersion) -> Result<Value, ApiError> {
    let q = body
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_lowercase();
    let object = body
        .get("filter")
        .and_then(|f| f.get("value"))
        .and_then(Value::as_str);
    let mut results = vec![];
    if object != Some("page") {
        for ds in state.data_sources.values() {
            if state.is_shared(&ds.database_id)
                && !ds.in_trash
                && ds.name.to_lowercase().contains(&q)
            {
                results.push(state.data_source_json(ds));
            }
        }
    }
    if object != Some("data_source") && object != Some("database") {
        for p in &state.pages {
            if p.in_trash {
                continue;
            }
            // Notion's search index lags: pages are found by title words, never by id.
            if !q.is_empty() && !state.page_title(p).to_lowercase().contains(&q) {
                continue;
            }
            if page_id(state, &p.id).is_ok() {
                // 2026-12-01: the title alone.
                let title = version
                    .trims_properties()
                    .then(|| state.page_data_source(p).and_then(|ds| ds.title_id()))
                    .flatten()
                    .map(|id| vec![id]);
                results.push(state.page_json(p, version, title.as_deref()));
            }
        }
    }
    results.truncate(100);
    let mut v = list(results, None, "page_or_data_source");
    v["page_or_data_source"] = json!({});
    Ok(v)
}
