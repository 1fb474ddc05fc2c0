use clap::Parser;

/// Keep a Notion ticket database true from git.
///
/// The hooks, `doctor`, `init`, `status`, `flush` and `undo` are being built; today this binary
/// only reports its version. Try the Notion stand-in meanwhile: `notion-sandbox --seed zh`.
#[derive(Parser)]
#[command(name = "git-notion", version, about, long_about)]
struct Cli {}

fn main() {
    let _ = Cli::parse();
    println!(
        "git-notion {} (Notion-Version {}): commands are not built yet; see README.md",
        env!("CARGO_PKG_VERSION"),
        git_notion::NOTION_VERSION
    );
}
