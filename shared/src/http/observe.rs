//! One span per request carrying its id (and, once known, academy and license),
//! and one JSON log line when it is answered.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::extract::{check_academy_id, is_license_id};

pub const REQUEST_ID: &str = "x-request-id";

fn usable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_graphic())
}

/// The academy and license ids a path names, when they are well formed. They
/// go into the span as it is made: recording a field later makes the JSON
/// formatter parse and rewrite the span's fields, a tenth of a signature's CPU.
fn path_ids(path: &str) -> (Option<&str>, Option<&str>) {
    fn license(id: Option<&str>) -> Option<&str> {
        id.filter(|id| is_license_id(id))
    }
    let mut segments = path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next(), segments.next()) {
        (Some("v1"), Some("academies"), Some(academy)) if check_academy_id(academy).is_ok() => {
            let license_id = match (segments.next(), segments.next()) {
                (Some("licenses"), id) => license(id),
                _ => None,
            };
            (Some(academy), license_id)
        }
        (Some("v1"), Some("webhooks"), Some("zoom")) => (None, license(segments.next())),
        _ => (None, None),
    }
}

pub async fn trace_requests(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| usable(id))
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string());
    let path = request.uri().path();
    let (academy_id, license_id) = path_ids(path);
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %path,
        academy_id,
        license_id,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request answered"));
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::path_ids;

    #[test]
    fn ids_of_a_path() {
        let lic = "lic_01m8fr6wbtv2a16x8yq4qmb6m6";
        assert_eq!(path_ids("/v1/academies/a-1/meetings"), (Some("a-1"), None));
        assert_eq!(
            path_ids(&format!("/v1/academies/a1/licenses/{lic}/verify")),
            (Some("a1"), Some(lic))
        );
        assert_eq!(
            path_ids(&format!("/v1/webhooks/zoom/{lic}")),
            (None, Some(lic))
        );
        assert_eq!(path_ids("/v1/academies/a%20b/licenses/x"), (None, None));
        assert_eq!(
            path_ids("/v1/academies/a/licenses/not-an-id"),
            (Some("a"), None)
        );
        assert_eq!(path_ids("/healthz"), (None, None));
        assert_eq!(path_ids("/v1/webhooks/zoom/x"), (None, None));
    }
}
