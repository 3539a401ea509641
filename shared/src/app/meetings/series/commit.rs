//! Committing a series: each occurrence's booking committed (only if it is
//! still the reservation made), its meeting record, calendar copy and
//! reconciliation — four writes an occurrence, so a 50-occurrence series
//! goes in batches of [`PER_BATCH`] (within DynamoDB's 100 items a
//! transaction) — and last the series itself, its Zoom id index, the
//! Idempotency-Key's answer and the repair record closed, together. Until
//! that last batch the repair record stands: a request that dies between
//! batches is undone whole by `maintenance`.

use chrono::Utc;

use super::super::MeetingService;
use super::super::commit::commit_booking;
use super::super::create::IdempotencyKey;
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::scheduling::Booking;
use crate::domain::series::{Series, SeriesOccurrence, SeriesStatus};
use crate::error::AppError;
use crate::repo::idempotency::IdempotencyRepo;
use crate::repo::meetings::{put_calendar, put_meeting};
use crate::repo::reconcile::schedule_reconcile;
use crate::repo::repairs::{Repair, close_repair};
use crate::repo::series::{put_series_zoom_index, series_item, series_status_is};
use crate::store::Write;

/// Occurrences committed per transaction (four writes each): 40 items,
/// well within DynamoDB's 100 and quick to apply (a transaction's cost
/// grows with its items: 100 take moto a second, 40 a tenth of that).
pub(super) const PER_BATCH: usize = 10;

/// An occurrence of `series` as a meeting of ours.
pub(super) fn occurrence_meeting(series: &Series, o: &SeriesOccurrence) -> Meeting {
    let now = Utc::now();
    Meeting {
        meeting_id: o.meeting_id.clone(),
        academy_id: series.academy_id.clone(),
        license_id: series.license_id.clone(),
        zoom_meeting_id: series.zoom_meeting_id.clone(),
        zoom_uuid: None,
        topic: series.topic.clone(),
        start_time: o.start_time,
        duration_minutes: o.duration_minutes,
        timezone: Some(series.timezone.clone()),
        agenda: series.agenda.clone(),
        external_ref: series.external_ref.clone(),
        settings: series.settings.clone(),
        join_url: series.join_url.clone(),
        password: series.password.clone(),
        share_url: None,
        play_passcode: None,
        status: MeetingStatus::Scheduled,
        booking_rev: 1,
        held: Default::default(),
        series_id: Some(series.series_id.clone()),
        occurrence_id: o.occurrence_id.clone(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The repair record of a series between its reservation and its last commit.
pub(super) fn series_repair(series: &Series, bookings: &[Booking]) -> Repair {
    Repair::Series {
        academy_id: series.academy_id.clone(),
        series_id: series.series_id.clone(),
        license_id: series.license_id.clone(),
        bookings: bookings.to_vec(),
    }
}

impl MeetingService {
    pub(super) async fn commit_series(
        &self,
        series: &Series,
        bookings: &[Booking],
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<Series, AppError> {
        let pairs: Vec<_> = series.occurrences.iter().zip(bookings).collect();
        for batch in pairs.chunks(PER_BATCH) {
            let mut writes = Vec::with_capacity(batch.len() * 4);
            for (occurrence, booking) in batch {
                let meeting = occurrence_meeting(series, occurrence);
                writes.push(commit_booking(&series.license_id, booking));
                writes.push(put_meeting(&meeting, None));
                writes.push(put_calendar(&meeting));
                writes.push(schedule_reconcile(
                    &series.academy_id,
                    &meeting.meeting_id,
                    meeting.end_time(),
                ));
            }
            self.meetings.write(writes).await?;
        }
        let mut scheduled = series.clone();
        scheduled.status = SeriesStatus::Scheduled;
        scheduled.updated_at = Utc::now();
        let mut writes = vec![Write::put_if(
            series_item(&scheduled),
            series_status_is(SeriesStatus::Pending),
        )];
        writes.extend(put_series_zoom_index(&scheduled));
        writes.push(close_repair(&series_repair(series, bookings)));
        if let Some((idem, attempt)) = idempotency {
            writes.push(IdempotencyRepo::finish(
                &series.academy_id,
                &idem.key,
                attempt,
                &idem.request_hash,
                201,
                &scheduled,
            ));
        }
        self.series.write(writes).await?;
        self.caches.forget_schedule(&series.license_id);
        tracing::info!(series_id = %series.series_id, license_id = %series.license_id, occurrences = series.occurrences.len(), "series created");
        Ok(scheduled)
    }
}
