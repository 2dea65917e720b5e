//! The FIX session layer, sans-IO.
//!
//! Owns the session protocol of FIX 4.4 in both roles: Logon (with
//! ResetSeqNumFlag, NextExpectedMsgSeqNum, credentials), heartbeats and
//! TestRequests, gap detection with ResendRequest and a bounded hold queue,
//! serving ResendRequests from the store (PossDup resends, coalesced
//! GapFills, a per-MsgType policy), SequenceReset in both modes, PossDup
//! checks, "MsgSeqNum too low", session Rejects from the data dictionary,
//! Business Message Rejects for unsupported messages, Logout with a timeout,
//! and the recovery policy for a counterparty that says our numbers are too
//! low.
//!
//! It owns no socket and reads no clock: inputs are parsed messages, timer
//! ticks and commands, each with `now`; outputs go to an [`Outbox`] (bytes to
//! write, events, a disconnect). Persistence goes through [`SessionStore`].
//! It may not import `mio` or touch the network (that is `crate::net`).
//!
//! Rules follow the FIX specification; where it leaves room, QuickFIX's
//! behaviour is the reference (its acceptance scripts pass literally).

pub mod app;
mod core;
mod outbox;
pub mod schedule;
mod store;
mod types;

pub use app::{Application, EchoApplication, NoApplication, Responder, SendError, Verdict};
pub use outbox::Outbox;
pub use store::{JournalStore, MemoryStore, SessionStore};
pub use types::{
    Counters, DisconnectReason, Event, Ignored, MsgTypeKey, ResendPolicy, Role, SeqTooLowPolicy,
    SessionConfig, Text,
};

use crate::codec::parse::FIELDS_MAX_DEFAULT;
use crate::codec::tags::{self, MsgType};
use crate::codec::{Header, Message, Parser, UtcTimestamp};
use crate::dictionary::{Dictionary, RefTagId, Rejection, SessionRejectReason, Validator};
use crate::journal::JournalError;
use core::Core;
use std::sync::Arc;

const NANOS: i64 = 1_000_000_000;

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No connection.
    Disconnected,
    /// Connected; Logon not yet exchanged (initiator: ours is sent).
    AwaitingLogon,
    /// Logged on.
    Active,
    /// We sent Logout and wait for the answer.
    LogoutSent,
}

/// Messages held while a gap is filled, in one pre-allocated buffer.
#[derive(Debug)]
struct HoldQueue {
    buf: Vec<u8>,
    /// (seq, start, len), ascending by seq.
    entries: Vec<(u64, usize, usize)>,
    capacity: usize,
}

impl HoldQueue {
    fn new(capacity: usize, bytes: usize) -> HoldQueue {
        HoldQueue {
            buf: Vec::with_capacity(bytes),
            entries: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Holds a copy; false when full (the resend brings it again).
    fn hold(&mut self, seq: u64, bytes: &[u8]) -> bool {
        if self.entries.iter().any(|e| e.0 == seq) {
            return true;
        }
        if self.entries.len() >= self.capacity || self.buf.len() + bytes.len() > self.buf.capacity()
        {
            return false;
        }
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        let at = self.entries.partition_point(|e| e.0 < seq);
        self.entries.insert(at, (seq, start, bytes.len()));
        true
    }

    fn first_seq(&self) -> Option<u64> {
        self.entries.first().map(|e| e.0)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.buf.clear();
    }
}

/// One FIX session: the protocol state machine.
#[derive(Debug)]
pub struct Session {
    core: Core,
    dict: Arc<Dictionary>,
    validator: Validator,
    parser: Option<Parser>,
    hold: HoldQueue,
    scratch: Vec<u8>,
    state: State,
    heartbeat_secs: u32,
    connected_at: UtcTimestamp,
    last_received: UtcTimestamp,
    test_requests: u32,
    logout_deadline: UtcTimestamp,
    /// Inbound range we asked for: (begin, last missing).
    resend_range: Option<(u64, u64)>,
    /// We sent Logon with 141=Y and await the answer.
    sent_reset: bool,
    /// The inbound number expected before the message being processed was
    /// journaled (journaling an in-sequence message advances the store's
    /// counter, so the sequence checks cannot read it from the store).
    expected_in: u64,
}

/// What the sequence checks decided.
enum Verify {
    Proceed,
    Stop,
}

type R = Result<(), JournalError>;

fn io(e: SendError) -> JournalError {
    match e {
        SendError::Store(j) => j,
        // Encoding an admin message or echo cannot fail for size with the
        // configured message_size_max unless the config is absurd; treat it
        // as a store-level failure of this session so it stops cleanly.
        other => JournalError::Config(other.to_string()),
    }
}

fn ts(t: UtcTimestamp) -> i64 {
    t.unix_nanos()
}

impl Session {
    /// A session with its buffers allocated.
    pub fn new(cfg: SessionConfig, dict: Arc<Dictionary>) -> Result<Session, String> {
        let validator = Validator::new(&dict, cfg.validation);
        let parser = Parser::new(dict.parse_spec().clone(), FIELDS_MAX_DEFAULT);
        let hold = HoldQueue::new(
            cfg.resend.queue_capacity,
            cfg.resend.queue_capacity.saturating_mul(512).max(64 * 1024),
        );
        let scratch = Vec::with_capacity(cfg.message_size_max);
        let heartbeat_secs = cfg.heartbeat_secs;
        let core = Core::new(cfg).map_err(|e| e.to_string())?;
        let zero = UtcTimestamp::from_unix_nanos(0);
        Ok(Session {
            core,
            dict,
            validator,
            parser: Some(parser),
            hold,
            scratch,
            state: State::Disconnected,
            heartbeat_secs,
            connected_at: zero,
            last_received: zero,
            test_requests: 0,
            logout_deadline: zero,
            resend_range: None,
            sent_reset: false,
            expected_in: 1,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.core.cfg
    }

    /// The dictionary in use.
    pub fn dictionary(&self) -> &Arc<Dictionary> {
        &self.dict
    }

    /// Where the session is.
    pub fn state(&self) -> State {
        self.state
    }

    /// True once Logon is exchanged and until Logout or disconnect.
    pub fn is_logged_on(&self) -> bool {
        matches!(self.state, State::Active | State::LogoutSent)
    }

    /// The HeartBtInt in force.
    pub fn heartbeat_secs(&self) -> u32 {
        self.heartbeat_secs
    }

    /// Counters.
    pub fn counters(&self) -> &Counters {
        &self.core.counters
    }

    /// A connection is up. An initiator sends its Logon.
    pub fn connected(&mut self, now: UtcTimestamp, store: &mut dyn SessionStore, out: &mut Outbox) {
        self.state = State::AwaitingLogon;
        self.connected_at = now;
        self.last_received = now;
        self.test_requests = 0;
        self.resend_range = None;
        self.hold.clear();
        self.sent_reset = false;
        if self.core.cfg.role == Role::Initiator {
            self.heartbeat_secs = self.core.cfg.heartbeat_secs;
            let r = self.send_logon(now, store, out, self.core.cfg.reset_on_logon);
            self.check(r, out);
        }
    }

    /// The connection is gone (whatever closed it). Applies
    /// `reset_on_disconnect` and emits the event.
    pub fn disconnected(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        reason: DisconnectReason,
        out: &mut Outbox,
    ) {
        if self.state == State::Disconnected {
            return;
        }
        self.state = State::Disconnected;
        self.core.logged_on = false;
        self.hold.clear();
        self.resend_range = None;
        self.core.counters.disconnects += 1;
        self.core.counters.disconnects_by_reason[reason.index()] += 1;
        if self.core.cfg.reset_on_disconnect {
            let r = store.reset(now, "reset_on_disconnect");
            if r.is_err() {
                out.set_disconnect(DisconnectReason::Store);
            }
        }
        out.event(Event::Disconnected(reason));
    }

    /// Starts a Logout (our side). The connection closes when the answer
    /// comes or after `logout_timeout_secs`.
    pub fn logout(
        &mut self,
        now: UtcTimestamp,
        text: Option<&str>,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
    ) {
        match self.state {
            State::Active => {
                let r = self.send_logout(now, store, out, text.map(str::as_bytes));
                self.check(r, out);
            }
            State::AwaitingLogon => out.set_disconnect(DisconnectReason::Shutdown),
            State::LogoutSent | State::Disconnected => {}
        }
    }

    /// Sends an application message (the order path's entry point).
    pub fn send(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg_type: &[u8],
        extra_header: &[(tags::Tag, &[u8])],
        body: &mut dyn FnMut(&mut crate::codec::MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        if self.state != State::Active {
            return Err(SendError::NotLoggedOn);
        }
        self.core
            .send(now, store, out, msg_type, extra_header, body)
    }

    /// Runs the application's duty cycle ([`Application::poll`]) with a
    /// [`Responder`] on this session. Returns the work done.
    pub fn poll_app(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
    ) -> usize {
        let mut tx = Responder {
            core: &mut self.core,
            store,
            out,
            now,
        };
        app.poll(now, &mut tx)
    }

    /// Lets `app` send what it has queued for this session (see
    /// [`Application::has_queued`]): only while the session is logged on
    /// and not logging out; otherwise nothing is called. Messages go through
    /// [`Responder`] as replies do (journaled, then queued in `out`).
    pub fn send_queued(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
    ) {
        if self.state != State::Active {
            return;
        }
        let mut tx = Responder {
            core: &mut self.core,
            store,
            out,
            now,
        };
        app.send_queued(now, &mut tx);
    }

    /// Timers: heartbeat, TestRequest, heartbeat timeout, logon and logout
    /// timeouts. Call at least a few times per second.
    pub fn on_tick(&mut self, now: UtcTimestamp, store: &mut dyn SessionStore, out: &mut Outbox) {
        match self.state {
            State::Disconnected => {}
            State::AwaitingLogon => {
                if ts(now) - ts(self.connected_at)
                    >= self.core.cfg.logon_timeout_secs as i64 * NANOS
                {
                    out.set_disconnect(DisconnectReason::LogonTimeout);
                }
            }
            State::LogoutSent => {
                if ts(now) >= ts(self.logout_deadline) {
                    out.set_disconnect(DisconnectReason::LogoutTimeout);
                }
            }
            State::Active => {
                let hb = self.heartbeat_secs as i64 * NANOS;
                if hb == 0 {
                    return;
                }
                let silence = ts(now) - ts(self.last_received);
                let limit = hb + hb * self.core.cfg.test_request_margin_pct as i64 / 100;
                if silence >= limit * 2 {
                    out.set_disconnect(DisconnectReason::HeartbeatTimeout);
                    return;
                }
                if silence >= limit * (self.test_requests as i64 + 1) {
                    self.test_requests += 1;
                    let r = self.core.admin(now, store, out, b"1", &[], &mut |w| {
                        w.str(tags::TEST_REQ_ID, b"TEST");
                    });
                    self.check(r.map(|_| ()).map_err(io), out);
                    return;
                }
                if ts(now) - ts(self.core.last_sent) >= hb && self.test_requests == 0 {
                    let r = self.core.admin(now, store, out, b"0", &[], &mut |_| {});
                    self.check(r.map(|_| ()).map_err(io), out);
                }
            }
        }
    }

    /// Garbled input (framing or parsing failed): ignored once logged on,
    /// as the spec says; before Logon the connection is dropped.
    pub fn on_garbled(&mut self, _now: UtcTimestamp, out: &mut Outbox) {
        self.core.counters.garbled += 1;
        out.event(Event::Ignored(Ignored::Garbled));
        if self.state == State::AwaitingLogon {
            out.set_disconnect(DisconnectReason::Garbled);
        }
    }

    /// One framed, parsed message from the counterparty.
    pub fn on_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
    ) {
        if self.state == State::Disconnected {
            return;
        }
        self.last_received = now;
        self.test_requests = 0;
        self.core.counters.received += 1;
        let r = self.process(now, msg, store, app, out, false);
        self.check(r, out);
        if out.disconnect().is_none() {
            let r = self.drain(now, store, app, out);
            self.check(r, out);
        }
    }

    fn check(&mut self, r: R, out: &mut Outbox) {
        if r.is_err() {
            out.set_disconnect(DisconnectReason::Store);
        }
    }

    /// Processes held messages that are now next in sequence.
    fn drain(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
    ) -> R {
        while let Some(seq) = self.hold.first_seq() {
            if !self.is_logged_on() || out.disconnect().is_some() {
                break;
            }
            let expected = store.next_in();
            if seq > expected {
                // A further gap: ask again if the last request is done.
                if self.resend_range.is_none() {
                    self.request_resend(now, store, out, expected, seq)?;
                }
                break;
            }
            let (s, start, len) = self.hold.entries.remove(0);
            if s < expected {
                continue;
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            scratch.extend_from_slice(&self.hold.buf[start..start + len]);
            if self.hold.entries.is_empty() {
                self.hold.buf.clear();
            }
            let mut parser = self.parser.take().expect("parser is returned after use");
            let r = match parser.parse(&scratch) {
                Ok(m) => {
                    store.set_next_in(seq + 1, now, "held message processed")?;
                    self.process(now, &m, store, app, out, true)
                }
                Err(_) => Ok(()),
            };
            self.parser = Some(parser);
            self.scratch = scratch;
            r?;
        }
        if self.hold.entries.is_empty() {
            self.hold.buf.clear();
        }
        Ok(())
    }

    #[allow(clippy::too_many_lines)]
    fn process(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
        held: bool,
    ) -> R {
        let msg_type = msg.msg_type();
        // Looked up anywhere, not only in the header: a MsgSeqNum placed
        // after a body field is still sequenced, then rejected (373=14).
        let Ok(seq) = msg.require(tags::MSG_SEQ_NUM).and_then(|f| f.as_u64()) else {
            // No usable MsgSeqNum: nothing can be sequenced or referenced.
            self.on_garbled(now, out);
            return Ok(());
        };
        let is_logon = msg_type == MsgType::Logon.as_bytes();

        if msg.begin_string() != self.core.cfg.begin_string.as_bytes() {
            if self.state != State::Active {
                out.set_disconnect(DisconnectReason::IncorrectBeginString);
                return Ok(());
            }
            if !held {
                let advances = seq == store.next_in();
                store.record_in(seq, msg_type, now, msg.as_bytes(), advances)?;
            }
            return self.send_logout(now, store, out, Some(b"Incorrect BeginString"));
        }

        if self.state == State::AwaitingLogon && !is_logon {
            if msg_type == MsgType::Logout.as_bytes() {
                // Our Logon was refused: learn why (e.g. sequence too low).
                self.peer_logout(now, msg, store, out)?;
                return Ok(());
            }
            out.set_disconnect(DisconnectReason::NotLogon);
            return Ok(());
        }

        if is_logon {
            return self.on_logon(now, msg, seq, store, app, out);
        }

        // Journal on arrival: in-order messages advance the counter. A held
        // message is next by construction (`drain` moved the counter).
        self.expected_in = if held { seq } else { store.next_in() };
        let is_seq_reset = msg_type == MsgType::SequenceReset.as_bytes();
        if !held {
            let advances = seq == store.next_in() && !is_seq_reset;
            store.record_in(seq, msg_type, now, msg.as_bytes(), advances)?;
        }

        if let Err(rej) = self.validator.validate(&self.dict, msg) {
            self.send_reject(now, store, out, msg, seq, &rej)?;
            return Ok(());
        }

        match MsgType::from_bytes(msg_type) {
            Some(MsgType::Logout) => {
                if let Verify::Stop = self.verify(now, msg, seq, false, false, store, out)? {
                    return Ok(());
                }
                self.peer_logout(now, msg, store, out)
            }
            Some(MsgType::SequenceReset) => self.on_sequence_reset(now, msg, seq, store, out),
            Some(MsgType::ResendRequest) => {
                if let Verify::Stop = self.verify(now, msg, seq, false, false, store, out)? {
                    return Ok(());
                }
                self.serve_resend(now, msg, store, out)?;
                let expected = store.next_in();
                if seq > expected && self.resend_range.is_none() {
                    self.request_resend(now, store, out, expected, seq)?;
                }
                Ok(())
            }
            Some(MsgType::Reject) => {
                if let Verify::Stop = self.verify(now, msg, seq, false, true, store, out)? {
                    return Ok(());
                }
                self.core.counters.rejects_received += 1;
                let ref_seq = msg
                    .get(tags::REF_SEQ_NUM)
                    .and_then(|f| f.as_u64().ok())
                    .unwrap_or(0);
                out.event(Event::RejectReceived { ref_seq });
                Ok(())
            }
            Some(MsgType::Heartbeat) => {
                self.verify(now, msg, seq, true, true, store, out)?;
                Ok(())
            }
            Some(MsgType::TestRequest) => {
                if let Verify::Stop = self.verify(now, msg, seq, true, true, store, out)? {
                    return Ok(());
                }
                let id = msg.get(tags::TEST_REQ_ID).map(|f| f.value()).unwrap_or(b"");
                self.core
                    .admin(now, store, out, b"0", &[], &mut |w| {
                        w.str(tags::TEST_REQ_ID, id);
                    })
                    .map_err(io)?;
                Ok(())
            }
            _ => {
                if let Verify::Stop = self.verify(now, msg, seq, true, true, store, out)? {
                    return Ok(());
                }
                let dict = Arc::clone(&self.dict);
                let verdict = {
                    let mut tx = Responder {
                        core: &mut self.core,
                        store: &mut *store,
                        out: &mut *out,
                        now,
                    };
                    app.on_message(now, msg, &dict, &mut tx)
                };
                match verdict {
                    Verdict::Accepted => Ok(()),
                    Verdict::Unsupported => self
                        .core
                        .business_reject(now, store, out, msg, seq, 3, "Unsupported Message Type")
                        .map(|_| ())
                        .map_err(io),
                    Verdict::BusinessReject { reason, text } => self
                        .core
                        .business_reject(now, store, out, msg, seq, reason, text)
                        .map(|_| ())
                        .map_err(io),
                }
            }
        }
    }

    /// SendingTime, CompIDs, then the sequence number (too high: hold and
    /// ask for the gap; too low: PossDup duplicate or a fatal error).
    #[allow(clippy::too_many_arguments)]
    fn verify(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        seq: u64,
        check_high: bool,
        check_low: bool,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
    ) -> Result<Verify, JournalError> {
        let cfg = &self.core.cfg;
        let fatal = if cfg.check_latency && !self.good_time(now, msg) {
            Some(SessionRejectReason::SendingTimeAccuracyProblem)
        } else if cfg.check_comp_id && !self.good_comp_ids(msg) {
            Some(SessionRejectReason::CompIdProblem)
        } else {
            None
        };
        if let Some(reason) = fatal {
            // Reject, then Logout: the spec's answer to both.
            let rej = Rejection {
                reason,
                ref_tag: None,
            };
            self.send_reject(now, store, out, msg, seq, &rej)?;
            self.send_logout(now, store, out, None)?;
            return Ok(Verify::Stop);
        }
        let expected = self.expected_in;
        if check_high && seq > expected {
            if self.hold.hold(seq, msg.as_bytes()) {
                self.core.counters.queued += 1;
            } else {
                self.core.counters.queue_overflows += 1;
                out.event(Event::Ignored(Ignored::QueueFull));
            }
            let already = self.resend_range.is_some_and(|(b, _)| seq >= b);
            if !already {
                self.request_resend(now, store, out, expected, seq)?;
            }
            return Ok(Verify::Stop);
        }
        if check_low && seq < expected {
            let poss_dup = msg
                .header()
                .get(tags::POSS_DUP_FLAG)
                .is_some_and(|f| f.value() == b"Y");
            if !poss_dup {
                let mut text = [0u8; 96];
                let n = too_low_text(&mut text, expected, seq);
                self.send_logout(now, store, out, Some(&text[..n]))?;
                out.set_disconnect(DisconnectReason::SeqTooLow {
                    expected,
                    received: seq,
                });
                return Ok(Verify::Stop);
            }
            return self.poss_dup_check(now, msg, seq, store, out, true);
        }
        // PossDup with the expected number: still check OrigSendingTime.
        if let Verify::Stop = self.poss_dup_check(now, msg, seq, store, out, false)? {
            return Ok(Verify::Stop);
        }
        if let Some((_, last)) = self.resend_range {
            if seq >= last {
                self.resend_range = None;
                self.next_chunk(now, store, out, seq)?;
            }
        }
        Ok(Verify::Proceed)
    }

    /// The PossDup rules: OrigSendingTime required and not after
    /// SendingTime. A duplicate (`too_low`) that passes is ignored.
    fn poss_dup_check(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        seq: u64,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        too_low: bool,
    ) -> Result<Verify, JournalError> {
        let header = msg.header();
        let poss_dup = header
            .get(tags::POSS_DUP_FLAG)
            .is_some_and(|f| f.value() == b"Y");
        if !poss_dup {
            return Ok(Verify::Proceed);
        }
        // A SequenceReset-GapFill carries no original to compare with.
        if msg.msg_type() != MsgType::SequenceReset.as_bytes() {
            match header.get(tags::ORIG_SENDING_TIME) {
                None => {
                    let rej = Rejection {
                        reason: SessionRejectReason::RequiredTagMissing,
                        ref_tag: Some(RefTagId::from_tag(tags::ORIG_SENDING_TIME)),
                    };
                    self.send_reject(now, store, out, msg, seq, &rej)?;
                    return Ok(Verify::Stop);
                }
                Some(orig) => {
                    let sending = header
                        .get(tags::SENDING_TIME)
                        .and_then(|f| f.as_timestamp().ok());
                    if let (Ok((o, _)), Some((s, _))) = (orig.as_timestamp(), sending) {
                        if o > s {
                            let rej = Rejection {
                                reason: SessionRejectReason::SendingTimeAccuracyProblem,
                                ref_tag: None,
                            };
                            self.send_reject(now, store, out, msg, seq, &rej)?;
                            self.send_logout(now, store, out, None)?;
                            return Ok(Verify::Stop);
                        }
                    }
                }
            }
        }
        if too_low {
            self.core.counters.duplicates += 1;
            out.event(Event::Ignored(Ignored::Duplicate));
            return Ok(Verify::Stop);
        }
        Ok(Verify::Proceed)
    }

    fn good_time(&self, now: UtcTimestamp, msg: &Message<'_>) -> bool {
        let Some(f) = msg.header().get(tags::SENDING_TIME) else {
            return false;
        };
        // The validator has usually parsed these very bytes already.
        let t = match self.validator.parsed_sending_time(f.value()) {
            Some(t) => t,
            None => match f.as_timestamp() {
                Ok((t, _)) => t,
                Err(_) => return false,
            },
        };
        let diff = (ts(now) - ts(t)).abs();
        diff <= self.core.cfg.max_latency_secs as i64 * NANOS
    }

    fn good_comp_ids(&self, msg: &Message<'_>) -> bool {
        let h = msg.header();
        let cfg = &self.core.cfg;
        h.get(tags::SENDER_COMP_ID)
            .is_some_and(|f| f.value() == cfg.target_comp_id.as_bytes())
            && h.get(tags::TARGET_COMP_ID)
                .is_some_and(|f| f.value() == cfg.sender_comp_id.as_bytes())
    }

    fn send_reject(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg: &Message<'_>,
        seq: u64,
        rej: &Rejection,
    ) -> R {
        out.event(Event::RejectSent {
            ref_seq: seq,
            reason: rej.reason,
        });
        self.core
            .reject(now, store, out, msg, seq, rej)
            .map(|_| ())
            .map_err(io)
    }

    fn send_logout(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        text: Option<&[u8]>,
    ) -> R {
        if self.state == State::LogoutSent {
            return Ok(());
        }
        self.core
            .admin(now, store, out, b"5", &[], &mut |w| {
                if let Some(t) = text {
                    w.str(tags::TEXT, t);
                }
            })
            .map_err(io)?;
        self.state = State::LogoutSent;
        self.logout_deadline = UtcTimestamp::from_unix_nanos(
            ts(now) + self.core.cfg.logout_timeout_secs as i64 * NANOS,
        );
        Ok(())
    }

    /// The counterparty's Logout: answer it (unless it answers ours), apply
    /// `reset_on_logout`, and close. A "MsgSeqNum too low, expecting N"
    /// text runs the lost-store policy.
    fn peer_logout(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
    ) -> R {
        let text = msg.get(tags::TEXT).map(|f| f.value()).unwrap_or(b"");
        let ours = self.state == State::LogoutSent;
        if self.state == State::Active {
            self.core
                .admin(now, store, out, b"5", &[], &mut |_| {})
                .map_err(io)?;
        }
        if let Some(expected) = parse_expecting(text) {
            let sent = store.next_out().saturating_sub(1);
            // `expected == sent + 1` heals by itself: the refused Logon used
            // a number, so the next Logon carries the expected one.
            if expected > sent + 1 {
                match self.core.cfg.seq_too_low_policy {
                    SeqTooLowPolicy::Alert => out.event(Event::SeqTooLowAlert {
                        expected,
                        received: sent,
                    }),
                    SeqTooLowPolicy::Auto => {
                        let from = store.next_out();
                        store.set_next_out(
                            expected,
                            now,
                            "seq_too_low_policy=auto: counterparty expects this MsgSeqNum",
                        )?;
                        out.event(Event::SeqTooLowRecovered { from, to: expected });
                    }
                }
                out.set_disconnect(DisconnectReason::PeerSaysSeqTooLow {
                    expected,
                    received: sent,
                });
            }
        }
        if self.core.cfg.reset_on_logout {
            store.reset(now, "reset_on_logout")?;
        }
        out.set_disconnect(if ours {
            DisconnectReason::LocalLogout
        } else {
            DisconnectReason::PeerLogout(Text::new(text))
        });
        Ok(())
    }

    fn request_resend(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        begin: u64,
        received: u64,
    ) -> R {
        let chunk = self.core.cfg.resend.request_chunk;
        let last_missing = received - 1;
        let (end_field, last) = if chunk == 0 || last_missing - begin < chunk {
            (0, last_missing)
        } else {
            let e = begin + chunk - 1;
            (e, e)
        };
        self.core
            .admin(now, store, out, b"2", &[], &mut |w| {
                w.uint(tags::BEGIN_SEQ_NO, begin)
                    .uint(tags::END_SEQ_NO, end_field);
            })
            .map_err(io)?;
        self.core.counters.resend_requests_sent += 1;
        self.resend_range = Some((begin, last));
        out.event(Event::GapDetected {
            expected: begin,
            received,
        });
        Ok(())
    }

    /// After a chunk completes: ask for the next one if messages are still held beyond it.
    fn next_chunk(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        seq: u64,
    ) -> R {
        if let Some(first) = self.hold.first_seq() {
            if first > seq + 1 {
                return self.request_resend(now, store, out, seq + 1, first);
            }
        }
        Ok(())
    }

    fn on_sequence_reset(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        seq: u64,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
    ) -> R {
        let gap_fill = msg
            .get(tags::GAP_FILL_FLAG)
            .is_some_and(|f| f.value() == b"Y");
        if let Verify::Stop = self.verify(now, msg, seq, gap_fill, gap_fill, store, out)? {
            return Ok(());
        }
        let Some(Ok(new_seq)) = msg.get(tags::NEW_SEQ_NO).map(|f| f.as_u64()) else {
            return Ok(()); // the validator already required it
        };
        let expected = store.next_in();
        if new_seq > expected {
            store.set_next_in(
                new_seq,
                now,
                if gap_fill {
                    "SequenceReset-GapFill"
                } else {
                    "SequenceReset-Reset"
                },
            )?;
            out.event(Event::SequenceReset { new_seq, gap_fill });
            if let Some((_, last)) = self.resend_range {
                if new_seq > last {
                    self.resend_range = None;
                    self.next_chunk(now, store, out, new_seq - 1)?;
                }
            }
        } else if new_seq < expected {
            let rej = Rejection {
                reason: SessionRejectReason::ValueIsIncorrect,
                ref_tag: Some(RefTagId::from_tag(tags::NEW_SEQ_NO)),
            };
            self.send_reject(now, store, out, msg, seq, &rej)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn on_logon(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        seq: u64,
        store: &mut dyn SessionStore,
        app: &mut dyn Application,
        out: &mut Outbox,
    ) -> R {
        let _ = app;
        let reset_flag = msg
            .get(tags::RESET_SEQ_NUM_FLAG)
            .is_some_and(|f| f.value() == b"Y");
        let acceptor = self.core.cfg.role == Role::Acceptor;
        match self.state {
            State::AwaitingLogon => {}
            State::Active if reset_flag && acceptor => {
                // A reset mid-session: both sides start again at 1.
            }
            _ => {
                out.set_disconnect(DisconnectReason::Protocol("Logon while logged on"));
                return Ok(());
            }
        }
        if let Err(rej) = self.validator.validate(&self.dict, msg) {
            let _ = rej;
            out.set_disconnect(DisconnectReason::BadLogon("invalid Logon message"));
            return Ok(());
        }
        let cfg = &self.core.cfg;
        if cfg.check_latency && !self.good_time(now, msg) {
            out.set_disconnect(DisconnectReason::BadLogon("SendingTime accuracy problem"));
            return Ok(());
        }
        if !self.good_comp_ids(msg) {
            out.set_disconnect(DisconnectReason::BadLogon("CompID problem"));
            return Ok(());
        }
        if acceptor {
            if let Some(user) = &cfg.username {
                let u = msg.get(tags::USERNAME).map(|f| f.value());
                let p = msg.get(tags::PASSWORD).map(|f| f.value());
                let want_p = cfg.password.as_deref().map(str::as_bytes);
                if u != Some(user.as_bytes()) || (want_p.is_some() && p != want_p) {
                    out.set_disconnect(DisconnectReason::AuthenticationFailed);
                    return Ok(());
                }
            }
        }
        let Some(Ok(hb)) = msg.get(tags::HEART_BT_INT).map(|f| f.as_u64()) else {
            out.set_disconnect(DisconnectReason::BadLogon("HeartBtInt missing"));
            return Ok(());
        };
        let mut did_reset = false;
        if acceptor {
            if reset_flag || self.core.cfg.reset_on_logon {
                store.reset(now, "Logon with reset")?;
                did_reset = true;
            }
        } else if reset_flag && !self.sent_reset {
            store.reset(now, "counterparty reset on Logon")?;
            did_reset = true;
        }
        let expected = store.next_in();
        if seq < expected && !reset_flag {
            let mut text = [0u8; 96];
            let n = too_low_text(&mut text, expected, seq);
            if acceptor {
                // Not logged on: answer with a Logout so the peer knows why.
                self.core
                    .admin(now, store, out, b"5", &[], &mut |w| {
                        w.str(tags::TEXT, &text[..n]);
                    })
                    .map_err(io)?;
            } else {
                self.send_logout(now, store, out, Some(&text[..n]))?;
            }
            out.set_disconnect(DisconnectReason::SeqTooLow {
                expected,
                received: seq,
            });
            return Ok(());
        }
        let advances = seq == expected;
        store.record_in(seq, b"A", now, msg.as_bytes(), advances)?;
        if acceptor {
            self.heartbeat_secs = hb.min(u32::MAX as u64) as u32;
            let reply_reset = reset_flag;
            self.send_logon(now, store, out, reply_reset)?;
        }
        // An initiator that sent 141=Y reset when it sent its Logon.
        did_reset |= self.sent_reset;
        self.sent_reset = false;
        self.state = State::Active;
        self.core.logged_on = true;
        self.core.counters.logons += 1;
        out.event(Event::LoggedOn {
            reset: did_reset,
            heartbeat_secs: self.heartbeat_secs,
        });
        // NextExpectedMsgSeqNum: what the counterparty is missing from us.
        if let Some(Ok(next_expected)) =
            msg.get(tags::NEXT_EXPECTED_MSG_SEQ_NUM).map(|f| f.as_u64())
        {
            // Our Logon (the initiator's sent on connect, the acceptor's
            // answer just now) is the last message we sent; it has been
            // received and is not part of the resend.
            let our_logon = store.next_out().saturating_sub(1);
            if next_expected < our_logon {
                self.serve_range(now, store, out, next_expected, our_logon - 1)?;
            }
        }
        if seq > expected && !reset_flag {
            self.request_resend(now, store, out, expected, seq)?;
        }
        Ok(())
    }

    fn send_logon(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        reset: bool,
    ) -> R {
        let initiator = self.core.cfg.role == Role::Initiator;
        if reset && initiator {
            store.reset(now, "reset_on_logon")?;
            self.sent_reset = true;
        }
        let hb = self.heartbeat_secs as u64;
        let next_in = store.next_in();
        let send_789 = self.core.cfg.send_next_expected_seq_num;
        let user = if initiator {
            self.core.cfg.username.clone()
        } else {
            None
        };
        let pass = if initiator {
            self.core.cfg.password.clone()
        } else {
            None
        };
        self.core
            .admin(now, store, out, b"A", &[], &mut |w| {
                w.uint(tags::ENCRYPT_METHOD, 0).uint(tags::HEART_BT_INT, hb);
                if reset {
                    w.str(tags::RESET_SEQ_NUM_FLAG, b"Y");
                }
                if let Some(u) = &user {
                    w.str(tags::USERNAME, u.as_bytes());
                }
                if let Some(p) = &pass {
                    w.str(tags::PASSWORD, p.as_bytes());
                }
                if send_789 {
                    w.uint(tags::NEXT_EXPECTED_MSG_SEQ_NUM, next_in);
                }
            })
            .map_err(io)?;
        Ok(())
    }

    /// Answers a ResendRequest.
    fn serve_resend(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
    ) -> R {
        let begin = msg
            .get(tags::BEGIN_SEQ_NO)
            .and_then(|f| f.as_u64().ok())
            .unwrap_or(0);
        let end = msg
            .get(tags::END_SEQ_NO)
            .and_then(|f| f.as_u64().ok())
            .unwrap_or(0);
        self.core.counters.resend_requests_served += 1;
        let last_sent = store.next_out().saturating_sub(1);
        let mut end = if end == 0 || end > last_sent {
            last_sent
        } else {
            end
        };
        let cap = self.core.cfg.resend.serve_max.max(1);
        if end >= begin && end - begin >= cap {
            end = begin + cap - 1;
        }
        if begin == 0 || begin > end {
            out.event(Event::ResendServed {
                begin,
                end,
                resent: 0,
                gap_fills: 0,
            });
            return Ok(());
        }
        self.serve_range(now, store, out, begin, end)
    }

    /// Resends `begin..=end` from the store: application messages with
    /// PossDup=Y and OrigSendingTime, everything else (admin, policy,
    /// missing) as coalesced SequenceReset-GapFills.
    fn serve_range(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        begin: u64,
        end: u64,
    ) -> R {
        let mut parser = self.parser.take().expect("parser is returned after use");
        let core = &mut self.core;
        let mut cursor = begin;
        let mut gap_start: Option<u64> = None;
        let mut resent = 0u32;
        let mut gap_fills = 0u32;
        let mut failed = None;
        let result = store.outbound_range(begin, end, &mut |seq, bytes| {
            if failed.is_some() {
                return;
            }
            if seq > cursor && gap_start.is_none() {
                gap_start = Some(cursor);
            }
            cursor = seq + 1;
            let Ok(m) = parser.parse(bytes) else {
                gap_start.get_or_insert(seq);
                return;
            };
            if !resendable(&core.cfg, now, &m) {
                gap_start.get_or_insert(seq);
                return;
            }
            if let Some(g) = gap_start.take() {
                if let Err(e) = gap_fill(core, now, out, g, seq) {
                    failed = Some(e);
                    return;
                }
                gap_fills += 1;
            }
            if let Err(e) = resend(core, now, out, &m, seq) {
                failed = Some(e);
                return;
            }
            resent += 1;
        });
        self.parser = Some(parser);
        result?;
        if let Some(e) = failed {
            return Err(JournalError::Config(e.to_string()));
        }
        if cursor <= end && gap_start.is_none() {
            gap_start = Some(cursor);
        }
        if let Some(g) = gap_start {
            gap_fill(&mut self.core, now, out, g, end + 1)
                .map_err(|e| JournalError::Config(e.to_string()))?;
            gap_fills += 1;
        }
        self.core.counters.resent += resent as u64;
        self.core.counters.gap_fills_sent += gap_fills as u64;
        out.event(Event::ResendServed {
            begin,
            end,
            resent,
            gap_fills,
        });
        Ok(())
    }
}

/// Is a stored message resent as itself (not gap-filled)?
fn resendable(cfg: &SessionConfig, now: UtcTimestamp, m: &Message<'_>) -> bool {
    let t = m.msg_type();
    if MsgType::from_bytes(t).is_some_and(|mt| mt.is_admin()) {
        return false;
    }
    let policy = &cfg.resend;
    if policy.never_resend.iter().any(|k| k.as_bytes() == t) {
        return false;
    }
    if let Some((_, secs)) = policy
        .gap_fill_older_than
        .iter()
        .find(|(k, _)| k.as_bytes() == t)
    {
        if let Some(Ok((sent, _))) = m.header().get(tags::SENDING_TIME).map(|f| f.as_timestamp()) {
            if ts(now) - ts(sent) > *secs as i64 * NANOS {
                return false;
            }
        }
    }
    true
}

fn gap_fill(
    core: &mut Core,
    now: UtcTimestamp,
    out: &mut Outbox,
    seq: u64,
    new_seq: u64,
) -> Result<(), crate::codec::EncodeError> {
    let mut orig = [0u8; 32];
    let n = now.write(core.enc.precision(), &mut orig);
    let mut h = Header::new(
        b"4",
        seq,
        core.cfg.sender_comp_id.as_bytes(),
        core.cfg.target_comp_id.as_bytes(),
        now,
    );
    h.poss_dup = true;
    h.orig_sending_time = Some(&orig[..n]);
    let mut w = core.enc.start(&h);
    w.uint(tags::NEW_SEQ_NO, new_seq)
        .str(tags::GAP_FILL_FLAG, b"Y");
    out.push(w.finish()?);
    core.last_sent = now;
    Ok(())
}

fn resend(
    core: &mut Core,
    now: UtcTimestamp,
    out: &mut Outbox,
    m: &Message<'_>,
    seq: u64,
) -> Result<(), crate::codec::EncodeError> {
    let header = m.header();
    let orig = header
        .get(tags::SENDING_TIME)
        .map(|f| f.value())
        .unwrap_or(b"");
    let mut extra = [(0 as tags::Tag, &[][..]); 32];
    let mut n = 0;
    for f in header.iter() {
        if matches!(
            f.tag(),
            tags::BEGIN_STRING
                | tags::BODY_LENGTH
                | tags::MSG_TYPE
                | tags::MSG_SEQ_NUM
                | tags::POSS_DUP_FLAG
                | tags::SENDER_COMP_ID
                | tags::SENDING_TIME
                | tags::TARGET_COMP_ID
                | tags::ORIG_SENDING_TIME
        ) || n == extra.len()
        {
            continue;
        }
        extra[n] = (f.tag(), f.value());
        n += 1;
    }
    let mut h = Header::new(
        m.msg_type(),
        seq,
        core.cfg.sender_comp_id.as_bytes(),
        core.cfg.target_comp_id.as_bytes(),
        now,
    );
    h.poss_dup = true;
    h.orig_sending_time = Some(orig);
    h.extra = &extra[..n];
    let body = m.body().entries();
    let raw = m.as_bytes();
    let mut w = core.enc.start(&h);
    if let (Some(first), Some(last)) = (body.first(), body.last()) {
        w.raw_fields(&raw[first.start as usize..last.value_end as usize + 1]);
    }
    out.push(w.finish()?);
    core.last_sent = now;
    Ok(())
}

/// "MsgSeqNum too low, expecting X but received Y" into `buf`.
fn too_low_text(buf: &mut [u8; 96], expected: u64, received: u64) -> usize {
    use std::io::Write;
    let mut c = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(
        c,
        "MsgSeqNum too low, expecting {expected} but received {received}"
    );
    c.position() as usize
}

/// The N of a counterparty's "... expecting N ..." (QuickFIX and most
/// engines phrase "MsgSeqNum too low" this way).
pub fn parse_expecting(text: &[u8]) -> Option<u64> {
    let lower_has = |needle: &[u8]| {
        text.windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    };
    lower_has(b"too low")?;
    let at = lower_has(b"expect")?;
    let rest = &text[at..];
    let start = rest.iter().position(u8::is_ascii_digit)?;
    let digits = &rest[start..];
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}
