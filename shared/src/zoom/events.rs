//! Zoom's webhook events (and the recordings answer of the REST API, which
//! lists files the same way), parsed as tolerantly as Zoom writes them: ids may
//! be JSON numbers or strings, empty strings count as absent, a field of an
//! unexpected type is simply absent, missing fields are fine. Whether an event
//! carries what its effect needs is for the handler to say, not the parser.
//!
//! Nothing here keeps a `download_token`: no type has a field for it.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::domain::recording::RecordingFile;

/// A non-empty string or a number, as text (a number as `serde_json` writes it);
/// anything else is absent.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field read with [`text_of`].
pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_of(&Value::deserialize(d)?))
}

/// A field that is a JSON string (empty included); anything else is absent.
fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// A JSON object read as `T`; anything else (or an object `T` refuses) is `None`.
fn object<T: DeserializeOwned>(value: Value) -> Option<T> {
    match value {
        Value::Object(_) => serde_json::from_value(value).ok(),
        _ => None,
    }
}

/// A nested object field: its default when it is not an object.
fn nested<'de, D: Deserializer<'de>, T: DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
    Ok(object(Value::deserialize(d)?).unwrap_or_default())
}

/// A list of objects: what is not an array is empty, entries not objects are dropped.
pub(super) fn objects<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(object).collect(),
        _ => Vec::new(),
    })
}

/// One webhook event, by its `event` name; names we do not handle are [`ZoomEvent::Other`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "event")]
pub enum ZoomEvent {
    #[serde(rename = "endpoint.url_validation")]
    UrlValidation(UrlValidation),
    #[serde(rename = "meeting.started")]
    MeetingStarted(Envelope<MeetingObject>),
    #[serde(rename = "meeting.ended")]
    MeetingEnded(Envelope<MeetingObject>),
    #[serde(rename = "meeting.deleted")]
    MeetingDeleted(Envelope<MeetingObject>),
    #[serde(rename = "meeting.participant_joined")]
    ParticipantJoined(Envelope<ParticipantObject>),
    #[serde(rename = "meeting.participant_left")]
    ParticipantLeft(Envelope<ParticipantObject>),
    #[serde(rename = "recording.completed")]
    RecordingCompleted(Envelope<RecordingObject>),
    #[serde(rename = "recording.trashed")]
    RecordingTrashed(Envelope<RecordingObject>),
    #[serde(rename = "recording.deleted")]
    RecordingDeleted(Envelope<RecordingObject>),
    #[serde(other)]
    Other,
}

/// Why a body is not an event.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("no event name")]
    NoName,
    #[error("{0}")]
    Shape(serde_json::Error),
}

/// `endpoint.url_validation`: Zoom checking we hold the secret token.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct UrlValidation {
    #[serde(default, deserialize_with = "nested")]
    pub payload: ValidationPayload,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ValidationPayload {
    #[serde(default, rename = "plainToken", deserialize_with = "string")]
    pub plain_token: Option<String>,
}

/// What every meeting and recording event has around its object.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(bound(
    deserialize = "O: DeserializeOwned + Default",
    serialize = "O: Serialize"
))]
pub struct Envelope<O> {
    #[serde(default, deserialize_with = "text")]
    pub event_ts: Option<String>,
    #[serde(default, deserialize_with = "nested")]
    pub payload: Payload<O>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(bound(
    deserialize = "O: DeserializeOwned + Default",
    serialize = "O: Serialize"
))]
pub struct Payload<O> {
    #[serde(default, deserialize_with = "nested")]
    pub object: O,
}

/// The meeting an event is about: `id` is the meeting, `uuid` the instance.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct MeetingObject {
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub uuid: Option<String>,
    /// `meeting.started` / `meeting.ended`: when the instance started and ended.
    #[serde(default, deserialize_with = "text")]
    pub start_time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub end_time: Option<String>,
    /// `meeting.deleted` of a recurring meeting: the occurrences deleted
    /// (none listed: the whole meeting, ZOOM-2.md D).
    #[serde(
        default,
        deserialize_with = "objects",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub occurrences: Vec<EventOccurrence>,
}

/// One of an event's `object.occurrences`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct EventOccurrence {
    #[serde(default, deserialize_with = "text")]
    pub occurrence_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub start_time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ParticipantObject {
    #[serde(flatten)]
    pub meeting: MeetingObject,
    #[serde(default, deserialize_with = "nested")]
    pub participant: ZoomParticipant,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct RecordingObject {
    #[serde(flatten)]
    pub meeting: MeetingObject,
    #[serde(default, deserialize_with = "objects")]
    pub recording_files: Vec<ZoomRecordingFile>,
    #[serde(default, deserialize_with = "text")]
    pub share_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub recording_play_passcode: Option<String>,
}

/// A participant of a join or leave event.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ZoomParticipant {
    #[serde(default, deserialize_with = "text")]
    pub participant_uuid: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub user_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub email: Option<String>,
    /// As sent (the dedupe key uses the text); see [`ZoomParticipant::joined_at`].
    #[serde(default, deserialize_with = "text")]
    pub join_time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub leave_time: Option<String>,
    /// The Meeting SDK's `customerKey` the participant joined with (ZOOM-2.md
    /// B: optional in Zoom's types; when Zoom began sending it is UNCONFIRMED).
    #[serde(default, deserialize_with = "text")]
    pub customer_key: Option<String>,
}

/// One entry of Zoom's `recording_files` (webhook and REST alike).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ZoomRecordingFile {
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub file_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub file_extension: Option<String>,
    #[serde(default, deserialize_with = "size")]
    pub file_size: Option<u64>,
    #[serde(default, deserialize_with = "text")]
    pub recording_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub recording_start: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub recording_end: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub play_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub download_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
}

/// A size that is a non-negative JSON integer; anything else is absent.
fn size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Value::deserialize(d)?.as_u64())
}

/// `GET /meetings/{id}/recordings`: the parts we merge.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ZoomRecordings {
    #[serde(default, deserialize_with = "objects")]
    pub recording_files: Vec<ZoomRecordingFile>,
    #[serde(default, deserialize_with = "string")]
    pub share_url: Option<String>,
    #[serde(default, deserialize_with = "string")]
    pub recording_play_passcode: Option<String>,
}

/// The parts of a meeting or recording event that say which delivery it is.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub event_ts: Option<&'a str>,
    pub meeting: &'a MeetingObject,
    pub participant: Option<&'a ZoomParticipant>,
}

impl ZoomEvent {
    /// Reads an event from its JSON. Only a body without a string `event` fails:
    /// every other shape parses, with what it lacks absent.
    pub fn from_value(event: &Value) -> Result<Self, EventError> {
        if !event.get("event").is_some_and(Value::is_string) {
            return Err(EventError::NoName);
        }
        Self::deserialize(event).map_err(EventError::Shape)
    }

    /// The `event` name (`""` for one we do not handle).
    pub fn name(&self) -> &'static str {
        match self {
            ZoomEvent::UrlValidation(_) => "endpoint.url_validation",
            ZoomEvent::MeetingStarted(_) => "meeting.started",
            ZoomEvent::MeetingEnded(_) => "meeting.ended",
            ZoomEvent::MeetingDeleted(_) => "meeting.deleted",
            ZoomEvent::ParticipantJoined(_) => "meeting.participant_joined",
            ZoomEvent::ParticipantLeft(_) => "meeting.participant_left",
            ZoomEvent::RecordingCompleted(_) => "recording.completed",
            ZoomEvent::RecordingTrashed(_) => "recording.trashed",
            ZoomEvent::RecordingDeleted(_) => "recording.deleted",
            ZoomEvent::Other => "",
        }
    }

    /// The meeting a meeting or recording event is about; `None` for the others.
    pub fn about(&self) -> Option<About<'_>> {
        fn about<'a>(ts: &'a Option<String>, meeting: &'a MeetingObject) -> About<'a> {
            About {
                event_ts: ts.as_deref(),
                meeting,
                participant: None,
            }
        }
        Some(match self {
            ZoomEvent::MeetingStarted(e)
            | ZoomEvent::MeetingEnded(e)
            | ZoomEvent::MeetingDeleted(e) => about(&e.event_ts, &e.payload.object),
            ZoomEvent::ParticipantJoined(e) | ZoomEvent::ParticipantLeft(e) => About {
                participant: Some(&e.payload.object.participant),
                ..about(&e.event_ts, &e.payload.object.meeting)
            },
            ZoomEvent::RecordingCompleted(e)
            | ZoomEvent::RecordingTrashed(e)
            | ZoomEvent::RecordingDeleted(e) => about(&e.event_ts, &e.payload.object.meeting),
            ZoomEvent::UrlValidation(_) | ZoomEvent::Other => return None,
        })
    }
}

impl ZoomEvent {
    /// The event as kept for a meeting not known yet: only the fields its
    /// effect and its dedupe key read (what the types hold), nothing absent
    /// written out. [`ZoomEvent::from_value`] reads it back as the same event.
    pub fn compact(&self) -> Value {
        fn prune(value: &mut Value) -> bool {
            match value {
                Value::Null => false,
                Value::Array(items) => {
                    items.retain_mut(prune);
                    !items.is_empty()
                }
                Value::Object(map) => {
                    map.retain(|_, v| prune(v));
                    !map.is_empty()
                }
                _ => true,
            }
        }
        let mut value = serde_json::to_value(self).unwrap_or(Value::Null);
        prune(&mut value);
        value
    }
}

/// The event as kept for an unknown meeting: as received, without anything
/// secret (`download_token`, top level or in the payload).
pub fn without_tokens(mut event: Value) -> Value {
    if let Some(o) = event.as_object_mut() {
        o.remove("download_token");
        if let Some(p) = o.get_mut("payload").and_then(Value::as_object_mut) {
            p.remove("download_token");
        }
    }
    event
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl MeetingObject {
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        time(self.start_time.as_deref())
    }

    pub fn ended_at(&self) -> Option<DateTime<Utc>> {
        time(self.end_time.as_deref())
    }
}

impl ZoomParticipant {
    /// Who the event is about: `participant_uuid`, else `user_id`, else email+name.
    pub fn key(&self) -> Option<String> {
        if let Some(uuid) = &self.participant_uuid {
            return Some(format!("uuid:{uuid}"));
        }
        if let Some(user) = &self.user_id {
            return Some(format!("user:{user}"));
        }
        let email = self.email.as_deref().unwrap_or_default().to_lowercase();
        let name = self.user_name.as_deref().unwrap_or_default().to_lowercase();
        (!email.is_empty() || !name.is_empty()).then(|| format!("who:{email}|{name}"))
    }

    pub fn joined_at(&self) -> Option<DateTime<Utc>> {
        time(self.join_time.as_deref())
    }

    pub fn left_at(&self) -> Option<DateTime<Utc>> {
        time(self.leave_time.as_deref())
    }
}

impl ZoomRecordingFile {
    /// The file as we store it; `None` when it says nothing usable. Files
    /// without an `id` (such as `TB`) are keyed by type and start.
    pub fn to_recording_file(&self, default_status: &str) -> Option<RecordingFile> {
        let recording_id = match &self.id {
            Some(id) => id.clone(),
            None => format!(
                "{}-{}",
                self.file_type.as_deref()?,
                self.recording_start.as_deref().unwrap_or("unknown")
            ),
        };
        Some(RecordingFile {
            recording_id,
            file_type: self.file_type.clone(),
            file_extension: self.file_extension.clone(),
            file_size: self.file_size,
            recording_type: self.recording_type.clone(),
            recording_start: self.recording_start.clone(),
            recording_end: self.recording_end.clone(),
            play_url: self.play_url.clone(),
            download_url: self.download_url.clone(),
            status: self
                .status
                .clone()
                .unwrap_or_else(|| default_status.to_owned()),
        })
    }
}

impl ZoomRecordings {
    /// Reads the answer; one that is not an object lists nothing.
    pub fn from_answer(answer: Value) -> Self {
        object(answer).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(value: Value) -> Option<RecordingFile> {
        object::<ZoomRecordingFile>(value)?.to_recording_file("completed")
    }

    fn participant(value: Value) -> ZoomParticipant {
        object(value).unwrap()
    }

    #[test]
    fn files_without_id_are_keyed_by_type_and_start() {
        let tb = json!({"file_type": "TB", "recording_start": "2030-01-01T10:00:00Z", "download_url": "https://x/y"});
        let f = file(tb).unwrap();
        assert_eq!(f.recording_id, "TB-2030-01-01T10:00:00Z");
        assert_eq!(f.status, "completed");
        let mp4 =
            json!({"id": "abc", "file_type": "MP4", "file_size": 12345, "status": "completed"});
        assert_eq!(file(mp4).unwrap().file_size, Some(12345));
        assert!(file(json!({})).is_none());
    }

    #[test]
    fn keys() {
        assert_eq!(
            participant(json!({"participant_uuid": "U1", "user_id": "9"}))
                .key()
                .unwrap(),
            "uuid:U1"
        );
        assert_eq!(
            participant(json!({"user_id": 16778240})).key().unwrap(),
            "user:16778240"
        );
        assert_eq!(
            participant(json!({"email": "A@b.c", "user_name": "Ana"}))
                .key()
                .unwrap(),
            "who:a@b.c|ana"
        );
        assert!(participant(json!({})).key().is_none());
        assert!(
            participant(json!({"participant_uuid": "", "user_id": null}))
                .key()
                .is_none()
        );
    }

    #[test]
    fn customer_keys() {
        let with =
            |key: Value| participant(json!({"user_id": "1", "customer_key": key})).customer_key;
        assert_eq!(with(json!("lms-42")).as_deref(), Some("lms-42"));
        assert_eq!(with(json!(42)).as_deref(), Some("42"));
        for absent in [json!(""), json!(null), json!({"k": 1}), json!([1])] {
            assert_eq!(with(absent.clone()), None, "{absent}");
        }
        let compacted = ZoomEvent::from_value(&json!({"event": "meeting.participant_left",
            "payload": {"object": {"id": "9", "participant": {"user_id": "1", "customer_key": "k1"}}}}))
        .unwrap()
        .compact();
        let ZoomEvent::ParticipantLeft(left) = ZoomEvent::from_value(&compacted).unwrap() else {
            panic!("{compacted}")
        };
        assert_eq!(
            left.payload.object.participant.customer_key.as_deref(),
            Some("k1")
        );
    }

    #[test]
    fn events_parse_tolerantly() {
        let e = ZoomEvent::from_value(&json!({
            "event": "meeting.participant_joined",
            "event_ts": 1893492000123u64,
            "payload": {"object": {"id": 85746065432u64, "uuid": "", "participant": {
                "user_id": 7, "join_time": "2030-01-01T10:00:00Z", "extra": [1]}}}
        }))
        .unwrap();
        let ZoomEvent::ParticipantJoined(j) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(j.event_ts.as_deref(), Some("1893492000123"));
        assert_eq!(j.payload.object.meeting.id.as_deref(), Some("85746065432"));
        assert_eq!(j.payload.object.meeting.uuid, None);
        assert_eq!(
            j.payload.object.participant.key().as_deref(),
            Some("user:7")
        );
        assert!(j.payload.object.participant.joined_at().is_some());
        assert_eq!(j.payload.object.participant.customer_key, None);
        assert!(e.about().unwrap().participant.is_some());

        // Wrong types are absent, not errors.
        let e =
            ZoomEvent::from_value(&json!({"event": "recording.completed", "payload": 5})).unwrap();
        assert_eq!(e, ZoomEvent::RecordingCompleted(Envelope::default()));
        let e = ZoomEvent::from_value(&json!({"event": "recording.trashed",
            "payload": {"object": {"id": "9", "recording_files": [1, {"id": "f"}, {"file_size": "x"}],
                "share_url": ""}}}))
        .unwrap();
        let ZoomEvent::RecordingTrashed(t) = e else {
            panic!()
        };
        assert_eq!(t.payload.object.recording_files.len(), 2);
        assert_eq!(t.payload.object.share_url, None);
        let e = ZoomEvent::from_value(&json!({"event": "endpoint.url_validation",
            "payload": {"plainToken": ""}}))
        .unwrap();
        assert_eq!(
            e,
            ZoomEvent::UrlValidation(UrlValidation {
                payload: ValidationPayload {
                    plain_token: Some(String::new())
                }
            })
        );
    }

    #[test]
    fn unknown_names_are_other_and_a_missing_name_fails() {
        for event in [
            json!({"event": "meeting.created", "payload": 1}),
            json!({"event": ""}),
        ] {
            assert_eq!(ZoomEvent::from_value(&event).unwrap(), ZoomEvent::Other);
        }
        for event in [
            json!({}),
            json!({"event": 0}),
            json!([]),
            json!({"event": null}),
        ] {
            assert!(matches!(
                ZoomEvent::from_value(&event),
                Err(EventError::NoName)
            ));
        }
    }

    #[test]
    fn recordings_answer() {
        let r = ZoomRecordings::from_answer(json!({"share_url": "", "recording_play_passcode": 5,
            "recording_files": [{"id": 1}], "download_access_token": "t"}));
        assert_eq!(r.share_url.as_deref(), Some(""));
        assert_eq!(r.recording_play_passcode, None);
        assert_eq!(r.recording_files[0].id.as_deref(), Some("1"));
        assert_eq!(
            ZoomRecordings::from_answer(Value::Null),
            ZoomRecordings::default()
        );
    }

    #[test]
    fn tokens_are_not_kept() {
        let kept = without_tokens(json!({"event": "x", "download_token": "s",
            "payload": {"download_token": "s", "object": {}}}));
        assert!(!kept.to_string().contains("download_token"));
    }
}
