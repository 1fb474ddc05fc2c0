//! git-notion: keep a Notion ticket database true from git.
//!
//! One pipeline serves every command: commit source → ticket refs → desired state → plan → apply.
//! This crate is being built issue by issue; see `README.md` for what works today.

/// The Notion API version git-notion speaks (data sources).
pub const NOTION_VERSION: &str = "2025-09-03";

pub mod config;
pub mod message;
pub mod notion_id;
pub mod tickets;
