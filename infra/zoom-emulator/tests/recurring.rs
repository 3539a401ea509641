//! Recurring meetings with a fixed time (`type: 8`, ZOOM-2.md D): the
//! occurrences a `recurrence` makes, one occurrence read, moved and deleted,
//! validation, the daily limit, and each occurrence's own instance in the
//! lifecycle webhooks, recordings and participant report.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, Utc};
use common::receiver::Receiver;
use common::{delete, demo, demo_token, get, patch, post};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use zoom_emulator::{DAILY_CREATE_UPDATE_LIMIT, Emulator, Lifecycle, Participant, Session};

const SECRET: &str = "recurring-secret-token";
const CREATE: &str = "/users/teacher@example.com/meetings";
/// A Tuesday.
const FIRST: &str = "2030-01-01T15:00:00Z";

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn zoom_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Tuesdays and Thursdays at 15:00 UTC, 24 times, 50 minutes.
fn tue_thu() -> Value {
    json!({
        "topic": "Álgebra (martes y jueves)",
        "type": 8,
        "start_time": FIRST,
        "duration": 50,
        "timezone": "UTC",
        "agenda": "Serie",
        "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "3,5", "end_times": 24},
    })
}

/// The 24 starts of [`tue_thu`], computed here: week w's Tuesday and Thursday.
fn tue_thu_starts() -> Vec<DateTime<Utc>> {
    let first = time(FIRST);
    (0..12)
        .flat_map(|week| {
            let tuesday = first + chrono::Duration::days(7 * week);
            [tuesday, tuesday + chrono::Duration::days(2)]
        })
        .collect()
}

async fn create_series(zoom: &Emulator, token: &str) -> (String, Value) {
    let (status, body) = post(zoom, token, CREATE, tue_thu()).await;
    assert_eq!(status, 201, "{body}");
    (body["id"].as_u64().expect("numeric id").to_string(), body)
}

fn occurrence_ids(occurrences: &Value) -> Vec<String> {
    occurrences
        .as_array()
        .expect("occurrences array")
        .iter()
        .map(|o| o["occurrence_id"].as_str().expect("string id").to_owned())
        .collect()
}

fn double_encoded(uuid: &str) -> String {
    let once = utf8_percent_encode(uuid, NON_ALPHANUMERIC).to_string();
    utf8_percent_encode(&once, NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn a_weekly_tue_thu_series_lists_24_occurrences() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (id, created) = create_series(&zoom, &token).await;
    let starts = tue_thu_starts();
    let expected: Vec<Value> = starts
        .iter()
        .map(|at| {
            json!({
                "occurrence_id": at.timestamp_millis().to_string(),
                "start_time": zoom_time(*at),
                "duration": 50,
                "status": "available",
            })
        })
        .collect();
    assert_eq!(created["type"], 8);
    assert_eq!(created["occurrences"], json!(expected));
    assert_eq!(
        created["recurrence"],
        json!({"type": 2, "repeat_interval": 1, "weekly_days": "3,5", "end_times": 24})
    );
    assert_eq!(created["start_time"], FIRST);
    assert_eq!(
        occurrence_ids(&created["occurrences"])[..3],
        ["1893510000000", "1893682800000", "1894114800000"]
    );

    let (status, got) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["occurrences"], json!(expected));
    assert_eq!(got["recurrence"], created["recurrence"]);
    assert_eq!(zoom.occurrences(&id), expected);

    // Wednesday start: the series begins on the Thursday.
    let mut body = tue_thu();
    body["start_time"] = json!("2030-01-02T15:00:00Z");
    body["recurrence"]["end_times"] = json!(3);
    let (status, later) = post(&zoom, &token, CREATE, body).await;
    assert_eq!(status, 201, "{later}");
    assert_eq!(later["start_time"], "2030-01-03T15:00:00Z");
    let listed: Vec<&Value> = later["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["start_time"])
        .collect();
    assert_eq!(
        listed,
        [
            "2030-01-03T15:00:00Z",
            "2030-01-08T15:00:00Z",
            "2030-01-10T15:00:00Z"
        ]
    );

    // A scheduled meeting has neither.
    let (_, plain) = post(
        &zoom,
        &token,
        CREATE,
        json!({"type": 2, "start_time": FIRST}),
    )
    .await;
    assert!(plain.get("occurrences").is_none() && plain.get("recurrence").is_none());
}

#[tokio::test]
async fn one_occurrence_is_read_and_moved_alone() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (id, created) = create_series(&zoom, &token).await;
    let ids = occurrence_ids(&created["occurrences"]);
    let third = &ids[2];

    let (status, one) = get(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={third}"),
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["id"], created["id"]);
    assert_eq!(one["start_time"], "2030-01-08T15:00:00Z");
    assert_eq!(one["duration"], 50);

    let (status, body) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={third}"),
        json!({"start_time": "2030-01-09T16:30:00Z", "duration": 30, "agenda": "Movida", "settings": {"waiting_room": true}}),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));

    let (_, one) = get(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={third}"),
    )
    .await;
    assert_eq!(one["start_time"], "2030-01-09T16:30:00Z");
    assert_eq!(one["duration"], 30);
    assert_eq!(one["agenda"], "Movida");
    assert_eq!(one["settings"]["waiting_room"], true);
    let (_, series) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(series["start_time"], FIRST);
    assert_eq!(series["duration"], 50);
    assert_eq!(series["agenda"], "Serie");
    assert_eq!(series["settings"]["waiting_room"], false);
    let mut expected = created["occurrences"].clone();
    expected[2]["start_time"] = json!("2030-01-09T16:30:00Z");
    expected[2]["duration"] = json!(30);
    assert_eq!(
        series["occurrences"], expected,
        "only the third moved, id kept"
    );

    // Only the listed fields may change one occurrence.
    for (body, field) in [
        (json!({"topic": "Otro"}), "topic"),
        (
            json!({"settings": {"approval_type": 0}}),
            "settings.approval_type",
        ),
        (json!({"duration": -5}), "duration"),
    ] {
        let (status, answer) = patch(
            &zoom,
            &token,
            &format!("/meetings/{id}?occurrence_id={third}"),
            body,
        )
        .await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["code"], 300);
        assert_eq!(answer["errors"][0]["field"], field);
    }
    let (status, answer) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id=1893510000001"),
        json!({"duration": 10}),
    )
    .await;
    assert_eq!((status, answer["code"].clone()), (404, json!(3001)));
    let (status, _) = get(&zoom, &token, &format!("/meetings/{id}?occurrence_id=123")).await;
    assert_eq!(status, 404);
    assert_eq!(zoom.occurrences(&id), expected.as_array().unwrap().clone());
}

#[tokio::test]
async fn deleting_one_occurrence_marks_only_it() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (id, created) = create_series(&zoom, &token).await;
    let ids = occurrence_ids(&created["occurrences"]);
    let (status, body) = delete(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={}", ids[5]),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));

    let (status, series) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(status, 200);
    let statuses: Vec<&str> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    let mut expected = vec!["available"; 24];
    expected[5] = "deleted";
    assert_eq!(statuses, expected);
    assert_eq!(occurrence_ids(&series["occurrences"]), ids);

    // Deleted once: a second delete or a PATCH finds nothing.
    let path = format!("/meetings/{id}?occurrence_id={}", ids[5]);
    assert_eq!(delete(&zoom, &token, &path).await.0, 404);
    assert_eq!(
        patch(&zoom, &token, &path, json!({"duration": 5})).await.0,
        404
    );

    // Without occurrence_id the whole meeting goes.
    assert_eq!(
        delete(&zoom, &token, &format!("/meetings/{id}")).await.0,
        204
    );
    assert_eq!(get(&zoom, &token, &format!("/meetings/{id}")).await.0, 404);
    assert!(zoom.occurrences(&id).is_empty());
}

#[tokio::test]
async fn past_occurrences_are_listed_only_when_asked() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let start = Utc::now().trunc_subsecs(0) - chrono::Duration::days(3);
    let (status, created) = post(
        &zoom,
        &token,
        CREATE,
        json!({"type": 8, "start_time": zoom_time(start), "duration": 60,
               "recurrence": {"type": 1, "end_times": 6}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_u64().unwrap();
    let all = occurrence_ids(&created["occurrences"]);
    assert_eq!(all.len(), 6);

    let (_, upcoming) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(occurrence_ids(&upcoming["occurrences"]), all[3..]);
    let (_, every) = get(
        &zoom,
        &token,
        &format!("/meetings/{id}?show_previous_occurrences=true"),
    )
    .await;
    assert_eq!(occurrence_ids(&every["occurrences"]), all);
}

#[tokio::test]
async fn series_patches_change_every_occurrence_and_start_needs_recurrence() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (id, created) = create_series(&zoom, &token).await;
    let third = occurrence_ids(&created["occurrences"])[2].clone();
    patch(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={third}"),
        json!({"duration": 20}),
    )
    .await;

    let (status, _) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}"),
        json!({"topic": "Nuevo", "duration": 55}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, series) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(series["topic"], "Nuevo");
    let durations: Vec<i64> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["duration"].as_i64().unwrap())
        .collect();
    let mut expected = vec![55; 24];
    expected[2] = 20;
    assert_eq!(durations, expected, "the occurrence's own duration stays");

    let (status, answer) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}"),
        json!({"start_time": "2030-02-04T09:00:00Z"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "recurrence");

    let (status, _) = patch(
        &zoom,
        &token,
        &format!("/meetings/{id}"),
        json!({"start_time": "2030-02-04T09:00:00Z", "recurrence": {"type": 1, "repeat_interval": 2, "end_times": 3}}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, series) = get(&zoom, &token, &format!("/meetings/{id}")).await;
    assert_eq!(series["start_time"], "2030-02-04T09:00:00Z");
    let starts: Vec<&Value> = series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["start_time"])
        .collect();
    assert_eq!(
        starts,
        [
            "2030-02-04T09:00:00Z",
            "2030-02-06T09:00:00Z",
            "2030-02-08T09:00:00Z"
        ]
    );
    assert_eq!(
        series["recurrence"],
        json!({"type": 1, "repeat_interval": 2, "end_times": 3})
    );
}

#[tokio::test]
async fn invalid_recurrences_are_refused_as_zoom_does() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let with = |recurrence: Value| {
        let mut body = tue_thu();
        body["recurrence"] = recurrence;
        body
    };
    let mut without_start = tue_thu();
    without_start.as_object_mut().unwrap().remove("start_time");
    let mut without_recurrence = tue_thu();
    without_recurrence
        .as_object_mut()
        .unwrap()
        .remove("recurrence");
    let cases = [
        (without_recurrence, "recurrence"),
        (without_start, "start_time"),
        (with(json!("weekly")), "recurrence"),
        (with(json!({"type": 5, "end_times": 2})), "recurrence.type"),
        (
            with(json!({"type": 2, "end_times": 2})),
            "recurrence.weekly_days",
        ),
        (
            with(json!({"type": 2, "weekly_days": "3,8", "end_times": 2})),
            "recurrence.weekly_days",
        ),
        (
            with(json!({"type": 1, "repeat_interval": 91, "end_times": 2})),
            "recurrence.repeat_interval",
        ),
        (
            with(json!({"type": 2, "repeat_interval": 13, "weekly_days": "3", "end_times": 2})),
            "recurrence.repeat_interval",
        ),
        (
            with(json!({"type": 3, "repeat_interval": 4, "monthly_day": 1, "end_times": 2})),
            "recurrence.repeat_interval",
        ),
        (
            with(json!({"type": 3, "monthly_day": 0, "end_times": 2})),
            "recurrence.monthly_day",
        ),
        (
            with(json!({"type": 3, "monthly_week": 2, "monthly_week_day": 3, "end_times": 2})),
            "recurrence.monthly_week",
        ),
        (
            with(json!({"type": 1, "end_times": 51})),
            "recurrence.end_times",
        ),
        (
            with(json!({"type": 1, "end_times": 2, "end_date_time": "2030-03-01T00:00:00Z"})),
            "recurrence.end_date_time",
        ),
        (
            with(json!({"type": 1, "end_date_time": "2029-12-01T00:00:00Z"})),
            "recurrence.end_date_time",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&zoom, &token, CREATE, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(
            answer,
            json!({"code": 300, "message": "Validation Failed.",
                   "errors": [{"field": field, "message": "Invalid field."}]}),
            "{body}"
        );
    }
    assert_eq!(zoom.meeting_count(), 0);

    // The limits themselves pass: 50 occurrences, 12 weeks, 90 days, 3 months.
    for recurrence in [
        json!({"type": 1, "repeat_interval": 90, "end_times": 50}),
        json!({"type": 2, "repeat_interval": 12, "weekly_days": "1,7", "end_times": 3}),
        json!({"type": 3, "repeat_interval": 3, "monthly_day": 31, "end_times": 2}),
        json!({"type": 1, "end_date_time": "2030-01-05T15:00:00Z"}),
    ] {
        let (status, answer) = post(&zoom, &token, CREATE, with(recurrence.clone())).await;
        assert_eq!(status, 201, "{recurrence}: {answer}");
    }
    let fifty = zoom.occurrences(&zoom.meeting_ids()[0]);
    assert_eq!(fifty.len(), 50);
    let by_date = zoom.occurrences(&zoom.meeting_ids()[3]);
    assert_eq!(by_date.len(), 5, "1–5 January, the end date included");
}

#[tokio::test]
async fn a_recurring_create_counts_once_toward_the_daily_limit() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    create_series(&zoom, &token).await;
    for n in 1..DAILY_CREATE_UPDATE_LIMIT {
        let (status, body) = post(
            &zoom,
            &token,
            CREATE,
            json!({"type": 2, "start_time": FIRST}),
        )
        .await;
        assert_eq!(status, 201, "create {n}: {body}");
    }
    let (status, body) = post(&zoom, &token, CREATE, tue_thu()).await;
    assert_eq!((status, body["code"].clone()), (429, json!(429)));
}

fn ana() -> Participant {
    Participant::new("16778240", "Ana Alumna", "ana@example.com")
}

fn lifecycle() -> Lifecycle {
    Lifecycle {
        sessions: vec![Session::new(
            &ana(),
            Duration::from_secs(60),
            Duration::from_secs(1800),
        )],
        duration: Duration::from_secs(2400),
        with_recording: true,
    }
}

/// Every key path of `value` named `occurrence_id`.
fn mentions_occurrence_id(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k == "occurrence_id" || mentions_occurrence_id(v)),
        Value::Array(items) => items.iter().any(mentions_occurrence_id),
        _ => false,
    }
}

#[tokio::test]
async fn each_occurrence_starts_as_its_own_instance() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (id, created) = create_series(&zoom, &token).await;
    let ids = occurrence_ids(&created["occurrences"]);
    let (first, second) = (&ids[0], &ids[1]);
    // The second is moved first: its lifecycle follows the move.
    patch(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={second}"),
        json!({"start_time": "2030-01-03T17:00:00Z"}),
    )
    .await;

    let receiver = Receiver::start(StatusCode::OK).await;
    let mut uuids = Vec::new();
    for (occurrence, start) in [(first, FIRST), (second, "2030-01-03T17:00:00Z")] {
        let before = receiver.received().len();
        let statuses = zoom
            .emit_occurrence_lifecycle(&id, occurrence, &lifecycle(), &receiver.url, SECRET)
            .await
            .expect("delivered");
        assert_eq!(statuses, [200; 5]);
        let events: Vec<Value> = receiver.received()[before..]
            .iter()
            .map(|(_, body)| serde_json::from_slice(body).unwrap())
            .collect();
        let names: Vec<&str> = events
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "meeting.started",
                "meeting.participant_joined",
                "meeting.participant_left",
                "meeting.ended",
                "recording.completed"
            ]
        );
        let uuid = events[0]["payload"]["object"]["uuid"]
            .as_str()
            .unwrap()
            .to_owned();
        for event in &events {
            let object = &event["payload"]["object"];
            assert_eq!(object["uuid"], uuid.as_str(), "{}", event["event"]);
            assert_eq!(object["start_time"], start, "{}", event["event"]);
            assert_eq!(object["type"], 8);
            assert_eq!(object["id"].to_string().trim_matches('"'), id);
            assert!(!mentions_occurrence_id(event), "{event}");
        }
        assert_eq!(events[0]["event_ts"], time(start).timestamp_millis());
        assert_eq!(events[0]["payload"]["object"]["duration"], 50);
        assert_eq!(events[4]["payload"]["object"]["id"], created["id"]);

        // The recording and the report are that instance's.
        let path = double_encoded(&uuid);
        let (status, recording) = get(&zoom, &token, &format!("/meetings/{path}/recordings")).await;
        assert_eq!(status, 200, "{recording}");
        assert_eq!(
            (&recording["uuid"], &recording["start_time"]),
            (&json!(uuid), &json!(start))
        );
        let (status, report) = get(
            &zoom,
            &token,
            &format!("/report/meetings/{path}/participants"),
        )
        .await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(report["participants"][0]["name"], "Ana Alumna");
        uuids.push(uuid);
    }
    assert_ne!(uuids[0], uuids[1]);
    assert!(!uuids.contains(&created["uuid"].as_str().unwrap().to_owned()));
    // The numeric id answers the latest instance.
    let (_, latest) = get(&zoom, &token, &format!("/meetings/{id}/recordings")).await;
    assert_eq!(latest["uuid"], uuids[1].as_str());
    // An occurrence keeps its instance.
    let again = zoom.occurrence_instance(&id, first).unwrap();
    assert_eq!(again.uuid, uuids[0]);
    assert_eq!(again.start_time, time(FIRST));

    // A seeded recording of a third occurrence takes its own instance.
    let third = &ids[2];
    zoom.set_occurrence_uuid(&id, third, "/thi//rd+occurrence==");
    zoom.add_occurrence_recording(&id, third, json!([{"file_type": "MP4"}]));
    let (status, seeded) = get(
        &zoom,
        &token,
        &format!(
            "/meetings/{}/recordings",
            double_encoded("/thi//rd+occurrence==")
        ),
    )
    .await;
    assert_eq!(status, 200, "{seeded}");
    assert_eq!(seeded["start_time"], "2030-01-08T15:00:00Z");
    assert_eq!(seeded["duration"], 50);

    // A deleted occurrence has no instance.
    delete(
        &zoom,
        &token,
        &format!("/meetings/{id}?occurrence_id={}", ids[3]),
    )
    .await;
    assert!(zoom.occurrence_instance(&id, &ids[3]).is_none());
    let distinct: HashSet<&String> = uuids.iter().collect();
    assert_eq!(distinct.len(), 2);
}
