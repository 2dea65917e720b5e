//! Market data: decoding W/X into entries ([`entry`]), fixed-capacity order
//! books ([`book`]), MarketDataRequests ([`request`]) and the engine's
//! market-data stage ([`stage`]: subscriptions, lifecycle, events).
//!
//! Owns everything between a parsed market-data message and the events a
//! strategy gets from its books. Sockets, the journal and clocks are not its
//! business: the stage is driven by the trading application with parsed
//! messages, session events and `now`, sends through the session, and reads
//! the books back.

pub mod book;
pub mod entry;
pub mod replay;
pub mod request;
pub mod stage;

pub use book::{
    Applied, Book, BookError, BookSide, Changes, Level, Levels, Limit, SideChanges, Top,
};
pub use entry::{MdEntries, MdEntry, MdError, MdKind, MdMessage, UpdateAction};
pub use replay::{Replay, ReplayCounters};
pub use request::{MdReqId, MdReqIdFormat, MdRequest, MdSender, SubscriptionType};
pub use stage::{EventOut, MarketData, MdCounters, SubState, Want};
