//! Every failure gives the documented message, the right exit code, zero writes, and never the token.

use std::time::{Duration, Instant};

use notion_sandbox::{Fault, Window};

use crate::util::*;

/// Runs `git-notion sync`, checks the exit code and that the token stays hidden; returns all output.
fn sync_fails(w: &World, code: i32) -> String {
    let out = w.run(&["sync"]);
    assert_no_token(&out, &w.token);
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
    format!("{}{}", stdout(&out), stderr(&out))
}

#[test]
fn a_wrong_property_name_is_reported_with_the_real_ones_before_any_write() {
    let w = World::new(
        "zh",
        &ZH_CONFIG.replace("title = \"标题\"", "title = \"Title\""),
    );
    w.commit("feat: 完成工单 #003");
    let err = sync_fails(&w, 2);
    assert!(
        err.contains(r#"properties.title = "Title": data source "工单" has no such property"#),
        "{err}"
    );
    assert!(
        err.contains("标题 (title)") && err.contains("状态 (status)"),
        "{err}"
    );
    assert_eq!(w.write_count(), 0);
}

#[test]
fn a_status_that_is_not_an_option_fails_listing_the_options() {
    let config = ZH_CONFIG.replace("on_merge = \"完成\"", "on_merge = \"Done\"");
    let w = World::new("zh", &format!("{config}\n[hooks]\nmode = \"foreground\"\n"));
    let out = w.commit("feat: 完成工单 #003");
    // The hook: one warning line, the commit kept, nothing written.
    let hook_err = post_hook_stderr(&out);
    assert_eq!(hook_err.lines().count(), 1, "{hook_err}");
    assert!(
        hook_err.contains(r#"status.on_merge = "Done" is not an option"#),
        "{hook_err}"
    );
    let err = sync_fails(&w, 2);
    assert!(
        err.contains(r#"Its options are: "未开始", "进行中", "完成""#),
        "{err}"
    );
    assert_eq!(w.write_count(), 0);
}

#[test]
fn a_property_of_the_wrong_type_is_refused() {
    let w = World::new(
        "zh",
        &ZH_CONFIG.replace("date = \"日期\"", "date = \"备注\""),
    );
    w.commit("feat: #003");
    let err = sync_fails(&w, 2);
    assert!(
        err.contains(r#"properties.date = "备注": property is of type rich_text"#),
        "{err}"
    );
    assert_eq!(w.write_count(), 0);
}

#[test]
fn unauthorized_says_the_token_is_invalid() {
    let mut w = World::new("zh", ZH_CONFIG);
    w.commit("feat: #003");
    let bad = "ntn_revoked0000000000000000000000000000000000";
    w.token = bad.to_string();
    let err = sync_fails(&w, 2);
    assert!(
        err.contains("Notion refused the token (401 unauthorized"),
        "{err}"
    );
    assert!(err.contains("https://www.notion.so/developers"), "{err}");
    // Notion's support asks for the request id: the error carries it.
    assert!(err.contains("[request_id "), "{err}");
    assert!(!err.contains(bad));
}

#[test]
fn a_missing_token_says_where_it_belongs() {
    let mut w = World::new("zh", ZH_CONFIG);
    w.commit("chore: nothing");
    w.commit_without_hook("feat: #003");
    w.token = String::new();
    let err = sync_fails(&w, 2);
    assert!(err.contains("no Notion token: set NOTION_TOKEN"), "{err}");
}

#[test]
fn an_unshared_database_says_how_to_share_it() {
    let w = World::new(
        "zh",
        &ZH_CONFIG.replace(
            "2845c4eb952681828ccf000b14d4c431",
            "0000000000000000000000000000beef",
        ),
    );
    w.commit("feat: #003");
    let err = sync_fails(&w, 2);
    assert!(err.contains("not found (404 object_not_found"), "{err}");
    assert!(err.contains("Connections"), "{err}");
}

#[test]
fn a_retry_after_of_one_second_is_waited_out() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit("chore: nothing");
    w.commit_without_hook("feat: 完成 #005 monitoring");
    w.sb.inject(Fault::rate_limited(1).method("PATCH").times(1));
    let started = Instant::now();
    let out = w.run(&["sync"]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.prop("17853bd4e4374814800601e7495de496", "状态"), "完成");
    let patches: Vec<u16> =
        w.sb.requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .map(|r| r.status)
            .collect();
    assert_eq!(patches, [429, 200]);
    assert!(elapsed.as_secs_f64() >= 1.0, "{elapsed:?}");
}

#[test]
fn rate_limited_after_retries_says_so() {
    let w = World::new("zh", &format!("{ZH_CONFIG}\n[api]\nmax_retries = 1\n"));
    w.commit_without_hook("feat: #005");
    w.sb.inject(Fault::rate_limited(0).method("PATCH"));
    let err = sync_fails(&w, 1);
    assert!(
        err.contains("rate limited by Notion (429 rate_limited: You have been rate limited"),
        "{err}"
    );
    assert!(err.contains(") after 2 attempts"), "{err}");
}

/// Notion's per-workspace limit answers `Retry-After` "longer than a minute" with a `rate_limit_reason`
/// (developers.notion.com/reference/request-limits; ../shared/notion-reference/README.md). The detached
/// flusher waits out up to 10 minutes (see `notion_today`); past that it does not sleep: the update stays
/// queued with the reason and the wait, and is delivered by the next flush once the limit is gone.
#[test]
fn a_long_rate_limit_leaves_the_hooks_updates_queued() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.sb.set_windows(vec![
        Window::new(0, 60.0, "workspace_limit").retry_after(900)
    ]);
    let started = Instant::now();
    w.commit("feat: #006 secrets");
    w.wait_for_flusher();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the flusher waited: {:?}",
        started.elapsed()
    );
    let v = w.outbox();
    let text = v.to_string();
    assert!(text.contains("rate_limit_reason: workspace_limit"), "{v:#}");
    assert!(text.contains("Notion asked to wait 15 min"), "{v:#}");
    assert_eq!(w.prop("94d9697d90f945358de0843f5f971d3c", "状态"), "未开始");
    w.sb.set_windows(vec![]);
    let out = w.run(&["flush"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop("94d9697d90f945358de0843f5f971d3c", "状态"), "进行中");
}

/// A foreground command shows a long wait and can be interrupted; running it again loses nothing.
#[test]
fn a_foreground_command_shows_a_long_wait_and_ctrl_c_loses_nothing() {
    use std::io::{BufRead, BufReader};
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.set_windows(vec![
        Window::new(0, 60.0, "workspace_limit").retry_after(120)
    ]);
    let mut child = w
        .command(&bin("git-notion"))
        .arg("sync")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("rate limited by Notion"), "{line}");
    assert!(
        line.contains("rate_limit_reason: workspace_limit"),
        "{line}"
    );
    assert!(line.contains("waiting 2 min before trying again"), "{line}");
    assert!(line.contains("Ctrl-C"), "{line}");
    // Ctrl-C.
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    w.sb.set_windows(vec![]);
    let out = w.run(&["sync"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop("94d9697d90f945358de0843f5f971d3c", "状态"), "进行中");
}

#[test]
fn service_unavailable_is_retried_then_reported() {
    let w = World::new("zh", &format!("{ZH_CONFIG}\n[api]\nmax_retries = 2\n"));
    w.commit_without_hook("feat: #005");
    w.sb.inject(Fault::status(503));
    let err = sync_fails(&w, 1);
    assert!(
        err.contains("Notion is unavailable (503 service_unavailable) after 3 attempts"),
        "{err}"
    );
    assert_eq!(w.sb.requests().len(), 3, "one request, retried twice");
    // A passing 503 is retried away.
    w.sb.clear_faults();
    w.sb.clear_log();
    w.sb.inject(Fault::status(503).times(1));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(w.write_count(), 1);
}

#[test]
fn a_bad_config_file_fails_with_line_and_column() {
    let w = World::new("zh", "database = \n");
    w.commit_without_hook("feat: #005");
    let err = sync_fails(&w, 2);
    assert!(
        err.contains(".git-notion.toml") && err.contains("line 1"),
        "{err}"
    );
    assert!(w.sb.requests().is_empty());
}

#[test]
fn a_token_in_the_config_file_is_refused() {
    let w = World::new(
        "zh",
        &format!("{ZH_CONFIG}\n[api]\ntoken = \"ntn_abc123\"\n"),
    );
    w.commit_without_hook("feat: #005");
    let err = sync_fails(&w, 2);
    assert!(err.contains("`api.token` looks like a secret"), "{err}");
    assert!(!err.contains("ntn_abc123"));
}

#[test]
fn the_client_keeps_under_notions_rate_limit() {
    let w = World::rate_limited("zh", ZH_CONFIG, 3.0);
    w.commit_without_hook("feat: #005, #006 and #007");
    let started = Instant::now();
    let out = w.run(&["sync"]);
    let elapsed = started.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = w.sb.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    // Schema (2) + one batched query for the three tickets (1) + the rows edited since that read, read
    // again before writing (1) + one PATCH per page (3). Unlimited, 4 of them would be refused; the
    // limiter's margin absorbs timing noise (at most one refusal on a loaded machine).
    assert_eq!(log.len() - refused, 7);
    assert!(refused <= 1, "{refused} requests refused with 429");
    // Three at once, then three a second.
    assert!(elapsed >= 3.0 / 3.0 - 0.05, "{elapsed}");
}

#[test]
fn notion_unreachable_says_so_and_exits_1() {
    let w = World::new("zh", &format!("{ZH_CONFIG}\n[api]\nmax_retries = 1\n"));
    w.commit_without_hook("feat: #005");
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = w
        .command(&bin("git-notion"))
        .env("GIT_NOTION_API_URL", &url)
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot reach Notion at {url} after 2 attempts")),
        "{err}"
    );
    assert_no_token(&out, &w.token);
}

#[test]
fn plain_http_off_loopback_is_refused() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: #005");
    let out = w
        .command(&bin("git-notion"))
        .env("GIT_NOTION_API_URL", "http://api.example.com")
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("plain http is allowed only to loopback"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_redirect_is_reported_and_never_followed_with_the_token() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: 完成 #005");
    // Where a redirect would lead: nothing may connect here.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    target.set_nonblocking(true).unwrap();
    let target_port = target.local_addr().unwrap().port();
    let redirector = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = redirector.local_addr().unwrap().port();
    std::thread::spawn(move || {
        // Bounded: a few connections, then the thread ends with the listener.
        for stream in redirector.incoming().take(8) {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{target_port}/v1/x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    let out = w
        .command(&bin("git-notion"))
        .env("GIT_NOTION_API_URL", format!("http://127.0.0.1:{port}"))
        .args(["sync", "--dry-run"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("redirect (307)"), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{target_port}")), "{err}");
    assert!(target.accept().is_err(), "the redirect was not followed");
    assert_no_token(&out, &w.token);
}

#[test]
fn terminal_control_characters_from_commits_are_shown_escaped() {
    let w = World::new("zh", ZH_CONFIG);
    let evil = "feat: #005 #status \u{1b}[31mEvil\u{7}";
    // The hook's warning (foreground mode shows the note at once).
    let out = w
        .command(std::path::Path::new("git"))
        .env("GIT_NOTION_MODE", "foreground")
        .args(["commit", "-q", "--allow-empty", "-m", evil])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("#status"), "{err}");
    let sync = w.run(&["sync", "--dry-run"]);
    let status = w.run(&["status"]);
    let doctor = w.run(&["doctor"]);
    for (what, text) in [
        ("hook", err),
        ("sync", format!("{}{}", stdout(&sync), stderr(&sync))),
        ("status", stdout(&status)),
        ("doctor", stdout(&doctor)),
    ] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{what} printed a raw control character: {text:?}"
        );
    }
}

#[test]
fn a_409_conflict_is_retried_like_a_5xx_for_a_write_of_absolute_values() {
    // Notion answers 409 conflict_error when someone edits the page at the same moment; a PATCH that sets
    // absolute values is safe to send again.
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: 完成 #005");
    w.sb.inject(Fault::status(409).method("PATCH").times(1));
    let out = w.run(&["sync"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(w.prop("17853bd4e4374814800601e7495de496", "状态"), "完成");
    let patches =
        w.sb.requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count();
    assert_eq!(patches, 2, "refused once, then written");
}

#[test]
fn a_403_says_which_capability_the_operation_needs() {
    let w = World::new("zh", ZH_CONFIG);
    w.commit_without_hook("feat: #005 #comment 部署完成");
    w.sb.inject(Fault::status(403).path("/v1/comments"));
    let out = w.run(&["sync"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("Read comments and Insert comments"),
        "comments: {text}"
    );
    w.sb.clear_faults();
    w.commit_without_hook("feat: 完成 #006");
    w.sb.inject(Fault::status(403).method("PATCH"));
    let out = w.run(&["sync"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("Update content capability"), "update: {text}");
}

/// Notion's support asks for an error's `request_id`: the JSON answers carry it as a field beside the
/// error text (replay, status, doctor), so that CI scripts can report it.
#[test]
fn json_answers_carry_the_request_id_of_each_error() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(Fault::status(400).method("PATCH"));
    let out = w.replay(&["--apply", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["tickets"][0];
    let id = t["request_id"].as_str().unwrap_or_else(|| panic!("{t:#}"));
    assert_eq!(id.len(), 36, "{id}");
    assert!(t["error"].as_str().unwrap().contains(id));
    // A hook's update Notion refused: `status --json` has it on the failed entry.
    w.commit("fix: #006 again");
    w.wait_for_flusher();
    let status = w.outbox();
    let failed = status["failed"].to_string();
    assert!(failed.contains("\"request_id\""), "{status:#}");
}

/// An unborn repository and a bad flag value say what is wrong in the user's terms (not "rev-spec is
/// malformed", not blamed on the environment).
#[test]
fn an_unborn_repository_and_a_bad_flag_value_say_what_is_wrong() {
    let w = World::new("zh", ZH_CONFIG);
    for out in [w.run(&["sync"]), w.replay(&[])] {
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("has no commits yet"),
            "{}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("rev-spec"), "{}", stderr(&out));
    }
    w.commit_without_hook("feat: #005");
    let out = w.run(&["sync", "--title-policy", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'bogus' for '--title-policy"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("GIT_NOTION_TITLE_POLICY"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn messages_say_what_is_wrong_in_the_users_terms() {
    let w = World::new("zh", ZH_CONFIG);
    // Outside a repository, doctor leads with that (not with "no database configured").
    let outside = w.repo.parent().unwrap().join("not-a-repo");
    std::fs::create_dir_all(&outside).unwrap();
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&outside)
        .arg("doctor")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert!(
        first.contains("repository") && first.contains("not inside a git repository"),
        "{first}"
    );
    // flush and retry without a token: a configuration error (2), the updates kept.
    let out = w
        .command(std::path::Path::new("git"))
        .env_remove("NOTION_TOKEN")
        .args([
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: #005 without a token",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    w.wait_for_flusher();
    for cmd in ["flush", "retry"] {
        let out = w
            .command(&bin("git-notion"))
            .env_remove("NOTION_TOKEN")
            .arg(cmd)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        assert!(stderr(&out).contains("no Notion token"), "{}", stderr(&out));
    }
    assert_eq!(w.outbox()["pending"].as_array().map(Vec::len), Some(1));
    // Only a database: doctor warns that nothing but placeholder titles can be written.
    w.write_config("");
    let out = w
        .command(&bin("git-notion"))
        .env("GIT_NOTION_DATABASE", "2845c4eb952681828ccf000b14d4c431")
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let writes = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "writes")
        .cloned()
        .unwrap_or_default();
    assert_eq!(writes["status"], "warn", "{v:#}");
    assert!(
        writes["fix"].as_str().unwrap().contains("git notion init"),
        "{v:#}"
    );
}
