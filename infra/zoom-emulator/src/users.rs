//! `GET /v2/users/{userId}` and `GET /v2/users/{userId}/token`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::auth::{self, Call, param, query_params};
use crate::config::User;
use crate::ids;
use crate::reply::{self, Rejection};
use crate::state::Shared;

pub(crate) async fn get_user(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let user = shared
        .find_user(caller.account, &user_id)
        .ok_or_else(|| reply::user_not_found(&user_id))?;
    Ok(reply::json(
        StatusCode::OK,
        &user_json(&shared, caller.account, user),
    ))
}

/// `type=zak` or `type=token` answer a fresh token on every call; anything
/// else (including no `type`) is `400 {"code":300,"message":"Invalid type"}`.
/// `ttl` is accepted and ignored.
pub(crate) async fn get_user_token(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let params = query_params(&call.uri);
    let token = match param(&params, "type") {
        Some("zak") => ids::zak(),
        Some("token") => ids::access_token(),
        _ => {
            return Err(reply::zoom_error(
                StatusCode::BAD_REQUEST,
                300,
                "Invalid type",
            ));
        }
    };
    if shared.find_user(caller.account, &user_id).is_none() {
        return Err(reply::user_not_found(&user_id));
    }
    shared.lock().issued.push(token.clone());
    Ok(reply::json(StatusCode::OK, &json!({ "token": token })))
}

/// Zoom's `GET /users/{userId}` body for a user.
pub(crate) fn user_json(shared: &Shared, account: usize, user: &User) -> Value {
    let account_cfg = &shared.accounts[account];
    let is_owner = account_cfg
        .users
        .first()
        .is_some_and(|first| first.id == user.id);
    let pmi = pmi(&account_cfg.account_id, &user.id);
    let created_at = shared.started_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": format!("{} {}", user.first_name, user.last_name).trim(),
        "email": user.email,
        "type": user.plan.zoom_type(),
        "role_name": if is_owner { "Owner" } else { "Member" },
        "role_id": if is_owner { "0" } else { "2" },
        "pmi": pmi,
        "use_pmi": false,
        "personal_meeting_url": format!("{}/j/{pmi}", shared.base_url),
        "timezone": "UTC",
        "verified": 1,
        "dept": "",
        "created_at": created_at,
        "user_created_at": created_at,
        "last_login_time": created_at,
        "language": "en-US",
        "phone_number": "",
        "status": user.status,
        "account_id": account_cfg.account_id,
        "account_number": account_number(&account_cfg.account_id),
        "cluster": "us06",
        "group_ids": [],
        "im_group_ids": [],
        "login_types": [100],
    })
}

/// A stable 10-digit personal meeting id for a user.
fn pmi(account_id: &str, user_id: &str) -> u64 {
    2_000_000_000 + fnv1a(&format!("{account_id}/{user_id}")) % 7_000_000_000
}

/// A stable 8-digit account number.
fn account_number(account_id: &str) -> u64 {
    10_000_000 + fnv1a(account_id) % 90_000_000
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
