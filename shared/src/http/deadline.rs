//! The request's deadline at the edge: Lambda's (`Lambda-Runtime-Deadline-Ms`,
//! handed over as the invocation context) or the function's timeout, the
//! earlier of the two. Work inside stops [`STEP_MARGIN`] before it; should
//! something still run at [`ANSWER_MARGIN`] before it, the request is
//! answered `503` there, naming what it waited on — never a runtime timeout.

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::deadline::{self, Deadline, Waiting};
use crate::error::AppError;

/// Before the deadline, the time work leaves for answering (and for the
/// backstop below to answer first).
pub const STEP_MARGIN: Duration = Duration::from_millis(300);
/// Before the deadline, the time the backstop answer leaves for sending.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(150);

/// The routes with a deadline of `timeout` per request (or Lambda's, if earlier).
pub fn with_deadline(routes: Router, timeout: Duration) -> Router {
    routes.layer(middleware::from_fn_with_state(timeout, keep_deadline))
}

/// The invocation's deadline, when the request came through the Lambda runtime.
fn lambda_deadline(request: &Request) -> Option<Deadline> {
    #[cfg(feature = "lambda")]
    {
        request
            .extensions()
            .get::<lambda_http::Context>()
            .map(|context| Deadline::from_epoch_ms(context.deadline))
    }
    #[cfg(not(feature = "lambda"))]
    {
        let _ = request;
        None
    }
}

async fn keep_deadline(State(timeout): State<Duration>, request: Request, next: Next) -> Response {
    let configured = Deadline::after(timeout);
    let deadline = lambda_deadline(&request).map_or(configured, |l| l.min(configured));
    let backstop = deadline.earlier(ANSWER_MARGIN);
    deadline
        .earlier(STEP_MARGIN)
        .scope(async move {
            match tokio::time::timeout(backstop.remaining(), next.run(request)).await {
                Ok(response) => response,
                Err(_) => out_of_time(deadline::waiting()).into_response(),
            }
        })
        .await
}

fn out_of_time(waiting: Waiting) -> AppError {
    tracing::warn!(waiting = ?waiting, "the request's deadline came: answered before it");
    match waiting {
        Waiting::Zoom => AppError::ZoomUnavailable("no answer from Zoom in time".into()),
        Waiting::Store | Waiting::Nothing => {
            AppError::StoreUnavailable("the request's deadline came first".into())
        }
    }
}
