//! Zoom webhooks through `lms-zoom-local`: signatures over raw bytes, the
//! time window, every forgery refused alike, each event applied once however
//! often it is delivered, attendance across rejoins, recordings, sync.

use hmac::{Hmac, Mac};
use lms_zoom_local::StoreKind;
use std::sync::Arc;

use lms_zoom_tests::{
    ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, CountingStore, HOST_EMAIL, TestServer, test_zoom,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "testWebhookSecret";

/// Zoom's signature, computed here independently of the code under test.
fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

struct Setup {
    server: TestServer,
    license_id: String,
    meeting_id: String,
    zoom_id: String,
}

async fn setup(kind: StoreKind, webhook_secret: Option<&str>) -> Setup {
    let server = TestServer::start(Backend::of(kind)).await;
    let mut body = json!({
        "name": "W", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        "sdkKey": "k", "sdkSecret": "s", "hostUser": HOST_EMAIL,
    });
    if let Some(secret) = webhook_secret {
        body["webhookSecretToken"] = json!(secret);
    }
    let license: Value = server
        .http
        .post(server.url("/v1/academies/a1/licenses"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let license_id = license["licenseId"].as_str().unwrap().to_owned();
    let meeting: Value = server
        .http
        .post(server.url("/v1/academies/a1/meetings"))
        .json(&json!({"topic": "Clase", "startTime": "2030-03-01T10:00:00Z", "durationMinutes": 60, "licenseId": license_id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Setup {
        server,
        license_id,
        meeting_id: meeting["meetingId"].as_str().unwrap().to_owned(),
        zoom_id: meeting["zoomMeetingId"].as_str().unwrap().to_owned(),
    }
}

async fn post_raw(
    s: &Setup,
    license_id: &str,
    body: &[u8],
    ts: Option<i64>,
    sig: Option<String>,
) -> (StatusCode, String) {
    let mut request = s
        .server
        .http
        .post(s.server.url(&format!("/v1/webhooks/zoom/{license_id}")))
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "Zoom Marketplace/1.0a")
        .body(body.to_vec());
    if let Some(ts) = ts {
        request = request.header("x-zm-request-timestamp", ts.to_string());
    }
    if let Some(sig) = sig {
        request = request.header("x-zm-signature", sig);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn deliver(s: &Setup, event: &Value) -> StatusCode {
    let body = serde_json::to_vec(event).unwrap();
    let ts = now();
    post_raw(
        s,
        &s.license_id,
        &body,
        Some(ts),
        Some(sign(SECRET, ts, &body)),
    )
    .await
    .0
}

async fn get(s: &Setup, path: &str) -> Value {
    s.server
        .http
        .get(
            s.server
                .url(&format!("/v1/academies/a1/meetings/{}{path}", s.meeting_id)),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn envelope(event: &str, ts_ms: i64, object: Value) -> Value {
    json!({"event": event, "event_ts": ts_ms, "payload": {"account_id": ACCOUNT_ID, "object": object}})
}

fn meeting_object(s: &Setup) -> Value {
    json!({"id": s.zoom_id, "uuid": "4444AAAiAAAAAiAiAiiAii==", "host_id": "h", "topic": "Clase", "type": 2,
           "start_time": "2030-03-01T10:00:00Z", "timezone": "UTC", "duration": 60})
}

fn participant_event(s: &Setup, joined: bool, who: &str, at: &str) -> Value {
    let mut object = meeting_object(s);
    let mut participant = json!({"user_id": format!("id-{who}"), "user_name": who, "participant_uuid": format!("uuid-{who}"),
                                  "email": format!("{who}@example.com")});
    let (event, field) = if joined {
        ("meeting.participant_joined", "join_time")
    } else {
        ("meeting.participant_left", "leave_time")
    };
    participant[field] = json!(at);
    object["participant"] = participant;
    let ts = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .timestamp_millis();
    envelope(event, ts, object)
}

fn recording_event(s: &Setup, event: &str) -> Value {
    let mut object = meeting_object(s);
    object["share_url"] = json!("https://zoom.example/rec/share/abc");
    object["recording_play_passcode"] = json!("pass123");
    object["recording_files"] = json!([
        {"id": "file-mp4", "meeting_id": "4444AAAiAAAAAiAiAiiAii==", "recording_start": "2030-03-01T10:00:05Z",
         "recording_end": "2030-03-01T11:00:00Z", "file_type": "MP4", "file_extension": "MP4", "file_size": 654321,
         "play_url": "https://zoom.example/rec/play/mp4", "download_url": "https://zoom.example/rec/download/mp4",
         "status": "completed", "recording_type": "shared_screen_with_speaker_view"},
        {"id": "file-m4a", "meeting_id": "4444AAAiAAAAAiAiAiiAii==", "recording_start": "2030-03-01T10:00:05Z",
         "recording_end": "2030-03-01T11:00:00Z", "file_type": "M4A", "file_extension": "M4A", "file_size": 1234,
         "play_url": "https://zoom.example/rec/play/m4a", "download_url": "https://zoom.example/rec/download/m4a",
         "status": "completed", "recording_type": "audio_only"},
        {"meeting_id": "4444AAAiAAAAAiAiAiiAii==", "recording_start": "2030-03-01T10:00:05Z",
         "recording_end": "2030-03-01T11:00:00Z", "file_type": "TB", "file_extension": "JSON",
         "download_url": "https://zoom.example/rec/download/tb"}
    ]);
    let mut e = envelope(event, 1_900_000_000_000, object);
    e["download_token"] = json!("SECRET-DOWNLOAD-TOKEN-abc123");
    e
}

use lms_zoom_tests::on_both_stores;

on_both_stores!(
    url_validation_answers_zoom_vector,
    raw_bytes_are_what_is_signed,
    every_forgery_gets_the_same_401,
    ids_that_cannot_be_licenses_get_the_same_401,
    each_event_is_applied_once,
    unknown_meetings_and_other_events,
    sync_merges_with_pushed_recordings,
);

async fn url_validation_answers_zoom_vector(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    let event = json!({"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}, "event_ts": 1654503849680i64, "event": "endpoint.url_validation"});
    let body = serde_json::to_vec(&event).unwrap();
    let ts = now();
    let (status, text) = post_raw(
        &s,
        &s.license_id,
        &body,
        Some(ts),
        Some(sign(SECRET, ts, &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        answer,
        json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "c3c970bef9b463e2f5e411016025816d64fb40622e71147bfa377d5c15127beb"})
    );
}

async fn raw_bytes_are_what_is_signed(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    // Pretty-printed, with \\u escapes: re-serialising would change the bytes.
    let body = format!(
        "{{\n  \"event\" : \"meeting.started\",\n  \"event_ts\" : 1900000000000,\n  \"payload\" : {{\n    \"account_id\" : \"x\",\n    \"object\" : {{ \"id\" : \"{}\", \"uuid\" : \"u\\u002Fv==\", \"topic\" : \"Clase \\u00e9\" }}\n  }}\n}}",
        s.zoom_id
    );
    let ts = now();
    let (status, _) = post_raw(
        &s,
        &s.license_id,
        body.as_bytes(),
        Some(ts),
        Some(sign(SECRET, ts, body.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(get(&s, "").await["status"], "started");
}

/// (case, license id, body, timestamp header, signature header)
type Forgery = (&'static str, String, Vec<u8>, Option<i64>, Option<String>);

async fn every_forgery_gets_the_same_401(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    let body = serde_json::to_vec(&envelope("meeting.started", 1, meeting_object(&s))).unwrap();
    let ts = now();
    let good = sign(SECRET, ts, &body);
    let no_secret = setup(kind, None).await;
    let cases: Vec<Forgery> = vec![
        (
            "unknown license",
            "lic_01aaaaaaaaaaaaaaaaaaaaaaaa".into(),
            body.clone(),
            Some(ts),
            Some(good.clone()),
        ),
        (
            "missing signature",
            s.license_id.clone(),
            body.clone(),
            Some(ts),
            None,
        ),
        (
            "missing timestamp",
            s.license_id.clone(),
            body.clone(),
            None,
            Some(good.clone()),
        ),
        (
            "other secret",
            s.license_id.clone(),
            body.clone(),
            Some(ts),
            Some(sign("wrong", ts, &body)),
        ),
        (
            "tampered body",
            s.license_id.clone(),
            [&body[..], b" "].concat(),
            Some(ts),
            Some(good.clone()),
        ),
        (
            "stale",
            s.license_id.clone(),
            body.clone(),
            Some(ts - 400),
            Some(sign(SECRET, ts - 400, &body)),
        ),
        (
            "future",
            s.license_id.clone(),
            body.clone(),
            Some(ts + 400),
            Some(sign(SECRET, ts + 400, &body)),
        ),
        (
            "garbage signature",
            s.license_id.clone(),
            body.clone(),
            Some(ts),
            Some("v0=nothex".into()),
        ),
        (
            "no v0 prefix",
            s.license_id.clone(),
            body.clone(),
            Some(ts),
            Some(good[3..].to_owned()),
        ),
    ];
    let mut bodies = std::collections::HashSet::new();
    for (name, license, body, ts, sig) in cases {
        let (status, text) = post_raw(&s, &license, &body, ts, sig).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["code"], "unauthorized", "{name}");
        bodies.insert(text);
    }
    let (status, text) = post_raw(
        &no_secret,
        &no_secret.license_id,
        &body,
        Some(ts),
        Some(good.clone()),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "license without a secret token"
    );
    bodies.insert(text);
    assert_eq!(bodies.len(), 1, "every refusal looks the same");
    assert_eq!(get(&s, "").await["status"], "scheduled", "nothing applied");
}

/// A path id that no license can have is refused like any failed check, and
/// before the store is asked (DynamoDB refuses keys over 2048 bytes: a 503).
async fn ids_that_cannot_be_licenses_get_the_same_401(kind: StoreKind) {
    let counter = std::sync::OnceLock::new();
    let server = TestServer::start_wrapped(Backend::of(kind), test_zoom(), |store| {
        let counting = CountingStore::new(store);
        counter.set(counting.clone()).ok();
        Arc::new(counting)
    })
    .await;
    let counting = counter.get().unwrap();
    let body = br#"{"event":"meeting.started","payload":{"object":{"id":"85746065432"}}}"#;
    let ts = now();
    let post = |id: &str| {
        server
            .http
            .post(server.url(&format!("/v1/webhooks/zoom/{id}")))
            .header("content-type", "application/json")
            .header("x-zm-request-timestamp", ts.to_string())
            .header("x-zm-signature", sign(SECRET, ts, body))
            .body(body.to_vec())
            .send()
    };
    let unknown = post("lic_01aaaaaaaaaaaaaaaaaaaaaaaa").await.unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let refusal = unknown.text().await.unwrap();
    let long = format!("lic_{}", "a".repeat(2996));
    assert_eq!(long.len(), 3000);
    let before = counting.counts();
    for id in [long.as_str(), "x", "lic_01AAAAAAAAAAAAAAAAAAAAAAAA"] {
        let shown = &id[..id.len().min(40)];
        let response = post(id).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{shown}");
        let text = response.text().await.unwrap();
        let problem: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(problem["code"], "unauthorized", "{shown}");
        assert_eq!(text, refusal, "{shown}: looks like any other refusal");
    }
    assert_eq!(counting.counts(), before, "the store was not asked");
}

async fn each_event_is_applied_once(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    let events = vec![
        envelope("meeting.started", 1_900_000_000_000, meeting_object(&s)),
        participant_event(&s, true, "ana", "2030-03-01T10:01:00Z"),
        participant_event(&s, true, "beto", "2030-03-01T10:02:00Z"),
        participant_event(&s, false, "ana", "2030-03-01T10:11:00Z"),
        participant_event(&s, true, "ana", "2030-03-01T10:20:00Z"),
        participant_event(&s, false, "ana", "2030-03-01T10:50:00Z"),
        participant_event(&s, false, "beto", "2030-03-01T10:32:00Z"),
        envelope("meeting.ended", 1_900_000_100_000, {
            let mut o = meeting_object(&s);
            o["end_time"] = json!("2030-03-01T11:00:00Z");
            o
        }),
        recording_event(&s, "recording.completed"),
    ];
    for event in &events {
        for _ in 0..4 {
            assert_eq!(
                deliver(&s, event).await,
                StatusCode::OK,
                "{}",
                event["event"]
            );
        }
    }
    // Redelivered late and out of order: still nothing new.
    assert_eq!(deliver(&s, &events[0]).await, StatusCode::OK);
    let meeting = get(&s, "").await;
    assert_eq!(meeting["status"], "ended");
    let attendance = get(&s, "/attendance").await;
    assert_eq!(attendance["totalParticipants"], 2);
    let by_name = |n: &str| {
        attendance["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("ana")["durationSeconds"], (10 + 30) * 60);
    assert_eq!(by_name("ana")["joinedAt"], "2030-03-01T10:01:00Z");
    assert_eq!(by_name("ana")["leftAt"], "2030-03-01T10:50:00Z");
    assert_eq!(by_name("beto")["durationSeconds"], 30 * 60);
    assert_eq!(by_name("beto")["email"], "beto@example.com");
    let recordings = get(&s, "/recordings").await;
    let items = recordings["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{recordings}");
    assert_eq!(recordings["shareUrl"], "https://zoom.example/rec/share/abc");
    assert_eq!(recordings["playPasscode"], "pass123");
    let mp4 = items
        .iter()
        .find(|r| r["recordingId"] == "file-mp4")
        .unwrap();
    assert_eq!(mp4["fileSize"], 654321);
    assert_eq!(mp4["playUrl"], "https://zoom.example/rec/play/mp4");
    assert_eq!(mp4["downloadUrl"], "https://zoom.example/rec/download/mp4");
    assert_eq!(mp4["status"], "completed");
    assert!(
        items
            .iter()
            .any(|r| r["fileType"] == "TB" && r["recordingId"] == "TB-2030-03-01T10:00:05Z")
    );
    assert!(!recordings.to_string().contains("SECRET-DOWNLOAD-TOKEN"));
    assert!(
        !lms_zoom_tests::logs()
            .text()
            .contains("SECRET-DOWNLOAD-TOKEN")
    );

    // Trashed, then deleted: file statuses follow.
    assert_eq!(
        deliver(&s, &recording_event(&s, "recording.trashed")).await,
        StatusCode::OK
    );
    let trashed = get(&s, "/recordings").await;
    assert!(
        trashed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "trashed")
    );
    assert_eq!(
        deliver(&s, &recording_event(&s, "recording.deleted")).await,
        StatusCode::OK
    );
    let deleted = get(&s, "/recordings").await;
    assert!(
        deleted["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "deleted")
    );
    assert_eq!(deleted["items"].as_array().unwrap().len(), 3);

    // Deleted in Zoom: the meeting is deleted and its slot freed.
    let mut del = meeting_object(&s);
    del["id"] = json!(s.zoom_id.parse::<u64>().unwrap());
    assert_eq!(
        deliver(&s, &envelope("meeting.deleted", 1_900_000_200_000, del)).await,
        StatusCode::OK
    );
    assert_eq!(get(&s, "").await["status"], "deleted");
}

async fn unknown_meetings_and_other_events(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    let mut other = meeting_object(&s);
    other["id"] = json!("99999999999");
    assert_eq!(
        deliver(&s, &envelope("meeting.started", 5, other)).await,
        StatusCode::OK
    );
    assert_eq!(
        deliver(
            &s,
            &envelope("meeting.sharing_started", 6, meeting_object(&s))
        )
        .await,
        StatusCode::NO_CONTENT
    );
    let body = b"{\"event\": \"meeting.started\", ";
    let ts = now();
    let (status, text) = post_raw(
        &s,
        &s.license_id,
        body,
        Some(ts),
        Some(sign(SECRET, ts, body)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("malformed_json"));
    assert_eq!(get(&s, "").await["status"], "scheduled");
}

async fn sync_merges_with_pushed_recordings(kind: StoreKind) {
    let s = setup(kind, Some(SECRET)).await;
    assert_eq!(
        deliver(&s, &recording_event(&s, "recording.completed")).await,
        StatusCode::OK
    );
    // Zoom's list has the same MP4 plus one more file.
    s.server.zoom.add_recording(
        &s.zoom_id,
        json!([
            {"id": "file-mp4", "file_type": "MP4", "file_extension": "MP4", "file_size": 654321,
             "recording_start": "2030-03-01T10:00:05Z", "recording_end": "2030-03-01T11:00:00Z", "status": "completed",
             "recording_type": "shared_screen_with_speaker_view"},
            {"id": "file-chat", "file_type": "CHAT", "file_extension": "TXT", "file_size": 99,
             "recording_start": "2030-03-01T10:00:05Z", "recording_end": "2030-03-01T11:00:00Z", "status": "completed",
             "recording_type": "chat_file"}
        ]),
    );
    let synced: Value = s
        .server
        .http
        .post(s.server.url(&format!(
            "/v1/academies/a1/meetings/{}/recordings/sync",
            s.meeting_id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<_> = synced["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["recordingId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    for id in ["file-mp4", "file-m4a", "file-chat"] {
        assert_eq!(ids.iter().filter(|i| *i == id).count(), 1, "{id} once");
    }
    // Syncing again changes nothing.
    let again: Value = s
        .server
        .http
        .post(s.server.url(&format!(
            "/v1/academies/a1/meetings/{}/recordings/sync",
            s.meeting_id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["items"].as_array().unwrap().len(), 4);
}
