//! Property values: read a page's current value as text, and shape a new one by the property's real type.

use serde_json::{json, Value};

use crate::notion::schema::{Kind, Property};

/// Notion's limit for one rich-text item, in UTF-16 units.
pub const MAX_TEXT_UNITS: usize = 2000;
/// Notion's limit for the items of one array (rich text, multi-select, …).
pub const MAX_ITEMS: usize = 100;
/// Notion's limit for a URL property, in characters.
pub const MAX_URL_LEN: usize = 2000;

/// The current value of `prop` in a page's `properties`, as plain text ("" when empty).
pub fn read(properties: &Value, prop: &Property) -> String {
    text(value_of(properties, prop), &prop.kind)
}

/// The value of `prop` in a page's `properties` (by name, else by id; null when absent).
fn value_of<'v>(properties: &'v Value, prop: &Property) -> &'v Value {
    properties
        .as_object()
        .and_then(|m| {
            m.get(&prop.name)
                .or_else(|| m.values().find(|p| p["id"] == prop.id.as_str()))
        })
        .unwrap_or(&Value::Null)
}

/// The linked items of a rich-text value of `prop` in a page's `properties`: (their text, their URL).
pub fn links(properties: &Value, prop: &Property) -> Vec<(String, String)> {
    value_of(properties, prop)[prop.kind.as_str()]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    let text = i["plain_text"].as_str().or(i["text"]["content"].as_str())?;
                    let url = i["href"].as_str().or(i["text"]["link"]["url"].as_str())?;
                    Some((text.to_string(), url.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A rich-text value made of `parts` (each at most one item's length), each linked when it has a URL.
pub fn linked_rich_text(parts: &[(String, Option<String>)]) -> Value {
    let items: Vec<Value> = parts
        .iter()
        .map(|(content, url)| match url {
            Some(url) if url.len() <= MAX_URL_LEN => {
                json!({"type": "text", "text": {"content": content, "link": {"url": url}}})
            }
            _ => json!({"type": "text", "text": {"content": content}}),
        })
        .collect();
    json!({ "rich_text": items })
}

/// A property value (`{"type": kind, kind: …}`) of type `kind` as plain text ("" when empty).
pub fn text(v: &Value, kind: &Kind) -> String {
    let inner = &v[kind.as_str()];
    match kind {
        Kind::Title | Kind::RichText => inner
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["plain_text"].as_str().or(i["text"]["content"].as_str()))
                    .collect()
            })
            .unwrap_or_default(),
        Kind::Status | Kind::Select => inner["name"].as_str().unwrap_or_default().to_string(),
        Kind::Date => inner["start"].as_str().unwrap_or_default().to_string(),
        Kind::Url => inner.as_str().unwrap_or_default().to_string(),
        Kind::Number => inner.as_f64().map(|n| n.to_string()).unwrap_or_default(),
        Kind::UniqueId => match (inner["prefix"].as_str(), inner["number"].as_u64()) {
            (Some(p), Some(n)) => format!("{p}-{n}"),
            (None, Some(n)) => n.to_string(),
            _ => String::new(),
        },
        Kind::MultiSelect => inner
            .as_array()
            .map(|options| {
                let names: Vec<&str> = options.iter().filter_map(|o| o["name"].as_str()).collect();
                names.join(", ")
            })
            .unwrap_or_default(),
        Kind::People => inner
            .as_array()
            .map(|users| {
                let ids: Vec<&str> = users.iter().filter_map(|u| u["id"].as_str()).collect();
                ids.join(",")
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Splits text into rich-text items of at most 2000 UTF-16 units, at most 100 items (the rest is cut),
/// never splitting a character.
pub fn rich_text(text: &str) -> Vec<Value> {
    let mut items = vec![];
    let mut current = String::new();
    let mut units = 0;
    for ch in text.chars() {
        let n = ch.len_utf16();
        if units + n > MAX_TEXT_UNITS {
            items.push(std::mem::take(&mut current));
            units = 0;
            if items.len() == MAX_ITEMS {
                break;
            }
        }
        current.push(ch);
        units += n;
    }
    if !current.is_empty() && items.len() < MAX_ITEMS {
        items.push(current);
    }
    items
        .into_iter()
        .map(|content| json!({"type": "text", "text": {"content": content}}))
        .collect()
}

/// What `rich_text(text)` keeps of `text` (for comparing with the current value).
pub fn stored_text(text: &str) -> String {
    rich_text(text)
        .iter()
        .filter_map(|i| i["text"]["content"].as_str())
        .collect()
}

/// The JSON to write `text` into `prop`, shaped by its type; None when the type cannot take it.
pub fn write(prop: &Property, text: &str) -> Option<Value> {
    Some(match prop.kind {
        Kind::Title => json!({ "title": rich_text(text) }),
        Kind::RichText => json!({ "rich_text": rich_text(text) }),
        Kind::Status => json!({ "status": { "name": text } }),
        Kind::Select => json!({ "select": { "name": text } }),
        Kind::Date => json!({ "date": { "start": text } }),
        Kind::Url if text.len() <= MAX_URL_LEN => json!({ "url": text }),
        // Option names never hold a comma (Notion refuses them): the text lists them with ", ".
        Kind::MultiSelect => json!({ "multi_select": text
            .split(", ")
            .filter(|n| !n.is_empty())
            .map(|n| json!({ "name": n }))
            .collect::<Vec<_>>() }),
        // One person, by user id.
        Kind::People => json!({ "people": [{ "object": "user", "id": text }] }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_utf16_units_without_breaking_characters() {
        let text = "😀".repeat(1500); // 3000 units
        let items = rich_text(&text);
        assert_eq!(items.len(), 2);
        let first = items[0]["text"]["content"].as_str().unwrap();
        assert_eq!(first.encode_utf16().count(), 2000);
        assert_eq!(stored_text(&text), text);
        let long = "字".repeat(MAX_TEXT_UNITS * MAX_ITEMS + 5);
        let items = rich_text(&long);
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(
            stored_text(&long).chars().count(),
            MAX_TEXT_UNITS * MAX_ITEMS
        );
        assert!(rich_text("").is_empty());
    }

    fn prop(kind: &str, name: &str, id: &str) -> Property {
        Property {
            name: name.into(),
            id: id.into(),
            kind: Kind::from_name(kind),
            choices: vec![],
            prefix: None,
        }
    }

    #[test]
    fn every_kind_reads_and_a_renamed_property_is_found_by_id() {
        let props = json!({
            "When": {"id": "d", "type": "date", "date": {"start": "2026-01-02"}},
            "Link": {"id": "u", "type": "url", "url": "https://x.invalid/c/1"},
            "N": {"id": "n", "type": "number", "number": 3.5},
            "Seq": {"id": "s", "type": "unique_id", "unique_id": {"prefix": null, "number": 9}},
            "Text": {"id": "t", "type": "rich_text", "rich_text": [{"text": {"content": "no plain"}}]},
            "Kind": {"id": "k", "type": "select", "select": {"name": "Bug"}},
            "Box": {"id": "b", "type": "checkbox", "checkbox": true}
        });
        assert_eq!(read(&props, &prop("date", "When", "d")), "2026-01-02");
        assert_eq!(
            read(&props, &prop("url", "Link", "u")),
            "https://x.invalid/c/1"
        );
        assert_eq!(read(&props, &prop("number", "N", "n")), "3.5");
        assert_eq!(read(&props, &prop("unique_id", "Seq", "s")), "9");
        assert_eq!(read(&props, &prop("rich_text", "Text", "t")), "no plain");
        assert_eq!(read(&props, &prop("select", "Kind", "k")), "Bug");
        assert_eq!(read(&props, &prop("checkbox", "Box", "b")), "");
        // Renamed since the configuration was bound: found by its id.
        assert_eq!(read(&props, &prop("date", "Renamed", "d")), "2026-01-02");
        // A different id under another name is not it.
        assert_eq!(read(&props, &prop("date", "Other", "zz")), "");
        assert_eq!(read(&props, &prop("unique_id", "Bad", "x")), "");
    }

    #[test]
    fn every_writable_kind_writes_its_own_shape() {
        let w = |kind: &str, text: &str| write(&prop(kind, "P", "p"), text);
        assert_eq!(
            w("title", "a"),
            Some(json!({"title": [{"type": "text", "text": {"content": "a"}}]}))
        );
        assert_eq!(
            w("rich_text", "a"),
            Some(json!({"rich_text": [{"type": "text", "text": {"content": "a"}}]}))
        );
        assert_eq!(
            w("status", "Done"),
            Some(json!({"status": {"name": "Done"}}))
        );
        assert_eq!(
            w("select", "Done"),
            Some(json!({"select": {"name": "Done"}}))
        );
        assert_eq!(
            w("date", "2026-01-02"),
            Some(json!({"date": {"start": "2026-01-02"}}))
        );
        let url = format!("https://x.invalid/{}", "a".repeat(MAX_URL_LEN - 18));
        assert_eq!(url.len(), MAX_URL_LEN);
        assert_eq!(w("url", &url), Some(json!({ "url": url })));
        assert_eq!(
            w("url", &format!("{url}a")),
            None,
            "longer than Notion takes"
        );
        assert_eq!(w("number", "3"), None);
        assert_eq!(w("checkbox", "true"), None);
    }

    #[test]
    fn an_item_holds_exactly_2000_units() {
        let exact = "a".repeat(MAX_TEXT_UNITS);
        assert_eq!(rich_text(&exact).len(), 1);
        assert_eq!(rich_text(&format!("{exact}b")).len(), 2);
    }

    #[test]
    fn reads_by_type() {
        let p = |kind: &str, name: &str| Property {
            name: name.into(),
            id: "x".into(),
            kind: Kind::from_name(kind),
            choices: vec![],
            prefix: None,
        };
        let props = json!({
            "标题": {"id": "title", "type": "title", "title": [{"plain_text": "#003"}, {"plain_text": " a"}]},
            "状态": {"id": "x", "type": "status", "status": {"name": "完成"}},
            "ID": {"id": "y", "type": "unique_id", "unique_id": {"prefix": "TASK", "number": 17}},
            "Commit": {"id": "z", "type": "url", "url": null}
        });
        assert_eq!(read(&props, &p("title", "标题")), "#003 a");
        assert_eq!(read(&props, &p("status", "状态")), "完成");
        assert_eq!(read(&props, &p("unique_id", "ID")), "TASK-17");
        assert_eq!(read(&props, &p("url", "Commit")), "");
        assert_eq!(read(&props, &p("date", "missing")), "");
    }
}
