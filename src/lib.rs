//! fixrail: a low-latency FIX 4.4 engine for colocated trading hosts.
//!
//! The crate is laid out one folder per stage or concern; each module's own
//! doc comment says what it owns and what it may not touch. `docs/ARCHITECTURE.md`
//! is the map and lists the invariants the code keeps.
//!
//! Built so far:
//! - [`codec`]: framing, zero-copy parsing, typed field decoding and encoding.
//! - [`dictionary`]: QuickFIX-format data dictionaries and message validation.
//! - [`journal`]: the append-only mmap journal, source of truth for messages
//!   and sequence numbers.
//! - [`net`]: the non-blocking TCP transport (the only user of mio), reconnect
//!   back-off and host fail-over.
//! - [`md`]: market data; so far the quote desk (QuoteRequest, Quote,
//!   QuoteCancel, QuoteRequestReject, orders on quotes).
//! - [`order`]: order slots, ClOrdIDs, the FIX order state machine,
//!   positions and P&L.
//! - [`config`]: the TOML config file, loaded into checked, typed settings.
//! - [`md`]: market data: W/X decoding into entries and fixed-capacity,
//!   allocation-free order books.
//! - [`venue`]: the venue simulator, a price-time matching engine per
//!   instrument behind acceptor sessions.
//! - [`clock`]: the one place that reads a clock.
//! - [`runtime`]: the thread-per-core runtime (agents, idle strategies,
//!   placement on pinned threads, shutdown, control channels).
//! - [`harness`]: the latency harness's building blocks: the loopback TCP
//!   floor, HDR percentile reports, `.hgrm` files and SVG plots.

#![deny(unsafe_code)]

pub mod clock;
pub mod codec;
pub mod config;
pub mod demo;
pub mod dictionary;
pub mod engine;
pub mod harness;
pub mod journal;
pub mod md;
pub mod net;
pub mod order;
pub mod risk;
pub mod runtime;
pub mod session;
pub mod strategy;
pub mod venue;
