//! `[[databases]]`: several databases in one configuration. Each table holds one database's own settings
//! (`database`, `data_source`, `name`, `[tickets]`, `[properties]`, `[status]`, `[title]`, `[create]`,
//! `[branches]`, `[people]`) over the shared ones at the top of the file; a top-level `database` is the
//! first database. A key belongs to the first database whose patterns find exactly it.

use super::{merge, Compiled, Config, ConfigError};

/// Settings every database shares: one flusher, one rate limit, one commit check, one remote.
const SHARED: [&str; 5] = ["api", "hooks", "commit", "commit_url_template", "databases"];

/// A database's own name: not inherited from the top level by the tables.
const OWN: [&str; 3] = ["database", "data_source", "name"];

/// With `[[databases]]` in the files, a `database` from the environment or the command line picks one of
/// them (taken out of those layers here). Returns where it came from and the value.
pub(super) fn pick(
    files: &toml::Table,
    env: &mut toml::Table,
    flags: &mut toml::Table,
) -> Option<(String, String)> {
    if !files.contains_key("databases") {
        return None;
    }
    let from_env = env.remove("database");
    let (origin, value) = match (flags.remove("database"), from_env) {
        (Some(v), _) => ("--database", v),
        (None, Some(v)) => ("GIT_NOTION_DATABASE", v),
        (None, None) => return None,
    };
    Some((origin.to_string(), value.as_str()?.to_string()))
}

/// Every database of a configuration with `[[databases]]` (`merged`: its layers merged), each checked
/// as a configuration of one database.
pub(super) fn each(top: &Config, mut merged: toml::Table) -> Result<Vec<Config>, ConfigError> {
    merged.remove("databases");
    let mut base = merged;
    for k in OWN {
        base.remove(k);
    }
    let mut out = vec![];
    if top.database.is_some() {
        let mut first = top.clone();
        first.tables = vec![];
        out.push(first);
    }
    for (i, table) in top.tables.iter().enumerate() {
        let which = table
            .get("name")
            .and_then(|v| v.as_str())
            .map(|n| format!("{n:?}"))
            .unwrap_or_else(|| format!("#{}", i + 1));
        let bad = |problem: String| ConfigError::BadDatabases {
            which: which.clone(),
            problem,
        };
        if let Some(k) = table.keys().find(|k| SHARED.contains(&k.as_str())) {
            return Err(bad(format!(
                "`{k}` is shared by every database: set it at the top level of the file, not in a \
                 [[databases]] table"
            )));
        }
        let mut m = base.clone();
        merge(&mut m, table.clone());
        let mut c: Config = m
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string().trim_end().to_string()))?;
        if c.database.is_none() {
            return Err(bad(
                "it names no `database`: each table names its database (a URL or id)".into(),
            ));
        }
        c.checked()?;
        out.push(c);
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[..i] {
            let same_source = super::database_id(a.database.as_deref().unwrap_or_default())
                == super::database_id(b.database.as_deref().unwrap_or_default())
                && a.data_source == b.data_source;
            let same_name = a.name.is_some() && a.name == b.name;
            if same_source || same_name {
                return Err(ConfigError::BadDatabases {
                    which: a.label().unwrap_or_default(),
                    problem: format!(
                        "it is listed twice (the same {}): give each database its own",
                        if same_name { "name" } else { "database" }
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// Gives each database, and the whole configuration, every database's patterns in order: each finds
/// only the keys that are its own, the whole configuration (the hooks) every database's.
pub(super) fn route(config: &mut Config) -> Result<(), ConfigError> {
    let own = config
        .each
        .iter()
        .map(|c| {
            c.patterns("configuration")
                .map(|p| (p.patterns, p.unique_id))
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, c) in config.each.iter_mut().enumerate() {
        let mut p = c.patterns("configuration")?;
        p.databases = own.clone();
        p.database = Some(i);
        c.compiled = Compiled(Some(p));
    }
    let mut p = config.patterns("configuration")?;
    p.databases = own;
    p.database = None;
    config.compiled = Compiled(Some(p));
    Ok(())
}

/// Keeps the one database `value` names (its `name`, its id or URL, or its data source).
pub(super) fn keep_picked(
    config: &mut Config,
    origin: &str,
    value: &str,
) -> Result<(), ConfigError> {
    let wanted = super::database_id(value);
    let names = |c: &Config| {
        c.name.as_deref() == Some(value)
            || c.data_source.as_deref() == Some(value)
            || (wanted.is_some()
                && wanted == super::database_id(c.database.as_deref().unwrap_or_default()))
    };
    if !config.each.iter().any(names) {
        return Err(ConfigError::NoSuchDatabase {
            origin: origin.to_string(),
            value: value.to_string(),
            names: config
                .each
                .iter()
                .filter_map(Config::label)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    config.each.retain(names);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Env, Layer, Overrides};
    use super::*;
    use crate::rules::tickets::{Extractor, TicketKey};

    const TWO: &str = r#"
database = "11111111111111111111111111111111"
name = "Bugs"
[tickets]
id_prefixes = ["BUG"]
[properties]
status = "Status"
[status]
on_merge = "Fixed"

[[databases]]
name = "Tasks"
database = "22222222222222222222222222222222"
[databases.tickets]
id_prefixes = ["TASK"]
[databases.status]
on_merge = "Done"
"#;

    fn load(text: &str, overrides: &Overrides) -> Result<Config, ConfigError> {
        let layer = Layer {
            origin: ".git-notion.toml".into(),
            text: text.into(),
        };
        Config::from_sources(&[layer], &Env::from_pairs::<&str, &str>([]), overrides)
    }

    fn keys(c: &Config, text: &str) -> Vec<String> {
        Extractor::of(c)
            .unwrap()
            .extract(text)
            .iter()
            .map(TicketKey::to_string)
            .collect()
    }

    #[test]
    fn each_table_is_a_database_over_the_shared_settings_and_the_top_one_comes_first() {
        let c = load(TWO, &Overrides::default()).unwrap();
        assert!(c.several());
        let dbs = c.databases();
        let names: Vec<_> = dbs.iter().map(|d| d.label().unwrap()).collect();
        assert_eq!(names, ["Bugs", "Tasks"]);
        // Shared: the properties; its own: the status rules, the prefixes (the top's `#n` pattern too,
        // a default both share, but the first database takes every `#n`).
        assert_eq!(dbs[1].properties.status.as_deref(), Some("Status"));
        assert_eq!(dbs[1].status.on_merge.as_deref(), Some("Done"));
        assert_eq!(dbs[1].tickets.id_prefixes, ["TASK"]);
        assert_eq!(dbs[0].status.on_merge.as_deref(), Some("Fixed"));
        assert_eq!((dbs[0].position(), dbs[1].position()), (0, 1));
        // Each finds its own keys; the whole configuration (the hooks) every database's.
        let text = "fixes BUG-2 and TASK-3, refs #12";
        assert_eq!(keys(dbs[0], text), ["BUG-2", "#12"]);
        assert_eq!(keys(dbs[1], text), ["TASK-3"]);
        assert_eq!(keys(&c, text), ["BUG-2", "TASK-3", "#12"]);
        // A page link is every database's to look for.
        let link = "see https://www.notion.so/acme/X-0123456789abcdef0123456789abcdef";
        assert_eq!(keys(dbs[0], link), keys(dbs[1], link));
    }

    #[test]
    fn the_same_text_found_by_two_databases_is_the_first_ones() {
        let text = TWO.replace(
            "id_prefixes = [\"TASK\"]",
            "id_prefixes = [\"TASK\", \"BUG\"]",
        );
        let c = load(&text, &Overrides::default()).unwrap();
        let dbs = c.databases();
        assert_eq!(keys(dbs[0], "BUG-7 TASK-1"), ["BUG-7"]);
        assert_eq!(keys(dbs[1], "BUG-7 TASK-1"), ["TASK-1"]);
        assert_eq!(keys(&c, "BUG-7 TASK-1"), ["BUG-7", "TASK-1"]);
    }

    #[test]
    fn a_table_that_cannot_be_a_database_is_refused_with_what_to_do() {
        let shared = format!("{TWO}[databases.api]\nburst = 9\n");
        let e = load(&shared, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("`api` is shared by every database"), "{e}");
        let nameless = format!("{TWO}\n[[databases]]\nname = \"Docs\"\n");
        let e = load(&nameless, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"Docs\": it names no `database`"), "{e}");
        let twice = format!(
            "{TWO}\n[[databases]]\nname = \"Again\"\ndatabase = \"22222222-2222-2222-2222-222222222222\"\n"
        );
        let e = load(&twice, &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("listed twice (the same database)"), "{e}");
        let unknown = format!("{TWO}[databases.status]\non_mrege = \"Done\"\n");
        assert!(load(&unknown, &Overrides::default()).is_err());
        let secret = format!("{TWO}[databases.properties]\ntoken = \"x\"\n");
        let e = load(&secret, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("databases[0].properties.token"), "{e}");
    }

    #[test]
    fn database_on_the_command_line_picks_one_of_them() {
        let pick = |value: &str| {
            load(
                TWO,
                &Overrides {
                    database: Some(value.into()),
                    ..Overrides::default()
                },
            )
        };
        let tasks = pick("Tasks").unwrap();
        let labels: Vec<_> = tasks.databases().iter().map(|d| d.label()).collect();
        assert_eq!(labels, [Some("Tasks".to_string())]);
        // Still routed as configured: Bugs' keys are not Tasks'.
        assert_eq!(keys(tasks.databases()[0], "BUG-1 TASK-1"), ["TASK-1"]);
        let by_id = pick("https://www.notion.so/acme/11111111111111111111111111111111").unwrap();
        assert_eq!(by_id.databases()[0].label().as_deref(), Some("Bugs"));
        let e = pick("Docs").unwrap_err().to_string();
        assert!(
            e.contains("\"Docs\" is none of the configured databases (Bugs, Tasks)"),
            "{e}"
        );
    }
}
