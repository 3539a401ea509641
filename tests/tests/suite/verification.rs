//! License verification against the Zoom emulator: every check outcome, in
//! English and Spanish, through the HTTP API of `lms-zoom-local`, down to
//! what will not arrive from Zoom (participant report, webhook events).

use lms_zoom_tests::{
    ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, HOST_ID, TestServer, test_account,
    test_zoom,
};
use serde_json::{Value, json};
use zoom_emulator::{Account, AppType, EmulatorConfig, Endpoint, Fault, FaultKind, User};

fn body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Verificada",
        "accountId": ACCOUNT_ID,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "sdkKey": "generalAppClientId",
        "sdkSecret": "generalAppClientSecret",
        "webhookSecretToken": "whsecret",
        "hostUser": HOST_EMAIL,
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

async fn server_with(accounts: Vec<Account>) -> TestServer {
    let config = EmulatorConfig {
        accounts,
        ..test_zoom()
    };
    TestServer::start_with(Backend::embedded(), None, config).await
}

async fn create(server: &TestServer, body: Value, lang: &str) -> Value {
    let response = server
        .http
        .post(server.url("/v1/academies/a1/licenses"))
        .header("accept-language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// (name, status, code) of every check, in order.
fn checks(license: &Value) -> Vec<(String, String, String)> {
    license["verification"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {license}"))
        .iter()
        .map(|c| {
            assert!(
                c["message"].as_str().is_some_and(|m| m.len() > 10),
                "message for {c}"
            );
            (
                c["name"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
                c["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn check<'a>(license: &'a Value, name: &str) -> &'a Value {
    license["verification"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check"))
}

fn outcome(license: &Value, name: &str) -> (String, String) {
    let c = check(license, name);
    (
        c["status"].as_str().unwrap().to_owned(),
        c["code"].as_str().unwrap().to_owned(),
    )
}

fn is(status: &str, code: &str) -> (String, String) {
    (status.to_owned(), code.to_owned())
}

#[tokio::test]
async fn a_correct_license_passes_every_check() {
    let server = TestServer::start(Backend::embedded()).await;
    let license = create(&server, body(json!({})), "en").await;
    assert_eq!(license["status"], "verified");
    let names: Vec<_> = checks(&license)
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect();
    let expected: Vec<_> = [
        "credentials",
        "scopes",
        "host_user",
        "host_plan",
        "attendance_report",
        "participant_events",
        "recording_events",
        "sdk_credentials",
        "webhook",
    ]
    .iter()
    .map(|n| (n.to_string(), "pass".to_string()))
    .collect();
    assert_eq!(names, expected);
    let report = &license["verification"];
    assert_eq!(report["missingScopes"], json!([]));
    assert!(
        report["grantedScopes"]
            .as_array()
            .unwrap()
            .contains(&json!("meeting:write:meeting:admin"))
    );
    assert_eq!(
        report["zoomUser"],
        json!({"id": HOST_ID, "email": HOST_EMAIL, "type": "licensed"})
    );
    assert_eq!(report["status"], "verified");
    assert!(report["checkedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(license["zoomUserId"], HOST_ID);
}

#[tokio::test]
async fn each_credential_mistake_has_its_own_code() {
    let general = Account::new("acc-general", "general-client", "general-secret")
        .app_type(AppType::General)
        .with_scopes(lms_zoom_tests::ALL_SCOPES);
    let off = Account::new("acc-off", "off-client", "off-secret")
        .deactivated()
        .with_scopes(lms_zoom_tests::ALL_SCOPES);
    let server = server_with(vec![test_account(), general, off]).await;
    let cases = [
        (json!({"clientSecret": "wrong-secret"}), "invalid_client"),
        (json!({"clientId": "unknown-client"}), "invalid_client"),
        (json!({"accountId": "someone-else"}), "wrong_account_id"),
        (
            json!({"accountId": "acc-general", "clientId": "general-client", "clientSecret": "general-secret"}),
            "wrong_app_type",
        ),
        (
            json!({"accountId": "acc-off", "clientId": "off-client", "clientSecret": "off-secret"}),
            "app_deactivated",
        ),
    ];
    for (i, (overrides, code)) in cases.into_iter().enumerate() {
        let mut b = body(overrides);
        b["name"] = json!(format!("case {i}"));
        let license = create(&server, b, "en").await;
        assert_eq!(license["status"], "invalid", "{code}");
        assert_eq!(outcome(&license, "credentials"), is("fail", code));
        for skipped in [
            "scopes",
            "host_user",
            "host_plan",
            "attendance_report",
            "participant_events",
            "recording_events",
        ] {
            assert_eq!(outcome(&license, skipped).0, "skip", "{code}: {skipped}");
        }
        // Local checks still run.
        assert_eq!(outcome(&license, "sdk_credentials"), is("pass", "ok"));
        assert_eq!(license["zoomUserId"], Value::Null);
    }
}

#[tokio::test]
async fn zoom_unreachable_leaves_the_license_unverified() {
    let server = TestServer::start(Backend::embedded()).await;
    server.zoom.inject(Fault {
        endpoint: Endpoint::Token,
        kind: FaultKind::DropConnection,
        times: None,
    });
    let dropped = create(&server, body(json!({"name": "dropped"})), "en").await;
    assert_eq!(dropped["status"], "unverified");
    assert_eq!(
        outcome(&dropped, "credentials"),
        is("error", "zoom_unreachable")
    );
    server.zoom.clear_faults();
    server.zoom.inject(Fault {
        endpoint: Endpoint::Token,
        kind: FaultKind::ServerError(503),
        times: None,
    });
    let failing = create(&server, body(json!({"name": "503"})), "en").await;
    assert_eq!(failing["status"], "unverified");
    assert_eq!(
        outcome(&failing, "credentials"),
        is("error", "zoom_unreachable")
    );
    server.zoom.clear_faults();
    server.zoom.inject(Fault {
        endpoint: Endpoint::Token,
        kind: FaultKind::RateLimited {
            retry_after: Some("30".into()),
        },
        times: None,
    });
    let limited = create(&server, body(json!({"name": "429"})), "en").await;
    assert_eq!(limited["status"], "unverified");
    assert_eq!(
        outcome(&limited, "credentials"),
        is("error", "zoom_rate_limited")
    );
}

#[tokio::test]
async fn classic_scopes_satisfy_the_scope_check() {
    let classic = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&[
            "meeting:write:admin",
            "meeting:read:admin",
            "user:read:admin",
            "recording:read:admin",
            "recording:write:admin",
            "report:read:admin",
        ])
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let server = server_with(vec![classic]).await;
    let license = create(&server, body(json!({})), "en").await;
    assert_eq!(outcome(&license, "scopes"), is("pass", "ok"));
    assert_eq!(outcome(&license, "attendance_report"), is("pass", "ok"));
    // No document names the classic scopes of webhook events: not judged.
    for events in ["participant_events", "recording_events"] {
        assert_eq!(outcome(&license, events), is("skip", "classic_scopes"));
    }
    assert_eq!(license["verification"]["missingScopes"], json!([]));
    assert_eq!(license["status"], "verified");
}

#[tokio::test]
async fn what_will_not_arrive_from_zoom_is_named() {
    // Everything to schedule, nothing for the report or the events.
    let granted: Vec<&str> = lms_zoom_tests::ALL_SCOPES
        .iter()
        .copied()
        .filter(|s| {
            !s.starts_with("report:")
                && *s != "meeting:read:participant:admin"
                && *s != "cloud_recording:read:recording:admin"
        })
        .collect();
    let account = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&granted)
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let server = server_with(vec![account]).await;
    let en = create(&server, body(json!({"name": "en"})), "en").await;
    assert_eq!(en["status"], "verified", "warnings only");
    assert_eq!(
        outcome(&en, "scopes"),
        is("warn", "optional_scopes_missing")
    );
    assert_eq!(
        outcome(&en, "attendance_report"),
        is("warn", "report_scope_missing")
    );
    assert_eq!(
        outcome(&en, "participant_events"),
        is("warn", "participant_event_scope_missing")
    );
    assert_eq!(
        outcome(&en, "recording_events"),
        is("warn", "recording_event_scope_missing")
    );
    assert_eq!(
        en["verification"]["missingScopes"],
        json!([
            "report:read:list_meeting_participants:admin",
            "meeting:read:participant:admin",
            "cloud_recording:read:recording:admin"
        ])
    );
    let message =
        |license: &Value, name: &str| check(license, name)["message"].as_str().unwrap().to_owned();
    let report = message(&en, "attendance_report");
    assert!(
        report.contains("will not be reconciled")
            && report.contains("report:read:list_meeting_participants:admin")
            && report.contains("report:read:admin"),
        "{report}"
    );
    let participants = message(&en, "participant_events");
    assert!(
        participants.contains("will not arrive")
            && participants.contains("meeting.participant_joined")
            && participants.contains("meeting:read:participant:admin"),
        "{participants}"
    );
    let recordings = message(&en, "recording_events");
    assert!(
        recordings.contains("recording.completed")
            && recordings.contains("cloud_recording:read:recording:admin"),
        "{recordings}"
    );

    let es = create(&server, body(json!({"name": "es"})), "es").await;
    assert!(message(&es, "attendance_report").contains("no se conciliará"));
    assert!(message(&es, "participant_events").contains("No llegarán"));
    assert!(message(&es, "recording_events").contains("No llegarán"));
}

#[tokio::test]
async fn missing_scopes_are_named() {
    let partial = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&[
            "meeting:write:meeting:admin",
            "meeting:read:meeting:admin",
            "user:read:user:admin",
        ])
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let server = server_with(vec![partial]).await;
    let license = create(&server, body(json!({})), "en").await;
    assert_eq!(license["status"], "invalid");
    assert_eq!(outcome(&license, "scopes"), is("fail", "scopes_missing"));
    let missing = &license["verification"]["missingScopes"];
    for scope in [
        "meeting:update:meeting:admin",
        "meeting:delete:meeting:admin",
        "user:read:token:admin",
    ] {
        assert!(
            missing.as_array().unwrap().contains(&json!(scope)),
            "{scope} in {missing}"
        );
    }
    assert!(
        check(&license, "scopes")["message"]
            .as_str()
            .unwrap()
            .contains("meeting:update:meeting:admin")
    );
    // The host is still checked: the user scope is there.
    assert_eq!(outcome(&license, "host_user"), is("pass", "ok"));

    let optional_only = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&[
            "meeting:write:meeting:admin",
            "meeting:read:meeting:admin",
            "meeting:update:meeting:admin",
            "meeting:delete:meeting:admin",
            "user:read:user:admin",
        ])
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let server = server_with(vec![optional_only]).await;
    let license = create(&server, body(json!({})), "en").await;
    assert_eq!(license["status"], "verified");
    assert_eq!(
        outcome(&license, "scopes"),
        is("warn", "optional_scopes_missing")
    );
    assert_eq!(
        outcome(&license, "attendance_report"),
        is("warn", "report_scope_missing")
    );

    let no_user_scope = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&["meeting:write:meeting:admin"])
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let server = server_with(vec![no_user_scope]).await;
    let license = create(&server, body(json!({})), "en").await;
    assert_eq!(
        outcome(&license, "host_user"),
        is("skip", "needs_user_read_scope")
    );
}

#[tokio::test]
async fn host_user_outcomes() {
    let server = TestServer::start(Backend::embedded()).await;
    let basic = create(
        &server,
        body(json!({"name": "basic", "hostUser": "basic@example.com"})),
        "en",
    )
    .await;
    assert_eq!(basic["status"], "verified");
    assert_eq!(outcome(&basic, "host_plan"), is("warn", "basic_plan"));
    // Zoom's participant report is for paid plans only.
    assert_eq!(
        outcome(&basic, "attendance_report"),
        is("warn", "report_needs_paid_plan")
    );
    assert!(
        check(&basic, "attendance_report")["message"]
            .as_str()
            .unwrap()
            .contains("only on paid plans")
    );
    assert!(
        check(&basic, "host_plan")["message"]
            .as_str()
            .unwrap()
            .contains("40 minutes")
    );
    assert_eq!(basic["verification"]["zoomUser"]["type"], "basic");

    let unknown = create(
        &server,
        body(json!({"name": "unknown", "hostUser": "nobody@example.com"})),
        "en",
    )
    .await;
    assert_eq!(unknown["status"], "invalid");
    assert_eq!(
        outcome(&unknown, "host_user"),
        is("fail", "host_user_not_found")
    );
    assert!(
        check(&unknown, "host_user")["message"]
            .as_str()
            .unwrap()
            .contains("nobody@example.com")
    );

    let inactive = create(
        &server,
        body(json!({"name": "inactive", "hostUser": "inactive@example.com"})),
        "en",
    )
    .await;
    assert_eq!(inactive["status"], "invalid");
    assert_eq!(
        outcome(&inactive, "host_user"),
        is("fail", "host_user_inactive")
    );

    let by_id = create(
        &server,
        body(json!({"name": "by id", "hostUser": HOST_ID})),
        "en",
    )
    .await;
    assert_eq!(by_id["status"], "verified");

    let me = create(&server, body(json!({"name": "me", "hostUser": null})), "en").await;
    assert_eq!(me["hostUser"], "me");
    assert_eq!(outcome(&me, "host_user"), is("pass", "ok"));
    assert_eq!(me["zoomUserId"], HOST_ID, "`me` resolves to a real user id");
}

#[tokio::test]
async fn me_unsupported_for_s2s_is_explained() {
    let config = EmulatorConfig {
        me_supported: false,
        ..test_zoom()
    };
    let server = TestServer::start_with(Backend::embedded(), None, config).await;
    let me = create(&server, body(json!({"hostUser": null})), "en").await;
    assert_eq!(me["status"], "invalid");
    assert_eq!(outcome(&me, "host_user"), is("fail", "host_me_unsupported"));
}

#[tokio::test]
async fn local_warnings_for_sdk_and_webhook() {
    let server = TestServer::start(Backend::embedded()).await;
    let same_key = create(
        &server,
        body(json!({"name": "k", "sdkKey": CLIENT_ID})),
        "en",
    )
    .await;
    assert_eq!(same_key["status"], "verified");
    assert_eq!(
        outcome(&same_key, "sdk_credentials"),
        is("warn", "sdk_key_is_client_id")
    );
    let same_secret = create(
        &server,
        body(json!({"name": "s", "sdkSecret": CLIENT_SECRET})),
        "en",
    )
    .await;
    assert_eq!(
        outcome(&same_secret, "sdk_credentials"),
        is("warn", "sdk_secret_is_client_secret")
    );
    let no_webhook = create(
        &server,
        body(json!({"name": "w", "webhookSecretToken": null})),
        "en",
    )
    .await;
    assert_eq!(no_webhook["status"], "verified");
    assert_eq!(
        outcome(&no_webhook, "webhook"),
        is("warn", "webhook_secret_missing")
    );
    let id = no_webhook["licenseId"].as_str().unwrap();
    assert!(
        check(&no_webhook, "webhook")["message"]
            .as_str()
            .unwrap()
            .contains(&format!("/v1/webhooks/zoom/{id}"))
    );
}

#[tokio::test]
async fn messages_in_spanish_and_english() {
    let server = TestServer::start(Backend::embedded()).await;
    let es = create(
        &server,
        body(json!({"name": "es", "clientSecret": "wrong", "webhookSecretToken": null})),
        "es-AR,es;q=0.9",
    )
    .await;
    let msg = check(&es, "credentials")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        msg.contains("Zoom rechazó") && msg.contains("App Credentials"),
        "{msg}"
    );
    assert!(
        check(&es, "webhook")["message"]
            .as_str()
            .unwrap()
            .contains("Zoom no enviará")
    );
    let id = es["licenseId"].as_str().unwrap();
    // The stored report reads in whatever language the reader asks for.
    let en: Value = server
        .http
        .get(server.url(&format!("/v1/academies/a1/licenses/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let msg = check(&en, "credentials")["message"].as_str().unwrap();
    assert!(
        msg.contains("Zoom rejected") && msg.contains("App Credentials"),
        "{msg}"
    );
    assert_eq!(checks(&es).len(), checks(&en).len());
}

#[tokio::test]
async fn verify_route_and_reverification_on_credential_change() {
    let server = TestServer::start(Backend::embedded()).await;
    let response = server
        .http
        .post(server.url("/v1/academies/a1/licenses?verify=false"))
        .json(&body(json!({"clientSecret": "typo"})))
        .send()
        .await
        .unwrap();
    let license: Value = response.json().await.unwrap();
    assert_eq!(license["status"], "unverified");
    let id = license["licenseId"].as_str().unwrap().to_owned();
    let path = format!("/v1/academies/a1/licenses/{id}");

    let verify = server
        .http
        .post(server.url(&format!("{path}/verify")))
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 200);
    assert_eq!(verify.headers()["etag"], "\"2\"");
    let report: Value = verify.json().await.unwrap();
    assert_eq!(report["status"], "invalid");
    assert_eq!(report["checks"][0]["code"], "invalid_client");

    // Fixing the secret re-verifies.
    let fixed: Value = server
        .http
        .patch(server.url(&path))
        .json(&json!({"clientSecret": CLIENT_SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fixed["status"], "verified");
    assert_eq!(fixed["version"], 3);
    // A rename keeps the report as it was.
    let renamed: Value = server
        .http
        .patch(server.url(&path))
        .json(&json!({"name": "Renombrada"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        renamed["verification"]["checkedAt"],
        fixed["verification"]["checkedAt"]
    );
    assert_eq!(renamed["status"], "verified");

    let other = server
        .http
        .post(server.url(&format!("/v1/academies/a2/licenses/{id}/verify")))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}
