//! Scripted faults and the rate limiter.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::ids::IdGen;

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Wait this long before answering (the answer itself is normal unless another fault fires too).
    Latency { ms: u64 },
    /// Answer with Notion's error body for this status (500, 502, 503, 504, 529, 429, …).
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Close the connection in the middle of the response (the request is not processed).
    Drop,
    /// An HTML error page, as a proxy in front of Notion sends (the request is not processed).
    Html { status: u16 },
    /// Process the request, then send only the first half of the JSON answer.
    TruncatedJson,
    /// Answer with this status and JSON body without processing the request: a hostile or broken
    /// server in Notion's place (a proxy answering `200 {}`, a cursor that never ends).
    Respond {
        status: u16,
        body: serde_json::Value,
    },
}

/// A fault for the next `times` matching requests (all of them when `None`), or for a `fraction`
/// of them, optionally only for one method and paths starting with `path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub fraction: Option<f64>,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            path: None,
            method: None,
            times: None,
            fraction: None,
        }
    }
    pub fn latency_ms(ms: u64) -> Self {
        Self::new(FaultKind::Latency { ms })
    }
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status {
            status,
            retry_after: None,
        })
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        Self::new(FaultKind::Status {
            status: 429,
            retry_after: Some(retry_after),
        })
    }
    pub fn drop_connection() -> Self {
        Self::new(FaultKind::Drop)
    }
    pub fn html(status: u16) -> Self {
        Self::new(FaultKind::Html { status })
    }
    pub fn truncated_json() -> Self {
        Self::new(FaultKind::TruncatedJson)
    }
    /// Answer `status` with `body`, the request not processed.
    pub fn respond(status: u16, body: serde_json::Value) -> Self {
        Self::new(FaultKind::Respond { status, body })
    }
    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
    /// Only paths starting with this prefix (e.g. `/v1/pages`).
    pub fn path(mut self, prefix: &str) -> Self {
        self.path = Some(prefix.to_string());
        self
    }
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }
    /// Each matching request is hit with this probability (deterministic sequence).
    pub fn fraction(mut self, f: f64) -> Self {
        self.fraction = Some(f);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .map(|m| m.eq_ignore_ascii_case(method))
            .unwrap_or(true)
            && self
                .path
                .as_deref()
                .map(|p| path.starts_with(p))
                .unwrap_or(true)
    }
}

/// What the faults decided for one request.
#[derive(Debug, Default)]
pub struct Decision {
    pub latency_ms: u64,
    pub terminal: Option<FaultKind>,
}

#[derive(Debug, Default)]
pub struct FaultSet {
    pub faults: Vec<Fault>,
}

impl FaultSet {
    pub fn decide(&mut self, method: &str, path: &str, rng: &mut IdGen) -> Decision {
        let mut d = Decision::default();
        for f in self.faults.iter_mut() {
            if !f.matches(method, path) || f.times == Some(0) {
                continue;
            }
            let is_terminal = !matches!(f.kind, FaultKind::Latency { .. });
            if is_terminal && d.terminal.is_some() {
                continue;
            }
            if let Some(p) = f.fraction {
                if rng.fraction() >= p {
                    continue;
                }
            }
            if let Some(n) = f.times.as_mut() {
                *n -= 1;
            }
            match &f.kind {
                FaultKind::Latency { ms } => d.latency_ms += ms,
                k => d.terminal = Some(k.clone()),
            }
        }
        self.faults.retain(|f| f.times != Some(0));
        d
    }
}

/// A token bucket: `rps` requests a second on average, bursts of up to `burst`.
#[derive(Debug)]
pub struct TokenBucket {
    pub rps: f64,
    pub burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(rps: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        TokenBucket {
            rps,
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes a token, or says how many seconds until one is available.
    pub fn take(&mut self) -> Result<(), f64> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rps).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - self.tokens) / self.rps)
        }
    }
}

/// Whom a [`Window`]'s budget is counted for: each connection (token) alone, or every connection of the
/// workspace together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Connection,
    Workspace,
}

/// A budget of `requests` per fixed window of `secs` seconds, as Notion's request limits describe them: a
/// per-connection budget per 60-second window, and a per-workspace limit shared by every connection whose
/// `Retry-After` "can be longer than a minute" (developers.notion.com/reference/request-limits, summarised
/// in ../shared/notion-reference/README.md). Past the budget: 429 with `Retry-After` = the rest of the window
/// (or `retry_after` when given) and `additional_data.rate_limit_reason` = `reason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub requests: u32,
    pub secs: f64,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default = "Window::default_reason")]
    pub reason: String,
    /// Counted per connection (token, the default) or for the whole workspace.
    #[serde(default)]
    pub scope: Scope,
    /// Per counted party (a token, or "" for the workspace): when its window began and what it used.
    #[serde(skip)]
    state: HashMap<String, (Instant, u32)>,
}

impl Window {
    fn default_reason() -> String {
        "connection_window_limit".into()
    }

    /// A per-connection budget (each token counted alone).
    pub fn new(requests: u32, secs: f64, reason: &str) -> Self {
        Window {
            requests,
            secs,
            retry_after: None,
            reason: reason.into(),
            scope: Scope::Connection,
            state: HashMap::new(),
        }
    }

    /// A budget shared by every connection of the workspace.
    pub fn workspace(requests: u32, secs: f64, reason: &str) -> Self {
        Window {
            scope: Scope::Workspace,
            ..Window::new(requests, secs, reason)
        }
    }

    /// What a sandbox models unless told otherwise: Notion's limits as a team on a small plan meets them
    /// (the budgets per plan are not published: these are Notion's documented average of 3 requests a
    /// second as a per-connection window, and a workspace limit of twice that shared by every connection,
    /// whose `Retry-After` is longer than a minute, as the request-limits page warns). The reason names
    /// are the sandbox's own: Notion's values are not published either.
    pub fn notion_defaults() -> Vec<Window> {
        vec![
            Window::new(180, 60.0, "connection_window_limit"),
            Window::workspace(360, 60.0, "workspace_limit").retry_after(90),
        ]
    }

    /// The `Retry-After` to announce instead of the rest of the window.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Counts a request of the connection using `token`, or says how many seconds to wait.
    pub fn take(&mut self, token: &str) -> Result<(), u64> {
        let party = match self.scope {
            Scope::Connection => token,
            Scope::Workspace => "",
        };
        let now = Instant::now();
        let secs = self.secs;
        let slot = self.state.entry(party.to_string()).or_insert((now, 0));
        if now.duration_since(slot.0).as_secs_f64() >= secs {
            *slot = (now, 0);
        }
        if slot.1 < self.requests {
            slot.1 += 1;
            return Ok(());
        }
        let rest = secs - now.duration_since(slot.0).as_secs_f64();
        Err(self.retry_after.unwrap_or(rest.ceil().max(1.0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_counted_and_exhausted_faults_removed() {
        let mut set = FaultSet {
            faults: vec![Fault::status(503).times(2).path("/v1/pages")],
        };
        let mut rng = IdGen::new(1);
        assert!(set
            .decide("GET", "/v1/users/me", &mut rng)
            .terminal
            .is_none());
        assert!(set
            .decide("PATCH", "/v1/pages/x", &mut rng)
            .terminal
            .is_some());
        assert!(set
            .decide("PATCH", "/v1/pages/x", &mut rng)
            .terminal
            .is_some());
        assert!(set
            .decide("PATCH", "/v1/pages/x", &mut rng)
            .terminal
            .is_none());
        assert!(set.faults.is_empty());
    }

    #[test]
    fn fraction_hits_about_that_share() {
        let mut set = FaultSet {
            faults: vec![Fault::status(500).fraction(0.25)],
        };
        let mut rng = IdGen::new(9);
        let hits = (0..4000)
            .filter(|_| set.decide("GET", "/", &mut rng).terminal.is_some())
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn bucket_allows_burst_then_refuses() {
        let mut b = TokenBucket::new(3.0, 2);
        assert!(b.take().is_ok());
        assert!(b.take().is_ok());
        let wait = b.take().unwrap_err();
        assert!(wait > 0.0 && wait <= 1.0 / 3.0 + 0.01, "{wait}");
    }

    #[test]
    fn a_window_refuses_past_its_budget_until_it_ends() {
        let mut w = Window::new(2, 0.2, "workspace_limit");
        assert!(w.take("a").is_ok());
        assert!(w.take("a").is_ok());
        assert_eq!(w.take("a"), Err(1));
        assert!(w.take("b").is_ok(), "another connection has its own budget");
        let mut long = Window::new(0, 60.0, "workspace_limit").retry_after(180);
        assert_eq!(long.take("a"), Err(180));
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(w.take("a").is_ok(), "a new window");
    }

    #[test]
    fn a_workspace_window_is_shared_by_every_connection() {
        let mut w = Window::workspace(2, 60.0, "workspace_limit").retry_after(90);
        assert!(w.take("a").is_ok());
        assert!(w.take("b").is_ok());
        assert_eq!(w.take("c"), Err(90));
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v["scope"], "workspace");
        let back: Window = serde_json::from_value(v).unwrap();
        assert_eq!(back.scope, Scope::Workspace);
    }

    #[test]
    fn faults_parse_from_json() {
        let f: Fault =
            serde_json::from_str(r#"{"type":"status","status":503,"times":2,"path":"/v1/pages"}"#)
                .unwrap();
        assert_eq!(f, Fault::status(503).times(2).path("/v1/pages"));
        let f: Fault = serde_json::from_str(r#"{"type":"latency","ms":500}"#).unwrap();
        assert_eq!(f, Fault::latency_ms(500));
    }
}
