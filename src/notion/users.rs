//! The workspace's people (`GET /v1/users`): whom a commit author's email names, for `[properties]
//! assignee`. Read once per run, only when an assignee property is configured.

use std::collections::BTreeMap;

use serde_json::Value;

use super::client::{paginate, ApiError, Client};

/// Email (lowercase) → user id of every person of the workspace the token can see (bots have none).
pub fn by_email(client: &Client) -> Result<BTreeMap<String, String>, ApiError> {
    let mut people = BTreeMap::new();
    paginate(
        "list the workspace's users (GET /v1/users)",
        |cursor| {
            let path = match cursor {
                Some(c) => format!("/v1/users?page_size=100&start_cursor={c}"),
                None => "/v1/users?page_size=100".to_string(),
            };
            client.get("list the workspace's users", &path)
        },
        |user| {
            if let Some((email, id)) = person(&user) {
                people.insert(email, id);
            }
        },
    )?;
    Ok(people)
}

/// A person's (email, id); None for bots and people whose email the token may not read.
fn person(user: &Value) -> Option<(String, String)> {
    let email = user["person"]["email"].as_str()?.trim().to_lowercase();
    let id = user["id"].as_str()?.to_string();
    (user["type"] == "person" && !email.is_empty()).then_some((email, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_read_by_email_and_bots_left_out() {
        let ada = serde_json::json!({"object": "user", "id": "u-1", "type": "person", "person": {"email": " Ada@Example.com"}});
        assert_eq!(
            person(&ada),
            Some(("ada@example.com".to_string(), "u-1".to_string()))
        );
        let bot = serde_json::json!({"object": "user", "id": "b", "type": "bot", "bot": {}});
        assert_eq!(person(&bot), None);
        let hidden =
            serde_json::json!({"object": "user", "id": "u-2", "type": "person", "person": {}});
        assert_eq!(person(&hidden), None);
    }
}
