//! The checks of this repository: who runs the hooks, and whether the outbox can be written.

use super::*;

pub(super) fn hook_check(r: &mut Report, repo: &Repo) {
    use crate::hooks::install::Coverage;
    if repo.is_bare() {
        r.fail(
            "hooks",
            "a bare repository: no commit is made here, so hooks would never run".to_string(),
            "install the hooks in a clone (`git notion hooks install` there); the CI reconcile in \
             `examples/` brings what is pushed here up to date"
                .to_string(),
        );
        return;
    }
    let hooks = Hooks::of(repo);
    let states = hooks.states();
    let all = describe(&states);
    let missing = match hooks.coverage() {
        Coverage::Every => {
            r.ok(
                "hooks",
                format!(
                    "every branch move is seen as it happens ({} in {}); reference-transaction runs in \
                     every reference transaction, which makes a 200-commit rebase several times slower: \
                     `git notion hooks install` installs the post-* hooks instead, which see every branch \
                     move at the next commit, merge, rewrite, checkout or flush",
                    all,
                    hooks.dir.display()
                ),
            );
            return;
        }
        Coverage::PostHooks => {
            r.ok(
                "hooks",
                format!(
                    "every branch move is seen at the next commit, merge, rewrite, checkout or flush \
                     (commits, merges and rewrites at once; a `reset`, `update-ref` or fetch when the \
                     next hook runs) ({}; in {}); `git notion hooks install --every-move` installs \
                     reference-transaction, which sees each move as it happens but runs in every \
                     reference transaction (a rebase several times slower)",
                    all,
                    hooks.dir.display()
                ),
            );
            return;
        }
        Coverage::Missing(m) => m,
    };
    let managed = states.iter().find_map(|(_, s)| match s {
        State::Managed { manager, .. } => Some(*manager),
        _ => None,
    });
    let fix = match managed {
        Some(m) => format!(
            "add git-notion to {}'s configuration:\n{}",
            m.name(),
            hooks.snippet(m)
        ),
        None => "run `git notion hooks install` here (or ./install.sh from this repository)".into(),
    };
    let unreadable: String = crate::hooks::managers::problems(&repo.root())
        .iter()
        .map(|p| format!("; {p}"))
        .collect();
    r.fail(
        "hooks",
        format!(
            "git-notion does not run from {} ({}; in {}){unreadable}",
            missing.join(", "),
            all,
            hooks.dir.display()
        ),
        fix,
    );
}

/// Each hook's state, hooks in the same state named together (`post-commit, post-merge: linked to …`).
fn describe(states: &[(&str, State)]) -> String {
    let mut groups: Vec<(String, Vec<&str>)> = vec![];
    for (n, s) in states {
        let d = s.describe(n);
        match groups.iter_mut().find(|(g, _)| *g == d) {
            Some((_, names)) => names.push(n),
            None => groups.push((d, vec![n])),
        }
    }
    groups
        .iter()
        .map(|(d, names)| format!("{}: {d}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn outbox_check(r: &mut Report, repo: &Repo) {
    let ob = Outbox::new(repo.common_dir());
    if let Err(e) = ob.writable() {
        r.fail(
            "outbox",
            format!("the hooks cannot queue updates: {e}"),
            "make the directory writable (or free disk space); then `git notion-replay --apply` brings \
             the tickets of commits made meanwhile up to date",
        );
        return;
    }
    let (pending, failed) = match ob.lock().and_then(|g| Ok((g.pending()?, g.failed()?))) {
        Ok(x) => x,
        Err(e) => {
            r.fail(
                "outbox",
                e.to_string(),
                "see `git notion status`; a damaged file is set aside and can be deleted after review",
            );
            return;
        }
    };
    let damaged = ob.damaged();
    if !failed.is_empty() || !damaged.is_empty() {
        let mut detail = format!(
            "{} failed update(s), {} damaged file(s)",
            failed.len(),
            damaged.len()
        );
        for f in failed.iter().take(5) {
            detail.push_str(&format!(
                "\n      {} {}: {}",
                f.key,
                &f.event.commit.id[..12.min(f.event.commit.id.len())],
                f.reason
            ));
        }
        for d in &damaged {
            detail.push_str(&format!("\n      damaged: {}", d.display()));
        }
        r.fail(
            "outbox",
            detail,
            "fix the cause, then `git notion retry` (or `git notion clear`); delete damaged files after review",
        );
    } else if !pending.events.is_empty() {
        r.push(
            "outbox",
            Level::Warn,
            format!(
                "{} update(s) waiting to be delivered (`git notion status`)",
                pending.events.len()
            ),
            Some("`git notion flush` delivers them now".into()),
        );
    } else {
        r.ok("outbox", "empty");
    }
}

/// The local index of the database's keys (what commit time reads): how old it is. A missing or stale one
/// is a warning, never a failure (commit time then checks nothing it cannot be sure of).
pub(super) fn index_check(r: &mut Report, repo: &Repo, positions: &[usize]) {
    use crate::pipeline::key_index::KeyIndex;
    let now = jiff::Timestamp::now().as_second();
    match KeyIndex::read_all(Outbox::new(repo.common_dir()).dir(), positions) {
        Some(ix) if ix.fresh(now) => r.ok("index", ix.describe(now)),
        Some(ix) => r.push(
            "index",
            Level::Warn,
            ix.describe(now),
            Some(
                "`git notion index --refresh` reads the data source whole (commit time then knows a \
                 mistyped key for certain)"
                    .into(),
            ),
        ),
        None => r.push(
            "index",
            Level::Warn,
            "no local index of the database's keys yet",
            Some(
                "`git notion index --refresh` (or the next flush, sync or replay) writes it; commit time \
                 uses it to name each ticket's page and catch mistyped keys"
                    .into(),
            ),
        ),
    }
}
