//! The meetings routes: create (idempotent), list, read, reschedule, delete.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::extract::{JsonObject, check_academy_id, encode_cursor, page_params};
use super::views;
use crate::app::meetings::{CreateOutcome, IdempotencyKey};
use crate::domain::meeting::{self, Meeting};
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::repo::meetings::MeetingFilter;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/academies/{academy_id}/meetings",
            post(create).get(list),
        )
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}",
            get(read).patch(patch).delete(remove),
        )
        .with_state(state)
}

/// A meeting id that could exist: anything else is simply not found.
pub fn is_meeting_id(id: &str) -> bool {
    id.len() == 30
        && id.starts_with("mtg_")
        && id[4..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

pub fn meeting_path(academy_id: &str, meeting_id: &str) -> Result<(), AppError> {
    check_academy_id(academy_id)?;
    if is_meeting_id(meeting_id) {
        Ok(())
    } else {
        Err(AppError::MeetingNotFound)
    }
}

fn with_etag(status: StatusCode, meeting: &Meeting) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", meeting.version)) {
        headers.insert(header::ETAG, v);
    }
    (status, headers, axum::Json(views::meeting(meeting))).into_response()
}

/// JSON with object keys sorted, so equal bodies hash equally.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

pub(super) fn idempotency_key(
    headers: &HeaderMap,
    body: &Value,
) -> Result<Option<IdempotencyKey>, AppError> {
    let Some(raw) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = raw.to_str().unwrap_or("");
    let valid = (1..=200).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic());
    if !valid {
        return Err(AppError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            Rule::InvalidIdempotencyKey,
        )]));
    }
    let hash = hex::encode(Sha256::digest(canonical(body).to_string().as_bytes()));
    Ok(Some(IdempotencyKey {
        key: key.to_owned(),
        request_hash: hash,
    }))
}

async fn create(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    let body = Value::Object(body);
    let idempotency = idempotency_key(&headers, &body)?;
    let Value::Object(object) = body else {
        unreachable!("built from an object")
    };
    let new = meeting::parse_create(object).map_err(AppError::from_problems)?;
    Ok(
        match state.meetings.create(&academy_id, new, idempotency).await? {
            CreateOutcome::Created(meeting) => {
                let location =
                    format!("/v1/academies/{academy_id}/meetings/{}", meeting.meeting_id);
                created(views::meeting(&meeting), meeting.version, &location)
            }
            CreateOutcome::Replayed(meeting) => replayed(views::meeting(&meeting)),
        },
    )
}

/// A `201` for what a create made: its ETag and Location.
pub(super) fn created(body: Value, version: u64, location: &str) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    (StatusCode::CREATED, headers, axum::Json(body)).into_response()
}

/// The first answer to an Idempotency-Key, again.
pub(super) fn replayed(body: Value) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

fn time_param(
    params: &HashMap<String, String>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = params.get(name).filter(|v| !v.is_empty())?;
    match DateTime::<FixedOffset>::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(name, Rule::NotATimeWithOffset));
            None
        }
    }
}

async fn list(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    let Query(params) = params
        .map_err(|_| AppError::Validation(vec![FieldError::new("query", Rule::InvalidQuery)]))?;
    let mut errors = Vec::new();
    let from = time_param(&params, "from", &mut errors);
    let to = time_param(&params, "to", &mut errors);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.push(FieldError::new("to", Rule::EndBeforeStart));
    }
    let (limit, after) = page_params(&params, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = MeetingFilter {
        from,
        to,
        license_id: params.get("licenseId").filter(|v| !v.is_empty()).cloned(),
        external_ref: params.get("externalRef").filter(|v| !v.is_empty()).cloned(),
    };
    let page = state
        .meetings
        .list(&academy_id, &filter, after, limit)
        .await?;
    let items: Vec<Value> = page.items.iter().map(views::meeting).collect();
    let next = page.next.map(|sk| encode_cursor(&sk));
    Ok(axum::Json(json!({"items": items, "nextCursor": next})).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let meeting = state.meetings.get(&academy_id, &meeting_id).await?;
    Ok(with_etag(StatusCode::OK, &meeting))
}

async fn patch(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let patch = meeting::parse_patch(body).map_err(AppError::from_problems)?;
    let meeting = state
        .meetings
        .patch(&academy_id, &meeting_id, patch)
        .await?;
    Ok(with_etag(StatusCode::OK, &meeting))
}

async fn remove(
    State(state): State<AppState>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    state.meetings.delete(&academy_id, &meeting_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
