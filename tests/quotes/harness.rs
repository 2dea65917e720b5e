//! The quote desk's test harness: the desk with an order stage and a risk
//! engine, the order harness's validating wire (every message the desk or
//! the stage encodes is checked against the FIX 4.4 dictionary) and event
//! sink, a venue side that writes Quote, QuoteCancel, QuoteRequestReject
//! and ExecutionReport messages from readable text (`|` for SOH, each one
//! validated too), and a manual clock.

use super::order_harness::{instruments, Sink, Wire};
use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Parser, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::md::quotes::{QuoteConfig, QuoteDesk};
use fixrail::order::{OrderConfig, OrderManager};
use fixrail::risk::{RiskConfig, RiskEngine};
use fixrail::strategy::{Command, Event, InstrumentId, Qty, QuoteId, Side};

pub use super::order_harness::{px, AAPL, EURUSD};

/// 2026-03-02 09:30:00 UTC.
pub fn t0() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 3, 2, 9, 30, 0, 0).unwrap()
}

pub struct Q {
    pub desk: QuoteDesk,
    pub om: OrderManager,
    pub risk: RiskEngine,
    pub wire: Wire,
    pub sink: Sink,
    pub now: UtcTimestamp,
    parser: Parser,
    dict: Dictionary,
    validator: Validator,
    in_seq: u64,
    exec_ids: u64,
}

impl Q {
    pub fn new() -> Q {
        Q::with(QuoteConfig::default())
    }

    pub fn with(config: QuoteConfig) -> Q {
        let om = OrderManager::new(
            OrderConfig {
                max_orders: 64,
                ..OrderConfig::default()
            },
            instruments(),
        )
        .unwrap();
        let desk = QuoteDesk::new(config, om.clordid_format().prefix(), instruments()).unwrap();
        let risk = RiskEngine::new(
            RiskConfig {
                order_rate_per_sec: 1_000_000,
                order_burst: 1_000_000,
                ..RiskConfig::default()
            },
            instruments(),
        );
        let dict = Dictionary::fix44();
        Q {
            desk,
            om,
            risk,
            wire: Wire::new(),
            sink: Sink {
                events: Vec::new(),
                room: usize::MAX,
            },
            now: t0(),
            parser: Parser::default(),
            validator: Validator::new(&dict, ValidationConfig::default()),
            dict,
            in_seq: 0,
            exec_ids: 0,
        }
    }

    /// Moves the manual clock by `ms` milliseconds.
    pub fn advance_ms(&mut self, ms: i64) {
        self.now = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + ms * 1_000_000);
    }

    /// The clock plus `ms`, as FIX text (for ValidUntilTime).
    pub fn at_ms(&self, ms: i64) -> String {
        let t = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + ms * 1_000_000);
        let mut b = [0u8; 32];
        let n = t.write(fixrail::codec::TimePrecision::Millis, &mut b);
        String::from_utf8_lossy(&b[..n]).into_owned()
    }

    pub fn cmd(&mut self, c: Command) {
        let handled = self.desk.on_command(
            self.now,
            &c,
            &mut self.risk,
            &mut self.om,
            &mut self.wire,
            &mut self.sink,
        );
        assert!(handled, "the desk takes {c:?}");
    }

    /// Asks for a quote and returns the QuoteReqID sent (asserting an R
    /// went out and no event came back).
    pub fn request(
        &mut self,
        tag: u64,
        instrument: InstrumentId,
        qty: i64,
        side: Option<Side>,
    ) -> String {
        let sent = self.wire.sent.len();
        self.cmd(Command::QuoteRequest {
            tag,
            instrument,
            qty: Qty(qty),
            side,
        });
        assert_eq!(self.wire.sent.len(), sent + 1, "an R was sent");
        assert_eq!(self.wire.msg_type(-1), "R");
        assert_eq!(self.events(), [], "no event for a request sent");
        self.wire.field(-1, 131).unwrap()
    }

    /// The venue sends `msg_type` with `body`; it must be valid FIX 4.4.
    /// Returns whether the desk took it.
    pub fn inbound(&mut self, msg_type: &str, body: &str) -> bool {
        self.in_seq += 1;
        let bytes = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={}|49=VENUE|52=20260302-09:30:00.000|56=BUY|{body}|",
            self.in_seq
        ));
        let msg = self.parser.parse(&bytes).unwrap();
        if let Err(r) = self.validator.validate(&self.dict, &msg) {
            panic!("test message is not valid FIX 4.4 ({r}): {}", show(&bytes));
        }
        if matches!(msg_type, "8" | "9") {
            self.om.on_message(self.now, &msg, &mut self.sink);
            return true;
        }
        self.desk.on_message(self.now, &msg, &mut self.sink)
    }

    /// A firm two-way quote for request `req` (EUR/USD): bid 1.08 x
    /// 1,000,000, offer 1.0801 x 2,000,000, valid for a minute. Returns the
    /// Quote event's id.
    pub fn firm_quote(&mut self, req: &str, quote_id: &str) -> QuoteId {
        let until = self.at_ms(60_000);
        self.inbound(
            "S",
            &format!(
                "131={req}|117={quote_id}|537=1|55=EUR/USD|132=1.08|133=1.0801|134=1000000|135=2000000|62={until}"
            ),
        );
        self.quote_event()
    }

    /// The single Quote event just emitted.
    pub fn quote_event(&mut self) -> QuoteId {
        match self.events().as_slice() {
            [Event::Quote { quote, .. }] => *quote,
            other => panic!("expected one Quote event, got {other:?}"),
        }
    }

    /// An ExecutionReport from the venue (OrderID, ExecID added).
    pub fn er(&mut self, body: &str) {
        self.exec_ids += 1;
        let full = format!("37=V1|17=E{}|{body}", self.exec_ids);
        self.inbound("8", &full);
    }

    pub fn poll(&mut self) -> usize {
        self.desk.poll(self.now, &mut self.sink)
    }

    /// The events so far, taken.
    pub fn events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.sink.events)
    }
}
