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
    w.commit_without_hook_with(&mate, "fix: #005 from the teammate", &when);
    let c4 = w.git_in(&mate, &["rev-parse", "HEAD"]).trim().to_string();
    let c5 = commit_at(&w, &w.repo, 1, 5, "feat: #005 alerts");
    let out = w.run_in(&mate, "git-notion-replay", &["--apply"]);
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

/// The zh workspace with a Released option (已发布, Complete group), an In review option (审核中, In
/// progress group), a select for the release (版本) and a url for the pull request (PR).
fn ladder_seed() -> Value {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let props = &mut seed["databases"][0]["data_sources"][0]["properties"];
    props["状态"]["groups"] = json!({
        "To-do": ["未开始"], "In progress": ["进行中", "审核中"], "Complete": ["完成", "已发布"]
    });
    props["版本"] = json!({"type": "select", "options": []});
    props["PR"] = json!({"type": "url"});
    seed
}

const RELEASE_CONFIG: &str = "on_release = \"已发布\"\nrelease_tags = [\"v*\"]\n";

/// The property `name` of the page whose title starts with `prefix`, as text.
fn prop_of(w: &World, prefix: &str, name: &str) -> String {
    let id = w.sb.state().find_page_by_title(prefix).unwrap().id.clone();
    w.prop(&id, name)
}

/// Waits (up to 20 s) until the page's property shows `want`.
fn eventually(w: &World, prefix: &str, name: &str, want: &str) {
    let started = std::time::Instant::now();
    while prop_of(w, prefix, name) != want {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{prefix} {name}: {:?}, wanted {want:?}",
            prop_of(w, prefix, name)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    w.wait_for_flusher();
}

/// Releases: a tag matching `release_tags` moves the tickets closed by the commits it ships (and no
/// earlier release shipped) to `on_release`, and names the tag in `[properties] release`; a ticket only
/// mentioned stays; a later release ships only what is new; a later commit never moves a released
/// ticket back (Released ranks above Done in the same group); the replay plans nothing after the hooks,
/// and from history alone gives the same.
#[test]
fn a_release_tag_moves_what_it_ships_to_released() {
    let config = format!(
        "{}{}{FAST}",
        ZH_CONFIG
            .replacen(
                "commit_url = \"Commit\"\n",
                "commit_url = \"Commit\"\nrelease = \"版本\"\n",
                1
            )
            .replacen("[status]\n", &format!("[status]\n{RELEASE_CONFIG}"), 1),
        ""
    );
    let w = World::with_seed(
        &ladder_seed(),
        notion_sandbox::SandboxConfig::default(),
        &config,
    );
    w.commit("feat: thresholds, fixes #005");
    w.wait_for_flusher();
    assert_eq!(w.prop_by_title("#005"), "完成");
    // The default post-* hooks: a tag runs no hook; the next commit's flusher sees it.
    w.git(&["tag", "v1.0"]);
    w.commit("feat: #006 vault, refs #005");
    w.wait_for_flusher();
    assert_eq!(w.prop_by_title("#005"), "已发布");
    assert_eq!(prop_of(&w, "#005", "版本"), "v1.0");
    assert_eq!(
        w.prop_by_title("#006"),
        "进行中",
        "only mentioned: not shipped"
    );

    // reference-transaction (--every-move) sees the tag as it is made.
    let out = w.run(&["hooks", "install", "--every-move"]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.commit("fixes #006 vault done");
    w.wait_for_flusher();
    w.git(&["tag", "-a", "v1.1", "-m", "1.1"]);
    w.git(&["tag", "nightly"]);
    eventually(&w, "#006", "状态", "已发布");
    assert_eq!(prop_of(&w, "#006", "版本"), "v1.1");
    assert_eq!(prop_of(&w, "#005", "版本"), "v1.0", "shipped earlier: kept");

    w.commit("feat: once more, fixes #005");
    w.wait_for_flusher();
    assert_eq!(w.prop_by_title("#005"), "已发布", "never backwards");
    w.assert_replay_plans_nothing();

    // From history alone: the same statuses and releases.
    for (key, status) in [("#005", "进行中"), ("#006", "进行中")] {
        let id = w.sb.state().find_page_by_title(key).unwrap().id.clone();
        w.edit_page(
            &id,
            json!({"状态": {"status": {"name": status}}, "版本": {"select": null}}),
        );
    }
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop_by_title("#005"), "已发布");
    assert_eq!(prop_of(&w, "#005", "版本"), "v1.0");
    assert_eq!(w.prop_by_title("#006"), "已发布");
    assert_eq!(prop_of(&w, "#006", "版本"), "v1.1");
    w.assert_replay_plans_nothing();

    // init offers the review and release statuses and properties the schema has (commented: opt-in).
    std::fs::remove_file(w.repo.join(".git-notion.toml")).unwrap();
    let out = w.run(&["init", "--database", "2845c4eb952681828ccf000b14d4c431"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    for line in [
        "# on_review = \"审核中\"",
        "# on_release = \"已发布\"",
        "# release = \"版本\"",
        "# pull_request = \"PR\"",
    ] {
        assert!(written.contains(line), "{line}: {written}");
    }
}

/// A recorded forge event (tests/fixtures/forge/), its commits filled in.
fn forge_fixture(name: &str, head: &str, base: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/forge")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .replace("HEAD_SHA", head)
        .replace("BASE_SHA", base)
}

/// `git notion review`, run through git as a CI job would, with these environment variables.
fn review(w: &World, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut c = w.command(std::path::Path::new("git"));
    c.args(["notion", "review"]).args(args);
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Pull requests from CI: an open request (GitHub's payload, GitLab's variables) moves the tickets its
/// branch, title and commits name to `on_review` and writes its link; never backwards (a Done ticket
/// stays Done); a later commit that only mentions a ticket in review leaves it in review (the ladder), and
/// the replay plans nothing; a draft writes only the link; a merged request is left to the merge rules;
/// outside CI, a clear error.
#[test]
fn a_pull_request_in_ci_moves_its_tickets_to_review() {
    let config = format!(
        "{}[branches]\npatterns = ['(?:^|/)([0-9]{{3}})(?:-|$)']\nkey = \"#{{}}\"\n{FAST}",
        ZH_CONFIG
            .replacen(
                "commit_url = \"Commit\"\n",
                "commit_url = \"Commit\"\npull_request = \"PR\"\n",
                1
            )
            .replacen("[status]\n", "[status]\non_review = \"审核中\"\n", 1),
    );
    let w = World::with_seed(
        &ladder_seed(),
        notion_sandbox::SandboxConfig::default(),
        &config,
    );
    w.commit("feat: start, refs #005");
    w.commit("feat: done, fixes #003");
    w.wait_for_flusher();
    let base = w.head();
    w.git(&["checkout", "-q", "-b", "feature/006-vault"]);
    w.commit("feat: rotate keys, refs #007");
    w.wait_for_flusher();
    let head = w.head();
    let payload = w.repo.parent().unwrap().join("event.json");
    let opened = forge_fixture("github-pull-request-opened.json", &head, &base)
        .replace("thresholds for #005", "thresholds for #005 and #003");
    std::fs::write(&payload, &opened).unwrap();
    let gh = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", payload.to_str().unwrap()),
    ];
    let out = review(&w, &["--json"], &gh);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pull_request"]["number"], 42);
    let url = "https://github.com/acme/mt5/pull/42";
    for key in ["#005", "#006", "#007"] {
        assert_eq!(w.prop_by_title(key), "审核中", "{key}: {v:#}");
        assert_eq!(prop_of(&w, key, "PR"), url, "{key}");
    }
    assert_eq!(w.prop_by_title("#003"), "完成", "never backwards");
    assert_eq!(prop_of(&w, "#003", "PR"), url);

    // A later commit that only mentions #005: In review stays (it ranks above In progress).
    w.commit("docs: notes, refs #005");
    w.wait_for_flusher();
    assert_eq!(w.prop_by_title("#005"), "审核中");
    w.assert_replay_plans_nothing();

    // A draft: the link only.
    let draft = opened
        .replace("\"draft\": false", "\"draft\": true")
        .replace("pull/42", "pull/43")
        .replace("for #005 and #003", "for #008");
    std::fs::write(&payload, draft).unwrap();
    let out = review(&w, &[], &gh);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        prop_of(&w, "#008", "PR"),
        "https://github.com/acme/mt5/pull/43"
    );
    assert_eq!(w.prop_by_title("#008"), "未开始", "a draft moves nothing");

    // Merged: left to the merge rules; nothing written.
    let merged = opened
        .replace("\"merged\": false", "\"merged\": true")
        .replace("\"state\": \"open\"", "\"state\": \"closed\"");
    std::fs::write(&payload, merged).unwrap();
    let writes = w.write_count();
    let out = review(&w, &[], &gh);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("is merged: its tickets are left to the merge rules"));
    assert_eq!(w.write_count(), writes);

    // GitLab CI's merge-request variables.
    let gitlab = forge_fixture("gitlab-merge-request.env", &head, &base);
    let vars: Vec<(&str, &str)> = gitlab.lines().filter_map(|l| l.split_once('=')).collect();
    let out = review(&w, &[], &vars);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(w.prop_by_title("#009"), "审核中");
    assert_eq!(
        prop_of(&w, "#009", "PR"),
        "https://gitlab.com/acme/mt5/-/merge_requests/17"
    );

    // Outside CI: what to do, exit 2.
    let out = review(&w, &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no pull or merge request event here"),
        "{}",
        stderr(&out)
    );
}

/// A multi_select release property gains each release that shipped a ticket's closing commits (Notion
/// makes the options on write), and a replay after it plans nothing.
#[test]
fn a_multi_select_release_property_lists_every_release() {
    let mut seed = ladder_seed();
    seed["databases"][0]["data_sources"][0]["properties"]["版本"] =
        json!({"type": "multi_select", "options": []});
    let config = ZH_CONFIG.replacen(
        "commit_url = \"Commit\"\n",
        "commit_url = \"Commit\"\nrelease = \"版本\"\n",
        1,
    );
    let w = World::with_seed(
        &seed,
        notion_sandbox::SandboxConfig::default(),
        &format!("{config}{FAST}"),
    );
    // One minute apart (pinned dates would tie).
    w.import_history(&[
        "feat: alerts, fixes #005".to_string(),
        "fix: thresholds again, fixes #005".to_string(),
    ]);
    w.git(&["tag", "v1.0", "HEAD~1"]);
    w.git(&["tag", "v1.1"]);
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let st = w.sb.state();
    let page = st.find_page_by_title("#005").unwrap();
    let v = st.page_property(page, "版本").unwrap();
    let names: Vec<&str> = v["multi_select"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["v1.0", "v1.1"]);
    drop(st);
    w.assert_replay_plans_nothing();
}
