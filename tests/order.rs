//! The order stage (`fixrail::order`): the FIX 4.4 order-state-change
//! matrices (Volume 4, Appendix D) one test per scenario, named after it;
//! cancel/replace races; unknown, stale, duplicate and out-of-order reports;
//! local refusals; ClOrdID round trips; positions and P&L; event
//! back-pressure; and restart by journal replay and reconciliation. Every
//! message the stage encodes is checked against the FIX 4.4 dictionary by
//! the harness's sender (`tests/order/harness.rs`), in every test.

mod common;
#[path = "order/harness.rs"]
mod harness;

#[path = "order/commands.rs"]
mod commands;
#[path = "order/matrices.rs"]
mod matrices;
#[path = "order/positions.rs"]
mod positions;
#[path = "order/properties.rs"]
mod properties;
#[path = "order/replay.rs"]
mod replay;
#[path = "order/reports.rs"]
mod reports;
