//! Reconciliation with Zoom's reports: Zoom gives up on a webhook after
//! three retries, and some licenses have none. After a meeting ends, its
//! participant report is read and merged into what webhooks brought
//! (`sync` on demand; `maintenance` for every meeting once it ended), and
//! a meeting recorded to the cloud whose `recording.completed` never came
//! has its recordings synced. A report Zoom does not have yet is asked for
//! again, with backoff, for a day; then the meeting records why
//! (`reconcileError`), never a silent gap.

use chrono::{DateTime, Duration, Utc};

use super::attendance::{AttendanceService, MeetingAttendance};
use super::instances::instance_of;
use super::maintenance::Resolved;
use super::verify::credentials;
use crate::deadline;
use crate::domain::meeting::{Meeting, MeetingStatus, ReconcileError};
use crate::domain::report_merge::{ReportRow, merge_report};
use crate::error::{AppError, REPORT_MISSING_SCOPES, REPORT_NOT_READY, REPORT_PAID_ONLY};
use crate::repo::RepoError;
use crate::repo::meetings::{put_calendar, put_meeting};
use crate::repo::reconcile::{AFTER_END, Reconcile};
use crate::repo::recordings::put_attendance;
use crate::store::{MAX_BATCH, StoreError};
use crate::zoom::ZoomError;
use crate::zoom::reports::ZoomReportParticipant;

/// Kept back from asking Zoom, for the writes after it.
const STORE_RESERVE: std::time::Duration = std::time::Duration::from_millis(1500);
/// How long after the end a report is asked for before giving up.
const GIVE_UP_AFTER: Duration = Duration::hours(24);
/// A cloud recording's `recording.completed` is waited for this long.
const RECORDING_WAIT: Duration = Duration::hours(2);
/// Reads and writes again when a webhook changed the records meanwhile.
const ATTEMPTS: usize = 3;

/// Why a reconciliation did not happen, for `reconcileError`.
fn failure(e: &AppError, zoom: Option<&ZoomError>) -> ReconcileError {
    let code = match zoom {
        Some(z) if z.is_paid_only() => "zoom_paid_plan_required",
        Some(z) if z.is_missing_scopes() => "zoom_missing_scopes",
        Some(z) if z.is_report_not_ready() => "zoom_report_not_ready",
        Some(z) if z.is_unavailable() => "zoom_unavailable",
        Some(_) => "zoom_error",
        None if matches!(e, AppError::ReportUnavailable { reason } if *reason == REPORT_NOT_READY) => {
            "zoom_report_not_ready"
        }
        None => "store_unavailable",
    };
    ReconcileError {
        code: code.to_owned(),
        message: e.to_string(),
    }
}

/// A report row as attendance reads it; rows without both times, and
/// waiting-room rows, say nothing about attendance.
fn row(p: &ZoomReportParticipant) -> Option<ReportRow> {
    if p.status.as_deref() == Some("in_waiting_room") {
        return None;
    }
    Some(ReportRow {
        customer_key: p.customer_key.clone(),
        name: p.name.clone(),
        email: p.user_email.clone().filter(|e| !e.is_empty()),
        joined_at: p.joined_at()?,
        left_at: p.left_at()?,
    })
}

/// When the meeting was over (Zoom's end, else the scheduled one).
fn over(meeting: &Meeting) -> DateTime<Utc> {
    meeting.held.ended_at.unwrap_or_else(|| meeting.end_time())
}

/// The wait before asking again after `attempts` failed looks.
fn backoff(attempts: u32) -> Duration {
    Duration::minutes(5 * 2i64.pow(attempts.min(4))).min(Duration::hours(1))
}

impl AttendanceService {
    /// `POST .../attendance/sync`: reads Zoom's report now and merges it.
    pub async fn sync(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingAttendance, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let reconciled = self.reconcile(&meeting).await.map_err(|(e, zoom)| {
            // Zoom not having a report is the meeting's state, not a failure of Zoom.
            let reason = match zoom {
                Some(z) if z.is_report_not_ready() => REPORT_NOT_READY,
                Some(z) if z.is_paid_only() => REPORT_PAID_ONLY,
                Some(z) if z.is_missing_scopes() => REPORT_MISSING_SCOPES,
                _ => return e,
            };
            AppError::ReportUnavailable { reason }
        })?;
        self.of(&reconciled).await
    }

    /// Reads the report and merges it; the meeting as it is then. A failure
    /// comes with the Zoom error behind it, if Zoom's.
    async fn reconcile(&self, meeting: &Meeting) -> Result<Meeting, (AppError, Option<ZoomError>)> {
        let Some(zoom_id) = meeting.zoom_meeting_id.clone() else {
            return Ok(meeting.clone());
        };

        let plain = |e: AppError| (e, None);
        let license = self
            .licenses
            .get(&meeting.academy_id, &meeting.license_id)
            .await
            .map_err(plain)?;
        let secrets = self.licenses.secrets_of(&license).await.map_err(plain)?;
        let creds = credentials(&license, &secrets);
        // The instance UUID names the exact occurrence; the id, the latest.
        let target = match instance_of(&self.zoom, &creds, meeting, zoom_id).await {
            Ok(Some(target)) => target,
            // An occurrence Zoom lists no instance of (yet): not held, or
            // not ended; the series' id would name another occurrence's report.
            Ok(None) => {
                let not_ready = AppError::ReportUnavailable {
                    reason: REPORT_NOT_READY,
                };
                return Err((not_ready, None));
            }
            Err(z) => return Err((AppError::from(z.clone()), Some(z))),
        };
        let asked = self.zoom.participants_report(&creds, &target);
        let report = deadline::keeping(STORE_RESERVE, asked)
            .await
            .map_err(|z| (AppError::from(z.clone()), Some(z)))?;
        let rows: Vec<ReportRow> = report.iter().filter_map(row).collect();
        self.merge(meeting, &rows).await.map_err(plain)
    }

    /// Merges report rows into the stored attendance (again when a webhook
    /// changed it meanwhile), then marks the meeting reconciled.
    async fn merge(&self, meeting: &Meeting, rows: &[ReportRow]) -> Result<Meeting, AppError> {
        for _ in 0..ATTEMPTS {
            let records = self.recordings.attendance(&meeting.meeting_id).await?;
            let writes: Vec<_> = merge_report(&records, rows)
                .iter()
                .map(|(record, read)| put_attendance(&meeting.meeting_id, record, *read))
                .collect();
            let mut conflicted = false;
            for chunk in writes.chunks(MAX_BATCH) {
                match self.recordings.write(chunk.to_vec()).await {
                    Ok(()) => {}
                    Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                        conflicted = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !conflicted {
                return self
                    .mark(meeting, |held| {
                        held.reconciled_at = Some(Utc::now());
                        held.reconcile_error = None;
                    })
                    .await;
            }
        }
        Err(AppError::StoreUnavailable(
            "the attendance kept changing".into(),
        ))
    }

    /// The meeting with `change` made to what it holds of its past, written
    /// under its version (read again when an event changed it meanwhile).
    async fn mark(
        &self,
        meeting: &Meeting,
        change: impl Fn(&mut crate::domain::meeting::Held),
    ) -> Result<Meeting, AppError> {
        let mut current = meeting.clone();
        for _ in 0..ATTEMPTS {
            let mut next = current.clone();
            change(&mut next.held);
            next.version = current.version + 1;
            next.updated_at = Utc::now();
            let mut writes = vec![put_meeting(&next, Some(&current))];
            if next.status != MeetingStatus::Deleted {
                writes.push(put_calendar(&next));
            }
            match self.meeting_repo.write(writes).await {
                Ok(()) => return Ok(next),
                Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                    match self
                        .meeting_repo
                        .get(&meeting.academy_id, &meeting.meeting_id)
                        .await?
                    {
                        Some(now) => current = now,
                        None => return Err(AppError::MeetingNotFound),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the meeting kept changing".into(),
        ))
    }

    /// One due reconciliation of `maintenance`, claimed by `claim`.
    pub(crate) async fn resolve_due(
        &self,
        record: &Reconcile,
        claim: &str,
        now: DateTime<Utc>,
    ) -> Result<Resolved, AppError> {
        let repo = &self.reconciles;
        let meeting = self
            .meeting_repo
            .get(&record.academy_id, &record.meeting_id)
            .await?;
        let Some(meeting) = meeting.filter(|m| {
            matches!(
                m.status,
                MeetingStatus::Scheduled | MeetingStatus::Started | MeetingStatus::Ended
            )
        }) else {
            repo.finish(record, claim, Vec::new()).await?;
            return Ok(Resolved::Done);
        };
        let over = over(&meeting);
        if meeting.held.ended_at.is_none() && now < over + AFTER_END {
            // Not over yet (rescheduled later, or still going).
            repo.postpone(record, claim, over + AFTER_END, false)
                .await?;
            return Ok(Resolved::NotYet);
        }
        let reconciled = meeting.held.reconciled_at.is_some_and(|at| at >= over);
        let meeting = if reconciled {
            meeting
        } else {
            match self.reconcile(&meeting).await {
                Ok(m) => m,
                Err((e, zoom)) => {
                    return self
                        .not_reconciled(record, claim, &meeting, now, e, zoom)
                        .await;
                }
            }
        };
        if self.recordings_awaited(&meeting).await? {
            if now < over + RECORDING_WAIT {
                repo.postpone(record, claim, over + RECORDING_WAIT, false)
                    .await?;
                return Ok(Resolved::NotYet);
            }
            if let Err(e) = self.sync_recordings(&meeting).await {
                tracing::warn!(meeting_id = %meeting.meeting_id, error = %e, "recordings of an ended meeting could not be synced; next run tries again");
                repo.postpone(record, claim, now + backoff(record.attempts), true)
                    .await?;
                return Ok(Resolved::NotYet);
            }
        }
        repo.finish(record, claim, Vec::new()).await?;
        tracing::info!(meeting_id = %meeting.meeting_id, "attendance reconciled with Zoom's report");
        Ok(Resolved::Done)
    }

    /// A reconciliation that failed: asked again later, or given up on
    /// (with the reason on the meeting) a day after the meeting ended.
    async fn not_reconciled(
        &self,
        record: &Reconcile,
        claim: &str,
        meeting: &Meeting,
        now: DateTime<Utc>,
        e: AppError,
        zoom: Option<ZoomError>,
    ) -> Result<Resolved, AppError> {
        let why = failure(&e, zoom.as_ref());
        if now < over(meeting) + GIVE_UP_AFTER {
            tracing::info!(meeting_id = %meeting.meeting_id, code = %why.code, "Zoom's report is not there (yet): asked again later");
            let until = now + backoff(record.attempts);
            self.reconciles.postpone(record, claim, until, true).await?;
            return Ok(Resolved::NotYet);
        }
        tracing::warn!(meeting_id = %meeting.meeting_id, code = %why.code, error = %why.message, "attendance could not be reconciled with Zoom's report: given up");
        let recorded = why.clone();
        self.mark(meeting, move |held| {
            held.reconcile_error = Some(recorded.clone())
        })
        .await?;
        self.reconciles.finish(record, claim, Vec::new()).await?;
        Ok(Resolved::Done)
    }

    /// Recorded to the cloud, and no file has come.
    async fn recordings_awaited(&self, meeting: &Meeting) -> Result<bool, AppError> {
        if meeting.settings.auto_recording.as_deref() != Some("cloud") {
            return Ok(false);
        }
        Ok(self
            .recordings
            .recordings(&meeting.meeting_id)
            .await?
            .is_empty())
    }

    async fn sync_recordings(&self, meeting: &Meeting) -> Result<(), AppError> {
        self.recording_sync
            .sync(&meeting.academy_id, &meeting.meeting_id)
            .await
            .map(|_| ())
    }
}
