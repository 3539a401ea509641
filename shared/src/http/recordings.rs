//! The recording routes of a meeting: the list (with each file's archive
//! state), a sync from Zoom, publish / unpublish, archive again, and the
//! download of the archived copy.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::Value;

use super::extract::JsonObject;
use super::meetings::meeting_path;
use super::ranged;
use super::views;
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::objects::ObjectLink;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/recordings",
            get(list),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/recordings/sync",
            post(sync),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/recordings/{recording_id}",
            patch(publish),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/recordings/{recording_id}/archive",
            post(archive_again),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/recordings/{recording_id}/download",
            get(download),
        )
        .with_state(state)
}

/// A Zoom recording file id could be this; anything else is not found.
fn recording_path(academy_id: &str, meeting_id: &str, recording_id: &str) -> Result<(), AppError> {
    meeting_path(academy_id, meeting_id)?;
    let plausible = (1..=128).contains(&recording_id.len())
        && recording_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plausible {
        Ok(())
    } else {
        Err(AppError::RecordingNotFound)
    }
}

async fn list(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let found = state.recordings.recordings(&academy_id, &meeting_id);
    Ok(axum::Json(views::recordings(&found.await?)).into_response())
}

async fn sync(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let synced = state.recordings.sync(&academy_id, &meeting_id);
    Ok(axum::Json(views::recordings(&synced.await?)).into_response())
}

/// `{"published": true|false}`, nothing else.
fn published_field(body: serde_json::Map<String, Value>) -> Result<bool, AppError> {
    let mut published = None;
    let mut errors = Vec::new();
    for (name, value) in body {
        match (name.as_str(), value) {
            ("published", Value::Bool(b)) => published = Some(b),
            ("published", _) => errors.push(FieldError::new("published", Rule::NotBoolean)),
            (other, _) => errors.push(FieldError::new(other, Rule::Unknown)),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    published
        .ok_or_else(|| AppError::Validation(vec![FieldError::new("published", Rule::Required)]))
}

async fn publish(
    State(state): State<AppState>,
    Path((academy_id, meeting_id, recording_id)): Path<(String, String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    recording_path(&academy_id, &meeting_id, &recording_id)?;
    let published = published_field(body)?;
    let (file, archive) = state
        .recordings
        .publish(&academy_id, &meeting_id, &recording_id, published)
        .await?;
    Ok(axum::Json(views::recording_file(&file, &archive)).into_response())
}

async fn archive_again(
    State(state): State<AppState>,
    Path((academy_id, meeting_id, recording_id)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    recording_path(&academy_id, &meeting_id, &recording_id)?;
    let (file, archive) = state
        .recordings
        .archive_again(&academy_id, &meeting_id, &recording_id)
        .await?;
    let status = if archive.status == crate::domain::archive::ArchiveStatus::Archived {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, axum::Json(views::recording_file(&file, &archive))).into_response())
}

/// `302` to a presigned URL; the local server serves the file itself.
async fn download(
    State(state): State<AppState>,
    Path((academy_id, meeting_id, recording_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    recording_path(&academy_id, &meeting_id, &recording_id)?;
    let (archive, link) = state
        .recordings
        .download(&academy_id, &meeting_id, &recording_id)
        .await?;
    let mut response = match link {
        ObjectLink::Url(url) => {
            let location = HeaderValue::from_str(&url)
                .map_err(|_| AppError::Internal("a presigned URL that is no header".into()))?;
            let mut found = StatusCode::FOUND.into_response();
            found.headers_mut().insert(header::LOCATION, location);
            found
        }
        ObjectLink::File(path) => {
            let content_type = archive
                .content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            ranged::serve_file(&path, content_type, headers.get(header::RANGE)).await?
        }
    };
    // A link to someone's recording: no cache may keep it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
