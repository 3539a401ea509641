//! `webhook::sign` against independently computed HMACs, and `webhook::send`
//! against a local receiver.

mod common;

use axum::http::StatusCode;
use common::receiver::Receiver;
use common::reference_signature;
use serde_json::json;
use zoom_emulator::webhook;

#[test]
fn sign_matches_a_known_vector() {
    let body = br#"{"event":"meeting.started","event_ts":1700000000123}"#;
    let signature = webhook::sign("webhook-secret-token", 1_700_000_000, body);
    // Computed with Python's hmac module.
    assert_eq!(
        signature,
        "v0=bcc69ae3075347c2764f302adf1e44314ac3a9d70ecb0659e1755c1233af3074"
    );
    assert_eq!(
        signature,
        reference_signature("webhook-secret-token", "1700000000", body)
    );
    assert_ne!(
        signature,
        webhook::sign("other-secret", 1_700_000_000, body)
    );
    assert_ne!(
        signature,
        webhook::sign("webhook-secret-token", 1_700_000_001, body)
    );
}

#[test]
fn encrypted_token_matches_a_known_vector() {
    assert_eq!(
        webhook::encrypted_token("webhook-secret-token", "qgg8vlvZRS6UYooatFL8Aw"),
        "e5280e81b8a81e7abbce5194ca5e5b4322afe8fe68b4c934b2361c463a9565e1"
    );
}

#[tokio::test]
async fn send_posts_the_signed_bytes_with_zooms_headers() {
    let receiver = Receiver::start(StatusCode::NO_CONTENT).await;

    let event = json!({
        "event": "recording.completed",
        "event_ts": 1_700_000_000_123_i64,
        "download_token": "dl-token",
        "payload": {"account_id": "demo-account", "object": {"id": 81234567890_u64, "uuid": "/ab//cd=="}}
    });
    let response = webhook::send(&receiver.url, "s3cret", &event)
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let (headers, body) = receiver.received().pop().expect("one delivery");
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let timestamp = header("x-zm-request-timestamp");
    let seconds: i64 = timestamp.parse().unwrap();
    assert!(
        (chrono::Utc::now().timestamp() - seconds).abs() < 10,
        "seconds, not millis"
    );
    assert_eq!(
        header("x-zm-signature"),
        reference_signature("s3cret", &timestamp, &body)
    );
    assert_eq!(header("content-type"), "application/json; charset=utf-8");
    assert_eq!(header("user-agent"), "Zoom Marketplace/1.0a");
    assert!(!header("x-zm-request-id").is_empty());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        event
    );
}
