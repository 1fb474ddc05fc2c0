#![no_main]
//! `cargo +nightly fuzz run ids`: see `git_notion::fuzz::ids`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    git_notion::fuzz::ids(data);
});
