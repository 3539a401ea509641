//! Peak memory of archiving one large recording file (issue 15's figure).
//!
//! One process: the local server (its archive worker included) and the
//! Zoom emulator, which generates the file's bytes as it streams them. A
//! license, a meeting and a recording of `ARCHIVE_RSS_MIB` MiB (default
//! 1024) are set up, `recording.completed` is delivered, and once the file
//! is `archived` the process prints its peak resident set (`VmHWM`) next to
//! the figure before the transfer, the bytes copied and the time it took.
//! The peak covers the emulator's side of the transfer too: an upper bound
//! of the archiver's.
//!
//! `cargo run --release -p lms-zoom-tests --example archive_rss` (embedded
//! store, `--data-dir` objects); with `ARCHIVE_RSS_STORE=aws` and
//! `AWS_ENDPOINT_URL` at a moto server, S3 multipart and SQS.
//! `infra/scripts/bench-archive.sh` runs both.

use std::time::{Duration, Instant};

use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets, Recorder, webhook};
use lms_zoom_tests::{Backend, TestServer, test_zoom};
use serde_json::{Value, json};

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::main]
async fn main() {
    let mib: u64 = std::env::var("ARCHIVE_RSS_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let kind = match std::env::var("ARCHIVE_RSS_STORE").as_deref() {
        Ok("aws") => StoreKind::Aws,
        _ => StoreKind::Embedded,
    };
    let (server, _state) =
        TestServer::start_keeping_state(Backend::of(kind), test_zoom(), |s| s, |s| s).await;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("rss");
    let license = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&secrets.body("R", 1)),
        )
        .await;
    let license_id = license.id("licenseId");
    let meeting = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/meetings"))
                .json(&json!({
                    "topic": "Grande", "startTime": "2031-06-01T10:00:00Z", "durationMinutes": 60,
                    "licenseId": license_id
                })),
        )
        .await;
    let (meeting_id, zoom_id) = (meeting.id("meetingId"), meeting.id("zoomMeetingId"));
    let size = mib * 1024 * 1024;
    server.zoom.add_recording(
        &zoom_id,
        json!([{"id": "f-big", "file_type": "MP4", "file_extension": "MP4", "file_size": size,
                "recording_type": "shared_screen_with_speaker_view", "status": "completed"}]),
    );
    let event = server.zoom.recording_completed_event(&zoom_id).unwrap();
    let before = vm_hwm_kib();
    let started = Instant::now();
    let body = serde_json::to_vec(&event).unwrap();
    rec.send(webhook(
        &server,
        &license_id,
        &secrets.webhook_secret,
        &body,
    ))
    .await
    .ok(200);
    let url = server.url(&format!(
        "/v1/academies/a1/meetings/{meeting_id}/recordings"
    ));
    let archive = loop {
        // moto serves one request at a time: while it takes in an 8 MiB
        // part, a read of the list may time out (503); ask again.
        let list: Value = match server.http.get(&url).send().await {
            Ok(answer) if answer.status() == 200 => answer.json().await.unwrap(),
            _ => {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        };
        let archive: Value = list["items"][0]["archive"].clone();
        match archive["status"].as_str() {
            Some("archived" | "failed") => break archive,
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    let took = started.elapsed();
    let peak = vm_hwm_kib();
    println!(
        "archive_rss: store={kind:?} file={mib} MiB status={} bytes={} took={:.1}s VmHWM before={} KiB after={} KiB ({:.1} MiB)",
        archive["status"],
        archive["bytes"],
        took.as_secs_f64(),
        before,
        peak,
        peak as f64 / 1024.0
    );
    assert_eq!(archive["status"], "archived", "{archive}");
    assert_eq!(archive["bytes"], size);
}
