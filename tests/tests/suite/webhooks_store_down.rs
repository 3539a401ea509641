//! Nothing lost: while the store is down a webhook gets 503 (so Zoom
//! redelivers) within Zoom's 3 s; the redelivery after it is back is stored once.
//! This test runs a moto server of its own and freezes it (SIGSTOP).

use std::time::{Duration, Instant};

use lms_zoom::{AppConfig, AppState};
use lms_zoom_local::Args;
use lms_zoom_tests::kit::Moto;
use lms_zoom_tests::{ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::Emulator;

fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_down_is_503_and_the_redelivery_is_stored_once() {
    let moto = Moto::start().await;
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let sdk = moto.sdk().await;
    let config = AppConfig::from_lookup(|name| match name {
        "TABLE_NAME" => Some("lmsz-down".into()),
        "ZOOM_API_URL" => Some(zoom.api_url()),
        "ZOOM_OAUTH_URL" => Some(zoom.oauth_url()),
        _ => None,
    })
    .unwrap();
    let (dynamo, _) = lms_zoom::state::aws_clients(&sdk);
    lms_zoom::store::DynamoStore::new(dynamo, "lmsz-down")
        .ensure_table()
        .await
        .unwrap();
    let state = AppState::aws(config, &sdk);
    let args = Args {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: lms_zoom_local::StoreKind::Aws,
        data_dir: "./unused".into(),
        zoom_emulator: false,
        maintenance_interval: std::time::Duration::ZERO,
        timeouts: Vec::new(),
    };
    let server = lms_zoom_local::serve_state(&args, state, None)
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let license: Value = http
        .post(format!("{base}/v1/academies/a1/licenses"))
        .json(&json!({"name": "D", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                      "sdkKey": "k", "sdkSecret": "s", "hostUser": HOST_EMAIL, "webhookSecretToken": "down-secret"}))
        .send().await.unwrap().json().await.unwrap();
    let license_id = license["licenseId"].as_str().unwrap();
    let meeting: Value = http
        .post(format!("{base}/v1/academies/a1/meetings"))
        .json(&json!({"topic": "C", "startTime": "2030-05-01T10:00:00Z", "durationMinutes": 60, "licenseId": license_id}))
        .send().await.unwrap().json().await.unwrap();
    let event = json!({"event": "meeting.participant_joined", "event_ts": 1_900_000_000_000i64, "payload": {"account_id": ACCOUNT_ID,
        "object": {"id": meeting["zoomMeetingId"], "uuid": "u==", "participant": {"user_id": "7", "user_name": "Ana",
        "participant_uuid": "P-1", "email": "ana@example.com", "join_time": "2030-05-01T10:05:00Z"}}}});
    let body = serde_json::to_vec(&event).unwrap();
    let deliver = || {
        let ts = chrono::Utc::now().timestamp();
        http.post(format!("{base}/v1/webhooks/zoom/{license_id}"))
            .header("content-type", "application/json")
            .header("x-zm-request-timestamp", ts.to_string())
            .header("x-zm-signature", sign("down-secret", ts, &body))
            .body(body.clone())
            .send()
    };

    moto.freeze();
    let started = Instant::now();
    let down = deliver().await.unwrap();
    let took = started.elapsed();
    assert_eq!(down.status(), 503);
    assert!(down.headers().contains_key("retry-after"));
    assert!(
        took < Duration::from_secs(3),
        "answered within Zoom's 3 s: {took:?}"
    );
    moto.thaw();

    for _ in 0..3 {
        assert_eq!(deliver().await.unwrap().status(), 200);
    }
    let attendance: Value = http
        .get(format!(
            "{base}/v1/academies/a1/meetings/{}/attendance",
            meeting["meetingId"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(attendance["totalParticipants"], 1);
    assert_eq!(attendance["items"][0]["joinedAt"], "2030-05-01T10:05:00Z");
    server.stop().await.unwrap();
}
