//! The store stops mid-run, on both stores (the embedded store behind an
//! outage switch; DynamoDB + Secrets Manager on a moto of the test's own,
//! frozen with SIGSTOP): every LMS route answers `503 store_unavailable`
//! problem+json with `Retry-After`, webhooks answer 503 within Zoom's 3 s;
//! once the store is back everything proceeds, nothing is half written
//! (no license or secret of a refused create, no booking without a meeting,
//! no Zoom meeting without ours), and a redelivered webhook is stored once.
//! Every answer and log line is searched for every secret at the end.

use std::time::{Duration, Instant};

use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{
    Answer, LicenseSecrets, Outage, Recorder, assert_zoom_matches, list_meetings, meeting_body,
    webhook,
};
use lms_zoom_tests::{ACCOUNT_ID, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::{Endpoint, Fault, FaultKind, Lifecycle};

on_both_stores!(
    every_route_is_503_while_the_store_is_down_and_recovers,
    the_store_lost_between_zoom_and_commit_leaves_nothing_behind,
);

/// Books `start` once the slot is free: at once, or after what a stalled
/// write left behind (a reservation) expires. Returns the created meeting.
async fn book_when_free(server: &TestServer, rec: &Recorder, body: &Value) -> Value {
    let started = Instant::now();
    loop {
        let answer = rec
            .send(
                server
                    .http
                    .post(server.url("/v1/academies/a1/meetings"))
                    .json(body),
            )
            .await;
        if answer.status == 201 {
            return answer.body;
        }
        // Only a reservation nobody can see may hold the slot: never a meeting.
        answer.problem(409, "slot_conflict");
        for conflict in answer.body["conflicts"].as_array().unwrap() {
            let id = conflict["meetingId"].as_str().unwrap();
            rec.send(
                server
                    .http
                    .get(server.url(&format!("/v1/academies/a1/meetings/{id}"))),
            )
            .await
            .problem(404, "meeting_not_found");
        }
        assert!(
            started.elapsed() < Duration::from_secs(80),
            "the slot stayed taken past the reservation's expiry: {}",
            answer.text
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn joined(zoom_id: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"event": "meeting.participant_joined", "event_ts": 1_900_000_000_000i64,
        "payload": {"account_id": ACCOUNT_ID, "object": {"id": zoom_id, "uuid": "u==",
        "participant": {"user_id": "7", "user_name": "Ana", "participant_uuid": "P-1",
        "email": "ana@example.com", "join_time": "2030-05-01T10:05:00Z"}}}}),
    )
    .unwrap()
}

async fn every_route_is_503_while_the_store_is_down_and_recovers(kind: StoreKind) {
    let outage = Outage::start(kind, test_zoom()).await;
    let server = &outage.server;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("store");
    secrets.register(&rec);
    let url = |p: &str| server.url(p);

    let license = rec
        .send(
            server
                .http
                .post(url("/v1/academies/a1/licenses"))
                .json(&secrets.body("Principal", 1)),
        )
        .await;
    let lic = license.id("licenseId");
    assert_eq!(license.ok(201)["status"], "verified");
    let first = rec
        .send(
            server
                .http
                .post(url("/v1/academies/a1/meetings"))
                .json(&meeting_body("2030-05-01T10:00:00Z", 60, Some(&lic))),
        )
        .await;
    first.ok(201);
    let mid = first.id("meetingId");
    let zoom_id = first.id("zoomMeetingId");
    let host = rec
        .send(
            server
                .http
                .post(url(&format!("/v1/academies/a1/meetings/{mid}/signature")))
                .json(&json!({"role": "host"})),
        )
        .await;
    assert!(host.ok(200)["zak"].is_string());
    let event = joined(&zoom_id);
    // Zoom's recording.completed for the meeting, with its download token.
    let lifecycle = Lifecycle {
        sessions: Vec::new(),
        duration: Duration::from_secs(30 * 60),
        with_recording: true,
    };
    let recording = server
        .zoom
        .lifecycle_events(&zoom_id, &lifecycle)
        .pop()
        .unwrap();
    assert_eq!(recording["event"], "recording.completed");
    rec.secret(recording["download_token"].as_str().unwrap());
    let files = recording["payload"]["object"]["recording_files"]
        .as_array()
        .unwrap()
        .len();
    let recording = serde_json::to_vec(&recording).unwrap();
    let zoom_creates = server.zoom.count(Endpoint::CreateMeeting);

    outage.down();
    let during = json!({"name": "During", "accountId": ACCOUNT_ID, "clientId": lms_zoom_tests::CLIENT_ID,
        "clientSecret": lms_zoom_tests::CLIENT_SECRET, "sdkKey": secrets.sdk_key, "sdkSecret": secrets.sdk_secret});
    let slot_b = meeting_body("2030-05-02T10:00:00Z", 60, Some(&lic));
    let started = Instant::now();
    let lms: Vec<(&str, Answer)> = {
        let calls = vec![
            (
                "license create",
                server
                    .http
                    .post(url("/v1/academies/a1/licenses"))
                    .json(&during),
            ),
            (
                "license list",
                server.http.get(url("/v1/academies/a1/licenses")),
            ),
            (
                "license get",
                server
                    .http
                    .get(url(&format!("/v1/academies/a1/licenses/{lic}"))),
            ),
            (
                "meeting create",
                server
                    .http
                    .post(url("/v1/academies/a1/meetings"))
                    .json(&slot_b),
            ),
            (
                "meeting get",
                server
                    .http
                    .get(url(&format!("/v1/academies/a1/meetings/{mid}"))),
            ),
            (
                "meeting list",
                server.http.get(url("/v1/academies/a1/meetings")),
            ),
            (
                "signature",
                server
                    .http
                    .post(url(&format!("/v1/academies/a1/meetings/{mid}/signature")))
                    .json(&json!({"role": "attendee"}))
                    .header("accept-language", "es"),
            ),
        ];
        let sends = calls.into_iter().map(|(name, request)| {
            let rec = &rec;
            async move { (name, rec.send(request).await) }
        });
        futures::future::join_all(sends).await
    };
    let hook_started = Instant::now();
    let hook = rec
        .send(webhook(server, &lic, &secrets.webhook_secret, &event))
        .await;
    let hook_took = hook_started.elapsed();
    let recording_down = rec
        .send(webhook(server, &lic, &secrets.webhook_secret, &recording))
        .await;
    let lms_took = started.elapsed();
    outage.up();

    for (name, answer) in &lms {
        assert_eq!(answer.status, 503, "{name}: {}", answer.text);
        answer.problem(503, "store_unavailable");
        answer.retry_after();
        assert!(answer.body["title"].is_string(), "{name}");
    }
    assert_eq!(
        lms.last().unwrap().1.headers["content-language"],
        "es",
        "problems follow Accept-Language during an outage too"
    );
    assert_eq!(hook.status, 503, "{}", hook.text);
    assert!(hook.headers.contains_key("retry-after"));
    assert_eq!(recording_down.status, 503, "{}", recording_down.text);
    assert!(
        hook_took < Duration::from_secs(3),
        "a webhook is answered within Zoom's 3 s: {hook_took:?}"
    );
    assert!(lms_took < Duration::from_secs(20), "{lms_took:?}");
    assert_eq!(
        server.zoom.count(Endpoint::CreateMeeting),
        zoom_creates,
        "no Zoom meeting is created without a reservation"
    );

    // Back: the refused license does not exist, nor does its secret.
    let licenses = rec
        .send(server.http.get(url("/v1/academies/a1/licenses")))
        .await;
    let names: Vec<&str> = licenses.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Principal"]);
    if let Some(sm) = outage.secrets_manager().await {
        // A CreateSecret that timed out while moto was frozen lands when it
        // thaws; lms-zoom deletes it again in the background.
        let prefix = server.secrets_prefix();
        let started = Instant::now();
        loop {
            let listed = sm.list_secrets().send().await.unwrap();
            let live: Vec<String> = listed
                .secret_list()
                .iter()
                .filter(|s| s.deleted_date().is_none())
                .filter_map(|s| s.name().map(str::to_owned))
                .filter(|n| n.starts_with(&prefix))
                .collect();
            if live == [format!("{prefix}academies/a1/licenses/{lic}")] {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(45),
                "only the license that exists has a live secret: {live:?}"
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    // The same name can be created now.
    let again = rec
        .send(
            server
                .http
                .post(url("/v1/academies/a1/licenses"))
                .json(&secrets.body("During", 1)),
        )
        .await;
    again.ok(201);
    rec.send(
        server
            .http
            .get(url(&format!("/v1/academies/a1/licenses/{lic}"))),
    )
    .await
    .ok(200);
    // The refused meeting left no meeting; its slot can be booked.
    let listed = list_meetings(server, &rec, "a1").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["meetingId"], mid.as_str());
    let second = book_when_free(server, &rec, &slot_b).await;
    let second_id = second["meetingId"].as_str().unwrap();
    for role in ["attendee", "host"] {
        rec.send(
            server
                .http
                .post(url(&format!(
                    "/v1/academies/a1/meetings/{second_id}/signature"
                )))
                .json(&json!({ "role": role })),
        )
        .await
        .ok(200);
    }
    // Zoom redelivers the event it got a 503 for, more than once: stored once.
    for _ in 0..3 {
        let redelivered = rec
            .send(webhook(server, &lic, &secrets.webhook_secret, &event))
            .await;
        assert_eq!(redelivered.status, 200, "{}", redelivered.text);
    }
    for _ in 0..2 {
        let redelivered = rec
            .send(webhook(server, &lic, &secrets.webhook_secret, &recording))
            .await;
        assert_eq!(redelivered.status, 200, "{}", redelivered.text);
    }
    let recordings = rec
        .send(
            server
                .http
                .get(url(&format!("/v1/academies/a1/meetings/{mid}/recordings"))),
        )
        .await;
    assert_eq!(
        recordings.ok(200)["items"].as_array().unwrap().len(),
        files,
        "{}",
        recordings.text
    );
    let attendance = rec
        .send(
            server
                .http
                .get(url(&format!("/v1/academies/a1/meetings/{mid}/attendance"))),
        )
        .await;
    assert_eq!(
        attendance.ok(200)["totalParticipants"],
        1,
        "{}",
        attendance.text
    );
    assert_zoom_matches(server, &rec, &["a1"]).await;

    rec.zoom_tokens(&server.zoom);
    let scanned = rec.assert_no_secret_leaked();
    assert!(
        scanned >= 5,
        "client, SDK, webhook secrets, S2S tokens, ZAKs"
    );
}

async fn the_store_lost_between_zoom_and_commit_leaves_nothing_behind(kind: StoreKind) {
    let outage = Outage::start(kind, test_zoom()).await;
    let server = &outage.server;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("commit");
    secrets.register(&rec);
    let lic = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&secrets.body("L", 1)),
        )
        .await
        .id("licenseId");
    let body = meeting_body("2030-06-01T10:00:00Z", 60, Some(&lic));
    // Zoom takes its time creating; the store goes away meanwhile.
    server.zoom.inject(Fault::times(
        Endpoint::CreateMeeting,
        FaultKind::Latency(Duration::from_millis(1500)),
        1,
    ));
    let create = rec.send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .header("idempotency-key", "lost-commit")
            .json(&body),
    );
    let (answer, ()) = futures::join!(create, async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        outage.down();
    });
    outage.up();
    answer.problem(503, "store_unavailable");
    answer.retry_after();
    assert_eq!(server.zoom.count(Endpoint::CreateMeeting), 1);
    assert_eq!(
        server.zoom.meeting_count(),
        0,
        "the Zoom meeting nobody committed was taken back"
    );
    assert!(list_meetings(server, &rec, "a1").await.is_empty());

    // The retry with the same key books the slot (at once, or once the
    // reservation the outage stranded expires) and creates one meeting.
    let started = Instant::now();
    let created = loop {
        let retry = rec
            .send(
                server
                    .http
                    .post(server.url("/v1/academies/a1/meetings"))
                    .header("idempotency-key", "lost-commit")
                    .json(&body),
            )
            .await;
        if retry.status == 201 {
            break retry;
        }
        assert!(
            retry.status == 409 && started.elapsed() < Duration::from_secs(110),
            "{}",
            retry.text
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert_eq!(server.zoom.meeting_count(), 1);
    let replay = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/meetings"))
                .header("idempotency-key", "lost-commit")
                .json(&body),
        )
        .await;
    assert_eq!(replay.body, created.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_zoom_matches(server, &rec, &["a1"]).await;
    rec.zoom_tokens(&server.zoom);
    rec.assert_no_secret_leaked();
}
