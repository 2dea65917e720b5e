//! The order stage's test harness: an [`OrderSender`] that validates every
//! message the stage encodes against the FIX 4.4 dictionary, an event sink
//! with an adjustable amount of room, and a venue side that writes
//! ExecutionReports and OrderCancelRejects from readable text (`|` for SOH).

use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Encoder, EncoderConfig, Header, MessageWriter, Parser, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::order::{Direction, EventSink, OrderConfig, OrderManager, OrderSender, Outcome};
use fixrail::session::SendError;
use fixrail::strategy::{
    Command, Event, Instrument, InstrumentId, InstrumentTable, OrdType, OrderId, OrderState, Price,
    Qty, Side, TimeInForce,
};
use std::sync::Arc;

pub const EURUSD: InstrumentId = InstrumentId(0);
pub const AAPL: InstrumentId = InstrumentId(1);

pub fn t0() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 3, 2, 9, 30, 0, 0).unwrap()
}

/// A price from its decimal text.
pub fn px(text: &str) -> Price {
    Price::from_decimal(text.parse().unwrap()).unwrap()
}

pub fn instrument(symbol: &str, tick: &str) -> Instrument {
    Instrument {
        id: InstrumentId(0),
        symbol: symbol.to_string(),
        tick_size: px(tick),
        lot_size: Qty(1),
        reference_price: px("1"),
        max_order_qty: Qty(1_000_000),
        max_notional: i128::MAX,
        position_limit: Qty(1_000_000),
        collar_bps: 1000,
        market_data: Default::default(),
    }
}

pub fn instruments() -> Arc<InstrumentTable> {
    Arc::new(
        InstrumentTable::new(vec![
            instrument("EUR/USD", "0.00001"),
            instrument("AAPL", "0.01"),
        ])
        .unwrap(),
    )
}

/// Encodes what the stage sends, as a session would, and checks each
/// message against the FIX 4.4 dictionary before keeping it.
pub struct Wire {
    enc: Encoder,
    parser: Parser,
    dict: Dictionary,
    validator: Validator,
    seq: u64,
    pub up: bool,
    pub sent: Vec<Vec<u8>>,
}

impl Wire {
    pub fn new() -> Wire {
        let dict = Dictionary::fix44();
        Wire {
            enc: Encoder::new(EncoderConfig::default()).unwrap(),
            parser: Parser::default(),
            validator: Validator::new(&dict, ValidationConfig::default()),
            dict,
            seq: 0,
            up: true,
            sent: Vec::new(),
        }
    }

    /// A field of the `i`th message sent (negative: from the end).
    pub fn field(&mut self, i: isize, tag: u32) -> Option<String> {
        let i = if i < 0 {
            self.sent.len() as isize + i
        } else {
            i
        } as usize;
        let msg = self.parser.parse(&self.sent[i]).unwrap();
        msg.get(tag)
            .map(|f| String::from_utf8_lossy(f.value()).into_owned())
    }

    /// MsgType of the `i`th message sent (negative: from the end).
    pub fn msg_type(&mut self, i: isize) -> String {
        self.field(i, 35).unwrap()
    }
}

impl OrderSender for Wire {
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        if !self.up {
            return Err(SendError::NotLoggedOn);
        }
        self.seq += 1;
        let mut w = self
            .enc
            .start(&Header::new(msg_type, self.seq, b"BUY", b"VENUE", t0()));
        body(&mut w);
        let bytes = w.finish().map_err(SendError::Encode)?.to_vec();
        let msg = self
            .parser
            .parse(&bytes)
            .expect("the stage's message parses");
        if let Err(r) = self.validator.validate(&self.dict, &msg) {
            panic!(
                "the stage encoded a message the FIX 4.4 dictionary rejects ({r}): {}",
                show(&bytes)
            );
        }
        self.sent.push(bytes);
        Ok(self.seq)
    }

    fn is_up(&self) -> bool {
        self.up
    }
}

/// Takes at most `room` events until drained.
pub struct Sink {
    pub events: Vec<Event>,
    pub room: usize,
}

impl EventSink for Sink {
    fn push(&mut self, e: Event) -> bool {
        if self.events.len() >= self.room {
            return false;
        }
        self.events.push(e);
        true
    }
}

/// The stage, its wire and sink, and the venue's side of the conversation.
pub struct H {
    pub om: OrderManager,
    pub wire: Wire,
    pub sink: Sink,
    parser: Parser,
    exec_ids: u64,
    in_seq: u64,
    /// Everything sent and received, in order (for journal tests).
    pub log: Vec<(Direction, Vec<u8>)>,
    logged_out: usize,
}

impl Default for H {
    fn default() -> Self {
        H::new()
    }
}

impl H {
    pub fn new() -> H {
        H::with(OrderConfig {
            max_orders: 64,
            ..OrderConfig::default()
        })
    }

    pub fn with(config: OrderConfig) -> H {
        H {
            om: OrderManager::new(config, instruments()).unwrap(),
            wire: Wire::new(),
            sink: Sink {
                events: Vec::new(),
                room: usize::MAX,
            },
            parser: Parser::default(),
            exec_ids: 0,
            in_seq: 0,
            log: Vec::new(),
            logged_out: 0,
        }
    }

    fn log_sent(&mut self) {
        for m in &self.wire.sent[self.logged_out..] {
            self.log.push((Direction::Out, m.clone()));
        }
        self.logged_out = self.wire.sent.len();
    }

    pub fn cmd(&mut self, c: Command) {
        self.om.on_command(t0(), &c, &mut self.wire, &mut self.sink);
        self.log_sent();
    }

    /// Places an order and returns its id (asserting it was sent).
    pub fn place(
        &mut self,
        tag: u64,
        instrument: InstrumentId,
        side: Side,
        tif: TimeInForce,
        qty: i64,
        price: &str,
    ) -> OrderId {
        let sent = self.wire.sent.len();
        self.cmd(Command::NewOrder {
            tag,
            instrument,
            side,
            ord_type: OrdType::Limit,
            tif,
            price: px(price),
            qty: Qty(qty),
        });
        assert_eq!(self.wire.sent.len(), sent + 1, "a D was sent");
        match self.events().as_slice() {
            [Event::OrderSent { tag: t, order }] if *t == tag => *order,
            other => panic!("expected OrderSent for tag {tag}, got {other:?}"),
        }
    }

    /// A day limit buy of EUR/USD.
    pub fn buy(&mut self, tag: u64, qty: i64, price: &str) -> OrderId {
        self.place(tag, EURUSD, Side::Buy, TimeInForce::Day, qty, price)
    }

    pub fn cancel(&mut self, order: OrderId) {
        self.cmd(Command::Cancel { order });
    }

    pub fn replace(&mut self, order: OrderId, price: &str, qty: i64) {
        self.cmd(Command::Replace {
            order,
            price: px(price),
            qty: Qty(qty),
        });
    }

    /// The ClOrdID of `order`'s `version` (0: the order, n: its n-th
    /// cancel or replace request).
    pub fn cl(&self, order: OrderId, version: u32) -> String {
        self.om
            .clordid_format()
            .write(fixrail::order::ClOrdIdParts {
                slot: order.slot,
                generation: order.generation,
                version,
            })
            .as_str()
            .to_string()
    }

    fn inbound(&mut self, msg_type: &str, body: &str) -> Outcome {
        self.in_seq += 1;
        let bytes = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={}|49=VENUE|52=20260302-09:30:00.000|56=BUY|{body}|",
            self.in_seq
        ));
        let msg = self.parser.parse(&bytes).unwrap();
        let outcome = self.om.on_message(t0(), &msg, &mut self.sink);
        self.log.push((Direction::In, bytes));
        outcome
    }

    /// An ExecutionReport with `body` (`|`-separated); OrderID, a fresh
    /// ExecID, Side and Symbol are added when `body` has none.
    pub fn er(&mut self, body: &str) -> Outcome {
        let mut full = String::new();
        if !body.contains("37=") {
            full.push_str("37=V1|");
        }
        if !body.contains("17=") {
            self.exec_ids += 1;
            full.push_str(&format!("17=E{}|", self.exec_ids));
        }
        full.push_str(body);
        if !body.contains("|54=") {
            full.push_str("|54=1");
        }
        if !body.contains("|55=") {
            full.push_str("|55=EUR/USD");
        }
        self.inbound("8", &full)
    }

    /// An OrderCancelReject with `body`.
    pub fn ocr(&mut self, body: &str) -> Outcome {
        let full = if body.contains("37=") {
            body.to_string()
        } else {
            format!("37=V1|{body}")
        };
        self.inbound("9", &full)
    }

    /// The events so far, taken.
    pub fn events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.sink.events)
    }

    pub fn state(&self, order: OrderId) -> OrderState {
        self.om.order(order).expect("order known").state
    }
}
