//! `POST /v1/webhooks/zoom/{licenseId}`: Zoom's event notifications. Public;
//! trusted only through the license's webhook secret token.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

use super::extract::is_license_id;
use crate::app::webhooks::{MAX_WEBHOOK_BYTES, Signed, WebhookOutcome};
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/webhooks/zoom/{license_id}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_WEBHOOK_BYTES))
        .with_state(state)
}

/// Lambda hands API Gateway's base64 bodies to us already decoded
/// (lambda_http), so `body` is the bytes Zoom signed.
async fn receive(
    State(state): State<AppState>,
    Path(license_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, AppError> {
    let body = body.map_err(|_| AppError::PayloadTooLarge)?;
    // An id no license can have is refused like any failed check, before the
    // store sees it (DynamoDB refuses over-long keys: a 503, not a 401).
    if !is_license_id(&license_id) {
        return Err(AppError::Unauthorized);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = Signed {
        timestamp: header("x-zm-request-timestamp"),
        signature: header("x-zm-signature"),
        body: &body,
    };
    Ok(match state.webhooks.handle(&license_id, signed).await? {
        WebhookOutcome::Validation {
            plain_token,
            encrypted_token,
        } => axum::Json(json!({"plainToken": plain_token, "encryptedToken": encrypted_token}))
            .into_response(),
        WebhookOutcome::Applied | WebhookOutcome::Duplicate | WebhookOutcome::Unmatched => {
            (StatusCode::OK, axum::Json(json!({"status": "ok"}))).into_response()
        }
        WebhookOutcome::Ignored => StatusCode::NO_CONTENT.into_response(),
    })
}
