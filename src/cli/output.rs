//! Human output: text with the token redacted, times as people read them.

use std::io::Write;

use crate::config::Token;

/// The version of every `--json` answer's shape (`"schema": 1`, see `docs/json.md`): raised only when a
/// field changes meaning or goes away; new fields may appear within a version.
pub(super) const JSON_SCHEMA: u64 = 1;

/// Prints text with the token (if any) redacted.
pub(super) struct Out {
    token: Option<Token>,
    /// `--json`: errors are JSON objects on stdout too.
    json: bool,
}

impl Out {
    pub(super) fn new(env: &crate::config::Env) -> Out {
        Out {
            token: Token::from_env(env).ok(),
            json: false,
        }
    }

    /// Output for `--json`: answers and errors as JSON objects on stdout.
    pub(super) fn with_json(mut self, json: bool) -> Out {
        self.json = json;
        self
    }

    /// Says what went wrong: a line on stderr, and under `--json` an object on stdout with a stable
    /// `kind`, the message and the exit code.
    pub(super) fn failure(&self, program: &str, e: &super::Error, code: u8) {
        self.error(&format!("{program}: error: {e}"));
        if self.json {
            let mut error = serde_json::json!({
                "kind": e.kind(), "message": self.clean(&e.to_string()), "exit_code": code
            });
            if let Some(id) = e.request_id() {
                error["request_id"] = id.into();
            }
            self.json(serde_json::json!({ "error": error }));
        }
    }

    pub(super) fn clean(&self, text: &str) -> String {
        match &self.token {
            Some(t) => t.redact(text),
            None => text.to_string(),
        }
    }

    /// A JSON answer, pretty-printed, `"schema"` first; each [`Reason`](crate::pipeline::Reason) in it as
    /// its message, with its `request_id` beside it.
    pub(super) fn json(&self, v: impl serde::Serialize) {
        let mut v = serde_json::to_value(v).unwrap_or_default();
        if let serde_json::Value::Object(map) = &mut v {
            let mut with = serde_json::Map::new();
            with.insert("schema".into(), JSON_SCHEMA.into());
            with.extend(std::mem::take(map));
            *map = with;
        }
        reasons_as_text(&mut v);
        // JSON escapes control characters itself and is read by programs: whole lines, never cut.
        let text = format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default());
        let _ = std::io::stdout().write_all(self.clean(&text).as_bytes());
    }

    /// Human output, through [`printable`].
    pub(super) fn print(&self, text: &str) {
        let _ = std::io::stdout().write_all(printable(&self.clean(text)).as_bytes());
    }

    /// Human output already made [`printable`] by the caller, with git-notion's own colour codes
    /// (SGR) added: those stay, every other control is escaped.
    pub(super) fn print_styled(&self, text: &str) {
        let _ = std::io::stdout().write_all(printable_styled(&self.clean(text)).as_bytes());
    }

    /// An error or warning line: nothing in it comes from git-notion's own terminal codes, so every
    /// control character (from a commit message, a page title, Notion's text) is shown escaped.
    pub(super) fn error(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "{}", printable(&self.clean(text)));
    }
}

/// `--color`: when human output may use colour and terminal control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ColorChoice {
    /// On a terminal, unless the environment says otherwise.
    Auto,
    Always,
    Never,
}

/// Whether to colour stdout: `--color always|never` decides; else anstream's rules, as command-line tools
/// agree (no-color.org, bixense.com/clicolors): `NO_COLOR` (any value) off, `CLICOLOR_FORCE` (not `0`)
/// on, `CLICOLOR=0` and `TERM=dumb` off, and otherwise a terminal gets colour and a pipe does not.
pub(super) fn colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => matches!(
            anstream::AutoStream::choice(&std::io::stdout()),
            anstream::ColorChoice::Always | anstream::ColorChoice::AlwaysAnsi
        ),
    }
}

/// Whether a progress line (rewritten in place with `\r` and erase-to-end) may go to stderr: a terminal
/// that is not `TERM=dumb`, unless `--color never` (or, with `auto`, `NO_COLOR`) asks for plain output.
pub(super) fn live_progress(env: &crate::config::Env, choice: ColorChoice) -> bool {
    use std::io::IsTerminal;
    let var = |k: &str| env.get(k);
    let plain = match choice {
        ColorChoice::Never => true,
        ColorChoice::Always => false,
        ColorChoice::Auto => var("NO_COLOR").is_some_and(|v| !v.is_empty()),
    };
    std::io::stderr().is_terminal() && var("TERM") != Some("dumb") && !plain
}

/// Writes each [`Reason`](crate::pipeline::Reason) of a JSON answer (an object `{kind, message,
/// request_id}` under `error`, `reason` or `last_error`) as its message, with `request_id` beside it when
/// Notion gave one: the shape scripts read (docs/json.md).
pub(super) fn reasons_as_text(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut id = None;
            for field in ["error", "reason", "last_error"] {
                let Some(Value::Object(reason)) = map.get(field) else {
                    continue;
                };
                let Ok(r) = serde_json::from_value::<crate::pipeline::Reason>(Value::Object(
                    reason.clone(),
                )) else {
                    continue;
                };
                id = id.or(r.request_id);
                map.insert(field.into(), r.message.into());
            }
            for child in map.values_mut() {
                reasons_as_text(child);
            }
            if let Some(id) = id {
                map.insert("request_id".into(), id.into());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(reasons_as_text),
        _ => {}
    }
}

/// The progress bar on screen, if any: messages go above it instead of through it.
static PROGRESS: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Shows `bar` as the live progress (None: no more), for [`above_progress`].
pub(super) fn set_progress(bar: Option<indicatif::ProgressBar>) {
    if let Ok(mut p) = PROGRESS.lock() {
        *p = bar;
    }
}

/// A line on stderr, above the progress bar when one is drawn (a wait for Notion's rate limit, say).
pub(super) fn above_progress(line: &str) {
    let bar = PROGRESS.lock().ok().and_then(|p| p.clone());
    match bar {
        Some(b) if !b.is_hidden() => b.println(line),
        _ => {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// Lets a foreground command wait out Notion's long rate limits (up to 15 minutes), saying so on stderr.
/// Hooks never call it: their updates stay queued instead (the detached flusher waits quietly).
pub(super) fn wait_out_long_limits() {
    use crate::notion::client::{self, LongWaits};
    fn announce(op: &str, wait: std::time::Duration, reason: &str) {
        above_progress(&format!(
            "git-notion: {}: rate limited by Notion ({}); waiting {} before trying again. Ctrl-C stops here and loses nothing: run the same command again later",
            printable(op),
            printable(reason),
            client::human_wait(wait)
        ));
    }
    client::wait_out_long_limits(LongWaits {
        max: std::time::Duration::from_secs(15 * 60),
        announce,
    });
}

/// Lets the detached flusher wait out Notion's long rate limits (up to 10 minutes) without a word: it has
/// no terminal, and its delivery log says what it delivered.
pub(super) fn wait_out_long_limits_quietly() {
    use crate::notion::client::{self, LongWaits};
    fn silent(_: &str, _: std::time::Duration, _: &str) {}
    client::wait_out_long_limits(LongWaits {
        max: std::time::Duration::from_secs(10 * 60),
        announce: silent,
    });
}

/// The longest line shown, in characters: a longer one (a 600 KB key, a huge subject) is cut, saying
/// how much was left out.
pub(super) const MAX_LINE_CHARS: usize = 2000;

/// Characters that reorder or hide text on a terminal without being control characters: the bidi
/// embeddings, overrides, isolates and marks (U+202E makes `#042` read as `240#`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` as it may reach a terminal: control characters other than newlines and tabs, and bidi
/// controls, shown escaped (`\u{1b}`, `\u{202e}`); each line cut at [`MAX_LINE_CHARS`]. The one escaping
/// path of human output: every line `Out` prints goes through it, so text from commits, keys or Notion can
/// never drive the terminal.
pub(super) fn printable(text: &str) -> String {
    shown(text, false)
}

/// [`printable`], keeping git-notion's own colour codes (SGR: `ESC [ digits ; … m`) and nothing else.
fn printable_styled(text: &str) -> String {
    shown(text, true)
}

fn shown(text: &str, keep_sgr: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut chars = 0;
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            if chars >= MAX_LINE_CHARS {
                out.push_str(&format!("… ({} more characters)", rest.chars().count()));
                break;
            }
            if keep_sgr && c == '\u{1b}' {
                let sgr = rest[1..]
                    .strip_prefix('[')
                    .and_then(|r| {
                        r.find(|x: char| !(x.is_ascii_digit() || x == ';'))
                            .map(|i| (r, i))
                    })
                    .filter(|(r, i)| r[*i..].starts_with('m'))
                    .map(|(_, i)| i + 3);
                if let Some(len) = sgr {
                    out.push_str(&rest[..len]);
                    rest = &rest[len..];
                    continue;
                }
            }
            if (c.is_control() && c != '\t') || is_bidi_control(c) {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
            chars += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

pub(super) fn when(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// An entry's outcome for JSON: its name, the page, the changes, and the pages of an ambiguous key.
type OutcomeFields = (
    &'static str,
    Option<String>,
    Vec<serde_json::Value>,
    Vec<String>,
);

fn outcome_fields(e: &crate::pipeline::plan::Entry) -> OutcomeFields {
    use crate::pipeline::plan::Outcome;
    let list = |changes: &[crate::pipeline::plan::Change]| -> Vec<serde_json::Value> {
        changes
            .iter()
            .map(|c| serde_json::json!({"property": c.property, "from": c.from, "to": c.to}))
            .collect()
    };
    match &e.outcome {
        _ if e.created => ("created", e.page().map(|p| p.id.clone()), vec![], vec![]),
        Outcome::Create { changes } => (
            match &e.applied {
                Some(Err(_)) => "failed",
                _ => "to_create",
            },
            None,
            list(changes),
            vec![],
        ),
        Outcome::Update { page, changes } => (
            match &e.applied {
                Some(Ok(())) => "updated",
                Some(Err(_)) => "failed",
                None => "to_update",
            },
            Some(page.id.clone()),
            changes
                .iter()
                .map(|c| serde_json::json!({"property": c.property, "from": c.from, "to": c.to}))
                .collect(),
            vec![],
        ),
        Outcome::UpToDate { page } => ("already_correct", Some(page.id.clone()), vec![], vec![]),
        Outcome::NotFound => ("not_found", None, vec![], vec![]),
        Outcome::Ambiguous(pages) => (
            "ambiguous",
            None,
            vec![],
            pages.iter().map(|p| p.id.clone()).collect(),
        ),
        Outcome::Failed(_) => ("failed", None, vec![], vec![]),
    }
}

/// One ticket of a plan as `--json` shows it (see `docs/json.md`).
pub(super) fn entry_json(e: &crate::pipeline::plan::Entry) -> serde_json::Value {
    use crate::pipeline::plan::Outcome;
    let (outcome, page, changes, pages) = outcome_fields(e);
    let error = match (&e.outcome, &e.applied, &e.comment_error) {
        (Outcome::Failed(err), _, _) | (_, Some(Err(err)), _) | (_, _, Some(err)) => {
            Some(crate::pipeline::Reason::of_api(err))
        }
        _ => None,
    };
    let comments: Vec<serde_json::Value> = e
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            serde_json::json!({"commit": c.commit, "text": c.text, "posted": i < e.comments_posted})
        })
        .collect();
    serde_json::json!({
        "key": e.desired.key.to_string(),
        "database": e.database,
        "commit": e.desired.commit.id,
        "outcome": outcome,
        "page": page,
        "changes": changes,
        "comments": comments,
        "notes": e.notes,
        "pages": pages,
        "error": error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_keeps_own_colours_and_cuts_long_lines() {
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b \u{202e}#042"),
            "a\\u{1b}]0;pwned\\u{7}b \\u{202e}#042"
        );
        assert_eq!(
            printable_styled("\u{1b}[1mbold\u{1b}[0m"),
            "\u{1b}[1mbold\u{1b}[0m"
        );
        assert_eq!(printable_styled("\u{1b}[2J"), "\\u{1b}[2J");
        assert_eq!(printable("x\r\ny"), "x\\ry".replace("\\ry", "\\r\ny"));
        let long = format!("{}\nnext", "9".repeat(MAX_LINE_CHARS + 5));
        let shown = printable(&long);
        assert!(shown.ends_with("… (5 more characters)\nnext"), "{shown}");
    }
}
