//! Several databases (`[[databases]]`): each key belongs to one database, the first whose patterns find
//! it; a page link is every database's to look for (the one holding the page has it). Each command runs
//! the one pipeline once per database that has keys, through one client (one limiter, one budget).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::plan::{Entry, Outcome};
use super::session::Session;
use super::Error;
use crate::config::{Config, ConfigError};
use crate::notion::client::Client;
use crate::rules::desired::Rules;
use crate::rules::tickets::TicketKey;

/// One database of the configuration: its own configuration and rules.
#[derive(Clone)]
pub struct Database {
    /// The configuration of this database alone (shared settings included).
    pub config: Config,
    /// Its rules: its ticket keys only, its status rules.
    pub rules: Rules,
}

/// Every database of a configuration, in order (one for a configuration of one database).
pub fn of(config: &Config, origin_url: Option<&str>) -> Result<Vec<Database>, ConfigError> {
    config
        .databases()
        .into_iter()
        .map(|c| {
            Ok(Database {
                rules: Rules::new(c, origin_url)?,
                config: c.clone(),
            })
        })
        .collect()
}

/// Whether `key` is this database's to look for: its patterns find exactly it (a page link: always).
pub fn owns(db: &Database, key: &TicketKey) -> bool {
    match key {
        TicketKey::Page(_) => true,
        _ => db.rules.extractor.extract(&key.to_string()).contains(key),
    }
}

/// `keys` split by database (a page link goes to each).
pub fn split<'k>(
    dbs: &[Database],
    keys: impl IntoIterator<Item = &'k TicketKey>,
) -> Vec<BTreeSet<TicketKey>> {
    let mut out = vec![BTreeSet::new(); dbs.len()];
    for k in keys {
        for (i, db) in dbs.iter().enumerate() {
            if owns(db, k) {
                out[i].insert(k.clone());
                if !matches!(k, TicketKey::Page(_)) {
                    break;
                }
            }
        }
    }
    out
}

/// One database's plan: its data source's name (for the report) and its entries.
pub struct Plan {
    /// The data source's name.
    pub source_name: String,
    /// One entry per ticket.
    pub entries: Vec<Entry>,
}

/// A page link looked for in several databases: only the entry of the database that found its page is
/// kept (none found: the first database's "not found").
pub fn one_entry_per_page(plans: &mut [Plan]) {
    if plans.len() < 2 {
        return;
    }
    let is_page = |e: &Entry| matches!(e.desired.key, TicketKey::Page(_));
    let found: BTreeSet<TicketKey> = plans
        .iter()
        .flat_map(|p| &p.entries)
        .filter(|e| is_page(e) && !matches!(e.outcome, Outcome::NotFound))
        .map(|e| e.desired.key.clone())
        .collect();
    let mut said: BTreeSet<TicketKey> = BTreeSet::new();
    for p in plans.iter_mut() {
        p.entries.retain(|e| {
            if !is_page(e) || !matches!(e.outcome, Outcome::NotFound) {
                return true;
            }
            !found.contains(&e.desired.key) && said.insert(e.desired.key.clone())
        });
    }
}

/// The databases that have some of `keys`, each with its keys, all connected before anything is
/// written (a database whose schema does not fit stops the command before its first write).
pub fn connect_each<'k>(
    dbs: &[Database],
    keys: impl IntoIterator<Item = &'k TicketKey>,
    sessions: &mut Sessions,
    env: &crate::config::Env,
    budget: Option<u32>,
) -> Result<Vec<(usize, BTreeSet<TicketKey>)>, Error> {
    let work: Vec<(usize, BTreeSet<TicketKey>)> = split(dbs, keys)
        .into_iter()
        .enumerate()
        .filter(|(_, k)| !k.is_empty())
        .collect();
    for (i, _) in &work {
        sessions.get(*i, &dbs[*i], env, budget)?;
    }
    Ok(work)
}

/// The sessions of the databases a command talks to, connected when first needed, through one client.
pub struct Sessions {
    client: Option<Arc<Client>>,
    open: BTreeMap<usize, Session>,
}

impl Sessions {
    /// No session yet.
    pub fn new() -> Sessions {
        Sessions {
            client: None,
            open: BTreeMap::new(),
        }
    }

    /// The session of database `i`, connected now if it is not yet (`budget`: as for
    /// [`Session::connect_paced`]).
    pub fn get(
        &mut self,
        i: usize,
        db: &Database,
        env: &crate::config::Env,
        budget: Option<u32>,
    ) -> Result<&Session, Error> {
        let slot = match self.open.entry(i) {
            std::collections::btree_map::Entry::Occupied(o) => return Ok(o.into_mut()),
            std::collections::btree_map::Entry::Vacant(v) => v,
        };
        let client = match &self.client {
            Some(c) => c.clone(),
            None => {
                let c = Arc::new(super::session::connect_client_paced(
                    &db.config, env, budget,
                )?);
                self.client = Some(c.clone());
                c
            }
        };
        let s = Session::connect_with(db.config.clone(), db.rules.clone(), client)?;
        Ok(slot.insert(s))
    }

    /// The client every session shares, once one is connected.
    pub fn client(&self) -> Option<&Client> {
        self.client.as_deref()
    }

    /// The connected sessions' data source names, in order.
    pub fn names(&self) -> String {
        self.open
            .values()
            .map(|s| s.binding.source_name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Default for Sessions {
    fn default() -> Self {
        Self::new()
    }
}
