//! A created meeting's lifecycle as Zoom's webhooks: order, envelopes,
//! payloads, signatures over the received bytes, and the recording it
//! registers for `GET /meetings/{id}/recordings`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use common::receiver::Receiver;
use common::{create_meeting, demo, demo_token, get, reference_signature};
use serde_json::{Value, json};
use zoom_emulator::events::{self, RecordingInstance};
use zoom_emulator::{Emulator, Lifecycle, Participant, Session};

const SECRET: &str = "lifecycle-secret-token";
/// `create_meeting`'s start time.
const START: &str = "2030-05-01T15:00:00Z";

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn start() -> DateTime<Utc> {
    START.parse().unwrap()
}

fn ms_after_start(offset: Duration) -> i64 {
    start().timestamp_millis() + i64::try_from(offset.as_millis()).unwrap()
}

fn ana() -> Participant {
    Participant::new("16778240", "Ana Alumna", "ana@example.com")
}

fn ben() -> Participant {
    Participant::new("16779264", "Ben Becario", "ben@example.com").without_uuid()
}

/// Ana 0–10 min and again 15–40 min, Ben 5 min to the end (45 min).
fn two_participants(ana: &Participant, ben: &Participant, with_recording: bool) -> Lifecycle {
    Lifecycle {
        sessions: vec![
            Session::new(ana, minutes(0), minutes(10)),
            Session::new(ben, minutes(5), minutes(45)),
            Session::new(ana, minutes(15), minutes(40)),
        ],
        duration: minutes(45),
        with_recording,
    }
}

fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let event = e["event"].as_str().unwrap();
            match e["payload"]["object"]["participant"]["user_name"].as_str() {
                Some(name) => format!("{event} {name}"),
                None => event.to_owned(),
            }
        })
        .collect()
}

fn file_ids(files: &Value) -> BTreeSet<String> {
    files
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn download_urls(files: &Value) -> BTreeSet<String> {
    files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["download_url"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lifecycle_reaches_the_endpoint_in_order_signed_and_matches_the_recordings_api() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Historia 1B").await;
    let uuid = zoom.meeting(&id.to_string()).unwrap()["uuid"].clone();
    let receiver = Receiver::start(StatusCode::NO_CONTENT).await;
    let (ana, ben) = (ana(), ben());

    let statuses = zoom
        .emit_lifecycle(
            &id.to_string(),
            &two_participants(&ana, &ben, true),
            &receiver.url,
            SECRET,
        )
        .await
        .unwrap();
    assert_eq!(statuses, vec![204; 9]);

    let received = receiver.received();
    assert_eq!(received.len(), 9);
    let events: Vec<Value> = received
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .collect();
    assert_eq!(
        names(&events),
        [
            "meeting.started",
            "meeting.participant_joined Ana Alumna",
            "meeting.participant_joined Ben Becario",
            "meeting.participant_left Ana Alumna",
            "meeting.participant_joined Ana Alumna",
            "meeting.participant_left Ana Alumna",
            "meeting.participant_left Ben Becario",
            "meeting.ended",
            "recording.completed",
        ]
    );
    let event_ts: Vec<i64> = events
        .iter()
        .map(|e| e["event_ts"].as_i64().unwrap())
        .collect();
    let expected_ts: Vec<i64> = [0, 0, 5, 10, 15, 40, 45, 45]
        .into_iter()
        .map(|m| ms_after_start(minutes(m)))
        .collect();
    assert_eq!(event_ts[..8], expected_ts[..]);
    assert!(event_ts[8] > expected_ts[7], "recording after the end");
    assert!(event_ts[8] <= expected_ts[7] + 3_600_000);

    for ((headers, body), event) in received.iter().zip(&events) {
        let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
        let timestamp = header("x-zm-request-timestamp");
        assert_eq!(
            header("x-zm-signature"),
            reference_signature(SECRET, &timestamp, body),
            "{}",
            event["event"]
        );
        assert_ne!(
            header("x-zm-signature"),
            reference_signature("another-secret", &timestamp, body)
        );
        assert_eq!(header("content-type"), "application/json; charset=utf-8");
        assert_eq!(header("user-agent"), "Zoom Marketplace/1.0a");

        let envelope_keys: Vec<&str> = event
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "download_token")
            .collect();
        assert_eq!(envelope_keys, ["event", "event_ts", "payload"]);
        assert_eq!(event["payload"]["account_id"], "demo-account");
        let object = &event["payload"]["object"];
        assert_eq!(object["uuid"], uuid);
        assert_eq!(object["host_id"], "demo-teacher");
        assert_eq!(object["topic"], "Historia 1B");
        if event["event"] == "recording.completed" {
            assert_eq!(object["id"].as_u64(), Some(id), "a number in recordings");
        } else {
            assert_eq!(object["id"], json!(id.to_string()), "a string in meetings");
        }
    }

    let completed = &events[8];
    let download_token = completed["download_token"].as_str().unwrap();
    assert!(!download_token.is_empty());
    assert!(completed["payload"].get("download_token").is_none());
    assert!(
        completed["payload"]["object"]
            .get("download_token")
            .is_none()
    );
    let webhook_files = &completed["payload"]["object"]["recording_files"];
    let timelines: Vec<&Value> = webhook_files
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file_type"] == "TB")
        .collect();
    assert_eq!(timelines.len(), 1);
    let timeline = timelines[0];
    for absent in ["id", "status", "file_size", "recording_type", "play_url"] {
        assert!(timeline.get(absent).is_none(), "TB file has {absent}");
    }
    assert_eq!(timeline["file_extension"], "JSON");
    assert_eq!(timeline["meeting_id"], uuid);
    assert!(timeline["download_url"].is_string());
    for file in webhook_files.as_array().unwrap() {
        if file["file_type"] != "TB" {
            assert!(file["id"].is_string());
            assert_eq!(file["status"], "completed");
            assert_eq!(file["meeting_id"], uuid);
        }
    }

    let (status, api) = get(&zoom, &token, &format!("/meetings/{id}/recordings")).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["uuid"], uuid);
    let ids = file_ids(webhook_files);
    assert_eq!(ids.len(), 2, "MP4 and M4A carry ids");
    assert_eq!(file_ids(&api["recording_files"]), ids);
    assert_eq!(
        download_urls(&api["recording_files"]),
        download_urls(webhook_files)
    );
    assert_eq!(
        api["recording_count"],
        completed["payload"]["object"]["recording_count"]
    );
    assert_eq!(
        api["total_size"],
        completed["payload"]["object"]["total_size"]
    );
}

#[tokio::test]
async fn payloads_follow_zooms_event_types() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Química").await;
    let uuid = zoom.meeting(&id.to_string()).unwrap()["uuid"].clone();
    let (ana, ben) = (ana(), ben());
    // Ran 50 minutes of a 45-minute slot; Ana leaves early, Ben stays to the end.
    let lifecycle = Lifecycle {
        sessions: vec![
            Session::new(&ana, Duration::from_secs(90), minutes(30)),
            Session::new(&ben, minutes(2), minutes(50)),
        ],
        duration: minutes(50),
        with_recording: true,
    };
    let events = zoom.lifecycle_events(&id.to_string(), &lifecycle);
    assert_eq!(events.len(), 7);

    let meeting_object = json!({
        "id": id.to_string(),
        "uuid": uuid,
        "host_id": "demo-teacher",
        "topic": "Química",
        "type": 2,
        "start_time": START,
        "timezone": "UTC",
        "duration": 45,
    });
    assert_eq!(events[0]["event"], "meeting.started");
    assert_eq!(events[0]["event_ts"], ms_after_start(Duration::ZERO));
    assert_eq!(events[0]["payload"]["object"], meeting_object);

    let mut ended_object = meeting_object.clone();
    ended_object["end_time"] = json!("2030-05-01T15:50:00Z");
    assert_eq!(events[5]["event"], "meeting.ended");
    assert_eq!(events[5]["event_ts"], ms_after_start(minutes(50)));
    assert_eq!(events[5]["payload"]["object"], ended_object);

    let mut joined_object = meeting_object.clone();
    joined_object["participant"] = json!({
        "user_id": "16778240",
        "user_name": "Ana Alumna",
        "participant_uuid": ana.participant_uuid.clone().unwrap(),
        "join_time": "2030-05-01T15:01:30Z",
        "email": "ana@example.com",
    });
    assert_eq!(events[1]["event"], "meeting.participant_joined");
    assert_eq!(
        events[1]["event_ts"],
        ms_after_start(Duration::from_secs(90))
    );
    assert_eq!(events[1]["payload"]["object"], joined_object);

    let ben_joined = &events[2]["payload"]["object"]["participant"];
    assert_eq!(ben_joined["user_name"], "Ben Becario");
    assert!(ben_joined.get("participant_uuid").is_none());
    assert_eq!(ben_joined["join_time"], "2030-05-01T15:02:00Z");

    let mut left_object = meeting_object.clone();
    left_object["participant"] = json!({
        "user_id": "16778240",
        "user_name": "Ana Alumna",
        "participant_uuid": ana.participant_uuid.clone().unwrap(),
        "leave_time": "2030-05-01T15:30:00Z",
        "leave_reason": "Ana Alumna left the meeting.",
        "email": "ana@example.com",
    });
    assert_eq!(events[3]["event"], "meeting.participant_left");
    assert_eq!(events[3]["event_ts"], ms_after_start(minutes(30)));
    assert_eq!(events[3]["payload"]["object"], left_object);

    let ben_left = &events[4]["payload"]["object"]["participant"];
    assert_eq!(ben_left["leave_time"], "2030-05-01T15:50:00Z");
    assert_eq!(ben_left["leave_reason"], "Host ended the meeting.");

    let recording = &events[6]["payload"]["object"];
    assert_eq!(events[6]["event"], "recording.completed");
    let keys: Vec<&str> = recording
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "uuid",
            "host_id",
            "account_id",
            "topic",
            "type",
            "start_time",
            "password",
            "timezone",
            "host_email",
            "duration",
            "share_url",
            "total_size",
            "recording_count",
            "recording_play_passcode",
            "recording_files",
        ]
    );
    assert_eq!(recording["account_id"], "demo-account");
    assert_eq!(recording["host_email"], "teacher@example.com");
    assert_eq!(recording["start_time"], START);
    assert_eq!(recording["duration"], 50, "the recorded length");
    assert_eq!(
        recording["password"],
        zoom.meeting(&id.to_string()).unwrap()["password"]
    );
    let files = recording["recording_files"].as_array().unwrap();
    assert_eq!(recording["recording_count"], files.len());
    let sizes: u64 = files.iter().filter_map(|f| f["file_size"].as_u64()).sum();
    assert!(sizes > 0);
    assert_eq!(recording["total_size"], sizes);
    let types: Vec<&str> = files
        .iter()
        .map(|f| f["file_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["MP4", "M4A", "TB"]);
    for file in files {
        assert_eq!(file["recording_start"], START);
        assert_eq!(file["recording_end"], "2030-05-01T15:50:00Z");
    }
}

#[tokio::test]
async fn a_leave_and_a_rejoin_at_the_same_instant_keep_their_order() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Física").await;
    let ana = ana();
    // Listed out of order; a zero-length stay at 20 min too.
    let lifecycle = Lifecycle {
        sessions: vec![
            Session::new(&ana, minutes(20), minutes(20)),
            Session::new(&ana, minutes(10), minutes(20)),
            Session::new(&ana, minutes(0), minutes(10)),
        ],
        duration: minutes(30),
        with_recording: false,
    };
    let events = zoom.lifecycle_events(&id.to_string(), &lifecycle);
    let kinds: Vec<(&str, i64)> = events
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                (e["event_ts"].as_i64().unwrap() - start().timestamp_millis()) / 60_000,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("meeting.started", 0),
            ("meeting.participant_joined", 0),
            ("meeting.participant_left", 10),
            ("meeting.participant_joined", 10),
            ("meeting.participant_left", 20),
            ("meeting.participant_joined", 20),
            ("meeting.participant_left", 20),
            ("meeting.ended", 30),
        ]
    );
}

#[tokio::test]
async fn a_uuid_with_slashes_is_carried_and_found_double_encoded() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Latín").await;
    let uuid = "/ab//cdEFgh+ijKLmn12==";
    zoom.set_meeting_uuid(&id.to_string(), uuid);
    assert_eq!(zoom.meeting(&id.to_string()).unwrap()["uuid"], uuid);
    let (status, meeting) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!((status, &meeting["uuid"]), (200, &json!(uuid)));

    let lifecycle = two_participants(&ana(), &ben(), true);
    let first = zoom.lifecycle_events(&id.to_string(), &lifecycle);
    for event in &first {
        assert_eq!(
            event["payload"]["object"]["uuid"], uuid,
            "{}",
            event["event"]
        );
    }
    let first_files = &first.last().unwrap()["payload"]["object"]["recording_files"];
    for file in first_files.as_array().unwrap() {
        assert_eq!(file["meeting_id"], uuid);
    }

    let double = "%252Fab%252F%252FcdEFgh%252BijKLmn12%253D%253D";
    let (status, api) = get(&zoom, &token, &format!("/meetings/{double}/recordings")).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!(api["uuid"], uuid);
    assert_eq!(file_ids(&api["recording_files"]), file_ids(first_files));

    // Emitting the instance again replaces its recording.
    let second = zoom.lifecycle_events(&id.to_string(), &lifecycle);
    let second_files = &second.last().unwrap()["payload"]["object"]["recording_files"];
    assert!(file_ids(second_files).is_disjoint(&file_ids(first_files)));
    let (status, api) = get(&zoom, &token, &format!("/meetings/{double}/recordings")).await;
    assert_eq!(status, 200);
    assert_eq!(file_ids(&api["recording_files"]), file_ids(second_files));
    let (status, api) = get(&zoom, &token, &format!("/meetings/{id}/recordings")).await;
    assert_eq!(status, 200);
    assert_eq!(file_ids(&api["recording_files"]), file_ids(second_files));
}

#[tokio::test]
async fn without_a_recording_nothing_is_recorded() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Arte").await;
    let events = zoom.lifecycle_events(&id.to_string(), &two_participants(&ana(), &ben(), false));
    assert_eq!(events.len(), 8);
    assert_eq!(events.last().unwrap()["event"], "meeting.ended");
    assert!(events.iter().all(|e| e["event"] != "recording.completed"));
    assert_eq!(
        get(&zoom, &token, &format!("/meetings/{id}/recordings")).await,
        (
            404,
            json!({"code": 3301, "message": "This recording does not exist."})
        )
    );
}

#[tokio::test]
async fn emit_lifecycle_reports_every_status_and_keeps_sending() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Música").await;
    let receiver = Receiver::start(StatusCode::INTERNAL_SERVER_ERROR).await;
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&ana(), minutes(1), minutes(2))],
        duration: minutes(3),
        with_recording: false,
    };
    let statuses = zoom
        .emit_lifecycle(&id.to_string(), &lifecycle, &receiver.url, SECRET)
        .await
        .unwrap();
    assert_eq!(statuses, [500, 500, 500, 500]);
    assert_eq!(receiver.received().len(), 4);

    let unreachable = Receiver::start(StatusCode::OK).await;
    let url = unreachable.url.clone();
    drop(unreachable);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        zoom.emit_lifecycle(&id.to_string(), &lifecycle, &url, SECRET)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn single_event_builders_have_zooms_envelopes() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Geografía").await;
    assert!(zoom.meeting_instance("99999999999").is_none());
    let instance = zoom.meeting_instance(&id.to_string()).unwrap();
    assert_eq!(instance.id, id);
    assert_eq!(instance.start_time, start());
    assert_eq!(instance.duration, 45);
    let at: DateTime<Utc> = "2030-04-20T08:00:00Z".parse().unwrap();

    let deleted = events::meeting_deleted(&instance, "teacher@example.com", "demo-teacher", at);
    assert_eq!(
        deleted,
        json!({
            "event": "meeting.deleted",
            "event_ts": at.timestamp_millis(),
            "payload": {
                "account_id": "demo-account",
                "operator": "teacher@example.com",
                "operator_id": "demo-teacher",
                "object": {
                    "uuid": instance.uuid,
                    "id": id,
                    "host_id": "demo-teacher",
                    "topic": "Geografía",
                    "type": 2,
                    "start_time": START,
                    "duration": 45,
                    "timezone": "UTC",
                },
            },
        })
    );

    let recording = RecordingInstance {
        meeting: instance.clone(),
        share_url: "https://example.com/rec/share/abc".into(),
        recording_play_passcode: "passcode".into(),
        recording_files: vec![
            json!({"id": "f1", "file_type": "MP4", "file_size": 10}),
            json!({"file_type": "TB"}),
        ],
    };
    let completed = events::recording_completed(&recording, "dl-token", at);
    assert_eq!(completed["download_token"], "dl-token");
    assert_eq!(completed["event_ts"], at.timestamp_millis());
    assert_eq!(completed["payload"]["object"]["total_size"], 10);
    assert_eq!(completed["payload"]["object"]["recording_count"], 2);

    for (event, name) in [
        (
            events::recording_trashed(&recording, "teacher@example.com", "demo-teacher", at),
            "recording.trashed",
        ),
        (
            events::recording_deleted(&recording, "teacher@example.com", "demo-teacher", at),
            "recording.deleted",
        ),
    ] {
        assert_eq!(event["event"], name);
        assert!(event.get("download_token").is_none());
        assert_eq!(event["payload"]["operator"], "teacher@example.com");
        assert_eq!(event["payload"]["operator_id"], "demo-teacher");
        let object = &event["payload"]["object"];
        assert_eq!(object["id"].as_u64(), Some(id));
        assert_eq!(object["account_id"], "demo-account");
        assert!(object.get("password").is_none());
        assert_eq!(object["recording_files"], json!(recording.recording_files));
    }

    let validation = events::endpoint_url_validation("qgg8vlvZRS6UYooatFL8Aw");
    assert_eq!(validation["event"], "endpoint.url_validation");
    assert_eq!(
        validation["payload"],
        json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw"})
    );
    let age = Utc::now().timestamp_millis() - validation["event_ts"].as_i64().unwrap();
    assert!((0..10_000).contains(&age), "milliseconds, now: {age}");
    assert_ne!(events::download_token(), events::download_token());
}

#[tokio::test]
#[should_panic(expected = "no meeting 99999999999")]
async fn a_lifecycle_of_an_unknown_meeting_panics() {
    let zoom: Emulator = demo().await;
    zoom.lifecycle_events("99999999999", &Lifecycle::default());
}

#[tokio::test]
#[should_panic(expected = "after the meeting ends")]
async fn a_session_past_the_end_panics() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Ética").await;
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&ana(), minutes(0), minutes(31))],
        duration: minutes(30),
        with_recording: false,
    };
    zoom.lifecycle_events(&id.to_string(), &lifecycle);
}

#[tokio::test]
#[should_panic(expected = "no meeting 99999999999")]
async fn setting_the_uuid_of_an_unknown_meeting_panics() {
    demo().await.set_meeting_uuid("99999999999", "/x//y==");
}

#[test]
fn participants_get_distinct_uuids_unless_told_not_to() {
    let (a, b) = (ana(), ana());
    assert!(a.participant_uuid.is_some());
    assert_ne!(a.participant_uuid, b.participant_uuid);
    let bare = a.clone().without_uuid();
    assert_eq!(bare.participant_uuid, None);
    assert_eq!((bare.user_id, bare.user_name), (a.user_id, a.user_name));
}

#[tokio::test]
async fn chosen_deliveries_can_be_dropped_and_the_meeting_still_ends() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Perdidos").await;
    let receiver = Receiver::start(StatusCode::OK).await;
    let ana = Participant::new("16778240", "Ana Alumna", "").with_customer_key("lms-ana");
    let ana_phone = ana.on_another_device("16778250");
    let line = Participant::phone("16778260", "+54 11 5555 0000");
    let lifecycle = Lifecycle {
        sessions: vec![
            Session::new(&ana, minutes(0), minutes(20)),
            Session::new(&ana_phone, minutes(10), minutes(30)),
            Session::new(&line, minutes(5), minutes(15)),
        ],
        duration: minutes(30),
        with_recording: false,
    };
    // Zoom gave up on Ana's phone leaving and on the end of the meeting.
    let dropped = |e: &Value| {
        let participant = &e["payload"]["object"]["participant"];
        (e["event"] == "meeting.participant_left" && participant["user_id"] == "16778250")
            || e["event"] == "meeting.ended"
    };
    let statuses = zoom
        .emit_lifecycle_filtered(&id.to_string(), &lifecycle, &receiver.url, SECRET, |e| {
            !dropped(e)
        })
        .await
        .unwrap();
    assert_eq!(
        statuses,
        [
            Some(200),
            Some(200),
            Some(200),
            Some(200),
            Some(200),
            Some(200),
            None,
            None
        ]
    );
    let received: Vec<Value> = receiver
        .received()
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .collect();
    assert_eq!(received.len(), 6);
    assert!(!received.iter().any(dropped));
    let keys: Vec<(&str, &Value)> = received
        .iter()
        .filter(|e| e["event"] != "meeting.started")
        .map(|e| {
            let p = &e["payload"]["object"]["participant"];
            (p["user_id"].as_str().unwrap(), &p["customer_key"])
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("16778240", &json!("lms-ana")),
            ("16778260", &Value::Null),
            ("16778250", &json!("lms-ana")),
            ("16778260", &Value::Null),
            ("16778240", &json!("lms-ana")),
        ]
    );
    let phone = &received[2]["payload"]["object"]["participant"];
    assert_eq!(
        (&phone["user_name"], &phone["email"]),
        (&json!("+54 11 5555 0000"), &json!(""))
    );
    assert_ne!(
        received[3]["payload"]["object"]["participant"]["participant_uuid"],
        received[1]["payload"]["object"]["participant"]["participant_uuid"],
        "another device, another participant"
    );
    // The report has every stay, the undelivered ones included.
    let (status, report) = get(
        &zoom,
        &token,
        &format!("/report/meetings/{id}/participants"),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["total_records"], 3);
}
