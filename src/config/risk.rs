//! `[risk]`: the pre-trade limits that are not per instrument.
//!
//! Builds [`RiskConfig`] (the risk engine's own type) from the optional
//! `[risk]` table; every key has a default. Per-instrument limits (tick and
//! lot size, maximum quantity and notional, position cap, collar) belong to
//! the `[[instrument]]` tables, not here.

use super::reader::Section;
use super::ConfigError;
use crate::risk::{RejectBreakerConfig, RiskConfig};

const KEYS: &[&str] = &[
    "max_open_orders",
    "order_rate_per_sec",
    "order_burst",
    "reject_breaker_count",
    "reject_breaker_window_secs",
];

/// The breaker's ring holds this many timestamps (8 bytes each).
const REJECT_BREAKER_COUNT_MAX: i128 = 100_000;

/// A day: a longer window would be a kill switch that never forgets.
const REJECT_BREAKER_WINDOW_SECS_MAX: i128 = 86_400;

const POSITIVE: std::ops::RangeInclusive<i128> = 1..=u32::MAX as i128;

/// Builds [`RiskConfig`] from the `[risk]` table; `None` (no table) gives
/// the defaults.
pub(super) fn parse(t: Option<&Section<'_, '_>>) -> Result<RiskConfig, ConfigError> {
    let Some(t) = t else {
        return Ok(RiskConfig::default());
    };
    t.deny_unknown(KEYS)?;
    let order_rate_per_sec = t.int(
        "order_rate_per_sec",
        POSITIVE,
        RiskConfig::DEFAULT_ORDER_RATE_PER_SEC,
    )?;
    let default_breaker = RiskConfig::DEFAULT_REJECT_BREAKER;
    let count: u32 = t.int(
        "reject_breaker_count",
        0..=REJECT_BREAKER_COUNT_MAX,
        default_breaker.count,
    )?;
    let window_secs: u32 = t.int(
        "reject_breaker_window_secs",
        1..=REJECT_BREAKER_WINDOW_SECS_MAX,
        default_breaker.window_secs,
    )?;
    if count == 0 {
        if let Some(v) = t.get("reject_breaker_window_secs") {
            return Err(t.error(
                "reject_breaker_window_secs",
                Some(v.span()),
                "has no effect: reject_breaker_count = 0 turns the breaker off \
                 (remove one of the two)",
            ));
        }
    }
    Ok(RiskConfig {
        max_open_orders: t.int(
            "max_open_orders",
            POSITIVE,
            RiskConfig::DEFAULT_MAX_OPEN_ORDERS,
        )?,
        order_rate_per_sec,
        order_burst: t.int("order_burst", POSITIVE, order_rate_per_sec)?,
        reject_breaker: (count > 0).then_some(RejectBreakerConfig { count, window_secs }),
    })
}
