//! The market-data test harness: a real `TradingApplication` behind a real
//! initiator `Session` (in-memory store, manual clock), a scripted venue
//! that writes W/X/Y (and ExecutionReports) from readable text, the
//! strategy's end of the rings, and a mirror of the book built only from
//! the strategy's events.

use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Parser, TimePrecision, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::engine::trading::TradingApplication;
use fixrail::order::{OrderConfig, OrderManager};
use fixrail::risk::{RiskConfig, RiskEngine};
use fixrail::session::{
    Application, DisconnectReason, Event as SessionEvent, MemoryStore, Outbox, Role, Session,
    SessionConfig,
};
use fixrail::strategy::{
    channel, Command, Event, Instrument, InstrumentId, InstrumentTable, MarketDataConfig,
    MdEntryTypes, Price, Qty, Side, StrategyHandle,
};
use std::collections::HashMap;
use std::sync::Arc;

pub const EURUSD: InstrumentId = InstrumentId(0);
pub const AAPL: InstrumentId = InstrumentId(1);

/// A price from its decimal text.
pub fn px(text: &str) -> Price {
    Price::from_decimal(text.parse().unwrap()).unwrap()
}

fn instrument(symbol: &str, tick: &str, md: MarketDataConfig) -> Instrument {
    Instrument {
        id: InstrumentId(0),
        symbol: symbol.to_string(),
        tick_size: px(tick),
        lot_size: Qty(1),
        reference_price: px("1.085"),
        max_order_qty: Qty(1_000_000_000),
        max_notional: i128::MAX,
        position_limit: Qty(1_000_000_000),
        collar_bps: 10_000,
        market_data: md,
    }
}

/// EUR/USD: 5 visible levels of 8 kept, 16 entries, stale after 1 s.
/// AAPL: the defaults (10 levels, no staleness).
pub fn instruments() -> Arc<InstrumentTable> {
    Arc::new(
        InstrumentTable::new(vec![
            instrument(
                "EUR/USD",
                "0.00001",
                MarketDataConfig {
                    book_depth: 5,
                    book_max_levels: 8,
                    book_max_entries: 16,
                    stale_after_ms: 1000,
                },
            ),
            instrument("AAPL", "0.01", MarketDataConfig::default()),
        ])
        .unwrap(),
    )
}

/// A Subscribe.
pub fn subscribe(instrument: InstrumentId, depth: u16, entries: MdEntryTypes) -> Command {
    Command::Subscribe {
        instrument,
        depth,
        entries,
        updates: true,
        aggregated: true,
    }
}

/// The strategy's mirror of one book, from BookLevel and TopOfBook only.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub bids: Vec<(Price, Qty, u32)>,
    pub asks: Vec<(Price, Qty, u32)>,
    pub top: Option<fixrail::strategy::TopOfBook>,
}

impl Mirror {
    pub fn apply(&mut self, e: &Event) {
        match *e {
            Event::BookLevel {
                side,
                level,
                price,
                qty,
                orders,
                ..
            } => {
                let v = if side == Side::Buy {
                    &mut self.bids
                } else {
                    &mut self.asks
                };
                let l = level as usize;
                if qty.0 == 0 {
                    v.truncate(l);
                } else {
                    assert!(l <= v.len(), "level {l} beyond the mirror's {}", v.len());
                    if l == v.len() {
                        v.push((price, qty, orders));
                    } else {
                        v[l] = (price, qty, orders);
                    }
                }
            }
            Event::TopOfBook(t) => self.top = Some(t),
            _ => {}
        }
    }
}

pub struct H {
    pub app: TradingApplication,
    pub strategy: StrategyHandle,
    pub session: Session,
    pub store: MemoryStore,
    out: Outbox,
    parser: Parser,
    dict: Arc<Dictionary>,
    validator: Validator,
    pub now_ns: i64,
    pub venue_seq: u64,
    /// Every message the desk sent.
    pub sent: Vec<Vec<u8>>,
    /// Every session event.
    pub session_events: Vec<SessionEvent>,
    /// Strategy events taken from the ring but not yet returned.
    pending: Vec<Event>,
}

impl H {
    /// A desk whose event ring holds `ring` events.
    pub fn new(ring: usize) -> H {
        let ins = instruments();
        let orders = OrderManager::new(
            OrderConfig {
                max_orders: 64,
                ..OrderConfig::default()
            },
            Arc::clone(&ins),
        )
        .unwrap();
        let risk = RiskEngine::new(
            RiskConfig {
                order_rate_per_sec: 1_000_000,
                order_burst: 1_000_000,
                ..RiskConfig::default()
            },
            Arc::clone(&ins),
        );
        let (strategy, port) = channel(1024, ring);
        let app = TradingApplication::new(orders, risk, port, 0);
        let dict = Arc::new(Dictionary::fix44());
        let mut cfg = SessionConfig::new(Role::Initiator, "DESK", "VENUE");
        cfg.heartbeat_secs = 30;
        let session = Session::new(cfg, Arc::clone(&dict)).unwrap();
        H {
            app,
            strategy,
            session,
            store: MemoryStore::default(),
            out: Outbox::default(),
            parser: Parser::default(),
            validator: Validator::new(&dict, ValidationConfig::default()),
            dict,
            now_ns: UtcTimestamp::from_parts(2026, 11, 23, 9, 0, 0, 0)
                .unwrap()
                .unix_nanos(),
            venue_seq: 0,
            sent: Vec::new(),
            session_events: Vec::new(),
            pending: Vec::new(),
        }
    }

    pub fn now(&self) -> UtcTimestamp {
        UtcTimestamp::from_unix_nanos(self.now_ns)
    }

    pub fn advance_ms(&mut self, ms: i64) {
        self.now_ns += ms * 1_000_000;
    }

    fn stamp(&self) -> String {
        let mut b = [0u8; 32];
        let n = self.now().write(TimePrecision::Millis, &mut b);
        String::from_utf8(b[..n].to_vec()).unwrap()
    }

    /// Takes what the session produced: messages sent (application ones
    /// validated against FIX 4.4), events passed to the application as the
    /// engine does.
    fn pump(&mut self) {
        for m in self.out.messages() {
            let msg = self.parser.parse(m).unwrap();
            if let Err(r) = self.validator.validate(&self.dict, &msg) {
                panic!("the desk sent a message FIX 4.4 rejects ({r}): {}", show(m));
            }
            self.sent.push(m.to_vec());
        }
        let now = self.now();
        for ev in self.out.events() {
            self.app.on_event(now, ev);
            self.session_events.push(*ev);
        }
        assert!(
            self.out.disconnect().is_none(),
            "the session disconnected: {:?}",
            self.out.disconnect()
        );
        self.out.clear();
    }

    /// One engine turn for the application.
    pub fn poll(&mut self) {
        let now = self.now();
        self.session
            .poll_app(now, &mut self.store, &mut self.app, &mut self.out);
        self.pump();
    }

    /// Connects and completes the Logon, then one turn.
    pub fn logon(&mut self) {
        let now = self.now();
        self.session.connected(now, &mut self.store, &mut self.out);
        self.pump();
        self.venue("A", "98=0|108=30|");
        assert!(self.session.is_logged_on());
        self.poll();
        // SessionUp is the order path's business: keep the rest.
        let mut up = false;
        while let Some(e) = self.strategy.poll() {
            match e {
                Event::SessionUp { .. } => up = true,
                e => self.pending.push(e),
            }
        }
        assert!(up, "no SessionUp");
    }

    /// The connection drops.
    pub fn disconnect(&mut self) {
        let now = self.now();
        self.session.disconnected(
            now,
            &mut self.store,
            DisconnectReason::Io(std::io::ErrorKind::ConnectionReset),
            &mut self.out,
        );
        self.pump();
    }

    /// The venue sends its next message.
    pub fn venue(&mut self, msg_type: &str, body: &str) {
        self.venue_seq += 1;
        let seq = self.venue_seq;
        self.venue_at(seq, msg_type, body);
    }

    /// The venue sends a message numbered `seq` (gaps, resends).
    pub fn venue_at(&mut self, seq: u64, msg_type: &str, body: &str) {
        self.venue_seq = self.venue_seq.max(seq);
        let bytes = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49=VENUE|52={}|56=DESK|{body}",
            self.stamp()
        ));
        self.deliver(&bytes);
    }

    /// A message the venue resends (PossDup).
    pub fn venue_resend(&mut self, seq: u64, msg_type: &str, body: &str) {
        let t = self.stamp();
        let bytes = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|43=Y|49=VENUE|52={t}|56=DESK|122={t}|{body}"
        ));
        self.deliver(&bytes);
    }

    pub fn deliver(&mut self, bytes: &[u8]) {
        let now = self.now();
        let mut parser = Parser::default();
        let msg = parser.parse(bytes).unwrap();
        self.session
            .on_message(now, &msg, &mut self.store, &mut self.app, &mut self.out);
        self.pump();
    }

    /// A command, then one turn.
    pub fn cmd(&mut self, c: Command) {
        self.strategy.send(c).unwrap();
        self.poll();
    }

    /// Every event waiting in the ring.
    pub fn events(&mut self) -> Vec<Event> {
        let mut v = std::mem::take(&mut self.pending);
        v.extend(std::iter::from_fn(|| self.strategy.poll()));
        v
    }

    /// The desk's V messages sent so far, as tag → values maps.
    pub fn requests(&mut self) -> Vec<HashMap<u32, Vec<String>>> {
        let mut v = Vec::new();
        for m in &self.sent {
            let msg = self.parser.parse(m).unwrap();
            if msg.msg_type() != b"V" {
                continue;
            }
            let mut f: HashMap<u32, Vec<String>> = HashMap::new();
            for field in msg.body().iter() {
                f.entry(field.tag())
                    .or_default()
                    .push(String::from_utf8_lossy(field.value()).into_owned());
            }
            v.push(f);
        }
        v
    }

    /// The last V's MDReqID.
    pub fn last_req_id(&mut self) -> String {
        self.requests().last().expect("a V was sent")[&262][0].clone()
    }

    /// The engine's visible book of `instrument` as the mirror holds it.
    pub fn engine_book(&self, instrument: InstrumentId) -> Mirror {
        let book = self.app.market_data().book(instrument).unwrap();
        let side = |l: fixrail::md::Levels<'_>| {
            l.iter()
                .map(|l| (l.price, l.qty, l.orders))
                .collect::<Vec<_>>()
        };
        Mirror {
            bids: side(book.bids()),
            asks: side(book.asks()),
            top: None,
        }
    }
}

/// The mirror's levels equal the engine's book (top aside).
#[track_caller]
pub fn assert_mirrors(h: &H, mirror: &Mirror, instrument: InstrumentId) {
    let book = h.engine_book(instrument);
    assert_eq!(
        (&mirror.bids, &mirror.asks),
        (&book.bids, &book.asks),
        "the strategy's mirror differs from the engine's book"
    );
    if let Some(t) = mirror.top {
        let best =
            |v: &Vec<(Price, Qty, u32)>| v.first().map_or((Price(0), Qty(0)), |l| (l.0, l.1));
        assert_eq!((t.bid, t.bid_qty), best(&book.bids));
        assert_eq!((t.ask, t.ask_qty), best(&book.asks));
    }
}
