//! Zoom and store faults on the Lambda host, against the real function
//! binaries: every answer arrives before the function's `Timeout` (each
//! prints `FIGURE route fault answered-in timeout`), and afterwards — the
//! process frozen right after its answer — Zoom's meetings are ours, no
//! slot stays booked by a request that failed, and what a killed request
//! left is resolved by `maintenance` (the real binary, on a scheduled event).

use std::time::Duration;

use lms_zoom::store::DynamoStore;
use lms_zoom_tests::kit::{LicenseSecrets, Moto, meeting_body};
use lms_zoom_tests::lambda_host::{
    FunctionSpec, HttpInvocation, HttpRequest, LambdaHost, scheduled_event,
};
use lms_zoom_tests::{dynamo_store, test_zoom, unique};
use serde_json::Value;
use zoom_emulator::{Emulator, Endpoint, Fault, FaultKind};

/// Short Timeouts, so that a fault costs a test seconds, not half a minute:
/// the functions keep to the deadline they are handed whatever it is.
const MEETINGS_TIMEOUT: Duration = Duration::from_secs(6);

async fn fresh_table() -> (String, String) {
    let table = dynamo_store().await.table().to_owned();
    (table, format!("{}/", unique("lmsz-lf")))
}

fn figure(route: &str, fault: &str, answered: &HttpInvocation) {
    let inv = answered.invocation.as_ref().expect("an invocation");
    eprintln!(
        "FIGURE {route} | {fault} | answered in {:?} | timeout {:?} | {}",
        inv.duration, inv.timeout, answered.answer.status
    );
    assert!(
        inv.duration < inv.timeout,
        "{route} under {fault}: {:?} is not before {:?}",
        inv.duration,
        inv.timeout
    );
}

struct Stack {
    zoom: Emulator,
    licenses: LambdaHost,
    meetings: LambdaHost,
    maintenance: LambdaHost,
    license_id: String,
}

async fn stack(table: &str, prefix: &str, aws: Option<&str>) -> Stack {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let host = |spec: FunctionSpec| {
        let mut b = LambdaHost::builder(spec).store(table, prefix).zoom(&zoom);
        if let Some(url) = aws {
            b = b.aws_endpoint(url);
        }
        b
    };
    let licenses = host(FunctionSpec::licenses()).start().await;
    let meetings = host(FunctionSpec::meetings())
        .timeout(MEETINGS_TIMEOUT)
        .start()
        .await;
    let maintenance = host(FunctionSpec::maintenance()).start().await;
    let secrets = LicenseSecrets::new("lf");
    let created = licenses
        .invoke_http(
            HttpRequest::post("/v1/academies/lf/licenses?verify=false")
                .json(&secrets.body("Faults", 1)),
        )
        .await;
    let license_id = created.in_time().ok(201)["licenseId"]
        .as_str()
        .unwrap()
        .to_owned();
    Stack {
        zoom,
        licenses,
        meetings,
        maintenance,
        license_id,
    }
}

impl Stack {
    async fn create(&self, start: &str) -> HttpInvocation {
        let body = meeting_body(start, 60, Some(&self.license_id));
        self.meetings
            .invoke_http(HttpRequest::post("/v1/academies/lf/meetings").json(&body))
            .await
    }

    async fn ours(&self) -> Vec<String> {
        let listed = self
            .meetings
            .invoke_http(HttpRequest::get("/v1/academies/lf/meetings?limit=100"))
            .await;
        let body = listed.in_time().ok(200).clone();
        let mut ids: Vec<String> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["status"] != "deleted")
            .map(|m| m["zoomMeetingId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }

    async fn maintain(&self) -> Value {
        let run = self
            .maintenance
            .invoke_event(scheduled_event("lms-zoom-maintenance"))
            .await;
        run.response_json()
    }

    async fn pending_repairs(&self) -> u64 {
        let status = self
            .licenses
            .invoke_http(HttpRequest::get("/v1/maintenance/status"))
            .await;
        status.in_time().ok(200)["pendingRepairs"].as_u64().unwrap()
    }

    /// Runs `maintenance` until `done` holds (records come due once the
    /// deadline their owner was told has passed).
    async fn maintain_until(&self, what: &str, done: impl AsyncFn(&Self) -> bool) -> Value {
        let started = std::time::Instant::now();
        loop {
            let run = self.maintain().await;
            if done(self).await {
                return run;
            }
            assert!(
                started.elapsed() < Duration::from_secs(45),
                "{what}: not resolved: {run}"
            );
            self.maintenance.wait_idle_frozen().await;
        }
    }

    async fn assert_zoom_is_ours(&self) {
        let mut zoom = self.zoom.meeting_ids();
        zoom.sort();
        assert_eq!(self.ours().await, zoom, "our meetings vs Zoom's");
    }
}

/// Zoom's create never answers: `503 zoom_unavailable` before the
/// Timeout, the slot free again, nothing left in Zoom; then Zoom's create
/// does its work and loses the answer: the meeting is adopted, in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_under_a_silent_zoom_and_a_lost_answer_answers_in_time() {
    let (table, prefix) = fresh_table().await;
    let s = stack(&table, &prefix, None).await;
    s.zoom.inject(Fault::new(
        Endpoint::CreateMeeting,
        FaultKind::Latency(Duration::from_secs(120)),
    ));
    let silent = s.create("2031-05-01T10:00:00Z").await;
    figure("POST /meetings", "Zoom create never answers", &silent);
    silent.in_time().problem(503, "zoom_unavailable");
    s.meetings.wait_idle_frozen().await;
    s.zoom.clear_faults();
    s.assert_zoom_is_ours().await;
    // The slot (one meeting at a time on this license) is free again.
    let again = s.create("2031-05-01T10:00:00Z").await;
    again.in_time().ok(201);

    s.zoom.inject(Fault::new(
        Endpoint::CreateMeeting,
        FaultKind::LateAnswer(Duration::from_secs(120)),
    ));
    let lost = s.create("2031-05-02T10:00:00Z").await;
    figure("POST /meetings", "Zoom create answer lost", &lost);
    lost.in_time().ok(201);
    s.meetings.wait_idle_frozen().await;
    s.zoom.clear_faults();
    s.assert_zoom_is_ours().await;
    assert_eq!(s.pending_repairs().await, 0, "nothing left to repair");
}

/// A create killed at its Timeout after Zoom made the meeting (it was told
/// a later deadline, so nothing of its own undid it): `maintenance` deletes
/// the Zoom meeting nobody knows and frees the slot, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_killed_after_zoom_made_it_is_undone_by_maintenance() {
    let (table, prefix) = fresh_table().await;
    let mut s = stack(&table, &prefix, None).await;
    s.meetings = LambdaHost::builder(FunctionSpec::meetings())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .env("REPAIR_GRACE_SECONDS", "0")
        .timeout(Duration::from_secs(3))
        .advertise_deadline(Duration::from_secs(8))
        .start()
        .await;
    s.zoom.inject(Fault::new(
        Endpoint::CreateMeeting,
        FaultKind::LateAnswer(Duration::from_secs(30)),
    ));
    let killed = s.create("2031-06-01T10:00:00Z").await;
    assert!(killed.timed_out(), "{:?}", killed.answer);
    s.zoom.clear_faults();
    assert_eq!(s.zoom.meeting_ids().len(), 1, "Zoom made it");
    assert_eq!(s.pending_repairs().await, 1);
    let run = s
        .maintain_until("the killed create", async |s: &Stack| {
            s.zoom.meeting_ids().is_empty() && s.pending_repairs().await == 0
        })
        .await;
    eprintln!("maintenance resolved the killed create: {run}");
    assert_eq!(s.zoom.count(Endpoint::DeleteMeeting), 1, "deleted once");
    s.assert_zoom_is_ours().await;
    s.create("2031-06-01T10:00:00Z").await.in_time().ok(201);
    let again = s.maintain().await;
    assert_eq!(again["resolved"], 0, "{again}");
}

/// A reschedule killed at its Timeout after Zoom took the new time:
/// `maintenance` puts Zoom back to the time the meeting has here and frees
/// the new slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reschedule_killed_after_zoom_moved_is_put_back_by_maintenance() {
    let (table, prefix) = fresh_table().await;
    let mut s = stack(&table, &prefix, None).await;
    let created = s.create("2031-10-01T10:00:00Z").await;
    let meeting = created.in_time().ok(201).clone();
    let path = format!(
        "/v1/academies/lf/meetings/{}",
        meeting["meetingId"].as_str().unwrap()
    );
    let zoom_id = meeting["zoomMeetingId"].as_str().unwrap().to_owned();
    s.meetings = LambdaHost::builder(FunctionSpec::meetings())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .env("REPAIR_GRACE_SECONDS", "0")
        .timeout(Duration::from_secs(3))
        .advertise_deadline(Duration::from_secs(8))
        .start()
        .await;
    s.zoom.inject(Fault::new(
        Endpoint::UpdateMeeting,
        FaultKind::LateAnswer(Duration::from_secs(30)),
    ));
    let moved = serde_json::json!({"startTime": "2031-10-01T14:00:00Z"});
    let killed = s
        .meetings
        .invoke_http(HttpRequest::patch(&path).json(&moved))
        .await;
    assert!(killed.timed_out(), "{:?}", killed.answer);
    s.zoom.clear_faults();
    assert_eq!(
        s.zoom.meeting(&zoom_id).unwrap()["start_time"],
        "2031-10-01T14:00:00Z",
        "Zoom took the new time"
    );
    s.maintain_until("the killed reschedule", async |s: &Stack| {
        s.zoom.meeting(&zoom_id).unwrap()["start_time"] == "2031-10-01T10:00:00Z"
            && s.pending_repairs().await == 0
    })
    .await;
    // The new time is free again; the old one is still the meeting's.
    s.create("2031-10-01T14:00:00Z").await.in_time().ok(201);
    s.create("2031-10-01T10:30:00Z")
        .await
        .in_time()
        .problem(409, "slot_conflict");
}

/// A frozen moto: the meetings, licenses and webhook routes answer `503
/// store_unavailable` before their Timeouts, and after the thaw the state
/// holds (no slot held by the failed create).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_store_is_answered_in_time_on_every_route() {
    let moto = Moto::start().await;
    let sdk = moto.sdk().await;
    let table = unique("lmsz-lf-frozen");
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table);
    store.ensure_table().await.unwrap();
    let prefix = format!("{}/", unique("lmsz-lf"));
    let s = stack(&table, &prefix, Some(&moto.url)).await;
    let hooks = LambdaHost::builder(FunctionSpec::zoom_webhooks())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .aws_endpoint(&moto.url)
        .start()
        .await;
    let signatures = LambdaHost::builder(FunctionSpec::sdk_signature())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .aws_endpoint(&moto.url)
        .start()
        .await;
    let existing = s.create("2031-07-02T10:00:00Z").await;
    let mid = existing.in_time().ok(201)["meetingId"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.freeze();
    let create = s.create("2031-07-01T10:00:00Z").await;
    figure("POST /meetings", "store frozen", &create);
    create.in_time().problem(503, "store_unavailable");
    let lic = format!("/v1/academies/lf/licenses/{}", s.license_id);
    let m = format!("/v1/academies/lf/meetings/{mid}");
    let secrets = LicenseSecrets::new("frozen");
    let on_licenses = [
        ("GET /licenses/{id}", HttpRequest::get(&lic)),
        (
            "GET /licenses",
            HttpRequest::get("/v1/academies/lf/licenses"),
        ),
        (
            "POST /licenses",
            HttpRequest::post("/v1/academies/lf/licenses?verify=false")
                .json(&secrets.body("Frozen", 1)),
        ),
        (
            "PATCH /licenses/{id}",
            HttpRequest::patch(&lic).json(&serde_json::json!({"name": "Renamed"})),
        ),
        ("DELETE /licenses/{id}", HttpRequest::delete(&lic)),
        (
            "POST /licenses/{id}/verify",
            HttpRequest::post(&format!("{lic}/verify")),
        ),
        (
            "GET /maintenance/status",
            HttpRequest::get("/v1/maintenance/status"),
        ),
    ];
    for (route, request) in on_licenses {
        let answered = s.licenses.invoke_http(request).await;
        figure(route, "store frozen", &answered);
        answered.in_time().problem(503, "store_unavailable");
    }
    let on_meetings = [
        (
            "GET /meetings",
            HttpRequest::get("/v1/academies/lf/meetings"),
        ),
        ("GET /meetings/{id}", HttpRequest::get(&m)),
        (
            "PATCH /meetings/{id}",
            HttpRequest::patch(&m).json(&serde_json::json!({"topic": "Otra"})),
        ),
        ("DELETE /meetings/{id}", HttpRequest::delete(&m)),
        (
            "GET /meetings/{id}/recordings",
            HttpRequest::get(&format!("{m}/recordings")),
        ),
        (
            "POST /meetings/{id}/recordings/sync",
            HttpRequest::post(&format!("{m}/recordings/sync")),
        ),
        (
            "GET /meetings/{id}/attendance",
            HttpRequest::get(&format!("{m}/attendance")),
        ),
    ];
    for (route, request) in on_meetings {
        let answered = s.meetings.invoke_http(request).await;
        figure(route, "store frozen", &answered);
        answered.in_time().problem(503, "store_unavailable");
    }
    let sign = signatures
        .invoke_http(
            HttpRequest::post(&format!("{m}/signature"))
                .json(&serde_json::json!({"role": "attendee"})),
        )
        .await;
    figure("POST /meetings/{id}/signature", "store frozen", &sign);
    sign.in_time().problem(503, "store_unavailable");
    let run = s
        .maintenance
        .invoke_event(scheduled_event("lms-zoom-maintenance"))
        .await;
    let summary = run.response_json();
    eprintln!(
        "FIGURE maintenance run | store frozen | {:?} | timeout {:?} | {summary}",
        run.duration, run.timeout
    );
    assert!(run.duration < run.timeout, "{run:?}");
    let hook = hooks
        .invoke_http(
            HttpRequest::post(&format!("/v1/webhooks/zoom/{}", s.license_id))
                .header("x-zm-request-timestamp", "1")
                .header("x-zm-signature", "v0=00")
                .body("application/json", "{}"),
        )
        .await;
    figure("POST /webhooks/zoom/{id}", "store frozen", &hook);
    hook.in_time().problem(503, "store_unavailable");
    moto.thaw();
    s.meetings.wait_idle_frozen().await;
    let after = s.create("2031-07-01T10:00:00Z").await;
    after.in_time().ok(201);
    s.assert_zoom_is_ours().await;
    // The license and the meeting are as they were.
    let license = s.licenses.invoke_http(HttpRequest::get(&lic)).await;
    assert_eq!(license.in_time().ok(200)["name"], "Faults");
    let meeting = s.meetings.invoke_http(HttpRequest::get(&m)).await;
    assert_eq!(meeting.in_time().ok(200)["status"], "scheduled");
}

/// Reschedule, delete and recording sync on a Zoom that never answers, and
/// a reschedule whose answers are lost: each answers before the Timeout,
/// and afterwards Zoom has exactly our meetings at our times, and the time
/// a failed reschedule asked for is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_under_a_silent_zoom_and_lost_answers_answer_in_time() {
    let (table, prefix) = fresh_table().await;
    let s = stack(&table, &prefix, None).await;
    let created = s.create("2031-08-01T10:00:00Z").await;
    let meeting = created.in_time().ok(201).clone();
    let id = meeting["meetingId"].as_str().unwrap().to_owned();
    let zoom_id = meeting["zoomMeetingId"].as_str().unwrap().to_owned();
    let path = format!("/v1/academies/lf/meetings/{id}");
    let moved = serde_json::json!({"startTime": "2031-08-01T14:00:00Z"});

    s.zoom.inject(Fault::new(
        Endpoint::UpdateMeeting,
        FaultKind::Latency(Duration::from_secs(120)),
    ));
    let patch = s
        .meetings
        .invoke_http(HttpRequest::patch(&path).json(&moved))
        .await;
    figure("PATCH /meetings/{id}", "Zoom update never answers", &patch);
    patch.in_time().problem(503, "zoom_unavailable");
    s.zoom.clear_faults();

    s.zoom.inject(Fault::times(
        Endpoint::UpdateMeeting,
        FaultKind::LateAnswer(Duration::from_secs(120)),
        3,
    ));
    let lost = s
        .meetings
        .invoke_http(HttpRequest::patch(&path).json(&moved))
        .await;
    figure("PATCH /meetings/{id}", "Zoom update answers lost", &lost);
    lost.in_time().problem(503, "zoom_unavailable");
    s.zoom.clear_faults();
    s.meetings.wait_idle_frozen().await;
    let in_zoom = s.zoom.meeting(&zoom_id).unwrap();
    assert_eq!(in_zoom["start_time"], "2031-08-01T10:00:00Z", "put back");

    s.zoom.inject(Fault::new(
        Endpoint::DeleteMeeting,
        FaultKind::Latency(Duration::from_secs(120)),
    ));
    let delete = s.meetings.invoke_http(HttpRequest::delete(&path)).await;
    figure(
        "DELETE /meetings/{id}",
        "Zoom delete never answers",
        &delete,
    );
    delete.in_time().problem(503, "zoom_unavailable");
    s.zoom.clear_faults();

    s.zoom.inject(Fault::new(
        Endpoint::GetRecordings,
        FaultKind::Latency(Duration::from_secs(120)),
    ));
    let sync = s
        .meetings
        .invoke_http(HttpRequest::post(&format!("{path}/recordings/sync")))
        .await;
    figure(
        "POST /meetings/{id}/recordings/sync",
        "Zoom never answers",
        &sync,
    );
    sync.in_time().problem(503, "zoom_unavailable");
    s.zoom.clear_faults();

    s.meetings.wait_idle_frozen().await;
    s.assert_zoom_is_ours().await;
    // The time the failed reschedules asked for is free (one meeting at a
    // time on this license), and the meeting keeps its own.
    s.create("2031-08-01T14:00:00Z").await.in_time().ok(201);
    s.create("2031-08-01T10:30:00Z")
        .await
        .in_time()
        .problem(409, "slot_conflict");
}

/// Verification and a host's signature on a Zoom that never answers: the
/// verification is reported (unverified, a Zoom error) and a host's
/// signature is `503 zoom_unavailable`, both before their Timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_host_signature_under_a_silent_zoom_answer_in_time() {
    let (table, prefix) = fresh_table().await;
    let s = stack(&table, &prefix, None).await;
    let created = s.create("2031-09-01T10:00:00Z").await;
    let id = created.in_time().ok(201)["meetingId"]
        .as_str()
        .unwrap()
        .to_owned();
    let licenses = LambdaHost::builder(FunctionSpec::licenses())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .timeout(Duration::from_secs(6))
        .start()
        .await;
    let signatures = LambdaHost::builder(FunctionSpec::sdk_signature())
        .store(&table, &prefix)
        .zoom(&s.zoom)
        .timeout(Duration::from_secs(4))
        .start()
        .await;
    s.zoom.revoke_tokens();
    s.zoom.inject(Fault::new(
        Endpoint::Token,
        FaultKind::Latency(Duration::from_secs(120)),
    ));
    let verify = licenses
        .invoke_http(HttpRequest::post(&format!(
            "/v1/academies/lf/licenses/{}/verify",
            s.license_id
        )))
        .await;
    figure(
        "POST /licenses/{id}/verify",
        "Zoom token never answers",
        &verify,
    );
    assert_eq!(verify.in_time().ok(200)["status"], "unverified");

    let host = signatures
        .invoke_http(
            HttpRequest::post(&format!("/v1/academies/lf/meetings/{id}/signature"))
                .json(&serde_json::json!({"role": "host"})),
        )
        .await;
    figure(
        "POST /meetings/{id}/signature (host)",
        "Zoom never answers",
        &host,
    );
    host.in_time().problem(503, "zoom_unavailable");
    // The attendee path asks Zoom nothing: unaffected.
    let attendee = signatures
        .invoke_http(
            HttpRequest::post(&format!("/v1/academies/lf/meetings/{id}/signature"))
                .json(&serde_json::json!({"role": "attendee"})),
        )
        .await;
    figure(
        "POST /meetings/{id}/signature (attendee)",
        "Zoom never answers",
        &attendee,
    );
    attendee.in_time().ok(200);
    s.zoom.clear_faults();
}
