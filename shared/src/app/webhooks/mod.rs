//! Zoom's pushed events: verified against the license's secret token over the
//! raw bytes, then applied exactly once — the record that an event was seen is
//! written in the same transaction as its effect.

use chrono::Utc;
use serde_json::Value;
use sha2::{Digest, Sha256};

mod occurrence;
mod replay;

use super::licenses::LicenseService;
use crate::app::archive::Archives;
use crate::domain::attendance::{Attendance, FROM_WEBHOOK};
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::recording::RecordingFile;
use crate::error::AppError;
use crate::queue::ArchiveJob;
use crate::repo::RepoError;
use crate::repo::meetings::{MeetingRepo, delete_calendar, put_calendar, put_meeting};
use crate::repo::reconcile::reconcile_at;
use crate::repo::recordings::{Owned, RecordingRepo, event_seen, put_attendance, put_recording};
use crate::repo::repairs::{Repair, RepairRecord, RepairRepo, open_repair};
use crate::repo::schedule::booking_key;
use crate::repo::series::SeriesRepo;
use crate::store::{StoreError, Write};
use crate::zoom::events::{
    MeetingObject, RecordingObject, UrlValidation, ZoomEvent, ZoomParticipant,
};
use crate::zoom::webhook_sig;

/// Largest webhook body accepted (recording events list many files).
pub const MAX_WEBHOOK_BYTES: usize = 512 * 1024;
const ATTEMPTS: usize = 8;

#[derive(Debug, PartialEq)]
pub enum WebhookOutcome {
    /// `endpoint.url_validation`: answer with both tokens.
    Validation {
        plain_token: String,
        encrypted_token: String,
    },
    Applied,
    /// Seen before: nothing done again.
    Duplicate,
    /// About a meeting we do not know (yet): kept, applied by `maintenance`
    /// once the meeting is committed.
    Unmatched,
    /// An event we do not handle.
    Ignored,
}

#[derive(Clone)]
pub struct WebhookService {
    licenses: LicenseService,
    meetings: MeetingRepo,
    recordings: RecordingRepo,
    repairs: RepairRepo,
    archives: Archives,
    series: SeriesRepo,
}

/// The signature headers as received.
pub struct Signed<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

fn malformed(detail: &str) -> AppError {
    AppError::MalformedJson {
        detail: Some(detail.to_owned()),
        errors: Vec::new(),
    }
}

fn already_seen(e: &RepoError) -> bool {
    matches!(e, RepoError::Store(s) if s.failed_at(0))
}

fn conflict(e: &RepoError) -> bool {
    matches!(e, RepoError::Store(StoreError::ConditionFailed { .. }))
}

impl WebhookService {
    pub fn new(
        licenses: LicenseService,
        meetings: MeetingRepo,
        recordings: RecordingRepo,
        repairs: RepairRepo,
        archives: Archives,
        series: SeriesRepo,
    ) -> Self {
        Self {
            licenses,
            meetings,
            recordings,
            repairs,
            archives,
            series,
        }
    }

    /// Checks the request is Zoom's for this license. Every failure is the same `401`.
    async fn authenticate(
        &self,
        license_id: &str,
        signed: &Signed<'_>,
    ) -> Result<String, AppError> {
        let Some(license) = self.licenses.find_keys(license_id).await? else {
            return Err(AppError::Unauthorized);
        };
        let secrets = self.licenses.secrets_of_keys(&license).await?;
        let Some(token) = &secrets.webhook_secret_token else {
            return Err(AppError::Unauthorized);
        };
        let (Some(ts), Some(sig)) = (signed.timestamp, signed.signature) else {
            return Err(AppError::Unauthorized);
        };
        if webhook_sig::verify(token.expose(), ts, sig, signed.body, Utc::now().timestamp()) {
            Ok(token.expose().to_owned())
        } else {
            Err(AppError::Unauthorized)
        }
    }

    /// Authenticates, parses the event and applies it (at most once).
    pub async fn handle(
        &self,
        license_id: &str,
        signed: Signed<'_>,
    ) -> Result<WebhookOutcome, AppError> {
        let token = self.authenticate(license_id, &signed).await?;
        let raw: Value =
            serde_json::from_slice(signed.body).map_err(|e| malformed(&e.to_string()))?;
        let event = ZoomEvent::from_value(&raw).map_err(|e| malformed(&e.to_string()))?;
        match &event {
            ZoomEvent::UrlValidation(validation) => validate(&token, validation),
            ZoomEvent::Other => Ok(WebhookOutcome::Ignored),
            ZoomEvent::MeetingStarted(_)
            | ZoomEvent::MeetingEnded(_)
            | ZoomEvent::MeetingDeleted(_)
            | ZoomEvent::ParticipantJoined(_)
            | ZoomEvent::ParticipantLeft(_)
            | ZoomEvent::RecordingCompleted(_)
            | ZoomEvent::RecordingTrashed(_)
            | ZoomEvent::RecordingDeleted(_) => self.apply(license_id, &event).await,
        }
    }

    /// A meeting or recording event: its effect and the record that it was
    /// seen, written together; about a meeting we do not know, kept.
    async fn apply(&self, license_id: &str, event: &ZoomEvent) -> Result<WebhookOutcome, AppError> {
        let name = event.name();
        let zoom_id = zoom_meeting_id(event)?;
        let hash = dedupe_hash(license_id, event);
        if let Some((academy_id, targets)) =
            self.series_deletion(license_id, &zoom_id, event).await?
        {
            return self
                .apply_to_each(&academy_id, &targets, event, &hash)
                .await;
        }
        let Some(ours) = self.ours(license_id, &zoom_id, event).await? else {
            return self
                .keep_unmatched(license_id, &hash, event, &zoom_id)
                .await;
        };
        let seen = || {
            let mut first = vec![event_seen(&hash, name, None)];
            first.extend(ours.remember.clone());
            first
        };
        self.apply_to(&ours.academy_id, &ours.meeting_id, event, seen)
            .await
    }

    /// The meeting of ours (an academy's meeting, or the occurrence of a
    /// series) that an event about a Zoom meeting of this license is about.
    async fn ours(
        &self,
        license_id: &str,
        zoom_id: &str,
        event: &ZoomEvent,
    ) -> Result<Option<Ours>, AppError> {
        let owner = match self.recordings.by_zoom_id(zoom_id).await? {
            Some(owner) if owner.license_id == license_id => owner,
            _ => return Ok(None),
        };
        let academy_id = owner.academy_id;
        Ok(match owner.of {
            Owned::Meeting(meeting_id) => Some(Ours {
                academy_id,
                meeting_id,
                remember: None,
            }),
            Owned::Series(series_id) => self
                .occurrence_of(&academy_id, &series_id, zoom_id, event)
                .await?
                .map(|m| Ours {
                    academy_id,
                    meeting_id: m.meeting_id,
                    remember: m.remember,
                }),
        })
    }

    /// The effect on a meeting of ours, in one batch after `first` (the
    /// write that marks the event done; its failing means: done already).
    async fn apply_to(
        &self,
        academy_id: &str,
        meeting_id: &str,
        event: &ZoomEvent,
        first: impl Fn() -> Vec<Write>,
    ) -> Result<WebhookOutcome, AppError> {
        let name = event.name();
        for _ in 0..ATTEMPTS {
            let Some(meeting) = self.meetings.get(academy_id, meeting_id).await? else {
                return Ok(WebhookOutcome::Unmatched);
            };
            let mut writes = first();
            let effect = self.effect(event, academy_id, meeting_id, &meeting).await?;
            writes.extend(effect.writes);
            match self.recordings.write(writes).await {
                Ok(()) => {
                    tracing::info!(event = %name, meeting_id = %meeting_id, "webhook applied");
                    self.archives.sent(&effect.jobs).await;
                    return Ok(WebhookOutcome::Applied);
                }
                Err(e) if already_seen(&e) => return Ok(WebhookOutcome::Duplicate),
                // The meeting or attendance changed meanwhile: read again.
                Err(e) if conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the meeting kept changing".into(),
        ))
    }

    /// Keeps an event about a meeting we do not know (yet): marked seen,
    /// and kept compactly (no tokens, only what its effect reads) as a
    /// repair record that `maintenance` applies once the meeting is ours.
    async fn keep_unmatched(
        &self,
        license_id: &str,
        hash: &str,
        event: &ZoomEvent,
        zoom_id: &str,
    ) -> Result<WebhookOutcome, AppError> {
        let name = event.name();
        let repair = Repair::Webhook {
            license_id: license_id.to_owned(),
            zoom_meeting_id: zoom_id.to_owned(),
            hash: hash.to_owned(),
            event: event.compact(),
        };
        let record = RepairRecord::due_now(repair);
        let writes = vec![event_seen(hash, name, None), open_repair(&record)];
        match self.recordings.write(writes).await {
            Ok(()) => {
                tracing::info!(event = %name, zoom_meeting_id = %zoom_id, "webhook for an unknown meeting kept");
                Ok(WebhookOutcome::Unmatched)
            }
            Err(e) if already_seen(&e) => Ok(WebhookOutcome::Duplicate),
            Err(e) => Err(e.into()),
        }
    }

    /// What an event changes in a meeting we know, as of `meeting`.
    async fn effect(
        &self,
        event: &ZoomEvent,
        academy_id: &str,
        meeting_id: &str,
        meeting: &Meeting,
    ) -> Result<Effect, AppError> {
        use MeetingStatus::{Deleted, Ended, Started};
        if let ZoomEvent::RecordingCompleted(e) = event {
            return self
                .recording_completed(academy_id, meeting_id, meeting, &e.payload.object)
                .await;
        }
        Ok(Effect::writes(match event {
            ZoomEvent::MeetingStarted(e) => {
                status_change(meeting, Started, &e.payload.object, event_time(&e.event_ts))
            }
            ZoomEvent::MeetingEnded(e) => {
                status_change(meeting, Ended, &e.payload.object, event_time(&e.event_ts))
            }
            ZoomEvent::MeetingDeleted(e) => {
                status_change(meeting, Deleted, &e.payload.object, event_time(&e.event_ts))
            }
            ZoomEvent::ParticipantJoined(e) => {
                let who = &e.payload.object.participant;
                self.attendance(meeting_id, who, Presence::Joined).await?
            }
            ZoomEvent::ParticipantLeft(e) => {
                let who = &e.payload.object.participant;
                self.attendance(meeting_id, who, Presence::Left).await?
            }
            ZoomEvent::RecordingTrashed(e) => {
                recording_files(meeting_id, meeting, &e.payload.object, "trashed")
            }
            ZoomEvent::RecordingDeleted(e) => {
                recording_files(meeting_id, meeting, &e.payload.object, "deleted")
            }
            // Answered by `handle` before any meeting is looked up; a
            // completed recording is handled above.
            ZoomEvent::UrlValidation(_) | ZoomEvent::RecordingCompleted(_) | ZoomEvent::Other => {
                Vec::new()
            }
        }))
    }

    /// New files: their records, and each its archive state and job in
    /// the same batch (the license's `recordingArchive` says whether).
    async fn recording_completed(
        &self,
        academy_id: &str,
        meeting_id: &str,
        meeting: &Meeting,
        object: &RecordingObject,
    ) -> Result<Effect, AppError> {
        let mut writes = recording_files(meeting_id, meeting, object, COMPLETED);
        let files: Vec<RecordingFile> = object
            .recording_files
            .iter()
            .filter_map(|f| f.to_recording_file(COMPLETED))
            .collect();
        let mode = self
            .licenses
            .get(academy_id, &meeting.license_id)
            .await?
            .recording_archive;
        let mut new = self
            .archives
            .for_new_files(academy_id, meeting_id, mode, &files)
            .await?;
        for file in &files {
            writes.extend(new.take(&file.recording_id));
        }
        Ok(Effect {
            writes,
            jobs: new.jobs,
        })
    }

    /// A participant joined or left: their attendance, read and written back
    /// under its version.
    async fn attendance(
        &self,
        meeting_id: &str,
        who: &ZoomParticipant,
        presence: Presence,
    ) -> Result<Vec<Write>, AppError> {
        let key = who.key().ok_or_else(|| malformed("no participant"))?;
        let current = self.recordings.participant(meeting_id, &key).await?;
        let read_version = current.as_ref().map_or(0, |a| a.version);
        let mut attendance = current.unwrap_or_else(|| Attendance::new(key));
        if let Some(name) = &who.user_name {
            attendance.name = Some(name.clone());
        }
        if let Some(email) = &who.email {
            attendance.email = Some(email.clone());
        }
        if let Some(key) = &who.customer_key {
            attendance.customer_key = Some(key.clone());
        }
        attendance.seen_by(FROM_WEBHOOK);
        match presence {
            Presence::Joined => {
                attendance.joined(who.joined_at().ok_or_else(|| malformed("no join_time"))?)
            }
            Presence::Left => {
                attendance.left(who.left_at().ok_or_else(|| malformed("no leave_time"))?)
            }
        }
        attendance.version = read_version + 1;
        Ok(vec![put_attendance(meeting_id, &attendance, read_version)])
    }
}

/// The meeting an event lands on, and (for a series' occurrence matched by
/// its start) the write remembering the instance's UUID.
struct Ours {
    academy_id: String,
    meeting_id: String,
    remember: Option<Write>,
}

#[derive(Debug, Clone, Copy)]
enum Presence {
    Joined,
    Left,
}

const COMPLETED: &str = "completed";

/// When Zoom sent an event (`event_ts`, ms since the epoch), else now.
fn event_time(event_ts: &Option<String>) -> chrono::DateTime<Utc> {
    event_ts
        .as_deref()
        .and_then(|ts| ts.parse::<i64>().ok())
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_else(Utc::now)
}

/// The Zoom meeting a meeting or recording event is about.
fn zoom_meeting_id(event: &ZoomEvent) -> Result<String, AppError> {
    event
        .about()
        .and_then(|about| about.meeting.id.clone())
        .ok_or_else(|| malformed("no payload.object.id"))
}

/// `endpoint.url_validation`: the plain token back with its HMAC under our secret.
fn validate(token: &str, validation: &UrlValidation) -> Result<WebhookOutcome, AppError> {
    let plain = validation
        .payload
        .plain_token
        .as_deref()
        .ok_or_else(|| malformed("no payload.plainToken"))?;
    Ok(WebhookOutcome::Validation {
        plain_token: plain.to_owned(),
        encrypted_token: webhook_sig::encrypted_token(token, plain),
    })
}

/// The meeting record and its calendar copy, as of `next`.
fn meeting_writes(current: &Meeting, next: &Meeting) -> Vec<Write> {
    let mut writes = vec![put_meeting(next, Some(current))];
    if next.status != MeetingStatus::Deleted {
        writes.push(put_calendar(next));
    }
    writes
}

/// Statuses only move forward: scheduled → started → ended; deleted is final.
fn status_change(
    meeting: &Meeting,
    target: MeetingStatus,
    object: &MeetingObject,
    at: chrono::DateTime<Utc>,
) -> Vec<Write> {
    use MeetingStatus::*;
    let forward = match target {
        Started => meeting.status == Scheduled,
        Ended => matches!(meeting.status, Scheduled | Started),
        Deleted => matches!(meeting.status, Scheduled | Started | Ended),
        Pending | Scheduled | Failed => false,
    };
    if !forward {
        return Vec::new();
    }
    let mut next = meeting.clone();
    next.status = target;
    next.version += 1;
    next.updated_at = Utc::now();
    if let Some(uuid) = &object.uuid {
        next.zoom_uuid = Some(uuid.clone());
    }
    match target {
        Started => next.held.started_at = object.started_at().or(Some(at)),
        Ended => {
            next.held.started_at = next.held.started_at.or(object.started_at());
            next.held.ended_at = object.ended_at().or(Some(at));
        }
        _ => {}
    }
    let mut writes = meeting_writes(meeting, &next);
    if let (Ended, Some(ended)) = (target, next.held.ended_at) {
        // Over: its attendance is reconciled with Zoom's report from now on.
        writes.push(reconcile_at(
            &meeting.academy_id,
            &meeting.meeting_id,
            ended,
        ));
    }
    if target == Deleted {
        // Deleted in Zoom directly: its slot is free again.
        writes.push(Write::Delete {
            key: booking_key(&meeting.license_id, &meeting.booking()),
            condition: None,
        });
        writes.push(delete_calendar(meeting));
    }
    writes
}

/// An event's writes, and the archive jobs to send once they committed.
struct Effect {
    writes: Vec<Write>,
    jobs: Vec<ArchiveJob>,
}

impl Effect {
    fn writes(writes: Vec<Write>) -> Self {
        Self {
            writes,
            jobs: Vec::new(),
        }
    }
}

/// A recording completed, trashed or deleted: one record per file, with that
/// status; a completed one also brings the share link and passcode.
fn recording_files(
    meeting_id: &str,
    meeting: &Meeting,
    object: &RecordingObject,
    status: &str,
) -> Vec<Write> {
    let mut writes: Vec<Write> = object
        .recording_files
        .iter()
        .filter_map(|f| f.to_recording_file(status))
        .map(|mut file| {
            if status != COMPLETED {
                file.status = status.to_owned();
            }
            put_recording(meeting_id, &file)
        })
        .collect();
    if status == COMPLETED {
        let mut next = meeting.clone();
        next.share_url = object.share_url.clone().or(next.share_url);
        next.play_passcode = object
            .recording_play_passcode
            .clone()
            .or(next.play_passcode);
        if next != *meeting {
            next.version += 1;
            writes.extend(meeting_writes(meeting, &next));
        }
    }
    writes
}

/// What makes two deliveries the same event: Zoom sends no event id, so the
/// event, its time, the meeting instance, and the participant it is about.
/// Numbers are in their JSON text and anything missing is empty: the hashes
/// stored before events were typed still match.
pub fn dedupe_hash(license_id: &str, event: &ZoomEvent) -> String {
    let about = event.about();
    let meeting = about.map(|a| a.meeting);
    let participant = about.and_then(|a| a.participant);
    let text = |value: Option<&String>| value.cloned().unwrap_or_default();
    let parts = [
        license_id.to_owned(),
        event.name().to_owned(),
        about
            .and_then(|a| a.event_ts)
            .unwrap_or_default()
            .to_owned(),
        text(meeting.and_then(|m| m.uuid.as_ref())),
        text(meeting.and_then(|m| m.id.as_ref())),
        participant
            .and_then(ZoomParticipant::key)
            .unwrap_or_default(),
        text(participant.and_then(|p| p.join_time.as_ref())),
        text(participant.and_then(|p| p.leave_time.as_ref())),
    ];
    hex::encode(Sha256::digest(parts.join("|").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LICENSE: &str = "lic_01jz8x6q3m0000000000000000";
    const PARTICIPANT: &str = r#"{"event":"meeting.participant_joined","event_ts":1893492000123,"payload":{"account_id":"AcC1","object":{"id":85746065432,"uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"h1","participant":{"user_id":"16778240","user_name":"Ana Díaz","participant_uuid":"PU-1","email":"Ana@Example.com","join_time":"2030-01-01T10:00:00Z"}}}}"#;
    const RECORDING: &str = r#"{"event":"recording.completed","event_ts":1893495600456,"download_token":"dt-secret","payload":{"account_id":"AcC1","object":{"id":"85746065432","uuid":"5555BBBjBBBBBjBjBjjBjj==","share_url":"https://zoom.example/rec/share/x","recording_play_passcode":"pc1","recording_files":[{"id":"f-1","file_type":"MP4","file_size":12345,"recording_start":"2030-01-01T10:00:00Z","recording_end":"2030-01-01T10:30:00Z","download_url":"https://zoom.example/rec/download/f-1","status":"completed"}]}}}"#;

    fn hash(body: &str) -> String {
        let raw: Value = serde_json::from_str(body).unwrap();
        dedupe_hash(LICENSE, &ZoomEvent::from_value(&raw).unwrap())
    }

    /// The exactly-once keys already stored: these values are what the
    /// untyped (`serde_json::Value`) reading produced for the same bodies.
    #[test]
    fn dedupe_hashes_are_those_stored_before() {
        assert_eq!(
            hash(PARTICIPANT),
            "da7168752644bcd2dabcd12a99a8900340eaad7ca894b0cf0af7a228d7005099"
        );
        assert_eq!(
            hash(RECORDING),
            "22f887117e114d6e7fe0cfc846b41defaf0137d9b8604556844b2d91c29cb9e9"
        );
    }
}
