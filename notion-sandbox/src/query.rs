//! `POST /v1/data_sources/{id}/query`: filters, sorts, cursors, `page_size`, the 10,000-row cap.

use std::cmp::Ordering;

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::model::{plain_text, render_property, DataSource, Page, PropKind, State};
use crate::values::parse_date;

/// One row of a query's results: a page (an index into `state.pages`) or a wiki's child data source (an
/// index into the data source's `children`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Page(usize),
    Child(usize),
}

pub struct QueryResult {
    pub results: Vec<Row>,
    pub next_cursor: Option<String>,
    pub incomplete: bool,
}

/// `page_size` as Notion checks it, in a query body or a query string (`location`): absent (or null) is
/// 100; else a whole number from 1 to 100 (a string only in a query string), or a 400 naming where.
pub fn page_size(location: &str, raw: Option<&Value>) -> Result<usize, ApiError> {
    let Some(v) = raw.filter(|v| !v.is_null()) else {
        return Ok(100);
    };
    let n = match (location, v) {
        ("query", Value::String(s)) => s.parse::<i64>().ok(),
        (_, v) => v.as_i64(),
    };
    let shown = v.as_str().map_or_else(|| v.to_string(), String::from);
    match n {
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) if n > 100 => Err(ApiError::validation(format!(
            "{location} failed validation: {location}.page_size should be ≤ `100`, instead was `{n}`."
        ))),
        _ => Err(ApiError::validation(format!(
            "{location} failed validation: {location}.page_size should be a positive integer, instead was `{shown}`."
        ))),
    }
}

/// Runs a query over a data source's pages (indexes into `state.pages`).
pub fn run(state: &State, ds: &DataSource, body: &Value) -> Result<QueryResult, ApiError> {
    // Notion validates the whole body: unknown keys and wrongly typed flags are 400s (schemathesis, with
    // Notion's OpenAPI description, found a string `in_trash` accepted).
    if let Some(o) = body.as_object() {
        const KEYS: [&str; 7] = [
            "filter",
            "sorts",
            "start_cursor",
            "page_size",
            "archived",
            "in_trash",
            "result_type",
        ];
        if let Some((k, v)) = o.iter().find(|(k, _)| !KEYS.contains(&k.as_str())) {
            return Err(ApiError::validation(format!(
                "body failed validation: body.{k} should be not present, instead was `{v}`."
            )));
        }
        type Check = (&'static str, &'static str, fn(&Value) -> bool);
        let typed: [Check; 5] = [
            ("archived", "a boolean", Value::is_boolean),
            ("in_trash", "a boolean", Value::is_boolean),
            ("start_cursor", "a string", Value::is_string),
            ("filter", "an object", Value::is_object),
            ("sorts", "an array", Value::is_array),
        ];
        for (k, what, ok) in typed {
            if let Some(v) = o.get(k).filter(|v| !v.is_null() && !ok(v)) {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.{k} should be {what}, instead was `{v}`."
                )));
            }
        }
    }
    let page_size = page_size("body", body.get("page_size"))?;
    let filter = body.get("filter").filter(|f| !f.is_null());
    if let Some(f) = filter {
        check_filter(ds, f, 0)?;
    }
    let sorts = parse_sorts(ds, body.get("sorts"))?;
    let in_trash = body
        .get("in_trash")
        .or(body.get("archived"))
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let pages_only = body.get("result_type").and_then(Value::as_str) == Some("page");
    let mut rows: Vec<Row> = state
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(&p.parent, crate::model::Parent::DataSource(id) if id == &ds.id))
        .filter(|(_, p)| p.in_trash == in_trash)
        .filter(|(_, p)| filter.map(|f| matches(ds, p, f)).unwrap_or(true))
        .map(|(i, _)| Row::Page(i))
        .collect();
    if !pages_only && !in_trash {
        // A wiki's child data sources take their place among the rows by when they were created.
        for (k, c) in ds.children.iter().enumerate() {
            if filter.is_none_or(|f| child_matches(c.created_time, f)) {
                let at = rows.partition_point(|r| created(state, ds, *r) <= c.created_time);
                rows.insert(at, Row::Child(k));
            }
        }
    }
    if !sorts.is_empty() {
        rows.sort_by(|a, b| {
            for s in &sorts {
                let o = compare(state, ds, *a, *b, s);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }

    let start = match body.get("start_cursor").and_then(Value::as_str) {
        None => 0,
        Some(cursor) => rows.iter().position(|r| row_id(state, ds, *r) == cursor).ok_or_else(|| {
            ApiError::validation(format!(
                "body failed validation: body.start_cursor should be a valid cursor, instead was `\"{cursor}\"`."
            ))
        })?,
    };
    let cap = state.query_row_cap;
    let end = (start + page_size).min(rows.len());
    if start >= cap {
        return Ok(QueryResult {
            results: vec![],
            next_cursor: None,
            incomplete: true,
        });
    }
    let end_capped = end.min(cap);
    let incomplete = end_capped < rows.len() && end_capped == cap;
    let has_more = end_capped < rows.len() && !incomplete;
    Ok(QueryResult {
        results: rows[start..end_capped].to_vec(),
        next_cursor: if has_more {
            Some(row_id(state, ds, rows[end_capped]).to_string())
        } else {
            None
        },
        incomplete,
    })
}

const TEXT_CONDS: &[&str] = &[
    "equals",
    "does_not_equal",
    "contains",
    "does_not_contain",
    "starts_with",
    "ends_with",
    "is_empty",
    "is_not_empty",
];
const NUMBER_CONDS: &[&str] = &[
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "is_empty",
    "is_not_empty",
];
const OPTION_CONDS: &[&str] = &["equals", "does_not_equal", "is_empty", "is_not_empty"];
const MULTI_CONDS: &[&str] = &["contains", "does_not_contain", "is_empty", "is_not_empty"];
const CHECKBOX_CONDS: &[&str] = &["equals", "does_not_equal"];
const DATE_CONDS: &[&str] = &[
    "equals",
    "before",
    "after",
    "on_or_before",
    "on_or_after",
    "is_empty",
    "is_not_empty",
    "past_week",
    "past_month",
    "past_year",
    "next_week",
    "next_month",
    "next_year",
    "this_week",
];

fn filter_type_allowed(kind: PropKind, key: &str) -> bool {
    match kind {
        PropKind::Title | PropKind::RichText => key == "title" || key == "rich_text",
        PropKind::CreatedTime | PropKind::LastEditedTime => key == kind.as_str() || key == "date",
        k => key == k.as_str(),
    }
}

fn conds_for(key: &str) -> &'static [&'static str] {
    match key {
        "title" | "rich_text" | "url" => TEXT_CONDS,
        "number" | "unique_id" => NUMBER_CONDS,
        "status" | "select" => OPTION_CONDS,
        "multi_select" | "people" => MULTI_CONDS,
        "checkbox" => CHECKBOX_CONDS,
        _ => DATE_CONDS,
    }
}

/// Checks a filter's shape before running it: compound filters nest at most two levels deep,
/// property names exist, and the condition type fits the property's type.
fn check_filter(ds: &DataSource, f: &Value, depth: usize) -> Result<(), ApiError> {
    let Some(obj) = f.as_object() else {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter should be an object, instead was `{f}`."
        )));
    };
    for op in ["and", "or"] {
        if let Some(list) = obj.get(op) {
            if depth >= 2 {
                return Err(ApiError::validation(
                    "body failed validation: body.filter compound filters can be nested at most two levels deep.",
                ));
            }
            let Some(items) = list.as_array() else {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.filter.{op} should be an array."
                )));
            };
            if items.len() > 100 {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.filter.{op}.length should be ≤ `100`, instead was `{}`.",
                    items.len()
                )));
            }
            for item in items {
                check_filter(ds, item, depth + 1)?;
            }
            return Ok(());
        }
    }
    if let Some(ts) = obj.get("timestamp").and_then(Value::as_str) {
        if ts != "created_time" && ts != "last_edited_time" {
            return Err(ApiError::validation(format!(
                "body failed validation: body.filter.timestamp should be `\"created_time\"` or `\"last_edited_time\"`, instead was `\"{ts}\"`."
            )));
        }
        let cond = obj.get(ts).and_then(Value::as_object).ok_or_else(|| {
            ApiError::validation(format!("body failed validation: body.filter.{ts} should be defined, instead was `undefined`."))
        })?;
        return check_conds(cond, DATE_CONDS, ts);
    }
    let Some(prop) = obj.get("property").and_then(Value::as_str) else {
        return Err(ApiError::validation(
            "body failed validation: body.filter.property should be defined, instead was `undefined`.",
        ));
    };
    let Some(schema) = ds.property(prop) else {
        return Err(ApiError::validation(format!(
            "Could not find property with name or id: {prop}"
        )));
    };
    let type_keys: Vec<&String> = obj
        .keys()
        .filter(|k| k.as_str() != "property" && k.as_str() != "type")
        .collect();
    let Some(key) = type_keys.first() else {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter.{} should be defined, instead was `undefined`.",
            schema.kind.as_str()
        )));
    };
    if !filter_type_allowed(schema.kind, key) {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter.{key} does not match the type of property \"{}\" ({}).",
            schema.name,
            schema.kind.as_str()
        )));
    }
    let cond = obj[key.as_str()].as_object().ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: body.filter.{key} should be an object."
        ))
    })?;
    check_conds(cond, conds_for(key), key)
}

fn check_conds(
    cond: &serde_json::Map<String, Value>,
    allowed: &[&str],
    key: &str,
) -> Result<(), ApiError> {
    if cond.len() != 1 {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter.{key} should have exactly one condition, instead had {}.",
            cond.len()
        )));
    }
    let (c, value) = cond.iter().next().expect("one");
    if !allowed.contains(&c.as_str()) {
        return Err(ApiError::validation(format!(
            "body failed validation: body.filter.{key}.{c} is not a supported condition; use one of {}.",
            allowed.join(", ")
        )));
    }
    // Text in a request is at most 2,000 characters, filter values included.
    if let Some(text) = value.as_str() {
        let n = text.chars().count();
        if n > crate::values::MAX_TEXT {
            return Err(ApiError::validation(format!(
                "body failed validation: body.filter.{key}.{c}.length should be ≤ `{}`, instead was `{n}`.",
                crate::values::MAX_TEXT
            )));
        }
    }
    Ok(())
}

fn created(state: &State, ds: &DataSource, r: Row) -> jiff::Timestamp {
    match r {
        Row::Page(i) => state.pages[i].created_time,
        Row::Child(k) => ds.children[k].created_time,
    }
}

fn row_id<'a>(state: &'a State, ds: &'a DataSource, r: Row) -> &'a str {
    match r {
        Row::Page(i) => &state.pages[i].id,
        Row::Child(k) => &ds.children[k].id,
    }
}

/// Whether a wiki's child data source passes a filter: it has no properties, so only its times can match.
fn child_matches(t: jiff::Timestamp, f: &Value) -> bool {
    if let Some(items) = f.get("and").and_then(Value::as_array) {
        return items.iter().all(|i| child_matches(t, i));
    }
    if let Some(items) = f.get("or").and_then(Value::as_array) {
        return items.iter().any(|i| child_matches(t, i));
    }
    match f.get("timestamp").and_then(Value::as_str) {
        Some(ts) => date_matches(Some(crate::model::minute(t)), &f[ts]),
        None => false,
    }
}

fn matches(ds: &DataSource, page: &Page, f: &Value) -> bool {
    if let Some(items) = f.get("and").and_then(Value::as_array) {
        return items.iter().all(|i| matches(ds, page, i));
    }
    if let Some(items) = f.get("or").and_then(Value::as_array) {
        return items.iter().any(|i| matches(ds, page, i));
    }
    if let Some(ts) = f.get("timestamp").and_then(Value::as_str) {
        let t = if ts == "created_time" {
            page.created_time
        } else {
            page.last_edited_time
        };
        return date_matches(Some(crate::model::minute(t)), &f[ts]);
    }
    let schema = ds
        .property(f["property"].as_str().unwrap_or_default())
        .expect("checked");
    let rendered = render_property(schema, page);
    let value = &rendered[schema.kind.as_str()];
    let (_, cond) = f
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(k, _)| k.as_str() != "property" && k.as_str() != "type")
        })
        .expect("checked");
    let (c, arg) = cond
        .as_object()
        .and_then(|o| o.iter().next())
        .expect("checked");
    match schema.kind {
        PropKind::Title | PropKind::RichText => {
            text_matches(&plain_text(value), c, arg, ds.case_sensitive_text)
        }
        PropKind::Url => text_matches(value.as_str().unwrap_or(""), c, arg, ds.case_sensitive_text),
        PropKind::Number => number_matches(value.as_f64(), c, arg),
        PropKind::UniqueId => number_matches(value.get("number").and_then(Value::as_f64), c, arg),
        PropKind::Status | PropKind::Select => {
            let name = value.get("name").and_then(Value::as_str);
            match c.as_str() {
                "equals" => name.is_some() && name == arg.as_str(),
                "does_not_equal" => name != arg.as_str(),
                "is_empty" => name.is_none(),
                _ => name.is_some(),
            }
        }
        PropKind::MultiSelect => {
            let names: Vec<&str> = value
                .as_array()
                .map(|a| a.iter().filter_map(|o| o["name"].as_str()).collect())
                .unwrap_or_default();
            match c.as_str() {
                "contains" => names.contains(&arg.as_str().unwrap_or_default()),
                "does_not_contain" => !names.contains(&arg.as_str().unwrap_or_default()),
                "is_empty" => names.is_empty(),
                _ => !names.is_empty(),
            }
        }
        PropKind::People => {
            let plain = |s: &str| s.replace('-', "");
            let ids: Vec<String> = value
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u["id"].as_str().map(plain))
                        .collect()
                })
                .unwrap_or_default();
            let wanted = plain(arg.as_str().unwrap_or_default());
            match c.as_str() {
                "contains" => ids.contains(&wanted),
                "does_not_contain" => !ids.contains(&wanted),
                "is_empty" => ids.is_empty(),
                _ => !ids.is_empty(),
            }
        }
        PropKind::Checkbox => {
            let b = value.as_bool().unwrap_or(false);
            match c.as_str() {
                "equals" => Some(b) == arg.as_bool(),
                _ => Some(b) != arg.as_bool(),
            }
        }
        PropKind::Date => date_matches(
            value
                .get("start")
                .and_then(Value::as_str)
                .and_then(parse_date),
            cond,
        ),
        PropKind::CreatedTime | PropKind::LastEditedTime => {
            date_matches(value.as_str().and_then(parse_date), cond)
        }
    }
}

/// Text conditions: `contains`, `starts_with` and `ends_with` ignore case, as Notion's search does (or
/// match it exactly, `case_sensitive`: see `DataSource::case_sensitive_text`); `equals` is exact.
fn text_matches(text: &str, c: &str, arg: &Value, case_sensitive: bool) -> bool {
    let a = arg.as_str().unwrap_or_default();
    let (tl, al) = if case_sensitive {
        (text.to_string(), a.to_string())
    } else {
        (text.to_lowercase(), a.to_lowercase())
    };
    match c {
        "equals" => text == a,
        "does_not_equal" => text != a,
        "contains" => tl.contains(&al),
        "does_not_contain" => !tl.contains(&al),
        "starts_with" => tl.starts_with(&al),
        "ends_with" => tl.ends_with(&al),
        "is_empty" => text.is_empty(),
        _ => !text.is_empty(),
    }
}

fn number_matches(n: Option<f64>, c: &str, arg: &Value) -> bool {
    let a = arg.as_f64();
    match (c, n, a) {
        ("is_empty", n, _) => n.is_none(),
        ("is_not_empty", n, _) => n.is_some(),
        ("equals", Some(n), Some(a)) => n == a,
        ("does_not_equal", n, Some(a)) => n != Some(a),
        ("greater_than", Some(n), Some(a)) => n > a,
        ("less_than", Some(n), Some(a)) => n < a,
        ("greater_than_or_equal_to", Some(n), Some(a)) => n >= a,
        ("less_than_or_equal_to", Some(n), Some(a)) => n <= a,
        _ => false,
    }
}

fn date_matches(t: Option<jiff::Timestamp>, cond: &Value) -> bool {
    let Some((c, arg)) = cond.as_object().and_then(|o| o.iter().next()) else {
        return false;
    };
    match c.as_str() {
        "is_empty" => return t.is_none(),
        "is_not_empty" => return t.is_some(),
        _ => {}
    }
    let Some(t) = t else { return false };
    let Some(a) = arg.as_str().and_then(parse_date) else {
        return false;
    };
    match c.as_str() {
        "equals" => t == a,
        "before" => t < a,
        "after" => t > a,
        "on_or_before" => t <= a,
        "on_or_after" => t >= a,
        _ => false,
    }
}

enum SortKey {
    Property(String),
    Created,
    Edited,
}

struct Sort {
    key: SortKey,
    descending: bool,
}

fn parse_sorts(ds: &DataSource, v: Option<&Value>) -> Result<Vec<Sort>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(vec![]);
    };
    let Some(items) = v.as_array() else {
        return Err(ApiError::validation(
            "body failed validation: body.sorts should be an array.",
        ));
    };
    let mut out = vec![];
    for (i, s) in items.iter().enumerate() {
        let descending = match s.get("direction").and_then(Value::as_str) {
            Some("ascending") => false,
            Some("descending") => true,
            _ => {
                return Err(ApiError::validation(format!(
                    "body failed validation: body.sorts[{i}].direction should be `\"ascending\"` or `\"descending\"`."
                )))
            }
        };
        let key = if let Some(p) = s.get("property").and_then(Value::as_str) {
            let schema = ds.property(p).ok_or_else(|| {
                ApiError::validation(format!("Could not find sort property with name or id: {p}"))
            })?;
            SortKey::Property(schema.id.clone())
        } else {
            match s.get("timestamp").and_then(Value::as_str) {
                Some("created_time") => SortKey::Created,
                Some("last_edited_time") => SortKey::Edited,
                _ => {
                    return Err(ApiError::validation(format!(
                        "body failed validation: body.sorts[{i}] should have a property or a timestamp."
                    )))
                }
            }
        };
        out.push(Sort { key, descending });
    }
    Ok(out)
}

fn sort_value(ds: &DataSource, page: &Page, key: &SortKey) -> Value {
    match key {
        SortKey::Created => json!(crate::model::minute(page.created_time).as_second()),
        SortKey::Edited => json!(crate::model::minute(page.last_edited_time).as_second()),
        SortKey::Property(id) => {
            let schema = ds
                .properties
                .iter()
                .find(|p| &p.id == id)
                .expect("sort property");
            let r = render_property(schema, page);
            let v = &r[schema.kind.as_str()];
            match schema.kind {
                PropKind::Title | PropKind::RichText => json!(plain_text(v)),
                PropKind::Status | PropKind::Select => {
                    // Notion sorts options in their schema order.
                    let pos = v["name"]
                        .as_str()
                        .and_then(|n| schema.options.iter().position(|o| o.name == n));
                    pos.map(|p| json!(p)).unwrap_or(Value::Null)
                }
                PropKind::Date => v
                    .get("start")
                    .and_then(Value::as_str)
                    .and_then(parse_date)
                    .map(|t| json!(t.as_millisecond()))
                    .unwrap_or(Value::Null),
                PropKind::UniqueId => v.get("number").cloned().unwrap_or(Value::Null),
                PropKind::CreatedTime => json!(crate::model::minute(page.created_time).as_second()),
                PropKind::LastEditedTime => {
                    json!(crate::model::minute(page.last_edited_time).as_second())
                }
                _ => v.clone(),
            }
        }
    }
}

fn compare(state: &State, ds: &DataSource, a: Row, b: Row, s: &Sort) -> Ordering {
    let value = |r: Row| match r {
        Row::Page(i) => sort_value(ds, &state.pages[i], &s.key),
        // A child data source has its times and no properties (empty values sort last).
        Row::Child(k) => match s.key {
            SortKey::Created | SortKey::Edited => {
                json!(crate::model::minute(ds.children[k].created_time).as_second())
            }
            SortKey::Property(_) => Value::Null,
        },
    };
    let (va, vb) = (value(a), value(b));
    // Empty values sort last whatever the direction, as in Notion.
    let o = match (&va, &vb) {
        (Value::Null, Value::Null) => return Ordering::Equal,
        (Value::Null, _) => return Ordering::Greater,
        (_, Value::Null) => return Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    };
    if s.descending {
        o.reverse()
    } else {
        o
    }
}
