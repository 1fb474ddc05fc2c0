//! notion-sandbox: a faithful local stand-in for the Notion API (Notion-Versions 2025-09-03, 2026-03-11 and 2026-12-01, and 2022-06-28's database endpoints).
//!
//! Tests start it in-process on `127.0.0.1:0`:
//! ```no_run
//! let sb = notion_sandbox::Sandbox::start_builtin("zh").unwrap();
//! println!("{} {}", sb.base_url(), sb.token());
//! ```
//! and read its state and request log through this API; a person runs the `notion-sandbox` binary.

mod api;
pub mod error;
pub mod faults;
pub mod ids;
pub mod model;
mod query;
pub mod seed;
mod server;
pub mod values;

pub use error::ApiError;
pub use faults::{Fault, FaultKind, Scope, Window};
pub use model::{ApiVersion, State};
pub use server::{LoggedRequest, Sandbox, SandboxConfig};
