//! What the hooks can run into: the pipeline's errors, the outbox's files, installing.

use crate::config::ConfigError;
use crate::git::GitError;
use crate::notion::client::ApiError;
use crate::pipeline;

use super::install::InstallError;
use super::outbox::OutboxError;

/// An error of the hooks' layer.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The configuration, the repository, the schema or Notion.
    #[error(transparent)]
    Pipeline(#[from] pipeline::Error),
    /// The outbox cannot be read or written.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// Hooks cannot be installed or removed.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The working directory cannot be read.
    #[error("cannot read the current directory: {0}")]
    WorkingDirectory(std::io::Error),
}

impl HookError {
    /// A stable name for the kind of error: the pipeline's kinds, `outbox`, `install`, `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            HookError::Pipeline(e) => e.kind(),
            HookError::Outbox(_) => "outbox",
            HookError::Install(_) => "install",
            HookError::WorkingDirectory(_) => "io",
        }
    }
}

impl From<GitError> for HookError {
    fn from(e: GitError) -> Self {
        HookError::Pipeline(e.into())
    }
}

impl From<ConfigError> for HookError {
    fn from(e: ConfigError) -> Self {
        HookError::Pipeline(e.into())
    }
}

impl From<ApiError> for HookError {
    fn from(e: ApiError) -> Self {
        HookError::Pipeline(e.into())
    }
}
