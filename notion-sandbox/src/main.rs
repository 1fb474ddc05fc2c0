//! `notion-sandbox --port 8787 --seed zh [--rps 3]`: a local Notion API for trying git-notion.

use std::time::Duration;

use clap::Parser;
use notion_sandbox::{Sandbox, SandboxConfig, Window};

/// A faithful local stand-in for the Notion API (Notion-Versions 2025-09-03, 2026-03-11 and 2026-12-01, and 2022-06-28's database endpoints).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Seed: a built-in name (zh, en, two) or a JSON file.
    #[arg(long, default_value = "zh")]
    seed: String,
    /// Rate limit in requests per second (Notion's is 3); off when not given.
    #[arg(long)]
    rps: Option<f64>,
    /// Burst allowed above the average rate.
    #[arg(long, default_value_t = 5)]
    burst: u32,
    /// The per-connection budget: N requests per SECS-second window, as N/SECS (default 180/60, with a
    /// workspace limit of 360/60 whose Retry-After is 90 s); past it, 429 with `Retry-After` = the rest
    /// of the window and a `rate_limit_reason`.
    #[arg(long, value_name = "N/SECS", value_parser = parse_window)]
    window: Option<Window>,
    /// No window budgets at all (neither per connection nor per workspace).
    #[arg(long, conflicts_with = "window")]
    no_limits: bool,
    /// Also write the two `export` lines to FILE once listening (`. FILE` then points git-notion here;
    /// with `--port 0`, at whichever port was free).
    #[arg(long, value_name = "FILE")]
    env_file: Option<std::path::PathBuf>,
}

fn parse_window(s: &str) -> Result<Window, String> {
    let (n, secs) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: expected N/SECS, e.g. 2700/60"))?;
    let n: u32 = n.trim().parse().map_err(|e| format!("{n:?}: {e}"))?;
    let secs: f64 = secs.trim().parse().map_err(|e| format!("{secs:?}: {e}"))?;
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!(
            "{secs}: the window must be a positive number of seconds"
        ));
    }
    Ok(Window::new(n, secs, "connection_window_limit"))
}

/// The window budgets asked for: Notion's defaults, with `--window` in place of the per-connection one.
fn windows(args: &Args) -> Vec<Window> {
    if args.no_limits {
        return vec![];
    }
    let mut w = Window::notion_defaults();
    if let Some(mine) = &args.window {
        w[0] = mine.clone();
    }
    w
}

fn main() {
    let args = Args::parse();
    let seed = match notion_sandbox::seed::load(&args.seed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("notion-sandbox: {e}");
            std::process::exit(2);
        }
    };
    let config = SandboxConfig {
        addr: format!("{}:{}", args.host, args.port),
        rps: args.rps,
        burst: args.burst,
        threads: 4,
        windows: windows(&args),
    };
    let config_windows = config.windows.clone();
    let sb = match Sandbox::start(&seed, config) {
        Ok(sb) => sb,
        Err(e) => {
            eprintln!("notion-sandbox: {e}");
            std::process::exit(2);
        }
    };
    if let Some(f) = &args.env_file {
        // The pid too: `kill $NOTION_SANDBOX_PID` stops this sandbox, and no one else's.
        let text = format!(
            "export GIT_NOTION_API_URL={}\nexport NOTION_TOKEN={}\nexport NOTION_SANDBOX_PID={}\n",
            sb.base_url(),
            sb.token(),
            std::process::id()
        );
        if let Err(e) = std::fs::write(f, text) {
            eprintln!("notion-sandbox: cannot write {}: {e}", f.display());
            std::process::exit(2);
        }
    }
    println!("notion-sandbox listening on {}", sb.base_url());
    println!();
    println!("  export GIT_NOTION_API_URL={}", sb.base_url());
    println!("  export NOTION_TOKEN={}", sb.token());
    {
        let state = sb.state();
        let mut dbs: Vec<_> = state.databases.values().collect();
        dbs.sort_by_key(|d| d.created_time);
        for db in dbs {
            println!(
                "  database {} ({}): {} data source(s)",
                db.id,
                db.title,
                db.data_sources.len()
            );
        }
    }
    match args.rps {
        Some(r) => println!("  rate limit: {r} requests/s, burst {}", args.burst),
        None => println!("  rate limit: off"),
    }
    for w in &config_windows {
        let whom = match w.scope {
            notion_sandbox::Scope::Connection => "per connection",
            notion_sandbox::Scope::Workspace => "per workspace",
        };
        let after = w
            .retry_after
            .map(|s| format!(", Retry-After {s} s"))
            .unwrap_or_default();
        println!(
            "  window limit: {} requests per {} s {whom}{after}",
            w.requests, w.secs
        );
    }
    if config_windows.is_empty() {
        println!("  window limits: off");
    }
    println!();
    println!(
        "State: GET {0}/__sandbox/state   Request log: GET {0}/__sandbox/log   Ctrl-C stops.",
        sb.base_url()
    );
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
