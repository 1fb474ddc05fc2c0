//! The environment as git-notion reads it: built once, from the process or from a test's pairs, and
//! handed down to whatever reads a variable (the configuration, the token, the hooks, the output).

/// Environment variables, UTF-8 only. A variable that is not UTF-8 is left out, and its name kept: the
/// ones git-notion reads are errors ([`Env::not_utf8_settings`]), never silently skipped.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: Vec<(String, String)>,
    not_utf8: Vec<String>,
}

impl Env {
    /// This process's environment.
    pub fn from_process() -> Env {
        let mut env = Env::default();
        for (k, v) in std::env::vars_os() {
            match (k.into_string(), v.into_string()) {
                (Ok(k), Ok(v)) => env.vars.push((k, v)),
                (Ok(k), Err(_)) => env.not_utf8.push(k),
                _ => {}
            }
        }
        env
    }

    /// An environment of these pairs (tests, and settings given as flags).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            not_utf8: vec![],
        }
    }

    /// The variable's value as set (possibly empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The variable's value when it is set and not empty (an empty variable counts as unset).
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// `GIT_NOTION_SKIP` is set (and not `0`): hooks do nothing for this git command.
    pub fn skipping(&self) -> bool {
        self.value("GIT_NOTION_SKIP").is_some_and(|v| v != "0")
    }

    /// The variables, in order (a later one of the same name wins).
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Variables git-notion reads (`GIT_NOTION_*`, the token's) whose value is not UTF-8.
    pub fn not_utf8_settings(&self) -> Vec<String> {
        self.not_utf8
            .iter()
            .filter(|k| {
                k.starts_with("GIT_NOTION_") || super::TOKEN_VARIABLES.contains(&k.as_str())
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_setting_wins_and_an_empty_one_counts_as_unset() {
        let env = Env::from_pairs([("A", "1"), ("B", ""), ("A", "2")]);
        assert_eq!(env.get("A"), Some("2"));
        assert_eq!(env.get("B"), Some(""));
        assert_eq!(env.value("B"), None);
        assert_eq!(env.value("C"), None);
    }
}
