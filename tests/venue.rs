//! The venue simulator (`fixrail::venue`, `fixrail venue`):
//! - `book_diff`: the matching engine against a reference model over
//!   thousands of seeded operations;
//! - `orders`: the venue application driven in process through real
//!   sessions sharing one venue (`venue/harness.rs`), every report parsed
//!   and validated against the FIX 4.4 dictionary;
//! - `e2e`: `fixrail venue --config` over TCP with two QuickFIX C++ clients
//!   (`tools/qfpeer`);
//! - `config`: `[[instrument]]`, `[venue]`, `application = "venue"`, the
//!   example `config/venue.toml` and `fixrail venue`'s refusals.
//!
//! The zero-allocation proof has its own binary (`tests/venue_no_alloc.rs`)
//! because it installs a counting global allocator.

mod common;
#[path = "venue/harness.rs"]
mod harness;

#[path = "venue/book_diff.rs"]
mod book_diff;
#[path = "venue/config.rs"]
mod config;
#[path = "venue/e2e.rs"]
mod e2e;
#[path = "venue/orders.rs"]
mod orders;
