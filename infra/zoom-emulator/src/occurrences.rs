//! The occurrences of a type-8 (recurring, fixed time) meeting (ZOOM-2.md
//! D): what `occurrences[]` lists, what `?occurrence_id=` answers and
//! changes, and each started occurrence's own instance UUID.

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value, json};

use crate::meeting_input;
use crate::meeting_model::{Meeting, zoom_time};
use crate::recurrence::Recurrence;
use crate::reply::{self, Rejection};

/// One occurrence as the emulator stores it.
#[derive(Debug, Clone)]
pub(crate) struct Occurrence {
    /// Epoch milliseconds of the occurrence's scheduled start, as the series
    /// made it: its `occurrence_id`, kept when the occurrence is moved
    /// (UNCONFIRMED).
    pub id: i64,
    /// The start (moved by an occurrence PATCH, else the scheduled one).
    pub start_time: DateTime<Utc>,
    /// Set by an occurrence PATCH; else the series' duration.
    pub duration: Option<u32>,
    /// Set by an occurrence PATCH; else the series' agenda.
    pub agenda: Option<String>,
    /// Settings an occurrence PATCH set, over the series' settings.
    pub settings: Map<String, Value>,
    pub deleted: bool,
    /// The instance UUID, made when the occurrence first starts (or is
    /// first asked for, [`crate::Emulator::occurrence_instance`]).
    pub uuid: Option<String>,
}

/// The `settings` an occurrence PATCH may change (ZOOM-2.md D).
const OCCURRENCE_SETTINGS: &[&str] = &[
    "host_video",
    "participant_video",
    "join_before_host",
    "mute_upon_entry",
    "waiting_room",
    "watermark",
    "auto_recording",
];

/// The occurrences of `recurrence` from `start` (see [`Recurrence::starts`]),
/// in `timezone`'s wall-clock time (else in `offset`'s).
pub(crate) fn schedule(
    recurrence: &Recurrence,
    start: DateTime<Utc>,
    offset: FixedOffset,
    timezone: &str,
) -> Result<Vec<Occurrence>, Rejection> {
    let starts = match timezone.parse::<chrono_tz::Tz>() {
        Ok(zone) => recurrence.starts(start, &zone)?,
        Err(_) => recurrence.starts(start, &offset)?,
    };
    Ok(starts
        .into_iter()
        .map(|at| Occurrence {
            id: at.timestamp_millis(),
            start_time: at,
            duration: None,
            agenda: None,
            settings: Map::new(),
            deleted: false,
            uuid: None,
        })
        .collect())
}

impl Occurrence {
    /// `{occurrence_id, start_time, duration, status}`.
    pub(crate) fn to_json(&self, meeting: &Meeting) -> Value {
        json!({
            "occurrence_id": self.id.to_string(),
            "start_time": zoom_time(&self.start_time),
            "duration": self.duration(meeting),
            "status": if self.deleted { "deleted" } else { "available" },
        })
    }

    pub(crate) fn duration(&self, meeting: &Meeting) -> u32 {
        self.duration.unwrap_or(meeting.duration)
    }

    pub(crate) fn agenda<'a>(&'a self, meeting: &'a Meeting) -> &'a str {
        self.agenda.as_deref().unwrap_or(&meeting.agenda)
    }

    /// The series' settings with this occurrence's over them.
    pub(crate) fn settings(&self, meeting: &Meeting) -> Map<String, Value> {
        let mut settings = meeting.settings.clone();
        meeting_input::merge_settings(&mut settings, self.settings.clone());
        settings
    }
}

/// Parses `?occurrence_id=`: epoch milliseconds as digits.
pub(crate) fn parse_id(text: &str) -> Option<i64> {
    text.parse().ok()
}

/// `404 {"code":3001,"message":"Meeting does not exist: {id}."}` for an
/// occurrence the meeting does not have (UNCONFIRMED: Zoom's code and words
/// for an unknown or deleted occurrence are not documented).
pub(crate) fn not_found(meeting_id: &str) -> Rejection {
    reply::meeting_not_found(meeting_id)
}

/// Applies a `PATCH …?occurrence_id=` body to one occurrence: only
/// `start_time`, `duration`, `agenda` and the settings of ZOOM-2.md D;
/// any other field (non-null) is a validation error naming it
/// (UNCONFIRMED: Zoom may ignore them instead). A `start_time` without a
/// zone is read in the meeting's `timezone` (UTC-like zones only).
pub(crate) fn patch(
    occurrence: &mut Occurrence,
    timezone: &str,
    body: &[u8],
) -> Result<(), Rejection> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err(reply::invalid_json_body());
    };
    for (key, value) in &object {
        if value.is_null() {
            continue;
        }
        match key.as_str() {
            "start_time" | "duration" | "agenda" => {}
            "settings" => {
                if let Value::Object(settings) = value
                    && let Some(bad) = settings
                        .keys()
                        .find(|k| !OCCURRENCE_SETTINGS.contains(&k.as_str()))
                {
                    return Err(reply::validation_failed(&format!("settings.{bad}")));
                }
            }
            other => return Err(reply::validation_failed(other)),
        }
    }
    // The shared parser validates the values (types, lengths, enums).
    let input = meeting_input::parse(body)?;
    let mut changed = occurrence.clone();
    if let Some(start_time) = input.start_time {
        changed.start_time = start_time.resolve(timezone)?;
    }
    if let Some(duration) = input.duration {
        changed.duration = Some(duration);
    }
    if let Some(agenda) = input.agenda {
        changed.agenda = Some(agenda);
    }
    if let Some(settings) = input.settings {
        changed.settings.extend(settings);
    }
    *occurrence = changed;
    Ok(())
}
