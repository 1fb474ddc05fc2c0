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

/// The largest hook-manager file read (real ones are a few KiB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024;
/// The most nodes a hook-manager file may hold with its aliases expanded: an alias bomb (a few hundred
/// bytes naming an anchor that names an anchor …) is refused before anything is expanded.
pub const MAX_NODES: u64 = 100_000;

/// Why a hook-manager file cannot be read safely (None when it can, or does not exist).
fn refusal(path: &Path) -> Option<String> {
    let len = std::fs::metadata(path).ok()?.len();
    if len > MAX_FILE_BYTES {
        return Some(format!(
            "{} is {len} bytes, over the {MAX_FILE_BYTES} git-notion reads; it was not read",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).ok()?;
    match expanded_nodes(&text) {
        Ok(n) if n <= MAX_NODES => None,
        Ok(_) => Some(format!(
            "{} expands to more than {MAX_NODES} YAML nodes through its aliases (an alias bomb?); it was not expanded",
            path.display()
        )),
        Err(e) => Some(format!("{} is not valid YAML: {e}", path.display())),
    }
}

/// How many nodes `text` holds with every alias expanded, counted from the parser's events without
/// expanding anything (stops counting past [`MAX_NODES`]).
fn expanded_nodes(text: &str) -> Result<u64, yaml_rust2::ScanError> {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(text);
    let mut anchors: std::collections::HashMap<usize, u64> = Default::default();
    // Open collections: (anchor, nodes so far); the bottom one is the stream.
    let mut open: Vec<(usize, u64)> = vec![(0, 0)];
    loop {
        let (event, _) = parser.next_token()?;
        let (anchor, nodes) = match event {
            Event::StreamEnd => break,
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, 1));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(done) if !open.is_empty() => done,
                _ => continue,
            },
            Event::Scalar(_, _, anchor, _) => (anchor, 1),
            Event::Alias(id) => (0, anchors.get(&id).copied().unwrap_or(1)),
            _ => continue,
        };
        if anchor > 0 {
            anchors.insert(anchor, nodes);
        }
        if let Some(top) = open.last_mut() {
            top.1 = top.1.saturating_add(nodes);
        }
        if open.iter().map(|o| o.1).fold(0u64, u64::saturating_add) > MAX_NODES {
            return Ok(MAX_NODES + 1);
        }
    }
    Ok(open.iter().map(|o| o.1).fold(0u64, u64::saturating_add))
}

fn load(path: &Path) -> Vec<Yaml> {
    if refusal(path).is_some() {
        return vec![];
    }
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| YamlLoader::load_from_str(&t).ok())
        .unwrap_or_default()
}

/// What cannot be read of the hook managers' files under `root` (too large, an alias bomb, not YAML):
/// said by `doctor` and `hooks install`, never expanded.
pub fn problems(root: &Path) -> Vec<String> {
    LEFTHOOK_FILES
        .iter()
        .chain(PRE_COMMIT_FILES.iter())
        .filter_map(|f| refusal(&root.join(f)))
        .collect()
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
                                None => crate::hooks::POST_HOOKS.contains(&name),
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
    fn an_alias_bomb_is_counted_not_expanded() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i];
            let refs = vec![format!("*{prev}"); 9].join(",");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        assert!(expanded_nodes(&bomb).unwrap() > MAX_NODES);
        // The mapping, "a", the list of two, "b", the list again through the alias.
        assert_eq!(
            expanded_nodes("a: &x [1, 2]\nb: *x\n").unwrap(),
            1 + 1 + 3 + 1 + 3
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lefthook.yml"), &bomb).unwrap();
        assert!(!lefthook_runs(dir.path(), "post-commit"));
        let p = problems(dir.path());
        assert!(p.len() == 1 && p[0].contains("alias bomb"), "{p:?}");
    }

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
