//! The instrument table: everything the engine knows about what it trades,
//! loaded once at start-up and indexed by [`InstrumentId`].

use super::types::{InstrumentId, Price, Qty};

/// One instrument and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Its id (its index in the table).
    pub id: InstrumentId,
    /// Symbol (55) as sent to the venue.
    pub symbol: String,
    /// Prices must be multiples of this.
    pub tick_size: Price,
    /// Quantities must be multiples of this.
    pub lot_size: Qty,
    /// The reference price for the price collar when no market price is known.
    pub reference_price: Price,
    /// Largest quantity of one order.
    pub max_order_qty: Qty,
    /// Largest price × quantity of one order, in price units (8 decimals).
    pub max_notional: i128,
    /// Largest absolute position.
    pub position_limit: Qty,
    /// Price collar: a limit price more than this many basis points away
    /// from the reference price is refused.
    pub collar_bps: u32,
    /// How the engine keeps this instrument's market data.
    pub market_data: MarketDataConfig,
}

/// One instrument's market-data settings (`[[instrument]]` `book_*` and
/// `stale_after_ms`): the book's fixed sizes and its staleness interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketDataConfig {
    /// Price levels per side the strategy sees (depth events, hashes).
    pub book_depth: u16,
    /// Price levels per side the book keeps (at least `book_depth`).
    pub book_max_levels: u16,
    /// Order-by-order entries (MDEntryID) the book can key.
    pub book_max_entries: u32,
    /// No update within this many milliseconds makes the book stale; 0 =
    /// never.
    pub stale_after_ms: u64,
}

impl Default for MarketDataConfig {
    /// 10 visible levels, 40 kept, 1024 entries, no staleness check.
    fn default() -> Self {
        MarketDataConfig {
            book_depth: 10,
            book_max_levels: 40,
            book_max_entries: 1024,
            stale_after_ms: 0,
        }
    }
}

/// Why the table could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstrumentError {
    /// Two instruments with one symbol.
    #[error("instrument {0:?} is defined twice")]
    Duplicate(String),
    /// More than `u16::MAX` instruments.
    #[error("more than 65535 instruments")]
    TooMany,
    /// A tick or lot size that is not positive.
    #[error("instrument {symbol:?}: {what} must be positive")]
    NotPositive {
        /// The instrument.
        symbol: String,
        /// Which value.
        what: &'static str,
    },
}

/// All instruments, by id; symbols looked up at start-up and on inbound
/// reports without allocating (a sorted index, binary search).
#[derive(Debug, Clone, Default)]
pub struct InstrumentTable {
    instruments: Vec<Instrument>,
    by_symbol: Vec<(Box<[u8]>, InstrumentId)>,
}

impl InstrumentTable {
    /// Builds the table; ids are assigned in order.
    pub fn new(mut list: Vec<Instrument>) -> Result<InstrumentTable, InstrumentError> {
        if list.len() > u16::MAX as usize {
            return Err(InstrumentError::TooMany);
        }
        let mut by_symbol = Vec::with_capacity(list.len());
        for (i, ins) in list.iter_mut().enumerate() {
            ins.id = InstrumentId(i as u16);
            if ins.tick_size.0 <= 0 {
                return Err(InstrumentError::NotPositive {
                    symbol: ins.symbol.clone(),
                    what: "tick_size",
                });
            }
            if ins.lot_size.0 <= 0 {
                return Err(InstrumentError::NotPositive {
                    symbol: ins.symbol.clone(),
                    what: "lot_size",
                });
            }
            by_symbol.push((Box::<[u8]>::from(ins.symbol.as_bytes()), ins.id));
        }
        by_symbol.sort();
        for w in by_symbol.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(InstrumentError::Duplicate(
                    String::from_utf8_lossy(&w[0].0).into_owned(),
                ));
            }
        }
        Ok(InstrumentTable {
            instruments: list,
            by_symbol,
        })
    }

    /// The instrument with this id.
    #[inline]
    pub fn get(&self, id: InstrumentId) -> Option<&Instrument> {
        self.instruments.get(id.0 as usize)
    }

    /// The id of a symbol.
    pub fn find(&self, symbol: &[u8]) -> Option<InstrumentId> {
        self.by_symbol
            .binary_search_by(|(s, _)| (**s).cmp(symbol))
            .ok()
            .map(|i| self.by_symbol[i].1)
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    /// All of them, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }
}
