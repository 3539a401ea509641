//! The JSON the API returns: licenses (in the reader's language), meetings,
//! recordings and attendance.

use serde_json::{Value, json};

use super::check_text;
use super::i18n::Lang;
use crate::app::meetings::SeriesView;
use crate::app::recordings::MeetingRecordings;
use crate::domain::archive::Archive;
use crate::domain::attendance::Attendance;
use crate::domain::license::{License, rfc3339};
use crate::domain::meeting::{Meeting, zoom_time};
use crate::domain::recording::RecordingFile;
use crate::domain::verification::Verification;

pub fn verification(report: &Verification, lang: Lang) -> Value {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "status": c.status,
                "code": c.code,
                "message": check_text::message(lang, c),
            })
        })
        .collect();
    json!({
        "status": report.status,
        "checkedAt": rfc3339(&report.checked_at),
        "grantedScopes": report.granted_scopes,
        "missingScopes": report.missing_scopes,
        "zoomUser": report.zoom_user,
        "checks": checks,
    })
}

/// A license without any secret: hints only.
pub fn license(license: &License, public_base_url: Option<&str>, lang: Lang) -> Value {
    json!({
        "licenseId": license.license_id,
        "academyId": license.academy_id,
        "name": license.name,
        "accountId": license.account_id,
        "clientId": license.client_id,
        "sdkKey": license.sdk_key,
        "clientSecretHint": license.client_secret_hint,
        "sdkSecretHint": license.sdk_secret_hint,
        "webhookSecretConfigured": license.webhook_secret_configured,
        "webhookUrl": license.webhook_url(public_base_url),
        "hostUser": license.host_user,
        "zoomUserId": license.zoom_user_id,
        "maxConcurrentMeetings": license.max_concurrent_meetings,
        "recordingArchive": license.recording_archive.as_str(),
        "status": license.status,
        "verification": license.verification.as_ref().map(|v| verification(v, lang)),
        "version": license.version,
        "createdAt": rfc3339(&license.created_at),
        "updatedAt": rfc3339(&license.updated_at),
    })
}

/// A meeting: no `start_url`, no internal fields.
pub fn meeting(m: &Meeting) -> Value {
    json!({
        "meetingId": m.meeting_id,
        "academyId": m.academy_id,
        "licenseId": m.license_id,
        "zoomMeetingId": m.zoom_meeting_id,
        "topic": m.topic,
        "startTime": zoom_time(&m.start_time),
        "durationMinutes": m.duration_minutes,
        "timezone": m.timezone,
        "agenda": m.agenda,
        "joinUrl": m.join_url,
        "password": m.password,
        "status": m.status,
        "externalRef": m.external_ref,
        "settings": m.settings,
        "seriesId": m.series_id,
        "occurrenceId": m.occurrence_id,
        "startedAt": m.held.started_at.as_ref().map(zoom_time),
        "endedAt": m.held.ended_at.as_ref().map(zoom_time),
        "reconciledAt": m.held.reconciled_at.as_ref().map(rfc3339),
        "reconcileError": m.held.reconcile_error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
        "version": m.version,
        "createdAt": rfc3339(&m.created_at),
        "updatedAt": rfc3339(&m.updated_at),
    })
}

/// A class series: a meeting's fields, its recurrence, and its occurrences
/// (each a meeting of the meetings routes).
pub fn series(view: &SeriesView) -> Value {
    let s = &view.series;
    let occurrences: Vec<Value> = view
        .meetings
        .iter()
        .map(|m| {
            json!({
                "meetingId": m.meeting_id,
                "occurrenceId": m.occurrence_id,
                "startTime": zoom_time(&m.start_time),
                "durationMinutes": m.duration_minutes,
                "status": m.status,
            })
        })
        .collect();
    json!({
        "seriesId": s.series_id,
        "academyId": s.academy_id,
        "licenseId": s.license_id,
        "zoomMeetingId": s.zoom_meeting_id,
        "topic": s.topic,
        "startTime": zoom_time(&s.start_time),
        "durationMinutes": s.duration_minutes,
        "timezone": s.timezone,
        "recurrence": s.recurrence,
        "agenda": s.agenda,
        "joinUrl": s.join_url,
        "password": s.password,
        "status": s.status,
        "externalRef": s.external_ref,
        "settings": s.settings,
        "occurrences": occurrences,
        "version": s.version,
        "createdAt": rfc3339(&s.created_at),
        "updatedAt": rfc3339(&s.updated_at),
    })
}

/// A file and its archive state. An unpublished file shows no Zoom URL.
pub fn recording_file(f: &RecordingFile, archive: &Archive) -> Value {
    let shown = |url: &Option<String>| url.clone().filter(|_| archive.published);
    json!({
        "recordingId": f.recording_id,
        "fileType": f.file_type,
        "fileExtension": f.file_extension,
        "fileSize": f.file_size,
        "recordingType": f.recording_type,
        "recordingStart": f.recording_start,
        "recordingEnd": f.recording_end,
        "playUrl": shown(&f.play_url),
        "downloadUrl": shown(&f.download_url),
        "status": f.status,
        "published": archive.published,
        "archive": archive_view(archive),
    })
}

fn archive_view(a: &Archive) -> Value {
    json!({
        "status": a.status,
        "bytes": a.bytes,
        "sha256": a.sha256,
        "archivedAt": a.archived_at.as_ref().map(zoom_time),
        "error": a.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})),
    })
}

pub fn recordings(r: &MeetingRecordings) -> Value {
    json!({
        "items": r.files.iter().map(|(f, a)| recording_file(f, a)).collect::<Vec<_>>(),
        "shareUrl": r.share_url,
        "playPasscode": r.play_passcode,
    })
}

fn participant(a: &Attendance) -> Value {
    json!({
        "participantId": a.participant_id,
        "name": a.name,
        "email": a.email,
        "joinedAt": a.first_join().as_ref().map(zoom_time),
        "leftAt": a.last_leave().as_ref().map(zoom_time),
        "durationSeconds": a.duration_seconds(),
    })
}

pub fn attendance(people: &[Attendance]) -> Value {
    json!({
        "totalParticipants": people.len(),
        "items": people.iter().map(participant).collect::<Vec<_>>(),
    })
}
