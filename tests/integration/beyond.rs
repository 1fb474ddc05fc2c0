//! Beyond one database (issue 30): people, every commit of a ticket.

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

/// The zh workspace with a text property (提交) listing each ticket's commits, configured.
fn commits_world() -> World {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["data_sources"][0]["properties"]["提交"] = json!({"type": "rich_text"});
    let config = ZH_CONFIG.replacen(
        "commit_url = \"Commit\"\n",
        "commit_url = \"Commit\"\ncommits = \"提交\"\n",
        1,
    );
    World::with_seed(
        &seed,
        notion_sandbox::SandboxConfig::default(),
        &format!("{config}{FAST}"),
    )
}

/// The commits property of the page whose title starts with `prefix`: its text, and its items (text, link).
fn listed(w: &World, prefix: &str) -> (String, Vec<(String, Option<String>)>) {
    let st = w.sb.state();
    let page = st.find_page_by_title(prefix).expect("page");
    let v = st.page_property(page, "提交").expect("property");
    let items: Vec<(String, Option<String>)> = v["rich_text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["plain_text"].as_str().unwrap().to_string(),
                i["href"].as_str().map(String::from),
            )
        })
        .collect();
    (items.iter().map(|(t, _)| t.as_str()).collect(), items)
}

/// A commit through the installed hooks at 12:`minute` (+08:00) on 2025-10-`day`; returns its id.
fn commit_at(w: &World, dir: &std::path::Path, day: u32, minute: u32, message: &str) -> String {
    let when = format!("2025-10-{day:02}T12:{minute:02}:00+08:00");
    w.git_with(
        dir,
        &["commit", "-q", "--allow-empty", "-m", message],
        &[("GIT_COMMITTER_DATE", when.as_str())],
    );
    w.wait_for_flusher_in(dir);
    w.git_in(dir, &["rev-parse", "HEAD"]).trim().to_string()
}

/// `[properties] commits`: the hooks list every commit that names a ticket, newest first (short id linked
/// to the commit, UTC time, subject); the replay plans nothing after them and, from an empty property,
/// rebuilds the very same text and links; a clone that has not fetched another's commits keeps their
/// lines (the list is a union).
#[test]
fn every_commit_of_a_ticket_is_listed_newest_first() {
    let w = commits_world();
    let c1 = commit_at(&w, &w.repo, 1, 1, "feat: #005 start monitoring");
    let c2 = commit_at(&w, &w.repo, 1, 2, "fix: #005 thresholds");
    let c3 = commit_at(&w, &w.repo, 1, 3, "docs: notes for #006, refs #005");
    let line = |id: &str, minute: u32, subject: &str| {
        format!("{} 2025-10-01 04:{minute:02} {subject}", &id[..7])
    };
    let (text, items) = listed(&w, "#005");
    assert_eq!(
        text,
        [
            line(&c3, 3, "docs: notes for #006, refs #005"),
            line(&c2, 2, "fix: #005 thresholds"),
            line(&c1, 1, "feat: #005 start monitoring"),
        ]
        .join("\n")
    );
    assert_eq!(
        items[0],
        (
            c3[..7].to_string(),
            Some(format!("https://github.com/acme/mt5/commit/{c3}"))
        ),
        "each id links to its commit"
    );
    assert_eq!(
        listed(&w, "#006").0,
        line(&c3, 3, "docs: notes for #006, refs #005")
    );
    w.assert_replay_plans_nothing();

    // Rebuilt identically by a replay from an empty property.
    let before = listed(&w, "#005");
    let page = w.sb.state().find_page_by_title("#005").unwrap().id.clone();
    w.edit_page(&page, json!({"提交": {"rich_text": []}}));
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listed(&w, "#005"), before);

    // Two clones: the teammate commits and replays without fetching ours, and keeps our lines.
    let mate = w.origin_and_teammate();
    std::fs::copy(
        w.repo.join(".git-notion.toml"),
        mate.join(".git-notion.toml"),
    )
    .unwrap();
    let when = [("GIT_COMMITTER_DATE", "2025-10-01T12:04:00+08:00")];
    w.git_with(
        &mate,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "fix: #005 from the teammate",
        ],
        &when,
    );
    let c4 = w.git_in(&mate, &["rev-parse", "HEAD"]).trim().to_string();
    let c5 = commit_at(&w, &w.repo, 1, 5, "feat: #005 alerts");
    let out = w
        .command(&bin("git-notion-replay"))
        .current_dir(&mate)
        .arg("--apply")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let shorts: Vec<String> = listed(&w, "#005")
        .0
        .lines()
        .map(|l| l[..7].to_string())
        .collect();
    assert_eq!(
        shorts,
        [&c5, &c4, &c3, &c2, &c1].map(|c| c[..7].to_string())
    );
    w.assert_replay_plans_nothing();

    // doctor checks the property; init offers it (commented: opt-in).
    let out = w.run(&["doctor"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("\"提交\" (rich_text)"), "{text}");
    std::fs::remove_file(w.repo.join(".git-notion.toml")).unwrap();
    let out = w.run(&["init", "--database", "2845c4eb952681828ccf000b14d4c431"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    assert!(written.contains("# commits = \"提交\""), "{written}");
}

/// Within Notion's limits: 60 commits of one ticket show as the newest lines and `+N earlier` (at most
/// 2,000 characters and 100 items); one more through the hooks goes on top and the count grows by one;
/// the replay plans nothing after it.
#[test]
fn a_long_list_keeps_the_newest_and_counts_the_rest() {
    let w = commits_world();
    let messages: Vec<String> = (0..60).map(|i| format!("feat: #007 step {i}")).collect();
    w.import_history(&messages);
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (text, items) = listed(&w, "#007");
    let earlier = |text: &str| -> usize {
        let last = text.lines().last().unwrap();
        last.strip_prefix('+')
            .and_then(|r| r.strip_suffix(" earlier"))
            .unwrap_or_else(|| panic!("no count: {last}"))
            .parse()
            .unwrap()
    };
    let shown = text.lines().count() - 1;
    assert_eq!(shown + earlier(&text), 60, "{text}");
    assert!(text.encode_utf16().count() <= 2000 && items.len() <= 100);
    assert!(text.starts_with(&format!(
        "{} 2025-10-01 04:59 feat: #007 step 59",
        &w.head()[..7]
    )));

    let newest = commit_at(&w, &w.repo, 2, 0, "fix: #007 one more");
    let (after, _) = listed(&w, "#007");
    assert!(after.starts_with(&newest[..7]), "{after}");
    assert_eq!(after.lines().count() - 1, shown);
    assert_eq!(earlier(&after), earlier(&text) + 1);
    w.assert_replay_plans_nothing();
}
