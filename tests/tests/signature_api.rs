//! Meeting SDK signatures, black-box through `lms-zoom-local` with the Zoom
//! emulator. The JWT is checked with code of its own (base64 + the `hmac`
//! crate against the SDK secret the license was given), never the signer's.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::{
    ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, TestServer, logs, test_account,
    test_zoom,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use zoom_emulator::{EmulatorConfig, Endpoint, Fault, FaultKind};

const SDK_KEY: &str = "sigSdkKey-Abc123";
const SDK_SECRET: &str = "sigSdkSecret-Q9w8E7r6T5y4";

const ENDPOINTS: &[Endpoint] = &[
    Endpoint::Token,
    Endpoint::GetUser,
    Endpoint::GetUserToken,
    Endpoint::CreateMeeting,
    Endpoint::GetMeeting,
    Endpoint::UpdateMeeting,
    Endpoint::DeleteMeeting,
    Endpoint::ListMeetings,
    Endpoint::GetRecordings,
];

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn problem(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/problem+json");
    assert_eq!(answer.body["code"], code, "{}", answer.body);
}

/// A verified license of academy a1 and a meeting on it: (meeting id, meeting body).
async fn license_and_meeting(server: &TestServer) -> (String, Value) {
    let license = send(server.http.post(server.url("/v1/academies/a1/licenses")).json(&json!({
        "name": "Sig", "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        "sdkKey": SDK_KEY, "sdkSecret": SDK_SECRET, "webhookSecretToken": "wh", "hostUser": HOST_EMAIL,
    })))
    .await;
    assert_eq!(license.status, StatusCode::CREATED, "{}", license.body);
    assert_eq!(license.body["status"], "verified", "{}", license.body);
    let meeting = send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(&json!({
                "topic": "Clase", "startTime": "2031-03-01T15:00:00Z", "durationMinutes": 60,
                "licenseId": license.body["licenseId"],
            })),
    )
    .await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{}", meeting.body);
    let id = meeting.body["meetingId"].as_str().unwrap().to_owned();
    (id, meeting.body)
}

fn signature_url(server: &TestServer, academy: &str, meeting_id: &str) -> String {
    server.url(&format!(
        "/v1/academies/{academy}/meetings/{meeting_id}/signature"
    ))
}

async fn sign(server: &TestServer, meeting_id: &str, body: Value) -> Answer {
    send(
        server
            .http
            .post(signature_url(server, "a1", meeting_id))
            .json(&body),
    )
    .await
}

fn counts(server: &TestServer) -> Vec<usize> {
    ENDPOINTS.iter().map(|e| server.zoom.count(*e)).collect()
}

fn decode(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Header and claims of a JWT whose HS256 signature checks against `secret`.
fn verified(jwt: &str, secret: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    mac.verify_slice(&signature)
        .expect("HMAC-SHA256 with the SDK secret");
    let mut wrong = Hmac::<Sha256>::new_from_slice(b"not the secret").unwrap();
    wrong.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert!(wrong.verify_slice(&signature).is_err());
    (decode(parts[0]), decode(parts[1]))
}

/// Checks a signature answer against the meeting, the role and the lifetime
/// asked for, signed between `before` and `after`; returns its claims.
fn check_signature(
    answer: &Answer,
    meeting: &Value,
    role: &str,
    lifetime: i64,
    (before, after): (i64, i64),
) -> Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let body = &answer.body;
    let zoom_id = meeting["zoomMeetingId"].as_str().unwrap();
    assert_eq!(body["sdkKey"], SDK_KEY);
    assert_eq!(body["meetingNumber"], zoom_id);
    assert_eq!(body["password"], meeting["password"].as_str().unwrap_or(""));
    assert_eq!(body["role"], role);
    let (header, claims) = verified(body["signature"].as_str().unwrap(), SDK_SECRET);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(claims["appKey"], SDK_KEY);
    assert_eq!(claims["sdkKey"], SDK_KEY);
    assert_eq!(
        claims["mn"], zoom_id,
        "mn is the meeting number as a string"
    );
    assert_eq!(claims["role"], if role == "host" { 1 } else { 0 });
    let iat = claims["iat"].as_i64().unwrap();
    assert!(
        (before - 30..=after - 30).contains(&iat),
        "iat {iat} is now - 30 s (now in {before}..={after})"
    );
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(exp - iat, lifetime);
    assert_eq!(claims["tokenExp"], exp);
    let expires_at = body["expiresAt"].as_str().unwrap();
    assert!(expires_at.ends_with('Z'), "{expires_at}");
    let expires_at = DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert_eq!(expires_at.timestamp(), exp);
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        "expiresAt",
        "meetingNumber",
        "password",
        "role",
        "sdkKey",
        "signature",
    ];
    if role == "host" {
        expected.push("zak");
    }
    if body.get("join").is_some() {
        expected.extend(["customerKey", "join"]);
    }
    expected.sort_unstable();
    assert_eq!(keys, expected);
    claims
}

/// Checks the `join` of an answer that named its user: the Meeting SDK's
/// `client.join()` options, equal to the answer's own values; returns the
/// customer key.
fn check_join(answer: &Answer, name: &str, email: Option<&str>) -> String {
    let body = &answer.body;
    let join = body["join"].as_object().expect("a join object");
    let key = body["customerKey"].as_str().expect("a customerKey");
    assert!((1..=36).contains(&key.len()), "{key}");
    assert_eq!(join["signature"], body["signature"]);
    assert_eq!(join["meetingNumber"], body["meetingNumber"]);
    assert!(join["meetingNumber"].is_string());
    assert_eq!(join["password"], body["password"]);
    assert_eq!(join["userName"], name);
    assert_eq!(join["customerKey"], key);
    let mut expected = vec![
        "customerKey",
        "meetingNumber",
        "password",
        "signature",
        "userName",
    ];
    if let Some(email) = email {
        assert_eq!(join["userEmail"], email);
        expected.push("userEmail");
    }
    if body["role"] == "host" {
        let zak = body["zak"].as_str().expect("a host's ZAK");
        assert_eq!(join["zak"], zak);
        expected.push("zak");
    }
    expected.sort_unstable();
    let mut names: Vec<&str> = join.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, expected, "{}", body["join"]);
    key.to_owned()
}

/// Signs and records when: (answer, (before, after)) in Unix seconds.
async fn timed_sign(server: &TestServer, meeting_id: &str, body: Value) -> (Answer, (i64, i64)) {
    let before = Utc::now().timestamp();
    let answer = sign(server, meeting_id, body).await;
    (answer, (before, Utc::now().timestamp()))
}

/// No log line carries the SDK secret, a ZAK, a signature or a start_url.
fn assert_logs_clean(secrets: &[&str]) {
    let text = logs().text();
    assert!(!text.is_empty(), "logs are captured");
    assert!(!text.contains(SDK_SECRET), "SDK secret in the logs");
    assert!(!text.contains("zak="), "a start_url in the logs");
    for secret in secrets {
        assert!(!text.contains(secret), "a ZAK or signature in the logs");
    }
}

use lms_zoom_tests::on_both_stores;

on_both_stores!(
    attendee_signatures_make_no_zoom_call,
    host_signatures_carry_a_fresh_zak,
    signatures_say_who_joins,
);

/// `user` given: the answer adds `customerKey` and `join`. A short plain id
/// is its own key; a long or odd one gets a derived key, the same on every
/// call and for either role. Attendees still cost no Zoom call.
async fn signatures_say_who_joins(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let (id, meeting) = license_and_meeting(&server).await;
    let email = format!(
        "ana.{}@example.com",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let before = counts(&server);

    let ana = json!({"id": "lms-user-17", "name": "Ana Pérez", "email": email});
    let (answer, window) = timed_sign(
        &server,
        &id,
        json!({"role": "attendee", "expiresInSeconds": 3600, "user": ana}),
    )
    .await;
    assert_eq!(counts(&server), before, "an attendee's asks Zoom nothing");
    check_signature(&answer, &meeting, "attendee", 3600, window);
    assert_eq!(
        check_join(&answer, "Ana Pérez", Some(&email)),
        "lms-user-17"
    );
    assert!(answer.body["join"].get("zak").is_none());
    let mut signatures = vec![answer.body["signature"].as_str().unwrap().to_owned()];

    // A 36-character UUID is still the id; trimmed like every string.
    let uuid = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
    let (answer, window) = timed_sign(
        &server,
        &id,
        json!({"role": "attendee", "user": {"id": format!(" {uuid} "), "name": "Bo"}}),
    )
    .await;
    check_signature(&answer, &meeting, "attendee", 7200, window);
    assert_eq!(check_join(&answer, "Bo", None), uuid);
    assert_eq!(counts(&server), before);

    // Long or odd ids: a derived key, stable across calls and roles. The
    // first value was computed apart (Python: "lzk_" + base32 of the first
    // 20 bytes of SHA-256, lower case).
    let odd = [
        (
            "https://lms.example.edu/users/17",
            Some("lzk_6n3yvzb2rmy6jf52d4g4fsuqafmqepoq"),
        ),
        ("0123456789abcdef0123456789abcdef01234", None), // 37 characters
        ("ana+lms@example.com", None),                   // '+'
        ("Ana Pérez", None),
        ("lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", None), // shaped like a derived key
    ];
    let mut derived = Vec::new();
    for (lms_id, pinned) in odd {
        let mut seen = Vec::new();
        for role in ["attendee", "attendee", "host"] {
            let zoom_before = counts(&server);
            let (answer, window) = timed_sign(
                &server,
                &id,
                json!({"role": role, "user": {"id": lms_id, "name": "Ana", "email": email}}),
            )
            .await;
            if role == "attendee" {
                assert_eq!(
                    counts(&server),
                    zoom_before,
                    "an attendee's asks Zoom nothing"
                );
            }
            check_signature(&answer, &meeting, role, 7200, window);
            let key = check_join(&answer, "Ana", Some(&email));
            signatures.push(answer.body["signature"].as_str().unwrap().to_owned());
            if role == "host" {
                signatures.push(answer.body["zak"].as_str().unwrap().to_owned());
            }
            seen.push(key);
        }
        assert!(
            seen.iter().all(|k| *k == seen[0]),
            "same user, same key: {seen:?}"
        );
        let key = &seen[0];
        assert_ne!(key, lms_id);
        assert_eq!(key.len(), 36, "{key}");
        assert!(key.starts_with("lzk_"), "{key}");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{key}"
        );
        if let Some(pinned) = pinned {
            assert_eq!(key, pinned);
        }
        assert_eq!(*key, lms_zoom::domain::customer_key::customer_key(lms_id));
        derived.push(key.clone());
    }
    let mut distinct = derived.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), derived.len(), "{derived:?}");

    // A host with a user: the join carries the same fresh ZAK.
    let tokens = server.zoom.count(Endpoint::GetUserToken);
    let (answer, window) = timed_sign(
        &server,
        &id,
        json!({"role": "host", "user": {"id": "teacher-1", "name": "Profe"}}),
    )
    .await;
    check_signature(&answer, &meeting, "host", 7200, window);
    assert_eq!(check_join(&answer, "Profe", None), "teacher-1");
    assert_eq!(server.zoom.count(Endpoint::GetUserToken), tokens + 1);
    signatures.push(answer.body["zak"].as_str().unwrap().to_owned());

    // Without a user the answer is as before: no customerKey, no join.
    let (answer, window) =
        timed_sign(&server, &id, json!({"role": "attendee", "user": null})).await;
    check_signature(&answer, &meeting, "attendee", 7200, window);
    assert!(answer.body.get("join").is_none() && answer.body.get("customerKey").is_none());

    // Attendee signatures with a user ask Zoom nothing, Zoom's token endpoint
    // down or not.
    server
        .zoom
        .inject(Fault::new(Endpoint::Token, FaultKind::ServerError(503)));
    server.zoom.revoke_tokens();
    let zoom_before = counts(&server);
    let attendee = sign(&server, &id, json!({"role": "attendee", "user": ana})).await;
    assert_eq!(attendee.status, StatusCode::OK, "{}", attendee.body);
    assert_eq!(
        check_join(&attendee, "Ana Pérez", Some(&email)),
        "lms-user-17"
    );
    assert_eq!(counts(&server), zoom_before);
    server.zoom.clear_faults();

    // Who joins is not logged: neither the email nor the signatures.
    let mut secrets: Vec<&str> = signatures.iter().map(String::as_str).collect();
    secrets.push(&email);
    assert_logs_clean(&secrets);
}

async fn attendee_signatures_make_no_zoom_call(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let (id, meeting) = license_and_meeting(&server).await;
    let before = counts(&server);

    let (answer, window) = timed_sign(
        &server,
        &id,
        json!({"role": "attendee", "expiresInSeconds": 3600, "videoWebrtcMode": 1}),
    )
    .await;
    let claims = check_signature(&answer, &meeting, "attendee", 3600, window);
    assert_eq!(claims["video_webrtc_mode"], 1);
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "appKey",
            "exp",
            "iat",
            "mn",
            "role",
            "sdkKey",
            "tokenExp",
            "video_webrtc_mode"
        ]
    );

    // Defaults: two hours, no video_webrtc_mode; the bounds are accepted.
    let (answer, window) = timed_sign(&server, &id, json!({"role": "attendee"})).await;
    let claims = check_signature(&answer, &meeting, "attendee", 7200, window);
    assert!(claims.get("video_webrtc_mode").is_none(), "{claims}");
    for (lifetime, mode) in [(1800, 0), (172_800, 1)] {
        let (answer, window) = timed_sign(
            &server,
            &id,
            json!({"role": "attendee", "expiresInSeconds": lifetime, "videoWebrtcMode": mode}),
        )
        .await;
        let claims = check_signature(&answer, &meeting, "attendee", lifetime, window);
        assert_eq!(claims["video_webrtc_mode"], mode);
    }
    let signature = answer.body["signature"].as_str().unwrap().to_owned();

    assert_eq!(
        counts(&server),
        before,
        "an attendee signature asks Zoom nothing"
    );
    assert_logs_clean(&[&signature]);
}

async fn host_signatures_carry_a_fresh_zak(kind: StoreKind) {
    let server = TestServer::start(Backend::of(kind)).await;
    let (id, meeting) = license_and_meeting(&server).await;
    let tokens = server.zoom.count(Endpoint::GetUserToken);
    let meeting_reads = server.zoom.count(Endpoint::GetMeeting);

    let mut zaks = Vec::new();
    for n in 1..=2 {
        let (answer, window) = timed_sign(
            &server,
            &id,
            json!({"role": "host", "expiresInSeconds": 1800}),
        )
        .await;
        let claims = check_signature(&answer, &meeting, "host", 1800, window);
        assert_eq!(claims["role"], 1);
        let zak = answer.body["zak"].as_str().expect("a ZAK").to_owned();
        assert_eq!(zak.split('.').count(), 3, "a ZAK is a JWT");
        assert!(
            !claims.to_string().contains(&zak),
            "the ZAK is not in the JWT"
        );
        assert_eq!(server.zoom.count(Endpoint::GetUserToken), tokens + n);
        zaks.push(zak);
        zaks.push(answer.body["signature"].as_str().unwrap().to_owned());
    }
    assert_ne!(zaks[0], zaks[2], "a fresh ZAK every time, never cached");
    assert_eq!(server.zoom.count(Endpoint::GetMeeting), meeting_reads);

    // Zoom down: a 503 problem, no ZAK and no signature.
    server.zoom.inject(Fault::new(
        Endpoint::GetUserToken,
        FaultKind::ServerError(503),
    ));
    let down = sign(&server, &id, json!({"role": "host"})).await;
    problem(&down, 503, "zoom_unavailable");
    assert!(down.headers.contains_key("retry-after"));
    server.zoom.clear_faults();
    // Attendees do not need Zoom at all.
    server
        .zoom
        .inject(Fault::new(Endpoint::Token, FaultKind::ServerError(503)));
    server.zoom.revoke_tokens();
    let attendee = sign(&server, &id, json!({"role": "attendee"})).await;
    assert_eq!(attendee.status, StatusCode::OK, "{}", attendee.body);

    let secrets: Vec<&str> = zaks.iter().map(String::as_str).collect();
    assert_logs_clean(&secrets);
}

/// An account whose app lacks `user:read:token:admin`: the host's ZAK comes
/// from the `start_url` of `GET /meetings/{id}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_token_scope_the_zak_comes_from_start_url() {
    let mut account = test_account();
    account.scopes.retain(|s| s != "user:read:token:admin");
    let zoom = EmulatorConfig {
        accounts: vec![account],
        ..test_zoom()
    };
    let server = TestServer::start_with(Backend::embedded(), None, zoom).await;
    let (id, meeting) = license_and_meeting(&server).await;
    let tokens = server.zoom.count(Endpoint::GetUserToken);
    let meeting_reads = server.zoom.count(Endpoint::GetMeeting);

    let mut seen = Vec::new();
    for n in 1..=2 {
        let (answer, window) = timed_sign(&server, &id, json!({"role": "host"})).await;
        check_signature(&answer, &meeting, "host", 7200, window);
        let text = answer.body.to_string();
        assert!(
            !text.contains("start_url") && !text.contains("/s/"),
            "{text}"
        );
        let zak = answer.body["zak"].as_str().expect("a ZAK").to_owned();
        assert_eq!(zak.split('.').count(), 3, "{zak}");
        // Zoom refused the token (missing scope), then the meeting was read.
        assert_eq!(server.zoom.count(Endpoint::GetUserToken), tokens + n);
        assert_eq!(server.zoom.count(Endpoint::GetMeeting), meeting_reads + n);
        seen.push(zak);
    }
    assert_ne!(seen[0], seen[1]);
    assert_logs_clean(&[&seen[0], &seen[1]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_validation_failures() {
    let server = TestServer::start(Backend::embedded()).await;
    let (id, _) = license_and_meeting(&server).await;
    let before = counts(&server);
    let url = signature_url(&server, "a1", &id);

    // No body at all, or an empty object: role is required.
    for request in [
        server.http.post(&url),
        server
            .http
            .post(&url)
            .header("content-type", "application/json"),
        server.http.post(&url).json(&json!({})),
    ] {
        let answer = send(request).await;
        problem(&answer, 422, "validation_failed");
        assert_eq!(
            answer.body["errors"],
            json!([{"field": "role", "message": "is required"}])
        );
    }
    let spanish = send(server.http.post(&url).header("accept-language", "es")).await;
    problem(&spanish, 422, "validation_failed");
    assert_eq!(spanish.body["errors"][0]["message"], "es obligatorio");

    let cases = [
        (json!({"role": "teacher"}), "role"),
        (json!({"role": "Host"}), "role"),
        (json!({"role": 1}), "role"),
        (json!({"role": null}), "role"),
        (
            json!({"role": "host", "expiresInSeconds": 1799}),
            "expiresInSeconds",
        ),
        (
            json!({"role": "host", "expiresInSeconds": 172_801}),
            "expiresInSeconds",
        ),
        (
            json!({"role": "attendee", "expiresInSeconds": "7200"}),
            "expiresInSeconds",
        ),
        (
            json!({"role": "attendee", "expiresInSeconds": 7200.5}),
            "expiresInSeconds",
        ),
        (
            json!({"role": "attendee", "videoWebrtcMode": 2}),
            "videoWebrtcMode",
        ),
        (
            json!({"role": "attendee", "videoWebrtcMode": "1"}),
            "videoWebrtcMode",
        ),
        (json!({"role": "attendee", "zak": "x"}), "zak"),
        (json!({"role": "attendee", "user": "lms-user-17"}), "user"),
        (
            json!({"role": "attendee", "user": {"name": "Ana"}}),
            "user.id",
        ),
        (
            json!({"role": "attendee", "user": {"id": "", "name": "Ana"}}),
            "user.id",
        ),
        (
            json!({"role": "attendee", "user": {"id": "x".repeat(201), "name": "Ana"}}),
            "user.id",
        ),
        (
            json!({"role": "attendee", "user": {"id": 17, "name": "Ana"}}),
            "user.id",
        ),
        (
            json!({"role": "attendee", "user": {"id": "17"}}),
            "user.name",
        ),
        (
            json!({"role": "attendee", "user": {"id": "17", "name": "n".repeat(201)}}),
            "user.name",
        ),
        (
            json!({"role": "attendee", "user": {"id": "17", "name": "Ana", "email": "ana"}}),
            "user.email",
        ),
        (
            json!({"role": "attendee", "user": {"id": "17", "name": "Ana", "email": "a@b"}}),
            "user.email",
        ),
        (
            json!({"role": "host", "user": {"id": "17", "name": "Ana", "zak": "x"}}),
            "user.zak",
        ),
    ];
    for (body, field) in cases {
        let answer = sign(&server, &id, body.clone()).await;
        problem(&answer, 422, "validation_failed");
        let fields: Vec<&str> = answer.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{body}");
    }
    let all = sign(
        &server,
        &id,
        json!({"role": "guest", "expiresInSeconds": 10, "videoWebrtcMode": 3, "extra": 1}),
    )
    .await;
    problem(&all, 422, "validation_failed");
    assert_eq!(all.body["errors"].as_array().unwrap().len(), 4);

    // A user's problems, in both languages.
    let user = json!({"role": "attendee", "user": {"id": " ", "email": "ana@"}});
    for (lang, messages) in [
        (
            "en",
            ["cannot be blank", "is required", "must be an email address"],
        ),
        (
            "es",
            [
                "no puede estar vacío",
                "es obligatorio",
                "debe ser una dirección de email",
            ],
        ),
    ] {
        let answer = send(
            server
                .http
                .post(&url)
                .header("accept-language", lang)
                .json(&user),
        )
        .await;
        problem(&answer, 422, "validation_failed");
        assert_eq!(answer.headers["content-language"], lang);
        assert_eq!(
            answer.body["errors"],
            json!([
                {"field": "user.id", "message": messages[0]},
                {"field": "user.name", "message": messages[1]},
                {"field": "user.email", "message": messages[2]},
            ])
        );
    }

    // Not JSON at all: the usual body problems.
    let broken = send(
        server
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    problem(&broken, 400, "malformed_json");
    let text = send(
        server
            .http
            .post(&url)
            .header("content-type", "text/plain")
            .body("role=host"),
    )
    .await;
    problem(&text, 415, "unsupported_media_type");
    let array = send(server.http.post(&url).json(&json!(["host"]))).await;
    problem(&array, 400, "malformed_json");

    assert_eq!(counts(&server), before, "nothing reached Zoom");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_academys_or_unknown_meeting_is_not_found() {
    let server = TestServer::start(Backend::embedded()).await;
    let (id, _) = license_and_meeting(&server).await;
    let before = counts(&server);
    for (academy, meeting) in [
        ("a2", id.as_str()),
        ("a1", "mtg_01kzzzzzzzzzzzzzzzzzzzzzzz"),
        ("a1", "nope"),
    ] {
        for role in ["attendee", "host"] {
            let answer = send(
                server
                    .http
                    .post(signature_url(&server, academy, meeting))
                    .json(&json!({"role": role})),
            )
            .await;
            problem(&answer, 404, "meeting_not_found");
        }
    }
    let bad_academy = send(
        server
            .http
            .post(signature_url(&server, "a%23b", &id))
            .json(&json!({"role": "host"})),
    )
    .await;
    problem(&bad_academy, 422, "validation_failed");
    let wrong_method = send(server.http.get(signature_url(&server, "a1", &id))).await;
    problem(&wrong_method, 405, "method_not_allowed");
    assert_eq!(counts(&server), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_meeting_cannot_be_signed() {
    let server = TestServer::start(Backend::embedded()).await;
    let (id, _) = license_and_meeting(&server).await;
    let deleted = send(
        server
            .http
            .delete(server.url(&format!("/v1/academies/a1/meetings/{id}"))),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let before = counts(&server);
    for role in ["attendee", "host"] {
        let answer = sign(&server, &id, json!({"role": role})).await;
        problem(&answer, 409, "meeting_deleted");
        assert_eq!(answer.body["title"], "Meeting deleted");
    }
    let spanish = send(
        server
            .http
            .post(signature_url(&server, "a1", &id))
            .header("accept-language", "es")
            .json(&json!({"role": "host"})),
    )
    .await;
    problem(&spanish, 409, "meeting_deleted");
    assert_eq!(spanish.body["title"], "Reunión eliminada");
    assert_eq!(spanish.headers["content-language"], "es");
    assert_eq!(counts(&server), before, "no ZAK for a deleted meeting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_checks_the_bearer_token() {
    let server = TestServer::start_with_token(Backend::embedded(), Some("sig-token")).await;
    let url = signature_url(&server, "a1", "mtg_01kzzzzzzzzzzzzzzzzzzzzzzz");
    let anonymous = send(server.http.post(&url).json(&json!({"role": "host"}))).await;
    problem(&anonymous, 401, "unauthorized");
    let allowed = send(
        server
            .http
            .post(&url)
            .bearer_auth("sig-token")
            .json(&json!({"role": "host"})),
    )
    .await;
    problem(&allowed, 404, "meeting_not_found");
}
