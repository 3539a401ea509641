//! Recordings kept (API.md "Recording archive"): every completed Zoom file
//! gets an archive job in the same step that stores its record, the
//! [`archiver`] copies it into the academy's object store, and the academy
//! decides who gets a link (publish / unpublish).
//!
//! - [`Archives`]: new files' state and jobs, retry, publish, links
//! - [`archiver`]: one attempt at one job
//! - [`transfer`]: the bytes, streamed and checked
//! - [`worker`]: the local server's consumer of the queue

pub mod archiver;
pub mod transfer;
pub mod worker;

use std::collections::HashSet;
use std::sync::Arc;

use super::maintenance::Resolved;
use crate::domain::archive::{Archive, ArchiveMode, ArchiveStatus};
use crate::domain::recording::RecordingFile;
use crate::error::AppError;
use crate::objects::{ObjectLink, ObjectStore};
use crate::queue::{ArchiveJob, JobQueue};
use crate::repo::RepoError;
use crate::repo::archives::{ArchiveRepo, create_archive};
use crate::repo::repairs::{
    Repair, RepairRecord, RepairRepo, close_claimed, close_repair, open_outbox,
};
use crate::store::{Store, StoreError, Write};

/// How long a download link lasts (API.md: 10 minutes).
pub const LINK_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// An outbox record's owner is taken as dead this long after it wrote it
/// (when no request deadline says otherwise).
const SEND_FALLBACK: chrono::Duration = chrono::Duration::seconds(30);

#[derive(Clone)]
pub struct Archives {
    repo: ArchiveRepo,
    repairs: RepairRepo,
    queue: Arc<dyn JobQueue>,
    objects: Arc<dyn ObjectStore>,
}

/// The writes that give new files their archive state and jobs, one group
/// per file (a group is never split across batches), and the jobs to send
/// once they committed.
#[derive(Debug, Default)]
pub struct NewArchives {
    pub groups: Vec<(String, Vec<Write>)>,
    pub jobs: Vec<ArchiveJob>,
}

impl NewArchives {
    /// The writes of the file `recording_id`, if it is new.
    pub fn take(&mut self, recording_id: &str) -> Vec<Write> {
        match self.groups.iter().position(|(id, _)| id == recording_id) {
            Some(at) => self.groups.swap_remove(at).1,
            None => Vec::new(),
        }
    }
}

impl Archives {
    pub fn new(
        store: Arc<dyn Store>,
        queue: Arc<dyn JobQueue>,
        objects: Arc<dyn ObjectStore>,
    ) -> Self {
        Self {
            repo: ArchiveRepo::new(store.clone()),
            repairs: RepairRepo::new(store),
            queue,
            objects,
        }
    }

    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.objects
    }

    pub async fn of_meeting(&self, meeting_id: &str) -> Result<Vec<Archive>, AppError> {
        Ok(self.repo.of_meeting(meeting_id).await?)
    }

    /// Archive state (and a job, unless the license's mode is `off`) for
    /// each completed file that has none yet. Each state is created only if
    /// absent, so two steps that both saw a file as new cannot both give it
    /// a job: the second one's batch fails and reads again.
    pub async fn for_new_files(
        &self,
        academy_id: &str,
        meeting_id: &str,
        mode: ArchiveMode,
        files: &[RecordingFile],
    ) -> Result<NewArchives, AppError> {
        let known: HashSet<String> = self
            .repo
            .of_meeting(meeting_id)
            .await?
            .into_iter()
            .map(|a| a.recording_id)
            .collect();
        let mut new = NewArchives::default();
        for file in files {
            if file.status != "completed" || known.contains(&file.recording_id) {
                continue;
            }
            let archive = Archive::new(&file.recording_id, mode);
            let mut writes = vec![create_archive(meeting_id, &archive)];
            if archive.wants_copy() {
                let job = ArchiveJob {
                    academy_id: academy_id.to_owned(),
                    meeting_id: meeting_id.to_owned(),
                    recording_id: file.recording_id.clone(),
                };
                writes.push(self.enqueue(&job));
                new.jobs.push(job);
            }
            new.groups.push((file.recording_id.clone(), writes));
        }
        Ok(new)
    }

    /// The write that makes `job` durable in the batch: the job itself in a
    /// store queue, else an outbox record that `maintenance` sends from
    /// should this process die before [`Archives::sent`].
    fn enqueue(&self, job: &ArchiveJob) -> Write {
        match self.queue.in_batch(job) {
            Some(write) => write,
            None => open_outbox(&RepairRecord::new(
                Repair::Enqueue { job: job.clone() },
                SEND_FALLBACK,
            )),
        }
    }

    /// After the batch with [`Archives::enqueue`]'s writes committed: the
    /// jobs handed to the queue, their outbox records closed. A send that
    /// fails is left to `maintenance` (the record stays).
    pub async fn sent(&self, jobs: &[ArchiveJob]) {
        for job in jobs {
            if let Err(e) = self.queue.send(job).await {
                tracing::warn!(job = %job.id(), error = %e, "archive job not sent yet: maintenance will");
                continue;
            }
            if self.queue.in_batch(job).is_some() {
                continue;
            }
            let close = close_repair(&Repair::Enqueue { job: job.clone() });
            match self.repairs.write(vec![close]).await {
                // Claimed by a maintenance run meanwhile: it sends it again (harmless).
                Ok(()) | Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {}
                Err(e) => {
                    tracing::warn!(job = %job.id(), error = %e, "outbox record left to maintenance")
                }
            }
        }
    }

    /// `maintenance`: sends a job whose sender died, and closes its record.
    pub(crate) async fn resolve_enqueue(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::Enqueue { job } = repair else {
            return Err(AppError::Internal("not an enqueue repair".into()));
        };
        if self.queue.send(job).await.is_err() {
            return Ok(Resolved::NotYet);
        }
        match self.repairs.write(vec![close_claimed(repair, claim)]).await {
            Ok(()) | Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                Ok(Resolved::Done)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `POST .../recordings/{id}/archive`: a failed (or `off`, or stuck)
    /// file gets a fresh set of attempts; an archived one is left as it is.
    pub async fn retry(&self, job: &ArchiveJob) -> Result<Archive, AppError> {
        let restarted = self
            .change(&job.meeting_id, &job.recording_id, |archive| {
                if archive.status == ArchiveStatus::Archived {
                    return None;
                }
                archive.restart();
                Some(vec![self.enqueue(job)])
            })
            .await?;
        if restarted.status == ArchiveStatus::Pending {
            self.sent(std::slice::from_ref(job)).await;
        }
        Ok(restarted)
    }

    /// `PATCH .../recordings/{id}` `{"published": ...}`.
    pub async fn set_published(
        &self,
        meeting_id: &str,
        recording_id: &str,
        published: bool,
    ) -> Result<Archive, AppError> {
        self.change(meeting_id, recording_id, |archive| {
            if archive.published == published {
                return None;
            }
            archive.published = published;
            Some(Vec::new())
        })
        .await
    }

    /// Reads the file's state, lets `edit` change it (with writes for the
    /// same batch; `None`: nothing to change) and writes it back under its
    /// version, reading again when somebody wrote first.
    async fn change(
        &self,
        meeting_id: &str,
        recording_id: &str,
        edit: impl Fn(&mut Archive) -> Option<Vec<Write>>,
    ) -> Result<Archive, AppError> {
        for _ in 0..3 {
            let current = self.existing(meeting_id, recording_id).await?;
            let mut next = current.clone();
            let Some(also) = edit(&mut next) else {
                return Ok(current);
            };
            if self
                .repo
                .replace(meeting_id, &current, &mut next, also)
                .await?
            {
                return Ok(next);
            }
        }
        Err(AppError::StoreUnavailable(
            "the recording kept changing".into(),
        ))
    }

    /// A link to the copy, for a published file that is archived.
    pub async fn link(
        &self,
        meeting_id: &str,
        recording_id: &str,
    ) -> Result<(Archive, ObjectLink), AppError> {
        let archive = self.existing(meeting_id, recording_id).await?;
        if !archive.published {
            return Err(AppError::RecordingUnpublished);
        }
        let (ArchiveStatus::Archived, Some(key)) = (archive.status, archive.object_key.as_deref())
        else {
            return Err(AppError::RecordingNotArchived);
        };
        let filename = key.rsplit('/').next().unwrap_or("recording").to_owned();
        match self.objects.link(key, LINK_TTL, &filename).await {
            Ok(link) => Ok((archive, link)),
            Err(crate::objects::ObjectError::NotFound) => Err(AppError::RecordingNotArchived),
            Err(e) => Err(AppError::StoreUnavailable(e.to_string())),
        }
    }

    /// The state of a file we know; a file recorded before archiving
    /// existed (no state) reads as `off`.
    async fn existing(&self, meeting_id: &str, recording_id: &str) -> Result<Archive, AppError> {
        Ok(self
            .repo
            .get(meeting_id, recording_id)
            .await?
            .unwrap_or_else(|| {
                let mut legacy = Archive::new(recording_id, ArchiveMode::Off);
                legacy.version = 0;
                legacy
            }))
    }
}
