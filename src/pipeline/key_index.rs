//! The local index of the database's keys: ticket key → page id, status, title, kept under the outbox
//! directory as `index.tsv` so that commit time (the `commit-msg` hook, `explain`) can say what a key is
//! without the network. A cache, never the truth for writes: every flush, sync and replay merges the pages
//! it looked up (and drops keys it found no page for); a replay that scanned the data source, `doctor`
//! and `git notion index --refresh` replace it whole (a *full* index, whose age says whether a key missing
//! from it is certainly missing).
//!
//! The file is text: a header line, then one `key<TAB>page<TAB>status<TAB>title` line per key, written
//! aside and renamed (never torn); tabs and line breaks in titles become spaces.

use std::collections::BTreeMap;
use std::path::Path;

use crate::pipeline::lookup::PageState;
use crate::rules::tickets::TicketKey;

/// The file under the outbox directory.
pub const FILE: &str = "index.tsv";

/// A full index younger than this is fresh: a key missing from it is certainly not in the database.
pub const FRESH_SECS: i64 = 24 * 3600;

const MAGIC: &str = "# git-notion key index 1";

/// What the index knows of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The page id (dashed); several pages carry the key when `pages` > 1.
    pub page: String,
    /// How many pages carry the key (more than one: ambiguous, never written).
    pub pages: usize,
    /// The status option's name (empty: unset or not bound).
    pub status: String,
    /// The title, as plain text.
    pub title: String,
}

impl Known {
    /// What a page says, for the index.
    pub fn of(page: &PageState) -> Known {
        Known {
            page: page.id.clone(),
            pages: 1,
            status: page.status.clone(),
            title: page.title.clone(),
        }
    }
}

/// The index as read from its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyIndex {
    /// The data source it describes.
    pub source: String,
    /// When it was last read whole (seconds), if ever.
    pub refreshed: Option<i64>,
    /// When anything was last recorded (seconds).
    pub updated: i64,
    /// The status options of the data source (as of the last full read).
    pub options: Vec<String>,
    /// Key (as [`KeyIndex::name`] writes it) → what is known.
    pub entries: BTreeMap<String, Known>,
}

/// The index file of the `position`-th configured database: `index.tsv` for the first (and for one
/// database alone), `index-2.tsv` for the second, …
fn file(position: usize) -> String {
    if position == 0 {
        FILE.to_string()
    } else {
        format!("index-{}.tsv", position + 1)
    }
}

fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl KeyIndex {
    /// The name a key is indexed under: as written (`#042`, `TASK-17`); None for a page id (it names its
    /// page itself).
    pub fn name(key: &TicketKey) -> Option<String> {
        match key {
            TicketKey::Page(_) => None,
            k => Some(clean(&k.to_string())),
        }
    }

    /// Reads the index of the `position`-th configured database (None: none yet, or unreadable — a
    /// cache is never an error).
    pub fn read(dir: &Path, position: usize) -> Option<KeyIndex> {
        let text = std::fs::read_to_string(dir.join(file(position))).ok()?;
        let mut lines = text.lines();
        let header = lines.next()?.strip_prefix(MAGIC)?;
        let mut ix = KeyIndex::default();
        for field in header.split_whitespace() {
            let (k, v) = field.split_once('=')?;
            match k {
                "source" => ix.source = v.to_string(),
                "refreshed" => ix.refreshed = v.parse().ok(),
                "updated" => ix.updated = v.parse().ok()?,
                _ => {}
            }
        }
        ix.options = serde_json::from_str(lines.next()?.strip_prefix("# options ")?).ok()?;
        for line in lines {
            let mut f = line.splitn(5, '\t');
            let (Some(key), Some(page), Some(pages), Some(status), Some(title)) =
                (f.next(), f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            ix.entries.insert(
                key.to_string(),
                Known {
                    page: page.to_string(),
                    pages: pages.parse().unwrap_or(1),
                    status: status.to_string(),
                    title: title.to_string(),
                },
            );
        }
        Some(ix)
    }

    /// The indexes of these databases (their positions in the configuration) as one: every key (each
    /// is one database's), read whole only when each was.
    pub fn read_all(dir: &Path, positions: &[usize]) -> Option<KeyIndex> {
        let mut all: Option<KeyIndex> = None;
        let mut partial = false;
        for p in positions {
            match (Self::read(dir, *p), &mut all) {
                (None, _) => partial = true,
                (Some(ix), None) => all = Some(ix),
                (Some(ix), Some(a)) => {
                    a.source = format!("{},{}", a.source, ix.source);
                    a.refreshed = a.refreshed.zip(ix.refreshed).map(|(x, y)| x.min(y));
                    a.updated = a.updated.max(ix.updated);
                    a.options.extend(ix.options);
                    a.entries.extend(ix.entries);
                }
            }
        }
        if let (true, Some(a)) = (partial, &mut all) {
            a.refreshed = None;
        }
        all
    }

    fn write(&self, dir: &Path, position: usize) -> std::io::Result<()> {
        crate::files::private_dir(dir)?;
        let options = serde_json::to_string(&self.options).unwrap_or_else(|_| "[]".into());
        let mut text = format!(
            "{MAGIC} source={} refreshed={} updated={}\n# options {options}\n",
            clean(&self.source).replace(' ', ""),
            self.refreshed
                .map_or_else(|| "-".to_string(), |t| t.to_string()),
            self.updated,
        );
        for (key, k) in &self.entries {
            text.push_str(&format!(
                "{key}\t{}\t{}\t{}\t{}\n",
                k.page,
                k.pages,
                clean(&k.status),
                clean(&k.title)
            ));
        }
        let name = file(position);
        let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
        crate::files::write_private(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, dir.join(name))
    }

    /// Records what a flush, sync or replay learnt: `Some` — the page a key has now; `None` — no page
    /// carries the key. Other keys are kept (an index of another data source is started afresh).
    pub fn merge(
        dir: &Path,
        position: usize,
        source: &str,
        seen: impl IntoIterator<Item = (String, Option<Known>)>,
        now: i64,
    ) -> std::io::Result<()> {
        let mut ix = Self::read(dir, position)
            .filter(|ix| ix.source == source)
            .unwrap_or_else(|| KeyIndex {
                source: source.to_string(),
                ..KeyIndex::default()
            });
        let mut changed = false;
        for (key, known) in seen {
            changed = true;
            match known {
                Some(k) => {
                    ix.entries.insert(key, k);
                }
                None => {
                    ix.entries.remove(&key);
                }
            }
        }
        if !changed {
            return Ok(());
        }
        ix.updated = now;
        ix.write(dir, position)
    }

    /// Replaces the index with a whole data source's keys (a scan, `index --refresh`, `doctor`).
    pub fn replace(
        dir: &Path,
        position: usize,
        source: &str,
        options: Vec<String>,
        entries: BTreeMap<String, Known>,
        now: i64,
    ) -> std::io::Result<()> {
        KeyIndex {
            source: source.to_string(),
            refreshed: Some(now),
            updated: now,
            options,
            entries,
        }
        .write(dir, position)
    }

    /// Whether the index was read whole within [`FRESH_SECS`] of `now`.
    pub fn fresh(&self, now: i64) -> bool {
        self.refreshed.is_some_and(|t| now - t < FRESH_SECS)
    }

    /// What is known of a key (None: not in the index).
    pub fn get(&self, key: &TicketKey) -> Option<&Known> {
        self.entries.get(&Self::name(key)?)
    }

    /// Up to `n` indexed keys closest to `key` (edit distance at most 2, same kind of key), closest first.
    pub fn closest(&self, key: &TicketKey, n: usize) -> Vec<&str> {
        let Some(name) = Self::name(key) else {
            return vec![];
        };
        let prefix = |s: &str| -> String {
            s.chars()
                .take_while(|c| !c.is_ascii_digit())
                .collect::<String>()
                .to_ascii_uppercase()
        };
        let mine = prefix(&name);
        // Closest first; among equally close, the one sharing the longest start (`#006` for `#0061`).
        let shared = |k: &str| {
            k.chars()
                .zip(name.chars())
                .take_while(|(a, b)| a == b)
                .count()
        };
        let mut near: Vec<(usize, std::cmp::Reverse<usize>, &str)> = self
            .entries
            .keys()
            .filter(|k| prefix(k) == mine)
            .map(|k| {
                (
                    strsim::levenshtein(&name, k),
                    std::cmp::Reverse(shared(k)),
                    k.as_str(),
                )
            })
            .filter(|(d, _, _)| (1..=2).contains(d))
            .collect();
        near.sort();
        near.into_iter().take(n).map(|(_, _, k)| k).collect()
    }

    /// How old the index is, for `status` and `doctor`: `1,204 keys, read whole 3 h ago, updated 5 min ago`.
    pub fn describe(&self, now: i64) -> String {
        let ago = |t: i64| ago(now, t);
        let whole = match self.refreshed {
            Some(t) => format!("read whole {}", ago(t)),
            None => "never read whole (`git notion index --refresh`)".to_string(),
        };
        format!(
            "{} keys, {whole}, updated {}",
            self.entries.len(),
            ago(self.updated)
        )
    }
}

/// How long before `now` the time `t` was (seconds): `12 s ago`, `5 min ago`, `3 h ago`, `2 days ago`.
pub fn ago(now: i64, t: i64) -> String {
    let s = (now - t).max(0);
    match s {
        0..60 => format!("{s} s ago"),
        60..3600 => format!("{} min ago", s / 60),
        3600..172_800 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// What a plan (applied or not) learnt of its keys, for [`KeyIndex::merge`]: the page each key found, with
/// the status and title written where the write went through; `None` for a key no page carries. Failed
/// lookups teach nothing; page-id keys are not indexed.
pub fn seen_in(
    entries: &[crate::pipeline::plan::Entry],
    binding: &crate::notion::schema::Binding,
) -> Vec<(String, Option<Known>)> {
    use crate::pipeline::plan::Outcome;
    let status = binding.status.as_ref().map(|p| p.name.as_str());
    entries
        .iter()
        .filter_map(|e| {
            let name = KeyIndex::name(&e.desired.key)?;
            let known = match &e.outcome {
                Outcome::UpToDate { page } => Some(Known::of(page)),
                Outcome::Update { page, changes } => {
                    let mut k = Known::of(page);
                    if matches!(e.applied, Some(Ok(()))) {
                        for c in changes {
                            if Some(c.property.as_str()) == status {
                                k.status = c.to.clone();
                            } else if c.property == binding.title.name {
                                k.title = c.to.clone();
                            }
                        }
                    }
                    Some(k)
                }
                Outcome::NotFound | Outcome::Create { .. } => None,
                Outcome::Ambiguous(pages) => {
                    let mut k = Known::of(pages.first()?);
                    k.pages = pages.len();
                    Some(k)
                }
                Outcome::Failed(_) => return None,
            };
            Some((name, known))
        })
        .collect()
}

/// The keys of every page of a data source (a scan), by the index's names: each page under the key its
/// title (or lookup property) carries and its unique id; a key on several pages is kept as ambiguous.
pub fn of_pages(ix: &crate::pipeline::lookup::Index) -> BTreeMap<String, Known> {
    let mut out: BTreeMap<String, Known> = BTreeMap::new();
    for (key, pages) in ix.keyed() {
        let Some(name) = KeyIndex::name(&key) else {
            continue;
        };
        if let Some(first) = pages.first() {
            let mut k = Known::of(first);
            k.pages = pages.len();
            out.insert(name, k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(title: &str) -> Option<Known> {
        Some(Known {
            page: "p".into(),
            pages: 1,
            status: "Doing".into(),
            title: title.into(),
        })
    }

    #[test]
    fn merged_and_replaced_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(KeyIndex::read(dir.path(), 0).is_none());
        KeyIndex::merge(
            dir.path(),
            0,
            "ds",
            [
                ("TASK-17".to_string(), known("Login\tpage\nnext")),
                ("#042".to_string(), known("Guard")),
            ],
            100,
        )
        .unwrap();
        let ix = KeyIndex::read(dir.path(), 0).unwrap();
        assert_eq!(ix.entries["TASK-17"].title, "Login page next");
        assert_eq!(ix.refreshed, None);
        assert!(!ix.fresh(100));
        KeyIndex::merge(dir.path(), 0, "ds", [("#042".to_string(), None)], 200).unwrap();
        let ix = KeyIndex::read(dir.path(), 0).unwrap();
        assert!(!ix.entries.contains_key("#042"));
        assert_eq!(ix.updated, 200);
        let all: BTreeMap<String, Known> = [
            ("TASK-17".to_string(), known("a").unwrap()),
            ("TASK-71".to_string(), known("b").unwrap()),
            ("TASK-1".to_string(), known("c").unwrap()),
        ]
        .into();
        KeyIndex::replace(
            dir.path(),
            0,
            "ds",
            vec!["To do".into(), "In progress".into()],
            all,
            300,
        )
        .unwrap();
        let ix = KeyIndex::read(dir.path(), 0).unwrap();
        assert!(ix.fresh(300 + 3600));
        assert_eq!(ix.options, ["To do", "In progress"]);
        let typo = TicketKey::UniqueId {
            prefix: "TASK".into(),
            number: 171,
        };
        assert_eq!(ix.closest(&typo, 3), ["TASK-17", "TASK-71", "TASK-1"]);
        let typo = TicketKey::UniqueId {
            prefix: "TASK".into(),
            number: 7,
        };
        assert_eq!(ix.closest(&typo, 2), ["TASK-71", "TASK-1"]);
        assert!(ix
            .describe(300 + 7200)
            .starts_with("3 keys, read whole 2 h ago"));
        // Another data source's index is started afresh.
        KeyIndex::merge(
            dir.path(),
            0,
            "other",
            [("#1".to_string(), known("x"))],
            400,
        )
        .unwrap();
        assert_eq!(KeyIndex::read(dir.path(), 0).unwrap().entries.len(), 1);
        // A second database's index is its own file; read together, they are one index, read whole
        // only when each was.
        KeyIndex::merge(
            dir.path(),
            1,
            "bugs",
            [("BUG-2".to_string(), known("y"))],
            500,
        )
        .unwrap();
        assert!(dir.path().join("index-2.tsv").exists());
        let both = KeyIndex::read_all(dir.path(), &[0, 1]).unwrap();
        assert_eq!(both.entries.len(), 2);
        assert_eq!((both.updated, both.refreshed), (500, None));
        assert!(KeyIndex::read_all(dir.path(), &[1])
            .unwrap()
            .entries
            .contains_key("BUG-2"));
    }
}
