//! libFuzzer target for the codec; the invariants live in `../harness.rs`,
//! which `tests/fuzz_replay.rs` also runs on stable Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::fuzz_codec(data));
