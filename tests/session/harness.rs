//! The session test harness: one [`Session`] driven by a virtual clock and a
//! scripted counterparty, with no sockets, threads or sleeps.
//!
//! The counterparty ([`Peer`]) writes messages as text, `|` for SOH, with
//! `<TIME>`, `<TIME+N>` and `<TIME-N>` standing for the virtual clock as in
//! QuickFIX's acceptance scripts. The text is completed with 9 and 10
//! (`fixrail::codec::testing::fix`), framed and parsed by a real
//! [`Decoder`], and handed to [`Session::on_message`] (or `on_garbled`).
//! Everything the session writes is decoded again — an output that does not
//! frame, or fails its checksum, fails the test — and queued for the
//! `expect*` assertions. The harness is also the driver: it forwards events
//! to the application and, when the outbox asks for a disconnect, calls
//! [`Session::disconnected`] as the runtime would after flushing the bytes.
//!
//! Time moves only when a test says so: [`Harness::advance_ms`] steps the
//! clock in `step_ms` increments and calls `on_tick` at each step.

use fixrail::codec::testing::{fix, show};
use fixrail::codec::{Decoded, Decoder, MessageWriter, Tag, TimePrecision, UtcTimestamp};
use fixrail::dictionary::Dictionary;
use fixrail::session::{
    Application, DisconnectReason, Event, MemoryStore, Outbox, Responder, Role, Session,
    SessionConfig, SessionStore, State, Verdict,
};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The instant every test starts at.
pub const T0: &str = "20260102-10:00:00";

/// The FIX 4.4 dictionary, loaded once per test binary.
pub fn dict() -> Arc<Dictionary> {
    static DICT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    Arc::clone(DICT.get_or_init(|| Arc::new(Dictionary::fix44())))
}

/// [`T0`] as a timestamp.
pub fn t0() -> UtcTimestamp {
    UtcTimestamp::parse(T0.as_bytes()).expect("T0 parses").0
}

/// `t` as FIX text at `precision`.
pub fn fmt_time(t: UtcTimestamp, precision: TimePrecision) -> String {
    let mut buf = [0u8; 32];
    let n = t.write(precision, &mut buf);
    String::from_utf8(buf[..n].to_vec()).expect("ASCII timestamp")
}

/// Replaces `<TIME>`, `<TIME+N>` and `<TIME-N>` with `now` ± N seconds.
pub fn substitute_time(template: &str, now: UtcTimestamp) -> String {
    let mut text = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("<TIME") {
        text.push_str(&rest[..start]);
        let end = start + rest[start..].find('>').expect("<TIME...> is closed");
        let offset: i64 = match &rest[start + 5..end] {
            "" => 0,
            n => n.parse().unwrap_or_else(|_| panic!("bad offset {n:?}")),
        };
        let t = UtcTimestamp::from_unix_nanos(now.unix_nanos() + offset * 1_000_000_000);
        text.push_str(&fmt_time(t, TimePrecision::Seconds));
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    text
}

/// `tag=value|...` as pairs (`|` or SOH separated).
fn pairs(spec: &str) -> Vec<(Tag, String)> {
    spec.split(['|', '\u{1}'])
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (t, v) = f
                .split_once('=')
                .unwrap_or_else(|| panic!("{f:?} is not tag=value"));
            let tag = t.parse().unwrap_or_else(|_| panic!("bad tag in {f:?}"));
            (tag, v.to_string())
        })
        .collect()
}

/// One message the session wrote, decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct Out {
    /// Every field in wire order, 8, 9 and 10 included.
    pub fields: Vec<(Tag, String)>,
    /// The bytes as written.
    pub raw: Vec<u8>,
}

impl Out {
    fn decode(raw: &[u8]) -> Out {
        let mut decoder = Decoder::default();
        match decoder.decode(raw) {
            Decoded::Message(m, len) => {
                assert_eq!(len, raw.len(), "one whole message: {}", show(raw));
                let fields = m
                    .fields()
                    .iter()
                    .map(|f| (f.tag(), String::from_utf8_lossy(f.value()).into_owned()))
                    .collect();
                Out {
                    fields,
                    raw: raw.to_vec(),
                }
            }
            other => panic!("the session wrote a bad message {}: {other:?}", show(raw)),
        }
    }

    /// The first value of `tag`.
    pub fn get(&self, tag: Tag) -> Option<&str> {
        self.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `tag`, which must be there.
    pub fn field(&self, tag: Tag) -> &str {
        self.get(tag)
            .unwrap_or_else(|| panic!("no {tag}= in {self:?}"))
    }

    /// MsgSeqNum (34).
    pub fn seq(&self) -> u64 {
        self.field(34).parse().expect("numeric MsgSeqNum")
    }

    /// The tags in wire order.
    pub fn tags(&self) -> Vec<Tag> {
        self.fields.iter().map(|(t, _)| *t).collect()
    }
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&show(&self.raw))
    }
}

/// The scripted counterparty: its CompIDs and the next number it sends.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Its SenderCompID (our TargetCompID).
    pub comp_id: String,
    /// Its TargetCompID (our SenderCompID).
    pub target: String,
    /// The MsgSeqNum of its next message.
    pub next_seq: u64,
}

impl Peer {
    /// A message with the next number: `8=FIX.4.4|35=t|34=n|49=..|52=<TIME>|56=..|` + `rest`.
    pub fn next(&mut self, msg_type: &str, rest: &str) -> String {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.at(seq, msg_type, rest)
    }

    /// A message with the given number (the counter is not touched).
    pub fn at(&self, seq: u64, msg_type: &str, rest: &str) -> String {
        format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49={}|52=<TIME>|56={}|{rest}",
            self.comp_id, self.target
        )
    }
}

/// A test application: records what it is given; answers `Unsupported` for
/// the types in `unsupported` and a business reject for `rejected`.
#[derive(Debug, Default)]
pub struct Recorder {
    /// (MsgSeqNum, MsgType) of each application message delivered, in order.
    pub delivered: Vec<(u64, String)>,
    /// Whether each delivered message carried PossDupFlag=Y.
    pub poss_dup: Vec<bool>,
    /// Events, in order.
    pub events: Vec<Event>,
    /// MsgTypes answered with `Verdict::Unsupported`.
    pub unsupported: Vec<&'static str>,
    /// MsgTypes answered with a business reject (reason 0, "not today").
    pub rejected: Vec<&'static str>,
}

impl Recorder {
    /// The MsgSeqNums delivered, in order.
    pub fn seqs(&self) -> Vec<u64> {
        self.delivered.iter().map(|(s, _)| *s).collect()
    }
}

impl Application for Recorder {
    fn on_message(
        &mut self,
        _now: UtcTimestamp,
        msg: &fixrail::codec::Message<'_>,
        _dict: &Dictionary,
        _tx: &mut Responder<'_>,
    ) -> Verdict {
        let t = String::from_utf8_lossy(msg.msg_type()).into_owned();
        self.delivered.push((msg.seq_num().unwrap_or(0), t.clone()));
        self.poss_dup
            .push(msg.header().get(43).is_some_and(|f| f.value() == b"Y"));
        if self.unsupported.contains(&t.as_str()) {
            Verdict::Unsupported
        } else if self.rejected.contains(&t.as_str()) {
            Verdict::BusinessReject {
                reason: 0,
                text: "not today",
            }
        } else {
            Verdict::Accepted
        }
    }

    fn on_event(&mut self, _now: UtcTimestamp, event: &Event) {
        self.events.push(*event);
    }
}

/// Our acceptor is ISLD and its counterparty TW44, as in the QuickFIX scripts.
pub fn acceptor_config() -> SessionConfig {
    SessionConfig::new(Role::Acceptor, "ISLD", "TW44")
}

/// Our initiator is TW44 and its counterparty ISLD.
pub fn initiator_config() -> SessionConfig {
    let mut c = SessionConfig::new(Role::Initiator, "TW44", "ISLD");
    c.heartbeat_secs = 30;
    c
}

/// One session, its store and application, a peer and a virtual clock.
pub struct Harness<S: SessionStore = MemoryStore, A: Application = Recorder> {
    /// The virtual clock.
    pub now: UtcTimestamp,
    /// The session under test.
    pub session: Session,
    /// Its store.
    pub store: S,
    /// Its application.
    pub app: A,
    /// The scripted counterparty.
    pub peer: Peer,
    /// Tick interval of `advance_ms`.
    pub step_ms: i64,
    /// Every message the session wrote, in order (asserted or not).
    pub written: Vec<Out>,
    /// Every event, in order.
    pub events: Vec<Event>,
    events_taken: usize,
    /// The reason of the last disconnect the session asked for.
    pub disconnect: Option<DisconnectReason>,
    out: Outbox,
    decoder: Decoder,
    inbuf: Vec<u8>,
    pending: VecDeque<Out>,
}

impl Harness<MemoryStore, Recorder> {
    /// An acceptor (ISLD) with an empty memory store, configured by `f`.
    pub fn acceptor(f: impl FnOnce(&mut SessionConfig)) -> Self {
        let mut cfg = acceptor_config();
        f(&mut cfg);
        Harness::new(cfg, MemoryStore::default(), Recorder::default())
    }

    /// An initiator (TW44) with an empty memory store, configured by `f`.
    pub fn initiator(f: impl FnOnce(&mut SessionConfig)) -> Self {
        let mut cfg = initiator_config();
        f(&mut cfg);
        Harness::new(cfg, MemoryStore::default(), Recorder::default())
    }
}

impl<S: SessionStore, A: Application> Harness<S, A> {
    /// A harness around a new session; the peer's next number is 1.
    pub fn new(cfg: SessionConfig, store: S, app: A) -> Self {
        let peer = Peer {
            comp_id: cfg.target_comp_id.clone(),
            target: cfg.sender_comp_id.clone(),
            next_seq: 1,
        };
        let session = Session::new(cfg, dict()).expect("session config");
        Harness {
            now: t0(),
            session,
            store,
            app,
            peer,
            step_ms: 100,
            written: Vec::new(),
            events: Vec::new(),
            events_taken: 0,
            disconnect: None,
            out: Outbox::default(),
            decoder: Decoder::default(),
            inbuf: Vec::new(),
            pending: VecDeque::new(),
        }
    }

    // ---- inputs -------------------------------------------------------

    /// A connection comes up (an initiator sends its Logon).
    pub fn connect(&mut self) {
        self.disconnect = None;
        self.decoder = Decoder::default();
        self.inbuf.clear();
        self.session
            .connected(self.now, &mut self.store, &mut self.out);
        self.harvest();
    }

    /// The connection drops for `reason` (the runtime noticed).
    pub fn drop_connection(&mut self, reason: DisconnectReason) {
        self.disconnect = Some(reason);
        self.session
            .disconnected(self.now, &mut self.store, reason, &mut self.out);
        self.harvest();
    }

    /// The counterparty sends `text` (script syntax, `<TIME>` substituted,
    /// 9 and 10 added where absent).
    pub fn recv(&mut self, text: &str) {
        let bytes = fix(&substitute_time(text, self.now));
        self.feed(&bytes);
        assert_eq!(self.unread_input(), 0, "a whole message: {text}");
    }

    /// The counterparty sends its next message: `35=msg_type`, its next
    /// MsgSeqNum, CompIDs, `52=<TIME>`, then `rest`.
    pub fn send(&mut self, msg_type: &str, rest: &str) {
        let text = self.peer.next(msg_type, rest);
        self.recv(&text);
    }

    /// The counterparty sends a message with the given MsgSeqNum (its
    /// counter moves past it).
    pub fn send_at(&mut self, seq: u64, msg_type: &str, rest: &str) {
        let text = self.peer.at(seq, msg_type, rest);
        self.peer.next_seq = self.peer.next_seq.max(seq + 1);
        self.recv(&text);
    }

    /// Raw bytes from the counterparty, through the decoder. Bytes that do
    /// not yet make a whole message wait for the next call, as in a receive
    /// loop.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
        let mut at = 0;
        while at < self.inbuf.len() {
            let step = match self.decoder.decode(&self.inbuf[at..]) {
                Decoded::Message(msg, len) => {
                    self.session.on_message(
                        self.now,
                        &msg,
                        &mut self.store,
                        &mut self.app,
                        &mut self.out,
                    );
                    len
                }
                Decoded::NeedMore => break,
                Decoded::Garbled { skip, .. } | Decoded::Unparseable { skip, .. } => {
                    self.session.on_garbled(self.now, &mut self.out);
                    skip
                }
            };
            at += step;
            self.harvest();
        }
        self.inbuf.drain(..at);
    }

    /// Input bytes waiting for the rest of a message.
    pub fn unread_input(&self) -> usize {
        self.inbuf.len()
    }

    /// One timer tick at the current time.
    pub fn tick(&mut self) {
        self.session
            .on_tick(self.now, &mut self.store, &mut self.out);
        self.harvest();
    }

    /// Moves the clock forward by `ms`, ticking every `step_ms`.
    pub fn advance_ms(&mut self, ms: i64) {
        let end = self.now.unix_nanos() + ms * 1_000_000;
        while self.now.unix_nanos() < end {
            let next = (self.now.unix_nanos() + self.step_ms * 1_000_000).min(end);
            self.now = UtcTimestamp::from_unix_nanos(next);
            self.tick();
        }
    }

    /// Moves the clock forward by whole seconds, ticking.
    pub fn advance(&mut self, secs: i64) {
        self.advance_ms(secs * 1000);
    }

    /// Our side sends an application message with the given body fields.
    pub fn send_app(&mut self, msg_type: &str, body: &[(Tag, &str)]) -> u64 {
        let seq = self
            .session
            .send(
                self.now,
                &mut self.store,
                &mut self.out,
                msg_type.as_bytes(),
                &[],
                &mut |w: &mut MessageWriter<'_>| {
                    for (t, v) in body {
                        w.str(*t, v.as_bytes());
                    }
                },
            )
            .expect("application send");
        self.harvest();
        seq
    }

    /// Our side starts a Logout.
    pub fn logout(&mut self, text: Option<&str>) {
        self.session
            .logout(self.now, text, &mut self.store, &mut self.out);
        self.harvest();
    }

    fn harvest(&mut self) {
        loop {
            for m in self.out.messages() {
                let o = Out::decode(m);
                self.pending.push_back(o.clone());
                self.written.push(o);
            }
            for e in self.out.events() {
                self.app.on_event(self.now, e);
                self.events.push(*e);
            }
            let d = self.out.disconnect();
            self.out.clear();
            match d {
                Some(reason) => {
                    self.disconnect = Some(reason);
                    self.session
                        .disconnected(self.now, &mut self.store, reason, &mut self.out);
                }
                None => break,
            }
        }
    }

    // ---- common exchanges ---------------------------------------------

    /// Logs on with the counterparty's HeartBtInt: for an acceptor the peer
    /// sends Logon and we answer; for an initiator we send and the peer
    /// answers. Both Logons are consumed.
    pub fn establish(&mut self, heartbeat_secs: u32) {
        self.connect();
        let hb = format!("98=0|108={heartbeat_secs}|");
        match self.session.config().role {
            Role::Acceptor => {
                self.send("A", &hb);
                self.expect("35=A|");
            }
            Role::Initiator => {
                self.expect("35=A|");
                self.send("A", &hb);
            }
        }
        assert_eq!(self.session.state(), State::Active, "logged on");
        self.expect_none();
    }

    // ---- assertions ---------------------------------------------------

    /// The next message we wrote: it must hold every `tag=value` of `spec`
    /// (`*` accepts any value). Returns it for further checks.
    #[track_caller]
    pub fn expect(&mut self, spec: &str) -> Out {
        let Some(got) = self.pending.pop_front() else {
            panic!(
                "expected {spec} but the session wrote nothing more\n  written: {:#?}\n  events: {:?}",
                self.written, self.events
            );
        };
        for (tag, want) in pairs(spec) {
            match got.get(tag) {
                Some(v) if want == "*" || v == want => {}
                other => panic!(
                    "expected {tag}={want} in\n  {got:?}\n  found {other:?}\n  (looking for {spec}; still queued: {:?})",
                    self.pending
                ),
            }
        }
        got
    }

    /// The next message, compared field by field with `spec`: the same tags
    /// in the same order between 9 and 10, equal values (`*` accepts any).
    #[track_caller]
    pub fn expect_exact(&mut self, spec: &str) -> Out {
        let got = self.expect("");
        let want = pairs(spec);
        let have: Vec<&(Tag, String)> = got
            .fields
            .iter()
            .filter(|(t, _)| !(8..=10).contains(t))
            .collect();
        let same = want.len() == have.len()
            && want
                .iter()
                .zip(&have)
                .all(|((wt, wv), (ht, hv))| wt == ht && (wv == "*" || wv == hv));
        assert!(
            same,
            "expected exactly\n  {spec}\nbut the session wrote\n  {got:?}"
        );
        got
    }

    /// The session wrote nothing that was not asserted.
    #[track_caller]
    pub fn expect_none(&mut self) {
        assert!(
            self.pending.is_empty(),
            "unexpected output: {:#?}",
            self.pending
        );
    }

    /// The next message written and not yet asserted, if any.
    pub fn next_output(&mut self) -> Option<Out> {
        self.pending.pop_front()
    }

    /// Everything written and not yet asserted (consumed).
    pub fn take_output(&mut self) -> Vec<Out> {
        self.pending.drain(..).collect()
    }

    /// The session asked to disconnect for `reason` and is now disconnected.
    #[track_caller]
    pub fn expect_disconnect(&mut self, reason: DisconnectReason) {
        assert_eq!(self.disconnect, Some(reason), "disconnect reason");
        assert_eq!(self.session.state(), State::Disconnected);
        assert!(
            self.events.contains(&Event::Disconnected(reason)),
            "Disconnected event in {:?}",
            self.events
        );
    }

    /// Still connected.
    #[track_caller]
    pub fn expect_connected(&self) {
        assert_eq!(self.disconnect, None, "no disconnect");
        assert_ne!(self.session.state(), State::Disconnected);
    }

    /// Events since the last call (`events` keeps them all).
    pub fn take_events(&mut self) -> Vec<Event> {
        let new = self.events[self.events_taken..].to_vec();
        self.events_taken = self.events.len();
        new
    }
}
