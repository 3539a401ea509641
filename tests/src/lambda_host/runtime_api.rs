//! The Lambda Runtime API of one execution environment (one process):
//! `GET /2018-06-01/runtime/invocation/next` hands it its next event (held
//! until there is one), `POST …/invocation/{id}/response` and `…/error`
//! end an invocation, `POST …/runtime/init/error` ends a failed init.
//!
//! Each environment gets its own loopback port (in Lambda, too, each
//! environment has its own endpoint), so the API knows which process asks.
//! The freeze lives here, under the same lock as the event queue: the
//! process is stopped (SIGSTOP) the moment its answer arrives, before the
//! runtime even hears `202`, and whenever it polls with nothing to do (after
//! init); it is continued (SIGCONT) when an event is queued for it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Notify, oneshot};

use super::signals;

/// An event waiting for the environment's next poll.
pub(crate) struct NextEvent {
    pub request_id: String,
    pub deadline_ms: i64,
    pub function_arn: String,
    pub trace_id: String,
    pub body: Vec<u8>,
}

/// How an invocation ended, as the Runtime API saw it.
pub(crate) enum Posted {
    Response(Vec<u8>),
    Error { error_type: String, body: String },
    Exited(String),
}

/// How init ended.
pub(crate) enum Init {
    /// The first poll arrived.
    Ready,
    Error(String),
    Exited(String),
}

struct Current {
    request_id: String,
    reply: oneshot::Sender<Posted>,
}

#[derive(Default)]
struct EnvState {
    queue: VecDeque<NextEvent>,
    current: Option<Current>,
    init: Option<oneshot::Sender<Init>>,
    frozen: bool,
    dead: bool,
    polls: u64,
    freezes: u64,
}

/// What the Runtime API and the host share about one process.
pub(crate) struct EnvShared {
    pub pid: u32,
    freeze: bool,
    state: Mutex<EnvState>,
    wake: Notify,
}

impl EnvShared {
    pub fn new(pid: u32, freeze: bool, init: oneshot::Sender<Init>) -> Self {
        Self {
            pid,
            freeze,
            state: Mutex::new(EnvState {
                init: Some(init),
                ..Default::default()
            }),
            wake: Notify::new(),
        }
    }

    fn freeze_locked(&self, state: &mut EnvState) {
        if self.freeze && !state.frozen && !state.dead && signals::stop(self.pid) {
            state.frozen = true;
            state.freezes += 1;
        }
    }

    /// Queues the event, thaws the process, and returns where its end arrives.
    pub fn dispatch(&self, event: NextEvent) -> oneshot::Receiver<Posted> {
        let (reply, ended) = oneshot::channel();
        {
            let mut state = self.state.lock().unwrap();
            if state.dead {
                let _ = reply.send(Posted::Exited("exited before the event".into()));
                return ended;
            }
            assert!(
                state.current.is_none(),
                "one invocation per environment at a time"
            );
            state.current = Some(Current {
                request_id: event.request_id.clone(),
                reply,
            });
            state.queue.push_back(event);
            if state.frozen && signals::resume(self.pid) {
                state.frozen = false;
            }
        }
        self.wake.notify_one();
        ended
    }

    /// Forgets the invocation in flight (its deadline passed): a late
    /// answer is refused.
    pub fn abandon(&self) {
        let mut state = self.state.lock().unwrap();
        state.current = None;
        state.queue.clear();
    }

    /// The process is gone (`status` as the OS told it).
    pub fn exited(&self, status: String) {
        {
            let mut state = self.state.lock().unwrap();
            state.dead = true;
            state.frozen = false;
            if let Some(c) = state.current.take() {
                let _ = c.reply.send(Posted::Exited(status.clone()));
            }
            if let Some(init) = state.init.take() {
                let _ = init.send(Init::Exited(status));
            }
        }
        self.wake.notify_waiters();
    }

    pub fn is_dead(&self) -> bool {
        self.state.lock().unwrap().dead
    }

    /// Sends SIGKILL unless the process is known to be gone (a stopped
    /// process dies of it too).
    pub fn kill(&self) {
        let state = self.state.lock().unwrap();
        if !state.dead {
            signals::kill(self.pid);
        }
    }

    /// How often the host froze this process.
    pub fn freezes(&self) -> u64 {
        self.state.lock().unwrap().freezes
    }

    /// Whether the host holds it frozen now.
    pub fn frozen(&self) -> bool {
        self.state.lock().unwrap().frozen
    }
}

pub(crate) fn router(env: Arc<EnvShared>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        // Lambda takes responses up to 6 MB; larger ones are read and refused
        // by the host (Function.ResponseSizeTooLarge), not cut off here.
        .layer(DefaultBodyLimit::max(32 << 20))
        .with_state(env)
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        [("content-type", "application/json")],
        r#"{"status":"OK"}"#,
    )
        .into_response()
}

fn refused(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string(),
    )
        .into_response()
}

async fn next(State(env): State<Arc<EnvShared>>) -> Response {
    {
        let mut state = env.state.lock().unwrap();
        state.polls += 1;
        if let Some(init) = state.init.take() {
            let _ = init.send(Init::Ready);
        }
    }
    loop {
        {
            let mut state = env.state.lock().unwrap();
            if state.dead {
                return refused(StatusCode::GONE, "Gone", "the environment is gone");
            }
            if let Some(event) = state.queue.pop_front() {
                return (
                    StatusCode::OK,
                    [
                        ("content-type", "application/json".to_owned()),
                        ("lambda-runtime-aws-request-id", event.request_id),
                        ("lambda-runtime-deadline-ms", event.deadline_ms.to_string()),
                        ("lambda-runtime-invoked-function-arn", event.function_arn),
                        ("lambda-runtime-trace-id", event.trace_id),
                    ],
                    event.body,
                )
                    .into_response();
            }
            // Nothing to do: after init, or polled after an abandoned event.
            env.freeze_locked(&mut state);
        }
        env.wake.notified().await;
    }
}

fn end(env: &EnvShared, id: &str, posted: Posted) -> Response {
    let mut state = env.state.lock().unwrap();
    match state.current.take_if(|c| c.request_id == id) {
        Some(current) => {
            // Frozen before the runtime hears 202: nothing of this process
            // runs after its answer until it is handed the next event.
            env.freeze_locked(&mut state);
            let _ = current.reply.send(posted);
            drop(state);
            accepted()
        }
        None => refused(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "no invocation in flight with this request id",
        ),
    }
}

async fn response(
    State(env): State<Arc<EnvShared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    end(&env, &id, Posted::Response(body.to_vec()))
}

async fn error(
    State(env): State<Arc<EnvShared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let error_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unhandled")
        .to_owned();
    let body = String::from_utf8_lossy(&body).into_owned();
    end(&env, &id, Posted::Error { error_type, body })
}

async fn init_error(State(env): State<Arc<EnvShared>>, body: Bytes) -> Response {
    let init = env.state.lock().unwrap().init.take();
    if let Some(init) = init {
        let _ = init.send(Init::Error(String::from_utf8_lossy(&body).into_owned()));
    }
    accepted()
}
