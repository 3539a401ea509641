//! problem+json responses. Errors render in English where they are raised;
//! [`localize`] re-renders them in the caller's language on the way out.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::i18n::Lang;
use crate::error::AppError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Marks a response as a problem so [`localize`] can word it again.
#[derive(Clone)]
struct Problem(Arc<AppError>);

fn body(error: &AppError, lang: Lang) -> Value {
    let mut body = json!({
        "type": "about:blank",
        "title": lang.title(error),
        "status": error.status(),
        "code": error.code(),
        "detail": lang.detail(error),
    });
    let fields = match error {
        AppError::Validation(errors) | AppError::MalformedJson { errors, .. } => errors.as_slice(),
        _ => &[],
    };
    if !fields.is_empty() {
        body["errors"] = fields
            .iter()
            .map(|e| json!({"field": e.field, "message": lang.field_message(&e.rule)}))
            .collect();
    }
    match error {
        AppError::VersionConflict { current } => body["currentVersion"] = json!(current),
        AppError::SlotConflict {
            license_id,
            conflicts,
        } => {
            body["licenseId"] = json!(license_id);
            body["conflicts"] = conflicts
                .iter()
                .map(|c| {
                    json!({
                        "meetingId": c.meeting_id,
                        "startTime": crate::domain::meeting::zoom_time(&c.start_time),
                        "endTime": crate::domain::meeting::zoom_time(&c.end_time),
                    })
                })
                .collect();
        }
        AppError::SeriesConflict {
            license_id,
            occurrences,
        } => {
            body["licenseId"] = json!(license_id);
            body["occurrences"] = occurrences
                .iter()
                .map(|o| {
                    json!({
                        "meetingId": o.meeting_id,
                        "startTime": crate::domain::meeting::zoom_time(&o.start_time),
                        "endTime": crate::domain::meeting::zoom_time(&o.end_time),
                        "conflicts": o.conflicts.iter().map(|c| json!({
                            "meetingId": c.meeting_id,
                            "startTime": crate::domain::meeting::zoom_time(&c.start_time),
                            "endTime": crate::domain::meeting::zoom_time(&c.end_time),
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
        }
        AppError::ZoomError {
            zoom_code,
            zoom_message,
        } => {
            body["zoomCode"] = json!(zoom_code);
            body["zoomMessage"] = json!(zoom_message);
        }
        _ => {}
    }
    body
}

fn render(error: &AppError, lang: Lang, response: &mut Response) {
    *response.body_mut() = axum::body::Body::from(body(error, lang).to_string());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    headers.remove(header::CONTENT_LENGTH);
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(detail) => tracing::error!(error = %detail, "internal error"),
            AppError::StoreUnavailable(detail) => {
                tracing::warn!(error = %detail, "store unavailable")
            }
            _ => {}
        }
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        render(&self, Lang::En, &mut response);
        if let Some(seconds) = self.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(self, AppError::PayloadTooLarge) {
            // The body was refused unread: the connection cannot carry another
            // request, so say so rather than let a client reuse it and lose
            // its next request to the close (hyper's IncompleteMessage).
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.extensions_mut().insert(Problem(Arc::new(self)));
        response
    }
}

/// Middleware: words problems in the language of `Accept-Language`.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    let mut response = next.run(request).await;
    if lang != Lang::En
        && let Some(Problem(error)) = response.extensions().get::<Problem>().cloned()
    {
        render(&error, lang, &mut response);
    }
    response
}

/// Answer for routes that do not exist.
pub async fn route_not_found() -> AppError {
    AppError::RouteNotFound
}

/// Answer for a known route called with a method it does not serve.
pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Answer after a panic: a 500 problem, never the panic message.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("handler panicked".into()).into_response()
}
