//! Notion comments from commit messages (`#042 #comment text`, and reverts): each ends with a footer that
//! names the commit (`— git-notion · commit <id>`, the id linked to the commit when there is a remote), and
//! is posted only when no git-notion comment with the same text is on the page yet. Re-running a hook, a
//! flush or a replay, or rebasing the commit, never posts the same comment twice.

use serde_json::{json, Value};

use crate::notion::client::{ApiError, Client};
use crate::notion::values;

/// A comment git-notion posts: its text, and the commit it comes from (full id, and its link if known).
#[derive(Debug, Clone, Copy)]
pub struct Marked<'a> {
    /// What the commit asked to say.
    pub text: &'a str,
    /// The full id of the commit that asked, which ends the comment.
    pub commit: &'a str,
    /// The commit's web link, when the remote has one.
    pub commit_url: Option<&'a str>,
}

/// What stands between a comment's text and its commit id.
const FOOTER: &str = "\n— git-notion · commit ";

/// The text a comment may carry: Notion caps one comment's rich text, and the footer needs room.
const MAX_TEXT_CHARS: usize = 1800;

/// The text a comment is posted with (trimmed, capped), which is also how a posted one is recognised.
pub fn body_text(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        let cut: String = text.chars().take(MAX_TEXT_CHARS).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

/// The `rich_text` of a comment: its text, then the footer with the commit id (a link when known).
pub fn rich_text(c: Marked) -> Vec<Value> {
    let mut items = values::rich_text(&format!("{}{FOOTER}", body_text(c.text)));
    let id = match c.commit_url {
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

/// A git-notion comment listed on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its text without the footer (what [`body_text`] made of the commit's words).
    pub text: String,
    /// When Notion says it was made (ISO 8601, as Notion shows it).
    pub created: String,
    /// Its id.
    pub id: String,
}

/// The git-notion comments on a page (every page of results; Notion lists un-resolved ones only).
pub fn listed(client: &Client, page_id: &str) -> Result<Vec<Listed>, ApiError> {
    let mut out = vec![];
    crate::notion::client::paginate(
        &format!("read the page's comments (GET /v1/comments?block_id={page_id})"),
        |cursor| {
            let mut path = format!("/v1/comments?block_id={page_id}&page_size=100");
            if let Some(c) = cursor {
                path.push_str("&start_cursor=");
                path.extend(c.bytes().map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                }));
            }
            client.get("read the page's comments", &path)
        },
        |c| {
            let plain: String = c["rich_text"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["plain_text"].as_str())
                .collect();
            if let Some(text) = posted_text(&plain) {
                out.push(Listed {
                    text: text.to_string(),
                    created: c["created_time"].as_str().unwrap_or_default().to_string(),
                    id: c["id"].as_str().unwrap_or_default().to_string(),
                });
            }
        },
    )?;
    Ok(out)
}

/// The texts of the git-notion comments on a page (every page of results).
pub fn posted(client: &Client, page_id: &str) -> Result<Vec<String>, ApiError> {
    Ok(listed(client, page_id)?
        .into_iter()
        .map(|c| c.text)
        .collect())
}

/// After posting `texts` on a page: where the page lists the same git-notion text more than once (two
/// clones posted it at the same instant), keeps the earliest (by `created_time`, then id: every clone
/// picks the same one) and deletes the others, so racing clones converge on one comment. Returns how
/// many were deleted; a comment another clone deleted first (404) counts as gone.
pub fn keep_earliest(client: &Client, page_id: &str, texts: &[String]) -> Result<usize, ApiError> {
    let mut listed = listed(client, page_id)?;
    listed.retain(|c| texts.contains(&c.text));
    listed.sort_by(|a, b| (&a.text, &a.created, &a.id).cmp(&(&b.text, &b.created, &b.id)));
    let mut deleted = 0;
    for pair in listed.windows(2) {
        let [first, later] = pair else { continue };
        if first.text != later.text {
            continue;
        }
        match client.delete(
            "delete a comment posted twice",
            &format!("/v1/comments/{}", later.id),
        ) {
            Ok(_) | Err(ApiError::NotFound { .. }) => deleted += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(deleted)
}

/// Posts one comment on a page.
pub fn post(client: &Client, page_id: &str, c: Marked) -> Result<(), ApiError> {
    let body = json!({"parent": {"page_id": page_id}, "rich_text": rich_text(c)});
    client
        .post_create("comment on the page", "/v1/comments", &body)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";
    const URL: &str = "https://github.com/acme/app/commit/0123456";

    fn comment(text: &str) -> Marked<'_> {
        Marked {
            commit: ID,
            text,
            commit_url: Some(URL),
        }
    }

    #[test]
    fn footer_round_trip() {
        let c = comment("等待评审 ✅");
        let plain: String = rich_text(c)
            .iter()
            .filter_map(|t| t["text"]["content"].as_str())
            .collect();
        assert_eq!(posted_text(&plain), Some("等待评审 ✅"));
        assert_eq!(
            rich_text(c).last().unwrap()["text"]["link"]["url"],
            json!(URL)
        );
        assert_eq!(posted_text("a comment by a person"), None);
        assert_eq!(posted_text("x\n— git-notion · commit not-hex"), None);
    }
}
