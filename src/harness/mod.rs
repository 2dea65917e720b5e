//! The latency harness's measurement building blocks: the physical floor of
//! the machine ([`floor::tcp_floor`], a raw busy-polled TCP ping-pong over
//! loopback) and the reports made from HDR histograms ([`report`]:
//! percentiles, `.hgrm` percentile-distribution files, an SVG plot).
//!
//! Owns its own sockets (plain `std::net`, not the engine's transport), its
//! threads while a floor measurement runs, and the files it is told to write.
//! It touches no FIX state, no journal and no config; time comes from
//! [`crate::clock::MonotonicClock`] only. Everything that allocates (buffers,
//! the histogram, the threads) does so before the measured loop; the loop
//! itself makes only `read`/`write` system calls and clock reads.

pub mod floor;
pub mod report;
pub mod stages;
pub mod throughput;
pub mod tick;

pub use floor::tcp_floor;
pub use report::{
    format_hgrm, format_svg_plot, write_hgrm, write_svg_plot, Percentiles, ReportError,
};

/// Lowest value a harness histogram tracks: 1 ns.
pub const HISTOGRAM_LOW_NS: u64 = 1;
/// Highest value a harness histogram tracks: 10 s; longer values saturate.
pub const HISTOGRAM_HIGH_NS: u64 = 10_000_000_000;
/// Significant decimal digits a harness histogram keeps.
pub const HISTOGRAM_SIGFIG: u8 = 3;

/// A histogram with the harness's bounds (1 ns ..= 10 s, 3 significant
/// digits), fully sized now so recording never allocates (no auto-resize).
pub fn new_histogram() -> hdrhistogram::Histogram<u64> {
    // The bounds are constants that satisfy the crate's rules (low >= 1,
    // high >= 2 * low, sigfig <= 5): a failure here is a bug, not input.
    hdrhistogram::Histogram::new_with_bounds(HISTOGRAM_LOW_NS, HISTOGRAM_HIGH_NS, HISTOGRAM_SIGFIG)
        .expect("harness histogram bounds are valid constants")
}
