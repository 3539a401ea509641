//! Class series when Zoom or the store fail, on both stores: a create
//! Zoom refuses or whose answer is lost leaves no series, no booking and no
//! recurring meeting in Zoom; a request that dies between its commit
//! batches leaves its repair record, and `maintenance` undoes the series
//! whole (Zoom's meeting, every slot, every occurrence written).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use lms_zoom::AppState;
use lms_zoom::store::{Item, Key, Query, Store, StoreError, StoreResult, Write};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{Recorder, new_license};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::{Endpoint, Fault, FaultKind};

/// Longer than the Zoom client's call timeout (10 s).
const PAST_TIMEOUT: Duration = Duration::from_secs(11);

/// A store whose transactions all fail, once armed, from the second one
/// that writes 40 items or more (a series' second commit batch) until
/// disarmed: a request that dies between its commit batches, as far as
/// the store shows it.
struct DiesMidCommit {
    inner: Arc<dyn Store>,
    armed: Arc<AtomicBool>,
    dead: Arc<AtomicBool>,
    batches: AtomicUsize,
}

#[async_trait::async_trait]
impl Store for DiesMidCommit {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        self.inner.batch_get(keys).await
    }
    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        if self.armed.load(Ordering::SeqCst)
            && writes.len() >= 40
            && self.batches.fetch_add(1, Ordering::SeqCst) == 1
        {
            self.dead.store(true, Ordering::SeqCst);
        }
        if self.dead.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("the request died here".into()));
        }
        self.inner.transact(writes).await
    }
}

struct Setup {
    server: TestServer,
    state: AppState,
    rec: Recorder,
    license_id: String,
    armed: Arc<AtomicBool>,
    dead: Arc<AtomicBool>,
}

async fn setup(kind: StoreKind) -> Setup {
    let armed = Arc::new(AtomicBool::new(false));
    let dead = Arc::new(AtomicBool::new(false));
    let (a, d) = (armed.clone(), dead.clone());
    let (server, state) = TestServer::start_keeping_state(
        Backend::of(kind),
        test_zoom(),
        move |inner| {
            Arc::new(DiesMidCommit {
                inner,
                armed: a,
                dead: d,
                batches: AtomicUsize::new(0),
            })
        },
        |s| s,
    )
    .await;
    let rec = Recorder::new();
    let (license_id, _) = new_license(&server, &rec, "faults", 1).await;
    Setup {
        license_id,
        server,
        state,
        rec,
        armed,
        dead,
    }
}

impl Setup {
    fn body(&self) -> Value {
        json!({
            "topic": "Física", "startTime": "2031-08-05T18:00:00-03:00", "durationMinutes": 90,
            "timezone": "America/Argentina/Buenos_Aires", "licenseId": self.license_id,
            "recurrence": {"type": "weekly", "weeklyDays": ["tue", "thu"], "endTimes": 30}
        })
    }

    async fn post(&self) -> lms_zoom_tests::kit::Answer {
        let url = self.server.url("/v1/academies/a1/series");
        self.rec
            .send(self.server.http.post(url).json(&self.body()))
            .await
    }

    /// Nothing of the series is left: no meeting of ours, every class's
    /// time free on the license, Zoom holding no meeting.
    async fn nothing_left(&self) {
        assert_eq!(
            self.server.zoom.meeting_count(),
            0,
            "no recurring meeting left in Zoom"
        );
        let list = self.server.url("/v1/academies/a1/meetings?limit=100");
        let listed = self.rec.send(self.server.http.get(list)).await;
        assert_eq!(listed.ok(200)["items"], json!([]), "no occurrence left");
        for start in [
            "2031-08-05T21:00:00Z",
            "2031-09-18T21:00:00Z",
            "2031-11-06T21:00:00Z",
        ] {
            let body = json!({"topic": "Suelta", "startTime": start, "durationMinutes": 30,
                              "licenseId": self.license_id});
            let url = self.server.url("/v1/academies/a1/meetings");
            let answer = self.rec.send(self.server.http.post(url).json(&body)).await;
            assert_eq!(
                answer.status.as_u16(),
                201,
                "{start} is free: {}",
                answer.text
            );
        }
    }
}

async fn a_create_zoom_refuses_leaves_nothing(kind: StoreKind) {
    let s = setup(kind).await;
    s.server.zoom.inject(Fault::times(
        Endpoint::CreateMeeting,
        FaultKind::ServerError(500),
        1,
    ));
    s.post().await.problem(503, "zoom_unavailable");
    s.nothing_left().await;
    s.rec.assert_no_secret_leaked();
}

async fn a_create_whose_answer_is_lost_leaves_no_orphan(kind: StoreKind) {
    let s = setup(kind).await;
    s.server.zoom.inject(Fault::times(
        Endpoint::CreateMeeting,
        FaultKind::LateAnswer(PAST_TIMEOUT),
        1,
    ));
    s.post().await.problem(503, "zoom_unavailable");
    assert_eq!(
        s.server.zoom.count(Endpoint::CreateMeeting),
        1,
        "never asked twice"
    );
    s.nothing_left().await;
}

async fn a_request_dying_mid_commit_is_undone_by_maintenance(kind: StoreKind) {
    let s = setup(kind).await;
    s.armed.store(true, Ordering::SeqCst);
    s.post().await.problem(503, "store_unavailable");
    assert!(s.dead.load(Ordering::SeqCst), "the commit was cut");
    // Its first batch committed: those occurrences exist until the undo.
    let list = s.server.url("/v1/academies/a1/meetings?limit=100");
    let listed = s.rec.send(s.server.http.get(list)).await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 10);
    assert_eq!(
        s.server.zoom.meeting_count(),
        1,
        "Zoom holds the series' meeting meanwhile"
    );
    s.armed.store(false, Ordering::SeqCst);
    s.dead.store(false, Ordering::SeqCst);
    // Not due while its owner may still be running.
    let early = s.state.maintenance.run().await;
    assert_eq!(s.server.zoom.meeting_count(), 1, "{early:?}");
    let report = s
        .state
        .maintenance
        .run_as_of(Utc::now() + chrono::Duration::minutes(2))
        .await;
    assert!(report.errors.is_empty(), "{report:?}");
    assert!(report.resolved >= 1, "{report:?}");
    s.nothing_left().await;
    let status = s.state.maintenance.status().await.expect("status");
    assert_eq!(status.pending_repairs, 0);
}

on_both_stores!(
    a_create_zoom_refuses_leaves_nothing,
    a_create_whose_answer_is_lost_leaves_no_orphan,
    a_request_dying_mid_commit_is_undone_by_maintenance,
);
