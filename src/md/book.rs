//! One instrument's order book, fixed capacity, allocation-free after
//! [`Book::new`].
//!
//! Owns the price levels of both sides, the entry-id table of order-by-order
//! books, the change tracking the market-data stage turns into events, and
//! the book's state hash. It may not touch sessions, subscriptions, rings or
//! clocks: it is fed decoded [`MdEntry`] values (see [`super::entry`]) and
//! read back; what to send the strategy is the stage's business.
//!
//! # Storage
//! Each side is a sorted array of at most `max_levels` [`Level`]s with the
//! best level **last** (the cheap end: most updates touch the top), found by
//! binary search on the integer price. The first `depth` levels from the best
//! are *visible* (what [`Book::bids`], [`Book::asks`], change tracking and
//! [`Book::state_hash`] show); the rest are kept so a level can move into
//! view when a better one goes. Entry ids live in an open-addressing table
//! sized for `max_entries` (ids stored inline, at most
//! [`ENTRY_ID_MAX`] bytes).
//!
//! # Keying, chosen per entry
//! | entry has | keyed by | New | Change / Overlay | Delete |
//! |---|---|---|---|---|
//! | 278 (W: or 37) | entry id | add the entry to its price level (qty sum, orders count) | move/resize the entry (absent 270/271 keep the old value); 280 names the old id and 278 the new; size 0 deletes; Overlay of an unknown id is a New | remove the entry |
//! | 290, no id | position (1-based, best first) | insert, worse levels shift down (the worst beyond `max_levels` falls off) | replace price, qty, orders at the position | remove, worse levels shift up |
//! | neither | price | set the level's qty and orders (insert if absent; size 0 removes it) | as New | remove the level (it must exist) |
//!
//! DeleteThru (3) removes every level from the best through the one named,
//! DeleteFrom (4) the one named and every worse one; the level is named by 290
//! if present, else by 270, else by the 278 entry's price. Levels removed by
//! position, price or range take their entries' ids with them.
//!
//! A level's `orders` is 346 when given, else the entries it aggregates, each
//! entry without 346 counting one. A snapshot is [`Book::clear`] then
//! [`Book::apply_snapshot`] per W entry: every entry is a New, and
//! price-keyed entries that repeat a price add to the level.
//!
//! Entry types other than bid (`0`) and offer (`1`) are not the book's:
//! [`Applied::Ignored`]. Every error leaves the book as it was before the
//! entry. A limit reached is [`BookError::Full`], never growth.
//!
//! # Change tracking
//! [`Book::take_changes`] returns what changed since its last call: per side
//! the best-first index of the first visible level that changed, the visible
//! length then and now (so the caller sends levels `first..max(prev_len,
//! len)`, the ones past `len` with qty 0), and whether the top of book differs.

mod ids;
mod keyed;

use self::ids::IdTable;
pub use self::ids::ENTRY_ID_MAX;
use super::entry::{MdEntry, UpdateAction, ENTRY_BID, ENTRY_OFFER, TAG_MD_ENTRY_TYPE};
use crate::strategy::{Price, Qty};
use std::cmp::Ordering;

/// A side of the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookSide {
    /// Bids (269=0), best = highest.
    Bid,
    /// Offers (269=1), best = lowest.
    Ask,
}

impl BookSide {
    /// From a 269 MDEntryType byte; `None` for non-book types (trades, ...).
    pub fn from_entry_type(kind: u8) -> Option<BookSide> {
        match kind {
            ENTRY_BID => Some(BookSide::Bid),
            ENTRY_OFFER => Some(BookSide::Ask),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            BookSide::Bid => 0,
            BookSide::Ask => 1,
        }
    }
}

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Level {
    /// The price.
    pub price: Price,
    /// Total size at the price.
    pub qty: Qty,
    /// Orders at the price (346, or entries counted).
    pub orders: u32,
}

/// The best level of each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Top {
    /// Best bid.
    pub bid: Option<Level>,
    /// Best offer.
    pub ask: Option<Level>,
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `max_levels` on this side.
    Levels(BookSide),
    /// `max_entries` entry ids.
    Entries,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Levels(BookSide::Bid) => "max_levels on the bid side",
            Limit::Levels(BookSide::Ask) => "max_levels on the offer side",
            Limit::Entries => "max_entries entry ids",
        })
    }
}

/// A price as decimal text (error messages; no allocation).
#[derive(Debug, Clone, Copy)]
struct PriceText(Price);

impl std::fmt::Display for PriceText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self.0 .0.unsigned_abs();
        let scale = Price::SCALE as u64;
        let sign = if self.0 .0 < 0 { "-" } else { "" };
        let (int, mut frac) = (m / scale, m % scale);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let mut width = Price::DECIMALS as usize;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        write!(f, "{sign}{int}.{frac:0width$}")
    }
}

/// What [`Book::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Applied {
    /// The entry was applied to this side (possibly without a visible change).
    Updated(BookSide),
    /// Not a book entry (trade, opening price, ...): nothing done.
    Ignored,
}

/// Why an entry could not be applied. The book is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// A fixed limit is reached.
    #[error("book full: {0} all in use")]
    Full(Limit),
    /// 278/280 names an entry the book does not hold.
    #[error("tag 278 MDEntryID (or 280 MDEntryRefID): unknown entry id")]
    UnknownEntryId,
    /// A New (or a rename) to an id the book already holds.
    #[error("tag 278 MDEntryID: id already in the book")]
    DuplicateEntryId,
    /// The id is longer than [`ENTRY_ID_MAX`].
    #[error("tag 278 MDEntryID: {len} bytes, at most {ENTRY_ID_MAX} kept")]
    EntryIdTooLong {
        /// Its length.
        len: usize,
    },
    /// 290 names no level (or one past the end for a New), or lies beyond
    /// `max_levels`.
    #[error("tag 290 MDEntryPositionNo {position}: out of range (the side holds {len})")]
    PositionOutOfRange {
        /// The 1-based position.
        position: u16,
        /// Levels on the side.
        len: usize,
    },
    /// A position-keyed price would break the side's price order (or repeat
    /// a neighbour's price).
    #[error("tag 290 MDEntryPositionNo {position}: price out of order with its neighbours")]
    OutOfOrder {
        /// The 1-based position.
        position: u16,
    },
    /// A price-keyed Delete of a level the book does not hold.
    #[error("tag 270 MDEntryPx {}: no level at this price", PriceText(*.price))]
    UnknownLevel {
        /// The price.
        price: Price,
    },
    /// A field the action needs is absent.
    #[error("tag {tag} missing")]
    Missing {
        /// The tag.
        tag: u32,
    },
    /// A New with size 0 (id or position keyed).
    #[error("tag 271 MDEntrySize: 0 on a New")]
    ZeroSize,
    /// 269 names the other side from the one the entry id is on.
    #[error("tag 269 MDEntryType: entry id is on the other side")]
    SideMismatch,
}

/// Changes on one side since the last [`Book::take_changes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SideChanges {
    /// Best-first index of the first visible level that changed (`None`:
    /// the visible levels are as they were).
    pub first: Option<usize>,
    /// Visible levels at the last `take_changes`.
    pub prev_len: usize,
    /// Visible levels now.
    pub len: usize,
}

/// What [`Book::take_changes`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Changes {
    /// Bid side.
    pub bids: SideChanges,
    /// Offer side.
    pub asks: SideChanges,
    /// The best bid or offer (price or qty or orders) differs from the last
    /// `take_changes`.
    pub top_changed: bool,
}

impl Changes {
    /// The side's changes.
    pub fn side(&self, side: BookSide) -> &SideChanges {
        match side {
            BookSide::Bid => &self.bids,
            BookSide::Ask => &self.asks,
        }
    }

    /// True when nothing visible changed.
    pub fn is_empty(&self) -> bool {
        self.bids.first.is_none() && self.asks.first.is_none() && !self.top_changed
    }
}

/// The visible levels of one side, best first.
#[derive(Debug, Clone, Copy)]
pub struct Levels<'a> {
    /// Stored best last.
    stored: &'a [Level],
}

impl<'a> Levels<'a> {
    /// How many.
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// The `i`th level from the best (0 = best).
    pub fn get(&self, i: usize) -> Option<Level> {
        let n = self.stored.len();
        (i < n).then(|| self.stored[n - 1 - i])
    }

    /// The best level.
    pub fn best(&self) -> Option<Level> {
        self.stored.last().copied()
    }

    /// Best first.
    pub fn iter(&self) -> std::iter::Copied<std::iter::Rev<std::slice::Iter<'a, Level>>> {
        self.stored.iter().rev().copied()
    }
}

impl<'a> IntoIterator for Levels<'a> {
    type Item = Level;
    type IntoIter = std::iter::Copied<std::iter::Rev<std::slice::Iter<'a, Level>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// One side: levels sorted with the best last.
#[derive(Debug)]
struct Ladder {
    side: BookSide,
    levels: Vec<Level>,
    /// Change tracking: first changed visible best-first index.
    first: Option<usize>,
    prev_len: usize,
}

impl Ladder {
    fn new(side: BookSide, max_levels: usize) -> Ladder {
        Ladder {
            side,
            levels: Vec::with_capacity(max_levels),
            first: None,
            prev_len: 0,
        }
    }

    /// Storage order: ascending for bids, descending for asks (best last).
    #[inline]
    fn order(&self, stored: i64, price: i64) -> Ordering {
        match self.side {
            BookSide::Bid => stored.cmp(&price),
            BookSide::Ask => price.cmp(&stored),
        }
    }

    /// Ok(storage index) of the level at `price`, or Err(where it goes).
    #[inline]
    fn find(&self, price: i64) -> Result<usize, usize> {
        // Most updates are near the top: check the best end first.
        if let Some(best) = self.levels.last() {
            match self.order(best.price.0, price) {
                Ordering::Equal => return Ok(self.levels.len() - 1),
                Ordering::Less => return Err(self.levels.len()),
                Ordering::Greater => {}
            }
        }
        self.levels
            .binary_search_by(|l| self.order(l.price.0, price))
    }

    /// Best-first index of storage index `k` (len as it is now).
    #[inline]
    fn rank(&self, k: usize) -> usize {
        self.levels.len() - 1 - k
    }

    /// Records a change at best-first index `i` if it is visible.
    #[inline]
    fn note(&mut self, i: usize, depth: usize) {
        if i < depth {
            self.first = Some(self.first.map_or(i, |f| f.min(i)));
        }
    }

    fn visible(&self, depth: usize) -> &[Level] {
        let n = self.levels.len();
        &self.levels[n.saturating_sub(depth)..]
    }

    fn insert(&mut self, k: usize, level: Level, depth: usize) {
        self.levels.insert(k, level);
        let i = self.rank(k);
        self.note(i, depth);
    }

    fn remove(&mut self, k: usize, depth: usize) -> Level {
        let i = self.rank(k);
        self.note(i, depth);
        self.levels.remove(k)
    }

    fn touch(&mut self, k: usize, depth: usize) {
        let i = self.rank(k);
        self.note(i, depth);
    }
}

/// One instrument's book (see the module doc).
#[derive(Debug)]
pub struct Book {
    depth: usize,
    max_levels: usize,
    max_entries: usize,
    sides: [Ladder; 2],
    ids: IdTable,
    top_at_take: Top,
}

impl Book {
    /// A book showing `depth` levels per side, keeping up to `max_levels`
    /// (raised to `depth` if smaller) and `max_entries` entry ids. All
    /// memory is allocated here.
    pub fn new(depth: usize, max_levels: usize, max_entries: usize) -> Book {
        let max_levels = max_levels.max(depth);
        Book {
            depth,
            max_levels,
            max_entries,
            sides: [
                Ladder::new(BookSide::Bid, max_levels),
                Ladder::new(BookSide::Ask, max_levels),
            ],
            ids: IdTable::new(max_entries),
            top_at_take: Top::default(),
        }
    }

    /// Visible levels per side.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Levels kept per side.
    pub fn max_levels(&self) -> usize {
        self.max_levels
    }

    /// Entry ids kept.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Entry ids held now.
    pub fn entries(&self) -> usize {
        self.ids.len()
    }

    /// Levels held on `side` (visible and not).
    pub fn levels_kept(&self, side: BookSide) -> usize {
        self.sides[side.index()].levels.len()
    }

    /// The visible bids, best (highest) first.
    pub fn bids(&self) -> Levels<'_> {
        self.levels(BookSide::Bid)
    }

    /// The visible offers, best (lowest) first.
    pub fn asks(&self) -> Levels<'_> {
        self.levels(BookSide::Ask)
    }

    /// The visible levels of `side`, best first.
    pub fn levels(&self, side: BookSide) -> Levels<'_> {
        Levels {
            stored: self.sides[side.index()].visible(self.depth),
        }
    }

    /// Every level kept on `side` (beyond the visible depth too), best first.
    pub fn all_levels(&self, side: BookSide) -> Levels<'_> {
        Levels {
            stored: &self.sides[side.index()].levels,
        }
    }

    /// The best bid and offer.
    pub fn top(&self) -> Top {
        Top {
            bid: self.sides[0].levels.last().copied(),
            ask: self.sides[1].levels.last().copied(),
        }
    }

    /// Empties the book (levels and entry ids); tracked as a change of every
    /// visible level.
    pub fn clear(&mut self) {
        for s in &mut self.sides {
            if !s.levels.is_empty() {
                s.note(0, self.depth);
                s.levels.clear();
            }
        }
        self.ids.clear();
    }

    /// A deterministic FNV-1a hash of the visible levels (bids then offers,
    /// each level's price, qty and orders, and each side's length).
    pub fn state_hash(&self) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0100_0000_01b3;
        fn eat(h: &mut u64, bytes: &[u8]) {
            for &b in bytes {
                *h ^= b as u64;
                *h = h.wrapping_mul(PRIME);
            }
        }
        let mut h = OFFSET;
        for side in [BookSide::Bid, BookSide::Ask] {
            let levels = self.levels(side);
            eat(&mut h, &(levels.len() as u64).to_le_bytes());
            for l in levels {
                eat(&mut h, &l.price.0.to_le_bytes());
                eat(&mut h, &l.qty.0.to_le_bytes());
                eat(&mut h, &l.orders.to_le_bytes());
            }
        }
        h
    }

    /// What changed since the last call (see the module doc), and resets
    /// the tracking.
    pub fn take_changes(&mut self) -> Changes {
        let top = self.top();
        let depth = self.depth;
        let mut out = [SideChanges::default(); 2];
        for (o, s) in out.iter_mut().zip(self.sides.iter_mut()) {
            let len = s.levels.len().min(depth);
            // A level that came and went below both lengths is no change.
            let first = s.first.take().filter(|&f| f < len.max(s.prev_len));
            *o = SideChanges {
                first,
                prev_len: s.prev_len,
                len,
            };
            s.prev_len = len;
        }
        let top_changed = top != self.top_at_take;
        self.top_at_take = top;
        Changes {
            bids: out[0],
            asks: out[1],
            top_changed,
        }
    }

    /// Applies one X entry (or any entry with its own action).
    pub fn apply(&mut self, e: &MdEntry<'_>) -> Result<Applied, BookError> {
        self.apply_as(e, e.action, false)
    }

    /// Applies one W entry after [`Book::clear`]: as a New, price-keyed
    /// repeats of a price adding to the level.
    pub fn apply_snapshot(&mut self, e: &MdEntry<'_>) -> Result<Applied, BookError> {
        self.apply_as(e, UpdateAction::New, true)
    }

    fn apply_as(
        &mut self,
        e: &MdEntry<'_>,
        action: UpdateAction,
        snapshot: bool,
    ) -> Result<Applied, BookError> {
        let side = match e.kind {
            Some(k) => match BookSide::from_entry_type(k) {
                Some(s) => Some(s),
                None => return Ok(Applied::Ignored),
            },
            None => None,
        };
        let id = match (e.ref_id, e.entry_id) {
            (Some(r), _) if action != UpdateAction::New => Some(r),
            (_, Some(id)) => Some(id),
            _ => None,
        };
        if let Some(id) = id {
            if id.len() > ENTRY_ID_MAX {
                return Err(BookError::EntryIdTooLong { len: id.len() });
            }
        }
        let side = match side {
            Some(s) => s,
            None => {
                // Only an id-keyed non-New may leave 269 out.
                let slot = match id {
                    Some(id) if action != UpdateAction::New => self.ids.find(id),
                    _ => None,
                };
                match slot {
                    Some(i) => side_of(self.ids.get(i).side),
                    None if id.is_some() && action != UpdateAction::New => {
                        return Err(BookError::UnknownEntryId)
                    }
                    None => {
                        return Err(BookError::Missing {
                            tag: TAG_MD_ENTRY_TYPE,
                        })
                    }
                }
            }
        };
        match action {
            UpdateAction::DeleteThru | UpdateAction::DeleteFrom => {
                self.delete_range(side, e, id, action == UpdateAction::DeleteThru)?
            }
            _ => {
                if let Some(id) = id {
                    self.apply_id(side, e, id, action)?
                } else if let Some(p) = e.position {
                    self.apply_position(side, e, p, action)?
                } else {
                    self.apply_price(side, e, action, snapshot)?
                }
            }
        }
        Ok(Applied::Updated(side))
    }
}

fn side_of(b: u8) -> BookSide {
    if b == 0 {
        BookSide::Bid
    } else {
        BookSide::Ask
    }
}
