//! One attempt at one archive job: the file's state is set `archiving`
//! (its attempt counted), its bytes streamed from Zoom into the object
//! store with a credential fetched for this attempt alone, and the state
//! set `archived` (byte count and SHA-256) or back to `pending` with the
//! reason — `failed` after the fifth attempt. Only a verified copy lets
//! `archive_and_trash` move the Zoom file to Zoom's trash.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::transfer::{self, Copied};
use crate::app::licenses::LicenseService;
use crate::app::verify::credentials;
use crate::domain::archive::{self, Archive, ArchiveFailure, ArchiveMode, ArchiveStatus};
use crate::error::AppError;
use crate::objects::ObjectStore;
use crate::queue::{Delivery, JobQueue, QueueError};
use crate::repo::archives::ArchiveRepo;
use crate::repo::meetings::MeetingRepo;
use crate::store::Store;
use crate::zoom::ZoomClient;
use crate::zoom::downloads::DownloadError;

/// Kept back from the transfer for recording how it went.
const RECORD_RESERVE: Duration = Duration::from_secs(10);

/// What to do with the job after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Finished (archived, or nothing to do): the job goes.
    Done,
    /// Try again after this.
    RetryAfter(Duration),
    /// Given up: the dead letters keep it.
    Dead,
}

#[derive(Clone)]
pub struct Archiver {
    repo: ArchiveRepo,
    meetings: MeetingRepo,
    licenses: LicenseService,
    zoom: ZoomClient,
    objects: Arc<dyn ObjectStore>,
    /// The first backoff (doubled per failure).
    retry_base: Duration,
}

/// Where the copy went.
struct Landed {
    copied: Copied,
    key: String,
    content_type: &'static str,
}

impl Archiver {
    pub fn new(
        store: Arc<dyn Store>,
        licenses: LicenseService,
        zoom: ZoomClient,
        objects: Arc<dyn ObjectStore>,
        retry_base: Duration,
    ) -> Self {
        Self {
            repo: ArchiveRepo::new(store.clone()),
            meetings: MeetingRepo::new(store),
            licenses,
            zoom,
            objects,
            retry_base,
        }
    }

    /// One attempt, then the job settled on `queue` as it came out.
    pub async fn process(
        &self,
        queue: &dyn JobQueue,
        delivery: &Delivery,
    ) -> Result<Settle, QueueError> {
        let settle = self.attempt(delivery).await;
        match settle {
            Settle::Done => queue.done(delivery).await?,
            Settle::RetryAfter(delay) => queue.retry_after(delivery, delay).await?,
            Settle::Dead => queue.dead(delivery).await?,
        }
        Ok(settle)
    }

    /// One attempt at the job; a store that is down only delays it.
    pub async fn attempt(&self, delivery: &Delivery) -> Settle {
        match self.try_attempt(delivery).await {
            Ok(settle) => settle,
            Err(e) => {
                tracing::warn!(job = %delivery.job.id(), error = %e, "archive attempt not recorded; retried");
                Settle::RetryAfter(archive::backoff(self.retry_base, delivery.receive_count))
            }
        }
    }

    async fn try_attempt(&self, delivery: &Delivery) -> Result<Settle, AppError> {
        let job = &delivery.job;
        let Some(current) = self.repo.get(&job.meeting_id, &job.recording_id).await? else {
            return Ok(Settle::Done);
        };
        if !current.wants_copy() {
            return Ok(Settle::Done);
        }
        let mut working = current.clone();
        working.status = ArchiveStatus::Archiving;
        working.attempts = (current.attempts + 1).max(delivery.receive_count);
        if !self
            .repo
            .replace(&job.meeting_id, &current, &mut working, Vec::new())
            .await?
        {
            // Changed meanwhile (a retry, a publish): look again shortly.
            return Ok(Settle::RetryAfter(Duration::from_secs(1)));
        }
        let landed = crate::deadline::keeping(RECORD_RESERVE, self.copy(delivery, &working)).await;
        let mut next = working.clone();
        let settle = match landed {
            Ok(landed) => {
                next.status = ArchiveStatus::Archived;
                next.bytes = Some(landed.copied.bytes);
                next.sha256 = Some(landed.copied.sha256);
                next.archived_at = Some(Utc::now());
                next.object_key = Some(landed.key);
                next.content_type = Some(landed.content_type.to_owned());
                next.error = None;
                Settle::Done
            }
            Err(failure) => {
                tracing::warn!(job = %job.id(), attempt = next.attempts, code = %failure.code, reason = %failure.message, "archive attempt failed");
                next.attempt_failed(failure);
                if next.status == ArchiveStatus::Failed {
                    Settle::Dead
                } else {
                    Settle::RetryAfter(archive::backoff(self.retry_base, next.attempts))
                }
            }
        };
        if !self
            .repo
            .replace(&job.meeting_id, &working, &mut next, Vec::new())
            .await?
        {
            return Ok(Settle::RetryAfter(Duration::from_secs(1)));
        }
        if next.status == ArchiveStatus::Archived {
            tracing::info!(job = %job.id(), bytes = next.bytes.unwrap_or(0), "recording archived");
            self.trash_if_asked(delivery, &next).await?;
        }
        Ok(settle)
    }

    /// Streams the file into the object store.
    async fn copy(&self, delivery: &Delivery, archive: &Archive) -> Result<Landed, ArchiveFailure> {
        let job = &delivery.job;
        let unavailable = |e: AppError| ArchiveFailure::new("store_unavailable", e.to_string());
        let meeting = self
            .meetings
            .get(&job.academy_id, &job.meeting_id)
            .await
            .map_err(|e| unavailable(e.into()))?
            .ok_or_else(|| ArchiveFailure::new("meeting_gone", "the meeting is gone"))?;
        let license = self
            .licenses
            .get(&job.academy_id, &meeting.license_id)
            .await
            .map_err(unavailable)?;
        let secrets = self
            .licenses
            .secrets_of(&license)
            .await
            .map_err(unavailable)?;
        let creds = credentials(&license, &secrets);
        let Some(instance) = meeting
            .zoom_uuid
            .clone()
            .or(meeting.zoom_meeting_id.clone())
        else {
            return Err(ArchiveFailure::new(
                "file_gone",
                "the meeting has no Zoom meeting",
            ));
        };
        let source = self
            .zoom
            .download_source(&creds, &instance, &archive.recording_id)
            .await
            .map_err(|e| ArchiveFailure::new("zoom_unavailable", e.to_string()))?
            .ok_or_else(|| ArchiveFailure::new("file_gone", "Zoom no longer lists the file"))?;
        let response = self.zoom.open_download(&source).await.map_err(|e| {
            let code = match e {
                DownloadError::NotTheFile { .. } => "not_a_recording",
                DownloadError::Refused(_) => "download_refused",
                DownloadError::Transport(_) => "transfer_cut",
            };
            ArchiveFailure::new(code, e.to_string())
        })?;
        let file = &source.file;
        let ext = file.file_extension.as_deref().unwrap_or_default();
        let key = archive::object_key(&job.academy_id, &job.meeting_id, &archive.recording_id, ext);
        let content_type =
            archive::content_type(file.file_type.as_deref(), file.file_extension.as_deref());
        let upload = self
            .objects
            .upload(&key, content_type)
            .await
            .map_err(|e| ArchiveFailure::new("object_store_unavailable", e.to_string()))?;
        let expected = file.file_size;
        drop(source);
        let copied = match crate::deadline::remaining() {
            Some(left) => tokio::time::timeout(left, transfer::copy(response, expected, upload))
                .await
                .map_err(|_| {
                    ArchiveFailure::new("out_of_time", "the transfer did not end in time")
                })?,
            None => transfer::copy(response, expected, upload).await,
        }?;
        Ok(Landed {
            copied,
            key,
            content_type,
        })
    }

    /// `archive_and_trash`: the Zoom file to Zoom's trash, once the copy
    /// is verified (it is, when this runs). A refusal is logged and left:
    /// the copy stands, and the file stays in Zoom.
    async fn trash_if_asked(
        &self,
        delivery: &Delivery,
        archived: &Archive,
    ) -> Result<(), AppError> {
        let job = &delivery.job;
        let Some(meeting) = self.meetings.get(&job.academy_id, &job.meeting_id).await? else {
            return Ok(());
        };
        let license = self
            .licenses
            .get(&job.academy_id, &meeting.license_id)
            .await?;
        if license.recording_archive != ArchiveMode::ArchiveAndTrash {
            return Ok(());
        }
        let Some(instance) = meeting
            .zoom_uuid
            .clone()
            .or(meeting.zoom_meeting_id.clone())
        else {
            return Ok(());
        };
        let secrets = self.licenses.secrets_of(&license).await?;
        let creds = credentials(&license, &secrets);
        match self
            .zoom
            .trash_recording_file(&creds, &instance, &archived.recording_id)
            .await
        {
            Ok(()) => {
                let mut next = archived.clone();
                next.trashed_in_zoom_at = Some(Utc::now());
                self.repo
                    .replace(&job.meeting_id, archived, &mut next, Vec::new())
                    .await?;
                tracing::info!(job = %job.id(), "archived file moved to Zoom's trash");
            }
            Err(e) => {
                tracing::warn!(job = %job.id(), error = %e, "the archived file could not be moved to Zoom's trash");
            }
        }
        Ok(())
    }
}
