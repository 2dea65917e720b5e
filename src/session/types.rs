//! The session's settings, outputs and reasons: plain data, no logic.

use crate::codec::TimePrecision;
use crate::dictionary::{SessionRejectReason, ValidationConfig};
use std::fmt;

/// Which side opens the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Connects out and sends the first Logon.
    Initiator,
    /// Listens and answers the counterparty's Logon.
    Acceptor,
}

/// What to do when the counterparty says our MsgSeqNum is too low
/// ("MsgSeqNum too low, expecting N but received M"), typically after our
/// store was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeqTooLowPolicy {
    /// Stop reconnecting, raise an alert with both numbers. A person decides.
    #[default]
    Alert,
    /// Continue at N (the counterparty has everything below it), write an
    /// audit record, reconnect and let the normal gap recovery run.
    Auto,
}

/// A MsgType as a small inline key (config-time lists, no allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgTypeKey {
    bytes: [u8; 4],
    len: u8,
}

impl MsgTypeKey {
    /// From text of 1 to 4 bytes.
    pub fn new(msg_type: &[u8]) -> Option<MsgTypeKey> {
        if msg_type.is_empty() || msg_type.len() > 4 {
            return None;
        }
        let mut bytes = [0u8; 4];
        bytes[..msg_type.len()].copy_from_slice(msg_type);
        Some(MsgTypeKey {
            bytes,
            len: msg_type.len() as u8,
        })
    }

    /// The MsgType text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

/// How ResendRequests are sent and served.
#[derive(Debug, Clone, PartialEq)]
pub struct ResendPolicy {
    /// Largest range we ask for at once (0: everything, EndSeqNo=0).
    pub request_chunk: u64,
    /// Largest range we serve for one request; the rest is left to the
    /// counterparty's next request.
    pub serve_max: u64,
    /// Application messages of these types older than the given seconds
    /// are gap-filled instead of resent (a stale order must not reach a
    /// venue minutes late).
    pub gap_fill_older_than: Vec<(MsgTypeKey, u32)>,
    /// Types that are always gap-filled.
    pub never_resend: Vec<MsgTypeKey>,
    /// Messages held while a gap is being filled.
    pub queue_capacity: usize,
}

impl Default for ResendPolicy {
    fn default() -> Self {
        ResendPolicy {
            request_chunk: 0,
            serve_max: 100_000,
            gap_fill_older_than: Vec::new(),
            never_resend: Vec::new(),
            queue_capacity: 1024,
        }
    }
}

/// Everything a session needs to know about itself.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Name for logs and events.
    pub name: String,
    /// Initiator or acceptor.
    pub role: Role,
    /// BeginString (8).
    pub begin_string: String,
    /// Our CompID (49 on what we send).
    pub sender_comp_id: String,
    /// Their CompID (56 on what we send).
    pub target_comp_id: String,
    /// HeartBtInt we send as initiator (an acceptor takes the peer's).
    pub heartbeat_secs: u32,
    /// Reset both sequence numbers at every Logon (141=Y as initiator).
    pub reset_on_logon: bool,
    /// Reset after a completed Logout.
    pub reset_on_logout: bool,
    /// Reset when the connection drops.
    pub reset_on_disconnect: bool,
    /// Send NextExpectedMsgSeqNum (789) on Logon.
    pub send_next_expected_seq_num: bool,
    /// Reaction to the counterparty's "MsgSeqNum too low".
    pub seq_too_low_policy: SeqTooLowPolicy,
    /// Username (553): sent as initiator, required as acceptor when set.
    pub username: Option<String>,
    /// Password (554): same; never logged.
    pub password: Option<String>,
    /// Dictionary validation switches.
    pub validation: ValidationConfig,
    /// Check 49/56 of every message against the session.
    pub check_comp_id: bool,
    /// Check SendingTime against our clock.
    pub check_latency: bool,
    /// Allowed SendingTime difference, seconds.
    pub max_latency_secs: u32,
    /// Sub-second digits of SendingTime.
    pub timestamp_precision: TimePrecision,
    /// How long a Logon answer may take.
    pub logon_timeout_secs: u32,
    /// How long a Logout answer may take.
    pub logout_timeout_secs: u32,
    /// Silence beyond HeartBtInt × (1 + pct/100) triggers a TestRequest;
    /// twice that disconnects.
    pub test_request_margin_pct: u32,
    /// ResendRequest policy.
    pub resend: ResendPolicy,
    /// Largest message sent or held.
    pub message_size_max: usize,
}

impl SessionConfig {
    /// Defaults for a FIX 4.4 session between two CompIDs.
    pub fn new(role: Role, sender: &str, target: &str) -> SessionConfig {
        SessionConfig {
            name: format!("{sender}->{target}"),
            role,
            begin_string: "FIX.4.4".into(),
            sender_comp_id: sender.into(),
            target_comp_id: target.into(),
            heartbeat_secs: 30,
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            send_next_expected_seq_num: false,
            seq_too_low_policy: SeqTooLowPolicy::Alert,
            username: None,
            password: None,
            validation: ValidationConfig::default(),
            check_comp_id: true,
            check_latency: true,
            max_latency_secs: 120,
            timestamp_precision: TimePrecision::Millis,
            logon_timeout_secs: 10,
            logout_timeout_secs: 2,
            test_request_margin_pct: 20,
            resend: ResendPolicy::default(),
            message_size_max: 64 * 1024,
        }
    }
}

/// A short text carried in an event without allocating (truncated at 120 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Text {
    buf: [u8; 120],
    len: u8,
}

impl Text {
    /// Copies up to 120 bytes of `s`.
    pub fn new(s: &[u8]) -> Text {
        let mut buf = [0u8; 120];
        let n = s.len().min(buf.len());
        buf[..n].copy_from_slice(&s[..n]);
        Text { buf, len: n as u8 }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Why a connection ended (or must end). Counted and delivered to the
/// application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The counterparty logged out, with its Text (58).
    PeerLogout(Text),
    /// We logged out and the counterparty answered.
    LocalLogout,
    /// We logged out and no answer came in time.
    LogoutTimeout,
    /// No Logon answer in time.
    LogonTimeout,
    /// Silence after a TestRequest.
    HeartbeatTimeout,
    /// The counterparty's MsgSeqNum was below what we expect, without PossDup.
    SeqTooLow {
        /// What we expected.
        expected: u64,
        /// What came.
        received: u64,
    },
    /// The counterparty says ours is too low (our store was lost or behind).
    PeerSaysSeqTooLow {
        /// What it expects.
        expected: u64,
        /// What it received.
        received: u64,
    },
    /// A Logon we cannot accept (bad SendingTime, CompID, fields).
    BadLogon(&'static str),
    /// Username or password wrong.
    AuthenticationFailed,
    /// A second connection for a session already logged on.
    DuplicateSession,
    /// No configured session for the CompIDs.
    UnknownSession,
    /// The first message was not a Logon.
    NotLogon,
    /// Garbled data before the Logon.
    Garbled,
    /// A message with another BeginString.
    IncorrectBeginString,
    /// The counterparty broke the session protocol.
    Protocol(&'static str),
    /// The peer does not read fast enough: the send buffer overflowed.
    SlowConsumer,
    /// The socket failed or the peer closed it.
    Io(std::io::ErrorKind),
    /// The journal failed: we cannot promise persistence, so we stop.
    Store,
    /// The session schedule closed.
    EndOfSession,
    /// The engine is shutting down.
    Shutdown,
}

impl DisconnectReason {
    /// Every reason's short name, in [`DisconnectReason::index`] order.
    pub const KINDS: [&'static str; 20] = [
        "peer_logout",
        "local_logout",
        "logout_timeout",
        "logon_timeout",
        "heartbeat_timeout",
        "seq_too_low",
        "peer_says_seq_too_low",
        "bad_logon",
        "authentication_failed",
        "duplicate_session",
        "unknown_session",
        "not_logon",
        "garbled",
        "incorrect_begin_string",
        "protocol",
        "slow_consumer",
        "io",
        "store",
        "end_of_session",
        "shutdown",
    ];

    /// A small index per kind (for counters), into [`DisconnectReason::KINDS`].
    pub fn index(&self) -> usize {
        match self {
            DisconnectReason::PeerLogout(_) => 0,
            DisconnectReason::LocalLogout => 1,
            DisconnectReason::LogoutTimeout => 2,
            DisconnectReason::LogonTimeout => 3,
            DisconnectReason::HeartbeatTimeout => 4,
            DisconnectReason::SeqTooLow { .. } => 5,
            DisconnectReason::PeerSaysSeqTooLow { .. } => 6,
            DisconnectReason::BadLogon(_) => 7,
            DisconnectReason::AuthenticationFailed => 8,
            DisconnectReason::DuplicateSession => 9,
            DisconnectReason::UnknownSession => 10,
            DisconnectReason::NotLogon => 11,
            DisconnectReason::Garbled => 12,
            DisconnectReason::IncorrectBeginString => 13,
            DisconnectReason::Protocol(_) => 14,
            DisconnectReason::SlowConsumer => 15,
            DisconnectReason::Io(_) => 16,
            DisconnectReason::Store => 17,
            DisconnectReason::EndOfSession => 18,
            DisconnectReason::Shutdown => 19,
        }
    }

    /// The short name of this reason's kind (`heartbeat_timeout`, ...).
    pub fn kind(&self) -> &'static str {
        Self::KINDS[self.index()]
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::PeerLogout(t) if t.as_bytes().is_empty() => {
                f.write_str("peer logged out")
            }
            DisconnectReason::PeerLogout(t) => write!(f, "peer logged out: {t}"),
            DisconnectReason::LocalLogout => f.write_str("logged out"),
            DisconnectReason::LogoutTimeout => f.write_str("no Logout answer in time"),
            DisconnectReason::LogonTimeout => f.write_str("no Logon answer in time"),
            DisconnectReason::HeartbeatTimeout => f.write_str("heartbeat timeout"),
            DisconnectReason::SeqTooLow { expected, received } => write!(
                f,
                "MsgSeqNum too low, expecting {expected} but received {received}"
            ),
            DisconnectReason::PeerSaysSeqTooLow { expected, received } => write!(
                f,
                "counterparty says our MsgSeqNum is too low: it expects {expected}, we sent {received}"
            ),
            DisconnectReason::BadLogon(why) => write!(f, "bad logon: {why}"),
            DisconnectReason::AuthenticationFailed => f.write_str("authentication failed"),
            DisconnectReason::DuplicateSession => f.write_str("session already logged on"),
            DisconnectReason::UnknownSession => f.write_str("no session for these CompIDs"),
            DisconnectReason::NotLogon => f.write_str("first message was not a Logon"),
            DisconnectReason::Garbled => f.write_str("garbled data before Logon"),
            DisconnectReason::IncorrectBeginString => f.write_str("incorrect BeginString"),
            DisconnectReason::Protocol(why) => write!(f, "protocol error: {why}"),
            DisconnectReason::SlowConsumer => f.write_str("slow consumer: send buffer full"),
            DisconnectReason::Io(kind) => write!(f, "I/O: {kind}"),
            DisconnectReason::Store => f.write_str("journal error"),
            DisconnectReason::EndOfSession => f.write_str("end of session schedule"),
            DisconnectReason::Shutdown => f.write_str("shutdown"),
        }
    }
}

/// Something that happened, for logs, counters and the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Logon completed; `reset` when sequence numbers were reset.
    LoggedOn {
        /// Sequence numbers were reset by this Logon.
        reset: bool,
        /// Negotiated HeartBtInt.
        heartbeat_secs: u32,
    },
    /// The connection ended.
    Disconnected(DisconnectReason),
    /// An inbound gap: ResendRequest sent.
    GapDetected {
        /// First missing number.
        expected: u64,
        /// The number that revealed the gap.
        received: u64,
    },
    /// The counterparty asked for a resend; what we did.
    ResendServed {
        /// Requested begin.
        begin: u64,
        /// Last number covered.
        end: u64,
        /// Messages resent.
        resent: u32,
        /// Gap fills sent.
        gap_fills: u32,
    },
    /// We sent a session Reject.
    RejectSent {
        /// The rejected message's number.
        ref_seq: u64,
        /// Why.
        reason: SessionRejectReason,
    },
    /// The counterparty rejected one of ours.
    RejectReceived {
        /// RefSeqNum (45).
        ref_seq: u64,
    },
    /// Inbound number changed by SequenceReset.
    SequenceReset {
        /// The new expected number.
        new_seq: u64,
        /// GapFill mode.
        gap_fill: bool,
    },
    /// The counterparty says our numbers are too low; policy `alert`: a
    /// person must decide. The session stops reconnecting.
    SeqTooLowAlert {
        /// What the counterparty expects.
        expected: u64,
        /// What we sent.
        received: u64,
    },
    /// Policy `auto`: our next outbound number was moved.
    SeqTooLowRecovered {
        /// Our previous next outbound number.
        from: u64,
        /// The new one.
        to: u64,
    },
    /// A message we could not use was ignored (garbled, duplicate).
    Ignored(Ignored),
}

/// Why an inbound message was dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// Framing or parsing failed.
    Garbled,
    /// PossDup with a number already processed.
    Duplicate,
    /// The hold queue was full; the resend will bring it again.
    QueueFull,
}

/// Counters a session keeps; read by the control plane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Messages received (parsed).
    pub received: u64,
    /// Messages sent (originals, not resends).
    pub sent: u64,
    /// Garbled inputs ignored.
    pub garbled: u64,
    /// Session Rejects sent.
    pub rejects_sent: u64,
    /// Session Rejects received.
    pub rejects_received: u64,
    /// Business Message Rejects sent.
    pub business_rejects_sent: u64,
    /// ResendRequests sent.
    pub resend_requests_sent: u64,
    /// ResendRequests served.
    pub resend_requests_served: u64,
    /// Messages resent with PossDup.
    pub resent: u64,
    /// SequenceReset-GapFill messages sent.
    pub gap_fills_sent: u64,
    /// PossDup duplicates ignored.
    pub duplicates: u64,
    /// Messages held for a gap.
    pub queued: u64,
    /// Messages dropped because the hold queue was full.
    pub queue_overflows: u64,
    /// Disconnects, any reason.
    pub disconnects: u64,
    /// Disconnects by reason, indexed by [`DisconnectReason::index`].
    pub disconnects_by_reason: [u64; 20],
    /// Logons completed.
    pub logons: u64,
}
