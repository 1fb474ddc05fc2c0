//! Why a ticket update did not go through (yet), as a value: what the outbox stores beside a waiting or
//! undelivered update, what a flush reports, and what `status` shows. Only the command line turns it into
//! text (its `message` is that text; `kind` and `request_id` are for scripts and for Notion's support).

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;
use crate::notion::client::ApiError;

use super::Error;

/// What kind of cause holds an update back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// The configuration cannot be read or used.
    Config,
    /// The repository cannot be read.
    Git,
    /// The configuration does not match the data source.
    Schema,
    /// Notion refused (token, access, a value): a person must change something.
    Refused,
    /// Notion was unreachable, rate limited or down: tried again later by itself.
    Unreachable,
    /// Another git-notion command was writing to Notion.
    Busy,
    /// A `#status` no option of the status property matches.
    UnknownStatus,
    /// No page carries the key.
    NoPage,
    /// Several pages carry the key.
    Ambiguous,
    /// Not tried (a deadline came first).
    NotTried,
    /// The outbox's files.
    Outbox,
    /// Written by a version before reasons had kinds (its text only).
    Unknown,
}

/// Why an update waits or left the queue undelivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// What kind of cause.
    pub kind: ReasonKind,
    /// What to tell a person, with how to fix it.
    pub message: String,
    /// Notion's request id, when Notion answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Reason {
    /// A reason of this kind with this message.
    pub fn new(kind: ReasonKind, message: impl Into<String>) -> Reason {
        Reason {
            kind,
            message: message.into(),
            request_id: None,
        }
    }

    /// Notion's answer as a reason: `refused` unless trying again later may succeed.
    pub fn of_api(e: &ApiError) -> Reason {
        Reason {
            kind: if e.is_transient() {
                ReasonKind::Unreachable
            } else {
                ReasonKind::Refused
            },
            message: e.to_string(),
            request_id: e.request_id().map(String::from),
        }
    }

    /// The pipeline's error as a reason.
    pub fn of_error(e: &Error) -> Reason {
        match e.api() {
            Some(a) if matches!(e, Error::Api(_)) => Reason::of_api(a),
            api => Reason {
                kind: match e {
                    // No hook or delivery reads a pull request's event: `review` alone says it.
                    Error::Config(_) | Error::Event(_) => ReasonKind::Config,
                    Error::Git(_) => ReasonKind::Git,
                    Error::Schema(_) if api.is_some_and(ApiError::is_transient) => {
                        ReasonKind::Unreachable
                    }
                    Error::Schema(_) if api.is_some() => ReasonKind::Refused,
                    Error::Schema(_) => ReasonKind::Schema,
                    Error::Api(_) => ReasonKind::Refused,
                },
                message: e.to_string(),
                request_id: api.and_then(ApiError::request_id).map(String::from),
            },
        }
    }

    /// A configuration that cannot be read or used.
    pub fn of_config(e: &ConfigError) -> Reason {
        Reason::new(ReasonKind::Config, e.to_string())
    }
}

/// Tests write reasons as text.
#[cfg(test)]
impl From<&str> for Reason {
    fn from(text: &str) -> Reason {
        Reason::new(ReasonKind::Unknown, text)
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Read as written now (`{"kind", "message", "request_id"}`), or as outbox files before 0.2 wrote it: the
/// text alone (kind `unknown`).
impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Typed {
            kind: ReasonKind,
            message: String,
            #[serde(default)]
            request_id: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Text(String),
            Typed(Typed),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Text(message) => Reason::new(ReasonKind::Unknown, message),
            Stored::Typed(t) => Reason {
                kind: t.kind,
                message: t.message,
                request_id: t.request_id,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_written_now_and_as_text_from_older_files() {
        let r = Reason {
            kind: ReasonKind::Refused,
            message: "no".into(),
            request_id: Some("r-1".into()),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"kind":"refused","message":"no","request_id":"r-1"}"#
        );
        assert_eq!(serde_json::from_str::<Reason>(&text).unwrap(), r);
        assert_eq!(
            serde_json::from_str::<Reason>(r#""no token""#).unwrap(),
            Reason::new(ReasonKind::Unknown, "no token")
        );
        assert!(serde_json::from_str::<Reason>(r#"{"kind":"nonsense","message":""}"#).is_err());
        // A command's error object (`--json`) is not a reason.
        let error = r#"{"kind":"config","message":"x","exit_code":2}"#;
        assert!(serde_json::from_str::<Reason>(error).is_err());
    }
}
