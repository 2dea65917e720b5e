//! Idle strategies: what a runner thread does after a duty cycle that found
//! no work.
//!
//! Owns the waiting policy only; it knows nothing of agents or threads
//! beyond "this thread". None of them allocates, takes a lock or reads a
//! clock: [`Backoff`] counts calls and parks for a period it doubles itself.
//! The runner dispatches through the [`Idle`] enum, so the hot loop makes no
//! virtual call.

use crate::config::IdleKind;
use std::time::Duration;

/// What a thread does between duty cycles.
///
/// The runner calls [`IdleStrategy::idle`] after every duty cycle with the
/// work it did; a strategy resets itself when `work_count > 0` and waits
/// (more and more, for [`Backoff`]) on consecutive idle cycles.
pub trait IdleStrategy {
    /// Called after each duty cycle with the work it did (0: none).
    fn idle(&mut self, work_count: usize);

    /// Forgets how long the thread has been idle (as work does).
    fn reset(&mut self);
}

/// Returns at once: the lowest latency, and a whole core burnt. Production
/// on a dedicated core only; never in tests on a shared machine.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BusySpin;

impl IdleStrategy for BusySpin {
    #[inline]
    fn idle(&mut self, _work_count: usize) {}

    #[inline]
    fn reset(&mut self) {}
}

/// Spins with a CPU spin-loop hint (`pause` on x86): still a core burnt, but
/// kinder to a hyper-thread sibling and to power.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpinHint;

impl IdleStrategy for SpinHint {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count == 0 {
            core::hint::spin_loop();
        }
    }

    #[inline]
    fn reset(&mut self) {}
}

/// Yields the thread to the scheduler on every idle cycle (a system call;
/// returns at once when nothing else wants the core).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Yield;

impl IdleStrategy for Yield {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count == 0 {
            std::thread::yield_now();
        }
    }

    #[inline]
    fn reset(&mut self) {}
}

/// Where a [`Backoff`] is in its escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackoffPhase {
    /// Not idle (just reset): the next idle cycle starts spinning.
    Active,
    /// Spinning with a spin-loop hint; `n` idle cycles spun so far.
    Spinning(u32),
    /// Yielding to the scheduler; `n` idle cycles yielded so far.
    Yielding(u32),
    /// Parking; the next park lasts this long.
    Parking(Duration),
}

/// Spin, then yield, then park for exponentially growing periods: for tests,
/// CI and laptops (and a quiet production host that can afford the wake-up).
///
/// Consecutive idle cycles first spin `spins_max` times with a spin-loop
/// hint, then yield `yields_max` times, then park the thread
/// (`std::thread::park_timeout`) for `park_min`, doubling each idle cycle up
/// to `park_max`. Any cycle with work starts over. The longest a parked
/// thread takes to notice new work is `park_max`, or less when someone
/// unparks it (the runtime does so on stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    spins_max: u32,
    yields_max: u32,
    park_min: Duration,
    park_max: Duration,
    phase: BackoffPhase,
}

impl Default for Backoff {
    /// 10 spins, 5 yields, then parks from 1 µs up to 1 ms.
    fn default() -> Self {
        Backoff::new(10, 5, Duration::from_micros(1), Duration::from_millis(1))
    }
}

impl Backoff {
    /// A back-off that spins `spins_max` times, yields `yields_max` times,
    /// then parks from `park_min` doubling up to `park_max`. A zero
    /// `park_min` is taken as 1 ns and a `park_max` below `park_min` as
    /// `park_min`.
    pub fn new(spins_max: u32, yields_max: u32, park_min: Duration, park_max: Duration) -> Self {
        let park_min = park_min.max(Duration::from_nanos(1));
        Backoff {
            spins_max,
            yields_max,
            park_min,
            park_max: park_max.max(park_min),
            phase: BackoffPhase::Active,
        }
    }

    /// The longest park: the worst-case delay before a parked thread sees
    /// work that nobody woke it for.
    pub fn park_max(&self) -> Duration {
        self.park_max
    }

    /// Where the escalation stands (for tests and diagnostics).
    pub fn phase(&self) -> BackoffPhase {
        self.phase
    }

    /// One idle cycle: spin, yield or park, and move the phase on.
    fn step(&mut self) {
        // Active falls through to the first spin; an exhausted phase falls
        // through to the next, so each call waits exactly once.
        if self.phase == BackoffPhase::Active {
            self.phase = BackoffPhase::Spinning(0);
        }
        if let BackoffPhase::Spinning(n) = self.phase {
            if n < self.spins_max {
                core::hint::spin_loop();
                self.phase = BackoffPhase::Spinning(n + 1);
                return;
            }
            self.phase = BackoffPhase::Yielding(0);
        }
        if let BackoffPhase::Yielding(n) = self.phase {
            if n < self.yields_max {
                std::thread::yield_now();
                self.phase = BackoffPhase::Yielding(n + 1);
                return;
            }
            self.phase = BackoffPhase::Parking(self.park_min);
        }
        if let BackoffPhase::Parking(period) = self.phase {
            std::thread::park_timeout(period);
            self.phase = BackoffPhase::Parking(period.saturating_mul(2).min(self.park_max));
        }
    }
}

impl IdleStrategy for Backoff {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        if work_count > 0 {
            self.reset();
        } else {
            self.step();
        }
    }

    #[inline]
    fn reset(&mut self) {
        self.phase = BackoffPhase::Active;
    }
}

/// One of the idle strategies, dispatched by `match` (no vtable on the hot
/// path). Built from the config's [`IdleKind`] with `Idle::from(kind)`
/// ([`Backoff::default`] for `backoff`) or directly from a strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idle {
    /// See [`BusySpin`].
    BusySpin(BusySpin),
    /// See [`SpinHint`].
    SpinHint(SpinHint),
    /// See [`Yield`].
    Yield(Yield),
    /// See [`Backoff`].
    Backoff(Backoff),
}

impl Idle {
    /// The strategy for `kind`, with `backoff` as the `backoff` kind's
    /// settings (ignored by the others).
    pub fn with_backoff(kind: IdleKind, backoff: Backoff) -> Idle {
        match kind {
            IdleKind::BusySpin => Idle::BusySpin(BusySpin),
            IdleKind::SpinHint => Idle::SpinHint(SpinHint),
            IdleKind::Yield => Idle::Yield(Yield),
            IdleKind::Backoff => Idle::Backoff(backoff),
        }
    }

    /// The config kind this strategy is.
    pub fn kind(&self) -> IdleKind {
        match self {
            Idle::BusySpin(_) => IdleKind::BusySpin,
            Idle::SpinHint(_) => IdleKind::SpinHint,
            Idle::Yield(_) => IdleKind::Yield,
            Idle::Backoff(_) => IdleKind::Backoff,
        }
    }
}

impl Default for Idle {
    /// [`Backoff::default`], like the config's default.
    fn default() -> Self {
        Idle::Backoff(Backoff::default())
    }
}

impl From<IdleKind> for Idle {
    fn from(kind: IdleKind) -> Idle {
        Idle::with_backoff(kind, Backoff::default())
    }
}

impl From<&Idle> for IdleKind {
    fn from(idle: &Idle) -> IdleKind {
        idle.kind()
    }
}

impl From<BusySpin> for Idle {
    fn from(s: BusySpin) -> Idle {
        Idle::BusySpin(s)
    }
}

impl From<SpinHint> for Idle {
    fn from(s: SpinHint) -> Idle {
        Idle::SpinHint(s)
    }
}

impl From<Yield> for Idle {
    fn from(s: Yield) -> Idle {
        Idle::Yield(s)
    }
}

impl From<Backoff> for Idle {
    fn from(s: Backoff) -> Idle {
        Idle::Backoff(s)
    }
}

impl IdleStrategy for Idle {
    #[inline]
    fn idle(&mut self, work_count: usize) {
        match self {
            Idle::BusySpin(s) => s.idle(work_count),
            Idle::SpinHint(s) => s.idle(work_count),
            Idle::Yield(s) => s.idle(work_count),
            Idle::Backoff(s) => s.idle(work_count),
        }
    }

    #[inline]
    fn reset(&mut self) {
        match self {
            Idle::BusySpin(s) => s.reset(),
            Idle::SpinHint(s) => s.reset(),
            Idle::Yield(s) => s.reset(),
            Idle::Backoff(s) => s.reset(),
        }
    }
}
