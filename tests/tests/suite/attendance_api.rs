//! Attendance per LMS user through `lms-zoom-local`, on both stores: Zoom's
//! participant events carry the Meeting SDK's customer key; one item per
//! person (a second device, a rejoin), overlapping sessions counted once, a
//! phone participant with `lmsUserId: null`, redeliveries changing nothing;
//! the course view over the meetings of one `externalRef`, and both as CSV
//! read back with a CSV reader.

use std::collections::BTreeMap;

use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets, Recorder, webhook};
use lms_zoom_tests::{Backend, TestServer, on_both_stores};
use serde_json::{Value, json};

struct Course {
    server: TestServer,
    rec: Recorder,
    license_id: String,
    secret: String,
    meetings: Vec<(String, String)>,
}

async fn course(kind: StoreKind) -> Course {
    let server = TestServer::start(Backend::of(kind)).await;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("att");
    let license = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses?verify=false"))
                .json(&secrets.body("A", 2)),
        )
        .await;
    let license_id = license.id("licenseId");
    let mut meetings = Vec::new();
    for start in ["2031-03-03T10:00:00Z", "2031-03-05T10:00:00Z"] {
        let created = rec
            .send(
                server
                    .http
                    .post(server.url("/v1/academies/a1/meetings"))
                    .json(&json!({
                        "topic": "Álgebra", "startTime": start, "durationMinutes": 60,
                        "licenseId": license_id, "externalRef": "course-42"
                    })),
            )
            .await;
        meetings.push((created.id("meetingId"), created.id("zoomMeetingId")));
    }
    Course {
        server,
        rec,
        license_id,
        secret: secrets.webhook_secret,
        meetings,
    }
}

/// A participant event as Zoom sends it, with the SDK's customer key.
fn presence(zoom_id: &str, joined: bool, who: &Who, at: &str) -> Vec<u8> {
    let (event, field) = if joined {
        ("meeting.participant_joined", "join_time")
    } else {
        ("meeting.participant_left", "leave_time")
    };
    let mut participant = json!({"user_id": who.device, "user_name": who.name,
        "participant_uuid": who.device, "email": ""});
    participant[field] = json!(at);
    if let Some(key) = who.key {
        participant["customer_key"] = json!(key);
    }
    serde_json::to_vec(&json!({"event": event, "event_ts": 1_900_000_000_000i64,
        "payload": {"account_id": "a", "object": {"id": zoom_id, "uuid": "U==", "participant": participant}}}))
    .unwrap()
}

struct Who {
    key: Option<&'static str>,
    name: &'static str,
    device: &'static str,
}

const ANA_LAPTOP: Who = Who {
    key: Some("lms-ana"),
    name: "Ana Pérez",
    device: "PA-1",
};
const ANA_PHONE: Who = Who {
    key: Some("lms-ana"),
    name: "Ana (móvil)",
    device: "PA-2",
};
const BOB: Who = Who {
    key: Some("lms-bob"),
    name: "Bob, Jr.",
    device: "PB-1",
};
const DIAL_IN: Who = Who {
    key: None,
    name: "+54 11 5555",
    device: "PP-1",
};

impl Course {
    async fn deliver(&self, zoom_id: &str, joined: bool, who: &Who, at: &str) {
        let body = presence(zoom_id, joined, who, at);
        let answer = self
            .rec
            .send(webhook(&self.server, &self.license_id, &self.secret, &body))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }

    async fn session(&self, zoom_id: &str, who: &Who, from: &str, to: &str) {
        self.deliver(zoom_id, true, who, from).await;
        self.deliver(zoom_id, false, who, to).await;
    }

    async fn attendance(&self, meeting_id: &str) -> Value {
        let url = format!("/v1/academies/a1/meetings/{meeting_id}/attendance");
        self.rec
            .send(self.server.http.get(self.server.url(&url)))
            .await
            .ok(200)
            .clone()
    }

    async fn csv(&self, path: &str) -> Vec<BTreeMap<String, String>> {
        let answer = self
            .rec
            .send(
                self.server
                    .http
                    .get(self.server.url(path))
                    .header("accept", "text/csv"),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(
            answer.content_type().starts_with("text/csv"),
            "{}",
            answer.content_type()
        );
        let mut reader = csv::Reader::from_reader(answer.text.as_bytes());
        let header = reader.headers().unwrap().clone();
        reader
            .records()
            .map(|row| {
                let row = row.unwrap();
                header
                    .iter()
                    .zip(row.iter())
                    .map(|(h, v)| (h.to_owned(), v.to_owned()))
                    .collect()
            })
            .collect()
    }
}

fn item<'a>(items: &'a [Value], lms_user: Option<&str>) -> &'a Value {
    items
        .iter()
        .find(|i| i["lmsUserId"].as_str() == lms_user)
        .unwrap_or_else(|| panic!("no item for {lms_user:?}: {items:?}"))
}

async fn one_item_per_person_with_overlaps_counted_once(kind: StoreKind) {
    let c = course(kind).await;
    let (first, zoom1) = c.meetings[0].clone();
    // Ana: a laptop 10:00–10:40 and a phone 10:30–10:50 → 50 minutes.
    c.session(
        &zoom1,
        &ANA_LAPTOP,
        "2031-03-03T10:00:00Z",
        "2031-03-03T10:40:00Z",
    )
    .await;
    c.session(
        &zoom1,
        &ANA_PHONE,
        "2031-03-03T10:30:00Z",
        "2031-03-03T10:50:00Z",
    )
    .await;
    // Bob: twice, with a gap → 20 + 15 minutes.
    c.session(&zoom1, &BOB, "2031-03-03T10:00:00Z", "2031-03-03T10:20:00Z")
        .await;
    c.session(&zoom1, &BOB, "2031-03-03T10:30:00Z", "2031-03-03T10:45:00Z")
        .await;
    // A phone participant: no customer key.
    c.session(
        &zoom1,
        &DIAL_IN,
        "2031-03-03T10:05:00Z",
        "2031-03-03T10:35:00Z",
    )
    .await;
    let view = c.attendance(&first).await;
    let items = view["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "{view}");
    assert_eq!(view["totalParticipants"], 3);
    assert_eq!(view["identifiedParticipants"], 2);
    assert_eq!(view["reconciledAt"], Value::Null);
    let ana = item(&items, Some("lms-ana"));
    assert_eq!(ana["durationSeconds"], 50 * 60);
    assert_eq!(ana["customerKey"], "lms-ana");
    assert_eq!(ana["attendedPercent"], 83, "of the scheduled hour");
    assert_eq!(
        ana["sessions"].as_array().unwrap().len(),
        1,
        "overlaps merged"
    );
    assert_eq!(ana["joinedAt"], "2031-03-03T10:00:00Z");
    assert_eq!(ana["leftAt"], "2031-03-03T10:50:00Z");
    let bob = item(&items, Some("lms-bob"));
    assert_eq!(bob["durationSeconds"], 35 * 60);
    assert_eq!(bob["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(bob["sources"], json!(["webhook"]));
    let phone = item(&items, None);
    assert_eq!(phone["durationSeconds"], 30 * 60);
    assert_eq!(phone["customerKey"], Value::Null);

    // The same events again: nothing changes.
    c.session(
        &zoom1,
        &ANA_PHONE,
        "2031-03-03T10:30:00Z",
        "2031-03-03T10:50:00Z",
    )
    .await;
    c.session(&zoom1, &BOB, "2031-03-03T10:00:00Z", "2031-03-03T10:20:00Z")
        .await;
    assert_eq!(c.attendance(&first).await, view);

    // CSV: one row per person, the same numbers.
    let rows = c
        .csv(&format!("/v1/academies/a1/meetings/{first}/attendance"))
        .await;
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let lms = Some(row["lmsUserId"].as_str()).filter(|v| !v.is_empty());
        let json = item(&items, lms);
        assert_eq!(
            row["durationSeconds"].parse::<i64>().unwrap(),
            json["durationSeconds"].as_i64().unwrap()
        );
        assert_eq!(row["name"], json["name"].as_str().unwrap());
    }
}

async fn the_course_view_sums_each_lms_user_over_its_meetings(kind: StoreKind) {
    let c = course(kind).await;
    let (first, zoom1) = c.meetings[0].clone();
    let (second, zoom2) = c.meetings[1].clone();
    c.session(
        &zoom1,
        &ANA_LAPTOP,
        "2031-03-03T10:00:00Z",
        "2031-03-03T11:00:00Z",
    )
    .await;
    c.session(&zoom1, &BOB, "2031-03-03T10:10:00Z", "2031-03-03T10:40:00Z")
        .await;
    c.session(
        &zoom2,
        &ANA_LAPTOP,
        "2031-03-05T10:00:00Z",
        "2031-03-05T10:45:00Z",
    )
    .await;
    c.session(
        &zoom2,
        &DIAL_IN,
        "2031-03-05T10:00:00Z",
        "2031-03-05T10:10:00Z",
    )
    .await;
    let path = "/v1/academies/a1/attendance?externalRef=course-42";
    let view = c
        .rec
        .send(c.server.http.get(c.server.url(path)))
        .await
        .ok(200)
        .clone();
    let meetings: Vec<&str> = view["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["meetingId"].as_str().unwrap())
        .collect();
    assert_eq!(meetings, [first.as_str(), second.as_str()]);
    let items = view["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "LMS users only: {view}");
    let ana = item(items, Some("lms-ana"));
    assert_eq!(
        (
            ana["meetingsAttended"].as_u64(),
            ana["meetingsTotal"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(ana["durationSeconds"], 105 * 60);
    let bob = item(items, Some("lms-bob"));
    assert_eq!(bob["meetingsAttended"], 1);
    assert_eq!(bob["meetings"][0]["attendedPercent"], 50);

    let rows = c.csv(path).await;
    assert_eq!(rows.len(), 3, "one row per LMS user × meeting attended");
    let mut per_user: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        *per_user.entry(row["lmsUserId"].clone()).or_default() +=
            row["durationSeconds"].parse::<i64>().unwrap();
    }
    assert_eq!(per_user["lms-ana"], 105 * 60);
    assert_eq!(per_user["lms-bob"], 30 * 60);
    let bob_row = rows.iter().find(|r| r["lmsUserId"] == "lms-bob").unwrap();
    assert_eq!(bob_row["name"], "Bob, Jr.", "a comma survives the CSV");

    let missing = c
        .rec
        .send(
            c.server
                .http
                .get(c.server.url("/v1/academies/a1/attendance")),
        )
        .await;
    missing.problem(422, "validation_failed");
}

on_both_stores!(
    one_item_per_person_with_overlaps_counted_once,
    the_course_view_sums_each_lms_user_over_its_meetings,
);
