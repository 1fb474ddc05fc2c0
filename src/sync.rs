//! The pipeline, assembled: commits → ticket refs → desired state → plan → apply. Hooks and commands
//! differ only in where their commits come from.

use crate::client::{self, Client};
use crate::config::{self, Config, Token};
use crate::desired::{self, Context};
use crate::git::Commit;
use crate::lookup;
use crate::plan::{self, Entry};
use crate::schema::{Binding, Schema};
use crate::tickets::{Extractor, TicketKey};
use crate::Error;

/// The tickets named by `commits` (oldest first), each with the commits that name it, in order of first
/// appearance.
pub fn refs(extractor: &Extractor, commits: &[Commit]) -> Vec<(TicketKey, Vec<Commit>)> {
    let mut out: Vec<(TicketKey, Vec<Commit>)> = vec![];
    for c in commits {
        for key in extractor.extract(&c.message) {
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, list)) => list.push(c.clone()),
                None => out.push((key, vec![c.clone()])),
            }
        }
    }
    out
}

/// The API client for this configuration: the token and API URL from the environment, the rate limits and
/// retries from `[api]`.
pub fn connect_client(config: &Config, env: &[(String, String)]) -> Result<Client, Error> {
    let token = Token::from_env(env)?;
    let base = config::api_url(env)?;
    Ok(Client::new(
        &base,
        token,
        client::Options::from_config(&config.api),
    ))
}

/// A checked connection: the client, and the configuration bound to the data source's real schema.
pub struct Session {
    pub config: Config,
    pub client: Client,
    pub binding: Binding,
    pub extractor: Extractor,
}

impl Session {
    /// Reads the token and the API URL, resolves the data source and checks the configuration against its
    /// schema. Nothing is written before this succeeds.
    pub fn connect(config: Config, env: &[(String, String)]) -> Result<Session, Error> {
        let client = connect_client(&config, env)?;
        let schema = Schema::resolve(&client, &config)?;
        let binding = Binding::new(&schema, &config)?;
        let extractor = config.extractor("configuration")?;
        Ok(Session {
            extractor,
            config,
            client,
            binding,
        })
    }

    /// The plan for these ticket refs: one lookup per ticket, then the differing properties.
    pub fn plan(&self, ctx: &Context, refs: &[(TicketKey, Vec<Commit>)]) -> Vec<Entry> {
        refs.iter()
            .filter_map(|(key, commits)| self.plan_one(ctx, key, commits))
            .collect()
    }

    /// The plan entry of one ticket named by `commits` (oldest first).
    pub fn plan_one(&self, ctx: &Context, key: &TicketKey, commits: &[Commit]) -> Option<Entry> {
        let desired = desired::desired(&self.config, ctx, &self.extractor, key, commits)?;
        let found = lookup::find(&self.client, &self.binding, &self.extractor, key);
        Some(plan::entry(
            &self.binding,
            self.config.title.policy,
            desired,
            found,
        ))
    }

    pub fn apply(&self, entries: &mut [Entry]) {
        plan::apply(&self.client, entries);
    }
}
