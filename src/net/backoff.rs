//! Reconnect delays: exponential, capped, with seeded jitter.
//!
//! Owns only the delay arithmetic and a small xorshift PRNG; it reads no
//! clock and sleeps on nothing. The caller waits the delay on its own timer.

use std::time::Duration;

use super::NetError;

/// How reconnect delays grow; validated by [`Backoff::new`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// The first delay (more than zero).
    pub initial: Duration,
    /// No delay is longer than this (at least `initial`).
    pub max: Duration,
    /// Each delay is the previous one (before jitter) times this (at least 1).
    pub multiplier: f64,
    /// Each delay is moved by up to this percentage of itself, up or down
    /// (0 to 100), so many clients do not retry in step.
    pub jitter_pct: u32,
}

/// Exponential back-off: `initial`, `initial * multiplier`, ... capped at
/// `max`, each moved by up to `jitter_pct` percent either way (and still
/// never over `max`). [`Backoff::reset`] starts again from `initial`, after a
/// successful logon.
#[derive(Debug, Clone)]
pub struct Backoff {
    cfg: BackoffConfig,
    /// The next delay before jitter, in nanoseconds.
    next_nanos: u64,
    /// xorshift64 state; never 0.
    rng: u64,
}

impl Backoff {
    /// A back-off starting at `cfg.initial`, its jitter drawn from a PRNG
    /// seeded with `seed` (same seed, same delays).
    pub fn new(cfg: BackoffConfig, seed: u64) -> Result<Backoff, NetError> {
        let bad = |key: &'static str, value: String, problem: &'static str| {
            Err(NetError::Config {
                key,
                value,
                problem,
            })
        };
        if cfg.initial.is_zero() {
            return bad(
                "backoff.initial",
                format!("{:?}", cfg.initial),
                "must be more than zero",
            );
        }
        if cfg.max < cfg.initial {
            return bad(
                "backoff.max",
                format!("{:?}", cfg.max),
                "must be at least backoff.initial",
            );
        }
        if !(cfg.multiplier.is_finite() && cfg.multiplier >= 1.0) {
            return bad(
                "backoff.multiplier",
                cfg.multiplier.to_string(),
                "must be a number of at least 1",
            );
        }
        if cfg.jitter_pct > 100 {
            return bad(
                "backoff.jitter_pct",
                cfg.jitter_pct.to_string(),
                "must be at most 100",
            );
        }
        Ok(Backoff {
            cfg,
            next_nanos: nanos(cfg.initial),
            rng: seed_state(seed),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BackoffConfig {
        &self.cfg
    }

    /// The delay to wait before the next attempt; each call makes the next
    /// one longer, up to `max`.
    pub fn next_delay(&mut self) -> Duration {
        let max = nanos(self.cfg.max);
        let base = self.next_nanos;
        let span = u128::from(base) * u128::from(self.cfg.jitter_pct) / 100;
        // Uniform in [base - span, min(base + span, max)]: jittered both ways,
        // never over `max`, and no pile-up of delays at exactly `max`.
        let low = u128::from(base) - span;
        let high = (u128::from(base) + span).min(u128::from(max));
        let delay = if high > low {
            low + u128::from(self.next_random()) % (high - low + 1)
        } else {
            low
        };
        let grown = base as f64 * self.cfg.multiplier;
        self.next_nanos = if grown >= max as f64 {
            max
        } else {
            (grown as u64).max(base)
        };
        // `delay <= high <= max`, which fits in u64.
        Duration::from_nanos(delay as u64)
    }

    /// Starts again from `initial` (after a successful logon). The jitter
    /// sequence goes on; it is not reseeded.
    pub fn reset(&mut self) {
        self.next_nanos = nanos(self.cfg.initial);
    }

    /// xorshift64 (Marsaglia): small, fast, and plenty for jitter.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

/// A non-zero xorshift state from any seed: the splitmix64 finaliser, so
/// nearby seeds give unrelated sequences.
fn seed_state(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if z == 0 {
        0x2545_f491_4f6c_dd1d
    } else {
        z
    }
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(jitter_pct: u32) -> BackoffConfig {
        BackoffConfig {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1_000),
            multiplier: 2.0,
            jitter_pct,
        }
    }

    /// Without jitter the delays double from `initial`, stop at `max`, and
    /// `reset` starts again from `initial`.
    #[test]
    fn doubles_caps_and_resets() {
        let mut b = Backoff::new(cfg(0), 1).unwrap();
        let ms: Vec<u128> = (0..6).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1_000, 1_000]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
        assert_eq!(b.next_delay(), Duration::from_millis(200));
    }

    /// A fractional multiplier grows by that factor.
    #[test]
    fn fractional_multiplier() {
        let c = BackoffConfig {
            multiplier: 1.5,
            ..cfg(0)
        };
        let mut b = Backoff::new(c, 1).unwrap();
        let ms: Vec<u128> = (0..7).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(ms, [100, 150, 225, 337, 506, 759, 1_000]);
    }

    /// With jitter every delay stays within its percentage of the un-jittered
    /// one and never exceeds `max`; the same seed gives the same delays, and
    /// the jitter actually varies them.
    #[test]
    fn jitter_is_bounded_seeded_and_varies() {
        let seed = 0x5eed_1234;
        let mut a = Backoff::new(cfg(20), seed).unwrap();
        let mut plain = Backoff::new(cfg(0), 0).unwrap();
        let mut first = Vec::new();
        for _ in 0..50 {
            let base = plain.next_delay().as_nanos();
            let d = a.next_delay().as_nanos();
            assert!(
                d >= base * 80 / 100,
                "{d} below 80% of {base} (seed {seed:#x})"
            );
            assert!(
                d <= base * 120 / 100,
                "{d} above 120% of {base} (seed {seed:#x})"
            );
            assert!(d <= 1_000_000_000, "{d} over max (seed {seed:#x})");
            first.push(d);
        }
        let mut again = Backoff::new(cfg(20), seed).unwrap();
        let second: Vec<u128> = (0..50).map(|_| again.next_delay().as_nanos()).collect();
        assert_eq!(first, second, "same seed, same delays");
        let capped = &first[10..];
        let at_max = capped.iter().filter(|&&d| d == 1_000_000_000).count();
        assert!(at_max < 3, "capped delays pile up at max: {capped:?}");
        let mut other = Backoff::new(cfg(20), seed + 1).unwrap();
        let third: Vec<u128> = (0..50).map(|_| other.next_delay().as_nanos()).collect();
        assert_ne!(first, third, "another seed, other delays");
    }

    /// Seed 0 (which stalls a bare xorshift) still jitters.
    #[test]
    fn seed_zero_works() {
        let mut b = Backoff::new(cfg(50), 0).unwrap();
        let d: Vec<Duration> = (0..20).map(|_| b.next_delay()).collect();
        assert!(d[5..].iter().any(|&x| x != d[5]));
    }

    /// Invalid settings are refused with the key named.
    #[test]
    fn invalid_config_names_the_key() {
        let cases = [
            (
                BackoffConfig {
                    initial: Duration::ZERO,
                    ..cfg(0)
                },
                "backoff.initial",
            ),
            (
                BackoffConfig {
                    max: Duration::from_millis(50),
                    ..cfg(0)
                },
                "backoff.max",
            ),
            (
                BackoffConfig {
                    multiplier: 0.5,
                    ..cfg(0)
                },
                "backoff.multiplier",
            ),
            (
                BackoffConfig {
                    multiplier: f64::NAN,
                    ..cfg(0)
                },
                "backoff.multiplier",
            ),
            (cfg(101), "backoff.jitter_pct"),
        ];
        for (c, key) in cases {
            let err = Backoff::new(c, 1).unwrap_err().to_string();
            assert!(err.contains(key), "{err:?} should name {key}");
        }
    }

    /// A huge `max` does not overflow: the delay saturates and stays capped.
    #[test]
    fn huge_values_saturate() {
        let c = BackoffConfig {
            initial: Duration::from_secs(1),
            max: Duration::MAX,
            multiplier: 1e6,
            jitter_pct: 100,
        };
        let mut b = Backoff::new(c, 7).unwrap();
        for _ in 0..10 {
            let d = b.next_delay();
            assert!(d <= Duration::from_nanos(u64::MAX));
        }
    }
}
