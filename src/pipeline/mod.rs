//! The pipeline from commits to Notion: history read into per-ticket tracks ([`history`]), pages found
//! ([`lookup`]: one ticket at a time; [`scan`]: a whole data source, matched locally), the plan of what
//! differs and its apply ([`plan`]), and the checked connection that assembles them ([`session`]). The
//! hooks, `sync`, the replay and `undo` all go through here. Uses `rules`, `notion`, `git`, `config`.

pub mod history;
pub mod key_index;
pub mod lookup;
pub mod plan;
pub mod scan;
pub mod session;
