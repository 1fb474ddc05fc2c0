//! git-notion: keep a Notion ticket database true from git.
//!
//! One pipeline serves every command: commit source (`git`) → ticket refs and desired state (`rules`)
//! → plan and apply (`pipeline`, over the Notion API in `notion`). The hooks (`hooks`) and the
//! history replay (`replay`) are two ways of feeding it; `setup` is onboarding (`init`, `doctor`);
//! `cli` is the command line, and the only place that maps errors to exit codes.
//!
//! Errors are typed per layer and wrap the layer below: `notion`'s `ApiError` and `SchemaError`, `git`'s
//! `GitError` and `config`'s `ConfigError` → `pipeline::Error` → `hooks::HookError` (with the outbox's
//! and install's) and `replay::ReplayError` (with the journal's) → `cli::Error`, which owns
//! `exit_code()`. The crate root holds no items of its own.
//!
//! Dependencies point one way: `cli` → everything; `hooks`, `replay`, `setup` → `pipeline` → `notion`,
//! `rules` → `git`; `config` is read by all. Nothing imports `cli`.

// No unwrap or expect outside tests: a hook must never panic. The few literal regexes that cannot fail say
// so where they are (`#[allow]` with a reason). Indexing is left to review: serde_json's `value["key"]`
// never panics and is everywhere.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// Every public item says what it is (CI denies warnings, so an undocumented one fails the build's lint).
#![warn(missing_docs)]

#[doc(hidden)]
pub mod bench;
pub mod cli;
pub(crate) mod config;
pub(crate) mod files;
#[doc(hidden)]
pub mod fuzz;
pub(crate) mod git;
pub(crate) mod hooks;
pub(crate) mod id;
pub(crate) mod notion;
pub(crate) mod pipeline;
pub(crate) mod replay;
pub(crate) mod rules;
pub(crate) mod setup;

#[cfg(test)]
mod layering {
    //! The folders' dependencies point one way (see the crate documentation): checked on the sources.

    /// Each folder (or top-level module) and what it may use besides itself.
    const ALLOWED: [(&str, &[&str]); 13] = [
        ("id", &[]),
        ("files", &[]),
        ("config", &["id"]),
        ("git", &["config", "id"]),
        ("rules", &["config", "git", "id"]),
        ("notion", &["config", "id"]),
        (
            "pipeline",
            &["config", "files", "git", "id", "notion", "rules"],
        ),
        (
            "hooks",
            &[
                "config", "files", "git", "id", "notion", "pipeline", "rules",
            ],
        ),
        (
            "replay",
            &[
                "config", "files", "git", "id", "notion", "pipeline", "rules",
            ],
        ),
        (
            "setup",
            &[
                "config", "git", "hooks", "id", "notion", "pipeline", "rules",
            ],
        ),
        ("bench", &["config", "git", "pipeline", "rules"]),
        (
            "fuzz",
            &[
                "config", "files", "git", "hooks", "id", "pipeline", "replay", "rules",
            ],
        ),
        (
            "cli",
            &[
                "config", "git", "hooks", "id", "notion", "pipeline", "replay", "rules", "setup",
            ],
        ),
    ];

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn folders_depend_one_way() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![];
        sources(&src, &mut files);
        let mut problems = vec![];
        for f in files {
            let rel = f.strip_prefix(&src).unwrap();
            let mut parts = rel.iter().map(|p| p.to_string_lossy().into_owned());
            let first = parts.next().unwrap();
            if first == "bin" || first == "lib.rs" {
                continue;
            }
            let folder = first.trim_end_matches(".rs").to_string();
            let allowed = ALLOWED
                .iter()
                .find(|(f, _)| *f == folder)
                .map(|(_, a)| *a)
                .unwrap_or_else(|| panic!("{folder} is not in the layering table"));
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // An item of the crate root (`crate::Error`) belongs to no layer: every layer's items
                // live in its folder.
                if name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    problems.push(format!(
                        "{} uses crate::{name} (the crate root)",
                        rel.display()
                    ));
                    continue;
                }
                if name == folder || allowed.contains(&name.as_str()) {
                    continue;
                }
                problems.push(format!("{} uses crate::{name}", rel.display()));
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Brace depth change of a line, braces inside string and character literals not counted.
    fn braces(line: &str, in_string: &mut bool) -> (i32, bool) {
        let (mut depth, mut opened) = (0, false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, *in_string) {
                ('\\', true) => {
                    chars.next();
                }
                ('"', _) => *in_string = !*in_string,
                (_, true) => {}
                ('/', false) if chars.peek() == Some(&'/') => break,
                ('\'', false) => {
                    // A character literal ('{', '\'', '\u{202E}') or a lifetime ('a): skip the literal.
                    let rest: String = chars.clone().take(2).collect();
                    if rest.starts_with('\\') {
                        chars.next();
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '\'' {
                                break;
                            }
                        }
                    } else if rest.chars().nth(1) == Some('\'') {
                        chars.nth(1);
                    }
                }
                ('{', false) => {
                    depth += 1;
                    opened = true;
                }
                ('}', false) => depth -= 1,
                _ => {}
            }
        }
        (depth, opened)
    }

    /// Every function of the library (tests aside) is at most 80 lines, and at most 5 % have 50 or more:
    /// a longer one does several jobs.
    #[test]
    fn functions_are_short() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![];
        sources(&src, &mut files);
        let (mut long, mut total, mut fifty) = (vec![], 0, 0);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text
                .split("\n#[cfg(test)]\nmod ")
                .next()
                .unwrap_or_default();
            let lines: Vec<&str> = code.lines().collect();
            let mut i = 0;
            while i < lines.len() {
                let words: Vec<&str> = lines[i].split_whitespace().collect();
                let at = words.iter().position(|w| *w == "fn");
                let is_fn = at.is_some_and(|a| {
                    words[..a]
                        .iter()
                        .all(|w| w.starts_with("pub") || ["const", "async", "unsafe"].contains(w))
                        && words.get(a + 1).is_some()
                });
                if !is_fn {
                    i += 1;
                    continue;
                }
                let (mut depth, mut opened, mut in_string) = (0, false, false);
                let mut j = i;
                while j < lines.len() {
                    let (d, o) = braces(lines[j], &mut in_string);
                    depth += d;
                    opened |= o;
                    if (opened && depth == 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                        break;
                    }
                    j += 1;
                }
                if opened {
                    total += 1;
                    fifty += usize::from(j - i + 1 >= 50);
                }
                if opened && j - i + 1 > 80 {
                    long.push(format!(
                        "{}:{} {} lines",
                        f.strip_prefix(&src).unwrap().display(),
                        i + 1,
                        j - i + 1
                    ));
                }
                i = j + 1;
            }
        }
        assert!(long.is_empty(), "functions over 80 lines: {long:#?}");
        assert!(
            fifty * 20 <= total,
            "{fifty} of {total} functions have 50 lines or more: at most 5 % may"
        );
    }
}
