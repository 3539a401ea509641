//! `GET /meetings/{meetingId}/recordings`.

mod common;

use common::{create_meeting, demo, demo_token, get};
use serde_json::json;
use zoom_emulator::{Account, DEMO_SCOPES, Emulator, EmulatorConfig, User};

fn not_found() -> (u16, serde_json::Value) {
    (
        404,
        json!({"code": 3301, "message": "This recording does not exist."}),
    )
}

#[tokio::test]
async fn a_meeting_without_recordings_is_3301() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "no recording").await;
    assert_eq!(
        get(&zoom, &token, &format!("/meetings/{id}/recordings")).await,
        not_found()
    );
    assert_eq!(
        get(&zoom, &token, "/meetings/99999999999/recordings").await,
        not_found()
    );
}

#[tokio::test]
async fn seeded_recording_has_zooms_shape() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Historia").await;
    zoom.add_recording(
        &id.to_string(),
        json!([
            {"file_type": "MP4", "file_size": 1000},
            {"file_type": "M4A", "file_size": 200},
            {"file_type": "CC"}
        ]),
    );
    let (status, body) = get(&zoom, &token, &format!("/meetings/{id}/recordings")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"].as_u64(), Some(id));
    assert_eq!(body["uuid"], zoom.meeting(&id.to_string()).unwrap()["uuid"]);
    assert_eq!(body["account_id"], "demo-account");
    assert_eq!(body["host_id"], "demo-teacher");
    assert_eq!(body["topic"], "Historia");
    assert_eq!(body["start_time"], "2030-05-01T15:00:00Z");
    assert_eq!(body["duration"], 45);
    assert_eq!(body["recording_count"], 3);
    assert_eq!(body["total_size"], 1200);
    for field in [
        "share_url",
        "recording_play_passcode",
        "password",
        "timezone",
        "type",
    ] {
        assert!(!body[field].is_null(), "missing {field}");
    }
    let files = body["recording_files"].as_array().unwrap();
    let mp4 = &files[0];
    assert_eq!(mp4["file_extension"], "MP4");
    assert_eq!(mp4["status"], "completed");
    assert_eq!(mp4["meeting_id"], body["uuid"]);
    assert_eq!(mp4["recording_start"], "2030-05-01T15:00:00Z");
    assert_eq!(mp4["recording_end"], "2030-05-01T15:45:00Z");
    for field in ["id", "play_url", "download_url", "recording_type"] {
        assert!(mp4[field].is_string(), "mp4 lacks {field}");
    }
    assert_eq!(files[1]["recording_type"], "audio_only");
    let cc = &files[2];
    assert_eq!(cc["file_extension"], "VTT");
    assert!(
        cc.get("id").is_none() && cc.get("status").is_none(),
        "CC files carry no id/status: {cc}"
    );
    assert!(cc["download_url"].is_string());
}

#[tokio::test]
async fn uuids_that_need_it_must_be_double_encoded() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "instances").await;
    zoom.add_recording_instance(&id.to_string(), "/ab//cdEFgh+ijk==", json!([{}]));
    let double = get(
        &zoom,
        &token,
        "/meetings/%252Fab%252F%252FcdEFgh%252Bijk%253D%253D/recordings",
    )
    .await;
    assert_eq!(double.0, 200, "{}", double.1);
    assert_eq!(double.1["uuid"], "/ab//cdEFgh+ijk==");
    let single = get(
        &zoom,
        &token,
        "/meetings/%2Fab%2F%2FcdEFgh%2Bijk%3D%3D/recordings",
    )
    .await;
    assert_eq!(single, not_found());
    // The numeric id answers the newest instance.
    assert_eq!(
        get(&zoom, &token, &format!("/meetings/{id}/recordings"))
            .await
            .1["uuid"],
        "/ab//cdEFgh+ijk=="
    );
}

#[tokio::test]
async fn plain_uuids_work_encoded_once() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.add_recording_instance(
        "81234567999",
        "Ab+Cd=",
        json!({"recording_files": [{"file_type": "TRANSCRIPT"}]}),
    );
    let (status, body) = get(&zoom, &token, "/meetings/Ab%2BCd%3D/recordings").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], 81234567999_u64);
    assert_eq!(body["recording_files"][0]["file_extension"], "VTT");
    assert_eq!(
        body["recording_files"][0]["recording_type"],
        "audio_transcript"
    );
}

#[tokio::test]
async fn recordings_of_other_accounts_are_3301() {
    let other = Account::new("acc-2", "cid-2", "secret-2")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("h2", "h2@example.com"));
    let mut config = EmulatorConfig::demo();
    config.accounts.push(other);
    let zoom = Emulator::start(config).await.unwrap();
    let mine = demo_token(&zoom).await;
    let theirs = common::token(&zoom, "cid-2", "secret-2", "acc-2").await;
    let id = create_meeting(&zoom, &mine, "m").await;
    zoom.add_recording(&id.to_string(), json!([{}]));
    let path = format!("/meetings/{id}/recordings");
    assert_eq!(get(&zoom, &theirs, &path).await, not_found());
    assert_eq!(get(&zoom, &mine, &path).await.0, 200);
}
