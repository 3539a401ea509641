//! Attendance reconciled with Zoom's participant report, on both stores:
//! LMS users join with customer keys (one from a second device, one twice
//! with a gap, one whose events all went missing), a phone dials in; Zoom
//! delivers only some of the webhooks; one maintenance run (or `sync`)
//! reads the report, and each person's time is the union of their
//! sessions, once, however often the same events arrive afterwards. A
//! Basic-plan host's report never comes: after a day of asking, the
//! meeting says why.

use std::time::Duration;

use chrono::Utc;
use lms_zoom::AppState;
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets, Recorder};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_account, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::{EmulatorConfig, Lifecycle, Participant, Session, User};

fn min(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

struct Held {
    server: TestServer,
    state: AppState,
    rec: Recorder,
    license_id: String,
    secret: String,
    meeting_id: String,
    zoom_id: String,
}

async fn held(kind: StoreKind, zoom: EmulatorConfig) -> Held {
    let (server, state) =
        TestServer::start_keeping_state(Backend::of(kind), zoom, |s| s, |s| s).await;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("rec");
    let license = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&secrets.body("R", 2)),
        )
        .await;
    let license_id = license.id("licenseId");
    let meeting = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/meetings"))
                .json(&json!({
                    "topic": "Clase", "startTime": "2031-04-01T10:00:00Z", "durationMinutes": 60,
                    "licenseId": license_id, "externalRef": "course-7"
                })),
        )
        .await;
    Held {
        meeting_id: meeting.id("meetingId"),
        zoom_id: meeting.id("zoomMeetingId"),
        server,
        state,
        rec,
        license_id,
        secret: secrets.webhook_secret,
    }
}

impl Held {
    fn url(&self) -> String {
        self.server
            .url(&format!("/v1/webhooks/zoom/{}", self.license_id))
    }

    async fn attendance(&self) -> Value {
        let url = format!("/v1/academies/a1/meetings/{}/attendance", self.meeting_id);
        self.rec
            .send(self.server.http.get(self.server.url(&url)))
            .await
            .ok(200)
            .clone()
    }

    /// A maintenance run `after` the meeting's end (Zoom's, from its events).
    async fn maintain_after(
        &self,
        after: chrono::Duration,
    ) -> lms_zoom::app::maintenance::RunReport {
        let ended = self.meeting().await["endedAt"]
            .as_str()
            .map(str::to_owned)
            .expect("ended");
        let ended = chrono::DateTime::parse_from_rfc3339(&ended)
            .unwrap()
            .with_timezone(&Utc);
        self.state.maintenance.run_as_of(ended + after).await
    }

    /// The customerKey a signature hands the Meeting SDK for this LMS user.
    async fn customer_key(&self, id: &str, name: &str) -> String {
        let url = format!("/v1/academies/a1/meetings/{}/signature", self.meeting_id);
        let answer = self
            .rec
            .send(self.server.http.post(self.server.url(&url)).json(&json!({
                "role": "attendee", "user": {"id": id, "name": name}
            })))
            .await;
        let body = answer.ok(200);
        assert_eq!(body["join"]["customerKey"], body["customerKey"], "{body}");
        body["customerKey"].as_str().unwrap().to_owned()
    }

    async fn meeting(&self) -> Value {
        let url = format!("/v1/academies/a1/meetings/{}", self.meeting_id);
        self.rec
            .send(self.server.http.get(self.server.url(&url)))
            .await
            .ok(200)
            .clone()
    }
}

fn seconds_of(view: &Value, lms_user: Option<&str>) -> i64 {
    let items: Vec<&Value> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["lmsUserId"].as_str() == lms_user)
        .collect();
    assert_eq!(items.len(), 1, "exactly one item for {lms_user:?}: {view}");
    items[0]["durationSeconds"].as_i64().unwrap()
}

async fn the_report_fills_what_webhooks_lost_once(kind: StoreKind) {
    let h = held(kind, test_zoom()).await;
    // Each LMS user joins through a signature: its customerKey is what
    // the Meeting SDK hands Zoom.
    let ana_key = h.customer_key("lms-ana", "Ana Pérez").await;
    let bob_key = h.customer_key("lms-bob", "Bob").await;
    let carol_key = h.customer_key("lms-carol", "Carol").await;
    let ana = Participant::new("16778240", "Ana Pérez", "").with_customer_key(ana_key);
    let ana_phone = ana.on_another_device("16778250");
    let bob = Participant::new("16778241", "Bob", "").with_customer_key(bob_key);
    let carol = Participant::new("16778242", "Carol", "").with_customer_key(carol_key);
    let dial_in = Participant::phone("16778243", "+54 11 5555 0000");
    let lifecycle = Lifecycle {
        sessions: vec![
            Session::new(&ana, min(0), min(40)),
            Session::new(&ana_phone, min(30), min(50)),
            Session::new(&bob, min(0), min(20)),
            Session::new(&bob, min(30), min(45)),
            Session::new(&carol, min(10), min(60)),
            Session::new(&dial_in, min(5), min(35)),
        ],
        duration: min(60),
        with_recording: false,
    };
    // Zoom gave up on some deliveries: Bob's second stay, Ana's phone
    // leaving, and everything about Carol.
    let lost = |event: &Value| {
        let who = &event["payload"]["object"]["participant"];
        let name = who["user_name"].as_str().unwrap_or_default();
        let id = who["user_id"].as_str().unwrap_or_default();
        let at = who["join_time"]
            .as_str()
            .or(who["leave_time"].as_str())
            .unwrap_or_default();
        name == "Carol"
            || (id == "16778250" && event["event"] == "meeting.participant_left")
            || (name == "Bob" && (at.ends_with(":30:00Z") || at.ends_with(":45:00Z")))
    };
    let delivered = h
        .server
        .zoom
        .emit_lifecycle_filtered(&h.zoom_id, &lifecycle, &h.url(), &h.secret, |e| !lost(e))
        .await
        .unwrap();
    assert!(
        delivered.iter().flatten().all(|s| *s == 200),
        "{delivered:?}"
    );
    assert!(delivered.iter().any(Option::is_none), "some were dropped");
    let before = h.attendance().await;
    assert_eq!(before["reconciledAt"], Value::Null);
    assert_eq!(seconds_of(&before, Some("lms-bob")), 20 * 60, "{before}");

    // One maintenance run after the meeting ended reads the report.
    let run = h.maintain_after(chrono::Duration::minutes(1)).await;
    assert!(run.errors.is_empty(), "{run:?}");
    let after = h.attendance().await;
    assert_ne!(after["reconciledAt"], Value::Null, "{after}");
    assert_eq!(seconds_of(&after, Some("lms-ana")), 50 * 60, "{after}");
    assert_eq!(seconds_of(&after, Some("lms-bob")), 35 * 60);
    assert_eq!(seconds_of(&after, Some("lms-carol")), 50 * 60);
    assert_eq!(seconds_of(&after, None), 30 * 60, "the phone line");
    assert_eq!(after["totalParticipants"], 4);
    assert_eq!(after["identifiedParticipants"], 3);
    let carol_item = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["lmsUserId"] == "lms-carol")
        .unwrap();
    assert_eq!(carol_item["sources"], json!(["report"]));
    assert!(h.meeting().await["endedAt"].is_string());

    // Every event again, and a sync on demand: nothing counts twice.
    h.server
        .zoom
        .emit_lifecycle(&h.zoom_id, &lifecycle, &h.url(), &h.secret)
        .await
        .unwrap();
    let sync = format!("/v1/academies/a1/meetings/{}/attendance/sync", h.meeting_id);
    let synced = h
        .rec
        .send(h.server.http.post(h.server.url(&sync)))
        .await
        .ok(200)
        .clone();
    for view in [h.attendance().await, synced] {
        assert_eq!(seconds_of(&view, Some("lms-ana")), 50 * 60, "{view}");
        assert_eq!(seconds_of(&view, Some("lms-bob")), 35 * 60);
        assert_eq!(seconds_of(&view, Some("lms-carol")), 50 * 60);
        assert_eq!(seconds_of(&view, None), 30 * 60);
        assert_eq!(view["totalParticipants"], 4);
    }
    // Done: the next run has nothing to reconcile.
    let again = h.maintain_after(chrono::Duration::minutes(2)).await;
    assert_eq!((again.resolved, again.errors.len()), (0, 0), "{again:?}");
}

async fn a_basic_plan_host_ends_with_a_reconcile_error(kind: StoreKind) {
    let mut zoom = test_zoom();
    let basic = test_account().with_user(User::basic("basic-host", "basic@example.com"));
    zoom.accounts = vec![basic];
    let mut h = held(kind, zoom).await;
    // The license's host is the Basic user.
    let patch = h
        .rec
        .send(
            h.server
                .http
                .patch(
                    h.server
                        .url(&format!("/v1/academies/a1/licenses/{}", h.license_id)),
                )
                .json(&json!({"hostUser": "basic@example.com"})),
        )
        .await;
    let verification = patch.ok(200)["verification"].clone();
    let report_check = verification["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "attendance_report")
        .cloned()
        .unwrap_or_else(|| panic!("{verification}"));
    assert_eq!(report_check["status"], "warn", "{report_check}");
    // A meeting of the Basic host.
    let meeting = h
        .rec
        .send(h.server.http.post(h.server.url("/v1/academies/a1/meetings")).json(&json!({
            "topic": "Basic", "startTime": "2031-04-02T10:00:00Z", "durationMinutes": 60, "licenseId": h.license_id
        })))
        .await;
    h.meeting_id = meeting.id("meetingId");
    h.zoom_id = meeting.id("zoomMeetingId");
    let who = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&who, min(0), min(30))],
        duration: min(40),
        with_recording: false,
    };
    h.server
        .zoom
        .emit_lifecycle(&h.zoom_id, &lifecycle, &h.url(), &h.secret)
        .await
        .unwrap();
    // Asked for, refused (paid plans only): asked again later, not a 500.
    let run = h.maintain_after(chrono::Duration::minutes(1)).await;
    assert!(run.errors.is_empty(), "{run:?}");
    assert_eq!(h.meeting().await["reconcileError"], Value::Null);
    // A day later it gives up, saying why.
    let late = h.maintain_after(chrono::Duration::hours(25)).await;
    assert!(late.errors.is_empty(), "{late:?}");
    let meeting = h.meeting().await;
    assert_eq!(
        meeting["reconcileError"]["code"], "zoom_paid_plan_required",
        "{meeting}"
    );
    // What webhooks brought is still there.
    assert_eq!(seconds_of(&h.attendance().await, Some("lms-ana")), 30 * 60);
    let sync = format!("/v1/academies/a1/meetings/{}/attendance/sync", h.meeting_id);
    // On demand, Zoom's refusal is told as Zoom's (never a 500).
    let refused = h.rec.send(h.server.http.post(h.server.url(&sync))).await;
    refused.problem(409, "attendance_report_unavailable");
}

on_both_stores!(
    the_report_fills_what_webhooks_lost_once,
    a_basic_plan_host_ends_with_a_reconcile_error,
    a_missing_report_scope_ends_with_a_reconcile_error,
    lost_recording_events_are_synced_two_hours_after_the_end,
);

/// An app without the report scope: verification warns, naming it, and
/// reconciliation ends with `zoom_missing_scopes` (webhook data kept).
async fn a_missing_report_scope_ends_with_a_reconcile_error(kind: StoreKind) {
    let mut zoom = test_zoom();
    let scopes: Vec<&str> = lms_zoom_tests::ALL_SCOPES
        .iter()
        .copied()
        .filter(|s| !s.starts_with("report:"))
        .collect();
    let account = zoom_emulator::Account::new(
        lms_zoom_tests::ACCOUNT_ID,
        lms_zoom_tests::CLIENT_ID,
        lms_zoom_tests::CLIENT_SECRET,
    )
    .with_scopes(&scopes)
    .with_user(User::licensed(
        lms_zoom_tests::HOST_ID,
        lms_zoom_tests::HOST_EMAIL,
    ));
    zoom.accounts = vec![account];
    let h = held(kind, zoom).await;
    let verify = format!("/v1/academies/a1/licenses/{}/verify", h.license_id);
    let report = h.rec.send(h.server.http.post(h.server.url(&verify))).await;
    let checks = report.ok(200)["checks"].as_array().unwrap().clone();
    let check = checks
        .iter()
        .find(|c| c["name"] == "attendance_report")
        .unwrap();
    assert_eq!(
        (check["status"].as_str(), check["code"].as_str()),
        (Some("warn"), Some("report_scope_missing")),
        "{check}"
    );
    let who = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&who, min(0), min(20))],
        duration: min(30),
        with_recording: false,
    };
    h.server
        .zoom
        .emit_lifecycle(&h.zoom_id, &lifecycle, &h.url(), &h.secret)
        .await
        .unwrap();
    let run = h.maintain_after(chrono::Duration::minutes(1)).await;
    assert_eq!((run.left, run.errors.len()), (1, 0), "{run:?}");
    let late = h.maintain_after(chrono::Duration::hours(25)).await;
    assert!(late.errors.is_empty(), "{late:?}");
    let meeting = h.meeting().await;
    assert_eq!(
        meeting["reconcileError"]["code"], "zoom_missing_scopes",
        "{meeting}"
    );
    assert_eq!(seconds_of(&h.attendance().await, Some("lms-ana")), 20 * 60);
}

/// A meeting recorded to the cloud whose `recording.completed` never came:
/// two hours after its end, the same maintenance job syncs its recordings.
async fn lost_recording_events_are_synced_two_hours_after_the_end(kind: StoreKind) {
    let mut h = held(kind, test_zoom()).await;
    let meeting = h
        .rec
        .send(
            h.server
                .http
                .post(h.server.url("/v1/academies/a1/meetings"))
                .json(&json!({
                    "topic": "Grabada", "startTime": "2031-04-03T10:00:00Z", "durationMinutes": 60,
                    "licenseId": h.license_id, "settings": {"autoRecording": "cloud"}
                })),
        )
        .await;
    h.meeting_id = meeting.id("meetingId");
    h.zoom_id = meeting.id("zoomMeetingId");
    let who = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&who, min(0), min(30))],
        duration: min(45),
        with_recording: true,
    };
    let delivered = h
        .server
        .zoom
        .emit_lifecycle_filtered(&h.zoom_id, &lifecycle, &h.url(), &h.secret, |e| {
            e["event"] != "recording.completed"
        })
        .await
        .unwrap();
    assert!(delivered.iter().any(Option::is_none));
    let recordings = format!("/v1/academies/a1/meetings/{}/recordings", h.meeting_id);
    let files = |view: &Value| view["items"].as_array().unwrap().len();
    // Reconciled at once; the recording is waited for.
    let run = h.maintain_after(chrono::Duration::minutes(1)).await;
    assert_eq!((run.left, run.errors.len()), (1, 0), "{run:?}");
    assert_ne!(h.attendance().await["reconciledAt"], Value::Null);
    let none = h
        .rec
        .send(h.server.http.get(h.server.url(&recordings)))
        .await;
    assert_eq!(files(none.ok(200)), 0);
    // Two hours on: synced from Zoom, and done.
    // (The commit's own record, due 15 min after the scheduled end, is
    // resolved too: the meeting is reconciled and its files are there.)
    let run = h.maintain_after(chrono::Duration::minutes(121)).await;
    assert!(
        run.resolved >= 1 && run.errors.is_empty() && run.left == 0,
        "{run:?}"
    );
    let synced = h
        .rec
        .send(h.server.http.get(h.server.url(&recordings)))
        .await;
    assert!(files(synced.ok(200)) >= 2, "{}", synced.text);
    let after = h.maintain_after(chrono::Duration::minutes(180)).await;
    assert_eq!((after.resolved, after.left), (0, 0), "{after:?}");
}
