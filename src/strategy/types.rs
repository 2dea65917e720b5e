//! What crosses the rings between a strategy and the engine: small, fixed-size
//! `Copy` values. No strings: instruments are ids into the instrument table,
//! prices and quantities are fixed-point integers.

use crate::codec::Fixed;

/// A price: fixed-point with 8 decimals (`Price(108_345_000)` is 1.08345).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(pub i64);

impl Price {
    /// Units per 1.0.
    pub const SCALE: i64 = 100_000_000;
    /// Decimal places.
    pub const DECIMALS: u8 = 8;

    /// From a parsed FIX value; `None` when it has more than 8 decimals or
    /// does not fit.
    pub fn from_fixed(f: Fixed) -> Option<Price> {
        f.mantissa_at(Self::DECIMALS).map(Price)
    }

    /// For encoding (trailing zeros are the encoder's business).
    pub fn to_fixed(self) -> Fixed {
        Fixed::new(self.0, Self::DECIMALS)
    }

    /// From a decimal (config, tests).
    pub fn from_decimal(d: rust_decimal::Decimal) -> Option<Price> {
        Fixed::from_decimal(d).and_then(Price::from_fixed)
    }

    /// As a decimal (reports).
    pub fn to_decimal(self) -> rust_decimal::Decimal {
        self.to_fixed().to_decimal()
    }
}

/// A quantity in whole units (shares, contracts, currency units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Qty(pub i64);

/// An instrument: an index into the [`super::InstrumentTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct InstrumentId(pub u16);

/// An order as the engine knows it: its slot in the order table and the
/// slot's generation (a reused slot gets a new generation, so a stale id is
/// recognised). Assigned by the order stage when it accepts a NewOrder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OrderId {
    /// Slot index.
    pub slot: u32,
    /// Slot generation.
    pub generation: u32,
}

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Side (54) = 1.
    Buy,
    /// Side (54) = 2.
    Sell,
}

impl Side {
    /// The FIX value.
    pub const fn fix(self) -> u8 {
        match self {
            Side::Buy => b'1',
            Side::Sell => b'2',
        }
    }

    /// +1 for buy, -1 for sell (position arithmetic).
    pub const fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

/// Order type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrdType {
    /// OrdType (40) = 1.
    Market,
    /// OrdType (40) = 2.
    Limit,
}

impl OrdType {
    /// The FIX value.
    pub const fn fix(self) -> u8 {
        match self {
            OrdType::Market => b'1',
            OrdType::Limit => b'2',
        }
    }
}

/// Time in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// TimeInForce (59) = 0.
    Day,
    /// 59 = 1.
    Gtc,
    /// 59 = 3.
    Ioc,
    /// 59 = 4.
    Fok,
}

impl TimeInForce {
    /// The FIX value.
    pub const fn fix(self) -> u8 {
        match self {
            TimeInForce::Day => b'0',
            TimeInForce::Gtc => b'1',
            TimeInForce::Ioc => b'3',
            TimeInForce::Fok => b'4',
        }
    }
}

/// What a strategy asks of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// A new order. `tag` is the strategy's own reference, echoed in
    /// [`Event::OrderSent`] / [`Event::Rejected`].
    NewOrder {
        /// The strategy's reference.
        tag: u64,
        /// What.
        instrument: InstrumentId,
        /// Buy or sell.
        side: Side,
        /// Market or limit.
        ord_type: OrdType,
        /// Time in force.
        tif: TimeInForce,
        /// Limit price (ignored for market orders).
        price: Price,
        /// Quantity.
        qty: Qty,
    },
    /// Cancel an open order.
    Cancel {
        /// The order.
        order: OrderId,
    },
    /// Change an open order's price and/or quantity.
    Replace {
        /// The order.
        order: OrderId,
        /// New limit price.
        price: Price,
        /// New total quantity.
        qty: Qty,
    },
    /// Ask the venue for an order's status.
    Status {
        /// The order.
        order: OrderId,
    },
    /// Ask the venue for the status of every open order.
    MassStatus,
    /// Market data for an instrument: a MarketDataRequest (V). The book is
    /// rebuilt from the snapshot (W) and kept by the incrementals (X); the
    /// strategy gets [`Event::TopOfBook`] (and [`Event::BookLevel`] when
    /// `depth` > 1), [`Event::Trade`], and [`Event::BookStale`] /
    /// [`Event::BookLive`] as the book's state changes. The subscription is
    /// restored after every reconnect.
    Subscribe {
        /// What.
        instrument: InstrumentId,
        /// MarketDepth (264): 0 full book (the instrument's configured
        /// depth), 1 top of book, N levels.
        depth: u16,
        /// MDEntryTypes (269) asked for.
        entries: MdEntryTypes,
        /// SubscriptionRequestType (263): true = snapshot plus updates
        /// (1), false = snapshot only (0).
        updates: bool,
        /// AggregatedBook (266): true = one entry per price level, false =
        /// one entry per order (the venue keys entries by MDEntryID).
        aggregated: bool,
    },
    /// Stop market data for an instrument (V with 263=2).
    Unsubscribe {
        /// What.
        instrument: InstrumentId,
    },
    /// Ask for a quote: a QuoteRequest (R). Answered by [`Event::Quote`]
    /// or [`Event::QuoteRequestRejected`].
    QuoteRequest {
        /// The strategy's reference, echoed in the answer.
        tag: u64,
        /// What.
        instrument: InstrumentId,
        /// How much.
        qty: Qty,
        /// One side, or `None` for a two-way quote.
        side: Option<Side>,
    },
    /// Trade on a quote received in [`Event::Quote`]: a NewOrderSingle at
    /// the quoted price with QuoteID (117), time in force FOK. Goes through
    /// pre-trade risk and the order stage like any order (`OrderSent`,
    /// `Rejected`, `Fill`, ... follow).
    OrderOnQuote {
        /// The strategy's reference.
        tag: u64,
        /// The quote.
        quote: QuoteId,
        /// Buy (at the offer) or sell (at the bid).
        side: Side,
        /// Quantity (at most the quoted size).
        qty: Qty,
    },
}

/// A set of MDEntryType (269) values, one bit each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MdEntryTypes(pub u16);

impl MdEntryTypes {
    /// 269=0.
    pub const BID: MdEntryTypes = MdEntryTypes(1 << 0);
    /// 269=1.
    pub const OFFER: MdEntryTypes = MdEntryTypes(1 << 1);
    /// 269=2.
    pub const TRADE: MdEntryTypes = MdEntryTypes(1 << 2);
    /// 269=3.
    pub const INDEX_VALUE: MdEntryTypes = MdEntryTypes(1 << 3);
    /// 269=4.
    pub const OPENING: MdEntryTypes = MdEntryTypes(1 << 4);
    /// 269=5.
    pub const CLOSING: MdEntryTypes = MdEntryTypes(1 << 5);
    /// 269=6.
    pub const SETTLEMENT: MdEntryTypes = MdEntryTypes(1 << 6);
    /// 269=7.
    pub const SESSION_HIGH: MdEntryTypes = MdEntryTypes(1 << 7);
    /// 269=8.
    pub const SESSION_LOW: MdEntryTypes = MdEntryTypes(1 << 8);
    /// 269=9.
    pub const VWAP: MdEntryTypes = MdEntryTypes(1 << 9);
    /// 269=A.
    pub const IMBALANCE: MdEntryTypes = MdEntryTypes(1 << 10);
    /// 269=B.
    pub const TRADE_VOLUME: MdEntryTypes = MdEntryTypes(1 << 11);
    /// 269=C.
    pub const OPEN_INTEREST: MdEntryTypes = MdEntryTypes(1 << 12);
    /// Bids and offers: the book.
    pub const BOOK: MdEntryTypes = MdEntryTypes(0b11);
    /// Bids, offers and trades.
    pub const BOOK_AND_TRADES: MdEntryTypes = MdEntryTypes(0b111);

    const FIX: [u8; 13] = *b"0123456789ABC";

    /// The bit for one FIX value, if it is one of the thirteen above.
    pub fn from_fix(v: u8) -> Option<MdEntryTypes> {
        Self::FIX
            .iter()
            .position(|&c| c == v)
            .map(|i| MdEntryTypes(1 << i))
    }

    /// Union.
    pub const fn with(self, other: MdEntryTypes) -> MdEntryTypes {
        MdEntryTypes(self.0 | other.0)
    }

    /// Every bit of `other` is set.
    pub const fn contains(self, other: MdEntryTypes) -> bool {
        self.0 & other.0 == other.0
    }

    /// The FIX values in the set, in order.
    pub fn fix_values(self) -> impl Iterator<Item = u8> {
        (0..Self::FIX.len())
            .filter(move |i| self.0 & (1 << i) != 0)
            .map(|i| Self::FIX[i])
    }
}

/// A quote the engine holds: a slot in its quote table and the slot's
/// generation (the venue's QuoteID string stays in the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QuoteId {
    /// Slot index.
    pub slot: u16,
    /// Slot generation.
    pub generation: u16,
}

/// Why a book is not to be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaleCause {
    /// No update within the instrument's staleness interval (the book is
    /// kept; it turns live again with the next update).
    NoUpdates,
    /// The session went down: the book was cleared.
    Disconnect,
    /// A sequence gap on the session: the book was cleared and a new
    /// snapshot requested.
    Gap,
    /// An update the book could not apply (unknown entry, position out of
    /// range, table full): cleared, new snapshot requested.
    BadUpdate,
}

/// The best bid and offer after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TopOfBook {
    /// What.
    pub instrument: InstrumentId,
    /// Best bid (0 when there is none).
    pub bid: Price,
    /// Quantity at the best bid (0: no bid).
    pub bid_qty: Qty,
    /// Best offer (0 when there is none).
    pub ask: Price,
    /// Quantity at the best offer (0: no offer).
    pub ask_qty: Qty,
    /// ask − bid when both sides are present, else 0.
    pub spread: Price,
    /// (bid_qty − ask_qty) / (bid_qty + ask_qty) in millionths:
    /// −1_000_000 (only offers) ..= 1_000_000 (only bids); 0 when empty.
    pub imbalance: i32,
    /// Book updates applied to this instrument's book since it was last
    /// rebuilt (a strategy can tell coalesced updates by the jumps).
    pub seq: u32,
}

/// Why an order or request was refused, by the engine (risk, limits) or by
/// the venue (with the venue's code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Price outside the collar around the reference price.
    PriceCollar,
    /// Quantity above the instrument's maximum.
    MaxOrderQty,
    /// Price × quantity above the maximum notional.
    MaxNotional,
    /// Too many open orders.
    MaxOpenOrders,
    /// The fill would take the position past its cap.
    PositionLimit,
    /// Order rate above the limit (token bucket empty).
    OrderRate,
    /// A `tag` already used by an open order.
    DuplicateOrder,
    /// The kill switch is engaged.
    KillSwitch,
    /// No such instrument.
    UnknownInstrument,
    /// Price not a multiple of the tick size, or not positive.
    BadPrice,
    /// Quantity not a positive multiple of the lot size.
    BadQty,
    /// The order table is full.
    NoOrderSlot,
    /// The session to the venue is not logged on.
    SessionDown,
    /// The order can no longer be canceled or replaced (filled, canceled,
    /// rejected, or a cancel/replace already pending).
    NotCancelable,
    /// No such order (stale or unknown id).
    UnknownOrder,
    /// The venue rejected the order: OrdRejReason (103).
    Venue(u16),
    /// The venue rejected a cancel or replace: CxlRejReason (102).
    VenueCancelReject(u16),
    /// An order on a quote the engine does not hold: never issued, or
    /// its slot reused since (stale), canceled by the venue, already
    /// traded on, or dropped at a disconnect.
    UnknownQuote,
    /// An order on a quote past its ValidUntilTime (62).
    QuoteExpired,
    /// An order on an indicative quote (QuoteType 537 not 1).
    QuoteNotFirm,
    /// An order on a side the quote does not price (a buy needs an offer,
    /// a sell a bid).
    QuoteSide,
    /// An order for more than the quoted size on its side.
    QuoteSize,
}

impl RejectReason {
    /// A short stable name (logs, metrics).
    pub const fn name(self) -> &'static str {
        match self {
            RejectReason::PriceCollar => "price_collar",
            RejectReason::MaxOrderQty => "max_order_qty",
            RejectReason::MaxNotional => "max_notional",
            RejectReason::MaxOpenOrders => "max_open_orders",
            RejectReason::PositionLimit => "position_limit",
            RejectReason::OrderRate => "order_rate",
            RejectReason::DuplicateOrder => "duplicate_order",
            RejectReason::KillSwitch => "kill_switch",
            RejectReason::UnknownInstrument => "unknown_instrument",
            RejectReason::BadPrice => "bad_price",
            RejectReason::BadQty => "bad_qty",
            RejectReason::NoOrderSlot => "no_order_slot",
            RejectReason::SessionDown => "session_down",
            RejectReason::NotCancelable => "not_cancelable",
            RejectReason::UnknownOrder => "unknown_order",
            RejectReason::Venue(_) => "venue",
            RejectReason::VenueCancelReject(_) => "venue_cancel_reject",
            RejectReason::UnknownQuote => "unknown_quote",
            RejectReason::QuoteExpired => "quote_expired",
            RejectReason::QuoteNotFirm => "quote_not_firm",
            RejectReason::QuoteSide => "quote_side",
            RejectReason::QuoteSize => "quote_size",
        }
    }
}

/// An order's state (FIX 4.4 OrdStatus, plus the engine's pending states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Sent, not yet acknowledged.
    PendingNew,
    /// Acknowledged, nothing filled.
    New,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancel sent, not yet answered.
    PendingCancel,
    /// Canceled (by us or by the venue).
    Canceled,
    /// Replace sent, not yet answered.
    PendingReplace,
    /// Replaced by a newer version (the order lives on under a new ClOrdID).
    Replaced,
    /// Rejected.
    Rejected,
    /// Expired (end of day, IOC/FOK remainder).
    Expired,
}

impl OrderState {
    /// Can no longer trade.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderState::Filled | OrderState::Canceled | OrderState::Rejected | OrderState::Expired
        )
    }
}

/// What the engine tells a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The order passed risk and was sent; it now has an id.
    OrderSent {
        /// The strategy's reference.
        tag: u64,
        /// The engine's id.
        order: OrderId,
    },
    /// The venue acknowledged the order.
    Accepted {
        /// The order.
        order: OrderId,
    },
    /// A NewOrder refused by the engine (no id yet: `order` is None) or an
    /// order rejected by the venue.
    Rejected {
        /// The strategy's reference.
        tag: u64,
        /// The order, if it was sent.
        order: Option<OrderId>,
        /// Why.
        reason: RejectReason,
    },
    /// A fill that leaves some quantity working.
    PartialFill {
        /// The order.
        order: OrderId,
        /// LastPx (31).
        last_px: Price,
        /// LastQty (32).
        last_qty: Qty,
        /// CumQty (14).
        cum_qty: Qty,
        /// LeavesQty (151).
        leaves_qty: Qty,
    },
    /// The fill that completes the order.
    Fill {
        /// The order.
        order: OrderId,
        /// LastPx (31).
        last_px: Price,
        /// LastQty (32).
        last_qty: Qty,
        /// CumQty (14).
        cum_qty: Qty,
    },
    /// Canceled (by request or unsolicited).
    Canceled {
        /// The order.
        order: OrderId,
    },
    /// The replace took effect.
    Replaced {
        /// The order.
        order: OrderId,
        /// Its price now.
        price: Price,
        /// Its total quantity now.
        qty: Qty,
    },
    /// A cancel or replace was refused (locally or by the venue).
    CancelRejected {
        /// The order.
        order: OrderId,
        /// Why.
        reason: RejectReason,
    },
    /// The order expired.
    Expired {
        /// The order.
        order: OrderId,
    },
    /// An answer to a status request (or reconciliation).
    Status {
        /// The order.
        order: OrderId,
        /// Its state.
        state: OrderState,
        /// Filled so far.
        cum_qty: Qty,
        /// Still working.
        leaves_qty: Qty,
    },
    /// A session to a venue logged on.
    SessionUp {
        /// Index of the session in the config.
        session: u16,
    },
    /// A session went down; `reason` is `session::DisconnectReason::index`.
    SessionDown {
        /// Index of the session in the config.
        session: u16,
        /// `DisconnectReason::index()`.
        reason: u8,
    },
    /// The best bid and offer changed (or, for a depth subscription, the
    /// end of a batch of [`Event::BookLevel`]s). Coalesced: when the ring
    /// is full the engine keeps only the latest state and sends it when
    /// there is room.
    TopOfBook(TopOfBook),
    /// One level of a depth subscription's book, best first (`level` 0).
    /// `qty` 0: the level is now empty (the book is shorter). A batch of
    /// these ends with a [`Event::TopOfBook`].
    BookLevel {
        /// What.
        instrument: InstrumentId,
        /// Bid or offer.
        side: Side,
        /// 0 = best.
        level: u16,
        /// The level's price.
        price: Price,
        /// Total quantity at the level.
        qty: Qty,
        /// Orders at the level (NumberOfOrders, 346, or entries), 0 if unknown.
        orders: u32,
    },
    /// A trade reported by the venue (MDEntryType 2).
    Trade {
        /// What.
        instrument: InstrumentId,
        /// Price.
        price: Price,
        /// Quantity.
        qty: Qty,
    },
    /// The venue refused a MarketDataRequest (Y).
    MarketDataRejected {
        /// What.
        instrument: InstrumentId,
        /// MDReqRejReason (281); 255 when the venue gave none.
        reason: u8,
    },
    /// The book is not to be trusted (see [`StaleCause`]).
    BookStale {
        /// What.
        instrument: InstrumentId,
        /// Why.
        cause: StaleCause,
    },
    /// The book is live again (rebuilt from a snapshot, or updated after a
    /// `NoUpdates` staleness).
    BookLive {
        /// What.
        instrument: InstrumentId,
    },
    /// A quote (S) answering a [`Command::QuoteRequest`].
    Quote {
        /// The request's tag.
        tag: u64,
        /// The quote, for [`Command::OrderOnQuote`].
        quote: QuoteId,
        /// What.
        instrument: InstrumentId,
        /// BidPx (132), 0 if none.
        bid: Price,
        /// BidSize (134).
        bid_qty: Qty,
        /// OfferPx (133), 0 if none.
        offer: Price,
        /// OfferSize (135).
        offer_qty: Qty,
        /// ValidUntilTime (62) in nanoseconds since the epoch, 0 if none.
        valid_until_ns: i64,
        /// QuoteType (537): true = tradeable (firm), false = indicative.
        firm: bool,
    },
    /// The venue withdrew a quote (Z), or it expired.
    QuoteCanceled {
        /// The quote.
        quote: QuoteId,
    },
    /// The venue refused a QuoteRequest (AG).
    QuoteRequestRejected {
        /// The request's tag.
        tag: u64,
        /// QuoteRequestRejectReason (658).
        reason: u16,
    },
}
