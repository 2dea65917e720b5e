//! The order stage's zero-allocation proof.
//!
//! A counting global allocator counts every allocation (alloc,
//! alloc_zeroed, realloc) the current thread makes. The stage, an encoder
//! standing in for the session, and a venue writing ExecutionReports and
//! OrderCancelRejects with its own encoder and parser are all built first;
//! after a warm-up, 10,000 orders go through new, acknowledgement, replace,
//! partial fills, cancel (accepted or rejected), fills, rejects, status and
//! mass-status requests, a repeated report and a report for someone else's
//! order — and the count must not move. (The engine-wide proof through
//! rings, session, journal and socket is `tests/no_alloc.rs`.)

mod common;

use common::alloc::allocations;
use fixrail::codec::tags::*;
use fixrail::codec::{Encoder, EncoderConfig, Header, MessageWriter, Parser, UtcTimestamp};
use fixrail::order::{
    ClOrdId, ClOrdIdParts, EventSink, OrderConfig, OrderManager, OrderSender, Outcome,
};
use fixrail::risk::RiskView;
use fixrail::session::SendError;
use fixrail::strategy::{
    Command, Event, Instrument, InstrumentId, InstrumentTable, OrdType, OrderId, Price, Qty, Side,
    TimeInForce,
};
use std::sync::Arc;

// ---------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

/// The counter sees allocations, so a zero below means something.
#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    let s = std::hint::black_box(format!("{}", v.len()));
    assert!(allocations() - before >= 2, "{s}");
}

// ---------------------------------------------------------------------------
// The stage's surroundings, built once
// ---------------------------------------------------------------------------

const ORDERS: u64 = 10_000;
const WARM_UP: u64 = 500;

fn now() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 3, 2, 9, 30, 0, 0).unwrap()
}

/// Encodes what the stage sends, as the session would (minus the journal).
struct Wire {
    enc: Encoder,
    seq: u64,
    sent: [u64; 5],
}

impl OrderSender for Wire {
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        self.seq += 1;
        let mut w = self
            .enc
            .start(&Header::new(msg_type, self.seq, b"BUY", b"VENUE", now()));
        body(&mut w);
        w.finish().map_err(SendError::Encode)?;
        let k = match msg_type {
            b"D" => 0,
            b"F" => 1,
            b"G" => 2,
            b"H" => 3,
            _ => 4,
        };
        self.sent[k] += 1;
        Ok(self.seq)
    }

    fn is_up(&self) -> bool {
        true
    }
}

/// Counts events; remembers the last order sent.
#[derive(Default)]
struct Tally {
    sent: Option<OrderId>,
    accepted: u64,
    partial: u64,
    fills: u64,
    canceled: u64,
    replaced: u64,
    cancel_rejected: u64,
    rejected: u64,
    status: u64,
    other: u64,
}

impl EventSink for Tally {
    fn push(&mut self, e: Event) -> bool {
        match e {
            Event::OrderSent { order, .. } => self.sent = Some(order),
            Event::Accepted { .. } => self.accepted += 1,
            Event::PartialFill { .. } => self.partial += 1,
            Event::Fill { .. } => self.fills += 1,
            Event::Canceled { .. } => self.canceled += 1,
            Event::Replaced { .. } => self.replaced += 1,
            Event::CancelRejected { .. } => self.cancel_rejected += 1,
            Event::Rejected { .. } => self.rejected += 1,
            Event::Status { .. } => self.status += 1,
            _ => self.other += 1,
        }
        true
    }
}

/// The venue: writes reports into its own buffer and hands them, parsed,
/// to the stage.
struct Venue {
    enc: Encoder,
    parser: Parser,
    seq: u64,
    exec_id: u64,
}

impl Venue {
    fn send(
        &mut self,
        om: &mut OrderManager,
        events: &mut Tally,
        msg_type: &[u8],
        body: impl Fn(&mut MessageWriter<'_>),
    ) -> Outcome {
        self.seq += 1;
        let mut w = self
            .enc
            .start(&Header::new(msg_type, self.seq, b"VENUE", b"BUY", now()));
        body(&mut w);
        let bytes = w.finish().expect("report encodes");
        let msg = self.parser.parse(bytes).expect("report parses");
        om.on_message(now(), &msg, events)
    }

    /// An ExecutionReport; ExecID fresh unless `exec_id` is given.
    #[allow(clippy::too_many_arguments)]
    fn er(
        &mut self,
        om: &mut OrderManager,
        events: &mut Tally,
        cl: ClOrdId,
        orig: Option<ClOrdId>,
        exec_type: u8,
        ord_status: u8,
        qty: i64,
        cum: i64,
        last: Option<(i64, Price)>,
        exec_id: Option<u64>,
    ) -> Outcome {
        let id = exec_id.unwrap_or_else(|| {
            self.exec_id += 1;
            self.exec_id
        });
        self.send(om, events, b"8", |w| {
            w.str(ORDER_ID, b"V1").str(CL_ORD_ID, cl.as_bytes());
            if let Some(o) = orig {
                w.str(ORIG_CL_ORD_ID, o.as_bytes());
            }
            w.uint(EXEC_ID, id)
                .char(EXEC_TYPE, exec_type)
                .char(ORD_STATUS, ord_status)
                .char(SIDE, b'1')
                .str(SYMBOL, b"EUR/USD")
                .int(ORDER_QTY, qty)
                .int(CUM_QTY, cum)
                .int(
                    LEAVES_QTY,
                    if matches!(ord_status, b'2' | b'4' | b'8') {
                        0
                    } else {
                        qty - cum
                    },
                )
                .fixed(AVG_PX, Price(110_000_000).to_fixed());
            if let Some((lq, lp)) = last {
                w.int(LAST_QTY, lq).fixed(LAST_PX, lp.to_fixed());
            }
        })
    }
}

fn instruments() -> Arc<InstrumentTable> {
    Arc::new(
        InstrumentTable::new(vec![Instrument {
            id: InstrumentId(0),
            symbol: "EUR/USD".to_string(),
            tick_size: Price(1_000),
            lot_size: Qty(1),
            reference_price: Price(110_000_000),
            max_order_qty: Qty(1_000_000),
            max_notional: i128::MAX,
            position_limit: Qty(1_000_000_000),
            collar_bps: 1000,
            market_data: Default::default(),
        }])
        .unwrap(),
    )
}

/// One order's whole life, chosen by `i`:
/// 0: ack, replace (pending, replaced), partial fill, cancel, canceled;
/// 1: ack, two partial fills (one received twice), fill;
/// 2: rejected;
/// 3: ack, cancel rejected, status request and answer, fill.
/// Plus a report for someone else's order and, now and then, a mass status.
fn one_order(i: u64, om: &mut OrderManager, wire: &mut Wire, venue: &mut Venue, ev: &mut Tally) {
    let px = Price(110_000_000);
    let ids = |om: &OrderManager, id: OrderId, version: u32| {
        om.clordid_format().write(ClOrdIdParts {
            slot: id.slot,
            generation: id.generation,
            version,
        })
    };
    om.on_command(
        now(),
        &Command::NewOrder {
            tag: i,
            instrument: InstrumentId(0),
            side: Side::Buy,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: px,
            qty: Qty(100),
        },
        wire,
        ev,
    );
    let id = ev.sent.take().expect("order sent");
    assert!(om.tag_in_use(i));
    let x = ids(om, id, 0);
    let case = i % 4;
    if case == 2 {
        venue.er(om, ev, x, None, b'8', b'8', 100, 0, None, None);
        return;
    }
    venue.er(om, ev, x, None, b'0', b'0', 100, 0, None, None);
    match case {
        0 => {
            om.on_command(
                now(),
                &Command::Replace {
                    order: id,
                    price: Price(109_990_000),
                    qty: Qty(80),
                },
                wire,
                ev,
            );
            let y = ids(om, id, 1);
            venue.er(om, ev, y, Some(x), b'E', b'E', 100, 0, None, None);
            venue.er(om, ev, y, Some(x), b'5', b'0', 80, 0, None, None);
            venue.er(om, ev, y, None, b'F', b'1', 80, 30, Some((30, px)), None);
            om.on_command(now(), &Command::Cancel { order: id }, wire, ev);
            let z = ids(om, id, 2);
            venue.er(om, ev, z, Some(y), b'4', b'4', 80, 30, None, None);
        }
        1 => {
            venue.er(om, ev, x, None, b'F', b'1', 100, 40, Some((40, px)), None);
            let repeat = venue.exec_id + 1_000_000_000;
            venue.er(
                om,
                ev,
                x,
                None,
                b'F',
                b'1',
                100,
                70,
                Some((30, px)),
                Some(repeat),
            );
            let again = venue.er(
                om,
                ev,
                x,
                None,
                b'F',
                b'1',
                100,
                70,
                Some((30, px)),
                Some(repeat),
            );
            assert_eq!(again, Outcome::Duplicate);
            venue.er(om, ev, x, None, b'F', b'2', 100, 100, Some((30, px)), None);
        }
        _ => {
            om.on_command(now(), &Command::Cancel { order: id }, wire, ev);
            let y = ids(om, id, 1);
            venue.send(om, ev, b"9", |w| {
                w.str(ORDER_ID, b"V1")
                    .str(CL_ORD_ID, y.as_bytes())
                    .str(ORIG_CL_ORD_ID, x.as_bytes())
                    .char(ORD_STATUS, b'0')
                    .char(434, b'1')
                    .uint(CXL_REJ_REASON, 0);
            });
            om.on_command(now(), &Command::Status { order: id }, wire, ev);
            venue.er(om, ev, x, None, b'I', b'0', 100, 0, None, Some(0));
            venue.er(om, ev, x, None, b'F', b'2', 100, 100, Some((100, px)), None);
        }
    }
    // Someone else's order, and a mass status now and then.
    let foreign = om.clordid_format().write(ClOrdIdParts {
        slot: 0,
        generation: u32::MAX,
        version: 0,
    });
    assert_eq!(
        venue.er(om, ev, foreign, None, b'F', b'1', 1, 1, Some((1, px)), None),
        Outcome::Unknown
    );
    if i % 100 == 0 {
        om.on_command(now(), &Command::MassStatus, wire, ev);
    }
    // The risk checks' view, read as the risk engine would.
    std::hint::black_box((
        om.open_orders(),
        om.position(InstrumentId(0)),
        om.open_qty(InstrumentId(0)),
        om.market_price(InstrumentId(0)),
    ));
}

#[test]
fn ten_thousand_orders_through_the_order_stage_allocate_nothing() {
    let mut om = OrderManager::new(
        OrderConfig {
            max_orders: 256,
            account: Some("ACC".into()),
            ..OrderConfig::default()
        },
        instruments(),
    )
    .unwrap();
    let mut wire = Wire {
        enc: Encoder::new(EncoderConfig::default()).unwrap(),
        seq: 0,
        sent: [0; 5],
    };
    let mut venue = Venue {
        enc: Encoder::new(EncoderConfig::default()).unwrap(),
        parser: Parser::default(),
        seq: 0,
        exec_id: 0,
    };
    let mut ev = Tally::default();
    for i in 0..WARM_UP {
        one_order(i, &mut om, &mut wire, &mut venue, &mut ev);
    }
    let before = allocations();
    for i in WARM_UP..WARM_UP + ORDERS {
        one_order(i, &mut om, &mut wire, &mut venue, &mut ev);
    }
    let count = allocations() - before;
    // Only now may the test allocate (assert messages format).
    assert_eq!(
        count, 0,
        "{count} allocation(s) in the order stage's hot path"
    );

    let n = WARM_UP + ORDERS;
    let quarter = n / 4;
    assert_eq!(om.open_orders(), 0);
    assert_eq!(wire.sent[0], n, "one D per order");
    assert_eq!(wire.sent[1], 2 * quarter, "F for cases 0 and 3");
    assert_eq!(wire.sent[2], quarter, "G for case 0");
    assert_eq!(wire.sent[3], quarter, "H for case 3");
    assert_eq!(wire.sent[4], n / 100, "AF");
    assert_eq!(ev.accepted, 3 * quarter);
    assert_eq!(ev.rejected, quarter);
    assert_eq!(ev.replaced, quarter);
    assert_eq!(ev.canceled, quarter);
    assert_eq!(ev.cancel_rejected, quarter);
    assert_eq!(ev.status, quarter);
    assert_eq!(ev.partial, 3 * quarter);
    assert_eq!(ev.fills, 2 * quarter);
    assert_eq!(ev.other, 0);
    // Case 0 leaves 30 filled, 1 and 3 leave 100 each.
    assert_eq!(om.position(InstrumentId(0)), Qty(quarter as i64 * 230));
    let c = om.counters();
    assert_eq!(
        (c.duplicate_reports, c.unknown_fills),
        (quarter, 3 * quarter)
    );
    assert_eq!(c.events_dropped, 0);
}
