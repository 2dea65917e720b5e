//! Pre-trade risk: O(1) checks on limits loaded at start-up.
//!
//! This file holds the interface the order stage and the risk engine share
//! ([`RiskView`]); the engine itself is in `engine.rs` ([`RiskEngine`]: the
//! checks, their order, the kill switch), with its parts in `bucket.rs` (the
//! order-rate token bucket), `breaker.rs` (the venue-reject breaker) and
//! `counters.rs` (rejects by reason, readable by the control plane).
//!
//! Risk owns limits and the decision to refuse; it may not change order
//! state, send anything, read a clock or allocate after
//! [`RiskEngine::new`].

mod breaker;
mod bucket;
mod counters;
mod engine;

pub use bucket::TokenBucket;
pub use counters::{
    reject_reason_index, KillReason, RiskCounters, REJECT_REASON_KINDS, REJECT_REASON_NAMES,
};
pub use engine::*;

use crate::strategy::{InstrumentId, Price, Qty};

/// What the risk checks need to know about current orders and positions;
/// implemented by the order stage. Every method is O(1).
pub trait RiskView {
    /// Orders sent and not yet terminal.
    fn open_orders(&self) -> u32;
    /// Net position in an instrument (filled quantity, signed).
    fn position(&self, instrument: InstrumentId) -> Qty;
    /// Net quantity of open orders that would add to the position if filled:
    /// (open buy quantity, open sell quantity) in the instrument.
    fn open_qty(&self, instrument: InstrumentId) -> (Qty, Qty);
    /// The last traded or mid price the engine knows, if any (book mid or
    /// last fill); the collar falls back to the instrument's reference price.
    fn market_price(&self, instrument: InstrumentId) -> Option<Price>;
    /// True when an open order carries this strategy tag.
    fn tag_in_use(&self, tag: u64) -> bool;
}
