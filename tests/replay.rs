//! Capture and replay: a journal holding a trading session's market data
//! (requests out; snapshots, incrementals, a gap and a reconnect in) drives
//! `md::Replay` and `fixrail replay` into the books the messages describe,
//! the same books and events every time.

mod common;

use common::TempDir;
use fixrail::codec::testing::fix;
use fixrail::codec::UtcTimestamp;
use fixrail::dictionary::{Dictionary, ValidationConfig};
use fixrail::journal::record::Kind;
use fixrail::journal::{Entry, Journal, JournalConfig, JournalReader, Position};
use fixrail::md::{MdReqIdFormat, Replay, SubState};
use fixrail::strategy::{Event, Instrument, InstrumentId, InstrumentTable, Price, Qty, StaleCause};
use std::process::Command;
use std::sync::Arc;

const SESSION: u32 = 1;
const EURUSD: InstrumentId = InstrumentId(0);

fn instruments() -> Arc<InstrumentTable> {
    instruments_stale_after(0)
}

/// The table with `stale_after_ms` on every instrument (0: never stale).
fn instruments_stale_after(stale_after_ms: u64) -> Arc<InstrumentTable> {
    let ins = |symbol: &str| Instrument {
        id: InstrumentId(0),
        symbol: symbol.into(),
        tick_size: Price(1_000),
        lot_size: Qty(1_000),
        reference_price: Price(108_500_000),
        max_order_qty: Qty(10_000_000),
        max_notional: i128::MAX,
        position_limit: Qty(i64::MAX),
        collar_bps: 0,
        market_data: fixrail::strategy::MarketDataConfig {
            stale_after_ms,
            ..Default::default()
        },
    };
    Arc::new(InstrumentTable::new(vec![ins("EUR/USD"), ins("GBP/USD")]).unwrap())
}

/// 2026-11-28T10:00:00Z plus `ms` milliseconds.
fn at(ms: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(1_795_860_000_000_000_000 + ms * 1_000_000)
}

fn stamp(ms: i64) -> String {
    let t = at(ms).unix_nanos();
    let secs = t / 1_000_000_000;
    let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
    format!(
        "20261128-{h:02}:{m:02}:{s:02}.{:03}",
        (t / 1_000_000) % 1000
    )
}

struct Capture {
    journal: Journal,
    ids: MdReqIdFormat,
    ms: i64,
}

impl Capture {
    fn new(dir: &TempDir) -> Capture {
        let cfg = JournalConfig {
            segment_size_bytes: 1 << 20,
            sessions_max: 4,
            ..JournalConfig::new(dir.path())
        };
        let (journal, _) = Journal::open(cfg, at(0)).unwrap();
        std::fs::write(dir.path().join("sessions.ids"), "0 VENUE\n1 DESK\n").unwrap();
        Capture {
            journal,
            ids: MdReqIdFormat::new(b"FR").unwrap(),
            ms: 0,
        }
    }

    fn add(&mut self, kind: Kind, seq: u64, msg_type: &str, body: &str) {
        self.ms += 10;
        let (from, to) = if kind == Kind::Inbound {
            ("VENUE", "DESK")
        } else {
            ("DESK", "VENUE")
        };
        let msg = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49={from}|56={to}|52={}|{body}",
            stamp(self.ms)
        ));
        self.journal
            .append(&Entry {
                kind,
                session: SESSION,
                seq_num: seq,
                msg_type: msg_type.as_bytes(),
                flags: 0,
                timestamp: at(self.ms),
                payload: &msg,
            })
            .unwrap();
    }

    fn logon_in(&mut self, seq: u64) {
        self.add(Kind::Inbound, seq, "A", "98=0|108=30|");
    }

    /// An outbound V for EUR/USD carried by MsgSeqNum `seq`; its MDReqID.
    fn subscribe(&mut self, seq: u64) -> String {
        let id = self
            .ids
            .write(EURUSD, seq, at(self.ms + 10).unix_secs())
            .as_str()
            .to_string();
        self.add(
            Kind::Outbound,
            seq,
            "V",
            &format!("262={id}|263=1|264=5|265=1|266=Y|267=2|269=0|269=1|146=1|55=EUR/USD|"),
        );
        id
    }

    fn snapshot(&mut self, seq: u64, id: &str, levels: &[(char, &str, u64)]) {
        let mut body = format!("262={id}|55=EUR/USD|268={}|", levels.len());
        for (side, px, qty) in levels {
            body += &format!("269={side}|270={px}|271={qty}|");
        }
        self.add(Kind::Inbound, seq, "W", &body);
    }

    fn incremental(&mut self, seq: u64, id: &str, entries: &[(char, char, &str, u64)]) {
        let mut body = format!("262={id}|268={}|", entries.len());
        for (action, side, px, qty) in entries {
            body += &format!("279={action}|269={side}|55=EUR/USD|270={px}|271={qty}|");
        }
        self.add(Kind::Inbound, seq, "X", &body);
    }
}

/// The capture every test replays:
/// logon, subscribe, snapshot, updates; a gap (X 5 arrives while 4 is
/// expected), old-id updates after it, a new request and snapshot; a
/// reconnect (a second Logon), a new request, a snapshot and an update.
fn capture(dir: &TempDir) -> Journal {
    let mut c = Capture::new(dir);
    c.add(Kind::Outbound, 1, "A", "98=0|108=30|");
    c.logon_in(1);
    let id1 = c.subscribe(2);
    c.snapshot(
        2,
        &id1,
        &[('0', "1.085", 1_000_000), ('1', "1.0851", 2_000_000)],
    );
    c.incremental(
        3,
        &id1,
        &[
            ('1', '0', "1.085", 3_000_000),
            ('0', '0', "1.08495", 500_000),
        ],
    );
    // 4 is lost: a gap. Books are cleared and stale until a new snapshot.
    c.incremental(5, &id1, &[('2', '1', "1.0851", 2_000_000)]);
    c.incremental(6, &id1, &[('0', '1', "1.0852", 9_000_000)]);
    let id2 = c.subscribe(3);
    c.snapshot(
        7,
        &id2,
        &[
            ('0', "1.0849", 4_000_000),
            ('1', "1.0853", 1_000_000),
            ('1', "1.0854", 2_000_000),
        ],
    );
    c.incremental(8, &id2, &[('2', '1', "1.0853", 1_000_000)]);
    // Reconnect: the venue forgot the subscription; ours is re-sent.
    c.add(Kind::Outbound, 4, "A", "98=0|108=30|");
    c.logon_in(9);
    let id3 = c.subscribe(5);
    // An update for the previous id, late: ignored.
    c.incremental(10, &id2, &[('0', '0', "1.0850", 7_000_000)]);
    c.snapshot(
        11,
        &id3,
        &[('0', "1.0848", 2_000_000), ('1', "1.0855", 3_000_000)],
    );
    c.incremental(12, &id3, &[('0', '0', "1.0849", 1_000_000)]);
    c.journal.sync().unwrap();
    c.journal
}

/// Replays the capture: the events, and the replay at the end.
fn replay(dir: &TempDir) -> (Vec<Event>, Replay) {
    replay_with(dir, instruments())
}

/// Replays the capture into books for `table`.
fn replay_with(dir: &TempDir, table: Arc<InstrumentTable>) -> (Vec<Event>, Replay) {
    let reader = JournalReader::open(dir.path()).unwrap();
    let mut r = Replay::new(
        table,
        b"FR",
        Dictionary::fix44(),
        ValidationConfig::default(),
        SESSION,
    )
    .unwrap();
    let mut events = Vec::new();
    for rec in reader.iter_from(Position::default()).records() {
        r.record(&rec, |e| events.push(*e));
    }
    (events, r)
}

fn levels(r: &Replay, side: fixrail::md::BookSide) -> Vec<(i64, i64)> {
    r.market_data()
        .book(EURUSD)
        .unwrap()
        .levels(side)
        .iter()
        .map(|l| (l.price.0, l.qty.0))
        .collect()
}

#[test]
fn replay_rebuilds_the_books_the_messages_describe_through_a_gap_and_a_reconnect() {
    let dir = TempDir::new("replay-books");
    let _journal = capture(&dir);
    let (events, r) = replay(&dir);
    use fixrail::md::BookSide::{Ask, Bid};
    // The last snapshot (1.0848 × 2M / 1.0855 × 3M) and its update
    // (a new bid 1.0849 × 1M); the old-id update after the reconnect is
    // not in it.
    assert_eq!(
        levels(&r, Bid),
        [(108_490_000, 1_000_000), (108_480_000, 2_000_000)]
    );
    assert_eq!(levels(&r, Ask), [(108_550_000, 3_000_000)]);
    assert_eq!(r.market_data().state(EURUSD), Some(SubState::Live));
    let c = r.counters();
    assert_eq!(c.requests, 3, "{c:?}");
    assert_eq!(c.gaps, 1, "{c:?}");
    assert_eq!(c.logons, 2, "{c:?}");
    assert_eq!(c.invalid, 0, "{c:?}");
    assert_eq!(c.unreadable, 0, "{c:?}");
    // The strategy saw the gap and the reconnect, in that order, each
    // followed by the book coming back.
    let lifecycle: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::BookStale { .. } | Event::BookLive { .. }))
        .collect();
    assert_eq!(
        lifecycle,
        [
            &Event::BookLive { instrument: EURUSD },
            &Event::BookStale {
                instrument: EURUSD,
                cause: StaleCause::Gap
            },
            &Event::BookLive { instrument: EURUSD },
            &Event::BookStale {
                instrument: EURUSD,
                cause: StaleCause::Disconnect
            },
            &Event::BookLive { instrument: EURUSD },
        ]
    );
    // Every TopOfBook matches a book the messages describe, in order.
    let tops: Vec<(i64, i64, i64, i64)> = events
        .iter()
        .filter_map(|e| match e {
            Event::TopOfBook(t) => Some((t.bid.0, t.bid_qty.0, t.ask.0, t.ask_qty.0)),
            _ => None,
        })
        .collect();
    assert_eq!(
        tops,
        [
            (108_500_000, 1_000_000, 108_510_000, 2_000_000), // snapshot 1
            (108_500_000, 3_000_000, 108_510_000, 2_000_000), // change 1.085
            (0, 0, 0, 0),                                     // gap: cleared
            (108_490_000, 4_000_000, 108_530_000, 1_000_000), // snapshot 2
            (108_490_000, 4_000_000, 108_540_000, 2_000_000), // delete 1.0853
            (0, 0, 0, 0),                                     // disconnect: cleared
            (108_480_000, 2_000_000, 108_550_000, 3_000_000), // snapshot 3
            (108_490_000, 1_000_000, 108_550_000, 3_000_000), // new bid 1.0849
        ]
    );
}

#[test]
fn the_same_journal_replays_into_the_same_events_and_hashes() {
    let dir = TempDir::new("replay-determinism");
    let _journal = capture(&dir);
    let (e1, r1) = replay(&dir);
    let (e2, r2) = replay(&dir);
    assert!(!e1.is_empty());
    assert_eq!(e1, e2);
    assert_eq!(r1.books_hash(), r2.books_hash());
    assert_eq!(
        r1.market_data().book(EURUSD).unwrap().state_hash(),
        r2.market_data().book(EURUSD).unwrap().state_hash()
    );
    // A different capture gives a different hash (the hash sees the books).
    let other = TempDir::new("replay-determinism-other");
    {
        let mut c = Capture::new(&other);
        c.logon_in(1);
        let id = c.subscribe(2);
        c.snapshot(2, &id, &[('0', "1.085", 1_000_000)]);
        c.journal.sync().unwrap();
    }
    let (_, r3) = replay(&other);
    assert_ne!(r1.books_hash(), r3.books_hash());
}

/// Regression (staleness after a quiet stretch): the only record after a
/// `stale_after_ms` deadline is the update that ends the silence. Live, the
/// engine's turns pass the deadline first (`BookStale { NoUpdates }`) and
/// the update makes the book live again (`BookLive`); the replay handled
/// the record before looking at its time, so the update reset the deadline
/// and neither event was replayed.
#[test]
fn replay_raises_staleness_before_the_update_that_ends_a_quiet_stretch() {
    let dir = TempDir::new("replay-quiet");
    {
        let mut c = Capture::new(&dir);
        c.logon_in(1);
        let id = c.subscribe(2);
        c.snapshot(
            2,
            &id,
            &[('0', "1.085", 1_000_000), ('1', "1.0851", 2_000_000)],
        );
        c.incremental(3, &id, &[('1', '0', "1.085", 2_000_000)]);
        // 300 ms of silence (the book goes stale after 200), then an update.
        c.ms += 290;
        c.incremental(4, &id, &[('1', '0', "1.085", 3_000_000)]);
        c.journal.sync().unwrap();
    }
    let (events, r) = replay_with(&dir, instruments_stale_after(200));
    let seen: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::BookStale { cause, .. } => Some(format!("stale {cause:?}")),
            Event::BookLive { .. } => Some("live".into()),
            Event::TopOfBook(t) => Some(format!("top {}", t.bid_qty.0)),
            _ => None,
        })
        .collect();
    assert_eq!(
        seen,
        [
            "live",
            "top 1000000",
            "top 2000000",
            "stale NoUpdates",
            "live",
            "top 3000000"
        ]
    );
    assert_eq!(r.market_data().state(EURUSD), Some(SubState::Live));
    assert_eq!(r.market_data().counters().stale_no_updates, 1);
}

fn fixrail_replay(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .arg("replay")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn fixrail_replay_prints_the_books_and_the_same_hash_every_run() {
    let dir = TempDir::new("replay-cli");
    let journal = capture(&dir);
    drop(journal);
    let (_, r) = replay(&dir);
    let (ok, out1, err) = fixrail_replay(&["--journal", dir.arg(), "--events"]);
    assert!(ok, "{err}");
    let (ok, out2, err) = fixrail_replay(&["--journal", dir.arg(), "--speed", "max", "--events"]);
    assert!(ok, "{err}");
    assert_eq!(out1, out2);
    // Without --config the instruments come from the requests: EUR/USD is
    // instrument 0 there too, so the book hash is the library's.
    let want = format!(
        "book EUR/USD Live: bid 1000000@1.0849 ask 3000000@1.0855 (2 bid / 1 ask levels) hash {:016x}",
        r.market_data().book(EURUSD).unwrap().state_hash()
    );
    assert!(out1.contains(&want), "{want}\nnot in:\n{out1}");
    assert!(out1.contains("gaps") && out1.contains("1 gaps"), "{out1}");
    assert!(
        out1.contains("BookStale { instrument: InstrumentId(0), cause: Gap }"),
        "{out1}"
    );
    assert!(
        out1.contains("top EUR/USD 1000000@1.0849 / 3000000@1.0855"),
        "{out1}"
    );
    // Paced: the capture spans 0.2 s; at 10× it takes at least 20 ms.
    #[allow(clippy::disallowed_methods)] // a test measures its own wall time
    let started = std::time::Instant::now();
    let (ok, out3, err) = fixrail_replay(&["--journal", dir.arg(), "--speed", "10"]);
    assert!(ok, "{err}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(15));
    assert_eq!(out3.lines().last(), out1.lines().last());
}

#[test]
fn fixrail_replay_names_bad_arguments() {
    let dir = TempDir::new("replay-cli-bad");
    drop(capture(&dir));
    let (ok, _, err) = fixrail_replay(&["--journal", dir.arg(), "--speed", "fast"]);
    assert!(!ok);
    assert!(err.contains("--speed") && err.contains("\"max\""), "{err}");
    let (ok, _, err) = fixrail_replay(&["--journal", dir.arg(), "--speed", "0"]);
    assert!(!ok && err.contains("positive"), "{err}");
    let (ok, _, err) = fixrail_replay(&["--journal", dir.arg(), "--session", "NOPE"]);
    assert!(!ok);
    assert!(err.contains("NOPE") && err.contains("DESK"), "{err}");
    let missing = dir.path().join("nowhere");
    let (ok, _, err) = fixrail_replay(&["--journal", missing.to_str().unwrap()]);
    assert!(!ok && err.contains("nowhere"), "{err}");
}

/// A strategy that keeps the best bid it was told of and buys whenever the
/// spread is at most 0.0001 (ten ticks): what it would have done that day.
struct Spread {
    events: Vec<Event>,
    best_bid: Option<(i64, i64)>,
    buys: u32,
    ticks: u32,
}

impl fixrail::strategy::Strategy for Spread {
    fn on_event(&mut self, e: &Event, h: &mut fixrail::strategy::StrategyHandle) {
        self.events.push(*e);
        if let Event::TopOfBook(t) = e {
            self.best_bid = (t.bid_qty.0 > 0).then_some((t.bid.0, t.bid_qty.0));
            if t.bid_qty.0 > 0 && t.ask_qty.0 > 0 && t.spread.0 <= 10_000 {
                self.buys += 1;
                let _ = h.send(fixrail::strategy::Command::NewOrder {
                    tag: u64::from(self.buys),
                    instrument: t.instrument,
                    side: fixrail::strategy::Side::Buy,
                    ord_type: fixrail::strategy::OrdType::Limit,
                    tif: fixrail::strategy::TimeInForce::Ioc,
                    price: t.ask,
                    qty: Qty(1_000),
                });
            }
        }
    }

    fn on_tick(&mut self, _now_ns: u64, _h: &mut fixrail::strategy::StrategyHandle) -> usize {
        self.ticks += 1;
        0
    }
}

#[test]
fn replay_drives_a_strategy_with_the_events_it_would_have_had_and_drops_its_orders() {
    let dir = TempDir::new("replay-strategy");
    let _journal = capture(&dir);
    let (events, by_callback) = replay(&dir);
    let reader = JournalReader::open(dir.path()).unwrap();
    let mut r = Replay::new(
        instruments(),
        b"FR",
        Dictionary::fix44(),
        ValidationConfig::default(),
        SESSION,
    )
    .unwrap();
    let mut s = Spread {
        events: Vec::new(),
        best_bid: None,
        buys: 0,
        ticks: 0,
    };
    let mut fed = 0;
    for rec in reader.iter_from(Position::default()).records() {
        fed += u32::from(r.record_into(&rec, &mut s));
    }
    // The same events as the callback replay, a tick per record.
    assert_eq!(s.events, events);
    assert_eq!(s.ticks, fed);
    assert_eq!(u64::from(fed), r.counters().records);
    // Its view at the end is the book's.
    assert_eq!(s.best_bid, Some((108_490_000, 1_000_000)));
    // The first snapshot and its update have a 0.0001 spread: it tried to buy (the orders
    // went nowhere, counted), and the books are the callback replay's.
    assert_eq!(s.buys, 2);
    assert_eq!(r.counters().commands, u64::from(s.buys));
    assert_eq!(r.books_hash(), by_callback.books_hash());
}
