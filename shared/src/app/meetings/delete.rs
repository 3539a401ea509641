//! Deleting a meeting (in Zoom first; already gone is fine), and cleaning up
//! after creates that never finished.

use chrono::Utc;

use super::MeetingService;
use super::booking::BOOKING_ATTEMPTS;
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::meetings::{delete_calendar, meeting_item, put_meeting, status_is};
use crate::repo::schedule::booking_key;
use crate::store::{StoreError, Write};

/// The writes that mark `current` deleted and free its slot.
pub(super) fn deleted_writes(current: &Meeting) -> Vec<Write> {
    let mut deleted = current.clone();
    deleted.status = MeetingStatus::Deleted;
    deleted.version = current.version + 1;
    deleted.updated_at = Utc::now();
    vec![
        put_meeting(&deleted, Some(current)),
        Write::Delete {
            key: booking_key(&current.license_id, &current.booking()),
            condition: None,
        },
        delete_calendar(current),
    ]
}

impl MeetingService {
    /// Deletes in Zoom, frees the slot, keeps the record as `deleted`.
    pub async fn delete(&self, academy_id: &str, meeting_id: &str) -> Result<(), AppError> {
        let mut current = self.get(academy_id, meeting_id).await?;
        if current.status == MeetingStatus::Deleted {
            return Ok(());
        }
        self.caches.forget_schedule(&current.license_id);
        let in_zoom = self.delete_in_zoom(&current);
        crate::deadline::keeping(super::create::RELEASE_RESERVE, in_zoom).await?;
        // Zoom no longer has the meeting: a reschedule that changed it
        // meanwhile must not keep it scheduled here, so read again and retry.
        for _ in 0..BOOKING_ATTEMPTS {
            match self.meetings.write(deleted_writes(&current)).await {
                Ok(()) => {
                    tracing::info!(meeting_id, "meeting deleted");
                    return Ok(());
                }
                Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                    current = self.get(academy_id, meeting_id).await?;
                    if current.status == MeetingStatus::Deleted {
                        return Ok(());
                    }
                    self.caches.forget_schedule(&current.license_id);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::VersionConflict {
            current: current.version,
        })
    }

    /// The meeting's Zoom meeting deleted, if it has one and its license is still here.
    async fn delete_in_zoom(&self, meeting: &Meeting) -> Result<(), AppError> {
        let Some(zoom_id) = &meeting.zoom_meeting_id else {
            return Ok(());
        };
        match self
            .licenses
            .get(&meeting.academy_id, &meeting.license_id)
            .await
        {
            Ok(license) => {
                let host = self.host(license).await?;
                Ok(self.delete_in_zoom_as(&host, zoom_id, meeting).await?)
            }
            // The license is gone (force-deleted): nothing to ask Zoom with.
            Err(AppError::LicenseNotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Cleans up after a create that never finished: its Zoom meeting (if
    /// recorded) is deleted and the record marked failed.
    pub(super) async fn resolve_abandoned(&self, academy_id: &str, meeting_id: &str) {
        let Ok(Some(meeting)) = self.meetings.get(academy_id, meeting_id).await else {
            return;
        };
        if meeting.status != MeetingStatus::Pending {
            return;
        }
        if let Some(zoom_id) = &meeting.zoom_meeting_id
            && let Ok(license) = self.licenses.get(academy_id, &meeting.license_id).await
            && let Ok(host) = self.host(license).await
        {
            self.zoom.delete_meeting(&host.creds, zoom_id).await.ok();
        }
        let mut failed = meeting;
        failed.status = MeetingStatus::Failed;
        let write = Write::put_if(meeting_item(&failed), status_is(MeetingStatus::Pending));
        let _ = self.meetings.write(vec![write]).await;
        tracing::info!(meeting_id, "abandoned reservation resolved");
    }
}
