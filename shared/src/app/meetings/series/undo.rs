//! Taking back a series that never committed, for the request that failed
//! and for `maintenance` alike, in an order that survives dying anywhere:
//!
//! 1. the series marked `failed` (only while `pending`: a series whose last
//!    batch did commit is never undone, whatever its request was told);
//! 2. its Zoom meeting deleted (the recorded one, else the host's meeting
//!    that a lost create answer would have left);
//! 3. its occurrences' bookings, meetings and calendar copies deleted, in
//!    batches within DynamoDB's 100 items;
//! 4. the repair record closed — only now, so until here `maintenance`
//!    takes over from wherever a request stopped.

use super::super::adopt::Asked;
use super::super::{Host, MeetingService};
use super::commit::series_repair;
use super::create::log_left_over;
use crate::app::maintenance::Resolved;
use crate::domain::scheduling::Booking;
use crate::domain::series::{Series, SeriesStatus};
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::keys;
use crate::repo::repairs::{Repair, close_claimed, close_repair};
use crate::repo::schedule::booking_key;
use crate::repo::series::{series_item, series_status_is};
use crate::store::{StoreError, Write};

/// Occurrences whose records one transaction deletes (three writes each).
const DELETED_PER_BATCH: usize = 12;

/// Whether the series may be undone (as stored now), or committed.
enum Standing {
    Undo(Box<Series>),
    Committed,
}

impl MeetingService {
    /// Undoes a series create that failed in its request (`host`: the Zoom
    /// host, when Zoom may hold its meeting). Whatever cannot be done now is
    /// left to `maintenance` with the repair record.
    pub(super) async fn undo_series(
        &self,
        series: &Series,
        bookings: &[Booking],
        host: Option<&Host>,
    ) {
        self.caches.forget_schedule(&series.license_id);
        let close = close_repair(&series_repair(series, bookings));
        if let Err(e) = self.undo_with(series, bookings, host, close).await {
            tracing::warn!(series_id = %series.series_id, error = %e, "a series that failed could not be undone at once; left to maintenance");
        }
    }

    async fn undo_with(
        &self,
        series: &Series,
        bookings: &[Booking],
        host: Option<&Host>,
        close: Write,
    ) -> Result<Resolved, AppError> {
        let series = match self.fail(series).await? {
            Standing::Committed => {
                self.series.write(vec![close]).await?;
                return Ok(Resolved::Done);
            }
            Standing::Undo(series) => *series,
        };
        if let Some(host) = host
            && let Err(e) = self.delete_zoom_series(host, &series).await
        {
            return Err(e);
        }
        let pairs: Vec<_> = series.occurrences.iter().zip(bookings).collect();
        for batch in pairs.chunks(DELETED_PER_BATCH) {
            let mut writes = Vec::with_capacity(batch.len() * 3);
            for (o, booking) in batch {
                let meeting = keys::meeting(&series.academy_id, &o.meeting_id);
                let calendar = keys::calendar(&series.academy_id, &o.start_time, &o.meeting_id);
                for key in [booking_key(&series.license_id, booking), meeting, calendar] {
                    writes.push(Write::Delete {
                        key,
                        condition: None,
                    });
                }
            }
            self.series.write(writes).await?;
        }
        self.series.write(vec![close]).await?;
        tracing::info!(series_id = %series.series_id, "a series that never committed was undone");
        Ok(Resolved::Done)
    }

    /// Marks the series failed while it is pending (its stored version).
    async fn fail(&self, series: &Series) -> Result<Standing, AppError> {
        let Some(stored) = self
            .series
            .get(&series.academy_id, &series.series_id)
            .await?
        else {
            // Its reservation never committed: nothing else was written.
            return Ok(Standing::Undo(Box::new(series.clone())));
        };
        match stored.status {
            SeriesStatus::Scheduled | SeriesStatus::Deleted => return Ok(Standing::Committed),
            SeriesStatus::Failed => return Ok(Standing::Undo(Box::new(stored))),
            SeriesStatus::Pending => {}
        }
        let mut failed = stored.clone();
        failed.status = SeriesStatus::Failed;
        // What this request knew of Zoom is kept for the undo.
        if failed.zoom_meeting_id.is_none() {
            failed.zoom_meeting_id.clone_from(&series.zoom_meeting_id);
        }
        let write = Write::put_if(
            series_item(&failed),
            series_status_is(SeriesStatus::Pending),
        );
        match self.series.write(vec![write]).await {
            Ok(()) => Ok(Standing::Undo(Box::new(failed))),
            Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                Box::pin(self.fail(series)).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The series' Zoom meeting deleted: the one recorded, else one the
    /// host has that matches the create and that nothing of ours holds.
    async fn delete_zoom_series(&self, host: &Host, series: &Series) -> Result<(), AppError> {
        let zoom_id = match &series.zoom_meeting_id {
            Some(id) => Some(id.clone()),
            None => {
                let asked = Asked {
                    topic: &series.topic,
                    start_time: series.start_time,
                    duration_minutes: series.duration_minutes,
                };
                let found = self.find_created(host, &asked, series.created_at, &[]);
                found.await?.map(|z| z.id)
            }
        };
        let Some(zoom_id) = zoom_id else {
            return Ok(());
        };
        if let Err(e) = self.zoom.delete_meeting(&host.creds, &zoom_id).await {
            log_left_over(series, &e);
            return Err(e.into());
        }
        tracing::info!(series_id = %series.series_id, zoom_meeting_id = %zoom_id, "the Zoom meeting of a series that never committed was deleted");
        Ok(())
    }

    /// Resolves a [`Repair::Series`] claimed by `claim`.
    pub(crate) async fn resolve_series(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::Series {
            academy_id,
            series_id,
            bookings,
            ..
        } = repair
        else {
            return Err(AppError::Internal("not a series repair".into()));
        };
        let close = close_claimed(repair, claim);
        let Some(series) = self.series.get(academy_id, series_id).await? else {
            // The reservation never committed: nothing to undo.
            self.series.write(vec![close]).await?;
            return Ok(Resolved::Done);
        };
        self.caches.forget_schedule(&series.license_id);
        let host = match self.licenses.get(academy_id, &series.license_id).await {
            Ok(license) => Some(self.host(license).await?),
            Err(AppError::LicenseNotFound) => None,
            Err(e) => return Err(e),
        };
        self.undo_with(&series, bookings, host.as_ref(), close)
            .await
    }
}
