//! The faults a test can inject into an endpoint.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::endpoints::Endpoint;
use crate::reply::{self, Rejection};
use crate::state::Shared;

/// A fault to inject into one endpoint.
#[derive(Debug, Clone)]
pub struct Fault {
    pub endpoint: Endpoint,
    pub kind: FaultKind,
    /// How many requests it hits; `None` = until [`crate::Emulator::clear_faults`].
    pub times: Option<u32>,
}

impl Fault {
    /// A fault that lasts until cleared.
    pub fn new(endpoint: Endpoint, kind: FaultKind) -> Self {
        Self {
            endpoint,
            kind,
            times: None,
        }
    }

    /// A fault that hits the next `n` requests to the endpoint.
    pub fn times(endpoint: Endpoint, kind: FaultKind, n: u32) -> Self {
        Self {
            endpoint,
            kind,
            times: Some(n),
        }
    }
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Waits this long, then answers normally (a caller that gives up first
    /// leaves the request undone).
    Latency(Duration),
    /// Does the work at once, then answers this much later: a caller that
    /// gives up meanwhile never hears that Zoom did it (as with real Zoom,
    /// which finishes a request whatever became of its caller).
    LateAnswer(Duration),
    /// Answers this status with `{"code":<status>,"message":<reason phrase>}`.
    ServerError(u16),
    /// Answers 429 with Zoom's per-second message, and `Retry-After` if `Some`.
    RateLimited { retry_after: Option<String> },
    /// Closes the connection without any HTTP response.
    DropConnection,
}

/// Put on a response's extensions to make the server close the connection
/// instead of writing the response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnectionMarker;

/// Message Zoom sends with a per-second 429.
pub(crate) const PER_SECOND_LIMIT_MESSAGE: &str =
    "You have reached the maximum per-second rate limit for this API. Try again later.";

/// Counts the request, takes the first matching fault (consuming one of its
/// `times`) and applies it: `Err` ends the request there.
pub(crate) async fn enter(shared: &Shared, endpoint: Endpoint) -> Result<(), Rejection> {
    let kind = {
        let mut state = shared.lock();
        *state.counts.entry(endpoint).or_default() += 1;
        take(&mut state.faults, endpoint)
    };
    match kind {
        None => Ok(()),
        Some(FaultKind::Latency(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(())
        }
        Some(FaultKind::ServerError(status)) => Err(server_error(status)),
        Some(FaultKind::LateAnswer(_)) => Ok(()), // taken by `late_answers` only
        Some(FaultKind::RateLimited { retry_after }) => Err(rate_limited(retry_after)),
        Some(FaultKind::DropConnection) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnectionMarker);
            Err(response.into())
        }
    }
}

fn take(faults: &mut Vec<Fault>, endpoint: Endpoint) -> Option<FaultKind> {
    take_where(faults, endpoint, |kind| {
        !matches!(kind, FaultKind::LateAnswer(_))
    })
}

fn take_where(
    faults: &mut Vec<Fault>,
    endpoint: Endpoint,
    wanted: impl Fn(&FaultKind) -> bool,
) -> Option<FaultKind> {
    let index = faults
        .iter()
        .position(|f| f.endpoint == endpoint && wanted(&f.kind))?;
    let fault = &mut faults[index];
    let kind = fault.kind.clone();
    if let Some(times) = fault.times.as_mut() {
        *times = times.saturating_sub(1);
        if *times == 0 {
            faults.remove(index);
        }
    }
    Some(kind)
}

fn server_error(status: u16) -> Rejection {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = status.canonical_reason().unwrap_or("Internal Server Error");
    reply::zoom_error(status, i64::from(status.as_u16()), message)
}

fn rate_limited(retry_after: Option<String>) -> Rejection {
    let mut response =
        reply::zoom_error(StatusCode::TOO_MANY_REQUESTS, 429, PER_SECOND_LIMIT_MESSAGE)
            .into_response();
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response.into()
}

/// Applies [`FaultKind::LateAnswer`]: the request is handled on a task of its
/// own, so it completes even when its caller hangs up, and the answer waits.
/// The router puts this on every declared route, inside the layer that tells
/// the request its [`Endpoint`].
pub(crate) async fn late_answers(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = request.extensions().get::<Endpoint>().copied();
    let delay = endpoint.and_then(|endpoint| {
        let mut state = shared.lock();
        take_where(&mut state.faults, endpoint, |kind| {
            matches!(kind, FaultKind::LateAnswer(_))
        })
    });
    let Some(FaultKind::LateAnswer(delay)) = delay else {
        return next.run(request).await;
    };
    let answer = tokio::spawn(next.run(request))
        .await
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    tokio::time::sleep(delay).await;
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_consumes_times_and_removes_spent_faults() {
        let mut faults = vec![
            Fault::times(Endpoint::Token, FaultKind::ServerError(500), 2),
            Fault::new(Endpoint::GetUser, FaultKind::DropConnection),
        ];
        assert_eq!(
            take(&mut faults, Endpoint::Token),
            Some(FaultKind::ServerError(500))
        );
        assert_eq!(faults.len(), 2);
        assert_eq!(
            take(&mut faults, Endpoint::Token),
            Some(FaultKind::ServerError(500))
        );
        assert_eq!(faults.len(), 1);
        assert_eq!(take(&mut faults, Endpoint::Token), None);
        for _ in 0..5 {
            assert_eq!(
                take(&mut faults, Endpoint::GetUser),
                Some(FaultKind::DropConnection)
            );
        }
    }
}
