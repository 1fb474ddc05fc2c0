//! `git notion backfill-ids --property Key`: each page's ticket key, read from its title by the lookup's
//! rules (a title belongs to its first key), written into a rich_text or number property, so that
//! `[tickets] lookup = { property = "Key" }` finds the page even after someone renames it (the seed team's
//! ULID backfill, as one command). A plan first; `--apply` writes it, journalled (`git notion undo` takes
//! it back); idempotent (a page already carrying its key is not written) and resumable (an interrupted
//! apply's journal is taken up again). Pages whose title holds no key, and keys two pages share, are
//! listed and left alone.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{json, Value};

use super::journal::{Journal, Line};
use super::ReplayError;
use crate::notion::client::Client;
use crate::notion::schema::{Kind, Property, Schema, SchemaError};
use crate::notion::values;
use crate::pipeline::{Reason, ReasonKind};
use crate::rules::tickets::Extractor;

/// What a backfill found and (after `--apply`) did.
#[derive(Debug, Default, Serialize)]
pub struct Backfill {
    /// The property written.
    pub property: String,
    /// Pages to write (their key is not in the property yet).
    pub pages: Vec<Write>,
    /// Pages already carrying their key.
    pub already: usize,
    /// Pages whose title holds no key (their ids and titles).
    pub no_key: Vec<(String, String)>,
    /// Keys more than one page's title carries: none of those pages is written.
    pub shared: BTreeMap<String, usize>,
    /// Keys the property's type cannot hold (a sub-ticket `#011.3` in a number property).
    pub unfit: Vec<String>,
}

/// One page to write.
#[derive(Debug, Serialize)]
pub struct Write {
    /// The page id.
    pub page: String,
    /// The key from its title.
    pub key: String,
    /// Its title.
    pub title: String,
    /// What the property holds now, as text.
    pub now: String,
    /// After `--apply`: written.
    pub written: bool,
    /// Why it could not be written, if so.
    pub error: Option<Reason>,
    #[serde(skip)]
    before: Value,
    #[serde(skip)]
    value: Value,
}

/// The property to fill: it must exist, and be rich_text or number.
pub fn target(schema: &Schema, name: &str) -> Result<Property, SchemaError> {
    schema.require(
        "--property",
        name,
        &[Kind::RichText, Kind::Number],
        "a ticket key",
    )
}

/// The plan: every row read (its title and the property), keys read from titles.
pub fn plan(
    client: &Client,
    schema: &Schema,
    property: &Property,
    extractor: &Extractor,
) -> Result<Backfill, ReplayError> {
    let title = schema
        .title_property()
        .cloned()
        .ok_or_else(|| SchemaError::UnknownProperty {
            key: "title".into(),
            name: "(title)".into(),
            source_name: schema.name.clone(),
            available: schema.describe(),
        })?;
    let ids = [title.id.as_str(), property.id.as_str()];
    let rows =
        crate::pipeline::scan::scan(client, &schema.data_source_id, &ids, None, |_| {})?.pages;
    let mut out = Backfill {
        property: property.name.clone(),
        ..Backfill::default()
    };
    let by_key = by_key(&rows, &title, extractor, &mut out);
    for (key, rows) in by_key {
        if rows.len() > 1 {
            out.shared.insert(key, rows.len());
            continue;
        }
        let row = rows[0];
        let Some(value) = value_of(property, &key) else {
            out.unfit.push(key);
            continue;
        };
        let now = values::read(&row["properties"], property);
        if values::read(&json!({ &property.name: value }), property) == now {
            out.already += 1;
            continue;
        }
        out.pages.push(Write {
            page: row["id"].as_str().unwrap_or_default().to_string(),
            title: values::read(&row["properties"], &title),
            key,
            now,
            written: false,
            error: None,
            before: row["properties"][&property.name].clone(),
            value,
        });
    }
    Ok(out)
}

/// The rows by the key their title carries; rows whose title carries none go to `out.no_key`.
fn by_key<'a>(
    rows: &'a [Value],
    title: &Property,
    extractor: &Extractor,
    out: &mut Backfill,
) -> BTreeMap<String, Vec<&'a Value>> {
    let mut by_key: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for row in rows {
        let text = values::read(&row["properties"], title);
        match extractor.title_key(&text) {
            Some(k) => by_key.entry(k.to_string()).or_default().push(row),
            None => out
                .no_key
                .push((row["id"].as_str().unwrap_or_default().to_string(), text)),
        }
    }
    by_key
}

/// The property value that holds `key`: the key as written (rich_text), or its number (`#042` → 42,
/// `TASK-17` → 17; a key with more than one number cannot be a number).
fn value_of(property: &Property, key: &str) -> Option<Value> {
    match property.kind {
        Kind::RichText => Some(json!({"type": "rich_text", "rich_text": values::rich_text(key)})),
        Kind::Number => {
            let groups: Vec<&str> = key
                .split(|c: char| !c.is_ascii_digit())
                .filter(|g| !g.is_empty())
                .collect();
            let [digits] = groups.as_slice() else {
                return None;
            };
            let n: u64 = digits.parse().ok()?;
            Some(json!({"type": "number", "number": n}))
        }
        _ => None,
    }
}

/// Writes one page's key; whether Notion's answer shows it written (else `w.error` says why).
fn write_one(client: &Client, name: &str, w: &mut Write) -> bool {
    let mut value = w.value.clone();
    if let Some(o) = value.as_object_mut() {
        o.remove("type");
    }
    let body = json!({"properties": { name: value }});
    match client.patch(
        &format!("write {} into the page's {name}", w.key),
        &format!("/v1/pages/{}", w.page),
        &body,
    ) {
        Ok(v) if v["object"] == "page" => w.written = true,
        Ok(_) => {
            w.error = Some(Reason::new(
                ReasonKind::Unreachable,
                "Notion's answer is not the page written, so nothing shows it was; run backfill-ids again",
            ))
        }
        Err(e) => w.error = Some(Reason::of_api(&e)),
    }
    w.written
}

/// Writes each planned page, its value before journalled first.
pub fn apply(
    client: &Client,
    journal_dir: &Path,
    schema: &Schema,
    backfill: &mut Backfill,
) -> Result<usize, ReplayError> {
    let mut journal = Journal::open(journal_dir, &schema.data_source_id, &schema.name)?;
    let mut written = 0;
    let name = backfill.property.clone();
    for w in backfill.pages.iter_mut() {
        let mut before = serde_json::Map::new();
        before.insert(name.clone(), w.before.clone());
        journal.write(&Line::Before {
            page: w.page.clone(),
            key: w.key.clone(),
            title: w.title.clone(),
            properties: before,
        })?;
        if write_one(client, &name, w) {
            journal.write(&Line::Done {
                page: w.page.clone(),
            })?;
            written += 1;
        }
    }
    journal.write(&Line::End {
        at: jiff::Timestamp::now().as_second(),
        written,
    })?;
    Ok(written)
}
