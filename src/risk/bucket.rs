//! A token bucket on integer arithmetic, refilled from the `now` its caller
//! passes in.
//!
//! Owns only its level and the time it last refilled: it reads no clock and
//! never allocates. Tokens are counted in billionths, so refilling `rate`
//! tokens a second over `dt` nanoseconds adds exactly `dt × rate` billionths:
//! no rounding is lost between calls, however often they come.

/// Billionths of a token per token (one per nanosecond at one token a
/// second).
const UNIT: i128 = 1_000_000_000;

/// Allows `burst` operations at once and `rate_per_sec` a second over time.
///
/// It starts full. The first call only notes the time; each later call adds
/// what the time since the previous one earned, up to `burst`. A `now` earlier
/// than one already seen (a wall clock stepped back) adds nothing and does
/// not move the bucket's time back, so the step is not earned twice.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_sec: u32,
    capacity: i128,
    level: i128,
    last_nanos: Option<i64>,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens refilled at `rate_per_sec`. A rate of
    /// 0 never refills; a burst of 0 never allows anything.
    pub fn new(rate_per_sec: u32, burst: u32) -> TokenBucket {
        let capacity = i128::from(burst) * UNIT;
        TokenBucket {
            rate_per_sec,
            capacity,
            level: capacity,
            last_nanos: None,
        }
    }

    /// Takes one token at `now_nanos` if there is one.
    #[inline]
    pub fn try_take(&mut self, now_nanos: i64) -> bool {
        self.level = self.level_at(now_nanos);
        self.last_nanos = Some(self.last_nanos.map_or(now_nanos, |t| t.max(now_nanos)));
        if self.level >= UNIT {
            self.level -= UNIT;
            true
        } else {
            false
        }
    }

    /// Whole tokens available at `now_nanos` (does not change the bucket).
    pub fn available(&self, now_nanos: i64) -> u64 {
        u64::try_from(self.level_at(now_nanos) / UNIT).unwrap_or(0)
    }

    /// The bucket's size.
    pub fn burst(&self) -> u32 {
        (self.capacity / UNIT) as u32
    }

    /// Tokens added per second.
    pub fn rate_per_sec(&self) -> u32 {
        self.rate_per_sec
    }

    /// Fills the bucket (it forgets what was taken).
    pub fn refill_all(&mut self) {
        self.level = self.capacity;
    }

    /// The level at `now_nanos`: what it was plus what the time since the
    /// last call earned, capped. i128 cannot overflow here: at most
    /// 2^64 ns × 2^32 per second.
    #[inline]
    fn level_at(&self, now_nanos: i64) -> i128 {
        match self.last_nanos {
            Some(last) if now_nanos > last => {
                let dt = i128::from(now_nanos) - i128::from(last);
                (self.level + dt * i128::from(self.rate_per_sec)).min(self.capacity)
            }
            _ => self.level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_of_a_token_accumulate_exactly() {
        // 3 a second: a token every 333,333,333.3 ns. A thousand calls 1 µs
        // apart earn nothing on their own but add up.
        let mut b = TokenBucket::new(3, 1);
        assert!(b.try_take(0));
        assert!(!b.try_take(1));
        let mut t = 1;
        while t < 333_333_333 {
            t += 1_000_000;
            assert_eq!(b.available(t), u64::from(t >= 333_333_334));
        }
        assert!(!b.try_take(333_333_333));
        assert!(b.try_take(333_333_334));
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let mut b = TokenBucket::new(u32::MAX, u32::MAX);
        assert!(b.try_take(i64::MIN));
        assert!(b.try_take(i64::MAX));
        assert_eq!(b.available(i64::MAX), u64::from(u32::MAX) - 1);
        assert!(b.try_take(i64::MIN));
    }
}
