//! Ticket references in commit messages, and exact matching of ticket keys in page titles.
//!
//! A key must stand as a whole token: `#04` never matches `#042`, `#011.3` is not `#011`, and
//! `issue#12abc` holds no `#12`. Token boundaries are ASCII letters, digits and `_`, so `工单#004完成`
//! (Chinese text on both sides) still names `#004`.

use regex::Regex;

/// One ticket named by a commit message.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TicketKey {
    /// A key found by a configured pattern, as written (`#042`, `#011.3`); looked up in titles or a text property.
    Token(String),
    /// `PREFIX-N`, looked up through a `unique_id` property by its number.
    UniqueId {
        /// The prefix, upper-cased (`TASK`).
        prefix: String,
        /// The number after it.
        number: u64,
    },
    /// A Notion page id (dashed), from a page URL or an id in the message.
    Page(String),
}

impl std::fmt::Display for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TicketKey::Token(t) => f.write_str(t),
            TicketKey::UniqueId { prefix, number } => write!(f, "{prefix}-{number}"),
            TicketKey::Page(id) => write!(f, "page {id}"),
        }
    }
}

/// Finds ticket keys in text with the configured patterns (compiled when the configuration was loaded).
#[derive(Debug, Clone)]
pub struct Extractor {
    patterns: Vec<Regex>,
    unique_id: Option<Regex>,
    /// With several databases: each one's patterns, in order (a key belongs to the first that finds it).
    databases: Vec<(Vec<Regex>, Option<Regex>)>,
    /// Which of `databases` this extractor finds keys for (None: every one's).
    database: Option<usize>,
    max_keys: usize,
    max_key_length: usize,
    /// What commit messages hold that looks like a key and is not (hosting conventions, patterns).
    ignore: Ignore,
}

/// A text that looked like a key in a commit message and was skipped, with the rule that skipped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The key it would have been.
    pub key: TicketKey,
    /// The text as written.
    pub text: String,
    /// The rule (`pull-request-suffix`, `ignore_patterns "…"`).
    pub rule: String,
}

/// What a text named beyond the limits (`[tickets] max_keys_per_commit`, `max_key_length`): left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overflow {
    /// Distinct keys past the most read from one text.
    pub dropped: usize,
    /// Matches longer than the longest key read.
    pub too_long: usize,
    /// The limits in force: most keys, longest key.
    pub limits: (usize, usize),
}

impl Overflow {
    /// Whether anything was left out.
    pub fn any(&self) -> bool {
        self.dropped + self.too_long > 0
    }

    /// What was left out, for a warning that names the commit (`commit` is its short id).
    pub fn warning(&self, commit: &str) -> String {
        let mut parts = vec![];
        if self.dropped > 0 {
            parts.push(format!(
                "{} more distinct keys than the {} read from one message",
                self.dropped, self.limits.0
            ));
        }
        if self.too_long > 0 {
            parts.push(format!(
                "{} keys longer than {} bytes",
                self.too_long, self.limits.1
            ));
        }
        format!(
            "commit {commit} names {}: those were left out, the rest was read ([tickets] max_keys_per_commit, max_key_length)",
            parts.join(" and ")
        )
    }
}

pub use crate::config::{PatternError, DEFAULT_PATTERN};
use crate::rules::conventions::Ignore;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `text[start..end]` stands as a whole token: no ASCII word character touches it, and it is
/// not followed by `.digit` (which would make it a longer sub-ticket key).
pub fn is_whole_token(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let before_ok = start == 0 || !is_word_byte(b[start - 1]);
    let after_ok = match b.get(end) {
        None => true,
        Some(&c) if is_word_byte(c) => false,
        Some(b'.') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
        Some(_) => true,
    };
    before_ok && after_ok
}

/// Whether a page title contains `token` as a whole token (exact ticket matching on the client side).
pub fn title_has_token(title: &str, token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    title
        .match_indices(token)
        .any(|(i, m)| is_whole_token(title, i, i + m.len()))
}

/// Where page ids stand in a text: 32 hex digits, bare or dashed 8-4-4-4-12, alone or at the end of a page
/// URL (`…/Title-<id>`), with no ASCII word character on either side (so a 40-digit git hash never counts).
/// A hand scan rather than a regex: it runs in every hook, where compiling a regex costs more than the scan.
fn page_ids(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_hexdigit() && (i == 0 || !is_word_byte(b[i - 1])) {
            let mut j = i;
            let mut ok = true;
            for (n, group) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                if n > 0 && b.get(j) == Some(&b'-') {
                    j += 1;
                }
                if b.len() < j + group || !b[j..j + group].iter().all(u8::is_ascii_hexdigit) {
                    ok = false;
                    break;
                }
                j += group;
            }
            if ok && !b.get(j).copied().is_some_and(is_word_byte) {
                out.push((i, j));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Whether the id at `start` names a page in its link. A link copied while a row is open in side peek is
/// `…/<database id>?v=<view id>&p=<page id>`: the page is `p`; the database and the view are not pages
/// (../shared/notion-reference/README.md, *Page URLs*). A view id (`v=`) is never a page.
fn names_a_page(text: &str, start: usize) -> bool {
    let before = &text[..start];
    if before.ends_with("?v=") || before.ends_with("&v=") {
        return false;
    }
    if before.ends_with("?p=") || before.ends_with("&p=") {
        return true;
    }
    // The link this id stands in: from the last whitespace before it to the next one.
    let link_start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let link_end = text[start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| start + i);
    let link = &text[link_start..link_end];
    let query = link.split_once('?').map_or("", |(_, q)| q);
    !query.split(['&', '#']).any(|kv| kv.starts_with("p="))
}

impl Extractor {
    /// Builds an extractor. `patterns` are regexes whose whole match is the key as written;
    /// `unique_id_prefixes` enables `PREFIX-N` keys. Bad patterns are reported with their text.
    pub fn new(patterns: &[String], unique_id_prefixes: &[String]) -> Result<Self, PatternError> {
        crate::config::Patterns::compile(patterns, unique_id_prefixes).map(Self::from_patterns)
    }

    /// The extractor of patterns the configuration compiled.
    pub fn from_patterns(p: crate::config::Patterns) -> Self {
        Extractor {
            patterns: p.patterns,
            unique_id: p.unique_id,
            databases: p.databases,
            database: p.database,
            max_keys: p.max_keys,
            max_key_length: p.max_key_length,
            ignore: Ignore {
                conventions: p.ignore.unwrap_or_default(),
                patterns: p.ignore_patterns,
            },
        }
    }

    /// The same extractor skipping `ignore` in commit messages.
    pub fn with_ignore(mut self, ignore: Ignore) -> Self {
        self.ignore = ignore;
        self
    }

    /// What commit messages are read without.
    pub fn ignore(&self) -> &Ignore {
        &self.ignore
    }

    /// The extractor of a loaded configuration (its patterns were compiled, and checked, on load).
    pub fn of(config: &crate::config::Config) -> Result<Self, crate::config::ConfigError> {
        config.patterns("configuration").map(Self::from_patterns)
    }

    #[allow(
        clippy::expect_used,
        reason = "a literal pattern, compiled by a unit test"
    )]
    /// The extractor of the default pattern alone (`#042`, `#011.3`).
    pub fn default_patterns() -> Self {
        Self::new(&[DEFAULT_PATTERN.to_string()], &[]).expect("default pattern compiles")
    }

    /// The distinct keys a text names, in order of first appearance.
    pub fn extract(&self, text: &str) -> Vec<TicketKey> {
        let mut seen: std::collections::HashSet<TicketKey> = Default::default();
        self.locate(text)
            .into_iter()
            .filter_map(|(_, k)| seen.insert(k.clone()).then_some(k))
            .collect()
    }

    /// The key a page title belongs to: its first key, when that is a ticket key (`#012 … (#026)` is
    /// #012's page only). Lookups, the replay's index and `doctor` all use this rule.
    pub fn title_key(&self, title: &str) -> Option<TicketKey> {
        match self.extract(title).into_iter().next() {
            Some(k @ TicketKey::Token(_)) => Some(k),
            _ => None,
        }
    }

    /// Every occurrence of a key in a text, with its byte span, in order.
    pub fn locate(&self, text: &str) -> Vec<(std::ops::Range<usize>, TicketKey)> {
        self.locate_bounded(text).0
    }

    /// [`Extractor::locate`] within the limits: matches longer than `max_key_length` and keys past the
    /// first `max_keys` distinct ones are left out and counted, so that what a message costs is bounded
    /// by the limits, not by the message.
    pub fn locate_bounded(
        &self,
        text: &str,
    ) -> (Vec<(std::ops::Range<usize>, TicketKey)>, Overflow) {
        self.locate_skipping(text, &Skips::default())
    }

    /// [`Extractor::locate_bounded`] for a commit message: keys inside a hosting convention or an
    /// `ignore_patterns` match (`[tickets] ignore`) are not keys.
    pub fn locate_message(
        &self,
        text: &str,
    ) -> (Vec<(std::ops::Range<usize>, TicketKey)>, Overflow) {
        self.locate_skipping(text, &Skips::new(self.ignore.spans(text)))
    }

    /// What a commit message holds that looked like a key and was skipped, and why (`explain`).
    pub fn skipped(&self, text: &str) -> Vec<Skipped> {
        let skips = Skips::new(self.ignore.spans(text));
        self.locate_bounded(text)
            .0
            .into_iter()
            .filter_map(|(range, key)| {
                let rule = skips.rule_at(&range)?.to_string();
                Some(Skipped {
                    key,
                    text: text[range].to_string(),
                    rule,
                })
            })
            .collect()
    }

    /// Where a text holds keys, in order (no text copied), with how to make each one's key: every
    /// database's patterns (one database: this extractor's own), a text found by several databases'
    /// patterns being the first one's; then page links, every database's to look for.
    fn spans(&self, text: &str, overflow: &mut Overflow) -> Vec<Span> {
        let mut spans: Vec<Span> = vec![];
        if self.databases.is_empty() {
            self.spans_of(
                text,
                (&self.patterns, self.unique_id.as_ref(), 0),
                overflow,
                &mut spans,
            );
        } else {
            for (db, (patterns, unique_id)) in self.databases.iter().enumerate() {
                self.spans_of(
                    text,
                    (patterns, unique_id.as_ref(), db),
                    overflow,
                    &mut spans,
                );
            }
        }
        if self.databases.len() > 1 {
            spans.sort_by_key(|(r, db, _)| (r.start, r.end, *db));
            spans.dedup_by(|b, a| a.0 == b.0);
            spans.retain(|(_, db, _)| self.database.is_none_or(|d| d == *db));
        }
        for (start, end) in page_ids(text) {
            if is_whole_token(text, start, end) && names_a_page(text, start) {
                spans.push((start..end, 0, Kind::Page));
            }
        }
        spans.sort_by_key(|(r, _, _)| r.start);
        spans
    }

    /// The spans one database's patterns (and `PREFIX-N` pattern) find, added to `spans`.
    fn spans_of(
        &self,
        text: &str,
        (patterns, unique_id, db): (&[Regex], Option<&Regex>, usize),
        overflow: &mut Overflow,
        spans: &mut Vec<Span>,
    ) {
        for re in patterns {
            for m in re.find_iter(text) {
                if is_whole_token(text, m.start(), m.end()) {
                    if m.len() > self.max_key_length {
                        overflow.too_long += 1;
                    } else {
                        spans.push((m.range(), db, Kind::Token));
                    }
                }
            }
        }
        for c in unique_id.iter().flat_map(|re| re.captures_iter(text)) {
            let Some(m) = c.get(0) else { continue };
            if m.len() > self.max_key_length {
                overflow.too_long += 1;
            } else if let Ok(number) = c[2].parse() {
                let kind = Kind::UniqueId(c[1].to_ascii_uppercase(), number);
                spans.push((m.range(), db, kind));
            }
        }
    }

    fn locate_skipping(
        &self,
        text: &str,
        skips: &Skips,
    ) -> (Vec<(std::ops::Range<usize>, TicketKey)>, Overflow) {
        let mut overflow = Overflow {
            limits: (self.max_keys, self.max_key_length),
            ..Overflow::default()
        };
        let spans = self
            .spans(text, &mut overflow)
            .into_iter()
            .filter(|(r, _, _)| skips.rule_at(r).is_none())
            .map(|(r, _, k)| (r, k));
        let mut keys: std::collections::HashSet<TicketKey> = Default::default();
        let mut dropped: std::collections::HashSet<&str> = Default::default();
        let mut found = vec![];
        for (range, kind) in spans {
            let key = match kind {
                Kind::Token => TicketKey::Token(text[range.clone()].to_string()),
                Kind::UniqueId(prefix, number) => TicketKey::UniqueId { prefix, number },
                Kind::Page => match crate::id::normalize(&text[range.clone()]) {
                    Some(id) => TicketKey::Page(id),
                    None => continue,
                },
            };
            if !keys.contains(&key) {
                if keys.len() >= self.max_keys {
                    dropped.insert(&text[range]);
                    continue;
                }
                keys.insert(key.clone());
            }
            found.push((range, key));
        }
        overflow.dropped = dropped.len();
        (found, overflow)
    }
}

/// Where a text holds a key, which database's patterns found it, and how to make the key.
type Span = (std::ops::Range<usize>, usize, Kind);

/// How to make the key of a span of text.
enum Kind {
    Token,
    UniqueId(String, u64),
    Page,
}

/// Spans of a text to skip, sorted by start, each with its rule: which one covers a range is a binary
/// search (a message with 50,000 keys and as many skipped spans stays linear-logarithmic).
#[derive(Debug, Default)]
struct Skips(Vec<(std::ops::Range<usize>, String)>);

impl Skips {
    fn new(mut spans: Vec<(std::ops::Range<usize>, String)>) -> Self {
        spans.sort_by_key(|(r, _)| r.start);
        // Nested spans (a pattern inside a convention) are covered by the outer one: keep the outer.
        let mut kept: Vec<(std::ops::Range<usize>, String)> = Vec::with_capacity(spans.len());
        for (r, rule) in spans {
            match kept.last_mut() {
                Some((last, _)) if r.start < last.end => last.end = last.end.max(r.end),
                _ => kept.push((r, rule)),
            }
        }
        Skips(kept)
    }

    /// The rule of the span a range overlaps, if any.
    fn rule_at(&self, range: &std::ops::Range<usize>) -> Option<&str> {
        // The last span starting before the range ends.
        let i = self.0.partition_point(|(r, _)| r.start < range.end);
        let (r, rule) = self.0.get(i.checked_sub(1)?)?;
        (r.end > range.start).then_some(rule.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        Extractor::default_patterns()
            .extract(text)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn seed_style_messages() {
        assert_eq!(keys("feat: 完成工单 #003 - 统一 MT5 工作目录"), ["#003"]);
        assert_eq!(keys("docs: 工单#004 完成报告"), ["#004"]);
        assert_eq!(keys("chore: 工单 #002 完成报告 (#025)"), ["#002", "#025"]);
        assert_eq!(keys("fix #040.10 and #011.23"), ["#040.10", "#011.23"]);
        assert_eq!(keys("Task #042"), ["#042"]);
        assert_eq!(keys("#066 then #066 again"), ["#066"]);
    }

    #[test]
    fn keys_are_whole_tokens() {
        assert_eq!(keys("issue#12abc"), Vec::<String>::new());
        assert_eq!(keys("#12abc"), Vec::<String>::new());
        assert_eq!(keys("Task 066"), Vec::<String>::new());
        assert_eq!(keys("#abc"), Vec::<String>::new());
        assert_eq!(keys("end of sentence #042."), ["#042"]);
        assert_eq!(keys("#011.3"), ["#011.3"]);
    }

    #[test]
    fn title_matching_is_exact() {
        assert!(title_has_token("#042 - Exact Matching Guard", "#042"));
        assert!(!title_has_token("#042 - Exact Matching Guard", "#04"));
        assert!(!title_has_token("#011.3 - SSH subtask", "#011"));
        assert!(title_has_token("#011 - SSH (see #011.3)", "#011"));
        assert!(title_has_token("docs: 工单#004 完成报告", "#004"));
        assert!(!title_has_token("issue#12abc", "#12"));
        assert!(title_has_token("#012", "#012"));
        assert!(!title_has_token("Untitled", "#012"));
    }

    #[test]
    fn unique_id_keys() {
        let x = Extractor::new(&[DEFAULT_PATTERN.into()], &["TASK".into()]).unwrap();
        assert_eq!(
            x.extract("TASK-17: fix login, see task-3 and XTASK-9"),
            [
                TicketKey::UniqueId {
                    prefix: "TASK".into(),
                    number: 17
                },
                TicketKey::UniqueId {
                    prefix: "TASK".into(),
                    number: 3
                }
            ]
        );
    }

    #[test]
    fn notion_page_urls_and_ids() {
        let x = Extractor::default_patterns();
        let k = x.extract(
            "Refs https://www.notion.so/acme/Fix-login-393abc1eedcd81e9afcae7cba9d39cff?pvs=4",
        );
        assert_eq!(
            k,
            [TicketKey::Page(
                "393abc1e-edcd-81e9-afca-e7cba9d39cff".into()
            )]
        );
        let k = x.extract("Notion: 393abc1e-edcd-81e9-afca-e7cba9d39cff");
        assert_eq!(
            k,
            [TicketKey::Page(
                "393abc1e-edcd-81e9-afca-e7cba9d39cff".into()
            )]
        );
        // A 40-hex git hash is not a page id.
        assert!(x
            .extract("This reverts commit 5b812e45a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6.")
            .is_empty());
    }

    #[test]
    fn bad_patterns_are_errors() {
        let e = Extractor::new(&["#[0-9]+".into(), "#(\\d+".into()], &[]).unwrap_err();
        assert_eq!(e.pattern, "#(\\d+");
    }

    #[test]
    fn page_links_in_every_form_name_the_page() {
        let db = "2845c4eb952681828ccf000b14d4c431";
        let view = "1a2b3c4d5e6f40718293a4b5c6d7e8f9";
        let id = "17853bd4e4374814800601e7495de496";
        let want = vec![TicketKey::Page(crate::id::normalize(id).unwrap())];
        let e = Extractor::default_patterns();
        for link in [
            // Side peek: the page is `p`, not the database or the view.
            format!("https://www.notion.so/acme/{db}?v={view}&p={id}&pm=s"),
            format!("https://www.notion.so/{db}?p={id}&pm=s"),
            format!("https://app.notion.com/p/Monitoring-Baseline-{id}"),
            format!("https://app.notion.com/p/{id}"),
            format!("https://acme.notion.site/Monitoring-{id}?pvs=4"),
            format!("https://www.notion.so/acme/Monitoring-{id}"),
            format!("notion.so/{id}#heading"),
        ] {
            assert_eq!(e.extract(&format!("fix: see {link} now")), want, "{link}");
            assert_eq!(e.extract(&format!("见\u{a0}{link}")), want, "{link}");
        }
        // A view link without a page names the database (looked up, then reported), never the view.
        assert_eq!(
            e.extract(&format!("https://www.notion.so/{db}?v={view}")),
            vec![TicketKey::Page(crate::id::normalize(db).unwrap())]
        );
    }

    #[test]
    fn page_id_scan() {
        let id = "393abc1eedcd81e9afcae7cba9d39cff";
        let dashed = "393abc1e-edcd-81e9-afca-e7cba9d39cff";
        let x = Extractor::default_patterns();
        let page =
            |t: &str| -> Vec<String> { x.extract(t).iter().map(ToString::to_string).collect() };
        let want = vec![format!("page {dashed}")];
        assert_eq!(page(id), want);
        assert_eq!(page(&format!("see {dashed}, done")), want);
        assert_eq!(page(&format!("notion.so/Fix-add-{id}?pvs=4")), want);
        assert_eq!(page(&format!("(https://notion.so/{id})")), want);
        // One digit short or long, mis-placed dashes, glued to a word, or inside a hash: none.
        assert!(page(&id[1..]).is_empty());
        assert!(page(&format!("{id}a")).is_empty());
        assert!(page(&format!("x{id}")).is_empty());
        assert!(page("393abc1eedcd-81e9afcae7cba9d39cff0").is_empty());
        assert!(page("393abc1-eedcd-81e9-afca-e7cba9d39cff").is_empty());
        // Two ids, and an id after a failed candidate.
        assert_eq!(page(&format!("{id} and abc {dashed}")).len(), 1);
        let other = "2845c4eb952681828ccf000b14d4c431";
        assert_eq!(page(&format!("{id} {other}")).len(), 2);
        assert_eq!(
            page(&format!("deadbeef {other}")),
            vec![format!("page {}", crate::id::normalize(other).unwrap())]
        );
        assert!(page("").is_empty());
        assert!(page("é393abc1eedcd81e9afcae7cba9d39cff").len() == 1);
    }
}
