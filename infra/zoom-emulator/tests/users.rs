//! `GET /users/{userId}` and `GET /users/{userId}/token`.

mod common;

use common::{demo, demo_token, get};
use serde_json::json;
use zoom_emulator::{Account, DEMO_SCOPES, Emulator, EmulatorConfig, User};

#[tokio::test]
async fn user_by_id_has_zooms_shape() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, user) = get(&zoom, &token, "/users/demo-teacher").await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], "demo-teacher");
    assert_eq!(user["email"], "teacher@example.com");
    assert_eq!(user["type"], 2);
    assert_eq!(user["status"], "active");
    assert_eq!(user["account_id"], "demo-account");
    assert_eq!(
        user["display_name"],
        format!(
            "{} {}",
            user["first_name"].as_str().unwrap(),
            user["last_name"].as_str().unwrap()
        )
    );
    let pmi = user["pmi"].as_u64().unwrap();
    assert!((1_000_000_000..10_000_000_000).contains(&pmi), "pmi {pmi}");
    for field in [
        "role_name",
        "timezone",
        "created_at",
        "language",
        "verified",
    ] {
        assert!(!user[field].is_null(), "missing {field}");
    }
}

#[tokio::test]
async fn user_by_email_ignores_case_and_basic_users_are_type_1() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, user) = get(&zoom, &token, "/users/BASIC@Example.COM").await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], "demo-basic");
    assert_eq!(user["type"], 1);
}

#[tokio::test]
async fn me_is_the_first_user_when_supported() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, user) = get(&zoom, &token, "/users/me").await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], "demo-teacher");
}

#[tokio::test]
async fn me_is_1001_when_not_supported() {
    let zoom = Emulator::start(EmulatorConfig::demo().with_me_supported(false))
        .await
        .unwrap();
    let token = demo_token(&zoom).await;
    let (status, body) = get(&zoom, &token, "/users/me").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"code": 1001, "message": "User does not exist: me."})
    );
    assert_eq!(get(&zoom, &token, "/users/demo-teacher").await.0, 200);
}

#[tokio::test]
async fn unknown_user_is_1001() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, body) = get(&zoom, &token, "/users/nobody@example.com").await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"code": 1001, "message": "User does not exist: nobody@example.com."})
    );
    let (status, body) = get(&zoom, &token, "/users/nobody@example.com/token?type=zak").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 1001);
}

#[tokio::test]
async fn users_of_other_accounts_are_not_visible() {
    let other = Account::new("acc-2", "cid-2", "secret-2")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("stranger", "stranger@example.com"));
    let mut config = EmulatorConfig::demo();
    config.accounts.push(other);
    let zoom = Emulator::start(config).await.unwrap();
    let token = demo_token(&zoom).await;
    assert_eq!(get(&zoom, &token, "/users/stranger").await.0, 404);
}

#[tokio::test]
async fn status_comes_from_config() {
    let account = Account::new("acc", "cid", "secret")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("u1", "pending@example.com").with_status("pending"));
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let token = common::token(&zoom, "cid", "secret", "acc").await;
    let (status, user) = get(&zoom, &token, "/users/u1").await;
    assert_eq!(status, 200);
    assert_eq!(user["status"], "pending");
}

#[tokio::test]
async fn zak_is_fresh_on_every_call() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let (status, first) = get(&zoom, &token, "/users/demo-teacher/token?type=zak").await;
    assert_eq!(status, 200);
    let (_, second) = get(&zoom, &token, "/users/teacher@example.com/token?type=zak").await;
    let first = first["token"].as_str().unwrap();
    let second = second["token"].as_str().unwrap();
    assert!(first.len() > 20);
    assert_ne!(first, second);
}

#[tokio::test]
async fn token_type_must_be_zak_or_token() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let expected = json!({"code": 300, "message": "Invalid type"});
    assert_eq!(
        get(&zoom, &token, "/users/demo-teacher/token").await,
        (400, expected.clone())
    );
    assert_eq!(
        get(&zoom, &token, "/users/demo-teacher/token?type=onbehalf").await,
        (400, expected)
    );
    let (status, body) = get(&zoom, &token, "/users/demo-teacher/token?type=token").await;
    assert_eq!(status, 200);
    assert!(body["token"].is_string());
}
