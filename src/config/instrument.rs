//! `[[instrument]]` (the instrument table, shared by the venue simulator and
//! the trading side) and `[venue]` (the venue simulator's limits, market
//! data, quotes and synthetic order flow).

use super::reader::{describe, Doc, Section, Value};
use super::{ConfigError, InstrumentConfig, MdKeying, VenueConfig};
use rust_decimal::Decimal;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

const KEYS: &[&str] = &[
    "symbol",
    "tick_size",
    "lot_size",
    "reference_price",
    "max_order_qty",
];

const VENUE_KEYS: &[&str] = &[
    "max_resting_orders_per_instrument",
    "max_remembered_orders",
    "max_queued_reports_per_session",
    "max_md_subscriptions_per_session",
    "md_max_depth",
    "md_keying",
    "quote_valid_ms",
    "max_live_quotes",
    "flow_rate_per_sec",
    "flow_seed",
    "flow_max_actions_per_poll",
    "flow_max_resting_per_instrument",
    "flow_price_range_ticks",
    "flow_max_lots",
    "flow_marketable_pct",
    "flow_cancel_pct",
];

/// The deepest book `md_max_depth` allows (one snapshot of both sides must
/// fit a message).
const DEPTH_MAX: i128 = 256;

/// The largest count any `[venue]` limit takes (2^24).
const LIMIT_MAX: i128 = 1 << 24;

/// Builds instrument `index` from its table; `span` is its `[[instrument]]`
/// header. Returns it with the span of its symbol.
pub(super) fn parse(
    doc: &Doc<'_>,
    index: usize,
    table: &DeTable<'_>,
    span: Range<usize>,
) -> Result<(InstrumentConfig, Range<usize>), ConfigError> {
    let mut t = Section {
        doc,
        prefix: format!("instrument[{index}]"),
        table,
        span: Some(span),
    };
    let symbol = t.required_string("symbol")?;
    let problem = if symbol.text.is_empty() {
        Some("expected a non-empty string, found \"\"")
    } else if symbol.text.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else {
        None
    };
    if let Some(p) = problem {
        return Err(doc.invalid(symbol.key, Some(symbol.span), p));
    }
    t.prefix = format!("instrument[{index}] (symbol {:?})", symbol.text);
    t.deny_unknown(KEYS)?;
    let positive = |name: &str| -> Result<Option<Decimal>, ConfigError> {
        let Some(v) = t.get(name) else {
            return Ok(None);
        };
        let d = decimal(&t, name, v)?;
        if d <= Decimal::ZERO {
            return Err(t.error(
                name,
                Some(v.span()),
                format!("expected a decimal more than zero, found {d}"),
            ));
        }
        Ok(Some(d))
    };
    let required = |name: &str, why: &str| -> Result<Decimal, ConfigError> {
        positive(name)?.ok_or_else(|| t.missing_because(name, why))
    };
    let symbol_span = symbol.span.clone();
    let config = InstrumentConfig {
        tick_size: required(
            "tick_size",
            "required: the price increment, like \"0.00001\"",
        )?,
        lot_size: required(
            "lot_size",
            "required: the quantity increment, like 1 or \"1000\"",
        )?,
        reference_price: required(
            "reference_price",
            "required: a price to judge orders against, like \"1.0850\"",
        )?,
        max_order_qty: positive("max_order_qty")?,
        symbol: symbol.text,
    };
    Ok((config, symbol_span))
}

/// A decimal written as a string (`"0.0001"`, exact) or a TOML number (its
/// literal text is read, so `0.1` is exactly one tenth).
fn decimal(t: &Section<'_, '_>, name: &str, v: &Value<'_>) -> Result<Decimal, ConfigError> {
    let text: Option<String> = match v.get_ref() {
        DeValue::String(_) => Some(t.string_value(t.key(name), v, true)?.text),
        DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str().replace('_', "")),
        DeValue::Float(x) => Some(x.as_str().replace('_', "")),
        _ => None,
    };
    let parsed = text.as_deref().and_then(|s| {
        let s = s.trim();
        if s.contains(['e', 'E']) {
            Decimal::from_scientific(s).ok()
        } else {
            Decimal::from_str_exact(s).ok()
        }
    });
    parsed.ok_or_else(|| {
        t.error(
            name,
            Some(v.span()),
            format!(
                "expected a decimal number like \"0.0001\" or 25, found {}",
                describe(v.get_ref(), true)
            ),
        )
    })
}

/// `[venue]`.
pub(super) fn venue(t: &Section<'_, '_>) -> Result<VenueConfig, ConfigError> {
    t.deny_unknown(VENUE_KEYS)?;
    let d = VenueConfig::default();
    let v = VenueConfig {
        max_resting_orders_per_instrument: t.int(
            "max_resting_orders_per_instrument",
            1..=LIMIT_MAX,
            d.max_resting_orders_per_instrument,
        )?,
        max_remembered_orders: t.int(
            "max_remembered_orders",
            0..=LIMIT_MAX,
            d.max_remembered_orders,
        )?,
        max_queued_reports_per_session: t.int(
            "max_queued_reports_per_session",
            1..=LIMIT_MAX,
            d.max_queued_reports_per_session,
        )?,
        max_md_subscriptions_per_session: t.int(
            "max_md_subscriptions_per_session",
            1..=4_096,
            d.max_md_subscriptions_per_session,
        )?,
        md_max_depth: t.int("md_max_depth", 1..=DEPTH_MAX, d.md_max_depth)?,
        md_keying: t.choice(
            "md_keying",
            &[("price", MdKeying::Price), ("position", MdKeying::Position)],
            d.md_keying,
        )?,
        quote_valid_ms: t.int("quote_valid_ms", 1..=86_400_000, d.quote_valid_ms)?,
        max_live_quotes: t.int("max_live_quotes", 1..=LIMIT_MAX, d.max_live_quotes)?,
        flow_rate_per_sec: t.int("flow_rate_per_sec", 0..=100_000_000, d.flow_rate_per_sec)?,
        flow_seed: t.int("flow_seed", 0..=i128::from(i64::MAX), d.flow_seed)?,
        flow_max_actions_per_poll: t.int(
            "flow_max_actions_per_poll",
            1..=1_000_000,
            d.flow_max_actions_per_poll,
        )?,
        flow_max_resting_per_instrument: t.int(
            "flow_max_resting_per_instrument",
            1..=LIMIT_MAX,
            d.flow_max_resting_per_instrument,
        )?,
        flow_price_range_ticks: t.int(
            "flow_price_range_ticks",
            1..=1_000_000,
            d.flow_price_range_ticks,
        )?,
        flow_max_lots: t.int("flow_max_lots", 1..=1_000_000_000, d.flow_max_lots)?,
        flow_marketable_pct: t.int("flow_marketable_pct", 0..=100, d.flow_marketable_pct)?,
        flow_cancel_pct: t.int("flow_cancel_pct", 0..=100, d.flow_cancel_pct)?,
    };
    if u32::from(v.flow_marketable_pct) + u32::from(v.flow_cancel_pct) > 100 {
        let key = if t.has("flow_cancel_pct") {
            "flow_cancel_pct"
        } else {
            "flow_marketable_pct"
        };
        return Err(t.error(
            key,
            t.get(key).map(|x| x.span()),
            format!(
                "flow_marketable_pct ({}) and flow_cancel_pct ({}) add up to more than 100",
                v.flow_marketable_pct, v.flow_cancel_pct
            ),
        ));
    }
    Ok(v)
}

/// Symbols are unique.
pub(super) fn check_across(
    doc: &Doc<'_>,
    instruments: &[(InstrumentConfig, Range<usize>)],
) -> Result<(), ConfigError> {
    for (i, (ins, span)) in instruments.iter().enumerate() {
        if let Some(j) = instruments[..i]
            .iter()
            .position(|(e, _)| e.symbol == ins.symbol)
        {
            return Err(doc.invalid(
                format!("instrument[{i}] (symbol {:?}).symbol", ins.symbol),
                Some(span.clone()),
                format!(
                    "duplicate symbol {:?} (instrument[{j}] has it too)",
                    ins.symbol
                ),
            ));
        }
    }
    Ok(())
}
