#![no_main]
//! `cargo +nightly fuzz run state_files`: see `git_notion::fuzz::state_files`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    git_notion::fuzz::state_files(data);
});
