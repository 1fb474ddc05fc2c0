//! Notion's rate-limit budget per window, as a clone's client learned it from 429s, kept beside the
//! outbox (`budget.json`) so that the next flusher (a new process, a commit later) spreads its requests
//! from its first one instead of meeting the same 429. Kept a day: a workspace's plan can change.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::notion::client::Client;

/// The file's name in the outbox directory.
const FILE: &str = "budget.json";

/// How long a learned budget is trusted.
const KEPT_SECS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize)]
struct Learned {
    /// Requests per window.
    budget: u32,
    /// When it was learned (Unix seconds).
    learned_at: i64,
}

/// The budget learned before in this outbox directory, if any and recent (for
/// [`crate::pipeline::session::Session::connect_paced`], so that the first request is paced too).
pub fn recall(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join(FILE)).ok()?;
    let l = serde_json::from_str::<Learned>(&text).ok()?;
    let age = jiff::Timestamp::now().as_second() - l.learned_at;
    (0..KEPT_SECS).contains(&age).then_some(l.budget)
}

/// Keeps the budget `client` learned (when it learned one). Written aside and renamed; a failure to
/// write only costs the next flusher one 429.
pub fn keep(dir: &Path, client: Option<&Client>) {
    let Some(budget) = client.and_then(Client::learned_budget) else {
        return;
    };
    let l = Learned {
        budget,
        learned_at: jiff::Timestamp::now().as_second(),
    };
    let Ok(text) = serde_json::to_string(&l) else {
        return;
    };
    let tmp = dir.join(format!("{FILE}.tmp"));
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(FILE));
    }
}
