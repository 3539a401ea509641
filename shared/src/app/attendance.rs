//! Attendance per LMS user: one meeting's people (participant records of
//! webhooks and Zoom's report grouped by customer key), and a course's
//! (every meeting with one `externalRef`) per LMS user.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use std::sync::Arc;

use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::recordings::RecordingService;
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::people::{Person, people};
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::repo::meetings::MeetingFilter;
use crate::repo::meetings::MeetingRepo;
use crate::repo::reconcile::{Reconcile, ReconcileRepo};
use crate::repo::recordings::RecordingRepo;
use crate::store::Store;
use crate::zoom::ZoomClient;

/// Meetings one course view reads at most.
pub const COURSE_MEETINGS: usize = 200;

#[derive(Clone)]
pub struct AttendanceService {
    pub(super) meetings: MeetingService,
    pub(super) recordings: RecordingRepo,
    pub(super) licenses: LicenseService,
    pub(super) zoom: ZoomClient,
    pub(super) meeting_repo: MeetingRepo,
    pub(super) reconciles: ReconcileRepo,
    pub(super) recording_sync: RecordingService,
}

/// One meeting's attendance.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingAttendance {
    pub people: Vec<Person>,
    pub reconciled_at: Option<DateTime<Utc>>,
}

impl MeetingAttendance {
    pub fn identified(&self) -> usize {
        self.people
            .iter()
            .filter(|p| p.lms_user_id.is_some())
            .count()
    }
}

/// One LMS user's attendance of a course's meetings.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseUser {
    pub lms_user_id: String,
    pub name: Option<String>,
    pub duration_seconds: i64,
    /// The meetings they attended: (meeting, their seconds, their percent).
    pub meetings: Vec<(Meeting, i64, Option<u8>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CourseAttendance {
    pub users: Vec<CourseUser>,
    pub meetings: Vec<Meeting>,
}

/// The LMS user a customer key stands for: the key itself when the LMS
/// user id was its own key; a derived key (a long or unusual id, hashed) is
/// not turned back (signing stores nothing), so its person stays
/// unidentified unless the LMS maps it with `customer_key` on its roster.
pub fn lms_user_of(key: &str) -> Option<String> {
    crate::domain::customer_key::is_direct(key).then(|| key.to_owned())
}

impl AttendanceService {
    pub fn new(
        store: Arc<dyn Store>,
        meetings: MeetingService,
        licenses: LicenseService,
        zoom: ZoomClient,
        recording_sync: RecordingService,
    ) -> Self {
        Self {
            meetings,
            recordings: RecordingRepo::new(store.clone()),
            licenses,
            zoom,
            meeting_repo: MeetingRepo::new(store.clone()),
            reconciles: ReconcileRepo::new(store),
            recording_sync,
        }
    }

    /// The reconciliations due by `now`.
    pub(crate) async fn due(&self, now: DateTime<Utc>) -> Result<Vec<Reconcile>, AppError> {
        Ok(self.reconciles.due(now).await?)
    }

    /// Claims a due reconciliation for the run `claim` until `until`.
    pub(crate) async fn claim(
        &self,
        record: &Reconcile,
        claim: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        Ok(self.reconciles.claim(record, claim, until).await?)
    }

    /// Everyone who attended a meeting, one item per person.
    pub async fn meeting(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingAttendance, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        self.of(&meeting).await
    }

    pub(crate) async fn of(&self, meeting: &Meeting) -> Result<MeetingAttendance, AppError> {
        let records = self.recordings.attendance(&meeting.meeting_id).await?;
        Ok(MeetingAttendance {
            people: people(&records, Some(meeting.actual_length()), lms_user_of),
            reconciled_at: meeting.held.reconciled_at,
        })
    }

    /// Every LMS user's attendance of the meetings with `external_ref`
    /// (starting within `[from, to]` when given).
    pub async fn course(
        &self,
        academy_id: &str,
        external_ref: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<CourseAttendance, AppError> {
        let meetings = self
            .course_meetings(academy_id, external_ref, from, to)
            .await?;
        let mut users: BTreeMap<String, CourseUser> = BTreeMap::new();
        for meeting in &meetings {
            let attended = self.of(meeting).await?;
            for person in attended.people {
                let Some(id) = person.lms_user_id.clone() else {
                    continue;
                };
                let user = users.entry(id.clone()).or_insert_with(|| CourseUser {
                    lms_user_id: id,
                    name: None,
                    duration_seconds: 0,
                    meetings: Vec::new(),
                });
                user.name = user.name.take().or(person.name.clone());
                user.duration_seconds += person.duration_seconds;
                user.meetings.push((
                    meeting.clone(),
                    person.duration_seconds,
                    person.attended_percent,
                ));
            }
        }
        Ok(CourseAttendance {
            users: users.into_values().collect(),
            meetings,
        })
    }

    /// The course's meetings that were not deleted, by start time.
    async fn course_meetings(
        &self,
        academy_id: &str,
        external_ref: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<Meeting>, AppError> {
        let filter = MeetingFilter {
            from,
            to,
            license_id: None,
            external_ref: Some(external_ref.to_owned()),
        };
        let mut meetings = Vec::new();
        let mut after = None;
        loop {
            let page = self.meetings.list(academy_id, &filter, after, 100).await?;
            meetings.extend(
                page.items
                    .into_iter()
                    .filter(|m| m.status != MeetingStatus::Deleted),
            );
            if meetings.len() > COURSE_MEETINGS {
                return Err(AppError::Validation(vec![FieldError::new(
                    "externalRef",
                    Rule::TooManyMeetings(COURSE_MEETINGS),
                )]));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        meetings.sort_by_key(|m| m.start_time);
        Ok(meetings)
    }
}
