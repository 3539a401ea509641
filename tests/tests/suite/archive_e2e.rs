//! Recordings archived end to end, on both stores (embedded: the store's
//! own queue and `--data-dir`; AWS: SQS and S3 on moto): a
//! `recording.completed` with three files archives each once, with the
//! bytes and SHA-256 the emulator served, fetched by the download link;
//! the same webhook four times more enqueues nothing; unpublishing hides
//! the Zoom URLs and refuses the link, publishing gives it back. A transfer
//! cut midway is retried; an HTML page instead of the file fails five
//! times and is given up (SQS: into the dead-letter queue); with
//! `archive_and_trash` only verified copies leave Zoom. No download
//! credential reaches an answer, a log line or a stored item.

use std::time::{Duration, Instant};

use lms_zoom::AppState;
use lms_zoom::store::{Query, SkRange};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets, Recorder, webhook};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zoom_emulator::recording_content_sha256;

const MIB: u64 = 1024 * 1024;

struct Archived {
    server: TestServer,
    state: AppState,
    rec: Recorder,
    license_id: String,
    secret: String,
    meeting_id: String,
    zoom_id: String,
}

async fn archived(kind: StoreKind, mode: &str) -> Archived {
    let (server, state) =
        TestServer::start_keeping_state(Backend::of(kind), test_zoom(), |s| s, |s| s).await;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("arch");
    secrets.register(&rec);
    let mut body = secrets.body("Archivo", 2);
    body["recordingArchive"] = json!(mode);
    let license = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&body),
        )
        .await;
    assert_eq!(license.ok(201)["recordingArchive"], mode);
    let license_id = license.id("licenseId");
    let meeting = rec
        .send(server.http.post(server.url("/v1/academies/a1/meetings")).json(&json!({
            "topic": "Clase grabada", "startTime": "2031-05-01T10:00:00Z", "durationMinutes": 60,
            "licenseId": license_id
        })))
        .await;
    Archived {
        meeting_id: meeting.id("meetingId"),
        zoom_id: meeting.id("zoomMeetingId"),
        server,
        state,
        rec,
        license_id,
        secret: secrets.webhook_secret,
    }
}

impl Archived {
    fn path(&self, rest: &str) -> String {
        self.server.url(&format!(
            "/v1/academies/a1/meetings/{}/recordings{rest}",
            self.meeting_id
        ))
    }

    /// Zoom records three files (one of them over two S3 parts) and says so.
    async fn record(&self, files: &[(&str, &str, u64)]) -> Value {
        let files: Vec<Value> = files
            .iter()
            .map(|(id, kind, size)| {
                let ext = if *kind == "TRANSCRIPT" { "VTT" } else { kind };
                json!({"id": id, "file_type": kind, "file_extension": ext, "file_size": size,
                       "recording_type": "shared_screen_with_speaker_view", "status": "completed"})
            })
            .collect();
        self.server
            .zoom
            .add_recording(&self.zoom_id, Value::Array(files));
        self.server
            .zoom
            .recording_completed_event(&self.zoom_id)
            .expect("the emulator describes the recording")
    }

    async fn deliver(&self, event: &Value) {
        let body = serde_json::to_vec(event).unwrap();
        let answer = self
            .rec
            .send(webhook(&self.server, &self.license_id, &self.secret, &body))
            .await;
        answer.ok(200);
    }

    async fn list(&self) -> Value {
        self.rec
            .send(self.server.http.get(self.path("")))
            .await
            .ok(200)
            .clone()
    }

    fn item<'a>(list: &'a Value, id: &str) -> &'a Value {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["recordingId"] == id)
            .unwrap_or_else(|| panic!("{id} in {list}"))
    }

    /// Waits (up to a minute) until every file's archive status is final.
    async fn settled(&self) -> Value {
        let start = Instant::now();
        loop {
            let list = self.list().await;
            let open = list["items"].as_array().unwrap().iter().any(|i| {
                matches!(
                    i["archive"]["status"].as_str(),
                    Some("pending" | "archiving")
                )
            });
            if !open {
                return list;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "never settled: {list}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the download link serves.
    async fn download(&self, id: &str) -> (u16, Vec<u8>) {
        let answer = self
            .server
            .http
            .get(self.path(&format!("/{id}/download")))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.bytes().await.unwrap().to_vec())
    }

    /// Every item in the partitions the archive writes, as text.
    async fn stored_text(&self) -> String {
        let mut text = String::new();
        for pk in [
            format!("MEETING#{}", self.meeting_id),
            "JOBQ".into(),
            "JOBQ-DEAD".into(),
            "REPAIR".into(),
        ] {
            let items = self
                .state
                .store
                .query(&Query::new(pk, SkRange::AtLeast("!".into()), 1000))
                .await
                .unwrap();
            for item in items {
                text.push_str(&Value::Object(item).to_string());
            }
        }
        text
    }

    /// No download credential anywhere: answers, logs, the store.
    async fn no_credential_leaked(&self) {
        let tokens = self.server.zoom.issued_download_tokens();
        assert!(!tokens.is_empty(), "download tokens were issued");
        for token in &tokens {
            self.rec.secret(token);
        }
        self.rec.zoom_tokens(&self.server.zoom);
        self.rec.assert_no_secret_leaked();
        let stored = self.stored_text().await;
        for token in tokens.iter().chain(self.server.zoom.issued_tokens().iter()) {
            assert!(
                !stored.contains(token.as_str()),
                "a stored item holds a token"
            );
        }
    }
}

async fn three_files_archive_once_and_publishing_decides_the_link(kind: StoreKind) {
    let a = archived(kind, "archive").await;
    let files = [
        ("f-video", "MP4", 9 * MIB + 17),
        ("f-audio", "M4A", 300_000),
        ("f-vtt", "TRANSCRIPT", 5_000),
    ];
    let event = a.record(&files).await;
    a.deliver(&event).await;
    let list = a.settled().await;
    for (id, _, size) in files {
        let item = Archived::item(&list, id);
        assert_eq!(item["archive"]["status"], "archived", "{item}");
        assert_eq!(item["archive"]["bytes"], size);
        assert_eq!(
            item["archive"]["sha256"],
            recording_content_sha256(id, size)
        );
        assert_eq!(item["published"], true);
        assert_eq!(a.server.zoom.download_count(id), 1, "{id} copied once");
        let (status, bytes) = a.download(id).await;
        assert_eq!(status, 200, "the link fetches the copy");
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            recording_content_sha256(id, size)
        );
    }

    if kind == StoreKind::Embedded {
        // The local server serves the copy itself, ranges included.
        let part = a
            .server
            .http
            .get(a.path("/f-video/download"))
            .header("range", "bytes=100-199")
            .send()
            .await
            .unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes 100-199/{}", 9 * MIB + 17).as_str()
        );
        let (_, whole) = a.download("f-video").await;
        assert_eq!(part.bytes().await.unwrap().as_ref(), &whole[100..200]);
    }

    // Zoom redelivers the same event: nothing new is queued or copied.
    for _ in 0..4 {
        let body = serde_json::to_vec(&event).unwrap();
        let answer = a
            .rec
            .send(webhook(&a.server, &a.license_id, &a.secret, &body))
            .await;
        answer.ok(200);
    }
    let again = a.settled().await;
    for (id, _, _) in files {
        assert_eq!(a.server.zoom.download_count(id), 1, "{id} not copied again");
        assert_eq!(
            Archived::item(&again, id)["archive"],
            Archived::item(&list, id)["archive"]
        );
    }

    // Unpublished: no Zoom URL in the list, no link.
    let hidden = a
        .rec
        .send(
            a.server
                .http
                .patch(a.path("/f-video"))
                .json(&json!({"published": false})),
        )
        .await;
    assert_eq!(hidden.ok(200)["published"], false);
    let list = a.list().await;
    let video = Archived::item(&list, "f-video");
    assert_eq!(
        (video["playUrl"].clone(), video["downloadUrl"].clone()),
        (Value::Null, Value::Null),
        "{video}"
    );
    assert_eq!(
        list["shareUrl"],
        Value::Null,
        "the share link opens every file: {list}"
    );
    assert!(
        !video.to_string().contains("/rec/"),
        "no Zoom URL of it: {video}"
    );
    a.rec
        .send(a.server.http.get(a.path("/f-video/download")))
        .await
        .problem(403, "recording_unpublished");
    // Published again: the link works again.
    let shown = a
        .rec
        .send(
            a.server
                .http
                .patch(a.path("/f-video"))
                .json(&json!({"published": true})),
        )
        .await;
    assert_eq!(shown.ok(200)["published"], true);
    assert_eq!(a.download("f-video").await.0, 200);
    assert_ne!(a.list().await["shareUrl"], Value::Null);
    a.no_credential_leaked().await;
}

async fn bad_requests_get_problems(kind: StoreKind) {
    let a = archived(kind, "archive").await;
    let event = a.record(&[("f-one", "MP4", 1000)]).await;
    a.deliver(&event).await;
    a.settled().await;
    let patch = |body: Value| a.server.http.patch(a.path("/f-one")).json(&body);
    a.rec
        .send(patch(json!({"published": "yes"})))
        .await
        .problem(422, "validation_failed");
    a.rec
        .send(patch(json!({"other": true})))
        .await
        .problem(422, "validation_failed");
    a.rec
        .send(patch(json!({})))
        .await
        .problem(422, "validation_failed");
    a.rec
        .send(a.server.http.get(a.path("/nope/download")))
        .await
        .problem(404, "recording_not_found");
    a.rec
        .send(a.server.http.get(a.path("/bad%20id/download")))
        .await
        .problem(404, "recording_not_found");
    // Archived already: archiving again changes nothing.
    let again = a
        .rec
        .send(a.server.http.post(a.path("/f-one/archive")))
        .await;
    assert_eq!(again.ok(200)["archive"]["status"], "archived");
}

async fn a_cut_transfer_is_retried_and_ends_archived(kind: StoreKind) {
    let a = archived(kind, "archive").await;
    a.server.zoom.cut_download("f-cut", 2 * MIB, 2);
    let event = a.record(&[("f-cut", "MP4", 5 * MIB)]).await;
    a.deliver(&event).await;
    let list = a.settled().await;
    let item = Archived::item(&list, "f-cut");
    assert_eq!(item["archive"]["status"], "archived", "{item}");
    assert_eq!(
        item["archive"]["sha256"],
        recording_content_sha256("f-cut", 5 * MIB)
    );
    assert_eq!(
        a.server.zoom.download_count("f-cut"),
        3,
        "two cut, one whole"
    );
    assert_eq!(item["archive"]["error"], Value::Null);
}

async fn a_page_instead_of_the_file_fails_five_times(kind: StoreKind) {
    let a = archived(kind, "archive_and_trash").await;
    a.server.zoom.serve_html_for("f-gone");
    let event = a
        .record(&[("f-gone", "MP4", 2000), ("f-fine", "M4A", 3000)])
        .await;
    a.deliver(&event).await;
    let list = a.settled().await;
    let gone = Archived::item(&list, "f-gone");
    assert_eq!(gone["archive"]["status"], "failed", "{gone}");
    assert_eq!(gone["archive"]["error"]["code"], "not_a_recording");
    assert_eq!(gone["archive"]["bytes"], Value::Null);
    assert_eq!(
        Archived::item(&list, "f-fine")["archive"]["status"],
        "archived"
    );
    a.rec
        .send(a.server.http.get(a.path("/f-gone/download")))
        .await
        .problem(409, "recording_not_archived");
    // archive_and_trash: only the verified copy left Zoom (right after it
    // was recorded as archived).
    let start = Instant::now();
    while a.server.zoom.recording_file_status("f-fine").as_deref() != Some("trashed") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the archived file never reached Zoom's trash"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        a.server.zoom.recording_file_status("f-gone").as_deref(),
        Some("completed")
    );
    // Given up where each queue keeps its dead letters.
    match kind {
        StoreKind::Embedded => {
            let dead = a
                .state
                .store
                .query(&Query::new("JOBQ-DEAD", SkRange::AtLeast("!".into()), 10))
                .await
                .unwrap();
            assert_eq!(dead.len(), 1, "{dead:?}");
        }
        StoreKind::Aws => {
            let url = format!(
                "{}-dlq",
                a.state.config.recordings_queue_url.clone().unwrap()
            );
            let sqs = lms_zoom::state::sqs_client(&lms_zoom_tests::aws_config().await);
            let start = Instant::now();
            loop {
                let got = sqs.receive_message().queue_url(&url).send().await.unwrap();
                if let Some(message) = got.messages().first() {
                    assert!(message.body().unwrap().contains("f-gone"));
                    break;
                }
                // The redrive moves it on the main queue's next receive.
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "never in the DLQ"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    // Asked again once the file is back: archived.
    a.server.zoom.clear_faults();
    let again = a
        .rec
        .send(a.server.http.post(a.path("/f-gone/archive")))
        .await;
    assert_eq!(again.ok(202)["archive"]["status"], "pending");
    let list = a.settled().await;
    assert_eq!(
        Archived::item(&list, "f-gone")["archive"]["status"],
        "archived"
    );
    a.no_credential_leaked().await;
}

on_both_stores!(
    three_files_archive_once_and_publishing_decides_the_link,
    bad_requests_get_problems,
    a_cut_transfer_is_retried_and_ends_archived,
    a_page_instead_of_the_file_fails_five_times,
);
