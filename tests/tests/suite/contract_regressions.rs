//! Regressions found by the schemathesis contract run
//! (infra/scripts/schemathesis.sh), black-box through `lms-zoom-local`, on
//! both stores.

use lms_zoom_local::StoreKind;
use lms_zoom_tests::{ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, body)
}

async fn license(server: &TestServer) -> String {
    let (status, body) = send(
        server
            .http
            .post(server.url("/v1/academies/a1/licenses"))
            .json(&license_body("L1", CLIENT_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "verified");
    body["licenseId"].as_str().unwrap().to_owned()
}

fn license_body(name: &str, client_secret: &str) -> Value {
    json!({
        "name": name, "accountId": ACCOUNT_ID, "clientId": CLIENT_ID,
        "clientSecret": client_secret, "sdkKey": "sdkKey", "sdkSecret": "sdkSecret",
        "hostUser": HOST_EMAIL,
    })
}

fn assert_problem(status: StatusCode, body: &Value, expected: u16, code: &str, what: &str) {
    assert_eq!(status.as_u16(), expected, "{what}: {body}");
    assert_eq!(body["code"], code, "{what}: {body}");
}

use lms_zoom_tests::on_both_stores;

on_both_stores!(
    start_times_with_fractions_of_a_second,
    zoom_refusing_the_credentials_is_license_invalid,
    cursors_longer_than_any_sort_key_are_invalid,
);

/// Would have been a 500: a well-formed cursor (URL-safe base64 of UTF-8)
/// that decodes to more bytes than any sort key reached the store, which
/// refuses sort keys over DynamoDB's 1 KB. A cursor is a key we handed out,
/// so a longer one is simply not ours: 422 `validation_failed` on `cursor`.
async fn cursors_longer_than_any_sort_key_are_invalid(kind: StoreKind) {
    use base64::Engine as _;
    let server = TestServer::start(Backend::of(kind)).await;
    let long = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("k".repeat(2000));
    for route in ["meetings", "licenses"] {
        let url = server.url(&format!("/v1/academies/a1/{route}?cursor={long}"));
        let (status, body) = send(server.http.get(url)).await;
        assert_problem(status, &body, 422, "validation_failed", route);
        assert_eq!(body["errors"][0]["field"], "cursor", "{route}: {body}");
    }
}

/// Was a 500 ("two writes to one item"): a start time that differed from the
/// stored one by less than a second counted as a move, and the move deleted
/// and put the same calendar entry (keyed by whole seconds) in one
/// transaction. Start times are whole seconds (what Zoom and the API show),
/// so fractions are dropped when a time is read.
async fn start_times_with_fractions_of_a_second(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server).await;
    let (status, created) = send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(&json!({
                "topic": "Clase", "startTime": "2030-12-01T15:00:00.750-03:00",
                "durationMinutes": 60, "licenseId": lic,
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["startTime"], "2030-12-01T18:00:00Z");
    let id = created["meetingId"].as_str().unwrap();
    let url = server.url(&format!("/v1/academies/a1/meetings/{id}"));

    // The same second, written without and with a fraction: nothing moves.
    for start in ["2030-12-01T18:00:00Z", "2030-12-01T18:00:00.985Z"] {
        let (status, body) =
            send(server.http.patch(&url).json(&json!({ "startTime": start }))).await;
        assert_eq!(status, StatusCode::OK, "PATCH startTime {start}: {body}");
        assert_eq!(body["startTime"], "2030-12-01T18:00:00Z");
        assert_eq!(body["version"], created["version"], "{body}");
    }

    // A real move with a fraction lands on the whole second, in Zoom too.
    let (status, moved) = send(
        server
            .http
            .patch(&url)
            .json(&json!({ "startTime": "2030-12-01T19:00:00.500Z" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["startTime"], "2030-12-01T19:00:00Z");
    let zoom_id = moved["zoomMeetingId"].as_str().unwrap();
    let in_zoom = server.zoom.meeting(zoom_id).expect("meeting in Zoom");
    assert_eq!(in_zoom["start_time"], "2030-12-01T19:00:00Z");

    // And back to the fraction-free time it had: one calendar entry each time.
    let (status, back) = send(
        server
            .http
            .patch(&url)
            .json(&json!({ "startTime": "2030-12-01T18:00:00Z" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    let (status, page) = send(server.http.get(server.url("/v1/academies/a1/meetings"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["startTime"], "2030-12-01T18:00:00Z");
}

/// Was a 502 zoom_error ("invalid_client: Invalid client_id or client_secret"):
/// a meeting whose license's credentials Zoom refuses (rotated to a wrong
/// secret, or never verified) cannot be changed, deleted, signed for or
/// synced until the license is fixed; retrying cannot help, so it is the
/// license's problem (422 license_invalid), not a gateway failure.
async fn zoom_refusing_the_credentials_is_license_invalid(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let lic = license(&server).await;
    let (status, created) = send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(&json!({
                "topic": "Clase", "startTime": "2030-12-01T15:00:00Z",
                "durationMinutes": 60, "licenseId": lic,
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["meetingId"].as_str().unwrap();
    let meeting = server.url(&format!("/v1/academies/a1/meetings/{id}"));

    // The secret is rotated to one Zoom does not know.
    let (status, rotated) = send(
        server
            .http
            .patch(server.url(&format!("/v1/academies/a1/licenses/{lic}")))
            .json(&json!({"clientSecret": "wrong-secret"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["status"], "invalid");

    let (status, body) = send(server.http.patch(&meeting).json(&json!({"topic": "Otra"}))).await;
    assert_problem(status, &body, 422, "license_invalid", "PATCH meeting");
    let (status, body) = send(server.http.post(format!("{meeting}/recordings/sync"))).await;
    assert_problem(status, &body, 422, "license_invalid", "sync recordings");
    let (status, body) = send(
        server
            .http
            .post(format!("{meeting}/signature"))
            .json(&json!({"role": "host"})),
    )
    .await;
    assert_problem(status, &body, 422, "license_invalid", "host signature");
    let (status, body) = send(server.http.delete(&meeting).header("accept-language", "es")).await;
    assert_problem(status, &body, 422, "license_invalid", "DELETE meeting");
    assert!(
        body["detail"].as_str().unwrap().contains("Zoom rechaza"),
        "{body}"
    );
    // Nothing changed.
    let (status, body) = send(server.http.get(&meeting)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "scheduled");
    assert_eq!(body["topic"], "Clase");

    // A license never verified, whose credentials Zoom refuses, named for a booking.
    let (status, unverified) = send(
        server
            .http
            .post(server.url("/v1/academies/a1/licenses?verify=false"))
            .json(&license_body("L2", "another-wrong-secret")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{unverified}");
    assert_eq!(unverified["status"], "unverified");
    let (status, body) = send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(&json!({
                "topic": "Clase", "startTime": "2030-12-02T15:00:00Z",
                "durationMinutes": 60, "licenseId": unverified["licenseId"],
            })),
    )
    .await;
    assert_problem(status, &body, 422, "license_invalid", "POST meeting");
    let (status, page) = send(server.http.get(server.url("/v1/academies/a1/meetings"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
}
