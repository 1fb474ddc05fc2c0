//! git-notion's integration tests: one binary (as ripgrep does), real git repositories, the real binaries
//! and the sandbox over loopback.

mod beyond;
mod commit_time;
mod databases;
mod docs;
mod errors;
mod fidelity;
mod hook;
mod hostile;
mod human;
mod install;
mod json;
mod lifecycle;
mod memory;
mod model;
mod newcomer;
mod notion_today;
mod onboarding;
mod outbox;
mod replay;
mod scale;
mod sync;
mod tips;
mod tls;
mod truth;
mod util;
