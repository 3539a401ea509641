//! Meetings over the license pool, black-box through `lms-zoom-local` with the
//! Zoom emulator, on both stores: no double booking under races, idempotency,
//! atomicity with Zoom, reschedule, delete, list.

use std::sync::Arc;

use lms_zoom_local::StoreKind;
use lms_zoom_tests::{
    ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, ContentionStore, CountingStore, FailingStore,
    HOST_EMAIL, TestServer, test_zoom,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use zoom_emulator::{Endpoint, Fault, FaultKind};

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(server: &TestServer, request: reqwest::RequestBuilder) -> Answer {
    let _ = server;
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Answer {
        status,
        headers,
        body,
    }
}

async fn license(server: &TestServer, name: &str, max: u8) -> String {
    let answer = send(
        server,
        server.http.post(server.url("/v1/academies/a1/licenses")).json(&json!({
            "name": name, "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
            "sdkKey": "sdkKey", "sdkSecret": "sdkSecret", "webhookSecretToken": "wh",
            "hostUser": HOST_EMAIL, "maxConcurrentMeetings": max,
        })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["status"], "verified");
    answer.body["licenseId"].as_str().unwrap().to_owned()
}

fn meeting(start: &str, minutes: u32, license: Option<&str>) -> Value {
    let mut body = json!({
        "topic": "Clase", "startTime": start, "durationMinutes": minutes,
        "timezone": "America/Argentina/Buenos_Aires", "externalRef": "activity-42",
        "settings": {"waitingRoom": true, "muteUponEntry": true, "autoRecording": "cloud"}
    });
    if let Some(l) = license {
        body["licenseId"] = json!(l);
    }
    body
}

async fn create(server: &TestServer, body: &Value) -> Answer {
    send(
        server,
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(body),
    )
    .await
}

fn problem(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert_eq!(answer.body["code"], code, "{}", answer.body);
}

use lms_zoom_tests::on_both_stores;

on_both_stores!(
    create_read_list_delete_round_trip,
    racing_creates_for_one_slot_have_exactly_max_winners,
    the_pool_spreads_and_runs_out,
    one_idempotency_key_creates_one_meeting,
    zoom_failures_leave_the_slot_free,
    a_failed_commit_leaves_no_orphan_in_zoom,
    reschedule_checks_the_new_slot,
    licenses_meet_meetings,
    creates_get_through_passing_contention,
    persistent_contention_is_503_with_retry_after,
);

/// A server whose store answers DynamoDB's TransactionConflict as the
/// returned wrapper says (moto and redb never produce one themselves).
async fn contended_server(
    kind: StoreKind,
    wrap: impl FnOnce(Arc<dyn lms_zoom::store::Store>) -> ContentionStore,
) -> (TestServer, Arc<ContentionStore>) {
    let slot = std::sync::OnceLock::new();
    let server = TestServer::start_wrapped(Backend::of(kind), test_zoom(), |store| {
        let contended = Arc::new(wrap(store));
        slot.set(contended.clone()).ok();
        contended
    })
    .await;
    (server, slot.into_inner().unwrap())
}

/// Half of all transactions conflicting (never two in a row): every write
/// of the license create and the meeting create is repeated and lands once.
async fn creates_get_through_passing_contention(kind: StoreKind) {
    let (server, contended) =
        contended_server(kind, |store| ContentionStore::fraction(store, 0.5)).await;
    let lic = license(&server, "Contended", 1).await;
    let started = std::time::Instant::now();
    let created = create(&server, &meeting("2031-03-01T10:00:00Z", 60, Some(&lic))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        contended.injected() >= 3,
        "{} injected",
        contended.injected()
    );
    assert_eq!(
        server.zoom.count(Endpoint::CreateMeeting),
        1,
        "one Zoom meeting"
    );
    assert_eq!(server.zoom.count(Endpoint::DeleteMeeting), 0);
    let listed = send(
        &server,
        server.http.get(server.url("/v1/academies/a1/meetings")),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        listed.body
    );
    // The slot is taken exactly once: a second meeting at that time is refused.
    problem(
        &create(&server, &meeting("2031-03-01T10:30:00Z", 30, Some(&lic))).await,
        409,
        "slot_conflict",
    );
}

/// Contention that outlasts the retry budget is `503 store_unavailable`
/// with a Retry-After (never a 500), leaves nothing behind, and the same
/// request goes through once the contention is over.
async fn persistent_contention_is_503_with_retry_after(kind: StoreKind) {
    let on = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = on.clone();
    let (server, contended) =
        contended_server(kind, move |store| ContentionStore::switched(store, flag)).await;
    let lic = license(&server, "L", 1).await;
    on.store(true, std::sync::atomic::Ordering::SeqCst);
    let body = meeting("2031-04-01T10:00:00Z", 60, Some(&lic));
    let refused = create(&server, &body).await;
    problem(&refused, 503, "store_unavailable");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert!(contended.injected() >= 4, "the retries were made");
    assert_eq!(
        contended.passed(),
        2,
        "only the license create reached the store (its repair record, then the license)"
    );
    // Nothing left in Zoom either.
    assert_eq!(
        server.zoom.count(Endpoint::CreateMeeting),
        server.zoom.count(Endpoint::DeleteMeeting)
    );
    // So is a license create.
    let refused = send(
        &server,
        server.http.post(server.url("/v1/academies/a1/licenses")).json(&json!({
            "name": "Other", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
            "sdkKey": "sdkKey", "sdkSecret": "sdkSecret", "webhookSecretToken": "wh",
            "hostUser": HOST_EMAIL, "maxConcurrentMeetings": 1,
        })),
    )
    .await;
    problem(&refused, 503, "store_unavailable");
    assert!(refused.headers.contains_key("retry-after"));

    on.store(false, std::sync::atomic::Ordering::SeqCst);
    let listed = send(
        &server,
        server.http.get(server.url("/v1/academies/a1/meetings")),
    )
    .await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.body);
    let created = create(&server, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
}

async fn create_read_list_delete_round_trip(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server, "L1", 1).await;
    let created = create(
        &server,
        &meeting("2030-12-01T15:00:00-03:00", 90, Some(&lic)),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let m = &created.body;
    let id = m["meetingId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("mtg_"));
    assert_eq!(m["startTime"], "2030-12-01T18:00:00Z");
    assert_eq!(m["durationMinutes"], 90);
    assert_eq!(m["licenseId"], lic.as_str());
    assert_eq!(m["status"], "scheduled");
    assert_eq!(m["externalRef"], "activity-42");
    let zoom_id = m["zoomMeetingId"].as_str().expect("zoom id as a string");
    assert!(zoom_id.len() >= 10 && zoom_id.chars().all(|c| c.is_ascii_digit()));
    assert!(m["joinUrl"].as_str().unwrap().contains(zoom_id));
    assert!(
        !created.body.to_string().contains("start_url")
            && !created.body.to_string().contains("zak=")
    );
    // What Zoom was told.
    let in_zoom = server.zoom.meeting(zoom_id).expect("meeting in Zoom");
    assert_eq!(in_zoom["start_time"], "2030-12-01T18:00:00Z");
    assert_eq!(in_zoom["duration"], 90);
    assert_eq!(in_zoom["timezone"], "America/Argentina/Buenos_Aires");
    assert_eq!(in_zoom["settings"]["waiting_room"], true);
    assert_eq!(in_zoom["settings"]["auto_recording"], "cloud");
    assert_eq!(in_zoom["host_id"], lms_zoom_tests::HOST_ID);

    let path = format!("/v1/academies/a1/meetings/{id}");
    let read = send(&server, server.http.get(server.url(&path))).await;
    assert_eq!(read.body, created.body);
    problem(
        &send(
            &server,
            server
                .http
                .get(server.url(&format!("/v1/academies/a2/meetings/{id}"))),
        )
        .await,
        404,
        "meeting_not_found",
    );

    let listed =
        send(
            &server,
            server.http.get(server.url(
                "/v1/academies/a1/meetings?from=2030-12-01T00:00:00Z&to=2030-12-02T00:00:00Z",
            )),
        )
        .await;
    assert_eq!(listed.body["items"], json!([created.body]));
    let none = send(
        &server,
        server
            .http
            .get(server.url("/v1/academies/a1/meetings?from=2030-12-02T00:00:00Z")),
    )
    .await;
    assert_eq!(none.body["items"], json!([]));
    let by_ref = send(
        &server,
        server
            .http
            .get(server.url("/v1/academies/a1/meetings?externalRef=other")),
    )
    .await;
    assert_eq!(by_ref.body["items"], json!([]));

    // Back to back on a one-meeting license: fine.
    let after = create(&server, &meeting("2030-12-01T19:30:00Z", 30, Some(&lic))).await;
    assert_eq!(after.status, StatusCode::CREATED, "{}", after.body);
    let overlapping = create(&server, &meeting("2030-12-01T19:29:00Z", 30, Some(&lic))).await;
    problem(&overlapping, 409, "slot_conflict");
    assert_eq!(overlapping.body["licenseId"], lic.as_str());
    let conflicts = overlapping.body["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 2);

    let deleted = send(&server, server.http.delete(server.url(&path))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(server.zoom.meeting(zoom_id).is_none(), "deleted in Zoom");
    let gone = send(&server, server.http.get(server.url(&path))).await;
    assert_eq!(gone.body["status"], "deleted");
    // The slot is free again.
    let again = create(&server, &meeting("2030-12-01T18:00:00Z", 60, Some(&lic))).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);

    // Paging through the calendar.
    let page1 = send(
        &server,
        server
            .http
            .get(server.url("/v1/academies/a1/meetings?limit=1")),
    )
    .await;
    assert_eq!(page1.body["items"].as_array().unwrap().len(), 1);
    let cursor = page1.body["nextCursor"].as_str().unwrap();
    let page2 = send(
        &server,
        server.http.get(server.url(&format!(
            "/v1/academies/a1/meetings?limit=1&cursor={cursor}"
        ))),
    )
    .await;
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 1);
    assert!(page2.body["nextCursor"].is_null());
    assert!(
        page1.body["items"][0]["startTime"].as_str() < page2.body["items"][0]["startTime"].as_str()
    );
}

async fn race(server: &TestServer, n: usize, body: Value) -> Vec<Answer> {
    let calls = (0..n).map(|_| {
        let body = body.clone();
        async move { create(server, &body).await }
    });
    futures::future::join_all(calls).await
}

async fn racing_creates_for_one_slot_have_exactly_max_winners(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let one = license(&server, "one", 1).await;
    let answers = race(&server, 20, meeting("2030-06-01T10:00:00Z", 60, Some(&one))).await;
    let won = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        won,
        1,
        "{:?}",
        answers.iter().map(|a| a.body.clone()).collect::<Vec<_>>()
    );
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        problem(lost, 409, "slot_conflict");
    }
    assert_eq!(server.zoom.meeting_count(), 1);

    let two = license(&server, "two", 2).await;
    let answers = race(&server, 20, meeting("2030-06-01T10:00:00Z", 60, Some(&two))).await;
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        2
    );
    assert_eq!(server.zoom.meeting_count(), 3);
}

async fn the_pool_spreads_and_runs_out(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let a = license(&server, "A", 1).await;
    let b = license(&server, "B", 1).await;
    let mut used = Vec::new();
    for _ in 0..2 {
        let created = create(&server, &meeting("2030-06-02T10:00:00Z", 60, None)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        used.push(created.body["licenseId"].as_str().unwrap().to_owned());
    }
    used.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(used, both);
    problem(
        &create(&server, &meeting("2030-06-02T10:30:00Z", 60, None)).await,
        409,
        "no_license_available",
    );
    // An invalid license is never picked, and naming it is refused.
    let bad = send(
        &server,
        server
            .http
            .post(server.url("/v1/academies/a1/licenses"))
            .json(&json!({
            "name": "Bad", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": "wrong",
            "sdkKey": "k", "sdkSecret": "s"})),
    )
    .await;
    assert_eq!(bad.body["status"], "invalid");
    let bad_id = bad.body["licenseId"].as_str().unwrap();
    problem(
        &create(&server, &meeting("2030-06-02T10:30:00Z", 60, None)).await,
        409,
        "no_license_available",
    );
    problem(
        &create(&server, &meeting("2030-06-03T10:30:00Z", 60, Some(bad_id))).await,
        422,
        "license_invalid",
    );
    // Racing pool creates: exactly two win.
    let answers = race(&server, 6, meeting("2030-06-04T10:00:00Z", 60, None)).await;
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        2
    );
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        problem(lost, 409, "no_license_available");
    }
}

async fn one_idempotency_key_creates_one_meeting(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server, "L", 10).await;
    let body = meeting("2030-07-01T10:00:00Z", 60, Some(&lic));
    let calls = (0..10).map(|_| {
        let body = body.clone();
        let server = &server;
        async move {
            send(
                server,
                server
                    .http
                    .post(server.url("/v1/academies/a1/meetings"))
                    .header("idempotency-key", "class-7-once")
                    .json(&body),
            )
            .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    assert!(
        answers.iter().all(|a| a.status == StatusCode::CREATED),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|a| a.body == answers[0].body));
    let replayed = answers
        .iter()
        .filter(|a| {
            a.headers
                .get("idempotent-replayed")
                .is_some_and(|v| v == "true")
        })
        .count();
    assert_eq!(replayed, 9);
    assert_eq!(server.zoom.meeting_count(), 1);
    assert_eq!(server.zoom.count(Endpoint::CreateMeeting), 1);
    // Same key, same body in another key order: still a replay.
    let reordered: Value = serde_json::from_str(&body.to_string()).unwrap();
    let again = send(
        &server,
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .header("idempotency-key", "class-7-once")
            .json(&reordered),
    )
    .await;
    assert_eq!(again.body, answers[0].body);
    let mut other = body.clone();
    other["topic"] = json!("Otra");
    let reused = send(
        &server,
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .header("idempotency-key", "class-7-once")
            .json(&other),
    )
    .await;
    problem(&reused, 422, "idempotency_key_reused");
    let bad = send(
        &server,
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .header("idempotency-key", "")
            .json(&other),
    )
    .await;
    problem(&bad, 422, "validation_failed");
    assert_eq!(server.zoom.meeting_count(), 1);
}

async fn zoom_failures_leave_the_slot_free(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server, "L", 1).await;
    let body = meeting("2030-08-01T10:00:00Z", 60, Some(&lic));
    for (kind, status, code) in [
        (FaultKind::ServerError(500), 503, "zoom_unavailable"),
        (FaultKind::DropConnection, 503, "zoom_unavailable"),
    ] {
        server.zoom.inject(Fault {
            endpoint: Endpoint::CreateMeeting,
            kind,
            times: Some(1),
        });
        problem(&create(&server, &body).await, status, code);
    }
    server.zoom.inject(Fault {
        endpoint: Endpoint::CreateMeeting,
        kind: FaultKind::RateLimited {
            retry_after: Some("20".into()),
        },
        times: Some(1),
    });
    let limited = create(&server, &body).await;
    problem(&limited, 429, "zoom_rate_limited");
    assert_eq!(limited.headers["retry-after"], "20");
    assert_eq!(server.zoom.meeting_count(), 0);
    let fine = create(&server, &body).await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.body);
    assert_eq!(server.zoom.meeting_count(), 1);
}

async fn a_failed_commit_leaves_no_orphan_in_zoom(kind: StoreKind) {
    let server = TestServer::start_wrapped(Backend::of(kind), test_zoom(), |store| {
        // The commit is the one batch that writes the academy's calendar.
        Arc::new(FailingStore::new(store, 1, |w| {
            FailingStore::writes_to(w, "#CAL")
        }))
    })
    .await;
    let lic = license(&server, "L", 1).await;
    let body = meeting("2030-09-01T10:00:00Z", 60, Some(&lic));
    problem(&create(&server, &body).await, 503, "store_unavailable");
    assert_eq!(server.zoom.count(Endpoint::CreateMeeting), 1);
    assert_eq!(server.zoom.count(Endpoint::DeleteMeeting), 1);
    assert_eq!(
        server.zoom.meeting_count(),
        0,
        "the Zoom meeting was taken back"
    );
    let listed = send(
        &server,
        server.http.get(server.url("/v1/academies/a1/meetings")),
    )
    .await;
    assert_eq!(listed.body["items"], json!([]));
    let fine = create(&server, &body).await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.body);
}

async fn reschedule_checks_the_new_slot(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server, "L", 1).await;
    let first = create(&server, &meeting("2030-10-01T10:00:00Z", 60, Some(&lic)))
        .await
        .body;
    let second = create(&server, &meeting("2030-10-01T12:00:00Z", 60, Some(&lic)))
        .await
        .body;
    let path = format!(
        "/v1/academies/a1/meetings/{}",
        second["meetingId"].as_str().unwrap()
    );
    let zoom_id = second["zoomMeetingId"].as_str().unwrap();

    let taken = send(
        &server,
        server
            .http
            .patch(server.url(&path))
            .json(&json!({"startTime": "2030-10-01T10:30:00Z"})),
    )
    .await;
    problem(&taken, 409, "slot_conflict");
    assert_eq!(taken.body["conflicts"][0]["meetingId"], first["meetingId"]);
    assert_eq!(
        server.zoom.meeting(zoom_id).unwrap()["start_time"],
        "2030-10-01T12:00:00Z"
    );
    assert_eq!(server.zoom.count(Endpoint::UpdateMeeting), 0);

    // Overlapping its own old time is fine.
    let moved = send(
        &server,
        server
            .http
            .patch(server.url(&path))
            .json(&json!({"startTime": "2030-10-01T12:30:00Z", "topic": "Movida"})),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["startTime"], "2030-10-01T12:30:00Z");
    assert_eq!(moved.body["version"], 2);
    let in_zoom = server.zoom.meeting(zoom_id).unwrap();
    assert_eq!(in_zoom["start_time"], "2030-10-01T12:30:00Z");
    assert_eq!(in_zoom["topic"], "Movida");
    // The old slot (12:00-12:30) is free, the new one (12:30-13:30) taken.
    let old_slot = create(&server, &meeting("2030-10-01T11:00:00Z", 90, Some(&lic))).await;
    assert_eq!(old_slot.status, StatusCode::CREATED, "{}", old_slot.body);
    let new_slot = create(&server, &meeting("2030-10-01T13:00:00Z", 30, Some(&lic))).await;
    problem(&new_slot, 409, "slot_conflict");

    // Zoom failing on the update changes nothing.
    server.zoom.inject(Fault {
        endpoint: Endpoint::UpdateMeeting,
        kind: FaultKind::ServerError(500),
        times: None,
    });
    let failed = send(
        &server,
        server
            .http
            .patch(server.url(&path))
            .json(&json!({"startTime": "2030-10-01T15:00:00Z"})),
    )
    .await;
    problem(&failed, 503, "zoom_unavailable");
    server.zoom.clear_faults();
    let unchanged = send(&server, server.http.get(server.url(&path))).await;
    assert_eq!(unchanged.body["startTime"], "2030-10-01T12:30:00Z");
    let slot_free = create(&server, &meeting("2030-10-01T15:00:00Z", 60, Some(&lic))).await;
    assert_eq!(
        slot_free.status,
        StatusCode::CREATED,
        "the reservation was released"
    );

    let bad = send(
        &server,
        server
            .http
            .patch(server.url(&path))
            .json(&json!({"durationMinutes": 0, "licenseId": "x"})),
    )
    .await;
    problem(&bad, 422, "validation_failed");
}

async fn licenses_meet_meetings(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server, "L", 1).await;
    let created = create(&server, &meeting("2031-01-01T10:00:00Z", 60, Some(&lic))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let path = format!("/v1/academies/a1/licenses/{lic}");
    problem(
        &send(&server, server.http.delete(server.url(&path))).await,
        409,
        "license_in_use",
    );
    let forced = send(
        &server,
        server
            .http
            .delete(server.url(&format!("{path}?force=true"))),
    )
    .await;
    assert_eq!(forced.status, StatusCode::NO_CONTENT);
    problem(
        &create(&server, &meeting("2031-01-02T10:00:00Z", 60, Some(&lic))).await,
        404,
        "license_not_found",
    );
}

#[tokio::test]
async fn validation_and_the_daily_cap() {
    let server = TestServer::start(Backend::embedded()).await;
    let lic = license(&server, "L", 10).await;
    let invalid = create(
        &server,
        &json!({"topic": "", "startTime": "2030-01-01T10:00:00", "durationMinutes": 1441,
        "settings": {"autoRecording": "tape"}}),
    )
    .await;
    problem(&invalid, 422, "validation_failed");
    let fields: Vec<_> = invalid.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "topic",
        "startTime",
        "durationMinutes",
        "settings.autoRecording",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    problem(
        &create(
            &server,
            &meeting(
                "2030-01-01T10:00:00Z",
                60,
                Some("lic_01aaaaaaaaaaaaaaaaaaaaaaaa"),
            ),
        )
        .await,
        404,
        "license_not_found",
    );
    // Zoom allows 100 creates/updates per user per day.
    for i in 0..100 {
        let start = format!("2032-01-{:02}T{:02}:00:00Z", 1 + i / 20, i % 20);
        let created = create(&server, &meeting(&start, 30, Some(&lic))).await;
        assert_eq!(created.status, StatusCode::CREATED, "{i}: {}", created.body);
    }
    let capped = create(&server, &meeting("2032-02-01T10:00:00Z", 30, Some(&lic))).await;
    problem(&capped, 429, "zoom_rate_limited");
    let wait: u64 = capped.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 86_400);
}

#[tokio::test]
async fn store_round_trips_and_zoom_calls_per_operation() {
    let counter = std::sync::OnceLock::new();
    let server = TestServer::start_wrapped(Backend::embedded(), test_zoom(), |store| {
        let counting = CountingStore::new(store);
        counter.set(counting.clone()).ok();
        Arc::new(counting)
    })
    .await;
    let counting = counter.get().unwrap();
    let lic = license(&server, "L", 1).await;
    // Warm the secret cache and the token.
    create(&server, &meeting("2033-01-01T08:00:00Z", 30, Some(&lic))).await;
    let measure = |before: (usize, usize, usize)| {
        let after = counting.counts();
        (after.0 - before.0, after.1 - before.1, after.2 - before.2)
    };
    let (zoom_before, before) = (
        server.zoom.count(Endpoint::CreateMeeting),
        counting.counts(),
    );
    let created = create(&server, &meeting("2033-01-01T10:00:00Z", 30, Some(&lic))).await;
    let create_cost = measure(before);
    assert_eq!(
        server.zoom.count(Endpoint::CreateMeeting) - zoom_before,
        1,
        "one Zoom call per create"
    );
    let path = format!(
        "/v1/academies/a1/meetings/{}",
        created.body["meetingId"].as_str().unwrap()
    );
    let before = counting.counts();
    send(
        &server,
        server
            .http
            .patch(server.url(&path))
            .json(&json!({"startTime": "2033-01-01T11:00:00Z"})),
    )
    .await;
    let patch_cost = measure(before);
    let before = counting.counts();
    send(&server, server.http.delete(server.url(&path))).await;
    let delete_cost = measure(before);
    println!(
        "store round trips (gets, queries, transactions): create {create_cost:?}, reschedule {patch_cost:?}, delete {delete_cost:?}"
    );
    let total = |c: (usize, usize, usize)| c.0 + c.1 + c.2;
    assert_eq!(
        create_cost,
        (0, 0, 3),
        "warm: reserve, record Zoom id, commit"
    );
    assert!(total(create_cost) <= 3);
    assert!(total(delete_cost) <= 4, "{delete_cost:?}");
}

/// Two processes on one table, each with its own caches: what one books the
/// other never double-books, and what one frees the other can use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_their_own_caches_never_double_book() {
    let a = TestServer::start(Backend::aws()).await;
    let (table, prefix) = match &a.backend {
        Backend::Aws { table, prefix } => (table.clone(), prefix.clone()),
        Backend::Embedded(_) => unreachable!(),
    };
    // Both processes talk to the one Zoom, as in a deployment.
    let b = TestServer::start_on(Backend::Aws { table, prefix }, a.zoom.clone(), |s| s).await;
    let lic = license(&a, "Shared", 1).await;
    async fn at_time(server: &TestServer, start: &str, lic: &str) -> Answer {
        create(server, &meeting(start, 60, Some(lic))).await
    }
    macro_rules! at {
        ($server:expr, $start:expr) => {
            at_time($server, $start, &lic)
        };
    }
    assert_eq!(
        at!(&b, "2034-01-01T10:00:00Z").await.status,
        StatusCode::CREATED
    );
    problem(&at!(&a, "2034-01-01T10:30:00Z").await, 409, "slot_conflict");
    let a_noon = at!(&a, "2034-01-01T12:00:00Z").await;
    assert_eq!(a_noon.status, StatusCode::CREATED);
    // B's cache predates A's booking: its transaction fails, it reads again.
    problem(&at!(&b, "2034-01-01T12:30:00Z").await, 409, "slot_conflict");
    // A frees its slot; B's cache still shows it, B checks afresh before refusing.
    let path = format!(
        "/v1/academies/a1/meetings/{}",
        a_noon.body["meetingId"].as_str().unwrap()
    );
    assert_eq!(
        send(&a, a.http.delete(a.url(&path))).await.status,
        StatusCode::NO_CONTENT
    );
    let freed = at!(&b, "2034-01-01T12:30:00Z").await;
    assert_eq!(freed.status, StatusCode::CREATED, "{}", freed.body);
}
