//! The HTTP edge: one router per function, the layers every router gets,
//! problem+json errors and the extractors that produce them.

pub mod attendance;
pub mod auth;
pub mod check_text;
pub mod csv;
pub mod deadline;
pub mod extract;
pub mod i18n;
pub mod licenses;
pub mod maintenance;
pub mod meetings;
pub mod observe;
pub mod problem;
mod ranged;
pub mod recordings;
pub mod series;
pub mod signature;
mod signature_request;
mod status;
pub mod views;
pub mod webhooks;

use axum::Router;
use axum::middleware;
use tower_http::catch_panic::CatchPanicLayer;

/// What the `licenses` function serves (its `HttpApi` events in
/// template.yaml): the licenses routes and the maintenance status.
pub fn licenses_function(state: crate::state::AppState) -> Router {
    licenses::routes(state.clone()).merge(maintenance::routes(state))
}

/// What the `meetings` function serves: meetings, their recordings and
/// attendance, and class series.
pub fn meetings_function(state: crate::state::AppState) -> Router {
    meetings::routes(state.clone())
        .merge(recordings::routes(state.clone()))
        .merge(attendance::routes(state.clone()))
        .merge(series::routes(state))
}

/// One function's routes as its Lambda serves them: the edge around routes
/// that keep the function's deadline.
pub fn function(routes: Router, function: &crate::functions::Function) -> Router {
    edge(deadline::with_deadline(routes, function.timeout))
}

/// Wraps merged routes with what every host serves the same way: problem
/// answers for unknown routes and methods, localized problems, panics as
/// 500 problems, and a span per request.
pub fn edge(routes: Router) -> Router {
    routes
        .fallback(problem::route_not_found)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(middleware::from_fn(problem::localize))
        .layer(CatchPanicLayer::custom(problem::panic_response))
        .layer(middleware::from_fn(observe::trace_requests))
}
