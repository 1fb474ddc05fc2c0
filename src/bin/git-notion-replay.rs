use clap::Parser;

/// Repair a drifted Notion database from git history (dry-run first, then --apply).
///
/// Not built yet; see README.md.
#[derive(Parser)]
#[command(name = "git-notion-replay", version, about, long_about)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
    println!(
        "git-notion-replay {}: not built yet; see README.md",
        env!("CARGO_PKG_VERSION")
    );
}
