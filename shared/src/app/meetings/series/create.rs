//! Creating a class series, once per Idempotency-Key: every occurrence
//! reserved on one license in one transaction (with the pending series
//! record and its repair record), one Zoom recurring meeting, Zoom's
//! occurrences matched to ours, then the commit. Every failure undoes what
//! was done; a request that dies leaves its repair record to `maintenance`.

use chrono::Utc;

use super::super::booking::RESERVATION_TTL;
use super::super::create::{IdempotencyKey, UNDO_RESERVE};
use super::super::{Host, MeetingService, Slot};
use super::commit::{occurrence_meeting, series_repair};
use super::{SeriesView, new_series_id};
use crate::deadline;
use crate::domain::recurrence::zoom_recurrence;
use crate::domain::series::{NewSeries, Series, SeriesOccurrence, SeriesStatus};
use crate::error::AppError;
use crate::repo::repairs::{RepairRecord, open_repair};
use crate::repo::series::put_series;
use crate::zoom::ZoomError;
use crate::zoom::series::{ZoomOccurrence, ZoomSeries};

/// A series create's answer: made now, or by an earlier request with the
/// same Idempotency-Key.
pub enum SeriesOutcome {
    Created(Box<SeriesView>),
    Replayed(Box<SeriesView>),
}

fn new_meeting_id() -> String {
    format!("mtg_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The pending record of a series about to be reserved (license chosen later).
fn pending(academy_id: &str, new: &NewSeries) -> Series {
    let now = Utc::now();
    let m = &new.meeting;
    Series {
        series_id: new_series_id(),
        academy_id: academy_id.to_owned(),
        license_id: String::new(),
        zoom_meeting_id: None,
        topic: m.topic.clone(),
        start_time: m.start_time,
        duration_minutes: m.duration_minutes,
        timezone: new.timezone.clone(),
        recurrence: new.recurrence.to_json(),
        agenda: m.agenda.clone(),
        external_ref: m.external_ref.clone(),
        settings: m.settings.clone(),
        join_url: None,
        password: None,
        status: SeriesStatus::Pending,
        occurrences: new
            .occurrences
            .iter()
            .map(|o| SeriesOccurrence {
                meeting_id: new_meeting_id(),
                occurrence_id: None,
                start_time: o.start_time,
                duration_minutes: o.duration_minutes,
                booking_rev: 1,
            })
            .collect(),
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// The view of a series just committed: its occurrences as they were
/// written (nothing read back).
fn as_created(series: Series) -> SeriesView {
    let meetings = series
        .occurrences
        .iter()
        .map(|o| occurrence_meeting(&series, o))
        .collect();
    SeriesView { series, meetings }
}

/// Zoom's occurrence for each of ours, by start: `None` when Zoom scheduled
/// other classes than were booked (a recurrence rule Zoom reads otherwise).
pub(super) fn matched(ours: &[SeriesOccurrence], zoom: &[ZoomOccurrence]) -> Option<Vec<String>> {
    let available: Vec<&ZoomOccurrence> = zoom.iter().filter(|z| z.is_available()).collect();
    if available.len() != ours.len() {
        return None;
    }
    ours.iter()
        .map(|o| {
            available
                .iter()
                .find(|z| z.start_time == o.start_time)
                .map(|z| z.occurrence_id.clone())
        })
        .collect()
}

impl MeetingService {
    /// Creates a series, once per Idempotency-Key.
    pub async fn create_series(
        &self,
        academy_id: &str,
        new: NewSeries,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<SeriesOutcome, AppError> {
        let Some(idem) = idempotency else {
            let series = self.create_series_once(academy_id, &new, None).await?;
            return Ok(SeriesOutcome::Created(Box::new(as_created(series))));
        };
        let attempt = match self.claim::<Series>(academy_id, &idem).await? {
            Ok(attempt) => attempt,
            Err(replayed) => {
                return Ok(SeriesOutcome::Replayed(Box::new(
                    self.view_of(*replayed).await?,
                )));
            }
        };
        match self
            .create_series_once(academy_id, &new, Some((&idem, &attempt)))
            .await
        {
            Ok(series) => Ok(SeriesOutcome::Created(Box::new(as_created(series)))),
            Err(e) => {
                let abandoned = self.idempotency.abandon(academy_id, &idem.key, &attempt);
                if let Err(abandon) = abandoned.await {
                    tracing::warn!(error = %abandon, "could not release an idempotency key");
                }
                Err(e)
            }
        }
    }

    async fn create_series_once(
        &self,
        academy_id: &str,
        new: &NewSeries,
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<Series, AppError> {
        let mut series = pending(academy_id, new);
        let slots: Vec<Slot> = series
            .occurrences
            .iter()
            .map(|o| Slot {
                meeting_id: o.meeting_id.clone(),
                start: o.start_time,
                end: o.end_time(),
            })
            .collect();
        let named = new.meeting.license_id.as_deref();
        let reserved = self.reserve_series(academy_id, named, &slots, |license, bookings| {
            let mut record = series.clone();
            record.license_id.clone_from(&license.license_id);
            let repair = RepairRecord::new(series_repair(&record, bookings), RESERVATION_TTL);
            vec![put_series(&record, None), open_repair(&repair)]
        });
        let (license, bookings) = reserved.await?;
        series.license_id.clone_from(&license.license_id);
        let host = match self.host(license).await {
            Ok(host) => host,
            Err(e) => {
                self.undo_series(&series, &bookings, None).await;
                return Err(e);
            }
        };
        let zoom = match self.create_series_in_zoom(&host, new, &series).await {
            Ok(zoom) => zoom,
            Err(e) => {
                self.undo_series(&series, &bookings, Some(&host)).await;
                return Err(e);
            }
        };
        series.zoom_meeting_id = Some(zoom.id.clone());
        series.join_url.clone_from(&zoom.join_url);
        series.password.clone_from(&zoom.password);
        let recorded = self.series.record_zoom_id(&series);
        let Some(ids) = matched(&series.occurrences, &zoom.occurrences) else {
            self.undo_series(&series, &bookings, Some(&host)).await;
            let why = format!(
                "{} booked, {} in Zoom",
                series.occurrences.len(),
                zoom.occurrences.len()
            );
            return Err(AppError::ZoomOccurrencesDiffer(why));
        };
        if let Err(e) = recorded.await {
            self.undo_series(&series, &bookings, Some(&host)).await;
            return Err(e.into());
        }
        for (occurrence, id) in series.occurrences.iter_mut().zip(ids) {
            occurrence.occurrence_id = Some(id);
        }
        let committed = self.commit_series(&series, &bookings, idempotency);
        match deadline::keeping(UNDO_RESERVE, committed).await {
            Ok(scheduled) => Ok(scheduled),
            Err(e) => {
                self.undo_series(&series, &bookings, Some(&host)).await;
                Err(e)
            }
        }
    }

    /// The recurring meeting in Zoom, with its occurrences (asked for again
    /// should the create's answer not list them). A lost answer leaves
    /// the meeting to be found and deleted by the undo.
    async fn create_series_in_zoom(
        &self,
        host: &Host,
        new: &NewSeries,
        series: &Series,
    ) -> Result<ZoomSeries, AppError> {
        let occurrences = new.occurrences.as_slice();
        let recurrence = zoom_recurrence(&new.recurrence, occurrences);
        let mut meeting = new.meeting.clone();
        meeting.timezone = Some(new.timezone.clone());
        let asked = self
            .zoom
            .create_series_meeting(&host.creds, &host.user, &meeting, &recurrence);
        let mut created = deadline::keeping(UNDO_RESERVE, asked).await?;
        if created.occurrences.is_empty() {
            // Zoom's create answer is documented with `occurrences`; should
            // it come without them, they are read.
            let read = self.zoom.get_series_meeting(&host.creds, &created.id);
            match deadline::keeping(UNDO_RESERVE, read).await {
                Ok(full) => created.occurrences = full.occurrences,
                Err(e) => {
                    self.forget_zoom_series(host, &created.id, series).await;
                    return Err(e.into());
                }
            }
        }
        Ok(created)
    }

    /// Deletes a recurring meeting of ours that will not be kept.
    pub(super) async fn forget_zoom_series(&self, host: &Host, zoom_id: &str, series: &Series) {
        let deleted = self.zoom.delete_meeting(&host.creds, zoom_id);
        if let Err(e) = deadline::keeping(super::super::create::RELEASE_RESERVE, deleted).await {
            log_left_over(series, &e);
        }
    }
}

pub(super) fn log_left_over(series: &Series, e: &ZoomError) {
    tracing::error!(series_id = %series.series_id, error = %e, "could not delete the Zoom meeting of a series that was not kept; its repair record stays for maintenance");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(starts: &[&str]) -> Vec<SeriesOccurrence> {
        starts
            .iter()
            .map(|s| SeriesOccurrence {
                meeting_id: format!("mtg_{s}"),
                occurrence_id: None,
                start_time: s.parse().unwrap(),
                duration_minutes: 60,
                booking_rev: 1,
            })
            .collect()
    }

    fn zoom(starts: &[(&str, &str)]) -> Vec<ZoomOccurrence> {
        starts
            .iter()
            .map(|(s, status)| ZoomOccurrence {
                occurrence_id: s
                    .parse::<chrono::DateTime<Utc>>()
                    .unwrap()
                    .timestamp_millis()
                    .to_string(),
                start_time: s.parse().unwrap(),
                duration: Some(60),
                status: Some((*status).to_owned()),
            })
            .collect()
    }

    #[test]
    fn occurrences_match_by_start_or_not_at_all() {
        let a = "2027-03-02T21:00:00Z";
        let b = "2027-03-04T21:00:00Z";
        let c = "2027-03-09T21:00:00Z";
        let ids = matched(&ours(&[a, b]), &zoom(&[(b, "available"), (a, "available")])).unwrap();
        assert_eq!(ids[0], zoom(&[(a, "available")])[0].occurrence_id);
        assert!(matched(&ours(&[a, b]), &zoom(&[(a, "available"), (c, "available")])).is_none());
        assert!(matched(&ours(&[a, b]), &zoom(&[(a, "available")])).is_none());
        assert!(matched(&ours(&[a]), &zoom(&[(a, "available"), (b, "deleted")])).is_some());
    }
}
