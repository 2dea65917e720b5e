//! Where the order stage's events go, and the fixed queue that holds them
//! while the strategy's ring is full.

use crate::strategy::Event;

/// Takes the stage's events (the strategy's event ring in production).
pub trait EventSink {
    /// Offers one event; `false` when there is no room now (the stage keeps
    /// it and offers it again later, in order). Must not block.
    fn push(&mut self, e: Event) -> bool;
}

impl EventSink for rtrb::Producer<Event> {
    #[inline]
    fn push(&mut self, e: Event) -> bool {
        rtrb::Producer::push(self, e).is_ok()
    }
}

/// A sink that drops everything (replay).
#[derive(Debug, Default)]
pub(crate) struct Discard;

impl EventSink for Discard {
    fn push(&mut self, _: Event) -> bool {
        true
    }
}

/// A fixed FIFO of events waiting for room in the sink.
#[derive(Debug)]
pub(crate) struct EventQueue {
    buf: Box<[Event]>,
    head: usize,
    len: usize,
}

impl EventQueue {
    pub(crate) fn new(capacity: usize) -> EventQueue {
        EventQueue {
            buf: vec![Event::SessionUp { session: 0 }; capacity.max(1)].into_boxed_slice(),
            head: 0,
            len: 0,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends; false when full.
    #[inline]
    pub(crate) fn push(&mut self, e: Event) -> bool {
        if self.len == self.buf.len() {
            return false;
        }
        let at = (self.head + self.len) % self.buf.len();
        self.buf[at] = e;
        self.len += 1;
        true
    }

    /// Offers queued events to `sink` in order until it refuses one;
    /// returns how many it took.
    #[inline]
    pub(crate) fn drain_into<E: EventSink + ?Sized>(&mut self, sink: &mut E) -> usize {
        let mut n = 0;
        while self.len > 0 {
            if !sink.push(self.buf[self.head]) {
                break;
            }
            self.head = (self.head + 1) % self.buf.len();
            self.len -= 1;
            n += 1;
        }
        n
    }
}
