//! The participant report through the Zoom client against the emulator:
//! every page walked, UUIDs double-encoded, rows typed, and Zoom's answers
//! for a meeting not ended, a Basic host and a missing scope made typed.

use std::time::Duration;

use lms_zoom::domain::meeting::NewMeeting;
use lms_zoom::secrets::Secret;
use lms_zoom::zoom::reports::ZoomReportParticipant;
use lms_zoom::zoom::{ZoomClient, ZoomCredentials, ZoomSettings};
use lms_zoom_tests::{
    ACCOUNT_ID, ALL_SCOPES, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, HOST_ID, test_zoom,
};
use zoom_emulator::{
    Account, Emulator, EmulatorConfig, Endpoint, Fault, FaultKind, Lifecycle, Participant, Session,
    User,
};

fn creds() -> ZoomCredentials {
    ZoomCredentials {
        cache_key: "lic_report#v1".into(),
        account_id: ACCOUNT_ID.into(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    }
}

fn client_for(zoom: &Emulator) -> ZoomClient {
    let mut settings = ZoomSettings::new(zoom.api_url(), zoom.oauth_url());
    settings.backoff_base = Duration::from_millis(10);
    ZoomClient::new(settings)
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// Creates a 60-minute class hosted by `host`; its Zoom meeting id.
async fn class(zoom: &Emulator, host: &str) -> String {
    let new = NewMeeting {
        topic: "Clase".into(),
        start_time: "2030-01-10T15:00:00Z".parse().unwrap(),
        duration_minutes: 60,
        timezone: Some("UTC".into()),
        license_id: None,
        agenda: None,
        external_ref: None,
        settings: Default::default(),
    };
    client_for(zoom)
        .create_meeting(&creds(), host, &new)
        .await
        .unwrap()
        .id
}

/// Three LMS users (one rejoins from a second device, one twice with a gap)
/// and a phone line without a customer key.
fn lesson() -> Lifecycle {
    let ana = Participant::new("16778240", "Ana", "").with_customer_key("lms-ana");
    let ben = Participant::new("16778241", "Ben", "").with_customer_key("lms-ben");
    let cai = Participant::new("16778242", "Cai", "cai@example.com").with_customer_key("lms-cai");
    let line = Participant::phone("16778260", "+54 11 5555 0000");
    Lifecycle {
        sessions: vec![
            Session::new(&ana, minutes(0), minutes(30)),
            Session::new(&ana.on_another_device("16778250"), minutes(20), minutes(45)),
            Session::new(&ben, minutes(5), minutes(15)),
            Session::new(&ben, minutes(40), minutes(60)),
            Session::new(&cai, minutes(1), minutes(59)),
            Session::new(&line, minutes(2), minutes(12)),
        ],
        duration: minutes(60),
        with_recording: false,
    }
}

fn seconds_of(rows: &[ZoomReportParticipant], key: Option<&str>) -> Vec<u64> {
    rows.iter()
        .filter(|r| r.customer_key.as_deref() == key)
        .map(|r| r.duration.unwrap())
        .collect()
}

#[tokio::test]
async fn rows_per_stay_with_customer_keys_and_guests_typed() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let id = class(&zoom, HOST_ID).await;
    zoom.lifecycle_events(&id, &lesson());
    let rows = client_for(&zoom)
        .participants_report(&creds(), &id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(seconds_of(&rows, Some("lms-ana")), [1800, 1500]);
    assert_eq!(seconds_of(&rows, Some("lms-ben")), [600, 1200]);
    assert_eq!(seconds_of(&rows, Some("lms-cai")), [3480]);
    assert_eq!(seconds_of(&rows, None), [600], "the phone line");
    for row in &rows {
        // Guests: Zoom hides their ids; empty strings are absent.
        assert_eq!((&row.id, &row.participant_user_id), (&None, &None));
        assert!(row.user_id.is_some());
        assert_eq!(row.status.as_deref(), Some("in_meeting"));
        assert_eq!(row.failover, Some(false));
        assert_eq!(
            (row.left_at().unwrap() - row.joined_at().unwrap()).num_seconds() as u64,
            row.duration.unwrap()
        );
    }
    let cai = rows
        .iter()
        .find(|r| r.name.as_deref() == Some("Cai"))
        .unwrap();
    assert_eq!(cai.user_email.as_deref(), Some("cai@example.com"));
    assert_eq!(cai.registrant_id, None, "asked for, empty");
}

#[tokio::test]
async fn every_page_is_walked() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let id = class(&zoom, HOST_ID).await;
    let people: Vec<Participant> = (0..650)
        .map(|n| Participant::new((17_000_000 + n).to_string(), format!("P{n}"), ""))
        .collect();
    let lifecycle = Lifecycle {
        sessions: people
            .iter()
            .map(|p| Session::new(p, minutes(1), minutes(50)))
            .collect(),
        duration: minutes(60),
        with_recording: false,
    };
    zoom.lifecycle_events(&id, &lifecycle);
    let rows = client_for(&zoom)
        .participants_report(&creds(), &id)
        .await
        .unwrap();
    assert_eq!(rows.len(), 650);
    let mut ids: Vec<&str> = rows.iter().map(|r| r.user_id.as_deref().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 650, "each row once");
    assert_eq!(zoom.count(Endpoint::ParticipantsReport), 3, "pages of 300");
}

#[tokio::test]
async fn an_instance_uuid_is_double_encoded_when_it_must_be() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let id = class(&zoom, HOST_ID).await;
    let client = client_for(&zoom);
    let ana = Participant::new("1", "Ana", "").with_customer_key("lms-ana");
    let once = |m| Lifecycle {
        sessions: vec![Session::new(&ana, minutes(0), minutes(m))],
        duration: minutes(m),
        with_recording: false,
    };
    for (uuid, length) in [
        ("/ajXp112QmuoKj4854875==", 10),
        ("ab//c+d==", 20),
        ("aDYlohsHRtCd4ii1uC2+hA==", 30),
    ] {
        zoom.set_meeting_uuid(&id, uuid);
        zoom.lifecycle_events(&id, &once(length));
    }
    for (uuid, length) in [
        ("/ajXp112QmuoKj4854875==", 10),
        ("ab//c+d==", 20),
        ("aDYlohsHRtCd4ii1uC2+hA==", 30),
    ] {
        let rows = client.participants_report(&creds(), uuid).await.unwrap();
        assert_eq!(rows[0].duration, Some(length * 60), "{uuid}");
    }
    // The meeting id answers its latest instance.
    let rows = client.participants_report(&creds(), &id).await.unwrap();
    assert_eq!(rows[0].duration, Some(1800));
}

#[tokio::test]
async fn zooms_refusals_are_typed() {
    let zoom = Emulator::start(test_zoom()).await.unwrap();
    let client = client_for(&zoom);
    let id = class(&zoom, HOST_ID).await;

    let early = client.participants_report(&creds(), &id).await.unwrap_err();
    assert!(early.is_report_not_ready(), "{early:?}");
    assert!(!early.is_paid_only());
    zoom.withhold_report(&id, true);
    zoom.lifecycle_events(&id, &lesson());
    let pending = client.participants_report(&creds(), &id).await.unwrap_err();
    assert!(
        pending.is_report_not_ready(),
        "ended, no report yet: {pending:?}"
    );
    zoom.withhold_report(&id, false);
    assert_eq!(
        client
            .participants_report(&creds(), &id)
            .await
            .unwrap()
            .len(),
        6
    );

    let basic = class(&zoom, "basic@example.com").await;
    zoom.lifecycle_events(&basic, &lesson());
    let paid = client
        .participants_report(&creds(), &basic)
        .await
        .unwrap_err();
    assert!(paid.is_paid_only(), "{paid:?}");
    assert!(!paid.is_report_not_ready());

    // A 5xx is repeated: the report is safe to ask for again.
    zoom.inject(Fault::times(
        Endpoint::ParticipantsReport,
        FaultKind::ServerError(503),
        1,
    ));
    let before = zoom.count(Endpoint::ParticipantsReport);
    assert_eq!(
        client
            .participants_report(&creds(), &id)
            .await
            .unwrap()
            .len(),
        6
    );
    assert_eq!(zoom.count(Endpoint::ParticipantsReport), before + 2);
}

#[tokio::test]
async fn a_missing_report_scope_names_it() {
    let granted: Vec<&str> = ALL_SCOPES
        .iter()
        .copied()
        .filter(|s| !s.starts_with("report:"))
        .collect();
    let account = Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&granted)
        .with_user(User::licensed(HOST_ID, HOST_EMAIL));
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let id = class(&zoom, HOST_ID).await;
    zoom.lifecycle_events(&id, &lesson());
    let err = client_for(&zoom)
        .participants_report(&creds(), &id)
        .await
        .unwrap_err();
    assert!(err.is_missing_scopes(), "{err:?}");
    assert_eq!(
        err.missing_scopes(),
        ["report:read:list_meeting_participants:admin"]
    );
    assert!(!err.is_report_not_ready() && !err.is_paid_only());
}
