//! The real `lms-zoom-local` binary: prints its address when ready, serves
//! /healthz and the license routes, logs JSON lines, stops on SIGINT, and
//! finds its embedded data again after a restart.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

struct Running {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lms-zoom-local"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--store",
            "embedded",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("RUST_LOG", "debug")
        // Zoom is not reachable from tests: a closed local port says so at once.
        .env("ZOOM_OAUTH_URL", "http://127.0.0.1:9/oauth/token")
        .env("ZOOM_API_URL", "http://127.0.0.1:9/v2")
        .env_remove("LMS_ZOOM_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lms-zoom-local");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .expect("read the first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Running { child, base }
}

/// Stops with SIGINT, as Ctrl-C would, and returns what it logged.
fn stop(mut running: Running) -> String {
    let status = Command::new("kill")
        .args(["-INT", &running.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = running.child.wait().unwrap();
    assert!(exit.success(), "clean exit after SIGINT: {exit:?}");
    let mut logs = String::new();
    running
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    logs
}

#[tokio::test]
async fn binary_serves_logs_json_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let running = start(dir.path());
    assert!(running.base.starts_with("http://127.0.0.1:"));

    let health = http
        .get(format!("{}/healthz", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);

    let secret = "binary-test-client-SECRET-0042";
    let created = http
        .post(format!("{}/v1/academies/a1/licenses", running.base))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"name":"Bin","accountId":"acc","clientId":"cid","clientSecret":"{secret}","sdkKey":"sk","sdkSecret":"ss-secret-77"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let logs = stop(running);
    assert!(logs.lines().count() >= 2, "logs: {logs}");
    for line in logs.lines() {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
        assert!(parsed["level"].is_string());
    }
    assert!(logs.contains("\"request_id\""));
    assert!(!logs.contains(secret) && !logs.contains("ss-secret-77"));

    let running = start(dir.path());
    let read = http
        .get(format!("{}{location}", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let body: serde_json::Value = read.json().await.unwrap();
    assert_eq!(body["name"], "Bin");
    assert_eq!(body["clientSecretHint"], "…0042");
    assert_eq!(body["status"], "unverified");
    assert_eq!(
        body["verification"]["checks"][0]["code"],
        "zoom_unreachable"
    );
    stop(running);
}

#[test]
fn bad_configuration_fails_at_start_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_lms-zoom-local"))
        .args(["--listen", "127.0.0.1:0"])
        .env("ZOOM_API_URL", "not-a-url")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ZOOM_API_URL"), "{stderr}");
}

#[tokio::test]
async fn zoom_emulator_flag_gives_a_license_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lms-zoom-local"))
        .args(["--listen", "127.0.0.1:0", "--zoom-emulator", "--data-dir"])
        .arg(dir.path())
        .env_remove("LMS_ZOOM_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lms-zoom-local");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("listening on ")
        .expect("address first")
        .to_owned();
    let _emulator = lines.next().unwrap().unwrap();
    let demo = lines.next().unwrap().unwrap();
    // "demo license: accountId=.. clientId=.. clientSecret=.. hostUser=.."
    let value = |key: &str| {
        demo.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {demo:?}"))
            .to_owned()
    };
    let body = serde_json::json!({
        "name": "Demo", "accountId": value("accountId"), "clientId": value("clientId"),
        "clientSecret": value("clientSecret"), "sdkKey": "demoSdkKey", "sdkSecret": "demoSdkSecret",
        "webhookSecretToken": "demoWebhookToken", "hostUser": value("hostUser"),
    });
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/v1/academies/a1/licenses"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(created["status"], "verified", "{created}");
    assert_eq!(created["verification"]["zoomUser"]["type"], "licensed");
}
