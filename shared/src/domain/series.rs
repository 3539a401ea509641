//! Class series: what the LMS asks for (a meeting's fields plus a
//! `recurrence`), and what is stored of it — one Zoom recurring meeting, one
//! license, and the occurrences, each also a meeting of ours. No I/O here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::meeting::{self, MeetingSettings, NewMeeting};
use super::recurrence::{self, Occurrence, Recurrence};
use super::validation::{FieldError, Problems, Reader, Rule};

const FIELDS: &[&str] = &[
    "topic",
    "startTime",
    "durationMinutes",
    "timezone",
    "recurrence",
    "licenseId",
    "agenda",
    "externalRef",
    "settings",
];
/// What a series PATCH may change for every occurrence (a time change
/// re-books them all).
const PATCH_FIELDS: &[&str] = &[
    "topic",
    "agenda",
    "settings",
    "startTime",
    "durationMinutes",
];
/// The zone a series without `timezone` counts its local times in.
pub const DEFAULT_TIMEZONE: &str = "UTC";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesStatus {
    /// Reserved, Zoom being asked or the occurrences being committed.
    Pending,
    Scheduled,
    Deleted,
    /// Never committed (undone).
    Failed,
}

/// One occurrence as the series knows it: the meeting it is, Zoom's id of
/// it, and when it is (what Zoom's events are matched on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesOccurrence {
    pub meeting_id: String,
    #[serde(default)]
    pub occurrence_id: Option<String>,
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
    /// The revision of the booking that holds it (as its meeting's).
    #[serde(default = "first_rev")]
    pub booking_rev: u64,
}

fn first_rev() -> u64 {
    1
}

impl SeriesOccurrence {
    pub fn end_time(&self) -> DateTime<Utc> {
        self.start_time + chrono::Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// A series as stored (`ACADEMY#{a}` / `SERIES#{id}`). Zoom's `start_url`
/// is never part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Series {
    pub series_id: String,
    pub academy_id: String,
    pub license_id: String,
    #[serde(default)]
    pub zoom_meeting_id: Option<String>,
    pub topic: String,
    /// The first occurrence's start, as the request named it.
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
    pub timezone: String,
    /// The request's `recurrence`, as read back ([`Recurrence::to_json`]).
    pub recurrence: Value,
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
    pub status: SeriesStatus,
    pub occurrences: Vec<SeriesOccurrence>,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Series {
    /// The occurrence Zoom's event about an instance that started at
    /// `start` is: the one scheduled nearest to it (Zoom's events carry no
    /// `occurrence_id`, ZOOM-2.md D; matching by start is a heuristic, so
    /// an instance UUID seen before is matched first, by the caller).
    pub fn nearest(&self, start: DateTime<Utc>) -> Option<&SeriesOccurrence> {
        self.occurrences
            .iter()
            .min_by_key(|o| (o.start_time - start).num_seconds().abs())
    }

    pub fn occurrence(&self, meeting_id: &str) -> Option<&SeriesOccurrence> {
        self.occurrences.iter().find(|o| o.meeting_id == meeting_id)
    }
}

/// A valid create request: the meeting fields and the occurrences they expand to.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSeries {
    /// `start_time` is the first occurrence's.
    pub meeting: NewMeeting,
    pub timezone: String,
    pub recurrence: Recurrence,
    pub occurrences: Vec<Occurrence>,
}

/// A valid series patch: what changes in every occurrence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeriesPatch {
    pub topic: Option<String>,
    pub agenda: Option<String>,
    pub settings: Option<MeetingSettings>,
    /// A new first occurrence (the others follow the recurrence from it).
    pub start_time: Option<DateTime<Utc>>,
    pub duration_minutes: Option<u32>,
}

impl SeriesPatch {
    pub fn moves(&self) -> bool {
        self.start_time.is_some() || self.duration_minutes.is_some()
    }
}

impl Series {
    /// The occurrences this series has from `start`, each `minutes` long,
    /// by its recurrence in its time zone (what a time change books).
    pub fn expand_from(
        &self,
        start: DateTime<Utc>,
        minutes: u32,
    ) -> Result<Vec<Occurrence>, FieldError> {
        let recurrence = recurrence::parse_recurrence(self.recurrence.clone())
            .map_err(|_| FieldError::new("recurrence", Rule::Unknown))?;
        let tz = recurrence::parse_timezone(&self.timezone)
            .ok_or_else(|| FieldError::new("timezone", Rule::NotATimezone))?;
        let occurrences = recurrence::expand(&recurrence, start, minutes, tz)?;
        if occurrences.len() != self.occurrences.len() {
            return Err(FieldError::new("startTime", Rule::ChangesOccurrenceCount));
        }
        Ok(occurrences)
    }
}

pub fn parse_create(body: Map<String, Value>) -> Result<NewSeries, Problems> {
    let mut r = Reader::new(body, FIELDS);
    let raw = r.take_value("recurrence");
    let recurrence = recurrence::read_recurrence(&mut r, raw);
    let new = meeting::read_new(&mut r);
    let timezone = new
        .timezone
        .clone()
        .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
    let tz = recurrence::parse_timezone(&timezone);
    if tz.is_none() && !r.has_problem("timezone") {
        r.invalid("timezone", Rule::NotATimezone);
    }
    let (Some(recurrence), Some(tz), true) = (recurrence, tz, r.problems.is_empty()) else {
        return Err(r.problems);
    };
    match recurrence::expand(&recurrence, new.start_time, new.duration_minutes, tz) {
        Ok(occurrences) => Ok(NewSeries {
            meeting: new,
            timezone,
            recurrence,
            occurrences,
        }),
        Err(e) => Err(one_problem(e)),
    }
}

fn one_problem(e: FieldError) -> Problems {
    Problems {
        wrong_types: Vec::new(),
        invalid: vec![e],
    }
}

pub fn parse_patch(body: Map<String, Value>) -> Result<SeriesPatch, Problems> {
    let mut r = Reader::new(body, PATCH_FIELDS);
    let topic = r.string("topic", meeting::TOPIC_MAX_CHARS, false);
    if matches!(topic, super::validation::Field::Null) {
        r.invalid("topic", Rule::NotNull);
    }
    let agenda = r.string("agenda", meeting::AGENDA_MAX_CHARS, false);
    let raw = r.take_value("settings");
    let settings = meeting::read_settings(&mut r, raw);
    let raw_start = r.string("startTime", 64, true);
    if matches!(raw_start, super::validation::Field::Null) {
        r.invalid("startTime", Rule::NotNull);
    }
    let start_time = meeting::parse_time(&mut r, "startTime", raw_start);
    let duration = r.integer("durationMinutes", 1, meeting::MAX_DURATION_MINUTES);
    if matches!(duration, super::validation::Field::Null) {
        r.invalid("durationMinutes", Rule::NotNull);
    }
    if r.problems.is_empty() {
        Ok(SeriesPatch {
            topic: topic.into_option(),
            agenda: agenda.into_option(),
            settings,
            start_time,
            duration_minutes: duration.into_option().map(|d| d as u32),
        })
    } else {
        Err(r.problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_series_expands_in_its_timezone() {
        let new = parse_create(object(json!({
            "topic": "Álgebra I", "startTime": "2027-03-02T18:00:00-03:00", "durationMinutes": 90,
            "timezone": "America/Argentina/Buenos_Aires",
            "recurrence": {"type": "weekly", "weeklyDays": ["tue", "thu"], "endTimes": 24}
        })))
        .unwrap();
        assert_eq!(new.occurrences.len(), 24);
        assert_eq!(new.meeting.start_time, new.occurrences[0].start_time);
    }

    #[test]
    fn every_problem_is_told_at_once() {
        let p = parse_create(object(json!({
            "topic": "", "startTime": "2027-03-02T18:00:00-03:00", "durationMinutes": 90,
            "timezone": "Mars/Olympus", "recurrence": {"type": "yearly"}, "extra": 1
        })))
        .unwrap_err();
        let fields: Vec<_> = p.invalid.iter().map(|e| e.field.as_str()).collect();
        for f in ["topic", "timezone", "recurrence.type", "extra"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let missing = parse_create(object(json!({
            "topic": "x", "startTime": "2027-03-02T18:00:00Z", "durationMinutes": 60
        })))
        .unwrap_err();
        assert_eq!(missing.invalid[0].field, "recurrence");
    }

    #[test]
    fn an_end_date_beyond_fifty_occurrences_is_refused() {
        let p = parse_create(object(json!({
            "topic": "x", "startTime": "2027-03-02T18:00:00Z", "durationMinutes": 60,
            "recurrence": {"type": "daily", "endDate": "2027-12-31"}
        })))
        .unwrap_err();
        assert_eq!(p.invalid[0].field, "recurrence.endDate");
    }

    #[test]
    fn a_patch_changes_only_what_applies_to_every_occurrence() {
        let p = parse_patch(object(json!({"topic": "Álgebra II", "agenda": "U1"}))).unwrap();
        assert_eq!(p.topic.as_deref(), Some("Álgebra II"));
        let moved = parse_patch(object(json!({"startTime": "2027-03-02T18:00:00Z"}))).unwrap();
        assert!(moved.moves());
        let refused = parse_patch(object(json!({"recurrence": {"type": "daily"}})));
        assert_eq!(refused.unwrap_err().invalid[0].field, "recurrence");
        let refused = parse_patch(object(json!({"startTime": "tomorrow"})));
        assert_eq!(refused.unwrap_err().invalid[0].field, "startTime");
    }
}
