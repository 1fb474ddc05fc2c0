//! `git-notion-hook`: the hooks' own binary (the fast path; the rest is handed to `git-notion`).

fn main() -> std::process::ExitCode {
    git_notion::cli::hook_main()
}
