//! The FIX session layer.
pub mod schedule;
