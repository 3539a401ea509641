//! The `maintenance` job on both stores, run in this process on the state
//! the server serves: repair records left by requests that did not finish
//! are resolved once — the secret of a license never created is discarded,
//! a webhook event that beat its meeting's commit is applied once the
//! meeting is ours — and two runs at once never do anything twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use lms_zoom::AppState;
use lms_zoom::repo::repairs::{Repair, RepairRecord, RepairRepo, open_repair};
use lms_zoom::secrets::{LicenseSecrets, SecretError, SecretStore, SecretVersion};
use lms_zoom::store::Store;
use lms_zoom::zoom::events::ZoomEvent;
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets as TestSecrets, Recorder, webhook};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// A secret store whose next create is stored but answered as a timeout
/// (the work done, the answer lost), remembering what it stored.
struct LateCreate {
    inner: Arc<dyn SecretStore>,
    armed: AtomicBool,
    stored: Mutex<Vec<(String, SecretVersion)>>,
}

#[async_trait]
impl SecretStore for LateCreate {
    async fn create(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        let version = self.inner.create(name, value).await?;
        self.stored
            .lock()
            .await
            .push((name.to_owned(), version.clone()));
        if self.armed.swap(false, Ordering::SeqCst) {
            return Err(SecretError::Unavailable("timed out (late answer)".into()));
        }
        Ok(version)
    }
    async fn put_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        self.inner.put_version(name, value).await
    }
    async fn get(&self, name: &str, version: &str) -> Result<LicenseSecrets, SecretError> {
        self.inner.get(name, version).await
    }
    async fn schedule_deletion(&self, name: &str) -> Result<(), SecretError> {
        self.inner.schedule_deletion(name).await
    }
    async fn discard(&self, name: &str) -> Result<(), SecretError> {
        self.inner.discard(name).await
    }
}

async fn status(server: &TestServer, state: &AppState) -> (usize, Option<i64>) {
    let _ = server;
    let s = state.maintenance.status().await.expect("status");
    (s.pending_repairs, s.oldest_repair_age_seconds)
}

/// A run as the schedule would make it two minutes from now: every
/// record of a request that ended by then is due.
fn later() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::minutes(2)
}

async fn orphan_secret_is_discarded_once_due(kind: StoreKind) {
    let late = Arc::new(std::sync::OnceLock::<Arc<LateCreate>>::new());
    let keep = late.clone();
    let (server, state) = TestServer::start_keeping_state(
        Backend::of(kind),
        test_zoom(),
        |store| store,
        move |secrets| {
            let wrapped = Arc::new(LateCreate {
                inner: secrets,
                armed: AtomicBool::new(true),
                stored: Mutex::new(Vec::new()),
            });
            keep.set(wrapped.clone()).ok();
            wrapped
        },
    )
    .await;
    let late = late.get().unwrap().clone();
    let rec = Recorder::new();
    let secrets = TestSecrets::new("orphan");
    let body = secrets.body("Orphan", 1);
    let answer = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses?verify=false"))
                .json(&body),
        )
        .await;
    answer.problem(503, "store_unavailable");
    let (name, version) = late.stored.lock().await[0].clone();
    assert!(
        late.inner.get(&name, &version).await.is_ok(),
        "the late create stored the secret"
    );
    assert_eq!(status(&server, &state).await.0, 1, "one repair pending");

    // Not due yet: the owner's deadline and the grace have not passed.
    let report = state.maintenance.run().await;
    assert_eq!(report.resolved, 0, "{report:?}");
    assert!(late.inner.get(&name, &version).await.is_ok());

    let report = state.maintenance.run_as_of(later()).await;
    assert_eq!(report.resolved, 1, "{report:?}");
    assert!(matches!(
        late.inner.get(&name, &version).await,
        Err(SecretError::NotFound)
    ));
    assert_eq!(status(&server, &state).await, (0, None));
    let last = state.maintenance.status().await.unwrap().last;
    assert!(
        last.last_run_at.is_some() && last.last_error.is_none(),
        "{last:?}"
    );

    // A license created normally leaves no repair and keeps its secret.
    let ok = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses?verify=false"))
                .json(&body),
        )
        .await;
    ok.ok(201);
    assert_eq!(status(&server, &state).await.0, 0);
    state.maintenance.run_as_of(later()).await;
    let (name, version) = late.stored.lock().await[1].clone();
    assert!(late.inner.get(&name, &version).await.is_ok());
}

struct Scheduled {
    server: TestServer,
    state: AppState,
    store: Arc<dyn Store>,
    license_id: String,
    meeting_id: String,
    zoom_id: String,
    webhook_secret: String,
}

async fn scheduled(kind: StoreKind) -> Scheduled {
    let seen = Arc::new(std::sync::OnceLock::<Arc<dyn Store>>::new());
    let keep = seen.clone();
    let (server, state) = TestServer::start_keeping_state(
        Backend::of(kind),
        test_zoom(),
        move |store| {
            keep.set(store.clone()).ok();
            store
        },
        |secrets| secrets,
    )
    .await;
    let rec = Recorder::new();
    let secrets = TestSecrets::new("maint");
    let license = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses?verify=false"))
                .json(&secrets.body("M", 2)),
        )
        .await;
    let license_id = license.id("licenseId");
    let meeting = rec
        .send(server.http.post(server.url("/v1/academies/a1/meetings")).json(&json!({
            "topic": "Clase", "startTime": "2031-03-01T10:00:00Z", "durationMinutes": 60, "licenseId": license_id
        })))
        .await;
    Scheduled {
        meeting_id: meeting.id("meetingId"),
        zoom_id: meeting.id("zoomMeetingId"),
        server,
        state,
        store: seen.get().unwrap().clone(),
        license_id,
        webhook_secret: secrets.webhook_secret,
    }
}

fn joined(zoom_id: &str, who: usize) -> Value {
    json!({"event": "meeting.participant_joined", "event_ts": 1_900_000_000_000u64 + who as u64,
        "payload": {"account_id": "a", "object": {"id": zoom_id, "uuid": "U1==",
            "participant": {"user_id": format!("u{who}"), "user_name": format!("P{who}"),
                "participant_uuid": format!("PU-{who}"), "join_time": "2031-03-01T10:01:00Z"}}}})
}

/// A kept event, as the webhook route keeps one that beat its meeting's commit.
fn kept(license_id: &str, zoom_id: &str, who: usize) -> RepairRecord {
    let event = ZoomEvent::from_value(&joined(zoom_id, who)).unwrap();
    RepairRecord::due_now(Repair::Webhook {
        license_id: license_id.to_owned(),
        zoom_meeting_id: zoom_id.to_owned(),
        hash: lms_zoom::app::webhooks::dedupe_hash(license_id, &event),
        event: event.compact(),
    })
}

async fn attendance(s: &Scheduled) -> Vec<Value> {
    let rec = Recorder::new();
    let url = format!("/v1/academies/a1/meetings/{}/attendance", s.meeting_id);
    let answer = rec.send(s.server.http.get(s.server.url(&url))).await;
    answer.ok(200)["items"].as_array().unwrap().clone()
}

async fn two_concurrent_runs_apply_each_kept_event_once(kind: StoreKind) {
    let s = scheduled(kind).await;
    let repairs = RepairRepo::new(s.store.clone());
    const EVENTS: usize = 12;
    for who in 0..EVENTS {
        let record = kept(&s.license_id, &s.zoom_id, who);
        repairs.write(vec![open_repair(&record)]).await.unwrap();
    }
    assert_eq!(
        s.state.maintenance.status().await.unwrap().pending_repairs,
        EVENTS
    );
    let (a, b) = tokio::join!(s.state.maintenance.run(), s.state.maintenance.run());
    assert_eq!(a.resolved + b.resolved, EVENTS, "{a:?} {b:?}");
    assert!(a.errors.is_empty() && b.errors.is_empty(), "{a:?} {b:?}");
    let items = attendance(&s).await;
    assert_eq!(items.len(), EVENTS, "{items:?}");
    for item in &items {
        assert_eq!(item["joinedAt"], "2031-03-01T10:01:00Z", "{item}");
    }
    assert_eq!(
        s.state.maintenance.status().await.unwrap().pending_repairs,
        0
    );
    // A third run finds nothing to do.
    let again = s.state.maintenance.run().await;
    assert_eq!((again.resolved, again.left), (0, 0), "{again:?}");
    assert_eq!(attendance(&s).await.len(), EVENTS);
}

async fn an_event_for_another_license_is_dropped(kind: StoreKind) {
    let s = scheduled(kind).await;
    let repairs = RepairRepo::new(s.store.clone());
    let other = "lic_01jz8x6q3m0000000000000000";
    repairs
        .write(vec![open_repair(&kept(other, &s.zoom_id, 1))])
        .await
        .unwrap();
    let report = s.state.maintenance.run().await;
    assert_eq!(report.resolved, 1, "{report:?}");
    assert!(
        attendance(&s).await.is_empty(),
        "not applied to our meeting"
    );
    assert_eq!(
        s.state.maintenance.status().await.unwrap().pending_repairs,
        0
    );
}

async fn an_event_that_beat_its_commit_is_kept_then_applied(kind: StoreKind) {
    let s = scheduled(kind).await;
    // An event about a Zoom meeting nobody has committed yet: kept.
    let rec = Recorder::new();
    let unknown = "99999999999";
    let body = serde_json::to_vec(&joined(unknown, 7)).unwrap();
    let answer = rec
        .send(webhook(&s.server, &s.license_id, &s.webhook_secret, &body))
        .await;
    answer.ok(200);
    let status = s.state.maintenance.status().await.unwrap();
    assert_eq!(status.pending_repairs, 1);
    // Still nobody's (and young): kept for the next run.
    let report = s.state.maintenance.run().await;
    assert_eq!((report.resolved, report.left), (0, 1), "{report:?}");
    // A redelivery is a duplicate, not a second record.
    rec.send(webhook(&s.server, &s.license_id, &s.webhook_secret, &body))
        .await;
    assert_eq!(
        s.state.maintenance.status().await.unwrap().pending_repairs,
        1
    );
    let kept_one = RepairRepo::new(s.store.clone()).all(10).await.unwrap();
    assert!(
        kept_one[0].repair.id().starts_with("webhook#"),
        "{kept_one:?}"
    );
    let item = serde_json::to_string(&kept_one[0]).unwrap();
    assert!(
        !item.contains("download_token") && item.len() < 2_000,
        "{item}"
    );
}

on_both_stores!(
    orphan_secret_is_discarded_once_due,
    two_concurrent_runs_apply_each_kept_event_once,
    an_event_for_another_license_is_dropped,
    an_event_that_beat_its_commit_is_kept_then_applied,
);
