//! The HTTP side: a blocking tiny_http server with worker threads, the request log, admin endpoints.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};
use tiny_http::{Server, StatusCode};

use crate::api::{self, Call};
use crate::error::ApiError;
use crate::faults::{Decision, Fault, FaultKind, FaultSet, TokenBucket, Window};
use crate::ids::IdGen;
use crate::model::{ApiVersion, State};
use crate::seed;

/// Notion's limit on a request body.
pub const MAX_BODY: usize = 500 * 1024;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to bind; `127.0.0.1:0` picks a free port.
    pub addr: String,
    /// Average requests a second before 429s; `None` turns rate limiting off (the default in tests).
    pub rps: Option<f64>,
    /// Requests allowed in a burst above the average.
    pub burst: u32,
    /// Worker threads (requests with injected latency do not block the others).
    pub threads: usize,
    /// Budgets per fixed window (Notion's per-connection and per-workspace limits): by default
    /// [`Window::notion_defaults`]; an empty list turns them off (tests that count on no limit say so).
    pub windows: Vec<Window>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: "127.0.0.1:0".into(),
            rps: None,
            burst: 5,
            threads: 4,
            windows: Window::notion_defaults(),
        }
    }
}

impl SandboxConfig {
    /// The defaults without window budgets: for a run whose point is not Notion's limits and that sends
    /// more than 180 requests a minute (a conformance run, a benchmark of the sandbox itself).
    pub fn without_limits() -> SandboxConfig {
        SandboxConfig {
            windows: vec![],
            ..SandboxConfig::default()
        }
    }
}

/// One request as the sandbox saw it. The Authorization header is redacted.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The status sent; 0 when the connection was dropped.
    pub status: u16,
    /// Milliseconds since the sandbox started, when the request arrived.
    pub at_ms: u64,
}

impl LoggedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request changed (or tried to change) state.
    pub fn is_write(&self) -> bool {
        api::is_write(&self.method, &self.path)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

struct Shared {
    state: Mutex<State>,
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<FaultSet>,
    limiter: Mutex<Option<TokenBucket>>,
    windows: Mutex<Vec<Window>>,
    rng: Mutex<IdGen>,
    started: Instant,
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Arc<Server>,
    workers: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sandbox {
    /// Starts a sandbox seeded with a built-in seed (`zh`, `en`) on a free loopback port.
    pub fn start_builtin(name: &str) -> Result<Sandbox, StartError> {
        let seed = seed::load(name).map_err(|e| StartError(e.0))?;
        Self::start(&seed, SandboxConfig::default())
    }

    pub fn start(seed: &Value, config: SandboxConfig) -> Result<Sandbox, StartError> {
        let state = seed::build(seed).map_err(|e| StartError(e.0))?;
        let server = Server::http(&config.addr)
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.addr)))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| StartError("not an IP listener".into()))?;
        let server = Arc::new(server);
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(FaultSet::default()),
            limiter: Mutex::new(config.rps.map(|r| TokenBucket::new(r, config.burst))),
            windows: Mutex::new(config.windows.clone()),
            rng: Mutex::new(IdGen::new(0x5eed)),
            started: Instant::now(),
        });
        let workers = (0..config.threads.max(1))
            .map(|_| {
                let server = Arc::clone(&server);
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || {
                    while let Ok(req) = server.recv() {
                        handle(&shared, req);
                    }
                })
            })
            .collect();
        Ok(Sandbox {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            server,
            workers,
        })
    }

    /// `http://127.0.0.1:PORT` (the API lives under `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the sandbox accepts.
    pub fn token(&self) -> String {
        lock(&self.shared.state).token.clone()
    }

    /// The live state (hold the guard briefly: requests wait for it).
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Requests that changed (or tried to change) state.
    pub fn writes(&self) -> Vec<LoggedRequest> {
        self.requests()
            .into_iter()
            .filter(LoggedRequest::is_write)
            .collect()
    }

    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).faults.push(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).faults.clear();
    }

    /// Turns rate limiting on (`Some(rps)`) or off.
    /// Resolves every discussion on a page, as a person clicking "Resolve" would (see `POST
    /// /__sandbox/resolve`); returns how many comments it hid.
    pub fn resolve_comments(&self, page_id: &str) -> u64 {
        let (_, v) = resolve(&mut self.state(), &json!({ "page_id": page_id }));
        v["resolved"].as_u64().unwrap_or(0)
    }

    pub fn set_rate_limit(&self, rps: Option<f64>, burst: u32) {
        *lock(&self.shared.limiter) = rps.map(|r| TokenBucket::new(r, burst));
    }

    /// Replaces the window budgets (an empty list turns them off).
    pub fn set_windows(&self, windows: Vec<Window>) {
        *lock(&self.shared.windows) = windows;
    }

    /// The whole state as JSON (databases, data sources with schemas, pages as Notion renders them).
    pub fn dump(&self) -> Value {
        dump_state(&self.state())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

pub fn dump_state(state: &State) -> Value {
    let mut dbs: Vec<_> = state.databases.values().collect();
    dbs.sort_by_key(|d| d.created_time);
    let databases: Vec<Value> = dbs
        .iter()
        .map(|db| {
            let mut v = state.database_json(db, ApiVersion::V2025_09_03);
            v["shared"] = json!(state.is_shared(&db.id));
            v["data_sources"] = db
                .data_sources
                .iter()
                .map(|id| state.data_source_json(&state.data_sources[id]))
                .collect();
            v
        })
        .collect();
    let pages: Vec<Value> = state
        .pages
        .iter()
        .map(|p| state.page_json(p, ApiVersion::V2025_09_03, None))
        .collect();
    let comments: Vec<Value> = state
        .comments
        .iter()
        .map(|c| {
            let mut v = state.comment_json(c);
            v["resolved"] = json!(c.resolved);
            v
        })
        .collect();
    json!({"databases": databases, "pages": pages, "comments": comments})
}

/// Sends a whole response in one write. tiny_http's own writer goes through a 1 KiB buffer, so a
/// page of JSON would leave in several small segments and stall ~40 ms on delayed ACKs (Nagle).
fn send(
    req: tiny_http::Request,
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &[(&str, String)],
) {
    let mut out = Vec::with_capacity(body.len() + 200);
    let reason = StatusCode(status).default_reason_phrase();
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        let _ = write!(out, "{k}: {v}\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    let mut w = req.into_writer();
    let _ = w.write_all(&out);
    let _ = w.flush();
}

const JSON: &str = "application/json; charset=utf-8";

fn send_json(req: tiny_http::Request, status: u16, body: &Value, extra: &[(&str, String)]) {
    send(
        req,
        status,
        JSON,
        &serde_json::to_vec(body).expect("json"),
        extra,
    );
}

fn handle(shared: &Shared, mut req: tiny_http::Request) {
    let at_ms = shared.started.elapsed().as_millis() as u64;
    let method = req.method().as_str().to_ascii_uppercase();
    let url = req.url().to_string();
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (url.clone(), String::new()),
    };
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|h| {
            let k = h.field.as_str().as_str().to_string();
            let v = if k.eq_ignore_ascii_case("authorization") {
                "<redacted>".to_string()
            } else {
                h.value.as_str().to_string()
            };
            (k, v)
        })
        .collect();
    let auth = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().to_string());
    let mut body = Vec::new();
    let _ = req
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body);

    if let Some(admin) = path.strip_prefix("/__sandbox/") {
        let (status, v) = admin_call(shared, &method, admin, &body);
        send_json(req, status, &v, &[]);
        return;
    }

    let decision: Decision = {
        let mut rng = lock(&shared.rng);
        lock(&shared.faults).decide(&method, &path, &mut rng)
    };
    if decision.latency_ms > 0 {
        std::thread::sleep(Duration::from_millis(decision.latency_ms));
    }
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let log = |status: u16| {
        lock(&shared.log).push(LoggedRequest {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            headers: headers.clone(),
            body: body_text.clone(),
            status,
            at_ms,
        })
    };
    let request_id = lock(&shared.rng).uuid();
    match &decision.terminal {
        Some(FaultKind::Drop) => {
            log(0);
            // tiny_http gives no access to the socket, so the "drop" is a reply that is not HTTP:
            // the client fails at once with a transport error, as after a connection reset.
            let mut w = req.into_writer();
            let _ =
                w.write_all(b"\0\0 connection dropped by notion-sandbox fault injection\r\n\r\n");
            let _ = w.flush();
            return;
        }
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            let mut e = ApiError::for_status(*status);
            if let Some(s) = retry_after {
                e.retry_after = Some(*s);
            }
            log(e.status);
            let extra: Vec<(&str, String)> = e
                .retry_after
                .map(|s| vec![("Retry-After", s.to_string())])
                .unwrap_or_default();
            send_json(req, e.status, &e.body(&request_id), &extra);
            return;
        }
        Some(FaultKind::Html { status }) => {
            log(*status);
            // As Cloudflare's edge answers for Notion: its own page, `server: cloudflare` and a `cf-ray`
            // id (notion-sdk-js #751), never Notion's JSON.
            let reason = StatusCode(*status).default_reason_phrase();
            let html = format!(
                "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
            );
            let ray = format!("{}-SJC", &request_id.replace('-', "")[..16]);
            let headers = [("Server", "cloudflare".to_string()), ("cf-ray", ray)];
            send(req, *status, "text/html", html.as_bytes(), &headers);
            return;
        }
        Some(FaultKind::Respond { status, body }) => {
            log(*status);
            send_json(req, *status, body, &[]);
            return;
        }
        _ => {}
    }

    let (status, mut value, extra) = match api_call(
        shared,
        &method,
        &path,
        &query,
        auth.as_deref(),
        &headers,
        &body,
    ) {
        Ok(v) => (200, v, vec![]),
        Err(e) => {
            let extra = e
                .retry_after
                .map(|s| vec![("Retry-After", s.to_string())])
                .unwrap_or_default();
            (e.status, e.body(&request_id), extra)
        }
    };
    if status == 200 {
        value["request_id"] = json!(request_id);
    }
    log(status);
    if matches!(decision.terminal, Some(FaultKind::TruncatedJson)) {
        let text = serde_json::to_string(&value).expect("json");
        let cut: String = text.chars().take(text.chars().count() / 2).collect();
        send(req, status, JSON, cut.as_bytes(), &[]);
        return;
    }
    send_json(req, status, &value, &extra);
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (
                crate::model::percent_decode(k),
                crate::model::percent_decode(v),
            )
        })
        .collect()
}

fn api_call(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    auth: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Value, ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if !api::known_route(method, &segments) {
        return Err(ApiError::invalid_url());
    }
    let token = match auth.and_then(|a| a.strip_prefix("Bearer ")) {
        Some(t) if lock(&shared.state).accepts(t) => t.to_string(),
        _ => return Err(ApiError::unauthorized()),
    };
    let version = match headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("Notion-Version")) {
        None => return Err(ApiError::missing_version()),
        Some((_, v)) => ApiVersion::parse(v).ok_or_else(|| {
            ApiError::validation(format!(
                "Notion-Version header failed validation: Notion-Version header should be one of `2022-06-28`, `2025-09-03`, `2026-03-11`, `2026-12-01`, instead was `{v}`."
            ))
        })?,
    };
    if let Some(bucket) = lock(&shared.limiter).as_mut() {
        if let Err(wait) = bucket.take() {
            return Err(ApiError::rate_limited(wait.ceil().max(1.0) as u64));
        }
    }
    for w in lock(&shared.windows).iter_mut() {
        if let Err(wait) = w.take(&token) {
            return Err(ApiError::rate_limited_because(wait, &w.reason));
        }
    }
    if body.len() > MAX_BODY {
        return Err(ApiError::new(
            413,
            "validation_error",
            "Request body too large: the limit is 500KB.",
        ));
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        let v: Value = serde_json::from_slice(body).map_err(|_| ApiError::invalid_json())?;
        if !v.is_object() {
            return Err(ApiError::validation(format!(
                "body failed validation: body should be an object, instead was `{v}`."
            )));
        }
        v
    };
    let call = Call {
        method,
        segments,
        query: parse_query(query),
        body,
        version,
    };
    let mut state = lock(&shared.state);
    api::dispatch(&mut state, &call)
}

/// What a person does by clicking "Resolve" in Notion: the comment's whole discussion leaves the API's
/// comment list. Body: `{"discussion_id": …}`, `{"comment_id": …}` or `{"page_id": …}` (every discussion
/// of the page). Answers how many comments were resolved.
pub fn resolve(state: &mut crate::model::State, v: &Value) -> (u16, Value) {
    let norm = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .and_then(crate::ids::normalize)
    };
    // A comment's discussion, or every discussion of a page.
    let of = |keep: &dyn Fn(&crate::model::Comment) -> bool| -> Vec<String> {
        state
            .comments
            .iter()
            .filter(|x| keep(x))
            .map(|x| x.discussion_id.clone())
            .collect()
    };
    let discussions: Vec<String> = if let Some(d) = norm("discussion_id") {
        vec![d]
    } else if let Some(c) = norm("comment_id") {
        of(&|x| x.id == c)
    } else if let Some(p) = norm("page_id") {
        of(&|x| x.page_id == p)
    } else {
        return (
            400,
            json!({"error": "resolve needs discussion_id, comment_id or page_id"}),
        );
    };
    let mut resolved = 0;
    for c in state.comments.iter_mut() {
        if discussions.contains(&c.discussion_id) && !c.resolved {
            c.resolved = true;
            resolved += 1;
        }
    }
    (200, json!({"resolved": resolved}))
}

fn admin_call(shared: &Shared, method: &str, what: &str, body: &[u8]) -> (u16, Value) {
    match (method, what) {
        ("GET", "state") => (200, dump_state(&lock(&shared.state))),
        ("GET", "log") => (200, json!(*lock(&shared.log))),
        ("DELETE", "log") => {
            lock(&shared.log).clear();
            (200, json!({"ok": true}))
        }
        ("POST", "faults") => match serde_json::from_slice::<Fault>(body) {
            Ok(f) => {
                lock(&shared.faults).faults.push(f);
                (200, json!({"ok": true}))
            }
            Err(e) => (400, json!({"error": format!("not a fault: {e}")})),
        },
        ("DELETE", "faults") => {
            lock(&shared.faults).faults.clear();
            (200, json!({"ok": true}))
        }
        ("POST", "rate_limit") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let rps = v.get("rps").and_then(Value::as_f64);
            let burst = v.get("burst").and_then(Value::as_u64).unwrap_or(5) as u32;
            let windows = match v
                .get("windows")
                .cloned()
                .map(serde_json::from_value::<Vec<Window>>)
            {
                None => vec![],
                Some(Ok(w)) => w,
                Some(Err(e)) => {
                    return (400, json!({"error": format!("not a list of windows: {e}")}))
                }
            };
            *lock(&shared.limiter) = rps.map(|r| TokenBucket::new(r, burst));
            *lock(&shared.windows) = windows;
            (200, json!({"ok": true}))
        }
        ("POST", "resolve") => resolve(
            &mut lock(&shared.state),
            &serde_json::from_slice(body).unwrap_or(Value::Null),
        ),
        _ => (
            404,
            json!({"error": "admin endpoints: GET state, GET|DELETE log, POST|DELETE faults, POST rate_limit, POST resolve"}),
        ),
    }
}
