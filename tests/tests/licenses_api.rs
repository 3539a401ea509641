//! License routes black-box through `lms-zoom-local`, on the embedded store
//! and on DynamoDB + Secrets Manager (moto): the same suite on both.

use std::collections::HashSet;

use lms_zoom_local::StoreKind;
use lms_zoom_tests::{Backend, TestServer, logs};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer with this status and code.
    fn problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type for {code}"
        );
        assert_eq!(self.body["code"], code, "code in {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.body["detail"].as_str().is_some_and(|t| !t.is_empty()));
    }

    fn field_errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = server.http.request(method, server.url(path));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(server: &TestServer, path: &str) -> Answer {
    call(server, Method::GET, path, None, &[]).await
}

fn license_body(name: &str) -> Value {
    json!({
        "name": name,
        "accountId": "  AcC-123_xyz  ",
        "clientId": "cLiEnT1d\n",
        "clientSecret": "\tclient-secret-VALUE-9f8e7d ",
        "sdkKey": "sdkKey-42",
        "sdkSecret": "sdk-secret-VALUE-1a2b3c",
        "webhookSecretToken": "webhook-token-VALUE-5e6f",
        "hostUser": "teacher@example.com",
        "maxConcurrentMeetings": 2
    })
}

async fn create(server: &TestServer, academy: &str, name: &str) -> Answer {
    call(
        server,
        Method::POST,
        &format!("/v1/academies/{academy}/licenses"),
        Some(license_body(name)),
        &[],
    )
    .await
}

fn license_path(academy: &str, id: &Value) -> String {
    format!("/v1/academies/{academy}/licenses/{}", id.as_str().unwrap())
}

use lms_zoom_tests::on_both_stores;

on_both_stores!(
    create_read_list_patch_delete,
    verify_parameter_controls_verification,
    another_academy_sees_nothing,
    names_are_unique_per_academy_ignoring_case,
    concurrent_creates_of_one_name_have_one_winner,
    stale_if_match_is_refused,
    malformed_input_gets_its_problem,
    messages_follow_accept_language,
    list_pages_through_every_license_in_name_order,
    patch_rotates_secrets_into_a_new_version,
    delete_schedules_the_secret_for_deletion,
    data_survives_a_restart,
    no_secret_in_stored_items_or_logs,
);

async fn create_read_list_patch_delete(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Licencia principal").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let license = &created.body;
    let id = &license["licenseId"];
    assert!(id.as_str().unwrap().starts_with("lic_"));
    assert_eq!(
        created.header("location"),
        Some(license_path("a1", id).as_str())
    );
    assert_eq!(license["academyId"], "a1");
    assert_eq!(license["name"], "Licencia principal");
    // Pasted white space is trimmed.
    assert_eq!(license["accountId"], "AcC-123_xyz");
    assert_eq!(license["clientId"], "cLiEnT1d");
    assert_eq!(license["clientSecretHint"], "…8e7d");
    assert_eq!(license["sdkSecretHint"], "…2b3c");
    assert_eq!(license["webhookSecretConfigured"], true);
    assert_eq!(
        license["webhookUrl"],
        format!("/v1/webhooks/zoom/{}", id.as_str().unwrap())
    );
    assert_eq!(license["hostUser"], "teacher@example.com");
    assert_eq!(license["maxConcurrentMeetings"], 2);
    assert_eq!(license["status"], "verified", "{}", license["verification"]);
    assert_eq!(license["zoomUserId"], lms_zoom_tests::HOST_ID);
    assert_eq!(license["version"], 1);
    for secret in [
        "clientSecret",
        "sdkSecret",
        "webhookSecretToken",
        "secretVersion",
    ] {
        assert!(license.get(secret).is_none(), "{secret} in the view");
    }

    let read = get(&server, &license_path("a1", id)).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("etag"), Some("\"1\""));
    assert_eq!(&read.body, license);

    let listed = get(&server, "/v1/academies/a1/licenses").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["items"], json!([license]));
    assert_eq!(listed.body["nextCursor"], Value::Null);

    let patched = call(
        &server,
        Method::PATCH,
        &license_path("a1", id),
        Some(json!({"name": "Renamed", "maxConcurrentMeetings": 3})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.header("etag"), Some("\"2\""));
    assert_eq!(patched.body["name"], "Renamed");
    assert_eq!(patched.body["maxConcurrentMeetings"], 3);
    assert_eq!(patched.body["version"], 2);
    assert_eq!(patched.body["clientSecretHint"], "…8e7d");
    assert_eq!(patched.body["createdAt"], license["createdAt"]);
    assert_eq!(
        get(&server, &license_path("a1", id)).await.body,
        patched.body
    );

    // The old name is free again; the new one is taken.
    assert_eq!(
        create(&server, "a1", "licencia PRINCIPAL").await.status,
        StatusCode::CREATED
    );
    create(&server, "a1", "renamed")
        .await
        .problem(409, "license_name_taken");

    // A patch that changes nothing does not bump the version.
    let same = call(
        &server,
        Method::PATCH,
        &license_path("a1", id),
        Some(json!({"name": "Renamed"})),
        &[],
    )
    .await;
    assert_eq!(same.body["version"], 2);

    let deleted = call(&server, Method::DELETE, &license_path("a1", id), None, &[]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    get(&server, &license_path("a1", id))
        .await
        .problem(404, "license_not_found");
    call(&server, Method::DELETE, &license_path("a1", id), None, &[])
        .await
        .problem(404, "license_not_found");
    let names: Vec<_> = get(&server, "/v1/academies/a1/licenses").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("licencia PRINCIPAL")]);
    assert_eq!(
        create(&server, "a1", "Renamed").await.status,
        StatusCode::CREATED
    );
}

async fn verify_parameter_controls_verification(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    for (query, name, status) in [
        ("?verify=false", "one", "unverified"),
        ("?verify=true", "two", "verified"),
        ("", "three", "verified"),
    ] {
        let answer = call(
            &server,
            Method::POST,
            &format!("/v1/academies/a1/licenses{query}"),
            Some(license_body(name)),
            &[],
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED);
        assert_eq!(answer.body["status"], status, "{query}");
        assert_eq!(
            answer.body["verification"].is_null(),
            status == "unverified"
        );
    }
    call(
        &server,
        Method::POST,
        "/v1/academies/a1/licenses?verify=maybe",
        Some(license_body("four")),
        &[],
    )
    .await
    .problem(422, "validation_failed");
}

async fn another_academy_sees_nothing(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Shared name").await;
    let id = &created.body["licenseId"];
    get(&server, &license_path("a2", id))
        .await
        .problem(404, "license_not_found");
    call(
        &server,
        Method::PATCH,
        &license_path("a2", id),
        Some(json!({"name": "Stolen"})),
        &[],
    )
    .await
    .problem(404, "license_not_found");
    call(&server, Method::DELETE, &license_path("a2", id), None, &[])
        .await
        .problem(404, "license_not_found");
    assert_eq!(
        get(&server, "/v1/academies/a2/licenses").await.body["items"],
        json!([])
    );
    // Untouched in its own academy, and the other academy may use the same name.
    assert_eq!(
        get(&server, &license_path("a1", id)).await.body,
        created.body
    );
    assert_eq!(
        create(&server, "a2", "Shared name").await.status,
        StatusCode::CREATED
    );
}

async fn names_are_unique_per_academy_ignoring_case(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    assert_eq!(
        create(&server, "a1", "Principal").await.status,
        StatusCode::CREATED
    );
    create(&server, "a1", "  PRINCIPAL ")
        .await
        .problem(409, "license_name_taken");
    let other = create(&server, "a1", "Secundaria").await;
    call(
        &server,
        Method::PATCH,
        &license_path("a1", &other.body["licenseId"]),
        Some(json!({"name": "principal"})),
        &[],
    )
    .await
    .problem(409, "license_name_taken");
    let unchanged = get(&server, &license_path("a1", &other.body["licenseId"])).await;
    assert_eq!(unchanged.body["name"], "Secundaria");
    assert_eq!(unchanged.body["version"], 1);
    // Changing only the case of one's own name is allowed.
    let recased = call(
        &server,
        Method::PATCH,
        &license_path("a1", &other.body["licenseId"]),
        Some(json!({"name": "SECUNDARIA"})),
        &[],
    )
    .await;
    assert_eq!(recased.status, StatusCode::OK);
    assert_eq!(recased.body["name"], "SECUNDARIA");
}

async fn concurrent_creates_of_one_name_have_one_winner(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let attempts = (0..8).map(|i| {
        let server = &server;
        async move {
            create(
                server,
                "race",
                if i % 2 == 0 { "Carrera" } else { "CARRERA" },
            )
            .await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let won = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .count();
    assert_eq!(won, 1);
    for lost in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        lost.problem(409, "license_name_taken");
    }
    assert_eq!(
        get(&server, "/v1/academies/race/licenses").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn stale_if_match_is_refused(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Versioned").await;
    let path = license_path("a1", &created.body["licenseId"]);
    let v2 = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"maxConcurrentMeetings": 5})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(v2.status, StatusCode::OK);
    let stale = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"name": "Lost update"})),
        &[("if-match", "\"1\"")],
    )
    .await;
    stale.problem(412, "version_conflict");
    assert_eq!(stale.body["currentVersion"], 2);
    let now = get(&server, &path).await;
    assert_eq!(now.body["name"], "Versioned");
    assert_eq!(now.body["version"], 2);
    call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"name": "x"})),
        &[("if-match", "\"nonsense\"")],
    )
    .await
    .problem(412, "version_conflict");
    let any = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"name": "Any"})),
        &[("if-match", "*")],
    )
    .await;
    assert_eq!(any.status, StatusCode::OK);
    let weak = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"name": "Weak"})),
        &[("if-match", "W/\"3\"")],
    )
    .await;
    assert_eq!(weak.body["version"], 4);
}

async fn raw(
    server: &TestServer,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let mut request = server.http.request(method, server.url(path)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn malformed_input_gets_its_problem(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Target").await;
    let path = license_path("a1", &created.body["licenseId"]);
    let list = "/v1/academies/a1/licenses";
    let json = Some("application/json");

    raw(&server, Method::POST, list, json, b"{\"name\": ".to_vec())
        .await
        .problem(400, "malformed_json");
    raw(&server, Method::POST, list, json, b"[1,2]".to_vec())
        .await
        .problem(400, "malformed_json");
    raw(&server, Method::PATCH, &path, json, b"not json".to_vec())
        .await
        .problem(400, "malformed_json");
    let wrong_type = call(
        &server,
        Method::POST,
        list,
        Some(json!({"name": 5, "accountId": ["x"]})),
        &[],
    )
    .await;
    wrong_type.problem(400, "malformed_json");
    assert_eq!(wrong_type.field_errors(), vec!["name", "accountId"]);

    raw(
        &server,
        Method::POST,
        list,
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await
    .problem(415, "unsupported_media_type");
    raw(&server, Method::POST, list, None, b"{}".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    let mut huge = license_body("Huge");
    huge["name"] = json!("x".repeat(70 * 1024));
    raw(
        &server,
        Method::POST,
        list,
        json,
        huge.to_string().into_bytes(),
    )
    .await
    .problem(413, "payload_too_large");

    let mut unknown = license_body("Unknown field");
    unknown["clientSecretTypo"] = json!("x");
    let answer = call(&server, Method::POST, list, Some(unknown), &[]).await;
    answer.problem(422, "validation_failed");
    assert_eq!(answer.field_errors(), vec!["clientSecretTypo"]);

    let missing = call(
        &server,
        Method::POST,
        list,
        Some(json!({"name": "Only a name"})),
        &[],
    )
    .await;
    missing.problem(422, "validation_failed");
    assert_eq!(
        missing.field_errors(),
        vec![
            "accountId",
            "clientId",
            "clientSecret",
            "sdkKey",
            "sdkSecret"
        ]
    );

    let mut bad = license_body("Bad values");
    bad["maxConcurrentMeetings"] = json!(0);
    bad["clientId"] = json!("has space");
    bad["hostUser"] = json!("nobody@");
    bad["name"] = json!("n".repeat(101));
    let answer = call(&server, Method::POST, list, Some(bad), &[]).await;
    answer.problem(422, "validation_failed");
    let fields: HashSet<_> = answer.field_errors().into_iter().collect();
    assert_eq!(
        fields,
        HashSet::from(["maxConcurrentMeetings", "clientId", "hostUser", "name"].map(String::from))
    );

    call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"name": null})),
        &[],
    )
    .await
    .problem(422, "validation_failed");
    call(&server, Method::PATCH, &path, Some(json!({"nope": 1})), &[])
        .await
        .problem(422, "validation_failed");
    get(&server, "/v1/academies/a1/licenses?limit=0")
        .await
        .problem(422, "validation_failed");
    get(&server, "/v1/academies/a1/licenses?limit=abc")
        .await
        .problem(422, "validation_failed");
    get(&server, "/v1/academies/a1/licenses?cursor=%%%")
        .await
        .problem(422, "validation_failed");
    get(&server, "/v1/academies/a%23b/licenses")
        .await
        .problem(422, "validation_failed");

    get(
        &server,
        "/v1/academies/a1/licenses/lic_01aaaaaaaaaaaaaaaaaaaaaaaa",
    )
    .await
    .problem(404, "license_not_found");
    get(&server, "/v1/academies/a1/licenses/whatever")
        .await
        .problem(404, "license_not_found");
    get(&server, "/v1/nothing/here")
        .await
        .problem(404, "route_not_found");
    call(&server, Method::PUT, &path, Some(json!({})), &[])
        .await
        .problem(405, "method_not_allowed");
    call(&server, Method::DELETE, list, None, &[])
        .await
        .problem(405, "method_not_allowed");

    // Nothing above changed the license.
    assert_eq!(get(&server, &path).await.body, created.body);
}

async fn messages_follow_accept_language(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let es = call(
        &server,
        Method::POST,
        "/v1/academies/a1/licenses",
        Some(json!({})),
        &[("accept-language", "es-AR,es;q=0.9")],
    )
    .await;
    es.problem(422, "validation_failed");
    assert_eq!(es.header("content-language"), Some("es"));
    assert_eq!(es.body["title"], "Datos no válidos");
    assert_eq!(es.body["errors"][0]["message"], "es obligatorio");
    let en = call(
        &server,
        Method::POST,
        "/v1/academies/a1/licenses",
        Some(json!({})),
        &[],
    )
    .await;
    assert_eq!(en.body["title"], "Validation failed");
    assert_eq!(en.body["errors"][0]["message"], "is required");
}

async fn list_pages_through_every_license_in_name_order(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    for name in ["delta", "Alpha", "charlie", "Echo", "bravo"] {
        assert_eq!(
            create(&server, "pages", name).await.status,
            StatusCode::CREATED
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/v1/academies/pages/licenses?limit=2&cursor={c}"),
            None => "/v1/academies/pages/licenses?limit=2".to_owned(),
        };
        let page = get(&server, &path).await;
        assert_eq!(page.status, StatusCode::OK);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|l| l["name"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Alpha", "bravo", "charlie", "delta", "Echo"]);
}

async fn patch_rotates_secrets_into_a_new_version(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Rotating").await;
    let id = created.body["licenseId"].as_str().unwrap().to_owned();
    let path = license_path("a1", &created.body["licenseId"]);
    let rotated = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"clientSecret": " rotated-client-SECRET-7777 ", "webhookSecretToken": null})),
        &[],
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    assert_eq!(rotated.body["clientSecretHint"], "…7777");
    assert_eq!(rotated.body["sdkSecretHint"], "…2b3c");
    assert_eq!(rotated.body["webhookSecretConfigured"], false);
    assert_eq!(rotated.body["version"], 2);
    // Re-verified with the new secret, which Zoom does not know.
    assert_eq!(rotated.body["status"], "invalid");
    assert_eq!(
        rotated.body["verification"]["checks"][0]["code"],
        "invalid_client"
    );

    let secret_name = format!("{}academies/a1/licenses/{id}", server.secrets_prefix());
    let versions = secret_versions(&server, &secret_name).await;
    assert_eq!(versions.len(), 2, "a rotation adds a version: {versions:?}");
    let newest = versions.last().unwrap();
    assert_eq!(newest["clientSecret"], "rotated-client-SECRET-7777");
    assert_eq!(newest["sdkSecret"], "sdk-secret-VALUE-1a2b3c");
    assert!(newest.get("webhookSecretToken").is_none());
    assert_eq!(versions[0]["clientSecret"], "client-secret-VALUE-9f8e7d");
}

/// Every stored version of a secret, oldest first.
async fn secret_versions(server: &TestServer, name: &str) -> Vec<Value> {
    match server.backend.data_dir() {
        Some(dir) => {
            let file: Value =
                serde_json::from_slice(&std::fs::read(dir.join("secrets.json")).unwrap()).unwrap();
            file["secrets"][name]["versions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| serde_json::from_str(v["value"].as_str().unwrap()).unwrap())
                .collect()
        }
        None => {
            let client = aws_sdk_secretsmanager::Client::new(&lms_zoom_tests::aws_config().await);
            let listed = client
                .list_secret_version_ids()
                .secret_id(name)
                .send()
                .await
                .unwrap();
            let mut versions: Vec<_> = listed.versions().to_vec();
            versions.sort_by_key(|v| v.created_date().map(|d| d.as_nanos()));
            let mut out = Vec::new();
            for v in versions {
                let got = client
                    .get_secret_value()
                    .secret_id(name)
                    .version_id(v.version_id().unwrap())
                    .send()
                    .await
                    .unwrap();
                out.push(serde_json::from_str(got.secret_string().unwrap()).unwrap());
            }
            out
        }
    }
}

async fn delete_schedules_the_secret_for_deletion(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Doomed").await;
    let id = created.body["licenseId"].as_str().unwrap().to_owned();
    let deleted = call(
        &server,
        Method::DELETE,
        &license_path("a1", &created.body["licenseId"]),
        None,
        &[],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let name = format!("{}academies/a1/licenses/{id}", server.secrets_prefix());
    match server.backend.data_dir() {
        Some(dir) => {
            let file: Value =
                serde_json::from_slice(&std::fs::read(dir.join("secrets.json")).unwrap()).unwrap();
            let secret = &file["secrets"][&name];
            assert!(
                secret["deletionDate"].is_string(),
                "scheduled, not destroyed: {secret}"
            );
            assert_eq!(secret["versions"].as_array().unwrap().len(), 1);
        }
        None => {
            let client = aws_sdk_secretsmanager::Client::new(&lms_zoom_tests::aws_config().await);
            let described = client
                .describe_secret()
                .secret_id(&name)
                .send()
                .await
                .unwrap();
            let deleted_at = described.deleted_date().expect("scheduled for deletion");
            let days = (deleted_at.secs() - chrono::Utc::now().timestamp()) / 86_400;
            assert!(
                (6..=7).contains(&days),
                "recovery window of 7 days, got {days}"
            );
        }
    }
}

async fn data_survives_a_restart(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let created = create(&server, "a1", "Persistent").await;
    let path = license_path("a1", &created.body["licenseId"]);
    let server = server.restart().await;
    assert_eq!(get(&server, &path).await.body, created.body);
    create(&server, "a1", "PERSISTENT")
        .await
        .problem(409, "license_name_taken");
    let patched = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"sdkSecret": "after-restart-9999"})),
        &[("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(patched.status, StatusCode::OK);
    let server = server.restart().await;
    let again = get(&server, &path).await;
    assert_eq!(again.body["sdkSecretHint"], "…9999");
    assert_eq!(again.body["version"], 2);
}

async fn no_secret_in_stored_items_or_logs(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let secrets = [
        "client-secret-VALUE-9f8e7d",
        "sdk-secret-VALUE-1a2b3c",
        "webhook-token-VALUE-5e6f",
        "rotated-SECRET-for-scan-4321",
    ];
    let created = create(&server, "scan", "Scanned").await;
    let path = license_path("scan", &created.body["licenseId"]);
    let rotated = call(
        &server,
        Method::PATCH,
        &path,
        Some(json!({"sdkSecret": secrets[3]})),
        &[],
    )
    .await;
    assert_eq!(rotated.status, StatusCode::OK);
    get(&server, &path).await;
    get(&server, "/v1/academies/scan/licenses").await;
    create(&server, "scan", "SCANNED")
        .await
        .problem(409, "license_name_taken");
    let second = create(&server, "scan", "Second").await;
    call(
        &server,
        Method::DELETE,
        &license_path("scan", &second.body["licenseId"]),
        None,
        &[],
    )
    .await;

    // What the store holds.
    let stored = match server.backend.data_dir() {
        Some(dir) => {
            String::from_utf8_lossy(&std::fs::read(dir.join("store.redb")).unwrap()).into_owned()
        }
        None => {
            let client = aws_sdk_dynamodb::Client::new(&lms_zoom_tests::aws_config().await);
            let scanned = client
                .scan()
                .table_name(server.table())
                .send()
                .await
                .unwrap();
            assert!(scanned.count() >= 2, "the scan sees the items");
            format!("{:?}", scanned.items())
        }
    };
    assert!(stored.contains("Scanned"), "the scan reads the real items");
    let log_text = logs().text();
    assert!(
        log_text.contains("license created"),
        "the capture holds the server's log lines"
    );
    for secret in secrets {
        assert!(!stored.contains(secret), "secret in the store");
        assert!(!log_text.contains(secret), "secret in a log line");
    }
    // Every log line is one JSON object.
    for line in log_text.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
    }
    // The secret store does hold them.
    let id = created.body["licenseId"].as_str().unwrap();
    let name = format!("{}academies/scan/licenses/{id}", server.secrets_prefix());
    let versions = secret_versions(&server, &name).await;
    let newest = versions.last().unwrap();
    assert_eq!(newest["clientSecret"], secrets[0]);
    assert_eq!(newest["webhookSecretToken"], secrets[2]);
    assert_eq!(newest["sdkSecret"], secrets[3]);
    if let Some(dir) = server.backend.data_dir() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("secrets.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn bearer_token_guards_lms_routes_on_the_local_server() {
    let server =
        TestServer::start_with_token(Backend::embedded(), Some("local-api-token-123")).await;
    let list = "/v1/academies/a1/licenses";
    get(&server, list).await.problem(401, "unauthorized");
    call(
        &server,
        Method::GET,
        list,
        None,
        &[("authorization", "Bearer wrong")],
    )
    .await
    .problem(401, "unauthorized");
    call(
        &server,
        Method::POST,
        list,
        Some(license_body("x")),
        &[("authorization", "Basic local-api-token-123")],
    )
    .await
    .problem(401, "unauthorized");
    let ok = call(
        &server,
        Method::POST,
        list,
        Some(license_body("x")),
        &[("authorization", "Bearer local-api-token-123")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let health = get(&server, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    assert!(!logs().text().contains("local-api-token-123"));
}
