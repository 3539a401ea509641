//! Reading what webhooks stored (recordings, attendance) and pulling
//! recordings from Zoom for licenses without webhooks.

use reqwest::Method;
use serde_json::{Value, json};

use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::verify::credentials;
use crate::domain::meeting::Meeting;
use crate::domain::recording::RecordingFile;
use crate::error::AppError;
use crate::repo::meetings::{put_calendar, put_meeting};
use crate::repo::recordings::{RecordingRepo, put_recording};
use crate::zoom::ZoomClient;
use crate::zoom::encode::meeting_ref;
use crate::zoom::events::ZoomRecordings;

#[derive(Clone)]
pub struct RecordingService {
    licenses: LicenseService,
    meetings: MeetingService,
    recordings: RecordingRepo,
    zoom: ZoomClient,
}

fn recordings_view(meeting: &Meeting, files: &[RecordingFile]) -> Value {
    let mut files: Vec<&RecordingFile> = files.iter().collect();
    files.sort_by(|a, b| {
        (&a.recording_start, &a.recording_id).cmp(&(&b.recording_start, &b.recording_id))
    });
    json!({
        "items": files.iter().map(|f| f.view()).collect::<Vec<_>>(),
        "shareUrl": meeting.share_url,
        "playPasscode": meeting.play_passcode,
    })
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

    pub async fn recordings(&self, academy_id: &str, meeting_id: &str) -> Result<Value, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let files = self.recordings.recordings(meeting_id).await?;
        Ok(recordings_view(&meeting, &files))
    }

    pub async fn attendance(&self, academy_id: &str, meeting_id: &str) -> Result<Value, AppError> {
        self.meetings.get(academy_id, meeting_id).await?;
        let mut people = self.recordings.attendance(meeting_id).await?;
        people.sort_by(|a, b| a.participant_id.cmp(&b.participant_id));
        let items: Vec<Value> = people.iter().map(|a| a.view()).collect();
        Ok(json!({ "totalParticipants": items.len(), "items": items }))
    }

    /// Pulls `GET /meetings/{uuid or id}/recordings` and merges it into the
    /// records webhooks write (same keys: no duplicates).
    pub async fn sync(&self, academy_id: &str, meeting_id: &str) -> Result<Value, AppError> {
        let meeting = self.meetings.get(academy_id, meeting_id).await?;
        let Some(zoom_id) = meeting.zoom_meeting_id.clone() else {
            return self.recordings(academy_id, meeting_id).await;
        };
        let license = self.licenses.get(academy_id, &meeting.license_id).await?;
        let secrets = self.licenses.secrets_of(&license).await?;
        let creds = credentials(&license, &secrets);
        // The instance UUID names the exact occurrence; the id names the latest one.
        let target = meeting.zoom_uuid.clone().unwrap_or(zoom_id);
        let path = format!("/meetings/{}/recordings", meeting_ref(&target));
        let answer = match self.zoom.call(&creds, Method::GET, &path, &[], None).await {
            Ok(answer) => ZoomRecordings::from_answer(answer.json::<Value>()?),
            // No recording (yet): nothing to merge.
            Err(e) if e.is_not_found() || e.code() == Some(3301) => ZoomRecordings::default(),
            Err(e) => return Err(e.into()),
        };
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
