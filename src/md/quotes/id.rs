//! QuoteReqIDs (131) that lead back to their slot in the quote desk's table
//! in O(1), and that stay unique across restarts on the same journal.
//!
//! Format: `<prefix>Q<slot>.<n>`
//!
//! - `prefix`: the order stage's `clordid_prefix` (0 to 8 printable ASCII
//!   bytes), so two engines on one venue account never share ids;
//! - `Q`: tells a QuoteReqID from the engine's ClOrdIDs (`<prefix><slot>.`)
//!   and MassStatusReqIDs (`<prefix>M<n>`) at a glance;
//! - `slot`: the desk's table slot, base 36 without leading zeros;
//! - `n`: the request's number, base 36 without leading zeros. It counts up
//!   for the life of the journal: at start-up the desk replays the
//!   journal's outbound QuoteRequests and continues after the highest `n`
//!   it finds ([`super::QuoteDesk::replay_journal`]), so no id is ever sent
//!   twice on the same journal. `n` alone is unique; `slot` is there for
//!   the O(1) lookup, and both must match a live slot for an answer to be
//!   taken.
//!
//! With prefix `FR`, slot 5 and request 1000 the id is `FRQ5.RS`. The
//! longest id is 8 + 1 + 4 + 1 + 13 = 27 bytes ([`QUOTE_REQ_ID_MAX`]).
//! Numbers are written without leading zeros and parsed strictly, so each
//! (slot, n) has exactly one spelling and anything else is refused.

use crate::codec::base36::{parse as parse_base36, write as write_base36};
use crate::order::PREFIX_MAX;

/// The longest QuoteReqID the desk writes.
pub const QUOTE_REQ_ID_MAX: usize = 32;

/// A QuoteReqID in a fixed buffer (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QuoteReqId {
    bytes: [u8; QUOTE_REQ_ID_MAX],
    len: u8,
}

impl QuoteReqId {
    /// The id as sent.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The id as text (it is ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

impl std::fmt::Debug for QuoteReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "QuoteReqId({})", self.as_str())
    }
}

/// Writes and reads the desk's QuoteReqIDs.
#[derive(Debug, Clone)]
pub(super) struct QuoteReqIdFormat {
    prefix: [u8; PREFIX_MAX],
    prefix_len: usize,
}

impl QuoteReqIdFormat {
    /// A format for `prefix` (the order stage's, already checked: at most
    /// [`PREFIX_MAX`] printable bytes; longer is cut, a caller bug).
    pub(super) fn new(prefix: &[u8]) -> QuoteReqIdFormat {
        let n = prefix.len().min(PREFIX_MAX);
        let mut buf = [0u8; PREFIX_MAX];
        buf[..n].copy_from_slice(&prefix[..n]);
        QuoteReqIdFormat {
            prefix: buf,
            prefix_len: n,
        }
    }

    /// The id of request `n` in `slot`.
    #[inline]
    pub(super) fn write(&self, slot: u16, n: u64) -> QuoteReqId {
        let mut id = QuoteReqId {
            bytes: [0u8; QUOTE_REQ_ID_MAX],
            len: 0,
        };
        let p = self.prefix_len;
        id.bytes[..p].copy_from_slice(&self.prefix[..p]);
        id.bytes[p] = b'Q';
        let mut at = write_base36(&mut id.bytes, p + 1, u64::from(slot));
        id.bytes[at] = b'.';
        at = write_base36(&mut id.bytes, at + 1, n);
        id.len = at as u8;
        id
    }

    /// (slot, n) of an id this format wrote; `None` for anything else.
    #[inline]
    pub(super) fn parse(&self, id: &[u8]) -> Option<(u16, u64)> {
        let p = self.prefix_len;
        if id.len() < p + 4 || id.len() > QUOTE_REQ_ID_MAX || id[..p] != self.prefix[..p] {
            return None;
        }
        if id[p] != b'Q' {
            return None;
        }
        let rest = &id[p + 1..];
        let dot = rest.iter().position(|&c| c == b'.')?;
        let slot = u16::try_from(parse_base36(&rest[..dot])?).ok()?;
        let n = parse_base36(&rest[dot + 1..])?;
        Some((slot, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_have_one_spelling() {
        let f = QuoteReqIdFormat::new(b"FR");
        for (slot, n) in [(0u16, 0u64), (5, 1000), (u16::MAX, u64::MAX), (35, 36)] {
            let id = f.write(slot, n);
            assert!(id.as_bytes().len() <= 27, "{id:?}");
            assert_eq!(f.parse(id.as_bytes()), Some((slot, n)), "{id:?}");
        }
        assert_eq!(f.write(5, 1000).as_str(), "FRQ5.RS");
        for bad in [
            &b"FRQ5.0RS"[..],
            b"FRQ05.RS",
            b"FRQ5.",
            b"FRQ.1",
            b"XXQ5.1",
            b"FRM5.1",
            b"FRQ5.1.2",
            b"FRQ5.rs",
            b"FRQ1EKG.1",          // slot 65536
            b"FRQ1.3W5E11264SGSG", // n past u64::MAX
            b"FR",
        ] {
            assert_eq!(f.parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let bare = QuoteReqIdFormat::new(b"");
        assert_eq!(bare.parse(bare.write(1, 2).as_bytes()), Some((1, 2)));
    }
}
