//! A whole data source read in one paginated scan (100 rows a request, only the bound properties),
//! past Notion's 10,000-row cap of one query with `created_time` windows. The replay matches its pages
//! locally; `undo` reads the pages it recorded. Notion shows `created_time` by the minute, so more rows
//! than one query returns can share one (a CSV import): then the scan says it is incomplete, and its
//! callers look up what they need directly.

use serde_json::{json, Value};

use crate::notion::client::{paginate, ApiError, Client, Listed};

/// What a scan read.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The rows, each once, in `created_time` order.
    pub pages: Vec<Value>,
    /// False when more rows than one query may return share one `created_time` (Notion rounds it to the
    /// minute): the windows cannot page past them, so rows may be missing.
    pub complete: bool,
}

/// Every page of the data source, in `created_time` order: 100 rows a request, only the bound properties.
/// `properties` trims each row to those property ids (all when empty).
pub fn scan(
    client: &Client,
    data_source_id: &str,
    properties: &[&str],
    mut progress: impl FnMut(usize),
) -> Result<Scanned, ApiError> {
    let path = crate::pipeline::lookup::query_path(data_source_id, properties);
    let mut pages: Vec<Value> = vec![];
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut window_start: Option<String> = None;
    loop {
        let listed = paginate(
            |cursor| {
                let mut body = json!({
                    "page_size": 100,
                    "sorts": [{"timestamp": "created_time", "direction": "ascending"}],
                });
                if let Some(t) = &window_start {
                    body["filter"] =
                        json!({"timestamp": "created_time", "created_time": {"on_or_after": t}});
                }
                if let Some(c) = cursor {
                    body["start_cursor"] = json!(c);
                }
                client.post_read("scan the data source", &path, &body)
            },
            |pg| {
                // A wiki's query returns data_source objects among its pages: not rows.
                if !crate::pipeline::lookup::is_page(&pg) {
                    return;
                }
                let id = pg["id"].as_str().unwrap_or_default().to_string();
                if seen.insert(id) {
                    pages.push(pg);
                    if pages.len().is_multiple_of(100) {
                        progress(pages.len());
                    }
                }
            },
        )?;
        progress(pages.len());
        if listed == Listed::Complete {
            break;
        }
        // The next window starts at the newest row seen; rows sharing that instant are skipped by id.
        let last = pages
            .last()
            .and_then(|p| p["created_time"].as_str())
            .map(String::from);
        if last.is_none() || last == window_start {
            // More rows than one query may return (`LIST_CAP`) share one created_time: say so, so that
            // nobody plans on a partial scan (a ticket would look "not found").
            return Ok(Scanned {
                pages,
                complete: false,
            });
        }
        window_start = last;
    }
    Ok(Scanned {
        pages,
        complete: true,
    })
}
