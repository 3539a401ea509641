//! Single webhook events in Zoom's envelope (ZOOM.md §7, Rivet's
//! `meetings.d.ts` event types): `{"event", "event_ts" (ms), "payload":
//! {"account_id", "object": {…}}}`, `recording.completed` with a top-level
//! `download_token`. Times in payloads are `yyyy-MM-ddTHH:mm:ssZ` (UTC);
//! `event_ts` is when the event occurred, in milliseconds.
//!
//! Send them with [`crate::webhook::send`]. [`crate::Emulator::meeting_instance`]
//! gives the [`MeetingInstance`] of a meeting created through the API;
//! [`crate::Emulator::lifecycle_events`] builds a whole meeting's worth.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::meeting_model::zoom_time;
use crate::{Participant, ids, recordings};

/// One meeting instance, as Zoom's meeting, participant and recording events
/// describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingInstance {
    pub account_id: String,
    /// The meeting number (a string in meeting and participant events, a
    /// number in `meeting.deleted` and recording events).
    pub id: u64,
    /// The instance UUID.
    pub uuid: String,
    pub host_id: String,
    /// Only recording events carry it.
    pub host_email: String,
    pub topic: String,
    /// Zoom's meeting `type` (2 = scheduled).
    pub kind: u8,
    /// When the instance started (`start_time` of every event).
    pub start_time: DateTime<Utc>,
    pub timezone: String,
    /// Minutes: the scheduled duration in meeting events, the recorded
    /// meeting's length in recording events.
    pub duration: u32,
    /// The meeting passcode; only recording events carry it.
    pub password: String,
}

/// A cloud recording of one meeting instance.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingInstance {
    pub meeting: MeetingInstance,
    pub share_url: String,
    pub recording_play_passcode: String,
    /// Zoom's file objects, as `GET /meetings/{id}/recordings` lists them.
    pub recording_files: Vec<Value>,
}

fn envelope(event: &str, at: DateTime<Utc>, payload: Value) -> Value {
    json!({
        "event": event,
        "event_ts": at.timestamp_millis(),
        "payload": payload,
    })
}

/// The object shared by meeting and participant events: `id` as a string.
fn meeting_object(meeting: &MeetingInstance) -> Map<String, Value> {
    let object = json!({
        "id": meeting.id.to_string(),
        "uuid": meeting.uuid,
        "host_id": meeting.host_id,
        "topic": meeting.topic,
        "type": meeting.kind,
        "start_time": zoom_time(&meeting.start_time),
        "timezone": meeting.timezone,
        "duration": meeting.duration,
    });
    into_map(object)
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("object literal"),
    }
}

fn account_payload(account_id: &str, object: Map<String, Value>) -> Value {
    json!({"account_id": account_id, "object": object})
}

/// `meeting.started`, at the instance's `start_time`.
pub fn meeting_started(meeting: &MeetingInstance) -> Value {
    envelope(
        "meeting.started",
        meeting.start_time,
        account_payload(&meeting.account_id, meeting_object(meeting)),
    )
}

/// `meeting.ended` at `end_time` (the object also carries `end_time`).
pub fn meeting_ended(meeting: &MeetingInstance, end_time: DateTime<Utc>) -> Value {
    let mut object = meeting_object(meeting);
    object.insert("end_time".into(), zoom_time(&end_time).into());
    envelope(
        "meeting.ended",
        end_time,
        account_payload(&meeting.account_id, object),
    )
}

/// `meeting.deleted`: `payload{account_id, operator, operator_id, object}`,
/// the object's `id` a number.
pub fn meeting_deleted(
    meeting: &MeetingInstance,
    operator: &str,
    operator_id: &str,
    at: DateTime<Utc>,
) -> Value {
    envelope(
        "meeting.deleted",
        at,
        json!({
            "account_id": meeting.account_id,
            "operator": operator,
            "operator_id": operator_id,
            "object": {
                "uuid": meeting.uuid,
                "id": meeting.id,
                "host_id": meeting.host_id,
                "topic": meeting.topic,
                "type": meeting.kind,
                "start_time": zoom_time(&meeting.start_time),
                "duration": meeting.duration,
                "timezone": meeting.timezone,
            },
        }),
    )
}

fn participant_object(
    participant: &Participant,
    time_key: &str,
    time: DateTime<Utc>,
    leave_reason: Option<&str>,
) -> Value {
    let mut object = Map::new();
    object.insert("user_id".into(), participant.user_id.clone().into());
    object.insert("user_name".into(), participant.user_name.clone().into());
    if let Some(uuid) = &participant.participant_uuid {
        object.insert("participant_uuid".into(), uuid.clone().into());
    }
    object.insert(time_key.into(), zoom_time(&time).into());
    if let Some(reason) = leave_reason {
        object.insert("leave_reason".into(), reason.into());
    }
    object.insert("email".into(), participant.email.clone().into());
    if let Some(key) = &participant.customer_key {
        object.insert("customer_key".into(), key.clone().into());
    }
    Value::Object(object)
}

/// `meeting.participant_joined` at `join_time`. The participant's in-meeting
/// `id`, `registrant_id` and `participant_user_id` are left out (optional in
/// Zoom's types); `participant_uuid` and `customer_key` (ZOOM-2.md B) only
/// when the participant has one.
pub fn participant_joined(
    meeting: &MeetingInstance,
    participant: &Participant,
    join_time: DateTime<Utc>,
) -> Value {
    let object = participant_object(participant, "join_time", join_time, None);
    participant_event("meeting.participant_joined", meeting, object, join_time)
}

/// `meeting.participant_left` at `leave_time`, with `leave_reason` if given.
pub fn participant_left(
    meeting: &MeetingInstance,
    participant: &Participant,
    leave_time: DateTime<Utc>,
    leave_reason: Option<&str>,
) -> Value {
    let object = participant_object(participant, "leave_time", leave_time, leave_reason);
    participant_event("meeting.participant_left", meeting, object, leave_time)
}

/// A participant event at `at`: the meeting object with `participant`.
fn participant_event(
    event: &str,
    meeting: &MeetingInstance,
    participant: Value,
    at: DateTime<Utc>,
) -> Value {
    let mut object = meeting_object(meeting);
    object.insert("participant".into(), participant);
    envelope(event, at, account_payload(&meeting.account_id, object))
}

/// The recording object of `recording.completed`, in Rivet's field order:
/// `id` a number, `total_size` the sum of the files' `file_size`.
fn recording_object(recording: &RecordingInstance) -> Map<String, Value> {
    let meeting = &recording.meeting;
    into_map(json!({
        "id": meeting.id,
        "uuid": meeting.uuid,
        "host_id": meeting.host_id,
        "account_id": meeting.account_id,
        "topic": meeting.topic,
        "type": meeting.kind,
        "start_time": zoom_time(&meeting.start_time),
        "password": meeting.password,
        "timezone": meeting.timezone,
        "host_email": meeting.host_email,
        "duration": meeting.duration,
        "share_url": recording.share_url,
        "total_size": recordings::total_size(&recording.recording_files),
        "recording_count": recording.recording_files.len(),
        "recording_play_passcode": recording.recording_play_passcode,
        "recording_files": recording.recording_files,
    }))
}

/// The object of `recording.trashed` / `recording.deleted`: Rivet's types
/// there have no `password`, `host_email` or `recording_play_passcode`.
fn recording_operation_object(recording: &RecordingInstance) -> Map<String, Value> {
    let mut object = recording_object(recording);
    for key in ["password", "host_email", "recording_play_passcode"] {
        object.shift_remove(key);
    }
    object
}

/// `recording.completed` at `at`, with `download_token` at the top level (a
/// sibling of `payload`, as Zoom sends it). The emulator's downloads accept
/// only tokens it issued: for a seeded recording use
/// [`crate::Emulator::recording_completed_event`].
pub fn recording_completed(
    recording: &RecordingInstance,
    download_token: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "event": "recording.completed",
        "event_ts": at.timestamp_millis(),
        "download_token": download_token,
        "payload": account_payload(&recording.meeting.account_id, recording_object(recording)),
    })
}

fn recording_operation(
    event: &str,
    recording: &RecordingInstance,
    operator: &str,
    operator_id: &str,
    at: DateTime<Utc>,
) -> Value {
    envelope(
        event,
        at,
        json!({
            "account_id": recording.meeting.account_id,
            "operator": operator,
            "operator_id": operator_id,
            "object": recording_operation_object(recording),
        }),
    )
}

/// `recording.trashed`: `payload.operator`/`operator_id` (the optional
/// top-level `download_token` is left out).
pub fn recording_trashed(
    recording: &RecordingInstance,
    operator: &str,
    operator_id: &str,
    at: DateTime<Utc>,
) -> Value {
    recording_operation("recording.trashed", recording, operator, operator_id, at)
}

/// `recording.deleted`: `payload.operator`/`operator_id`, no download token.
pub fn recording_deleted(
    recording: &RecordingInstance,
    operator: &str,
    operator_id: &str,
    at: DateTime<Utc>,
) -> Value {
    recording_operation("recording.deleted", recording, operator, operator_id, at)
}

/// `endpoint.url_validation` now, in the field order of Zoom's sample:
/// `{"payload":{"plainToken":…},"event_ts":…,"event":"endpoint.url_validation"}`.
/// The endpoint must answer with `plainToken` and `encryptedToken`
/// ([`crate::webhook::encrypted_token`]).
pub fn endpoint_url_validation(plain_token: &str) -> Value {
    json!({
        "payload": {"plainToken": plain_token},
        "event_ts": Utc::now().timestamp_millis(),
        "event": "endpoint.url_validation",
    })
}

/// A fresh `download_token` (JWT-shaped, as Zoom's are), not registered:
/// downloads refuse it.
pub fn download_token() -> String {
    ids::download_token()
}
