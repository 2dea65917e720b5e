//! Allocation-free decoding of MarketDataSnapshotFullRefresh (W) and
//! MarketDataIncrementalRefresh (X) into [`MdEntry`] values.
//!
//! Owns the reading of the 268 NoMDEntries group and its per-entry fields
//! (279, 269, 270, 271, 278, 280, 37, 55, 290, 346) into typed values: prices
//! as [`Price`] (8 decimals), sizes as whole-unit [`Qty`]. A value that cannot
//! be read is an [`MdError`] naming the tag; nothing here panics on
//! counterparty input and nothing allocates. It does not touch books,
//! subscriptions or sessions: the book is [`super::book`]'s, the rest the
//! market-data stage's.
//!
//! Group walking is a single pass over the parsed field index: the group runs
//! from the field after 268 to the end of the body, and each instance from
//! one delimiter (269 in W, 279 in X) to the next. Fields after the group
//! that are not entry fields are ignored, so custom venue tags inside an entry
//! do not cut the group short. The number of instances must equal the
//! declared 268 count, checked by [`MdMessage::decode`] before any entry is
//! read.
//!
//! ```
//! use fixrail::codec::{testing::fix, Parser};
//! use fixrail::md::entry::{MdMessage, UpdateAction};
//! let bytes = fix("8=FIX.4.4|35=X|34=2|49=V|56=T|52=20261122-10:00:00|262=MD-1|268=2|\
//!     279=0|269=0|55=EUR/USD|270=1.0834|271=1000000|279=2|269=1|270=1.0836|");
//! let mut parser = Parser::default();
//! let msg = parser.parse(&bytes).unwrap();
//! let md = MdMessage::decode(&msg).unwrap();
//! assert_eq!(md.req_id(), Some(&b"MD-1"[..]));
//! let second = md.entries().nth(1).unwrap().unwrap();
//! assert_eq!(second.action, UpdateAction::Delete);
//! assert_eq!(second.symbol, Some(&b"EUR/USD"[..])); // inherited from the first entry
//! ```

use crate::codec::{Field, Fields, Fixed, Message, Tag, ValueError};
use crate::strategy::{Price, Qty};

/// MDReqID.
pub const TAG_MD_REQ_ID: Tag = 262;
/// NoMDEntries.
pub const TAG_NO_MD_ENTRIES: Tag = 268;
/// MDEntryType.
pub const TAG_MD_ENTRY_TYPE: Tag = 269;
/// MDEntryPx.
pub const TAG_MD_ENTRY_PX: Tag = 270;
/// MDEntrySize.
pub const TAG_MD_ENTRY_SIZE: Tag = 271;
/// MDEntryID.
pub const TAG_MD_ENTRY_ID: Tag = 278;
/// MDUpdateAction.
pub const TAG_MD_UPDATE_ACTION: Tag = 279;
/// MDEntryRefID.
pub const TAG_MD_ENTRY_REF_ID: Tag = 280;
/// MDEntryPositionNo.
pub const TAG_MD_ENTRY_POSITION_NO: Tag = 290;
/// NumberOfOrders.
pub const TAG_NUMBER_OF_ORDERS: Tag = 346;
/// Symbol.
pub const TAG_SYMBOL: Tag = 55;
/// OrderID (keys an order-by-order W entry when it has no 278).
pub const TAG_ORDER_ID: Tag = 37;

/// MDEntryType (269) Bid.
pub const ENTRY_BID: u8 = b'0';
/// MDEntryType (269) Offer.
pub const ENTRY_OFFER: u8 = b'1';
/// MDEntryType (269) Trade.
pub const ENTRY_TRADE: u8 = b'2';

/// MDUpdateAction (279). Every W entry is [`UpdateAction::New`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateAction {
    /// `0`: add an entry (or a level).
    New,
    /// `1`: change an entry (or a level).
    Change,
    /// `2`: remove an entry (or a level).
    Delete,
    /// `3`: remove every level from the top of the side through this one.
    DeleteThru,
    /// `4`: remove this level and every worse one.
    DeleteFrom,
    /// `5`: replace (the book treats it as Change, or New for an unknown id).
    Overlay,
}

impl UpdateAction {
    /// From the 279 value byte.
    pub fn from_byte(b: u8) -> Option<UpdateAction> {
        Some(match b {
            b'0' => UpdateAction::New,
            b'1' => UpdateAction::Change,
            b'2' => UpdateAction::Delete,
            b'3' => UpdateAction::DeleteThru,
            b'4' => UpdateAction::DeleteFrom,
            b'5' => UpdateAction::Overlay,
            _ => return None,
        })
    }

    /// The 279 value byte.
    pub fn as_byte(self) -> u8 {
        match self {
            UpdateAction::New => b'0',
            UpdateAction::Change => b'1',
            UpdateAction::Delete => b'2',
            UpdateAction::DeleteThru => b'3',
            UpdateAction::DeleteFrom => b'4',
            UpdateAction::Overlay => b'5',
        }
    }
}

/// One entry of a W or X 268 group, borrowed from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdEntry<'a> {
    /// 279 (X); always `New` in a W.
    pub action: UpdateAction,
    /// 269 MDEntryType as its raw byte (`b'0'` bid, `b'1'` offer, `b'2'`
    /// trade, ...). `None` when absent: FIX 4.4 requires it only for New,
    /// so an id-keyed Change or Delete may leave it out.
    pub kind: Option<u8>,
    /// 55 Symbol: the entry's own, else (X) the previous entry's, else (W)
    /// the message's.
    pub symbol: Option<&'a [u8]>,
    /// 270 MDEntryPx.
    pub price: Option<Price>,
    /// 271 MDEntrySize, whole units, never negative.
    pub size: Option<Qty>,
    /// 278 MDEntryID; in a W, 278 or else 37 OrderID.
    pub entry_id: Option<&'a [u8]>,
    /// 280 MDEntryRefID (X): the id this entry had before (a Change that
    /// renames it).
    pub ref_id: Option<&'a [u8]>,
    /// 290 MDEntryPositionNo, 1-based (0 is an error).
    pub position: Option<u16>,
    /// 346 NumberOfOrders.
    pub orders: Option<u32>,
}

impl<'a> MdEntry<'a> {
    /// An entry with only its action and type set (tests, tools, simulators).
    pub fn new(action: UpdateAction, kind: u8) -> MdEntry<'a> {
        MdEntry {
            action,
            kind: Some(kind),
            symbol: None,
            price: None,
            size: None,
            entry_id: None,
            ref_id: None,
            position: None,
            orders: None,
        }
    }
}

/// Why a W or X could not be decoded. Each names the tag at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MdError {
    /// The message is neither W nor X.
    #[error("35 MsgType is not W or X")]
    NotMarketData,
    /// A required field is absent.
    #[error("tag {tag} missing")]
    Missing {
        /// The tag.
        tag: Tag,
    },
    /// A value does not decode as its type.
    #[error("tag {tag}: {error}")]
    Value {
        /// The tag.
        tag: Tag,
        /// Why.
        error: ValueError,
    },
    /// A value decodes but is not acceptable.
    #[error("tag {tag}: {problem}")]
    Invalid {
        /// The tag.
        tag: Tag,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// 268 declares a different number of entries than follow it.
    #[error("tag 268 NoMDEntries declares {declared} entries but {found} follow")]
    Count {
        /// The 268 value.
        declared: u64,
        /// Instances found.
        found: u64,
    },
}

/// Which market-data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MdKind {
    /// W, MarketDataSnapshotFullRefresh: clear the book, apply every entry as New.
    Snapshot,
    /// X, MarketDataIncrementalRefresh.
    Incremental,
}

/// A decoded W or X: the message-level fields and its entries' location.
/// Cheap to copy; [`MdMessage::entries`] may be called more than once (to
/// validate every entry before applying any, for instance).
#[derive(Debug, Clone, Copy)]
pub struct MdMessage<'a> {
    kind: MdKind,
    req_id: Option<&'a [u8]>,
    symbol: Option<&'a [u8]>,
    body: Fields<'a>,
    first: usize,
    declared: u64,
}

impl<'a> MdMessage<'a> {
    /// Reads the message level (262, and 55 in a W) and checks that the 268
    /// count matches the instances present.
    pub fn decode(msg: &Message<'a>) -> Result<MdMessage<'a>, MdError> {
        let kind = match msg.msg_type() {
            b"W" => MdKind::Snapshot,
            b"X" => MdKind::Incremental,
            _ => return Err(MdError::NotMarketData),
        };
        let body = msg.body();
        let fields = body.entries();
        let mut req_id = None;
        let mut symbol = None;
        let mut count_at = None;
        for (i, f) in fields.iter().enumerate() {
            match f.tag {
                TAG_MD_REQ_ID if req_id.is_none() => req_id = Some(body.at(i).value()),
                TAG_SYMBOL if symbol.is_none() && kind == MdKind::Snapshot => {
                    symbol = Some(body.at(i).value())
                }
                TAG_NO_MD_ENTRIES => {
                    count_at = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let count_at = count_at.ok_or(MdError::Missing {
            tag: TAG_NO_MD_ENTRIES,
        })?;
        let declared = body
            .at(count_at)
            .as_u64()
            .map_err(|e| value_error(TAG_NO_MD_ENTRIES, e.kind))?;
        let first = count_at + 1;
        let delimiter = delimiter(kind);
        let found = fields[first..]
            .iter()
            .filter(|f| f.tag == delimiter)
            .count() as u64;
        if found != declared {
            return Err(MdError::Count { declared, found });
        }
        if declared > 0 && fields[first].tag != delimiter {
            return Err(MdError::Invalid {
                tag: fields[first].tag,
                problem: "first field of a 268 entry is not its delimiter",
            });
        }
        Ok(MdMessage {
            kind,
            req_id,
            symbol,
            body,
            first,
            declared,
        })
    }

    /// W or X.
    pub fn kind(&self) -> MdKind {
        self.kind
    }

    /// 262 MDReqID, when present.
    pub fn req_id(&self) -> Option<&'a [u8]> {
        self.req_id
    }

    /// 55 Symbol of a W (message level); always `None` for an X, whose
    /// symbols are per entry.
    pub fn symbol(&self) -> Option<&'a [u8]> {
        self.symbol
    }

    /// The 268 count (equal to the number of entries).
    pub fn len(&self) -> usize {
        self.declared as usize
    }

    /// True when the group is empty or absent-by-zero.
    pub fn is_empty(&self) -> bool {
        self.declared == 0
    }

    /// The entries in wire order.
    pub fn entries(&self) -> MdEntries<'a> {
        MdEntries {
            kind: self.kind,
            body: self.body,
            pos: self.first,
            symbol: self.symbol,
        }
    }
}

fn delimiter(kind: MdKind) -> Tag {
    match kind {
        MdKind::Snapshot => TAG_MD_ENTRY_TYPE,
        MdKind::Incremental => TAG_MD_UPDATE_ACTION,
    }
}

fn value_error(tag: Tag, kind: crate::codec::FieldErrorKind) -> MdError {
    match kind {
        crate::codec::FieldErrorKind::Value(error) => MdError::Value { tag, error },
        crate::codec::FieldErrorKind::Missing => MdError::Missing { tag },
    }
}

/// Iterator over a W's or X's entries (see [`MdMessage::entries`]). After an
/// error it stops.
#[derive(Debug, Clone)]
pub struct MdEntries<'a> {
    kind: MdKind,
    body: Fields<'a>,
    pos: usize,
    /// W: the message's symbol; X: the previous entry's.
    symbol: Option<&'a [u8]>,
}

impl<'a> Iterator for MdEntries<'a> {
    type Item = Result<MdEntry<'a>, MdError>;

    fn next(&mut self) -> Option<Self::Item> {
        let fields: &'a [Field] = self.body.entries();
        let delimiter = delimiter(self.kind);
        if self.pos >= fields.len() || fields[self.pos].tag != delimiter {
            return None;
        }
        let r = read_entry(self.kind, self.body, self.pos, self.symbol);
        match r {
            Ok((e, end)) => {
                self.pos = end;
                if self.kind == MdKind::Incremental {
                    self.symbol = e.symbol;
                }
                Some(Ok(e))
            }
            Err(error) => {
                self.pos = fields.len();
                Some(Err(error))
            }
        }
    }
}

/// Reads the instance starting at `start` (its delimiter) up to the next
/// delimiter or the end, in one pass; returns it and where the next starts.
/// The first occurrence of a tag wins (a nested group's repeat of it is not
/// the entry's).
#[inline]
fn read_entry<'a>(
    kind: MdKind,
    body: Fields<'a>,
    start: usize,
    inherited_symbol: Option<&'a [u8]>,
) -> Result<(MdEntry<'a>, usize), MdError> {
    let mut e = MdEntry {
        action: UpdateAction::New,
        kind: None,
        symbol: None,
        price: None,
        size: None,
        entry_id: None,
        ref_id: None,
        position: None,
        orders: None,
    };
    let mut order_id = None;
    let mut have_action = false;
    let entries = body.entries();
    let delimiter = delimiter(kind);
    let mut end = entries.len();
    for (i, field) in entries.iter().enumerate().skip(start) {
        let tag = field.tag;
        if tag == delimiter && i > start {
            end = i;
            break;
        }
        match tag {
            TAG_MD_UPDATE_ACTION if !have_action && kind == MdKind::Incremental => {
                let f = body.at(i);
                let b = f.as_char().map_err(|e| value_error(tag, e.kind))?;
                e.action = UpdateAction::from_byte(b).ok_or(MdError::Invalid {
                    tag,
                    problem: "unknown MDUpdateAction",
                })?;
                have_action = true;
            }
            TAG_MD_ENTRY_TYPE if e.kind.is_none() => {
                let b = body.at(i).as_char().map_err(|e| value_error(tag, e.kind))?;
                e.kind = Some(b);
            }
            TAG_MD_ENTRY_PX if e.price.is_none() => {
                let fx = decimal(body, i)?;
                e.price = Some(Price::from_fixed(fx).ok_or(MdError::Invalid {
                    tag,
                    problem: "price has more than 8 decimals or does not fit",
                })?);
            }
            TAG_MD_ENTRY_SIZE if e.size.is_none() => {
                let fx = decimal(body, i)?;
                let units = fx.mantissa_at(0).ok_or(MdError::Invalid {
                    tag,
                    problem: "fractional size",
                })?;
                if units < 0 {
                    return Err(MdError::Invalid {
                        tag,
                        problem: "negative size",
                    });
                }
                e.size = Some(Qty(units));
            }
            TAG_MD_ENTRY_ID if e.entry_id.is_none() => {
                e.entry_id = Some(non_empty(body, i)?);
            }
            TAG_MD_ENTRY_REF_ID if e.ref_id.is_none() => {
                e.ref_id = Some(non_empty(body, i)?);
            }
            TAG_ORDER_ID if order_id.is_none() => order_id = Some(non_empty(body, i)?),
            TAG_SYMBOL if e.symbol.is_none() => e.symbol = Some(body.at(i).value()),
            TAG_MD_ENTRY_POSITION_NO if e.position.is_none() => {
                let n = body.at(i).as_u64().map_err(|e| value_error(tag, e.kind))?;
                if n == 0 || n > u16::MAX as u64 {
                    return Err(MdError::Invalid {
                        tag,
                        problem: "position out of 1..=65535",
                    });
                }
                e.position = Some(n as u16);
            }
            TAG_NUMBER_OF_ORDERS if e.orders.is_none() => {
                let n = body.at(i).as_u64().map_err(|e| value_error(tag, e.kind))?;
                e.orders = Some(u32::try_from(n).map_err(|_| MdError::Value {
                    tag,
                    error: ValueError::Overflow,
                })?);
            }
            _ => {}
        }
    }
    if kind == MdKind::Snapshot && e.entry_id.is_none() {
        e.entry_id = order_id;
    }
    if e.symbol.is_none() {
        e.symbol = inherited_symbol;
    }
    if kind == MdKind::Snapshot && e.kind.is_none() {
        return Err(MdError::Missing {
            tag: TAG_MD_ENTRY_TYPE,
        });
    }
    Ok((e, end))
}

/// A price or size field as [`Fixed`]. Values of at most 18 characters (all
/// real prices and sizes) cannot overflow, so they are read here without the
/// per-digit overflow checks; anything else, and every malformed value, goes
/// to the codec's strict parser, which decides and names the error.
#[inline]
fn decimal(body: Fields<'_>, i: usize) -> Result<Fixed, MdError> {
    let f = body.at(i);
    if let Some(fx) = quick_decimal(f.value()) {
        return Ok(fx);
    }
    f.as_fixed().map_err(|e| value_error(f.tag(), e.kind))
}

/// `[-]digits[.digits]`, at most 18 bytes, at least one digit; else `None`.
#[inline]
fn quick_decimal(v: &[u8]) -> Option<Fixed> {
    if v.is_empty() || v.len() > 18 {
        return None;
    }
    let (neg, body) = match v[0] {
        b'-' => (true, &v[1..]),
        _ => (false, v),
    };
    let mut m: u64 = 0;
    let mut scale: u8 = 0;
    let mut point = false;
    let mut digits = 0;
    for &b in body {
        let d = b.wrapping_sub(b'0');
        if d <= 9 {
            // At most 18 digits: below 10^18, no overflow.
            m = m * 10 + d as u64;
            digits += 1;
            scale += point as u8;
        } else if b == b'.' && !point {
            point = true;
        } else {
            return None;
        }
    }
    if digits == 0 {
        return None;
    }
    let m = m as i64;
    Some(Fixed::new(if neg { -m } else { m }, scale))
}

fn non_empty<'a>(body: Fields<'a>, i: usize) -> Result<&'a [u8], MdError> {
    let v = body.at(i).value();
    if v.is_empty() {
        return Err(MdError::Value {
            tag: body.entries()[i].tag,
            error: ValueError::Empty,
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::quick_decimal;
    use crate::codec::Fixed;

    /// The quick path agrees with the codec's strict parser on every value
    /// it accepts, and declines (leaving the verdict to the codec) whatever
    /// the codec refuses.
    #[test]
    fn quick_decimal_agrees_with_the_codec() {
        let alphabet = b"0123456789.-+ e";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut checked = 0;
        for n in 0..200_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 1 + (n as usize % 20);
            let mut v = Vec::with_capacity(len);
            let mut y = x;
            for _ in 0..len {
                // Mostly digits, sometimes a point, sign or junk.
                let k = (y % 64) as usize;
                v.push(if k < 50 {
                    b'0' + (k % 10) as u8
                } else {
                    alphabet[k % alphabet.len()]
                });
                y = y.rotate_right(6) ^ (y >> 3);
            }
            let codec = Fixed::parse(&v);
            match quick_decimal(&v) {
                Some(q) => {
                    assert_eq!(Ok(q), codec, "{:?}", String::from_utf8_lossy(&v));
                    checked += 1;
                }
                None => assert!(
                    codec.is_err() || v.len() > 18,
                    "declined a value the codec reads: {:?}",
                    String::from_utf8_lossy(&v)
                ),
            }
        }
        assert!(checked > 10_000, "{checked}");
        for s in [
            "1.0834",
            "-0.5",
            "100",
            "0",
            "-0",
            "123456789012345678",
            "1.",
            ".5",
        ] {
            assert_eq!(
                quick_decimal(s.as_bytes()).ok_or(()),
                Fixed::parse(s.as_bytes()).map_err(|_| ()),
                "{s}"
            );
        }
    }
}
