//! `POST /v2/users/{userId}/meetings`, `GET|PATCH|DELETE /v2/meetings/{meetingId}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use crate::auth::{self, Call, Caller};
use crate::daily_limit;
use crate::ids;
use crate::meeting_input::{self, MeetingInput};
use crate::meeting_model::{Meeting, default_settings};
use crate::reply::{self, Rejection};
use crate::state::{Shared, State as Store};

/// Default `duration` (minutes) when a create body gives none (UNCONFIRMED).
const DEFAULT_DURATION: u32 = 60;
/// Default `topic` when a create body gives none (UNCONFIRMED).
const DEFAULT_TOPIC: &str = "Zoom Meeting";
/// Every emulated user's time zone.
const USER_TIMEZONE: &str = "UTC";

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Path(user_id): Path<String>,
    call: Call,
    body: Bytes,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let host = shared
        .find_user(caller.account, &user_id)
        .ok_or_else(|| reply::user_not_found(&user_id))?;
    let input = meeting_input::parse(&body)?;
    let now = Utc::now();
    let timezone = input
        .timezone
        .clone()
        .unwrap_or_else(|| USER_TIMEZONE.to_owned());
    let kind = input.kind.unwrap_or(2);
    let start_time = match (kind, input.start_time) {
        (1, _) | (_, None) => now,
        (_, Some(given)) => given.resolve(&timezone)?,
    };
    let mut settings = default_settings();
    meeting_input::merge_settings(&mut settings, input.settings.unwrap_or_default());
    let mut state = shared.lock();
    daily_limit::spend(&mut state, caller.account, &host.id)?;
    let id = state.next_meeting_id;
    state.next_meeting_id += 1;
    let meeting = Meeting {
        id,
        uuid: ids::meeting_uuid(),
        account: caller.account,
        host_id: host.id.clone(),
        host_email: host.email.clone(),
        topic: input.topic.unwrap_or_else(|| DEFAULT_TOPIC.to_owned()),
        kind,
        start_time,
        duration: input.duration.unwrap_or(DEFAULT_DURATION),
        timezone,
        agenda: input.agenda.unwrap_or_default(),
        created_at: now,
        password: input.password.unwrap_or_else(|| ids::alphanumeric(6)),
        encrypted_password: format!("{}.1", ids::alphanumeric(32)),
        h323_password: ids::digits(6),
        pstn_password: ids::digits(6),
        pre_schedule: input.pre_schedule.unwrap_or(false),
        settings,
        echoed: input.echoed,
    };
    let body = meeting.to_json(&shared.base_url);
    state.meetings.insert(id, meeting);
    Ok(reply::json(StatusCode::CREATED, &body))
}

pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Path(meeting_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let state = shared.lock();
    let meeting = owned(&state, caller, &meeting_id)?;
    Ok(reply::json(
        StatusCode::OK,
        &meeting.to_json(&shared.base_url),
    ))
}

/// 204 with no body; counts toward the host's daily create/update limit.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Path(meeting_id): Path<String>,
    call: Call,
    body: Bytes,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    owned(&shared.lock(), caller, &meeting_id)?;
    let input = meeting_input::parse(&body)?;
    let mut state = shared.lock();
    let mut meeting = owned(&state, caller, &meeting_id)?.clone();
    apply(&mut meeting, input)?;
    daily_limit::spend(&mut state, caller.account, &meeting.host_id)?;
    state.meetings.insert(meeting.id, meeting);
    Ok(reply::no_content())
}

/// 204; an unknown meeting (or another account's) is 404 code 3001.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(meeting_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let mut state = shared.lock();
    let id = owned(&state, caller, &meeting_id)?.id;
    state.meetings.remove(&id);
    Ok(reply::no_content())
}

/// The caller's meeting with this (numeric) id, or 404 code 3001.
fn owned<'a>(state: &'a Store, caller: Caller, meeting_id: &str) -> Result<&'a Meeting, Rejection> {
    meeting_id
        .parse::<u64>()
        .ok()
        .and_then(|id| state.meetings.get(&id))
        .filter(|m| m.account == caller.account)
        .ok_or_else(|| reply::meeting_not_found(meeting_id))
}

fn apply(meeting: &mut Meeting, input: MeetingInput) -> Result<(), Rejection> {
    if let Some(timezone) = input.timezone {
        meeting.timezone = timezone;
    }
    if let Some(start_time) = input.start_time {
        meeting.start_time = start_time.resolve(&meeting.timezone)?;
    }
    if let Some(topic) = input.topic {
        meeting.topic = topic;
    }
    if let Some(kind) = input.kind {
        meeting.kind = kind;
    }
    if let Some(duration) = input.duration {
        meeting.duration = duration;
    }
    if let Some(agenda) = input.agenda {
        meeting.agenda = agenda;
    }
    if let Some(password) = input.password {
        meeting.password = password;
    }
    if let Some(pre_schedule) = input.pre_schedule {
        meeting.pre_schedule = pre_schedule;
    }
    if let Some(settings) = input.settings {
        meeting_input::merge_settings(&mut meeting.settings, settings);
    }
    meeting.echoed.extend(input.echoed);
    Ok(())
}
