//! What `maintenance` does with a series time change whose request died:
//! before its commit point, Zoom put back and the new bookings freed; after
//! it, the occurrences brought to the series' times.

use super::super::MeetingService;
use super::moves::{occurrences_of, zoom_time_of};
use crate::app::maintenance::Resolved;
use crate::error::AppError;
use crate::repo::repairs::{Repair, close_claimed};
use crate::repo::schedule::remove_booking;

impl MeetingService {
    /// Resolves a [`Repair::SeriesMove`] claimed by `claim`: committed, or
    /// Zoom put back and the new bookings freed.
    pub(crate) async fn resolve_series_move(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::SeriesMove {
            academy_id,
            series_id,
            license_id,
            zoom_meeting_id,
            bookings,
            ..
        } = repair
        else {
            return Err(AppError::Internal("not a series move repair".into()));
        };
        let close = close_claimed(repair, claim);
        let series = self.series.get(academy_id, series_id).await?;
        let committed = series.as_ref().is_some_and(|s| {
            s.occurrences
                .iter()
                .zip(bookings)
                .all(|(o, b)| o.start_time == b.start_time)
        });
        if let Some(series) = series.filter(|_| !committed)
            && let Ok(license) = self.licenses.get(academy_id, license_id).await
        {
            let host = self.host(license).await?;
            let back = zoom_time_of(&series, &occurrences_of(&series))?;
            match self
                .zoom
                .update_meeting(&host.creds, zoom_meeting_id, &back)
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut writes = vec![close];
        if !committed {
            self.caches.forget_schedule(license_id);
            for b in bookings {
                if let Some(held) = self.schedule.booking(license_id, b).await?
                    && held.expires_at == b.expires_at
                {
                    writes.push(remove_booking(license_id, b));
                }
            }
        }
        self.series.write(writes).await?;
        Ok(Resolved::Done)
    }

    /// Resolves a [`Repair::SeriesFollow`] claimed by `claim`.
    pub(crate) async fn resolve_series_follow(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::SeriesFollow {
            academy_id,
            series_id,
        } = repair
        else {
            return Err(AppError::Internal("not a series follow-up repair".into()));
        };
        if let Some(series) = self.series.get(academy_id, series_id).await? {
            self.follow(&series).await?;
        }
        self.series
            .write(vec![close_claimed(repair, claim)])
            .await?;
        Ok(Resolved::Done)
    }
}
