//! The rules: what commit messages mean for tickets. Pure functions of text and configuration (no I/O):
//! ticket keys ([`tickets`]), what a message asks of each ticket ([`intent`]: link, close, `#comment`,
//! `#status`, WIP, skip, revert), the desired state of a ticket gathered over its commits
//! ([`desired`]), and the list of a ticket's commits ([`commit_list`]). Uses `git` (the commit type) and `config`.

pub mod commit_list;
pub mod conventions;
pub mod desired;
pub mod explain;
pub mod intent;
pub mod tickets;
