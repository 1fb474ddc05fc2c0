//! The real installs: the README's quick start run verbatim (install.sh building with cargo, the sandbox,
//! init, doctor, a commit), install.sh's uninstall, and the pre-commit framework installing git-notion from
//! this repository with `language: rust`. These build the binaries with `cargo install`, so they share one
//! target directory and build with a fast release profile (the commands are the same; only the optimiser
//! settings of the build differ).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

const P006: &str = "94d9697d90f945358de0843f5f971d3c";

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn real_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// PATH without this build's own binaries (the tests must use what was installed).
fn system_path() -> String {
    let own = bin("git-notion").parent().unwrap().to_path_buf();
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|p| *p != own && !p.starts_with(own.parent().unwrap().join("debug")))
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// A clean environment for a shell session of a new user: private HOME, no system git config, pinned
/// identities and dates, no proxies; the machine's cargo and rustup (with their caches) and a shared,
/// fast-building target directory.
fn user_env(cmd: &mut Command, home: &Path, path: &str) {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home().join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home().join(".rustup"));
    pinned_env(cmd, home, path);
    cmd.env("CARGO_HOME", cargo_home)
        .env("RUSTUP_HOME", rustup_home)
        .env("CARGO_TARGET_DIR", tmp_root().join("install-target"))
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_TERM_COLOR", "never")
        // Build from source, never look for a release archive on the network.
        .env("GIT_NOTION_RELEASE_URL", "off");
    if let Some(t) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        cmd.env("RUSTUP_TOOLCHAIN", t);
    }
}

/// The README's quick-start block (between the quick-start markers).
fn quick_start() -> String {
    let readme = std::fs::read_to_string(source_dir().join("README.md")).unwrap();
    let start = readme
        .find("<!-- quick-start -->")
        .expect("README has a quick-start block");
    let end = readme.find("<!-- /quick-start -->").unwrap();
    let block = &readme[start..end];
    let code = block
        .split("```sh\n")
        .nth(1)
        .expect("a sh code block")
        .split("```")
        .next()
        .unwrap();
    code.to_string()
}

/// Runs a shell script as a new process group and kills the group afterwards (the sandbox it starts in
/// the background goes with it).
fn run_script(script: &str, cwd: &Path, home: &Path, path: &str) -> Output {
    use std::os::unix::process::CommandExt;
    // Output goes to files, not pipes: a background process keeps a pipe open after the script ends.
    let log = tempfile::tempdir().unwrap();
    let (o, e) = (log.path().join("out"), log.path().join("err"));
    let mut cmd = Command::new("bash");
    cmd.arg("-e").arg("-c").arg(script).current_dir(cwd);
    user_env(&mut cmd, home, path);
    cmd.process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap());
    let mut child = cmd.spawn().unwrap();
    let pgid = child.id();
    let status = child.wait().unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{pgid}")])
        .stderr(std::process::Stdio::null())
        .status();
    Output {
        status,
        stdout: std::fs::read(&o).unwrap(),
        stderr: std::fs::read(&e).unwrap(),
    }
}

#[test]
fn the_readme_quick_start_works_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // The user cloned git-notion into ./git-notion.
    std::os::unix::fs::symlink(source_dir(), tmp.path().join("git-notion")).unwrap();
    let root = tmp.path().join("cargo-root");
    let path = format!("{}:{}", root.join("bin").display(), system_path());
    // The sandbox picks a free port and writes it to sandbox.env, as the README says.
    let mut script = quick_start();
    assert!(script.contains("--port 0"), "{script}");
    // The last line shows the page; keep the script's own output, and then read the sandbox's state.
    script.push_str(
        "\ncurl -s --noproxy '*' \"$GIT_NOTION_API_URL/__sandbox/state\" > ../state.json\n",
    );
    // sandbox.env names this sandbox's pid, which stops it (the README's advice).
    script.push_str("kill \"$NOTION_SANDBOX_PID\"\n");
    let script = format!("export CARGO_INSTALL_ROOT={}\n{script}", root.display());
    let out = run_script(&script, tmp.path(), &home, &path);
    let (so, se) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "quick start failed:\n{so}\n{se}");
    // install.sh installed and linked the hooks and named the next step; with nothing configured yet it
    // ran no doctor whose ✗ would only say so (the quick start's own doctor passes, below).
    assert!(root.join("bin/git-notion").exists());
    assert!(root.join("bin/notion-sandbox").exists());
    assert!(so.contains("Next: export NOTION_TOKEN"), "{so}");
    assert_eq!(so.matches("check(s) failed").count(), 0, "{so}");
    // The man pages, where man looks for the commands on PATH.
    for page in ["git-notion.1", "git-notion-sync.1", "git-notion-replay.1"] {
        assert!(root.join("share/man/man1").join(page).exists(), "{page}");
    }
    // The four post-* hooks, the installed hooks' binary linked as each; no reference-transaction.
    for name in ["post-commit", "post-merge", "post-rewrite", "post-checkout"] {
        let hook = tmp.path().join("demo/.git/hooks").join(name);
        assert_eq!(
            std::fs::read_link(&hook).unwrap(),
            root.join("bin/git-notion-hook").canonicalize().unwrap(),
            "{name}"
        );
    }
    // Linked statically here (glibc's static libraries are on this machine): no program interpreter
    // to load, or install.sh said why not.
    let dynamic = Command::new("readelf")
        .arg("-d")
        .arg(root.join("bin/git-notion-hook"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("(NEEDED)"))
        .expect("readelf (binutils) runs");
    assert!(
        !dynamic || so.contains("stays dynamically linked"),
        "git-notion-hook is dynamically linked and install.sh did not say so:\n{so}"
    );
    assert!(!tmp
        .path()
        .join("demo/.git/hooks/reference-transaction")
        .exists());
    // doctor passed after init, and the page changed.
    assert!(so.contains("all checks passed"), "{so}");
    assert!(so.contains("#006  up to date"), "{so}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("state.json")).unwrap()).unwrap();
    let page = state["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == dashed(P006))
        .expect("page #006");
    let text = page["properties"].to_string();
    assert!(text.contains("完成"), "{text}");
    assert!(text.contains("2025-10-01"), "{text}");
    // The link the README promises, from origin.
    assert!(
        text.contains("https://github.com/acme/demo/commit/"),
        "{text}"
    );
    // And the log says what was delivered.
    assert!(so.contains("#006  page 94d9697d"), "{so}");

    // install.sh --uninstall removes the hooks again; the repository is as before.
    let out = run_script(
        &format!(
            "export CARGO_INSTALL_ROOT={}\ncd demo && ../git-notion/install.sh --uninstall",
            root.display()
        ),
        tmp.path(),
        &home,
        &path,
    );
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(std::fs::symlink_metadata(tmp.path().join("demo/.git/hooks/post-commit")).is_err());
    assert!(stdout(&out).contains("cargo uninstall"), "{}", stdout(&out));
}

/// The real `pre-commit` (from PyPI, in a virtualenv the test makes once) with its pinned version.
fn pre_commit() -> PathBuf {
    let venv = tmp_root().join("pre-commit-venv");
    let exe = venv.join("bin/pre-commit");
    if !exe.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the pre-commit test")
            .success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "pre-commit==4.7.0",
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install pre-commit failed (PyPI must be reachable)");
    }
    exe
}

/// This working tree, committed into a throwaway repository (pre-commit clones a repo at a rev).
fn source_snapshot(dir: &Path) -> String {
    let files = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(source_dir())
        .output()
        .unwrap();
    assert!(files.status.success());
    for name in files.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let rel = Path::new(std::str::from_utf8(name).unwrap());
        let from = source_dir().join(rel);
        if !from.is_file() {
            continue;
        }
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "git-notion under test"]);
    git(&["rev-parse", "HEAD"]).trim().to_string()
}

#[test]
fn the_pre_commit_framework_installs_and_runs_git_notion_from_this_repository() {
    const P007: &str = "3c60dbeb1cf14df984dc897a682fb3c5";
    let pre_commit = pre_commit();
    let w = World::new("zh", ZH_CONFIG);
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    let src = w._tmp.path().join("git-notion-src");
    std::fs::create_dir_all(&src).unwrap();
    let rev = source_snapshot(&src);
    std::fs::write(
        w.repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: git-notion\n      - id: git-notion-commit-msg\n",
            src.display()
        ),
    )
    .unwrap();
    // Only what pre-commit installs may run git-notion: this build's binaries are not on PATH.
    let path = format!(
        "{}:{}",
        pre_commit.parent().unwrap().display(),
        system_path()
    );
    let run = |program: &str, args: &[&str]| -> Output {
        let mut cmd = Command::new(program);
        cmd.args(args).current_dir(&w.repo);
        user_env(&mut cmd, &w.home, &path);
        cmd.env("PRE_COMMIT_HOME", tmp_root().join("pre-commit-home"))
            .env("NOTION_TOKEN", &w.token)
            .env("GIT_NOTION_API_URL", w.sb.base_url());
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        out
    };
    let pc = pre_commit.to_str().unwrap();
    run(
        pc,
        &[
            "install",
            "--hook-type",
            "post-commit",
            "--hook-type",
            "post-merge",
            "--hook-type",
            "post-rewrite",
            "--hook-type",
            "post-checkout",
            "--hook-type",
            "commit-msg",
        ],
    );
    // `git notion hooks install` now finds pre-commit running git-notion: nothing to do, and exit 0.
    let out = w.run(&["hooks", "install"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("pre-commit's configuration runs git-notion already"),
        "{}",
        stdout(&out)
    );
    // post-commit (the first run builds git-notion with cargo).
    let out = run(
        "git",
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: 完成工单 #006 Secrets Management",
        ],
    );
    assert!(stdout(&out).contains("git-notion") || stderr(&out).contains("git-notion"));
    // The commit-msg stage said what the message does (pre-commit shows it: `verbose: true`).
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("#006: closes, → 完成 now"), "{said}");
    w.wait_for_flusher();
    assert_eq!(w.prop(P006, "状态"), "完成");
    assert!(w.prop(P006, "Commit").contains(&w.head()));
    // post-rewrite (`hook auto` → PRE_COMMIT_REWRITE_COMMAND=amend): the link moves to the amended commit.
    run(
        "git",
        &[
            "commit",
            "-q",
            "--amend",
            "--allow-empty",
            "-m",
            "feat: 完成工单 #006 Secrets Management (amended)",
        ],
    );
    w.wait_for_flusher();
    assert!(
        w.prop(P006, "Commit").contains(&w.head()),
        "{}",
        w.prop(P006, "Commit")
    );
    // post-merge (`hook auto` → PRE_COMMIT_IS_SQUASH_MERGE=0): a branch commit made without hooks reaches
    // main by a merge, and the merge's hook reports it.
    run("git", &["checkout", "-q", "-b", "topic"]);
    w.commit_without_hook("feat: 完成 #007 backtest skeleton");
    let topic = w.head();
    run("git", &["checkout", "-q", "main"]);
    run("git", &["merge", "-q", "--no-ff", "--no-edit", "topic"]);
    w.wait_for_flusher();
    assert_eq!(w.prop(P007, "状态"), "完成");
    assert!(w.prop(P007, "Commit").contains(&topic));

    // The `-installed` ids: the git-notion on PATH (this build's here), nothing built.
    const P009: &str = "28a79a61069e46c5895284e1b04a4923";
    std::fs::write(
        w.repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: git-notion-installed\n      - id: git-notion-commit-msg-installed\n",
            src.display()
        ),
    )
    .unwrap();
    let with_ours = format!("{}:{path}", bin("git-notion").parent().unwrap().display());
    let mut cmd = Command::new("git");
    cmd.args([
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "feat: 完成工单 #009 through the installed ids",
    ])
    .current_dir(&w.repo);
    user_env(&mut cmd, &w.home, &with_ours);
    cmd.env("PRE_COMMIT_HOME", tmp_root().join("pre-commit-home"))
        .env("NOTION_TOKEN", &w.token)
        .env("GIT_NOTION_API_URL", w.sb.base_url());
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("#009"), "{said}");
    w.wait_for_flusher();
    assert_eq!(w.prop(P009, "状态"), "完成");
}

#[test]
fn a_bare_repository_is_refused_clearly() {
    // Hooks in a bare repository never run for a commit: install refuses, doctor fails the check.
    let w = World::new("zh", ZH_CONFIG);
    let bare = w.repo.parent().unwrap().join("bare.git");
    w.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&bare)
        .args(["hooks", "install"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bare repository"), "{}", stderr(&out));
    assert!(!bare.join("hooks/reference-transaction").exists());
    let out = w
        .command(&bin("git-notion"))
        .current_dir(&bare)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hooks = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "hooks")
        .cloned()
        .unwrap_or_default();
    assert_eq!(hooks["status"], "fail", "{v:#}");
    assert!(
        hooks["detail"]
            .as_str()
            .unwrap()
            .contains("bare repository"),
        "{v:#}"
    );
}

/// An npm package (pinned) installed once into a directory the tests share; None (with a message) where
/// npm is missing. No install scripts: lefthook's would install its hooks into the repository npm runs
/// from.
fn npm_package(spec: &str) -> Option<PathBuf> {
    let dir = tmp_root().join(spec.replace('@', "-"));
    if dir.join("node_modules/.package-lock.json").exists() {
        return Some(dir);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        eprintln!("npm is not installed: the test with the real {spec} is skipped (CI has npm)");
        return None;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let ok = Command::new("npm")
        .args([
            "install",
            "--ignore-scripts",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(&dir)
        .arg(spec)
        .current_dir(&dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "npm install {spec} failed");
    Some(dir)
}

#[test]
fn husky_with_a_custom_directory_gets_its_own_snippet_and_runs_git_notion() {
    const P005: &str = "17853bd4e4374814800601e7495de496";
    // `npx husky .config/husky` points core.hooksPath at .config/husky/_: install refuses and prints the
    // snippet for that directory; run as printed, commits reach Notion through husky, and doctor says so.
    let Some(husky) = npm_package("husky@9.1.7") else {
        return;
    };
    let w = World::new("zh", ZH_CONFIG);
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    let index = husky.join("node_modules/husky/index.js");
    let out = w
        .command(Path::new("node"))
        .args([
            "--input-type=module",
            "-e",
            &format!(
                "import h from '{}'; const r = h('.config/husky'); if (r) {{ console.error(r); process.exit(1) }}",
                index.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "husky: {}", stderr(&out));
    assert_eq!(
        w.git(&["config", "core.hooksPath"]).trim(),
        ".config/husky/_"
    );
    let out = w.run(&["hooks", "install"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("husky manages"), "{message}");
    let snippet = message.split("instead:\n\n").nth(1).expect("a snippet");
    assert!(
        snippet.contains(".config/husky/post-commit") || snippet.contains(".config/husky/$h"),
        "{snippet}"
    );
    assert!(!snippet.contains(".husky/"), "{snippet}");
    // doctor: husky owns the hooks and does not run git-notion yet.
    let doctor = |w: &World| w.doctor_check("hooks");
    assert_eq!(doctor(&w)["status"], "fail");
    let out = w
        .command(Path::new("sh"))
        .args(["-e", "-c", snippet])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    w.assert_every_move_seen();
    w.commit("feat: #005 through husky");
    w.wait_for_flusher();
    assert_eq!(w.prop(P005, "状态"), "进行中");
    let head = w.git(&["rev-parse", "HEAD"]);
    assert!(w.prop(P005, "Commit").contains(head.trim()));
}

#[test]
fn lefthook_runs_the_readme_snippet_and_a_comment_runs_nothing() {
    const P005: &str = "17853bd4e4374814800601e7495de496";
    let Some(lefthook) =
        npm_package("lefthook@1.13.6").map(|d| d.join("node_modules/.bin/lefthook"))
    else {
        return;
    };
    let w = World::new("zh", ZH_CONFIG);
    assert!(w.run(&["hooks", "uninstall"]).status.success());
    let hooks_check = |w: &World| w.doctor_check("hooks");
    let install = |w: &World| {
        let out = w
            .command(&lefthook)
            .args(["install", "--force"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "lefthook install: {}{}",
            stdout(&out),
            stderr(&out)
        );
    };
    // A comment naming git-notion runs nothing: doctor fails the check.
    std::fs::write(
        w.repo.join("lefthook.yml"),
        "# TODO: add git-notion\npost-commit:\n  commands:\n    lint:\n      run: \"true\"\n",
    )
    .unwrap();
    install(&w);
    assert_eq!(hooks_check(&w)["status"], "fail", "{:#}", hooks_check(&w));
    // The snippet of docs/hooks.md, as written there.
    let readme = std::fs::read_to_string(source_dir().join("docs/hooks.md")).unwrap();
    let start = readme.find("**lefthook**").unwrap();
    let yaml = readme[start..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    std::fs::write(w.repo.join("lefthook.yml"), yaml).unwrap();
    install(&w);
    w.assert_every_move_seen();
    // lefthook's hooks find lefthook on PATH (as after `npm install -g`, or through npx in a project).
    let path = format!(
        "{}:{}",
        lefthook.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let bin_dir = bin("git-notion").parent().unwrap().to_path_buf();
    let out = w
        .command(Path::new("git"))
        .env("PATH", format!("{}:{path}", bin_dir.display()))
        .args([
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "feat: #005 through lefthook",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // lefthook's commit-msg ran git-notion's with the message file ({1}).
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        said.contains("git-notion: #005") && said.contains("links, → 进行中 now"),
        "{said}"
    );
    w.wait_for_flusher();
    let head = w.git(&["rev-parse", "HEAD"]);
    assert!(
        w.prop(P005, "Commit").contains(head.trim()),
        "{}",
        w.prop(P005, "Commit")
    );
}

/// A release archive as the release workflow makes it (`dist/package.sh`, here unoptimised), installed by
/// install.sh from where `GIT_NOTION_RELEASE_URL` points, SHA-256 checked, without cargo on PATH: the
/// installed binaries run and the hooks link to the archive's git-notion-hook. A damaged archive is
/// refused.
#[test]
fn install_sh_installs_a_release_archive_without_building() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out_dir = tmp.path().join("release");
    let host =
        String::from_utf8(Command::new("rustc").arg("-vV").output().unwrap().stdout).unwrap();
    let host = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_string();
    let package = Command::new("bash")
        .arg(source_dir().join("dist/package.sh"))
        .arg(&host)
        .arg(&out_dir)
        .env("DIST_PROFILE", "dev")
        .env("CARGO_TARGET_DIR", tmp_root().join("dist-target"))
        .output()
        .unwrap();
    assert!(package.status.success(), "{}", stderr(&package));
    let archive = stdout(&package).trim().to_string();
    assert!(archive.ends_with(&format!("-{host}.tar.gz")), "{archive}");
    assert!(std::path::Path::new(&format!("{archive}.sha256")).exists());
    // A repository to install into; a PATH without cargo (git, curl, tar and sh remain).
    let repo = tmp.path().join("demo");
    std::fs::create_dir_all(&repo).unwrap();
    let root = tmp.path().join("root");
    let no_cargo: String = system_path()
        .split(':')
        .filter(|d| !std::path::Path::new(d).join("cargo").exists())
        .collect::<Vec<_>>()
        .join(":");
    let script = format!(
        "git init -q -b main . && export PREFIX={} GIT_NOTION_RELEASE_URL=file://{}\n{}/install.sh\n\
         \"$PREFIX/bin/git-notion\" --version\n",
        root.display(),
        out_dir.display(),
        source_dir().display()
    );
    let out = run_script(&script, &repo, &home, &no_cargo);
    let (so, se) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{so}\n{se}");
    assert!(so.contains("SHA-256 checked; nothing built"), "{so}");
    assert!(so.contains("git-notion 0."), "{so}");
    assert_eq!(
        std::fs::read_link(repo.join(".git/hooks/post-commit")).unwrap(),
        root.join("bin/git-notion-hook").canonicalize().unwrap()
    );
    // A damaged archive is refused (and, without cargo, nothing is installed).
    let sum = format!("{archive}.sha256");
    let text = std::fs::read_to_string(&sum).unwrap();
    std::fs::write(&sum, text.replacen(&text[..8], "00000000", 1)).unwrap();
    let out = run_script(&script, &repo, &home, &no_cargo);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(all.contains("does not match its SHA-256"), "{all}");
    assert!(!out.status.success(), "{all}");
}
