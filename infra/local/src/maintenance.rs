//! `--maintenance-interval`: the maintenance runs on a timer inside the
//! server, as EventBridge invokes the `maintenance` function in AWS — each
//! under that function's timeout, one after another.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt as _;
use lms_zoom::app::maintenance::MaintenanceService;
use lms_zoom::deadline::Deadline;
use lms_zoom::functions;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// At most a day between runs (0 turns them off instead).
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// `--maintenance-interval SECONDS`: fractions allowed, 0 for none.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = crate::timeouts::parse_seconds(text)?;
    if interval > MAX_INTERVAL {
        return Err(format!(
            "`{text}`: at most {} seconds (0 runs no maintenance)",
            MAX_INTERVAL.as_secs()
        ));
    }
    Ok(interval)
}

/// Maintenance runs every so often, until [`MaintenanceTimer::stop`] (or
/// until it is dropped).
pub struct MaintenanceTimer {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl MaintenanceTimer {
    /// The first run comes `every` from now (as a schedule's first does).
    pub fn start(maintenance: MaintenanceService, every: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = ticks.tick() => run_once(&maintenance).await,
                }
            }
        });
        Self { stop, task }
    }

    /// Stops the timer; a run in progress ends first (it keeps to its
    /// deadline). Once this returns, the timer holds no store.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the maintenance timer ended abnormally");
        }
    }
}

/// One run under the `maintenance` function's timeout. A panic is logged
/// and ends this run only: the next one comes on schedule, as the next
/// invocation would in Lambda.
async fn run_once(maintenance: &MaintenanceService) {
    let run = Deadline::after(functions::MAINTENANCE.timeout).scope(maintenance.run());
    if AssertUnwindSafe(run).catch_unwind().await.is_err() {
        tracing::error!("a maintenance run panicked; the next one runs on schedule");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lms_zoom::{AppConfig, AppState};

    #[test]
    fn an_interval_is_seconds_up_to_a_day() {
        assert_eq!(parse_interval("0"), Ok(Duration::ZERO));
        assert_eq!(parse_interval("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("86400"), Ok(MAX_INTERVAL));
        for bad in ["", "-1", "1e9", "inf", "soon"] {
            assert!(parse_interval(bad).is_err(), "{bad} was accepted");
        }
    }

    #[tokio::test]
    async fn runs_on_time_and_lets_go_of_the_store_when_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let config = AppConfig::from_lookup(|_| None).unwrap();
        let state = AppState::embedded(config.clone(), dir.path()).unwrap();
        let timer = MaintenanceTimer::start(state.maintenance.clone(), Duration::from_millis(20));
        let started = Instant::now();
        while state
            .maintenance
            .status()
            .await
            .unwrap()
            .last
            .last_run_at
            .is_none()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no run recorded"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        timer.stop().await;
        drop(state);
        AppState::embedded(config, dir.path()).expect("the store is free again");
    }
}
