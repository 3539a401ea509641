//! Series-wide edits (topic, agenda, settings: one Zoom update, then every
//! occurrence that may still take place) and deleting a series (Zoom's
//! recurring meeting first, then every occurrence's slot freed).

use chrono::Utc;

use super::super::MeetingService;
use super::super::booking::{BOOKING_ATTEMPTS, RESERVATION_TTL};
use super::super::delete::deleted_writes;
use super::SeriesView;
use crate::domain::meeting::{Meeting, MeetingPatch, MeetingStatus};
use crate::domain::series::{Series, SeriesPatch, SeriesStatus};
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::meetings::{put_calendar, put_meeting};
use crate::repo::series::put_series;
use crate::store::{StoreError, Write};
use crate::zoom::ZoomError;
use crate::zoom::meetings::MeetingUpdate;

/// Occurrences marked deleted per transaction (three writes each).
const DELETED_PER_BATCH: usize = 12;

fn lost_race(e: &RepoError) -> bool {
    matches!(e, RepoError::Store(StoreError::ConditionFailed { .. }))
}

impl MeetingService {
    /// Changes every occurrence: a new time re-books them all at once and
    /// moves Zoom's meeting once; topic, agenda or settings are told Zoom
    /// once, then written to each occurrence. One edit of a series at a time.
    pub async fn patch_series(
        &self,
        academy_id: &str,
        series_id: &str,
        patch: SeriesPatch,
    ) -> Result<SeriesView, AppError> {
        let current = self.series(academy_id, series_id).await?;
        let expires = Utc::now() + RESERVATION_TTL;
        let Some(token) = self
            .meetings
            .lock_edit(academy_id, series_id, expires)
            .await?
        else {
            return Err(AppError::VersionConflict {
                current: current.version,
            });
        };
        let result = self
            .patch_series_locked(academy_id, series_id, &patch)
            .await;
        let unlocked = self.meetings.unlock_edit(academy_id, series_id, &token);
        if let Err(e) = unlocked.await {
            tracing::warn!(series_id, error = %e, "could not release a series edit lock");
        }
        result
    }

    async fn patch_series_locked(
        &self,
        academy_id: &str,
        series_id: &str,
        patch: &SeriesPatch,
    ) -> Result<SeriesView, AppError> {
        let mut current = self.series(academy_id, series_id).await?;
        if current.status != SeriesStatus::Scheduled {
            return Err(AppError::MeetingNotEditable);
        }
        let start = patch.start_time.unwrap_or(current.start_time);
        let minutes = patch.duration_minutes.unwrap_or(current.duration_minutes);
        if start != current.start_time || minutes != current.duration_minutes {
            let view = self.view_of(current.clone()).await?;
            current = self
                .move_series(&current, &view.meetings, start, minutes)
                .await?;
        }
        let as_meeting = MeetingPatch {
            topic: patch.topic.clone(),
            agenda: patch.agenda.clone(),
            settings: patch.settings.clone(),
            ..MeetingPatch::default()
        };
        let mut next = current.clone();
        apply(patch, &mut next);
        if next == current {
            return self.view_of(current).await;
        }
        let license = self.licenses.get(academy_id, &current.license_id).await?;
        let host = self.host(license).await?;
        let zoom_id = current
            .zoom_meeting_id
            .clone()
            .ok_or(AppError::MeetingNotEditable)?;
        let view = self.view_of(current.clone()).await?;
        if let Some(any) = view.meetings.first() {
            let update = MeetingUpdate::of_patch(&as_meeting, any);
            let told = self.zoom.update_meeting(&host.creds, &zoom_id, &update);
            if let Err(e) = told.await {
                return Err(self.series_refused(academy_id, series_id, e).await);
            }
        }
        for meeting in &view.meetings {
            self.patch_occurrence_record(meeting, &as_meeting).await?;
        }
        next.version = current.version + 1;
        next.updated_at = Utc::now();
        match self
            .series
            .write(vec![put_series(&next, Some(&current))])
            .await
        {
            Ok(()) => self.view_of(next).await,
            Err(e) if lost_race(&e) => match self.series(academy_id, series_id).await? {
                now if now.status == SeriesStatus::Deleted => Err(AppError::MeetingNotEditable),
                now => Err(AppError::VersionConflict {
                    current: now.version,
                }),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// What a Zoom refusal of a series edit means: a recurring meeting Zoom
    /// no longer has because a `DELETE` of the series ran meanwhile is
    /// `meeting_not_editable`, as for an edit after the delete.
    pub(super) async fn series_refused(
        &self,
        academy_id: &str,
        series_id: &str,
        e: ZoomError,
    ) -> AppError {
        super::super::deleted_meanwhile::refused(e, || async {
            let now = self.series.get(academy_id, series_id).await?;
            Ok(now.is_none_or(|s| s.status == SeriesStatus::Deleted))
        })
        .await
    }

    /// One occurrence's record with the series-wide change (read again
    /// whenever an event changed it meanwhile); deleted ones stay as they are.
    async fn patch_occurrence_record(
        &self,
        meeting: &Meeting,
        patch: &MeetingPatch,
    ) -> Result<(), AppError> {
        let mut current = meeting.clone();
        for _ in 0..BOOKING_ATTEMPTS {
            if current.status == MeetingStatus::Deleted {
                return Ok(());
            }
            let mut next = patch.apply(&current);
            if next == current {
                return Ok(());
            }
            next.version = current.version + 1;
            next.updated_at = Utc::now();
            let writes = vec![put_meeting(&next, Some(&current)), put_calendar(&next)];
            match self.meetings.write(writes).await {
                Ok(()) => return Ok(()),
                Err(e) if lost_race(&e) => {
                    let Some(now) = self
                        .meetings
                        .get(&meeting.academy_id, &meeting.meeting_id)
                        .await?
                    else {
                        return Ok(());
                    };
                    current = now;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the meeting kept changing".into(),
        ))
    }

    /// Deletes the series in Zoom (one recurring meeting), frees every
    /// occurrence's slot and keeps the records as `deleted`.
    pub async fn delete_series(&self, academy_id: &str, series_id: &str) -> Result<(), AppError> {
        let current = self.series(academy_id, series_id).await?;
        if current.status == SeriesStatus::Deleted {
            return Ok(());
        }
        self.caches.forget_schedule(&current.license_id);
        if let Some(zoom_id) = &current.zoom_meeting_id {
            match self.licenses.get(academy_id, &current.license_id).await {
                Ok(license) => {
                    let host = self.host(license).await?;
                    let deleted = self.zoom.delete_meeting(&host.creds, zoom_id);
                    crate::deadline::keeping(super::super::create::RELEASE_RESERVE, deleted)
                        .await?;
                }
                Err(AppError::LicenseNotFound) => {}
                Err(e) => return Err(e),
            }
        }
        let view = self.view_of(current.clone()).await?;
        let live: Vec<&Meeting> = view
            .meetings
            .iter()
            .filter(|m| m.status != MeetingStatus::Deleted)
            .collect();
        for batch in live.chunks(DELETED_PER_BATCH) {
            self.delete_occurrences(batch).await?;
        }
        self.mark_series_deleted(current).await?;
        tracing::info!(series_id, "series deleted");
        Ok(())
    }

    /// Marks these occurrences deleted and frees their slots, reading them
    /// again when an event changed one meanwhile.
    async fn delete_occurrences(&self, batch: &[&Meeting]) -> Result<(), AppError> {
        let mut current: Vec<Meeting> = batch.iter().map(|m| (*m).clone()).collect();
        for _ in 0..BOOKING_ATTEMPTS {
            let writes: Vec<Write> = current
                .iter()
                .filter(|m| m.status != MeetingStatus::Deleted)
                .flat_map(deleted_writes)
                .collect();
            if writes.is_empty() {
                return Ok(());
            }
            match self.meetings.write(writes).await {
                Ok(()) => return Ok(()),
                Err(e) if lost_race(&e) => {
                    let reads = current
                        .iter()
                        .map(|m| self.meetings.get(&m.academy_id, &m.meeting_id));
                    current = futures::future::try_join_all(reads)
                        .await?
                        .into_iter()
                        .flatten()
                        .collect();
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the meetings kept changing".into(),
        ))
    }

    async fn mark_series_deleted(&self, mut current: Series) -> Result<(), AppError> {
        for _ in 0..BOOKING_ATTEMPTS {
            let mut deleted = current.clone();
            deleted.status = SeriesStatus::Deleted;
            deleted.version = current.version + 1;
            deleted.updated_at = Utc::now();
            match self
                .series
                .write(vec![put_series(&deleted, Some(&current))])
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if lost_race(&e) => {
                    current = self.series(&current.academy_id, &current.series_id).await?;
                    if current.status == SeriesStatus::Deleted {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the series kept changing".into(),
        ))
    }
}

/// The series with the series-wide fields of `patch`.
fn apply(patch: &SeriesPatch, series: &mut Series) {
    if let Some(topic) = &patch.topic {
        series.topic.clone_from(topic);
    }
    if let Some(agenda) = &patch.agenda {
        series.agenda = Some(agenda.clone());
    }
    if let Some(settings) = &patch.settings {
        series.settings = series.settings.merged(settings);
    }
}
