//! Market data: subscriptions and books (not written yet) and the quote
//! desk ([`quotes`]: QuoteRequest, Quote, QuoteCancel, QuoteRequestReject
//! and orders on quotes). Each submodule's own doc comment says what it
//! owns.

pub mod quotes;

pub use quotes::{QuoteConfig, QuoteConfigError, QuoteCounter, QuoteCounters, QuoteDesk};
