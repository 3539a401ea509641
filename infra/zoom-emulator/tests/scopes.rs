//! Per-endpoint scope enforcement: granular and classic scopes, and the 400
//! "does not contain scopes" error.

mod common;

use common::{call, status_json, token};
use reqwest::Method;
use serde_json::{Value, json};
use zoom_emulator::{Account, Emulator, EmulatorConfig, MISSING_SCOPES_CODE, User};

async fn emulator_with(scopes: &[&str]) -> (Emulator, String) {
    let account = Account::new("acc", "cid", "secret")
        .with_scopes(scopes)
        .with_user(User::licensed("host-1", "host@example.com"));
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let token = token(&zoom, "cid", "secret", "acc").await;
    (zoom, token)
}

fn requests() -> Vec<(Method, &'static str, Option<Value>, &'static str)> {
    vec![
        (
            Method::POST,
            "/users/host-1/meetings",
            Some(json!({"topic": "t"})),
            "meeting:write:meeting, meeting:write:meeting:admin",
        ),
        (
            Method::GET,
            "/meetings/81234567890",
            None,
            "meeting:read:meeting, meeting:read:meeting:admin",
        ),
        (
            Method::PATCH,
            "/meetings/81234567890",
            Some(json!({"topic": "u"})),
            "meeting:update:meeting, meeting:update:meeting:admin",
        ),
        (
            Method::DELETE,
            "/meetings/81234567890",
            None,
            "meeting:delete:meeting, meeting:delete:meeting:admin",
        ),
        (
            Method::GET,
            "/users/host-1/meetings",
            None,
            "meeting:read:list_meetings, meeting:read:list_meetings:admin",
        ),
        (
            Method::GET,
            "/users/host-1",
            None,
            "user:read:user, user:read:user:admin",
        ),
        (
            Method::GET,
            "/users/host-1/token?type=zak",
            None,
            "user:read:token, user:read:token:admin",
        ),
        (
            Method::GET,
            "/meetings/81234567890/recordings",
            None,
            "cloud_recording:read:list_recording_files, cloud_recording:read:list_recording_files:admin, cloud_recording:read:list_recording_files:master",
        ),
        (
            Method::DELETE,
            "/meetings/81234567890/recordings/some-file-id?action=trash",
            None,
            "cloud_recording:delete:recording_file, cloud_recording:delete:recording_file:admin",
        ),
        (
            Method::DELETE,
            "/meetings/81234567890/recordings",
            None,
            "cloud_recording:delete:meeting_recording, cloud_recording:delete:meeting_recording:admin",
        ),
    ]
}

#[tokio::test]
async fn every_endpoint_names_its_granular_scopes_when_none_is_granted() {
    let (zoom, token) = emulator_with(&["some:other:scope"]).await;
    for (method, path, body, scopes) in requests() {
        let (status, body) =
            status_json(call(&zoom, &token, method.clone(), path, body).await).await;
        assert_eq!(status, 400, "{method} {path}");
        assert_eq!(
            body,
            json!({"code": MISSING_SCOPES_CODE, "message": format!("Invalid access token, does not contain scopes:[{scopes}].")}),
            "{method} {path}"
        );
    }
    assert_eq!(MISSING_SCOPES_CODE, 4711);
}

async fn run_round_trip(zoom: &Emulator, token: &str) {
    let (status, created) =
        common::post(zoom, token, "/users/host-1/meetings", json!({"topic": "t"})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    let path = format!("/meetings/{id}");
    assert_eq!(common::get(zoom, token, &path).await.0, 200);
    assert_eq!(
        common::patch(zoom, token, &path, json!({"topic": "u"}))
            .await
            .0,
        204
    );
    assert_eq!(
        common::get(zoom, token, "/users/host-1/meetings").await.0,
        200
    );
    assert_eq!(common::get(zoom, token, "/users/host-1").await.0, 200);
    assert_eq!(
        common::get(zoom, token, "/users/host-1/token?type=zak")
            .await
            .0,
        200
    );
    assert_eq!(
        common::get(zoom, token, &format!("{path}/recordings"))
            .await
            .0,
        404
    );
    assert_eq!(common::delete(zoom, token, &path).await.0, 204);
}

#[tokio::test]
async fn classic_scopes_are_accepted() {
    let (zoom, token) = emulator_with(&[
        "meeting:write:admin",
        "meeting:read:admin",
        "user:read:admin",
        "recording:read:admin",
    ])
    .await;
    run_round_trip(&zoom, &token).await;
}

#[tokio::test]
async fn granular_non_admin_scopes_are_accepted() {
    let (zoom, token) = emulator_with(&[
        "meeting:write:meeting",
        "meeting:read:meeting",
        "meeting:update:meeting",
        "meeting:delete:meeting",
        "meeting:read:list_meetings",
        "user:read:user",
        "user:read:token",
        "cloud_recording:read:list_recording_files",
    ])
    .await;
    run_round_trip(&zoom, &token).await;
}

#[tokio::test]
async fn granular_write_does_not_allow_update_or_delete() {
    let (zoom, token) = emulator_with(&["meeting:write:meeting:admin"]).await;
    let (status, created) = common::post(&zoom, &token, "/users/host-1/meetings", json!({})).await;
    assert_eq!(status, 201);
    let path = format!("/meetings/{}", created["id"]);
    let (status, body) = common::patch(&zoom, &token, &path, json!({"topic": "x"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Invalid access token, does not contain scopes:[meeting:update:meeting, meeting:update:meeting:admin]."
    );
    assert_eq!(common::delete(&zoom, &token, &path).await.0, 400);
    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn user_zak_read_classic_scope_allows_user_token() {
    let (zoom, token) = emulator_with(&["user_zak:read"]).await;
    let (status, body) = common::get(&zoom, &token, "/users/host-1/token?type=zak").await;
    assert_eq!(status, 200);
    assert!(body["token"].is_string());
    assert_eq!(common::get(&zoom, &token, "/users/host-1").await.0, 400);
}
