//! The reject-rate breaker: trips when `count` events fall within a window.
//!
//! Owns a ring of the last `count` event times, allocated once in
//! [`Breaker::new`]; recording is O(1) and never allocates. It decides only
//! whether to trip; engaging the kill switch is the engine's business.

/// `count` events within `window_nanos` trip it: the event that makes
/// `count` in a row whose first is less than `window_nanos` older than it.
#[derive(Debug, Clone)]
pub(super) struct Breaker {
    /// The last `times.len()` event times, oldest at `next` once full.
    times: Box<[i64]>,
    next: usize,
    filled: usize,
    window_nanos: i64,
}

impl Breaker {
    /// Allocates the ring (`count` times; at least 1).
    pub fn new(count: u32, window_secs: u32) -> Breaker {
        Breaker {
            times: vec![0; (count as usize).max(1)].into_boxed_slice(),
            next: 0,
            filled: 0,
            window_nanos: i64::from(window_secs) * 1_000_000_000,
        }
    }

    /// Records an event at `now_nanos`; true when this event trips it.
    /// Times should not go back; one that does counts as within the window.
    #[inline]
    pub fn record(&mut self, now_nanos: i64) -> bool {
        let n = self.times.len();
        self.times[self.next] = now_nanos;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        if self.filled < n {
            self.filled += 1;
        }
        // Full: `next` is the oldest of the last n, this one included.
        self.filled == n && now_nanos.saturating_sub(self.times[self.next]) < self.window_nanos
    }

    /// Forgets every event (after the kill switch is released).
    pub fn clear(&mut self) {
        self.next = 0;
        self.filled = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn trips_on_count_events_within_the_window_only() {
        let mut b = Breaker::new(3, 10);
        assert!(!b.record(0));
        assert!(!b.record(5 * S));
        // The third at 10 s: the first is exactly 10 s older, not within.
        assert!(!b.record(10 * S));
        // 5 s, 10 s, 14.9 s: within 10 s.
        assert!(b.record(15 * S - 1));
        b.clear();
        assert!(!b.record(15 * S));
        assert!(!b.record(15 * S));
        assert!(b.record(15 * S));
    }

    #[test]
    fn a_count_of_one_trips_at_once() {
        let mut b = Breaker::new(1, 1);
        assert!(b.record(42));
    }
}
