//! Zoom's user-level limit: 100 meeting create/update requests per user per
//! UTC day (ZOOM.md §2, §8).
//!
//! Only requests that succeed are counted (whether Zoom also counts rejected
//! ones is not known); DELETE does not count (UNCONFIRMED in ZOOM.md).

use axum::http::StatusCode;
use chrono::Utc;

use crate::reply::{self, Rejection};
use crate::state::State;

/// Create + update requests allowed per user per UTC day.
pub const DAILY_CREATE_UPDATE_LIMIT: u32 = 100;

const MESSAGE: &str = "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.";

/// `Err(429 …)` (no `Retry-After`) when the user has used today's requests;
/// otherwise counts one more.
pub(crate) fn spend(state: &mut State, account: usize, user_id: &str) -> Result<(), Rejection> {
    let key = (account, user_id.to_owned(), Utc::now().date_naive());
    let used = state.daily.entry(key).or_default();
    if *used >= DAILY_CREATE_UPDATE_LIMIT {
        return Err(reply::zoom_error(
            StatusCode::TOO_MANY_REQUESTS,
            429,
            MESSAGE,
        ));
    }
    *used += 1;
    Ok(())
}
