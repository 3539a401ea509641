//! The Lambda path: an API Gateway HTTP API event whose body arrives
//! base64-encoded is decoded by lambda_http before our router sees it, so the
//! signature is checked over the bytes Zoom signed.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use lms_zoom::domain::license::parse_create;
use lms_zoom::{AppConfig, AppState, http};
use serde_json::{Value, json};
use tower::ServiceExt;

fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn event(license_id: &str, body: &[u8], ts: i64, signature: &str, base64: bool) -> String {
    let encoded = if base64 {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        String::from_utf8(body.to_vec()).unwrap()
    };
    json!({
        "version": "2.0",
        "routeKey": "POST /v1/webhooks/zoom/{licenseId}",
        "rawPath": format!("/v1/webhooks/zoom/{license_id}"),
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": ts.to_string(),
            "x-zm-signature": signature,
            "user-agent": "Zoom Marketplace/1.0a"
        },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": "POST", "path": format!("/v1/webhooks/zoom/{license_id}"), "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.10", "userAgent": "Zoom Marketplace/1.0a"},
            "requestId": "req-1", "routeKey": "POST /v1/webhooks/zoom/{licenseId}", "stage": "$default",
            "time": "27/Nov/2026:22:00:00 +0000", "timeEpoch": 1795816800000i64
        },
        "pathParameters": {"licenseId": license_id},
        "body": encoded,
        "isBase64Encoded": base64
    })
    .to_string()
}

#[tokio::test]
async fn base64_bodies_from_api_gateway_are_verified_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let config = AppConfig::from_lookup(|_| None).unwrap();
    let state = AppState::embedded(config, dir.path()).unwrap();
    let new = parse_create(
        json!({"name": "L", "accountId": "a", "clientId": "c", "clientSecret": "cs", "sdkKey": "k",
               "sdkSecret": "ss", "webhookSecretToken": "testWebhookSecret"})
        .as_object()
        .unwrap()
        .clone(),
    )
    .unwrap();
    let license = state.licenses.create("a1", new, false).await.unwrap();
    let router = http::edge(http::webhooks::routes(state));
    // Bytes a re-serialisation would change: spacing and a \u escape.
    let body = br#"{"event" : "endpoint.url_validation", "payload" : {"plainToken" : "qgg8vlvZRS6UYooatFL8Aw", "x": "\u00e9"}, "event_ts" : 1654503849680}"#;
    let ts = chrono::Utc::now().timestamp();
    for base64 in [true, false] {
        let raw = event(
            &license.license_id,
            body,
            ts,
            &sign("testWebhookSecret", ts, body),
            base64,
        );
        let request = lambda_http::request::from_str(&raw).expect("an API Gateway v2 event");
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "base64: {base64}");
        let bytes = axum_body(response).await;
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            answer["encryptedToken"],
            "c3c970bef9b463e2f5e411016025816d64fb40622e71147bfa377d5c15127beb"
        );
    }
    // A signature over the base64 text (not the decoded bytes) is refused.
    let encoded = base64::engine::general_purpose::STANDARD.encode(body);
    let raw = event(
        &license.license_id,
        body,
        ts,
        &sign("testWebhookSecret", ts, encoded.as_bytes()),
        true,
    );
    let response = router
        .oneshot(lambda_http::request::from_str(&raw).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

async fn axum_body(response: axum::response::Response) -> Vec<u8> {
    axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap()
        .to_vec()
}
