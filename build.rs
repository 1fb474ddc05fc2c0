//! Links the binaries as position-dependent executables on Linux (glibc): a hook is a process started on
//! every commit, and a position-independent binary of this size spends about a third of a millisecond at
//! each start applying its ~24,000 load-time relocations (113 more page faults). Libraries, heap and stack
//! stay randomized. `GIT_NOTION_PIE=1` at build time keeps the default.

fn main() {
    println!("cargo:rerun-if-env-changed=GIT_NOTION_PIE");
    let linux_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    // A static build (`-C target-feature=+crt-static`, as install.sh links git-notion-hook) chooses its own
    // linking: `-no-pie` beside a static-pie link makes a binary that crashes at start.
    let crt_static = std::env::var("CARGO_CFG_TARGET_FEATURE")
        .is_ok_and(|f| f.split(',').any(|f| f == "crt-static"));
    if linux_gnu && !crt_static && std::env::var_os("GIT_NOTION_PIE").is_none_or(|v| v != "1") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
