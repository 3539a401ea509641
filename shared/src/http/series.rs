//! The class series routes: create (idempotent), read, series-wide edit,
//! delete. Each occurrence is also served by the meetings routes.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::extract::{JsonObject, check_academy_id};
use super::meetings::{created, idempotency_key, replayed};
use super::views;
use crate::app::meetings::{SeriesOutcome, SeriesView};
use crate::domain::series;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/academies/{academy_id}/series", post(create))
        .route(
            "/v1/academies/{academy_id}/series/{series_id}",
            get(read).patch(patch).delete(remove),
        )
        .with_state(state)
}

/// A series id that could exist: anything else is simply not found.
pub fn is_series_id(id: &str) -> bool {
    id.len() == 30
        && id.starts_with("ser_")
        && id[4..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

fn series_path(academy_id: &str, series_id: &str) -> Result<(), AppError> {
    check_academy_id(academy_id)?;
    if is_series_id(series_id) {
        Ok(())
    } else {
        Err(AppError::SeriesNotFound)
    }
}

fn answer(status: StatusCode, view: &SeriesView) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", view.series.version)) {
        headers.insert(header::ETAG, v);
    }
    (status, headers, axum::Json(views::series(view))).into_response()
}

async fn create(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    // The route is part of what the key stands for: the same body sent to
    // the meetings route is another request.
    let keyed = json!({"series": Value::Object(body.clone())});
    let idempotency = idempotency_key(&headers, &keyed)?;
    let new = series::parse_create(body).map_err(AppError::from_problems)?;
    let made = state.meetings.create_series(&academy_id, new, idempotency);
    Ok(match made.await? {
        SeriesOutcome::Created(view) => {
            let location = format!(
                "/v1/academies/{academy_id}/series/{}",
                view.series.series_id
            );
            created(views::series(&view), view.series.version, &location)
        }
        SeriesOutcome::Replayed(view) => replayed(views::series(&view)),
    })
}

async fn read(
    State(state): State<AppState>,
    Path((academy_id, series_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    series_path(&academy_id, &series_id)?;
    let view = state.meetings.series_view(&academy_id, &series_id).await?;
    Ok(answer(StatusCode::OK, &view))
}

async fn patch(
    State(state): State<AppState>,
    Path((academy_id, series_id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    series_path(&academy_id, &series_id)?;
    let patch = series::parse_patch(body).map_err(AppError::from_problems)?;
    let view = state
        .meetings
        .patch_series(&academy_id, &series_id, patch)
        .await?;
    Ok(answer(StatusCode::OK, &view))
}

async fn remove(
    State(state): State<AppState>,
    Path((academy_id, series_id)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    series_path(&academy_id, &series_id)?;
    state
        .meetings
        .delete_series(&academy_id, &series_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
