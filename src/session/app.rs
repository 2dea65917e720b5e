//! What sits above a session: the [`Application`] trait, and the two
//! built-in applications of `fixrail run` (`echo`, `none`).

use super::core::Core;
use super::outbox::Outbox;
use super::store::SessionStore;
use super::types::Event;
use crate::codec::tags::{self, Tag};
use crate::codec::{EncodeError, Message, MessageWriter, UtcTimestamp};
use crate::dictionary::Dictionary;
use crate::journal::JournalError;
use std::collections::HashSet;

/// The application's answer to an inbound application message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Taken.
    Accepted,
    /// Not a message this application handles: the session answers with a
    /// Business Message Reject (j), reason 3 "Unsupported Message Type".
    Unsupported,
    /// Refused at the business level: Business Message Reject (j).
    BusinessReject {
        /// BusinessRejectReason (380).
        reason: u32,
        /// Text (58).
        text: &'static str,
    },
}

/// Receives a session's application messages (in sequence order, each once)
/// and its events.
pub trait Application {
    /// An application message, in order. `tx` sends replies on the same session.
    fn on_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        dict: &Dictionary,
        tx: &mut Responder<'_>,
    ) -> Verdict;

    /// A session event (logon, disconnect with its reason, gaps, ...).
    fn on_event(&mut self, _now: UtcTimestamp, _event: &Event) {}

    /// The concrete application, for callers that know what they put behind
    /// a session (inspection in tests and tools). Default: not offered.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// The application's own duty cycle, called on every engine turn whether
    /// or not the session is logged on (drain strategy rings, timers).
    /// `tx.is_up()` says whether sending can succeed. Returns the work done.
    fn poll(&mut self, _now: UtcTimestamp, _tx: &mut Responder<'_>) -> usize {
        0
    }
    /// Whether the application has messages queued for this session that
    /// no inbound message on it prompted (a venue's fill for an order
    /// resting on this session, matched by another session's order). The
    /// driver asks once per turn and, while the session is logged on, calls
    /// [`Application::send_queued`] (through [`crate::session::Session::send_queued`])
    /// when it says yes. Must be cheap. Default: never.
    fn has_queued(&self) -> bool {
        false
    }

    /// Sends what [`Application::has_queued`] announced, through `tx` (this
    /// session, logged on). Default: nothing.
    fn send_queued(&mut self, _now: UtcTimestamp, _tx: &mut Responder<'_>) {}

    /// `TopOfBook` events this application has pushed to its strategy so
    /// far (the latency harness stamps the inbound message that made one);
    /// 0 for applications without market data.
    fn top_of_book_events(&self) -> u64 {
        0
    }
}

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The session is not logged on.
    #[error("session not logged on")]
    NotLoggedOn,
    /// The message could not be encoded.
    #[error("encode: {0}")]
    Encode(EncodeError),
    /// The journal failed; the message was not sent.
    #[error("journal: {0}")]
    Store(#[from] JournalError),
}

/// Sends messages on the session that delivered the current message.
#[derive(Debug)]
pub struct Responder<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) store: &'a mut dyn SessionStore,
    pub(crate) out: &'a mut Outbox,
    pub(crate) now: UtcTimestamp,
}

impl std::fmt::Debug for dyn SessionStore + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SessionStore(next_out {}, next_in {})",
            self.next_out(),
            self.next_in()
        )
    }
}

impl Responder<'_> {
    /// True when the session is logged on (a send can succeed).
    pub fn is_up(&self) -> bool {
        self.core.logged_on
    }

    /// The MsgSeqNum the next message sent through this responder will
    /// carry (request ids that must be unique on the journal use it).
    pub fn next_seq_out(&self) -> u64 {
        self.store.next_out()
    }

    /// Sends an application message: the session writes 8, 9, 35, 34, 49, 52,
    /// 56 and 10; `extra_header` (ascending tags) and the body come from the
    /// caller. Journaled before it is queued for the socket.
    pub fn send(
        &mut self,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        if !self.core.logged_on {
            return Err(SendError::NotLoggedOn);
        }
        self.core
            .send(self.now, self.store, self.out, msg_type, extra_header, body)
    }
}

/// Rejects every application message as unsupported.
#[derive(Debug, Default)]
pub struct NoApplication;

impl Application for NoApplication {
    fn on_message(
        &mut self,
        _: UtcTimestamp,
        _: &Message<'_>,
        _: &Dictionary,
        _: &mut Responder<'_>,
    ) -> Verdict {
        Verdict::Unsupported
    }
}

/// The application the QuickFIX acceptance scripts expect: NewOrderSingle
/// (D), SecurityDefinition (d) and Email (C) are sent back with every field
/// but the ones the session writes (8, 9, 34, 35, 49, 52, 56, 10) and the
/// resend markers of a fresh send (43, 122); header fields in ascending tag
/// order, body fields in ascending tag order with repeating groups kept
/// whole after their NumInGroup field. A D with PossResend=Y whose ClOrdID
/// was already seen since the last logout is dropped silently. Anything else
/// is unsupported.
///
/// A test and conformance tool: it allocates (the ClOrdID set).
#[derive(Debug, Default)]
pub struct EchoApplication {
    seen: HashSet<Vec<u8>>,
    units: Vec<(Tag, usize, usize)>,
}

const REFILLED: [Tag; 10] = [
    tags::BEGIN_STRING,
    tags::BODY_LENGTH,
    tags::MSG_TYPE,
    tags::MSG_SEQ_NUM,
    tags::SENDER_COMP_ID,
    tags::SENDING_TIME,
    tags::TARGET_COMP_ID,
    tags::CHECK_SUM,
    tags::POSS_DUP_FLAG,
    tags::ORIG_SENDING_TIME,
];

impl Application for EchoApplication {
    fn on_message(
        &mut self,
        _: UtcTimestamp,
        msg: &Message<'_>,
        dict: &Dictionary,
        tx: &mut Responder<'_>,
    ) -> Verdict {
        let msg_type = msg.msg_type();
        if !matches!(msg_type, b"D" | b"d" | b"C") {
            return Verdict::Unsupported;
        }
        if msg_type == b"D" {
            let id = msg.get(tags::CL_ORD_ID).map(|f| f.value()).unwrap_or(b"");
            let poss_resend = msg
                .header()
                .get(tags::POSS_RESEND)
                .is_some_and(|f| f.value() == b"Y");
            let fresh = self.seen.insert(id.to_vec());
            if poss_resend && !fresh {
                return Verdict::Accepted;
            }
        }
        let raw = msg.as_bytes();
        // Header extras, ascending (values borrowed from the message).
        let mut extra: Vec<(Tag, &[u8])> = msg
            .header()
            .iter()
            .filter(|f| !REFILLED.contains(&f.tag()))
            .map(|f| (f.tag(), f.value()))
            .collect();
        extra.sort_by_key(|(t, _)| *t);
        // Body units: a field, or a group's NumInGroup with its instances.
        let body = msg.body();
        let entries = body.entries();
        let scope = dict.message(msg_type).map(|m| &m.body);
        self.units.clear();
        let mut i = 0;
        while i < entries.len() {
            let tag = entries[i].tag;
            let mut end = i + 1;
            if let Some(g) = scope.and_then(|s| s.group(tag)) {
                while end < entries.len()
                    && crate::codec::GroupLayout::is_member(g, entries[end].tag)
                {
                    end += 1;
                }
            }
            let start = entries[i].start as usize;
            let stop = entries[end - 1].value_end as usize + 1;
            self.units.push((tag, start, stop));
            i = end;
        }
        self.units.sort_by_key(|u| u.0);
        let units = &self.units;
        let r = tx.send(msg_type, &extra, &mut |w| {
            for &(_, s, e) in units {
                w.raw_fields(&raw[s..e]);
            }
        });
        match r {
            Ok(_) => Verdict::Accepted,
            Err(_) => Verdict::BusinessReject {
                reason: 0,
                text: "Could not echo the message",
            },
        }
    }

    fn on_event(&mut self, _: UtcTimestamp, event: &Event) {
        if matches!(event, Event::Disconnected(_)) {
            self.seen.clear();
        }
    }
}
