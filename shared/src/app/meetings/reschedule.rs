//! Editing a meeting. A new time is booked before Zoom is told, and the old
//! slot freed in the transaction that commits. One edit of a meeting at a
//! time: edits racing for it get `412 version_conflict` before they tell
//! Zoom anything, so Zoom never keeps the time of an edit that lost (nor
//! loses the winner's to the loser's undo).

use chrono::Utc;

use super::booking::{Ask, Pick, RESERVATION_TTL};
use super::commit::commit_writes;
use super::create::{RELEASE_RESERVE, UNDO_RESERVE};
use super::series::occurrence;
use super::{Host, MeetingService};
use crate::deadline;
use crate::domain::license::License;
use crate::domain::meeting::{Meeting, MeetingPatch, MeetingStatus};
use crate::domain::scheduling::Booking;
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::meetings::{delete_calendar, put_calendar, put_meeting};
use crate::repo::reconcile::schedule_reconcile;
use crate::repo::repairs::{Repair, RepairRecord, close_repair, open_repair};
use crate::repo::schedule::{booking_key, remove_booking};
use crate::store::{StoreError, Write};
use crate::zoom::ZoomError;
use crate::zoom::meetings::MeetingUpdate;

/// A write refused because the meeting changed meanwhile is a version conflict.
fn version_conflict(e: RepoError, current: &Meeting) -> AppError {
    match e {
        RepoError::Store(StoreError::ConditionFailed { .. }) => AppError::VersionConflict {
            current: current.version,
        },
        other => other.into(),
    }
}

impl MeetingService {
    /// Reschedules or edits a meeting, holding its edit lock meanwhile.
    pub async fn patch(
        &self,
        academy_id: &str,
        meeting_id: &str,
        patch: MeetingPatch,
    ) -> Result<Meeting, AppError> {
        self.get(academy_id, meeting_id).await?;
        let expires = Utc::now() + RESERVATION_TTL;
        let locked = self.meetings.lock_edit(academy_id, meeting_id, expires);
        let Some(token) = locked.await? else {
            let current = self.get(academy_id, meeting_id).await?;
            return Err(AppError::VersionConflict {
                current: current.version,
            });
        };
        let result = self.patch_locked(academy_id, meeting_id, patch).await;
        let unlocked = self.meetings.unlock_edit(academy_id, meeting_id, &token);
        if let Err(e) = unlocked.await {
            // It expires on its own.
            tracing::warn!(meeting_id, error = %e, "could not release a meeting edit lock");
        }
        result
    }

    async fn patch_locked(
        &self,
        academy_id: &str,
        meeting_id: &str,
        patch: MeetingPatch,
    ) -> Result<Meeting, AppError> {
        let current = self.get(academy_id, meeting_id).await?;
        if current.status != MeetingStatus::Scheduled {
            return Err(AppError::MeetingNotEditable);
        }
        occurrence::check_patch(&current, &patch)?;
        self.caches.forget_schedule(&current.license_id);
        let mut next = patch.apply(&current);
        if next == current {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = Utc::now();
        let license = self.licenses.get(academy_id, &current.license_id).await?;
        let host = self.host(license.clone()).await?;
        let zoom_id = current
            .zoom_meeting_id
            .clone()
            .ok_or(AppError::MeetingNotEditable)?;
        let update = MeetingUpdate::of_patch(&patch, &next);
        let moved = next.start_time != current.start_time || next.end_time() != current.end_time();
        if moved {
            next.booking_rev = current.booking_rev + 1;
            let edit = Edit {
                host: &host,
                zoom_id: &zoom_id,
                current: &current,
                update: &update,
            };
            return self.move_to(&license, edit, next).await;
        }
        if let Err(e) = self
            .update_in_zoom(&host, &zoom_id, &current, &update)
            .await
        {
            return Err(self.patch_refused(academy_id, meeting_id, e).await);
        }
        let writes = vec![put_meeting(&next, Some(&current)), put_calendar(&next)];
        match self.meetings.write(writes).await {
            Ok(()) => Ok(next),
            Err(e) => Err(version_conflict(e, &current)),
        }
    }

    /// Books the new time, tells Zoom, commits; undoes both on failure.
    async fn move_to(
        &self,
        license: &License,
        edit: Edit<'_>,
        next: Meeting,
    ) -> Result<Meeting, AppError> {
        let current = edit.current;
        // Read before Zoom is told: the series learns the new time in the commit.
        let in_series = self.moved_in_series(&next).await?;
        let ask = Ask {
            academy_id: &current.academy_id,
            meeting_id: &current.meeting_id,
            rev: next.booking_rev,
            start: next.start_time,
            end: next.end_time(),
            pick: Pick::Current(license),
        };
        // The repair record goes with the new reservation: should this
        // request die before it commits or puts Zoom back, `maintenance` does.
        let attempt = ulid::Ulid::new().to_string().to_lowercase();
        let repair_of = |booking: &Booking| Repair::Reschedule {
            academy_id: current.academy_id.clone(),
            meeting_id: current.meeting_id.clone(),
            license_id: license.license_id.clone(),
            zoom_meeting_id: edit.zoom_id.to_owned(),
            booking: booking.clone(),
            attempt: attempt.clone(),
        };
        let reserved = self.reserve(&ask, |_, booking| {
            vec![open_repair(&RepairRecord::new(
                repair_of(booking),
                RESERVATION_TTL,
            ))]
        });
        let (_, booking) = reserved.await?;
        let repair = repair_of(&booking);
        let told = self.update_in_zoom(edit.host, edit.zoom_id, current, edit.update);
        if let Err(e) = deadline::keeping(UNDO_RESERVE, told).await {
            // No answer (or a failure on Zoom's side): Zoom may have moved
            // the meeting all the same. Put it back where it still is for
            // us, so Zoom never holds a time the schedule did not book.
            let moved = e.is_unavailable() && !e.was_not_sent();
            let settled = !moved || self.put_back(&edit).await;
            self.release_booking(&license.license_id, &booking, settled.then_some(&repair))
                .await;
            let refused = self.patch_refused(&current.academy_id, &current.meeting_id, e);
            return Err(refused.await);
        }
        let mut writes = commit_writes(&booking, put_meeting(&next, Some(current)), &next);
        writes.push(Write::Delete {
            key: booking_key(&license.license_id, &current.booking()),
            condition: None,
        });
        if next.start_time != current.start_time {
            writes.push(delete_calendar(current));
        }
        writes.push(close_repair(&repair));
        writes.extend(in_series);
        writes.push(schedule_reconcile(
            &next.academy_id,
            &next.meeting_id,
            next.end_time(),
        ));
        let committed = self.meetings.write(writes);
        match deadline::keeping(UNDO_RESERVE, committed).await {
            Ok(()) => Ok(next),
            Err(e) => {
                let settled = self.put_back(&edit).await;
                self.release_booking(&license.license_id, &booking, settled.then_some(&repair))
                    .await;
                Err(version_conflict(e, current))
            }
        }
    }

    /// Gives up a reservation made for a new time, closing `repair` with it
    /// when Zoom is settled (else `maintenance` puts Zoom back, and frees it).
    async fn release_booking(&self, license_id: &str, booking: &Booking, repair: Option<&Repair>) {
        self.caches.forget_schedule(license_id);
        let mut writes = vec![remove_booking(license_id, booking)];
        writes.extend(repair.map(close_repair));
        if let Err(e) = self.meetings.write(writes).await {
            tracing::warn!(meeting_id = %booking.meeting_id, error = %e, "could not release a reservation");
        }
    }

    /// Puts Zoom's meeting back at the time and length it has for us;
    /// `false` when Zoom may still have the new one (`maintenance` retries).
    async fn put_back(&self, edit: &Edit<'_>) -> bool {
        let back = MeetingUpdate::time_of(edit.current);
        let undone = self.update_in_zoom(edit.host, edit.zoom_id, edit.current, &back);
        match deadline::keeping(RELEASE_RESERVE, undone).await {
            Ok(()) => true,
            Err(undo) => {
                tracing::warn!(meeting_id = %edit.current.meeting_id, error = %undo, "Zoom may have the new time while the store kept the old one: left to maintenance");
                false
            }
        }
    }

    /// What a Zoom refusal of a reschedule means: a meeting Zoom no longer
    /// has because a concurrent delete removed it is `meeting_not_editable`
    /// (409, as for a reschedule after the delete), not a gateway error.
    async fn patch_refused(&self, academy_id: &str, meeting_id: &str, e: ZoomError) -> AppError {
        super::deleted_meanwhile::refused(e, || async {
            let now = self.meetings.get(academy_id, meeting_id).await?;
            Ok(now.is_none_or(|m| m.status == MeetingStatus::Deleted))
        })
        .await
    }
}

/// One edit as Zoom hears it.
struct Edit<'a> {
    host: &'a Host,
    zoom_id: &'a str,
    current: &'a Meeting,
    update: &'a MeetingUpdate,
}
