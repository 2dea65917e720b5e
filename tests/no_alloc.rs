//! The zero-allocation proof for the hot path.
//!
//! A counting global allocator counts every allocation (alloc, alloc_zeroed,
//! realloc) made by the current thread. Each section builds its state first
//! (decoders, encoders, buffers), warms up, then runs thousands of messages
//! inside [`assert_no_alloc`], which fails if the count moved.
//!
//! This file is meant to grow: later issues add their own sections here
//! (validation against a dictionary, the order path, session handling), each
//! as a `#[test]` that wraps its steady-state loop in `assert_no_alloc`.
//! Counting is per thread, so tests may run in parallel; keep printing and
//! other allocating diagnostics outside the measured closure.

mod common;

use common::alloc::{allocations_during, assert_no_alloc};
use fixrail::codec::tags::*;
use fixrail::codec::testing::fix;
use fixrail::codec::{
    Decoded, Decoder, EncodeError, Encoder, EncoderConfig, Fixed, Header, StaticGroup,
    TimePrecision, UtcTimestamp,
};
use std::hint::black_box;

// ---------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

/// The counter sees allocations, reallocations and zeroed allocations, so a
/// zero count below means something.
#[test]
fn the_counter_sees_every_kind_of_allocation() {
    let (_, count) = allocations_during(|| {
        let mut v: Vec<u8> = black_box(Vec::with_capacity(1));
        v.extend_from_slice(black_box(&[1u8; 64])); // realloc
        let zeroed = black_box(vec![0u8; 4096]); // alloc_zeroed
        (v, zeroed)
    });
    assert!(count >= 3, "counted {count}");
    let (_, count) = allocations_during(|| black_box(Box::new(7u64)));
    assert_eq!(count, 1);
    let (_, count) = allocations_during(|| black_box(1u64 + 1));
    assert_eq!(count, 0);
}

// ---------------------------------------------------------------------------
// Codec: receive loop, typed reads, group walk, encoding
// ---------------------------------------------------------------------------

const ROUNDS: usize = 10_000;

static MD_ENTRIES: StaticGroup = StaticGroup {
    count_tag: NO_MD_ENTRIES,
    delimiter: MD_ENTRY_TYPE,
    members: &[
        MD_ENTRY_TYPE,
        MD_ENTRY_PX,
        MD_ENTRY_SIZE,
        453,
        448,
        447,
        452,
    ],
};

static PARTIES: StaticGroup = StaticGroup {
    count_tag: 453,
    delimiter: 448,
    members: &[448, 447, 452],
};

/// What the receive loop reads from the messages; summed so nothing is
/// optimised away and so the test can check the loop really read them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    messages: u64,
    garbled: u64,
    orders: u64,
    price_mantissas: i64,
    transact_nanos: i64,
    md_entries: u64,
    parties: u64,
    encoded_bytes: u64,
}

fn inbound_messages() -> Vec<Vec<u8>> {
    vec![
        fix("8=FIX.4.4|35=D|34=1092|49=CLIENT|52=20261122-10:00:00.123|56=FIXRAIL|1=ACC-001|11=ORD-000000001|21=1|38=1000000|40=2|44=1.08345|54=1|55=EUR/USD|59=0|60=20261122-10:00:00.123456|"),
        fix("8=FIX.4.4|35=0|34=1093|49=CLIENT|52=20261122-10:00:01.000|56=FIXRAIL|112=TEST-1|"),
        fix("8=FIX.4.4|35=W|34=1094|49=CLIENT|52=20261122-10:00:01.500|56=FIXRAIL|55=EUR/USD|262=MD-1|268=3|269=0|270=1.08340|271=5000000|453=2|448=LP1|452=1|448=LP2|452=3|269=1|270=1.08350|271=3000000|269=2|270=1.08345|271=1000000|"),
        fix("8=FIX.4.4|35=B|34=1095|49=CLIENT|52=20261122-10:00:02.000|56=FIXRAIL|148=news|33=1|58=x|95=5|96=a|b=c|"),
        // A garbled message (bad CheckSum) on the same path.
        b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01".to_vec(),
    ]
}

/// One receive-loop step over `buf`: frame, parse, read typed values, walk
/// groups, and answer an order with an execution report.
fn handle(
    decoder: &mut Decoder,
    encoder: &mut Encoder,
    buf: &[u8],
    now: UtcTimestamp,
    tally: &mut Tally,
) -> usize {
    match decoder.decode(buf) {
        Decoded::Message(msg, len) => {
            tally.messages += 1;
            let seq = msg.seq_num().unwrap();
            match msg.msg_type() {
                b"D" => {
                    tally.orders += 1;
                    let cl_ord_id = msg.require(CL_ORD_ID).unwrap().value();
                    let price: Fixed = msg.require(PRICE).unwrap().as_fixed().unwrap();
                    let qty = msg.require(ORDER_QTY).unwrap().as_u64().unwrap();
                    let side = msg.require(SIDE).unwrap().as_char().unwrap();
                    let symbol = msg.require(SYMBOL).unwrap().as_str().unwrap();
                    let (transact, _) = msg.require(TRANSACT_TIME).unwrap().as_timestamp().unwrap();
                    tally.price_mantissas += price.mantissa;
                    tally.transact_nanos = transact.unix_nanos();
                    let mut w = encoder.start(&Header::new(b"8", seq, b"FIXRAIL", b"CLIENT", now));
                    w.str(ORDER_ID, b"O-1")
                        .str(CL_ORD_ID, cl_ord_id)
                        .str(EXEC_ID, b"E-1")
                        .char(EXEC_TYPE, b'F')
                        .char(ORD_STATUS, b'2')
                        .str(SYMBOL, symbol.as_bytes())
                        .char(SIDE, side)
                        .uint(ORDER_QTY, qty)
                        .fixed(LAST_PX, price)
                        .fixed(LAST_QTY, Fixed::new(qty as i64, 0))
                        .int(LEAVES_QTY, 0)
                        .timestamp(TRANSACT_TIME, now);
                    tally.encoded_bytes += w.finish().unwrap().len() as u64;
                }
                b"W" => {
                    let body = msg.body();
                    for entry in body.group(&MD_ENTRIES).unwrap() {
                        tally.md_entries += 1;
                        tally.price_mantissas += entry
                            .require(MD_ENTRY_PX)
                            .unwrap()
                            .as_fixed()
                            .unwrap()
                            .mantissa;
                        tally.parties += entry.group(&PARTIES).unwrap().count() as u64;
                    }
                }
                b"0" => {
                    // Answer the TestRequest-style heartbeat.
                    let id = msg.require(TEST_REQ_ID).unwrap().value();
                    let mut w = encoder.start(&Header::new(b"0", seq, b"FIXRAIL", b"CLIENT", now));
                    w.str(TEST_REQ_ID, id);
                    tally.encoded_bytes += w.finish().unwrap().len() as u64;
                }
                _ => {
                    black_box(msg.require(RAW_DATA).unwrap().value());
                }
            }
            len
        }
        Decoded::Garbled { skip, .. } | Decoded::Unparseable { skip, .. } => {
            tally.garbled += 1;
            skip
        }
        Decoded::NeedMore => 0,
    }
}

/// Framing, parsing, typed reads, group walks and encoding of 10,000
/// messages of several kinds, through a receive buffer, allocate nothing.
#[test]
fn the_codec_hot_path_does_not_allocate() {
    let inbound = inbound_messages();
    let mut decoder = Decoder::default();
    let mut encoder = Encoder::new(EncoderConfig {
        timestamp_precision: TimePrecision::Micros,
        ..EncoderConfig::default()
    })
    .unwrap();
    let mut rx: Vec<u8> = Vec::with_capacity(64 * 1024);
    let start = UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 0).unwrap();
    let mut tally = Tally::default();

    let mut run = |rounds: usize, tally: &mut Tally| {
        for i in 0..rounds {
            // The clock moves 0.3 ms per message, so the encoder's cached
            // second changes every few thousand messages.
            let now = UtcTimestamp::from_unix_nanos(start.unix_nanos() + i as i64 * 300_000);
            // A read of one message, plus the first 10 bytes of the next, as
            // a socket may deliver it.
            let this = &inbound[i % inbound.len()];
            let next = &inbound[(i + 1) % inbound.len()];
            rx.extend_from_slice(this);
            rx.extend_from_slice(&next[..10]);
            loop {
                let n = handle(&mut decoder, &mut encoder, &rx, now, tally);
                if n == 0 {
                    break;
                }
                rx.drain(..n);
            }
            // The partial message is kept, as a receive loop keeps it; the
            // next read would complete it. Drop it here to stay in step.
            assert_eq!(rx.len(), 10);
            rx.clear();
        }
    };

    // Warm up: touch every path once, outside the measurement.
    run(inbound.len() * 2, &mut tally);

    let mut measured = Tally::default();
    assert_no_alloc("codec receive loop", || run(ROUNDS, &mut measured));

    let kinds = inbound.len() as u64;
    assert_eq!(measured.messages, ROUNDS as u64 / kinds * 4);
    assert_eq!(measured.garbled, ROUNDS as u64 / kinds);
    assert_eq!(measured.orders, ROUNDS as u64 / kinds);
    assert_eq!(measured.md_entries, ROUNDS as u64 / kinds * 3);
    assert_eq!(measured.parties, ROUNDS as u64 / kinds * 2);
    assert!(measured.encoded_bytes > 0 && measured.transact_nanos > 0);
    black_box(measured);
}

/// The encoder's error paths (SOH in a value, a full buffer) allocate
/// nothing either, and leave the encoder usable.
#[test]
fn encoder_errors_do_not_allocate() {
    let mut encoder = Encoder::new(EncoderConfig {
        message_size_max: 128,
        ..EncoderConfig::default()
    })
    .unwrap();
    let now = UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 0).unwrap();
    let long = [b'x'; 200];
    assert_no_alloc("encoder errors", || {
        for i in 0..ROUNDS as u64 {
            let mut w = encoder.start(&Header::new(b"0", i, b"A", b"B", now));
            w.str(TEXT, b"a\x01b");
            assert_eq!(
                w.finish().unwrap_err(),
                EncodeError::SohInValue { tag: TEXT }
            );
            let mut w = encoder.start(&Header::new(b"0", i, b"A", b"B", now));
            w.str(TEXT, &long);
            assert!(matches!(w.finish(), Err(EncodeError::BufferFull { .. })));
            let w = encoder.start(&Header::new(b"0", i, b"A", b"B", now));
            assert!(w.finish().is_ok());
        }
    });
}

// ---------------------------------------------------------------------------
// Validation against a data dictionary, and journal appends
// ---------------------------------------------------------------------------

/// Validating valid and invalid messages against the FIX 4.4 dictionary —
/// groups, enums, formats, every kind of rejection — allocates nothing once
/// the validator is built.
#[test]
fn validation_does_not_allocate() {
    use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
    let dict = Dictionary::fix44();
    let mut validator = Validator::new(&dict, ValidationConfig::default());
    let mut decoder = Decoder::new(
        fixrail::codec::Framer::default(),
        fixrail::codec::Parser::new(dict.parse_spec().clone(), 256),
    );
    let hdr = "8=FIX.4.4|34=2|49=TW44|52=20261122-10:00:00.000|56=ISLD|";
    let messages: Vec<Vec<u8>> = [
        "35=D|11=ID|21=1|38=100|40=2|44=1.5|54=1|55=INTC|60=20261122-10:00:00|453=2|448=A|447=D|452=1|448=B|447=D|452=3|",
        "35=W|55=EUR/USD|268=2|269=0|270=1.1|271=5|269=1|270=1.2|271=7|",
        "35=D|11=ID|21=4|38=100|40=2|54=1|55=INTC|60=20261122-10:00:00|",
        "35=D|11=ID|21=1|38=+100|40=2|54=1|55=INTC|60=20261122-10:00:00|",
        "35=0|999=HI|",
        "35=0|55=MSFT|",
        "35=*|",
        "35=D|11=ID|21=1|40=1|40=2|54=1|38=200|55=INTC|60=20261122-10:00:00|",
        "35=V|262=R1|263=1|264=1|267=2|269=0|269=1|146=2|55=EUR/USD|",
    ]
    .iter()
    .map(|body| {
        let text = hdr.replacen("34=2|", &format!("{}34=2|", &body[..5]), 1);
        fix(&format!("{}{}", text, &body[5..]))
    })
    .collect();
    // Per message: None = valid, Some(373) = the rejection reason.
    let mut verdicts = [None::<u32>; 9];
    let mut run = |verdicts: &mut [Option<u32>; 9]| {
        for (m, verdict) in messages.iter().zip(verdicts.iter_mut()) {
            let Decoded::Message(msg, _) = decoder.decode(m) else {
                panic!("frames")
            };
            *verdict = validator
                .validate(&dict, &msg)
                .err()
                .map(|r| r.reason.code());
        }
    };
    let expected = [
        None,
        None,
        Some(5),
        Some(6),
        Some(0),
        Some(2),
        Some(11),
        Some(13),
        Some(16),
    ];
    run(&mut verdicts); // warm-up
    assert_eq!(verdicts, expected);
    verdicts = [None; 9];
    assert_no_alloc("validation", || {
        for _ in 0..2_000 {
            run(black_box(&mut verdicts));
        }
    });
    assert_eq!(
        verdicts, expected,
        "the measured passes gave the same verdicts"
    );
}

/// Appending to the journal in page-cache mode — 200-byte messages, across
/// several segment roll-overs onto segments prepared ahead — allocates
/// nothing on the appending thread.
#[test]
fn journal_appends_do_not_allocate() {
    use fixrail::journal::record::Kind;
    use fixrail::journal::{Entry, Journal, JournalConfig};
    let dir = std::env::temp_dir().join(format!("fixrail-noalloc-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let now = UtcTimestamp::from_unix_nanos(1_790_000_000_000_000_000);
    let config = JournalConfig {
        segment_size_bytes: 256 * 1024,
        sessions_max: 2,
        ..JournalConfig::new(&dir)
    };
    let (mut journal, _) = Journal::open(config, now).unwrap();
    let payload = fix("8=FIX.4.4|35=D|34=1|49=FIXRAIL|52=20261122-10:00:00.123|56=VENUE|1=ACC-001|11=ORD-000000001|38=1000000|40=2|44=1.08345|54=1|55=EUR/USD|59=0|60=20261122-10:00:00.123|");
    let mut seq = 1u64;
    let append = |journal: &mut Journal, seq: &mut u64| {
        journal
            .append(&Entry {
                kind: Kind::Outbound,
                session: 0,
                seq_num: *seq,
                msg_type: b"D",
                flags: 0,
                timestamp: now,
                payload: &payload,
            })
            .unwrap();
        *seq += 1;
    };
    for _ in 0..100 {
        append(&mut journal, &mut seq); // warm-up
    }
    let start_segment = journal.position().segment();
    assert_no_alloc("journal append", || {
        for _ in 0..10_000 {
            append(&mut journal, &mut seq);
            // Past the half of a segment the next one is requested: wait
            // (bounded) until it is prepared, so every roll-over takes a
            // prepared segment. A stall would block and may allocate; that
            // path is counted by `stalls()`, not what this test measures.
            if journal.position().offset() as u64 > 200 * 1024 {
                let mut waited = 0;
                while !journal.prepared_ahead() {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    waited += 1;
                    assert!(waited < 10_000, "the preparer never delivered a segment");
                }
            }
        }
    });
    assert!(
        journal.position().segment() >= start_segment + 5,
        "rolled over several times"
    );
    assert_eq!(
        journal.stalls(),
        0,
        "every roll-over found its segment prepared"
    );
    assert_eq!(journal.session(0).unwrap().next_out, seq);
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Answers every NewOrderSingle with an ExecutionReport on the same session:
/// the shape of an order-to-ack exchange, through `Responder::send`.
struct AckApp;

impl fixrail::session::Application for AckApp {
    fn on_message(
        &mut self,
        _now: UtcTimestamp,
        msg: &fixrail::codec::Message<'_>,
        _dict: &fixrail::dictionary::Dictionary,
        tx: &mut fixrail::session::Responder<'_>,
    ) -> fixrail::session::Verdict {
        let id = msg.get(CL_ORD_ID).map(|f| f.value()).unwrap_or(b"");
        let sent = tx.send(b"8", &[], &mut |w| {
            w.str(ORDER_ID, id)
                .str(CL_ORD_ID, id)
                .str(EXEC_ID, id)
                .char(EXEC_TYPE, b'0')
                .char(ORD_STATUS, b'0')
                .str(SYMBOL, b"EUR/USD")
                .char(SIDE, b'1')
                .uint(LEAVES_QTY, 1_000_000)
                .uint(CUM_QTY, 0)
                .uint(AVG_PX, 0);
        });
        assert!(sent.is_ok(), "ack not sent");
        fixrail::session::Verdict::Accepted
    }
}

#[test]
fn the_session_hot_path_does_not_allocate() {
    use fixrail::dictionary::Dictionary;
    use fixrail::journal::{Journal, JournalConfig};
    use fixrail::session::{JournalStore, Outbox, Role, Session, SessionConfig};
    use std::sync::Arc;
    let dir = std::env::temp_dir().join(format!("fixrail-noalloc-session-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t0 = 1_790_000_000_000_000_000i64;
    let at = |ms: i64| UtcTimestamp::from_unix_nanos(t0 + ms * 1_000_000);
    let (mut journal, _) = Journal::open(
        JournalConfig {
            sessions_max: 2,
            ..JournalConfig::new(&dir)
        },
        at(0),
    )
    .unwrap();
    let dict = Arc::new(Dictionary::fix44());
    let mut cfg = SessionConfig::new(Role::Acceptor, "VENUE", "FIXRAIL");
    cfg.heartbeat_secs = 30;
    let mut session = Session::new(cfg, Arc::clone(&dict)).unwrap();
    let mut decoder = Decoder::default();
    let mut out = Outbox::default();
    let mut app = AckApp;
    let stamp = |ms: i64| {
        let mut b = [0u8; 32];
        let n = at(ms).write(TimePrecision::Millis, &mut b);
        String::from_utf8(b[..n].to_vec()).unwrap()
    };
    // Every inbound message is built before the measured loop.
    let mut inbound = vec![fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=FIXRAIL|52={}|56=VENUE|98=0|108=30|",
        stamp(0)
    ))];
    let n = 12_000usize;
    for i in 0..n {
        let seq = i + 2;
        let ms = 1 + i as i64;
        let t = stamp(ms);
        inbound.push(fix(&match i % 4 {
            0 | 1 => format!(
                "8=FIX.4.4|35=D|34={seq}|49=FIXRAIL|52={t}|56=VENUE|11=ORD{seq:08}|21=1|38=1000000|40=2|44=1.08345|54=1|55=EUR/USD|60={t}|"
            ),
            2 => format!("8=FIX.4.4|35=1|34={seq}|49=FIXRAIL|52={t}|56=VENUE|112=T{seq}|"),
            _ => format!("8=FIX.4.4|35=0|34={seq}|49=FIXRAIL|52={t}|56=VENUE|"),
        }));
    }
    let mut step =
        |session: &mut Session, journal: &mut Journal, out: &mut Outbox, i: usize, bytes: &[u8]| {
            let now = at(i as i64);
            let mut store = JournalStore::new(journal, 0).unwrap();
            match decoder.decode(bytes) {
                Decoded::Message(msg, _) => {
                    session.on_message(now, &msg, &mut store, &mut app, out);
                }
                _ => panic!("test message {i} did not decode"),
            }
            session.on_tick(now, &mut store, out);
            assert!(out.disconnect().is_none(), "disconnected at {i}");
            black_box(out.bytes());
            out.clear();
        };
    {
        let mut store = JournalStore::new(&mut journal, 0).unwrap();
        session.connected(at(0), &mut store, &mut out);
    }
    let warm = 2_000;
    for (i, m) in inbound.iter().take(warm).enumerate() {
        step(&mut session, &mut journal, &mut out, i, m);
    }
    assert!(session.is_logged_on());
    assert_no_alloc(
        "session: D → 8, TestRequest → Heartbeat, Heartbeat",
        || {
            for (i, m) in inbound.iter().enumerate().skip(warm) {
                step(&mut session, &mut journal, &mut out, i, m);
            }
        },
    );
    assert_eq!(session.counters().rejects_sent, 0);
    // Logon answer, an ExecutionReport per D, a Heartbeat per TestRequest.
    assert_eq!(session.counters().sent, 1 + 3 * n as u64 / 4);
    assert_eq!(
        journal.session(0).unwrap().next_in,
        n as u64 + 2,
        "every message processed in order"
    );
    drop(journal);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One round of the order-path proof: a buy and a sell that cross (both
/// fill), and a parked buy that is replaced and then canceled. Tracks only
/// counters, so driving it allocates nothing.
#[derive(Debug, Default, Clone, Copy)]
struct RoundStats {
    rounds: u64,
    new_orders: u64,
    fills: u64,
    replaces: u64,
    cancels: u64,
    rejects: u64,
}

fn order_rounds(
    engine: &mut fixrail::engine::Engine<fixrail::clock::SystemClock>,
    h: &mut fixrail::strategy::StrategyHandle,
    first_tag: u64,
    rounds: u64,
    stats: &mut RoundStats,
) {
    use fixrail::strategy::{Command, Event, InstrumentId, OrdType, Price, Qty, Side, TimeInForce};
    let order = |tag: u64, side: Side, price: i64| Command::NewOrder {
        tag,
        instrument: InstrumentId(0),
        side,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: Price(price),
        qty: Qty(1_000),
    };
    for r in 0..rounds {
        let tag = first_tag + r * 3;
        h.send(order(tag, Side::Buy, 108_500_000)).unwrap();
        h.send(order(tag + 1, Side::Sell, 108_500_000)).unwrap();
        h.send(order(tag + 2, Side::Buy, 108_000_000)).unwrap();
        stats.new_orders += 3;
        let (mut fills, mut parked, mut done) = (0, None, false);
        let mut spins = 0u64;
        while !(done && fills == 2) {
            engine.do_work().unwrap();
            while let Some(e) = h.poll() {
                match e {
                    Event::OrderSent { tag: t, order } if t == tag + 2 => parked = Some(order),
                    Event::Accepted { order } if Some(order) == parked => {
                        h.send(Command::Replace {
                            order,
                            price: Price(108_100_000),
                            qty: Qty(2_000),
                        })
                        .unwrap();
                        stats.replaces += 1;
                    }
                    Event::Replaced { order, .. } => {
                        h.send(Command::Cancel { order }).unwrap();
                        stats.cancels += 1;
                    }
                    Event::Canceled { .. } => done = true,
                    Event::Fill { .. } => {
                        fills += 1;
                        stats.fills += 1;
                    }
                    Event::Rejected { .. } | Event::CancelRejected { .. } => stats.rejects += 1,
                    _ => {}
                }
            }
            spins += 1;
            assert!(spins < 50_000_000, "round {r} never completed");
        }
        stats.rounds += 1;
    }
}

/// The design card's proof: 10,000+ orders — new, replace, cancel, fills —
/// through strategy ring → risk → order stage → session → journal → socket
/// → venue → socket → session → order stage → event ring, after a warm-up,
/// and the engine's thread (here the test thread runs the engine and the
/// venue) does not allocate once.
#[test]
fn the_order_path_does_not_allocate() {
    let dir = common::TempDir::new("noalloc-orders");
    let (mut engine, mut h) = common::trading_engine(&dir);
    let deadline = 50_000_000u64;
    let mut spins = 0;
    loop {
        engine.do_work().unwrap();
        if let Some(fixrail::strategy::Event::SessionUp { .. }) = h.poll() {
            break;
        }
        spins += 1;
        assert!(spins < deadline, "the trading session never logged on");
    }
    let mut warm = RoundStats::default();
    order_rounds(&mut engine, &mut h, 1, 500, &mut warm);
    let mut stats = RoundStats::default();
    assert_no_alloc("order path: new, fill, replace, cancel", || {
        order_rounds(&mut engine, &mut h, 1_000_000, 3_400, &mut stats);
    });
    assert_eq!(stats.rejects, 0, "{stats:?}");
    assert!(stats.new_orders >= 10_000, "{stats:?}");
    assert_eq!(stats.fills, 2 * stats.rounds);
    assert_eq!(stats.replaces, stats.rounds);
    assert_eq!(stats.cancels, stats.rounds);
    eprintln!("order path without allocation: {stats:?}");
}

/// The market-data path: X bytes in → framed and parsed → session →
/// `TradingApplication` → the market-data stage (decode, book, change
/// tracking, TopOfBook/BookLevel batches) → the strategy's event ring, with
/// the strategy draining it. 12,000 incrementals (price-keyed changes,
/// new levels and deletes, trades) after a warm-up of 2,000, zero
/// allocations.
#[test]
fn the_market_data_path_does_not_allocate() {
    use fixrail::harness::tick::TickRig;
    use fixrail::strategy::{Event, MarketDataConfig, MdEntryTypes};
    let dir = common::TempDir::new("noalloc-md");
    // Log on, subscribe (full depth, with trades).
    let mut rig = TickRig::new(
        dir.path(),
        TickRig::eurusd(MarketDataConfig {
            stale_after_ms: 60_000,
            ..MarketDataConfig::default()
        }),
        0,
        MdEntryTypes::BOOK_AND_TRADES,
    );
    let id = rig.md_req_id().to_string();
    // Every inbound message is built before the measured loop: a snapshot
    // of 10 levels a side, then incrementals of 1 to 3 entries.
    let mut inbound = Vec::new();
    inbound.push(rig.snapshot(2, 1, 10));
    let n = 14_000usize;
    for i in 0..n {
        let body = match i % 4 {
            // Change the best bid's size.
            0 => format!(
                "268=1|279=1|269=0|55=EUR/USD|270=1.08500|271={}|",
                1 + i % 997
            ),
            // A new best offer, then its removal with a size change below.
            1 => "268=2|279=0|269=1|55=EUR/USD|270=1.08990|271=5|279=1|269=0|270=1.08490|271=77|"
                .to_string(),
            2 => "268=1|279=2|269=1|55=EUR/USD|270=1.08990|".to_string(),
            // A trade and a change deep in the book.
            _ => format!(
                "268=2|279=0|269=2|55=EUR/USD|270=1.08500|271=3|279=1|269=1|270=1.09050|271={}|",
                10 + i % 13
            ),
        };
        inbound.push(TickRig::venue_message(
            "X",
            i as u64 + 3,
            1 + i as i64 / 4,
            &format!("262={id}|{body}"),
        ));
    }
    let mut tops = 0u64;
    let mut levels = 0u64;
    let mut trades = 0u64;
    let mut step = |rig: &mut TickRig, i: usize, bytes: &[u8]| {
        let now = TickRig::at(1 + i as i64 / 4);
        rig.feed(bytes, now);
        rig.settle(now);
        while let Some(e) = rig.strategy().poll() {
            match e {
                Event::TopOfBook(t) => {
                    tops += 1;
                    black_box(t);
                }
                Event::BookLevel { .. } => levels += 1,
                Event::Trade { .. } => trades += 1,
                _ => {}
            }
        }
    };
    let warm = 2_000;
    for (i, m) in inbound.iter().take(warm).enumerate() {
        step(&mut rig, i, m);
    }
    assert_no_alloc(
        "market data: X → session → stage → book → ring",
        || {
            for (i, m) in inbound.iter().enumerate().skip(warm) {
                step(&mut rig, i, m);
            }
        },
    );
    let c = *rig.app().market_data().counters();
    assert_eq!((c.bad_updates, c.ignored, c.coalesced), (0, 0, 0), "{c:?}");
    assert_eq!(c.messages, n as u64 + 1);
    assert_eq!(trades, n as u64 / 4);
    assert!(
        tops >= 3 * n as u64 / 4 && levels >= n as u64,
        "{tops} {levels}"
    );
    eprintln!("market data without allocation: {c:?}");
}

// ---------------------------------------------------------------------------
// Market data: W/X decoding and the book
// ---------------------------------------------------------------------------

/// Frame, parse, decode (`MdMessage`) and apply every entry to its book;
/// returns entries applied and errors met.
fn md_apply(decoder: &mut Decoder, book: &mut fixrail::md::Book, bytes: &[u8]) -> (u64, u64) {
    use fixrail::md::{MdKind, MdMessage};
    let Decoded::Message(msg, _) = decoder.decode(bytes) else {
        panic!("frames")
    };
    let md = MdMessage::decode(&msg).unwrap();
    if md.kind() == MdKind::Snapshot {
        book.clear();
    }
    let (mut ok, mut errors) = (0, 0);
    for e in md.entries() {
        let r = e.map_err(|_| ()).and_then(|e| {
            match md.kind() {
                MdKind::Snapshot => book.apply_snapshot(&e),
                MdKind::Incremental => book.apply(&e),
            }
            .map_err(|_| ())
        });
        match r {
            Ok(_) => ok += 1,
            Err(()) => {
                errors += 1;
                break;
            }
        }
    }
    black_box(book.take_changes());
    black_box(book.top());
    (ok, errors)
}

/// Thousands of X messages keyed by price, by position and by entry id
/// (New, Change with a move and a rename, Delete, DeleteThru/From), a
/// snapshot now and then, change tracking, the state hash, and the error
/// paths (unknown id, bad value), decoded through the real parser and
/// applied to fixed-capacity books: no allocation after construction.
#[test]
fn market_data_decoding_and_books_do_not_allocate() {
    use fixrail::md::Book;
    let hdr = "8=FIX.4.4|34=9|49=VENUE|52=20261122-10:00:00.000|56=FIXRAIL|";
    let msg = |body: &str| {
        fix(&format!(
            "{}{}|",
            hdr.replacen("34=9|", &format!("35={}|34=9|", &body[..1]), 1),
            &body[2..]
        ))
    };
    let price: Vec<Vec<u8>> = [
        "W|262=P|55=EUR/USD|268=4|269=0|270=1.0830|271=1000000|269=0|270=1.0829|271=500000|269=1|270=1.0832|271=700000|269=1|270=1.0833|271=900000",
        "X|262=P|268=5|279=0|269=0|55=EUR/USD|270=1.0831|271=100000|279=1|269=0|270=1.0830|271=2000000|346=4|279=0|269=1|270=1.0834|271=300000|279=1|269=1|270=1.0832|271=600000|279=0|269=2|270=1.0831|271=5000",
        "X|262=P|268=3|279=2|269=0|55=EUR/USD|270=1.0831|279=2|269=1|270=1.0834|279=0|269=0|270=1.0828|271=400000",
        "X|262=P|268=2|279=3|269=0|55=EUR/USD|270=1.0829|279=4|269=1|270=1.0833",
        "X|262=P|268=1|279=2|269=1|55=EUR/USD|270=9.99",
    ]
    .iter()
    .map(|b| msg(b))
    .collect();
    let position: Vec<Vec<u8>> = [
        "W|262=Q|55=EUR/USD|268=2|269=0|290=1|270=100.5|271=10|269=1|290=1|270=100.6|271=15",
        "X|262=Q|268=2|279=0|269=0|290=1|270=100.55|271=5|279=0|269=1|290=2|270=100.7|271=9",
        "X|262=Q|268=2|279=1|269=0|290=1|271=6|279=2|269=1|290=1",
        "X|262=Q|268=2|279=2|269=0|290=1|279=1|269=1|290=1|271=15|270=100.6",
        "X|262=Q|268=1|279=1|269=0|290=7|271=1",
    ]
    .iter()
    .map(|b| msg(b))
    .collect();
    let ids: Vec<Vec<u8>> = [
        "W|262=I|55=EUR/USD|268=2|269=0|270=50.25|271=100|37=B1|269=1|270=50.3|271=400|37=S1",
        "X|262=I|268=3|279=0|269=0|278=B2|270=50.25|271=50|279=0|269=1|278=S2|270=50.35|271=10|279=0|269=0|278=B3-LONGER-ORDER-ID-0001|270=50.2|271=70",
        "X|262=I|268=3|279=1|269=0|278=B2|270=50.28|271=60|279=1|280=S2|278=S2b|271=20|279=2|278=B3-LONGER-ORDER-ID-0001",
        "X|262=I|268=2|279=2|269=0|278=B2|279=2|278=S2b",
        "X|262=I|268=1|279=1|269=0|278=NOPE|271=1",
        "X|262=I|268=1|279=0|269=0|278=B9|270=1.000000001|271=1",
    ]
    .iter()
    .map(|b| msg(b))
    .collect();
    let mut decoder = Decoder::default();
    let mut books = [
        Book::new(5, 10, 0),
        Book::new(5, 10, 0),
        Book::new(5, 10, 64),
    ];
    let sets = [&price, &position, &ids];
    let mut run = |rounds: usize, books: &mut [Book; 3]| {
        let (mut ok, mut errors, mut hash) = (0u64, 0u64, 0u64);
        for r in 0..rounds {
            for (book, set) in books.iter_mut().zip(sets) {
                // The snapshot every 16 rounds, the incrementals in order.
                let from = if r % 16 == 0 { 0 } else { 1 };
                for m in &set[from..] {
                    let (o, e) = md_apply(&mut decoder, book, m);
                    ok += o;
                    errors += e;
                }
                hash ^= book.state_hash();
            }
        }
        (ok, errors, black_box(hash))
    };
    let warm = run(16, &mut books);
    let (ok, errors, _) =
        assert_no_alloc("market data decode + book apply", || run(2_000, &mut books));
    // Each round: one failing message in the price and position sets, two
    // (unknown id, bad price) in the id set; the same work as the warm-up.
    assert_eq!(errors, 4 * 2_000, "the error messages failed as planned");
    assert_eq!(
        ok,
        warm.0 * 2_000 / 16,
        "the measured rounds did what the warm-up did"
    );
    assert!(ok >= 2_000 * 20, "{ok} entries applied");
}
