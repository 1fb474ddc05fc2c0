//! Finding a ticket's page: a filtered query per key (the hooks' way), then exact matching on this side.
//! `#04` never matches `#042`; several pages for one key is a conflict, never a guess.

use serde_json::{json, Value};

use crate::notion::client::{ApiError, Client};
use crate::notion::schema::{Binding, Kind};
use crate::notion::values;
use crate::rules::tickets::{title_has_token, Extractor, TicketKey};

/// A page as the plan needs it: its id and the current values of the bound properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageState {
    /// The page id (dashed).
    pub id: String,
    /// The page's link in Notion.
    pub url: String,
    /// The title, as plain text.
    pub title: String,
    /// The status (or select) option's name; empty when unset or not bound.
    pub status: String,
    /// The date property's start; empty when unset or not bound.
    pub date: String,
    /// The commit link; empty when unset or not bound.
    pub commit_url: String,
    /// The people property's user ids (comma-separated); empty when nobody or not bound.
    pub assignee: String,
    /// The commits property's text; empty when empty or not bound.
    pub commits: String,
    /// The commits property's linked words (text, URL).
    pub commit_links: Vec<(String, String)>,
    /// The release property's text (a multi_select's options joined by ", "); empty when unset or not
    /// bound.
    pub release: String,
    /// The pull request property; empty when unset or not bound.
    pub pull_request: String,
    /// The parent data source, when Notion reported it.
    pub data_source_id: Option<String>,
    /// When the page was last edited (seconds), when Notion reported it.
    pub edited: Option<i64>,
}

impl PageState {
    /// The state of a page as Notion returned it, read through the binding.
    pub fn from_json(page: &Value, binding: &Binding) -> PageState {
        let props = &page["properties"];
        let read = |p: &Option<crate::notion::schema::Property>| {
            p.as_ref()
                .map(|p| values::read(props, p))
                .unwrap_or_default()
        };
        PageState {
            id: page["id"].as_str().unwrap_or_default().to_string(),
            url: page["url"].as_str().unwrap_or_default().to_string(),
            title: values::read(props, &binding.title),
            status: read(&binding.status),
            date: read(&binding.date),
            commit_url: read(&binding.commit_url),
            assignee: read(&binding.assignee),
            commits: read(&binding.commits),
            commit_links: binding
                .commits
                .as_ref()
                .map(|p| values::links(props, p))
                .unwrap_or_default(),
            release: read(&binding.release),
            pull_request: read(&binding.pull_request),
            data_source_id: page["parent"]["data_source_id"].as_str().map(String::from),
            edited: page["last_edited_time"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_second()),
        }
    }
}

/// What a key led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Exactly one page carries the key.
    Page(Box<PageState>),
    /// No page of the data source carries it.
    Nothing,
    /// Several pages carry the key: reported, never guessed.
    Ambiguous(Vec<PageState>),
}

/// The number in a key as written (`#042` → 42, `TASK-17` → 17).
fn key_number(key: &str) -> Option<u64> {
    let groups: Vec<&str> = key
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    // `#011.3` is a sub-ticket, not ticket 11.
    match groups.as_slice() {
        [one] => one.parse().ok(),
        _ => None,
    }
}

fn query_all(
    client: &Client,
    binding: &Binding,
    filter: Value,
    op: &str,
) -> Result<Vec<Value>, ApiError> {
    let path = query_path(&binding.data_source_id, &binding.read_ids());
    let mut pages = vec![];
    let endpoint = format!(
        "{op} (POST /v1/data_sources/{}/query)",
        binding.data_source_id
    );
    crate::notion::client::paginate(
        &endpoint,
        |cursor| {
            let mut body = json!({"filter": filter, "page_size": 100});
            if let Some(c) = cursor {
                body["start_cursor"] = json!(c);
            }
            client.post_read(op, &path, &rows_only(client, body))
        },
        |page| {
            if is_page(&page) {
                pages.push(page)
            }
        },
    )?;
    Ok(pages)
}

/// A query body that asks for rows only, where the API version takes `result_type` (2026-12-01: a
/// wiki's child data sources are then left out). Every version may still answer with data sources among
/// the rows ([`is_page`] sorts them out).
pub fn rows_only(client: &Client, mut body: Value) -> Value {
    if client.version().takes_result_type() {
        body["result_type"] = json!("page");
    }
    body
}

/// Whether a query result is a page (a row). A wiki's data source also returns `data_source` objects
/// (../shared/notion-reference/README.md, *Wiki databases*), which are no ticket.
pub fn is_page(result: &Value) -> bool {
    result
        .get("object")
        .and_then(Value::as_str)
        .is_none_or(|o| o == "page")
}

/// The rows of the data source edited at or after `since` (seconds; Notion keeps edit times by the
/// minute, so the minute of `since` counts whole): what changed after a plan read its pages.
pub fn edited_since(
    client: &Client,
    binding: &Binding,
    since: i64,
) -> Result<Vec<Value>, ApiError> {
    let minute = since - since.rem_euclid(60);
    let at = jiff::Timestamp::from_second(minute)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string())
        .unwrap_or_default();
    query_all(
        client,
        binding,
        json!({"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": at}}),
        "read the rows edited since the plan read them",
    )
}

/// The latest 100 rows of a data source (newest created first), trimmed to `properties` (all when empty;
/// on 2026-12-01 empty means the title alone, so name every property wanted):
/// what `init` guesses the ticket pattern from and `doctor` checks the patterns against.
pub fn recent_rows(
    client: &Client,
    data_source_id: &str,
    properties: &[&str],
) -> Result<Vec<Value>, ApiError> {
    let v = client.post_read(
        "read the latest rows",
        &query_path(data_source_id, properties),
        &rows_only(
            client,
            json!({"page_size": 100, "sorts": [{"timestamp": "created_time", "direction": "descending"}]}),
        ),
    )?;
    Ok(v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| is_page(r))
        .cloned()
        .collect())
}

/// The query endpoint of a data source, its rows trimmed to these property ids (all when empty).
pub fn query_path(data_source_id: &str, properties: &[&str]) -> String {
    let ids: Vec<String> = properties
        .iter()
        .map(|id| format!("filter_properties[]={}", percent_encode(id)))
        .collect();
    let mut path = format!("/v1/data_sources/{data_source_id}/query");
    if !ids.is_empty() {
        path.push('?');
        path.push_str(&ids.join("&"));
    }
    path
}

/// Percent-encodes a property id for a query string (ids arrive already encoded; keep `%` escapes).
fn percent_encode(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn outcome(mut pages: Vec<PageState>) -> Found {
    match pages.len() {
        0 => Found::Nothing,
        1 => Found::Page(Box::new(pages.remove(0))),
        _ => Found::Ambiguous(pages),
    }
}

/// Keys one batched query asks for: Notion's compound filters take arrays of at most 100 items
/// (developers.notion.com/reference/post-database-query-filter).
pub const BATCH: usize = 100;

/// The filter that finds the rows which may carry `key` (a title `contains` the key, a number or unique
/// id `equals` it); None for a page key (read directly) or a key this binding cannot look up.
fn key_filter(binding: &Binding, key: &TicketKey) -> Option<Value> {
    match key {
        TicketKey::Page(_) => None,
        TicketKey::UniqueId { prefix, number } => {
            let p = binding.unique_id.as_ref()?;
            if p.prefix
                .as_deref()
                .is_some_and(|pp| !pp.eq_ignore_ascii_case(prefix))
            {
                return None;
            }
            Some(json!({"property": p.id, "unique_id": {"equals": number}}))
        }
        TicketKey::Token(token) => {
            let p = &binding.lookup;
            match p.kind {
                Kind::Title | Kind::RichText => {
                    Some(json!({"property": p.id, p.kind.as_str(): {"contains": token}}))
                }
                Kind::Number | Kind::UniqueId => {
                    let n = key_number(token)?;
                    Some(json!({"property": p.id, p.kind.as_str(): {"equals": n}}))
                }
                _ => None,
            }
        }
    }
}

/// The number a row carries in `prop` (a number, or a unique id's number).
fn row_number(row: &Value, prop: &crate::notion::schema::Property) -> Option<f64> {
    let text = values::read(&row["properties"], prop);
    let digits = text.rsplit('-').next().unwrap_or_default();
    digits.parse().ok()
}

/// Whether a candidate row is `key`'s, by the exact rules on this side: a title belongs to its first key
/// (`#012 … (#026)` is #012's page only, `#04` never `#042`), rich text by whole token, numbers and
/// unique ids by their number.
fn matches_key(binding: &Binding, extractor: &Extractor, key: &TicketKey, row: &Value) -> bool {
    match key {
        TicketKey::Page(id) => {
            row["id"].as_str().and_then(crate::id::normalize).as_deref() == Some(id.as_str())
        }
        TicketKey::UniqueId { number, .. } => binding
            .unique_id
            .as_ref()
            .and_then(|p| row_number(row, p))
            .is_some_and(|n| n == *number as f64),
        TicketKey::Token(token) => {
            let p = &binding.lookup;
            match p.kind {
                Kind::Title => {
                    extractor
                        .extract(&values::read(&row["properties"], p))
                        .first()
                        == Some(key)
                }
                Kind::RichText => title_has_token(&values::read(&row["properties"], p), token),
                Kind::Number | Kind::UniqueId => key_number(token)
                    .zip(row_number(row, p))
                    .is_some_and(|(k, n)| n == k as f64),
                _ => false,
            }
        }
    }
}

/// A page key's page, when it is a row of the configured data source, not in the trash.
fn page_row(client: &Client, binding: &Binding, id: &str) -> Result<Option<Value>, ApiError> {
    match client.get(&format!("read page {id}"), &format!("/v1/pages/{id}")) {
        Ok(page) => {
            // Only a page of the configured data source is a ticket: not one of another database, nor a
            // standalone page (its parent is a page or the workspace).
            let ours = page["parent"]["data_source_id"]
                .as_str()
                .and_then(crate::id::normalize)
                .is_some_and(|d| Some(d) == crate::id::normalize(&binding.data_source_id));
            let trashed = page["in_trash"].as_bool() == Some(true);
            Ok((ours && !trashed).then_some(page))
        }
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The rows that may carry `key`, before exact matching: the page itself for a page key, else the rows
/// its filtered query returns.
pub fn candidates(
    client: &Client,
    binding: &Binding,
    key: &TicketKey,
) -> Result<Vec<Value>, ApiError> {
    if let TicketKey::Page(id) = key {
        return Ok(page_row(client, binding, id)?.into_iter().collect());
    }
    match key_filter(binding, key) {
        Some(filter) => query_all(client, binding, filter, &format!("find the page of {key}")),
        None => Ok(vec![]),
    }
}

/// Finds the page of one key. Several pages carrying it are a conflict, never a guess.
pub fn find(
    client: &Client,
    binding: &Binding,
    extractor: &Extractor,
    key: &TicketKey,
) -> Result<Found, ApiError> {
    let rows = candidates(client, binding, key)?;
    Ok(found_in(binding, extractor, key, &rows))
}

fn found_in(binding: &Binding, extractor: &Extractor, key: &TicketKey, rows: &[Value]) -> Found {
    outcome(
        rows.iter()
            .filter(|r| matches_key(binding, extractor, key, r))
            .map(|r| PageState::from_json(r, binding))
            .collect(),
    )
}

/// What finding these keys costs in requests: one per [`BATCH`] keys with a filter, one per page key.
pub fn lookup_cost(binding: &Binding, keys: &[TicketKey]) -> usize {
    let pages = keys
        .iter()
        .filter(|k| matches!(k, TicketKey::Page(_)))
        .count();
    let filtered = keys
        .iter()
        .filter(|k| key_filter(binding, k).is_some())
        .count();
    pages + filtered.div_ceil(BATCH)
}

/// Every row that may carry one of `keys` (batched as [`find_many`] does), each once: what the replay
/// adds to a partial scan before matching locally.
pub fn candidates_many(
    client: &Client,
    binding: &Binding,
    keys: &[TicketKey],
) -> Result<Vec<Value>, ApiError> {
    let mut rows = vec![];
    let mut filters = vec![];
    for key in keys {
        match key {
            TicketKey::Page(id) => rows.extend(page_row(client, binding, id)?),
            _ => filters.extend(key_filter(binding, key)),
        }
    }
    for chunk in filters.chunks(BATCH) {
        let filter = match chunk {
            [only] => only.clone(),
            _ => json!({ "or": chunk }),
        };
        let op = format!("find the pages of {} ticket(s)", chunk.len());
        rows.extend(query_all(client, binding, filter, &op)?);
    }
    Ok(rows)
}

/// Finds the pages of many keys in few requests: up to [`BATCH`] keys per query (one `or` of their
/// filters), page keys read one by one; then each key matched exactly as [`find`] does. A failed query
/// fails the keys it asked for.
pub fn find_many(
    client: &Client,
    binding: &Binding,
    extractor: &Extractor,
    keys: &[TicketKey],
) -> std::collections::HashMap<TicketKey, Result<Found, ApiError>> {
    let mut out = std::collections::HashMap::new();
    let mut filtered: Vec<(&TicketKey, Value)> = vec![];
    for key in keys {
        if out.contains_key(key) || filtered.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if let TicketKey::Page(_) = key {
            out.insert(key.clone(), find(client, binding, extractor, key));
            continue;
        }
        match key_filter(binding, key) {
            Some(f) => filtered.push((key, f)),
            None => {
                out.insert(key.clone(), Ok(Found::Nothing));
            }
        }
    }
    for chunk in filtered.chunks(BATCH) {
        find_batch(client, binding, extractor, chunk, &mut out);
    }
    out
}

/// Finds the pages of one batch of keys in one query. A batch Notion refuses as a request (400, 413) is
/// split in halves until the key it refuses is alone: that key alone gets the refusal
/// ([`ApiError::KeyRefused`], set aside as rejected), and every other key is found.
fn find_batch(
    client: &Client,
    binding: &Binding,
    extractor: &Extractor,
    chunk: &[(&TicketKey, Value)],
    out: &mut std::collections::HashMap<TicketKey, Result<Found, ApiError>>,
) {
    let filter = match chunk {
        [(_, only)] => only.clone(),
        _ => json!({"or": chunk.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>()}),
    };
    let op = format!("find the pages of {} ticket(s)", chunk.len());
    let rows = query_all(client, binding, filter, &op);
    if let Err(ApiError::Rejected {
        status: status @ (400 | 413),
        said,
        ..
    }) = &rows
    {
        if let [(key, _)] = chunk {
            out.insert(
                (*key).clone(),
                Err(ApiError::KeyRefused {
                    key: key.to_string(),
                    status: *status,
                    said: said.clone(),
                }),
            );
        } else {
            let (a, b) = chunk.split_at(chunk.len() / 2);
            find_batch(client, binding, extractor, a, out);
            find_batch(client, binding, extractor, b, out);
        }
        return;
    }
    for (key, _) in chunk {
        let found = match &rows {
            Ok(rows) => Ok(found_in(binding, extractor, key, rows)),
            Err(e) => Err(e.clone()),
        };
        out.insert((*key).clone(), found);
    }
}

/// Every page of a data source, indexed by the keys that address it, with the same rules as [`find`]:
/// the replay's way (one paginated scan, then local matching, instead of one query per ticket).
pub struct Index {
    pages: Vec<PageState>,
    by_key: std::collections::HashMap<TicketKey, Vec<usize>>,
    by_number: std::collections::HashMap<u64, Vec<usize>>,
    by_unique_id: std::collections::HashMap<u64, Vec<usize>>,
    lookup_kind: Kind,
    unique_prefix: Option<String>,
    has_unique_id: bool,
}

impl Index {
    /// Indexes these rows by the keys that address them.
    pub fn new(pages: &[Value], binding: &Binding, extractor: &Extractor) -> Index {
        let mut ix = Index {
            pages: Vec::with_capacity(pages.len()),
            by_key: Default::default(),
            by_number: Default::default(),
            by_unique_id: Default::default(),
            lookup_kind: binding.lookup.kind.clone(),
            unique_prefix: binding.unique_id.as_ref().and_then(|p| p.prefix.clone()),
            has_unique_id: binding.unique_id.is_some(),
        };
        for pg in pages {
            if pg["in_trash"].as_bool() == Some(true) {
                continue;
            }
            let i = ix.pages.len();
            let state = PageState::from_json(pg, binding);
            if let Some(id) = crate::id::normalize(&state.id) {
                ix.by_key.entry(TicketKey::Page(id)).or_default().push(i);
            }
            let text = values::read(&pg["properties"], &binding.lookup);
            match binding.lookup.kind {
                // A title belongs to its first key: `#012 … (#026)` is #012's page only.
                Kind::Title => {
                    if let Some(k) = extractor.title_key(&text) {
                        ix.by_key.entry(k).or_default().push(i);
                    }
                }
                Kind::RichText => {
                    for k in extractor.extract(&text) {
                        if matches!(k, TicketKey::Token(_)) {
                            ix.by_key.entry(k).or_default().push(i);
                        }
                    }
                }
                Kind::Number | Kind::UniqueId => {
                    let n = match binding.lookup.kind {
                        Kind::Number => pg["properties"]
                            .as_object()
                            .and_then(|m| m.get(&binding.lookup.name))
                            .and_then(|v| v["number"].as_f64())
                            .filter(|n| n.fract() == 0.0 && *n >= 0.0)
                            .map(|n| n as u64),
                        _ => unique_number(pg, &binding.lookup),
                    };
                    if let Some(n) = n {
                        ix.by_number.entry(n).or_default().push(i);
                    }
                }
                _ => {}
            }
            if let Some(p) = &binding.unique_id {
                if let Some(n) = unique_number(pg, p) {
                    ix.by_unique_id.entry(n).or_default().push(i);
                }
            }
            ix.pages.push(state);
        }
        ix
    }

    /// Every ticket key the pages carry (in titles or the lookup property, and unique ids), with its
    /// pages; keys found through a number property are left out (how messages write them is not known).
    pub fn keyed(&self) -> Vec<(TicketKey, Vec<&PageState>)> {
        let pages = |ix: &Vec<usize>| ix.iter().map(|&i| &self.pages[i]).collect::<Vec<_>>();
        let mut out: Vec<(TicketKey, Vec<&PageState>)> = self
            .by_key
            .iter()
            .filter(|(k, _)| matches!(k, TicketKey::Token(_)))
            .map(|(k, ix)| (k.clone(), pages(ix)))
            .collect();
        if let Some(prefix) = &self.unique_prefix {
            out.extend(self.by_unique_id.iter().map(|(n, ix)| {
                (
                    TicketKey::UniqueId {
                        prefix: prefix.to_ascii_uppercase(),
                        number: *n,
                    },
                    pages(ix),
                )
            }));
        }
        out
    }

    /// The page(s) of one key.
    pub fn find(&self, key: &TicketKey) -> Found {
        let hits: Option<&Vec<usize>> = match key {
            TicketKey::Page(_) => self.by_key.get(key),
            TicketKey::UniqueId { prefix, number } => {
                if !self.has_unique_id
                    || self
                        .unique_prefix
                        .as_deref()
                        .is_some_and(|p| !p.eq_ignore_ascii_case(prefix))
                {
                    None
                } else {
                    self.by_unique_id.get(number)
                }
            }
            TicketKey::Token(token) => match self.lookup_kind {
                Kind::Title | Kind::RichText => self.by_key.get(key),
                Kind::Number | Kind::UniqueId => {
                    key_number(token).and_then(|n| self.by_number.get(&n))
                }
                _ => None,
            },
        };
        outcome(
            hits.map(|v| v.iter().map(|i| self.pages[*i].clone()).collect())
                .unwrap_or_default(),
        )
    }
}

fn unique_number(page: &Value, p: &crate::notion::schema::Property) -> Option<u64> {
    let props = page["properties"].as_object()?;
    let v = props
        .get(&p.name)
        .or_else(|| props.values().find(|v| v["id"] == p.id.as_str()))?;
    v["unique_id"]["number"].as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_encoding() {
        assert_eq!(key_number("#042"), Some(42));
        assert_eq!(key_number("TASK-17"), Some(17));
        assert_eq!(key_number("#011.3"), None);
        assert_eq!(key_number("#x"), None);
        assert_eq!(percent_encode("%3ASY7c"), "%3ASY7c");
        assert_eq!(percent_encode("a b"), "a%20b");
    }
}
