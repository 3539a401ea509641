//! Which occurrence of a class series a Zoom event is about. Every
//! occurrence shares the series' Zoom meeting id, and Zoom's events carry no
//! `occurrence_id` (ZOOM-2.md D), only the instance's `uuid` and
//! `start_time`: an instance UUID matched before names its occurrence;
//! otherwise the occurrence scheduled nearest to the instance's start is
//! taken (a heuristic, UNCONFIRMED), and the UUID is remembered with the
//! event's effect so every later event of that instance lands there too.
//! A `meeting.deleted` names its occurrences (or none: the whole series).

use sha2::{Digest, Sha256};

use super::{WebhookOutcome, WebhookService, event_time};
use crate::domain::series::{Series, SeriesStatus};
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::recordings::{Owned, event_seen};
use crate::repo::series::{put_instance, put_series};
use crate::store::{StoreError, Write};
use crate::zoom::events::ZoomEvent;

/// The occurrence matched, and the write that remembers its instance.
pub(super) struct Matched {
    pub meeting_id: String,
    pub remember: Option<Write>,
}

impl WebhookService {
    pub(super) async fn occurrence_of(
        &self,
        academy_id: &str,
        series_id: &str,
        zoom_id: &str,
        event: &ZoomEvent,
    ) -> Result<Option<Matched>, AppError> {
        let Some(about) = event.about() else {
            return Ok(None);
        };
        let uuid = about.meeting.uuid.as_deref().filter(|u| !u.is_empty());
        if let Some(uuid) = uuid
            && let Some(meeting_id) = self.series.instance(zoom_id, uuid).await?
        {
            return Ok(Some(Matched {
                meeting_id,
                remember: None,
            }));
        }
        let Some(series) = self.series.get(academy_id, series_id).await? else {
            return Ok(None);
        };
        let ts = about.event_ts.map(str::to_owned);
        let start = about
            .meeting
            .started_at()
            .unwrap_or_else(|| event_time(&ts));
        Ok(series.nearest(start).map(|o| Matched {
            meeting_id: o.meeting_id.clone(),
            remember: uuid.map(|u| put_instance(zoom_id, u, &o.meeting_id)),
        }))
    }
}

impl WebhookService {
    /// `meeting.deleted` of a series' recurring meeting: the academy and the
    /// occurrences' meetings it deletes — those it names by
    /// `occurrence_id`, or every one when it names none (the host deleted
    /// the whole meeting in Zoom; the series is then marked deleted too).
    /// `None` for any other event or owner.
    pub(super) async fn series_deletion(
        &self,
        license_id: &str,
        zoom_id: &str,
        event: &ZoomEvent,
    ) -> Result<Option<(String, Vec<String>)>, AppError> {
        let ZoomEvent::MeetingDeleted(e) = event else {
            return Ok(None);
        };
        let owner = match self.recordings.by_zoom_id(zoom_id).await? {
            Some(owner) if owner.license_id == license_id => owner,
            _ => return Ok(None),
        };
        let Owned::Series(series_id) = owner.of else {
            return Ok(None);
        };
        let Some(series) = self.series.get(&owner.academy_id, &series_id).await? else {
            return Ok(None);
        };
        let named = &e.payload.object.occurrences;
        let targets: Vec<String> = if named.is_empty() {
            self.series_gone(&series).await?;
            series
                .occurrences
                .iter()
                .map(|o| o.meeting_id.clone())
                .collect()
        } else {
            series
                .occurrences
                .iter()
                .filter(|o| {
                    named
                        .iter()
                        .any(|n| n.occurrence_id.is_some() && n.occurrence_id == o.occurrence_id)
                })
                .map(|o| o.meeting_id.clone())
                .collect()
        };
        Ok(Some((owner.academy_id, targets)))
    }

    /// Marks a series deleted in Zoom as deleted here (its occurrences follow).
    async fn series_gone(&self, series: &Series) -> Result<(), AppError> {
        if series.status != SeriesStatus::Scheduled {
            return Ok(());
        }
        let mut gone = series.clone();
        gone.status = SeriesStatus::Deleted;
        gone.version = series.version + 1;
        gone.updated_at = chrono::Utc::now();
        match self
            .series
            .write(vec![put_series(&gone, Some(series))])
            .await
        {
            // Changed meanwhile: the next delivery of the event does it.
            Ok(()) | Err(RepoError::Store(StoreError::ConditionFailed { .. })) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// One event applied to several meetings, each exactly once (each has
    /// its own record that the event was seen).
    pub(super) async fn apply_to_each(
        &self,
        academy_id: &str,
        meeting_ids: &[String],
        event: &ZoomEvent,
        hash: &str,
    ) -> Result<WebhookOutcome, AppError> {
        let mut applied = false;
        for meeting_id in meeting_ids {
            let own = dedupe_for(hash, meeting_id);
            let seen = || vec![event_seen(&own, event.name(), None)];
            let outcome = self.apply_to(academy_id, meeting_id, event, seen).await?;
            applied |= outcome == WebhookOutcome::Applied;
        }
        Ok(if applied || meeting_ids.is_empty() {
            WebhookOutcome::Applied
        } else {
            WebhookOutcome::Duplicate
        })
    }
}

/// The dedupe key of an event applied to one of several meetings.
fn dedupe_for(hash: &str, meeting_id: &str) -> String {
    hex::encode(Sha256::digest(format!("{hash}|{meeting_id}").as_bytes()))
}
