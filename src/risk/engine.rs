//! The pre-trade risk engine: every new order and replace is judged here
//! before the order stage sends it.
//!
//! Owns the limits that are not per instrument ([`RiskConfig`]), the order
//! rate's token bucket, the kill switch with its venue-reject breaker, and
//! the reject counters. Per-instrument limits come from the shared
//! [`InstrumentTable`]; open orders, positions and market prices come from
//! the order stage through [`RiskView`]. It changes no order state, sends
//! nothing and reads no clock: `now` is an argument.
//!
//! # Driving contract
//!
//! The order stage owns the `RiskEngine` on its thread and calls
//! [`RiskEngine::check_new`] for every `Command::NewOrder` and
//! [`RiskEngine::check_replace`] for every `Command::Replace`, sending only
//! on `Ok`. Cancels are never checked (they only reduce risk, and the kill
//! switch depends on them). After handling commands and reports it calls
//! [`RiskEngine::take_cancel_all`] and, on `true`, cancels every open
//! order. For every order the venue rejects (ExecutionReport with
//! ExecType = Rejected) it calls [`RiskEngine::on_venue_reject`]. Admin
//! commands arrive over the control channel and become
//! [`RiskEngine::engage`] / [`RiskEngine::release`].
//!
//! Every method that the order path calls is O(1) and never allocates; only
//! [`RiskEngine::new`] allocates (the breaker's ring and the counters).
//!
//! # Check order
//!
//! When several checks would refuse an order, the first in this list wins:
//!
//! 1. `KillSwitch`: the kill switch is engaged.
//! 2. `UnknownInstrument`: no such id in the table.
//! 3. `BadPrice`: a limit price that is not positive or not a multiple of
//!    the tick size (market orders: the price is ignored).
//! 4. `BadQty`: a quantity that is not positive or not a multiple of the lot
//!    size.
//! 5. `MaxOrderQty`: quantity above the instrument's maximum.
//! 6. `MaxNotional`: price × quantity (i128, in price units) above the
//!    instrument's maximum; a market order is valued at the reference price
//!    (below), and without one its notional cannot be bounded: refused.
//! 7. `PriceCollar`: a limit price more than `collar_bps` basis points from
//!    the reference price (inclusive bound: exactly `collar_bps` passes);
//!    without a reference price a limit order is refused. Market orders
//!    have no price to collar.
//! 8. `MaxOpenOrders` (new orders only): `open_orders() >= max_open_orders`.
//! 9. `PositionLimit`: position + same-side open quantity + this order must
//!    stay within ±`position_limit` (only the side the order moves is
//!    checked: a buy is judged against `+limit`, a sell against `-limit`).
//! 10. `DuplicateOrder` (new orders only): the tag is on an open order.
//! 11. `OrderRate`: no token left in the bucket.
//!
//! The reference price is the view's market price when it knows one
//! (positive), else the instrument's configured `reference_price` when
//! positive. The rate comes last on purpose: it is the only check that
//! consumes something, so a token is spent only by an order that is sent,
//! and a refused order costs nothing.
//!
//! # Limits are literal
//!
//! Every limit means what it says, 0 included (a `position_limit` of 0
//! allows no position; a `collar_bps` of 0 allows only the reference price):
//! the engine fails closed. "No limit" is the type's maximum (`i64::MAX`,
//! `i128::MAX`, `u32::MAX`).

use super::breaker::Breaker;
use super::bucket::TokenBucket;
use super::counters::{KillReason, RiskCounters};
use super::RiskView;
use crate::strategy::{
    Instrument, InstrumentId, InstrumentTable, OrdType, Price, Qty, RejectReason, Side,
};
use std::sync::Arc;

/// Basis points per 1.0.
const BPS: i128 = 10_000;

/// The venue-reject breaker's setting: `count` venue rejects within
/// `window_secs` engage the kill switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectBreakerConfig {
    /// Rejects that trip it (at least 1; the ring holds this many times).
    pub count: u32,
    /// The window, in seconds (at least 1): the `count`-th reject trips it
    /// when the first of the `count` came less than this long before.
    pub window_secs: u32,
}

/// The risk limits that are not per instrument (`[risk]` in the config
/// file; per-instrument limits are in the [`InstrumentTable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskConfig {
    /// New orders are refused while this many orders are open.
    pub max_open_orders: u32,
    /// Token-bucket refill: orders (and replaces) per second over time.
    pub order_rate_per_sec: u32,
    /// Token-bucket size: orders (and replaces) allowed at once.
    pub order_burst: u32,
    /// The venue-reject breaker; `None` = off.
    pub reject_breaker: Option<RejectBreakerConfig>,
}

impl RiskConfig {
    /// `max_open_orders` when not configured.
    pub const DEFAULT_MAX_OPEN_ORDERS: u32 = 1000;
    /// `order_rate_per_sec` when not configured (`order_burst` defaults to
    /// the rate: one second's worth).
    pub const DEFAULT_ORDER_RATE_PER_SEC: u32 = 100;
    /// The breaker when not configured: 50 venue rejects within 10 seconds.
    pub const DEFAULT_REJECT_BREAKER: RejectBreakerConfig = RejectBreakerConfig {
        count: 50,
        window_secs: 10,
    };
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            max_open_orders: Self::DEFAULT_MAX_OPEN_ORDERS,
            order_rate_per_sec: Self::DEFAULT_ORDER_RATE_PER_SEC,
            order_burst: Self::DEFAULT_ORDER_RATE_PER_SEC,
            reject_breaker: Some(Self::DEFAULT_REJECT_BREAKER),
        }
    }
}

/// Pre-trade risk checks, the order-rate bucket and the kill switch (see
/// the module documentation for the check order).
#[derive(Debug)]
pub struct RiskEngine {
    config: RiskConfig,
    instruments: Arc<InstrumentTable>,
    bucket: TokenBucket,
    breaker: Option<Breaker>,
    kill_switch: Option<KillReason>,
    cancel_all: bool,
    counters: Arc<RiskCounters>,
}

impl RiskEngine {
    /// An engine with a full token bucket and the kill switch released.
    /// Allocates the breaker's ring (`count` timestamps) and the counters.
    pub fn new(config: RiskConfig, instruments: Arc<InstrumentTable>) -> RiskEngine {
        RiskEngine {
            bucket: TokenBucket::new(config.order_rate_per_sec, config.order_burst),
            breaker: config
                .reject_breaker
                .map(|b| Breaker::new(b.count, b.window_secs)),
            config,
            instruments,
            kill_switch: None,
            cancel_all: false,
            counters: Arc::default(),
        }
    }

    /// Judges a new order; `Ok` means send it (and a rate token was taken).
    /// Every refusal is counted. O(1), no allocation.
    ///
    /// Flat arguments, as they come out of `Command::NewOrder`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn check_new(
        &mut self,
        now_nanos: i64,
        instrument: InstrumentId,
        side: Side,
        ord_type: OrdType,
        price: Price,
        qty: Qty,
        tag: u64,
        view: &dyn RiskView,
    ) -> Result<(), RejectReason> {
        let verdict = self.judge_new(now_nanos, instrument, side, ord_type, price, qty, tag, view);
        match verdict {
            Ok(()) => self.counters.passed_new(),
            Err(reason) => self.counters.reject(reason),
        }
        verdict
    }

    /// Judges a replace of a working order: `current` is its (price, total
    /// quantity) now, `new` what the replace asks for. `Ok` means send it
    /// (and a rate token was taken). Every refusal is counted. O(1), no
    /// allocation.
    ///
    /// The checks are the new-order checks without `MaxOpenOrders` and
    /// `DuplicateOrder` (the order is already open and keeps its tag), in
    /// the same order, with these differences:
    /// - the collar judges the new price only when it differs from the
    ///   current one, so a quantity-only change is not refused because the
    ///   market moved away from a resting order;
    /// - the position cap counts the quantity delta (`new.1 - current.1`,
    ///   since the current quantity is already in the view's open quantity),
    ///   and only when it is positive: a replace that does not add quantity
    ///   cannot take the position further;
    /// - a replace is a message to the venue, so it takes a rate token like
    ///   a new order (venues limit all messages, and a runaway amend loop is
    ///   a classic failure). Cancels take none.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn check_replace(
        &mut self,
        now_nanos: i64,
        instrument: InstrumentId,
        side: Side,
        ord_type: OrdType,
        current: (Price, Qty),
        new: (Price, Qty),
        view: &dyn RiskView,
    ) -> Result<(), RejectReason> {
        let verdict = self.judge_replace(now_nanos, instrument, side, ord_type, current, new, view);
        match verdict {
            Ok(()) => self.counters.passed_replace(),
            Err(reason) => self.counters.reject(reason),
        }
        verdict
    }

    /// Engages the kill switch: new orders and replaces are refused with
    /// `KillSwitch`, and [`RiskEngine::take_cancel_all`] turns true. Engaging
    /// it again while engaged keeps the first reason but asks for another
    /// cancel-all (orders acknowledged since are caught). True when it was
    /// released before.
    pub fn engage(&mut self, reason: KillReason) -> bool {
        self.cancel_all = true;
        if self.kill_switch.is_some() {
            return false;
        }
        self.kill_switch = Some(reason);
        self.counters.set_kill_switch(Some(reason), true);
        true
    }

    /// Releases the kill switch and clears the breaker's history (so the
    /// rejects that tripped it do not trip it again). A cancel-all not yet
    /// taken stays pending: the orders it was for are still canceled. True
    /// when it was engaged.
    pub fn release(&mut self) -> bool {
        if let Some(b) = &mut self.breaker {
            b.clear();
        }
        self.counters.set_kill_switch(None, false);
        self.kill_switch.take().is_some()
    }

    /// True while the kill switch is engaged.
    pub fn is_engaged(&self) -> bool {
        self.kill_switch.is_some()
    }

    /// Why the kill switch is engaged, if it is.
    pub fn kill_reason(&self) -> Option<KillReason> {
        self.kill_switch
    }

    /// True once after each [`RiskEngine::engage`] (by command or by the
    /// breaker): the caller must now cancel every open order. Reading it
    /// clears it.
    pub fn take_cancel_all(&mut self) -> bool {
        std::mem::take(&mut self.cancel_all)
    }

    /// The venue rejected an order (ExecutionReport, ExecType = Rejected).
    /// Counted as `venue`; feeds the breaker, which engages the kill switch
    /// with [`KillReason::RejectBreaker`] when `count` such rejects fall
    /// within its window. True when this reject engaged it.
    ///
    /// Only venue rejects feed the breaker, not the engine's own: a risk
    /// reject never reaches the venue and is already the engine protecting
    /// it (a strategy hammering a limit shows in the counters), whereas a
    /// run of venue rejects means orders the engine thought fine are not,
    /// and sending more risks the venue's penalties. OrderCancelRejects
    /// should not be reported here: "too late to cancel" is a normal race.
    pub fn on_venue_reject(&mut self, now_nanos: i64) -> bool {
        self.counters.reject(RejectReason::Venue(0));
        let tripped = match &mut self.breaker {
            Some(b) if self.kill_switch.is_none() => b.record(now_nanos),
            _ => false,
        };
        tripped && self.engage(KillReason::RejectBreaker)
    }

    /// Counts a refusal decided elsewhere (the order stage's `NoOrderSlot`,
    /// `SessionDown`, `UnknownOrder`, `NotCancelable`, `VenueCancelReject`)
    /// so the control plane reads one table. Not for venue order rejects:
    /// [`RiskEngine::on_venue_reject`] counts those.
    #[inline]
    pub fn count(&mut self, reason: RejectReason) {
        self.counters.reject(reason);
    }

    /// The published counters; clone the `Arc` for the control plane at
    /// start-up.
    pub fn counters(&self) -> &Arc<RiskCounters> {
        &self.counters
    }

    /// The limits this engine was built with.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// The instrument table.
    pub fn instruments(&self) -> &Arc<InstrumentTable> {
        &self.instruments
    }

    /// Whole rate tokens available at `now_nanos`.
    pub fn tokens_available(&self, now_nanos: i64) -> u64 {
        self.bucket.available(now_nanos)
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn judge_new(
        &mut self,
        now_nanos: i64,
        instrument: InstrumentId,
        side: Side,
        ord_type: OrdType,
        price: Price,
        qty: Qty,
        tag: u64,
        view: &dyn RiskView,
    ) -> Result<(), RejectReason> {
        if self.kill_switch.is_some() {
            return Err(RejectReason::KillSwitch);
        }
        let ins = self
            .instruments
            .get(instrument)
            .ok_or(RejectReason::UnknownInstrument)?;
        let limit = limit_price(ins, ord_type, price)?;
        order_qty(ins, qty)?;
        let reference = reference_price(ins, view);
        notional(ins, limit.or(reference), qty)?;
        if let Some(p) = limit {
            collar(ins, p, reference)?;
        }
        if view.open_orders() >= self.config.max_open_orders {
            return Err(RejectReason::MaxOpenOrders);
        }
        position(ins, side, i128::from(qty.0), view)?;
        if view.tag_in_use(tag) {
            return Err(RejectReason::DuplicateOrder);
        }
        if !self.bucket.try_take(now_nanos) {
            return Err(RejectReason::OrderRate);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn judge_replace(
        &mut self,
        now_nanos: i64,
        instrument: InstrumentId,
        side: Side,
        ord_type: OrdType,
        current: (Price, Qty),
        new: (Price, Qty),
        view: &dyn RiskView,
    ) -> Result<(), RejectReason> {
        if self.kill_switch.is_some() {
            return Err(RejectReason::KillSwitch);
        }
        let ins = self
            .instruments
            .get(instrument)
            .ok_or(RejectReason::UnknownInstrument)?;
        let (price, qty) = new;
        let limit = limit_price(ins, ord_type, price)?;
        order_qty(ins, qty)?;
        let reference = reference_price(ins, view);
        notional(ins, limit.or(reference), qty)?;
        match limit {
            Some(p) if p != current.0 => collar(ins, p, reference)?,
            _ => {}
        }
        let delta = i128::from(qty.0) - i128::from(current.1 .0);
        if delta > 0 {
            position(ins, side, delta, view)?;
        }
        if !self.bucket.try_take(now_nanos) {
            return Err(RejectReason::OrderRate);
        }
        Ok(())
    }
}

/// A limit order's price, checked: positive and on the tick. `None` for a
/// market order (its price is ignored).
#[inline]
fn limit_price(
    ins: &Instrument,
    ord_type: OrdType,
    price: Price,
) -> Result<Option<Price>, RejectReason> {
    match ord_type {
        OrdType::Market => Ok(None),
        OrdType::Limit => {
            if price.0 > 0 && price.0.checked_rem(ins.tick_size.0) == Some(0) {
                Ok(Some(price))
            } else {
                Err(RejectReason::BadPrice)
            }
        }
    }
}

/// Lot size, then the maximum order quantity.
#[inline]
fn order_qty(ins: &Instrument, qty: Qty) -> Result<(), RejectReason> {
    if qty.0 <= 0 || qty.0.checked_rem(ins.lot_size.0) != Some(0) {
        return Err(RejectReason::BadQty);
    }
    if qty > ins.max_order_qty {
        return Err(RejectReason::MaxOrderQty);
    }
    Ok(())
}

/// The market price if the view knows a positive one, else the configured
/// reference price if positive.
#[inline]
fn reference_price(ins: &Instrument, view: &dyn RiskView) -> Option<Price> {
    view.market_price(ins.id)
        .filter(|p| p.0 > 0)
        .or(Some(ins.reference_price).filter(|p| p.0 > 0))
}

/// `price × qty` against the maximum; no price to value it at: refused.
#[inline]
fn notional(ins: &Instrument, price: Option<Price>, qty: Qty) -> Result<(), RejectReason> {
    match price {
        Some(p) if i128::from(p.0) * i128::from(qty.0) <= ins.max_notional => Ok(()),
        _ => Err(RejectReason::MaxNotional),
    }
}

/// `|price - reference| / reference <= collar_bps / 10,000`, in integers.
#[inline]
fn collar(ins: &Instrument, price: Price, reference: Option<Price>) -> Result<(), RejectReason> {
    let Some(r) = reference else {
        return Err(RejectReason::PriceCollar);
    };
    let distance = (i128::from(price.0) - i128::from(r.0)).abs() * BPS;
    if distance <= i128::from(r.0) * i128::from(ins.collar_bps) {
        Ok(())
    } else {
        Err(RejectReason::PriceCollar)
    }
}

/// Position + same-side open quantity + `add` (on `side`) within the cap.
#[inline]
fn position(
    ins: &Instrument,
    side: Side,
    add: i128,
    view: &dyn RiskView,
) -> Result<(), RejectReason> {
    let held = i128::from(view.position(ins.id).0);
    let (open_buy, open_sell) = view.open_qty(ins.id);
    let cap = i128::from(ins.position_limit.0);
    let within = match side {
        Side::Buy => held + i128::from(open_buy.0) + add <= cap,
        Side::Sell => held - i128::from(open_sell.0) - add >= -cap,
    };
    if within {
        Ok(())
    } else {
        Err(RejectReason::PositionLimit)
    }
}
