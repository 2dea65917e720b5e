//! The only module that reads a clock.
//!
//! Everything else takes `now` as an argument (see `clippy.toml`), so protocol
//! rules and encoders can be driven by a manual clock in tests. A duty cycle
//! reads the clock once and passes the value down.

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
