//! MarketDataRequest (V): MDReqIDs and the encoding of subscribe and
//! unsubscribe requests.
//!
//! Owns the MDReqID format ([`MdReqIdFormat`], [`MdReqId`]: fixed buffers,
//! no allocation) and the body of a V ([`write_request`]). It sends through
//! an [`MdSender`] (the session's [`Responder`] in the engine), so it never
//! touches the journal or a socket itself, and it keeps no subscription
//! state: that is [`super::stage`]'s.
//!
//! # MDReqIDs
//!
//! `<prefix>M<instrument>.<seq>.<secs>`, every number in base 36 without
//! leading zeros:
//!
//! - `prefix`: the order stage's `clordid_prefix` (so two engines on one
//!   venue account, which must already differ there, differ here too);
//! - `instrument`: the [`InstrumentId`], so an inbound W, X or Y finds its
//!   subscription in O(1) without hashing;
//! - `seq`: the MsgSeqNum of the V that carries the id (the session's next
//!   outbound number when it is written). Sequence numbers come from the
//!   journal and never repeat on one journal between resets, so an id is
//!   unique per engine run *and* across restarts on the same journal;
//! - `secs`: the sending time in unix seconds, which tells apart two ids
//!   of the same number after a sequence reset (a reset needs a new
//!   connection; both V's would have to take the same number in the same
//!   second).
//!
//! With prefix `FR`, instrument 3, MsgSeqNum 1234 at 2026-11-28 10:00:00 UTC
//! (unix 1795860000) the id is `FRM3.YA.TP7IG0`; the longest is
//! 8 + 1 + 4 + 1 + 13 + 1 + 13 = 41 bytes (within [`MD_REQ_ID_MAX`]).
//!
//! ```
//! use fixrail::md::request::MdReqIdFormat;
//! use fixrail::strategy::InstrumentId;
//! let ids = MdReqIdFormat::new(b"FR").unwrap();
//! let id = ids.write(InstrumentId(3), 1234, 1_795_860_000);
//! assert_eq!(id.as_str(), "FRM3.YA.TP7IG0");
//! assert_eq!(ids.instrument(id.as_bytes()), Some(InstrumentId(3)));
//! ```

use crate::codec::base36::{digit, write as write_base36};
use crate::codec::tags;
use crate::codec::MessageWriter;
use crate::session::{Responder, SendError};
use crate::strategy::{InstrumentId, MdEntryTypes};

/// The longest MDReqID this format writes.
pub const MD_REQ_ID_MAX: usize = 48;
/// The longest prefix.
pub const MD_PREFIX_MAX: usize = 8;

/// An MDReqID in a fixed buffer (no allocation). The default is the empty
/// id, which no inbound message matches.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MdReqId {
    bytes: [u8; MD_REQ_ID_MAX],
    len: u8,
}

impl Default for MdReqId {
    fn default() -> Self {
        MdReqId {
            bytes: [0; MD_REQ_ID_MAX],
            len: 0,
        }
    }
}

impl MdReqId {
    /// The id as sent.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The id as text (it is ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// True for the empty id (none issued).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// An id read back from a message (replay); `None` when it is longer
    /// than [`MD_REQ_ID_MAX`].
    pub fn from_bytes(b: &[u8]) -> Option<MdReqId> {
        if b.len() > MD_REQ_ID_MAX {
            return None;
        }
        let mut id = MdReqId::default();
        id.bytes[..b.len()].copy_from_slice(b);
        id.len = b.len() as u8;
        Some(id)
    }
}

impl std::fmt::Debug for MdReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MdReqId({})", self.as_str())
    }
}

/// Why an MDReqID format could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MdReqIdError {
    /// Longer than [`MD_PREFIX_MAX`], or not printable ASCII.
    #[error("MDReqID prefix {0:?} must be at most 8 printable ASCII bytes without spaces")]
    Prefix(String),
}

/// Writes and reads this engine's MDReqIDs.
#[derive(Debug, Clone)]
pub struct MdReqIdFormat {
    prefix: [u8; MD_PREFIX_MAX],
    prefix_len: usize,
}

impl MdReqIdFormat {
    /// A format with `prefix` (at most 8 printable ASCII bytes).
    pub fn new(prefix: &[u8]) -> Result<MdReqIdFormat, MdReqIdError> {
        if prefix.len() > MD_PREFIX_MAX || !prefix.iter().all(u8::is_ascii_graphic) {
            return Err(MdReqIdError::Prefix(
                String::from_utf8_lossy(prefix).into_owned(),
            ));
        }
        let mut p = [0u8; MD_PREFIX_MAX];
        p[..prefix.len()].copy_from_slice(prefix);
        Ok(MdReqIdFormat {
            prefix: p,
            prefix_len: prefix.len(),
        })
    }

    /// The id for `instrument`'s request carried by MsgSeqNum `seq`, sent
    /// at `unix_secs`.
    pub fn write(&self, instrument: InstrumentId, seq: u64, unix_secs: i64) -> MdReqId {
        let mut id = MdReqId::default();
        let b = &mut id.bytes;
        let mut at = self.prefix_len;
        b[..at].copy_from_slice(&self.prefix[..at]);
        b[at] = b'M';
        at = write_base36(b, at + 1, u64::from(instrument.0));
        b[at] = b'.';
        at = write_base36(b, at + 1, seq);
        b[at] = b'.';
        at = write_base36(b, at + 1, unix_secs.max(0) as u64);
        id.len = at as u8;
        id
    }

    /// The instrument an id of this format names; `None` for anything else
    /// (another prefix, no `M`, a bad number). Reads only the instrument
    /// part: the caller compares the whole id with the subscription's.
    #[inline]
    pub fn instrument(&self, id: &[u8]) -> Option<InstrumentId> {
        let p = self.prefix_len;
        if id.len() < p + 3 || id[..p] != self.prefix[..p] || id[p] != b'M' {
            return None;
        }
        let mut n: u32 = 0;
        for (i, &c) in id[p + 1..].iter().enumerate() {
            if c == b'.' {
                return if i == 0 {
                    None
                } else {
                    Some(InstrumentId(u16::try_from(n).ok()?))
                };
            }
            let d = digit(c)?;
            n = n.checked_mul(36)?.checked_add(u32::from(d))?;
            if n > u32::from(u16::MAX) {
                return None;
            }
        }
        None
    }
}

/// SubscriptionRequestType (263).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionType {
    /// `0`: one snapshot.
    Snapshot,
    /// `1`: a snapshot, then incremental updates.
    SnapshotAndUpdates,
    /// `2`: stop the subscription named by the MDReqID.
    Unsubscribe,
}

impl SubscriptionType {
    /// The 263 value.
    pub const fn fix(self) -> u8 {
        match self {
            SubscriptionType::Snapshot => b'0',
            SubscriptionType::SnapshotAndUpdates => b'1',
            SubscriptionType::Unsubscribe => b'2',
        }
    }
}

/// What one V asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdRequest<'a> {
    /// MDReqID (262).
    pub id: &'a [u8],
    /// SubscriptionRequestType (263).
    pub kind: SubscriptionType,
    /// MarketDepth (264): 0 full book, 1 top, N levels.
    pub depth: u16,
    /// MDEntryTypes (267/269); an empty set asks for bids and offers.
    pub entries: MdEntryTypes,
    /// AggregatedBook (266).
    pub aggregated: bool,
    /// Symbol (55).
    pub symbol: &'a [u8],
}

/// Writes a V's body: 262, 263, 264, 265 (=1, incremental, with updates
/// only), 266, the 267 group of 269s, the 146 group with one 55.
pub fn write_request(w: &mut MessageWriter<'_>, r: &MdRequest<'_>) {
    let entries = if r.entries.0 == 0 {
        MdEntryTypes::BOOK
    } else {
        r.entries
    };
    w.str(tags::MD_REQ_ID, r.id)
        .char(tags::SUBSCRIPTION_REQUEST_TYPE, r.kind.fix())
        .uint(tags::MARKET_DEPTH, u64::from(r.depth));
    if r.kind == SubscriptionType::SnapshotAndUpdates {
        w.char(tags::MD_UPDATE_TYPE, b'1');
    }
    w.bool(tags::AGGREGATED_BOOK, r.aggregated)
        .uint(tags::NO_MD_ENTRY_TYPES, u64::from(entries.0.count_ones()));
    for v in entries.fix_values() {
        w.char(tags::MD_ENTRY_TYPE, v);
    }
    w.uint(tags::NO_RELATED_SYM, 1).str(tags::SYMBOL, r.symbol);
}

/// Where the market-data stage sends its requests: the session. The
/// engine's is the session's [`Responder`]; tests may use their own.
pub trait MdSender {
    /// Sends an application message whose body `body` writes (the session
    /// writes header and trailer and journals it). Returns the MsgSeqNum.
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError>;

    /// Is the session logged on (can it send now)?
    fn is_up(&self) -> bool;

    /// The MsgSeqNum the next message sent will carry.
    fn next_seq(&self) -> u64;
}

impl MdSender for Responder<'_> {
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        Responder::send(self, msg_type, &[], body)
    }

    fn is_up(&self) -> bool {
        Responder::is_up(self)
    }

    fn next_seq(&self) -> u64 {
        self.next_seq_out()
    }
}

/// Sends one V. The MsgSeqNum it carries must be the one the id was made
/// with (callers write the id from [`MdSender::next_seq`] just before).
pub fn send_request<S: MdSender + ?Sized>(tx: &mut S, r: &MdRequest<'_>) -> Result<u64, SendError> {
    tx.send(b"V", &mut |w| write_request(w, r))
}
