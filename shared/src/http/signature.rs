//! The Meeting SDK signature route:
//! `POST /v1/academies/{academyId}/meetings/{meetingId}/signature`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;
use serde_json::{Map, Value};

use super::extract::{JsonObject, MAX_BODY_BYTES};
use super::meetings::meeting_path;
use super::signature_request::parse_request;
use crate::app::signature::{Signature, SignatureService};
use crate::domain::meeting::zoom_time;
use crate::error::AppError;
use crate::secrets::Secret;
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
/// `join` without a user: the SDK requires `userName`. Serialized straight
/// from borrowed fields (this is the hot attendee path: no JSON tree).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    signature: &'a str,
    sdk_key: &'a str,
    meeting_number: &'a str,
    password: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    zak: Option<&'a str>,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join: Option<JoinView<'a>>,
}

/// `client.join(join)`: the SDK's own field names.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JoinView<'a> {
    signature: &'a str,
    meeting_number: &'a str,
    password: &'a str,
    user_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_email: Option<&'a str>,
    customer_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    zak: Option<&'a str>,
}

fn view(signature: &Signature) -> View<'_> {
    let zak = signature.zak.as_ref().map(Secret::expose);
    View {
        signature: &signature.signature,
        sdk_key: &signature.sdk_key,
        meeting_number: &signature.meeting_number,
        password: &signature.password,
        role: signature.role.as_str(),
        zak,
        expires_at: zoom_time(&signature.expires_at),
        customer_key: signature.joiner.as_ref().map(|j| j.customer_key.as_str()),
        join: signature.joiner.as_ref().map(|joiner| JoinView {
            signature: &signature.signature,
            meeting_number: &signature.meeting_number,
            password: &signature.password,
            user_name: &joiner.name,
            user_email: joiner.email.as_deref(),
            customer_key: &joiner.customer_key,
            zak,
        }),
    }
}

async fn sign(
    State(service): State<Arc<SignatureService>>,
    Path((academy_id, meeting_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response, AppError> {
    meeting_path(&academy_id, &meeting_id)?;
    let signing = parse_request(body_object(request).await?)?;
    let signature = service.sign(&academy_id, &meeting_id, signing).await?;
    let mut response = axum::Json(view(&signature)).into_response();
    // It carries credentials: no cache may keep it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::signature::Joiner;
    use crate::zoom::sdk_jwt::SdkRole;
    use chrono::TimeZone;
    use chrono::Utc;

    fn signature(role: SdkRole, joiner: Option<Joiner>) -> Signature {
        Signature {
            signature: "h.c.s".into(),
            sdk_key: "key".into(),
            meeting_number: "81234567890".into(),
            password: "pw".into(),
            role,
            zak: (role == SdkRole::Host).then(|| Secret::new("zak")),
            expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap(),
            joiner,
        }
    }

    fn wire(signature: &Signature) -> String {
        serde_json::to_string(&view(signature)).unwrap()
    }

    #[test]
    fn without_a_user_the_answer_is_as_before() {
        assert_eq!(
            wire(&signature(SdkRole::Attendee, None)),
            r#"{"signature":"h.c.s","sdkKey":"key","meetingNumber":"81234567890","password":"pw","role":"attendee","expiresAt":"2030-01-01T12:00:00Z"}"#
        );
        assert_eq!(
            wire(&signature(SdkRole::Host, None)),
            r#"{"signature":"h.c.s","sdkKey":"key","meetingNumber":"81234567890","password":"pw","role":"host","zak":"zak","expiresAt":"2030-01-01T12:00:00Z"}"#
        );
    }

    #[test]
    fn with_a_user_it_adds_the_key_and_the_join_options() {
        let joiner = |email: Option<&str>| Joiner {
            name: "Ana \"la\" Pérez".into(),
            email: email.map(str::to_owned),
            customer_key: "lms-user-17".into(),
        };
        assert_eq!(
            wire(&signature(
                SdkRole::Attendee,
                Some(joiner(Some("ana@example.com")))
            )),
            r#"{"signature":"h.c.s","sdkKey":"key","meetingNumber":"81234567890","password":"pw","role":"attendee","expiresAt":"2030-01-01T12:00:00Z","customerKey":"lms-user-17","join":{"signature":"h.c.s","meetingNumber":"81234567890","password":"pw","userName":"Ana \"la\" Pérez","userEmail":"ana@example.com","customerKey":"lms-user-17"}}"#
        );
        assert_eq!(
            wire(&signature(SdkRole::Host, Some(joiner(None)))),
            r#"{"signature":"h.c.s","sdkKey":"key","meetingNumber":"81234567890","password":"pw","role":"host","zak":"zak","expiresAt":"2030-01-01T12:00:00Z","customerKey":"lms-user-17","join":{"signature":"h.c.s","meetingNumber":"81234567890","password":"pw","userName":"Ana \"la\" Pérez","customerKey":"lms-user-17","zak":"zak"}}"#
        );
    }
}
