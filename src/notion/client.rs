//! A blocking Notion API client: the configured Notion-Version (`[api] version`), keep-alive, timeouts, a client-side rate limiter,
//! retries with backoff and jitter, a retry budget and a circuit breaker. Every failure becomes an
//! [`ApiError`] that names the operation and says how to fix it. The token is only ever put in the
//! `Authorization` header.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::{Api, Token};

/// What went wrong talking to Notion. Each message names the operation and the fix.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is invalid or revoked.
    #[error("{op}: Notion refused the token (401 {said}). The token is invalid, expired or was revoked: copy the connection's secret again, or create a personal access token, at https://www.notion.so/developers and set NOTION_TOKEN")]
    Unauthorized {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// What Notion said (code, message, request id).
        said: Box<Said>,
    },
    /// 404: missing, or not shared with the integration.
    #[error("{op}: not found (404 {said}). The page or database does not exist or is not shared with the integration: in Notion open it, ••• → Connections → add your integration (a personal access token needs no sharing: it sees what its user sees)")]
    NotFound {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// What Notion said (code, message, request id).
        said: Box<Said>,
    },
    /// 403: the integration lacks the capability the operation needs.
    #[error("{op}: the integration lacks a capability (403 {said}). {}", forbidden_fix(.op))]
    Forbidden {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// What Notion said (code, message, request id).
        said: Box<Said>,
    },
    /// A 4xx Notion refused (400 validation, 409 after retries, …).
    #[error("{op}: Notion rejected the request ({status} {said}). {}", rejected_fix(&.said.code))]
    Rejected {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// The HTTP status.
        status: u16,
        /// What Notion said (code, message, request id).
        said: Box<Said>,
    },
    /// Notion refused the lookup of one key (a batch it refused was split until this key was alone): the
    /// key is set aside as rejected, the others are delivered.
    #[error("Notion refused to look up the key {} ({status} {said}); it is set aside as rejected and the other tickets were delivered. If it is no ticket, `git notion clear` dismisses it", shorten(.key))]
    KeyRefused {
        /// The key as written (shown cut to 60 characters).
        key: String,
        /// The HTTP status.
        status: u16,
        /// What Notion said (code, message, request id).
        said: Box<Said>,
    },
    /// 429 after the retries (or a `Retry-After` too long to wait here).
    #[error("{op}: rate limited by Notion (429 rate_limited{}) after {attempts} attempts{}. Everyone using this integration's token shares its budget (about 3 requests/s, a per-minute and a per-workspace limit); nothing was lost: run it again later, or lower [api] requests_per_second", detail_suffix(&.said.message_text()), wait_suffix(*.retry_after_secs))]
    RateLimited {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// Attempts made, retries included.
        attempts: u32,
        /// What Notion said (its `rate_limit_reason` and `request_id` when given).
        said: Box<Said>,
        /// The `Retry-After` Notion asked for, when it was too long to wait here.
        retry_after_secs: Option<u64>,
    },
    /// The edge in front of Notion (Cloudflare) refused with a page of its own rather than Notion's JSON:
    /// not a capability Notion lacks. Kept for later, as an outage is.
    #[error("{op}: Notion's edge (Cloudflare) answered {status} with {}, not Notion's API{}: this is not a missing capability. A network, VPN or proxy the edge refuses, or an outage on Notion's side; nothing was lost: try again later (https://status.notion.so), and give Notion's support the cf-ray id if it lasts", .said.message, ray_suffix(.said.ray_id.as_deref()))]
    Edge {
        /// What git-notion was doing.
        op: String,
        /// The HTTP status.
        status: u16,
        /// What the page was, and its `cf-ray`.
        said: Box<Said>,
    },
    /// 5xx after the retries.
    #[error("{op}: Notion is unavailable ({status} {}) after {attempts} attempts{}. Try again later (https://status.notion.so); nothing was lost", unavailable_code(.said), ids_suffix(.said))]
    Unavailable {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// The HTTP status.
        status: u16,
        /// What Notion (or the edge in front of it) said.
        said: Box<Said>,
        /// Attempts made, retries included.
        attempts: u32,
    },
    /// Notion could not be reached (DNS, TLS, proxy, timeout).
    #[error("{op}: cannot reach Notion at {base} after {attempts} attempts: {detail}. Check the network (and any proxy); nothing was lost")]
    Network {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// The API base URL.
        base: String,
        /// What went wrong, as the transport or parser said.
        detail: String,
        /// Attempts made, retries included.
        attempts: u32,
    },
    /// Not sent: the circuit breaker is open after repeated failures.
    #[error("{op}: not sent: Notion failed {failures} times in a row, so git-notion stopped calling it for now. Try again later")]
    CircuitOpen {
        /// What git-notion was doing.
        op: String,
        /// Consecutive failures that opened the circuit.
        failures: u32,
    },
    /// The API answered with a redirect, which is never followed.
    #[error("{op}: the API answered with a redirect ({status}) to {location}; Notion's API does not redirect, so it was not followed (the token stays here). Check GIT_NOTION_API_URL and any proxy")]
    Redirected {
        /// What git-notion was doing (`update the page of #042`).
        op: String,
        /// The HTTP status.
        status: u16,
        /// Where the redirect pointed.
        location: String,
    },
    /// An answer that is not the JSON Notion sends.
    #[error("{op}: Notion sent a response git-notion cannot read ({detail})")]
    BadResponse {
        /// What git-notion was doing.
        op: String,
        /// What could not be read.
        detail: String,
    },
}

/// `text` cut to 60 characters (on a character boundary), with how long it was.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}… ({} bytes)", &text[..i], text.len()),
        None => text.to_string(),
    }
}

/// What to do about a request Notion refused, by its code: a value or a property name (what a person
/// can fix), or a request git-notion should not have sent.
fn rejected_fix(code: &str) -> &'static str {
    match code {
        "invalid_beta" => {
            "Notion refused a beta feature this request asked for (`invalid_beta`): this workspace does not have it; upgrade git-notion, or report this with the request id"
        }
        "invalid_json" | "invalid_request_url" | "invalid_request" | "missing_version" => {
            "git-notion sent a request Notion cannot read: please report this with the request id"
        }
        _ => "Check the property names and values in .git-notion.toml against the database (`git notion doctor`)",
    }
}

/// A 5xx as people read it: Notion's code (`service_overload`, `gateway_timeout`, …), or the edge's page.
fn unavailable_code(said: &Said) -> String {
    if said.foreign {
        "from the edge in front of Notion".to_string()
    } else {
        said.code.clone()
    }
}

/// ` [request_id …] [cf-ray …]`, for what Notion's support can trace.
fn ids_suffix(said: &Said) -> String {
    let ids = [
        said.request_id
            .as_ref()
            .map(|id| format!(" [request_id {id}]")),
        said.ray_id.as_ref().map(|r| format!(" [cf-ray {r}]")),
    ];
    ids.into_iter().flatten().collect()
}

fn ray_suffix(ray: Option<&str>) -> String {
    ray.map(|r| format!(" (cf-ray {r})")).unwrap_or_default()
}

fn detail_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn wait_suffix(secs: Option<u64>) -> String {
    match secs {
        Some(s) => format!(
            "; Notion asked to wait {}",
            human_wait(Duration::from_secs(s))
        ),
        None => String::new(),
    }
}

/// A wait as people say it: `45 s`, `3 min`, `2 h 5 min`.
pub fn human_wait(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s.div_ceil(60)),
        _ => format!("{} h {} min", s / 3600, (s % 3600).div_ceil(60)),
    }
}

/// How a foreground command waits out a `Retry-After` longer than [`Options::max_retry_after`]: up to
/// `max`, saying so through `announce` (the operation, the wait, Notion's reason). Hooks never set it:
/// their updates stay queued; the detached flusher sets it quietly and delivers after the wait.
#[derive(Debug, Clone, Copy)]
pub struct LongWaits {
    /// The longest wait taken; a longer one fails with the wait in the error.
    pub max: Duration,
    /// Tells the user about a wait (the operation, the wait, Notion's reason).
    pub announce: fn(op: &str, wait: Duration, reason: &str),
}

static LONG_WAITS: std::sync::OnceLock<LongWaits> = std::sync::OnceLock::new();

/// Lets this process wait out long rate limits (called once by a foreground command).
pub fn wait_out_long_limits(waits: LongWaits) {
    let _ = LONG_WAITS.set(waits);
}

impl ApiError {
    /// The request id Notion gave this error, for Notion's support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { said, .. }
            | ApiError::NotFound { said, .. }
            | ApiError::Forbidden { said, .. }
            | ApiError::Rejected { said, .. }
            | ApiError::KeyRefused { said, .. }
            | ApiError::Edge { said, .. }
            | ApiError::Unavailable { said, .. }
            | ApiError::RateLimited { said, .. } => said.request_id.as_deref(),
            _ => None,
        }
    }

    /// Worth trying again later (network, 429, 5xx): kept in the outbox rather than failed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Edge { .. }
                | ApiError::Unavailable { .. }
                | ApiError::Network { .. }
                | ApiError::CircuitOpen { .. }
                | ApiError::BadResponse { .. }
        )
    }
}

/// A request that did not succeed: its error, whether trying again may help, and how long Notion asked
/// to wait.
struct Failed {
    error: ApiError,
    retry_after: Option<Duration>,
    may_retry: bool,
}

/// Tuning of the client; defaults suit Notion's documented limits.
#[derive(Debug, Clone)]
pub struct Options {
    /// Average requests per second (Notion: about 3).
    pub requests_per_second: f64,
    /// Requests that may go at once before the average applies.
    pub burst: u32,
    /// Retries of one request.
    pub max_retries: u32,
    /// Retries of all requests of this client together.
    pub retry_budget: u32,
    /// First backoff; doubled per retry, with full jitter, capped at `max_backoff`.
    pub base_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited out (unless a foreground command set
    /// [`LongWaits`]): the error says how long Notion asked to wait.
    pub max_retry_after: Duration,
    /// Connecting to Notion.
    pub connect_timeout: Duration,
    /// One whole request (Notion itself gives up on a response after 60 s).
    pub timeout: Duration,
    /// Consecutive failed attempts that open the circuit.
    pub circuit_threshold: u32,
    /// The API version every request names.
    pub version: crate::config::NotionVersion,
    /// Notion's rate-limit window (60 s): the span a learned budget is spread over.
    pub window: Duration,
    /// A budget per window learned earlier (by another process on this clone), if any.
    pub budget: Option<u32>,
    /// How long the open circuit refuses before trying again.
    pub circuit_cooldown: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            requests_per_second: 3.0,
            burst: 3,
            max_retries: 4,
            retry_budget: 30,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            circuit_threshold: 8,
            circuit_cooldown: Duration::from_secs(30),
            version: crate::config::NotionVersion::default(),
            window: Duration::from_secs(60),
            budget: None,
        }
    }
}

impl Options {
    /// The options `[api]` sets, the rest default.
    pub fn from_config(api: &Api) -> Options {
        let d = Options::default();
        Options {
            requests_per_second: api.requests_per_second,
            burst: api.burst,
            max_retries: api.max_retries,
            timeout: Duration::from_secs_f64(api.timeout_secs),
            version: api.version,
            window: Duration::from_secs_f64(api.window_secs),
            ..d
        }
    }
}

/// The certificate authorities git-notion trusts: Mozilla's (webpki-root-certs), plus the system's store,
/// or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (rustls-native-certs), so that a corporate CA that
/// inspects TLS, trusted by curl and git, is trusted here too. Unreadable certificates are skipped.
fn trusted_roots() -> ureq::tls::RootCerts {
    use ureq::tls::Certificate;
    let mut certs: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()).to_owned())
        .collect();
    let native = rustls_native_certs::load_native_certs();
    certs.extend(
        native
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
    );
    ureq::tls::RootCerts::new_with_certs(&certs)
}

/// What to try when a TLS certificate is not trusted (a network that inspects TLS with its own CA).
fn certificate_hint(detail: &str) -> &'static str {
    if detail.contains("certificate") || detail.contains("UnknownIssuer") {
        " (if your network inspects TLS with its own certificate authority, point SSL_CERT_FILE or SSL_CERT_DIR at that CA's certificate, as for curl)"
    } else {
        ""
    }
}

/// Share of the configured rate the limiter actually uses: requests reach the server a few milliseconds
/// earlier or later than they leave, and a bucket at exactly the server's rate then meets occasional 429s.
pub const RATE_MARGIN: f64 = 0.95;

/// Token bucket: `burst` requests at once, then `rate` per second on average.
#[derive(Debug)]
struct Limiter {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Limiter {
    fn new(rate: f64, burst: u32) -> Self {
        let capacity = f64::from(burst.max(1));
        Limiter {
            rate,
            capacity,
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// How long to wait before the next request may go (and takes its token).
    fn reserve(&mut self, now: Instant) -> Duration {
        if self.rate <= 0.0 || !self.rate.is_finite() {
            return Duration::ZERO;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// The fewest requests taken in a window before a 429 that count as learning its budget.
const MIN_LEARNED: u32 = 10;

/// Notion's per-connection budget per window, as this client learns it from the 429s it gets (no plan is
/// guessed): the requests it sent in the window before a 429 that asked to wait longer than the
/// per-second average explains. Once known, requests are spread evenly over the window at 90 % of it.
#[derive(Debug, Default)]
struct Budget {
    /// When each request of the last window went (at most [`Budget::KEPT`]).
    sent: std::collections::VecDeque<Instant>,
    /// The budget learned, if any.
    learned: Option<u32>,
}

impl Budget {
    /// The most send times kept (memory stays bounded whatever the rate).
    const KEPT: usize = 100_000;

    fn sent_now(&mut self, now: Instant, window: Duration) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= Self::KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back(now);
    }
}

#[derive(Debug, Default)]
struct Health {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    retries_used: u32,
    requests: u64,
}

/// A small, dependency-free jitter source (not for secrets).
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let frac = (h.finish() >> 11) as f64 / (1u64 << 53) as f64;
    max.mul_f64(frac)
}

/// Backoff before retry number `retry` (1-based): full jitter over an exponentially growing window.
fn backoff(options: &Options, retry: u32) -> Duration {
    let window = options
        .base_backoff
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(options.max_backoff);
    // At least half the window, so that retries never hammer.
    window / 2 + jitter(window / 2)
}

/// Parses `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        // Any header value, however large (`18446744073709551615`), gives a Duration or nothing: never a
        // panic. Longer waits than a day are a day (the caller caps them much lower anyway).
        if !(secs.is_finite() && secs >= 0.0) {
            return None;
        }
        return Some(Duration::try_from_secs_f64(secs.min(86_400.0)).unwrap_or(Duration::ZERO));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let d = at.duration_since(now);
    Some(Duration::try_from(d).unwrap_or(Duration::ZERO))
}

/// One HTTP method the client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The blocking Notion client.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Token,
    options: Options,
    limiter: Mutex<Limiter>,
    health: Mutex<Health>,
    budget: Mutex<Budget>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// A lock that survives a panic elsewhere: what it guards (request counters, the failure streak) stays
/// meaningful whatever was interrupted.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Notion's cap on the rows one paginated list returns (a query stops there with
/// `request_status: incomplete`); every paginated read here stops at it too.
pub const LIST_CAP: usize = 10_000;

/// How a paginated list ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// Every result was read.
    Complete,
    /// Notion said the list is incomplete, or [`LIST_CAP`] results were read: more may exist.
    Capped,
    /// The caller's request budget was spent with more results to read.
    Stopped,
}

/// Reads every page of a paginated list: `fetch(cursor)` makes one request (the first with no cursor),
/// each result goes to `each`, until Notion has no more or the list is capped ([`LIST_CAP`], or Notion's
/// `request_status: incomplete`). The one pagination loop of git-notion: page lookups, data-source scans
/// and comment reads all stop by the same rule. `endpoint` names what is read, for the error when an
/// answer could make the loop endless (a cursor given twice, or a page with no results that says more
/// follow): that ends the read with [`ApiError::BadResponse`].
pub fn paginate(
    endpoint: &str,
    fetch: impl FnMut(Option<&str>) -> Result<Value, ApiError>,
    each: impl FnMut(Value),
) -> Result<Listed, ApiError> {
    paginate_within(endpoint, usize::MAX, fetch, each)
}

/// [`paginate`], sending at most `requests` requests ([`Listed::Stopped`] when more remain).
pub fn paginate_within(
    endpoint: &str,
    requests: usize,
    mut fetch: impl FnMut(Option<&str>) -> Result<Value, ApiError>,
    mut each: impl FnMut(Value),
) -> Result<Listed, ApiError> {
    let mut cursor: Option<String> = None;
    let mut cursors_seen: std::collections::HashSet<String> = Default::default();
    let mut read = 0;
    let mut sent = 0;
    let endless = |detail: String| ApiError::BadResponse {
        op: endpoint.to_string(),
        detail,
    };
    loop {
        let v = fetch(cursor.as_deref())?;
        sent += 1;
        let mut on_page = 0;
        if let Some(results) = v["results"].as_array() {
            on_page = results.len();
            read += results.len();
            for r in results {
                each(r.clone());
            }
        }
        if v["request_status"]["type"] == "incomplete" || read >= LIST_CAP {
            return Ok(Listed::Capped);
        }
        match (v["has_more"].as_bool(), v["next_cursor"].as_str()) {
            (Some(true), Some(_)) if on_page == 0 => {
                return Err(endless(format!(
                    "page {sent} of the list had no results but said more follow; the read was stopped so it cannot go on for ever"
                )))
            }
            (Some(true), Some(next)) if !cursors_seen.insert(next.to_string()) => {
                return Err(endless(format!(
                    "page {sent} of the list gave a cursor it had given before; the read was stopped so it cannot go on for ever"
                )))
            }
            (Some(true), Some(_)) if sent >= requests => return Ok(Listed::Stopped),
            (Some(true), Some(next)) => cursor = Some(next.to_string()),
            _ => return Ok(Listed::Complete),
        }
    }
}

impl Client {
    /// Spreads requests over the window at 90 % of `budget` (a lower one learned later wins).
    pub fn learn_budget(&self, budget: u32) {
        let budget = budget.max(1);
        let mut b = lock(&self.budget);
        let learned = b.learned.map_or(budget, |old| old.min(budget));
        b.learned = Some(learned);
        let rate = f64::from(learned) * 0.9 / self.options.window.as_secs_f64().max(0.001);
        let mut limiter = lock(&self.limiter);
        if rate < limiter.rate {
            *limiter = Limiter::new(rate, 1);
        }
    }

    /// The budget per window learned from Notion's 429s (or given in [`Options::budget`]), if any.
    pub fn learned_budget(&self) -> Option<u32> {
        lock(&self.budget).learned
    }

    /// The API version this client speaks.
    pub fn version(&self) -> crate::config::NotionVersion {
        self.options.version
    }

    /// A client for `base` (e.g. `https://api.notion.com`, or the sandbox's URL).
    pub fn new(base: &str, token: Token, options: Options) -> Client {
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Notion's API never redirects: a redirect (a captive portal, a misconfigured proxy) is
            // reported, never followed with the token.
            .max_redirects(0)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            .user_agent(concat!("git-notion/", env!("CARGO_PKG_VERSION")));
        if crate::config::is_loopback_url(base) {
            builder = builder.proxy(None);
        }
        if base.starts_with("https://") {
            builder = builder.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(trusted_roots())
                    .build(),
            );
        }
        let client = Client {
            agent: builder.build().into(),
            base: base.trim_end_matches('/').to_string(),
            token,
            limiter: Mutex::new(Limiter::new(
                options.requests_per_second * RATE_MARGIN,
                options.burst,
            )),
            health: Mutex::new(Health::default()),
            budget: Mutex::new(Budget::default()),
            options,
        };
        if let Some(b) = client.options.budget {
            client.learn_budget(b);
        }
        client
    }

    /// Requests sent so far (attempts, including retries).
    pub fn request_count(&self) -> u64 {
        lock(&self.health).requests
    }

    /// A GET (safe to retry).
    pub fn get(&self, op: &str, path: &str) -> Result<Value, ApiError> {
        self.send(op, Method::Get, path, None, true)
    }

    /// A POST that only reads (queries, search): safe to retry.
    pub fn post_read(&self, op: &str, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(op, Method::Post, path, Some(body), true)
    }

    /// A POST that creates something (comments): retried only when Notion surely did not process it.
    pub fn post_create(&self, op: &str, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(op, Method::Post, path, Some(body), false)
    }

    /// A PATCH that sets absolute values: idempotent, so safe to retry.
    pub fn patch(&self, op: &str, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(op, Method::Patch, path, Some(body), true)
    }

    /// A DELETE (safe to retry: deleting twice leaves the same state; the second may answer 404).
    pub fn delete(&self, op: &str, path: &str) -> Result<Value, ApiError> {
        self.send(op, Method::Delete, path, None, true)
    }

    fn wait_for_slot(&self) {
        let wait = self
            .limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .reserve(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    /// Takes a retry from the budget; false when it is spent.
    fn take_retry(&self) -> bool {
        let mut h = lock(&self.health);
        if h.retries_used >= self.options.retry_budget {
            return false;
        }
        h.retries_used += 1;
        true
    }

    fn record(&self, ok: bool) {
        let mut h = lock(&self.health);
        if ok {
            h.consecutive_failures = 0;
            h.open_until = None;
        } else {
            h.consecutive_failures += 1;
            if h.consecutive_failures >= self.options.circuit_threshold {
                h.open_until = Some(Instant::now() + self.options.circuit_cooldown);
            }
        }
    }

    fn circuit_open(&self) -> Option<u32> {
        let h = lock(&self.health);
        match h.open_until {
            Some(until) if Instant::now() < until => Some(h.consecutive_failures),
            _ => None,
        }
    }

    /// Sends one request with rate limiting and retries; returns the JSON body of a 2xx answer.
    pub fn send(
        &self,
        op: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let url = format!("{}{}", self.base, path);
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut attempts = 0u32;
        loop {
            if let Some(failures) = self.circuit_open() {
                let op = op.to_string();
                return Err(ApiError::CircuitOpen { op, failures });
            }
            self.wait_for_slot();
            attempts += 1;
            lock(&self.health).requests += 1;
            lock(&self.budget).sent_now(Instant::now(), self.options.window);
            let outcome = self.attempt(method, &url, body.map(|_| payload.as_bytes()));
            let failed = match self.answer(op, outcome, attempts, idempotent) {
                Ok(v) => {
                    self.record(true);
                    return Ok(v);
                }
                Err(f) => f,
            };
            self.record(!failed.error.is_transient());
            if !failed.may_retry || attempts > self.options.max_retries || !self.take_retry() {
                return Err(failed.error);
            }
            let wait = self.wait_before_retry(op, failed, attempts)?;
            std::thread::sleep(wait);
        }
    }

    /// What one exchange came to: the JSON of a 2xx answer, or the error with whether trying again may
    /// help and how long Notion asked to wait.
    fn answer(
        &self,
        op: &str,
        outcome: Result<Answer, ureq::Error>,
        attempts: u32,
        idempotent: bool,
    ) -> Result<Value, Failed> {
        let op = op.to_string();
        let failed = |error, retry_after, may_retry| Failed {
            error,
            retry_after,
            may_retry,
        };
        match outcome {
            Ok(a) if (200..300).contains(&a.status) => serde_json::from_str(&a.body).map_err(|e| {
                let detail = format!("{} with a body that is not JSON: {e}", a.status);
                failed(ApiError::BadResponse { op, detail }, None, idempotent)
            }),
            Ok(a) if (300..400).contains(&a.status) => Err(failed(
                ApiError::Redirected {
                    op,
                    status: a.status,
                    location: a.body,
                },
                None,
                false,
            )),
            Ok(a) => {
                let (status, retry_after) = (a.status, a.retry_after);
                let err = classify(&op, status, a.said(), attempts);
                // 429 and 529 mean Notion did not process the request: always safe to retry.
                let retryable = match status {
                    429 | 529 => true,
                    // 409 conflict_error: someone edited the page at the same moment; Notion
                    // documents it as safe to retry (a PATCH of the same values is idempotent).
                    409 | 500 | 502 | 503 | 504 => idempotent,
                    _ => false,
                };
                Err(failed(err, retry_after, retryable))
            }
            Err(e) => {
                let detail = e.to_string();
                Err(failed(
                    ApiError::Network {
                        op,
                        base: self.base.clone(),
                        detail: format!(
                            "{}{}",
                            self.token.redact(&detail),
                            certificate_hint(&detail)
                        ),
                        attempts,
                    },
                    None,
                    // An untrusted certificate stays untrusted: trying again only makes the user wait.
                    idempotent && certificate_hint(&detail).is_empty(),
                ))
            }
        }
    }

    /// How long to wait before trying again: Notion's `Retry-After`, else a backoff. A `Retry-After`
    /// longer than this client waits ends the request (a 429's error then says how long Notion asked),
    /// unless a foreground command waits long limits out.
    fn wait_before_retry(&self, op: &str, f: Failed, attempts: u32) -> Result<Duration, ApiError> {
        let mut err = f.error;
        if let (ApiError::RateLimited { .. }, Some(d)) = (&err, f.retry_after) {
            // Longer than the per-second average explains: a window's budget ran out.
            if d >= Duration::from_secs(2) {
                // The requests of the window that Notion took: all but the one refused. Fewer than
                // a few say nothing of the budget (others on the token spent it, or a workspace's
                // limit): the wait is taken, nothing is learned.
                let took = (lock(&self.budget).sent.len() as u32).saturating_sub(1);
                if took >= MIN_LEARNED {
                    self.learn_budget(took);
                }
            }
        }
        match f.retry_after {
            Some(d) if d > self.options.max_retry_after => {
                let ApiError::RateLimited {
                    said,
                    retry_after_secs,
                    ..
                } = &mut err
                else {
                    return Err(err);
                };
                match LONG_WAITS.get() {
                    Some(l) if d <= l.max => {
                        (l.announce)(op, d, &said.message_text());
                        Ok(d)
                    }
                    _ => {
                        *retry_after_secs = Some(d.as_secs_f64().ceil() as u64);
                        Err(err)
                    }
                }
            }
            // Everyone sharing the token got the same Retry-After: a little jitter keeps their
            // retries from arriving together when the window opens.
            Some(d) => Ok(d),
            None => Ok(backoff(&self.options, attempts)),
        }
    }

    /// One HTTP exchange, or what the transport ran into.
    fn attempt(
        &self,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, ureq::Error> {
        let mut req = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url)
            .header("Authorization", format!("Bearer {}", self.token.expose()))
            .header("Notion-Version", self.options.version.as_str())
            .header("Accept", "application/json");
        if body.is_some() {
            req = req.header("Content-Type", "application/json");
        }
        let req = req.body(body.unwrap_or_default().to_vec())?;
        let mut resp = self.agent.run(req)?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let mut answer = Answer {
            status,
            body: String::new(),
            retry_after: header("retry-after")
                .and_then(|v| parse_retry_after(&v, jiff::Timestamp::now())),
            ray_id: header("cf-ray"),
            request_id: header("x-notion-request-id"),
        };
        if (300..400).contains(&status) {
            answer.body = header("location").unwrap_or_else(|| "(no location)".into());
            return Ok(answer);
        }
        answer.body = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()?;
        Ok(answer)
    }
}

/// One HTTP answer: its status and body (a redirect's location), and the headers git-notion reads.
struct Answer {
    status: u16,
    body: String,
    retry_after: Option<Duration>,
    /// Cloudflare's id of the exchange: the edge in front of Notion answered.
    ray_id: Option<String>,
    /// Notion's request id, when the body does not carry it.
    request_id: Option<String>,
}

impl Answer {
    /// What the body says: Notion's error, or (an edge's HTML page, a body that is not Notion's) what it
    /// was, with the request and ray ids of the headers.
    fn said(&self) -> Said {
        let mut said = error_body(&self.body);
        said.request_id = said.request_id.take().or_else(|| self.request_id.clone());
        said.ray_id = self.ray_id.clone();
        said
    }
}

/// What Notion said of a refused request, read from its error body once: code, message, and the ids and
/// reasons its support and its rate limits name. Shown as `code: message (rate_limit_reason: …)
/// [request_id …]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Said {
    /// Notion's error code (`unauthorized`, `validation_error`, …; `unknown` for a body that is not one).
    pub code: String,
    /// Notion's message (or what the body was, when it is not a Notion error).
    pub message: String,
    /// The request id Notion's support asks for.
    pub request_id: Option<String>,
    /// Which rate limit ran out (`additional_data.rate_limit_reason`), for a 429.
    pub rate_limit_reason: Option<String>,
    /// The `cf-ray` header: Cloudflare's id of the exchange, which Notion's support can trace.
    pub ray_id: Option<String>,
    /// The body is not Notion's error (an HTML page from the edge in front of Notion, a proxy's answer).
    pub foreign: bool,
}

impl Said {
    /// The message with the rate limit's reason and the request id, without the code.
    pub fn message_text(&self) -> String {
        let mut text = self.message.clone();
        if let Some(reason) = &self.rate_limit_reason {
            text = format!("{text} (rate_limit_reason: {reason})");
        }
        if let Some(id) = &self.request_id {
            text = format!("{text} [request_id {id}]");
        }
        if let Some(ray) = &self.ray_id {
            text = format!("{text} [cf-ray {ray}]");
        }
        text
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message_text())
    }
}

/// What a Notion error body says, or a description of a body that is not one.
fn error_body(text: &str) -> Said {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v.get("object").and_then(Value::as_str) == Some("error") => {
            let text_of = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(String::from);
            Said {
                code: v["code"].as_str().unwrap_or("unknown").to_string(),
                message: v["message"].as_str().unwrap_or("").to_string(),
                // Notion's support asks for the request id: every error that has one shows it.
                request_id: text_of(&v["request_id"]),
                // A 429's reason (per-connection window, per-workspace limit) says which budget ran out.
                rate_limit_reason: text_of(&v["additional_data"]["rate_limit_reason"])
                    .or_else(|| text_of(&v["rate_limit_reason"])),
                ..Said::default()
            }
        }
        _ => {
            let title = text
                .find("<title>")
                .and_then(|i| text[i + 7..].split("</title>").next())
                .map(|t| t.trim().chars().take(80).collect::<String>());
            let message = match title {
                Some(t) => format!("an HTML page titled {t:?}"),
                None if text.trim_start().starts_with('<') => {
                    let snippet: String = text.chars().take(80).collect();
                    format!("an HTML page: {:?}", snippet.trim())
                }
                None => {
                    let snippet: String = text.chars().take(80).collect();
                    format!("a body that is not a Notion error: {:?}", snippet.trim())
                }
            };
            Said {
                code: "unknown".into(),
                message,
                foreign: true,
                ..Said::default()
            }
        }
    }
}

/// What to grant for a 403, by operation: comments need their own capabilities.
fn forbidden_fix(op: &str) -> &'static str {
    if op.contains("comment") {
        "Give it the Read comments and Insert comments capabilities at https://www.notion.so/developers (the connection's Capabilities), then `git notion flush`"
    } else if op.starts_with("update") {
        "Give it the Update content capability at https://www.notion.so/developers (the connection's Capabilities)"
    } else {
        "Give it the Read content capability at https://www.notion.so/developers (the connection's Capabilities), and share the database with it (••• → Connections)"
    }
}

fn classify(op: &str, status: u16, said: Said, attempts: u32) -> ApiError {
    let op = op.to_string();
    let said = Box::new(said);
    match status {
        // A page of the edge's own (HTML with a cf-ray), not Notion refusing: an outage or a network the
        // edge refuses; 5xx pages are retried as Notion's own 5xx are.
        400..=499 if said.foreign && said.ray_id.is_some() => ApiError::Edge { op, status, said },
        401 => ApiError::Unauthorized { op, said },
        403 => ApiError::Forbidden { op, said },
        404 => ApiError::NotFound { op, said },
        429 => ApiError::RateLimited {
            op,
            attempts,
            said,
            retry_after_secs: None,
        },
        500..=599 => ApiError::Unavailable {
            op,
            status,
            said,
            attempts,
        },
        _ => ApiError::Rejected { op, status, said },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now: jiff::Timestamp = "2026-11-21T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 09:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
    #[test]
    fn no_retry_after_value_panics() {
        let now: jiff::Timestamp = "2026-11-21T10:00:00Z".parse().unwrap();
        for v in [
            "18446744073709551615",
            "1e300",
            "inf",
            "-1",
            "nan",
            "1e-300",
            "",
            "soon",
        ] {
            let _ = parse_retry_after(v, now);
        }
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn limiter_allows_a_burst_then_the_average() {
        let t0 = Instant::now();
        let mut l = Limiter::new(3.0, 3);
        for _ in 0..3 {
            assert_eq!(l.reserve(t0), Duration::ZERO);
        }
        let w = l.reserve(t0);
        assert!((w.as_secs_f64() - 1.0 / 3.0).abs() < 1e-6, "{w:?}");
        // After a second, three more tokens (one already promised).
        let w = l.reserve(t0 + Duration::from_secs(1));
        assert_eq!(w, Duration::ZERO);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let o = Options::default();
        for retry in 1..10 {
            let b = backoff(&o, retry);
            let window = o.base_backoff * (1 << (retry - 1)).min(1 << 16);
            let window = window.min(o.max_backoff);
            assert!(b >= window / 2 && b <= window, "{retry}: {b:?}");
        }
    }

    #[test]
    fn the_circuit_opens_after_consecutive_failures_and_a_success_closes_it() {
        let options = Options {
            circuit_threshold: 3,
            retry_budget: 2,
            ..Options::default()
        };
        let token =
            Token::from_env(&crate::config::Env::from_pairs([("NOTION_TOKEN", "ntn_x")])).unwrap();
        let c = Client::new("http://127.0.0.1:9", token, options);
        c.record(false);
        c.record(false);
        assert_eq!(c.circuit_open(), None);
        c.record(false);
        assert_eq!(c.circuit_open(), Some(3));
        let err = c.get("read the database", "/v1/databases/x").unwrap_err();
        assert!(
            matches!(err, ApiError::CircuitOpen { failures: 3, .. }),
            "{err}"
        );
        assert_eq!(c.request_count(), 0, "nothing sent while open");
        c.record(true);
        assert_eq!(c.circuit_open(), None);
        // The retry budget is shared by all requests of the client.
        assert!(c.take_retry() && c.take_retry());
        assert!(!c.take_retry());
    }

    #[test]
    fn error_bodies() {
        let said = error_body(
            r#"{"object":"error","status":429,"code":"rate_limited","message":"x","request_id":"r-1","additional_data":{"rate_limit_reason":"workspace"}}"#,
        );
        assert_eq!(
            (said.code.as_str(), said.message.as_str()),
            ("rate_limited", "x")
        );
        assert_eq!(said.request_id.as_deref(), Some("r-1"));
        assert_eq!(
            said.to_string(),
            "rate_limited: x (rate_limit_reason: workspace) [request_id r-1]"
        );
        let said = error_body("<html><body>Bad gateway</body></html>");
        assert_eq!(said.code, "unknown");
        assert!(said.message.starts_with("an HTML page"), "{}", said.message);
    }
}
