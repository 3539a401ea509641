//! `POST /oauth/token`: Server-to-Server OAuth (`grant_type=account_credentials`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::auth::{Call, param, query_params};
use crate::config::AppType;
use crate::ids;
use crate::reply::{self, Rejection};
use crate::state::{IssuedToken, Shared};

/// Confirmed (raw Zoom responses in public issues).
const INVALID_CLIENT: &str = "Invalid client_id or client_secret";
/// Confirmed (raw Zoom responses in public issues).
const UNSUPPORTED_GRANT: &str = "unsupported grant type";
/// UNCONFIRMED: Zoom's exact answer when the grant type is missing.
const MISSING_GRANT: &str = "Missing grant type";
/// UNCONFIRMED: Zoom's exact answer for an `account_id` that is missing or is
/// not the app's account; the emulator answers it with `invalid_request`.
const ACCOUNT_MISMATCH: &str = "Invalid request : Account ID is not matched with the client";
/// UNCONFIRMED: Zoom's exact answer for a deactivated app; the emulator answers
/// it with `invalid_client`.
const DEACTIVATED: &str = "The app has been deactivated";

/// `grant_type` and `account_id` come from the query string or, failing
/// that, from an `application/x-www-form-urlencoded` body.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    call: Call,
    body: Bytes,
) -> Result<Response, Rejection> {
    call.enter(&shared).await?;
    let invalid_client = || reply::oauth_error(INVALID_CLIENT, "invalid_client");
    let (client_id, client_secret) = basic_credentials(&call.headers).ok_or_else(invalid_client)?;
    let index = shared
        .accounts
        .iter()
        .position(|a| a.client_id == client_id && a.client_secret == client_secret)
        .ok_or_else(invalid_client)?;
    let account = &shared.accounts[index];
    if !account.activated {
        return Err(reply::oauth_error(DEACTIVATED, "invalid_client"));
    }
    let mut params = query_params(&call.uri);
    params.extend(form_params(&call.headers, &body));
    match param(&params, "grant_type") {
        None | Some("") => return Err(reply::oauth_error(MISSING_GRANT, "invalid_request")),
        Some("account_credentials") if account.app_type == AppType::ServerToServer => {}
        Some(_) => {
            return Err(reply::oauth_error(
                UNSUPPORTED_GRANT,
                "unsupported_grant_type",
            ));
        }
    }
    if param(&params, "account_id") != Some(account.account_id.as_str()) {
        return Err(reply::oauth_error(ACCOUNT_MISMATCH, "invalid_request"));
    }
    let access_token = ids::access_token();
    let mut state = shared.lock();
    state.issued.push(access_token.clone());
    state.tokens.insert(
        access_token.clone(),
        IssuedToken {
            account: index,
            scopes: account.scopes.clone(),
            expires_at: Instant::now() + shared.token_ttl,
        },
    );
    drop(state);
    Ok(reply::json(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": shared.token_ttl.as_secs(),
            "scope": account.scopes.join(" "),
            "api_url": shared.base_url,
        }),
    ))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn form_params(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Vec::new();
    }
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}
