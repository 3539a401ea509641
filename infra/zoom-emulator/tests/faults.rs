//! Injected faults: latency, 5xx, 429, dropped connections, and counts.

mod common;

use std::time::{Duration, Instant};

use common::{demo, demo_token, get, http, request_token, status_json};
use serde_json::json;
use zoom_emulator::{
    DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Endpoint, Fault, FaultKind,
};

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.inject(Fault::times(
        Endpoint::GetUser,
        FaultKind::Latency(Duration::from_millis(400)),
        1,
    ));
    let started = Instant::now();
    assert_eq!(get(&zoom, &token, "/users/me").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    assert_eq!(get(&zoom, &token, "/users/me").await.0, 200);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "only one request was delayed"
    );
}

#[tokio::test]
async fn server_error_answers_the_status_with_a_json_body_for_n_times() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.inject(Fault::times(
        Endpoint::CreateMeeting,
        FaultKind::ServerError(503),
        2,
    ));
    for _ in 0..2 {
        let (status, body) = common::post(&zoom, &token, "/users/me/meetings", json!({})).await;
        assert_eq!(status, 503);
        assert_eq!(body, json!({"code": 503, "message": "Service Unavailable"}));
    }
    assert_eq!(zoom.meeting_count(), 0);
    assert_eq!(
        common::post(&zoom, &token, "/users/me/meetings", json!({}))
            .await
            .0,
        201
    );
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 3);
}

#[tokio::test]
async fn server_error_on_the_token_endpoint() {
    let zoom = demo().await;
    zoom.inject(Fault::new(Endpoint::Token, FaultKind::ServerError(500)));
    let response = request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await;
    assert_eq!(response.status(), 500);
    zoom.clear_faults();
    let response = request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await;
    assert_eq!(response.status(), 200);
    assert_eq!(zoom.count(Endpoint::Token), 2);
}

#[tokio::test]
async fn rate_limited_is_429_with_optional_retry_after() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let expected = json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."});
    zoom.inject(Fault::times(
        Endpoint::GetMeeting,
        FaultKind::RateLimited {
            retry_after: Some("2".into()),
        },
        1,
    ));
    zoom.inject(Fault::times(
        Endpoint::GetMeeting,
        FaultKind::RateLimited { retry_after: None },
        1,
    ));
    let get_meeting = || {
        let path = "/meetings/81234567890";
        common::call(&zoom, &token, reqwest::Method::GET, path, None)
    };
    let first = get_meeting().await;
    assert_eq!(first.headers().get("retry-after").unwrap(), "2");
    assert_eq!(status_json(first).await, (429, expected.clone()));
    let second = get_meeting().await;
    assert!(second.headers().get("retry-after").is_none());
    assert_eq!(status_json(second).await, (429, expected));
    assert_eq!(get(&zoom, &token, "/meetings/81234567890").await.0, 404);
}

#[tokio::test]
async fn drop_connection_gives_the_client_a_connection_error() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.inject(Fault::new(Endpoint::GetUser, FaultKind::DropConnection));
    let result = http()
        .get(format!("{}/users/me", zoom.api_url()))
        .bearer_auth(&token)
        .send()
        .await;
    let error = result.expect_err("no HTTP response expected");
    assert!(error.status().is_none());
    assert!(error.is_request() || error.is_connect(), "{error:?}");
    assert!(zoom.count(Endpoint::GetUser) >= 1);
    // Other endpoints are unaffected, and clearing restores the endpoint.
    assert_eq!(get(&zoom, &token, "/users/me/token?type=zak").await.0, 200);
    zoom.clear_faults();
    assert_eq!(get(&zoom, &token, "/users/me").await.0, 200);
}

#[tokio::test]
async fn drop_connection_on_the_token_endpoint() {
    let zoom = demo().await;
    zoom.inject(Fault::times(Endpoint::Token, FaultKind::DropConnection, 1));
    let result = http()
        .post(format!(
            "{}?grant_type=account_credentials&account_id={DEMO_ACCOUNT_ID}",
            zoom.oauth_url()
        ))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .send()
        .await;
    assert!(result.is_err());
    assert_eq!(
        request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn faults_come_before_authentication_and_count_every_request() {
    let zoom = demo().await;
    zoom.inject(Fault::times(
        Endpoint::ListMeetings,
        FaultKind::ServerError(502),
        1,
    ));
    let (status, body) = get(&zoom, "not-a-token", "/users/me/meetings").await;
    assert_eq!(status, 502);
    assert_eq!(body["code"], 502);
    assert_eq!(get(&zoom, "not-a-token", "/users/me/meetings").await.0, 401);
    assert_eq!(zoom.count(Endpoint::ListMeetings), 2);
    assert_eq!(zoom.count(Endpoint::DeleteMeeting), 0);
}

#[tokio::test]
async fn late_answer_does_the_work_then_answers_late() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.inject(Fault::times(
        Endpoint::CreateMeeting,
        FaultKind::LateAnswer(Duration::from_millis(600)),
        1,
    ));
    let request = common::call(
        &zoom,
        &token,
        reqwest::Method::POST,
        "/users/me/meetings",
        Some(json!({})),
    );
    let gave_up = tokio::time::timeout(Duration::from_millis(200), request).await;
    assert!(gave_up.is_err(), "the answer waits");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(zoom.meeting_count(), 1, "the work is done at once");
    let started = Instant::now();
    let (status, _) = common::post(&zoom, &token, "/users/me/meetings", json!({})).await;
    assert_eq!(status, 201);
    assert!(started.elapsed() < Duration::from_millis(600), "once only");
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 2);
}

#[tokio::test]
async fn faults_stay_on_their_endpoint_and_method() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    for endpoint in [Endpoint::GetMeeting, Endpoint::ListMeetings] {
        zoom.inject(Fault::new(endpoint, FaultKind::ServerError(503)));
    }
    let put = common::call(&zoom, &token, reqwest::Method::PUT, "/meetings/1", None).await;
    assert_eq!(put.status(), 405);
    let (status, body) = get(&zoom, &token, "/meetings/1/unknown").await;
    assert_eq!(
        (status, body),
        (404, json!({"code": 404, "message": "Not Found"}))
    );
    let created = common::post(&zoom, &token, "/users/me/meetings", json!({})).await;
    assert_eq!(created.0, 201);
    assert_eq!(get(&zoom, &token, "/meetings/1").await.0, 503);
    assert_eq!(get(&zoom, &token, "/users/me/meetings").await.0, 503);
    assert_eq!(zoom.count(Endpoint::GetMeeting), 1);
    assert_eq!(zoom.count(Endpoint::UpdateMeeting), 0);
}
