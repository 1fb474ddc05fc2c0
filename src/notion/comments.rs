//! Notion comments from commit messages (`#042 #comment text`, and reverts): each ends with a footer that
//! names the commit (`— git-notion · commit <id>`, the id linked to the commit when there is a remote), and
//! is posted only when no git-notion comment with the same text is on the page yet. Re-running a hook, a
//! flush or a replay, or rebasing the commit, never posts the same comment twice.

use serde_json::{json, Value};

use crate::notion::client::{ApiError, Client};
use crate::notion::values;
use crate::rules::desired::Comment;

/// What stands between a comment's text and its commit id.
const FOOTER: &str = "\n— git-notion · commit ";

/// The text a comment may carry: Notion caps one comment's rich text, and the footer needs room.
const MAX_TEXT_CHARS: usize = 1800;

fn body_text(c: &Comment) -> String {
    let text = c.text.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        let cut: String = text.chars().take(MAX_TEXT_CHARS).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

/// The `rich_text` of a comment: its text, then the footer with the commit id (a link when known).
pub fn rich_text(c: &Comment) -> Vec<Value> {
    let mut items = values::rich_text(&format!("{}{FOOTER}", body_text(c)));
    let id = match &c.commit_url {
        Some(url) => json!({"type": "text", "text": {"content": c.commit, "link": {"url": url}}}),
        None => json!({"type": "text", "text": {"content": c.commit}}),
    };
    items.push(id);
    items
}

/// The text a git-notion comment was posted with (None for other comments).
fn posted_text(plain: &str) -> Option<&str> {
    let (text, id) = plain.rsplit_once(FOOTER)?;
    let id = id.trim();
    (id.len() >= 7 && id.chars().all(|c| c.is_ascii_hexdigit())).then_some(text)
}

/// The texts of the git-notion comments on a page (every page of results).
pub fn posted(client: &Client, page_id: &str) -> Result<Vec<String>, ApiError> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/comments?block_id={page_id}&page_size=100");
        if let Some(c) = &cursor {
            path.push_str(&format!("&start_cursor={c}"));
        }
        let v = client.get("read the page's comments", &path)?;
        for c in v["results"].as_array().into_iter().flatten() {
            let plain: String = c["rich_text"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["plain_text"].as_str())
                .collect();
            if let Some(text) = posted_text(&plain) {
                out.push(text.to_string());
            }
        }
        match (v["has_more"].as_bool(), v["next_cursor"].as_str()) {
            (Some(true), Some(next)) => cursor = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The comments of `wanted` that are not on the page yet (by text), each once.
pub fn unposted(wanted: &[Comment], posted: &[String]) -> Vec<Comment> {
    let mut out: Vec<Comment> = vec![];
    for c in wanted {
        let text = body_text(c);
        if !posted.contains(&text) && !out.iter().any(|o| body_text(o) == text) {
            out.push(c.clone());
        }
    }
    out
}

/// Posts one comment on a page.
pub fn post(client: &Client, page_id: &str, c: &Comment) -> Result<(), ApiError> {
    let body = json!({"parent": {"page_id": page_id}, "rich_text": rich_text(c)});
    client
        .post_create("comment on the page", "/v1/comments", &body)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(text: &str) -> Comment {
        Comment {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            text: text.into(),
            commit_url: Some("https://github.com/acme/app/commit/0123456".into()),
        }
    }

    #[test]
    fn footer_round_trip() {
        let c = comment("等待评审 ✅");
        let plain: String = rich_text(&c)
            .iter()
            .filter_map(|t| t["text"]["content"].as_str())
            .collect();
        assert_eq!(posted_text(&plain), Some("等待评审 ✅"));
        assert_eq!(
            rich_text(&c).last().unwrap()["text"]["link"]["url"],
            json!(c.commit_url.unwrap())
        );
        assert_eq!(posted_text("a comment by a person"), None);
        assert_eq!(posted_text("x\n— git-notion · commit not-hex"), None);
    }

    #[test]
    fn only_new_texts_once() {
        let wanted = [comment("a"), comment("b"), comment("a")];
        let left = unposted(&wanted, &["b".to_string()]);
        assert_eq!(
            left.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        let long = comment(&"长".repeat(5000));
        assert_eq!(
            unposted(std::slice::from_ref(&long), &[body_text(&long)]),
            vec![]
        );
    }
}
