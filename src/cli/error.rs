//! The command line's one error type, and the one place errors become exit codes.

use crate::config::ConfigError;
use crate::git::GitError;
use crate::hooks::install::InstallError;
use crate::hooks::outbox::OutboxError;
use crate::hooks::HookError;
use crate::notion::client::ApiError;
use crate::notion::schema::SchemaError;
use crate::pipeline;
use crate::replay::journal::JournalError;
use crate::replay::ReplayError;

/// Exit code: done, or nothing to do.
pub const DONE: u8 = 0;
/// Exit code: some tickets were not brought up to date, or trying again later may succeed (Notion
/// unreachable, rate limited, down).
pub const PARTIAL: u8 = 1;
/// Exit code: the user must fix something first (usage, configuration, token, access, schema), or declined.
pub const FIX_FIRST: u8 = 2;
/// Exit code: stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// Every error a command reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration, the repository, the schema or Notion.
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    /// The hooks' layer: the outbox, installing hooks.
    #[error(transparent)]
    Hook(Box<HookError>),
    /// The replay: its journal.
    #[error(transparent)]
    Replay(Box<ReplayError>),
    /// A command line that cannot work (a bad date, conflicting options).
    #[error("{0}")]
    Usage(String),
    /// A file or the system refused (the source is kept).
    #[error("cannot {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
}

impl Error {
    /// A stable name for the kind of error, for scripts (`--json` errors carry it as `kind`; see
    /// `docs/json.md`): `config`, `git`, `schema`, `notion`, `outbox`, `journal`, `install`, `usage`, `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Pipeline(e) => e.kind(),
            Error::Hook(e) => e.kind(),
            Error::Replay(e) => e.kind(),
            Error::Usage(_) => "usage",
            Error::Io { .. } => "io",
        }
    }

    /// Notion's answer, when Notion refused or could not be reached.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Pipeline(e) => e.api(),
            Error::Hook(h) => match h.as_ref() {
                HookError::Pipeline(e) => e.api(),
                _ => None,
            },
            Error::Replay(r) => match r.as_ref() {
                ReplayError::Pipeline(e) => e.api(),
                _ => None,
            },
            Error::Usage(_) | Error::Io { .. } => None,
        }
    }

    /// [`PARTIAL`] when trying again later may succeed (Notion unreachable, rate limited, down);
    /// [`FIX_FIRST`] when the user must fix something (configuration, token, access, schema, usage).
    pub fn exit_code(&self) -> u8 {
        match self.api() {
            Some(a) if a.is_transient() => PARTIAL,
            _ => FIX_FIRST,
        }
    }

    /// The request id Notion gave the error, for Notion's support.
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(ApiError::request_id)
    }
}

impl From<HookError> for Error {
    fn from(e: HookError) -> Self {
        match e {
            HookError::Pipeline(p) => Error::Pipeline(p),
            e => Error::Hook(Box::new(e)),
        }
    }
}

impl From<ReplayError> for Error {
    fn from(e: ReplayError) -> Self {
        match e {
            ReplayError::Pipeline(p) => Error::Pipeline(p),
            e => Error::Replay(Box::new(e)),
        }
    }
}

/// Each lower layer's error reaches [`Error`] through the layer that owns it.
macro_rules! via {
    ($($from:ty => $layer:ty),* $(,)?) => {$(
        impl From<$from> for Error {
            fn from(e: $from) -> Self {
                Error::from(<$layer>::from(e))
            }
        }
    )*};
}

via! {
    ConfigError => pipeline::Error,
    GitError => pipeline::Error,
    ApiError => pipeline::Error,
    SchemaError => pipeline::Error,
    OutboxError => HookError,
    InstallError => HookError,
    JournalError => ReplayError,
}
