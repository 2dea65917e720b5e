//! The ring pair between a strategy and the engine.
//!
//! [`channel`] makes two ends: the strategy's [`StrategyHandle`] (push
//! commands, pop events) and the engine's [`EnginePort`] (pop commands, push
//! events). Both rings are `rtrb` SPSC rings sized at start-up; neither side
//! ever blocks on the other: a full command ring is back-pressure the
//! strategy sees ([`Full`]), a full event ring is kept by the engine and
//! retried on its next turn.

use super::types::{Command, Event};
use rtrb::{Consumer, Producer, RingBuffer};

/// The command ring is full: the engine has not caught up. Try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("command ring full ({capacity} commands)")]
pub struct Full {
    /// The ring's capacity.
    pub capacity: usize,
}

/// The strategy's end.
#[derive(Debug)]
pub struct StrategyHandle {
    commands: Producer<Command>,
    events: Consumer<Event>,
}

impl StrategyHandle {
    /// Queues a command for the engine.
    #[inline]
    pub fn send(&mut self, cmd: Command) -> Result<(), Full> {
        self.commands.push(cmd).map_err(|_| Full {
            capacity: self.commands.buffer().capacity(),
        })
    }

    /// The next event, if any.
    #[inline]
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop().ok()
    }

    /// Room left in the command ring.
    pub fn free_slots(&self) -> usize {
        self.commands.slots()
    }
}

/// The engine's end.
#[derive(Debug)]
pub struct EnginePort {
    commands: Consumer<Command>,
    events: Producer<Event>,
}

impl EnginePort {
    /// The next command, if any.
    #[inline]
    pub fn next_command(&mut self) -> Option<Command> {
        self.commands.pop().ok()
    }

    /// Pushes an event; false when the ring is full (the caller keeps it).
    #[inline]
    pub fn push_event(&mut self, e: Event) -> bool {
        self.events.push(e).is_ok()
    }

    /// Room left in the event ring (market data checks it before a batch,
    /// so a batch is pushed whole or coalesced).
    #[inline]
    pub fn free_event_slots(&self) -> usize {
        self.events.slots()
    }
}

/// A ring pair with room for `commands` commands and `events` events.
pub fn channel(commands: usize, events: usize) -> (StrategyHandle, EnginePort) {
    let (cp, cc) = RingBuffer::new(commands);
    let (ep, ec) = RingBuffer::new(events);
    (
        StrategyHandle {
            commands: cp,
            events: ec,
        },
        EnginePort {
            commands: cc,
            events: ep,
        },
    )
}

/// A trading strategy: user code that reacts to events by sending commands.
/// It runs on its own thread (see `crate::runtime`) or is driven from the
/// user's own loop with [`StrategyHandle`] directly.
pub trait Strategy: Send {
    /// Called once before the first event.
    fn on_start(&mut self, _h: &mut StrategyHandle) {}
    /// One event from the engine.
    fn on_event(&mut self, e: &Event, h: &mut StrategyHandle);
    /// Called on every duty cycle with the monotonic time in nanoseconds
    /// (timers, quoting loops). Returns the work done (0 when idle).
    fn on_tick(&mut self, _now_ns: u64, _h: &mut StrategyHandle) -> usize {
        0
    }
    /// True when the strategy has finished (the runner stops it).
    fn is_done(&self) -> bool {
        false
    }
}

/// Drives a strategy from its handle: drains events into `on_event`, then
/// `on_tick`. Returns the work done. The runtime's strategy agent calls this.
pub fn drive(strategy: &mut dyn Strategy, h: &mut StrategyHandle, now_ns: u64) -> usize {
    let mut work = 0;
    while let Some(e) = h.poll() {
        strategy.on_event(&e, h);
        work += 1;
    }
    work + strategy.on_tick(now_ns, h)
}
