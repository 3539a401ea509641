//! Attendance routes: one meeting's people, and a course's (every meeting
//! with one `externalRef`) per LMS user; JSON, or CSV on `Accept: text/csv`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use super::csv;
use super::extract::check_academy_id;
use super::meetings::meeting_path;
use crate::app::attendance::{CourseAttendance, MeetingAttendance};
use crate::domain::meeting::zoom_time;
use crate::domain::people::Person;
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/attendance",
            get(meeting),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/attendance/sync",
            post(sync),
        )
        .route("/v1/academies/{academy_id}/attendance", get(course))
        .with_state(state)
}

async fn meeting(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let attended = state.attendance.meeting(&academy_id, &meeting_id).await?;
    Ok(render_meeting(&attended, &headers))
}

/// Reads Zoom's participant report now, merges it, answers the attendance.
async fn sync(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let attended = state.attendance.sync(&academy_id, &meeting_id).await?;
    Ok(render_meeting(&attended, &headers))
}

/// One meeting's attendance as asked for (JSON or CSV).
pub fn render_meeting(attended: &MeetingAttendance, headers: &HeaderMap) -> Response {
    if csv::wanted(headers) {
        let rows: Vec<Vec<String>> = attended.people.iter().map(person_row).collect();
        return csv::answer(&PERSON_COLUMNS, &rows);
    }
    axum::Json(meeting_view(attended)).into_response()
}

async fn course(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    headers: HeaderMap,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    let Query(params) = params
        .map_err(|_| AppError::Validation(vec![FieldError::new("query", Rule::InvalidQuery)]))?;
    let mut errors = Vec::new();
    let external_ref = params
        .get("externalRef")
        .map(|s| s.trim())
        .unwrap_or_default();
    if external_ref.is_empty() {
        errors.push(FieldError::new("externalRef", Rule::Required));
    } else if external_ref.chars().count() > 200 {
        errors.push(FieldError::new("externalRef", Rule::TooLong(200)));
    }
    let from = time_param(&params, "from", &mut errors);
    let to = time_param(&params, "to", &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new("to", Rule::EndBeforeStart));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let found = state.attendance.course(&academy_id, external_ref, from, to);
    let course = found.await?;
    if csv::wanted(&headers) {
        return Ok(csv::answer(&COURSE_COLUMNS, &course_rows(&course)));
    }
    Ok(axum::Json(course_view(&course)).into_response())
}

fn time_param(
    params: &HashMap<String, String>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = params.get(name)?;
    match DateTime::<FixedOffset>::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(name, Rule::NotATimeWithOffset));
            None
        }
    }
}

fn time(t: Option<DateTime<Utc>>) -> Value {
    t.as_ref().map(zoom_time).into()
}

fn person_view(p: &Person) -> Value {
    json!({
        "participantId": p.participant_id,
        "lmsUserId": p.lms_user_id,
        "customerKey": p.customer_key,
        "name": p.name,
        "email": p.email,
        "joinedAt": time(p.joined_at()),
        "leftAt": time(p.left_at()),
        "durationSeconds": p.duration_seconds,
        "attendedPercent": p.attended_percent,
        "sessions": p.spans.iter().map(|s| json!({
            "joinedAt": zoom_time(&s.joined_at),
            "leftAt": time(s.left_at),
        })).collect::<Vec<_>>(),
        "sources": p.sources,
    })
}

pub fn meeting_view(attended: &MeetingAttendance) -> Value {
    json!({
        "items": attended.people.iter().map(person_view).collect::<Vec<_>>(),
        "totalParticipants": attended.people.len(),
        "identifiedParticipants": attended.identified(),
        "reconciledAt": time(attended.reconciled_at),
    })
}

const PERSON_COLUMNS: [&str; 10] = [
    "participantId",
    "lmsUserId",
    "customerKey",
    "name",
    "email",
    "joinedAt",
    "leftAt",
    "durationSeconds",
    "attendedPercent",
    "sources",
];

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn time_text(t: Option<DateTime<Utc>>) -> String {
    t.as_ref().map(zoom_time).unwrap_or_default()
}

fn person_row(p: &Person) -> Vec<String> {
    vec![
        p.participant_id.clone(),
        text(&p.lms_user_id),
        text(&p.customer_key),
        text(&p.name),
        text(&p.email),
        time_text(p.joined_at()),
        time_text(p.left_at()),
        p.duration_seconds.to_string(),
        p.attended_percent
            .map(|v| v.to_string())
            .unwrap_or_default(),
        p.sources.iter().cloned().collect::<Vec<_>>().join(";"),
    ]
}

fn course_view(course: &CourseAttendance) -> Value {
    let total = course.meetings.len();
    json!({
        "items": course.users.iter().map(|u| json!({
            "lmsUserId": u.lms_user_id,
            "name": u.name,
            "meetingsAttended": u.meetings.len(),
            "meetingsTotal": total,
            "durationSeconds": u.duration_seconds,
            "meetings": u.meetings.iter().map(|(m, seconds, percent)| json!({
                "meetingId": m.meeting_id,
                "startTime": zoom_time(&m.start_time),
                "durationSeconds": seconds,
                "attendedPercent": percent,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "meetings": course.meetings.iter().map(|m| json!({
            "meetingId": m.meeting_id,
            "startTime": zoom_time(&m.start_time),
            "status": m.status,
        })).collect::<Vec<_>>(),
    })
}

const COURSE_COLUMNS: [&str; 6] = [
    "lmsUserId",
    "name",
    "meetingId",
    "startTime",
    "durationSeconds",
    "attendedPercent",
];

/// One row per LMS user × meeting they attended.
fn course_rows(course: &CourseAttendance) -> Vec<Vec<String>> {
    course
        .users
        .iter()
        .flat_map(|u| {
            u.meetings.iter().map(move |(m, seconds, percent)| {
                vec![
                    u.lms_user_id.clone(),
                    text(&u.name),
                    m.meeting_id.clone(),
                    zoom_time(&m.start_time),
                    seconds.to_string(),
                    percent.map(|v| v.to_string()).unwrap_or_default(),
                ]
            })
        })
        .collect()
}
