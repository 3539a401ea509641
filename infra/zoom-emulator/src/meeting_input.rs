//! Parsing and validating create/update meeting bodies the way Zoom answers
//! them: `300 Request Body should be a valid JSON object.` or `300 Validation
//! Failed.` naming the first bad field.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::reply::{self, Rejection};

/// What a create or update body sets; `None` = not given.
#[derive(Debug, Default)]
pub(crate) struct MeetingInput {
    pub topic: Option<String>,
    pub kind: Option<u8>,
    pub start_time: Option<StartTime>,
    pub duration: Option<u32>,
    pub timezone: Option<String>,
    pub agenda: Option<String>,
    pub password: Option<String>,
    pub pre_schedule: Option<bool>,
    pub settings: Option<Map<String, Value>>,
    /// `recurrence`, `tracking_fields`: stored and echoed as given (a type-8
    /// meeting's `recurrence` is taken out and validated, [`crate::recurrence`]).
    pub echoed: Map<String, Value>,
}

/// A `start_time` as given.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StartTime {
    /// Ended in `Z` or carried an offset (kept: a series' occurrences keep it).
    Absolute(DateTime<FixedOffset>),
    /// No zone: local time in the request's (or the meeting's) `timezone`.
    Local(NaiveDateTime),
}

impl StartTime {
    /// The UTC instant. A local time is only understood in a UTC-like zone
    /// (`UTC`, `GMT`, `Etc/UTC`, `Etc/GMT`): the emulator carries no time zone
    /// database, so other zones are answered with a `start_time` validation
    /// error (an emulator limitation, logged as a warning). Send `Z` times.
    pub(crate) fn resolve(self, timezone: &str) -> Result<DateTime<Utc>, Rejection> {
        match self {
            StartTime::Absolute(time) => Ok(time.with_timezone(&Utc)),
            StartTime::Local(local) if is_utc_like(timezone) => Ok(local.and_utc()),
            StartTime::Local(_) => {
                tracing::warn!(
                    timezone,
                    "zoom emulator: start_time without Z in a non-UTC timezone is not supported; send UTC with Z"
                );
                Err(reply::validation_failed("start_time"))
            }
        }
    }
}

impl StartTime {
    /// The UTC offset it was given with (UTC for a local time, which is only
    /// accepted in UTC-like zones).
    pub(crate) fn offset(self) -> FixedOffset {
        match self {
            StartTime::Absolute(time) => *time.offset(),
            StartTime::Local(_) => FixedOffset::east_opt(0).expect("zero offset"),
        }
    }
}

fn is_utc_like(timezone: &str) -> bool {
    matches!(
        timezone,
        "" | "UTC" | "GMT" | "Etc/UTC" | "Etc/GMT" | "Universal" | "Zulu"
    )
}

const BOOL_SETTINGS: &[&str] = &[
    "host_video",
    "participant_video",
    "cn_meeting",
    "in_meeting",
    "join_before_host",
    "mute_upon_entry",
    "watermark",
    "use_pmi",
    "enforce_login",
    "alternative_hosts_email_notification",
    "close_registration",
    "show_share_button",
    "allow_multiple_devices",
    "registrants_confirmation_email",
    "waiting_room",
    "request_permission_to_unmute_participants",
    "registrants_email_notification",
    "meeting_authentication",
    "internal_meeting",
    "participant_focused_meeting",
    "push_change_to_calendar",
    "auto_start_meeting_summary",
    "email_notification",
    "host_save_video_order",
    "device_testing",
    "private_meeting",
    "focus_mode",
];

const STRING_SETTINGS: &[&str] = &[
    "alternative_hosts",
    "authentication_option",
    "authentication_domains",
    "enforce_login_domains",
    "contact_name",
    "contact_email",
];

/// Parses a create/update body.
pub(crate) fn parse(body: &[u8]) -> Result<MeetingInput, Rejection> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err(reply::invalid_json_body());
    };
    let mut input = MeetingInput::default();
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        let ok = match key.as_str() {
            "topic" => set(&mut input.topic, string_max(&value, 200)),
            "type" => set(
                &mut input.kind,
                integer(&value)
                    .filter(|t| [1, 2, 3, 8].contains(t))
                    .map(|t| t as u8),
            ),
            "start_time" => set(
                &mut input.start_time,
                value.as_str().and_then(parse_start_time),
            ),
            "duration" => set(
                &mut input.duration,
                integer(&value).and_then(|d| u32::try_from(d).ok()),
            ),
            "timezone" => set(&mut input.timezone, value.as_str().map(str::to_owned)),
            "agenda" => set(&mut input.agenda, string_max(&value, 2000)),
            "password" => set(&mut input.password, string_max(&value, 10)),
            "pre_schedule" => set(&mut input.pre_schedule, value.as_bool()),
            "settings" => match value {
                Value::Object(settings) => {
                    validate_settings(&settings)?;
                    input.settings = Some(settings);
                    true
                }
                _ => false,
            },
            "recurrence" | "tracking_fields" => {
                input.echoed.insert(key.clone(), value);
                true
            }
            _ => true,
        };
        if !ok {
            return Err(reply::validation_failed(&key));
        }
    }
    Ok(input)
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

fn string_max(value: &Value, max_chars: usize) -> Option<String> {
    value
        .as_str()
        .filter(|s| s.chars().count() <= max_chars)
        .map(str::to_owned)
}

/// A JSON integer, or a string of digits (Zoom's JSON binding coerces those).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ` (or any RFC 3339 time with an offset), or the same
/// without a zone (local time).
fn parse_start_time(text: &str) -> Option<StartTime> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(StartTime::Absolute(time));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(StartTime::Local)
}

fn validate_settings(settings: &Map<String, Value>) -> Result<(), Rejection> {
    for (key, value) in settings {
        let ok = if BOOL_SETTINGS.contains(&key.as_str()) {
            value.is_boolean()
        } else if STRING_SETTINGS.contains(&key.as_str()) {
            value.is_string()
        } else {
            match key.as_str() {
                "approval_type" => integer(value).is_some_and(|v| (0..=2).contains(&v)),
                "registration_type" => integer(value).is_some_and(|v| (1..=3).contains(&v)),
                "jbh_time" => integer(value).is_some_and(|v| [0, 5, 10].contains(&v)),
                "audio" => one_of(value, &["both", "telephony", "voip", "thirdParty"]),
                "auto_recording" => one_of(value, &["local", "cloud", "none"]),
                "encryption_type" => one_of(value, &["enhanced_encryption", "e2ee"]),
                _ => true,
            }
        };
        if !ok {
            return Err(reply::validation_failed(&format!("settings.{key}")));
        }
    }
    Ok(())
}

fn one_of(value: &Value, allowed: &[&str]) -> bool {
    value.as_str().is_some_and(|v| allowed.contains(&v))
}

/// Overlays `given` on `current` (unknown keys are kept as given); a waiting
/// room turns join-before-host off, as Zoom does.
pub(crate) fn merge_settings(current: &mut Map<String, Value>, given: Map<String, Value>) {
    current.extend(given);
    if current.get("waiting_room") == Some(&Value::Bool(true)) {
        current.insert("join_before_host".into(), Value::Bool(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(rejection: Rejection) -> u16 {
        axum::response::IntoResponse::into_response(rejection)
            .status()
            .as_u16()
    }

    #[test]
    fn parses_and_validates() {
        let input = parse(br#"{"topic":"Algebra","type":2,"start_time":"2030-01-02T15:04:05Z","duration":"45","settings":{"waiting_room":true}}"#).unwrap();
        assert_eq!(input.topic.as_deref(), Some("Algebra"));
        assert_eq!(input.duration, Some(45));
        let time = input.start_time.unwrap().resolve("America/Lima").unwrap();
        assert_eq!(time.to_rfc3339(), "2030-01-02T15:04:05+00:00");
        assert_eq!(status_of(parse(b"[1]").unwrap_err()), 400);
        assert!(parse(br#"{"duration":-1}"#).is_err());
        assert!(parse(br#"{"password":"12345678901"}"#).is_err());
        assert!(parse(br#"{"settings":{"auto_recording":"tape"}}"#).is_err());
        let local = parse(br#"{"start_time":"2030-01-02T15:04:05"}"#)
            .unwrap()
            .start_time
            .unwrap();
        assert!(local.resolve("UTC").is_ok());
        assert!(local.resolve("America/Lima").is_err());
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let input = parse(br#"{"start_time":"2030-01-02T10:00:00-05:00"}"#).unwrap();
        let time = input.start_time.unwrap().resolve("").unwrap();
        assert_eq!(time.to_rfc3339(), "2030-01-02T15:00:00+00:00");
    }
}
