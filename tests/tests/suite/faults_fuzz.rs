//! Property tests (proptest) against the running server: arbitrary bytes and
//! arbitrary JSON to the webhook route (unsigned and validly signed) and to
//! the bodies of license create/update, meeting create/update and
//! signatures, valid bodies with one field replaced by anything, odd
//! `Content-Type` and `Accept-Language` headers, and arbitrary path ids.
//! Never a panic, never a 5xx; every error is `application/problem+json`
//! with a `code`. Case counts are bounded (`CASES`) to keep the suite fast;
//! `PROPTEST_CASES` raises them for a longer local run.

use std::sync::Arc;

use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{Answer, LicenseSecrets, Recorder, meeting_body, zoom_signature};
use lms_zoom_tests::{Backend, TestServer, on_both_stores};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Map, Value, json};

on_both_stores!(
    arbitrary_json_bodies_are_problems_never_5xx,
    arbitrary_bytes_and_headers_are_problems_never_5xx,
    arbitrary_path_ids_are_problems_never_5xx,
    arbitrary_webhooks_are_refused_or_ignored_never_5xx,
);

/// Cases per property on the embedded store; a quarter of them on moto.
const CASES: u32 = 48;

fn cases(kind: StoreKind) -> u32 {
    let base = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES);
    match kind {
        StoreKind::Embedded => base,
        StoreKind::Aws => (base / 4).max(8),
    }
}

fn runner(kind: StoreKind) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(kind),
        failure_persistence: None,
        ..Config::default()
    })
}

/// A server with one license and one meeting to aim at.
struct Target {
    server: TestServer,
    rec: Recorder,
    secrets: LicenseSecrets,
    lic: String,
    mid: String,
}

async fn target(kind: StoreKind) -> Target {
    let server = TestServer::start(Backend::of(kind)).await;
    let rec = Recorder::new();
    let secrets = LicenseSecrets::new("fuzz");
    secrets.register(&rec);
    let lic = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&secrets.body("Fuzz", 10)),
        )
        .await;
    lic.ok(201);
    let lic = lic.id("licenseId");
    let mid = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/meetings"))
                .json(&meeting_body("2031-05-01T10:00:00Z", 60, Some(&lic))),
        )
        .await;
    mid.ok(201);
    let mid = mid.id("meetingId");
    Target {
        server,
        rec,
        secrets,
        lic,
        mid,
    }
}

/// The one rule every answer keeps.
fn well_formed(what: &str, answer: &Answer) -> Result<(), TestCaseError> {
    let status = answer.status.as_u16();
    prop_assert!(status < 500, "{what} -> {status} {}", answer.text);
    if status >= 400 {
        prop_assert_eq!(
            answer.content_type(),
            "application/problem+json",
            "{} -> {} {}",
            what,
            status,
            answer.text
        );
        prop_assert!(
            answer.body["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{what} -> {status} {}",
            answer.text
        );
        prop_assert_eq!(answer.body["status"].as_u64(), Some(u64::from(status)));
    }
    Ok(())
}

/// Arbitrary JSON, with the field names the routes know among the keys.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
        Just(json!("2031-05-01T10:00:00Z")),
        Just(json!("x".repeat(300))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(FIELDS).prop_map(str::to_owned),
        ".{0,12}",
    ]
}

const FIELDS: &[&str] = &[
    "name",
    "accountId",
    "clientId",
    "clientSecret",
    "sdkKey",
    "sdkSecret",
    "webhookSecretToken",
    "hostUser",
    "maxConcurrentMeetings",
    "topic",
    "startTime",
    "durationMinutes",
    "timezone",
    "licenseId",
    "agenda",
    "externalRef",
    "settings",
    "waitingRoom",
    "autoRecording",
    "role",
    "expiresInSeconds",
    "videoWebrtcMode",
    "user",
    "id",
    "email",
    "event",
    "payload",
    "object",
    "event_ts",
    "plainToken",
];

/// The routes that take a JSON body: (method, path, a valid body).
fn body_routes(t: &Target) -> Vec<(Method, String, Value)> {
    let (lic, mid) = (&t.lic, &t.mid);
    vec![
        (
            Method::POST,
            "/v1/academies/a1/licenses?verify=false".into(),
            t.secrets.body("Fuzzed", 1),
        ),
        (
            Method::PATCH,
            format!("/v1/academies/a1/licenses/{lic}?verify=false"),
            json!({"name": "Fuzz", "maxConcurrentMeetings": 10}),
        ),
        (
            Method::POST,
            "/v1/academies/a1/meetings".into(),
            meeting_body("2031-06-01T10:00:00Z", 30, Some(lic)),
        ),
        (
            Method::PATCH,
            format!("/v1/academies/a1/meetings/{mid}"),
            json!({"topic": "Fuzz", "durationMinutes": 60}),
        ),
        (
            Method::POST,
            format!("/v1/academies/a1/meetings/{mid}/signature"),
            json!({"role": "attendee", "expiresInSeconds": 7200, "videoWebrtcMode": 1}),
        ),
        (
            Method::POST,
            format!("/v1/academies/a1/meetings/{mid}/signature"),
            json!({"role": "attendee", "user": {"id": "lms-user-17", "name": "Ana", "email": "ana@example.com"}}),
        ),
    ]
}

/// Drives one property: each case builds a request from `input`.
fn check<S: Strategy>(
    kind: StoreKind,
    t: &Target,
    strategy: S,
    case: impl Fn(&Target, S::Value) -> (String, reqwest::RequestBuilder),
) where
    S::Value: std::fmt::Debug,
{
    let handle = tokio::runtime::Handle::current();
    let t: &Target = t;
    tokio::task::block_in_place(|| {
        runner(kind)
            .run(&strategy, |input| {
                let (what, request) = case(t, input);
                let answer = handle.block_on(t.rec.send(request));
                well_formed(&what, &answer)
            })
            .unwrap();
    });
}

async fn arbitrary_json_bodies_are_problems_never_5xx(kind: StoreKind) {
    let t = target(kind).await;
    let routes = Arc::new(body_routes(&t));
    let n = routes.len();
    // Anything at all as the body.
    let r = routes.clone();
    check(kind, &t, (0..n, json_value()), move |t, (i, value)| {
        let (method, path, _) = &r[i];
        let what = format!("{method} {path} {value}");
        (
            what,
            t.server
                .http
                .request(method.clone(), t.server.url(path))
                .json(&value),
        )
    });
    // A valid body with one field replaced, added or dropped.
    let r = routes.clone();
    let mutation = (0..n, key(), prop::option::of(json_value()));
    check(kind, &t, mutation, move |t, (i, field, value)| {
        let (method, path, valid) = &r[i];
        let mut body = valid.clone();
        let map = body.as_object_mut().unwrap();
        match &value {
            Some(v) => {
                map.insert(field.clone(), v.clone());
            }
            None => {
                map.remove(&field);
            }
        }
        let what = format!("{method} {path} {body}");
        (
            what,
            t.server
                .http
                .request(method.clone(), t.server.url(path))
                .header("accept-language", "es")
                .json(&body),
        )
    });
    finish(t).await;
}

async fn arbitrary_bytes_and_headers_are_problems_never_5xx(kind: StoreKind) {
    let t = target(kind).await;
    let routes = Arc::new(body_routes(&t));
    let n = routes.len();
    let content_type = prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/problem+json",
            "application/vnd.api+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,40}",
    ];
    let language = prop_oneof![
        prop::sample::select(vec![
            "es",
            "en",
            "es-AR,es;q=0.9",
            "*",
            "fr;q=x",
            "es;q=0",
            ""
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,40}",
    ];
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        // Valid JSON cut short.
        (json_value(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
    ];
    let r = routes.clone();
    check(
        kind,
        &t,
        (0..n, bytes, prop::option::of(content_type), language),
        move |t, (i, body, content_type, language)| {
            let (method, path, _) = &r[i];
            let what = format!(
                "{method} {path} content-type {content_type:?} accept-language {language:?} body {:?}",
                String::from_utf8_lossy(&body)
            );
            let mut request = t
                .server
                .http
                .request(method.clone(), t.server.url(path))
                .header("accept-language", language.as_str())
                .body(body);
            if let Some(ct) = content_type {
                request = request.header("content-type", ct);
            }
            (what, request)
        },
    );
    // Over the 64 KiB limit.
    let big = t
        .rec
        .send(
            t.server
                .http
                .post(t.server.url("/v1/academies/a1/meetings"))
                .header("content-type", "application/json")
                .body(vec![b' '; 70 * 1024]),
        )
        .await;
    big.problem(413, "payload_too_large");
    finish(t).await;
}

/// Percent-encodes every byte but unreserved ones, so any string is a path segment.
fn segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn arbitrary_path_ids_are_problems_never_5xx(kind: StoreKind) {
    let t = target(kind).await;
    let id = prop_oneof![
        ".{0,60}",
        "(lic|mtg)_[0-9a-z]{0,30}",
        Just("lic_01aaaaaaaaaaaaaaaaaaaaaaaa".to_owned()),
        Just("..".to_owned()),
        Just("x".repeat(2000)),
    ];
    let routes: Vec<(Method, &str)> = vec![
        (Method::GET, "/v1/academies/{a}/licenses/{id}"),
        (Method::DELETE, "/v1/academies/{a}/licenses/{id}"),
        (Method::POST, "/v1/academies/{a}/licenses/{id}/verify"),
        (Method::GET, "/v1/academies/{a}/meetings/{id}"),
        (Method::DELETE, "/v1/academies/{a}/meetings/{id}"),
        (Method::GET, "/v1/academies/{a}/meetings/{id}/recordings"),
        (Method::GET, "/v1/academies/{a}/meetings/{id}/attendance"),
        (Method::POST, "/v1/academies/{a}/meetings/{id}/signature"),
        (
            Method::GET,
            "/v1/academies/{a}/licenses?cursor={id}&limit=2",
        ),
        (
            Method::GET,
            "/v1/academies/{a}/meetings?cursor={id}&from={id}",
        ),
        (Method::POST, "/v1/webhooks/zoom/{id}"),
    ];
    let n = routes.len();
    let academy = prop_oneof![Just("a1".to_owned()), ".{1,30}"];
    check(kind, &t, (0..n, academy, id), move |t, (i, academy, id)| {
        let (method, template) = &routes[i];
        let path = template
            .replace("{a}", &segment(&academy))
            .replace("{id}", &segment(&id));
        let mut request = t.server.http.request(method.clone(), t.server.url(&path));
        if *method == Method::POST {
            request = request.json(&json!({"role": "attendee"}));
        }
        (format!("{method} {path}"), request)
    });
    // The fixtures survived all of it (nothing was deleted by an odd id).
    t.rec
        .send(
            t.server.http.get(
                t.server
                    .url(&format!("/v1/academies/a1/meetings/{}", t.mid)),
            ),
        )
        .await
        .ok(200);
    finish(t).await;
}

async fn arbitrary_webhooks_are_refused_or_ignored_never_5xx(kind: StoreKind) {
    let t = target(kind).await;
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..1024),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        // Event-shaped JSON with arbitrary parts.
        (
            prop::sample::select(vec![
                "endpoint.url_validation",
                "meeting.participant_joined",
                "meeting.participant_left",
                "recording.completed",
                "meeting.ended",
                "meeting.started",
                "meeting.deleted",
                "recording.trashed",
                "something.else",
            ]),
            json_value(),
            json_value(),
        )
            .prop_map(|(event, object, ts)| {
                json!({"event": event, "event_ts": ts, "payload": {"account_id": "x", "object": object, "plainToken": object}})
                    .to_string()
                    .into_bytes()
            }),
    ];
    let unsigned = t.server.url(&format!("/v1/webhooks/zoom/{}", t.lic));
    check(
        kind,
        &t,
        (body, any::<bool>(), -400i64..400),
        move |t, (body, signed, skew)| {
            let ts = chrono::Utc::now().timestamp() + skew;
            let signature = if signed {
                zoom_signature(&t.secrets.webhook_secret, ts, &body)
            } else {
                zoom_signature("not-the-secret", ts, &body)
            };
            let what = format!(
                "webhook signed={signed} skew={skew} {:?}",
                String::from_utf8_lossy(&body)
            );
            let request = t
                .server
                .http
                .post(&unsigned)
                .header("content-type", "application/json")
                .header("x-zm-request-timestamp", ts.to_string())
                .header("x-zm-signature", signature)
                .body(body);
            (what, request)
        },
    );
    // Forged or stale: always the same 401.
    let forged = t
        .rec
        .send(
            t.server
                .http
                .post(t.server.url(&format!("/v1/webhooks/zoom/{}", t.lic)))
                .header(
                    "x-zm-request-timestamp",
                    chrono::Utc::now().timestamp().to_string(),
                )
                .header("x-zm-signature", "v0=00")
                .body("{}"),
        )
        .await;
    forged.problem(401, "unauthorized");
    finish(t).await;
}

async fn finish(t: Target) {
    println!("{} answers checked", t.rec.answers());
    t.rec.zoom_tokens(&t.server.zoom);
    t.rec.assert_no_secret_leaked();
}
