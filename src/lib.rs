//! git-notion: keep a Notion ticket database true from git.
//!
//! One pipeline serves every command: commit source ([`git`]) → ticket refs and desired state ([`rules`])
//! → plan and apply ([`pipeline`], over the Notion API in [`notion`]). The hooks ([`hooks`]) and the
//! history replay ([`replay`]) are two ways of feeding it; [`setup`] is onboarding (`init`, `doctor`);
//! [`cli`] is the command line, and the only place that maps errors to exit codes.
//!
//! Dependencies point one way: `cli` → everything; `hooks`, `replay`, `setup` → `pipeline` → `notion`,
//! `rules` → `git`; `config` is read by all. Nothing imports `cli`.

/// The Notion API version git-notion speaks (data sources).
pub const NOTION_VERSION: &str = "2025-09-03";

pub mod cli;
pub mod config;
pub mod git;
pub mod hooks;
pub mod notion;
pub mod pipeline;
pub mod replay;
pub mod rules;
pub mod setup;

/// Every error the library reports; [`cli::exit_code`] is the one place that maps them to exit codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(transparent)]
    Schema(Box<notion::schema::SchemaError>),
    #[error(transparent)]
    Api(#[from] notion::client::ApiError),
    #[error(transparent)]
    Outbox(#[from] hooks::outbox::OutboxError),
    #[error(transparent)]
    Journal(#[from] replay::journal::JournalError),
    #[error(transparent)]
    Install(#[from] hooks::install::InstallError),
    /// A command line that cannot work (a bad date, conflicting options).
    #[error("{0}")]
    Usage(String),
}

impl From<notion::schema::SchemaError> for Error {
    fn from(e: notion::schema::SchemaError) -> Self {
        Error::Schema(Box::new(e))
    }
}
