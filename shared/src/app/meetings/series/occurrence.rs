//! One occurrence of a series in Zoom: the series' recurring meeting with
//! `?occurrence_id=` (ZOOM-2.md D), so an edit or delete touches only it.
//! A meeting that is no occurrence goes to Zoom as itself.

use super::super::{Host, MeetingService};
use crate::domain::meeting::{Meeting, MeetingPatch};
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::zoom::ZoomError;
use crate::zoom::meetings::MeetingUpdate;

/// Zoom changes an occurrence's agenda, start, duration and settings only:
/// its topic and time zone are the series'.
pub(in crate::app::meetings) fn check_patch(
    meeting: &Meeting,
    patch: &MeetingPatch,
) -> Result<(), AppError> {
    if meeting.series_id.is_none() {
        return Ok(());
    }
    let mut errors = Vec::new();
    if patch.topic.is_some() {
        errors.push(FieldError::new("topic", Rule::SeriesWide));
    }
    if patch.timezone.is_some() {
        errors.push(FieldError::new("timezone", Rule::SeriesWide));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

impl MeetingService {
    /// Updates `meeting` in Zoom: its occurrence only, when it is one.
    pub(in crate::app::meetings) async fn update_in_zoom(
        &self,
        host: &Host,
        zoom_id: &str,
        meeting: &Meeting,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        match &meeting.occurrence_id {
            Some(occurrence) => {
                self.zoom
                    .update_occurrence(&host.creds, zoom_id, occurrence, update)
                    .await
            }
            None => self.zoom.update_meeting(&host.creds, zoom_id, update).await,
        }
    }

    /// Deletes `meeting` in Zoom: its occurrence only, when it is one.
    pub(in crate::app::meetings) async fn delete_in_zoom_as(
        &self,
        host: &Host,
        zoom_id: &str,
        meeting: &Meeting,
    ) -> Result<(), ZoomError> {
        match &meeting.occurrence_id {
            Some(occurrence) => {
                self.zoom
                    .delete_occurrence(&host.creds, zoom_id, occurrence)
                    .await
            }
            None => self.zoom.delete_meeting(&host.creds, zoom_id).await,
        }
    }
}

impl MeetingService {
    /// For an occurrence moving to `next`'s time: its series record with the
    /// new time, written on the series' version (what Zoom's events are
    /// matched on). Nothing for a meeting that is no occurrence.
    pub(in crate::app::meetings) async fn moved_in_series(
        &self,
        next: &Meeting,
    ) -> Result<Option<crate::store::Write>, AppError> {
        let Some(series_id) = &next.series_id else {
            return Ok(None);
        };
        let Some(current) = self.series.get(&next.academy_id, series_id).await? else {
            return Ok(None);
        };
        let mut moved = current.clone();
        for o in &mut moved.occurrences {
            if o.meeting_id == next.meeting_id {
                o.start_time = next.start_time;
                o.duration_minutes = next.duration_minutes;
                o.booking_rev = next.booking_rev;
            }
        }
        moved.version = current.version + 1;
        moved.updated_at = chrono::Utc::now();
        Ok(Some(crate::repo::series::put_series(
            &moved,
            Some(&current),
        )))
    }
}
