//! Reading what webhooks stored (recordings, attendance) and pulling
//! recordings from Zoom for licenses without webhooks.

use super::archive::Archives;
use super::instances::instance_of;
use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::verify::credentials;
use crate::domain::archive::{Archive, ArchiveMode};
use crate::domain::attendance::Attendance;
use crate::domain::meeting::Meeting;
use crate::domain::recording::RecordingFile;
use crate::error::AppError;
use crate::repo::meetings::{put_calendar, put_meeting};
use crate::repo::recordings::{RecordingRepo, put_recording};
use crate::zoom::ZoomClient;

/// Kept back from asking Zoom, for the writes after it.
const STORE_RESERVE: std::time::Duration = std::time::Duration::from_millis(1500);

#[derive(Clone)]
pub struct RecordingService {
    licenses: LicenseService,
    meetings: MeetingService,
    recordings: RecordingRepo,
    zoom: ZoomClient,
    archives: Archives,
}

/// A meeting's recording files (in recording order), each with its archive
/// state, and its share link.
#[derive(Debug, Clone)]
pub struct MeetingRecordings {
    pub files: Vec<(RecordingFile, Archive)>,
    pub share_url: Option<String>,
    pub play_passcode: Option<String>,
}

impl MeetingRecordings {
    fn of(meeting: &Meeting, mut files: Vec<RecordingFile>, archives: Vec<Archive>) -> Self {
        files.sort_by(|a, b| {
            (&a.recording_start, &a.recording_id).cmp(&(&b.recording_start, &b.recording_id))
        });
        let files: Vec<_> = files
            .into_iter()
            .map(|file| {
                let archive = archives
                    .iter()
                    .find(|a| a.recording_id == file.recording_id)
                    .cloned()
                    // Recorded before archiving existed, or not completed.
                    .unwrap_or_else(|| Archive::new(&file.recording_id, ArchiveMode::Off));
                (file, archive)
            })
            .collect();
        // Zoom's share link opens every file of the meeting: it is shown
        // only while none is unpublished.
        let all_published = files.iter().all(|(_, a)| a.published);
        Self {
            files,
            share_url: meeting.share_url.clone().filter(|_| all_published),
            play_passcode: meeting.play_passcode.clone().filter(|_| all_published),
        }
    }

    /// One file and its state.
    pub fn file(&self, recording_id: &str) -> Option<&(RecordingFile, Archive)> {
        self.files
            .iter()
            .find(|(f, _)| f.recording_id == recording_id)
    }
}

impl RecordingService {
    pub fn new(
        licenses: LicenseService,
        meetings: MeetingService,
        recordings: RecordingRepo,
        zoom: ZoomClient,
        archives: Archives,
    ) -> Self {
        Self {
            licenses,
            meetings,
            recordings,
            zoom,
            archives,
        }
    }

    pub async fn recordings(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingRecordings, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let files = self.recordings.recordings(meeting_id).await?;
        let archives = self.archives.of_meeting(meeting_id).await?;
        Ok(MeetingRecordings::of(&meeting, files, archives))
    }

    /// One file of a meeting of the academy, with its state (404 otherwise).
    pub async fn recording(
        &self,
        academy_id: &str,
        meeting_id: &str,
        recording_id: &str,
    ) -> Result<(RecordingFile, Archive), AppError> {
        let all = self.recordings(academy_id, meeting_id).await?;
        all.file(recording_id)
            .cloned()
            .ok_or(AppError::RecordingNotFound)
    }

    /// `POST .../recordings/{id}/archive`.
    pub async fn archive_again(
        &self,
        academy_id: &str,
        meeting_id: &str,
        recording_id: &str,
    ) -> Result<(RecordingFile, Archive), AppError> {
        let (file, _) = self.recording(academy_id, meeting_id, recording_id).await?;
        let job = crate::queue::ArchiveJob {
            academy_id: academy_id.to_owned(),
            meeting_id: meeting_id.to_owned(),
            recording_id: recording_id.to_owned(),
        };
        let archive = self.archives.retry(&job).await?;
        Ok((file, archive))
    }

    /// `PATCH .../recordings/{id}` `{"published": ...}`.
    pub async fn publish(
        &self,
        academy_id: &str,
        meeting_id: &str,
        recording_id: &str,
        published: bool,
    ) -> Result<(RecordingFile, Archive), AppError> {
        let (file, _) = self.recording(academy_id, meeting_id, recording_id).await?;
        let archive = self
            .archives
            .set_published(meeting_id, recording_id, published)
            .await?;
        Ok((file, archive))
    }

    /// `GET .../recordings/{id}/download`: where the copy can be read.
    pub async fn download(
        &self,
        academy_id: &str,
        meeting_id: &str,
        recording_id: &str,
    ) -> Result<(Archive, crate::objects::ObjectLink), AppError> {
        self.recording(academy_id, meeting_id, recording_id).await?;
        self.archives.link(meeting_id, recording_id).await
    }

    /// Everyone who attended, by participant.
    pub async fn attendance(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<Vec<Attendance>, AppError> {
        self.meetings.get(academy_id, meeting_id).await?;
        let mut people = self.recordings.attendance(meeting_id).await?;
        people.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
        Ok(people)
    }

    /// Pulls `GET /meetings/{uuid or id}/recordings` and merges it into the
    /// records webhooks write (same keys: no duplicates).
    pub async fn sync(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingRecordings, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let Some(zoom_id) = meeting.zoom_meeting_id.clone() else {
            return self.recordings(academy_id, meeting_id).await;
        };
        let license = self.licenses.get(academy_id, &meeting.license_id).await?;
        let secrets = self.licenses.secrets_of(&license).await?;
        let creds = credentials(&license, &secrets);
        // The instance UUID names the exact occurrence; the id names the latest one.
        let Some(target) = instance_of(&self.zoom, &creds, &meeting, zoom_id).await? else {
            // An occurrence Zoom lists no instance of: nothing recorded yet.
            return self.recordings(academy_id, meeting_id).await;
        };
        // No recording (yet): nothing to merge.
        // Time is kept for storing what Zoom lists.
        let listed = self.zoom.meeting_recordings(&creds, &target);
        let answer = crate::deadline::keeping(STORE_RESERVE, listed).await?;
        let files: Vec<RecordingFile> = answer
            .recording_files
            .iter()
            .filter_map(|f| f.to_recording_file("completed"))
            .collect();
        let mode = license.recording_archive;
        let mut new = self
            .archives
            .for_new_files(academy_id, meeting_id, mode, &files)
            .await?;
        // One group per file: its record with its archive state and job,
        // never split across batches.
        let mut groups: Vec<Vec<_>> = files
            .iter()
            .map(|f| {
                let mut group = vec![put_recording(meeting_id, f)];
                group.extend(new.take(&f.recording_id));
                group
            })
            .collect();
        let mut next = meeting.clone();
        if let Some(share) = answer.share_url {
            next.share_url = Some(share);
        }
        if let Some(code) = answer.recording_play_passcode {
            next.play_passcode = Some(code);
        }
        if next != meeting {
            next.version += 1;
            groups.push(vec![
                put_meeting(&next, Some(&meeting)),
                put_calendar(&next),
            ]);
        }
        for batch in batches(groups) {
            self.recordings.write(batch).await?;
        }
        self.archives.sent(&new.jobs).await;
        self.recordings(academy_id, meeting_id).await
    }
}

/// Groups of writes packed into batches of at most [`crate::store::MAX_BATCH`],
/// a group never split.
fn batches(groups: Vec<Vec<crate::store::Write>>) -> Vec<Vec<crate::store::Write>> {
    let mut out: Vec<Vec<crate::store::Write>> = Vec::new();
    for group in groups {
        match out.last_mut() {
            Some(last) if last.len() + group.len() <= crate::store::MAX_BATCH => last.extend(group),
            _ => out.push(group),
        }
    }
    out
}
