//! Meetings: create/get/patch/delete/list, validation, ownership and the
//! daily create/update limit.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use common::{create_meeting, delete, demo, demo_token, get, http, patch, post, status_json};
use serde_json::{Value, json};
use zoom_emulator::{Account, DEMO_SCOPES, Emulator, EmulatorConfig, User};

#[tokio::test]
async fn create_returns_201_with_zooms_shape() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, body) = post(
        &zoom,
        &token,
        "/users/teacher@example.com/meetings",
        json!({
            "topic": "Álgebra 1",
            "type": 2,
            "start_time": "2030-05-01T15:00:00Z",
            "duration": 90,
            "timezone": "America/Lima",
            "agenda": "Ecuaciones",
            "password": "abc123",
            "settings": {"host_video": true, "waiting_room": true, "join_before_host": true, "auto_recording": "cloud", "approval_type": 2}
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_u64().expect("id is a JSON number");
    assert!(id >= 10_000_000_000, "id {id} has at least 11 digits");
    assert!(body["uuid"].as_str().unwrap().len() >= 22);
    assert_eq!(body["host_id"], "demo-teacher");
    assert_eq!(body["host_email"], "teacher@example.com");
    assert_eq!(body["topic"], "Álgebra 1");
    assert_eq!(body["type"], 2);
    assert_eq!(body["status"], "waiting");
    assert_eq!(body["start_time"], "2030-05-01T15:00:00Z");
    assert_eq!(body["duration"], 90);
    assert_eq!(body["timezone"], "America/Lima");
    assert_eq!(body["agenda"], "Ecuaciones");
    assert_eq!(body["password"], "abc123");
    for field in [
        "h323_password",
        "pstn_password",
        "encrypted_password",
        "created_at",
    ] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    let start_url = body["start_url"].as_str().unwrap();
    assert!(start_url.contains("zak="), "{start_url}");
    let join_url = body["join_url"].as_str().unwrap();
    assert!(
        join_url.starts_with(&format!("{}/j/{id}?pwd=", zoom.base_url())),
        "{join_url}"
    );
    let settings = &body["settings"];
    assert_eq!(settings["host_video"], true);
    assert_eq!(settings["participant_video"], false);
    assert_eq!(settings["waiting_room"], true);
    assert_eq!(
        settings["join_before_host"], false,
        "waiting room turns join-before-host off"
    );
    assert_eq!(settings["mute_upon_entry"], false);
    assert_eq!(settings["auto_recording"], "cloud");
    assert_eq!(settings["approval_type"], 2);
}

#[tokio::test]
async fn ids_are_distinct_int64_numbers() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let mut ids = HashSet::new();
    for i in 0..3 {
        ids.insert(create_meeting(&zoom, &token, &format!("m{i}")).await);
    }
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|&id| id > u64::from(u32::MAX)));
    assert_eq!(zoom.meeting_count(), 3);
}

#[tokio::test]
async fn round_trip_with_exact_status_codes() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Física").await;
    let path = format!("/meetings/{id}");

    let (status, got) = get(&zoom, &token, &path).await;
    assert_eq!(status, 200);
    assert_eq!(got["id"].as_u64(), Some(id));
    assert_eq!(got["topic"], "Física");
    assert_eq!(got["status"], "waiting");
    assert_eq!(got["host_id"], "demo-teacher");
    assert!(got["start_url"].as_str().unwrap().contains("zak="));
    assert!(got["uuid"].is_string());

    let response = common::call(
        &zoom,
        &token,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"topic": "Química", "start_time": "2030-06-01T10:30:00Z", "duration": 30})),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty(), "204 has no body");
    let (_, got) = get(&zoom, &token, &path).await;
    assert_eq!(got["topic"], "Química");
    assert_eq!(got["start_time"], "2030-06-01T10:30:00Z");
    assert_eq!(got["duration"], 30);
    assert_eq!(zoom.meeting(&id.to_string()).unwrap()["topic"], "Química");

    let (status, list) = get(&zoom, &token, "/users/demo-teacher/meetings").await;
    assert_eq!(status, 200);
    assert_eq!(list["total_records"], 1);
    assert_eq!(list["meetings"][0]["id"].as_u64(), Some(id));
    assert_eq!(list["meetings"][0]["topic"], "Química");

    assert_eq!(delete(&zoom, &token, &path).await, (204, Value::Null));
    assert_eq!(zoom.meeting_count(), 0);
    let expected = json!({"code": 3001, "message": format!("Meeting does not exist: {id}.")});
    assert_eq!(get(&zoom, &token, &path).await, (404, expected.clone()));
    assert_eq!(delete(&zoom, &token, &path).await, (404, expected.clone()));
    assert_eq!(
        patch(&zoom, &token, &path, json!({"topic": "x"})).await,
        (404, expected)
    );
}

#[tokio::test]
async fn offsets_become_utc_and_instant_meetings_start_now() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (_, body) = post(
        &zoom,
        &token,
        "/users/me/meetings",
        json!({"start_time": "2030-05-01T10:00:00-05:00"}),
    )
    .await;
    assert_eq!(body["start_time"], "2030-05-01T15:00:00Z");
    let (status, body) = post(&zoom, &token, "/users/me/meetings", json!({"type": 1})).await;
    assert_eq!(status, 201);
    let start: DateTime<Utc> = body["start_time"].as_str().unwrap().parse().unwrap();
    assert!((Utc::now() - start).abs() < Duration::seconds(5));
}

#[tokio::test]
async fn invalid_json_body_is_300() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let expected = json!({"code": 300, "message": "Request Body should be a valid JSON object."});
    for body in ["{not json", "[1,2]", ""] {
        let response = http()
            .post(format!("{}/users/me/meetings", zoom.api_url()))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_json(response).await,
            (400, expected.clone()),
            "body {body:?}"
        );
    }
    assert_eq!(zoom.meeting_count(), 0);
}

#[tokio::test]
async fn bad_fields_are_validation_failed() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let cases = [
        (json!({"start_time": "tomorrow at 5"}), "start_time"),
        (
            json!({"start_time": "2030-05-01T15:00:00", "timezone": "America/Lima"}),
            "start_time",
        ),
        (json!({"duration": -5}), "duration"),
        (json!({"duration": "long"}), "duration"),
        (json!({"type": 7}), "type"),
        (json!({"password": "01234567890"}), "password"),
        (
            json!({"settings": {"auto_recording": "tape"}}),
            "settings.auto_recording",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&zoom, &token, "/users/me/meetings", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            answer,
            json!({"code": 300, "message": "Validation Failed.", "errors": [{"field": field, "message": "Invalid field."}]}),
            "{body}"
        );
    }
    let id = create_meeting(&zoom, &token, "ok").await;
    let (status, answer) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}"),
        json!({"start_time": "nope"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"][0]["field"], "start_time");
    assert_eq!(
        zoom.meeting(&id.to_string()).unwrap()["start_time"],
        "2030-05-01T15:00:00Z"
    );
}

#[tokio::test]
async fn unknown_host_is_1001() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, body) = post(
        &zoom,
        &token,
        "/users/ghost@example.com/meetings",
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 1001);
}

#[tokio::test]
async fn daily_limit_is_429_at_the_101st_create_or_update() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "first").await;
    for i in 1..60 {
        create_meeting(&zoom, &token, &format!("m{i}")).await;
    }
    let path = format!("/meetings/{id}");
    for i in 0..40 {
        let (status, _) = patch(&zoom, &token, &path, json!({"topic": format!("p{i}")})).await;
        assert_eq!(status, 204, "update {i}");
    }
    let expected = json!({"code": 429, "message": "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."});
    let response = common::call(
        &zoom,
        &token,
        reqwest::Method::POST,
        "/users/demo-teacher/meetings",
        Some(json!({})),
    )
    .await;
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(status_json(response).await, (429, expected.clone()));
    assert_eq!(
        patch(&zoom, &token, &path, json!({"topic": "late"})).await,
        (429, expected)
    );
    assert_eq!(zoom.meeting(&id.to_string()).unwrap()["topic"], "p39");
    // Another user has their own budget; delete and read are not limited.
    assert_eq!(
        post(
            &zoom,
            &token,
            "/users/basic@example.com/meetings",
            json!({})
        )
        .await
        .0,
        201
    );
    assert_eq!(get(&zoom, &token, &path).await.0, 200);
    assert_eq!(delete(&zoom, &token, &path).await.0, 204);
}

#[tokio::test]
async fn meetings_belong_to_the_creating_account() {
    let other = Account::new("acc-2", "cid-2", "secret-2")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("other-host", "other@example.com"));
    let mut config = EmulatorConfig::demo();
    config.accounts.push(other);
    let zoom = Emulator::start(config).await.unwrap();
    let mine = demo_token(&zoom).await;
    let theirs = common::token(&zoom, "cid-2", "secret-2", "acc-2").await;
    let id = create_meeting(&zoom, &mine, "private").await;
    let path = format!("/meetings/{id}");
    let expected = json!({"code": 3001, "message": format!("Meeting does not exist: {id}.")});
    assert_eq!(get(&zoom, &theirs, &path).await, (404, expected.clone()));
    assert_eq!(
        patch(&zoom, &theirs, &path, json!({"topic": "x"})).await,
        (404, expected.clone())
    );
    assert_eq!(delete(&zoom, &theirs, &path).await, (404, expected));
    assert_eq!(get(&zoom, &mine, &path).await.0, 200);
}

#[tokio::test]
async fn list_pages_with_next_page_token() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let mut created = HashSet::new();
    for i in 0..5 {
        created.insert(create_meeting(&zoom, &token, &format!("m{i}")).await);
    }
    post(
        &zoom,
        &token,
        "/users/basic@example.com/meetings",
        json!({}),
    )
    .await;
    let (status, first) = get(&zoom, &token, "/users/demo-teacher/meetings?page_size=2").await;
    assert_eq!(status, 200);
    assert_eq!(first["page_size"], 2);
    assert_eq!(first["total_records"], 5);
    assert_eq!(first["page_count"], 3);
    assert_eq!(first["meetings"].as_array().unwrap().len(), 2);
    let item = &first["meetings"][0];
    for field in [
        "uuid",
        "id",
        "host_id",
        "topic",
        "type",
        "start_time",
        "duration",
        "timezone",
        "created_at",
        "join_url",
    ] {
        assert!(!item[field].is_null(), "list item lacks {field}");
    }
    let mut seen: Vec<u64> = Vec::new();
    let mut page = first;
    loop {
        seen.extend(
            page["meetings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_u64().unwrap()),
        );
        let next = page["next_page_token"].as_str().unwrap().to_owned();
        if next.is_empty() {
            break;
        }
        page = get(
            &zoom,
            &token,
            &format!("/users/demo-teacher/meetings?page_size=2&next_page_token={next}"),
        )
        .await
        .1;
    }
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), created);
    let (_, all) = get(&zoom, &token, "/users/demo-teacher/meetings?page_size=1000").await;
    assert_eq!(all["page_size"], 300);
    assert_eq!(all["next_page_token"], "");
    let (_, default) = get(&zoom, &token, "/users/demo-teacher/meetings").await;
    assert_eq!(default["page_size"], 30);
    let (status, bad) = get(
        &zoom,
        &token,
        "/users/demo-teacher/meetings?next_page_token=bogus",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(bad["code"], 300);
}
