//! The only module that reads a clock.
//!
//! Everything else takes `now` as an argument (see `clippy.toml`), so protocol
//! rules and encoders can be driven by a manual clock in tests. A duty cycle
//! reads the clock once and passes the value down.
//!
//! Two kinds of time: wall-clock [`UtcTimestamp`]s from a [`Clock`] (what FIX
//! puts on the wire), and [`MonoTime`] readings of the [`MonotonicClock`]
//! (quanta's TSC clock: no system call, never steps back with NTP) that the
//! runtime's duty cycles, timeouts and latency stamps use.

// The one module that reads clocks (clippy.toml bans it everywhere else).
#![allow(clippy::disallowed_methods)]

use crate::codec::UtcTimestamp;

/// A source of wall-clock time as nanoseconds since the Unix epoch (UTC).
pub trait Clock {
    /// The current UTC time.
    fn now(&self) -> UtcTimestamp;
}

/// Reads the operating system's real-time clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned clock read
    fn now(&self) -> UtcTimestamp {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UtcTimestamp::from_unix_nanos(since.as_nanos() as i64)
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: std::cell::Cell<i64>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: UtcTimestamp) -> Self {
        ManualClock {
            now: std::cell::Cell::new(start.unix_nanos()),
        }
    }

    /// Moves the clock forward (or back) by `nanos`.
    pub fn advance_nanos(&self, nanos: i64) {
        self.now.set(self.now.get() + nanos);
    }

    /// Sets the clock to `t`.
    pub fn set(&self, t: UtcTimestamp) {
        self.now.set(t.unix_nanos());
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UtcTimestamp {
        UtcTimestamp::from_unix_nanos(self.now.get())
    }
}

/// A shared clock: the engine owns one handle, a test keeps another.
impl<T: Clock + ?Sized> Clock for std::rc::Rc<T> {
    fn now(&self) -> UtcTimestamp {
        (**self).now()
    }
}

/// A reading of a [`MonotonicClock`]: nanoseconds since the clock's origin.
///
/// Only differences mean anything. Readings of [`MonotonicClock::new`] clocks
/// share one origin per process, so they compare across threads; a mock
/// clock's readings compare only with that mock's. A plain `u64` inside, so
/// it is `Copy`, fits in ring messages and histograms, and can be made by a
/// test with [`MonoTime::from_nanos`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonoTime(u64);

impl MonoTime {
    /// The reading `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Self {
        MonoTime(nanos)
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Nanoseconds from `earlier` to `self`; 0 if `earlier` is later.
    pub const fn nanos_since(self, earlier: MonoTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    pub const fn duration_since(self, earlier: MonoTime) -> std::time::Duration {
        std::time::Duration::from_nanos(self.nanos_since(earlier))
    }

    /// `self` plus `d` (saturating at the end of time).
    pub fn after(self, d: std::time::Duration) -> MonoTime {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        MonoTime(self.0.saturating_add(nanos))
    }
}

/// The process's monotonic origin, in raw `quanta` units (TSC ticks, or
/// nanoseconds where there is no usable TSC): the first reading taken.
static MONOTONIC_ORIGIN: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// The monotonic clock of duty cycles: `quanta`'s clock (the invariant TSC
/// where the CPU has one, calibrated once per process; else
/// `CLOCK_MONOTONIC`). A reading is one `rdtsc` and a multiply-shift: no
/// system call, no allocation, no lock. Cloning is cheap and clones share
/// the origin.
#[derive(Debug, Clone)]
pub struct MonotonicClock {
    clock: quanta::Clock,
    /// Raw reading that [`MonoTime`] 0 stands for.
    origin: u64,
}

impl MonotonicClock {
    /// The real clock. The first call in a process calibrates the TSC
    /// against the OS clock (up to a few hundred milliseconds): call it at
    /// start-up, never on a hot path.
    pub fn new() -> Self {
        let clock = quanta::Clock::new();
        let origin = *MONOTONIC_ORIGIN.get_or_init(|| clock.raw());
        MonotonicClock { clock, origin }
    }

    /// A clock that moves only when the returned handle is told to
    /// (`mock.increment(Duration)`); it starts at [`MonoTime`] 0.
    pub fn mock() -> (Self, std::sync::Arc<quanta::Mock>) {
        let (clock, mock) = quanta::Clock::mock();
        let origin = clock.raw();
        (MonotonicClock { clock, origin }, mock)
    }

    /// The current reading.
    #[inline]
    pub fn now(&self) -> MonoTime {
        MonoTime(self.clock.delta_as_nanos(self.origin, self.clock.raw()))
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}
