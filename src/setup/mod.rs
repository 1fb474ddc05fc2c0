//! Onboarding: `git notion init` writes a configuration from the database's real schema ([`init`]), and
//! `git notion doctor` checks every piece with its fix ([`doctor`]). Uses `pipeline`, `notion`, `hooks`
//! (who runs the hooks, the outbox), `git` and `config`.

pub mod doctor;
pub mod init;
