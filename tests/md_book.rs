//! The market-data book (`fixrail::md`): scripted W/X sequences decoded by
//! the real parser against golden books (`tests/data/md/*.script` →
//! `*.golden`), a randomized differential test of `Book` against plain
//! reference models for each keying (price, position, entry id) including
//! its change tracking, and the error cases (bad values, unknown ids,
//! positions out of range, full tables) — errors, never panics.

mod common;

#[path = "md_book/diff.rs"]
mod diff;
#[path = "md_book/errors.rs"]
mod errors;
#[path = "md_book/golden.rs"]
mod golden;
