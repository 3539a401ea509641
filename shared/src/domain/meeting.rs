//! Meetings: what the LMS schedules, the rules its fields follow, and how it
//! maps to Zoom's meeting JSON. No I/O here.

use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::validation::{Field, FieldError, Problems, Reader, Rule};

pub const TOPIC_MAX_CHARS: usize = 200;
pub const AGENDA_MAX_CHARS: usize = 2000;
pub const EXTERNAL_REF_MAX_CHARS: usize = 200;
pub const TIMEZONE_MAX_CHARS: usize = 64;
pub const MAX_DURATION_MINUTES: i64 = 1440;
pub const AUTO_RECORDING: &[&str] = &["local", "cloud", "none"];

const FIELDS: &[&str] = &[
    "topic",
    "startTime",
    "durationMinutes",
    "timezone",
    "licenseId",
    "agenda",
    "externalRef",
    "settings",
];
const PATCH_FIELDS: &[&str] = &[
    "topic",
    "startTime",
    "durationMinutes",
    "timezone",
    "agenda",
    "settings",
];
const SETTINGS: &[&str] = &[
    "waitingRoom",
    "joinBeforeHost",
    "muteUponEntry",
    "autoRecording",
    "hostVideo",
    "participantVideo",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeetingStatus {
    /// Reserved, Zoom being asked; not visible to the LMS.
    Pending,
    Scheduled,
    Started,
    Ended,
    Deleted,
    /// A reservation whose Zoom create failed or was abandoned.
    Failed,
}

impl MeetingStatus {
    /// Whether the meeting may still take place (holds its slot).
    pub fn is_active(self) -> bool {
        matches!(self, MeetingStatus::Scheduled | MeetingStatus::Started)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_video: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_video: Option<bool>,
}

impl MeetingSettings {
    /// These settings with `other`'s values where `other` sets them.
    pub fn merged(&self, other: &MeetingSettings) -> MeetingSettings {
        MeetingSettings {
            waiting_room: other.waiting_room.or(self.waiting_room),
            join_before_host: other.join_before_host.or(self.join_before_host),
            mute_upon_entry: other.mute_upon_entry.or(self.mute_upon_entry),
            auto_recording: other
                .auto_recording
                .clone()
                .or_else(|| self.auto_recording.clone()),
            host_video: other.host_video.or(self.host_video),
            participant_video: other.participant_video.or(self.participant_video),
        }
    }
}

/// A meeting as stored. Zoom's `start_url` is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub meeting_id: String,
    pub academy_id: String,
    pub license_id: String,
    #[serde(default)]
    pub zoom_meeting_id: Option<String>,
    #[serde(default)]
    pub zoom_uuid: Option<String>,
    pub topic: String,
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub agenda: Option<String>,
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub settings: MeetingSettings,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// From `recording.completed` or a recording sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_passcode: Option<String>,
    pub status: MeetingStatus,
    /// The booking holding this meeting's slot (its revision).
    #[serde(default)]
    pub booking_rev: u64,
    /// What happened once it was held (events, reconciliation).
    #[serde(default, skip_serializing_if = "Held::is_empty")]
    pub held: Held,
    /// The class series this meeting is an occurrence of, and Zoom's
    /// `occurrence_id` of it (the series' one Zoom meeting is shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrence_id: Option<String>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A meeting once held: when Zoom says it started and ended, and how its
/// attendance was reconciled with Zoom's report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Held {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// When Zoom's participant report was last read into the attendance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciled_at: Option<DateTime<Utc>>,
    /// Why reconciliation gave up (after retrying for a day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile_error: Option<ReconcileError>,
}

impl Held {
    pub fn is_empty(&self) -> bool {
        *self == Held::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileError {
    pub code: String,
    pub message: String,
}

/// The part of a meeting a signature reads (nothing else is decoded).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingJoin {
    pub license_id: String,
    #[serde(default)]
    pub zoom_meeting_id: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub status: MeetingStatus,
}

impl Meeting {
    /// The booking that holds this meeting's slot.
    pub fn booking(&self) -> super::scheduling::Booking {
        super::scheduling::Booking {
            meeting_id: self.meeting_id.clone(),
            rev: self.booking_rev,
            start_time: self.start_time,
            end_time: self.end_time(),
            state: super::scheduling::BookingState::Committed,
            expires_at: None,
        }
    }

    /// How long it was actually held (started → ended), else as scheduled.
    pub fn actual_length(&self) -> Duration {
        match (self.held.started_at, self.held.ended_at) {
            (Some(start), Some(end)) if end > start => end - start,
            _ => Duration::minutes(i64::from(self.duration_minutes)),
        }
    }

    pub fn end_time(&self) -> DateTime<Utc> {
        self.start_time + Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// Zoom's time format: UTC with `Z`, whole seconds.
pub fn zoom_time(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A valid create request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMeeting {
    pub topic: String,
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
    pub timezone: Option<String>,
    pub license_id: Option<String>,
    pub agenda: Option<String>,
    pub external_ref: Option<String>,
    pub settings: MeetingSettings,
}

impl NewMeeting {
    pub fn end_time(&self) -> DateTime<Utc> {
        self.start_time + Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// A valid patch: only what the caller sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeetingPatch {
    pub topic: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub duration_minutes: Option<u32>,
    pub timezone: Option<String>,
    pub agenda: Option<String>,
    pub settings: Option<MeetingSettings>,
}

impl MeetingPatch {
    pub fn apply(&self, current: &Meeting) -> Meeting {
        let mut next = current.clone();
        if let Some(t) = &self.topic {
            next.topic.clone_from(t);
        }
        if let Some(s) = self.start_time {
            next.start_time = s;
        }
        if let Some(d) = self.duration_minutes {
            next.duration_minutes = d;
        }
        if let Some(tz) = &self.timezone {
            next.timezone = Some(tz.clone());
        }
        if let Some(a) = &self.agenda {
            next.agenda = Some(a.clone());
        }
        if let Some(s) = &self.settings {
            next.settings = current.settings.merged(s);
        }
        next
    }
}

/// RFC 3339 with an explicit offset (`Z` or `±hh:mm`), to the whole second:
/// Zoom, the API and the store keys all count in whole seconds, so a
/// fraction would make two times that everyone shows alike compare unequal.
pub(crate) fn parse_time(
    reader: &mut Reader,
    name: &str,
    value: Field<String>,
) -> Option<DateTime<Utc>> {
    let raw = value.into_option()?;
    match DateTime::<FixedOffset>::parse_from_rfc3339(&raw) {
        Ok(t) => Some(t.with_timezone(&Utc).trunc_subsecs(0)),
        Err(_) => {
            reader.invalid(name, Rule::NotATimeWithOffset);
            None
        }
    }
}

fn valid_timezone(tz: &str) -> bool {
    // IANA names: Area/Location[/Sub], or UTC/GMT; no tz database here, so the shape.
    tz == "UTC"
        || tz == "GMT"
        || (tz.contains('/')
            && tz
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)))
}

pub(crate) fn read_settings(reader: &mut Reader, value: Field<Value>) -> Option<MeetingSettings> {
    let object = match value {
        Field::Value(Value::Object(o)) => o,
        Field::Value(_) => {
            reader
                .problems
                .wrong_types
                .push(FieldError::new("settings", Rule::WrongType("object")));
            return None;
        }
        _ => return None,
    };
    let mut settings = MeetingSettings::default();
    for (name, value) in object {
        let field = format!("settings.{name}");
        if !SETTINGS.contains(&name.as_str()) {
            reader.invalid(&field, Rule::Unknown);
            continue;
        }
        if name == "autoRecording" {
            match value {
                Value::String(s) if AUTO_RECORDING.contains(&s.as_str()) => {
                    settings.auto_recording = Some(s)
                }
                Value::String(_) => reader.invalid(&field, Rule::OneOf(AUTO_RECORDING)),
                Value::Null => {}
                _ => reader
                    .problems
                    .wrong_types
                    .push(FieldError::new(field, Rule::WrongType("string"))),
            }
            continue;
        }
        let flag = match value {
            Value::Bool(b) => Some(b),
            Value::Null => None,
            _ => {
                reader
                    .problems
                    .wrong_types
                    .push(FieldError::new(field, Rule::WrongType("boolean")));
                None
            }
        };
        match name.as_str() {
            "waitingRoom" => settings.waiting_room = flag,
            "joinBeforeHost" => settings.join_before_host = flag,
            "muteUponEntry" => settings.mute_upon_entry = flag,
            "hostVideo" => settings.host_video = flag,
            _ => settings.participant_video = flag,
        }
    }
    Some(settings)
}

struct Common {
    topic: Field<String>,
    start_time: Option<DateTime<Utc>>,
    start_given: bool,
    duration: Field<i64>,
    timezone: Field<String>,
    agenda: Field<String>,
    settings: Option<MeetingSettings>,
}

fn read_common(r: &mut Reader) -> Common {
    let topic = r.string("topic", TOPIC_MAX_CHARS, false);
    let start_raw = r.string("startTime", 64, true);
    let start_given = !matches!(start_raw, Field::Absent) || r.has_problem("startTime");
    let start_null = matches!(start_raw, Field::Null);
    let start_time = parse_time(r, "startTime", start_raw);
    if start_null {
        r.invalid("startTime", Rule::NotNull);
    }
    let duration = r.integer("durationMinutes", 1, MAX_DURATION_MINUTES);
    let timezone = r.string("timezone", TIMEZONE_MAX_CHARS, true);
    if let Field::Value(tz) = &timezone
        && !valid_timezone(tz)
    {
        r.invalid("timezone", Rule::NotATimezone);
    }
    let agenda = r.string("agenda", AGENDA_MAX_CHARS, false);
    let settings_value = r.take_value("settings");
    let settings = read_settings(r, settings_value);
    Common {
        topic,
        start_time,
        start_given,
        duration,
        timezone,
        agenda,
        settings,
    }
}

fn finish<T>(reader: Reader, value: impl FnOnce() -> T) -> Result<T, Problems> {
    if reader.problems.is_empty() {
        Ok(value())
    } else {
        Err(reader.problems)
    }
}

pub fn parse_create(body: Map<String, Value>) -> Result<NewMeeting, Problems> {
    let mut r = Reader::new(body, FIELDS);
    let new = read_new(&mut r);
    finish(r, || new)
}

/// The fields of a create (a meeting's, or a series' besides its
/// `recurrence`) read into `r`'s problems; the value is only meaningful
/// when there are none.
pub(crate) fn read_new(r: &mut Reader) -> NewMeeting {
    let c = read_common(r);
    let license_id = r.string("licenseId", 64, true).into_option();
    let external_ref = r
        .string("externalRef", EXTERNAL_REF_MAX_CHARS, false)
        .into_option();
    let seen = r.has_problem("topic");
    let topic = r.require("topic", c.topic, seen);
    if c.start_time.is_none() && !c.start_given {
        r.invalid("startTime", Rule::Required);
    }
    let seen = r.has_problem("durationMinutes");
    let duration = r.require("durationMinutes", c.duration, seen);
    NewMeeting {
        topic: topic.unwrap_or_default(),
        start_time: c.start_time.unwrap_or_default(),
        duration_minutes: duration.unwrap_or(1) as u32,
        timezone: c.timezone.into_option(),
        license_id,
        agenda: c.agenda.into_option(),
        external_ref,
        settings: c.settings.unwrap_or_default(),
    }
}

pub fn parse_patch(body: Map<String, Value>) -> Result<MeetingPatch, Problems> {
    let mut r = Reader::new(body, PATCH_FIELDS);
    let c = read_common(&mut r);
    for (name, null) in [
        ("topic", matches!(c.topic, Field::Null)),
        ("durationMinutes", matches!(c.duration, Field::Null)),
    ] {
        if null {
            r.invalid(name, Rule::NotNull);
        }
    }
    finish(r, || MeetingPatch {
        topic: c.topic.into_option(),
        start_time: c.start_time,
        duration_minutes: c.duration.into_option().map(|d| d as u32),
        timezone: c.timezone.into_option(),
        agenda: c.agenda.into_option(),
        settings: c.settings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn times_are_read_to_the_whole_second() {
        let new = parse_create(object(json!({
            "topic": "Clase", "startTime": "2026-12-01T15:00:00.999-03:00", "durationMinutes": 30
        })))
        .unwrap();
        assert_eq!(new.start_time.to_rfc3339(), "2026-12-01T18:00:00+00:00");
        let patch = parse_patch(object(json!({"startTime": "2026-12-01T18:00:00.5Z"}))).unwrap();
        assert_eq!(patch.start_time, Some(new.start_time));
    }

    #[test]
    fn create_converts_to_utc() {
        let new = parse_create(object(json!({
            "topic": "Clase 3", "startTime": "2026-12-01T15:00:00-03:00", "durationMinutes": 90,
            "timezone": "America/Argentina/Buenos_Aires", "agenda": "Unidad 2",
            "settings": {"waitingRoom": true, "joinBeforeHost": false, "muteUponEntry": true,
                         "autoRecording": "cloud", "hostVideo": true, "participantVideo": false}
        })))
        .unwrap();
        assert_eq!(zoom_time(&new.start_time), "2026-12-01T18:00:00Z");
        assert_eq!(zoom_time(&new.end_time()), "2026-12-01T19:30:00Z");
    }

    #[test]
    fn create_validation() {
        let problems = parse_create(object(json!({
            "topic": "", "startTime": "2026-12-01T15:00:00", "durationMinutes": 1441,
            "settings": {"autoRecording": "tape", "nope": true}, "timezone": "Mars Base"
        })))
        .unwrap_err();
        let fields: Vec<_> = problems.invalid.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "topic",
            "startTime",
            "durationMinutes",
            "settings.autoRecording",
            "settings.nope",
            "timezone",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let missing = parse_create(object(json!({}))).unwrap_err();
        let fields: Vec<_> = missing.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["topic", "startTime", "durationMinutes"]);
        let typed = parse_create(object(
            json!({"topic": "x", "startTime": "2026-12-01T15:00:00Z",
            "durationMinutes": 60, "settings": {"waitingRoom": "yes"}}),
        ))
        .unwrap_err();
        assert_eq!(typed.wrong_types[0].field, "settings.waitingRoom");
    }
}
