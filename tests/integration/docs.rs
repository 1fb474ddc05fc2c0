//! Documentation as git users expect it: `git notion --help` and `git help notion` open the man pages
//! (generated from the clap definitions), and shell completion works for `git-notion …` and, through
//! git's own bash completion, for `git notion …`.

use std::path::Path;
use std::process::Command;

use crate::util::*;

/// `git notion --help`, `git help notion-replay` and `man git-notion-sync`, with the pages where
/// install.sh puts them.
#[test]
fn git_help_opens_the_generated_man_pages() {
    let w = World::new("zh", "");
    let man = w.repo.parent().unwrap().join("share/man");
    let out = w.run(&["manpages", man.join("man1").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("git-notion-replay.1"),
        "{}",
        stdout(&out)
    );
    let help = |args: &[&str]| {
        let out = w
            .command(Path::new("git"))
            .args(args)
            .env("MANPATH", &man)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .env("GIT_PAGER", "cat")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let page = help(&["notion", "--help"]);
    assert!(
        page.contains("git-notion - Keep a Notion ticket database true from git"),
        "{page}"
    );
    assert!(page.contains("sync"), "{page}");
    let page = help(&["help", "notion-replay"]);
    assert!(page.contains("--read"), "{page}");
    let out = w
        .command(Path::new("man"))
        .arg("git-notion-sync")
        .env("MANPATH", &man)
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("--dry-run"), "{}", stderr(&out));
}

/// The bash completion of `git-notion` and, through git's completion (`_git_notion`), of `git notion`.
#[test]
fn bash_completes_git_notion_and_git_notion_replay() {
    let w = World::new("zh", "");
    let script = w.repo.parent().unwrap().join("git-notion.bash");
    let out = w.run(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::write(&script, &out.stdout).unwrap();
    let git_completion = [
        "/usr/share/bash-completion/completions/git",
        "/etc/bash_completion.d/git",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists())
    .expect("git's bash completion (Debian's git package ships it)");
    let driver = format!(
        r#"source {git_completion}
source {script}
through_git() {{
  COMP_LINE="$1"; COMP_POINT=${{#COMP_LINE}}
  read -r -a COMP_WORDS <<< "$COMP_LINE"
  [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
  COMPREPLY=()
  __git_wrap__git_main
  echo "$1|${{COMPREPLY[*]}}"
}}
direct() {{
  read -r -a COMP_WORDS <<< "$1"
  [[ "$1" == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
  COMPREPLY=()
  _git__notion git-notion "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
  echo "$1|${{COMPREPLY[*]}}"
}}
through_git "git notion sy"
through_git "git notion sync --dr"
through_git "git notion hooks "
through_git "git notion-replay --re"
direct "git-notion undo --ap"
"#,
        script = script.display()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&driver)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(
        text,
        "git notion sy|sync\n\
         git notion sync --dr|--dry-run\n\
         git notion hooks |-h --json --help install uninstall help\n\
         git notion-replay --re|--reset --read\n\
         git-notion undo --ap|--apply\n",
        "{}",
        stderr(&out)
    );
    // zsh and fish scripts are generated too.
    for shell in ["zsh", "fish"] {
        let out = w.run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stdout(&out).contains("git-notion-replay"), "{shell}");
    }
}

/// Colour and terminal control follow `--color`, `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` and `TERM=dumb`
/// (no-color.org, bixense.com/clicolors), checked on a pseudo-terminal (util-linux `script`) and on a
/// pipe.
#[test]
fn colour_and_live_progress_follow_the_terminal_and_the_environment() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    let replay = bin("git-notion-replay");
    let on_terminal = |envs: &[(&str, &str)], args: &str| {
        let mut c = w.command(Path::new("script"));
        c.args([
            "-q",
            "-e",
            "-c",
            &format!("{} {args}", replay.display()),
            "/dev/null",
        ])
        .env("TERM", "xterm");
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let on_pipe = |envs: &[(&str, &str)], args: &[&str]| {
        let mut c = w.command(&replay);
        c.args(args).env("TERM", "xterm");
        for (k, v) in envs {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        format!("{}{}", stdout(&out), stderr(&out))
    };
    let bold = "\x1b[1m";
    let text = on_terminal(&[], "");
    // Colour, and the live progress (indicatif: a spinner while scanning, cleared after).
    assert!(text.contains(bold) && text.contains("\x1b[2K"), "{text:?}");
    assert!(text.contains("scanning 工单: 38 rows"), "{text:?}");
    for (envs, args) in [
        (&[("NO_COLOR", "1")][..], ""),
        (&[("TERM", "dumb")][..], ""),
        (&[("CLICOLOR", "0"), ("TERM", "dumb")][..], ""),
        (&[][..], "--color never"),
    ] {
        let text = on_terminal(envs, args);
        assert!(!text.contains('\x1b'), "{envs:?} {args}: {text:?}");
        assert!(text.contains("would update"), "{text:?}");
        // One summary: the replay's own block, not the plan's line as well.
        assert!(!text.contains("would change"), "{text:?}");
        assert_eq!(text.matches("dry run").count(), 1, "{text:?}");
    }
    assert!(!on_pipe(&[], &[]).contains('\x1b'));
    assert!(on_pipe(&[], &["--color", "always"]).contains(bold));
    assert!(on_pipe(&[("CLICOLOR_FORCE", "1")], &[]).contains(bold));
    assert!(!on_pipe(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]).contains('\x1b'));
}

/// The configuration reference in docs/configuration.md is a configuration git-notion loads as written
/// (every key exists, every value is in range), and it says what the defaults are.
#[test]
fn the_configuration_reference_loads_as_written() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/configuration.md"
    ))
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &doc[start..start + doc[start..].find("\n```").unwrap()];
    assert!(block.contains("version = \"2026-03-11\""), "{block}");
    let w = World::new("zh", block);
    w.commit_without_hook("feat: #006 secrets");
    let out = w.run(&["explain", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
