//! Zoom → lms-zoom → LMS: the emulator plays a meeting it created (started,
//! people joining and leaving, ended, recording) as signed webhooks, delivered
//! twice each; the LMS read routes then show it all once.

use std::time::Duration;

use lms_zoom_local::StoreKind;
use lms_zoom_tests::{ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, TestServer};
use serde_json::{Value, json};
use zoom_emulator::{Lifecycle, Participant, Session};

const SECRET: &str = "e2e-webhook-secret";

async fn run(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let license: Value = server
        .http
        .post(server.url("/v1/academies/a1/licenses"))
        .json(&json!({"name": "E2E", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                      "sdkKey": "k", "sdkSecret": "s", "hostUser": HOST_EMAIL, "webhookSecretToken": SECRET}))
        .send().await.unwrap().json().await.unwrap();
    let license_id = license["licenseId"].as_str().unwrap();
    let meeting: Value = server
        .http
        .post(server.url("/v1/academies/a1/meetings"))
        .json(&json!({"topic": "Clase", "startTime": "2030-04-01T10:00:00Z", "durationMinutes": 60, "licenseId": license_id}))
        .send().await.unwrap().json().await.unwrap();
    let zoom_id = meeting["zoomMeetingId"].as_str().unwrap();
    let meeting_id = meeting["meetingId"].as_str().unwrap();
    // An instance UUID that needs double encoding when synced.
    server
        .zoom
        .set_meeting_uuid(zoom_id, "/ajXp112QmuoKj4854875==");

    let ana = Participant::new("16778240", "Ana", "ana@example.com");
    let beto = Participant::new("16778241", "Beto", "beto@example.com").without_uuid();
    let min = |m: u64| Duration::from_secs(m * 60);
    let lifecycle = Lifecycle {
        sessions: vec![
            Session::new(&ana, min(1), min(11)),
            Session::new(&ana, min(20), min(50)),
            Session::new(&beto, min(2), min(58)),
        ],
        duration: min(58),
        with_recording: true,
    };
    let url = server.url(&format!("/v1/webhooks/zoom/{license_id}"));
    let events = server.zoom.lifecycle_events(zoom_id, &lifecycle);
    assert_eq!(events.len(), 1 + 6 + 1 + 1);
    let expected_files = events.last().unwrap()["payload"]["object"]["recording_files"]
        .as_array()
        .unwrap()
        .len();
    // Every event twice, as Zoom does when an answer is lost.
    for event in &events {
        for _ in 0..2 {
            let status = zoom_emulator::webhook::send(&url, SECRET, event)
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200, "{}", event["event"]);
        }
    }

    let read = |path: String| {
        let server = &server;
        async move {
            server
                .http
                .get(server.url(&path))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let base = format!("/v1/academies/a1/meetings/{meeting_id}");
    assert_eq!(read(base.clone()).await["status"], "ended");
    let attendance = read(format!("{base}/attendance")).await;
    assert_eq!(attendance["totalParticipants"], 2, "{attendance}");
    let seconds = |name: &str| {
        attendance["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["durationSeconds"]
            .clone()
    };
    assert_eq!(seconds("Ana"), json!(40 * 60));
    assert_eq!(seconds("Beto"), json!(56 * 60));
    let recordings = read(format!("{base}/recordings")).await;
    let files = recordings["items"].as_array().unwrap().len();
    assert_eq!(files, expected_files, "{recordings}");
    assert!(recordings["shareUrl"].is_string());

    // Sync pulls Zoom's list (double-encoded UUID) and merges: no duplicates.
    let synced: Value = server
        .http
        .post(server.url(&format!("{base}/recordings/sync")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(synced["items"].as_array().unwrap().len(), files, "{synced}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_end_to_end_on_the_embedded_store() {
    run(StoreKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_end_to_end_on_dynamodb() {
    run(StoreKind::Aws).await;
}
