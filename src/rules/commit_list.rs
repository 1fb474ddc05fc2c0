//! The commits property (`[properties] commits`): every commit that names a ticket, newest first, one line
//! each (`a1b2c3d 2026-12-04 14:03 feat: the subject`, the time in UTC), kept within Notion's limits for a
//! rich-text value; the older ones are summed up as a last line `+N earlier`.
//!
//! The list is a union: what the page shows and what this repository's history says, so that clones that
//! have not fetched each other never take each other's lines away, the hooks (a few commits at a time) and
//! a replay (the whole history) arrive at the same text, and writing it twice changes nothing. A commit is
//! known by its short id (the line's first word). Lines a person typed in another shape are not kept: the
//! property is git-notion's to write.

/// Digits of a commit id a line shows (and knows the commit by).
pub const SHORT: usize = 7;
/// At most this many lines of commits: each is two rich-text items (the id, linked, and the rest), and the
/// `+N earlier` line one more, within Notion's 100 items.
pub const MAX_LINES: usize = 49;
/// The whole text stays within one rich-text item's limit (2,000 UTF-16 units), `+N earlier` included.
pub const MAX_UNITS: usize = 2000;
/// A subject is cut to this many characters (an ellipsis marks the cut).
pub const SUBJECT_CHARS: usize = 72;
/// Room kept for the `+N earlier` line.
const SUMMARY_UNITS: usize = 24;

/// A subject as a line shows it: on one line, cut to [`SUBJECT_CHARS`] (an ellipsis marks the cut). Reads
/// only what it keeps, however long the subject.
pub fn cut(subject: &str) -> String {
    let mut out = String::new();
    for (i, c) in subject.trim().chars().enumerate() {
        if i == SUBJECT_CHARS {
            out.truncate(out.trim_end().len());
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// One commit of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The commit's short id.
    pub short: String,
    /// Its committer time, `YYYY-MM-DD HH:MM` in UTC (what the list is ordered by).
    pub at: String,
    /// Its subject, cut to [`SUBJECT_CHARS`], on one line.
    pub subject: String,
    /// Its web link, when known.
    pub url: Option<String>,
}

impl Line {
    /// The line of a commit (`id` in full, `time` in seconds).
    pub fn of(id: &str, time: i64, subject: &str, url: Option<String>) -> Line {
        let at = jiff::Timestamp::from_second(time)
            .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| "0000-00-00 00:00".into());
        Line {
            short: id.chars().take(SHORT).collect::<String>().to_lowercase(),
            at,
            subject: cut(subject),
            url,
        }
    }

    /// Everything after the id, as the line shows it.
    fn rest(&self) -> String {
        if self.subject.is_empty() {
            format!(" {}", self.at)
        } else {
            format!(" {} {}", self.at, self.subject)
        }
    }

    fn units(&self) -> usize {
        self.short.encode_utf16().count() + self.rest().encode_utf16().count()
    }

    /// Newest first: by time, then by id.
    fn newer_first(a: &Line, b: &Line) -> std::cmp::Ordering {
        b.at.cmp(&a.at).then(b.short.cmp(&a.short))
    }
}

/// A list as a page shows it, or as it is to be written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct List {
    /// The commits shown, newest first.
    pub lines: Vec<Line>,
    /// How many older commits the `+N earlier` line stands for.
    pub earlier: usize,
}

impl List {
    /// Reads a page's text; `links` are the page's linked words (text → URL), so its lines keep their links.
    pub fn parse(text: &str, links: &[(String, String)]) -> List {
        let mut list = List::default();
        for line in text.lines() {
            if let Some(n) = line
                .strip_prefix('+')
                .and_then(|r| r.strip_suffix(" earlier"))
                .and_then(|n| n.trim().parse::<usize>().ok())
            {
                list.earlier = n;
                continue;
            }
            let mut words = line.splitn(4, ' ');
            let (Some(short), Some(day), Some(time)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            let shaped = short.len() == SHORT
                && short.bytes().all(|b| b.is_ascii_hexdigit())
                && day.len() == 10
                && time.len() == 5;
            if !shaped {
                continue;
            }
            list.lines.push(Line {
                short: short.to_lowercase(),
                at: format!("{day} {time}"),
                subject: words.next().unwrap_or_default().to_string(),
                url: links
                    .iter()
                    .find(|(t, _)| t.eq_ignore_ascii_case(short))
                    .map(|(_, u)| u.clone()),
            });
        }
        list
    }

    /// The union of what the page shows (`page`) and this repository's commits of the ticket (`local`,
    /// plus `local_older` older ones not given), within the limits. A local commit older than the page's
    /// oldest line while the page sums up earlier ones is taken to be among them (not counted twice).
    pub fn merge(page: &List, local: &[Line], local_older: usize) -> List {
        let cutoff = page.lines.last().filter(|_| page.earlier > 0);
        let mut all = page.lines.clone();
        let mut below = local_older;
        for l in local {
            if all.iter().any(|p| p.short == l.short) {
                continue;
            }
            if cutoff.is_some_and(|c| Line::newer_first(l, c).is_gt()) {
                below += 1;
                continue;
            }
            all.push(l.clone());
        }
        all.sort_by(Line::newer_first);
        let mut list = List {
            lines: vec![],
            earlier: page.earlier.max(below),
        };
        let mut units = SUMMARY_UNITS;
        for line in all {
            let needs = line.units() + 1;
            if list.lines.len() < MAX_LINES && units + needs <= MAX_UNITS {
                units += needs;
                list.lines.push(line);
            } else {
                list.earlier += 1;
            }
        }
        list
    }

    /// The text the page shows (what the plan compares).
    pub fn text(&self) -> String {
        self.parts().into_iter().map(|(t, _)| t).collect()
    }

    /// The text in parts, each id with its link: the rich-text items to write.
    pub fn parts(&self) -> Vec<(String, Option<String>)> {
        let mut parts = vec![];
        for (i, line) in self.lines.iter().enumerate() {
            let last = i + 1 == self.lines.len() && self.earlier == 0;
            parts.push((line.short.clone(), line.url.clone()));
            parts.push((
                format!("{}{}", line.rest(), if last { "" } else { "\n" }),
                None,
            ));
        }
        if self.earlier > 0 {
            parts.push((format!("+{} earlier", self.earlier), None));
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: i64) -> Line {
        Line::of(
            &format!("{n:07x}{}", "0".repeat(33)),
            1_764_000_000 + n * 3600,
            &format!("feat: #001 step {n}"),
            None,
        )
    }

    #[test]
    fn a_line_reads_back_as_written() {
        let l = Line::of(
            &"ab".repeat(20),
            1_764_852_180,
            "fix: 修复 #001\twith a tab",
            Some("u".into()),
        );
        assert_eq!(l.short, "abababa");
        assert_eq!(l.at, "2025-12-04 12:43");
        assert_eq!(l.subject, "fix: 修复 #001 with a tab");
        let list = List::merge(&List::default(), std::slice::from_ref(&l), 0);
        assert_eq!(
            list.text(),
            "abababa 2025-12-04 12:43 fix: 修复 #001 with a tab"
        );
        let back = List::parse(&list.text(), &[("abababa".into(), "u".into())]);
        assert_eq!(back.lines, vec![l]);
        let long = Line::of("c0ffee0", 0, &"字".repeat(100), None);
        assert_eq!(long.subject.chars().count(), SUBJECT_CHARS + 1);
    }

    #[test]
    fn the_union_is_the_same_whether_built_at_once_or_a_commit_at_a_time() {
        let all: Vec<Line> = (0..80).map(line).collect();
        let at_once = List::merge(&List::default(), &all, 0);
        assert!(at_once.earlier > 0, "80 commits do not fit");
        assert_eq!(at_once.lines.len() + at_once.earlier, 80);
        assert!(at_once.text().encode_utf16().count() <= MAX_UNITS);
        assert!(at_once.parts().len() <= 100);
        let mut page = List::default();
        for l in &all {
            page = List::parse(&List::merge(&page, std::slice::from_ref(l), 0).text(), &[]);
        }
        assert_eq!(page.text(), at_once.text());
        // Idempotent: the whole history again (a replay) over the page changes nothing.
        assert_eq!(List::merge(&page, &all, 0).text(), page.text());
        // A clone that knows only the newest ten, or the oldest ten, changes nothing either.
        assert_eq!(List::merge(&page, &all[70..], 0).text(), page.text());
        assert_eq!(List::merge(&page, &all[..10], 0).text(), page.text());
        // One kept as a count (a history longer than the track keeps) is not counted twice.
        assert_eq!(List::merge(&page, &all[1..], 1).text(), page.text());
    }

    #[test]
    fn another_clones_lines_are_kept() {
        let mine = List::merge(&List::default(), &[line(1), line(3)], 0);
        let theirs = List::merge(&mine, &[line(2)], 0);
        let shorts: Vec<&str> = theirs.lines.iter().map(|l| l.short.as_str()).collect();
        assert_eq!(shorts, [&line(3).short, &line(2).short, &line(1).short]);
        // A line a person typed in another shape is not kept; one of ours is.
        let typed = format!("{}\nsee the PR\n", theirs.text());
        assert_eq!(List::parse(&typed, &[]), List::parse(&theirs.text(), &[]));
    }
}
