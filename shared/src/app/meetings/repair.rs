//! Finishing what a create or a reschedule left when its request died
//! (killed at its deadline, or frozen after answering): run by
//! `maintenance` on the repair record the request wrote with its reservation.
//!
//! - a create that never committed: its Zoom meeting (recorded, or found
//!   among the host's meetings as a lost answer would have left it) is
//!   deleted, the slot freed, the record marked failed;
//! - a reschedule that never committed: Zoom is put back to the time the
//!   meeting has here, and the new slot freed.

use super::adopt::Asked;
use super::{Host, MeetingService};
use crate::app::maintenance::Resolved;
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::scheduling::Booking;
use crate::error::AppError;
use crate::repo::meetings::{meeting_item, status_is};
use crate::repo::repairs::{Repair, close_claimed};
use crate::repo::schedule::remove_booking;
use crate::store::Write;
use crate::zoom::meetings::MeetingUpdate;

impl MeetingService {
    /// The Zoom host of a meeting's license; `None` when the license is gone.
    async fn host_of(&self, meeting: &Meeting) -> Result<Option<Host>, AppError> {
        match self
            .licenses
            .get(&meeting.academy_id, &meeting.license_id)
            .await
        {
            Ok(license) => Ok(Some(self.host(license).await?)),
            Err(AppError::LicenseNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Resolves a [`Repair::Create`] claimed by `claim`.
    pub(crate) async fn resolve_create(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::Create {
            academy_id,
            meeting_id,
            license_id,
            booking,
        } = repair
        else {
            return Err(AppError::Internal("not a create repair".into()));
        };
        let mut writes = vec![close_claimed(repair, claim)];
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        // Failed already (a booking cleared the expired reservation): its
        // Zoom meeting, if the answer was lost, is still to be found.
        let uncommitted =
            meeting.filter(|m| matches!(m.status, MeetingStatus::Pending | MeetingStatus::Failed));
        if let Some(meeting) = uncommitted {
            self.delete_uncommitted(&meeting).await?;
            if meeting.status == MeetingStatus::Pending {
                let mut failed = meeting;
                failed.status = MeetingStatus::Failed;
                writes.push(Write::put_if(
                    meeting_item(&failed),
                    status_is(MeetingStatus::Pending),
                ));
            }
        }
        self.finish_repair(license_id, booking, writes).await
    }

    /// The Zoom meeting of a create that never committed, deleted: the one
    /// recorded on the pending meeting, else one the host has that matches
    /// what was asked and that no meeting of ours holds.
    async fn delete_uncommitted(&self, meeting: &Meeting) -> Result<(), AppError> {
        let Some(host) = self.host_of(meeting).await? else {
            return Ok(());
        };
        let zoom_id = match &meeting.zoom_meeting_id {
            Some(id) => Some(id.clone()),
            None => self
                .find_created(&host, &Asked::from(meeting), meeting.created_at, &[])
                .await?
                .map(|created| created.id),
        };
        if let Some(zoom_id) = zoom_id {
            self.zoom.delete_meeting(&host.creds, &zoom_id).await?;
            tracing::info!(meeting_id = %meeting.meeting_id, zoom_meeting_id = %zoom_id, "the Zoom meeting of a create that never committed was deleted");
        }
        Ok(())
    }

    /// Resolves a [`Repair::Reschedule`] claimed by `claim`.
    pub(crate) async fn resolve_reschedule(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::Reschedule {
            academy_id,
            meeting_id,
            license_id,
            zoom_meeting_id,
            booking,
            ..
        } = repair
        else {
            return Err(AppError::Internal("not a reschedule repair".into()));
        };
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        // Committed meanwhile (its commit would have closed the record,
        // but a record is never trusted over the meeting).
        let committed = meeting
            .as_ref()
            .is_some_and(|m| m.booking_rev >= booking.rev && m.start_time == booking.start_time);
        if let Some(current) = meeting.filter(|m| !committed && m.status != MeetingStatus::Deleted)
            && let Some(host) = self.host_of(&current).await?
        {
            let back = MeetingUpdate::time_of(&current);
            match self
                .update_in_zoom(&host, zoom_meeting_id, &current, &back)
                .await
            {
                Ok(()) => {}
                // Deleted in Zoom meanwhile: nothing to put back.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
            tracing::info!(
                meeting_id,
                "Zoom put back to the time of a reschedule that never committed"
            );
        }
        let writes = vec![close_claimed(repair, claim)];
        if committed {
            self.meetings.write(writes).await?;
            return Ok(Resolved::Done);
        }
        self.finish_repair(license_id, booking, writes).await
    }

    /// Frees the reservation (if it is still the one made) with `writes`.
    async fn finish_repair(
        &self,
        license_id: &str,
        booking: &Booking,
        mut writes: Vec<Write>,
    ) -> Result<Resolved, AppError> {
        self.caches.forget_schedule(license_id);
        let Some(held) = self.schedule.booking(license_id, booking).await? else {
            self.meetings.write(writes).await?;
            return Ok(Resolved::Done);
        };
        if held.expires_at == booking.expires_at {
            writes.push(remove_booking(license_id, booking));
        }
        self.meetings.write(writes).await?;
        Ok(Resolved::Done)
    }
}
