//! Market data: decoding W/X into entries ([`entry`]) and fixed-capacity
//! order books ([`book`]).
//!
//! Owns everything between a parsed market-data message and the book a
//! strategy's events are made from. Sessions, rings and clocks are not its
//! business: the market-data stage drives it with parsed messages and reads
//! the books back.

pub mod book;
pub mod entry;

pub use book::{
    Applied, Book, BookError, BookSide, Changes, Level, Levels, Limit, SideChanges, Top,
};
pub use entry::{MdEntries, MdEntry, MdError, MdKind, MdMessage, UpdateAction};
