//! `POST /v2/users/{userId}/meetings`, `GET|PATCH|DELETE /v2/meetings/{meetingId}`,
//! with a type-8 meeting's `occurrence_id` and `show_previous_occurrences`
//! (ZOOM-2.md D; [`crate::occurrences`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{FixedOffset, Utc};
use serde_json::Value;

use crate::auth::{self, Call, Caller, param, query_params};
use crate::daily_limit;
use crate::ids;
use crate::meeting_input::{self, MeetingInput, StartTime};
use crate::meeting_model::{Meeting, View, default_settings};
use crate::occurrences::{self, Occurrence};
use crate::recurrence::Recurrence;
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
    let mut input = meeting_input::parse(&body)?;
    let now = Utc::now();
    let timezone = input
        .timezone
        .clone()
        .unwrap_or_else(|| USER_TIMEZONE.to_owned());
    let kind = input.kind.unwrap_or(2);
    let mut start_time = match (kind, input.start_time) {
        (1, _) | (_, None) => now,
        (_, Some(given)) => given.resolve(&timezone)?,
    };
    let mut wall_offset = utc();
    let (recurrence, occurrences) = if kind == 8 {
        let recurrence = Recurrence::parse(input.echoed.shift_remove("recurrence").as_ref())?;
        // UNCONFIRMED: Zoom may default a missing start_time to now.
        let given = input
            .start_time
            .ok_or_else(|| reply::validation_failed("start_time"))?;
        wall_offset = given.offset();
        let occurrences = occurrences::schedule(&recurrence, start_time, wall_offset, &timezone)?;
        start_time = occurrences[0].start_time;
        (Some(recurrence), occurrences)
    } else {
        (None, Vec::new())
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
        recurrence,
        occurrences,
        wall_offset,
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
    let params = query_params(&call.uri);
    let state = shared.lock();
    let meeting = owned(&state, caller, &meeting_id)?;
    let occurrence = match param(&params, "occurrence_id") {
        None | Some("") => None,
        Some(text) => Some(
            occurrences::parse_id(text)
                .and_then(|id| meeting.occurrence(id))
                .ok_or_else(|| occurrences::not_found(&meeting_id))?,
        ),
    };
    let listed_from = match param(&params, "show_previous_occurrences") {
        Some("true") => None,
        _ => Some(Utc::now()),
    };
    let view = View {
        occurrence,
        listed_from,
    };
    Ok(reply::json(
        StatusCode::OK,
        &meeting.render(&shared.base_url, view),
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
    let params = query_params(&call.uri);
    owned(&shared.lock(), caller, &meeting_id)?;
    let occurrence_id = param(&params, "occurrence_id").filter(|t| !t.is_empty());
    let mut state = shared.lock();
    let mut meeting = owned(&state, caller, &meeting_id)?.clone();
    match occurrence_id {
        Some(text) => {
            let timezone = meeting.timezone.clone();
            let occurrence = available(&mut meeting, text, &meeting_id)?;
            occurrences::patch(occurrence, &timezone, &body)?;
        }
        None => {
            let mut input = meeting_input::parse(&body)?;
            let recurring = input.kind.unwrap_or(meeting.kind) == 8;
            let recurrence = if recurring {
                input.echoed.shift_remove("recurrence")
            } else {
                None
            };
            let start_given = input.start_time;
            apply(&mut meeting, input)?;
            if recurring {
                reschedule(&mut meeting, recurrence, start_given)?;
            } else {
                meeting.recurrence = None;
                meeting.occurrences.clear();
            }
        }
    }
    daily_limit::spend(&mut state, caller.account, &meeting.host_id)?;
    state.meetings.insert(meeting.id, meeting);
    Ok(reply::no_content())
}

/// 204; an unknown meeting (or another account's) is 404 code 3001. With
/// `occurrence_id`, only that occurrence is marked `deleted` (an unknown or
/// already deleted one is 404 code 3001, UNCONFIRMED).
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(meeting_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let params = query_params(&call.uri);
    let mut state = shared.lock();
    let id = owned(&state, caller, &meeting_id)?.id;
    match param(&params, "occurrence_id").filter(|t| !t.is_empty()) {
        Some(text) => {
            let meeting = state.meetings.get_mut(&id).expect("owned");
            available(meeting, text, &meeting_id)?.deleted = true;
        }
        None => {
            state.meetings.remove(&id);
        }
    }
    Ok(reply::no_content())
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("zero offset")
}

/// The meeting's occurrence `occurrence_id` unless deleted, or 404 code 3001.
fn available<'a>(
    meeting: &'a mut Meeting,
    occurrence_id: &str,
    meeting_id: &str,
) -> Result<&'a mut Occurrence, Rejection> {
    let id = occurrences::parse_id(occurrence_id);
    meeting
        .occurrences
        .iter_mut()
        .find(|o| Some(o.id) == id && !o.deleted)
        .ok_or_else(|| occurrences::not_found(meeting_id))
}

/// After a series PATCH of a type-8 meeting (or one becoming type 8): a new
/// `start_time` needs `recurrence` in the same body (ZOOM-2.md D; required
/// here for past start times too, UNCONFIRMED); a new `recurrence` or start
/// makes the occurrences anew, dropping occurrence changes and deletions
/// (UNCONFIRMED). Other series changes (`duration`, `agenda`, `settings`)
/// show in every occurrence that did not set its own.
fn reschedule(
    meeting: &mut Meeting,
    recurrence: Option<Value>,
    start_given: Option<StartTime>,
) -> Result<(), Rejection> {
    let recurrence = match recurrence {
        Some(value) => Recurrence::parse(Some(&value))?,
        None if start_given.is_some() || meeting.recurrence.is_none() => {
            return Err(reply::validation_failed("recurrence"));
        }
        None => return Ok(()),
    };
    if let Some(given) = start_given {
        meeting.wall_offset = given.offset();
    }
    let occurrences = occurrences::schedule(
        &recurrence,
        meeting.start_time,
        meeting.wall_offset,
        &meeting.timezone,
    )?;
    meeting.start_time = occurrences[0].start_time;
    meeting.recurrence = Some(recurrence);
    meeting.occurrences = occurrences;
    Ok(())
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
