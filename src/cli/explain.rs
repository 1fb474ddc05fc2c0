//! `git notion explain [REV|-]`: what git-notion reads in a commit message, and why.

use std::io::Read;

use super::output::{printable, Out};
use super::Error;
use super::{here, Exit};
use crate::git::Commit;
use crate::rules::desired::{Proposal, Rules};
use crate::rules::explain::Explanation;

/// The most of a message read from stdin (a message is never this long; the rest is not read).
const MAX_STDIN: u64 = 16 << 20;

pub(super) fn explain_cmd(
    rev: &str,
    json: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let (repo, config, rules) = here(env)?;
    let origin = repo.origin_url();
    let (commit, released) = if rev == "-" {
        let mut bytes = vec![];
        std::io::stdin()
            .take(MAX_STDIN)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                what: "read the message from stdin".into(),
                source,
            })?;
        let commit = Commit {
            id: String::new(),
            message: String::from_utf8_lossy(&bytes).into_owned().into(),
            time: jiff::Timestamp::now().as_second(),
            offset: 0,
            parents: 1,
            author_email: String::new(),
        };
        // Committed now, it would be on the current branch.
        (commit, rules.is_release(repo.branch().as_deref()))
    } else {
        let commit = repo.resolve(rev)?;
        let spec = crate::git::WalkSpec {
            all: true,
            ..crate::git::WalkSpec::default()
        };
        let released = crate::pipeline::history::Released::of(&repo, &rules, &spec)?;
        let released = released.contains(&commit.id);
        (commit, released)
    };
    let mut e = rules.explain(&commit, released);
    let named = by_database(&config, origin.as_deref(), &commit, released, &mut e)?;
    let forge = origin.as_deref().and_then(crate::git::links::forge);
    let said = Said {
        commit: &commit,
        e: &e,
        named: &named,
        config: &config,
        forge,
        rules: &rules,
    };
    if json {
        out.json(to_json(&said));
    } else {
        out.print(&printable(&render(&said)));
    }
    Ok(Exit::Done)
}

/// What `explain` says of a commit.
struct Said<'a> {
    commit: &'a Commit,
    e: &'a Explanation,
    /// Each ticket with the configuration of its database.
    named: &'a [(crate::config::Config, crate::rules::explain::Named)],
    config: &'a crate::config::Config,
    forge: Option<crate::git::links::Forge>,
    rules: &'a Rules,
}

/// Each ticket the commit names, as its own database's rules read it (a page link: once).
fn by_database(
    config: &crate::config::Config,
    origin: Option<&str>,
    commit: &Commit,
    released: bool,
    e: &mut Explanation,
) -> Result<Vec<(crate::config::Config, crate::rules::explain::Named)>, Error> {
    if !config.several() {
        let named = std::mem::take(&mut e.named);
        return Ok(named.into_iter().map(|n| (config.clone(), n)).collect());
    }
    let mut out: Vec<(crate::config::Config, crate::rules::explain::Named)> = vec![];
    for db in crate::pipeline::databases::of(config, origin)? {
        for n in db.rules.explain(commit, released).named {
            if !out.iter().any(|(_, m)| m.key == n.key) {
                out.push((db.config.clone(), n));
            }
        }
    }
    e.named.clear();
    Ok(out)
}

fn status(p: &Option<Proposal>) -> Option<(String, bool)> {
    p.as_ref().map(|p| match p {
        Proposal::Auto(s) => (s.clone(), false),
        Proposal::Exact(s) => (s.clone(), true),
    })
}

fn render(said: &Said) -> String {
    let (commit, e, config, forge, rules) =
        (said.commit, said.e, said.config, said.forge, said.rules);
    let what = if commit.id.is_empty() {
        "the message".to_string()
    } else {
        format!("commit {}", &commit.id[..12.min(commit.id.len())])
    };
    let place = if e.released {
        "on a release branch"
    } else {
        "not on a release branch yet"
    };
    let mut t = format!("{what} {:?}, {place}\n", commit.subject());
    for (on, line) in [
        (
            e.skip,
            "[skip notion]: git-notion does nothing with this commit",
        ),
        (
            e.wip,
            "WIP: it links and moves at most to on_commit; nothing closes",
        ),
        (
            e.revert,
            "a revert: it closes nothing (on_revert decides the comment and the status)",
        ),
        (
            said.named.is_empty() && !e.skip,
            "names no ticket: nothing is sent to Notion",
        ),
    ] {
        if on {
            t.push_str(&format!("  {line}\n"));
        }
    }
    for (db, n) in said.named {
        t.push_str(&ticket_line(n, db, config.several()));
    }
    for s in &e.skipped {
        let why = crate::config::Convention::ALL
            .into_iter()
            .find(|c| c.name() == s.rule)
            .map(|c| format!(": {}", crate::rules::conventions::example(c)))
            .unwrap_or_default();
        t.push_str(&format!(
            "  {:<10} not a ticket: {}{why} ([tickets] ignore)\n",
            s.text, s.rule
        ));
    }
    if e.overflow.any() {
        t.push_str(&format!("  {}\n", e.overflow.warning(&commit.id)));
    }
    t.push_str(&rules_line(config, forge, rules));
    t
}

/// One ticket: link or close, the status now and once released, comments, title.
fn ticket_line(
    n: &crate::rules::explain::Named,
    config: &crate::config::Config,
    several: bool,
) -> String {
    let mut parts = vec![if n.closes { "closes" } else { "links" }.to_string()];
    if several {
        parts.insert(0, format!("in {}", config.label().unwrap_or_default()));
    }
    match status(&n.status_now) {
        Some((s, true)) => parts.push(format!("sets {s} exactly (#status or a reopening revert)")),
        Some((s, false)) => parts.push(format!("→ {s} at most")),
        None => parts.push("status kept".into()),
    }
    if let Some((s, _)) = status(&n.status_released) {
        parts.push(format!(
            "→ {s} once on a release branch ({})",
            config.status.release_branches.join(", ")
        ));
    }
    for c in &n.comments {
        parts.push(format!("comment {c:?}"));
    }
    if n.titles {
        parts.push("its subject may give the title".into());
    }
    parts.push("date, commit link".into());
    format!("  {:<10} {}\n", n.key.to_string(), parts.join("; "))
}

/// The patterns and the conventions in force, and where the conventions came from.
fn rules_line(
    config: &crate::config::Config,
    forge: Option<crate::git::links::Forge>,
    rules: &Rules,
) -> String {
    let ignoring = &rules.extractor.ignore().conventions;
    let chosen = match (config.tickets.ignore.is_some(), forge) {
        (true, _) => "as [tickets] ignore says".to_string(),
        (false, Some(f)) => format!("origin is on {f:?}; set [tickets] ignore to choose"),
        (false, None) => "origin's host is not recognised; set [tickets] ignore to choose".into(),
    };
    let quoted = |v: &[String]| {
        v.iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let keys_of = |c: &crate::config::Config| {
        let prefixes = if c.tickets.id_prefixes.is_empty() {
            String::new()
        } else {
            format!(", id prefixes {}", quoted(&c.tickets.id_prefixes))
        };
        format!("patterns {}{prefixes}", quoted(&c.tickets.patterns))
    };
    let keys = if config.several() {
        config
            .databases()
            .iter()
            .map(|c| format!("{}: {}", c.label().unwrap_or_default(), keys_of(c)))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        keys_of(config)
    };
    let not_keys = if ignoring.is_empty() {
        "none".to_string()
    } else {
        ignoring
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("keys: {keys}; not keys: {not_keys} ({chosen})\n")
}

fn to_json(said: &Said) -> serde_json::Value {
    let (commit, e, config, forge, rules) =
        (said.commit, said.e, said.config, said.forge, said.rules);
    let proposal = |p: &Option<Proposal>| {
        status(p).map(|(name, exact)| serde_json::json!({"name": name, "exact": exact}))
    };
    serde_json::json!({
        "commit": if commit.id.is_empty() { serde_json::Value::Null } else { commit.id.clone().into() },
        "subject": commit.subject(),
        "released": e.released,
        "skip": e.skip,
        "wip": e.wip,
        "revert": e.revert,
        "tickets": said.named.iter().map(|(db, n)| serde_json::json!({
            "key": n.key.to_string(),
            "database": db.label(),
            "action": if n.closes { "close" } else { "link" },
            "status": proposal(&n.status_now),
            "status_when_released": proposal(&n.status_released),
            "comments": n.comments,
            "title": n.titles,
        })).collect::<Vec<_>>(),
        "skipped": e.skipped.iter().map(|s| serde_json::json!({
            "text": s.text,
            "key": s.key.to_string(),
            "rule": s.rule,
        })).collect::<Vec<_>>(),
        "ignore": rules.extractor.ignore().conventions.iter().map(|c| c.name()).collect::<Vec<_>>(),
        "ignore_from": if config.tickets.ignore.is_some() { "config".to_string() } else {
            forge.map_or_else(|| "default".to_string(), |f| format!("{f:?}").to_lowercase())
        },
        "overflow": {"dropped": e.overflow.dropped, "too_long": e.overflow.too_long},
    })
}
