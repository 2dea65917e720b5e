//! The strategy interface: the types that cross the rings between a strategy
//! and the engine, and the instrument table.
//!
//! Owns [`Command`] and [`Event`] (small `Copy` values, no strings) and the
//! [`InstrumentTable`] loaded at start-up. It may not touch sockets, the
//! journal or FIX encoding: strategies see instruments, prices and
//! quantities, never wire formats.

mod agent;
mod handle;
mod instrument;
mod types;

pub use agent::StrategyAgent;
pub use handle::{channel, drive, EnginePort, Full, Strategy, StrategyHandle};
pub use instrument::{Instrument, InstrumentError, InstrumentTable, MarketDataConfig};
pub use types::{
    Command, Event, InstrumentId, MdEntryTypes, OrdType, OrderId, OrderState, Price, Qty, QuoteId,
    RejectReason, Side, StaleCause, TimeInForce, TopOfBook,
};
