//! `GET /report/meetings/{meetingId}/participants`: rows per join segment
//! of an ended instance, Zoom's fields, paging, UUIDs, and its errors.

mod common;

use std::time::Duration;

use common::{create_meeting, demo, demo_token, get, post, token};
use serde_json::{Value, json};
use zoom_emulator::{
    Account, DEMO_SCOPES, Emulator, EmulatorConfig, Endpoint, Lifecycle, Participant, Session, User,
};

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn not_ended() -> (u16, Value) {
    (
        404,
        json!({"code": 3001, "message": "Meeting ID is invalid or not end."}),
    )
}

/// Ana (customer key, then again from her phone), Ben (twice, with a gap),
/// a phone line, and the host signed in; 60 minutes.
fn class() -> Lifecycle {
    let ana = Participant::new("16778240", "Ana Alumna", "").with_customer_key("lms-ana");
    let ana_phone = ana.on_another_device("16778250");
    let ben = Participant::new("16778241", "Ben Becario", "").with_customer_key("lms-ben");
    let line = Participant::phone("16778260", "+54 11 5555 0000");
    let host = Participant::new("16778200", "Demo Teacher", "teacher@example.com")
        .signed_in("demo-teacher");
    Lifecycle {
        sessions: vec![
            Session::new(&host, minutes(0), minutes(60)),
            Session::new(&ana, minutes(1), minutes(30)),
            Session::new(&ana_phone, minutes(20), minutes(50)),
            Session::new(&ben, minutes(2), minutes(10)),
            Session::new(&ben, minutes(25), minutes(60)),
            Session::new(&line, minutes(5), minutes(15)),
        ],
        duration: minutes(60),
        with_recording: false,
    }
}

fn rows(body: &Value) -> &Vec<Value> {
    body["participants"].as_array().unwrap()
}

#[tokio::test]
async fn an_ended_meeting_lists_each_stay_with_zooms_fields() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Historia").await;
    let path = format!("/report/meetings/{id}/participants");
    assert_eq!(
        get(&zoom, &token, &path).await,
        not_ended(),
        "not ended yet"
    );

    let events = zoom.lifecycle_events(&id.to_string(), &class());
    let keys: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "meeting.participant_joined")
        .map(|e| &e["payload"]["object"]["participant"]["customer_key"])
        .collect();
    assert_eq!(
        keys.iter().filter(|k| **k == "lms-ana").count(),
        2,
        "both of Ana's devices carry her key"
    );
    assert_eq!(
        keys.iter().filter(|k| k.is_null()).count(),
        2,
        "host and phone"
    );

    let (status, body) = get(&zoom, &token, &format!("{path}?page_size=300")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total_records"], 6);
    assert_eq!(body["page_size"], 300);
    assert_eq!(body["page_count"], 1);
    assert_eq!(body["next_page_token"], "");
    let rows = rows(&body);
    let joins: Vec<&str> = rows
        .iter()
        .map(|r| r["join_time"].as_str().unwrap())
        .collect();
    assert!(joins.is_sorted(), "by join time: {joins:?}");
    assert_eq!(
        rows[1],
        json!({
            "id": "", "user_id": "16778240", "participant_user_id": "", "name": "Ana Alumna",
            "user_email": "", "join_time": "2030-05-01T15:01:00Z", "leave_time": "2030-05-01T15:30:00Z",
            "duration": 29 * 60, "failover": false, "status": "in_meeting",
            "customer_key": "lms-ana", "bo_mtg_id": "",
        })
    );
    assert_eq!(rows[0]["id"], "demo-teacher", "signed in: not a guest");
    assert_eq!(rows[0]["participant_user_id"], "demo-teacher");
    let line = rows.iter().find(|r| r["user_id"] == "16778260").unwrap();
    assert_eq!(
        (
            &line["customer_key"],
            &line["user_email"],
            &line["duration"]
        ),
        (&json!(""), &json!(""), &json!(600))
    );
    let ben: Vec<i64> = rows
        .iter()
        .filter(|r| r["customer_key"] == "lms-ben")
        .map(|r| r["duration"].as_i64().unwrap())
        .collect();
    assert_eq!(ben, [8 * 60, 35 * 60], "a row per stay");
    assert!(rows.iter().all(|r| r.get("registrant_id").is_none()));
    let (_, with) = get(
        &zoom,
        &token,
        &format!("{path}?include_fields=registrant_id"),
    )
    .await;
    assert!(self::rows(&with).iter().all(|r| r["registrant_id"] == ""));
}

#[tokio::test]
async fn pages_of_30_by_default_at_most_300_with_opaque_tokens() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Grande").await;
    let people: Vec<Participant> = (0..320)
        .map(|n| Participant::new(format!("{}", 16_000_000 + n), format!("P{n}"), ""))
        .collect();
    let lifecycle = Lifecycle {
        sessions: people
            .iter()
            .map(|p| Session::new(p, minutes(1), minutes(40)))
            .collect(),
        duration: minutes(45),
        with_recording: false,
    };
    zoom.lifecycle_events(&id.to_string(), &lifecycle);
    let path = format!("/report/meetings/{id}/participants");

    let (_, first) = get(&zoom, &token, &path).await;
    assert_eq!(
        (first["page_size"].clone(), rows(&first).len()),
        (json!(30), 30)
    );
    assert_eq!(first["page_count"], 11);
    let (_, big) = get(&zoom, &token, &format!("{path}?page_size=1000")).await;
    assert_eq!(
        (big["page_size"].clone(), rows(&big).len()),
        (json!(300), 300)
    );
    let next = big["next_page_token"].as_str().unwrap();
    assert!(!next.is_empty());
    let (status, rest) = get(
        &zoom,
        &token,
        &format!("{path}?page_size=300&next_page_token={next}"),
    )
    .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rows(&rest).len(), 20);
    assert_eq!(rest["next_page_token"], "");
    let mut names: Vec<&str> = rows(&big)
        .iter()
        .chain(rows(&rest))
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 320, "every row once");

    let (status, body) = get(&zoom, &token, &format!("{path}?next_page_token=made-up")).await;
    assert_eq!((status, body["code"].clone()), (400, json!(300)), "{body}");
    // A token of another meeting's report is no token for this one.
    let other = create_meeting(&zoom, &token, "Otra").await;
    zoom.lifecycle_events(&other.to_string(), &lifecycle);
    let (status, _) = get(
        &zoom,
        &token,
        &format!("/report/meetings/{other}/participants?next_page_token={next}"),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_id_answers_the_latest_instance_a_uuid_its_own_double_encoded() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Latín").await;
    let ana = Participant::new("1", "Ana", "");
    let once = |m| Lifecycle {
        sessions: vec![Session::new(&ana, minutes(0), minutes(m))],
        duration: minutes(m),
        with_recording: false,
    };
    let first_uuid = "/ab//cdEFgh+ijKLmn12==";
    zoom.set_meeting_uuid(&id.to_string(), first_uuid);
    zoom.lifecycle_events(&id.to_string(), &once(10));
    zoom.set_meeting_uuid(&id.to_string(), "plainUuid+xyz==");
    zoom.lifecycle_events(&id.to_string(), &once(20));

    let duration = |body: Value| rows(&body)[0]["duration"].clone();
    let (_, latest) = get(
        &zoom,
        &token,
        &format!("/report/meetings/{id}/participants"),
    )
    .await;
    assert_eq!(duration(latest), 1200);
    let double = "%252Fab%252F%252FcdEFgh%252BijKLmn12%253D%253D";
    let (status, first) = get(
        &zoom,
        &token,
        &format!("/report/meetings/{double}/participants"),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(duration(first), 600);
    let (_, plain) = get(
        &zoom,
        &token,
        "/report/meetings/plainUuid%2Bxyz%3D%3D/participants",
    )
    .await;
    assert_eq!(duration(plain), 1200);
    // Encoded once, a UUID with slashes is not found (as on Zoom).
    let single = "%2Fab%2F%2FcdEFgh%2BijKLmn12%3D%3D";
    assert_eq!(
        get(
            &zoom,
            &token,
            &format!("/report/meetings/{single}/participants")
        )
        .await,
        not_ended()
    );
}

#[tokio::test]
async fn a_withheld_report_answers_as_not_ended() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &token, "Pronto").await;
    zoom.withhold_report(&id.to_string(), true);
    zoom.lifecycle_events(&id.to_string(), &class());
    let path = format!("/report/meetings/{id}/participants");
    assert_eq!(get(&zoom, &token, &path).await, not_ended());
    zoom.withhold_report(&id.to_string(), false);
    assert_eq!(get(&zoom, &token, &path).await.0, 200);
    assert_eq!(zoom.count(Endpoint::ParticipantsReport), 2);
}

#[tokio::test]
async fn a_basic_host_gets_zooms_paid_only_answer() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, meeting) = post(
        &zoom,
        &token,
        "/users/basic@example.com/meetings",
        json!({"topic": "Gratis", "type": 2, "start_time": "2030-05-01T15:00:00Z", "duration": 30}),
    )
    .await;
    assert_eq!(status, 201);
    let id = meeting["id"].as_u64().unwrap();
    let expected = (
        400,
        json!({"code": 200, "message": "Only available for Paid account"}),
    );
    let path = format!("/report/meetings/{id}/participants");
    assert_eq!(get(&zoom, &token, &path).await, expected, "before the end");
    zoom.lifecycle_events(&id.to_string(), &class());
    assert_eq!(get(&zoom, &token, &path).await, expected, "after it");
}

async fn with_scopes(scopes: &[&str]) -> (Emulator, String) {
    let account = Account::new("acc-r", "client-r", "secret-r")
        .with_scopes(scopes)
        .with_user(User::licensed("host-r", "teacher@example.com"));
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let token = token(&zoom, "client-r", "secret-r", "acc-r").await;
    (zoom, token)
}

#[tokio::test]
async fn the_report_scope_granular_or_classic() {
    let without: Vec<&str> = DEMO_SCOPES
        .iter()
        .copied()
        .filter(|s| !s.starts_with("report:"))
        .collect();
    let (zoom, token) = with_scopes(&without).await;
    assert_eq!(
        get(&zoom, &token, "/report/meetings/81234567890/participants").await,
        (
            400,
            json!({"code": 4711, "message":
                "Invalid access token, does not contain scopes:[report:read:list_meeting_participants:admin]."})
        )
    );
    for scope in [
        "report:read:admin",
        "report:read:list_meeting_participants:admin",
    ] {
        let (zoom, token) = with_scopes(&["meeting:write:meeting:admin", scope]).await;
        let id = create_meeting(&zoom, &token, "Con scope").await;
        zoom.lifecycle_events(&id.to_string(), &class());
        let (status, body) = get(
            &zoom,
            &token,
            &format!("/report/meetings/{id}/participants"),
        )
        .await;
        assert_eq!(status, 200, "{scope}: {body}");
    }
}
