//! What hook managers' configurations say, parsed as YAML (a comment naming git-notion runs nothing):
//! whether lefthook runs git-notion for a hook, and for which stages the pre-commit framework does.

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

/// lefthook's configuration files, the local one last.
pub const LEFTHOOK_FILES: [&str; 6] = [
    "lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yml",
    ".lefthook.yaml",
    "lefthook-local.yml",
    ".lefthook-local.yml",
];

/// The pre-commit framework's configuration files.
pub const PRE_COMMIT_FILES: [&str; 2] = [".pre-commit-config.yaml", ".pre-commit-config.yml"];

fn load(path: &Path) -> Vec<Yaml> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| YamlLoader::load_from_str(&t).ok())
        .unwrap_or_default()
}

fn calls_us(v: &Yaml) -> bool {
    v.as_str().is_some_and(|s| s.contains("git-notion"))
}

/// Whether lefthook runs git-notion in hook `name`: a command (`commands:`) or job (`jobs:`, also in
/// groups) whose `run` calls it.
pub fn lefthook_runs(root: &Path, name: &str) -> bool {
    fn jobs_run(jobs: &Yaml) -> bool {
        jobs.as_vec().is_some_and(|jobs| {
            jobs.iter()
                .any(|j| calls_us(&j["run"]) || jobs_run(&j["group"]["jobs"]))
        })
    }
    LEFTHOOK_FILES.iter().any(|f| {
        load(&root.join(f)).iter().any(|doc| {
            let hook = &doc[name];
            let commands = hook["commands"]
                .as_hash()
                .is_some_and(|c| c.values().any(|c| calls_us(&c["run"])));
            commands || jobs_run(&hook["jobs"])
        })
    })
}

/// Whether the pre-commit framework runs git-notion at stage `name` (`post-commit`, `post-merge`,
/// `post-rewrite`): a hook whose id or entry names git-notion, with that stage among its `stages` (our
/// manifest's three when it gives none).
pub fn pre_commit_runs(root: &Path, name: &str) -> bool {
    PRE_COMMIT_FILES.iter().any(|f| {
        load(&root.join(f)).iter().any(|doc| {
            doc["repos"].as_vec().is_some_and(|repos| {
                repos.iter().any(|r| {
                    r["hooks"].as_vec().is_some_and(|hooks| {
                        hooks.iter().any(|h| {
                            let ours = calls_us(&h["id"]) || calls_us(&h["entry"]);
                            let stage = match h["stages"].as_vec() {
                                Some(stages) => stages.iter().any(|s| s.as_str() == Some(name)),
                                None => crate::hooks::install::POST_HOOKS.contains(&name),
                            };
                            ours && stage
                        })
                    })
                })
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_runs_nothing_and_stages_count() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("lefthook.yml"),
            "# TODO: add git-notion\npost-commit:\n  commands:\n    lint:\n      run: cargo fmt # not git-notion\n\
             post-merge:\n  commands:\n    notion:\n      run: git-notion hook post-merge\n\
             reference-transaction:\n  jobs:\n    - group:\n        jobs:\n          - run: git-notion hook reference-transaction {0}\n",
        )
        .unwrap();
        assert!(!lefthook_runs(root, "post-commit"));
        assert!(lefthook_runs(root, "post-merge"));
        assert!(lefthook_runs(root, "reference-transaction"));
        assert!(!lefthook_runs(root, "post-rewrite"));
        std::fs::write(
            root.join(".pre-commit-config.yaml"),
            "repos:\n- repo: https://example.com/git-notion\n  rev: v1\n  hooks:\n  - id: git-notion\n    stages: [post-commit]\n",
        )
        .unwrap();
        assert!(pre_commit_runs(root, "post-commit"));
        assert!(!pre_commit_runs(root, "post-merge"));
        std::fs::write(
            root.join(".pre-commit-config.yaml"),
            "repos:\n- repo: local\n  hooks:\n  - id: notion\n    entry: git-notion hook auto\n    language: system\n",
        )
        .unwrap();
        assert!(
            pre_commit_runs(root, "post-rewrite"),
            "the manifest's stages by default"
        );
    }
}
