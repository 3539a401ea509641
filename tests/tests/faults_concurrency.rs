//! 200 concurrent mixed requests across two academies (creates with and
//! without a license and an Idempotency-Key, reads, lists, reschedules,
//! deletes, signatures, and reads of the other academy's ids), on both
//! stores: no 5xx, no answer of one academy holds an id of the other, and
//! no license ever holds more overlapping meetings than it may, as the API
//! lists them and as the Zoom emulator holds them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{Answer, LicenseSecrets, Recorder, assert_zoom_matches, list_meetings};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_account, test_zoom};
use serde_json::{Value, json};
use zoom_emulator::{EmulatorConfig, User};

on_both_stores!(two_hundred_mixed_requests_across_two_academies);

/// A meeting's `[start, end)`.
type Interval = (DateTime<Utc>, DateTime<Utc>);

const ACADEMIES: [&str; 2] = ["north", "south"];
/// Licenses per academy and their capacities.
const CAPACITY: [u8; 2] = [1, 2];

/// A small deterministic generator (no seed to chase when it fails).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// One host per license, so Zoom's daily cap of 100 creates per host is not
/// what the run measures.
fn zoom() -> EmulatorConfig {
    let mut account = test_account();
    for i in 0..4 {
        account = account.with_user(User::licensed(
            format!("hostUser{i:02}"),
            format!("host{i}@example.com"),
        ));
    }
    EmulatorConfig {
        accounts: vec![account],
        ..test_zoom()
    }
}

/// Hour `h` (fractional via `m` minutes) of the busy day.
fn at(h: u64, m: u64) -> String {
    format!("2031-03-0{}T{:02}:{:02}:00Z", 1 + h / 24, h % 24, m)
}

#[derive(Debug)]
enum Op {
    Create {
        academy: usize,
        body: Value,
        key: Option<String>,
    },
    Get {
        academy: usize,
        id: String,
    },
    List {
        academy: usize,
    },
    Licenses {
        academy: usize,
    },
    Patch {
        academy: usize,
        id: String,
        body: Value,
    },
    Delete {
        academy: usize,
        id: String,
    },
    Sign {
        academy: usize,
        id: String,
        role: &'static str,
    },
    /// Another academy's meeting under this academy's path: must be 404.
    Cross {
        academy: usize,
        id: String,
    },
}

impl Op {
    fn academy(&self) -> usize {
        match self {
            Op::Create { academy, .. }
            | Op::Get { academy, .. }
            | Op::List { academy }
            | Op::Licenses { academy }
            | Op::Patch { academy, .. }
            | Op::Delete { academy, .. }
            | Op::Sign { academy, .. }
            | Op::Cross { academy, .. } => *academy,
        }
    }
}

async fn two_hundred_mixed_requests_across_two_academies(kind: StoreKind) {
    let server = TestServer::start_with(Backend::of(kind), None, zoom()).await;
    let rec = Recorder::new();
    let mut rng = Lcg(0x5eed_f417);
    // Ids that belong to each academy (licenses, meetings, Zoom meetings).
    let mut owned: [BTreeSet<String>; 2] = Default::default();
    let mut licenses: [Vec<(String, u8)>; 2] = Default::default();
    let mut seeded: [Vec<String>; 2] = Default::default();
    let mut host = 0;
    for (a, academy) in ACADEMIES.iter().enumerate() {
        let secrets = LicenseSecrets::new(academy);
        secrets.register(&rec);
        for (i, max) in CAPACITY.iter().enumerate() {
            let mut body = secrets.body(&format!("{academy}-{i}"), *max);
            body["hostUser"] = json!(format!("host{host}@example.com"));
            host += 1;
            let created = rec
                .send(
                    server
                        .http
                        .post(server.url(&format!("/v1/academies/{academy}/licenses")))
                        .json(&body),
                )
                .await;
            assert_eq!(created.ok(201)["status"], "verified", "{}", created.text);
            let id = created.id("licenseId");
            owned[a].insert(id.clone());
            licenses[a].push((id, *max));
        }
        // Six meetings to read, reschedule, delete and sign for.
        for h in 0..6 {
            let (lic, _) = &licenses[a][h as usize % 2];
            let created = rec
                .send(
                    server
                        .http
                        .post(server.url(&format!("/v1/academies/{academy}/meetings")))
                        .json(&json!({"topic": "Seed", "startTime": at(h * 3, 0),
                                      "durationMinutes": 60, "licenseId": lic})),
                )
                .await;
            created.ok(201);
            owned[a].insert(created.id("meetingId"));
            owned[a].insert(created.id("zoomMeetingId"));
            seeded[a].push(created.id("meetingId"));
        }
    }

    let mut ops = Vec::new();
    for i in 0..200u64 {
        let a = rng.next(2) as usize;
        let seed = || seeded[a][(i % 6) as usize].clone();
        let op = match rng.next(20) {
            0..=6 => {
                // Creates crowd into 18 hours: conflicts are certain.
                let mut body = json!({"topic": format!("C{i}"), "startTime": at(rng.next(18), 30 * rng.next(2)),
                                      "durationMinutes": 30 + 30 * rng.next(3)});
                if rng.next(2) == 0 {
                    body["licenseId"] = json!(licenses[a][rng.next(2) as usize].0);
                }
                // A few keys used by several requests at once.
                let key = (rng.next(4) == 0).then(|| format!("key-{}", i % 5));
                if let Some(k) = &key {
                    body = json!({"topic": k, "startTime": at(20, 0), "durationMinutes": 30});
                }
                Op::Create {
                    academy: a,
                    body,
                    key,
                }
            }
            7..=8 => Op::Get {
                academy: a,
                id: seed(),
            },
            9 => Op::List { academy: a },
            10 => Op::Licenses { academy: a },
            11..=12 => Op::Patch {
                academy: a,
                id: seed(),
                body: json!({"startTime": at(rng.next(18), 0), "topic": format!("P{i}")}),
            },
            13 => Op::Delete {
                academy: a,
                id: seed(),
            },
            14..=16 => Op::Sign {
                academy: a,
                id: seed(),
                role: "attendee",
            },
            17 => Op::Sign {
                academy: a,
                id: seed(),
                role: "host",
            },
            _ => Op::Cross {
                academy: a,
                id: seeded[1 - a][(i % 6) as usize].clone(),
            },
        };
        ops.push(op);
    }
    let kinds: BTreeSet<&str> = ops
        .iter()
        .map(|op| match op {
            Op::Create { .. } => "create",
            Op::Get { .. } => "get",
            Op::List { .. } => "list",
            Op::Licenses { .. } => "licenses",
            Op::Patch { .. } => "patch",
            Op::Delete { .. } => "delete",
            Op::Sign { .. } => "sign",
            Op::Cross { .. } => "cross",
        })
        .collect();
    assert_eq!(kinds.len(), 8, "every kind of request is in the mix");

    let send = |op: &Op| {
        let academy = ACADEMIES[op.academy()];
        let url = |p: String| server.url(&format!("/v1/academies/{academy}{p}"));
        let request = match op {
            Op::Create { body, key, .. } => {
                let r = server.http.post(url("/meetings".into())).json(body);
                match key {
                    Some(k) => r.header("idempotency-key", k),
                    None => r,
                }
            }
            Op::Get { id, .. } | Op::Cross { id, .. } => {
                server.http.get(url(format!("/meetings/{id}")))
            }
            Op::List { .. } => server.http.get(url("/meetings?limit=100".into())),
            Op::Licenses { .. } => server.http.get(url("/licenses".into())),
            Op::Patch { id, body, .. } => {
                server.http.patch(url(format!("/meetings/{id}"))).json(body)
            }
            Op::Delete { id, .. } => server.http.delete(url(format!("/meetings/{id}"))),
            Op::Sign { id, role, .. } => server
                .http
                .post(url(format!("/meetings/{id}/signature")))
                .json(&json!({ "role": role })),
        };
        rec.send(request)
    };
    let started = std::time::Instant::now();
    // All 200 at once on the embedded store. moto serves one request at a
    // time, slowly: 200 (or 40) at once queue past the SDK's 2 s operation
    // timeout there (a 503 that real DynamoDB would not give), so at most 16
    // are in flight on moto.
    let in_flight = match kind {
        StoreKind::Embedded => ops.len(),
        StoreKind::Aws => 16,
    };
    let answers: Vec<Answer> = futures::stream::iter(ops.iter().map(send))
        .buffered(in_flight)
        .collect()
        .await;
    println!("200 mixed requests in {:?}", started.elapsed());

    let mut by_status: BTreeMap<(u16, String), usize> = BTreeMap::new();
    for (op, answer) in ops.iter().zip(&answers) {
        *by_status
            .entry((
                answer.status.as_u16(),
                answer.body["code"].as_str().unwrap_or("").to_owned(),
            ))
            .or_default() += 1;
        assert!(
            answer.status.as_u16() < 500,
            "{op:?} -> {} {}\nwarnings logged:\n{}",
            answer.status,
            answer.text,
            lms_zoom_tests::logs()
                .text()
                .lines()
                .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        if answer.status.is_client_error() {
            assert_eq!(answer.content_type(), "application/problem+json", "{op:?}");
            assert!(answer.body["code"].is_string(), "{op:?}: {}", answer.text);
        }
        let allowed: &[u16] = match op {
            Op::Create { .. } => &[201, 409],
            Op::Get { .. } | Op::List { .. } | Op::Licenses { .. } => &[200],
            // Racing edits of one meeting: one wins, the others learn why.
            Op::Patch { .. } => &[200, 409, 412],
            Op::Delete { .. } => &[204, 409, 412],
            Op::Sign { .. } => &[200, 409],
            Op::Cross { .. } => &[404],
        };
        assert!(
            allowed.contains(&answer.status.as_u16()),
            "{op:?} -> {} {}",
            answer.status,
            answer.text
        );
        if let Op::Create { .. } = op
            && answer.status == 201
        {
            owned[op.academy()].insert(answer.id("meetingId"));
            owned[op.academy()].insert(answer.id("zoomMeetingId"));
        }
    }
    println!("answers by status and code: {by_status:?}");
    let created = answers.iter().filter(|a| a.status == 201).count();
    assert!(created > 5, "some creates won: {by_status:?}");

    // No answer to one academy names anything of the other.
    for (op, answer) in ops.iter().zip(&answers) {
        let other = &owned[1 - op.academy()];
        for id in other {
            assert!(
                !answer.text.contains(id.as_str()),
                "{op:?} answered another academy's {id}: {}",
                answer.text
            );
        }
    }

    // The booking invariant, as the API lists meetings and as Zoom holds them.
    let mut zoom_ids: BTreeMap<String, String> = BTreeMap::new();
    for (a, academy) in ACADEMIES.iter().enumerate() {
        let listed = list_meetings(&server, &rec, academy).await;
        for m in &listed {
            let id = m["meetingId"].as_str().unwrap();
            let asked: Vec<String> = ops
                .iter()
                .zip(&answers)
                .filter(
                    |(op, _)| matches!(op, Op::Create { body, .. } if body["topic"] == m["topic"]),
                )
                .map(|(op, answer)| format!("{op:?} -> {} {}", answer.status, answer.text))
                .collect();
            assert!(
                owned[a].contains(id),
                "{academy} lists a meeting no create answered with: {m}\nthe creates: {asked:#?}"
            );
            zoom_ids.insert(
                m["zoomMeetingId"].as_str().unwrap().to_owned(),
                m["licenseId"].as_str().unwrap().to_owned(),
            );
        }
        for (lic, max) in &licenses[a] {
            let intervals: Vec<Interval> = listed
                .iter()
                .filter(|m| m["licenseId"] == lic.as_str())
                .map(|m| {
                    let start: DateTime<Utc> = m["startTime"].as_str().unwrap().parse().unwrap();
                    (
                        start,
                        start + Duration::minutes(m["durationMinutes"].as_i64().unwrap()),
                    )
                })
                .collect();
            assert_within_capacity(&intervals, *max, &format!("API, {lic}"));
        }
    }
    assert_zoom_matches(&server, &rec, &ACADEMIES).await;
    let mut in_zoom: BTreeMap<String, Vec<Interval>> = BTreeMap::new();
    for (zoom_id, lic) in &zoom_ids {
        let m = server.zoom.meeting(zoom_id).expect("in Zoom");
        let start: DateTime<Utc> = m["start_time"].as_str().unwrap().parse().unwrap();
        let end = start + Duration::minutes(m["duration"].as_i64().unwrap());
        in_zoom.entry(lic.clone()).or_default().push((start, end));
    }
    for (lic, max) in licenses.iter().flatten() {
        let intervals = in_zoom.remove(lic).unwrap_or_default();
        assert_within_capacity(&intervals, *max, &format!("Zoom, {lic}"));
    }
    rec.zoom_tokens(&server.zoom);
    rec.assert_no_secret_leaked();
}

/// At no instant do more than `max` of the half-open intervals overlap.
fn assert_within_capacity(intervals: &[Interval], max: u8, what: &str) {
    let mut edges: Vec<(DateTime<Utc>, i32)> = intervals
        .iter()
        .flat_map(|(s, e)| [(*s, 1), (*e, -1)])
        .collect();
    // Ends before starts at the same instant: back to back is fine.
    edges.sort();
    let mut open = 0;
    for (when, delta) in edges {
        open += delta;
        assert!(
            open <= i32::from(max),
            "{what}: {open} meetings at {when} (max {max}): {intervals:?}"
        );
    }
}
