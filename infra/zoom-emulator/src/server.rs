//! The listening side: a hyper HTTP/1 accept loop around the axum router, so
//! that a request can be answered by closing its connection (no response).

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::faults::DropConnectionMarker;
use crate::ids;

/// Returned to hyper to make it close the connection without a response.
#[derive(Debug)]
struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

/// Binds `addr` and returns the listener and its actual address.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Accepts connections until `shutdown` fires (or this future is dropped);
/// open connections are closed then.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut shutdown: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "zoom emulator: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, app: Router) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        async move {
            let result: Result<_, Infallible> = app.oneshot(request).await;
            let Ok(mut response) = result;
            if response
                .extensions()
                .get::<DropConnectionMarker>()
                .is_some()
            {
                return Err(ConnectionDropped);
            }
            let tracking = format!("v=2.0;clid=us06;rid=WEB_{}", ids::alphanumeric(32));
            if let Ok(value) = HeaderValue::from_str(&tracking) {
                response.headers_mut().insert("x-zm-trackingid", value);
            }
            Ok(response)
        }
    });
    if let Err(error) = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "zoom emulator: connection ended");
    }
}
