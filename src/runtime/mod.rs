//! The thread-per-core runtime: agents, their duty cycles, idle strategies,
//! placement on (pinned) threads, shutdown, and control messages.
//!
//! Owns the runner threads and nothing they run: it knows nothing of FIX,
//! sockets or the journal. Stages (parse, session, book, order, strategy)
//! are [`Agent`]s; rings between them (`rtrb`) are made and handed to the
//! agents by whoever builds them, before [`Runtime::start`].
//!
//! # Driving contract
//!
//! - An [`Agent`] is a plain struct with a duty cycle,
//!   [`Agent::do_work`]`(now)`, returning how much work it did (0: none). It
//!   must not block: it polls its rings, sockets and [`Control`] channel and
//!   returns. `on_start` and `on_close` run on the agent's own thread, before
//!   the first and after the last duty cycle.
//! - Time: each duty cycle reads the runner's [`MonotonicClock`] once and
//!   passes the same [`MonoTime`] to every agent of the thread. It is
//!   monotonic nanoseconds from `quanta` (TSC; no system call), never wall
//!   time: a `u64` inside, so agents can put it in ring messages and
//!   histograms, and tests can make one. An agent that needs UTC (FIX
//!   SendingTime) gets it from a `crate::clock::Clock` it is given.
//! - A [`Placement`] puts the agents on one thread, called in order each
//!   cycle ([`Placement::OneThread`], run-to-completion), or spreads them
//!   over threads ([`Placement::Threads`]); the agent code is the same. A
//!   thread with a core is pinned to it before any agent starts; a core the
//!   process may not run on fails [`Runtime::start`] with an error naming
//!   the thread and the core, and no agent starts.
//! - Threads are named `{name}-{i}` ([`RuntimeConfig::name`]).
//!   [`RuntimeHandle::stop`] sets the shared stop flag and unparks them;
//!   each finishes its cycle, calls `on_close` on its agents and exits.
//!   [`RuntimeHandle::join`] waits for that and returns every agent panic as
//!   [`RuntimeError::Panicked`]; a panic also stops the other threads.
//! - After an idle cycle the thread follows its [`IdleStrategy`] (the
//!   [`Idle`] enum: busy-spin, spin-hint, yield, back-off with park). Tests
//!   and shared machines use [`Backoff`]; busy-spin only on dedicated cores.
//! - The control thread (not pinned, may sleep and allocate) talks to hot
//!   threads through rings and [`control_channel`]s only; an agent polls its
//!   [`Control`] without blocking.
//!
//! The duty cycle (runner loop plus idle strategy) never allocates, takes no
//! lock and makes no system call but the idle strategy's yield or park:
//! proved by the counting allocator in `tests/runtime.rs`.

mod control;
mod error;
mod idle;
mod placement;
mod runner;
mod threads;

pub use crate::clock::{MonoTime, MonotonicClock};
pub use crate::config::IdleKind;
pub use control::{control_channel, Control, ControlClosed, ControlSendError, ControlSender};
pub use error::{AgentPanic, Phase, RuntimeError};
pub use idle::{Backoff, BackoffPhase, BusySpin, Idle, IdleStrategy, SpinHint, Yield};
pub use placement::{AgentRef, Placement, ThreadPlacement};
pub use runner::AgentRunner;
pub use threads::{Runtime, RuntimeConfig, RuntimeHandle};

/// A stage with a duty cycle, run by a runner thread.
///
/// `Send` because it is built on one thread and run on another. Every
/// method runs on the agent's runner thread.
pub trait Agent: Send {
    /// A short name for placement, thread reports and panics (`"session"`).
    fn name(&self) -> &'static str;

    /// One duty cycle: do whatever work is waiting, without blocking, and
    /// say how much (0: none, so the thread may idle). `now` is this cycle's
    /// monotonic clock reading, the same for every agent of the thread.
    fn do_work(&mut self, now: MonoTime) -> usize;

    /// Called once on the runner thread (after pinning) before the first
    /// duty cycle: the place for thread-local set-up and warm-up.
    fn on_start(&mut self) {}

    /// Called once on the runner thread after the last duty cycle, also
    /// after a panic in any agent of the thread (so it must cope with work
    /// cut short).
    fn on_close(&mut self) {}
}
