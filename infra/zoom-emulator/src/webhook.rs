//! Sending signed webhooks the way Zoom does (ZOOM.md §7).

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `"v0=" + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`, the value of
/// `x-zm-signature`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("v0:{timestamp}:").into_bytes();
    message.extend_from_slice(body);
    format!("v0={}", hmac_hex(secret, &message))
}

/// `hex(HMAC-SHA256(secret, plain_token))`: the `encryptedToken` an endpoint
/// must answer to an `endpoint.url_validation` event.
pub fn encrypted_token(secret: &str, plain_token: &str) -> String {
    hmac_hex(secret, plain_token.as_bytes())
}

/// POSTs `event` to `url` as Zoom does: the exact bytes signed, with
/// `x-zm-signature`, `x-zm-request-timestamp` (Unix seconds),
/// `x-zm-request-id`, `x-zm-trackingid`, `content-type: application/json;
/// charset=utf-8` and `user-agent: Zoom Marketplace/1.0a`. No retries.
pub async fn send(
    url: &str,
    secret: &str,
    event: &serde_json::Value,
) -> reqwest::Result<reqwest::Response> {
    let body = event.to_string().into_bytes();
    send_raw(url, secret, body).await
}

/// Sends each of `events` that `deliver` accepts, in order, with [`send`]:
/// one entry per event, the HTTP status of a delivered one, `None` for one
/// left out. Stops at the first request that gets no answer.
pub async fn send_where(
    url: &str,
    secret: &str,
    events: &[serde_json::Value],
    mut deliver: impl FnMut(&serde_json::Value) -> bool,
) -> reqwest::Result<Vec<Option<u16>>> {
    let mut statuses = Vec::with_capacity(events.len());
    for event in events {
        let status = if deliver(event) {
            Some(send(url, secret, event).await?.status().as_u16())
        } else {
            None
        };
        statuses.push(status);
    }
    Ok(statuses)
}

/// Like [`send`], for a body given as bytes (signed and sent unchanged).
pub async fn send_raw(
    url: &str,
    secret: &str,
    body: Vec<u8>,
) -> reqwest::Result<reqwest::Response> {
    let timestamp = Utc::now().timestamp();
    let signature = sign(secret, timestamp, &body);
    let request_id = crate::ids::file_id();
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Zoom Marketplace/1.0a")
        .header("x-zm-request-timestamp", timestamp.to_string())
        .header("x-zm-signature", signature)
        .header("x-zm-request-id", request_id)
        .header(
            "x-zm-trackingid",
            format!("v=2.0;clid=us06;rid={}", crate::ids::alphanumeric(20)),
        )
        .body(body)
        .send()
        .await
}
