//! Journal benchmarks: `cargo bench --bench journal`.
//!
//! - `append/page-cache/200b` and `append/async/200b` (criterion): one
//!   200-byte NewOrderSingle appended to a journal of 64 MiB segments on the
//!   real disk (under the target directory). A segment holds ~280,000 such
//!   records, so criterion's larger samples roll over several times each and
//!   the roll-overs (and any wait for the preparer thread) are in the time.
//!   Between samples, outside the timing, segments behind the writer are
//!   deleted to bound the disk used (in `async` mode once they are durable).
//! - Durable-ack latency in `async` mode: 20,000 appends at one per 50 µs,
//!   each timed from its append until the flusher's published durable
//!   position covers it; percentiles printed.
//! - Recovery: 5,000,000 messages of ~200 bytes over 8 sessions, then the time
//!   `Journal::open` takes to verify and rebuild state from them (page cache
//!   warm, then cold); printed. The 1.2 GB journal is deleted afterwards.
//!
//! Run one part with a filter: `-- append`, `-- durable-ack`, `-- recovery`.

// Benches measure wall time, so they read the clock directly (clippy.toml
// keeps `Instant::now` to src/clock.rs in the engine itself).
#![allow(clippy::disallowed_methods)]

use criterion::{black_box, Criterion, Throughput};
use fixrail::codec::UtcTimestamp;
use fixrail::journal::record::Kind;
use fixrail::journal::{
    list_segments, Durability, Entry, Journal, JournalConfig, Position, RecoveryReport,
};
use hdrhistogram::Histogram;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const SEGMENT_SIZE: u64 = 64 << 20;

fn t0() -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(1_790_000_000_000_000_000)
}

/// A directory under the target directory (the real disk, not tmpfs),
/// removed on drop.
struct BenchDir(PathBuf);
impl BenchDir {
    fn new(name: &str) -> BenchDir {
        let root = std::env::var_os("FIXRAIL_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
        let p = root.join(format!(
            "fixrail-bench-journal-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        BenchDir(p)
    }
}
impl Drop for BenchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &Path, durability: Durability) -> JournalConfig {
    JournalConfig {
        segment_size_bytes: SEGMENT_SIZE,
        durability,
        sessions_max: 8,
        ..JournalConfig::new(dir)
    }
}

/// A NewOrderSingle of exactly `len` bytes (SOH-delimited, BodyLength and
/// CheckSum correct), padded with a Text(58) field.
fn new_order_single(seq: u64, len: usize) -> Vec<u8> {
    let fields = format!(
        "35=D\x0134={seq:010}\x0149=FIXRAIL\x0152=20261122-10:00:00.123\x0156=VENUE\x01\
         1=ACC-001\x0111=ORD-{seq:09}\x0138=1000000\x0140=2\x0144=1.08345\x01\
         54=1\x0155=EUR/USD\x0159=0\x0160=20261122-10:00:00.123\x01"
    );
    // 8=FIX.4.4|9=NNN| is 16 bytes, 10=NNN| is 7, the Text field 4 + n.
    let pad = len - 16 - 7 - fields.len() - 4;
    let body = format!("{fields}58={}\x01", "x".repeat(pad));
    let mut msg = format!("8=FIX.4.4\x019={:03}\x01{body}", body.len()).into_bytes();
    let sum = msg.iter().map(|&b| b as u32).sum::<u32>() % 256;
    msg.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    assert_eq!(msg.len(), len);
    msg
}

fn entry(session: u32, seq: u64, payload: &[u8]) -> Entry<'_> {
    Entry {
        kind: Kind::Outbound,
        session,
        seq_num: seq,
        msg_type: b"D",
        flags: 0,
        timestamp: t0(),
        payload,
    }
}

/// Deletes the segments behind the one being written (in `async` mode once
/// they are durable, as the flusher syncs them by name).
fn trim(j: &Journal) {
    let current = j.position();
    if j.config().durability == Durability::Async {
        let handle = j.durable_position_handle();
        while Position(handle.load(Ordering::Acquire)) < current {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for (index, path) in list_segments(j.dir()).unwrap() {
        if index < current.segment() {
            std::fs::remove_file(path).unwrap();
        }
    }
}

fn append(c: &mut Criterion) {
    let msg = new_order_single(1092, 200);
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(1));
    for durability in [Durability::PageCache, Durability::Async] {
        let dir = BenchDir::new(durability.as_str());
        let (mut j, _) = Journal::open(config(&dir.0, durability), t0()).unwrap();
        let mut seq = 0;
        group.bench_function(format!("{}/200b", durability.as_str()), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    seq += 1;
                    black_box(j.append(black_box(&entry(0, seq, &msg))).unwrap());
                }
                let elapsed = start.elapsed();
                trim(&j);
                elapsed
            })
        });
        println!(
            "append/{}/200b: {seq} appends, {} roll-overs, {} stalls (roll-over found no \
             prepared segment), {} flush errors",
            durability.as_str(),
            j.position().segment(),
            j.stalls(),
            j.flush_errors()
        );
    }
    // The same appends, but paced like an engine below the preparer's rate:
    // roll-overs are in the timing, the preparer's work is not waited for.
    let dir = BenchDir::new("paced");
    let (mut j, _) = Journal::open(config(&dir.0, Durability::PageCache), t0()).unwrap();
    let mut seq = 0;
    group.bench_function("page-cache/200b-paced", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(20_000);
                left -= n;
                let before = j.position();
                let start = Instant::now();
                for _ in 0..n {
                    seq += 1;
                    black_box(j.append(black_box(&entry(0, seq, &msg))).unwrap());
                }
                timed += start.elapsed();
                // The next segment is requested when this one is half full.
                let half = SEGMENT_SIZE as u32 / 2;
                let after = j.position();
                if before.offset() <= half
                    && (after.offset() > half || after.segment() > before.segment())
                {
                    std::thread::sleep(PREPARE_TIME);
                }
            }
            trim(&j);
            timed
        })
    });
    println!(
        "append/page-cache/200b-paced: {seq} appends, {} roll-overs, {} stalls",
        j.position().segment(),
        j.stalls(),
    );
    drop(j);
    group.finish();
}

/// More than the preparer takes to make a 64 MiB segment here.
const PREPARE_TIME: Duration = Duration::from_millis(60);

/// Durable-ack latency in `async` mode at a fixed rate.
fn durable_ack() {
    const APPENDS: usize = 20_000;
    const PERIOD: Duration = Duration::from_micros(50);
    let msg = new_order_single(1092, 200);
    let dir = BenchDir::new("durable-ack");
    let cfg = config(&dir.0, Durability::Async);
    let interval = cfg.flush_interval_us;
    let (mut j, _) = Journal::open(cfg, t0()).unwrap();
    let durable = j.durable_position_handle();
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    let mut steady = all.clone();
    // (record end, when appended, index)
    let mut pending: VecDeque<(Position, Instant, usize)> = VecDeque::with_capacity(APPENDS);
    let mut retire = |now: Instant, pending: &mut VecDeque<(Position, Instant, usize)>| {
        let d = Position(durable.load(Ordering::Acquire));
        while let Some(&(end, at, i)) = pending.front() {
            if end > d {
                break;
            }
            let ns = now.duration_since(at).as_nanos() as u64;
            all.record(ns).unwrap();
            if i >= 1_000 {
                steady.record(ns).unwrap();
            }
            pending.pop_front();
        }
    };
    let start = Instant::now();
    for i in 0..APPENDS {
        let due = start + PERIOD * i as u32;
        loop {
            let now = Instant::now();
            retire(now, &mut pending);
            if now >= due {
                break;
            }
            std::hint::spin_loop();
        }
        j.append(&entry(0, i as u64 + 1, &msg)).unwrap();
        pending.push_back((j.position(), Instant::now(), i));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !pending.is_empty() && Instant::now() < deadline {
        retire(Instant::now(), &mut pending);
        std::hint::spin_loop();
    }
    assert!(pending.is_empty(), "the flusher did not catch up in 30 s");
    let us = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    for (name, h) in [("all", &all), ("after the first 1,000", &steady)] {
        println!(
            "durable-ack/async ({name}, {} appends, one per {} µs, flush interval {interval} µs): \
             p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs, mean {:.1} µs",
            h.len(),
            PERIOD.as_micros(),
            us(h, 0.50),
            us(h, 0.90),
            us(h, 0.99),
            us(h, 0.999),
            h.max() as f64 / 1000.0,
            h.mean() / 1000.0,
        );
    }
    println!(
        "durable-ack/async: {} flush errors, {} stalls",
        j.flush_errors(),
        j.stalls()
    );
}

/// Evicts a closed journal's segments from the page cache.
fn evict(dir: &Path) {
    use std::os::unix::io::AsRawFd;
    for (_, path) in list_segments(dir).unwrap() {
        let f = std::fs::File::open(&path).unwrap();
        f.sync_all().unwrap();
        // SAFETY: plain FFI call on a descriptor we own for its duration.
        let rc = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(rc, 0, "posix_fadvise");
    }
}

fn timed_open(dir: &Path) -> (Duration, RecoveryReport) {
    let start = Instant::now();
    let (j, report) = Journal::open(config(dir, Durability::PageCache), t0()).unwrap();
    let elapsed = start.elapsed();
    drop(j);
    (elapsed, report)
}

/// Recovery time of a journal of 5,000,000 ~200-byte messages.
fn recovery() {
    const MESSAGES: u64 = 5_000_000;
    const SESSIONS: u32 = 8;
    let dir = BenchDir::new("recovery");
    let msgs: Vec<Vec<u8>> = (0..16)
        .map(|i| new_order_single(i, 192 + i as usize))
        .collect();
    let build = Instant::now();
    {
        let (mut j, _) = Journal::open(config(&dir.0, Durability::PageCache), t0()).unwrap();
        for n in 0..MESSAGES {
            let session = (n % SESSIONS as u64) as u32;
            let seq = n / SESSIONS as u64 + 1;
            j.append(&entry(session, seq, &msgs[(n % 16) as usize]))
                .unwrap();
        }
    }
    let bytes: u64 = list_segments(&dir.0)
        .unwrap()
        .iter()
        .map(|(_, p)| std::fs::metadata(p).unwrap().len())
        .sum();
    println!(
        "recovery: built {MESSAGES} messages over {SESSIONS} sessions in {:.2?} ({:.2} GB of segments)",
        build.elapsed(),
        bytes as f64 / 1e9
    );
    for (name, cold) in [
        ("page cache warm", false),
        ("page cache warm, again", false),
        ("cold (evicted)", true),
    ] {
        if cold {
            evict(&dir.0);
        }
        let (elapsed, report) = timed_open(&dir.0);
        assert_eq!(report.records, MESSAGES);
        assert!(report.corrupt.is_empty() && report.torn_tail.is_none());
        println!(
            "recovery ({name}): Journal::open verified {} records in {} segments in {:.3} s: \
             {:.2} M records/s, {:.2} GB/s",
            report.records,
            report.segments,
            elapsed.as_secs_f64(),
            report.records as f64 / elapsed.as_secs_f64() / 1e6,
            bytes as f64 / elapsed.as_secs_f64() / 1e9
        );
    }
}

fn main() {
    // A positional argument filters, as criterion's own filter does.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let mut c = Criterion::default().configure_from_args();
    if "append".contains(&filter) || filter.starts_with("append") {
        append(&mut c);
    }
    if "durable-ack".contains(&filter) {
        durable_ack();
    }
    if "recovery".contains(&filter) {
        recovery();
    }
    c.final_summary();
}
