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
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder, TimePrecision, UtcTimestamp};
use fixrail::dictionary::Dictionary;
use fixrail::engine::trading::TradingApplication;
use fixrail::journal::{Journal, JournalConfig};
use fixrail::order::{OrderConfig, OrderManager};
use fixrail::risk::{RiskConfig, RiskEngine};
use fixrail::session::{Application, JournalStore, Outbox, Role, Session, SessionConfig};
use fixrail::strategy::{
    channel, Command, Event, Instrument, InstrumentId, InstrumentTable, MdEntryTypes, Price, Qty,
};
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::sync::Arc;

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
    let t0 = 1_790_000_000_000_000_000i64;
    let at = |us: i64| UtcTimestamp::from_unix_nanos(t0 + us * 1_000);
    let (mut journal, _) = Journal::open(
        JournalConfig {
            sessions_max: 2,
            ..JournalConfig::new(&dir)
        },
        at(0),
    )
    .unwrap();
    let instruments = Arc::new(
        InstrumentTable::new(vec![Instrument {
            id: InstrumentId(0),
            symbol: "EUR/USD".into(),
            tick_size: Price(1000),
            lot_size: Qty(1),
            reference_price: Price(108_500_000),
            max_order_qty: Qty(1_000_000),
            max_notional: i128::MAX,
            position_limit: Qty(1_000_000),
            collar_bps: 1000,
            market_data: Default::default(),
        }])
        .unwrap(),
    );
    let orders = OrderManager::new(OrderConfig::default(), Arc::clone(&instruments)).unwrap();
    let risk = RiskEngine::new(RiskConfig::default(), Arc::clone(&instruments));
    let (mut strategy, port) = channel(64, 4096);
    let mut app = TradingApplication::new(orders, risk, port, 0);
    let dict = Arc::new(Dictionary::fix44());
    let mut cfg = SessionConfig::new(Role::Initiator, "DESK", "VENUE");
    cfg.heartbeat_secs = 30;
    let mut session = Session::new(cfg, Arc::clone(&dict)).unwrap();
    let mut decoder = Decoder::default();
    let mut out = Outbox::default();
    let stamp = |us: i64| {
        let mut b = [0u8; 32];
        let n = at(us).write(TimePrecision::Millis, &mut b);
        String::from_utf8(b[..n].to_vec()).unwrap()
    };
    let mut store = JournalStore::new(&mut journal, 0).unwrap();
    session.connected(at(0), &mut store, &mut out);
    out.clear();
    let logon = fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=VENUE|52={}|56=DESK|98=0|108=30|",
        stamp(0)
    ));
    let Decoded::Message(msg, _) = decoder.decode(&logon) else {
        panic!("logon")
    };
    session.on_message(at(0), &msg, &mut store, &mut app, &mut out);
    for ev in out.events() {
        app.on_event(at(0), ev);
    }
    out.clear();
    strategy
        .send(Command::Subscribe {
            instrument: InstrumentId(0),
            depth,
            entries: MdEntryTypes::BOOK,
            updates: true,
            aggregated: true,
        })
        .unwrap();
    session.poll_app(at(0), &mut store, &mut app, &mut out);
    let id = out
        .messages()
        .find_map(|m| {
            let text = fixrail::codec::testing::show(m);
            text.split('|')
                .find_map(|f| f.strip_prefix("262="))
                .map(str::to_string)
        })
        .expect("the V was sent");
    out.clear();
    let mut inbound = Vec::with_capacity(n + 1);
    let mut snap = String::new();
    for l in 0..10 {
        snap.push_str(&format!(
            "269=0|270=1.08{:03}|271={}|269=1|270=1.09{:03}|271={}|",
            500 - l * 10,
            1000 + l,
            l * 10,
            2000 + l
        ));
    }
    inbound.push(fix(&format!(
        "8=FIX.4.4|35=W|34=2|49=VENUE|52={}|56=DESK|262={id}|55=EUR/USD|268=20|{snap}",
        stamp(1)
    )));
    for i in 0..n {
        // Every X changes the best bid's size (so each makes a TopOfBook),
        // and with more entries the sizes of the next levels too.
        let mut body = format!("268={entries}|");
        for e in 0..entries {
            body.push_str(&format!(
                "279=1|269=0|55=EUR/USD|270=1.08{:03}|271={}|",
                500 - e * 10,
                1 + (i + e) % 997
            ));
        }
        inbound.push(fix(&format!(
            "8=FIX.4.4|35=X|34={}|49=VENUE|52={}|56=DESK|262={id}|{body}",
            i + 3,
            stamp(2 + i as i64)
        )));
    }
    let clock = MonotonicClock::new();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
    let mut tops = 0u64;
    for (i, bytes) in inbound.iter().enumerate() {
        let now = at(2 + i as i64);
        let start = clock.now().as_nanos();
        let Decoded::Message(msg, _) = decoder.decode(bytes) else {
            panic!("message {i} did not decode")
        };
        session.on_message(now, &msg, &mut store, &mut app, &mut out);
        let mut top = false;
        while let Some(e) = strategy.poll() {
            if let Event::TopOfBook(t) = e {
                black_box(t);
                top = true;
            }
        }
        let end = clock.now().as_nanos();
        if top {
            tops += 1;
            if i > warm {
                let _ = hist.record(end.saturating_sub(start).max(1));
            }
        }
        assert!(out.disconnect().is_none(), "disconnected at {i}");
        out.clear();
    }
    let _ = store;
    drop(journal);
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
