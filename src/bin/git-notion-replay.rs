fn main() -> std::process::ExitCode {
    git_notion::cli::replay_main()
}
