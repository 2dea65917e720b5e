#![allow(dead_code)] // Each test binary that includes the harness uses part of it.

//! A venue with several client sessions, in process: each client is a real
//! [`Session`] (acceptor, [`MemoryStore`]) running a [`VenueApplication`] on
//! one shared [`Venue`], fed with encoded messages on a virtual clock. After
//! each client message the harness does what the engine does once per turn:
//! it lets every logged-on session send what the venue queued for it
//! ([`Session::send_queued`]) — unless the test asks it not to.
//!
//! Every message the venue writes is decoded and validated against the FIX
//! 4.4 dictionary (a failure fails the test, naming the message); every
//! ExecutionReport must carry OrderID, a never-repeated ExecID, ExecType,
//! OrdStatus, Symbol, Side, TransactTime, LeavesQty, CumQty and AvgPx.

use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Decoded, Decoder, Tag, TimePrecision, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::session::{
    Application, DisconnectReason, MemoryStore, Outbox, Role, Session, SessionConfig, State,
};
use fixrail::venue::{Venue, VenueApplication, VenueSpec};
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The venue's CompID.
pub const VENUE: &str = "VENUE";

pub fn dict() -> Arc<Dictionary> {
    static DICT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    Arc::clone(DICT.get_or_init(|| Arc::new(Dictionary::fix44())))
}

/// One message the venue wrote, decoded.
#[derive(Clone)]
pub struct Out {
    pub fields: Vec<(Tag, String)>,
    pub raw: Vec<u8>,
}

impl Out {
    pub fn get(&self, tag: Tag) -> Option<&str> {
        self.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_str())
    }

    #[track_caller]
    pub fn field(&self, tag: Tag) -> &str {
        self.get(tag)
            .unwrap_or_else(|| panic!("no {tag}= in {self:?}"))
    }

    /// Whether every `tag=value` of `spec` is there (`*`: any value, `!`:
    /// the tag is absent).
    pub fn matches(&self, spec: &str) -> Result<(), String> {
        for f in spec.split('|').filter(|f| !f.is_empty()) {
            let (t, want) = f.split_once('=').expect("tag=value");
            let tag: Tag = t.parse().expect("numeric tag");
            match (self.get(tag), want) {
                (None, "!") => {}
                (Some(v), _) if want == "*" || v == want => {}
                (got, _) => return Err(format!("{tag}={want} wanted, found {got:?}")),
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&show(&self.raw))
    }
}

pub struct Client {
    pub name: String,
    pub session: Session,
    pub store: MemoryStore,
    pub app: VenueApplication,
    next_seq: u64,
    inbox: VecDeque<Out>,
}

/// The venue and its clients on a virtual clock.
pub struct Sim {
    pub now: UtcTimestamp,
    pub venue: fixrail::venue::SharedVenue,
    pub clients: Vec<Client>,
    out: Outbox,
    validator: Validator,
    exec_ids: HashSet<String>,
    /// Every message the venue wrote, per client, in order.
    pub written: Vec<Vec<Out>>,
}

impl Sim {
    /// A venue built from `spec` with one acceptor session per client name,
    /// each logged on.
    pub fn new(spec: VenueSpec, clients: &[&str]) -> Sim {
        let now = UtcTimestamp::parse(b"20260105-09:00:00").unwrap().0;
        let venue = Venue::shared(Venue::new(spec, now).expect("venue spec"));
        let clients = clients
            .iter()
            .map(|name| Client {
                name: name.to_string(),
                session: Session::new(SessionConfig::new(Role::Acceptor, VENUE, name), dict())
                    .unwrap(),
                store: MemoryStore::default(),
                app: Venue::attach(&venue, name),
                next_seq: 1,
                inbox: VecDeque::new(),
            })
            .collect::<Vec<_>>();
        let d = dict();
        let mut sim = Sim {
            now,
            venue,
            written: vec![Vec::new(); clients.len()],
            clients,
            out: Outbox::default(),
            validator: Validator::new(&d, ValidationConfig::default()),
            exec_ids: HashSet::new(),
        };
        for c in 0..sim.clients.len() {
            sim.logon(c);
        }
        sim
    }

    /// Client `c` connects and logs on (its Logon answered and consumed).
    pub fn logon(&mut self, c: usize) {
        let cl = &mut self.clients[c];
        cl.session.connected(self.now, &mut cl.store, &mut self.out);
        self.harvest(c);
        self.feed(c, "A", "98=0|108=30|");
        assert_eq!(self.clients[c].session.state(), State::Active);
        let logon = self.clients[c].inbox.pop_front().expect("Logon answer");
        assert_eq!(logon.get(35), Some("A"));
    }

    /// Client `c`'s connection drops.
    pub fn disconnect(&mut self, c: usize) {
        let cl = &mut self.clients[c];
        cl.session.disconnected(
            self.now,
            &mut cl.store,
            DisconnectReason::Io(std::io::ErrorKind::UnexpectedEof),
            &mut self.out,
        );
        self.harvest(c);
    }

    /// Client `c` sends `msg_type` with body `body` (`|`-separated), then
    /// the engine's turn lets every session send what is queued for it.
    pub fn send(&mut self, c: usize, msg_type: &str, body: &str) {
        self.send_only(c, msg_type, body);
        self.engine_turn();
    }

    /// As [`Sim::send`] without the engine's turn after it.
    pub fn send_only(&mut self, c: usize, msg_type: &str, body: &str) {
        self.feed(c, msg_type, body);
    }

    /// What the engine does once per turn: `send_queued` for every
    /// logged-on session whose application has something queued.
    pub fn engine_turn(&mut self) {
        for c in 0..self.clients.len() {
            let cl = &mut self.clients[c];
            if cl.session.state() == State::Active && cl.app.has_queued() {
                cl.session
                    .send_queued(self.now, &mut cl.store, &mut cl.app, &mut self.out);
                self.harvest(c);
            }
        }
    }

    /// What the engine does every turn: each session's application polls
    /// (the venue's synthetic flow runs there), then `send_queued`.
    pub fn poll(&mut self) {
        for c in 0..self.clients.len() {
            let cl = &mut self.clients[c];
            cl.session
                .poll_app(self.now, &mut cl.store, &mut cl.app, &mut self.out);
            self.harvest(c);
        }
        self.engine_turn();
    }

    /// Moves the virtual clock on by `nanos`.
    pub fn advance(&mut self, nanos: i64) {
        self.now = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + nanos);
    }

    fn feed(&mut self, c: usize, msg_type: &str, body: &str) {
        self.now = UtcTimestamp::from_unix_nanos(self.now.unix_nanos() + 1_000_000);
        let mut ts = [0u8; 32];
        let n = self.now.write(TimePrecision::Millis, &mut ts);
        let cl = &mut self.clients[c];
        let text = format!(
            "8=FIX.4.4|35={msg_type}|34={}|49={}|52={}|56={VENUE}|{body}",
            cl.next_seq,
            cl.name,
            std::str::from_utf8(&ts[..n]).unwrap()
        );
        cl.next_seq += 1;
        let bytes = fix(&text);
        let mut decoder = Decoder::default();
        match decoder.decode(&bytes) {
            Decoded::Message(msg, _) => {
                cl.session
                    .on_message(self.now, &msg, &mut cl.store, &mut cl.app, &mut self.out);
            }
            other => panic!("test message does not decode: {text}: {other:?}"),
        }
        self.harvest(c);
    }

    /// Decodes and checks what session `c` wrote, into its inbox.
    fn harvest(&mut self, c: usize) {
        let d = dict();
        for raw in self.out.messages() {
            let mut decoder = Decoder::default();
            let Decoded::Message(msg, len) = decoder.decode(raw) else {
                panic!("the venue wrote a bad message: {}", show(raw));
            };
            assert_eq!(len, raw.len());
            if let Err(r) = self.validator.validate(&d, &msg) {
                panic!(
                    "the venue wrote a message the FIX 4.4 dictionary rejects ({}, tag {:?}): {}",
                    r.reason.text(),
                    r.ref_tag,
                    show(raw)
                );
            }
            let out = Out {
                fields: msg
                    .fields()
                    .iter()
                    .map(|f| (f.tag(), String::from_utf8_lossy(f.value()).into_owned()))
                    .collect(),
                raw: raw.to_vec(),
            };
            if out.get(35) == Some("8") {
                for tag in [37, 17, 150, 39, 55, 54, 60, 151, 14, 6] {
                    assert!(
                        out.get(tag).is_some(),
                        "no {tag}= in ExecutionReport {out:?}"
                    );
                }
                let exec_id = out.field(17).to_string();
                assert!(self.exec_ids.insert(exec_id), "ExecID repeated in {out:?}");
            }
            self.written[c].push(out.clone());
            if !matches!(out.get(35), Some("0")) {
                self.clients[c].inbox.push_back(out);
            }
        }
        // What the engine does with a session's events: hand them to its
        // application.
        for ev in self.out.events() {
            self.clients[c].app.on_event(self.now, ev);
        }
        assert!(
            self.out.disconnect().is_none(),
            "the venue session disconnected: {:?}",
            self.out.disconnect()
        );
        self.out.clear();
    }

    /// Client `c`'s next message must match `spec` (see [`Out::matches`]).
    #[track_caller]
    pub fn expect(&mut self, c: usize, spec: &str) -> Out {
        let Some(got) = self.clients[c].inbox.pop_front() else {
            panic!(
                "{}: expected {spec}, got nothing more",
                self.clients[c].name
            );
        };
        if let Err(e) = got.matches(spec) {
            panic!(
                "{}: expected {spec}\n  got {got:?}\n  {e}\n  still queued: {:#?}",
                self.clients[c].name, self.clients[c].inbox
            );
        }
        got
    }

    /// Client `c` got nothing that was not expected.
    #[track_caller]
    pub fn expect_none(&mut self, c: usize) {
        assert!(
            self.clients[c].inbox.is_empty(),
            "{}: unexpected {:#?}",
            self.clients[c].name,
            self.clients[c].inbox
        );
    }

    /// Everything client `c` got and did not expect yet.
    pub fn take(&mut self, c: usize) -> Vec<Out> {
        self.clients[c].inbox.drain(..).collect()
    }
}
