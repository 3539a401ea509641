//! The local server's bearer check (`LMS_ZOOM_API_TOKEN`). In AWS, API Gateway's
//! IAM authorizer guards the LMS routes instead.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::secrets::Secret;

pub async fn require_bearer(
    State(token): State<Arc<Secret>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    let valid =
        presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(token.expose().as_bytes())));
    if valid {
        next.run(request).await
    } else {
        AppError::Unauthorized.into_response()
    }
}
