//! What a commit message asks for, per ticket: linking (any mention), closing (a closing keyword right before
//! the key, or before a list of keys), Jira-style commands (`#042 #comment text`, `#042 #status In progress`),
//! and message-wide markers (`[skip notion]`, `WIP`, reverts). Pure text rules, no I/O: the desired state
//! decides what they mean on which branch.
//!
//! - `Closes #1. Follow-up in #2` closes #1 and links #2; `Fixes #1, #2 and #3` closes all three (keys joined
//!   by commas, `and`, `&`, `/`, `、`, `和`, `及` share the keyword).
//! - Keywords are matched case-insensitively, with or without a colon (`Closes: #12`, a trailer); an ASCII
//!   keyword must stand as a word (`prefix #1` is not `fix`), a CJK one needs no boundary (`修复#12`).
//! - A revert (`Revert "…"` subject, or `revert:`) and a WIP commit (`WIP`, `wip:`, `[WIP]`) close nothing.
//! - `[skip notion]` (or `[notion skip]`) anywhere: the commit asks for nothing at all.

use crate::rules::tickets::{Extractor, TicketKey};

pub use crate::config::DEFAULT_CLOSING_KEYWORDS;

/// Chinese closing words (`完成工单 #003`, `修复了 #12`), for teams that write their messages in Chinese:
/// `git notion init` adds them to the English ones for a database with Chinese names.
pub const CHINESE_CLOSING_KEYWORDS: [&str; 12] = [
    "完成",
    "完成了",
    "完成工单",
    "修复",
    "修复了",
    "修复工单",
    "关闭",
    "关闭工单",
    "解决",
    "解决了",
    "实现",
    "实现了",
];

/// What a message asks of one ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketIntent {
    /// A closing keyword stands before the key (and the commit is neither a revert nor WIP).
    pub close: bool,
    /// `#comment` texts, in order.
    pub comments: Vec<String>,
    /// `#status NAME`: the last one wins.
    pub status: Option<String>,
}

/// What a whole message asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intents {
    /// `[skip notion]`: nothing at all.
    pub skip: bool,
    /// `WIP` / `[wip]`: mentions only, nothing closes.
    pub wip: bool,
    /// A revert; the reverted commit's id when the message names it (`This reverts commit X.`).
    pub revert: Option<Option<String>>,
    /// Per ticket, in order of first appearance.
    pub tickets: Vec<(TicketKey, TicketIntent)>,
    /// What the message named beyond the limits (left out).
    pub overflow: crate::rules::tickets::Overflow,
}

/// The closing keywords, lower-cased, longest first (so `fixes` wins over `fix`).
#[derive(Debug, Clone)]
pub struct Keywords(Vec<String>);

impl Keywords {
    /// The keywords of `words`, trimmed and lower-cased, longest first.
    pub fn new<S: AsRef<str>>(words: &[S]) -> Keywords {
        let mut v: Vec<String> = words
            .iter()
            .map(|w| w.as_ref().trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        v.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        v.dedup();
        Keywords(v)
    }

    /// `before` (the text right before a key) ends with a keyword, optionally followed by `:` and spaces.
    fn ends_before(&self, before: &str) -> bool {
        let t = before.trim_end();
        let t = t
            .strip_suffix(':')
            .or_else(|| t.strip_suffix('：'))
            .unwrap_or(t);
        let t = t.trim_end();
        self.0.iter().any(|w| {
            let Some(tail) = t.len().checked_sub(w.len()).and_then(|i| t.get(i..)) else {
                return false;
            };
            let head = &t[..t.len() - w.len()];
            if w.is_ascii() {
                // A word: not the end of a longer one (`prefix #1` is not `fix`).
                tail.eq_ignore_ascii_case(w)
                    && !head
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
            } else {
                tail.to_lowercase() == *w
            }
        })
    }
}

impl Default for Keywords {
    fn default() -> Self {
        Keywords::new(&DEFAULT_CLOSING_KEYWORDS)
    }
}

/// Text between two keys that makes them one list (`#1, #2 and #3`).
fn joins(between: &str) -> bool {
    let mut t = between.trim();
    loop {
        let before = t;
        for sep in [",", "&", "/", "、", "，", "和", "及", "与"] {
            t = t.strip_prefix(sep).unwrap_or(t).trim_start();
        }
        let lower = t.to_lowercase();
        if lower.starts_with("and ") || lower == "and" {
            t = t[3..].trim_start();
        }
        if t == before {
            break;
        }
    }
    t.is_empty()
}

/// `#comment text` or `#status Name` right after a key: the command and its argument (the rest of the
/// line, up to the next key on that line).
/// The longest `#comment` text or `#status` name kept, in characters (a Notion rich-text item holds
/// 2,000): a longer one is cut with `…`, so a huge line costs one bounded copy per ticket.
pub const MAX_COMMAND_CHARS: usize = 2000;

/// `text`, cut to [`MAX_COMMAND_CHARS`] characters (on a character boundary).
pub fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_COMMAND_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn command_after(rest: &str) -> Option<(&'static str, String)> {
    let t = rest.trim_start_matches([' ', '\t']);
    for (word, name) in [("#comment", "comment"), ("#status", "status")] {
        if t.get(..word.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
            && t[word.len()..].starts_with([' ', '\t'])
        {
            let arg = t[word.len()..].lines().next().unwrap_or("").trim();
            if !arg.is_empty() {
                return Some((name, bounded(arg)));
            }
        }
    }
    None
}

/// `fix:`, `fix(scope):` or `fix!:` opening a subject is the conventional-commit type, not a keyword
/// (types map to statuses through `[status] types`).
fn is_fix_type(before: &str) -> bool {
    let t = before.trim();
    let Some(rest) = t.strip_prefix("fix") else {
        return false;
    };
    let rest = match rest.strip_prefix('(') {
        Some(r) => match r.find(')') {
            Some(i) => &r[i + 1..],
            None => return false,
        },
        None => rest,
    };
    matches!(rest, ":" | "!:")
}

/// `text` starts with the ASCII word `prefix`, in any case; the rest.
fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &text[prefix.len()..])
}

/// `needle` (ASCII, starting with `[`) occurs in `text`, in any case. No lower-cased copy of the message:
/// this runs on every commit a replay reads.
fn contains_tag_ci(text: &str, needle: &str) -> bool {
    text.match_indices('[')
        .any(|(i, _)| strip_prefix_ci(&text[i..], needle).is_some())
}

fn is_wip(subject: &str) -> bool {
    let s = subject.trim_start();
    strip_prefix_ci(s, "[wip]").is_some()
        || strip_prefix_ci(s, "wip")
            .is_some_and(|r| r.is_empty() || r.starts_with([':', ' ', '!', '(', '-']))
}

/// A revert: a `Revert "…"`, `revert:` or `revert(…)` subject, or git's `This reverts commit X` line under
/// any subject; with the reverted id when the message names it.
pub fn revert_of(message: &str, subject: &str) -> Option<Option<String>> {
    let s = subject.trim_start();
    let id = message.find("This reverts commit ").and_then(|i| {
        let rest = &message[i + "This reverts commit ".len()..];
        let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (hex.len() >= 7).then_some(hex)
    });
    let by_subject = s.starts_with("Revert \"")
        || strip_prefix_ci(s, "revert:").is_some()
        || strip_prefix_ci(s, "revert(").is_some();
    (by_subject || id.is_some()).then_some(id)
}

/// Reads a message's intents.
pub fn parse(message: &str, extractor: &Extractor, keywords: &Keywords) -> Intents {
    let subject = message.lines().next().unwrap_or("");
    let mut intents = Intents {
        skip: contains_tag_ci(message, "[skip notion]")
            || contains_tag_ci(message, "[notion skip]"),
        wip: is_wip(subject),
        revert: revert_of(message, subject),
        tickets: vec![],
        overflow: Default::default(),
    };
    if intents.skip {
        return intents;
    }
    let may_close = !intents.wip && intents.revert.is_none();
    let (spans, overflow) = extractor.locate_message(message);
    intents.overflow = overflow;
    let mut prev: Option<(usize, bool)> = None;
    let mut index: std::collections::HashMap<TicketKey, usize> = Default::default();
    // Where the line of the current span starts, found scanning forward once (linear in the message).
    let (mut scanned, mut line_start) = (0, 0);
    for (range, key) in spans {
        if let Some(i) = message[scanned..range.start].rfind('\n') {
            line_start = scanned + i + 1;
        }
        scanned = range.start;
        // A page id ends a URL: what stands before the URL counts.
        let start = match key {
            // Any white space, a non-breaking or ideographic one (several bytes) included.
            TicketKey::Page(_) => message[line_start..range.start]
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(line_start, |(i, c)| line_start + i + c.len_utf8()),
            _ => range.start,
        };
        let before = &message[line_start..start];
        let keyword = !(line_start == 0 && is_fix_type(before)) && keywords.ends_before(before);
        let chained = prev.is_some_and(|(end, closed)| {
            closed && end <= range.start && joins(&message[end..range.start])
        });
        let close = may_close && (keyword || chained);
        let command = command_after(&message[range.end..]);
        let i = match index.get(&key) {
            Some(i) => *i,
            None => {
                index.insert(key.clone(), intents.tickets.len());
                intents.tickets.push((key, TicketIntent::default()));
                intents.tickets.len() - 1
            }
        };
        let Some((_, entry)) = intents.tickets.get_mut(i) else {
            continue;
        };
        entry.close |= close;
        match command {
            Some(("comment", text)) => entry.comments.push(text),
            Some((_, name)) => entry.status = Some(name),
            None => {}
        }
        prev = Some((range.end, keyword || chained));
    }
    intents
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Intents as one line: flags, then per ticket `KEY:close|link[ comment(…)][ status(…)]`.
    fn show(message: &str, extractor: &Extractor, keywords: &Keywords) -> String {
        let i = parse(message, extractor, keywords);
        let mut parts: Vec<String> = vec![];
        if i.skip {
            parts.push("skip".into());
        }
        if i.wip {
            parts.push("wip".into());
        }
        match &i.revert {
            Some(Some(id)) => parts.push(format!("revert({id})")),
            Some(None) => parts.push("revert".into()),
            None => {}
        }
        for (k, t) in &i.tickets {
            let mut s = format!("{k}:{}", if t.close { "close" } else { "link" });
            for c in &t.comments {
                s.push_str(&format!(" comment({c})"));
            }
            if let Some(st) = &t.status {
                s.push_str(&format!(" status({st})"));
            }
            parts.push(s);
        }
        parts.join(" ")
    }

    const PAGE: &str = "https://www.notion.so/acme/Fix-login-0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c";

    #[test]
    fn wide_white_space_before_a_page_url_is_white_space() {
        let x = Extractor::default_patterns();
        let kw = Keywords::default();
        for space in ['\u{a0}', '\u{3000}', '\u{2003}', ' '] {
            let m = format!("feat: closes{space}{PAGE} and more");
            let i = parse(&m, &x, &kw);
            assert_eq!(i.tickets.len(), 1, "{space:?}");
            assert!(
                i.tickets[0].1.close,
                "{space:?}: the keyword before the URL closes"
            );
        }
        // Nothing but multi-byte text before the URL.
        let m = format!("修复\u{3000}{PAGE}");
        assert_eq!(parse(&m, &x, &kw).tickets.len(), 1);
    }

    #[test]
    fn intents_table() {
        let hash = Extractor::default_patterns();
        let task = Extractor::new(&[], &["TASK".to_string()]).unwrap();
        let both = Extractor::new(
            &[crate::rules::tickets::DEFAULT_PATTERN.to_string()],
            &["TASK".to_string()],
        )
        .unwrap();
        let en = Keywords::default();
        let zh = Keywords::new(
            &[
                &DEFAULT_CLOSING_KEYWORDS[..],
                &["完成", "完成工单", "修复", "关闭", "解决"],
            ]
            .concat(),
        );
        let page_key = format!(
            "page {}",
            crate::id::normalize("0f3c2b1a9d8e4f7a8b6c5d4e3f2a1b0c").unwrap()
        );
        let notion_trailer = format!("feat: login\n\nNotion: {PAGE}");
        let fixes_page = format!("fix: login\n\nFixes {PAGE}");
        let squash = "feat: checkout flow (#41)\n\n* feat: cart #12\n* fix: closes #13\n* docs: refs #14\n* Fixes #15, #16";
        let cases: Vec<(&str, &Extractor, &Keywords, String)> = vec![
            // Mentions only link.
            ("feat: #1 add login", &hash, &en, "#1:link".into()),
            ("#1", &hash, &en, "#1:link".into()),
            ("refactor: touch #1 and #2", &hash, &en, "#1:link #2:link".into()),
            ("no ticket here", &hash, &en, "".into()),
            // Each closing keyword, any case, with or without a colon.
            ("fix #1", &hash, &en, "#1:close".into()),
            ("Fixes #1", &hash, &en, "#1:close".into()),
            ("FIXED #1", &hash, &en, "#1:close".into()),
            ("close #1", &hash, &en, "#1:close".into()),
            ("Closes #1", &hash, &en, "#1:close".into()),
            ("closed #1", &hash, &en, "#1:close".into()),
            ("resolve #1", &hash, &en, "#1:close".into()),
            ("Resolves: #1", &hash, &en, "#1:close".into()),
            ("resolved #1", &hash, &en, "#1:close".into()),
            ("complete #1", &hash, &en, "#1:close".into()),
            ("Completes #1", &hash, &en, "#1:close".into()),
            ("completed: #1", &hash, &en, "#1:close".into()),
            ("implement #1", &hash, &en, "#1:close".into()),
            ("Implements #1", &hash, &en, "#1:close".into()),
            ("implemented #1", &hash, &en, "#1:close".into()),
            ("feat: login, closes #1", &hash, &en, "#1:close".into()),
            // Only the key right after the keyword.
            ("Closes #1. Follow-up in #2", &hash, &en, "#1:close #2:link".into()),
            ("Fixes #1, #2 and #3", &hash, &en, "#1:close #2:close #3:close".into()),
            ("fixes #1 & #2 / #3", &hash, &en, "#1:close #2:close #3:close".into()),
            ("#1: fixes the crash seen in #2", &hash, &en, "#1:link #2:link".into()),
            ("fix: crash in #7", &hash, &en, "#7:link".into()),
            ("fix(auth): #7 token refresh", &hash, &en, "#7:link".into()),
            ("fix!: #7 drop the old API", &hash, &en, "#7:link".into()),
            ("fix: login\n\nfix: #7", &hash, &en, "#7:close".into()),
            ("prefix #1", &hash, &en, "#1:link".into()),
            ("fixing #1", &hash, &en, "#1:link".into()),
            ("see #1, fixes #2", &hash, &en, "#1:link #2:close".into()),
            // Trailers.
            ("feat: login\n\nCloses: #12", &hash, &en, "#12:close".into()),
            ("feat: login\n\nRefs: #12", &hash, &en, "#12:link".into()),
            (&notion_trailer, &hash, &en, format!("{page_key}:link")),
            (&fixes_page, &hash, &en, format!("{page_key}:close")),
            // Unique ids and sub-tickets.
            ("fix: TASK-17 crash", &task, &en, "TASK-17:link".into()),
            ("Resolves task-17", &task, &en, "TASK-17:close".into()),
            ("closes #011.3, links #011", &hash, &en, "#011.3:close #011:link".into()),
            ("fixes TASK-3 and #4", &both, &en, "TASK-3:close #4:close".into()),
            // Chinese and emoji; keywords in the team's own language.
            ("feat: 完成工单 #003 - 统一 MT5 工作目录", &hash, &en, "#003:link".into()),
            ("feat: 完成工单 #003 - 统一 MT5 工作目录", &hash, &zh, "#003:close".into()),
            ("修复#12，关闭 #13 和 #14", &hash, &zh, "#12:close #13:close #14:close".into()),
            ("docs: 工单#004 完成报告", &hash, &zh, "#004:link".into()),
            ("✨ feat: closes #5 🎉", &hash, &en, "#5:close".into()),
            ("🐛 fix #6、#7", &hash, &en, "#6:close #7:close".into()),
            // Multi-line bodies: the keyword binds on its own line only.
            ("feat: parser\n\nThis closes\n#8", &hash, &en, "#8:link".into()),
            ("feat: parser\n\n- fixes #8\n- see #9", &hash, &en, "#8:close #9:link".into()),
            // A squash merge body pasting many messages.
            (squash, &hash, &en, "#41:link #12:link #13:close #14:link #15:close #16:close".into()),
            // WIP and skip markers.
            ("WIP: fixes #1", &hash, &en, "wip #1:link".into()),
            ("wip fix #1", &hash, &en, "wip #1:link".into()),
            ("[WIP] closes #1", &hash, &en, "wip #1:link".into()),
            ("wipe caches, fixes #1", &hash, &en, "#1:close".into()),
            ("fix #1 [skip notion]", &hash, &en, "skip".into()),
            ("chore: bump\n\n[NOTION SKIP] #1", &hash, &en, "skip".into()),
            // Reverts never close, not even the keyword they quote.
            (
                "Revert \"fix: closes #1\"\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.",
                &hash,
                &en,
                "revert(0123456789abcdef0123456789abcdef01234567) #1:link".into(),
            ),
            ("revert: fixes #2 broke the build", &hash, &en, "revert #2:link".into()),
            (
                "Undo the login change (fixes #3)\n\nThis reverts commit 89abcdef.",
                &hash,
                &en,
                "revert(89abcdef) #3:link".into(),
            ),
            // Commands.
            ("#042 #comment deployed to staging", &hash, &en, "#042:link comment(deployed to staging)".into()),
            ("fix: #042 #status In progress", &hash, &en, "#042:link status(In progress)".into()),
            ("#042 #status 进行中\n#042 #comment 已部署 ✅", &hash, &zh, "#042:link comment(已部署 ✅) status(进行中)".into()),
            ("TASK-9 #comment needs review\nTASK-9 #comment second", &task, &en, "TASK-9:link comment(needs review) comment(second)".into()),
            ("fixes #3 #comment root cause was the cache", &hash, &en, "#3:close comment(root cause was the cache)".into()),
            ("#5 #commentary is not a command", &hash, &en, "#5:link".into()),
            ("#5 #status", &hash, &en, "#5:link".into()),
        ];
        assert!(cases.len() >= 40, "{}", cases.len());
        let mut failures = vec![];
        for (message, extractor, keywords, want) in &cases {
            let got = show(message, extractor, keywords);
            if &got != want {
                failures.push(format!("{message:?}\n   want {want}\n    got {got}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} case(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
