//! Reading what webhooks stored (recordings, attendance) and pulling
//! recordings from Zoom for licenses without webhooks.

use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::verify::credentials;
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
}

/// A meeting's recording files (in recording order) and its share link.
#[derive(Debug, Clone)]
pub struct MeetingRecordings {
    pub files: Vec<RecordingFile>,
    pub share_url: Option<String>,
    pub play_passcode: Option<String>,
}

impl MeetingRecordings {
    fn of(meeting: &Meeting, mut files: Vec<RecordingFile>) -> Self {
        files.sort_by(|a, b| {
            (&a.recording_start, &a.recording_id).cmp(&(&b.recording_start, &b.recording_id))
        });
        Self {
            files,
            share_url: meeting.share_url.clone(),
            play_passcode: meeting.play_passcode.clone(),
        }
    }
}

impl RecordingService {
    pub fn new(
        licenses: LicenseService,
        meetings: MeetingService,
        recordings: RecordingRepo,
        zoom: ZoomClient,
    ) -> Self {
        Self {
            licenses,
            meetings,
            recordings,
            zoom,
        }
    }

    pub async fn recordings(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingRecordings, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let files = self.recordings.recordings(meeting_id).await?;
        Ok(MeetingRecordings::of(&meeting, files))
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
        let target = meeting.zoom_uuid.clone().unwrap_or(zoom_id);
        // No recording (yet): nothing to merge.
        // Time is kept for storing what Zoom lists.
        let listed = self.zoom.meeting_recordings(&creds, &target);
        let answer = crate::deadline::keeping(STORE_RESERVE, listed).await?;
        let mut writes: Vec<_> = answer
            .recording_files
            .iter()
            .filter_map(|f| f.to_recording_file("completed"))
            .map(|f| put_recording(meeting_id, &f))
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
            writes.push(put_meeting(&next, Some(&meeting)));
            writes.push(put_calendar(&next));
        }
        for chunk in writes.chunks(crate::store::MAX_BATCH) {
            self.recordings.write(chunk.to_vec()).await?;
        }
        self.recordings(academy_id, meeting_id).await
    }
}
