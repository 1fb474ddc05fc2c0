//! What a newcomer trips on in the first hour: each papercut found by following the README, fixed and kept
//! fixed here (the quick start itself runs in `install.rs`, JSON shapes in `json.rs`).

use crate::util::*;

#[test]
fn hook_without_a_name_exits_0_completions_hide_install_commands_undo_takes_a_listed_name() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    // `git notion hook` alone: like every hook run, 0 and one line saying what it is for.
    let out = w.run(&["hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs the hook's name"),
        "{}",
        stderr(&out)
    );
    // install.sh's hidden `manpages` is not offered by completion; the commands are.
    for shell in ["bash", "zsh", "fish"] {
        let out = w.run(&["completions", shell]);
        let text = stdout(&out);
        assert!(!text.contains("manpages"), "{shell}");
        assert!(text.contains("explain"), "{shell}");
    }
    // undo takes a journal's file name as the journal directory lists it.
    w.commit_without_hook("feat: 完成工单 #006 Secrets Management");
    let out = w.replay(&["--apply"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = w.repo.join(".git/git-notion/journal");
    let name = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".jsonl"))
        .expect("a journal");
    let out = w.run(&["undo", &name]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("#006"), "{}", stdout(&out));
    // `--read lookups` looks the tickets up, however small the data source: no scan.
    w.sb.clear_log();
    let out = w.replay(&["--json", "--read", "lookups"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["read"]["strategy"], "lookups", "{v:#}");
    assert_eq!(v["summary"]["read"]["scan_requests"], 0, "{v:#}");
}

/// The README reads in five minutes (under 20 KB, the depth in docs/), and every link in it and in docs/
/// leads to a file of this repository (nothing outside it, such as the developers' shared notes).
#[test]
fn the_readme_is_short_and_every_link_resolves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.len() < 20_000, "README.md is {} bytes", readme.len());
    assert!(
        !readme.contains("../shared"),
        "README.md points outside the repository"
    );
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let path = target.split('#').next().unwrap();
            assert!(
                f.parent().unwrap().join(path).exists(),
                "{}: the link {target} leads nowhere",
                f.display()
            );
        }
    }
}

/// The README's "Using it" block, command by command, against the sandbox: its placeholders (your
/// repository, the path to install.sh, the token, the database's URL) become this world's, the installed
/// binaries' alternative to install.sh is taken, and each command must succeed.
#[test]
fn the_readme_using_it_block_runs_as_written() {
    const P006: &str = "94d9697d90f945358de0843f5f971d3c";
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- using-it -->").expect("a using-it block");
    let end = readme.find("<!-- /using-it -->").unwrap();
    let block = readme[start..end]
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let w = World::new("zh", "");
    let mut script = String::from("set -e\n");
    for line in block.lines() {
        let line = line
            .replace(
                "cd your-repo && /path/to/git-notion/install.sh",
                "git notion hooks install",
            )
            .replace("ntn_…", &w.token)
            .replace(
                "https://www.notion.so/…/<database id>",
                &format!("https://www.notion.so/acme/{}", ZH_DB.replace('-', "")),
            );
        script.push_str(&line);
        script.push('\n');
    }
    assert!(!script.contains('…'), "a placeholder left: {script}");
    let out = w
        .command(std::path::Path::new("bash"))
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("all checks passed"), "{text}");
    assert!(text.contains("#006"), "{text}");
    assert_eq!(w.prop(P006, "状态"), "完成");
}
