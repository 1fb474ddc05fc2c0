//! Beyond one database (issue 30): people.

use serde_json::{json, Value};

use crate::util::*;

const ADA: &str = "0a0a0a0a-0000-4000-8000-00000000000a";
const BO: &str = "0b0b0b0b-0000-4000-8000-00000000000b";

/// The zh workspace with two people and a people property (负责人); #003 already has Ada.
fn people_seed() -> Value {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["users"] = json!([
        {"id": ADA, "name": "Ada", "email": "ada@example.com"},
        {"id": BO, "name": "Bo", "email": "bo@example.com"}
    ]);
    let ds = &mut seed["databases"][0]["data_sources"][0];
    ds["properties"]["负责人"] = json!({"type": "people"});
    for page in ds["pages"].as_array_mut().unwrap() {
        if page["properties"]["标题"]
            .as_str()
            .is_some_and(|t| t.starts_with("#003"))
        {
            page["properties"]["负责人"] = json!(["ada@example.com"]);
        }
    }
    seed
}

/// The user ids in the people property of the page whose title starts with `prefix`.
fn assigned(w: &World, prefix: &str) -> Vec<String> {
    let st = w.sb.state();
    let page = st.find_page_by_title(prefix).expect("page");
    let v = st.page_property(page, "负责人").expect("property");
    v["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

/// `[properties] assignee`: the hooks give a ticket the author of its first commit (matched to a Notion
/// user by email, any case; `[people]` maps an email Notion does not know), only while nobody is assigned:
/// a later author, or a person assigned by hand, is never replaced; an author nobody matches is a note,
/// never an error. Then the replay plans nothing (hooks ≡ replay), and says why the unknown one is empty.
#[test]
fn the_first_author_is_assigned_while_nobody_is() {
    let config = format!(
        "{}[people]\n\"Carol@Corp.example\" = \"{}\"\n{FAST}",
        ZH_CONFIG.replacen(
            "commit_url = \"Commit\"\n",
            "commit_url = \"Commit\"\nassignee = \"负责人\"\n",
            1
        ),
        BO.replace('-', "")
    );
    let w = World::with_seed(
        &people_seed(),
        notion_sandbox::SandboxConfig::default(),
        &config,
    );
    let by = |email: &str, message: &str| {
        w.git_with(
            &w.repo,
            &["commit", "-q", "--allow-empty", "-m", message],
            &[("GIT_AUTHOR_EMAIL", email)],
        );
        w.wait_for_flusher();
    };
    by("ADA@example.com", "feat: #005 start monitoring");
    by("bo@example.com", "fix: #005 thresholds");
    by("bo@example.com", "feat: #003 notes");
    by("carol@corp.example", "feat: #006 alerts");
    by("stranger@nowhere.example", "feat: #007 dashboards");

    assert_eq!(
        assigned(&w, "#005"),
        [ADA],
        "the first author, not the later one"
    );
    assert_eq!(assigned(&w, "#003"), [ADA], "assigned by hand: kept");
    assert_eq!(assigned(&w, "#006"), [BO], "mapped in [people]");
    assert!(assigned(&w, "#007").is_empty(), "nobody matches");
    assert_eq!(
        w.prop_by_title("#007"),
        "进行中",
        "the rest of the update went"
    );

    let out = w.replay(&["--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["to_update"], 0, "hooks ≡ replay: {v:#}");
    let text = stdout(&w.replay(&[]));
    assert!(
        text.contains("stranger@nowhere.example is not among the workspace's users"),
        "{text}"
    );
}

/// The replay assigns as the hooks would: the author of the first commit in history; `doctor` checks the
/// property and the people it can match; `init` offers the people property (commented: opt-in).
#[test]
fn a_replay_assigns_the_first_author_in_history() {
    let config = ZH_CONFIG.replacen(
        "commit_url = \"Commit\"\n",
        "commit_url = \"Commit\"\nassignee = \"负责人\"\n",
        1,
    );
    let w = World::with_seed(
        &people_seed(),
        notion_sandbox::SandboxConfig::default(),
        &format!("{config}{FAST}"),
    );
    for (email, message) in [
        ("bo@example.com", "feat: #006 first"),
        ("ada@example.com", "fix: #006 second"),
        ("ada@example.com", "feat: #005 first"),
    ] {
        w.commit_without_hook_as(&w.repo, email, message);
    }
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(assigned(&w, "#006"), [BO]);
    assert_eq!(assigned(&w, "#005"), [ADA]);
    let out = w.replay(&["--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["to_update"], 0, "{v:#}");
    // Undo takes the assignments back with the rest (nobody again), and the replay gives them again.
    let out = w.run(&["undo", "--apply"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(assigned(&w, "#006").is_empty());
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(assigned(&w, "#006"), [BO]);

    // doctor checks the property's type and which people the token can match authors to.
    let out = w.run(&["doctor"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("\"负责人\" (people)"), "{text}");
    assert!(
        text.contains("2 person(s) readable by email; 0 mapped in [people]"),
        "{text}"
    );

    std::fs::remove_file(w.repo.join(".git-notion.toml")).unwrap();
    let out = w.run(&["init", "--database", "2845c4eb952681828ccf000b14d4c431"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    assert!(written.contains("# assignee = \"负责人\""), "{written}");
}
