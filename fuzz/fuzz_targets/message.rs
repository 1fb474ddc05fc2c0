#![no_main]
//! `cargo +nightly fuzz run message`: see `git_notion::fuzz::message`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    git_notion::fuzz::message(data);
});
