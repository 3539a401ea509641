//! Class series through the HTTP API, on both stores, against the Zoom
//! emulator: one Zoom recurring meeting per series, every occurrence booked
//! whole (or nothing) and served as a meeting; one occurrence moved or
//! deleted touches only it in Zoom and frees only its slot; deleting the
//! series frees every slot; two occurrences' events land on their own
//! attendance and recordings; a series across a daylight-saving change
//! keeps its local time.

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{Recorder, new_license};
use lms_zoom_tests::lambda_host::eventually;
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::{Endpoint, Fault, FaultKind, Lifecycle, Participant, Session};

struct Api {
    server: TestServer,
    rec: Recorder,
    license_id: String,
    webhook_secret: String,
}

async fn api(kind: StoreKind) -> Api {
    let server = TestServer::start_with(Backend::of(kind), None, test_zoom()).await;
    let rec = Recorder::new();
    let (license_id, secrets) = new_license(&server, &rec, "serie", 1).await;
    Api {
        license_id,
        server,
        rec,
        webhook_secret: secrets.webhook_secret,
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().into()
}

fn weekly(license: &str, times: u32) -> Value {
    json!({
        "topic": "Álgebra I", "startTime": "2031-03-04T18:00:00-03:00", "durationMinutes": 90,
        "timezone": "America/Argentina/Buenos_Aires", "licenseId": license, "externalRef": "course-42",
        "recurrence": {"type": "weekly", "weeklyDays": ["tue", "thu"], "interval": 1, "endTimes": times}
    })
}

impl Api {
    /// A weekly series of `times` occurrences on the license: its view (201).
    async fn weekly_series(&self, times: u32) -> Value {
        let body = weekly(&self.license_id, times);
        self.post_series(&body, None).await.ok(201).clone()
    }

    async fn post_series(&self, body: &Value, key: Option<&str>) -> lms_zoom_tests::kit::Answer {
        let mut request = self
            .server
            .http
            .post(self.server.url("/v1/academies/a1/series"))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.rec.send(request).await
    }

    async fn get(&self, path: &str) -> Value {
        let url = self.server.url(&format!("/v1/academies/a1{path}"));
        self.rec
            .send(self.server.http.get(url))
            .await
            .ok(200)
            .clone()
    }

    /// `PATCH /v1/academies/a1{path}` with a JSON body.
    async fn patch(&self, path: &str, body: Value) -> lms_zoom_tests::kit::Answer {
        let url = self.server.url(&format!("/v1/academies/a1{path}"));
        self.rec.send(self.server.http.patch(url).json(&body)).await
    }

    /// `DELETE /v1/academies/a1{path}`: its status.
    async fn delete(&self, path: &str) -> u16 {
        let url = self.server.url(&format!("/v1/academies/a1{path}"));
        self.rec
            .send(self.server.http.delete(url))
            .await
            .status
            .as_u16()
    }

    /// A one-off meeting on the license at `start`: its status (201 or 409).
    async fn single(&self, start: &str, minutes: u32) -> u16 {
        let body = json!({"topic": "Suelta", "startTime": start, "durationMinutes": minutes,
                          "licenseId": self.license_id});
        let url = self.server.url("/v1/academies/a1/meetings");
        let answer = self.rec.send(self.server.http.post(url).json(&body)).await;
        let status = answer.status.as_u16();
        assert!(status == 201 || status == 409, "{}", answer.text);
        status
    }

    fn webhook_url(&self) -> String {
        self.server
            .url(&format!("/v1/webhooks/zoom/{}", self.license_id))
    }
}

fn occurrences(series: &Value) -> Vec<Value> {
    series["occurrences"].as_array().unwrap().clone()
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

async fn a_series_is_one_zoom_meeting_and_every_occurrence_a_meeting(kind: StoreKind) {
    let api = api(kind).await;
    let creates_before = api
        .server
        .zoom
        .count(zoom_emulator::Endpoint::CreateMeeting);
    let answer = api
        .post_series(&weekly(&api.license_id, 24), Some("serie-1"))
        .await;
    let series = answer.ok(201).clone();
    let zoom_id = text(&series["zoomMeetingId"]);
    let occ = occurrences(&series);
    assert_eq!(occ.len(), 24, "{series}");
    assert_eq!(
        api.server
            .zoom
            .count(zoom_emulator::Endpoint::CreateMeeting)
            - creates_before,
        1,
        "one Zoom create for the whole series"
    );
    assert_eq!(api.server.zoom.meeting_count(), 1);
    let in_zoom = api.server.zoom.occurrences(&zoom_id);
    assert_eq!(in_zoom.len(), 24);
    for (ours, theirs) in occ.iter().zip(&in_zoom) {
        assert_eq!(ours["occurrenceId"], theirs["occurrence_id"]);
        assert_eq!(ours["startTime"], theirs["start_time"]);
        assert_eq!(ours["status"], "scheduled");
    }
    assert_eq!(series["recurrence"]["endTimes"], 24);
    // Every occurrence is a meeting of the meetings routes.
    let list = api.get("/meetings?externalRef=course-42&limit=100").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 24);
    assert!(items.iter().all(|m| m["seriesId"] == series["seriesId"]
        && m["zoomMeetingId"] == series["zoomMeetingId"]
        && m["joinUrl"] == series["joinUrl"]));
    let fifth = text(&occ[4]["meetingId"]);
    let meeting = api.get(&format!("/meetings/{fifth}")).await;
    assert_eq!(meeting["occurrenceId"], occ[4]["occurrenceId"]);
    // Signed like any meeting: the series' number and passcode.
    let url = api
        .server
        .url(&format!("/v1/academies/a1/meetings/{fifth}/signature"));
    let signed = api
        .rec
        .send(api.server.http.post(url).json(&json!({"role": "attendee"})))
        .await;
    let signed = signed.ok(200);
    assert_eq!(
        signed["meetingNumber"].to_string().trim_matches('"'),
        zoom_id
    );
    // Every slot is held: a one-off meeting at the fifth class is refused.
    assert_eq!(api.single(&text(&occ[4]["startTime"]), 30).await, 409);
    // The same key and body: the first answer again, nothing new in Zoom.
    let again = api
        .post_series(&weekly(&api.license_id, 24), Some("serie-1"))
        .await;
    assert_eq!(again.ok(201)["seriesId"], series["seriesId"]);
    assert_eq!(api.server.zoom.meeting_count(), 1);
    let read = api
        .get(&format!("/series/{}", text(&series["seriesId"])))
        .await;
    assert_eq!(occurrences(&read).len(), 24);
    api.rec.assert_no_secret_leaked();
}

async fn a_conflict_on_the_17th_occurrence_books_nothing(kind: StoreKind) {
    let api = api(kind).await;
    // The 17th class of Tue/Thu from Tue 2031-03-04: Thu 2031-04-17.
    let seventeenth = "2031-04-17T21:30:00Z";
    assert_eq!(api.single(seventeenth, 30).await, 201);
    let answer = api.post_series(&weekly(&api.license_id, 24), None).await;
    let body = &answer.problem(409, "slot_conflict").body;
    let listed = body["occurrences"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["startTime"], "2031-04-17T21:00:00Z");
    assert_eq!(
        api.server.zoom.meeting_count(),
        1,
        "only the one-off meeting"
    );
    let list = api.get("/meetings?limit=100").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Nothing was booked: every other class's time is free.
    assert_eq!(api.single("2031-03-04T21:00:00Z", 30).await, 201);
}

async fn fifty_occurrences_book(kind: StoreKind) {
    let api = api(kind).await;
    let body = json!({
        "topic": "Intensivo", "startTime": "2031-05-01T09:00:00Z", "durationMinutes": 60,
        "licenseId": api.license_id,
        "recurrence": {"type": "daily", "endTimes": 50}
    });
    let answer = api.post_series(&body, None).await;
    let series = answer.ok(201);
    assert_eq!(occurrences(series).len(), 50);
    assert_eq!(
        api.server
            .zoom
            .occurrences(&text(&series["zoomMeetingId"]))
            .len(),
        50
    );
    let list = api.get("/meetings?limit=100").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 50);
}

async fn of_ten_racing_series_one_wins(kind: StoreKind) {
    let api = api(kind).await;
    // Each series meets on 2031-06-02 and once more, on a day of its own.
    let bodies: Vec<Value> = (0..10)
        .map(|i| {
            json!({
                "topic": format!("Curso {i}"), "startTime": "2031-06-02T18:00:00Z", "durationMinutes": 60,
                "licenseId": api.license_id,
                "recurrence": {"type": "daily", "interval": 10 + i, "endTimes": 2}
            })
        })
        .collect();
    let sent = bodies.iter().map(|b| api.post_series(b, None));
    let answers = futures::future::join_all(sent).await;
    let won: Vec<_> = answers
        .iter()
        .filter(|a| a.status.as_u16() == 201)
        .collect();
    assert_eq!(won.len(), 1, "exactly one series wins");
    for lost in answers.iter().filter(|a| a.status.as_u16() != 201) {
        lost.problem(409, "slot_conflict");
    }
    assert_eq!(api.server.zoom.meeting_count(), 1);
    let list = api.get("/meetings?limit=100").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

async fn one_occurrence_moves_or_goes_alone(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(4).await;
    let zoom_id = text(&series["zoomMeetingId"]);
    let occ = occurrences(&series);
    let before = api.server.zoom.occurrences(&zoom_id);
    let second = text(&occ[1]["meetingId"]);
    let old_start = text(&occ[1]["startTime"]);
    let path = format!("/meetings/{second}");
    let moved = api
        .patch(&path, json!({"startTime": "2031-03-06T23:00:00Z"}))
        .await;
    assert_eq!(moved.ok(200)["startTime"], "2031-03-06T23:00:00Z");
    let after = api.server.zoom.occurrences(&zoom_id);
    assert_eq!(after.len(), before.len());
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(b["occurrence_id"], a["occurrence_id"]);
        if i == 1 {
            assert_eq!(a["start_time"], "2031-03-06T23:00:00Z");
        } else {
            assert_eq!(a, b, "occurrence {i} untouched");
        }
    }
    // The old slot is free, the new one held.
    assert_eq!(api.single(&old_start, 30).await, 201);
    assert_eq!(api.single("2031-03-06T23:30:00Z", 30).await, 409);
    let read = api
        .get(&format!("/series/{}", text(&series["seriesId"])))
        .await;
    assert_eq!(occurrences(&read)[1]["startTime"], "2031-03-06T23:00:00Z");
    // Topic and time zone are the series' own.
    let refused = api.patch(&path, json!({"topic": "Otra"})).await;
    refused.problem(422, "validation_failed");
    // Deleting one occurrence deletes only it in Zoom and frees only its slot.
    let third = text(&occ[2]["meetingId"]);
    let third_start = text(&occ[2]["startTime"]);
    assert_eq!(api.delete(&format!("/meetings/{third}")).await, 204);
    let now = api.server.zoom.occurrences(&zoom_id);
    let statuses: Vec<_> = now.iter().map(|o| o["status"].clone()).collect();
    assert_eq!(
        statuses,
        vec![
            json!("available"),
            json!("available"),
            json!("deleted"),
            json!("available")
        ]
    );
    assert_eq!(api.single(&third_start, 30).await, 201);
    assert_eq!(api.single(&text(&occ[3]["startTime"]), 30).await, 409);
}

async fn deleting_the_series_frees_every_slot(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(6).await;
    let id = text(&series["seriesId"]);
    let path = format!("/series/{id}");
    let topic = api
        .patch(&path, json!({"topic": "Álgebra I (noche)"}))
        .await;
    assert_eq!(topic.ok(200)["topic"], "Álgebra I (noche)");
    let zoom_id = text(&series["zoomMeetingId"]);
    assert_eq!(
        api.server.zoom.meeting(&zoom_id).unwrap()["topic"],
        "Álgebra I (noche)"
    );
    let first = text(&occurrences(&series)[0]["meetingId"]);
    assert_eq!(
        api.get(&format!("/meetings/{first}")).await["topic"],
        "Álgebra I (noche)"
    );
    assert_eq!(api.delete(&path).await, 204);
    assert_eq!(api.server.zoom.meeting_count(), 0);
    let read = api.get(&format!("/series/{id}")).await;
    assert_eq!(read["status"], "deleted");
    assert!(occurrences(&read).iter().all(|o| o["status"] == "deleted"));
    for o in occurrences(&series) {
        assert_eq!(api.single(&text(&o["startTime"]), 30).await, 201);
    }
    assert_eq!(api.delete(&path).await, 204, "deleting again is fine");
}

/// An edit whose Zoom update a `DELETE` of the series overtakes (Zoom then
/// has no such meeting) lost to the delete: `409 meeting_not_editable`, as
/// for an edit sent after it — not a gateway error. A time change alike.
async fn an_edit_overtaken_by_the_series_delete_is_not_editable(kind: StoreKind) {
    for edit in [
        json!({"topic": "Álgebra I (turno noche)"}),
        json!({"startTime": "2031-03-04T22:00:00Z"}),
    ] {
        let api = api(kind).await;
        let series = api.weekly_series(4).await;
        let path = format!("/series/{}", text(&series["seriesId"]));
        let zoom = &api.server.zoom;
        let hold = FaultKind::Latency(Duration::from_secs(2));
        zoom.inject(Fault::times(Endpoint::UpdateMeeting, hold, 1));
        let (patched, ()) = futures::join!(api.patch(&path, edit.clone()), async {
            let reached = || zoom.count(Endpoint::UpdateMeeting) == 1;
            eventually("the PATCH reached Zoom", Duration::from_secs(10), reached).await;
            assert_eq!(api.delete(&path).await, 204);
        });
        patched.problem(409, "meeting_not_editable");
        assert_eq!(zoom.meeting_count(), 0, "{edit}");
        let read = api.get(&path).await;
        assert_eq!(read["status"], "deleted", "{edit}");
        assert_eq!(read["topic"], series["topic"], "{edit}");
        for o in occurrences(&series) {
            assert_eq!(api.single(&text(&o["startTime"]), 30).await, 201, "{edit}");
        }
        let moved_to = "2031-03-06T22:00:00Z";
        assert_eq!(
            api.single(moved_to, 30).await,
            201,
            "no slot left at the new time"
        );
    }
}

async fn two_occurrences_events_land_on_their_own(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(3).await;
    let zoom_id = text(&series["zoomMeetingId"]);
    let occ = occurrences(&series);
    let ana = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let bob = Participant::new("2", "Bob", "").with_customer_key("lms-bob");
    for (index, who) in [(0, &ana), (1, &bob)] {
        let lifecycle = Lifecycle {
            sessions: vec![Session::new(
                who,
                Duration::from_secs(60),
                Duration::from_secs(40 * 60),
            )],
            duration: Duration::from_secs(60 * 60),
            with_recording: true,
        };
        let occurrence = text(&occ[index]["occurrenceId"]);
        let delivered = api
            .server
            .zoom
            .emit_occurrence_lifecycle(
                &zoom_id,
                &occurrence,
                &lifecycle,
                &api.webhook_url(),
                &api.webhook_secret,
            )
            .await
            .unwrap();
        assert!(delivered.iter().all(|s| *s == 200), "{delivered:?}");
    }
    let names = |attendance: &Value| -> Vec<String> {
        let items = attendance["items"].as_array().unwrap();
        items.iter().map(|p| text(&p["name"])).collect()
    };
    let mut files = Vec::new();
    for (index, name) in [(0, "Ana"), (1, "Bob")] {
        let id = text(&occ[index]["meetingId"]);
        let meeting = api.get(&format!("/meetings/{id}")).await;
        assert_eq!(meeting["status"], "ended", "{meeting}");
        let attendance = api.get(&format!("/meetings/{id}/attendance")).await;
        assert_eq!(names(&attendance), vec![name.to_owned()], "{attendance}");
        let recordings = api.get(&format!("/meetings/{id}/recordings")).await;
        let items = recordings["items"].as_array().unwrap().clone();
        assert!(!items.is_empty(), "{recordings}");
        files.push(items);
    }
    let ids = |items: &[Value]| -> Vec<String> {
        items.iter().map(|f| text(&f["recordingId"])).collect()
    };
    let (first, second) = (ids(&files[0]), ids(&files[1]));
    assert!(
        first.iter().all(|f| !second.contains(f)),
        "{first:?} {second:?}"
    );
    let third = text(&occ[2]["meetingId"]);
    assert_eq!(
        api.get(&format!("/meetings/{third}")).await["status"],
        "scheduled"
    );
    let empty = api.get(&format!("/meetings/{third}/attendance")).await;
    assert!(names(&empty).is_empty());
}

async fn a_series_across_daylight_saving_keeps_its_local_time(kind: StoreKind) {
    let api = api(kind).await;
    // New York moves its clocks on Sunday 2031-03-09: 18:00 is 23:00Z
    // before and 22:00Z after.
    let body = json!({
        "topic": "Historia", "startTime": "2031-03-04T18:00:00-05:00", "durationMinutes": 90,
        "timezone": "America/New_York", "licenseId": api.license_id,
        "recurrence": {"type": "weekly", "weeklyDays": ["tue"], "endDate": "2031-03-25"}
    });
    let series = api.post_series(&body, None).await.ok(201).clone();
    let starts: Vec<String> = occurrences(&series)
        .iter()
        .map(|o| text(&o["startTime"]))
        .collect();
    assert_eq!(
        starts,
        vec![
            "2031-03-04T23:00:00Z",
            "2031-03-11T22:00:00Z",
            "2031-03-18T22:00:00Z",
            "2031-03-25T22:00:00Z"
        ]
    );
    let ny = lms_zoom::domain::recurrence::parse_timezone("America/New_York").unwrap();
    for start in &starts {
        assert_eq!(at(start).with_timezone(&ny).hour(), 18, "{start}");
    }
    let in_zoom = api.server.zoom.occurrences(&text(&series["zoomMeetingId"]));
    let zoom_starts: Vec<String> = in_zoom.iter().map(|o| text(&o["start_time"])).collect();
    assert_eq!(zoom_starts, starts);
}

async fn a_series_time_change_rebooks_every_occurrence(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(4).await;
    let id = text(&series["seriesId"]);
    let zoom_id = text(&series["zoomMeetingId"]);
    let path = format!("/series/{id}");
    let updates = api
        .server
        .zoom
        .count(zoom_emulator::Endpoint::UpdateMeeting);
    let moved = api
        .patch(&path, json!({"startTime": "2031-03-04T20:00:00-03:00"}))
        .await;
    let moved = moved.ok(200).clone();
    let new_starts = vec![
        "2031-03-04T23:00:00Z",
        "2031-03-06T23:00:00Z",
        "2031-03-11T23:00:00Z",
        "2031-03-13T23:00:00Z",
    ];
    let starts = |v: &Value| -> Vec<String> {
        occurrences(v)
            .iter()
            .map(|o| text(&o["startTime"]))
            .collect()
    };
    assert_eq!(starts(&moved), new_starts);
    assert_eq!(
        api.server
            .zoom
            .count(zoom_emulator::Endpoint::UpdateMeeting)
            - updates,
        1,
        "Zoom is updated once"
    );
    let in_zoom: Vec<String> = api
        .server
        .zoom
        .occurrences(&zoom_id)
        .iter()
        .map(|o| text(&o["start_time"]))
        .collect();
    assert_eq!(in_zoom, new_starts);
    for (ours, theirs) in occurrences(&moved)
        .iter()
        .zip(api.server.zoom.occurrences(&zoom_id))
    {
        assert_eq!(ours["occurrenceId"], theirs["occurrence_id"]);
    }
    // The old slots are free, the new ones held.
    assert_eq!(api.single("2031-03-04T21:00:00Z", 30).await, 201);
    assert_eq!(api.single("2031-03-06T23:30:00Z", 30).await, 409);
    // A move onto a busy time books nothing and changes nothing.
    assert_eq!(api.single("2031-03-12T01:00:00Z", 30).await, 201);
    let refused = api
        .patch(&path, json!({"startTime": "2031-03-04T22:00:00-03:00"}))
        .await;
    let body = &refused.problem(409, "slot_conflict").body;
    assert_eq!(
        body["occurrences"][0]["startTime"], "2031-03-12T01:00:00Z",
        "{body}"
    );
    assert_eq!(starts(&api.get(&format!("/series/{id}")).await), new_starts);
    let in_zoom: Vec<String> = api
        .server
        .zoom
        .occurrences(&zoom_id)
        .iter()
        .map(|o| text(&o["start_time"]))
        .collect();
    assert_eq!(in_zoom, new_starts);
    let list = api.get("/meetings?externalRef=course-42&limit=100").await;
    let listed: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| text(&m["startTime"]))
        .collect();
    assert_eq!(listed, new_starts);
}

/// A signed `meeting.deleted` of the series' Zoom meeting, as Zoom sends
/// it when the host deletes occurrences (or the whole meeting) in Zoom.
async fn deleted_in_zoom(api: &Api, zoom_id: &str, occurrences: Value, ts: i64) {
    let body = json!({
        "event": "meeting.deleted", "event_ts": ts,
        "payload": {"account_id": "acc", "operator": "host@example.com", "operator_id": "h",
                    "object": {"id": zoom_id.parse::<u64>().unwrap(), "uuid": "series-uuid==",
                               "type": 8, "occurrences": occurrences}}
    });
    let bytes = serde_json::to_vec(&body).unwrap();
    let answer = api
        .rec
        .send(lms_zoom_tests::kit::webhook(
            &api.server,
            &api.license_id,
            &api.webhook_secret,
            &bytes,
        ))
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
}

async fn occurrences_deleted_in_zoom_free_their_slots(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(3).await;
    let zoom_id = text(&series["zoomMeetingId"]);
    let occ = occurrences(&series);
    let second =
        json!([{"occurrence_id": occ[1]["occurrenceId"], "start_time": occ[1]["startTime"]}]);
    deleted_in_zoom(&api, &zoom_id, second, 1_900_000_000_000).await;
    let api = &api;
    let status = |i: usize| {
        let id = text(&occ[i]["meetingId"]);
        async move { api.get(&format!("/meetings/{id}")).await["status"].clone() }
    };
    assert_eq!(status(1).await, "deleted");
    assert_eq!(status(0).await, "scheduled");
    assert_eq!(api.single(&text(&occ[1]["startTime"]), 30).await, 201);
    assert_eq!(api.single(&text(&occ[2]["startTime"]), 30).await, 409);
    // The whole recurring meeting deleted in Zoom: every occurrence, and the series.
    deleted_in_zoom(api, &zoom_id, json!([]), 1_900_000_100_000).await;
    assert_eq!(status(0).await, "deleted");
    assert_eq!(status(2).await, "deleted");
    let read = api
        .get(&format!("/series/{}", text(&series["seriesId"])))
        .await;
    assert_eq!(read["status"], "deleted");
    assert_eq!(api.single(&text(&occ[2]["startTime"]), 30).await, 201);
}

async fn an_occurrence_whose_events_were_lost_is_reconciled_from_its_own_instance(kind: StoreKind) {
    let api = api(kind).await;
    let series = api.weekly_series(2).await;
    let zoom_id = text(&series["zoomMeetingId"]);
    let occ = occurrences(&series);
    let ana = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(
            &ana,
            Duration::from_secs(120),
            Duration::from_secs(50 * 60),
        )],
        duration: Duration::from_secs(60 * 60),
        with_recording: false,
    };
    // The first class is held, and none of its webhooks arrive.
    let occurrence = text(&occ[0]["occurrenceId"]);
    let events = api
        .server
        .zoom
        .occurrence_lifecycle_events(&zoom_id, &occurrence, &lifecycle);
    assert!(!events.is_empty());
    let sync = |i: usize| {
        let id = text(&occ[i]["meetingId"]);
        let url = api
            .server
            .url(&format!("/v1/academies/a1/meetings/{id}/attendance/sync"));
        api.rec.send(api.server.http.post(url))
    };
    let first = sync(0).await;
    let people = first.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(people.len(), 1, "{}", first.text);
    assert_eq!(people[0]["name"], "Ana");
    assert_eq!(people[0]["lmsUserId"], "lms-ana");
    // The second was not held: its report is not there, and never the first one's.
    sync(1).await.problem(409, "attendance_report_unavailable");
    let id = text(&occ[1]["meetingId"]);
    let second = api.get(&format!("/meetings/{id}/attendance")).await;
    assert_eq!(second["items"], json!([]));
}

async fn bad_series_get_clear_problems(kind: StoreKind) {
    let api = api(kind).await;
    let mut body = weekly(&api.license_id, 51);
    let answer = api.post_series(&body, None).await;
    answer.problem(422, "validation_failed");
    body["recurrence"] = json!({"type": "weekly", "endTimes": 3});
    api.post_series(&body, None)
        .await
        .problem(422, "validation_failed");
    body["recurrence"] = json!("weekly");
    api.post_series(&body, None)
        .await
        .problem(400, "malformed_json");
    let missing = api
        .server
        .url("/v1/academies/a1/series/ser_00000000000000000000000000");
    api.rec
        .send(api.server.http.get(missing))
        .await
        .problem(404, "series_not_found");
    let junk = api.server.url("/v1/academies/a1/series/nope");
    api.rec
        .send(api.server.http.get(junk))
        .await
        .problem(404, "series_not_found");
    assert_eq!(api.server.zoom.meeting_count(), 0);
}

on_both_stores!(
    a_series_is_one_zoom_meeting_and_every_occurrence_a_meeting,
    a_conflict_on_the_17th_occurrence_books_nothing,
    fifty_occurrences_book,
    of_ten_racing_series_one_wins,
    one_occurrence_moves_or_goes_alone,
    deleting_the_series_frees_every_slot,
    two_occurrences_events_land_on_their_own,
    a_series_across_daylight_saving_keeps_its_local_time,
    bad_series_get_clear_problems,
    a_series_time_change_rebooks_every_occurrence,
    occurrences_deleted_in_zoom_free_their_slots,
    an_occurrence_whose_events_were_lost_is_reconciled_from_its_own_instance,
    an_edit_overtaken_by_the_series_delete_is_not_editable,
);
