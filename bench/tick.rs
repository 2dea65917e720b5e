//! Tick to strategy, in process: the bytes of a MarketDataIncrementalRefresh
//! (X) are in the receive buffer → framed and parsed → the session (journal
//! append, dictionary validation, sequence and header checks) → the trading
//! application's market-data stage (decode, book, TopOfBook with spread and
//! imbalance) → the strategy's ring → the strategy pops the TopOfBook.
//!
//! The socket is not in it (`fixrail bench --ticks` measures the whole
//! process over loopback, scheduling included); this is the engine's own
//! share, timed per message with the TSC clock into an HDR histogram.
//! `cargo bench --bench tick` (add `-- --entries 5 --depth 5` for five-entry
//! X on a depth-5 subscription). The thread pins itself to the first core.

use fixrail::clock::MonotonicClock;
use fixrail::harness::tick::TickRig;
use fixrail::strategy::{Event, MdEntryTypes};
use hdrhistogram::Histogram;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let entries: usize = args
        .iter()
        .position(|a| a == "--entries")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .clamp(1, 10);
    let depth: u16 = args
        .iter()
        .position(|a| a == "--depth")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    // Pinned, like the engine thread: a thread that migrates between
    // cores (beside the journal's helper threads) doubles the median.
    if let Some(core) = core_affinity::get_core_ids().and_then(|c| c.first().copied()) {
        core_affinity::set_for_current(core);
    }
    let n = 200_000usize;
    let warm = 20_000usize;
    let dir = std::env::temp_dir().join(format!("fixrail-bench-tick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rig = TickRig::new(
        &dir,
        TickRig::eurusd(Default::default()),
        depth,
        MdEntryTypes::BOOK,
    );
    let id = rig.md_req_id().to_string();
    let mut inbound = Vec::with_capacity(n + 1);
    inbound.push(rig.snapshot(2, 1, 10));
    for i in 0..n {
        // Every X changes the best bid's size (so each makes a TopOfBook),
        // and with more entries the sizes of the next levels too.
        let mut body = format!("262={id}|268={entries}|");
        for e in 0..entries {
            body.push_str(&format!(
                "279=1|269=0|55=EUR/USD|270=1.08{:03}|271={}|",
                500 - e * 10,
                1 + (i + e) % 997
            ));
        }
        inbound.push(TickRig::venue_message(
            "X",
            i as u64 + 3,
            2 + i as i64 / 1000,
            &body,
        ));
    }
    let clock = MonotonicClock::new();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
    let mut tops = 0u64;
    for (i, bytes) in inbound.iter().enumerate() {
        let now = TickRig::at(2 + i as i64 / 1000);
        let start = clock.now().as_nanos();
        rig.feed(bytes, now);
        let mut top = false;
        while let Some(e) = rig.strategy().poll() {
            if let Event::TopOfBook(t) = e {
                black_box(t);
                top = true;
            }
        }
        let end = clock.now().as_nanos();
        rig.settle(now);
        if top {
            tops += 1;
            if i > warm {
                let _ = hist.record(end.saturating_sub(start).max(1));
            }
        }
    }
    drop(rig);
    let _ = std::fs::remove_dir_all(&dir);
    let q = |p: f64| hist.value_at_quantile(p) as f64;
    println!(
        "tick to strategy in process (X with {entries} entr{}, depth {depth}): bytes in buffer → frame, parse → session (journal, validate, checks) → market data → ring → strategy",
        if entries == 1 { "y" } else { "ies" }
    );
    println!(
        "  p50 {:.0} ns  p90 {:.0} ns  p99 {:.0} ns  p99.9 {:.0} ns  max {} ns  ({} samples, {} TopOfBook)",
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        hist.max(),
        hist.len(),
        tops
    );
}
