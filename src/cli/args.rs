//! The `git-notion` command line as clap reads it: every command and flag, with the help text that the
//! man pages and completions are generated from (`docs`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::output::ColorChoice;

/// Keep a Notion ticket database true from git.
#[derive(Parser)]
#[command(name = "git-notion", version, about, long_about = None)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run as a git hook: `git-notion hook
    /// post-commit|post-merge|post-rewrite|post-checkout|reference-transaction|commit-msg|auto [ARGS]`.
    /// Always exits 0 (commit-msg: 1 when `[commit] check = "block"` refuses the message).
    Hook {
        /// The hook's name.
        name: Option<String>,
        /// The arguments git passed to the hook.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Sync the tickets a commit names (default HEAD), as the post-commit hook does, and report.
    Sync {
        /// The commit to sync.
        #[arg(default_value = "HEAD")]
        rev: String,
        /// Show the plan (current → new per ticket) without writing anything.
        #[arg(long, short = 'n')]
        dry_run: bool,
        #[command(flatten)]
        overrides: OverrideArgs,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Deliver the queued updates now and show what was done.
    Flush {
        /// Run as the hooks' detached flusher: no output; exit at once if another flusher runs.
        #[arg(long, hide = true)]
        background: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// What git-notion reads in a commit message, and why: each ticket (link or close, commands, the
    /// status now and once on a release branch) and each text that looked like a key and was skipped, with
    /// the rule. Reads no network.
    Explain {
        /// The commit (default HEAD), or `-` to read a message from stdin (as it would be committed on the
        /// current branch).
        #[arg(default_value = "HEAD")]
        rev: String,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// The local index of the database's keys (what commit time reads, without the network): its size
    /// and age. `--refresh` reads the data source whole and replaces it.
    Index {
        /// Read the data source whole (one request per 100 rows) and replace the index.
        #[arg(long)]
        refresh: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// In CI, on a pull (merge) request: move the tickets its branch, title or commits name to
    /// `[status] on_review` (unless a draft; never backwards) and write its link to `[properties]
    /// pull_request`. Reads GitHub Actions' event (GITHUB_EVENT_PATH) or GitLab CI's merge-request
    /// variables; a merged or closed request is left to the merge rules.
    Review {
        /// A GitHub pull_request event payload to read instead of the job's.
        #[arg(long, value_name = "FILE")]
        event: Option<PathBuf>,
        /// Show the plan without writing anything.
        #[arg(long, short = 'n')]
        dry_run: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Back up the data source's rows into git, on refs/notion/backup (never a working branch): one JSON
    /// file per page, one commit per run; only rows edited since the last backup are read, and pages gone
    /// since are marked in_trash. Push the ref to share it.
    Backup {
        /// Read every row, not only those edited since the last backup.
        #[arg(long)]
        full: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Put pages back as a backup saw them: a plan first (each property now → then, pages to take out of
    /// the trash); --apply writes it, journalled (`git notion undo` takes it back). Never deletes.
    Restore {
        /// The backup: a date (the last backup made by its end, UTC), a time, or a revision of
        /// refs/notion/backup.
        #[arg(long, value_name = "DATE|REV")]
        at: String,
        /// Only these tickets (default: every backed-up page).
        keys: Vec<String>,
        /// Write the plan (default: only show it).
        #[arg(long)]
        apply: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Write each page's ticket key (from its title) into a rich_text or number property, so that
    /// `[tickets] lookup = { property = "…" }` finds pages whatever their titles become. A plan first;
    /// --apply writes it, journalled (`git notion undo` takes it back); running it again writes only what
    /// is missing.
    BackfillIds {
        /// The property to fill (rich_text: the key as written; number: its number).
        #[arg(long, value_name = "NAME")]
        property: String,
        /// Write the plan (default: only show it).
        #[arg(long)]
        apply: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// A ticket's page as each backup saw it, newest first: what changed between backups.
    History {
        /// The ticket key (`#006`, `TASK-17`).
        key: String,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Show pending updates, failed ones with their reasons, and the last flush.
    Status {
        /// Instead: tickets in progress (status `[status] on_commit` in the local index) whose last commit
        /// is older than DAYS (default 14), or that no commit names; from history and the index, no
        /// network.
        #[arg(long, value_name = "DAYS", num_args = 0..=1, default_missing_value = "14")]
        stale: Option<u32>,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// List the last deliveries to Notion, newest first: when, by whom (the background flusher, flush,
    /// sync, the replay), the ticket, its page and what changed.
    Log {
        /// How many.
        #[arg(short = 'n', long = "max-count", default_value_t = 20)]
        n: usize,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Move failed updates back to the queue (after fixing their cause), then flush.
    Retry {
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Dismiss the updates of these tickets (`#011.3 TASK-9`), pending or not delivered; without keys, drop
    /// every pending and undelivered update (asks first).
    Clear {
        /// The tickets to dismiss (as `git notion status` shows them).
        keys: Vec<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
    /// Check the token, Notion, the database, the configured properties and statuses, the ticket
    /// patterns, the hooks and the outbox; each with ✓/✗ and the fix. Exit 1 on any ✗.
    Doctor {
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
        /// Show what would make the data source fit the configuration (a status option it lacks),
        /// as one change to the data source; nothing is changed without --apply.
        #[arg(long)]
        fix: bool,
        /// With --fix: make that change (it only adds; never deletes or renames).
        #[arg(long, requires = "fix")]
        apply: bool,
    },
    /// Write a commented .git-notion.toml from the database's real schema (never the token).
    Init {
        /// The Notion database (URL or id); default: GIT_NOTION_DATABASE or the existing config.
        #[arg(long, value_name = "URL_OR_ID")]
        database: Option<String>,
        /// The data source's name or id, for a database with several.
        #[arg(long, value_name = "NAME_OR_ID")]
        data_source: Option<String>,
        /// Replace an existing .git-notion.toml.
        #[arg(long)]
        force: bool,
        /// Print the configuration instead of writing it.
        #[arg(long)]
        stdout: bool,
        /// Add the database as one more `[[databases]]` table of the existing .git-notion.toml (its
        /// keys, properties and statuses read from its schema).
        #[arg(long, requires = "database", conflicts_with = "force")]
        add: bool,
        /// With --add: the database's name in messages, JSON and `--database`.
        #[arg(long, requires = "add", value_name = "NAME")]
        name: Option<String>,
    },
    /// Show who runs this repository's hooks (post-commit, post-merge, post-rewrite, post-checkout,
    /// commit-msg, reference-transaction); install or uninstall git-notion's.
    Hooks {
        #[command(subcommand)]
        action: Option<HooksAction>,
        /// Machine-readable output (docs/json.md).
        #[arg(long, global = true)]
        json: bool,
    },
    /// Print shell completions: `source <(git notion completions bash)` (also completes `git notion …`
    /// through git's own completion), `git notion completions zsh > ~/.zfunc/_git-notion`, fish.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (git-notion.1, one per command, git-notion-replay.1) into DIR, as install.sh
    /// does into PREFIX/share/man/man1 so that `git notion --help` and `git help notion` find them.
    #[command(hide = true)]
    Manpages {
        /// Where to write them.
        dir: PathBuf,
    },
    /// Restore the pages a replay changed, from its journal (dry run unless --apply).
    Undo {
        /// The journal: a path, or a file name under .git/git-notion/journal/ (default: the latest).
        journal: Option<PathBuf>,
        /// Write the recorded values back.
        #[arg(long)]
        apply: bool,
        /// Machine-readable output (docs/json.md).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum HooksAction {
    /// Install git-notion's hooks: post-commit, post-merge, post-rewrite and post-checkout (the binary
    /// linked where none exists); each queues what moved since the last one, so a reset, an update-ref or
    /// a fetch is seen at the next hook. An existing hook is kept and chained (it runs first). Refuses
    /// where a hook manager (husky, pre-commit, lefthook) owns the hooks, and prints its snippet. An
    /// earlier install of the other kind is replaced, never kept beside.
    Install {
        /// Install reference-transaction instead (git 2.28 or later): it sees each branch move as it
        /// happens, at the cost of a process for every reference transaction (a 200-commit rebase takes
        /// several times longer).
        #[arg(long)]
        every_move: bool,
        /// The default (the post-* hooks); kept for scripts written for earlier versions.
        #[arg(long, hide = true, conflicts_with = "every_move")]
        post: bool,
    },
    /// Remove git-notion's hooks and restore the hooks they chained.
    Uninstall,
}

/// `git notion-replay`: repair a drifted database from history.
#[derive(Parser)]
#[command(name = "git-notion-replay", version, long_about = None)]
#[command(
    about = "Repair a drifted Notion database from git history: a dry-run plan first, then --apply \
(journalled: `git notion undo` restores)."
)]
pub(super) struct ReplayCli {
    /// Revisions: a range (`v1.0..HEAD`), revisions, or `^REV` to exclude (default HEAD).
    pub(super) revs: Vec<String>,
    /// Every reference (branches, tags, remotes), not only HEAD.
    #[arg(long)]
    pub(super) all: bool,
    /// Only commits since a date (`2025-10-01`, RFC 3339) or after a revision.
    #[arg(long, value_name = "DATE|REV")]
    pub(super) since: Option<String>,
    /// Follow only the first parent of merges.
    #[arg(long)]
    pub(super) first_parent: bool,
    /// Take the title, date and link from the latest commit of these types (`feat,docs`), else the latest.
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub(super) prefer: Vec<String>,
    /// Set each status exactly as history says, even where that moves a page backwards (a repair; the
    /// journal keeps what was there).
    #[arg(long)]
    pub(super) reset: bool,
    /// Write the plan (a journal is kept first; `git notion undo` restores).
    #[arg(long, visible_alias = "force")]
    pub(super) apply: bool,
    /// Machine-readable output (docs/json.md).
    #[arg(long)]
    pub(super) json: bool,
    #[command(flatten)]
    pub(super) overrides: OverrideArgs,
    /// How to read the data source: `auto` scans up to what batched lookups of the history's tickets
    /// cost, then looks them up; `scan` reads every row; `lookups` looks the tickets up. The plan is the
    /// same; only the requests differ.
    #[arg(
        long,
        value_enum,
        value_name = "auto|scan|lookups",
        default_value = "auto"
    )]
    pub(super) read: ReadArg,
    /// Colour and live progress: `auto` (a terminal, unless NO_COLOR, CLICOLOR=0 or TERM=dumb; CLICOLOR_FORCE
    /// forces it), `always`, `never`.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub(super) color: ColorChoice,
}

/// The settings `sync` and the replay take from their command line, over the files and the environment.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct OverrideArgs {
    /// Override `database` (a Notion URL, database id or data source id).
    #[arg(long, value_name = "URL_OR_ID")]
    pub(super) database: Option<String>,
    /// Override `[title] policy`.
    #[arg(long, value_enum, value_name = "never|fill-placeholder|always")]
    pub(super) title_policy: Option<TitlePolicyArg>,
}

impl From<&OverrideArgs> for crate::config::Overrides {
    fn from(a: &OverrideArgs) -> Self {
        crate::config::Overrides {
            database: a.database.clone(),
            title_policy: a.title_policy.map(Into::into),
        }
    }
}

/// `--title-policy`: the `[title] policy` of this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum TitlePolicyArg {
    /// Never touch titles.
    Never,
    /// Fill placeholder titles only.
    FillPlaceholder,
    /// Always the commit subject.
    Always,
}

impl From<TitlePolicyArg> for crate::config::TitlePolicy {
    fn from(a: TitlePolicyArg) -> Self {
        match a {
            TitlePolicyArg::Never => crate::config::TitlePolicy::Never,
            TitlePolicyArg::FillPlaceholder => crate::config::TitlePolicy::FillPlaceholder,
            TitlePolicyArg::Always => crate::config::TitlePolicy::Always,
        }
    }
}

/// `--read`: how the replay reads the data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ReadArg {
    /// Scan up to what the lookups would cost, then look the rest up.
    Auto,
    /// Read every row.
    Scan,
    /// Look the history's tickets up.
    Lookups,
}

impl From<ReadArg> for crate::replay::Read {
    fn from(r: ReadArg) -> Self {
        match r {
            ReadArg::Auto => crate::replay::Read::Auto,
            ReadArg::Scan => crate::replay::Read::Scan,
            ReadArg::Lookups => crate::replay::Read::Lookups,
        }
    }
}
