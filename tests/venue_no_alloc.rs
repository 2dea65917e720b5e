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

mod common;

use common::alloc::allocations;
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder, Fixed, UtcTimestamp};
use fixrail::dictionary::Dictionary;
use fixrail::journal::JournalError;
use fixrail::session::{Application, Outbox, Role, Session, SessionConfig, SessionStore, State};
use fixrail::venue::{Instrument, Venue, VenueApplication, VenueSpec};
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
    let mut clients: Vec<Client> = ["C1", "C2"]
        .iter()
        .map(|name| Client {
            session: Session::new(
                SessionConfig::new(Role::Acceptor, "VENUE", name),
                Arc::clone(&dict),
            )
            .unwrap(),
            store: CountersOnly {
                next_out: 1,
                next_in: 1,
            },
            app: Venue::attach(&venue, name),
        })
        .collect();
    let mut out = Outbox::with_capacity(8 << 20, 1 << 14);
    let mut decoder = Decoder::default();
    for (c, name) in ["C1", "C2"].iter().enumerate() {
        let cl = &mut clients[c];
        cl.session.connected(now, &mut cl.store, &mut out);
        let logon = fix(&format!(
            "8=FIX.4.4|35=A|34=1|49={name}|52={TIME}|56=VENUE|98=0|108=30|"
        ));
        let Decoded::Message(m, _) = decoder.decode(&logon) else {
            panic!("logon decodes")
        };
        cl.session
            .on_message(now, &m, &mut cl.store, &mut cl.app, &mut out);
        assert_eq!(cl.session.state(), State::Active);
        out.clear();
    }
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
