//! One maintenance run: the open repair records (due, and not claimed by a
//! run still within its lease), each claimed and then resolved by the use
//! case that made it, as long as the run's deadline leaves time.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::MaintenanceService;
use super::status::LastRun;
use crate::deadline;
use crate::error::AppError;
use crate::repo::repairs::{Repair, RepairRecord};

/// Records looked at per run at most.
const PER_RUN: usize = 1_000;
/// What a resolution may take at most (it is claimed for this long).
const LEASE: Duration = Duration::seconds(60);
/// Left for recording the run's status.
const STATUS_RESERVE: std::time::Duration = std::time::Duration::from_millis(500);

/// How a repair record ended this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Finished or undone; the record is gone.
    Done,
    /// Not yet possible (e.g. a webhook whose meeting is still being made): kept.
    NotYet,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub resolved: usize,
    /// Open records another run held, or that could not be resolved yet.
    pub left: usize,
    pub errors: Vec<String>,
    pub elapsed_ms: u64,
}

impl MaintenanceService {
    /// One run; never fails as a whole: what failed is in the report (and
    /// the status), and is tried again next run.
    pub async fn run(&self) -> RunReport {
        self.run_as_of(Utc::now()).await
    }

    /// A run that takes `now` as the time records are due by (a test's run
    /// "two minutes later"); leases and records' ages use the real clock.
    pub async fn run_as_of(&self, now: DateTime<Utc>) -> RunReport {
        let started = Instant::now();
        let mut report = RunReport::default();
        let skew = now - Utc::now();
        let work = async {
            Box::pin(self.resolve_open(&mut report, skew)).await;
            Box::pin(self.reconcile_due(&mut report, skew)).await;
        };
        deadline::keeping(STATUS_RESERVE, work).await;
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        let last = LastRun {
            last_run_at: Some(Utc::now()),
            last_run_ms: Some(report.elapsed_ms),
            last_error: report.errors.first().cloned(),
        };
        if let Err(e) = self.record_run(&last).await {
            tracing::warn!(error = %e, "could not record the maintenance run");
            report.errors.push(format!("status: {e}"));
        }
        tracing::info!(
            resolved = report.resolved,
            left = report.left,
            errors = report.errors.len(),
            elapsed_ms = report.elapsed_ms,
            "maintenance run"
        );
        report
    }

    async fn resolve_open(&self, report: &mut RunReport, skew: Duration) {
        let records = match self.repairs.all(PER_RUN).await {
            Ok(records) => records,
            Err(e) => {
                report.errors.push(format!("reading repair records: {e}"));
                return;
            }
        };
        let claim = format!("run_{}", ulid::Ulid::new().to_string().to_lowercase());
        for record in records {
            let now = Utc::now() + skew;
            if !record.is_open(now) {
                report.left += usize::from(record.due_at <= now);
                continue;
            }
            if deadline::budget(std::time::Duration::MAX).is_none() {
                report.left += 1;
                continue;
            }
            match self.claim_and_resolve(&record, &claim, now + LEASE).await {
                Ok(Some(Resolved::Done)) => report.resolved += 1,
                Ok(Some(Resolved::NotYet)) | Ok(None) => report.left += 1,
                Err(e) => {
                    tracing::warn!(repair = %record.repair.id(), attempts = record.attempts + 1, error = %e, "a repair could not be resolved; next run tries again");
                    report.left += 1;
                    report.errors.push(format!("{}: {e}", record.repair.id()));
                }
            }
        }
    }

    /// The reconciliations of ended meetings that are due, each claimed first.
    async fn reconcile_due(&self, report: &mut RunReport, skew: Duration) {
        let now = Utc::now() + skew;
        let due = match self.attendance.due(now).await {
            Ok(due) => due,
            Err(e) => {
                report.errors.push(format!("reading reconciliations: {e}"));
                return;
            }
        };
        let claim = format!("run_{}", ulid::Ulid::new().to_string().to_lowercase());
        for record in due {
            if record.is_claimed(now) || deadline::budget(std::time::Duration::MAX).is_none() {
                report.left += 1;
                continue;
            }
            let resolved = match self.attendance.claim(&record, &claim, now + LEASE).await {
                // Boxed, as the repairs' resolutions are (see `claim_and_resolve`).
                Ok(true) => Box::pin(self.attendance.resolve_due(&record, &claim, now)).await,
                Ok(false) => Ok(Resolved::NotYet),
                Err(e) => Err(e),
            };
            match resolved {
                Ok(Resolved::Done) => report.resolved += 1,
                Ok(Resolved::NotYet) => report.left += 1,
                Err(e) => {
                    report.left += 1;
                    report
                        .errors
                        .push(format!("reconcile {}: {e}", record.meeting_id));
                }
            }
        }
    }

    /// `None` when another run claimed the record first.
    async fn claim_and_resolve(
        &self,
        record: &RepairRecord,
        claim: &str,
        until: DateTime<Utc>,
    ) -> Result<Option<Resolved>, AppError> {
        if !self.repairs.claim(record, claim, until).await? {
            return Ok(None);
        }
        let repair = &record.repair;
        // Boxed: each resolution is a deep future of its own use case, and
        // one type nesting them all exceeds what the compiler will query.
        type Resolution<'a> = std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Resolved, AppError>> + Send + 'a>,
        >;
        let resolution: Resolution = match repair {
            Repair::Create { .. } => Box::pin(self.meetings.resolve_create(repair, claim)),
            Repair::Reschedule { .. } => Box::pin(self.meetings.resolve_reschedule(repair, claim)),
            Repair::Series { .. } => Box::pin(self.meetings.resolve_series(repair, claim)),
            Repair::SeriesMove { .. } => Box::pin(self.meetings.resolve_series_move(repair, claim)),
            Repair::SeriesFollow { .. } => {
                Box::pin(self.meetings.resolve_series_follow(repair, claim))
            }
            Repair::Secret { .. } => Box::pin(self.licenses.resolve_secret(repair, claim)),
            Repair::Webhook { .. } => Box::pin(self.webhooks.replay(record, claim)),
            Repair::Enqueue { .. } => Box::pin(self.archives.resolve_enqueue(repair, claim)),
        };
        let resolved = resolution.await?;
        if resolved == Resolved::Done {
            tracing::info!(repair = %repair.id(), kind = repair.kind(), "repair resolved");
        }
        Ok(Some(resolved))
    }
}
