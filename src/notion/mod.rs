//! The Notion API as git-notion uses it: the HTTP client with its limiter, retries and circuit
//! ([`client`]), the schema binding that checks the configuration against the real data source
//! ([`schema`]), property values read and written by their real type ([`values`]), comments ([`comments`]) and the workspace's people ([`users`]). Uses `config` and `id`; knows nothing of git or of the rules.

pub mod client;
pub mod comments;
pub mod schema;
pub mod users;
pub mod values;
