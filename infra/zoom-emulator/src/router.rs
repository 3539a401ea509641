//! The router, built from the endpoint table ([`crate::endpoints`]).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::{Extension, Router};

use crate::endpoints::{Declaration, ENDPOINTS};
use crate::faults;
use crate::reply::{self, Rejection};
use crate::state::Shared;

/// Every declared endpoint at its path and method. Each route tells its
/// request which [`crate::Endpoint`] it is (an extension), then applies late
/// answers; other methods on a declared path get axum's 405, other paths 404.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    ENDPOINTS
        .iter()
        .fold(Router::new(), |router, declared| {
            router.route(declared.path, route(&shared, declared))
        })
        .fallback(not_found)
        .with_state(shared)
}

fn route(shared: &Arc<Shared>, declared: &Declaration) -> axum::routing::MethodRouter<Arc<Shared>> {
    declared
        .method_router()
        .route_layer(from_fn_with_state(shared.clone(), faults::late_answers))
        .route_layer(Extension(declared.endpoint))
}

/// Paths the emulator does not implement (Zoom's exact answer is not known).
async fn not_found() -> Rejection {
    reply::zoom_error(StatusCode::NOT_FOUND, 404, "Not Found")
}
