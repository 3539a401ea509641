//! `GET /v1/maintenance/status` black-box through `lms-zoom-local`: its shape
//! before any run (on both stores) and after the server's maintenance timer
//! ran, LMS auth, a store outage as the usual problem, and `--timeout`
//! bounding the licenses function's routes, this one included.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lms_zoom::store::{Item, Key, Query, Store, StoreResult, Write};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{Answer, Outage, Recorder};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};

const STATUS: &str = "/v1/maintenance/status";

async fn status(server: &TestServer) -> Answer {
    Recorder::new()
        .send(server.http.get(server.url(STATUS)))
        .await
}

/// The 200 answer's body, after checking its media type.
#[track_caller]
fn ok_json(answer: &Answer) -> Value {
    assert_eq!(answer.content_type(), "application/json", "{}", answer.text);
    answer.ok(200).clone()
}

async fn a_fresh_server_has_no_run_and_nothing_pending(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let body = ok_json(&status(&server).await);
    assert_eq!(
        body,
        json!({"lastRunAt": null, "lastRunMs": null, "pendingRepairs": 0,
               "oldestRepairAgeSeconds": null, "lastError": null})
    );
}

on_both_stores!(a_fresh_server_has_no_run_and_nothing_pending);

/// `--maintenance-interval`: the timer's run is what the status shows; a
/// restart (which stops the timer and releases the store) keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_shows_the_run_of_the_local_timer() {
    let server = TestServer::start_with_flags(Backend::embedded(), |args| {
        args.maintenance_interval = Duration::from_millis(100);
    })
    .await;
    let started = Instant::now();
    let body = loop {
        let body = ok_json(&status(&server).await);
        if !body["lastRunAt"].is_null() {
            break body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no run in 10 s: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ran_at = chrono::DateTime::parse_from_rfc3339(body["lastRunAt"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("lastRunAt {body}: {e}"));
    assert!(ran_at <= chrono::Utc::now());
    assert!(body["lastRunMs"].is_u64(), "{body}");
    assert_eq!(body["pendingRepairs"], 0, "{body}");
    assert_eq!(body["oldestRepairAgeSeconds"], Value::Null, "{body}");
    assert_eq!(body["lastError"], Value::Null, "{body}");

    let server = server.restart().await;
    let again = ok_json(&status(&server).await);
    assert!(again["lastRunAt"].is_string(), "{again}");
}

/// An LMS route: the bearer token of the local server guards it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_needs_the_lms_token() {
    let server = TestServer::start_with_token(Backend::embedded(), Some("lms-token-1")).await;
    status(&server).await.problem(401, "unauthorized");
    let authorized = Recorder::new()
        .send(
            server
                .http
                .get(server.url(STATUS))
                .bearer_auth("lms-token-1"),
        )
        .await;
    assert_eq!(ok_json(&authorized)["pendingRepairs"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_is_store_unavailable() {
    let outage = Outage::start(StoreKind::Embedded, test_zoom()).await;
    outage.down();
    let down = status(&outage.server).await;
    down.problem(503, "store_unavailable").retry_after();
    outage.up();
    ok_json(&status(&outage.server).await);
}

/// A store whose reads of the maintenance status never answer.
struct StuckStatus(Arc<dyn Store>);

#[async_trait::async_trait]
impl Store for StuckStatus {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        if key.pk == "MAINTENANCE" {
            std::future::pending::<()>().await;
        }
        self.0.get(key).await
    }
    async fn get_json(&self, key: &Key) -> StoreResult<Option<Vec<u8>>> {
        if key.pk == "MAINTENANCE" {
            std::future::pending::<()>().await;
        }
        self.0.get_json(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        self.0.batch_get(keys).await
    }
    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        self.0.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        self.0.transact(writes).await
    }
}

/// `--timeout licenses=0.5`: a stuck store read is answered `503` within
/// the licenses function's half second, not its Lambda Timeout of 29 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_licenses_timeout_bounds_the_status() {
    let server = TestServer::start_wrapped_with_flags(
        Backend::embedded(),
        test_zoom(),
        |store| Arc::new(StuckStatus(store)),
        |args| args.timeouts = vec!["licenses=0.5".parse().unwrap()],
    )
    .await;
    let started = Instant::now();
    let stuck = status(&server).await;
    let took = started.elapsed();
    stuck.problem(503, "store_unavailable").retry_after();
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
}
