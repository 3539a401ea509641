//! A series time change: every occurrence re-booked at its new time in one
//! atomic decision, Zoom's recurring meeting updated once, then committed.
//!
//! 1. The new bookings (the series' own old ones not counting against
//!    them) and a [`Repair::SeriesMove`] record, in one transaction.
//! 2. Zoom's meeting moved (start, duration, zone and recurrence: Zoom makes
//!    the occurrences anew), its new `occurrence_id`s read and matched.
//! 3. The commit point, one transaction: the series record with the new
//!    times, every new booking committed, the move's record swapped for a
//!    [`Repair::SeriesFollow`] one (52 items for 50 occurrences).
//! 4. The occurrences' meetings, calendar copies and old bookings follow in
//!    batches; what a dying request leaves, `maintenance` redoes from the
//!    series record. Until then the old bookings still hold their slots:
//!    the license is held twice for a moment, never double-booked.
//!
//! Before the commit point every failure puts Zoom back and frees the new
//! bookings (a dying request leaves that to `maintenance`).

use chrono::Utc;

use super::super::booking::{BOOKING_ATTEMPTS, RESERVATION_TTL};
use super::super::commit::commit_booking;
use super::super::create::{RELEASE_RESERVE, UNDO_RESERVE};
use super::super::series_booking::Moving;
use super::super::{Host, MeetingService, Slot};
use crate::deadline;
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::recurrence::{Occurrence, parse_recurrence, zoom_recurrence};
use crate::domain::scheduling::Booking;
use crate::domain::series::Series;
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::meetings::{delete_calendar, put_calendar, put_meeting};
use crate::repo::reconcile::schedule_reconcile;
use crate::repo::repairs::{Repair, RepairRecord, close_repair, open_outbox, open_repair};
use crate::repo::schedule::{booking_key, remove_booking};
use crate::repo::series::put_series;
use crate::store::{StoreError, Write};
use crate::zoom::meetings::MeetingUpdate;

/// Occurrences whose meetings follow per transaction (five writes each).
const FOLLOW_PER_BATCH: usize = 8;

/// Zoom's update that gives the recurring meeting `series`' times.
pub(super) fn zoom_time_of(
    series: &Series,
    occurrences: &[Occurrence],
) -> Result<MeetingUpdate, AppError> {
    let recurrence = parse_recurrence(series.recurrence.clone())
        .map_err(|_| AppError::Internal("an unreadable stored recurrence".into()))?;
    Ok(MeetingUpdate::series_time(
        &series.start_time,
        series.duration_minutes,
        &series.timezone,
        zoom_recurrence(&recurrence, occurrences),
    ))
}

pub(super) fn occurrences_of(series: &Series) -> Vec<Occurrence> {
    series
        .occurrences
        .iter()
        .map(|o| Occurrence {
            start_time: o.start_time,
            duration_minutes: o.duration_minutes,
        })
        .collect()
}

/// One time change in flight.
struct Move<'a> {
    host: &'a Host,
    zoom_id: &'a str,
    current: &'a Series,
    repair: Repair,
    bookings: Vec<Booking>,
}

impl MeetingService {
    /// Moves every occurrence of `current` (all still scheduled) to the
    /// times its recurrence gives from `start`, each `minutes` long.
    pub(super) async fn move_series(
        &self,
        current: &Series,
        meetings: &[Meeting],
        start: chrono::DateTime<Utc>,
        minutes: u32,
    ) -> Result<Series, AppError> {
        if meetings.len() != current.occurrences.len()
            || meetings
                .iter()
                .any(|m| m.status != MeetingStatus::Scheduled)
        {
            // Zoom makes a moved series' occurrences anew: one already
            // held, deleted or gone would come back.
            return Err(AppError::MeetingNotEditable);
        }
        let occurrences = current
            .expand_from(start, minutes)
            .map_err(|e| AppError::Validation(vec![e]))?;
        let slots: Vec<Slot> = current
            .occurrences
            .iter()
            .zip(&occurrences)
            .map(|(o, new)| Slot {
                meeting_id: o.meeting_id.clone(),
                start: new.start_time,
                end: new.end_time(),
            })
            .collect();
        let own: Vec<String> = slots.iter().map(|s| s.meeting_id.clone()).collect();
        let rev = meetings.iter().map(|m| m.booking_rev).max().unwrap_or(1) + 1;
        let moving = Moving {
            meeting_ids: &own,
            rev,
        };
        let zoom_id = current
            .zoom_meeting_id
            .clone()
            .ok_or(AppError::MeetingNotEditable)?;
        let attempt = ulid::Ulid::new().to_string().to_lowercase();
        let repair_of = |bookings: &[Booking]| Repair::SeriesMove {
            academy_id: current.academy_id.clone(),
            series_id: current.series_id.clone(),
            license_id: current.license_id.clone(),
            zoom_meeting_id: zoom_id.clone(),
            bookings: bookings.to_vec(),
            attempt: attempt.clone(),
        };
        let license_id = Some(current.license_id.as_str());
        let reserved = self.reserve_series_as(
            &current.academy_id,
            license_id,
            &slots,
            moving,
            |_, bookings| {
                let record = RepairRecord::new(repair_of(bookings), RESERVATION_TTL);
                vec![open_repair(&record)]
            },
        );
        let (license, bookings) = reserved.await?;
        let host = self.host(license).await;
        let host = match host {
            Ok(host) => host,
            Err(e) => {
                self.release_move(&current.license_id, &bookings, &repair_of(&bookings))
                    .await;
                return Err(e);
            }
        };
        let mut next = current.clone();
        next.start_time = occurrences[0].start_time;
        next.duration_minutes = minutes;
        for (o, new) in next.occurrences.iter_mut().zip(&occurrences) {
            o.start_time = new.start_time;
            o.duration_minutes = new.duration_minutes;
            o.booking_rev = rev;
        }
        let edit = Move {
            host: &host,
            zoom_id: &zoom_id,
            current,
            repair: repair_of(&bookings),
            bookings,
        };
        self.move_in_zoom(&edit, &mut next, &occurrences).await?;
        self.commit_move(&edit, next).await
    }

    /// Zoom's meeting moved, and its new occurrence ids on `next`.
    async fn move_in_zoom(
        &self,
        edit: &Move<'_>,
        next: &mut Series,
        occurrences: &[Occurrence],
    ) -> Result<(), AppError> {
        let update = zoom_time_of(next, occurrences)?;
        let told = self
            .zoom
            .update_meeting(&edit.host.creds, edit.zoom_id, &update);
        if let Err(e) = deadline::keeping(UNDO_RESERVE, told).await {
            // Zoom may have moved it all the same: put back, unless it was never sent.
            let settled =
                e.was_not_sent() || !e.is_unavailable() || self.put_series_back(edit).await;
            self.settle(edit, settled).await;
            let current = edit.current;
            return Err(self
                .series_refused(&current.academy_id, &current.series_id, e)
                .await);
        }
        let read = self.zoom.get_series_meeting(&edit.host.creds, edit.zoom_id);
        let matched = match deadline::keeping(UNDO_RESERVE, read).await {
            Ok(zoom) => super::create::matched(&next.occurrences, &zoom.occurrences),
            Err(e) => {
                let settled = self.put_series_back(edit).await;
                self.settle(edit, settled).await;
                return Err(e.into());
            }
        };
        let Some(ids) = matched else {
            let settled = self.put_series_back(edit).await;
            self.settle(edit, settled).await;
            return Err(AppError::ZoomOccurrencesDiffer(
                "after a time change".into(),
            ));
        };
        for (o, id) in next.occurrences.iter_mut().zip(ids) {
            o.occurrence_id = Some(id);
        }
        Ok(())
    }

    /// The commit point, then the occurrences' meetings.
    async fn commit_move(&self, edit: &Move<'_>, mut next: Series) -> Result<Series, AppError> {
        let current = edit.current;
        next.version = current.version + 1;
        next.updated_at = Utc::now();
        let follow = Repair::SeriesFollow {
            academy_id: next.academy_id.clone(),
            series_id: next.series_id.clone(),
        };
        let mut writes = vec![put_series(&next, Some(current))];
        writes.extend(
            edit.bookings
                .iter()
                .map(|b| commit_booking(&current.license_id, b)),
        );
        writes.push(close_repair(&edit.repair));
        writes.push(open_outbox(&RepairRecord::new(
            follow.clone(),
            RESERVATION_TTL,
        )));
        let committed = self.series.write(writes);
        if let Err(e) = deadline::keeping(UNDO_RESERVE, committed).await {
            let settled = self.put_series_back(edit).await;
            self.settle(edit, settled).await;
            return Err(match e {
                RepoError::Store(StoreError::ConditionFailed { .. }) => AppError::VersionConflict {
                    current: current.version,
                },
                other => other.into(),
            });
        }
        self.caches.forget_schedule(&current.license_id);
        tracing::info!(series_id = %next.series_id, "series moved");
        match self.follow(&next).await {
            Ok(()) => {
                let closed = self.series.write(vec![close_repair(&follow)]).await;
                if let Err(e) = closed {
                    tracing::warn!(series_id = %next.series_id, error = %e, "a series' follow-up record stays for maintenance");
                }
            }
            Err(e) => {
                tracing::warn!(series_id = %next.series_id, error = %e, "a moved series' occurrences are left to maintenance");
            }
        }
        Ok(next)
    }

    /// Each occurrence's meeting at the time the series record gives it,
    /// its old booking and calendar copy removed: idempotent, so a run of
    /// `maintenance` may redo it from anywhere.
    pub(super) async fn follow(&self, series: &Series) -> Result<(), AppError> {
        for batch in series.occurrences.chunks(FOLLOW_PER_BATCH) {
            for _ in 0..BOOKING_ATTEMPTS {
                let reads = batch
                    .iter()
                    .map(|o| self.meetings.get(&series.academy_id, &o.meeting_id));
                let meetings = futures::future::try_join_all(reads).await?;
                let mut writes = Vec::new();
                for (o, meeting) in batch.iter().zip(meetings) {
                    let Some(meeting) = meeting.filter(|m| m.status != MeetingStatus::Deleted)
                    else {
                        continue;
                    };
                    if meeting.start_time == o.start_time
                        && meeting.duration_minutes == o.duration_minutes
                        && meeting.occurrence_id == o.occurrence_id
                    {
                        continue;
                    }
                    let mut moved = meeting.clone();
                    moved.start_time = o.start_time;
                    moved.duration_minutes = o.duration_minutes;
                    moved.occurrence_id.clone_from(&o.occurrence_id);
                    moved.booking_rev = o.booking_rev;
                    moved.version = meeting.version + 1;
                    moved.updated_at = Utc::now();
                    writes.push(put_meeting(&moved, Some(&meeting)));
                    writes.push(Write::Delete {
                        key: booking_key(&series.license_id, &meeting.booking()),
                        condition: None,
                    });
                    writes.push(delete_calendar(&meeting));
                    writes.push(put_calendar(&moved));
                    writes.push(schedule_reconcile(
                        &series.academy_id,
                        &moved.meeting_id,
                        moved.end_time(),
                    ));
                }
                if writes.is_empty() {
                    break;
                }
                match self.meetings.write(writes).await {
                    Ok(()) => break,
                    // An event changed a meeting meanwhile: read again.
                    Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }

    /// Zoom's meeting back at the times the series has here; `false` when
    /// Zoom may still have the new ones (`maintenance` retries).
    async fn put_series_back(&self, edit: &Move<'_>) -> bool {
        let Ok(back) = zoom_time_of(edit.current, &occurrences_of(edit.current)) else {
            return false;
        };
        let undone = self
            .zoom
            .update_meeting(&edit.host.creds, edit.zoom_id, &back);
        match deadline::keeping(RELEASE_RESERVE, undone).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(series_id = %edit.current.series_id, error = %e, "Zoom may have a series' new times while the store kept the old ones: left to maintenance");
                false
            }
        }
    }

    /// Frees the new bookings, closing the move's record when Zoom is settled.
    async fn settle(&self, edit: &Move<'_>, settled: bool) {
        if settled {
            self.release_move(&edit.current.license_id, &edit.bookings, &edit.repair)
                .await;
        }
    }

    async fn release_move(&self, license_id: &str, bookings: &[Booking], repair: &Repair) {
        self.caches.forget_schedule(license_id);
        let mut writes: Vec<Write> = bookings
            .iter()
            .map(|b| remove_booking(license_id, b))
            .collect();
        writes.push(close_repair(repair));
        if let Err(e) = self.series.write(writes).await {
            tracing::warn!(error = %e, "could not release a series' new reservations; they expire");
        }
    }
}
