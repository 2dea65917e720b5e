//! Market data end to end: `fixrail`'s venue publishing W/X/Y from its
//! matching engine and seeded flow, over real loopback sockets, into the
//! engine's market-data stage and a strategy's events. Three views of one
//! book are held to each other: the strategy's mirror (built only from its
//! events) against the engine's book after every turn, and the engine's
//! book against the venue's own at quiescent points (the flow paused,
//! nothing in flight).

// Test deadlines and the test's pausable clock are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

mod md_e2e {
    mod books;
    pub mod harness;
    mod lifecycle;
    mod recovery;
    mod rejects;
}
