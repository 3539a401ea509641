//! The Zoom client against the emulator: token single flight, refetch on
//! rejection, retries only where repeating is safe, rate limits surfaced.

use std::time::Duration;

use lms_zoom::AppError;
use lms_zoom::domain::meeting::NewMeeting;
use lms_zoom::secrets::Secret;
use lms_zoom::zoom::{OAuthFailure, ZoomClient, ZoomCredentials, ZoomError, ZoomSettings};
use lms_zoom_tests::{ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, HOST_ID, test_zoom};
use zoom_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultKind};

fn creds() -> ZoomCredentials {
    ZoomCredentials {
        cache_key: "lic_test#v1".into(),
        account_id: ACCOUNT_ID.into(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    }
}

fn client_for(zoom: &Emulator) -> ZoomClient {
    let mut settings = ZoomSettings::new(zoom.api_url(), zoom.oauth_url());
    settings.backoff_base = Duration::from_millis(10);
    settings.call_timeout = Duration::from_millis(500);
    settings.connect_timeout = Duration::from_millis(500);
    ZoomClient::new(settings)
}

async fn emulator() -> Emulator {
    Emulator::start(test_zoom()).await.unwrap()
}

fn fault(endpoint: Endpoint, kind: FaultKind, times: Option<u32>) -> Fault {
    Fault {
        endpoint,
        kind,
        times,
    }
}

/// Sent as `{"topic":"Clase","type":2,"start_time":"2030-01-10T15:00:00Z","duration":60,"timezone":"UTC",...}`.
fn meeting_body() -> NewMeeting {
    NewMeeting {
        topic: "Clase".into(),
        start_time: "2030-01-10T15:00:00Z".parse().unwrap(),
        duration_minutes: 60,
        timezone: Some("UTC".into()),
        license_id: None,
        agenda: None,
        external_ref: None,
        settings: Default::default(),
    }
}

#[tokio::test]
async fn fifty_concurrent_calls_on_a_cold_cache_fetch_one_token() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    let creds = creds();
    let calls = (0..50).map(|_| client.get_user(&creds, HOST_EMAIL));
    let users = futures::future::join_all(calls).await;
    assert!(
        users
            .iter()
            .all(|u| u.as_ref().is_ok_and(|u| u.id == HOST_ID))
    );
    assert_eq!(zoom.count(Endpoint::Token), 1);
    assert_eq!(zoom.count(Endpoint::GetUser), 50);
}

#[tokio::test]
async fn a_revoked_token_is_fetched_again_once() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    client.get_user(&creds(), HOST_EMAIL).await.unwrap();
    zoom.revoke_tokens();
    let user = client.get_user(&creds(), HOST_EMAIL).await.unwrap();
    assert_eq!(user.id, HOST_ID);
    assert_eq!(zoom.count(Endpoint::Token), 2);
    assert_eq!(
        zoom.count(Endpoint::GetUser),
        3,
        "one rejected call, one repeat"
    );
    // A create rejected for its token is repeated too: Zoom did nothing with it.
    zoom.revoke_tokens();
    let created = client
        .create_meeting(&creds(), HOST_ID, &meeting_body())
        .await
        .unwrap();
    assert!(!created.id.is_empty(), "a 201 with the meeting");
    assert_eq!(zoom.meeting_count(), 1);
}

#[tokio::test]
async fn a_token_that_keeps_failing_is_not_fetched_forever() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    client.get_user(&creds(), HOST_EMAIL).await.unwrap();
    zoom.inject(fault(Endpoint::GetUser, FaultKind::ServerError(401), None));
    let err = client.get_user(&creds(), HOST_EMAIL).await.unwrap_err();
    assert!(err.is_invalid_token(), "{err:?}");
    assert_eq!(zoom.count(Endpoint::Token), 2, "one refetch, no more");
}

#[tokio::test]
async fn tokens_near_expiry_are_refreshed_before_use() {
    let config = EmulatorConfig {
        token_ttl: Duration::from_secs(2),
        ..test_zoom()
    };
    let zoom = Emulator::start(config).await.unwrap();
    let client = client_for(&zoom);
    client.get_user(&creds(), HOST_EMAIL).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.get_user(&creds(), HOST_EMAIL).await.unwrap();
    assert_eq!(zoom.count(Endpoint::Token), 2);
    assert_eq!(
        zoom.count(Endpoint::GetUser),
        2,
        "no call was made with a stale token"
    );
}

#[tokio::test]
async fn safe_calls_are_retried_on_5xx_and_lost_connections() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    zoom.inject(fault(
        Endpoint::GetUser,
        FaultKind::ServerError(503),
        Some(1),
    ));
    assert_eq!(
        client.get_user(&creds(), HOST_EMAIL).await.unwrap().id,
        HOST_ID
    );
    assert_eq!(zoom.count(Endpoint::GetUser), 2);
    zoom.inject(fault(Endpoint::GetUser, FaultKind::DropConnection, Some(1)));
    assert_eq!(
        client.get_user(&creds(), HOST_EMAIL).await.unwrap().id,
        HOST_ID
    );
    assert_eq!(zoom.count(Endpoint::GetUser), 4);
    // Persistent failure: three attempts, then a typed error.
    zoom.inject(fault(Endpoint::GetUser, FaultKind::ServerError(502), None));
    let err = client.get_user(&creds(), HOST_EMAIL).await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert_eq!(zoom.count(Endpoint::GetUser), 7);
}

#[tokio::test]
async fn a_create_is_never_repeated_blindly() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    let body = meeting_body();
    zoom.inject(fault(
        Endpoint::CreateMeeting,
        FaultKind::Latency(Duration::from_secs(2)),
        Some(1),
    ));
    let err = client
        .create_meeting(&creds(), HOST_ID, &body)
        .await
        .unwrap_err();
    assert!(matches!(err, ZoomError::Timeout), "{err:?}");
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 1);

    zoom.inject(fault(
        Endpoint::CreateMeeting,
        FaultKind::ServerError(503),
        Some(1),
    ));
    let err = client
        .create_meeting(&creds(), HOST_ID, &body)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 2);

    zoom.inject(fault(
        Endpoint::CreateMeeting,
        FaultKind::DropConnection,
        Some(1),
    ));
    let err = client
        .create_meeting(&creds(), HOST_ID, &body)
        .await
        .unwrap_err();
    assert!(matches!(err, ZoomError::Unreachable(_)), "{err:?}");
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 3);
}

#[tokio::test]
async fn rate_limits_surface_with_retry_after() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    zoom.inject(fault(
        Endpoint::GetUser,
        FaultKind::RateLimited {
            retry_after: Some("30".into()),
        },
        None,
    ));
    let err = client.get_user(&creds(), HOST_EMAIL).await.unwrap_err();
    match &err {
        ZoomError::RateLimited {
            retry_after, daily, ..
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(30)));
            assert!(!daily);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        zoom.count(Endpoint::GetUser),
        1,
        "a long wait is not waited out"
    );
    let problem = AppError::from(err);
    assert_eq!(
        (problem.status(), problem.code(), problem.retry_after()),
        (429, "zoom_rate_limited", Some(30))
    );

    // A one-second limit on a safe call is waited out.
    zoom.clear_faults();
    zoom.inject(fault(
        Endpoint::GetUser,
        FaultKind::RateLimited {
            retry_after: Some("1".into()),
        },
        Some(1),
    ));
    assert!(client.get_user(&creds(), HOST_EMAIL).await.is_ok());
    assert_eq!(zoom.count(Endpoint::GetUser), 3);
}

#[tokio::test]
async fn the_daily_create_cap_resumes_at_midnight_utc() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    for _ in 0..100 {
        client
            .create_meeting(&creds(), HOST_ID, &meeting_body())
            .await
            .unwrap();
    }
    let err = client
        .create_meeting(&creds(), HOST_ID, &meeting_body())
        .await
        .unwrap_err();
    match err {
        ZoomError::RateLimited {
            retry_after: Some(wait),
            daily: true,
            ..
        } => {
            assert!(wait <= Duration::from_secs(86_400) && wait > Duration::ZERO);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(zoom.count(Endpoint::CreateMeeting), 101);
}

#[tokio::test]
async fn zoom_errors_are_typed() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    let missing = client
        .get_user(&creds(), "nobody@example.com")
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(missing.code(), Some(1001));

    let wrong = ZoomCredentials {
        client_secret: Secret::new("nope"),
        cache_key: "other".into(),
        ..creds()
    };
    match client.get_user(&wrong, HOST_EMAIL).await.unwrap_err() {
        ZoomError::OAuth {
            failure, status, ..
        } => {
            assert_eq!(failure, OAuthFailure::InvalidClient);
            assert_eq!(status, 400);
        }
        other => panic!("{other:?}"),
    }

    let unknown = client
        .get_meeting(&creds(), "99999999999")
        .await
        .unwrap_err();
    assert_eq!((unknown.status(), unknown.code()), (Some(404), Some(3001)));
}

#[tokio::test]
async fn missing_scopes_name_the_scopes() {
    let narrow = zoom_emulator::Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(&["meeting:read:meeting:admin"])
        .with_user(zoom_emulator::User::licensed(HOST_ID, HOST_EMAIL));
    let zoom = Emulator::start(EmulatorConfig {
        accounts: vec![narrow],
        ..test_zoom()
    })
    .await
    .unwrap();
    let client = client_for(&zoom);
    let err = client.user_zak(&creds(), HOST_ID).await.unwrap_err();
    assert!(err.is_missing_scopes(), "{err:?}");
    assert!(
        err.missing_scopes()
            .contains(&"user:read:token:admin".to_owned()),
        "{err:?}"
    );
}

#[tokio::test]
async fn zaks_are_fresh_and_never_cached() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    let first = client.user_zak(&creds(), HOST_ID).await.unwrap();
    let second = client.user_zak(&creds(), HOST_ID).await.unwrap();
    assert_ne!(first.expose(), second.expose());
    assert_eq!(zoom.count(Endpoint::GetUserToken), 2);
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let zoom = emulator().await;
    let client = client_for(&zoom);
    zoom.stop().await;
    let err = client.get_user(&creds(), HOST_EMAIL).await.unwrap_err();
    assert!(matches!(err, ZoomError::Unreachable(_)), "{err:?}");
    assert!(err.is_unavailable());
}

/// Under a request's deadline, an attempt cut at the call timeout is
/// retried like any other timeout (whichever of the deadline's timer and
/// the HTTP client's fires first), and a retry that no longer fits is not
/// sent: the answer is the last attempt's failure, in time.
#[tokio::test]
async fn under_a_deadline_timeouts_are_retried_while_they_fit() {
    use lms_zoom::deadline::Deadline;
    let zoom = emulator().await;
    let client = client_for(&zoom);
    let call = client.settings().call_timeout;
    for round in 0..4 {
        zoom.inject(fault(
            Endpoint::GetUser,
            FaultKind::Latency(call + Duration::from_secs(1)),
            Some(1),
        ));
        let got = Deadline::after(call * 3)
            .scope(client.get_user(&creds(), HOST_EMAIL))
            .await;
        assert_eq!(got.unwrap().id, HOST_ID, "round {round}");
    }
    // A deadline shorter than one attempt: cut once, nothing more sent.
    zoom.clear_faults();
    let before = zoom.count(Endpoint::GetUser);
    zoom.inject(fault(Endpoint::GetUser, FaultKind::Latency(call * 4), None));
    let started = std::time::Instant::now();
    let err = Deadline::after(call / 2)
        .scope(client.get_user(&creds(), HOST_EMAIL))
        .await
        .unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
    assert!(started.elapsed() < call, "{:?}", started.elapsed());
    assert_eq!(zoom.count(Endpoint::GetUser), before + 1);
}
