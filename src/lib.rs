//! git-notion: keep a Notion ticket database true from git.
//!
//! One pipeline serves every command: commit source ([`git`]) → ticket refs ([`tickets`]) → desired state
//! ([`desired`]) → plan ([`plan`], pages found by [`lookup`], values shaped by [`values`] against the
//! [`schema`]) → apply through the [`client`]. [`sync`] assembles it; [`cli`] is the command line.

/// The Notion API version git-notion speaks (data sources).
pub const NOTION_VERSION: &str = "2025-09-03";

pub mod cli;
pub mod client;
pub mod comments;
pub mod config;
pub mod desired;
pub mod doctor;
pub mod flush;
pub mod git;
pub mod hooks;
pub mod init;
pub mod install;
pub mod intent;
pub mod journal;
pub mod links;
pub mod lookup;
pub mod message;
pub mod notion_id;
pub mod outbox;
pub mod plan;
pub mod replay;
pub mod schema;
pub mod sync;
pub mod tickets;
pub mod values;

/// Every error the library reports; [`cli::exit_code`] is the one place that maps them to exit codes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error(transparent)]
    Schema(Box<schema::SchemaError>),
    #[error(transparent)]
    Api(#[from] client::ApiError),
    #[error(transparent)]
    Outbox(#[from] outbox::OutboxError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error(transparent)]
    Install(#[from] install::InstallError),
    /// A command line that cannot work (a bad date, conflicting options).
    #[error("{0}")]
    Usage(String),
}

impl From<schema::SchemaError> for Error {
    fn from(e: schema::SchemaError) -> Self {
        Error::Schema(Box::new(e))
    }
}
