//! Zoom's paths, mapped to their handlers.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::reply::{self, Rejection};
use crate::state::Shared;
use crate::{meeting_list, meetings, oauth, recordings, users};

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth/token", post(oauth::token))
        .route("/v2/users/{user_id}", get(users::get_user))
        .route("/v2/users/{user_id}/token", get(users::get_user_token))
        .route(
            "/v2/users/{user_id}/meetings",
            post(meetings::create).get(meeting_list::list),
        )
        .route(
            "/v2/meetings/{meeting_id}",
            get(meetings::get)
                .patch(meetings::update)
                .delete(meetings::delete),
        )
        .route("/v2/meetings/{meeting_id}/recordings", get(recordings::get))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::faults::late_answers,
        ))
        .with_state(shared)
}

/// Paths the emulator does not implement (Zoom's exact answer is not known).
async fn not_found() -> Rejection {
    reply::zoom_error(StatusCode::NOT_FOUND, 404, "Not Found")
}
