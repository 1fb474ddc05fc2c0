//! Validation of property writes (`POST /v1/pages`, `PATCH /v1/pages/{id}`), as strict as Notion.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::ids::IdGen;
use crate::model::{rich_text_item, DataSource, PropKind, SelectOption, User};

/// Notion's limits: characters of one rich-text `text.content`, items of one array, characters of a URL.
pub const MAX_TEXT: usize = 2000;
pub const MAX_ITEMS: usize = 100;
pub const MAX_URL: usize = 2000;

/// Notion counts string lengths in UTF-16 code units (it is a JavaScript service).
pub fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Validates every property of a write against the data source and returns the values to store,
/// keyed by property id. Nothing is stored when any property fails. Unknown select and multi-select
/// options are created in the schema, as Notion does.
pub fn validate_writes(
    ds: &mut DataSource,
    input: &Map<String, Value>,
    ids: &mut IdGen,
    users: &[User],
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut out = Vec::new();
    for (key, raw) in input {
        let Some(idx) = ds.property_index(key) else {
            return Err(ApiError::validation(format!(
                "{key} is not a property that exists."
            )));
        };
        let value = validate_one(ds, idx, raw, ids, users)?;
        out.push((ds.properties[idx].id.clone(), value));
    }
    Ok(out)
}

fn type_key_of(raw: &Map<String, Value>) -> Option<PropKind> {
    if let Some(t) = raw.get("type").and_then(Value::as_str) {
        if let Some(k) = PropKind::parse(t) {
            if raw.contains_key(t) {
                return Some(k);
            }
        }
    }
    PropKind::ALL
        .into_iter()
        .find(|k| raw.contains_key(k.as_str()))
}

fn validate_one(
    ds: &mut DataSource,
    idx: usize,
    raw: &Value,
    ids: &mut IdGen,
    users: &[User],
) -> Result<Value, ApiError> {
    let schema = ds.properties[idx].clone();
    let name = schema.name.as_str();
    let ty = schema.kind.as_str();
    let path = format!("body.properties.{name}");
    let Some(obj) = raw.as_object() else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be an object, instead was `{raw}`."
        )));
    };
    match type_key_of(obj) {
        Some(k) if k == schema.kind => {}
        _ => {
            return Err(ApiError::validation(format!(
                "{name} is expected to be {ty}."
            )))
        }
    }
    if schema.kind.read_only() {
        return Err(ApiError::validation(format!(
            "{name} is a {ty} property, which cannot be updated through the API."
        )));
    }
    let v = &obj[ty];
    let path = format!("{path}.{ty}");
    match schema.kind {
        PropKind::Title | PropKind::RichText => rich_text(v, &path),
        PropKind::Number => match v {
            Value::Null => Ok(Value::Null),
            Value::Number(_) => Ok(v.clone()),
            _ => Err(ApiError::validation(format!(
                "body failed validation: {path} should be a number or `null`, instead was `{v}`."
            ))),
        },
        PropKind::Checkbox => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => Err(ApiError::validation(format!(
                "body failed validation: {path} should be a boolean, instead was `{v}`."
            ))),
        },
        PropKind::Url => match v {
            Value::Null => Ok(Value::Null),
            Value::String(s) if js_len(s) <= MAX_URL => Ok(v.clone()),
            Value::String(s) => Err(too_long(&path, js_len(s), MAX_URL)),
            _ => Err(ApiError::validation(format!(
                "body failed validation: {path} should be a string or `null`, instead was `{v}`."
            ))),
        },
        PropKind::Date => date(v, &path),
        PropKind::Status => {
            if v.is_null() {
                return Ok(Value::Null);
            }
            let wanted = option_ref(v, &path)?;
            match find_option(&schema.options, &wanted) {
                Some(o) => Ok(o.json()),
                None => Err(ApiError::validation(format!(
                    "Invalid status option. Status option \"{}\" does not exist for property \"{name}\".",
                    wanted.name_or_id()
                ))),
            }
        }
        PropKind::Select => {
            if v.is_null() {
                return Ok(Value::Null);
            }
            let wanted = option_ref(v, &path)?;
            Ok(select_option(ds, idx, &wanted, ids, &path)?.json())
        }
        PropKind::MultiSelect => {
            let Some(items) = v.as_array() else {
                return Err(ApiError::validation(format!(
                    "body failed validation: {path} should be an array, instead was `{v}`."
                )));
            };
            if items.len() > MAX_ITEMS {
                return Err(too_many(&path, items.len()));
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let wanted = option_ref(item, &format!("{path}[{i}]"))?;
                out.push(select_option(ds, idx, &wanted, ids, &path)?.json());
            }
            Ok(Value::Array(out))
        }
        PropKind::People => people(v, &path, users),
        PropKind::UniqueId | PropKind::CreatedTime | PropKind::LastEditedTime => {
            unreachable!("read-only")
        }
    }
}

/// A people value: at most 100 users of the workspace, each `{"id": …}` (`"object": "user"` optional),
/// stored as Notion answers them (the whole user).
fn people(v: &Value, path: &str, users: &[User]) -> Result<Value, ApiError> {
    let Some(items) = v.as_array() else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be an array, instead was `{v}`."
        )));
    };
    if items.len() > MAX_ITEMS {
        return Err(too_many(path, items.len()));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}[{i}].id should be defined, instead was `undefined`."
            )));
        };
        let plain = id.replace('-', "");
        let Some(user) = users.iter().find(|u| u.id.replace('-', "") == plain) else {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}[{i}].id should be a user of this workspace, instead was `\"{id}\"`."
            )));
        };
        out.push(user.json());
    }
    Ok(Value::Array(out))
}

enum OptionRef {
    Name(String),
    Id(String),
}

impl OptionRef {
    fn name_or_id(&self) -> &str {
        match self {
            OptionRef::Name(s) | OptionRef::Id(s) => s,
        }
    }
}

fn option_ref(v: &Value, path: &str) -> Result<OptionRef, ApiError> {
    if let Some(name) = v.get("name").and_then(Value::as_str) {
        if js_len(name) > 100 {
            return Err(too_long(&format!("{path}.name"), js_len(name), 100));
        }
        if name.contains(',') {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}.name should not contain commas, instead was `\"{name}\"`."
            )));
        }
        return Ok(OptionRef::Name(name.to_string()));
    }
    if let Some(id) = v.get("id").and_then(Value::as_str) {
        return Ok(OptionRef::Id(id.to_string()));
    }
    Err(ApiError::validation(format!(
        "body failed validation. Fix one:\n{path}.name should be defined, instead was `undefined`.\n{path}.id should be defined, instead was `undefined`."
    )))
}

fn find_option<'a>(options: &'a [SelectOption], wanted: &OptionRef) -> Option<&'a SelectOption> {
    match wanted {
        OptionRef::Name(n) => options.iter().find(|o| &o.name == n),
        OptionRef::Id(id) => options.iter().find(|o| &o.id == id),
    }
}

fn select_option(
    ds: &mut DataSource,
    idx: usize,
    wanted: &OptionRef,
    ids: &mut IdGen,
    path: &str,
) -> Result<SelectOption, ApiError> {
    if let Some(o) = find_option(&ds.properties[idx].options, wanted) {
        return Ok(o.clone());
    }
    match wanted {
        OptionRef::Name(name) => {
            let o = SelectOption { id: ids.property_id(), name: name.clone(), color: "default".into() };
            ds.properties[idx].options.push(o.clone());
            Ok(o)
        }
        OptionRef::Id(id) => Err(ApiError::validation(format!(
            "body failed validation: {path}.id should be an existing option id, instead was `\"{id}\"`."
        ))),
    }
}

fn too_long(path: &str, len: usize, max: usize) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path}.length should be ≤ `{max}`, instead was `{len}`."
    ))
}

fn too_many(path: &str, len: usize) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path}.length should be ≤ `{MAX_ITEMS}`, instead was `{len}`."
    ))
}

/// Validates a rich-text array and returns it as Notion stores and returns it.
pub fn rich_text(v: &Value, path: &str) -> Result<Value, ApiError> {
    let Some(items) = v.as_array() else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should be an array, instead was `{v}`."
        )));
    };
    if items.len() > MAX_ITEMS {
        return Err(too_many(path, items.len()));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(text) = item.get("text") else {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}[{i}].text should be defined, instead was `undefined`."
            )));
        };
        let Some(content) = text.get("content").and_then(Value::as_str) else {
            return Err(ApiError::validation(format!(
                "body failed validation: {path}[{i}].text.content should be a string, instead was `{}`.",
                text.get("content").unwrap_or(&Value::Null)
            )));
        };
        if js_len(content) > MAX_TEXT {
            return Err(too_long(
                &format!("{path}[{i}].text.content"),
                js_len(content),
                MAX_TEXT,
            ));
        }
        let link = text
            .get("link")
            .and_then(|l| l.get("url"))
            .and_then(Value::as_str);
        if let Some(url) = link {
            if js_len(url) > MAX_URL {
                return Err(too_long(
                    &format!("{path}[{i}].text.link.url"),
                    js_len(url),
                    MAX_URL,
                ));
            }
        }
        let mut item_out = rich_text_item(content, link);
        if let Some(ann) = item.get("annotations").and_then(Value::as_object) {
            for (k, val) in ann {
                item_out["annotations"][k] = val.clone();
            }
        }
        out.push(item_out);
    }
    Ok(Value::Array(out))
}

fn date(v: &Value, path: &str) -> Result<Value, ApiError> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let Some(start) = v.get("start").and_then(Value::as_str) else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.start should be defined, instead was `undefined`."
        )));
    };
    for (key, s) in [
        ("start", Some(start)),
        ("end", v.get("end").and_then(Value::as_str)),
    ] {
        if let Some(s) = s {
            if parse_date(s).is_none() {
                return Err(ApiError::validation(format!(
                    "body failed validation: {path}.{key} should be a valid ISO 8601 date string, instead was `\"{s}\"`."
                )));
            }
        }
    }
    Ok(json!({
        "start": start,
        "end": v.get("end").cloned().unwrap_or(Value::Null),
        "time_zone": v.get("time_zone").cloned().unwrap_or(Value::Null),
    }))
}

/// Parses an ISO 8601 date or date-time (with offset or `Z`) into a timestamp; dates are midnight UTC.
pub fn parse_date(s: &str) -> Option<jiff::Timestamp> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_lengths() {
        assert_eq!(js_len("abc"), 3);
        assert_eq!(js_len("完成"), 2);
        assert_eq!(js_len("🎉"), 2);
    }

    #[test]
    fn dates() {
        assert!(parse_date("2026-01-02").is_some());
        assert!(parse_date("2026-01-02T10:00:00Z").is_some());
        assert!(parse_date("2026-01-02T10:00:00+08:00").is_some());
        assert!(parse_date("2026-13-02").is_none());
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn rich_text_limits() {
        let ok = json!([{"text": {"content": "x".repeat(2000)}}]);
        assert!(rich_text(&ok, "p").is_ok());
        let long = json!([{"text": {"content": "x".repeat(2001)}}]);
        let e = rich_text(&long, "p").unwrap_err();
        assert!(e.message.contains("2001"), "{}", e.message);
        let many: Vec<Value> = (0..101)
            .map(|_| json!({"text": {"content": "a"}}))
            .collect();
        assert!(rich_text(&Value::Array(many), "p")
            .unwrap_err()
            .message
            .contains("101"));
    }
}
