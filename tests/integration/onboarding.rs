//! Onboarding: `git notion init` from the real schema, `git notion doctor` on healthy and broken set-ups,
//! and `git notion hooks install|uninstall` (chaining an existing hook, restoring it, core.hooksPath,
//! worktrees, hook managers).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;

use crate::util::*;

const P006: &str = "94d9697d90f945358de0843f5f971d3c";
const TASK6: &str = "d509529443234b1782038c14a8b4f735";
const ZH_DS: &str = "2845c4eb-9526-81d7-a1f0-000b2e6a9c10";

/// A repository without any hook and without a configuration.
fn bare(seed: &str) -> World {
    let w = World::new(seed, "");
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    w
}

fn doctor_json(w: &World) -> (i32, Value) {
    let out = w.run(&["doctor", "--json"]);
    assert_no_token(&out, &w.token);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), v)
}

fn failed(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn init_then_hooks_then_doctor_passes_and_a_commit_updates_the_page_zh() {
    let w = bare("zh");
    let out = w.run(&[
        "init",
        "--database",
        "https://www.notion.so/acme/2845c4eb952681828ccf000b14d4c431",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    assert!(!text.contains(&w.token) && !text.contains("ntn_"), "{text}");
    for line in [
        "title = \"标题\"",
        "status = \"状态\"",
        "date = \"日期\"",
        "commit_url = \"Commit\"",
        "on_commit = \"进行中\"",
        "on_merge = \"完成\"",
    ] {
        assert!(text.contains(line), "missing {line}:\n{text}");
    }
    assert!(text.contains(r"'#([0-9]+(?:\.[0-9]+)?)'"), "{text}");
    // A Chinese database gets the Chinese closing keywords beside the English ones.
    let keywords = text
        .lines()
        .find(|l| l.starts_with("closing_keywords = "))
        .unwrap_or_else(|| panic!("no closing_keywords:\n{text}"));
    assert!(
        keywords.contains("\"fixes\"") && keywords.contains("\"完成工单\""),
        "{keywords}"
    );
    // A second init does not clobber the file.
    let again = w.run(&["init", "--database", ZH_DB]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));

    // Before the hooks are installed, doctor says so (and only that).
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), vec!["hooks"], "{report:#}");
    assert!(check(&report, "hooks")
        .2
        .contains("git notion hooks install"));

    let out = w.run(&["hooks", "install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, report) = doctor_json(&w);
    assert_eq!(
        (code, report["ok"].as_bool()),
        (0, Some(true)),
        "{report:#}"
    );
    assert_eq!(check(&report, "ticket keys").0, "ok");

    w.commit("feat: 完成工单 #006 Secrets Management");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
    assert!(w.prop(P006, "Commit").contains(&w.head()));
}

#[test]
fn init_on_the_english_database_uses_the_unique_id_and_the_select_status() {
    let w = bare("en");
    let out = w.run(&["init", "--database", "6f8258748fb84d328e423dbfff883005"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(w.repo.join(".git-notion.toml")).unwrap();
    for line in [
        "id_prefixes = [\"TASK\"]",
        "patterns = []",
        "status = \"Status\"",
        "on_commit = \"In Progress\"",
        "on_merge = \"Done\"",
    ] {
        assert!(text.contains(line), "missing {line}:\n{text}");
    }
    assert!(w.run(&["hooks", "install"]).status.success());
    let out = w.run(&["doctor"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("✓ ticket keys"), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("all checks passed\n"));

    w.commit("fix: nightly backup, fixes TASK-6");
    w.wait_for_flusher();
    assert_eq!(w.prop(TASK6, "Status"), "Done");
}

#[test]
fn init_without_a_database_or_token_says_what_to_do() {
    let w = bare("zh");
    let out = w.run(&["init"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--database"), "{}", stderr(&out));
    let out = w
        .command(&bin("git-notion"))
        .env_remove("NOTION_TOKEN")
        .args(["init", "--database", ZH_DB])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NOTION_TOKEN"), "{}", stderr(&out));
    assert!(!w.repo.join(".git-notion.toml").exists());
}

/// A healthy zh set-up, then one thing broken at a time: doctor names it, with its fix, and exits 1.
#[test]
fn doctor_reports_each_broken_case_with_its_fix() {
    let w = World::new("zh", ZH_CONFIG);
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 0, "{report:#}");

    // No token.
    let out = w
        .command(&bin("git-notion"))
        .env_remove("NOTION_TOKEN")
        .args(["doctor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("✗ token"), "{text}");
    assert!(text.contains("fix: export NOTION_TOKEN="), "{text}");
    assert!(text.contains("- database"), "{text}");

    // A bad token: rejected, and never printed.
    let bad = "ntn_revoked0000000000000000000000000000000000000";
    let out = w
        .command(&bin("git-notion"))
        .env("NOTION_TOKEN", bad)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_no_token(&out, bad);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(failed(&report), vec!["token accepted"], "{report:#}");
    assert!(check(&report, "token accepted").1.contains("401"));

    // The database not shared with the integration.
    w.sb.state().unshared.insert(ZH_DB.to_string());
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), vec!["database"], "{report:#}");
    assert!(check(&report, "database").2.contains("Connections"));
    w.sb.state().unshared.clear();

    // The status property renamed in Notion.
    rename_property(&w, "状态", "Status");
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1);
    assert_eq!(
        failed(&report),
        vec!["properties.status"],
        "statuses are not re-reported: {report:#}"
    );
    let (_, detail, fix) = check(&report, "properties.status");
    assert!(detail.contains("Status (status)"), "{detail}");
    assert!(fix.contains("renamed"), "{fix}");
    rename_property(&w, "Status", "状态");

    // A status that is not an option.
    w.write_config(&ZH_CONFIG.replace("on_merge = \"完成\"", "on_merge = \"Done\""));
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), vec!["status.on_merge"], "{report:#}");
    assert!(check(&report, "status.on_merge").1.contains("\"完成\""));

    // A pattern that matches no title.
    w.write_config(&format!(
        "{ZH_CONFIG}[tickets]\npatterns = [\"TASK-[0-9]+\"]\n"
    ));
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1);
    assert_eq!(failed(&report), vec!["ticket keys"], "{report:#}");

    // A broken configuration file.
    w.write_config("database = \n");
    let out = w.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("✗ configuration"), "{}", stdout(&out));

    // Notion unreachable.
    w.write_config(ZH_CONFIG);
    let out = w
        .command(&bin("git-notion"))
        .env("GIT_NOTION_API_URL", "http://127.0.0.1:9")
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(failed(&report), vec!["API"], "{report:#}");
}

fn rename_property(w: &World, from: &str, to: &str) {
    let mut st = w.sb.state();
    let ds = st.data_sources.get_mut(ZH_DS).expect("data source");
    ds.properties
        .iter_mut()
        .find(|p| p.name == from)
        .expect("property")
        .name = to.into();
}

#[test]
fn doctor_lists_failed_updates_in_the_outbox() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit("feat: #999 no such ticket");
    w.wait_for_flusher();
    let (code, report) = doctor_json(&w);
    assert_eq!(code, 1, "{report:#}");
    let (status, detail, fix) = check(&report, "outbox");
    assert_eq!(status, "fail");
    assert!(detail.contains("#999"), "{detail}");
    assert!(fix.contains("git notion retry"), "{fix}");
}

/// Every file in a directory: name → (symlink target or bytes, mode).
fn snapshot(dir: &Path) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let content = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display())
            } else {
                String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
            };
            (
                e.file_name().to_string_lossy().into_owned(),
                content,
                meta.permissions().mode(),
            )
        })
        .collect();
    v.sort();
    v
}

fn write_hook(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn install_chains_an_existing_hook_and_uninstall_restores_it_exactly() {
    let w = bare("zh");
    w.write_config(ZH_CONFIG);
    let hooks = w.repo.join(".git/hooks");
    let log = w.repo.join(".git/their-hook.log");
    // Their post-commit fails (exit 3: git ignores post-commit's code, but it must be kept); their
    // post-rewrite reads the rewritten pairs from stdin.
    write_hook(
        &hooks.join("post-commit"),
        &format!(
            "#!/bin/sh\necho \"their post-commit $*\" >> {}\nexit 3\n",
            log.display()
        ),
    );
    write_hook(
        &hooks.join("post-rewrite"),
        &format!(
            "#!/bin/sh\necho \"their post-rewrite $1\" >> {0}\ncat >> {0}\n",
            log.display()
        ),
    );
    std::os::unix::fs::symlink("/usr/share/their/shared-hook", hooks.join("post-merge")).unwrap();
    let before = snapshot(&hooks);

    // The post-* hooks, as older gits get them.
    let out = w.run(&["hooks", "install", "--post"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        text.matches("installed after the existing hook").count(),
        3,
        "{text}"
    );
    let installed = snapshot(&hooks);
    // Idempotent: a second install changes nothing.
    let out = w.run(&["hooks", "install", "--post"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out).matches("already installed").count(), 5);
    assert_eq!(snapshot(&hooks), installed);

    // Both run: theirs first (its exit code kept), then ours.
    let shim = hooks.join("post-commit");
    let status = std::process::Command::new(&shim)
        .current_dir(&w.repo)
        .env("PATH", "/usr/bin:/bin")
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(3),
        "the chained hook's exit code is kept"
    );
    w.commit("feat: 完成工单 #006 Secrets Management");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
    let first = w.head();
    // An amend: their post-rewrite still gets the old→new pairs on stdin, and ours moves the link.
    w.amend("feat: #006 Secrets Management (amended)");
    w.wait_for_flusher();
    let second = w.head();
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("their post-commit"), "{log_text}");
    assert!(log_text.contains("their post-rewrite amend"), "{log_text}");
    assert!(
        log_text.contains(&format!("{first} {second}")),
        "{log_text}"
    );
    assert!(w.prop(P006, "Commit").contains(&second));

    let out = w.run(&["hooks", "uninstall"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).matches("is back").count(),
        3,
        "{}",
        stdout(&out)
    );
    assert_eq!(
        snapshot(&hooks),
        before,
        "uninstall restores exactly what was there"
    );
    // And a second uninstall leaves them alone.
    let out = w.run(&["hooks", "uninstall"]);
    assert_eq!(
        stdout(&out).matches("left alone").count(),
        3,
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(&hooks), before);
}

#[test]
fn install_honours_core_hooks_path_and_worktrees() {
    let w = bare("zh");
    w.write_config(ZH_CONFIG);
    // Committed, as a team does: a worktree reads it from its own checkout.
    w.git(&["add", ".git-notion.toml"]);
    w.commit_without_hook("chore: git-notion configuration");

    // A worktree shares the main repository's hooks: installing from it installs there.
    let wt = w.repo.parent().unwrap().join("wt");
    w.git(&["worktree", "add", "-q", "-b", "topic", wt.to_str().unwrap()]);
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&wt)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let common = w.repo.join(".git/hooks/post-commit");
    assert!(std::fs::symlink_metadata(&common).unwrap().is_symlink());
    assert!(!wt.join(".git").is_dir());
    w.git_in(
        &wt,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: #006 in the worktree",
        ],
    );
    w.wait_for_flusher();
    assert_eq!(
        w.prop(P006, "状态"),
        "进行中",
        "topic is not a release branch"
    );
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    assert!(std::fs::symlink_metadata(&common).is_err());

    // core.hooksPath (relative: to the working tree root).
    w.git(&["config", "core.hooksPath", ".githooks"]);
    let out = w.run(&["hooks", "install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&w.repo.join(".githooks").display().to_string()));
    assert!(w.repo.join(".githooks/post-checkout").exists());
    assert!(
        std::fs::symlink_metadata(&common).is_err(),
        "not in .git/hooks"
    );
    w.commit("feat: 完成工单 #006 Secrets Management");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
    assert!(w.run(&["doctor"]).status.success());
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    assert_eq!(
        std::fs::read_dir(w.repo.join(".githooks")).unwrap().count(),
        0
    );
}

#[test]
fn install_refuses_where_a_hook_manager_owns_the_hooks() {
    // husky: core.hooksPath = .husky/_
    let w = bare("zh");
    w.write_config(ZH_CONFIG);
    w.git(&["config", "core.hooksPath", ".husky/_"]);
    let out = w.run(&["hooks", "install"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("husky manages this repository's hooks"),
        "{err}"
    );
    assert!(err.contains("git-notion hook %s"), "the snippet: {err}");
    assert!(!w.repo.join(".husky").exists(), "nothing written");
    // Doctor says who owns them and how to add git-notion there.
    let (_, report) = doctor_json(&w);
    let (status, detail, fix) = check(&report, "hooks");
    assert_eq!(status, "fail");
    assert!(detail.contains("husky"), "{detail}");
    assert!(fix.contains(".husky/$h"), "{fix}");
    // Once husky's hooks run git-notion, doctor is content.
    for h in ["post-commit", "post-merge", "post-rewrite", "post-checkout"] {
        write_hook(
            &w.repo.join(".husky").join(h),
            &format!("git-notion hook {h} \"$@\"\n"),
        );
    }
    let (_, report) = doctor_json(&w);
    assert_eq!(check(&report, "hooks").0, "ok", "{report:#}");

    // pre-commit's own hook files.
    let w = bare("zh");
    let hooks = w.repo.join(".git/hooks");
    write_hook(
        &hooks.join("post-commit"),
        "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n# ID: 138fd403232d2ddd5efb44317e38bf03\nexit 0\n",
    );
    let before = snapshot(&hooks);
    let out = w.run(&["hooks", "install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("pre-commit manages"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("entry: git-notion hook auto"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&hooks), before);
}

#[test]
fn a_hook_of_their_own_that_already_runs_git_notion_is_left_alone() {
    let w = bare("zh");
    let hooks = w.repo.join(".git/hooks");
    let theirs = "#!/bin/sh\nmake -s lint\ngit-notion hook post-commit \"$@\"\n";
    write_hook(&hooks.join("post-commit"), theirs);
    let out = w.run(&["hooks", "install", "--post"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("already runs `git-notion hook`"));
    assert_eq!(
        std::fs::read_to_string(hooks.join("post-commit")).unwrap(),
        theirs
    );
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    assert_eq!(
        std::fs::read_to_string(hooks.join("post-commit")).unwrap(),
        theirs
    );
}

#[test]
fn the_shims_from_hooks_are_recognised_as_git_notion() {
    // The sh shims copied from hooks/, as a user following the README did before install.
    let w = World::new("zh", ZH_CONFIG);
    w.use_post_hooks();
    let out = w.run(&["hooks"]);
    assert_eq!(
        stdout(&out).matches("git-notion (sh shim)").count(),
        4,
        "{}",
        stdout(&out)
    );
    let out = w.run(&["hooks", "install"]);
    assert_eq!(
        stdout(&out).matches("already installed").count(),
        4,
        "{}",
        stdout(&out)
    );
    // --every-move: reference-transaction takes over; our post-* shims would only repeat its work.
    let out = w.run(&["hooks", "install", "--every-move"]);
    assert_eq!(
        stdout(&out)
            .matches("removed: reference-transaction does its work")
            .count(),
        4,
        "{}",
        stdout(&out)
    );
    assert!(!w.repo.join(".git/hooks/post-commit").exists());
    let out = w.run(&["hooks"]);
    assert!(
        stdout(&out).contains("reference-transaction  git-notion (sh shim)"),
        "{}",
        stdout(&out)
    );
    // And back: the default install replaces it, never keeps both.
    let out = w.run(&["hooks", "install"]);
    assert!(
        stdout(&out).contains("reference-transaction  removed: the post-* hooks do its work"),
        "{}",
        stdout(&out)
    );
    assert!(!w.repo.join(".git/hooks/reference-transaction").exists());
    let out = w.run(&["hooks", "uninstall"]);
    assert_eq!(
        stdout(&out).matches("removed").count(),
        5,
        "{}",
        stdout(&out)
    );
    assert!(!w.repo.join(".git/hooks/post-commit").exists());
}

/// doctor's messages name what is wrong in the user's terms: an unreachable API is not a token problem,
/// a broken user config file is named (not `.git-notion.toml`), a chained hook names its kept file.
#[test]
fn doctor_names_what_is_wrong_in_the_users_terms() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let out = w
        .command(&bin("git-notion"))
        .args(["doctor", "--json"])
        .env("GIT_NOTION_API_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (status, detail, fix) = check(&v, "API");
    assert_eq!(status, "fail", "{v:#}");
    assert!(
        detail.starts_with("reach Notion with the token: cannot reach Notion"),
        "{detail}"
    );
    assert!(fix.contains("network"), "{fix}");
    // A broken user config file.
    let user = w.home.join(".config/git-notion/config.toml");
    std::fs::create_dir_all(user.parent().unwrap()).unwrap();
    std::fs::write(&user, "[status\n").unwrap();
    let (_, v) = doctor_json(&w);
    let (status, _, fix) = check(&v, "configuration");
    assert_eq!(status, "fail", "{v:#}");
    assert!(
        fix.contains("config.toml") && !fix.contains(".git-notion.toml"),
        "{fix}"
    );
    std::fs::remove_file(&user).unwrap();
    // A hook of the user's own, chained: its kept file is named.
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    let hook = w.repo.join(".git/hooks/post-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let _ = std::process::Command::new("chmod")
        .args(["+x", hook.to_str().unwrap()])
        .status();
    assert!(w.run(&["hooks", "install", "--post"]).status.success());
    let text = stdout(&w.run(&["hooks"]));
    assert!(
        text.contains("after the hook kept as post-commit.pre-git-notion"),
        "{text}"
    );
    assert!(!text.contains("<hook>"), "{text}");
}
