//! The Meeting SDK signature route:
//! `POST /v1/academies/{academyId}/meetings/{meetingId}/signature`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::extract::{JsonObject, MAX_BODY_BYTES};
use super::meetings::meeting_path;
use super::signature_request::parse_request;
use crate::app::signature::{Signature, SignatureService};
use crate::domain::meeting::zoom_time;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(state: AppState) -> Router {
    // Shared, not cloned per request: a service clone copies several handles.
    let service = Arc::new(SignatureService::new(
        state.licenses,
        state.meetings,
        state.zoom,
    ));
    Router::new()
        .route(
            "/v1/academies/{academy_id}/meetings/{meeting_id}/signature",
            post(sign),
        )
        .with_state(service)
}

/// The body as a JSON object; no body at all reads as `{}` (which then lacks
/// `role`). A body that is there follows [`JsonObject`]'s rules.
async fn body_object(request: Request) -> Result<Map<String, Value>, AppError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    let JsonObject(object) = JsonObject::from_request(request, &()).await?;
    Ok(object)
}

/// The answer. With a `user` in the request it adds `customerKey` and `join`:
/// the Meeting SDK's `client.join()` options in its own names (ZOOM-2.md F:
/// `password` lower case, `userEmail` only when known, `zak` for hosts). No
/// `join` without a user: the SDK requires `userName`.
fn view(signature: Signature) -> Value {
    let mut body = json!({
        "signature": signature.signature,
        "sdkKey": signature.sdk_key,
        "meetingNumber": signature.meeting_number,
        "password": signature.password,
        "role": signature.role.as_str(),
    });
    if let Some(zak) = &signature.zak {
        body["zak"] = json!(zak.expose());
    }
    body["expiresAt"] = json!(zoom_time(&signature.expires_at));
    if let Some(joiner) = &signature.joiner {
        body["customerKey"] = json!(joiner.customer_key);
        let mut join = json!({
            "signature": signature.signature,
            "meetingNumber": signature.meeting_number,
            "password": signature.password,
            "userName": joiner.name,
        });
        if let Some(email) = &joiner.email {
            join["userEmail"] = json!(email);
        }
        join["customerKey"] = json!(joiner.customer_key);
        if let Some(zak) = &signature.zak {
            join["zak"] = json!(zak.expose());
        }
        body["join"] = join;
    }
    body
}

async fn sign(
    State(service): State<Arc<SignatureService>>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let signing = parse_request(body_object(request).await?)?;
    let signature = service.sign(&academy_id, &meeting_id, signing).await?;
    let mut response = axum::Json(view(signature)).into_response();
    // It carries credentials: no cache may keep it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
