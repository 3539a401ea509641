//! A local webhook endpoint for the tests that send events.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::task::JoinHandle;

type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook endpoint on a random loopback port that records what it gets
/// and answers `status`.
pub struct Receiver {
    pub url: String,
    seen: Seen,
    task: JoinHandle<()>,
}

impl Receiver {
    pub async fn start(status: StatusCode) -> Receiver {
        async fn receive(
            State((seen, status)): State<(Seen, StatusCode)>,
            headers: HeaderMap,
            body: Bytes,
        ) -> StatusCode {
            seen.lock().unwrap().push((headers, body));
            status
        }
        let seen: Seen = Arc::default();
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/zoom/webhook", post(receive))
            .with_state((seen.clone(), status));
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url: format!("http://{addr}/zoom/webhook"),
            seen,
            task,
        }
    }

    pub fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
