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
    /// Market data for an instrument (the market-data issue).
    Subscribe {
        /// What.
        instrument: InstrumentId,
        /// Book depth (0: full).
        depth: u16,
    },
    /// Stop market data for an instrument.
    Unsubscribe {
        /// What.
        instrument: InstrumentId,
    },
    /// Ask for a quote.
    QuoteRequest {
        /// The strategy's reference.
        tag: u64,
        /// What.
        instrument: InstrumentId,
        /// How much.
        qty: Qty,
    },
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
}
