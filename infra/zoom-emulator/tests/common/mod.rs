//! Helpers shared by the emulator's integration tests.
#![allow(dead_code)]

pub mod receiver;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use zoom_emulator::{
    DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorConfig,
};

/// A client that does not keep connections (each request on a fresh one).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

pub async fn demo() -> Emulator {
    Emulator::start(EmulatorConfig::demo())
        .await
        .expect("start emulator")
}

/// `POST /oauth/token?grant_type=account_credentials&account_id=…` with Basic auth.
pub async fn request_token(
    zoom: &Emulator,
    client_id: &str,
    secret: &str,
    account_id: &str,
) -> reqwest::Response {
    http()
        .post(format!(
            "{}?grant_type=account_credentials&account_id={account_id}",
            zoom.oauth_url()
        ))
        .basic_auth(client_id, Some(secret))
        .send()
        .await
        .expect("token request")
}

/// An access token for these credentials (panics unless 200).
pub async fn token(zoom: &Emulator, client_id: &str, secret: &str, account_id: &str) -> String {
    let response = request_token(zoom, client_id, secret, account_id).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

pub async fn demo_token(zoom: &Emulator) -> String {
    token(zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await
}

/// Sends a request to `{api_url}{path}` with a bearer token and an optional JSON body.
pub async fn call(
    zoom: &Emulator,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = http()
        .request(method, format!("{}{path}", zoom.api_url()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("request")
}

/// Status and JSON body (Null when the body is empty).
pub async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

pub async fn get(zoom: &Emulator, token: &str, path: &str) -> (u16, Value) {
    status_json(call(zoom, token, reqwest::Method::GET, path, None).await).await
}

pub async fn post(zoom: &Emulator, token: &str, path: &str, body: Value) -> (u16, Value) {
    status_json(call(zoom, token, reqwest::Method::POST, path, Some(body)).await).await
}

pub async fn patch(zoom: &Emulator, token: &str, path: &str, body: Value) -> (u16, Value) {
    status_json(call(zoom, token, reqwest::Method::PATCH, path, Some(body)).await).await
}

pub async fn delete(zoom: &Emulator, token: &str, path: &str) -> (u16, Value) {
    status_json(call(zoom, token, reqwest::Method::DELETE, path, None).await).await
}

/// Creates a meeting for the demo host and returns its numeric id.
pub async fn create_meeting(zoom: &Emulator, token: &str, topic: &str) -> u64 {
    let (status, body) = post(
        zoom,
        token,
        "/users/teacher@example.com/meetings",
        serde_json::json!({"topic": topic, "type": 2, "start_time": "2030-05-01T15:00:00Z", "duration": 45}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_u64().expect("numeric id")
}

/// Zoom's webhook signature `v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")`,
/// computed here independently of [`zoom_emulator::webhook::sign`].
pub fn reference_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
