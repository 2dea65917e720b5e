//! The codec fuzz harness on stable Rust, in every `cargo test`: replays the
//! seed corpus in `tests/fuzz/corpus/codec/`, then runs a deterministic,
//! seeded mutation loop over it (bit flips, byte inserts and deletes,
//! splices between corpus files, SOH / `=` / digit insertions). The real
//! fuzzer (`tests/fuzz/README.md`) runs the same harness under libFuzzer.
//!
//! A different seed explores elsewhere: `FIXRAIL_FUZZ_SEED=123 cargo test
//! --test fuzz_replay`; `FIXRAIL_FUZZ_ITERATIONS` sets the loop length.

mod common;
use common::Rng;

#[path = "fuzz/harness.rs"]
mod harness;

use fixrail::codec::testing::show;
use fixrail::codec::{Decoded, Decoder};
use std::path::PathBuf;

/// The default seed; any failure prints the seed and iteration to rerun.
const SEED: u64 = 0x5eed_f1a7_0000_0001;
/// Sized for about two seconds in a debug build on one core.
const ITERATIONS: u64 = 30_000;
/// The largest corpus file the mutation loop starts from.
const MUTATION_SEED_MAX: usize = 512;
/// The longest mutated input.
const MUTATED_LEN_MAX: usize = 1200;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/codec")
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// Runs the harness on `input`; on a panic, prints how to reproduce it.
fn run(input: &[u8], context: &dyn Fn() -> String) {
    if let Err(panic) = std::panic::catch_unwind(|| harness::fuzz_codec(input)) {
        eprintln!(
            "fuzz harness failed: {}\ninput ({} bytes, first byte {:#04x} = read size): {}\nas Rust: {:?}",
            context(),
            input.len(),
            input.first().copied().unwrap_or(0),
            show(input.get(1..).unwrap_or(&[])),
            input
        );
        std::panic::resume_unwind(panic);
    }
}

/// Every seed corpus file passes the harness.
#[test]
fn the_seed_corpus_passes_the_harness() {
    let corpus = corpus();
    assert!(corpus.len() >= 20, "only {} corpus files", corpus.len());
    for (name, data) in &corpus {
        run(data, &|| format!("corpus file {name}"));
    }
}

/// The corpus files named `valid_*` really are clean streams of messages,
/// so the seed corpus starts the fuzzer from deep inside the parser.
#[test]
fn valid_corpus_files_decode_cleanly() {
    let mut decoder = Decoder::default();
    for (name, data) in corpus().iter().filter(|(n, _)| n.starts_with("valid_")) {
        let mut buf = &data[1..];
        let mut messages = 0;
        while !buf.is_empty() {
            match decoder.decode(buf) {
                Decoded::Message(_, len) => {
                    messages += 1;
                    buf = &buf[len..];
                }
                other => panic!("{name}: {other:?} at {}", show(buf)),
            }
        }
        assert!(messages >= 1, "{name}");
    }
}

/// Bytes that matter to the codec, for insertions.
const INTERESTING: &[&[u8]] = &[
    b"\x01",
    b"=",
    b"0",
    b"1",
    b"9",
    b"-",
    b".",
    b"8=",
    b"9=",
    b"10=",
    b"35=",
    b"95=",
    b"96=",
    b"\x0110=",
    b"\x018=FIX.4.4\x01",
    b"60",
    b":",
    b"Y",
];

/// Applies one to four random mutations to `input` (keeping its first,
/// read-size byte mostly intact), sometimes splicing in another file.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[(String, Vec<u8>)]) {
    for _ in 0..1 + rng.below(4) {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            2 if len > 1 => {
                let i = 1 + rng.below(len - 1);
                let n = 1 + rng.below(8.min(len - i));
                input.drain(i..i + n);
            }
            3 => {
                // Splice: a slice of another corpus file at a random point.
                let other = &corpus[rng.below(corpus.len())].1;
                if other.len() > 1 {
                    let from = 1 + rng.below(other.len() - 1);
                    let to = from + 1 + rng.below(other.len() - from);
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[from..to].iter().copied());
                }
            }
            4 | 5 => {
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len + 1);
                input.splice(at..at, piece.iter().copied());
            }
            6 if len > 1 => {
                // Replace a digit with another: lengths, checksums, tags.
                let i = 1 + rng.below(len - 1);
                if input[i].is_ascii_digit() {
                    input[i] = b'0' + rng.below(10) as u8;
                }
            }
            7 if len > 2 => {
                // Duplicate a run of bytes.
                let i = rng.below(len);
                let n = 1 + rng.below(16.min(len - i));
                let run: Vec<u8> = input[i..i + n].to_vec();
                input.splice(i..i, run);
            }
            8 if len > 0 => {
                // A new read size.
                input[0] = match rng.below(4) {
                    0 => 0,
                    1 => 1,
                    _ => rng.next() as u8,
                };
            }
            _ => {}
        }
    }
    input.truncate(MUTATED_LEN_MAX);
}

/// A seeded mutation loop over the corpus: the harness's invariants hold on
/// thousands of near-valid inputs.
#[test]
fn seeded_mutations_of_the_corpus_pass_the_harness() {
    let seed = env_u64("FIXRAIL_FUZZ_SEED").unwrap_or(SEED);
    let iterations = env_u64("FIXRAIL_FUZZ_ITERATIONS").unwrap_or(ITERATIONS);
    let corpus = corpus();
    // Large seeds are replayed above; mutating them byte-by-byte costs
    // O(n^2) framing per input in a debug build, so the loop starts from
    // the small ones (splices still draw on every file).
    let seeds: Vec<&[u8]> = corpus
        .iter()
        .map(|(_, d)| &d[..])
        .filter(|d| d.len() <= MUTATION_SEED_MAX)
        .collect();
    assert!(seeds.len() >= 20, "only {} small seeds", seeds.len());
    let mut rng = Rng(seed | 1);
    for iteration in 0..iterations {
        let mut input = seeds[rng.below(seeds.len())].to_vec();
        // Mutations stack: a few rounds on the same input before moving on.
        for round in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut input, &corpus);
            run(&input, &|| {
                format!("FIXRAIL_FUZZ_SEED={seed:#x}, iteration {iteration}, round {round}")
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Regression inputs: crashes found by the fuzzer or by review, kept forever.
// ---------------------------------------------------------------------------

/// `[read size 0]` + `text` completed by `testing::fix`.
fn whole(text: &str) -> Vec<u8> {
    let mut input = vec![0u8];
    input.extend_from_slice(&fixrail::codec::testing::fix(text));
    input
}

/// BUG REPRO, found by cargo-fuzz (crash-66e61722b1a0532ce0665e111f9f3db00245b653):
/// a SendingTime with a bare `.` and no fraction digits decodes as a
/// whole-second timestamp, so it cannot be written back as it came
/// (`src/codec/value.rs`, `parse_time_of_day`: an empty fraction after the
/// `.` maps to `TimePrecision::Seconds`).
#[test]
fn regression_timestamp_with_a_bare_decimal_point() {
    let found: &[u8] = b"\x078=FIX.4.4\x019=170\x0135=8\x0134=4\x0149=CLIENT\x0152=20261122-10:00:00.\x0123156=VENUE\x016=10.48\x015=311ORD-1\x0114=100\x0117=E-1\x0131=-.\x015302=100\x0137=O-1\x0138=100\x0139=2\x0154=1\x0155=EUR/USD\x01150=F\x01151=0\x0160=20261122-10:00:00\x0110=012\x01";
    run(found, &|| "cargo-fuzz crash-66e61722".to_string());
    let minimal = whole("8=FIX.4.4|35=0|34=2|49=A|56=B|52=20261122-10:00:00.|");
    run(&minimal, &|| "minimal form".to_string());
}

/// BUG REPRO, found by review of `Fixed::parse`: the FIX int
/// -9223372036854775808 (i64::MIN) reads with `as_i64` but not `as_fixed`,
/// which overflows while accumulating the magnitude as a positive i64.
#[test]
fn regression_i64_min_is_a_valid_price() {
    let input = whole("8=FIX.4.4|35=D|34=2|49=A|56=B|44=-9223372036854775808|");
    run(&input, &|| "i64::MIN price".to_string());
}
