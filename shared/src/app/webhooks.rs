//! Zoom's pushed events: verified against the license's secret token over the
//! raw bytes, then applied exactly once — the record that an event was seen is
//! written in the same transaction as its effect.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::licenses::LicenseService;
use crate::domain::attendance::{Attendance, participant_key};
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::domain::recording::RecordingFile;
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::meetings::{MeetingRepo, delete_calendar, put_calendar, put_meeting};
use crate::repo::recordings::{RecordingRepo, event_seen, put_attendance, put_recording};
use crate::repo::schedule::booking_key;
use crate::store::{StoreError, Write};
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
    /// About a meeting we do not know: kept for later matching.
    Unmatched,
    /// An event we do not handle.
    Ignored,
}

#[derive(Clone)]
pub struct WebhookService {
    licenses: LicenseService,
    meetings: MeetingRepo,
    recordings: RecordingRepo,
}

/// The signature headers as received.
pub struct Signed<'a> {
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn time(value: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The event without anything secret (`download_token`), for keeping.
fn without_tokens(mut event: Value) -> Value {
    if let Some(o) = event.as_object_mut() {
        o.remove("download_token");
        if let Some(p) = o.get_mut("payload").and_then(Value::as_object_mut) {
            p.remove("download_token");
        }
    }
    event
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
    pub fn new(licenses: LicenseService, meetings: MeetingRepo, recordings: RecordingRepo) -> Self {
        Self {
            licenses,
            meetings,
            recordings,
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

    pub async fn handle(
        &self,
        license_id: &str,
        signed: Signed<'_>,
    ) -> Result<WebhookOutcome, AppError> {
        let token = self.authenticate(license_id, &signed).await?;
        let event: Value =
            serde_json::from_slice(signed.body).map_err(|e| malformed(&e.to_string()))?;
        let name = event
            .get("event")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("no event name"))?
            .to_owned();
        if name == "endpoint.url_validation" {
            let plain = event["payload"]["plainToken"]
                .as_str()
                .ok_or_else(|| malformed("no payload.plainToken"))?;
            return Ok(WebhookOutcome::Validation {
                plain_token: plain.to_owned(),
                encrypted_token: webhook_sig::encrypted_token(&token, plain),
            });
        }
        let handled = [
            "meeting.started",
            "meeting.ended",
            "meeting.deleted",
            "meeting.participant_joined",
            "meeting.participant_left",
            "recording.completed",
            "recording.trashed",
            "recording.deleted",
        ];
        if !handled.contains(&name.as_str()) {
            return Ok(WebhookOutcome::Ignored);
        }
        let object = &event["payload"]["object"];
        let zoom_id = text(&object["id"]).ok_or_else(|| malformed("no payload.object.id"))?;
        let hash = dedupe_hash(license_id, &name, &event);
        let matched = match self.recordings.by_zoom_id(&zoom_id).await? {
            Some((academy, meeting, license)) if license == license_id => Some((academy, meeting)),
            _ => None,
        };
        let Some((academy_id, meeting_id)) = matched else {
            let keep = without_tokens(event.clone());
            return match self
                .recordings
                .write(vec![event_seen(&hash, &name, Some(&keep))])
                .await
            {
                Ok(()) => {
                    tracing::info!(event = %name, zoom_meeting_id = %zoom_id, "webhook for an unknown meeting kept");
                    Ok(WebhookOutcome::Unmatched)
                }
                Err(e) if already_seen(&e) => Ok(WebhookOutcome::Duplicate),
                Err(e) => Err(e.into()),
            };
        };
        for _ in 0..ATTEMPTS {
            let Some(meeting) = self.meetings.get(&academy_id, &meeting_id).await? else {
                return Ok(WebhookOutcome::Unmatched);
            };
            let mut writes = vec![event_seen(&hash, &name, None)];
            match name.as_str() {
                "meeting.started" | "meeting.ended" | "meeting.deleted" => {
                    writes.extend(status_change(&meeting, &name, object));
                }
                "meeting.participant_joined" | "meeting.participant_left" => {
                    let participant = &object["participant"];
                    let key =
                        participant_key(participant).ok_or_else(|| malformed("no participant"))?;
                    let current = self.recordings.participant(&meeting_id, &key).await?;
                    let read_version = current.as_ref().map_or(0, |a| a.version);
                    let mut attendance = current.unwrap_or_else(|| Attendance::new(key));
                    if let Some(n) = text(&participant["user_name"]) {
                        attendance.name = Some(n);
                    }
                    if let Some(e) = text(&participant["email"]) {
                        attendance.email = Some(e);
                    }
                    if name == "meeting.participant_joined" {
                        let at = time(&participant["join_time"])
                            .ok_or_else(|| malformed("no join_time"))?;
                        attendance.joined(at);
                    } else {
                        let at = time(&participant["leave_time"])
                            .ok_or_else(|| malformed("no leave_time"))?;
                        attendance.left(at);
                    }
                    attendance.version = read_version + 1;
                    writes.push(put_attendance(&meeting_id, &attendance, read_version));
                }
                _ => {
                    let status = match name.as_str() {
                        "recording.completed" => "completed",
                        "recording.trashed" => "trashed",
                        _ => "deleted",
                    };
                    let files = object["recording_files"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    for file in files
                        .iter()
                        .filter_map(|f| RecordingFile::from_zoom(f, status))
                    {
                        let mut file = file;
                        if status != "completed" {
                            file.status = status.to_owned();
                        }
                        writes.push(put_recording(&meeting_id, &file));
                    }
                    if status == "completed" {
                        let mut next = meeting.clone();
                        next.share_url = text(&object["share_url"]).or(next.share_url);
                        next.play_passcode =
                            text(&object["recording_play_passcode"]).or(next.play_passcode);
                        if next != meeting {
                            next.version += 1;
                            writes.extend(meeting_writes(&meeting, &next));
                        }
                    }
                }
            }
            match self.recordings.write(writes).await {
                Ok(()) => {
                    tracing::info!(event = %name, meeting_id = %meeting_id, "webhook applied");
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
fn status_change(meeting: &Meeting, event: &str, object: &Value) -> Vec<Write> {
    use MeetingStatus::*;
    let target = match (event, meeting.status) {
        ("meeting.started", Scheduled) => Started,
        ("meeting.ended", Scheduled | Started) => Ended,
        ("meeting.deleted", Scheduled | Started | Ended) => Deleted,
        _ => return Vec::new(),
    };
    let mut next = meeting.clone();
    next.status = target;
    next.version += 1;
    next.updated_at = Utc::now();
    if let Some(uuid) = text(&object["uuid"]) {
        next.zoom_uuid = Some(uuid);
    }
    let mut writes = meeting_writes(meeting, &next);
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

/// What makes two deliveries the same event: Zoom sends no event id, so the
/// event, its time, the meeting instance, and the participant or files it is about.
pub fn dedupe_hash(license_id: &str, name: &str, event: &Value) -> String {
    let object = &event["payload"]["object"];
    let participant = &object["participant"];
    let parts = [
        license_id.to_owned(),
        name.to_owned(),
        text(&event["event_ts"]).unwrap_or_default(),
        text(&object["uuid"]).unwrap_or_default(),
        text(&object["id"]).unwrap_or_default(),
        participant_key(participant).unwrap_or_default(),
        text(&participant["join_time"]).unwrap_or_default(),
        text(&participant["leave_time"]).unwrap_or_default(),
    ];
    hex::encode(Sha256::digest(parts.join("|").as_bytes()))
}
