//! Capture and replay of a LIVE session: the engine trades against
//! `fixrail`'s venue (seeded flow, three subscriptions of three kinds, the
//! strategy's own orders trading, a re-subscription, a connection cut with
//! messages lost before it, the reconnect and the gap it reveals), then its
//! DESK journal is replayed — by `md::Replay` and by `fixrail replay` — and
//! every book must come out exactly as the live engine left it.
//!
//! The rig is the market-data end-to-end harness (`tests/md_e2e/harness.rs`),
//! so while the capture runs the live books are also held to the venue's at
//! every quiescent point: the capture is of books known to be right.

// Test deadlines and the rig's pausable clock are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

#[allow(dead_code)] // this test uses part of the rig
#[path = "md_e2e/harness.rs"]
mod harness;

use common::TempDir;
use fixrail::journal::record::Kind;
use fixrail::journal::{JournalReader, Position};
use fixrail::md::{Replay, ReplayCounters, SubState};
use fixrail::strategy::{
    Event, InstrumentId, MdEntryTypes, OrderId, Side, StaleCause, TimeInForce,
};
use fixrail::venue::book::Side as VenueSide;
use harness::{Rig, Setup, Sub, CONFIG_FILE, EURUSD, EURUSD_LOT, GBPUSD, SYMBOLS, USDJPY};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

const INSTRUMENTS: [InstrumentId; 3] = [EURUSD, USDJPY, GBPUSD];

/// The live engine's books and subscriptions at a quiescent point, and how
/// many of DESK's messages the journal held then.
#[derive(Debug, Clone)]
struct Checkpoint {
    what: &'static str,
    /// DESK's inbound and outbound records in the journal at this point
    /// (what `ReplayCounters::records` counts).
    records: u64,
    /// `Book::state_hash` per instrument, in table order.
    hashes: [u64; 3],
    /// The overall hash, computed here as `Replay::books_hash` documents it.
    books_hash: u64,
    states: [Option<SubState>; 3],
    req_ids: [Option<String>; 3],
}

/// What the live engine left: its books at every quiescent point (the
/// last one when it stopped), and where its journal and config are.
struct Live {
    /// Keeps the journal and the config on disk.
    _dir: TempDir,
    journal: PathBuf,
    config: PathBuf,
    checkpoints: Vec<Checkpoint>,
    /// Per instrument, what the live strategy was told of its book's
    /// lifecycle: every `BookStale` cause in order, and how many `BookLive`.
    lifecycle: [(Vec<StaleCause>, u64); 3],
}

/// The same from a replay's events.
fn lifecycle_of(events: &[Event]) -> [(Vec<StaleCause>, u64); 3] {
    let mut out: [(Vec<StaleCause>, u64); 3] = Default::default();
    for e in events {
        match *e {
            Event::BookStale { instrument, cause } => out[usize::from(instrument.0)].0.push(cause),
            Event::BookLive { instrument } => out[usize::from(instrument.0)].1 += 1,
            _ => {}
        }
    }
    out
}

impl Live {
    fn last(&self) -> &Checkpoint {
        self.checkpoints.last().unwrap()
    }
}

/// Quiesces the rig (the engine's books checked against the venue's) and
/// takes the engine's books, with DESK's record count from the journal.
fn checkpoint(rig: &mut Rig, what: &'static str) -> Checkpoint {
    rig.quiesce();
    let dir = rig.engine.journal_dir();
    let desk = session_id(&dir, "DESK");
    let reader = JournalReader::open(&dir).unwrap();
    let records = reader
        .iter_from(Position::default())
        .records()
        .filter(|r| r.header.session == desk && matches!(r.kind, Kind::Inbound | Kind::Outbound))
        .count() as u64;
    let md = rig.md();
    let hashes = INSTRUMENTS.map(|i| md.book(i).unwrap().state_hash());
    Checkpoint {
        what,
        records,
        hashes,
        books_hash: fnv_of(&hashes),
        states: INSTRUMENTS.map(|i| md.state(i)),
        req_ids: INSTRUMENTS.map(|i| md.req_id(i).map(|id| id.as_str().to_string())),
    }
}

/// FNV-1a over each book's `state_hash` (little-endian), in table order:
/// the overall hash as `Replay::books_hash` documents it, computed
/// independently of it.
fn fnv_of(hashes: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in hashes {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn order_sent(e: &Event, tag: u64) -> Option<OrderId> {
    match *e {
        Event::OrderSent { tag: t, order } if t == tag => Some(order),
        Event::Rejected { tag: t, .. } if t == tag => panic!("order {tag} refused: {e:?}"),
        _ => None,
    }
}

fn send(rig: &mut Rig, tag: u64, side: Side, tif: TimeInForce, px: i64, qty: i64) -> OrderId {
    rig.limit(tag, side, tif, px, qty);
    let (e, _) = rig.until("order sent", |e| order_sent(e, tag).is_some());
    order_sent(&e, tag).unwrap()
}

fn count(rig: &Rig, up: bool) -> usize {
    rig.others
        .iter()
        .filter(|e| match e {
            Event::SessionUp { .. } => up,
            Event::SessionDown { .. } => !up,
            _ => false,
        })
        .count()
}

fn lives(rig: &Rig) -> [u64; 3] {
    INSTRUMENTS.map(|i| rig.mirrors[usize::from(i.0)].lives)
}

/// Runs the live session and stops the engine (the journal closed).
fn capture(name: &'static str, keying: &'static str, seed: u64) -> Live {
    let mut rig = Rig::new(Setup {
        name,
        keying,
        flow_seed: seed,
        proxy: true,
        ..Setup::default()
    });
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    // Depth 5 aggregated with trades, order by order, top of book only.
    rig.subscribe(
        EURUSD,
        Sub {
            depth: 5,
            aggregated: true,
            entries: MdEntryTypes::BOOK_AND_TRADES,
        },
    );
    rig.subscribe(
        USDJPY,
        Sub {
            depth: 4,
            aggregated: false,
            entries: MdEntryTypes::BOOK,
        },
    );
    rig.subscribe(
        GBPUSD,
        Sub {
            depth: 1,
            aggregated: true,
            entries: MdEntryTypes::BOOK,
        },
    );
    rig.wait("every book live", |r| {
        INSTRUMENTS.iter().all(|i| r.mirrors[usize::from(i.0)].live)
    });
    rig.run_for(200);
    let mut checkpoints = vec![checkpoint(&mut rig, "subscribed, flow")];

    // The strategy's own orders, the flow paused: an offer that rests in
    // the venue's book (two ticks behind the best), and an IOC sell that
    // trades through the best bids.
    let bids = rig.venue_levels(SYMBOLS[0], VenueSide::Buy, 5);
    let asks = rig.venue_levels(SYMBOLS[0], VenueSide::Sell, 5);
    assert!(!bids.is_empty() && !asks.is_empty(), "{bids:?} {asks:?}");
    let offer = send(
        &mut rig,
        1,
        Side::Sell,
        TimeInForce::Day,
        asks[0].0 .0 + 2 * harness::EURUSD_TICK,
        2 * EURUSD_LOT,
    );
    rig.until("offer accepted", |e| *e == Event::Accepted { order: offer });
    let n = bids.len().min(3);
    let qty: i64 = bids[..n - 1].iter().map(|l| l.1 .0).sum::<i64>() + EURUSD_LOT;
    let trades_before = rig.mirrors[usize::from(EURUSD.0)].trades.len();
    let sell = send(
        &mut rig,
        2,
        Side::Sell,
        TimeInForce::Ioc,
        bids[n - 1].0 .0,
        qty,
    );
    rig.until(
        "sell filled",
        |e| matches!(e, Event::Fill { order, .. } if *order == sell),
    );
    checkpoints.push(checkpoint(&mut rig, "orders traded"));
    assert!(
        rig.mirrors[usize::from(EURUSD.0)].trades.len() > trades_before,
        "the IOC traded"
    );

    // A re-subscription (an unsubscribe of the old MDReqID, a new request).
    let before = lives(&rig);
    rig.subscribe(
        USDJPY,
        Sub {
            depth: 3,
            aggregated: false,
            entries: MdEntryTypes::BOOK,
        },
    );
    rig.wait("USD/JPY live again", |r| lives(r)[1] > before[1]);
    checkpoints.push(checkpoint(&mut rig, "re-subscribed"));
    rig.resume();
    rig.run_for(150);

    // Messages lost, then the connection cut: at the next logon the
    // engine finds the gap, and the books heal from new snapshots.
    let (ups, downs) = (count(&rig, true), count(&rig, false));
    let before = lives(&rig);
    rig.proxy.as_ref().unwrap().lose_downstream();
    rig.run_for(100);
    rig.proxy.as_ref().unwrap().cut();
    rig.wait("session down", |r| count(r, false) > downs);
    rig.wait("session up again", |r| count(r, true) > ups);
    rig.wait("every book live again", |r| {
        lives(r).iter().zip(before).all(|(now, was)| *now > was)
    });
    assert!(
        INSTRUMENTS.iter().all(|i| rig.mirrors[usize::from(i.0)]
            .stale
            .contains(&StaleCause::Gap)),
        "the lost messages were found as a gap"
    );
    rig.run_for(150);
    checkpoints.push(checkpoint(&mut rig, "reconnected after a gap"));
    assert!(rig.checks.engine_vs_venue >= 4);
    assert_eq!(rig.md().counters().bad_updates, 0);
    for cp in &checkpoints {
        assert!(
            cp.states.iter().all(|s| *s == Some(SubState::Live)),
            "{cp:?}"
        );
    }
    let md = rig.md();
    assert!(
        INSTRUMENTS
            .iter()
            .all(|&i| !md.book(i).unwrap().bids().is_empty()),
        "every book has bids to compare"
    );
    let lifecycle = INSTRUMENTS.map(|i| {
        let m = &rig.mirrors[usize::from(i.0)];
        (m.stale.clone(), m.lives)
    });
    let journal = rig.engine.journal_dir();
    let config = rig.dir.path().join(CONFIG_FILE);
    let Rig { engine, dir, .. } = rig;
    drop(engine);
    Live {
        _dir: dir,
        journal,
        config,
        checkpoints,
        lifecycle,
    }
}

/// The journal session id of `name` (from `sessions.ids`).
fn session_id(journal: &std::path::Path, name: &str) -> u32 {
    let text = std::fs::read_to_string(journal.join("sessions.ids")).unwrap();
    text.lines()
        .filter_map(|l| l.trim().split_once(' '))
        .find(|(_, n)| *n == name)
        .map(|(id, _)| id.parse().unwrap())
        .unwrap_or_else(|| panic!("{name} not in sessions.ids:\n{text}"))
}

/// The replay's books and subscriptions equal the live engine's at `cp`.
fn assert_matches(r: &Replay, cp: &Checkpoint) {
    let md = r.market_data();
    let what = cp.what;
    for (k, &i) in INSTRUMENTS.iter().enumerate() {
        assert_eq!(md.state(i), cp.states[k], "{what}: {}: state", SYMBOLS[k]);
        assert_eq!(
            md.req_id(i).map(|id| id.as_str().to_string()),
            cp.req_ids[k],
            "{what}: {}: the current MDReqID",
            SYMBOLS[k]
        );
        assert_eq!(
            md.book(i).unwrap().state_hash(),
            cp.hashes[k],
            "{what}: {}: the replayed book vs the live one: {:?} / {:?}",
            SYMBOLS[k],
            md.book(i).unwrap().bids(),
            md.book(i).unwrap().asks()
        );
    }
    assert_eq!(r.books_hash(), cp.books_hash, "{what}");
}

/// `md::Replay` of the DESK session with what the engine ran with: its
/// instrument table, ClOrdID prefix, dictionary and validation. At each
/// checkpoint's record count, the replay's books must be the live ones.
fn replay(live: &Live) -> (Replay, Vec<Event>) {
    let cfg = fixrail::config::load(&live.config).unwrap();
    let spec = fixrail::engine::engine_spec(&cfg).unwrap();
    let desk = spec
        .sessions
        .iter()
        .find(|s| s.session.name == "DESK")
        .unwrap();
    let mut r = Replay::new(
        Arc::clone(&spec.trading.instruments),
        spec.trading.orders.clordid_prefix.as_bytes(),
        (*desk.dictionary).clone(),
        desk.session.validation,
        session_id(&live.journal, "DESK"),
    )
    .unwrap();
    let reader = JournalReader::open_offline(&live.journal).unwrap();
    let mut events = Vec::new();
    let mut next = live.checkpoints.iter().peekable();
    for rec in reader.iter_from(Position::default()).records() {
        if r.record(&rec, |e| events.push(*e)) {
            if let Some(cp) = next.next_if(|cp| cp.records == r.counters().records) {
                assert_matches(&r, cp);
            }
        }
    }
    let missed: Vec<_> = next.map(|cp| (cp.what, cp.records)).collect();
    assert!(
        missed.is_empty(),
        "checkpoints never reached ({} records): {missed:?}",
        r.counters().records
    );
    (r, events)
}

fn fixrail_replay(live: &Live, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .arg("replay")
        .arg("--journal")
        .arg(&live.journal)
        .arg("--config")
        .arg(&live.config)
        .args(["--session", "DESK"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "fixrail replay {extra:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The summary `fixrail replay` ends with: the counters, one line per
/// book, the overall hash.
fn summary(out: &str) -> Vec<&str> {
    let lines: Vec<&str> = out.lines().collect();
    let from = lines
        .iter()
        .rposition(|l| l.starts_with("replay of session "))
        .unwrap_or_else(|| panic!("no summary in:\n{out}"));
    lines[from..].to_vec()
}

/// `book <SYM> <state>: ... hash <16 hex>` lines as (symbol, state, hash).
fn books_of(summary: &[&str]) -> Vec<(String, String, u64)> {
    summary
        .iter()
        .filter_map(|l| l.strip_prefix("book "))
        .map(|l| {
            let (sym, rest) = l.split_once(' ').unwrap();
            let (state, _) = rest.split_once(':').unwrap();
            let hash = rest.rsplit_once("hash ").unwrap().1;
            (
                sym.to_string(),
                state.to_string(),
                u64::from_str_radix(hash, 16).unwrap(),
            )
        })
        .collect()
}

fn overall_of(summary: &[&str]) -> u64 {
    let last = summary.last().unwrap();
    let hex = last
        .strip_prefix("books hash ")
        .unwrap_or_else(|| panic!("last line is not the books hash: {last}"));
    u64::from_str_radix(hex, 16).unwrap()
}

/// The whole proof for one capture: library and binary replays equal the
/// live books, and repeat themselves exactly.
fn check(live: &Live) -> ReplayCounters {
    // The library.
    let (r, events) = replay(live);
    let c = r.counters();
    assert_eq!((c.invalid, c.unreadable), (0, 0), "{c:?}");
    assert!(c.logons >= 2 && c.gaps >= 1, "{c:?}");
    assert!(c.requests >= 6, "{c:?}");
    // After the last checkpoint the engine only stopped: nothing changed.
    assert_matches(&r, live.last());
    assert_eq!(r.market_data().counters().bad_updates, 0);
    // The strategy would have heard the same of each book's lifecycle:
    // stale (disconnect, gap, no updates) and live again, in order.
    assert_eq!(lifecycle_of(&events), live.lifecycle);
    // Twice: the same events, the same books.
    let (r2, events2) = replay(live);
    assert!(!events.is_empty());
    assert!(events == events2, "two replays gave different events");
    assert_eq!(r2.books_hash(), live.last().books_hash);

    // The binary, with the engine's config, as fast as it reads.
    let out1 = fixrail_replay(live, &["--events"]);
    let out2 = fixrail_replay(live, &["--events", "--speed", "max"]);
    assert!(out1 == out2, "two `fixrail replay --events` runs differ");
    let s1 = summary(&out1);
    assert!(
        s1.len() > INSTRUMENTS.len() && out1.lines().count() > s1.len() + 100,
        "events and a summary: {s1:?}"
    );
    let books = books_of(&s1);
    assert_eq!(books.len(), INSTRUMENTS.len(), "{s1:?}");
    for (k, (sym, state, hash)) in books.iter().enumerate() {
        assert_eq!(sym, SYMBOLS[k]);
        let cp = live.last();
        assert_eq!(*state, format!("{:?}", cp.states[k].unwrap()), "{sym}");
        assert_eq!(*hash, cp.hashes[k], "{sym}: `fixrail replay` vs live");
    }
    assert_eq!(overall_of(&s1), live.last().books_hash);
    // Paced (50 times the captured pace): the same summary.
    let paced = fixrail_replay(live, &["--speed", "50"]);
    assert_eq!(summary(&paced), s1);
    c
}

/// Position-keyed aggregated books (290 on every entry), an order-by-order
/// book, a top-of-book one; orders that trade; a re-subscription; lost
/// messages and a cut connection: the replayed books equal the live ones.
#[test]
fn a_live_session_replays_into_the_live_engines_books_position_keyed() {
    let live = capture("replay-live-position", "position", 13);
    check(&live);
}

/// The same, with aggregated books keyed by price.
#[test]
fn a_live_session_replays_into_the_live_engines_books_price_keyed() {
    let live = capture("replay-live-price", "price", 29);
    check(&live);
}
