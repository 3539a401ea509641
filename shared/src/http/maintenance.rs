//! `GET /v1/maintenance/status` (LMS auth): how the maintenance runs go —
//! the last run and the repair records still pending. Served by the
//! `licenses` function (see [`super::licenses_function`]).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::app::maintenance::MaintenanceStatus;
use crate::domain::license::rfc3339;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/maintenance/status", get(status))
        .with_state(state)
}

async fn status(State(state): State<AppState>) -> Result<axum::Json<Value>, AppError> {
    let status = state.maintenance.status().await?;
    Ok(axum::Json(view(&status)))
}

/// The status as the API shows it (`null` for what no run has told yet).
fn view(status: &MaintenanceStatus) -> Value {
    json!({
        "lastRunAt": status.last.last_run_at.as_ref().map(rfc3339),
        "lastRunMs": status.last.last_run_ms,
        "pendingRepairs": status.pending_repairs,
        "oldestRepairAgeSeconds": status.oldest_repair_age_seconds,
        "lastError": status.last.last_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fresh() -> MaintenanceStatus {
        MaintenanceStatus {
            last: Default::default(),
            pending_repairs: 0,
            oldest_repair_age_seconds: None,
        }
    }

    #[test]
    fn before_any_run_the_status_is_nulls_and_zero() {
        assert_eq!(
            view(&fresh()),
            json!({"lastRunAt": null, "lastRunMs": null, "pendingRepairs": 0,
                   "oldestRepairAgeSeconds": null, "lastError": null})
        );
    }

    #[test]
    fn a_run_shows_as_rfc3339_utc_and_integers() {
        let mut status = fresh();
        status.last.last_run_at = Some(chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 5).unwrap());
        status.last.last_run_ms = Some(42);
        status.last.last_error = Some("reading repair records: store unavailable".into());
        status.pending_repairs = 3;
        status.oldest_repair_age_seconds = Some(90);
        assert_eq!(
            view(&status),
            json!({"lastRunAt": "2026-03-01T12:00:05.000Z", "lastRunMs": 42, "pendingRepairs": 3,
                   "oldestRepairAgeSeconds": 90, "lastError": "reading repair records: store unavailable"})
        );
    }
}
