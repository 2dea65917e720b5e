//! The engine's market-data stage through `TradingApplication` and a real
//! session: MarketDataRequests, book events, coalescing, rejects, and the
//! lifecycle (reconnect, gap, staleness, bad updates).

mod market_data {
    pub mod harness;
    mod lifecycle;
    mod requests;
    mod updates;
}
