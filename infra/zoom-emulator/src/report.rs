//! `GET /v2/report/meetings/{meetingId}/participants` (ZOOM-2.md A): the
//! participant report of an ended meeting instance, one row per join
//! segment, paged. Instances end through [`crate::Emulator::lifecycle_events`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::auth::{self, Call, param, path_between, query_params};
use crate::config::PlanType;
use crate::emulator::Emulator;
use crate::ids;
use crate::meeting_model::zoom_time;
use crate::participant::Participant;
use crate::recordings::decode_meeting_key;
use crate::reply::{self, Rejection};
use crate::state::{Shared, State as Inner};

const DEFAULT_PAGE_SIZE: usize = 30;
/// moodle's and PSZoom's maximum; no Zoom text gives it (ZOOM-2.md A).
const MAX_PAGE_SIZE: usize = 300;
/// "expires 15 min" (ZOOM-2.md A).
const CURSOR_TTL: Duration = Duration::from_secs(15 * 60);

/// An instance that ended, with what its report lists.
#[derive(Debug, Clone)]
pub(crate) struct EndedInstance {
    /// Index of the owning account.
    pub account: usize,
    pub meeting_id: u64,
    pub uuid: String,
    pub host_id: String,
    /// When the instance started.
    pub start_time: DateTime<Utc>,
    /// Ordered by join time.
    pub segments: Vec<Segment>,
}

/// One stay of one participant: one row of the report.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub participant: Participant,
    pub join: DateTime<Utc>,
    pub leave: DateTime<Utc>,
}

/// A `next_page_token` of a report: where the next page of which instance starts.
pub(crate) struct ReportCursor {
    pub account: usize,
    pub uuid: String,
    pub offset: usize,
    pub expires_at: Instant,
}

impl Emulator {
    /// While `withheld`, the participant report of every ended instance of
    /// meeting `meeting_id` answers 3001 as before the end: Zoom not having
    /// the report yet (how long that lasts after the end is UNCONFIRMED).
    ///
    /// # Panics
    /// If `meeting_id` is not a number.
    pub fn withhold_report(&self, meeting_id: &str, withheld: bool) {
        let id: u64 = meeting_id
            .parse()
            .expect("withhold_report: meeting_id must be a numeric Zoom meeting id");
        let mut state = self.shared().lock();
        if withheld {
            state.withheld_reports.insert(id);
        } else {
            state.withheld_reports.remove(&id);
        }
    }
}

/// Registers `ended`, replacing an earlier record of the same instance.
pub(crate) fn record(state: &mut Inner, mut ended: EndedInstance) {
    ended.segments.sort_by_key(|s| (s.join, s.leave));
    state
        .ended
        .retain(|e| !(e.meeting_id == ended.meeting_id && e.uuid == ended.uuid));
    state.ended.push(ended);
}

fn not_ended() -> Rejection {
    // UNCONFIRMED: the HTTP status of this answer (moodle skips meetings on a
    // 404, ZOOM-2.md A), so 404 as for Zoom's other 3001 answers.
    reply::zoom_error(
        StatusCode::NOT_FOUND,
        3001,
        "Meeting ID is invalid or not end.",
    )
}

fn paid_only() -> Rejection {
    // UNCONFIRMED: the HTTP status (ZOOM-2.md A gives only the code and words).
    reply::zoom_error(
        StatusCode::BAD_REQUEST,
        200,
        "Only available for Paid account",
    )
}

fn bad_page_token() -> Rejection {
    // Code 300 per ZOOM-2.md A; the wording is UNCONFIRMED.
    reply::zoom_error(
        StatusCode::BAD_REQUEST,
        300,
        "The next page token is invalid or expired.",
    )
}

/// Whether `key` (a meeting id or an instance UUID) names this instance.
fn answers(ended: &EndedInstance, key: &str) -> bool {
    match key.parse::<u64>() {
        Ok(id) => ended.meeting_id == id,
        Err(_) => ended.uuid == key,
    }
}

/// The host of whatever `key` names in the account: an ended instance, or a
/// stored meeting (by id or current UUID).
fn host_of<'a>(state: &'a Inner, account: usize, key: &str) -> Option<&'a str> {
    if let Some(ended) = state
        .ended
        .iter()
        .rev()
        .find(|e| e.account == account && answers(e, key))
    {
        return Some(&ended.host_id);
    }
    state
        .meetings
        .values()
        .find(|m| {
            m.account == account
                && match key.parse::<u64>() {
                    Ok(id) => m.id == id,
                    Err(_) => m.uuid == key,
                }
        })
        .map(|m| m.host_id.as_str())
}

/// `meetingId` is a meeting id (its latest ended instance) or an instance
/// UUID, double-encoded when it starts with `/` or holds `//` (else not
/// found). Checks, in order: the host's plan (a Basic host: code 200), an
/// ended instance whose report is not withheld (else 3001), the page token
/// (code 300). `page_size`: default 30, at most 300 (larger is taken as 300,
/// UNCONFIRMED); `registrant_id` only with `include_fields=registrant_id`.
/// `GET /v2/past_meetings/{meetingId}/instances` (ZOOM-2.md A): the ended
/// instances of a meeting of the caller's account, `{meetings:[{uuid,
/// start_time}]}`, oldest first; none is an empty list.
pub(crate) async fn instances(
    State(shared): State<Arc<Shared>>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let id = path_between(&call.uri, "/v2/past_meetings/", "/instances")
        .and_then(|id| id.parse::<u64>().ok())
        .ok_or_else(not_ended)?;
    let state = shared.lock();
    let meetings: Vec<Value> = state
        .ended
        .iter()
        .filter(|e| e.account == caller.account && e.meeting_id == id)
        .map(|e| json!({"uuid": e.uuid, "start_time": zoom_time(&e.start_time)}))
        .collect();
    Ok(reply::json(StatusCode::OK, &json!({"meetings": meetings})))
}

pub(crate) async fn participants(
    State(shared): State<Arc<Shared>>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let key = path_between(&call.uri, "/v2/report/meetings/", "/participants")
        .and_then(decode_meeting_key)
        .ok_or_else(not_ended)?;
    let params = query_params(&call.uri);
    let page_size = param(&params, "page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map_or(DEFAULT_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE));
    let with_registrant = param(&params, "include_fields")
        .is_some_and(|f| f.split(',').any(|f| f.trim() == "registrant_id"));
    let mut state = shared.lock();
    let basic = host_of(&state, caller.account, &key)
        .and_then(|host| shared.find_user(caller.account, host))
        .is_some_and(|user| user.plan == PlanType::Basic);
    if basic {
        return Err(paid_only());
    }
    let ended = state
        .ended
        .iter()
        .rev()
        .find(|e| e.account == caller.account && answers(e, &key))
        .filter(|e| !state.withheld_reports.contains(&e.meeting_id))
        .cloned()
        .ok_or_else(not_ended)?;
    state
        .report_cursors
        .retain(|_, c| c.expires_at > Instant::now());
    let offset = match param(&params, "next_page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(token) => match state.report_cursors.get(token) {
            Some(c) if c.account == caller.account && c.uuid == ended.uuid => c.offset,
            _ => return Err(bad_page_token()),
        },
    };
    let total = ended.segments.len();
    let rows: Vec<Value> = ended
        .segments
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|s| row(s, with_registrant))
        .collect();
    let next_offset = offset + page_size;
    let next_page_token = if next_offset < total {
        let token = ids::alphanumeric(32);
        let cursor = ReportCursor {
            account: caller.account,
            uuid: ended.uuid.clone(),
            offset: next_offset,
            expires_at: Instant::now() + CURSOR_TTL,
        };
        state.report_cursors.insert(token.clone(), cursor);
        token
    } else {
        String::new()
    };
    Ok(reply::json(
        StatusCode::OK,
        &json!({
            "page_count": total.div_ceil(page_size),
            "page_size": page_size,
            "total_records": total,
            "next_page_token": next_page_token,
            "participants": rows,
        }),
    ))
}

/// One row: every field a string except `duration` (whole seconds) and
/// `failover`; guests' `id` and `participant_user_id` empty (since
/// 2023-03-03). UNCONFIRMED: whether Zoom sends `customer_key` and
/// `bo_mtg_id` as `""` or leaves them out when there is none (`""` here).
fn row(segment: &Segment, with_registrant: bool) -> Value {
    let p = &segment.participant;
    let zoom_user = p.zoom_user_id.clone().unwrap_or_default();
    let seconds = (segment.leave - segment.join).num_seconds().max(0);
    let mut row = json!({
        "id": zoom_user,
        "user_id": p.user_id,
        "participant_user_id": zoom_user,
        "name": p.user_name,
        "user_email": p.email,
        "join_time": zoom_time(&segment.join),
        "leave_time": zoom_time(&segment.leave),
        "duration": seconds,
        "failover": false,
        "status": "in_meeting",
        "customer_key": p.customer_key.clone().unwrap_or_default(),
        "bo_mtg_id": "",
    });
    if with_registrant {
        row["registrant_id"] = json!("");
    }
    row
}
