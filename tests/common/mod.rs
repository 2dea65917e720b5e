//! Test support shared by the integration tests (`mod common;`).
#![allow(dead_code)] // each test binary uses a different part of it

use std::path::{Path, PathBuf};

/// A directory under the system temp dir, unique to this process and name,
/// empty when made and removed when dropped. The directory itself exists.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("fixrail-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path as a command-line argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A FIX-shaped payload of 150..=250 bytes whose every byte follows from
/// `seq` and `label`, so a reader can check a record exactly.
pub fn payload_into(seq: u64, label: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"8=FIX.4.4|9=000|35=D|34=");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(b"|49=");
    out.extend_from_slice(label);
    out.extend_from_slice(b"|58=");
    let filler = 100 + (seq % 101) as usize;
    let start = (seq % 26) as usize * 7 % 26;
    out.extend((0..filler).map(|i| b'A' + ((start + i) % 26) as u8));
    out.extend_from_slice(b"|10=000|");
}

/// A journal config with small segments (`segment_size_bytes`), for tests
/// that want roll-overs to happen often.
pub fn journal_config(
    dir: &Path,
    segment_size_bytes: u64,
    sessions_max: u32,
    resend_index_entries: usize,
) -> fixrail::journal::JournalConfig {
    fixrail::journal::JournalConfig {
        segment_size_bytes,
        sessions_max,
        resend_index_entries,
        ..fixrail::journal::JournalConfig::new(dir)
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce from
/// the seed a test prints.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
