//! The zero-allocation proof for the venue's hot path: matching and report
//! encoding.
//!
//! Its own test binary because it installs a counting global allocator. The
//! counter is per thread, so the harness's other threads do not disturb it.
//! Two venue sessions (real `Session`s running `VenueApplication`s on one
//! shared `Venue`, with a store that keeps only counters) are fed 14,000
//! pre-encoded messages — NewOrderSingles that rest and cross between the
//! sessions, replaces, cancels, status and mass status requests — decoded
//! by a `Decoder`, handled, answered, and the reports queued for the other
//! session sent as the engine sends them (`Session::send_queued`). After a
//! warm-up of 2,000 messages, the remaining 12,000 must not allocate once.
//!
//! The second proof covers market data, quotes and the synthetic flow: two
//! sessions hold subscriptions (aggregated by price and by position,
//! order by order, with trades), the flow runs at 100,000 actions per
//! second from the applications' `poll`, and the clients send orders,
//! QuoteRequests and orders on quotes; after a warm-up, 2,000 engine turns
//! (each with a client message and about 100 flow actions) must not
//! allocate, with either keying.

mod common;

use common::alloc::allocations;
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder, Fixed, UtcTimestamp};
use fixrail::dictionary::Dictionary;
use fixrail::journal::JournalError;
use fixrail::session::{Application, Outbox, Role, Session, SessionConfig, SessionStore, State};
use fixrail::venue::{
    FlowSpec, Instrument, MarketDataSpec, MdKeying, SharedVenue, Venue, VenueApplication, VenueSpec,
};
use std::sync::Arc;

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

/// A store that keeps the two counters and nothing else (the journal's own
/// zero-allocation proof is `tests/no_alloc.rs`).
#[derive(Debug, Default)]
struct CountersOnly {
    next_out: u64,
    next_in: u64,
}

impl SessionStore for CountersOnly {
    fn next_out(&self) -> u64 {
        self.next_out
    }
    fn next_in(&self) -> u64 {
        self.next_in
    }
    fn record_out(
        &mut self,
        seq: u64,
        _: &[u8],
        _: UtcTimestamp,
        _: &[u8],
    ) -> Result<(), JournalError> {
        self.next_out = seq + 1;
        Ok(())
    }
    fn record_in(
        &mut self,
        seq: u64,
        _: &[u8],
        _: UtcTimestamp,
        _: &[u8],
        advances: bool,
    ) -> Result<(), JournalError> {
        if advances {
            self.next_in = seq + 1;
        }
        Ok(())
    }
    fn set_next_in(&mut self, seq: u64, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        self.next_in = seq;
        Ok(())
    }
    fn set_next_out(&mut self, seq: u64, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        self.next_out = seq;
        Ok(())
    }
    fn reset(&mut self, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        self.next_out = 1;
        self.next_in = 1;
        Ok(())
    }
    fn outbound_range(
        &mut self,
        _: u64,
        _: u64,
        _: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), JournalError> {
        Ok(())
    }
}

struct Client {
    session: Session,
    store: CountersOnly,
    app: VenueApplication,
}

const MESSAGES: usize = 14_000;
const WARM_UP: usize = 2_000;
const TIME: &str = "20260105-09:00:00";

/// The message stream: (client, encoded message). Each client keeps its
/// passive orders (current ClOrdID, side) so that replaces and cancels
/// mostly name orders that still rest.
fn workload() -> Vec<(usize, Vec<u8>)> {
    let names = ["C1", "C2"];
    let mut seq = [2u64, 2];
    let mut ids = [0usize, 0];
    let mut resting: [Vec<(String, usize)>; 2] = [Vec::new(), Vec::new()];
    let mut out = Vec::with_capacity(MESSAGES);
    // Bids rest between 99.00 and 99.49, offers between 100.50 and 100.99;
    // one order in four crosses (a bid at 100.xx, an offer at 99.xx) and
    // trades with the other client's resting orders.
    let px = |side: usize, aggressive: bool, k: usize| match (side, aggressive) {
        (1, false) | (2, true) => format!("99.{:02}", k * 13 % 50),
        _ => format!("100.{:02}", 50 + k * 13 % 50),
    };
    for i in 0..MESSAGES {
        let c = i % 2;
        ids[c] += 1;
        let cl = format!("o{c}-{}", ids[c]);
        let live = &mut resting[c];
        let (msg_type, body) = match i % 100 {
            99 => ("AF", "584=M|585=7|".to_string()),
            k if k % 25 == 7 && !live.is_empty() => {
                let (id, side) = &live[live.len() / 2];
                ("H", format!("11={id}|55=FXR|54={side}|"))
            }
            k if k % 4 == 1 && live.len() > 3 => {
                let (orig, side) = live.remove(live.len() - 3);
                (
                    "F",
                    format!("41={orig}|11={cl}|55=FXR|54={side}|60={TIME}|38=1|"),
                )
            }
            k if k % 4 == 2 && !live.is_empty() => {
                let j = live.len() - 1;
                let side = live[j].1;
                let orig = std::mem::replace(&mut live[j].0, cl.clone());
                (
                    "G",
                    format!(
                        "41={orig}|11={cl}|55=FXR|54={side}|60={TIME}|38={}|40=2|44={}|",
                        20 + i % 20,
                        px(side, false, i)
                    ),
                )
            }
            _ => {
                let side = 1 + ids[c] % 2;
                let aggressive = ids[c] % 4 == 0;
                if !aggressive {
                    live.push((cl.clone(), side));
                }
                let tif = ["0", "1", "3", "4", "0"][i % 5];
                let tif = if aggressive { tif } else { "1" };
                (
                    "D",
                    format!(
                        "11={cl}|55=FXR|54={side}|60={TIME}|38={}|40=2|44={}|59={tif}|",
                        1 + i % 30,
                        px(side, aggressive, i)
                    ),
                )
            }
        };
        let text = format!(
            "8=FIX.4.4|35={msg_type}|34={}|49={}|52={TIME}|56=VENUE|{body}",
            seq[c], names[c]
        );
        seq[c] += 1;
        out.push((c, fix(&text)));
    }
    out
}

#[test]
fn matching_and_reports_do_not_allocate() {
    let now = UtcTimestamp::parse(TIME.as_bytes()).unwrap().0;
    let dict = Arc::new(Dictionary::fix44());
    let venue = Venue::shared(
        Venue::new(
            VenueSpec {
                instruments: vec![Instrument {
                    symbol: "FXR".into(),
                    tick_size: Fixed::new(1, 2),
                    lot_size: Fixed::new(1, 0),
                    max_order_qty: None,
                    reference_price: None,
                }],
                max_resting_orders_per_instrument: 10_000,
                max_remembered_orders: 4_000,
                max_queued_reports_per_session: 100_000,
                market_data: Default::default(),
                flow: Default::default(),
            },
            now,
        )
        .unwrap(),
    );
    let names = ["C1", "C2"];
    let mut clients = clients(&venue, &dict, &names);
    let mut out = Outbox::with_capacity(8 << 20, 1 << 14);
    let mut decoder = Decoder::default();
    log_on(&mut clients, &names, now, &mut out);
    let stream = workload();
    let mut counted = 0;
    let mut bytes_out = 0usize;
    let mut before = 0;
    for (i, (c, bytes)) in stream.iter().enumerate() {
        if i == WARM_UP {
            before = allocations();
        }
        let cl = &mut clients[*c];
        match decoder.decode(bytes) {
            Decoded::Message(m, _) => {
                cl.session
                    .on_message(now, &m, &mut cl.store, &mut cl.app, &mut out);
            }
            _ => panic!("message {i} does not decode"),
        }
        assert!(out.disconnect().is_none(), "message {i} disconnected");
        bytes_out += out.bytes().len();
        out.clear();
        // The engine's turn: reports queued for the other session.
        for cl in clients.iter_mut() {
            if cl.app.has_queued() {
                cl.session
                    .send_queued(now, &mut cl.store, &mut cl.app, &mut out);
                bytes_out += out.bytes().len();
                out.clear();
            }
        }
        if i >= WARM_UP {
            counted += 1;
        }
    }
    let allocated = allocations() - before;
    let v = venue.borrow();
    let k = v.counters();
    eprintln!("{counted} messages after warm-up, {bytes_out} bytes of answers; {k:?}");
    assert_eq!(
        allocated, 0,
        "{allocated} allocations over {counted} messages"
    );
    // The stream exercised every path it claims to.
    assert!(k.trades > 1_000, "{k:?}");
    assert!(k.reports_queued > 1_000, "{k:?}");
    assert!(k.replaces > 1_000 && k.cancels > 1_000, "{k:?}");
    assert!(k.status_reports > 100, "{k:?}");
    assert!(
        k.orders_rejected == 0 && k.send_failures == 0 && k.reports_dropped == 0,
        "{k:?}"
    );
    assert!(clients[0].session.counters().rejects_sent == 0);
    assert!(clients[1].session.counters().rejects_sent == 0);
}

/// The counter sees allocations, so a zero count above means something.
#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    std::hint::black_box(Box::new(7u64));
    assert_eq!(allocations() - before, 1);
}

/// Logs `clients` on at `now`.
/// A venue session per name, each attached to `venue`, numbered from 1.
fn clients(venue: &SharedVenue, dict: &Arc<Dictionary>, names: &[&str]) -> Vec<Client> {
    names
        .iter()
        .map(|name| Client {
            session: Session::new(
                SessionConfig::new(Role::Acceptor, "VENUE", name),
                Arc::clone(dict),
            )
            .unwrap(),
            store: CountersOnly {
                next_out: 1,
                next_in: 1,
            },
            app: Venue::attach(venue, name),
        })
        .collect()
}

/// Each client logs on (Logon in, the session's events to the venue, as
/// the engine does).
fn log_on(clients: &mut [Client], names: &[&str], now: UtcTimestamp, out: &mut Outbox) {
    let mut decoder = Decoder::default();
    for (c, name) in names.iter().enumerate() {
        let cl = &mut clients[c];
        cl.session.connected(now, &mut cl.store, out);
        let logon = fix(&format!(
            "8=FIX.4.4|35=A|34=1|49={name}|52={TIME}|56=VENUE|98=0|108=30|"
        ));
        let Decoded::Message(m, _) = decoder.decode(&logon) else {
            panic!("logon decodes")
        };
        cl.session
            .on_message(now, &m, &mut cl.store, &mut cl.app, out);
        // What the engine does with the session's events.
        for ev in out.events() {
            cl.app.on_event(now, ev);
        }
        assert_eq!(cl.session.state(), State::Active);
        out.clear();
    }
}

#[test]
fn market_data_quotes_and_flow_do_not_allocate() {
    let start = UtcTimestamp::parse(TIME.as_bytes()).unwrap().0;
    let dict = Arc::new(Dictionary::fix44());
    for keying in [MdKeying::Price, MdKeying::Position] {
        let venue = Venue::shared(
            Venue::new(
                VenueSpec {
                    instruments: vec![Instrument {
                        symbol: "FXR".into(),
                        tick_size: Fixed::new(1, 2),
                        lot_size: Fixed::new(1, 0),
                        max_order_qty: None,
                        reference_price: Some(Fixed::new(100, 0)),
                    }],
                    max_resting_orders_per_instrument: 2_000,
                    max_remembered_orders: 4_000,
                    max_queued_reports_per_session: 100_000,
                    market_data: MarketDataSpec {
                        max_subscriptions_per_session: 4,
                        max_depth: 20,
                        keying,
                        quote_valid_ms: 2,
                        max_live_quotes: 64,
                    },
                    flow: FlowSpec {
                        rate_per_sec: 100_000,
                        seed: 11,
                        max_actions_per_poll: 200,
                        max_resting_per_instrument: 300,
                        price_range_ticks: 8,
                        max_lots: 20,
                        marketable_pct: 15,
                        cancel_pct: 30,
                    },
                },
                start,
            )
            .unwrap(),
        );
        let names = ["C1", "C2"];
        let mut clients = clients(&venue, &dict, &names);
        let mut out = Outbox::with_capacity(8 << 20, 1 << 15);
        log_on(&mut clients, &names, start, &mut out);
        // Subscriptions, then per turn a client message: orders that rest
        // and cross, QuoteRequests and orders on the quotes.
        let run = start.unix_secs();
        let mut seq = [2u64, 2];
        let mut msg = |c: usize, body: String, t: &str| {
            let text = format!(
                "8=FIX.4.4|35={t}|34={}|49={}|52={TIME}|56=VENUE|{body}",
                seq[c], names[c]
            );
            seq[c] += 1;
            (c, fix(&text))
        };
        let mut script = vec![
            msg(
                0,
                "262=a|263=1|264=5|267=3|269=0|269=1|269=2|146=1|55=FXR|".into(),
                "V",
            ),
            msg(
                0,
                "262=b|263=1|264=10|266=N|267=2|269=0|269=1|146=1|55=FXR|".into(),
                "V",
            ),
            msg(
                1,
                "262=c|263=1|264=0|267=3|269=0|269=1|269=2|146=1|55=FXR|".into(),
                "V",
            ),
        ];
        let turns = 3_000;
        let mut quotes = 0;
        for i in 0..turns {
            let c = i % 2;
            let m = match i % 6 {
                0 => {
                    quotes += 1;
                    msg(
                        c,
                        format!("131=q{i}|146=1|55=FXR|54={}|38=5|", 1 + i % 2),
                        "R",
                    )
                }
                1 => msg(
                    1 - c,
                    format!(
                        "11=o{i}|117=Q{run}-{quotes}|55=FXR|54={}|60={TIME}|38=5|40=D|",
                        2 - i % 2
                    ),
                    "D",
                ),
                2 => {
                    // An indicative quote (too large): it takes a number too.
                    quotes += 1;
                    msg(c, format!("131=x{i}|146=1|55=FXR|38=1000000|"), "R")
                }
                _ => msg(
                    c,
                    format!(
                        "11=n{i}|55=FXR|54={}|60={TIME}|38={}|40=2|44=100.{:02}|59=3|",
                        1 + i % 2,
                        1 + i % 7,
                        i * 7 % 10
                    ),
                    "D",
                ),
            };
            script.push(m);
        }
        let mut decoder = Decoder::default();
        let mut now = start;
        let mut before = 0;
        let warm_up = 1_000;
        let mut bytes_out = 0usize;
        for (i, (c, bytes)) in script.iter().enumerate() {
            if i == warm_up {
                before = allocations();
            }
            now = UtcTimestamp::from_unix_nanos(now.unix_nanos() + 1_000_000);
            let cl = &mut clients[*c];
            let Decoded::Message(m, _) = decoder.decode(bytes) else {
                panic!("message {i} does not decode")
            };
            cl.session
                .on_message(now, &m, &mut cl.store, &mut cl.app, &mut out);
            assert!(out.disconnect().is_none(), "message {i} disconnected");
            bytes_out += out.bytes().len();
            out.clear();
            // The engine's turn: every application polls (the flow), then
            // what is queued goes out.
            for cl in clients.iter_mut() {
                cl.session
                    .poll_app(now, &mut cl.store, &mut cl.app, &mut out);
                bytes_out += out.bytes().len();
                out.clear();
            }
            for cl in clients.iter_mut() {
                if cl.app.has_queued() {
                    cl.session
                        .send_queued(now, &mut cl.store, &mut cl.app, &mut out);
                    bytes_out += out.bytes().len();
                    out.clear();
                }
            }
        }
        let allocated = allocations() - before;
        let v = venue.borrow();
        let k = v.counters();
        eprintln!(
            "{keying:?}: {} turns after warm-up, {bytes_out} bytes out; {k:?}",
            script.len() - warm_up
        );
        assert_eq!(allocated, 0, "{keying:?}: {allocated} allocations");
        assert!(k.flow_orders > 100_000 && k.trades > 10_000, "{k:?}");
        assert!(k.md_incrementals > 10_000 && k.md_resyncs == 0, "{k:?}");
        // Every one of the script's 1,000 QuoteRequests is answered (S or AG).
        assert_eq!(k.quotes + k.quote_rejects, 1_000, "{k:?}");
        assert!(
            k.quotes > 500 && k.quote_fills > 10 && k.quote_cancels > 10,
            "{k:?}"
        );
        assert_eq!(k.send_failures + k.reports_dropped, 0, "{k:?}");
        assert_eq!(v.md_subscriptions("C1"), 2);
        assert!(clients
            .iter()
            .all(|c| c.session.counters().rejects_sent == 0));
    }
}
