//! The `maintenance` function's edge in Lambda: each invocation (an
//! EventBridge scheduled event; its payload says nothing a run needs) is one
//! maintenance run under the invocation's deadline, answered with a short
//! summary of what it did. A run never fails as a whole: what failed is in
//! the summary and in `GET /v1/maintenance/status`, and the next run tries
//! it again.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::app::maintenance::RunReport;
use crate::deadline::Deadline;
use crate::http::deadline::{ANSWER_MARGIN, STEP_MARGIN};
use crate::state::AppState;

use super::Error;

/// Serves maintenance runs until the runtime stops (the function's `main`).
pub async fn run_maintenance(state: AppState) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        async move { Ok::<Value, Error>(maintain(&state, event.context.deadline).await) }
    }))
    .await
}

/// One run, to end [`STEP_MARGIN`] before the invocation's deadline
/// (`deadline_ms`, milliseconds since the epoch), leaving time to answer.
/// Should it still be going [`ANSWER_MARGIN`] before the deadline (a step
/// that did not keep to it), the invocation answers there instead of being
/// killed; what the run had claimed goes back to the next run when its
/// lease ends.
async fn maintain(state: &AppState, deadline_ms: u64) -> Value {
    let deadline = Deadline::from_epoch_ms(deadline_ms);
    let backstop = deadline.earlier(ANSWER_MARGIN);
    let run = deadline.earlier(STEP_MARGIN).scope(state.maintenance.run());
    match tokio::time::timeout(backstop.remaining(), run).await {
        Ok(report) => summary(&report),
        Err(_) => {
            tracing::warn!(
                "the maintenance run was still going at the deadline: answered before it"
            );
            json!({"completed": false})
        }
    }
}

/// What the invocation answers: counts, not the errors themselves (those
/// are logged, and the first is kept as the status's `lastError`).
fn summary(report: &RunReport) -> Value {
    json!({
        "completed": true,
        "resolved": report.resolved,
        "left": report.left,
        "errors": report.errors.len(),
        "elapsedMs": report.elapsed_ms,
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::AppConfig;

    fn epoch_ms_in(after: Duration) -> u64 {
        (SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + after).as_millis() as u64
    }

    #[test]
    fn the_summary_counts_what_the_run_did() {
        let report = RunReport {
            resolved: 2,
            left: 1,
            errors: vec!["a".into(), "b".into(), "c".into()],
            elapsed_ms: 17,
        };
        assert_eq!(
            summary(&report),
            json!({"completed": true, "resolved": 2, "left": 1, "errors": 3, "elapsedMs": 17})
        );
    }

    #[tokio::test]
    async fn an_invocation_runs_maintenance_once_and_records_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = AppConfig::from_lookup(|_| None).unwrap();
        let state = AppState::embedded(config, dir.path()).unwrap();
        assert_eq!(
            state.maintenance.status().await.unwrap().last.last_run_at,
            None
        );

        let answer = maintain(&state, epoch_ms_in(Duration::from_secs(10))).await;
        assert_eq!(answer["completed"], true, "{answer}");
        assert_eq!(
            (answer["resolved"].as_u64(), answer["errors"].as_u64()),
            (Some(0), Some(0))
        );

        let status = state.maintenance.status().await.unwrap();
        assert!(status.last.last_run_at.is_some(), "{status:?}");
        assert_eq!(status.last.last_error, None);
        assert_eq!(status.pending_repairs, 0);
    }
}
