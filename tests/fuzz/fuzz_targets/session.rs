//! libFuzzer target for framer + session; the invariants live in
//! `../session_harness.rs`, which `tests/session_fuzz.rs` also runs on stable Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../session_harness.rs"]
mod session_harness;

fuzz_target!(|data: &[u8]| {
    session_harness::fuzz_session(data);
});
