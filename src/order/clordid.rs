//! ClOrdIDs that lead back to their order slot in O(1), without hashing.
//!
//! Format: `<prefix><slot><.><generation><.><version>`
//!
//! - `prefix`: the configured `clordid_prefix`, 0 to 8 printable ASCII bytes;
//! - `slot`: the slot index in base 36 (`0-9A-Z`), zero-padded to a fixed
//!   width (the digits of `max_orders - 1`), so it sits at a known offset;
//! - `generation`: the slot's generation in base 36 (a reused slot gets a new
//!   one, so an id of an earlier occupant is recognised as stale);
//! - `version`: 0 for the NewOrderSingle, then one more for every
//!   cancel or cancel/replace request (each needs a new ClOrdID).
//!
//! With `prefix = "FR"` and 1000 slots, slot 7 generation 1 is `FR07.1.0`,
//! and its first cancel/replace request `FR07.1.1`. Generation and version
//! are written without leading zeros and parsed strictly, so every
//! (slot, generation, version) has exactly one spelling and anything else —
//! another engine's ids, garbage, a slot beyond the table — is refused.
//! The longest id is 8 + 5 + 1 + 7 + 1 + 7 = 29 bytes ([`CL_ORD_ID_MAX`]).

use super::OrderConfigError;
use crate::codec::base36::{self, digit, DIGITS};
use std::fmt;

/// The longest ClOrdID this format writes.
pub const CL_ORD_ID_MAX: usize = 32;
/// The longest `clordid_prefix`.
pub const PREFIX_MAX: usize = 8;
/// The most order slots a format addresses (five base-36 digits).
pub const SLOTS_MAX: u32 = 16 << 20;

/// Base-36 digits of `u32::MAX`.
const U32_DIGITS_MAX: usize = 7;

/// A ClOrdID in a fixed buffer (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClOrdId {
    bytes: [u8; CL_ORD_ID_MAX],
    len: u8,
}

impl ClOrdId {
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

impl fmt::Debug for ClOrdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClOrdId({})", self.as_str())
    }
}

impl fmt::Display for ClOrdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a ClOrdID names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClOrdIdParts {
    /// Order slot.
    pub slot: u32,
    /// The slot's generation when the order was placed.
    pub generation: u32,
    /// 0 for the order, n for its n-th cancel or replace request.
    pub version: u32,
}

/// Writes and reads this engine's ClOrdIDs.
#[derive(Debug, Clone)]
pub struct ClOrdIdFormat {
    prefix: [u8; PREFIX_MAX],
    prefix_len: usize,
    slot_width: usize,
    slots: u32,
}

impl ClOrdIdFormat {
    /// A format for `slots` order slots. The prefix must be at most 8
    /// printable ASCII bytes (no space, no SOH).
    pub fn new(prefix: &str, slots: u32) -> Result<ClOrdIdFormat, OrderConfigError> {
        let p = prefix.as_bytes();
        if p.len() > PREFIX_MAX {
            return Err(OrderConfigError::PrefixTooLong {
                prefix: prefix.to_string(),
                len: p.len(),
            });
        }
        if !p.iter().all(|b| b.is_ascii_graphic()) {
            return Err(OrderConfigError::PrefixCharacters {
                prefix: prefix.to_string(),
            });
        }
        if slots == 0 || slots > SLOTS_MAX {
            return Err(OrderConfigError::MaxOrders(slots));
        }
        let mut buf = [0u8; PREFIX_MAX];
        buf[..p.len()].copy_from_slice(p);
        let mut slot_width = 1;
        let mut top = (slots - 1) / 36;
        while top > 0 {
            slot_width += 1;
            top /= 36;
        }
        Ok(ClOrdIdFormat {
            prefix: buf,
            prefix_len: p.len(),
            slot_width,
            slots,
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix[..self.prefix_len]
    }

    /// Base-36 digits of the slot field.
    pub fn slot_width(&self) -> usize {
        self.slot_width
    }

    /// The id for `parts`. `parts.slot` must be below the slot count (a
    /// caller bug otherwise: the id would not parse back).
    #[inline]
    pub fn write(&self, parts: ClOrdIdParts) -> ClOrdId {
        assert!(parts.slot < self.slots, "slot {} out of range", parts.slot);
        let mut id = ClOrdId {
            bytes: [0u8; CL_ORD_ID_MAX],
            len: 0,
        };
        let b = &mut id.bytes;
        let mut at = self.prefix_len;
        b[..at].copy_from_slice(&self.prefix[..at]);
        let mut slot = parts.slot;
        for i in (at..at + self.slot_width).rev() {
            b[i] = DIGITS[(slot % 36) as usize];
            slot /= 36;
        }
        at += self.slot_width;
        b[at] = b'.';
        at = write_base36(&mut b[..], at + 1, parts.generation);
        b[at] = b'.';
        at = write_base36(&mut b[..], at + 1, parts.version);
        id.len = at as u8;
        id
    }

    /// The parts of an id this format wrote; `None` for anything else
    /// (another prefix, a slot beyond the table, non-canonical numbers,
    /// stray bytes). Reads at most [`CL_ORD_ID_MAX`] bytes.
    #[inline]
    pub fn parse(&self, id: &[u8]) -> Option<ClOrdIdParts> {
        let p = self.prefix_len;
        let w = self.slot_width;
        // The shortest id: prefix, slot, ".0.0".
        if id.len() < p + w + 4 || id.len() > CL_ORD_ID_MAX || id[..p] != self.prefix[..p] {
            return None;
        }
        let mut slot: u32 = 0;
        for &c in &id[p..p + w] {
            slot = slot * 36 + u32::from(digit(c)?);
        }
        if slot >= self.slots {
            return None;
        }
        let rest = &id[p + w..];
        if rest[0] != b'.' {
            return None;
        }
        let rest = &rest[1..];
        let dot = rest.iter().position(|&c| c == b'.')?;
        let generation = parse_base36(&rest[..dot])?;
        let version = parse_base36(&rest[dot + 1..])?;
        Some(ClOrdIdParts {
            slot,
            generation,
            version,
        })
    }
}

/// Writes `n` in base 36 at `at`, returns the end.
#[inline]
pub(super) fn write_base36(out: &mut [u8], at: usize, n: u32) -> usize {
    base36::write(out, at, u64::from(n))
}

/// A canonical base-36 number: 1 to 7 digits, no leading zero, fits a u32.
#[inline]
pub(super) fn parse_base36(s: &[u8]) -> Option<u32> {
    if s.len() > U32_DIGITS_MAX {
        return None;
    }
    u32::try_from(base36::parse(s)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_width_follows_the_slot_count() {
        for (slots, width) in [
            (1, 1),
            (36, 1),
            (37, 2),
            (1296, 2),
            (1297, 3),
            (SLOTS_MAX, 5),
        ] {
            assert_eq!(
                ClOrdIdFormat::new("X", slots).unwrap().slot_width(),
                width,
                "{slots}"
            );
        }
    }

    #[test]
    fn writes_the_documented_example() {
        let f = ClOrdIdFormat::new("FR", 1000).unwrap();
        let id = f.write(ClOrdIdParts {
            slot: 7,
            generation: 1,
            version: 0,
        });
        assert_eq!(id.as_str(), "FR07.1.0");
        let max = f.write(ClOrdIdParts {
            slot: 999,
            generation: u32::MAX,
            version: u32::MAX,
        });
        assert_eq!(max.as_str(), "FRRR.1Z141Z3.1Z141Z3");
        assert_eq!(
            f.parse(max.as_bytes()),
            Some(ClOrdIdParts {
                slot: 999,
                generation: u32::MAX,
                version: u32::MAX
            })
        );
    }

    #[test]
    fn refuses_what_it_did_not_write() {
        let f = ClOrdIdFormat::new("FR", 1000).unwrap();
        for bad in [
            &b""[..],
            b"FR07.1",
            b"FR07.1.",
            b"FR07..0",
            b"FX07.1.0",
            b"fr07.1.0",
            b"FR07.01.0",
            b"FR07.1.00",
            b"FR7.1.0",
            b"FRRS.1.0", // slot 1000 of 1000
            b"FR07.1.0.",
            b"FR07.1Z141Z4.0", // u32::MAX + 1
            b"FR07.a.0",
            b"FR07:1.0",
            b"FR07.1.0 ",
            b"FR07.1.123456789012345678901234567",
        ] {
            assert_eq!(f.parse(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bad_prefixes_and_sizes_are_named() {
        assert!(matches!(
            ClOrdIdFormat::new("TOOLONGPX", 10),
            Err(OrderConfigError::PrefixTooLong { len: 9, .. })
        ));
        assert!(matches!(
            ClOrdIdFormat::new("A B", 10),
            Err(OrderConfigError::PrefixCharacters { .. })
        ));
        assert!(matches!(
            ClOrdIdFormat::new("A", 0),
            Err(OrderConfigError::MaxOrders(0))
        ));
        assert!(ClOrdIdFormat::new("", 10).is_ok());
    }
}
