//! What `GET /v1/maintenance/status` shows: the last run (`MAINTENANCE` /
//! `STATUS`, written at the end of each run) and the repair records pending.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MaintenanceService;
use crate::error::AppError;
use crate::repo::{get_record_of, to_item_of};
use crate::store::{Key, Write};

/// Repair records counted at most for the status (a backlog beyond is "at least").
pub const COUNT_LIMIT: usize = 10_000;

fn status_key() -> Key {
    Key::new("MAINTENANCE", "STATUS")
}

/// The last run as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastRun {
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_ms: Option<u64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceStatus {
    pub last: LastRun,
    pub pending_repairs: usize,
    pub oldest_repair_age_seconds: Option<i64>,
}

impl MaintenanceService {
    pub async fn status(&self) -> Result<MaintenanceStatus, AppError> {
        let last: LastRun = get_record_of(self.store.as_ref(), &status_key())
            .await?
            .unwrap_or_default();
        let repairs = self.repairs.all(COUNT_LIMIT).await?;
        let now = Utc::now();
        let oldest = repairs.iter().map(|r| r.created_at).min();
        Ok(MaintenanceStatus {
            last,
            pending_repairs: repairs.len(),
            oldest_repair_age_seconds: oldest.map(|at| (now - at).num_seconds().max(0)),
        })
    }

    /// Records how a run went (the last run wins).
    pub(super) async fn record_run(&self, last: &LastRun) -> Result<(), AppError> {
        let write = Write::put(to_item_of(&status_key(), last));
        self.store.transact(vec![write]).await?;
        Ok(())
    }
}
