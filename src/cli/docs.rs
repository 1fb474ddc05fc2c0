//! Documentation as git users expect it: man pages (`git notion --help` and `git help notion` open
//! `man git-notion`) and shell completions that also work through git's own (`git notion sy<TAB>`), both
//! generated from the clap definitions so that they never drift from the commands.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::ReplayCli;
use super::Error;
use super::{Cli, Exit};

/// Writes `git-notion.1`, one page per subcommand (`git-notion-sync.1`, …) and `git-notion-replay.1`
/// into `dir` (created if needed); returns the files written.
pub(super) fn man_pages(dir: &Path) -> Result<Vec<String>, Error> {
    let io = |what: &str| {
        let what = format!("{what} in {}", dir.display());
        move |source| Error::Io { what, source }
    };
    std::fs::create_dir_all(dir).map_err(io("create the man page directory"))?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(io("write the man pages"))?;
    clap_mangen::Man::new(ReplayCli::command().name("git-notion-replay"))
        .generate_to(dir)
        .map_err(io("write the man page of git-notion-replay"))?;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io("list the man pages"))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("git-notion") && n.ends_with(".1"))
        .collect();
    names.sort();
    Ok(names)
}

/// git's bash completion calls `_git_<command>` for `git <command> …`, with its own `words` and `cword`:
/// these shims hand the line to clap's functions as if `git-notion …` had been typed.
const BASH_GIT_SHIMS: &str = r#"
# `git notion …` and `git notion-replay …` through git's own completion (it calls _git_<command>).
_git_notion() {
    local COMP_WORDS=(git-notion "${words[@]:2}")
    local COMP_CWORD=$((cword - 1))
    _git__notion git-notion "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
_git_notion_replay() {
    local COMP_WORDS=(git-notion-replay "${words[@]:2}")
    local COMP_CWORD=$((cword - 1))
    _git__notion__replay git-notion-replay "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;

/// The completion script for `shell`: `git-notion` and `git-notion-replay`, and for bash the shims into
/// git's completion.
pub(super) fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    // Hidden commands (`manpages`, for install.sh) are not offered: clap_complete lists them otherwise.
    let full = Cli::command();
    let mut visible = clap::Command::new("git-notion").version(env!("CARGO_PKG_VERSION"));
    for s in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        visible = visible.subcommand(s.clone());
    }
    clap_complete::generate(shell, &mut visible, "git-notion", &mut out);
    clap_complete::generate(
        shell,
        &mut ReplayCli::command(),
        "git-notion-replay",
        &mut out,
    );
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if shell == Shell::Bash {
        // clap_complete names a hyphenated command's subcommand states two ways
        // (`git__notion__subcmd__sync` when set, `git__subcmd__notion__subcmd__sync` when matched), so no
        // subcommand's options would complete; one spelling (tested in tests/integration/docs.rs).
        text = text.replace("git__subcmd__notion__subcmd__", "git__notion__subcmd__");
        text.push_str(BASH_GIT_SHIMS);
    }
    text
}

pub(super) fn completions_cmd(shell: Shell, out: &super::Out) -> Result<Exit, Error> {
    out.print(&completions(shell));
    Ok(Exit::Done)
}

pub(super) fn man_cmd(dir: &Path, out: &super::Out) -> Result<Exit, Error> {
    let names = man_pages(dir)?;
    out.print(&format!(
        "wrote {} man page(s) to {}: {}\n",
        names.len(),
        dir.display(),
        names.join(" ")
    ));
    Ok(Exit::Done)
}
