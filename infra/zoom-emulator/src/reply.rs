//! Zoom-shaped responses: JSON bodies and the error bodies Zoom sends.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Why a request ends early: a Zoom error body, or a ready-made response
/// (faults). Handlers return `Result<Response, Rejection>` and use `?`.
#[derive(Debug)]
pub(crate) enum Rejection {
    Zoom { status: StatusCode, body: Value },
    Response(Box<Response>),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Zoom { status, body } => json(status, &body),
            Rejection::Response(response) => *response,
        }
    }
}

impl From<Response> for Rejection {
    fn from(response: Response) -> Self {
        Rejection::Response(Box::new(response))
    }
}

fn reject(status: StatusCode, body: Value) -> Rejection {
    Rejection::Zoom { status, body }
}

/// Zoom's REST content type.
const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// A JSON response with Zoom's content type.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// An empty response (Zoom's 204s).
pub(crate) fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// REST error body `{"code":…,"message":…}`.
pub(crate) fn zoom_error(status: StatusCode, code: i64, message: impl Into<String>) -> Rejection {
    reject(status, json!({"code": code, "message": message.into()}))
}

/// OAuth error body `{"reason":…,"error":…}` (always HTTP 400 on the token endpoint).
pub(crate) fn oauth_error(reason: &str, error: &str) -> Rejection {
    reject(
        StatusCode::BAD_REQUEST,
        json!({"reason": reason, "error": error}),
    )
}

/// `400 {"code":300,"message":"Request Body should be a valid JSON object."}`
pub(crate) fn invalid_json_body() -> Rejection {
    zoom_error(
        StatusCode::BAD_REQUEST,
        300,
        "Request Body should be a valid JSON object.",
    )
}

/// `400 {"code":300,"message":"Validation Failed.","errors":[{"field":…,"message":"Invalid field."}]}`
pub(crate) fn validation_failed(field: &str) -> Rejection {
    reject(
        StatusCode::BAD_REQUEST,
        json!({
            "code": 300,
            "message": "Validation Failed.",
            "errors": [{"field": field, "message": "Invalid field."}],
        }),
    )
}

/// `401 {"code":124,"message":…}`
pub(crate) fn invalid_token(message: &str) -> Rejection {
    zoom_error(StatusCode::UNAUTHORIZED, 124, message)
}

/// `404 {"code":1001,"message":"User does not exist: {id}."}`
pub(crate) fn user_not_found(user_id: &str) -> Rejection {
    zoom_error(
        StatusCode::NOT_FOUND,
        1001,
        format!("User does not exist: {user_id}."),
    )
}

/// `404 {"code":3001,"message":"Meeting does not exist: {id}."}`
pub(crate) fn meeting_not_found(meeting_id: &str) -> Rejection {
    zoom_error(
        StatusCode::NOT_FOUND,
        3001,
        format!("Meeting does not exist: {meeting_id}."),
    )
}

/// `404 {"code":3301,"message":"This recording does not exist."}`
pub(crate) fn recording_not_found() -> Rejection {
    zoom_error(
        StatusCode::NOT_FOUND,
        3301,
        "This recording does not exist.",
    )
}
