//! The licenses routes: create, list, read, patch, delete.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::extract::{
    IfMatch, JsonObject, check_academy_id, encode_cursor, is_license_id, page_params,
};
use super::i18n::Lang;
use super::views;
use crate::domain::license::{self, License};
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/academies/{academy_id}/licenses",
            post(create).get(list),
        )
        .route(
            "/v1/academies/{academy_id}/licenses/{license_id}",
            get(read).patch(patch).delete(remove),
        )
        .route(
            "/v1/academies/{academy_id}/licenses/{license_id}/verify",
            post(verify),
        )
        .with_state(state)
}

/// Validates the path of a single-license route.
fn license_path(academy_id: &str, license_id: &str) -> Result<(), AppError> {
    check_academy_id(academy_id)?;
    if is_license_id(license_id) {
        Ok(())
    } else {
        Err(AppError::LicenseNotFound)
    }
}

fn view(state: &AppState, license: &License, status: StatusCode, lang: Lang) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, HeaderValue::from(license.version).etag());
    let body = views::license(license, state.config.public_base_url.as_deref(), lang);
    (status, headers, axum::Json(body)).into_response()
}

/// `?verify=false` skips asking Zoom; anything else (or nothing) verifies.
fn wants_verification(params: &HashMap<String, String>) -> Result<bool, AppError> {
    match params.get("verify").map(|v| v.to_ascii_lowercase()) {
        None => Ok(true),
        Some(v) if v == "true" || v == "1" || v.is_empty() => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(_) => Err(AppError::Validation(vec![FieldError::new(
            "verify",
            Rule::NotBoolean,
        )])),
    }
}

type QueryParams = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

fn query_params(params: QueryParams) -> Result<HashMap<String, String>, AppError> {
    params
        .map(|Query(p)| p)
        .map_err(|_| AppError::Validation(vec![FieldError::new("query", Rule::InvalidQuery)]))
}

trait Etag {
    fn etag(self) -> HeaderValue;
}

impl Etag for HeaderValue {
    fn etag(self) -> HeaderValue {
        let quoted = format!("\"{}\"", self.to_str().unwrap_or_default());
        HeaderValue::from_str(&quoted).unwrap_or(self)
    }
}

async fn create(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    lang: Lang,
    params: QueryParams,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    let verify = wants_verification(&query_params(params)?)?;
    let new = license::parse_create(body).map_err(AppError::from_problems)?;
    let license = state.licenses.create(&academy_id, new, verify).await?;
    let mut response = view(&state, &license, StatusCode::CREATED, lang);
    let location = format!("/v1/academies/{academy_id}/licenses/{}", license.license_id);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn list_params(params: &HashMap<String, String>) -> Result<(usize, Option<String>), AppError> {
    let mut errors = Vec::new();
    let page = page_params(params, &mut errors);
    if errors.is_empty() {
        Ok(page)
    } else {
        Err(AppError::Validation(errors))
    }
}

async fn list(
    State(state): State<AppState>,
    Path(academy_id): Path<String>,
    lang: Lang,
    params: QueryParams,
) -> Result<Response, AppError> {
    check_academy_id(&academy_id)?;
    let (limit, after) = list_params(&query_params(params)?)?;
    let page = state.licenses.list(&academy_id, after, limit).await?;
    let base = state.config.public_base_url.as_deref();
    let items: Vec<_> = page
        .items
        .iter()
        .map(|l| views::license(l, base, lang))
        .collect();
    let next = page.next.map(|key| encode_cursor(&key));
    Ok(axum::Json(json!({ "items": items, "nextCursor": next })).into_response())
}

async fn read(
    State(state): State<AppState>,
    Path((academy_id, license_id)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    license_path(&academy_id, &license_id)?;
    let license = state.licenses.get(&academy_id, &license_id).await?;
    Ok(view(&state, &license, StatusCode::OK, lang))
}

/// Runs the verification now and answers with its report.
async fn verify(
    State(state): State<AppState>,
    Path((academy_id, license_id)): Path<(String, String)>,
    lang: Lang,
) -> Result<Response, AppError> {
    license_path(&academy_id, &license_id)?;
    let license = state.licenses.verify(&academy_id, &license_id).await?;
    let report = license
        .verification
        .as_ref()
        .ok_or_else(|| AppError::Internal("verification not recorded".into()))?;
    let mut response = axum::Json(views::verification(report, lang)).into_response();
    response
        .headers_mut()
        .insert(header::ETAG, HeaderValue::from(license.version).etag());
    Ok(response)
}

async fn patch(
    State(state): State<AppState>,
    Path((academy_id, license_id)): Path<(String, String)>,
    IfMatch(precondition): IfMatch,
    lang: Lang,
    params: QueryParams,
    JsonObject(body): JsonObject,
) -> Result<Response, AppError> {
    license_path(&academy_id, &license_id)?;
    let verify = wants_verification(&query_params(params)?)?;
    let patch = license::parse_patch(body).map_err(AppError::from_problems)?;
    let license = state
        .licenses
        .patch(&academy_id, &license_id, precondition, patch, verify)
        .await?;
    Ok(view(&state, &license, StatusCode::OK, lang))
}

async fn remove(
    State(state): State<AppState>,
    Path((academy_id, license_id)): Path<(String, String)>,
    params: QueryParams,
) -> Result<StatusCode, AppError> {
    license_path(&academy_id, &license_id)?;
    let params = query_params(params)?;
    let force = match params.get("force").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "true" || v == "1" => true,
        Some(v) if v == "false" || v == "0" || v.is_empty() => false,
        Some(_) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "force",
                Rule::NotBoolean,
            )]));
        }
    };
    // 404 before 409: the license must be this academy's.
    state.licenses.get(&academy_id, &license_id).await?;
    if !force
        && state
            .meetings
            .license_busy(&license_id, chrono::Utc::now())
            .await?
    {
        return Err(AppError::LicenseInUse);
    }
    state.licenses.delete(&academy_id, &license_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
