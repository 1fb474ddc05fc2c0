#![no_main]
//! `cargo +nightly fuzz run config`: see `git_notion::fuzz::config`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    git_notion::fuzz::config(data);
});
