//! Entry points for fuzzing: each takes arbitrary bytes and runs one parser that reads input git-notion
//! does not control. The `cargo fuzz` targets in `fuzz/` call these, and a test replays their corpora on
//! every CI run. Each must return without panicking, whatever the bytes.

use crate::rules::intent::{self, Keywords};
use crate::rules::tickets::Extractor;

/// The configuration loader: the bytes as a `.git-notion.toml`.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let layer = crate::config::Layer {
        origin: "fuzz.toml".into(),
        text,
    };
    if let Ok(c) = crate::config::Config::from_layers(&[layer], &crate::config::Env::default()) {
        let _ = crate::rules::desired::Rules::new(&c, None);
    }
}

/// A commit message: decoded (the first byte picks an encoding header), then its ticket keys, spans,
/// title key and intents, with the default patterns and unique ids.
pub fn message(data: &[u8]) {
    let (encoding, raw) = match data.split_first() {
        Some((b, rest)) if b % 4 == 0 => (Some(&b"GBK"[..]), rest),
        Some((b, rest)) if b % 4 == 1 => (Some(&b"ISO-8859-1"[..]), rest),
        Some((b, rest)) if b % 4 == 2 => (Some(&b"no-such-encoding"[..]), rest),
        Some((_, rest)) => (None, rest),
        None => (None, data),
    };
    let text = crate::git::message::decode(raw, encoding);
    let Ok(x) = Extractor::new(
        &[crate::config::DEFAULT_PATTERN.to_string()],
        &["TASK".to_string()],
    ) else {
        return;
    };
    let _ = x.extract(&text);
    let _ = x.locate(&text);
    let _ = x.title_key(crate::git::message::subject(&text));
    let keywords = Keywords::new(&crate::config::DEFAULT_CLOSING_KEYWORDS);
    let _ = intent::parse(&text, &x, &keywords);
    let zh = Keywords::new(&intent::CHINESE_CLOSING_KEYWORDS);
    let _ = intent::parse(&text, &x, &zh);
}

/// Ids and links: a page or database id, a database URL, a commit link, an API URL.
pub fn ids(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::id::normalize(&text);
    let _ = crate::config::database_id(&text);
    let _ = crate::pipeline::plan::linked_commit(&text);
    let _ = crate::config::is_loopback_url(&text);
    let env = crate::config::Env::from_pairs([("GIT_NOTION_API_URL", text.into_owned())]);
    let _ = crate::config::api_url(&env);
}

/// The outbox's files and a replay journal, as written by an older version, a killed process or a
/// hostile hand: the first byte picks the file.
pub fn state_files(data: &[u8]) {
    let Ok(dir) = tempdir() else { return };
    let (which, bytes) = data.split_first().map_or((0, data), |(b, r)| (*b, r));
    let outbox = crate::hooks::outbox::Outbox::new(&dir).with_sync(false);
    let name = match which % 4 {
        0 => "queue.jsonl",
        1 => "outbox.json",
        2 => "failed.json",
        _ => "journal",
    };
    let base = dir.join("git-notion");
    if crate::files::private_dir(&base).is_ok() {
        if name == "journal" {
            let path = base.join("replay-1.jsonl");
            if std::fs::write(&path, bytes).is_ok() {
                let _ = crate::replay::journal::read(&path);
            }
        } else if std::fs::write(base.join(name), bytes).is_ok() {
            if let Ok(guard) = outbox.lock() {
                let _ = guard.pending();
                let _ = guard.failed();
                let _ = guard.notice();
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory under the system's temporary directory.
fn tempdir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "git-notion-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    //! The fuzz corpora (`fuzz/corpus/<target>/`, minimised) replayed on every test run: what the fuzzers
    //! found interesting, and every input that once crashed, must still pass through without a panic.

    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let mut n = 0;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            run(&std::fs::read(e.path()).unwrap());
            n += 1;
        }
        n
    }

    #[test]
    fn the_fuzz_corpora_pass() {
        assert!(replay("config", super::config) >= 4);
        assert!(replay("message", super::message) >= 5);
        assert!(replay("ids", super::ids) >= 5);
        assert!(replay("state_files", super::state_files) >= 4);
    }
}
