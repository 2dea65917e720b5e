//! Test support shared by the integration tests (`mod common;`).
#![allow(dead_code)] // each test binary uses a different part of it

pub mod alloc;

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

/// A venue (acceptor "VENUE", the venue application) and a trading session
/// (initiator "DESK") in one engine over loopback, EUR/USD (tick 0.00001,
/// lot 1000), with the strategy attached to DESK. The journal is in `dir`.
pub fn trading_engine(
    dir: &TempDir,
) -> (
    fixrail::engine::Engine<fixrail::clock::SystemClock>,
    fixrail::strategy::StrategyHandle,
) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        r#"
[engine]
journal_dir = "journal"
idle = "busy-spin"

[risk]
max_open_orders = 1000
order_rate_per_sec = 1000000
order_burst = 100000

[venue]
max_resting_orders_per_instrument = 4096

[[session]]
name = "VENUE"
role = "acceptor"
sender_comp_id = "VENUE"
target_comp_id = "DESK"
listen = "127.0.0.1:{port}"
application = "venue"

[[session]]
name = "DESK"
role = "initiator"
sender_comp_id = "DESK"
target_comp_id = "VENUE"
connect = ["127.0.0.1:{port}"]

[[instrument]]
symbol = "EUR/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.08500"
max_order_qty = 10_000_000
"#
    );
    let path = dir.path().join("trading.toml");
    std::fs::write(&path, text).unwrap();
    let cfg = fixrail::config::load(&path).unwrap();
    let spec = fixrail::engine::engine_spec(&cfg).unwrap();
    let mut engine = fixrail::engine::Engine::new(spec, fixrail::clock::SystemClock).unwrap();
    let handle = engine.attach_strategy("DESK").unwrap();
    (engine, handle)
}
