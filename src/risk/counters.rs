//! Reject counters: a fixed table indexed by the kind of [`RejectReason`],
//! written by the thread that owns the [`super::RiskEngine`] and read by the
//! control plane from any thread.
//!
//! Owns the mapping from a reason to a small index ([`reject_reason_index`],
//! [`REJECT_REASON_NAMES`]) and the published counters ([`RiskCounters`]).
//! It touches no order state and makes no decision: the engine bumps, the
//! control plane reads. One writer only (the engine takes `&mut self`), so a
//! bump is a relaxed load and store, not a locked read-modify-write.

use crate::strategy::RejectReason;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// How many kinds of [`RejectReason`] there are (the venue's codes are one
/// kind each: `Venue(_)`, `VenueCancelReject(_)`).
pub const REJECT_REASON_KINDS: usize = 22;

/// Every kind's short name ([`RejectReason::name`]), in
/// [`reject_reason_index`] order (metrics labels).
pub const REJECT_REASON_NAMES: [&str; REJECT_REASON_KINDS] = [
    "price_collar",
    "max_order_qty",
    "max_notional",
    "max_open_orders",
    "position_limit",
    "order_rate",
    "duplicate_order",
    "kill_switch",
    "unknown_instrument",
    "bad_price",
    "bad_qty",
    "no_order_slot",
    "session_down",
    "not_cancelable",
    "unknown_order",
    "venue",
    "venue_cancel_reject",
    "unknown_quote",
    "quote_expired",
    "quote_not_firm",
    "quote_side",
    "quote_size",
];

/// A small index per kind of reason, into [`REJECT_REASON_NAMES`] and the
/// counter table. The match is exhaustive: a new reason does not compile
/// until it has an index.
#[inline]
pub const fn reject_reason_index(reason: RejectReason) -> usize {
    match reason {
        RejectReason::PriceCollar => 0,
        RejectReason::MaxOrderQty => 1,
        RejectReason::MaxNotional => 2,
        RejectReason::MaxOpenOrders => 3,
        RejectReason::PositionLimit => 4,
        RejectReason::OrderRate => 5,
        RejectReason::DuplicateOrder => 6,
        RejectReason::KillSwitch => 7,
        RejectReason::UnknownInstrument => 8,
        RejectReason::BadPrice => 9,
        RejectReason::BadQty => 10,
        RejectReason::NoOrderSlot => 11,
        RejectReason::SessionDown => 12,
        RejectReason::NotCancelable => 13,
        RejectReason::UnknownOrder => 14,
        RejectReason::Venue(_) => 15,
        RejectReason::VenueCancelReject(_) => 16,
        RejectReason::UnknownQuote => 17,
        RejectReason::QuoteExpired => 18,
        RejectReason::QuoteNotFirm => 19,
        RejectReason::QuoteSide => 20,
        RejectReason::QuoteSize => 21,
    }
}

/// Why the kill switch is engaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KillReason {
    /// An operator's admin command.
    Admin,
    /// The venue-reject breaker tripped (too many venue rejects in its
    /// window).
    RejectBreaker,
    /// The engine itself (e.g. a failure it cannot trade through).
    Engine,
}

impl KillReason {
    /// A short stable name (logs, metrics).
    pub const fn name(self) -> &'static str {
        match self {
            KillReason::Admin => "admin",
            KillReason::RejectBreaker => "reject_breaker",
            KillReason::Engine => "engine",
        }
    }

    const fn code(self) -> u8 {
        match self {
            KillReason::Admin => 1,
            KillReason::RejectBreaker => 2,
            KillReason::Engine => 3,
        }
    }

    const fn from_code(code: u8) -> Option<KillReason> {
        match code {
            1 => Some(KillReason::Admin),
            2 => Some(KillReason::RejectBreaker),
            3 => Some(KillReason::Engine),
            _ => None,
        }
    }
}

/// What the risk engine publishes: rejects by kind, checks passed, venue
/// rejects, kill-switch state. Shared as an `Arc` (see
/// [`super::RiskEngine::counters`]); readers see each value on its own
/// (relaxed), not a consistent snapshot of all of them. On its own cache
/// lines, away from the engine's other state.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct RiskCounters {
    rejects: [AtomicU64; REJECT_REASON_KINDS],
    new_passed: AtomicU64,
    replace_passed: AtomicU64,
    kill_switch_engagements: AtomicU64,
    /// 0 = released, else `KillReason::code`.
    kill_switch: AtomicU8,
}

/// Adds one. Only the owning engine writes, so load + store is exact.
#[inline]
fn bump(a: &AtomicU64) {
    a.store(a.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

impl RiskCounters {
    /// Refusals of this kind so far (risk rejects, venue rejects reported
    /// through [`super::RiskEngine::on_venue_reject`], and refusals other
    /// stages reported through [`super::RiskEngine::count`]).
    pub fn rejects(&self, reason: RejectReason) -> u64 {
        self.rejects[reject_reason_index(reason)].load(Ordering::Relaxed)
    }

    /// Every kind's count, in [`reject_reason_index`] order (pair with
    /// [`REJECT_REASON_NAMES`]).
    pub fn rejects_by_kind(&self) -> [u64; REJECT_REASON_KINDS] {
        std::array::from_fn(|i| self.rejects[i].load(Ordering::Relaxed))
    }

    /// New orders that passed every check.
    pub fn new_passed(&self) -> u64 {
        self.new_passed.load(Ordering::Relaxed)
    }

    /// Replaces that passed every check.
    pub fn replace_passed(&self) -> u64 {
        self.replace_passed.load(Ordering::Relaxed)
    }

    /// Times the kill switch went from released to engaged.
    pub fn kill_switch_engagements(&self) -> u64 {
        self.kill_switch_engagements.load(Ordering::Relaxed)
    }

    /// The kill switch's state: `Some(why)` while engaged.
    pub fn kill_switch(&self) -> Option<KillReason> {
        KillReason::from_code(self.kill_switch.load(Ordering::Relaxed))
    }

    #[inline]
    pub(super) fn reject(&self, reason: RejectReason) {
        bump(&self.rejects[reject_reason_index(reason)]);
    }

    #[inline]
    pub(super) fn passed_new(&self) {
        bump(&self.new_passed);
    }

    #[inline]
    pub(super) fn passed_replace(&self) {
        bump(&self.replace_passed);
    }

    pub(super) fn set_kill_switch(&self, state: Option<KillReason>, newly_engaged: bool) {
        if newly_engaged {
            bump(&self.kill_switch_engagements);
        }
        self.kill_switch
            .store(state.map_or(0, KillReason::code), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_index_and_match_reject_reason_name() {
        let all = [
            RejectReason::PriceCollar,
            RejectReason::MaxOrderQty,
            RejectReason::MaxNotional,
            RejectReason::MaxOpenOrders,
            RejectReason::PositionLimit,
            RejectReason::OrderRate,
            RejectReason::DuplicateOrder,
            RejectReason::KillSwitch,
            RejectReason::UnknownInstrument,
            RejectReason::BadPrice,
            RejectReason::BadQty,
            RejectReason::NoOrderSlot,
            RejectReason::SessionDown,
            RejectReason::NotCancelable,
            RejectReason::UnknownOrder,
            RejectReason::Venue(3),
            RejectReason::VenueCancelReject(1),
            RejectReason::UnknownQuote,
            RejectReason::QuoteExpired,
            RejectReason::QuoteNotFirm,
            RejectReason::QuoteSide,
            RejectReason::QuoteSize,
        ];
        assert_eq!(all.len(), REJECT_REASON_KINDS);
        for (i, r) in all.into_iter().enumerate() {
            assert_eq!(reject_reason_index(r), i, "{r:?}");
            assert_eq!(REJECT_REASON_NAMES[i], r.name(), "{r:?}");
        }
        assert_eq!(reject_reason_index(RejectReason::Venue(99)), 15);
    }

    #[test]
    fn kill_reason_codes_round_trip() {
        for k in [
            KillReason::Admin,
            KillReason::RejectBreaker,
            KillReason::Engine,
        ] {
            assert_eq!(KillReason::from_code(k.code()), Some(k));
        }
        assert_eq!(KillReason::from_code(0), None);
    }
}
