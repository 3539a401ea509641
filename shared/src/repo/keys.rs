//! The single-table keys (see DESIGN.md).

use crate::store::Key;

pub fn academy_pk(academy_id: &str) -> String {
    format!("ACADEMY#{academy_id}")
}

pub const LICENSE_PREFIX: &str = "LICENSE#";
pub const LICENSE_NAME_PREFIX: &str = "LICENSENAME#";

pub fn license(academy_id: &str, license_id: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{LICENSE_PREFIX}{license_id}"),
    )
}

pub fn license_name(academy_id: &str, name_key: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{LICENSE_NAME_PREFIX}{name_key}"),
    )
}

pub const MEETING_PREFIX: &str = "MEETING#";
pub const IDEMPOTENCY_PREFIX: &str = "IDEMPOTENCY#";
pub const SCHEDULE_VERSION: &str = "VERSION";

/// Sort-key time: fixed width UTC, so text order is time order.
pub fn key_time(time: &chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn meeting(academy_id: &str, meeting_id: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{MEETING_PREFIX}{meeting_id}"),
    )
}

/// Held by the one reschedule of a meeting in progress (see `MeetingService::patch`).
pub fn meeting_edit(academy_id: &str, meeting_id: &str) -> Key {
    Key::new(academy_pk(academy_id), format!("MEETINGEDIT#{meeting_id}"))
}

pub fn calendar_pk(academy_id: &str) -> String {
    format!("ACADEMY#{academy_id}#CAL")
}

pub fn calendar(academy_id: &str, start: &chrono::DateTime<chrono::Utc>, meeting_id: &str) -> Key {
    Key::new(
        calendar_pk(academy_id),
        format!("{}#{meeting_id}", key_time(start)),
    )
}

pub fn schedule_pk(license_id: &str) -> String {
    format!("LICENSE#{license_id}#SCHED")
}

pub fn schedule_version(license_id: &str) -> Key {
    Key::new(schedule_pk(license_id), SCHEDULE_VERSION)
}

/// A booking's sort key; `rev` tells a meeting's successive bookings apart
/// (a reschedule holds the old and the new one until it commits).
pub fn booking_sk(start: &chrono::DateTime<chrono::Utc>, meeting_id: &str, rev: u64) -> String {
    format!("{}#{meeting_id}#{rev}", key_time(start))
}

pub fn zoom_meeting(zoom_meeting_id: &str) -> Key {
    Key::new(format!("ZOOMMEETING#{zoom_meeting_id}"), "META")
}

pub fn idempotency(academy_id: &str, key: &str) -> Key {
    Key::new(academy_pk(academy_id), format!("{IDEMPOTENCY_PREFIX}{key}"))
}

/// License id → academy, for routes that only carry the license id (webhooks).
pub fn license_index(license_id: &str) -> Key {
    Key::new(format!("LICENSEID#{license_id}"), "META")
}

pub const RECORDING_PREFIX: &str = "RECORDING#";
pub const PARTICIPANT_PREFIX: &str = "PARTICIPANT#";
pub const ARCHIVE_PREFIX: &str = "ARCHIVE#";

pub fn meeting_children_pk(meeting_id: &str) -> String {
    format!("MEETING#{meeting_id}")
}

/// Our archive state of a recording file (beside Zoom's record of it).
pub fn archive(meeting_id: &str, file_key: &str) -> Key {
    Key::new(
        meeting_children_pk(meeting_id),
        format!("{ARCHIVE_PREFIX}{file_key}"),
    )
}

pub fn recording(meeting_id: &str, file_key: &str) -> Key {
    Key::new(
        meeting_children_pk(meeting_id),
        format!("{RECORDING_PREFIX}{file_key}"),
    )
}

pub fn participant(meeting_id: &str, participant_key: &str) -> Key {
    Key::new(
        meeting_children_pk(meeting_id),
        format!("{PARTICIPANT_PREFIX}{participant_key}"),
    )
}

/// A webhook event already applied (kept 7 days).
pub fn zoom_event(dedupe_hash: &str) -> Key {
    Key::new(format!("ZOOMEVENT#{dedupe_hash}"), "META")
}

/// The sort key just below the schedule version: every booking sorts before it.
pub fn bookings_end() -> String {
    let mut end = SCHEDULE_VERSION.to_owned();
    end.pop();
    end
}

pub const SERIES_PREFIX: &str = "SERIES#";

/// A class series: one Zoom recurring meeting, its occurrences' meetings.
pub fn series(academy_id: &str, series_id: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{SERIES_PREFIX}{series_id}"),
    )
}

/// A Zoom meeting instance (uuid) → the meeting of ours it was matched to
/// (an occurrence of a series: every occurrence shares the Zoom id).
pub fn zoom_instance(uuid: &str) -> Key {
    Key::new(format!("ZOOMINSTANCE#{uuid}"), "META")
}
