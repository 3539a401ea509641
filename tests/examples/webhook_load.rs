//! Load run: signed `meeting.participant_joined` events through the local
//! server (embedded store) from 32 concurrent senders, 10 % of them delivered
//! twice, as Zoom redelivers. Prints events/s and latency percentiles, then
//! checks every distinct event was stored once and none was lost.
//!
//! `cargo run --release -p lms-zoom-tests --example webhook_load [events]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use lms_zoom_tests::{ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, TestServer};
use serde_json::{Value, json};

const SECRET: &str = "load-secret";
const SENDERS: usize = 32;

fn sign(ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::main]
async fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let server = TestServer::start(Backend::embedded()).await;
    let license: Value = server
        .http
        .post(server.url("/v1/academies/a1/licenses"))
        .json(&json!({"name": "Load", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                      "sdkKey": "k", "sdkSecret": "s", "hostUser": HOST_EMAIL, "webhookSecretToken": SECRET}))
        .send().await.unwrap().json().await.unwrap();
    let license_id = license["licenseId"].as_str().unwrap().to_owned();
    let meeting: Value = server
        .http
        .post(server.url("/v1/academies/a1/meetings"))
        .json(&json!({"topic": "Load", "startTime": "2030-05-01T10:00:00Z", "durationMinutes": 600, "licenseId": license_id}))
        .send().await.unwrap().json().await.unwrap();
    let zoom_id = meeting["zoomMeetingId"].as_str().unwrap().to_owned();
    let meeting_id = meeting["meetingId"].as_str().unwrap().to_owned();
    let url = Arc::new(server.url(&format!("/v1/webhooks/zoom/{license_id}")));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(SENDERS)
        .build()
        .unwrap();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (url, http, zoom_id) = (url.clone(), http.clone(), zoom_id.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            for i in (sender..events).step_by(SENDERS) {
                let event = json!({"event": "meeting.participant_joined", "event_ts": 1_900_000_000_000i64 + i as i64,
                    "payload": {"account_id": ACCOUNT_ID, "object": {"id": zoom_id, "uuid": "load==",
                    "participant": {"user_id": i.to_string(), "user_name": format!("P{i}"), "participant_uuid": format!("P-{i}"),
                    "email": format!("p{i}@example.com"), "join_time": "2030-05-01T10:05:00Z"}}}});
                let body = serde_json::to_vec(&event).unwrap();
                let deliveries = if i % 10 == 0 { 2 } else { 1 };
                for _ in 0..deliveries {
                    let ts = chrono::Utc::now().timestamp();
                    let t = Instant::now();
                    let status = http
                        .post(url.as_str())
                        .header("content-type", "application/json")
                        .header("x-zm-request-timestamp", ts.to_string())
                        .header("x-zm-signature", sign(ts, &body))
                        .body(body.clone())
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    latencies.push(t.elapsed());
                    if status != 200 {
                        failures += 1;
                    }
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{} deliveries ({} distinct events, {} redelivered) from {SENDERS} senders in {:.2?}: {:.0} deliveries/s",
        latencies.len(),
        events,
        latencies.len() - events,
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {:?} p90 {:?} p99 {:?} max {:?}; non-200 answers: {failures}",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    let attendance: Value = server
        .http
        .get(server.url(&format!(
            "/v1/academies/a1/meetings/{meeting_id}/attendance"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = attendance["totalParticipants"].as_u64().unwrap() as usize;
    let ids: std::collections::HashSet<_> = attendance["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["participantId"].clone())
        .collect();
    println!(
        "stored participants: {stored} (distinct {}), expected {events}",
        ids.len()
    );
    assert_eq!(failures, 0, "every delivery answered 200");
    assert_eq!(stored, events, "no loss, no duplicate");
    assert_eq!(ids.len(), events);
}
