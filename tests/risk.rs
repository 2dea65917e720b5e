//! The pre-trade risk engine: every rejection one by one with the exact
//! reason, which reason wins when several apply, the order-rate token bucket
//! over time, the position cap with open quantity, the collar with and
//! without a market price, the kill switch (by command and by the
//! venue-reject breaker), the counters, and zero allocations on the checks.
//!
//! The order stage is replaced by [`View`], a plain struct the tests set.
//! This binary installs a counting global allocator (per thread, so the
//! harness's other threads do not disturb it) for the allocation proof.

mod common;

use common::alloc::allocations_during;
use fixrail::risk::{
    reject_reason_index, KillReason, RejectBreakerConfig, RiskConfig, RiskEngine, RiskView,
    REJECT_REASON_KINDS, REJECT_REASON_NAMES,
};
use fixrail::strategy::{
    Instrument, InstrumentId, InstrumentTable, OrdType, Price, Qty, RejectReason, Side,
};
use std::hint::black_box;
use std::sync::Arc;

// ---- the counting allocator --------------------------------------------

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

// ---- the scenario ------------------------------------------------------

const SEC: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;
/// Some instant (nanoseconds since the epoch).
const T0: i64 = 1_700_000_000 * SEC;

const EURUSD: InstrumentId = InstrumentId(0);
/// Like EURUSD, but with no configured reference price.
const NOREF: InstrumentId = InstrumentId(1);
const UNKNOWN: InstrumentId = InstrumentId(7);

/// `n` units of 0.00001 (the tick), as a price: `px(108_000)` is 1.08000.
const fn px(ticks: i64) -> Price {
    Price(ticks * 1000)
}

/// 1.08000, EURUSD's reference price.
const REF: Price = px(108_000);
const MAX_QTY: i64 = 1_000_000;
/// 1,000,000 at 1.08000: the largest notional, in price units.
const MAX_NOTIONAL: i128 = MAX_QTY as i128 * REF.0 as i128;
const POSITION_LIMIT: i64 = 2_000_000;

/// EURUSD: tick 0.00001, lot 1,000, reference 1.08, at most 1,000,000 per
/// order and 1,080,000 of notional, position within ±2,000,000, collar 1%.
fn instruments() -> Arc<InstrumentTable> {
    let eurusd = Instrument {
        id: EURUSD,
        symbol: "EUR/USD".into(),
        tick_size: Price(1000),
        lot_size: Qty(1000),
        reference_price: REF,
        max_order_qty: Qty(MAX_QTY),
        max_notional: MAX_NOTIONAL,
        position_limit: Qty(POSITION_LIMIT),
        collar_bps: 100,
        market_data: Default::default(),
    };
    let noref = Instrument {
        symbol: "NOREF".into(),
        reference_price: Price(0),
        ..eurusd.clone()
    };
    Arc::new(InstrumentTable::new(vec![eurusd, noref]).unwrap())
}

/// A generous config: the tests that need a limit set it.
fn config() -> RiskConfig {
    RiskConfig {
        max_open_orders: 10,
        order_rate_per_sec: 1000,
        order_burst: 1000,
        reject_breaker: None,
    }
}

fn engine_with(config: RiskConfig) -> RiskEngine {
    RiskEngine::new(config, instruments())
}

fn engine() -> RiskEngine {
    engine_with(config())
}

/// The order stage's state as the tests set it (one instrument's worth:
/// every instrument sees the same position and open quantity).
#[derive(Debug, Clone, Default)]
struct View {
    open_orders: u32,
    position: i64,
    open_buy: i64,
    open_sell: i64,
    market: Option<Price>,
    tags: Vec<u64>,
}

impl RiskView for View {
    fn open_orders(&self) -> u32 {
        self.open_orders
    }
    fn position(&self, _: InstrumentId) -> Qty {
        Qty(self.position)
    }
    fn open_qty(&self, _: InstrumentId) -> (Qty, Qty) {
        (Qty(self.open_buy), Qty(self.open_sell))
    }
    fn market_price(&self, _: InstrumentId) -> Option<Price> {
        self.market
    }
    fn tag_in_use(&self, tag: u64) -> bool {
        self.tags.contains(&tag)
    }
}

/// A limit order on `instrument` at `now`, tag 1.
fn limit_on(
    e: &mut RiskEngine,
    now: i64,
    instrument: InstrumentId,
    side: Side,
    price: Price,
    qty: i64,
    view: &View,
) -> Result<(), RejectReason> {
    e.check_new(
        now,
        instrument,
        side,
        OrdType::Limit,
        price,
        Qty(qty),
        1,
        view,
    )
}

/// A EURUSD limit order at T0.
fn limit(
    e: &mut RiskEngine,
    side: Side,
    price: Price,
    qty: i64,
    view: &View,
) -> Result<(), RejectReason> {
    limit_on(e, T0, EURUSD, side, price, qty, view)
}

/// A market order (its price field set to something absurd: it is ignored).
fn market(
    e: &mut RiskEngine,
    instrument: InstrumentId,
    side: Side,
    qty: i64,
    view: &View,
) -> Result<(), RejectReason> {
    e.check_new(
        T0,
        instrument,
        side,
        OrdType::Market,
        Price(-5),
        Qty(qty),
        1,
        view,
    )
}

use RejectReason::*;
use Side::{Buy, Sell};

// ---- every rejection, one by one ---------------------------------------

#[test]
fn a_good_order_passes_and_is_counted() {
    let mut e = engine();
    let v = View::default();
    assert_eq!(limit(&mut e, Buy, REF, 100_000, &v), Ok(()));
    assert_eq!(limit(&mut e, Sell, px(108_001), 1000, &v), Ok(()));
    assert_eq!(market(&mut e, EURUSD, Sell, 1000, &v), Ok(()));
    assert_eq!(e.counters().new_passed(), 3);
    assert_eq!(e.counters().rejects_by_kind(), [0; REJECT_REASON_KINDS]);
}

#[test]
fn an_unknown_instrument_is_refused() {
    let mut e = engine();
    let v = View::default();
    assert_eq!(
        limit_on(&mut e, T0, UNKNOWN, Buy, REF, 1000, &v),
        Err(UnknownInstrument)
    );
}

#[test]
fn the_kill_switch_refuses_new_orders() {
    let mut e = engine();
    let v = View::default();
    e.engage(KillReason::Admin);
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(KillSwitch));
    assert_eq!(market(&mut e, EURUSD, Sell, 1000, &v), Err(KillSwitch));
}

#[test]
fn a_limit_price_must_be_a_positive_multiple_of_the_tick() {
    let mut e = engine();
    let v = View::default();
    // 1.080005: half a tick.
    assert_eq!(
        limit(&mut e, Buy, Price(108_000_500), 1000, &v),
        Err(BadPrice)
    );
    assert_eq!(limit(&mut e, Buy, Price(0), 1000, &v), Err(BadPrice));
    assert_eq!(
        limit(&mut e, Buy, Price(-108_000_000), 1000, &v),
        Err(BadPrice)
    );
    assert_eq!(limit(&mut e, Buy, Price(i64::MIN), 1000, &v), Err(BadPrice));
    assert_eq!(limit(&mut e, Buy, px(108_001), 1000, &v), Ok(()));
    // A market order's price is not looked at.
    assert_eq!(market(&mut e, EURUSD, Buy, 1000, &v), Ok(()));
}

#[test]
fn a_quantity_must_be_a_positive_multiple_of_the_lot() {
    let mut e = engine();
    let v = View::default();
    assert_eq!(limit(&mut e, Buy, REF, 1500, &v), Err(BadQty));
    assert_eq!(limit(&mut e, Buy, REF, 0, &v), Err(BadQty));
    assert_eq!(limit(&mut e, Buy, REF, -1000, &v), Err(BadQty));
    assert_eq!(limit(&mut e, Buy, REF, i64::MIN, &v), Err(BadQty));
    assert_eq!(market(&mut e, EURUSD, Buy, 999, &v), Err(BadQty));
    assert_eq!(limit(&mut e, Buy, REF, 2000, &v), Ok(()));
}

#[test]
fn a_quantity_above_the_maximum_is_refused() {
    let mut e = engine();
    let v = View::default();
    assert_eq!(
        limit(&mut e, Buy, REF, MAX_QTY + 1000, &v),
        Err(MaxOrderQty)
    );
    assert_eq!(
        market(&mut e, EURUSD, Buy, i64::MAX - 807, &v),
        Err(MaxOrderQty)
    );
}

#[test]
fn a_notional_above_the_maximum_is_refused() {
    let mut e = engine();
    let v = View::default();
    // 1,000,000 at 1.08000 is exactly the maximum; valued at the limit
    // price, 1,000,000 at 1.08001 is over it, 999,000 is not.
    assert_eq!(limit(&mut e, Buy, REF, MAX_QTY, &v), Ok(()));
    assert_eq!(
        limit(&mut e, Buy, px(108_001), MAX_QTY, &v),
        Err(MaxNotional)
    );
    assert_eq!(limit(&mut e, Sell, px(108_001), MAX_QTY - 1000, &v), Ok(()));
}

#[test]
fn a_market_order_is_valued_at_the_market_or_reference_price() {
    let mut e = engine();
    let mut v = View::default();
    // No market price: the reference price (1.08) values it at the maximum.
    assert_eq!(market(&mut e, EURUSD, Buy, MAX_QTY, &v), Ok(()));
    // The market at 1.09: the same order is worth more than the maximum.
    v.market = Some(px(109_000));
    assert_eq!(market(&mut e, EURUSD, Buy, MAX_QTY, &v), Err(MaxNotional));
    // A market price of 0 or less is no price: back to the reference.
    v.market = Some(Price(0));
    assert_eq!(market(&mut e, EURUSD, Buy, MAX_QTY, &v), Ok(()));
    // No price at all: the notional cannot be bounded.
    v.market = None;
    assert_eq!(market(&mut e, NOREF, Buy, 1000, &v), Err(MaxNotional));
    v.market = Some(px(100_000));
    assert_eq!(market(&mut e, NOREF, Buy, 1000, &v), Ok(()));
}

#[test]
fn the_collar_uses_the_reference_price_without_a_market_price() {
    let mut e = engine();
    let v = View::default();
    // 1.08 ± 1%: 1.06920 to 1.09080, both bounds included.
    for (price, want) in [
        (px(109_080), Ok(())),
        (px(109_081), Err(PriceCollar)),
        (px(106_920), Ok(())),
        (px(106_919), Err(PriceCollar)),
    ] {
        assert_eq!(limit(&mut e, Buy, price, 1000, &v), want, "{price:?}");
        assert_eq!(limit(&mut e, Sell, price, 1000, &v), want, "{price:?}");
    }
}

#[test]
fn the_collar_follows_the_market_price_when_there_is_one() {
    let mut e = engine();
    let mut v = View {
        market: Some(px(110_000)),
        ..View::default()
    };
    // 1.10 ± 1%: 1.08900 to 1.11100. The reference price itself is now out.
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(PriceCollar));
    assert_eq!(limit(&mut e, Buy, px(108_900), 1000, &v), Ok(()));
    assert_eq!(limit(&mut e, Buy, px(108_899), 1000, &v), Err(PriceCollar));
    assert_eq!(limit(&mut e, Sell, px(111_100), 1000, &v), Ok(()));
    assert_eq!(limit(&mut e, Sell, px(111_101), 1000, &v), Err(PriceCollar));
    // A nonsense market price (negative) is ignored: the reference again.
    v.market = Some(Price(-1));
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
}

#[test]
fn without_any_price_a_limit_order_fails_the_collar() {
    let mut e = engine();
    let mut v = View::default();
    assert_eq!(
        limit_on(&mut e, T0, NOREF, Buy, REF, 1000, &v),
        Err(PriceCollar)
    );
    v.market = Some(REF);
    assert_eq!(limit_on(&mut e, T0, NOREF, Buy, REF, 1000, &v), Ok(()));
}

#[test]
fn too_many_open_orders_are_refused() {
    let mut e = engine_with(RiskConfig {
        max_open_orders: 3,
        ..config()
    });
    let mut v = View {
        open_orders: 2,
        ..View::default()
    };
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    v.open_orders = 3;
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(MaxOpenOrders));
    assert_eq!(market(&mut e, EURUSD, Sell, 1000, &v), Err(MaxOpenOrders));
}

#[test]
fn the_position_cap_counts_the_position_and_same_side_open_quantity() {
    let mut e = engine();
    // Long 1.5M with 400k more to buy resting: 100k more reaches the cap.
    let mut v = View {
        position: 1_500_000,
        open_buy: 400_000,
        open_sell: 900_000,
        ..View::default()
    };
    assert_eq!(limit(&mut e, Buy, REF, 100_000, &v), Ok(()));
    assert_eq!(limit(&mut e, Buy, REF, 101_000, &v), Err(PositionLimit));
    assert_eq!(market(&mut e, EURUSD, Buy, 101_000, &v), Err(PositionLimit));
    // Resting sells might never fill: they do not make room for a buy.
    v.open_buy = 500_000;
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(PositionLimit));
    // Selling is judged against -2M: 1.5M - 900k open - 1M = -400k.
    assert_eq!(limit(&mut e, Sell, REF, MAX_QTY, &v), Ok(()));

    // Short 1.5M with 400k more to sell resting: the mirror image.
    v = View {
        position: -1_500_000,
        open_sell: 400_000,
        ..View::default()
    };
    assert_eq!(limit(&mut e, Sell, REF, 100_000, &v), Ok(()));
    assert_eq!(limit(&mut e, Sell, REF, 101_000, &v), Err(PositionLimit));
    assert_eq!(limit(&mut e, Buy, REF, MAX_QTY, &v), Ok(()));

    // Already past the cap (the limit was lowered): only reducing passes.
    v = View {
        position: 2_500_000,
        ..View::default()
    };
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(PositionLimit));
    assert_eq!(limit(&mut e, Sell, REF, 1000, &v), Ok(()));
}

#[test]
fn a_tag_on_an_open_order_is_refused() {
    let mut e = engine();
    let v = View {
        tags: vec![41, 42],
        ..View::default()
    };
    let check = |e: &mut RiskEngine, tag| {
        e.check_new(T0, EURUSD, Buy, OrdType::Limit, REF, Qty(1000), tag, &v)
    };
    assert_eq!(check(&mut e, 42), Err(DuplicateOrder));
    assert_eq!(check(&mut e, 43), Ok(()));
}

#[test]
fn an_empty_bucket_refuses_orders() {
    let mut e = engine_with(RiskConfig {
        order_rate_per_sec: 1,
        order_burst: 2,
        ..config()
    });
    let v = View::default();
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(OrderRate));
}

// ---- which reason wins -------------------------------------------------

/// One order that breaks every limit at once, fixed one limit at a time:
/// each step must report the next reason in the documented order, and no
/// refused order may spend a rate token.
#[test]
fn the_first_failing_check_in_the_documented_order_wins() {
    let mut e = engine_with(RiskConfig {
        max_open_orders: 5,
        order_rate_per_sec: 1,
        order_burst: 1,
        reject_breaker: None,
    });
    // Spend the only token, so the bucket is empty at T0.
    assert_eq!(limit(&mut e, Buy, REF, 1000, &View::default()), Ok(()));
    assert_eq!(e.tokens_available(T0), 0);

    e.engage(KillReason::Admin);
    let mut v = View {
        open_orders: 5,
        position: POSITION_LIMIT,
        tags: vec![1],
        ..View::default()
    };
    let mut instrument = UNKNOWN;
    // Off the tick and 11% above the reference.
    let mut price = Price(120_000_500);
    // Not a lot multiple, and above the maximum.
    let mut qty = MAX_QTY + 500;
    let check = |e: &mut RiskEngine, v: &View, instrument, price, qty| {
        limit_on(e, T0, instrument, Buy, price, qty, v)
    };
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(KillSwitch));
    e.release();
    assert_eq!(
        check(&mut e, &v, instrument, price, qty),
        Err(UnknownInstrument)
    );
    instrument = EURUSD;
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(BadPrice));
    price = px(120_000);
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(BadQty));
    qty = MAX_QTY + 1000;
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(MaxOrderQty));
    qty = MAX_QTY;
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(MaxNotional));
    qty = 800_000;
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(PriceCollar));
    price = REF;
    assert_eq!(
        check(&mut e, &v, instrument, price, qty),
        Err(MaxOpenOrders)
    );
    v.open_orders = 4;
    assert_eq!(
        check(&mut e, &v, instrument, price, qty),
        Err(PositionLimit)
    );
    v.position = 0;
    assert_eq!(
        check(&mut e, &v, instrument, price, qty),
        Err(DuplicateOrder)
    );
    v.tags.clear();
    assert_eq!(check(&mut e, &v, instrument, price, qty), Err(OrderRate));
    // A second later the bucket has a token again: nothing above spent one.
    assert_eq!(
        limit_on(&mut e, T0 + SEC, EURUSD, Buy, price, qty, &v),
        Ok(())
    );

    let c = e.counters();
    for r in [
        KillSwitch,
        UnknownInstrument,
        BadPrice,
        BadQty,
        MaxOrderQty,
        MaxNotional,
        PriceCollar,
        MaxOpenOrders,
        PositionLimit,
        DuplicateOrder,
        OrderRate,
    ] {
        assert_eq!(c.rejects(r), 1, "{r:?}");
    }
    assert_eq!(c.new_passed(), 2);
}

/// The same for a replace: its checks in their order, without the two that
/// only concern new orders.
#[test]
fn a_replace_is_checked_in_the_same_order_without_open_orders_and_tags() {
    let mut e = engine_with(RiskConfig {
        max_open_orders: 1,
        order_rate_per_sec: 1,
        order_burst: 1,
        reject_breaker: None,
    });
    // Open-order count and tags are not a replace's business.
    let mut v = View {
        open_orders: 1,
        position: POSITION_LIMIT,
        open_buy: 100_000,
        tags: vec![1],
        ..View::default()
    };
    let current = (REF, Qty(100_000));
    let replace = |e: &mut RiskEngine, v: &View, instrument, price, qty, now| {
        e.check_replace(
            now,
            instrument,
            Buy,
            OrdType::Limit,
            current,
            (price, Qty(qty)),
            v,
        )
    };
    // Empty the bucket with a replace that does not add quantity.
    assert_eq!(replace(&mut e, &v, EURUSD, REF, 50_000, T0), Ok(()));
    e.engage(KillReason::Admin);
    let (mut instrument, mut price, mut qty) = (UNKNOWN, Price(120_000_500), MAX_QTY + 500);
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(KillSwitch)
    );
    e.release();
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(UnknownInstrument)
    );
    instrument = EURUSD;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(BadPrice)
    );
    price = px(120_000);
    assert_eq!(replace(&mut e, &v, instrument, price, qty, T0), Err(BadQty));
    qty = MAX_QTY + 1000;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(MaxOrderQty)
    );
    qty = MAX_QTY;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(MaxNotional)
    );
    qty = 800_000;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(PriceCollar)
    );
    price = REF;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(PositionLimit)
    );
    v.position = 0;
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0),
        Err(OrderRate)
    );
    assert_eq!(
        replace(&mut e, &v, instrument, price, qty, T0 + SEC),
        Ok(())
    );
    assert_eq!(e.counters().replace_passed(), 2);
    assert_eq!(e.counters().new_passed(), 0);
    assert_eq!(e.counters().rejects(MaxOpenOrders), 0);
    assert_eq!(e.counters().rejects(DuplicateOrder), 0);
}

// ---- the token bucket over time ----------------------------------------

#[test]
fn the_bucket_allows_a_burst_then_refills_at_the_rate_up_to_the_burst() {
    // 10 a second (one every 100 ms), at most 5 at once.
    let mut e = engine_with(RiskConfig {
        order_rate_per_sec: 10,
        order_burst: 5,
        ..config()
    });
    let v = View::default();
    let at = |e: &mut RiskEngine, now| limit_on(e, now, EURUSD, Buy, REF, 1000, &v);
    assert_eq!(e.tokens_available(T0), 5);
    for _ in 0..5 {
        assert_eq!(at(&mut e, T0), Ok(()));
    }
    assert_eq!(at(&mut e, T0), Err(OrderRate));
    // 99.999999 ms earn 0.99999999 of a token: not enough.
    assert_eq!(at(&mut e, T0 + 100 * MS - 1), Err(OrderRate));
    // 100 ms: one.
    assert_eq!(at(&mut e, T0 + 100 * MS), Ok(()));
    assert_eq!(at(&mut e, T0 + 100 * MS), Err(OrderRate));
    // 350 ms more: three and a half earned, three taken.
    let t = T0 + 450 * MS;
    assert_eq!(e.tokens_available(t), 3);
    for _ in 0..3 {
        assert_eq!(at(&mut e, t), Ok(()));
    }
    assert_eq!(at(&mut e, t), Err(OrderRate));
    // The half token carried over: 50 ms later there is one.
    assert_eq!(at(&mut e, t + 50 * MS), Ok(()));
    // A minute idle fills the bucket to the burst, no more.
    let t = t + 60 * SEC;
    assert_eq!(e.tokens_available(t), 5);
    for _ in 0..5 {
        assert_eq!(at(&mut e, t), Ok(()));
    }
    assert_eq!(at(&mut e, t), Err(OrderRate));
}

#[test]
fn a_clock_stepping_back_earns_nothing() {
    let mut e = engine_with(RiskConfig {
        order_rate_per_sec: 10,
        order_burst: 1,
        ..config()
    });
    let v = View::default();
    let at = |e: &mut RiskEngine, now| limit_on(e, now, EURUSD, Buy, REF, 1000, &v);
    assert_eq!(at(&mut e, T0), Ok(()));
    // Back one second, then forward to T0 + 50 ms: not a token's worth,
    // although 1.05 s passed on the stepped clock.
    assert_eq!(at(&mut e, T0 - SEC), Err(OrderRate));
    assert_eq!(at(&mut e, T0 + 50 * MS), Err(OrderRate));
    assert_eq!(at(&mut e, T0 + 100 * MS), Ok(()));
}

#[test]
fn refused_orders_spend_no_token() {
    let mut e = engine_with(RiskConfig {
        order_rate_per_sec: 1,
        order_burst: 1,
        ..config()
    });
    let v = View::default();
    for _ in 0..100 {
        assert_eq!(limit(&mut e, Buy, REF, 1500, &v), Err(BadQty));
        assert_eq!(limit(&mut e, Buy, px(200_000), 1000, &v), Err(PriceCollar));
    }
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
}

#[test]
fn replaces_share_the_bucket_with_new_orders() {
    let mut e = engine_with(RiskConfig {
        order_rate_per_sec: 1,
        order_burst: 2,
        ..config()
    });
    let v = View::default();
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    let r = e.check_replace(
        T0,
        EURUSD,
        Buy,
        OrdType::Limit,
        (REF, Qty(1000)),
        (px(108_001), Qty(1000)),
        &v,
    );
    assert_eq!(r, Ok(()));
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(OrderRate));
}

// ---- replaces ----------------------------------------------------------

fn replace(
    e: &mut RiskEngine,
    side: Side,
    current: (Price, i64),
    new: (Price, i64),
    v: &View,
) -> Result<(), RejectReason> {
    e.check_replace(
        T0,
        EURUSD,
        side,
        OrdType::Limit,
        (current.0, Qty(current.1)),
        (new.0, Qty(new.1)),
        v,
    )
}

#[test]
fn a_replace_counts_only_its_added_quantity_against_the_position_cap() {
    let mut e = engine();
    // Long 1M; this buy order (400k) is the only one open.
    let v = View {
        position: 1_000_000,
        open_buy: 400_000,
        ..View::default()
    };
    // 400k → 1M adds 600k: 1M + 400k + 600k = the cap.
    assert_eq!(
        replace(&mut e, Buy, (REF, 400_000), (REF, MAX_QTY), &v),
        Ok(())
    );
    let mut far = v.clone();
    far.position = 1_001_000;
    assert_eq!(
        replace(&mut e, Buy, (REF, 400_000), (REF, MAX_QTY), &far),
        Err(PositionLimit)
    );
    // Past the cap, a replace that adds nothing still passes.
    far.position = 5_000_000;
    assert_eq!(
        replace(&mut e, Buy, (REF, 400_000), (REF, 400_000), &far),
        Ok(())
    );
    assert_eq!(
        replace(&mut e, Buy, (REF, 400_000), (REF, 100_000), &far),
        Ok(())
    );
    // A sell replace is judged against -cap.
    let short = View {
        position: -1_000_000,
        open_sell: 400_000,
        ..View::default()
    };
    assert_eq!(
        replace(&mut e, Sell, (REF, 400_000), (REF, MAX_QTY), &short),
        Ok(())
    );
    assert_eq!(
        replace(&mut e, Sell, (REF, 400_000), (REF, MAX_QTY + 1000), &short),
        Err(MaxOrderQty)
    );
}

#[test]
fn a_replace_keeping_its_price_is_not_collared_but_a_new_price_is() {
    let mut e = engine();
    // The market ran to 1.20; the order rests at 1.08.
    let v = View {
        market: Some(px(120_000)),
        ..View::default()
    };
    assert_eq!(replace(&mut e, Buy, (REF, 2000), (REF, 1000), &v), Ok(()));
    assert_eq!(
        replace(&mut e, Buy, (REF, 2000), (px(108_001), 2000), &v),
        Err(PriceCollar)
    );
    assert_eq!(
        replace(&mut e, Buy, (REF, 2000), (px(119_000), 2000), &v),
        Ok(())
    );
}

#[test]
fn a_replace_checks_tick_lot_maximum_and_notional() {
    let mut e = engine();
    let v = View::default();
    let cur = (REF, 1000);
    assert_eq!(
        replace(&mut e, Buy, cur, (Price(108_000_001), 1000), &v),
        Err(BadPrice)
    );
    assert_eq!(replace(&mut e, Buy, cur, (REF, 0), &v), Err(BadQty));
    assert_eq!(
        replace(&mut e, Buy, cur, (REF, MAX_QTY + 1000), &v),
        Err(MaxOrderQty)
    );
    assert_eq!(
        replace(&mut e, Buy, cur, (px(108_001), MAX_QTY), &v),
        Err(MaxNotional)
    );
    assert_eq!(
        e.check_replace(
            T0,
            UNKNOWN,
            Buy,
            OrdType::Limit,
            (REF, Qty(1000)),
            (REF, Qty(1000)),
            &v
        ),
        Err(UnknownInstrument)
    );
    e.engage(KillReason::Admin);
    assert_eq!(replace(&mut e, Buy, cur, (REF, 1000), &v), Err(KillSwitch));
}

// ---- the kill switch ---------------------------------------------------

#[test]
fn engaging_the_kill_switch_asks_once_for_a_cancel_all() {
    let mut e = engine();
    let v = View::default();
    assert!(!e.is_engaged());
    assert!(!e.take_cancel_all());
    assert!(e.engage(KillReason::Admin));
    assert!(e.is_engaged());
    assert_eq!(e.kill_reason(), Some(KillReason::Admin));
    assert_eq!(e.counters().kill_switch(), Some(KillReason::Admin));
    assert!(e.take_cancel_all());
    assert!(!e.take_cancel_all(), "edge-triggered: once per engage");
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(KillSwitch));
    // Engaging again keeps the first reason, asks for another cancel-all,
    // and is not a new engagement.
    assert!(!e.engage(KillReason::Engine));
    assert_eq!(e.kill_reason(), Some(KillReason::Admin));
    assert!(e.take_cancel_all());
    assert_eq!(e.counters().kill_switch_engagements(), 1);

    assert!(e.release());
    assert!(!e.release());
    assert!(!e.is_engaged());
    assert_eq!(e.counters().kill_switch(), None);
    assert!(!e.take_cancel_all());
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    assert_eq!(e.counters().rejects(KillSwitch), 1);
}

#[test]
fn a_cancel_all_not_taken_before_release_stays_pending() {
    let mut e = engine();
    e.engage(KillReason::Admin);
    e.release();
    assert!(e.take_cancel_all());
    assert!(!e.take_cancel_all());
}

fn with_breaker(count: u32, window_secs: u32) -> RiskEngine {
    engine_with(RiskConfig {
        reject_breaker: Some(RejectBreakerConfig { count, window_secs }),
        ..config()
    })
}

#[test]
fn the_breaker_engages_on_count_venue_rejects_within_the_window() {
    let mut e = with_breaker(3, 10);
    let v = View::default();
    assert!(!e.on_venue_reject(T0));
    assert!(!e.on_venue_reject(T0 + 5 * SEC));
    // The third comes exactly 10 s after the first: not within 10 s.
    assert!(!e.on_venue_reject(T0 + 10 * SEC));
    assert!(!e.is_engaged());
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    // 5 s, 10 s and 14.999... s are.
    assert!(e.on_venue_reject(T0 + 15 * SEC - 1));
    assert!(e.is_engaged());
    assert_eq!(e.kill_reason(), Some(KillReason::RejectBreaker));
    assert!(e.take_cancel_all());
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Err(KillSwitch));
    // More rejects while engaged are counted but change nothing.
    assert!(!e.on_venue_reject(T0 + 15 * SEC));
    assert!(!e.take_cancel_all());
    assert_eq!(e.counters().rejects(Venue(0)), 5);
    assert_eq!(e.counters().kill_switch_engagements(), 1);

    // Release forgets the history: two more rejects at once do not trip it,
    // a third does.
    e.release();
    assert!(!e.on_venue_reject(T0 + 16 * SEC));
    assert!(!e.on_venue_reject(T0 + 16 * SEC));
    assert!(!e.is_engaged());
    assert!(e.on_venue_reject(T0 + 16 * SEC));
    assert!(e.is_engaged());
    assert_eq!(e.counters().kill_switch_engagements(), 2);
}

#[test]
fn a_slow_trickle_of_venue_rejects_never_trips_the_breaker() {
    let mut e = with_breaker(3, 10);
    for i in 0..1000 {
        assert!(!e.on_venue_reject(T0 + i * 5 * SEC + 1), "reject {i}");
    }
    assert!(!e.is_engaged());
}

#[test]
fn risk_rejects_do_not_feed_the_breaker_and_no_breaker_never_trips() {
    let mut e = with_breaker(1, 10);
    let v = View::default();
    for _ in 0..10 {
        assert_eq!(limit(&mut e, Buy, REF, 1500, &v), Err(BadQty));
    }
    assert!(!e.is_engaged());
    assert!(e.on_venue_reject(T0));

    let mut e = engine();
    for i in 0..1000 {
        assert!(!e.on_venue_reject(T0 + i));
    }
    assert!(!e.is_engaged());
}

// ---- counters ----------------------------------------------------------

#[test]
fn every_refusal_is_counted_by_reason_and_readable_from_another_thread() {
    let mut e = engine_with(RiskConfig {
        max_open_orders: 1,
        order_rate_per_sec: 1,
        order_burst: 3,
        reject_breaker: None,
    });
    let v = View::default();
    for _ in 0..3 {
        assert_eq!(limit(&mut e, Buy, REF, 1500, &v), Err(BadQty));
    }
    for _ in 0..2 {
        assert_eq!(limit(&mut e, Buy, px(200_000), 1000, &v), Err(PriceCollar));
    }
    assert_eq!(limit(&mut e, Buy, REF, 1000, &v), Ok(()));
    assert_eq!(replace(&mut e, Buy, (REF, 1000), (REF, 2000), &v), Ok(()));
    e.on_venue_reject(T0);
    e.count(NoOrderSlot);
    e.count(SessionDown);
    e.count(SessionDown);

    let counters = Arc::clone(e.counters());
    let read = std::thread::spawn(move || counters.rejects_by_kind())
        .join()
        .unwrap();
    let mut want = [0u64; REJECT_REASON_KINDS];
    want[reject_reason_index(BadQty)] = 3;
    want[reject_reason_index(PriceCollar)] = 2;
    want[reject_reason_index(Venue(0))] = 1;
    want[reject_reason_index(NoOrderSlot)] = 1;
    want[reject_reason_index(SessionDown)] = 2;
    assert_eq!(read, want);
    assert_eq!(e.counters().new_passed(), 1);
    assert_eq!(e.counters().replace_passed(), 1);
    let named: Vec<(&str, u64)> = REJECT_REASON_NAMES
        .iter()
        .copied()
        .zip(read)
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        named,
        [
            ("price_collar", 2),
            ("bad_qty", 3),
            ("no_order_slot", 1),
            ("session_down", 2),
            ("venue", 1)
        ]
    );
}

// ---- no allocation -----------------------------------------------------

/// The counter sees allocations, so a zero count below means something; and
/// building an engine (the breaker's ring, the counters) is seen allocating.
#[test]
fn the_counter_sees_allocations() {
    let (_, count) = allocations_during(|| black_box(Box::new(7u64)));
    assert_eq!(count, 1);
    let table = instruments();
    let (engine, count) = allocations_during(|| {
        RiskEngine::new(
            RiskConfig {
                reject_breaker: Some(RejectBreakerConfig {
                    count: 10,
                    window_secs: 1,
                }),
                ..config()
            },
            Arc::clone(&table),
        )
    });
    assert!(count > 0, "building counted {count}");
    drop(engine);
}

/// 10,000 rounds of every path: each rejection, passes, replaces, venue
/// rejects tripping the breaker, engage/release/cancel-all and counter
/// reads, after a warm-up round: no allocation.
#[test]
fn checks_never_allocate() {
    let mut e = engine_with(RiskConfig {
        max_open_orders: 5,
        order_rate_per_sec: 1000,
        order_burst: 2,
        reject_breaker: Some(RejectBreakerConfig {
            count: 3,
            window_secs: 1,
        }),
    });
    let clean = View::default();
    // Full of open orders, one lot short of the long cap, market at 1.085.
    let busy = View {
        open_orders: 5,
        position: 1_999_000,
        open_buy: 1000,
        market: Some(px(108_500)),
        ..View::default()
    };
    let near_cap = View {
        open_orders: 0,
        ..busy.clone()
    };
    let tagged = View {
        tags: vec![9, 10, 11],
        ..View::default()
    };
    let mut outcomes = [0u64; REJECT_REASON_KINDS + 1];
    let mut round = |e: &mut RiskEngine, i: i64| {
        let now = T0 + i * 10 * MS;
        let orders: [(InstrumentId, Side, OrdType, Price, i64, u64, &View); 14] = [
            (EURUSD, Buy, OrdType::Limit, REF, 1000, 1, &clean),
            (EURUSD, Sell, OrdType::Market, Price(0), 1000, 2, &clean),
            (UNKNOWN, Buy, OrdType::Limit, REF, 1000, 3, &clean),
            (EURUSD, Buy, OrdType::Limit, Price(1), 1000, 4, &clean),
            (EURUSD, Buy, OrdType::Limit, REF, 1, 5, &clean),
            (EURUSD, Buy, OrdType::Limit, REF, MAX_QTY + 1000, 6, &clean),
            (EURUSD, Buy, OrdType::Limit, px(108_001), MAX_QTY, 7, &clean),
            (EURUSD, Buy, OrdType::Limit, px(150_000), 1000, 8, &clean),
            (NOREF, Buy, OrdType::Limit, REF, 1000, 8, &clean),
            (NOREF, Buy, OrdType::Market, REF, 1000, 8, &clean),
            (EURUSD, Buy, OrdType::Limit, px(108_500), 1000, 9, &busy),
            (EURUSD, Buy, OrdType::Limit, REF, 1000, 10, &near_cap),
            (EURUSD, Sell, OrdType::Limit, REF, 1000, 9, &tagged),
            (EURUSD, Sell, OrdType::Limit, REF, 1000, 12, &clean),
        ];
        for (ins, side, ord_type, price, qty, tag, view) in orders {
            let r = e.check_new(now, ins, side, ord_type, price, Qty(qty), tag, view);
            outcomes[r.map_or_else(reject_reason_index, |()| REJECT_REASON_KINDS)] += 1;
        }
        let r = e.check_replace(
            now,
            EURUSD,
            Buy,
            OrdType::Limit,
            (REF, Qty(1000)),
            (px(108_001), Qty(2000)),
            &busy,
        );
        outcomes[r.map_or_else(reject_reason_index, |()| REJECT_REASON_KINDS)] += 1;
        if i % 7 == 0 {
            e.on_venue_reject(now);
            e.on_venue_reject(now);
            e.on_venue_reject(now);
        }
        if i % 11 == 0 {
            e.engage(KillReason::Admin);
            let r = e.check_new(now, EURUSD, Buy, OrdType::Limit, REF, Qty(1000), 1, &clean);
            outcomes[r.map_or_else(reject_reason_index, |()| REJECT_REASON_KINDS)] += 1;
        }
        if e.take_cancel_all() {
            e.release();
        }
        e.count(NoOrderSlot);
        black_box(e.counters().rejects_by_kind());
        black_box(e.tokens_available(now));
    };
    // Warm-up: the first round (and whatever lazy set-up the harness does).
    round(&mut e, 0);
    let (_, count) = allocations_during(|| {
        for i in 1..=10_000 {
            round(&mut e, i);
        }
    });
    assert_eq!(count, 0, "allocations during 10,000 rounds");
    // Every kind the risk engine decides was exercised.
    for r in [
        KillSwitch,
        UnknownInstrument,
        BadPrice,
        BadQty,
        MaxOrderQty,
        MaxNotional,
        PriceCollar,
        MaxOpenOrders,
        PositionLimit,
        DuplicateOrder,
        OrderRate,
    ] {
        assert!(outcomes[reject_reason_index(r)] > 0, "{r:?} never happened");
    }
    assert!(outcomes[REJECT_REASON_KINDS] > 0, "nothing passed");
}
