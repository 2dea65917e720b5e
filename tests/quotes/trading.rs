//! The quote desk behind a real initiator [`Session`] in
//! `TradingApplication`: commands through the strategy's ring, the venue's
//! S/Z/AG through the session's inbound path, expiry in the application's
//! poll, and what the strategy hears when the connection drops. The
//! venue's side is written by hand here (readable text), on a manual clock.

use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Decoded, Decoder, TimePrecision, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::engine::trading::TradingApplication;
use fixrail::md::quotes::{QuoteCounter, REQUEST_REJECT_DISCONNECTED};
use fixrail::order::{OrderConfig, OrderManager};
use fixrail::risk::{RiskConfig, RiskEngine};
use fixrail::session::{
    DisconnectReason, MemoryStore, Outbox, Role, Session, SessionConfig, State,
};
use fixrail::strategy::{channel, Command, Event, Qty, QuoteId, Side, StrategyHandle};
use std::sync::Arc;

use super::harness::{t0, EURUSD};
use super::order_harness::instruments;

struct T {
    session: Session,
    store: MemoryStore,
    app: TradingApplication,
    out: Outbox,
    h: StrategyHandle,
    now: UtcTimestamp,
    in_seq: u64,
    dict: Arc<Dictionary>,
    validator: Validator,
    /// What the session wrote, decoded as (tag, value) lists.
    written: Vec<Vec<(u32, String)>>,
}

impl T {
    fn new() -> T {
        let om = OrderManager::new(OrderConfig::default(), instruments()).unwrap();
        let risk = RiskEngine::new(RiskConfig::default(), instruments());
        let (h, port) = channel(64, 64);
        let dict = Arc::new(Dictionary::fix44());
        let mut t = T {
            session: Session::new(
                SessionConfig::new(Role::Initiator, "BUY", "VENUE"),
                Arc::clone(&dict),
            )
            .unwrap(),
            store: MemoryStore::default(),
            app: TradingApplication::new(om, risk, port, 0),
            out: Outbox::default(),
            h,
            now: t0(),
            in_seq: 0,
            validator: Validator::new(&dict, ValidationConfig::default()),
            dict,
            written: Vec::new(),
        };
        t.session.connected(t.now, &mut t.store, &mut t.out);
        t.harvest();
        t.feed("A", "98=0|108=30");
        assert_eq!(t.session.state(), State::Active);
        assert_eq!(t.h.poll(), Some(Event::SessionUp { session: 0 }));
        t
    }

    /// What the engine does with a session's output: check and keep the
    /// messages, hand the events to the application.
    fn harvest(&mut self) {
        for raw in self.out.messages() {
            let mut decoder = Decoder::default();
            let Decoded::Message(msg, _) = decoder.decode(raw) else {
                panic!("bad message written: {}", show(raw));
            };
            if let Err(r) = self.validator.validate(&self.dict, &msg) {
                panic!("invalid FIX 4.4 written ({r}): {}", show(raw));
            }
            self.written.push(
                msg.fields()
                    .iter()
                    .map(|f| (f.tag(), String::from_utf8_lossy(f.value()).into_owned()))
                    .collect(),
            );
        }
        for ev in self.out.events().to_vec() {
            fixrail::session::Application::on_event(&mut self.app, self.now, &ev);
        }
        self.out.clear();
    }

    fn feed(&mut self, msg_type: &str, body: &str) {
        self.in_seq += 1;
        let mut ts = [0u8; 32];
        let n = self.now.write(TimePrecision::Millis, &mut ts);
        let text = format!(
            "8=FIX.4.4|35={msg_type}|34={}|49=VENUE|52={}|56=BUY|{body}|",
            self.in_seq,
            std::str::from_utf8(&ts[..n]).unwrap()
        );
        let bytes = fix(&text);
        let mut decoder = Decoder::default();
        let Decoded::Message(msg, _) = decoder.decode(&bytes) else {
            panic!("test message does not decode: {text}");
        };
        self.session.on_message(
            self.now,
            &msg,
            &mut self.store,
            &mut self.app,
            &mut self.out,
        );
        self.harvest();
    }

    /// One engine turn for the application (commands, expiry).
    fn turn(&mut self) {
        self.session
            .poll_app(self.now, &mut self.store, &mut self.app, &mut self.out);
        self.harvest();
    }

    fn last(&self, tag: u32) -> Option<&str> {
        self.written
            .last()?
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_str())
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.h.poll()).collect()
    }

    /// A QuoteRequest through the ring; returns its QuoteReqID.
    fn request(&mut self, tag: u64) -> String {
        self.h
            .send(Command::QuoteRequest {
                tag,
                instrument: EURUSD,
                qty: Qty(1_000),
                side: None,
            })
            .unwrap();
        self.turn();
        assert_eq!(self.last(35), Some("R"));
        self.last(131).unwrap().to_string()
    }

    fn quote(&mut self, req: &str, id: &str, valid_ms: i64) -> QuoteId {
        let until = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + valid_ms * 1_000_000);
        let mut b = [0u8; 32];
        let n = until.write(TimePrecision::Millis, &mut b);
        let until = std::str::from_utf8(&b[..n]).unwrap().to_string();
        self.feed(
            "S",
            &format!("131={req}|117={id}|537=1|55=EUR/USD|132=1.08|133=1.09|62={until}"),
        );
        match self.events().as_slice() {
            [Event::Quote { quote, .. }] => *quote,
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_trading_application_routes_quotes_through_its_session() {
    let mut t = T::new();
    // S → Quote; OrderOnQuote → D with 117.
    let req = t.request(1);
    let quote = t.quote(&req, "Q1", 10_000);
    t.h.send(Command::OrderOnQuote {
        tag: 2,
        quote,
        side: Side::Buy,
        qty: Qty(500),
    })
    .unwrap();
    t.turn();
    assert!(matches!(
        t.events().as_slice(),
        [Event::OrderSent { tag: 2, .. }]
    ));
    assert_eq!(t.last(35), Some("D"));
    assert_eq!(t.last(117), Some("Q1"));
    assert_eq!(t.last(44), Some("1.09"));
    assert_eq!(t.last(59), Some("4"));
    // Z → QuoteCanceled; AG → QuoteRequestRejected.
    let req = t.request(3);
    let quote = t.quote(&req, "Q3", 10_000);
    t.feed("Z", "117=Q3|298=1");
    assert_eq!(t.events(), [Event::QuoteCanceled { quote }]);
    let req = t.request(4);
    t.feed("AG", &format!("131={req}|658=1|146=1|55=EUR/USD"));
    assert_eq!(
        t.events(),
        [Event::QuoteRequestRejected { tag: 4, reason: 1 }]
    );
    // Expiry in the application's poll.
    let req = t.request(5);
    let quote = t.quote(&req, "Q5", 1_000);
    t.now = UtcTimestamp::from_unix_nanos(t.now.unix_nanos() + 1_000_000_000);
    t.turn();
    assert_eq!(t.events(), [Event::QuoteCanceled { quote }]);
    // No session-level rejects: the application took S, Z and AG.
    assert!(
        t.written.iter().all(|m| !m
            .iter()
            .any(|(tag, v)| *tag == 35 && (v == "j" || v == "3"))),
        "a reject was written"
    );
    assert_eq!(t.app.quotes().counters().get(QuoteCounter::Quotes), 3);
}

#[test]
fn on_disconnect_the_strategy_hears_session_down_then_every_request_and_quote_ended() {
    let mut t = T::new();
    let _pending = t.request(1);
    let req = t.request(2);
    let quote = t.quote(&req, "LIVE", 60_000);
    t.session.disconnected(
        t.now,
        &mut t.store,
        DisconnectReason::Io(std::io::ErrorKind::UnexpectedEof),
        &mut t.out,
    );
    t.harvest();
    let events = t.events();
    assert!(
        matches!(events[0], Event::SessionDown { session: 0, .. }),
        "{events:?}"
    );
    assert_eq!(
        events[1..],
        [
            Event::QuoteRequestRejected {
                tag: 1,
                reason: REQUEST_REJECT_DISCONNECTED
            },
            Event::QuoteCanceled { quote }
        ]
    );
    assert_eq!(t.app.quotes().busy(), 0);
}

/// One run of the engine's order path on a real journal: logs on, sends
/// `n` QuoteRequests through the ring, returns their QuoteReqIDs. The
/// application is rebuilt from the journal first, as
/// `Engine::attach_strategy` does at start-up.
fn run_on_journal(dir: &std::path::Path, now: UtcTimestamp, n: u64) -> Vec<String> {
    use fixrail::journal::{Journal, JournalConfig};
    use fixrail::session::{Application, JournalStore, SessionStore};
    let (mut journal, _) = Journal::open(JournalConfig::new(dir), now).unwrap();
    let om = OrderManager::new(OrderConfig::default(), instruments()).unwrap();
    let risk = RiskEngine::new(RiskConfig::default(), instruments());
    let (mut h, port) = channel(64, 64);
    let mut app = TradingApplication::new(om, risk, port, 0);
    app.replay(journal.reader().unwrap(), 0);
    let dict = Arc::new(Dictionary::fix44());
    let mut session = Session::new(
        SessionConfig::new(Role::Initiator, "BUY", "VENUE"),
        Arc::clone(&dict),
    )
    .unwrap();
    let mut out = Outbox::default();
    let mut store = JournalStore::new(&mut journal, 0).unwrap();
    // Numbers reset every run (a new day): the ids must not depend on them.
    store.reset(now, "test: new day").unwrap();
    session.connected(now, &mut store, &mut out);
    out.clear();
    let mut ts = [0u8; 32];
    let len = now.write(TimePrecision::Millis, &mut ts);
    let logon = fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=VENUE|52={}|56=BUY|98=0|108=30|",
        std::str::from_utf8(&ts[..len]).unwrap()
    ));
    let mut decoder = Decoder::default();
    let Decoded::Message(msg, _) = decoder.decode(&logon) else {
        panic!("logon does not decode");
    };
    session.on_message(now, &msg, &mut store, &mut app, &mut out);
    for ev in out.events().to_vec() {
        app.on_event(now, &ev);
    }
    out.clear();
    assert_eq!(session.state(), State::Active);
    let mut ids = Vec::new();
    for tag in 0..n {
        h.send(Command::QuoteRequest {
            tag,
            instrument: EURUSD,
            qty: Qty(1_000),
            side: Some(Side::Buy),
        })
        .unwrap();
        session.poll_app(now, &mut store, &mut app, &mut out);
        for raw in out.messages() {
            let mut decoder = Decoder::default();
            let Decoded::Message(msg, _) = decoder.decode(raw) else {
                panic!("bad message: {}", show(raw));
            };
            if msg.msg_type() == b"R" {
                ids.push(String::from_utf8_lossy(msg.get(131).unwrap().value()).into_owned());
            }
        }
        out.clear();
    }
    assert_eq!(ids.len() as u64, n, "one R per request");
    ids
}

#[test]
fn quote_request_ids_stay_unique_across_restarts_on_a_real_journal() {
    // Three runs on one journal directory, each rebuilt from the journal,
    // each with its sequence numbers reset: no QuoteReqID is sent twice.
    let dir = crate::common::TempDir::new("quotes-restart");
    let mut all = std::collections::HashSet::new();
    for run in 0..3 {
        let now = UtcTimestamp::from_unix_nanos(t0().unix_nanos() + run * 1_000_000_000);
        for id in run_on_journal(dir.path(), now, 4) {
            assert!(all.insert(id.clone()), "run {run} sent {id} again");
        }
    }
    assert_eq!(all.len(), 12);
}
