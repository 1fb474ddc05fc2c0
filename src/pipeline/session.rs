//! The pipeline, assembled: commits → ticket refs → desired state → plan → apply. Hooks and commands
//! differ only in where their commits come from.

use super::Error;
use crate::config::{self, Config, Token};
use crate::git::{Commit, Repo, WalkSpec};
use crate::notion::client::{self, Client};
use crate::notion::schema::{Binding, Schema};
use crate::pipeline::lookup;
use crate::pipeline::plan::{self, Entry};
use crate::rules::desired::{self, Rules, Track};
use crate::rules::tickets::TicketKey;

/// The tickets named by `commits` (oldest first, each with whether it is on a release branch), each with
/// its effects gathered, in order of first appearance. `keep(i, key)`: whether commit `i`'s effect on
/// `key` counts (the flusher keeps only the keys still pending for that commit).
pub fn tracks(
    rules: &Rules,
    commits: &[(&Commit, bool)],
    keep: impl Fn(usize, &TicketKey) -> bool,
) -> Vec<Track> {
    let mut out: Vec<Track> = vec![];
    for (pos, (c, released)) in commits.iter().enumerate() {
        for (key, effect) in rules.effects(c, *released) {
            if !keep(pos, &key) {
                continue;
            }
            let i = match out.iter().position(|t| t.key == key) {
                Some(i) => i,
                None => {
                    out.push(Track::new(key));
                    out.len() - 1
                }
            };
            out[i].add(pos as i64, c, effect);
        }
    }
    out
}

/// The tracks of `keys` as the whole history says: HEAD, the local and remote-tracking branches and
/// the tags (`git notion-replay --all`), a commit counting as released when a release branch reaches it.
/// Hooks, `sync` and `flush` deliver exactly what the replay computes, whichever hook saw which commit
/// first and in whatever order: this is what makes them agree. Sorted by key.
pub fn history_tracks(
    repo: &Repo,
    rules: &Rules,
    keys: &std::collections::HashSet<TicketKey>,
) -> Result<Vec<Track>, Error> {
    if keys.is_empty() {
        return Ok(vec![]);
    }
    let spec = WalkSpec {
        all: true,
        ..WalkSpec::default()
    };
    let released = crate::pipeline::history::Released::of(repo, rules, &spec)?;
    let history = crate::pipeline::history::history(
        repo,
        rules,
        &spec,
        &crate::pipeline::history::Decide::Latest,
        &released,
        Some(keys),
    )?;
    Ok(history.tickets)
}

/// The API client for this configuration: the token and API URL from the environment, the rate limits and
/// retries from `[api]`.
pub fn connect_client(config: &Config, env: &crate::config::Env) -> Result<Client, Error> {
    connect_client_paced(config, env, None)
}

/// [`connect_client`] pacing its requests to a budget per window learned earlier ([`super::budget`]).
pub fn connect_client_paced(
    config: &Config,
    env: &crate::config::Env,
    budget: Option<u32>,
) -> Result<Client, Error> {
    let token = Token::from_env(env)?;
    let base = config::api_url(env)?;
    let mut options = client::Options::from_config(&config.api);
    options.budget = budget;
    Ok(Client::new(&base, token, options))
}

/// A checked connection: the client, and the configuration bound to the data source's real schema.
pub struct Session {
    /// The configuration, as loaded and validated.
    pub config: Config,
    /// The API client (token, limiter, retries), shared by the sessions of every database.
    pub client: std::sync::Arc<Client>,
    /// The configuration bound to the data source's real schema.
    pub binding: Binding,
    /// The compiled rules (ticket patterns, keywords, status rules).
    pub rules: Rules,
}

impl Session {
    /// Reads the token and the API URL, resolves the data source and checks the configuration against its
    /// schema. Nothing is written before this succeeds.
    pub fn connect(
        config: Config,
        rules: Rules,
        env: &crate::config::Env,
    ) -> Result<Session, Error> {
        Self::connect_paced(config, rules, env, None)
    }

    /// [`Session::connect`] with a budget per window learned earlier (`budget::recall`): every request
    /// is paced to it, the first one included.
    pub fn connect_paced(
        config: Config,
        rules: Rules,
        env: &crate::config::Env,
        budget: Option<u32>,
    ) -> Result<Session, Error> {
        let client = std::sync::Arc::new(connect_client_paced(&config, env, budget)?);
        Self::connect_with(config, rules, client)
    }

    /// [`Session::connect`] through a client already made (another database's: one limiter and one
    /// budget for every request of the token).
    pub fn connect_with(
        config: Config,
        rules: Rules,
        client: std::sync::Arc<Client>,
    ) -> Result<Session, Error> {
        let schema = Schema::resolve(&client, &config)?;
        let mut binding = Binding::new(&schema, &config)?;
        if binding.assignee.is_some() {
            // Authors not among the users (or users the token may not list) are a note on each entry.
            let users = crate::notion::users::by_email(&client).unwrap_or_default();
            for (email, id) in users {
                binding.people.entry(email).or_insert(id);
            }
        }
        Ok(Session {
            rules,
            config,
            client,
            binding,
        })
    }

    /// The database's name in messages and JSON: its `name`, else its data source's.
    pub fn name(&self) -> String {
        self.config
            .name
            .clone()
            .unwrap_or_else(|| self.binding.source_name.clone())
    }

    /// The plan for these tracked tickets: their pages found in batches (`lookup::find_many`: up to 100
    /// keys a query), one comments read where comments are asked for, then the differing properties.
    /// `repo`: where commit links on pages are looked up, so that no page is moved back to an older
    /// commit. A track that asks nothing gives no entry.
    pub fn plan(&self, repo: &Repo, origin_url: Option<&str>, tracks: &[Track]) -> Vec<Entry> {
        let keys: Vec<TicketKey> = tracks.iter().map(|t| t.key.clone()).collect();
        let mut found =
            lookup::find_many(&self.client, &self.binding, &self.rules.extractor, &keys);
        tracks
            .iter()
            .filter_map(|t| {
                let f = found.remove(&t.key).unwrap_or(Ok(lookup::Found::Nothing));
                self.entry(repo, origin_url, t, f)
            })
            .collect()
    }

    /// The plan entry of one tracked ticket, from its lookup.
    fn entry(
        &self,
        repo: &Repo,
        origin_url: Option<&str>,
        track: &Track,
        found: Result<lookup::Found, crate::notion::client::ApiError>,
    ) -> Option<Entry> {
        let rank = |s: &str| self.binding.status_rank(s);
        let desired = desired::desired(
            &self.config,
            &self.rules.extractor,
            origin_url,
            track,
            &rank,
        )?;
        let time_of = |id: &str| repo.commit_time(id);
        let mut entry = plan::entry(
            &self.binding,
            self.config.title.policy,
            desired,
            found,
            Some(&time_of),
        );
        entry.check_comments(&self.client, &|a, d| repo.has_equivalent(a, d));
        entry.database = self.name();
        Some(entry)
    }

    /// Before writing a plan whose pages were read at `since` (seconds): reads the rows edited since (one
    /// query, more pages only when many rows changed) and plans again each entry whose page is among
    /// them, so that a value another clone wrote meanwhile is never overwritten by an older one.
    /// `time_of`: as for the plan (None: `--reset` moves pages back on purpose). Returns how many entries
    /// changed their plan.
    pub fn recheck(
        &self,
        entries: &mut [Entry],
        since: i64,
        time_of: Option<plan::CommitTime<'_>>,
    ) -> Result<usize, client::ApiError> {
        if entries.iter().all(|e| e.page().is_none()) {
            return Ok(0);
        }
        let rows = lookup::edited_since(&self.client, &self.binding, since)?;
        let fresh: std::collections::HashMap<String, lookup::PageState> = rows
            .iter()
            .map(|r| lookup::PageState::from_json(r, &self.binding))
            .map(|p| (p.id.clone(), p))
            .collect();
        let mut changed = 0;
        for e in entries.iter_mut() {
            let Some(id) = e.page().map(|p| p.id.clone()) else {
                continue;
            };
            if let Some(page) = fresh.get(&id) {
                if plan::replan(
                    &self.binding,
                    self.config.title.policy,
                    e,
                    page.clone(),
                    time_of,
                ) {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }

    /// Writes the plan, entry by entry ([`Session::write`]).
    pub fn apply(&self, entries: &mut [Entry]) {
        for e in entries.iter_mut() {
            self.write(e);
        }
    }

    /// Writes one entry ([`Entry::write`]). A page to create is looked up once more first: a hook, a
    /// clone or a replay may have made it since the plan read; then that page is planned instead (two
    /// pages: ambiguous, and no third is made).
    pub fn write(&self, e: &mut Entry) {
        if matches!(e.outcome, plan::Outcome::Create { .. }) {
            let found = lookup::find(
                &self.client,
                &self.binding,
                &self.rules.extractor,
                &e.desired.key,
            );
            if !matches!(found, Ok(lookup::Found::Nothing)) {
                let comments = std::mem::take(&mut e.comments);
                let policy = self.config.title.policy;
                *e = plan::entry(&self.binding, policy, e.desired.clone(), found, None);
                e.comments = comments;
                e.database = self.name();
            }
        }
        e.write(&self.client, &self.binding);
    }
}

/// How often a long apply reads again what changed since its last read.
pub const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Re-reads what changed before an apply's first write and every [`RECHECK_EVERY`] after, for the entries
/// not written yet ([`Session::recheck`]).
#[derive(Debug)]
pub struct Recheck {
    since: i64,
    last: Option<std::time::Instant>,
    /// Queries sent.
    pub reads: usize,
    /// Entries whose plan changed because a page had changed.
    pub replanned: usize,
}

impl Recheck {
    /// For a plan whose pages were read at `read_at` (seconds).
    pub fn new(read_at: i64) -> Recheck {
        Recheck {
            since: read_at,
            last: None,
            reads: 0,
            replanned: 0,
        }
    }

    /// Before writing `rest[0]`: re-plans `rest` from what changed since the last read, when this is the
    /// first write or the last read is [`RECHECK_EVERY`] old. A failed read changes nothing (the plan's
    /// own checks stay, and the write goes on).
    pub fn before_write(
        &mut self,
        session: &Session,
        rest: &mut [Entry],
        time_of: Option<plan::CommitTime<'_>>,
    ) {
        if self.last.is_some_and(|l| l.elapsed() < RECHECK_EVERY)
            || !rest
                .first()
                .is_some_and(|e| matches!(e.outcome, plan::Outcome::Update { .. }))
        {
            return;
        }
        let now = jiff::Timestamp::now().as_second();
        self.reads += 1;
        if let Ok(n) = session.recheck(rest, self.since, time_of) {
            self.replanned += n;
            self.since = now;
        }
        self.last = Some(std::time::Instant::now());
    }
}
