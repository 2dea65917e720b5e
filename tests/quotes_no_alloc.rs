//! The quote desk's zero-allocation proof.
//!
//! A counting global allocator counts every allocation the current thread
//! makes. The desk, the order stage, the risk engine, an encoder standing
//! in for the session and a venue writing Quote, QuoteCancel,
//! QuoteRequestReject and ExecutionReport messages with its own encoder and
//! parser are all built first; after a warm-up, 8,000 rounds go through
//! request → firm quote → order on the quote → fill, request → quote →
//! cancel, request → reject, request → quote → expiry on the manual clock,
//! refused orders, unsolicited quotes and disconnects — and the count must
//! not move.

mod common;

use common::alloc::allocations;
use fixrail::codec::tags::*;
use fixrail::codec::{Encoder, EncoderConfig, Fixed, Header, MessageWriter, Parser, UtcTimestamp};
use fixrail::md::quotes::{QuoteConfig, QuoteCounter, QuoteDesk, QUOTE_REQ_ID_MAX};
use fixrail::order::{EventSink, OrderConfig, OrderManager, OrderSender};
use fixrail::risk::{RiskConfig, RiskEngine};
use fixrail::session::SendError;
use fixrail::strategy::{
    Command, Event, Instrument, InstrumentId, InstrumentTable, OrderId, Price, Qty, QuoteId, Side,
};
use std::sync::Arc;

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

const ROUNDS: u64 = 8_000;
const WARM_UP: u64 = 400;
const EURUSD: InstrumentId = InstrumentId(0);

/// The counter sees allocations, so a zero below means something.
#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(allocations() - before >= 1, "{}", v.len());
}

/// Encodes what the desk and the stage send, as the session would (minus
/// the journal), and keeps the last QuoteReqID and QuoteID-less D's fields
/// the venue needs.
struct Wire {
    enc: Encoder,
    parser: Parser,
    seq: u64,
    req_id: [u8; QUOTE_REQ_ID_MAX],
    req_id_len: usize,
    sent_r: u64,
    sent_d: u64,
}

impl OrderSender for Wire {
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        self.seq += 1;
        let t = UtcTimestamp::from_unix_nanos(0);
        let mut w = self
            .enc
            .start(&Header::new(msg_type, self.seq, b"BUY", b"VENUE", t));
        body(&mut w);
        let bytes = w.finish().map_err(SendError::Encode)?;
        let msg = self.parser.parse(bytes).expect("the desk's message parses");
        match msg_type {
            b"R" => {
                let id = msg.get(QUOTE_REQ_ID).expect("131").value();
                self.req_id[..id.len()].copy_from_slice(id);
                self.req_id_len = id.len();
                self.sent_r += 1;
            }
            b"D" => {
                assert!(msg.get(QUOTE_ID).is_some(), "a D on a quote carries 117");
                self.sent_d += 1;
            }
            _ => {}
        }
        Ok(self.seq)
    }

    fn is_up(&self) -> bool {
        true
    }
}

#[derive(Default)]
struct Tally {
    quote: Option<QuoteId>,
    order: Option<OrderId>,
    quotes: u64,
    canceled: u64,
    request_rejected: u64,
    rejected: u64,
    fills: u64,
    other: u64,
}

impl EventSink for Tally {
    fn push(&mut self, e: Event) -> bool {
        match e {
            Event::Quote { quote, .. } => {
                self.quote = Some(quote);
                self.quotes += 1;
            }
            Event::QuoteCanceled { .. } => self.canceled += 1,
            Event::QuoteRequestRejected { .. } => self.request_rejected += 1,
            Event::Rejected { .. } => self.rejected += 1,
            Event::OrderSent { order, .. } => self.order = Some(order),
            Event::Fill { .. } => self.fills += 1,
            _ => self.other += 1,
        }
        true
    }
}

/// Everything, built before the measurement.
struct World {
    desk: QuoteDesk,
    om: OrderManager,
    risk: RiskEngine,
    wire: Wire,
    venue_enc: Encoder,
    venue_parser: Parser,
    venue_seq: u64,
    exec_id: u64,
    ev: Tally,
    now: UtcTimestamp,
}

impl World {
    fn new() -> World {
        let instruments = Arc::new(
            InstrumentTable::new(vec![Instrument {
                id: EURUSD,
                symbol: "EUR/USD".to_string(),
                tick_size: Price(1_000),
                lot_size: Qty(1),
                reference_price: Price(108_000_000),
                max_order_qty: Qty(1_000_000),
                max_notional: i128::MAX,
                position_limit: Qty(i64::MAX / 4),
                collar_bps: 1000,
                market_data: Default::default(),
            }])
            .unwrap(),
        );
        let om = OrderManager::new(
            OrderConfig {
                max_orders: 64,
                ..OrderConfig::default()
            },
            Arc::clone(&instruments),
        )
        .unwrap();
        let desk = QuoteDesk::new(
            QuoteConfig {
                slots_max: 16,
                request_timeout_ms: 60_000,
            },
            om.clordid_format().prefix(),
            Arc::clone(&instruments),
        )
        .unwrap();
        let risk = RiskEngine::new(
            RiskConfig {
                order_rate_per_sec: 1_000_000,
                order_burst: 1_000_000,
                ..RiskConfig::default()
            },
            instruments,
        );
        World {
            desk,
            om,
            risk,
            wire: Wire {
                enc: Encoder::new(EncoderConfig::default()).unwrap(),
                parser: Parser::default(),
                seq: 0,
                req_id: [0; QUOTE_REQ_ID_MAX],
                req_id_len: 0,
                sent_r: 0,
                sent_d: 0,
            },
            venue_enc: Encoder::new(EncoderConfig::default()).unwrap(),
            venue_parser: Parser::default(),
            venue_seq: 0,
            exec_id: 0,
            ev: Tally::default(),
            now: UtcTimestamp::from_parts(2026, 3, 2, 9, 30, 0, 0).unwrap(),
        }
    }

    fn cmd(&mut self, c: Command) {
        self.desk.on_command(
            self.now,
            &c,
            &mut self.risk,
            &mut self.om,
            &mut self.wire,
            &mut self.ev,
        );
    }

    fn request(&mut self, tag: u64) {
        self.cmd(Command::QuoteRequest {
            tag,
            instrument: EURUSD,
            qty: Qty(1_000),
            side: None,
        });
    }

    /// The venue sends a message; S, Z and AG go to the desk, 8 to the
    /// order stage.
    fn venue(&mut self, msg_type: &[u8], body: impl Fn(&mut MessageWriter<'_>)) {
        self.venue_seq += 1;
        let mut w = self.venue_enc.start(&Header::new(
            msg_type,
            self.venue_seq,
            b"VENUE",
            b"BUY",
            self.now,
        ));
        body(&mut w);
        let bytes = w.finish().expect("venue message encodes");
        let msg = self
            .venue_parser
            .parse(bytes)
            .expect("venue message parses");
        if msg_type == b"8" {
            self.om.on_message(self.now, &msg, &mut self.ev);
        } else {
            assert!(self.desk.on_message(self.now, &msg, &mut self.ev));
        }
    }

    /// A quote for the last request; `valid` ms from now when given.
    fn quote(&mut self, quote_id: &[u8], firm: bool, valid: Option<i64>) {
        let req = self.wire.req_id;
        let len = self.wire.req_id_len;
        let until =
            valid.map(|ms| UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + ms * 1_000_000));
        self.venue(b"S", |w| {
            w.str(QUOTE_REQ_ID, &req[..len])
                .str(QUOTE_ID, quote_id)
                .char(537, if firm { b'1' } else { b'0' })
                .str(SYMBOL, b"EUR/USD")
                .fixed(132, Fixed::new(10_799, 4))
                .fixed(133, Fixed::new(10_801, 4))
                .int(134, 1_000)
                .int(135, 1_000);
            if let Some(t) = until {
                w.timestamp(62, t);
            }
        });
    }

    fn round(&mut self, i: u64) {
        self.now = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + 1_000_000);
        self.desk.poll(self.now, &mut self.ev);
        let side = if i % 8 < 4 { Side::Buy } else { Side::Sell };
        match i % 4 {
            0 => {
                // Firm quote, an order on it, the fill.
                self.request(i);
                self.quote(b"QF", true, Some(10_000));
                let quote = self.ev.quote.expect("quote event");
                self.cmd(Command::OrderOnQuote {
                    tag: i,
                    quote,
                    side,
                    qty: Qty(1_000),
                });
                let order = self.ev.order.expect("order sent");
                let cl = self.om.cl_ord_id(order).expect("order known");
                self.exec_id += 1;
                let exec_id = self.exec_id;
                self.venue(b"8", |w| {
                    w.str(ORDER_ID, b"V1")
                        .str(CL_ORD_ID, cl.as_bytes())
                        .uint(EXEC_ID, exec_id)
                        .char(EXEC_TYPE, b'F')
                        .char(ORD_STATUS, b'2')
                        .char(SIDE, side.fix())
                        .str(SYMBOL, b"EUR/USD")
                        .int(ORDER_QTY, 1_000)
                        .int(CUM_QTY, 1_000)
                        .int(LEAVES_QTY, 0)
                        .fixed(AVG_PX, Fixed::new(10_801, 4))
                        .int(LAST_QTY, 1_000)
                        .fixed(LAST_PX, Fixed::new(10_801, 4));
                });
                // Used up: a second order is refused locally.
                self.cmd(Command::OrderOnQuote {
                    tag: i,
                    quote,
                    side,
                    qty: Qty(1),
                });
            }
            1 => {
                // Indicative quote (refused order), then a cancel; an
                // unsolicited quote.
                self.request(i);
                self.quote(b"QI", false, None);
                let quote = self.ev.quote.expect("quote event");
                self.cmd(Command::OrderOnQuote {
                    tag: i,
                    quote,
                    side,
                    qty: Qty(1),
                });
                self.venue(b"Z", |w| {
                    w.str(QUOTE_ID, b"QI").int(298, 1);
                });
                self.venue(b"S", |w| {
                    w.str(QUOTE_REQ_ID, b"ELSEWHERE")
                        .str(QUOTE_ID, b"U")
                        .str(SYMBOL, b"EUR/USD");
                });
            }
            2 => {
                self.request(i);
                let req = self.wire.req_id;
                let len = self.wire.req_id_len;
                self.venue(b"AG", |w| {
                    w.str(QUOTE_REQ_ID, &req[..len])
                        .int(658, 8)
                        .int(NO_RELATED_SYM, 1)
                        .str(SYMBOL, b"EUR/USD");
                });
            }
            _ => {
                // A quote that expires on the manual clock; every 100th
                // round, a disconnect with a request outstanding.
                self.request(i);
                self.quote(b"QE", true, Some(2));
                self.now = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + 3_000_000);
                self.desk.poll(self.now, &mut self.ev);
                if i % 100 == 3 {
                    self.request(i);
                    self.desk.on_disconnect(&mut self.ev);
                }
            }
        }
    }
}

#[test]
fn thousands_of_quote_rounds_allocate_nothing() {
    let mut w = World::new();
    for i in 0..WARM_UP {
        w.round(i);
    }
    let before = allocations();
    for i in WARM_UP..WARM_UP + ROUNDS {
        w.round(i);
    }
    let count = allocations() - before;
    assert_eq!(count, 0, "{count} allocation(s) over {ROUNDS} quote rounds");

    // The rounds did what they say.
    let total = WARM_UP + ROUNDS;
    let per_kind = total / 4;
    assert_eq!(w.wire.sent_d, per_kind, "one order per firm quote");
    assert_eq!(w.ev.fills, per_kind);
    assert_eq!(w.ev.quotes, per_kind * 3);
    assert_eq!(
        w.ev.rejected,
        per_kind * 2,
        "used-up and indicative quotes refused"
    );
    assert_eq!(w.desk.busy(), 0);
    let k = w.desk.counters();
    assert_eq!(k.get(QuoteCounter::QuotesCanceled), per_kind);
    assert_eq!(k.get(QuoteCounter::QuotesExpired), per_kind);
    assert_eq!(k.get(QuoteCounter::RequestRejects), per_kind);
    assert_eq!(k.get(QuoteCounter::Unknown), per_kind);
    assert_eq!(k.get(QuoteCounter::DroppedAtDisconnect), total / 100);
    assert_eq!(k.get(QuoteCounter::EventsDropped), 0);
    assert_eq!(w.ev.request_rejected, per_kind + total / 100);
}
