//! Human output: text with the token redacted, times as people read them.

use std::io::Write;

use crate::config::Token;

/// Prints text with the token (if any) redacted.
pub(super) struct Out {
    token: Option<Token>,
}

impl Out {
    pub(super) fn new(env: &[(String, String)]) -> Out {
        Out {
            token: Token::from_env(env).ok(),
        }
    }

    pub(super) fn clean(&self, text: &str) -> String {
        match &self.token {
            Some(t) => t.redact(text),
            None => text.to_string(),
        }
    }

    pub(super) fn print(&self, text: &str) {
        let _ = std::io::stdout().write_all(self.clean(text).as_bytes());
    }

    pub(super) fn error(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "{}", self.clean(text));
    }
}

pub(super) fn when(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}
