//! One deadline per request, carried from the edge into every Zoom and store
//! call (a task-local: no argument threads through the use cases). In
//! Lambda it is the invocation's deadline; on the local server the
//! function's timeout. A step asks for its [`budget`]; a wait asks whether it
//! [`fits`]; a risky step runs [`keeping`] a reserve, so that the
//! compensation its failure needs still has time after it.
//!
//! Outside any scope (start-up, unit tests, the maintenance timer's own
//! scope aside) there is no deadline and every budget is its cap.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The least time a call is worth starting with: below it, the call is
/// reported out of time instead of being started.
pub const MIN_STEP: Duration = Duration::from_millis(150);

/// What a request was waiting on when time ran out (for the edge's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Waiting {
    Nothing = 0,
    Zoom = 1,
    Store = 2,
}

impl Waiting {
    fn of(value: u8) -> Self {
        match value {
            1 => Waiting::Zoom,
            2 => Waiting::Store,
            _ => Waiting::Nothing,
        }
    }
}

struct Scope {
    at: Instant,
    /// Shared with the scopes nested inside: the edge reads what the
    /// innermost step waited on.
    waiting: Arc<AtomicU8>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// A point in time the work must be done by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now() + timeout)
    }

    /// From milliseconds since the Unix epoch (Lambda's `Lambda-Runtime-Deadline-Ms`).
    pub fn from_epoch_ms(ms: u64) -> Self {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self(Instant::now() + Duration::from_millis(ms.saturating_sub(now_ms)))
    }

    /// The deadline of the task, if it runs under one.
    pub fn current() -> Option<Self> {
        SCOPE.try_with(|s| Deadline(s.at)).ok()
    }

    pub fn instant(&self) -> Instant {
        self.0
    }

    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// `by` earlier (never before now).
    pub fn earlier(&self, by: Duration) -> Self {
        Self(self.0.checked_sub(by).unwrap_or(self.0).max(Instant::now()))
    }

    /// Runs `work` under this deadline (or under the current one, if earlier:
    /// a scope never extends the time its caller has).
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        let outer = SCOPE.try_with(|s| (s.at, s.waiting.clone())).ok();
        let scope = match outer {
            Some((at, waiting)) => Scope {
                at: at.min(self.0),
                waiting,
            },
            None => Scope {
                at: self.0,
                waiting: Arc::new(AtomicU8::new(Waiting::Nothing as u8)),
            },
        };
        SCOPE.scope(scope, work).await
    }
}

/// What is left of the current deadline (`None`: no deadline).
pub fn remaining() -> Option<Duration> {
    Deadline::current().map(|d| d.remaining())
}

/// The time one step may take: `cap`, or what is left when that is less;
/// `None` when less than [`MIN_STEP`] is left.
pub fn budget(cap: Duration) -> Option<Duration> {
    match remaining() {
        None => Some(cap),
        Some(left) if left < MIN_STEP => None,
        Some(left) => Some(cap.min(left)),
    }
}

/// Whether waiting `wait` still leaves time for one more step.
pub fn fits(wait: Duration) -> bool {
    remaining().is_none_or(|left| left >= wait + MIN_STEP)
}

/// Sleeps `wait` when it fits (`true`), else returns at once (`false`).
pub async fn sleep_if_fits(wait: Duration) -> bool {
    if !fits(wait) {
        return false;
    }
    tokio::time::sleep(wait).await;
    true
}

/// Runs `work` with `reserve` kept back for what must follow it: inside,
/// the deadline is `reserve` earlier — but never by more than a third of
/// what is left, so that under a short deadline the step still gets most.
pub async fn keeping<F: Future>(reserve: Duration, work: F) -> F::Output {
    match Deadline::current() {
        Some(d) => d.earlier(reserve.min(d.remaining() / 3)).scope(work).await,
        None => work.await,
    }
}

/// Out of time: the step was not started, or did not finish, in its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("out of time")]
pub struct OutOfTime;

/// Runs `step` within its budget (`cap`, or what is left), noting what the
/// request waits on meanwhile.
pub async fn within<F: Future>(
    cap: Duration,
    on: Waiting,
    step: F,
) -> Result<F::Output, OutOfTime> {
    let budget = budget(cap).ok_or(OutOfTime)?;
    let before = note(on);
    let result = tokio::time::timeout(budget, step).await;
    note(before);
    result.map_err(|_| OutOfTime)
}

/// Notes what the request now waits on; returns what it waited on before.
pub fn note(on: Waiting) -> Waiting {
    SCOPE
        .try_with(|s| Waiting::of(s.waiting.swap(on as u8, Ordering::Relaxed)))
        .unwrap_or(Waiting::Nothing)
}

/// What the request was waiting on last.
pub fn waiting() -> Waiting {
    SCOPE
        .try_with(|s| Waiting::of(s.waiting.load(Ordering::Relaxed)))
        .unwrap_or(Waiting::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_deadline_gives_every_step_its_cap() {
        assert_eq!(budget(Duration::from_secs(5)), Some(Duration::from_secs(5)));
        assert!(fits(Duration::from_secs(3600)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_gets_what_is_left() {
        Deadline::after(Duration::from_secs(2))
            .scope(async {
                let b = budget(Duration::from_secs(10)).unwrap();
                assert!(b <= Duration::from_secs(2) && b > Duration::from_millis(1900));
                assert!(!fits(Duration::from_secs(2)));
                tokio::time::sleep(Duration::from_millis(1900)).await;
                assert_eq!(budget(Duration::from_secs(10)), None);
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn keeping_a_reserve_moves_the_deadline_in_but_not_after() {
        Deadline::after(Duration::from_secs(10))
            .scope(async {
                keeping(Duration::from_secs(3), async {
                    let left = remaining().unwrap();
                    assert!(left <= Duration::from_secs(7));
                })
                .await;
                // At most a third of what is left.
                keeping(Duration::from_secs(9), async {
                    let left = remaining().unwrap();
                    assert!(left > Duration::from_secs(6) && left <= Duration::from_secs(7));
                })
                .await;
                assert!(remaining().unwrap() > Duration::from_secs(9));
            })
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_inner_scope_never_extends_the_outer() {
        Deadline::after(Duration::from_secs(1))
            .scope(Deadline::after(Duration::from_secs(60)).scope(async {
                assert!(remaining().unwrap() <= Duration::from_secs(1));
            }))
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn within_cuts_a_step_at_the_deadline_and_notes_the_wait() {
        Deadline::after(Duration::from_secs(1))
            .scope(async {
                let stuck = within(Duration::from_secs(5), Waiting::Zoom, async {
                    assert_eq!(waiting(), Waiting::Zoom);
                    std::future::pending::<()>().await
                });
                assert_eq!(stuck.await, Err(OutOfTime));
                assert_eq!(waiting(), Waiting::Nothing);
            })
            .await;
    }
}
