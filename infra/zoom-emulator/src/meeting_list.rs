//! `GET /v2/users/{userId}/meetings`: the host's meetings, paged by
//! `page_size` (default 30, at most 300) and `next_page_token` (valid 15 min).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use crate::auth::{self, Call, param, query_params};
use crate::ids;
use crate::meeting_model::Meeting;
use crate::reply::{self, Rejection};
use crate::state::{PageCursor, Shared};

const DEFAULT_PAGE_SIZE: usize = 30;
const MAX_PAGE_SIZE: usize = 300;
const CURSOR_TTL: Duration = Duration::from_secs(15 * 60);

/// `type`: `scheduled` (default; every meeting), `upcoming`/`upcoming_meetings`
/// (start time not yet passed), `live` (none: emulated meetings never start);
/// any other value is treated as `scheduled`. A `page_size` above 300 is
/// treated as 300, an unusable one as 30. An unknown or expired
/// `next_page_token` is `400 {"code":300,…}` (UNCONFIRMED wording).
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let host = shared
        .find_user(caller.account, &user_id)
        .ok_or_else(|| reply::user_not_found(&user_id))?;
    let params = query_params(&call.uri);
    let page_size = param(&params, "page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map_or(DEFAULT_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE));
    let now = Utc::now();
    let mut state = shared.lock();
    state.cursors.retain(|_, c| c.expires_at > Instant::now());
    let offset = match param(&params, "next_page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match state.cursors.get(token) {
            Some(c) if c.account == caller.account && c.host_id == host.id => c.offset,
            _ => {
                return Err(reply::zoom_error(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The next page token is invalid or expired.",
                ));
            }
        },
    };
    let mut meetings: Vec<&Meeting> = state
        .meetings
        .values()
        .filter(|m| m.account == caller.account && m.host_id == host.id)
        .filter(|m| match param(&params, "type") {
            Some("live") => false,
            Some("upcoming" | "upcoming_meetings") => m.start_time >= now,
            _ => true,
        })
        .collect();
    meetings.sort_by_key(|m| (m.start_time, m.id));
    let total = meetings.len();
    let page: Vec<Value> = meetings
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|m| m.list_item_json(&shared.base_url))
        .collect();
    let next_offset = offset + page_size;
    let next_page_token = if next_offset < total {
        let token = ids::alphanumeric(32);
        state.cursors.insert(
            token.clone(),
            PageCursor {
                account: caller.account,
                host_id: host.id.clone(),
                offset: next_offset,
                expires_at: Instant::now() + CURSOR_TTL,
            },
        );
        token
    } else {
        String::new()
    };
    Ok(reply::json(
        StatusCode::OK,
        &json!({
            "page_count": total.div_ceil(page_size),
            "page_number": offset / page_size + 1,
            "page_size": page_size,
            "total_records": total,
            "next_page_token": next_page_token,
            "meetings": page,
        }),
    ))
}
