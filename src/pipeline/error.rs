//! What the pipeline can run into: the errors of the layers below it, each kept as its own type.

use crate::config::ConfigError;
use crate::git::GitError;
use crate::notion::client::ApiError;
use crate::notion::schema::SchemaError;

/// An error of the pipeline: the configuration, the repository, the schema or Notion.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The repository cannot be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// The configuration does not match the data source's schema.
    #[error(transparent)]
    Schema(Box<SchemaError>),
    /// Notion refused or could not be reached.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// No pull request's event could be read (`git notion review`).
    #[error(transparent)]
    Event(#[from] super::review::EventError),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<SchemaError> for Error {
    fn from(e: SchemaError) -> Self {
        Error::Schema(Box::new(e))
    }
}

impl Error {
    /// A stable name for the kind of error, for scripts: `config`, `git`, `schema`, `notion`, `event`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            Error::Git(_) => "git",
            Error::Schema(_) => "schema",
            Error::Api(_) => "notion",
            Error::Event(_) => "event",
        }
    }

    /// Trying again later may succeed (Notion unreachable, rate limited, down): the rest needs a fix.
    pub fn is_transient(&self) -> bool {
        self.api().is_some_and(ApiError::is_transient)
    }

    /// Notion's answer, when Notion refused or could not be reached (directly or while reading the schema).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(a) => Some(a),
            Error::Schema(s) => match s.as_ref() {
                SchemaError::Api(a) => Some(a),
                _ => None,
            },
            _ => None,
        }
    }
}
