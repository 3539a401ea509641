//! The Lambda host itself, against the real function binaries, the suite's
//! moto and the Zoom emulator: answers arrive through the Runtime API,
//! instances are frozen between invocations, the `Timeout` is enforced with
//! a kill and a cold start, and concurrent invocations get instances of their own.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use lms_zoom_tests::kit::{LicenseSecrets, zoom_signature};
use lms_zoom_tests::lambda_host::{
    FunctionSpec, HttpRequest, LambdaHost, Outcome, Route, eventually, process_state,
    scheduled_event,
};
use lms_zoom_tests::{dynamo_store, test_zoom, unique};
use serde_json::{Value, json};
use zoom_emulator::{Emulator, Endpoint, Fault, FaultKind};

/// A fresh table in moto and a secrets prefix of this test's own.
async fn store() -> (String, String) {
    let table = dynamo_store().await.table().to_owned();
    (table, format!("{}/", unique("lmsz-lh")))
}

async fn licenses(table: &str, prefix: &str, zoom: &Emulator) -> LambdaHost {
    LambdaHost::builder(FunctionSpec::licenses())
        .store(table, prefix)
        .zoom(zoom)
        .start()
        .await
}

fn create(academy: &str, body: &Value, verify: bool) -> HttpRequest {
    let query = if verify { "" } else { "?verify=false" };
    HttpRequest::post(&format!("/v1/academies/{academy}/licenses{query}")).json(body)
}

/// template.yaml's Timeout, MemorySize, routes, authorizers and schedules
/// are what the host hands the functions.
#[test]
fn function_specs_are_template_yaml() {
    let text = std::fs::read_to_string(
        lms_zoom_tests::lambda_host::binaries::workspace_root().join("template.yaml"),
    )
    .unwrap();
    // serde_norway's own Value: template.yaml has CloudFormation tags (!Ref).
    let template: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let globals = &template["Globals"]["Function"];
    let resources = template["Resources"].as_mapping().unwrap();
    let mut seen = Vec::new();
    for (_, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap();
        let spec = FunctionSpec::all()
            .into_iter()
            .find(|f| f.name == binary)
            .unwrap_or_else(|| panic!("no FunctionSpec for {binary}"));
        let props = &resource["Properties"];
        let timeout = props
            .get("Timeout")
            .unwrap_or(&globals["Timeout"])
            .as_u64()
            .unwrap();
        let memory = props
            .get("MemorySize")
            .unwrap_or(&globals["MemorySize"])
            .as_u64()
            .unwrap();
        assert_eq!(spec.timeout, Duration::from_secs(timeout), "{binary}");
        assert_eq!(u64::from(spec.memory_mb), memory, "{binary}");
        let mut routes: Vec<Route> = Vec::new();
        let mut schedules = Vec::new();
        let mut queues = Vec::new();
        for (_, event) in props["Events"].as_mapping().unwrap() {
            let p = &event["Properties"];
            if event["Type"].as_str() == Some("Schedule") {
                schedules.push(p["Schedule"].as_str().unwrap());
                continue;
            }
            if event["Type"].as_str() == Some("SQS") {
                queues.push(p["BatchSize"].as_u64().unwrap());
                let reports = p["FunctionResponseTypes"].as_sequence().unwrap();
                assert!(
                    reports
                        .iter()
                        .any(|r| r.as_str() == Some("ReportBatchItemFailures")),
                    "{binary}: partial-batch failures"
                );
                continue;
            }
            assert_eq!(event["Type"].as_str(), Some("HttpApi"));
            let path = p["Path"].as_str().unwrap();
            let method = p["Method"].as_str().unwrap();
            let route = spec
                .routes
                .iter()
                .find(|r| r.path == path && r.method == method)
                .unwrap_or_else(|| panic!("{binary}: no route {method} {path}"));
            assert_eq!(
                route.iam,
                p["Auth"]["Authorizer"].as_str() != Some("NONE"),
                "{path}"
            );
            routes.push(route.clone());
        }
        assert_eq!(routes.len(), spec.routes.len(), "{binary}: routes");
        assert_eq!(
            schedules,
            Vec::from_iter(spec.schedule),
            "{binary}: schedule"
        );
        assert_eq!(queues, Vec::from_iter(spec.queue_batch), "{binary}: queue");
        seen.push(binary.to_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "licenses",
            "maintenance",
            "meetings",
            "recording-archiver",
            "sdk-signature",
            "zoom-webhooks"
        ]
    );
}

/// (a) `licenses` creates a license (verified against the emulator) and
/// reads it back through API Gateway v2 events; the instance is stopped
/// (`T`) after init and after each answer; its JSON logs are captured and
/// hold no secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licenses_answers_and_is_frozen_between_invocations() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let (table, prefix) = store().await;
    let host = LambdaHost::builder(FunctionSpec::licenses())
        .store(&table, &prefix)
        .zoom(&zoom)
        .rust_log("debug")
        .start()
        .await;
    host.wait_idle_frozen().await;
    let first = host.instances()[0].clone();
    assert_eq!(first.freezes, 1, "frozen after init: {first:?}");

    let secrets = LicenseSecrets::new("lhost");
    let created = host
        .invoke_http(create("lh-a", &secrets.body("Lambda host", 2), true))
        .await;
    let license = created.in_time().ok(201).clone();
    assert_eq!(license["status"], "verified", "{license}");
    let id = license["licenseId"].as_str().unwrap().to_owned();
    let inv = created.invocation.as_ref().unwrap();
    assert!(inv.cold, "the first invocation of its process");
    assert!(
        zoom.count(Endpoint::Token) >= 1,
        "verified with the emulator"
    );

    host.wait_idle_frozen().await;
    assert_eq!(host.instances()[0].freezes, 2, "frozen after its answer");
    assert_eq!(process_state(first.pid), Some('T'));

    // Built with reqwest, as the TestServer suites build their requests.
    let read = host
        .send(
            host.http()
                .get(host.url(&format!("/v1/academies/lh-a/licenses/{id}"))),
        )
        .await;
    assert_eq!(read.in_time().ok(200)["licenseId"], id.as_str());
    let again = read.invocation.as_ref().unwrap();
    assert!(!again.cold);
    assert_eq!(again.pid, first.pid, "the same warm process");
    host.wait_idle_frozen().await;
    assert_eq!(host.instances()[0].freezes, 3);

    // A route of no function of this host: API Gateway's own 404.
    let none = host
        .invoke_http(HttpRequest::get("/v1/academies/lh-a/other"))
        .await;
    assert!(none.invocation.is_none());
    assert_eq!(none.answer.status, 404);

    let stats = host.stats();
    assert_eq!(
        (
            stats.invocations,
            stats.responses,
            stats.cold_starts,
            stats.timeouts,
            stats.no_route
        ),
        (2, 2, 1, 0, 1),
        "{stats:?}"
    );
    let logs = host.logs();
    assert!(
        logs.iter()
            .any(|l| serde_json::from_str::<Value>(&l.line).is_ok()),
        "JSON log lines captured: {logs:?}"
    );
    let tokens = zoom.issued_tokens();
    let mut secrets = vec![
        lms_zoom_tests::CLIENT_SECRET.to_owned(),
        secrets.sdk_secret.clone(),
        secrets.webhook_secret.clone(),
    ];
    secrets.extend(tokens);
    let leaks = host.leaks(&secrets);
    assert!(leaks.is_empty(), "leaked into logs: {leaks:?}");
    for answer in [&created.answer.text, &read.answer.text] {
        for secret in &secrets {
            assert!(!answer.contains(secret.as_str()), "answer holds {secret}");
        }
    }
    assert!(host.log_text().contains("\"level\""), "JSON logs");
    let platform = host.platform_log();
    assert!(platform.iter().any(|l| l.starts_with("REPORT RequestId:")));
    eprintln!("{}", platform.join("\n"));
}

/// (b) `zoom-webhooks` answers a signed `endpoint.url_validation` within its
/// 3 s Timeout, with the body as text and base64-encoded by API Gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_validation_answers_within_three_seconds() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let (table, prefix) = store().await;
    let lic = licenses(&table, &prefix, &zoom).await;
    let secrets = LicenseSecrets::new("lhwh");
    let created = lic
        .invoke_http(create("lh-b", &secrets.body("Webhooks", 1), false))
        .await;
    let license_id = created.in_time().ok(201)["licenseId"]
        .as_str()
        .unwrap()
        .to_owned();

    let hooks = LambdaHost::builder(FunctionSpec::zoom_webhooks())
        .store(&table, &prefix)
        .zoom(&zoom)
        .start()
        .await;
    assert_eq!(hooks.timeout(), Duration::from_secs(3));
    let plain = "qgg8vlvZRS6UYooatFL8Aw";
    let body = json!({"payload": {"plainToken": plain}, "event_ts": 1654503849680i64, "event": "endpoint.url_validation"}).to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secrets.webhook_secret.as_bytes()).unwrap();
    mac.update(plain.as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    for base64 in [false, true] {
        let ts = chrono::Utc::now().timestamp();
        let request = HttpRequest::post(&format!("/v1/webhooks/zoom/{license_id}"))
            .header("x-zm-request-timestamp", &ts.to_string())
            .header(
                "x-zm-signature",
                &zoom_signature(&secrets.webhook_secret, ts, body.as_bytes()),
            )
            .header("user-agent", "Zoom Marketplace/1.0a")
            .body("application/json; charset=utf-8", body.clone())
            .base64(base64);
        let answered = hooks.invoke_http(request).await;
        let answer = answered.in_time().ok(200);
        assert_eq!(answer["plainToken"], plain);
        assert_eq!(
            answer["encryptedToken"],
            expected.as_str(),
            "base64: {base64}"
        );
        let inv = answered.invocation.unwrap();
        eprintln!(
            "url_validation (base64 {base64}): {:?} in the function, {:?} in all",
            inv.duration, inv.elapsed
        );
    }
    // GET is no route of the webhook function: API Gateway answers itself.
    let get = hooks
        .invoke_http(HttpRequest::get(&format!("/v1/webhooks/zoom/{license_id}")))
        .await;
    assert_eq!(get.answer.status, 404);
    assert_eq!(hooks.stats().responses, 2);
}

/// A Zoom that accepts connections and never answers.
struct BlackHole {
    url: String,
    accepted: Arc<Mutex<Vec<tokio::net::TcpStream>>>,
    task: tokio::task::JoinHandle<()>,
}

impl BlackHole {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let held = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                held.lock().unwrap().push(stream);
            }
        });
        Self {
            url,
            accepted,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.accepted.lock().unwrap().len()
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// (c) An invocation that outlives its Timeout is reported timed out, API
/// Gateway answers 500, the process is killed, and the next invocation is
/// served by a fresh process (a cold start). The function keeps to the
/// deadline it is told, so it is told a later one (60 s; its own 29 s
/// timeout then rules) than the 2 s enforced, on a Zoom that never answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_timeout_an_invocation_is_killed_and_a_fresh_process_serves_the_next() {
    let hole = BlackHole::start().await;
    let (table, prefix) = store().await;
    let timeout = Duration::from_secs(2);
    let host = LambdaHost::builder(FunctionSpec::licenses())
        .store(&table, &prefix)
        .zoom_urls(
            &format!("{}/v2", hole.url),
            &format!("{}/oauth/token", hole.url),
        )
        .timeout(timeout)
        .advertise_deadline(Duration::from_secs(60))
        .start()
        .await;
    let secrets = LicenseSecrets::new("lhto");
    let created = host
        .invoke_http(create("lh-c", &secrets.body("Timeout", 1), false))
        .await;
    let id = created.in_time().ok(201)["licenseId"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_pid = created.invocation.as_ref().unwrap().pid;

    let verify = host
        .invoke_http(HttpRequest::post(&format!(
            "/v1/academies/lh-c/licenses/{id}/verify"
        )))
        .await;
    assert!(
        verify.timed_out(),
        "the verification must outlive 2 s on a silent Zoom when told it has 60 s: {:?} {}",
        verify.invocation.as_ref().map(|i| &i.outcome),
        verify.answer.text
    );
    assert_eq!(verify.answer.status, 500);
    assert_eq!(
        verify.answer.body,
        json!({"message": "Internal Server Error"})
    );
    let inv = verify.invocation.as_ref().unwrap();
    assert!(
        inv.duration >= timeout && inv.duration < timeout + Duration::from_secs(1),
        "ended at the deadline: {:?}",
        inv.duration
    );
    assert!(hole.connections() >= 1, "it was waiting on Zoom");
    assert_eq!(
        process_state(old_pid),
        None,
        "the timed-out process is gone"
    );
    assert!(
        host.platform_log().iter().any(|l| l.ends_with(&format!(
            "{} Task timed out after 2.00 seconds",
            inv.request_id
        ))),
        "{:?}",
        host.platform_log()
    );
    assert!(
        host.instances().is_empty(),
        "no instance until the next invocation"
    );

    let read = host
        .invoke_http(HttpRequest::get(&format!(
            "/v1/academies/lh-c/licenses/{id}"
        )))
        .await;
    assert_eq!(read.in_time().ok(200)["licenseId"], id.as_str());
    let fresh = read.invocation.as_ref().unwrap();
    assert!(
        fresh.cold && fresh.init.is_some(),
        "a cold start: {fresh:?}"
    );
    assert_ne!(fresh.pid, old_pid);
    let stats = host.stats();
    assert_eq!(
        (
            stats.timeouts,
            stats.killed,
            stats.cold_starts,
            stats.responses
        ),
        (1, 1, 2, 2),
        "{stats:?}"
    );
}

/// (d) Two invocations at once run in two processes at once (each holds a
/// slow Zoom token call); a third waits for one of them, as one instance
/// takes one invocation at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_run_on_instances_of_their_own() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let (table, prefix) = store().await;
    let host = LambdaHost::builder(FunctionSpec::licenses())
        .store(&table, &prefix)
        .zoom(&zoom)
        .instances(2)
        .start()
        .await;
    assert_eq!(host.instances().len(), 2);
    host.wait_idle_frozen().await;
    let secrets = LicenseSecrets::new("lhcc");
    let created = host
        .invoke_http(create("lh-d", &secrets.body("Concurrent", 1), false))
        .await;
    let id = created.in_time().ok(201)["licenseId"]
        .as_str()
        .unwrap()
        .to_owned();

    zoom.inject(Fault::new(
        Endpoint::Token,
        FaultKind::Latency(Duration::from_millis(1500)),
    ));
    let verify = || {
        host.invoke_http(HttpRequest::post(&format!(
            "/v1/academies/lh-d/licenses/{id}/verify"
        )))
    };
    let (a, b) = tokio::join!(verify(), verify());
    a.in_time().ok(200);
    b.in_time().ok(200);
    let (a, b) = (a.invocation.unwrap(), b.invocation.unwrap());
    assert_ne!(a.pid, b.pid, "two processes");
    assert_eq!(host.stats().peak_in_flight, 2, "both in flight at once");
    assert!(
        zoom.count(Endpoint::Token) >= 2,
        "each process fetched its token"
    );

    // A caller that stops waiting does not strand its instance: the
    // invocation ends on its own, and the instance is idle and frozen again.
    zoom.clear_faults();
    zoom.inject(Fault::new(
        Endpoint::GetUser,
        FaultKind::Latency(Duration::from_millis(800)),
    ));
    let before = host.stats().responses;
    assert!(
        tokio::time::timeout(Duration::from_millis(100), verify())
            .await
            .is_err()
    );
    eventually(
        "the abandoned invocation ends",
        Duration::from_secs(10),
        || host.stats().responses == before + 1,
    )
    .await;
    zoom.clear_faults();
    host.wait_idle_frozen().await;
    assert!(host.instances().iter().all(|i| !i.busy));

    // One instance, two invocations at once: the second waits its turn.
    let (table2, prefix2) = store().await;
    let single = licenses(&table2, &prefix2, &zoom).await;
    let list = || single.invoke_http(HttpRequest::get("/v1/academies/lh-d/licenses"));
    let (x, y) = tokio::join!(list(), list());
    x.in_time().ok(200);
    y.in_time().ok(200);
    let pids: BTreeMap<u32, ()> = [x, y]
        .into_iter()
        .map(|h| (h.invocation.unwrap().pid, ()))
        .collect();
    assert_eq!(pids.len(), 1);
    assert_eq!(single.stats().peak_in_flight, 1);
    host.wait_idle_frozen().await;
    single.wait_idle_frozen().await;
}

/// `maintenance` as EventBridge invokes it: a scheduled event is one run
/// under the function's 50 s Timeout, answered in time with its summary, and
/// recorded where the licenses function's `GET /v1/maintenance/status`
/// reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_runs_on_a_scheduled_event_and_the_status_shows_it() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let (table, prefix) = store().await;
    let api = licenses(&table, &prefix, &zoom).await;
    let status = || api.invoke_http(HttpRequest::get("/v1/maintenance/status"));
    let before = status().await;
    assert_eq!(before.in_time().ok(200)["lastRunAt"], Value::Null);

    let host = LambdaHost::builder(FunctionSpec::maintenance())
        .store(&table, &prefix)
        .zoom(&zoom)
        .start()
        .await;
    let run = host
        .invoke_event(scheduled_event("lms-zoom-maintenance"))
        .await;
    assert_eq!(run.timeout, Duration::from_secs(50));
    let summary = run.response_json();
    assert_eq!(summary["completed"], true, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
    assert!(summary["elapsedMs"].is_u64(), "{summary}");

    let after = status().await;
    let body = after.in_time().ok(200);
    assert!(body["lastRunAt"].is_string(), "{body}");
    assert_eq!(body["lastError"], Value::Null, "{body}");
    assert_eq!(body["pendingRepairs"], 0, "{body}");
    host.wait_idle_frozen().await;
}

/// An event the function cannot take (an EventBridge scheduled event sent to
/// an HTTP function) ends as an error posted by its runtime, not a timeout,
/// and the instance serves the next invocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_function_refuses_is_an_error_and_the_instance_lives_on() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let (table, prefix) = store().await;
    let host = licenses(&table, &prefix, &zoom).await;
    let event = scheduled_event("lms-zoom-maintenance");
    assert_eq!(event["detail-type"], "Scheduled Event");
    let refused = host.invoke_event(event).await;
    assert!(
        matches!(refused.outcome, Outcome::Error { .. }),
        "{:?}",
        refused.outcome
    );
    let pid = refused.pid;
    host.wait_idle_frozen().await;
    let list = host
        .invoke_http(HttpRequest::get("/v1/academies/lh-e/licenses"))
        .await;
    assert_eq!(list.in_time().ok(200)["items"], json!([]));
    assert_eq!(list.invocation.unwrap().pid, pid);
    let stats = host.stats();
    assert_eq!(
        (
            stats.errors,
            stats.responses,
            stats.cold_starts,
            stats.killed
        ),
        (1, 1, 1, 0)
    );
}

/// A finding, not a contract (run with `--ignored`): the licenses route
/// leaves the discard of a secret whose create timed out to a `tokio::spawn`
/// (`discard_eventually`). Under Lambda's rules that task does not run
/// after the answer: the instance is frozen, and the late-landing secret
/// outlives the license that was never created. When the repair is done by
/// the request itself or by `maintenance`, turn this into a test of that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a finding about current code: background work after the answer never runs"]
async fn finding_a_spawned_discard_never_runs_while_the_instance_is_frozen() {
    let moto = lms_zoom_tests::kit::Moto::start().await;
    let sdk = moto.sdk().await;
    let table = unique("lmsz-lh-find");
    let prefix = format!("{}/", unique("lmsz-find"));
    lms_zoom::store::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table)
        .ensure_table()
        .await
        .unwrap();
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let host = LambdaHost::builder(FunctionSpec::licenses())
        .store(&table, &prefix)
        .zoom(&zoom)
        .aws_endpoint(&moto.url)
        .start()
        .await;
    let secrets_manager = aws_sdk_secretsmanager::Client::new(&sdk);
    let ours = || async {
        let listed = secrets_manager.list_secrets().send().await.unwrap();
        listed
            .secret_list()
            .iter()
            .filter_map(|s| s.name())
            .filter(|n| n.starts_with(prefix.as_str()))
            .count()
    };

    moto.freeze();
    let secrets = LicenseSecrets::new("lhfind");
    let refused = host
        .invoke_http(create("lh-f", &secrets.body("Late", 1), false))
        .await;
    let status = refused.in_time().status;
    assert!(status.is_server_error(), "{}", refused.answer.text);
    moto.thaw();
    let started = std::time::Instant::now();
    let mut landed = 0;
    while landed == 0 && started.elapsed() < Duration::from_secs(10) {
        landed = ours().await;
    }
    eprintln!(
        "create answered {status} in {:?}; its secret landed in moto: {}",
        refused.invocation.as_ref().unwrap().duration,
        landed > 0
    );
    host.wait_idle_frozen().await;
    // An observation window, not a synchronisation: in lms-zoom-local the
    // discard runs after 1 s (then 2 s); here the instance is stopped.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after_window = ours().await;
    eprintln!("after 5 s frozen: {after_window} secret(s) of a license that does not exist");
    assert_eq!(after_window, landed, "nothing ran while frozen");
    // Thawed by a later invocation, the overdue task gets slivers of it.
    for _ in 0..3 {
        host.invoke_http(HttpRequest::get("/v1/academies/lh-f/licenses"))
            .await
            .in_time()
            .ok(200);
    }
    eprintln!("after 3 more invocations: {} secret(s) left", ours().await);
}
