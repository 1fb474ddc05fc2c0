//! `git notion backup` and `git notion history KEY`: the data source's rows kept in git
//! (`pipeline::backup`).

use serde_json::{json, Value};

use super::*;
use crate::pipeline::backup::{self, BackupReport, Version};

pub(super) fn backup_cmd(full: bool, json: bool, env: &Env, out: &Out) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = first_database(load_config(&repo, env)?);
    let client = crate::pipeline::session::connect_client(&config, env)?;
    let schema = crate::notion::schema::Schema::resolve(&client, &config)
        .map_err(crate::pipeline::Error::from)?;
    let report = backup::backup(&client, &schema, repo.common_dir(), full)?;
    if json {
        out.json(json!({ "backup": report, "ref": backup::REF }));
    } else {
        out.print(&backup_text(&report, &schema.name));
    }
    Ok(Exit::Done)
}

fn backup_text(r: &BackupReport, source: &str) -> String {
    let read = match &r.since {
        Some(t) => format!(
            "{} row(s) edited since {t} read, and every row's title to see what is gone",
            r.rows_read
        ),
        None => format!("every row read ({})", r.rows_read),
    };
    match &r.commit {
        Some(c) => format!(
            "backed up {source:?} to {} ({}): {} page(s) changed, {} gone, {} on file; {read}; {} request(s)\nshare it: git push origin {}\n",
            backup::REF,
            c.get(..12).unwrap_or(c),
            r.changed,
            r.gone,
            r.pages,
            r.requests,
            backup::REF
        ),
        None => format!(
            "{source:?}: nothing changed since the last backup ({read}; {} request(s))\n",
            r.requests
        ),
    }
}

pub(super) fn history_cmd(key: &str, json: bool, env: &Env, out: &Out) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = first_database(load_config(&repo, env)?);
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let key_of = |page: &Value| page_key(page, &rules.extractor);
    let found = backup::history(repo.common_dir(), key_of, key)?;
    let Some((page, versions)) = found else {
        return Err(Error::Usage(format!(
            "{key}: no page in {} carries it (run `git notion backup` first, or check the key)",
            backup::REF
        )));
    };
    if json {
        out.json(json!({"key": key, "page": page, "versions": versions}));
    } else {
        out.print(&history_text(key, &page, &versions));
    }
    Ok(Exit::Done)
}

/// The key a backed-up page carries: its title's first key, or its unique ID.
fn page_key(page: &Value, extractor: &crate::rules::tickets::Extractor) -> Option<String> {
    let props = page["properties"].as_object()?;
    let title = props.values().find(|p| p["type"] == "title")?;
    let text = crate::notion::values::text(title, &crate::notion::schema::Kind::Title);
    extractor
        .title_key(&text)
        .map(|k| k.to_string())
        .or_else(|| {
            let uid = props.values().find(|p| p["type"] == "unique_id")?;
            let text = crate::notion::values::text(uid, &crate::notion::schema::Kind::UniqueId);
            (!text.is_empty()).then_some(text)
        })
}

fn history_text(key: &str, page: &str, versions: &[Version]) -> String {
    let mut s = format!(
        "{key}: page {page}, {} version(s) in {}\n",
        versions.len(),
        backup::REF
    );
    for (i, v) in versions.iter().enumerate() {
        let at = jiff::Timestamp::from_second(v.backed_up_at)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        let short = v.commit.get(..12).unwrap_or(&v.commit);
        let trash = if v.in_trash { " (in the trash)" } else { "" };
        s.push_str(&format!(
            "{at}  backup {short}  edited {}{trash}\n",
            v.last_edited_time
        ));
        let older = versions.get(i + 1);
        for (name, now) in &v.properties {
            match older.map(|o| o.properties.get(name).cloned().unwrap_or_default()) {
                Some(before) if &before != now => s.push_str(&format!(
                    "    {name}: {} → {}\n",
                    quote(&before),
                    quote(now)
                )),
                None if !now.is_empty() => s.push_str(&format!("    {name}: {}\n", quote(now))),
                _ => {}
            }
        }
    }
    s
}

fn quote(text: &str) -> String {
    crate::pipeline::plan::quote(text)
}

/// What the commands that write through the replay's journal start from: the repository, the rules, a
/// client and the data source's schema.
struct Connected {
    repo: Repo,
    rules: crate::rules::desired::Rules,
    client: crate::notion::client::Client,
    schema: crate::notion::schema::Schema,
}

fn connect(env: &Env) -> Result<Connected, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let config = first_database(load_config(&repo, env)?);
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let client = crate::pipeline::session::connect_client(&config, env)?;
    let schema = crate::notion::schema::Schema::resolve(&client, &config)
        .map_err(crate::pipeline::Error::from)?;
    Ok(Connected {
        repo,
        rules,
        client,
        schema,
    })
}

/// Runs a journalled write as the replay does: one writer per repository (the flusher, sync and the
/// replay wait), the journal in the replay's directory (`undo` reads it).
fn journalled<T>(
    repo: &Repo,
    write: impl FnOnce(&std::path::Path) -> Result<T, crate::replay::ReplayError>,
) -> Result<T, Error> {
    let outbox = crate::hooks::outbox::Outbox::new(repo.common_dir());
    let _writer = outbox.writer_lock()?;
    Ok(write(&crate::replay::journal::dir(repo.common_dir()))?)
}

pub(super) fn restore_cmd(
    at: &str,
    keys: &[String],
    apply: bool,
    json: bool,
    env: &Env,
    out: &Out,
) -> Result<Exit, Error> {
    use crate::replay::restore;
    let Connected {
        repo,
        rules,
        client,
        schema,
    } = connect(env)?;
    let key_of = |page: &Value| page_key(page, &rules.extractor);
    let mut plan = restore::plan(
        &client,
        repo.common_dir(),
        &schema.data_source_id,
        at,
        keys,
        key_of,
    )?;
    if apply {
        journalled(&repo, |dir| {
            restore::apply(
                &client,
                dir,
                &schema.data_source_id,
                &schema.name,
                &mut plan,
            )
        })?;
    }
    let failed = plan.pages.iter().any(|p| p.error.is_some());
    if json {
        out.json(json!({"restore": plan, "applied": apply}));
    } else {
        out.print(&restore_text(&plan, &schema.name, apply));
    }
    Ok(Exit::partial_if(failed))
}

fn restore_text(r: &crate::replay::restore::Restore, source: &str, applied: bool) -> String {
    let at = jiff::Timestamp::from_second(r.backed_up_at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let short = r.commit.get(..12).unwrap_or(&r.commit);
    let mut s = format!("{source:?} as backed up at {at} (backup {short}):\n");
    let (mut to_write, mut same) = (0, 0);
    for p in &r.pages {
        if let Some(e) = &p.error {
            s.push_str(&format!(
                "{}  {}  error: {}\n",
                p.key,
                quote(&p.title),
                e.message
            ));
            continue;
        }
        if !p.differs() {
            same += 1;
            continue;
        }
        to_write += 1;
        let done = if applied && p.restored {
            "restored"
        } else {
            "to restore"
        };
        let trash = if p.untrash { ", out of the trash" } else { "" };
        s.push_str(&format!("{}  {}  {done}{trash}\n", p.key, quote(&p.title)));
        for (name, (now, then)) in &p.changes {
            s.push_str(&format!("    {name}: {} → {}\n", quote(now), quote(then)));
        }
    }
    s.push_str(&format!(
        "{to_write} page(s) differ from the backup, {same} already as then"
    ));
    if applied {
        s.push_str("; written, journalled: `git notion undo` takes it back\n");
    } else {
        s.push_str(
            "; dry run: `--apply` writes them (journalled: `git notion undo` takes it back)\n",
        );
    }
    s
}

/// `git notion status --stale [DAYS]`.
pub(super) fn stale_cmd(days: u32, json: bool, env: &Env, out: &Out) -> Result<Exit, Error> {
    use crate::pipeline::key_index::KeyIndex;
    let (ob, repo) = open_outbox()?;
    let config = first_database(load_config(&repo, env)?);
    let rules = crate::rules::desired::Rules::new(&config, repo.origin_url().as_deref())?;
    let Some(in_progress) = config.status.on_commit.clone() else {
        return Err(Error::Usage(
            "--stale lists tickets whose status is [status] on_commit, and none is configured: set it in .git-notion.toml".into(),
        ));
    };
    let Some(index) = KeyIndex::read(ob.dir(), config.position()) else {
        return Err(Error::Usage(
            "--stale reads the local index of the database's keys, and there is none yet: run `git notion index --refresh`".into(),
        ));
    };
    let now = jiff::Timestamp::now().as_second();
    let stale = crate::pipeline::stale::stale(&repo, &rules, &index, &in_progress, days, now)?;
    if json {
        out.json(json!({
            "days": days,
            "status": in_progress,
            "stale": stale,
            "index": index_json(&index, now),
        }));
        return Ok(Exit::Done);
    }
    let age = index
        .refreshed
        .map(|t| {
            format!(
                "index read whole {}",
                crate::pipeline::key_index::ago(now, t)
            )
        })
        .unwrap_or_else(|| "index never read whole: `git notion index --refresh`".into());
    let mut s = format!("tickets {in_progress:?} with no commit in {days} day(s) ({age}):\n");
    for t in &stale {
        let last = match (&t.last_commit, t.idle_days) {
            (Some(c), Some(d)) => {
                format!("last commit {}, {d} day(s) ago", c.get(..12).unwrap_or(c))
            }
            _ => "no commit names it".to_string(),
        };
        s.push_str(&format!("{}  {}  {last}\n", t.key, quote(&t.title)));
    }
    s.push_str(&format!("{} ticket(s)\n", stale.len()));
    out.print(&s);
    Ok(Exit::Done)
}

/// `git notion backfill-ids --property NAME [--apply]`.
pub(super) fn backfill_cmd(
    property: &str,
    apply: bool,
    json: bool,
    env: &Env,
    out: &Out,
) -> Result<Exit, Error> {
    use crate::replay::backfill;
    let Connected {
        repo,
        rules,
        client,
        schema,
    } = connect(env)?;
    let target = backfill::target(&schema, property).map_err(crate::pipeline::Error::from)?;
    let mut plan = backfill::plan(&client, &schema, &target, &rules.extractor)?;
    if apply {
        journalled(&repo, |dir| {
            backfill::apply(&client, dir, &schema, &mut plan)
        })?;
    }
    let failed = plan.pages.iter().any(|p| p.error.is_some());
    if json {
        out.json(json!({"backfill": plan, "applied": apply}));
    } else {
        out.print(&backfill_text(&plan, apply));
    }
    Ok(Exit::partial_if(failed))
}

/// The pages a backfill leaves alone, one line each.
fn left_alone(b: &crate::replay::backfill::Backfill) -> String {
    let mut s = String::new();
    for (page, title) in &b.no_key {
        s.push_str(&format!(
            "(no key)  {}  page {page}: its title names no ticket; left alone\n",
            quote(title)
        ));
    }
    for (key, n) in &b.shared {
        s.push_str(&format!(
            "{key}  {n} pages carry it in their titles: left alone (rename or merge them first)\n"
        ));
    }
    for key in &b.unfit {
        s.push_str(&format!(
            "{key}  a number property cannot hold it: left alone\n"
        ));
    }
    s
}

fn backfill_text(b: &crate::replay::backfill::Backfill, applied: bool) -> String {
    let mut s = String::new();
    for w in &b.pages {
        let what = match (&w.error, w.written) {
            (Some(e), _) => format!("error: {}", e.message),
            (None, true) => "written".to_string(),
            (None, false) => "to write".to_string(),
        };
        s.push_str(&format!(
            "{}  {}  {}: {} → {}  {what}\n",
            w.key,
            quote(&w.title),
            b.property,
            quote(&w.now),
            quote(&w.key)
        ));
    }
    s.push_str(&left_alone(b));
    s.push_str(&format!(
        "{} page(s) to write, {} already carry their key, {} without a key, {} key(s) shared",
        b.pages.len(),
        b.already,
        b.no_key.len(),
        b.shared.len()
    ));
    if applied {
        s.push_str("; written, journalled: `git notion undo` takes it back\n");
    } else {
        s.push_str(
            "; dry run: `--apply` writes them (journalled: `git notion undo` takes it back)\n",
        );
    }
    if b.pages.is_empty() || applied {
        s.push_str(&format!(
            "then find pages by it, whatever their titles become: [tickets] lookup = {{ property = {:?} }}\n",
            b.property
        ));
    }
    s
}
