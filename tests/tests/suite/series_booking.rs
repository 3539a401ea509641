//! Class series booked all or nothing, on both stores: every occurrence
//! on its exact interval against one read of the license's schedule, in one
//! atomic decision. A 24-occurrence weekly series books whole; one that
//! conflicts on its 17th occurrence books nothing and lists that one; a
//! 50-occurrence series fits DynamoDB's transaction limit; of 10 series
//! racing for one shared occurrence exactly one wins; without a license the
//! first one free for every occurrence is taken.

use chrono::{DateTime, Duration, Utc};
use lms_zoom::AppState;
use lms_zoom::app::meetings::Slot;
use lms_zoom::domain::recurrence::{expand, parse_recurrence, parse_timezone};
use lms_zoom::error::AppError;
use lms_zoom_local::StoreKind;
use lms_zoom_tests::kit::{LicenseSecrets, Recorder};
use lms_zoom_tests::{Backend, TestServer, on_both_stores, test_zoom};
use serde_json::{Value, json};

async fn server(kind: StoreKind) -> (TestServer, AppState, Recorder) {
    let (server, state) =
        TestServer::start_keeping_state(Backend::of(kind), test_zoom(), |s| s, |s| s).await;
    (server, state, Recorder::new())
}

async fn license(server: &TestServer, rec: &Recorder, name: &str) -> String {
    let secrets = LicenseSecrets::new(name);
    let answer = rec
        .send(
            server
                .http
                .post(server.url("/v1/academies/a1/licenses"))
                .json(&secrets.body(name, 1)),
        )
        .await;
    answer.ok(201);
    answer.id("licenseId")
}

/// The occurrences of `recurrence` from `start` in `timezone`, as slots.
fn slots(start: &str, minutes: u32, timezone: &str, recurrence: Value) -> Vec<Slot> {
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339(start).unwrap().into();
    let recurrence = parse_recurrence(recurrence).expect("a valid recurrence");
    let tz = parse_timezone(timezone).unwrap();
    expand(&recurrence, start, minutes, tz)
        .unwrap()
        .into_iter()
        .map(|o| Slot {
            meeting_id: format!("mtg_{}", ulid::Ulid::new().to_string().to_lowercase()),
            start: o.start_time,
            end: o.end_time(),
        })
        .collect()
}

fn weekly_24() -> Vec<Slot> {
    slots(
        "2031-03-04T18:00:00-05:00",
        90,
        "America/New_York",
        json!({"type": "weekly", "weeklyDays": ["tue", "thu"], "interval": 1, "endTimes": 24}),
    )
}

async fn single(server: &TestServer, rec: &Recorder, license: &str, at: DateTime<Utc>) -> u16 {
    let body = json!({"topic": "Suelta", "startTime": at.to_rfc3339(), "durationMinutes": 30, "licenseId": license});
    rec.send(
        server
            .http
            .post(server.url("/v1/academies/a1/meetings"))
            .json(&body),
    )
    .await
    .status
    .as_u16()
}

async fn a_weekly_series_of_24_books_whole(kind: StoreKind) {
    let (server, state, rec) = server(kind).await;
    let lic = license(&server, &rec, "serie").await;
    let slots = weekly_24();
    assert_eq!(slots.len(), 24);
    let (chosen, bookings) = state
        .meetings
        .reserve_series("a1", Some(&lic), &slots, |_, _| Vec::new())
        .await
        .expect("the series fits");
    assert_eq!(
        (chosen.license_id.as_str(), bookings.len()),
        (lic.as_str(), 24)
    );
    // Every occurrence holds its slot: a class at any of them is refused.
    for slot in [&slots[0], &slots[11], &slots[23]] {
        assert_eq!(
            single(&server, &rec, &lic, slot.start + Duration::minutes(10)).await,
            409
        );
    }
    // Between them the license is free.
    assert_eq!(single(&server, &rec, &lic, slots[0].end).await, 201);
}

async fn a_conflict_on_the_17th_occurrence_books_nothing(kind: StoreKind) {
    let (server, state, rec) = server(kind).await;
    let lic = license(&server, &rec, "conflicto").await;
    let slots = weekly_24();
    assert_eq!(
        single(&server, &rec, &lic, slots[16].start + Duration::minutes(30)).await,
        201
    );
    let refused = state
        .meetings
        .reserve_series("a1", Some(&lic), &slots, |_, _| Vec::new())
        .await
        .expect_err("the 17th occurrence is taken");
    let AppError::SeriesConflict {
        license_id,
        occurrences,
    } = &refused
    else {
        panic!("a series conflict: {refused:?}")
    };
    assert_eq!(license_id.as_deref(), Some(lic.as_str()));
    let listed: Vec<&str> = occurrences.iter().map(|o| o.meeting_id.as_str()).collect();
    assert_eq!(listed, [slots[16].meeting_id.as_str()], "exactly the 17th");
    assert_eq!(occurrences[0].start_time, slots[16].start);
    assert_eq!(occurrences[0].conflicts.len(), 1);
    // Nothing was booked: the first occurrence's time is still free.
    assert_eq!(single(&server, &rec, &lic, slots[0].start).await, 201);
}

async fn fifty_occurrences_fit_one_transaction(kind: StoreKind) {
    let (server, state, rec) = server(kind).await;
    let lic = license(&server, &rec, "cincuenta").await;
    let slots = slots(
        "2031-06-02T18:00:00-03:00",
        60,
        "America/Argentina/Buenos_Aires",
        json!({"type": "daily", "interval": 1, "endTimes": 50}),
    );
    assert_eq!(slots.len(), 50);
    let (_, bookings) = state
        .meetings
        .reserve_series("a1", Some(&lic), &slots, |_, _| Vec::new())
        .await
        .expect("50 occurrences in one transaction");
    assert_eq!(bookings.len(), 50);
    assert_eq!(single(&server, &rec, &lic, slots[49].start).await, 409);
}

async fn of_ten_racing_series_one_wins(kind: StoreKind) {
    let (server, state, rec) = server(kind).await;
    let lic = license(&server, &rec, "carrera").await;
    let shared = weekly_24()[5].clone();
    let series: Vec<Vec<Slot>> = (0..10)
        .map(|n| {
            let mut own: Vec<Slot> = (1..=3)
                .map(|k| Slot {
                    meeting_id: format!("mtg_race{n}x{k}"),
                    start: shared.start + Duration::days(100 + 10 * n + k),
                    end: shared.end + Duration::days(100 + 10 * n + k),
                })
                .collect();
            own.push(Slot {
                meeting_id: format!("mtg_race{n}shared"),
                ..shared.clone()
            });
            own
        })
        .collect();
    let races = series.iter().map(|slots| {
        let state = state.clone();
        let lic = lic.clone();
        async move {
            state
                .meetings
                .reserve_series("a1", Some(&lic), slots, |_, _| Vec::new())
                .await
        }
    });
    let outcomes = futures::future::join_all(races).await;
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "{outcomes:?}");
    for lost in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(matches!(lost, AppError::SeriesConflict { .. }), "{lost:?}");
    }
}

async fn without_a_license_the_first_free_for_all_is_taken(kind: StoreKind) {
    let (server, state, rec) = server(kind).await;
    let first = license(&server, &rec, "uno").await;
    let second = license(&server, &rec, "dos").await;
    let slots = weekly_24();
    let (busy, free) = if first < second {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert_eq!(single(&server, &rec, busy, slots[20].start).await, 201);
    let (chosen, _) = state
        .meetings
        .reserve_series("a1", None, &slots, |_, _| Vec::new())
        .await
        .expect("the other license is free for all");
    assert_eq!(&chosen.license_id, free);
}

on_both_stores!(
    a_weekly_series_of_24_books_whole,
    a_conflict_on_the_17th_occurrence_books_nothing,
    fifty_occurrences_fit_one_transaction,
    of_ten_racing_series_one_wins,
    without_a_license_the_first_free_for_all_is_taken,
);
