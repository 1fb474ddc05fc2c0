//! `git notion review`: a pull (merge) request's tickets to `on_review`, its link to `pull_request`.

use super::*;
use crate::pipeline::databases;
use crate::pipeline::plan::{self, Summary};
use crate::pipeline::review::{Request, State};
use crate::pipeline::session::Session;

pub(super) fn review_cmd(
    event: Option<&std::path::Path>,
    dry_run: bool,
    json: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let (repo, config, rules) = here(env)?;
    let request = Request::of_job(env, event).map_err(crate::pipeline::Error::from)?;
    let answer = |entries: &[plan::Entry]| {
        out.json(serde_json::json!({
            "pull_request": request,
            "dry_run": dry_run,
            "tickets": entries.iter().map(entry_json).collect::<Vec<_>>(),
            "summary": Summary::of_run(entries, !dry_run),
        }))
    };
    let keys = if request.state == State::Open {
        request.keys(&repo, &rules)
    } else {
        vec![]
    };
    if keys.is_empty() {
        if json {
            answer(&[]);
        } else {
            out.print(&nothing_to_do(&request));
        }
        return Ok(Exit::Done);
    }
    let dbs = databases::of(&config, repo.origin_url().as_deref())?;
    let mut sessions = databases::Sessions::new();
    let mut plans = vec![];
    for (i, mine) in databases::connect_each(&dbs, &keys, &mut sessions, env, None)? {
        let session = sessions.get(i, &dbs[i], env, None)?;
        let mine = keys.iter().filter(|k| mine.contains(k)).cloned().collect();
        plans.push(databases::Plan {
            source_name: session.binding.source_name.clone(),
            entries: plan_and_write(&repo, session, &request, mine, dry_run)?,
        });
    }
    databases::one_entry_per_page(&mut plans);
    Ok(super::sync::report(
        &plans,
        dry_run,
        json.then_some(&answer),
        out,
    ))
}

/// Why a request moves no ticket: it names none, or it is merged or closed.
fn nothing_to_do(request: &Request) -> String {
    match request.state {
        State::Open => format!(
            "{}: its branch, title and commits name no ticket; nothing to do\n",
            request.url
        ),
        State::Merged => format!(
            "{} is merged: its tickets are left to the merge rules\n",
            request.url
        ),
        State::Closed => format!(
            "{} is closed: its tickets are left to the merge rules\n",
            request.url
        ),
    }
}

/// The plan of what the request asks of each ticket (its pages found in one batch), written unless
/// `dry_run`.
fn plan_and_write(
    repo: &Repo,
    session: &Session,
    request: &Request,
    keys: Vec<crate::rules::tickets::TicketKey>,
    dry_run: bool,
) -> Result<Vec<plan::Entry>, Error> {
    let head = match request.head.as_deref().map(|h| repo.resolve(h)) {
        Some(Ok(c)) => c,
        _ => repo.resolve("HEAD")?,
    };
    let binding = &session.binding;
    let mut found = crate::pipeline::lookup::find_many(
        &session.client,
        binding,
        &session.rules.extractor,
        &keys,
    );
    let on_review = session.config.status.on_review.as_deref();
    let mut entries: Vec<plan::Entry> = keys
        .into_iter()
        .map(|key| {
            let f = found
                .remove(&key)
                .unwrap_or(Ok(crate::pipeline::lookup::Found::Nothing));
            let desired = request.desired(key, on_review, head.clone());
            let mut e = plan::entry(binding, session.config.title.policy, desired, f, None);
            e.database = session.name();
            e
        })
        .collect();
    if !dry_run {
        session.apply(&mut entries);
    }
    Ok(entries)
}
