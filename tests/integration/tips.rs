//! Tips, not transactions: the default `post-*` hooks queue whatever moved since the tips they last
//! recorded, so moves no hook reports (`reset`, `update-ref`, a fetch) reach Notion at the next event;
//! `GIT_NOTION_SKIP=1` and `undo --apply` stay as they are.

use crate::util::*;

/// The status (状态) of the page of `key`.
fn status(w: &World, key: &str) -> String {
    w.prop_by_title(key)
}

fn world() -> World {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit("chore: start");
    w.wait_for_flusher();
    w
}

/// The default install is the four post-* hooks, never reference-transaction.
#[test]
fn the_default_install_is_the_post_hooks() {
    let w = world();
    let hooks = w.repo.join(".git/hooks");
    for h in ["post-commit", "post-merge", "post-rewrite", "post-checkout"] {
        assert!(
            std::fs::symlink_metadata(hooks.join(h))
                .unwrap()
                .is_symlink(),
            "{h}"
        );
    }
    assert!(!hooks.join("reference-transaction").exists());
    let check = w.doctor_check("hooks");
    let detail = check["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("--every-move"), "{check:#}");
}

#[test]
fn a_reset_hard_is_seen_at_the_next_event() {
    let w = world();
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit("feat: 完成工单 #005 on topic");
    w.git(&["checkout", "-q", "main"]);
    w.wait_for_flusher();
    assert_eq!(status(&w, "#005"), "进行中", "topic is no release branch");
    // main jumps to topic: no hook runs for a reset.
    w.git(&["reset", "-q", "--hard", "topic"]);
    w.wait_for_flusher();
    assert_eq!(status(&w, "#005"), "进行中");
    // The next event (any commit, even one naming nothing) queues what main reached.
    w.commit("chore: unrelated");
    w.wait_for_flusher();
    assert_eq!(status(&w, "#005"), "完成");
    w.assert_replay_plans_nothing();
}

#[test]
fn an_update_ref_is_seen_at_the_next_checkout() {
    let w = world();
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit("feat: 完成工单 #006 on topic");
    w.git(&["checkout", "-q", "main"]);
    w.wait_for_flusher();
    let topic = w.git(&["rev-parse", "topic"]).trim().to_string();
    w.git(&["update-ref", "refs/heads/main", &topic]);
    w.git(&["checkout", "-q", "-b", "elsewhere"]);
    w.wait_for_flusher();
    assert_eq!(status(&w, "#006"), "完成");
    w.assert_replay_plans_nothing();
}

#[test]
fn a_fetch_of_a_teammates_close_is_seen_at_the_next_event() {
    let w = world();
    let mate = w.origin_and_teammate();
    w.commit_without_hook_in(&mate, "feat: 完成工单 #007 by the teammate");
    w.git_in(&mate, &["push", "-q"]);
    // A fetch runs no hook: origin/main moved, nothing queued yet.
    w.git(&["fetch", "-q"]);
    w.wait_for_flusher();
    assert_ne!(status(&w, "#007"), "完成");
    // Any event: here a flush.
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(status(&w, "#007"), "完成");
    w.assert_replay_plans_nothing();
}

#[test]
fn skipped_means_skipped_also_after_a_checkout() {
    let w = world();
    w.sb.clear_log();
    let out = w.git_with(
        &w.repo.clone(),
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: 完成工单 #005 skipped",
        ],
        &[("GIT_NOTION_SKIP", "1")],
    );
    let _ = out;
    w.git(&["checkout", "-q", "-b", "later"]);
    w.wait_for_flusher();
    w.run(&["flush"]);
    assert!(
        w.sb.writes().is_empty(),
        "the skipped commit was delivered: {:#?}",
        w.sb.writes()
    );
}

#[test]
fn undo_stays_undone_after_a_checkout() {
    let w = world();
    // History made with hooks off, brought up to date by a replay; then undone.
    w.commit_without_hook("feat: 完成工单 #005 from history");
    w.commit_without_hook("feat: 完成工单 #006 from history");
    // The next hook would queue those commits: record them as seen first, as a user who replays does.
    let out = w.replay(&["--all", "--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.run(&["flush"]);
    w.wait_for_flusher();
    assert_eq!(status(&w, "#006"), "完成");
    let out = w.run(&["undo", "--apply"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let restored = status(&w, "#006");
    assert_ne!(restored, "完成");
    w.sb.clear_log();
    w.git(&["checkout", "-q", "-b", "after-undo"]);
    w.wait_for_flusher();
    assert!(
        w.sb.writes().is_empty(),
        "undo was re-applied: {:#?}",
        w.sb.writes()
    );
    assert_eq!(status(&w, "#006"), restored);
}

/// `--every-move` installs reference-transaction instead, and the default install switches back.
#[test]
fn every_move_is_an_opt_in_and_never_beside_the_post_hooks() {
    let w = world();
    let out = w.run(&["hooks", "install", "--every-move"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let hooks = w.repo.join(".git/hooks");
    assert!(hooks.join("reference-transaction").exists());
    assert!(!hooks.join("post-commit").exists());
    // Moves are seen as they happen: a reset is delivered at once.
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit("feat: 完成工单 #005 on topic");
    w.git(&["checkout", "-q", "main"]);
    w.git(&["reset", "-q", "--hard", "topic"]);
    w.wait_for_flusher();
    assert_eq!(status(&w, "#005"), "完成");
    w.assert_every_move_seen();
    let out = w.run(&["hooks", "install"]);
    assert!(stdout(&out).contains("removed: the post-* hooks do its work"));
    assert!(!hooks.join("reference-transaction").exists());
    assert!(hooks.join("post-commit").exists());
    w.assert_replay_plans_nothing();
}

/// The hooks are linked to `git-notion-hook` (the fast path alone): what needs the full path, here a
/// configuration changed into a broken one, is handed to `git-notion`, whose warning the commit prints; an
/// install linked to `git-notion` itself (before the hooks' binary existed) is linked again.
#[test]
fn the_hooks_run_their_own_binary_which_hands_the_full_path_to_git_notion() {
    let w = world();
    let hooks = w.repo.join(".git/hooks");
    let hook_binary = bin("git-notion-hook").canonicalize().unwrap();
    for h in ["post-commit", "post-merge", "post-rewrite", "post-checkout"] {
        assert_eq!(
            std::fs::read_link(hooks.join(h)).unwrap(),
            hook_binary,
            "{h}"
        );
    }
    // An earlier install, linked to git-notion: linked again, and said so.
    std::fs::remove_file(hooks.join("post-merge")).unwrap();
    std::os::unix::fs::symlink(
        bin("git-notion").canonicalize().unwrap(),
        hooks.join("post-merge"),
    )
    .unwrap();
    let out = w.run(&["hooks", "install"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("post-merge             linked again"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_link(hooks.join("post-merge")).unwrap(),
        hook_binary
    );
    // A broken configuration: only git-notion reads TOML, so its warning shows the hand-over.
    w.write_config(&format!("{ZH_CONFIG}\n[hooks]\nmode = \"sometimes\"\n"));
    let out = w.commit("feat: 完成工单 #005 while the configuration is broken");
    assert!(out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("git-notion: warning: "), "{err}");
    assert!(err.contains("sometimes"), "{err}");
    // Fixed, the next event delivers the commit that waited.
    w.write_config(&format!("{ZH_CONFIG}{FAST}"));
    w.commit("chore: fixed");
    w.wait_for_flusher();
    assert_eq!(status(&w, "#005"), "完成");
    w.assert_replay_plans_nothing();
    // Run by hand without a hook's name it says what it is for, and still exits 0.
    let out = w.command(&hook_binary).output().unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("git notion hooks install"),
        "{}",
        stderr(&out)
    );
}

/// A new branch's commits are those no other branch reached when the hooks saw it, however the branches
/// move before the flusher reads the queue: here the first commit of `main`, read only after `topic`
/// (made from it) has a commit of its own. Reading the other branches at flush time lost the first
/// commit (the flake once seen in `commit_time`); the flusher is held so that the order is certain.
#[test]
fn a_new_branchs_commits_are_fixed_when_the_hooks_see_them() {
    // A repository without commits: `main` is new with the first one.
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    let held = w.hold_flusher();
    w.commit("feat: #006 secrets, closes #006");
    w.git(&["checkout", "-q", "-b", "topic"]);
    w.commit("feat: #007 engine skeleton");
    w.git(&["checkout", "-q", "main"]);
    drop(held);
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(status(&w, "#006"), "完成", "{}", stdout(&w.run(&["log"])));
    assert_eq!(status(&w, "#007"), "进行中");
    w.assert_replay_plans_nothing();
}
