//! Exponential backoff between attempts, with the jitter named for what it is
//! (the terms of AWS's "Exponential Backoff And Jitter"): the store's
//! transaction retries, the booking retries and the Zoom client all wait
//! through this one helper.

use std::time::Duration;

/// How the wait is drawn below the attempt's ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Anywhere from (almost) nothing up to the ceiling: racing losers spread out most.
    Full,
    /// At least half of the ceiling, at most all of it.
    Equal,
}

/// Ceiling `base · 2^attempt`, capped at `cap`, jittered.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub jitter: Jitter,
}

impl Backoff {
    pub const fn new(base: Duration, cap: Duration, jitter: Jitter) -> Self {
        Self { base, cap, jitter }
    }

    /// The ceiling of attempt `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        self.base
            .saturating_mul(2u32.saturating_pow(attempt.min(20)))
            .min(self.cap)
    }

    /// The wait before attempt `attempt + 1`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let floor = match self.jitter {
            Jitter::Full => 1,
            Jitter::Equal => ceiling / 2,
        };
        Duration::from_millis(rand::random_range(floor..=ceiling))
    }

    /// Sleeps [`Self::delay`] when that leaves the request's deadline time
    /// for another attempt (`true`); else returns at once (`false`): the
    /// caller gives up with what it has.
    #[must_use = "a wait that does not fit means: no further attempt"]
    pub async fn wait(&self, attempt: u32) -> bool {
        crate::deadline::sleep_if_fits(self.delay(attempt)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let b = Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(640),
            Jitter::Full,
        );
        assert_eq!(b.ceiling(0), Duration::from_millis(10));
        assert_eq!(b.ceiling(3), Duration::from_millis(80));
        assert_eq!(b.ceiling(6), Duration::from_millis(640));
        assert_eq!(b.ceiling(60), Duration::from_millis(640));
    }

    #[test]
    fn delays_stay_in_their_band() {
        let full = Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(640),
            Jitter::Full,
        );
        let equal = Backoff::new(
            Duration::from_millis(200),
            Duration::from_secs(10),
            Jitter::Equal,
        );
        for _ in 0..200 {
            let d = full.delay(2);
            assert!(d >= Duration::from_millis(1) && d <= Duration::from_millis(40));
            let d = equal.delay(1);
            assert!(d >= Duration::from_millis(200) && d <= Duration::from_millis(400));
        }
    }
}
