//! Stage timestamps: where the time of an order's round trip goes inside
//! the engine.
//!
//! Hot threads push small [`Stamp`]s (a kind and a monotonic reading) into
//! an SPSC ring and never wait: a full ring drops the stamp and counts it.
//! The control thread drains the rings and pairs the stamps in order, so
//! histograms are recorded off the hot threads.

use crate::clock::MonotonicClock;
use rtrb::{Consumer, Producer, RingBuffer};

/// What a stamp marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// The strategy pushed a NewOrder into its command ring.
    Send,
    /// The engine called `write()` with the NewOrderSingle.
    Write,
    /// The engine's `read()` returned bytes holding the ExecutionReport New.
    Read,
    /// The strategy popped the acknowledgement from its event ring.
    Ack,
    /// The engine's `read()` returned bytes holding a market-data message
    /// that made a `TopOfBook` event (stamped with the read's time, after
    /// the event was pushed).
    TickRead,
    /// That `TopOfBook` event is in the strategy's ring (one stamp per
    /// message, after its `TickRead`s: one per TopOfBook it made).
    TickPushed,
    /// A `TopOfBook` pushed without a W/X read (a coalesced batch sent by
    /// a later turn): not timed, but counted so the pops pair up.
    TickUnread,
    /// The strategy popped a `TopOfBook` event.
    TickSeen,
}

/// One timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// What it marks.
    pub kind: StageKind,
    /// Monotonic nanoseconds ([`MonotonicClock`]).
    pub at: u64,
}

/// The hot side: stamps into a ring, never blocking.
#[derive(Debug)]
pub struct StageProbe {
    ring: Producer<Stamp>,
    clock: MonotonicClock,
    dropped: u64,
}

impl StageProbe {
    /// Stamps `kind` now.
    #[inline]
    pub fn stamp(&mut self, kind: StageKind) {
        self.stamp_at(kind, self.clock.now().as_nanos());
    }

    /// Stamps `kind` at a reading taken earlier.
    #[inline]
    pub fn stamp_at(&mut self, kind: StageKind, at: u64) {
        if self.ring.push(Stamp { kind, at }).is_err() {
            self.dropped += 1;
        }
    }

    /// A reading of the probe's clock (for [`StageProbe::stamp_at`]).
    #[inline]
    pub fn now(&self) -> u64 {
        self.clock.now().as_nanos()
    }

    /// Stamps lost to a full ring.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// A probe and the consumer the control thread drains.
pub fn probe(capacity: usize) -> (StageProbe, Consumer<Stamp>) {
    let (p, c) = RingBuffer::new(capacity);
    (
        StageProbe {
            ring: p,
            clock: MonotonicClock::new(),
            dropped: 0,
        },
        c,
    )
}
