//! `POST /oauth/token` and bearer-token handling on the REST API.

mod common;

use std::time::Duration;

use common::{demo, demo_token, get, http, request_token, status_json};
use serde_json::{Value, json};
use zoom_emulator::{
    Account, AppType, DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SCOPES, Emulator,
    EmulatorConfig, User,
};

async fn oauth_error(response: reqwest::Response) -> Value {
    let (status, body) = status_json(response).await;
    assert_eq!(status, 400, "{body}");
    body
}

#[tokio::test]
async fn token_from_query_string() {
    let zoom = demo().await;
    let (status, body) = status_json(
        request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await,
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], DEMO_SCOPES.join(" "));
    assert_eq!(body["api_url"], zoom.base_url());
    assert_eq!(zoom.count(zoom_emulator::Endpoint::Token), 1);
}

#[tokio::test]
async fn token_from_form_body() {
    let zoom = demo().await;
    let response = http()
        .post(zoom.oauth_url())
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=account_credentials&account_id={DEMO_ACCOUNT_ID}"
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (status, user) = get(&zoom, token, "/users/teacher@example.com").await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], "demo-teacher");
}

#[tokio::test]
async fn bad_client_credentials_are_invalid_client() {
    let zoom = demo().await;
    let expected =
        json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"});
    let wrong_secret = request_token(&zoom, DEMO_CLIENT_ID, "nope", DEMO_ACCOUNT_ID).await;
    assert_eq!(oauth_error(wrong_secret).await, expected);
    let unknown_client =
        request_token(&zoom, "someone-else", DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await;
    assert_eq!(oauth_error(unknown_client).await, expected);
    let no_auth = http()
        .post(format!(
            "{}?grant_type=account_credentials&account_id={DEMO_ACCOUNT_ID}",
            zoom.oauth_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(no_auth).await, expected);
    let garbage_basic = http()
        .post(format!(
            "{}?grant_type=account_credentials&account_id={DEMO_ACCOUNT_ID}",
            zoom.oauth_url()
        ))
        .header("authorization", "Basic !!!not-base64")
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(garbage_basic).await, expected);
}

#[tokio::test]
async fn general_app_gets_unsupported_grant_type() {
    let account =
        Account::new("gen-account", "gen-client", "gen-secret").app_type(AppType::General);
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let body =
        oauth_error(request_token(&zoom, "gen-client", "gen-secret", "gen-account").await).await;
    assert_eq!(
        body,
        json!({"reason": "unsupported grant type", "error": "unsupported_grant_type"})
    );
}

#[tokio::test]
async fn other_grant_types_are_unsupported_and_missing_grant_is_invalid_request() {
    let zoom = demo().await;
    let other = http()
        .post(format!(
            "{}?grant_type=client_credentials&account_id={DEMO_ACCOUNT_ID}",
            zoom.oauth_url()
        ))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(other).await["error"], "unsupported_grant_type");
    let missing = http()
        .post(format!("{}?account_id={DEMO_ACCOUNT_ID}", zoom.oauth_url()))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(
        oauth_error(missing).await,
        json!({"reason": "Missing grant type", "error": "invalid_request"})
    );
}

#[tokio::test]
async fn wrong_or_missing_account_id_is_invalid_request() {
    let zoom = demo().await;
    let expected = json!({"reason": "Invalid request : Account ID is not matched with the client", "error": "invalid_request"});
    let wrong = request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, "another-account").await;
    assert_eq!(oauth_error(wrong).await, expected);
    let missing = http()
        .post(format!(
            "{}?grant_type=account_credentials",
            zoom.oauth_url()
        ))
        .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(oauth_error(missing).await, expected);
}

#[tokio::test]
async fn deactivated_app_is_refused() {
    let account = Account::new("acc", "cid", "secret").deactivated();
    let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
        .await
        .unwrap();
    let body = oauth_error(request_token(&zoom, "cid", "secret", "acc").await).await;
    assert_eq!(
        body,
        json!({"reason": "The app has been deactivated", "error": "invalid_client"})
    );
}

#[tokio::test]
async fn several_tokens_are_valid_at_once() {
    let zoom = demo().await;
    let first = demo_token(&zoom).await;
    let second = demo_token(&zoom).await;
    assert_ne!(first, second);
    assert_eq!(get(&zoom, &first, "/users/me").await.0, 200);
    assert_eq!(get(&zoom, &second, "/users/me").await.0, 200);
}

#[tokio::test]
async fn tokens_expire_after_the_configured_ttl() {
    let config = EmulatorConfig::demo().with_token_ttl(Duration::from_secs(1));
    let zoom = Emulator::start(config).await.unwrap();
    let (status, body) = status_json(
        request_token(&zoom, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID).await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&zoom, &token, "/users/me").await.0, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = get(&zoom, &token, "/users/me").await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 124, "message": "Access token is expired."})
    );
}

#[tokio::test]
async fn revoked_tokens_are_invalid_and_new_ones_work() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    zoom.revoke_tokens();
    let (status, body) = get(&zoom, &token, "/users/me").await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 124, "message": "Invalid access token."})
    );
    let fresh = demo_token(&zoom).await;
    assert_eq!(get(&zoom, &fresh, "/users/me").await.0, 200);
}

#[tokio::test]
async fn token_in_query_string_is_refused() {
    let zoom = demo().await;
    let token = demo_token(&zoom).await;
    let response = http()
        .get(format!("{}/users/me?access_token={token}", zoom.api_url()))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 124, "message": "Invalid access token, this access token is not supported as query parameter string."})
    );
}

#[tokio::test]
async fn missing_or_unknown_bearer_is_invalid_access_token() {
    let zoom = demo().await;
    let expected = json!({"code": 124, "message": "Invalid access token."});
    let response = http()
        .get(format!("{}/users/me", zoom.api_url()))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(response).await;
    assert_eq!((status, body), (401, expected.clone()));
    let (status, body) = get(&zoom, "made-up-token", "/users/me").await;
    assert_eq!((status, body), (401, expected));
}

#[tokio::test]
async fn tokens_carry_their_account() {
    let other = Account::new("acc-2", "cid-2", "secret-2")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("u2", "teacher@example.com"));
    let mut config = EmulatorConfig::demo();
    config.accounts.push(other);
    let zoom = Emulator::start(config).await.unwrap();
    let token = common::token(&zoom, "cid-2", "secret-2", "acc-2").await;
    let (status, user) = get(&zoom, &token, "/users/teacher@example.com").await;
    assert_eq!(status, 200);
    assert_eq!(user["id"], "u2");
    assert_eq!(user["account_id"], "acc-2");
}
