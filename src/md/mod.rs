//! Market data: decoding W/X into entries ([`entry`]), fixed-capacity order
//! books ([`book`]), MarketDataRequests ([`request`]), the engine's
//! market-data stage ([`stage`]: subscriptions, lifecycle, events), the
//! quote desk ([`quotes`]: QuoteRequest, Quote, QuoteCancel,
//! QuoteRequestReject and orders on quotes) and capture replay
//! ([`replay`]: a journal drives the books again).
//!
//! Owns everything between a parsed market-data or quote message and the
//! events a strategy gets from it. Sockets, the journal and clocks are not
//! its business: the stage and the desk are driven by the trading
//! application with parsed messages, session events and `now`, send through
//! the session, and are read back by the control plane.

pub mod book;
pub mod entry;
pub mod quotes;
pub mod replay;
pub mod request;
pub mod stage;

pub use book::{
    Applied, Book, BookError, BookSide, Changes, Level, Levels, Limit, SideChanges, Top,
};
pub use entry::{MdEntries, MdEntry, MdError, MdKind, MdMessage, UpdateAction};
pub use quotes::{QuoteConfig, QuoteConfigError, QuoteCounter, QuoteCounters, QuoteDesk};
pub use replay::{Replay, ReplayCounters};
pub use request::{MdReqId, MdReqIdFormat, MdRequest, MdSender, SubscriptionType};
pub use stage::{EventOut, MarketData, MdCounters, SubState, Want};
