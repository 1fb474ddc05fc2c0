//! A whole data source read in one paginated scan (100 rows a request, only the bound properties),
//! past Notion's 10,000-row cap of one query with `created_time` windows. The replay matches its pages
//! locally; `undo` reads the pages it recorded. Notion shows `created_time` by the minute, so more rows
//! than one query returns can share one (a CSV import): then the scan says it is incomplete, and its
//! callers look up what they need directly.

use serde_json::{json, Value};

use crate::notion::client::{paginate_within, ApiError, Client, Listed};

/// What a scan read.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The rows, each once, in `created_time` order.
    pub pages: Vec<Value>,
    /// False when rows may be missing: more rows than one query may return share one `created_time`
    /// (Notion rounds it to the minute), so the windows cannot page past them, or the request budget
    /// was spent.
    pub complete: bool,
    /// Requests the scan sent.
    pub requests: usize,
}

/// Every page of the data source, in `created_time` order: 100 rows a request, only the bound properties.
/// `properties` trims each row to those property ids (all when empty). `budget`: stop after this many
/// requests (the caller reads the rest another way). `progress` sees the rows read so far, every 100 rows
/// and at the end of each window (work on them then overlaps the pacing's waits).
pub fn scan(
    client: &Client,
    data_source_id: &str,
    properties: &[&str],
    budget: Option<usize>,
    mut progress: impl FnMut(&[Value]),
) -> Result<Scanned, ApiError> {
    let budget = budget.unwrap_or(usize::MAX).max(1);
    let mut requests = 0;
    let path = crate::pipeline::lookup::query_path(data_source_id, properties);
    let mut pages: Vec<Value> = vec![];
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut window_start: Option<String> = None;
    let mut newest: Option<String> = None;
    let endpoint = format!("scan the data source (POST /v1/data_sources/{data_source_id}/query)");
    let complete = loop {
        let listed = paginate_within(
            &endpoint,
            budget - requests,
            |cursor| {
                requests += 1;
                let body = window_query(window_start.as_deref(), cursor);
                let body = crate::pipeline::lookup::rows_only(client, body);
                client.post_read("scan the data source", &path, &body)
            },
            |pg| {
                // The window advances over every row, a wiki's child data sources included: one can
                // be the last row of a window (notion-sdk-js #731).
                if let Some(t) = pg["created_time"].as_str() {
                    newest = Some(t.to_string());
                }
                // A wiki's query returns data_source objects among its pages: not rows.
                if !crate::pipeline::lookup::is_page(&pg) {
                    return;
                }
                let id = pg["id"].as_str().unwrap_or_default().to_string();
                if seen.insert(id) {
                    pages.push(pg);
                    if pages.len().is_multiple_of(100) {
                        progress(&pages);
                    }
                }
            },
        )?;
        progress(&pages);
        match listed {
            Listed::Complete => break true,
            Listed::Stopped => break false,
            Listed::Capped if requests >= budget => break false,
            Listed::Capped => {}
        }
        // The next window starts at the newest row seen; rows sharing that instant are skipped by id.
        let last = newest.take();
        if last.is_none() || last == window_start {
            // More rows than one query may return (`LIST_CAP`) share one created_time: say so, so that
            // nobody plans on a partial scan (a ticket would look "not found").
            break false;
        }
        window_start = last;
    };
    Ok(Scanned {
        pages,
        complete,
        requests,
    })
}

/// One query of the scan: 100 rows by `created_time`, from `window_start` on, at `cursor`.
fn window_query(window_start: Option<&str>, cursor: Option<&str>) -> Value {
    let mut body = json!({
        "page_size": 100,
        "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
    });
    if let Some(t) = window_start {
        body["filter"] = json!({"timestamp": "created_time", "created_time": {"on_or_after": t}});
    }
    if let Some(c) = cursor {
        body["start_cursor"] = json!(c);
    }
    body
}
