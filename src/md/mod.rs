//! Market data: MarketDataRequests and subscriptions ([`request`],
//! [`stage`]).
//!
//! Owns everything between a strategy's `Subscribe` and the book events it
//! gets back. Sockets, the journal and clocks are not its business: the
//! stage is driven by the trading application with parsed messages,
//! session events and `now`, and sends through the session.

pub mod request;
pub mod stage;

pub use request::{MdReqId, MdReqIdFormat, MdRequest, MdSender, SubscriptionType};
pub use stage::{EventOut, MarketData, MdCounters, SubState, Want};
