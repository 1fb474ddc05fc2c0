//! Entry points for the benchmarks in `benches/`: the parts of a replay they time, behind a small surface
//! (the rest of the library is private to the crate).

use std::path::Path;

use crate::config::Config;
use crate::git::{Repo, WalkSpec};
use crate::pipeline::history::{self, Decide, Released};
use crate::rules::desired::Rules;

/// Reads history as the replay does, with the seed team's rules: the default patterns and closing
/// keywords, plus their Chinese keywords and statuses.
pub struct HistoryReader {
    rules: Rules,
}

impl HistoryReader {
    /// The seed team's rules.
    pub fn seed_team() -> HistoryReader {
        Self::seed_team_with(false, false)
    }

    /// The seed team's rules, listing each ticket's commits (`[properties] commits`) and following
    /// releases (`[status] on_release`, tags `v*`).
    pub fn seed_team_listing_releases() -> HistoryReader {
        Self::seed_team_with(true, true)
    }

    /// The seed team's rules (the default patterns and closing keywords, their Chinese keywords and
    /// statuses), listing each ticket's commits and following releases as asked.
    pub fn seed_team_with(listing: bool, releases: bool) -> HistoryReader {
        let mut config = Config::default();
        config.status.on_commit = Some("进行中".into());
        config.status.on_merge = Some("完成".into());
        config.status.on_release = releases.then(|| "已发布".into());
        config.properties.commits = listing.then(|| "提交".into());
        config
            .status
            .closing_keywords
            .extend(crate::rules::intent::CHINESE_CLOSING_KEYWORDS.map(String::from));
        // The default configuration with these statuses and keywords is valid.
        #[allow(clippy::expect_used)]
        let rules = Rules::new(&config, None).expect("the seed team's rules are valid");
        HistoryReader { rules }
    }

    /// Walks HEAD's history and reads every message into tickets: (commits read, tickets found).
    pub fn read(&self, repo: &Path) -> Result<(usize, usize), crate::pipeline::Error> {
        let r = Repo::discover(repo)?;
        let spec = WalkSpec {
            tips: vec!["HEAD".into()],
            ..Default::default()
        };
        let released = Released::of(&r, &self.rules, &spec)?;
        let h = history::history(&r, &self.rules, &spec, &Decide::Latest, &released, None)?;
        Ok((h.commits, h.tickets.len()))
    }
}
