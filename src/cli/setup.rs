//! `git notion doctor`, `init` and `hooks`.

use super::Error;
use crate::config::Config;
use crate::git::Repo;

use super::*;

pub(super) fn doctor_cmd(
    json: bool,
    fix: crate::setup::doctor::Fix,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let repo = Repo::discover(&cwd).ok();
    let root = repo.as_ref().map_or(cwd, Repo::root);
    let config = Config::load(&root, user_config_path().as_deref(), env);
    let report = crate::setup::doctor::run(repo.as_ref(), config, env, fix);
    if json {
        out.json(report.json());
    } else {
        out.print(&printable(&report.render()));
    }
    Ok(Exit::partial_if(!report.ok))
}

pub(super) fn init_cmd(
    database: Option<String>,
    data_source: Option<String>,
    force: bool,
    stdout: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let path = repo.root().join(crate::config::FILE_NAME);
    if path.exists() && !force && !stdout {
        return Err(Error::Usage(format!(
            "{} exists; `git notion init --force` replaces it, `--stdout` prints a new one",
            path.display()
        )));
    }
    // The database from the flag, else the environment or the existing configuration.
    let existing = Config::load(&repo.root(), user_config_path().as_deref(), env).ok();
    let database = database
        .or_else(|| existing.as_ref().and_then(|c| c.database.clone()))
        .ok_or_else(|| {
            Error::Usage(
                "which database? `git notion init --database <Notion database URL or id>` (open the database in Notion, ••• → Copy link)"
                    .into(),
            )
        })?;
    let data_source = data_source.or_else(|| existing.as_ref().and_then(|c| c.data_source.clone()));
    let origin = repo.origin_url();
    let text =
        crate::setup::init::generate(&database, data_source.as_deref(), origin.as_deref(), env)?;
    if print_or_write(&path, &text, stdout, out)? {
        out.print(&wrote(&path, origin.as_deref()));
    }
    Ok(Exit::Done)
}

/// Prints the configuration (`--stdout`) or writes it; returns whether it was written.
fn print_or_write(
    path: &std::path::Path,
    text: &str,
    stdout: bool,
    out: &Out,
) -> Result<bool, Error> {
    if stdout {
        out.print(text);
        return Ok(false);
    }
    std::fs::write(path, text).map_err(|source| Error::Io {
        what: format!("write {}", path.display()),
        source,
    })?;
    Ok(true)
}

/// `git notion init --add`: one more database, as a `[[databases]]` table appended to the configuration
/// (proposed from its schema as `init` proposes a file), checked by loading the result before writing.
pub(super) fn add_cmd(
    database: String,
    data_source: Option<String>,
    name: Option<String>,
    stdout: bool,
    env: &crate::config::Env,
    out: &Out,
) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    let path = repo.root().join(crate::config::FILE_NAME);
    let existing = std::fs::read_to_string(&path).map_err(|_| {
        Error::Usage(format!(
            "{} does not exist: `git notion init --database …` writes the first database's",
            path.display()
        ))
    })?;
    let origin = repo.origin_url();
    let proposed =
        crate::setup::init::generate(&database, data_source.as_deref(), origin.as_deref(), env)?;
    let table = crate::setup::init::as_table(&proposed, name.as_deref())?;
    let text = format!(
        "{}\n\n# Added by `git notion init --add` from the database's schema. A key belongs to the \
         first\n# database whose [tickets] patterns or id_prefixes find it.\n{table}",
        existing.trim_end()
    );
    let layer = crate::config::Layer {
        origin: path.display().to_string(),
        text: text.clone(),
    };
    let loaded = Config::from_layers(&[layer], env)?;
    if !print_or_write(&path, &text, stdout, out)? {
        return Ok(Exit::Done);
    }
    let names: Vec<String> = loaded
        .databases()
        .iter()
        .filter_map(|c| c.label())
        .collect();
    out.print(&format!(
        "added a [[databases]] table to {} (review it, then commit it); databases now: {}
next: `git notion doctor`
",
        path.display(),
        names.join(", ")
    ));
    Ok(Exit::Done)
}

/// What `init` says once it wrote the file: where, what commit messages will skip, what next.
fn wrote(path: &std::path::Path, origin: Option<&str>) -> String {
    let skipped = crate::rules::conventions::defaults(origin.and_then(crate::git::links::forge))
        .iter()
        .map(|c| crate::rules::conventions::example(*c))
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "wrote {} (review it, then commit it: it holds no secret)\n\
         commit messages: these are a code host's numbers, not tickets ([tickets] ignore): {skipped}\n\
         next: `git notion doctor`\n",
        path.display()
    )
}

/// Why hooks are not installed in a bare repository.
pub(crate) const BARE: &str = "this is a bare repository: no commit is made in it, so git-notion's hooks \
     would never run here. Install them in a clone (`git notion hooks install` there), and let the CI \
     reconcile (`examples/`) bring what is pushed here up to date";

/// The binary the hooks run: the hooks' own (`git-notion-hook`, it starts faster) where it was installed
/// beside this one, else this one.
fn hook_binary() -> Result<std::path::PathBuf, Error> {
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|source| Error::Io {
            what: "tell where git-notion is installed".into(),
            source,
        })?;
    let hook_binary = binary.with_file_name(format!(
        "{}{}",
        crate::hooks::HOOK_BINARY,
        std::env::consts::EXE_SUFFIX
    ));
    Ok(if hook_binary.is_file() {
        hook_binary
    } else {
        binary
    })
}

/// Moves from now on are seen; what came before is the replay's (release tags too).
fn start_watching(repo: &Repo, env: &Env) {
    let outbox = crate::hooks::outbox::Outbox::new(repo.common_dir());
    let _ = outbox.start_tips(repo);
    if let Ok(config) = load_config(repo, env) {
        if let Ok(rules) = crate::rules::desired::Rules::new(&config, None) {
            let _ = crate::hooks::releases::catch_up(&outbox, repo, &rules);
        }
    }
}

pub(super) fn hooks_cmd(
    action: Option<HooksAction>,
    json: bool,
    env: &Env,
    out: &Out,
) -> Result<Exit, Error> {
    let repo = Repo::discover(&std::env::current_dir().unwrap_or_default())?;
    if repo.is_bare() && matches!(action, Some(HooksAction::Install { .. })) {
        return Err(Error::Usage(BARE.into()));
    }
    let hooks = crate::hooks::install::Hooks::of(&repo);
    let mut text = format!("hooks directory: {}\n", hooks.dir.display());
    let done = match action {
        None => {
            let states = hooks.states();
            if json {
                out.json(serde_json::json!({
                    "dir": hooks.dir.display().to_string(),
                    "hooks": states.iter().map(|(name, state)| {
                        serde_json::json!({"name": name, "state": state.describe(name)})
                    }).collect::<Vec<_>>(),
                }));
                return Ok(Exit::Done);
            }
            for (name, state) in states {
                text.push_str(&format!("  {name:<21}  {}\n", state.describe(name)));
            }
            out.print(&text);
            return Ok(Exit::Done);
        }
        Some(HooksAction::Install { every_move, post }) => {
            let _ = post;
            let binary = hook_binary()?;
            if every_move && !crate::hooks::install::git_has_reference_transaction() {
                return Err(Error::Usage(
                    "--every-move needs git 2.28 or later (reference-transaction); this git has only the \
                     post-* hooks, which `git notion hooks install` installs"
                        .into(),
                ));
            }
            let done = hooks.install(&binary, every_move);
            let configured = repo.root().join(crate::config::FILE_NAME).exists();
            if done.is_ok() && configured {
                start_watching(&repo, env);
            }
            done
        }
        Some(HooksAction::Uninstall) => hooks.uninstall(),
    };
    let done = done?;
    if json {
        out.json(serde_json::json!({
            "dir": hooks.dir.display().to_string(),
            "actions": done.iter().map(|(name, action)| {
                serde_json::json!({"name": name, "action": action.describe(name)})
            }).collect::<Vec<_>>(),
        }));
        return Ok(Exit::Done);
    }
    for (name, action) in done {
        text.push_str(&format!("  {name:<21}  {}\n", action.describe(name)));
    }
    out.print(&text);
    Ok(Exit::Done)
}
