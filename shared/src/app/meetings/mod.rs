//! Meeting use cases over the license pool, one file per use case. A create
//! reserves a slot on a license (optimistic lock on the license's schedule),
//! creates the meeting in Zoom, records Zoom's id, then commits; every
//! failure undoes what was done.
//!
//! - [`booking`]: choosing a license and reserving a slot (the one booking loop)
//! - [`create`]: a create, once per Idempotency-Key
//! - [`adopt`]: keeping the meeting a create made when Zoom's answer was lost
//! - [`commit`]: the writes that turn a reservation into a booking
//! - [`reschedule`]: edits and new times, one edit of a meeting at a time
//! - [`delete`]: deletes, and cleaning up reservations abandoned by a crash
//! - [`deleted_meanwhile`]: an edit that Zoom refuses because a delete of ours ran meanwhile
//! - [`repair`]: finishing creates and reschedules whose request died (for `maintenance`)
//! - [`series`]: class series, one Zoom recurring meeting whose occurrences are meetings
//! - [`series_booking`]: booking every occurrence of a series in one decision

mod adopt;
mod booking;
mod commit;
mod create;
mod delete;
mod deleted_meanwhile;
mod repair;
mod reschedule;
mod series;
mod series_booking;

pub use series::{SeriesOutcome, SeriesView};
pub use series_booking::Slot;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::caches::BookingCaches;
use super::licenses::LicenseService;
use super::verify::credentials;
use crate::domain::license::License;
use crate::domain::meeting::{Meeting, MeetingJoin, MeetingStatus};
use crate::error::AppError;
use crate::repo::idempotency::IdempotencyRepo;
use crate::repo::meetings::{MeetingFilter, MeetingPage, MeetingRepo};
use crate::repo::schedule::ScheduleRepo;
use crate::repo::series::SeriesRepo;
use crate::store::Store;
use crate::zoom::{ZoomClient, ZoomCredentials};

pub use booking::RESERVATION_TTL;
pub use create::{CreateOutcome, IdempotencyKey};

#[derive(Clone)]
pub struct MeetingService {
    caches: Arc<BookingCaches>,
    licenses: LicenseService,
    zoom: ZoomClient,
    meetings: MeetingRepo,
    schedule: ScheduleRepo,
    idempotency: IdempotencyRepo,
    series: SeriesRepo,
}

/// Who a license's meetings are asked of Zoom as: its credentials and host user.
struct Host {
    creds: ZoomCredentials,
    user: String,
}

impl MeetingService {
    pub fn new(store: Arc<dyn Store>, licenses: LicenseService, zoom: ZoomClient) -> Self {
        Self {
            caches: Arc::new(BookingCaches::default()),
            licenses,
            zoom,
            meetings: MeetingRepo::new(store.clone()),
            schedule: ScheduleRepo::new(store.clone()),
            series: SeriesRepo::new(store.clone()),
            idempotency: IdempotencyRepo::new(store),
        }
    }

    async fn host(&self, license: License) -> Result<Host, AppError> {
        let secrets = self.licenses.secrets_of(&license).await?;
        let creds = credentials(&license, &secrets);
        let user = license.zoom_user_id.unwrap_or(license.host_user);
        Ok(Host { creds, user })
    }

    pub async fn get(&self, academy_id: &str, meeting_id: &str) -> Result<Meeting, AppError> {
        match self.meetings.get(academy_id, meeting_id).await? {
            Some(m) if visible(m.status) => Ok(m),
            _ => Err(AppError::MeetingNotFound),
        }
    }

    /// What a signature needs of a meeting; not found as [`Self::get`].
    pub async fn join_info(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingJoin, AppError> {
        match self
            .meetings
            .get_as::<MeetingJoin>(academy_id, meeting_id)
            .await?
        {
            Some(m) if visible(m.status) => Ok(m),
            _ => Err(AppError::MeetingNotFound),
        }
    }

    pub async fn list(
        &self,
        academy_id: &str,
        filter: &MeetingFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<MeetingPage, AppError> {
        Ok(self.meetings.list(academy_id, filter, after, limit).await?)
    }

    /// Whether a license still has meetings that have not ended.
    pub async fn license_busy(
        &self,
        license_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        Ok(!self
            .schedule
            .upcoming(license_id, now, 100)
            .await?
            .is_empty())
    }
}

/// A reservation still in flight (or one that failed) is nobody's meeting yet.
fn visible(status: MeetingStatus) -> bool {
    status != MeetingStatus::Pending && status != MeetingStatus::Failed
}
