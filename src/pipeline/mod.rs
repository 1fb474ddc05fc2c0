//! The pipeline from commits to Notion: history read into per-ticket tracks ([`history`]), pages found
//! ([`lookup`]: batched queries of up to 100 keys; [`scan`]: a whole data source, matched locally), the
//! plan of what differs and its apply ([`plan`]), the checked connection that assembles them
//! ([`session`]), pull requests read from CI ([`review`]), and the local index of the database's keys that commit time reads ([`key_index`]). The
//! hooks, `sync`, the replay and `undo` all go through here. Its [`Error`] wraps the errors of the layers
//! below; a [`Reason`] is why an update waits or left the queue, as a value. Uses `rules`, `notion`,
//! `git`, `config`, `files`.

pub mod backup;
pub mod budget;
pub mod databases;
mod error;
pub mod history;
pub mod key_index;
pub mod lookup;
pub mod plan;
mod reason;
pub mod review;
pub mod scan;
pub mod session;
pub mod stale;

pub use error::Error;
pub use reason::{Reason, ReasonKind};
