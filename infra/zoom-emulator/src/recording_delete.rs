//! `DELETE /v2/meetings/{meetingId}/recordings/{recordingId}` (one file)
//! and `DELETE /v2/meetings/{meetingId}/recordings` (all of an instance's),
//! `?action=trash` (the default; recoverable on Zoom for 30 days) or
//! `?action=delete` (for good): 204, ZOOM-2.md C. `meetingId` is read as in
//! `GET …/recordings` (a numeric id, or an instance UUID, double-encoded when
//! it starts with `/` or holds `//`).
//!
//! The files' `status` becomes `trashed` (with a `deleted_time`) or
//! `deleted`; `GET …/recordings` no longer lists them, and their downloads
//! answer Zoom's HTML page. No `recording.trashed`/`recording.deleted` event
//! is sent.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use chrono::Utc;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::auth::{self, Call};
use crate::meeting_model::zoom_time;
use crate::recording_files::{self, DELETED, TRASHED};
use crate::recordings::{Recording, decode_meeting_key};
use crate::reply::{self, Rejection};
use crate::state::Shared;

/// What `action` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Trash,
    Delete,
}

/// One file, by its `id` (`CC`/`TB` files have none, so cannot be deleted
/// alone). For a numeric `meetingId` the file may be in any instance of the
/// meeting (UNCONFIRMED: Zoom may look only in the latest). Trashing a
/// trashed file is 3301 (it is no longer among the meeting's recordings);
/// deleting one deletes it.
pub(crate) async fn delete_file(
    State(shared): State<Arc<Shared>>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let action = action(&call.uri)?;
    let (key, file_id) = call
        .uri
        .path()
        .strip_prefix("/v2/meetings/")
        .and_then(|rest| rest.rsplit_once("/recordings/"))
        .and_then(|(key, file)| {
            let file = percent_decode_str(file).decode_utf8().ok()?.into_owned();
            Some((decode_meeting_key(key)?, file))
        })
        .ok_or_else(reply::recording_not_found)?;
    let mut state = shared.lock();
    let (recording, file) = state
        .recordings
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, r)| r.account == caller.account && r.answers(&key))
        .find_map(|(index, recording)| {
            let files = &recording.instance.recording_files;
            files
                .iter()
                .position(|f| {
                    f.get("id").and_then(Value::as_str) == Some(file_id.as_str())
                        && applies(f, action)
                })
                .map(|file| (index, file))
        })
        .ok_or_else(reply::recording_not_found)?;
    apply(
        &mut state.recordings[recording].instance.recording_files[file],
        action,
    );
    Ok(reply::no_content())
}

/// Every file of the newest instance that `meetingId` names and that has a
/// file the action applies to (a listed one to trash, any not deleted to
/// delete); 3301 if there is none.
pub(crate) async fn delete_all(
    State(shared): State<Arc<Shared>>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let action = action(&call.uri)?;
    let key = auth::path_between(&call.uri, "/v2/meetings/", "/recordings")
        .and_then(decode_meeting_key)
        .ok_or_else(reply::recording_not_found)?;
    let mut state = shared.lock();
    let recording: &mut Recording = state
        .recordings
        .iter_mut()
        .rev()
        .filter(|r| r.account == caller.account && r.answers(&key))
        .find(|r| {
            r.instance
                .recording_files
                .iter()
                .any(|f| applies(f, action))
        })
        .ok_or_else(reply::recording_not_found)?;
    for file in &mut recording.instance.recording_files {
        if applies(file, action) {
            apply(file, action);
        }
    }
    Ok(reply::no_content())
}

/// `action`: absent or `trash`, or `delete`; anything else is a validation
/// error (UNCONFIRMED: Zoom's answer to it).
fn action(uri: &Uri) -> Result<Action, Rejection> {
    let params = auth::query_params(uri);
    match auth::param(&params, "action") {
        None | Some("trash") => Ok(Action::Trash),
        Some("delete") => Ok(Action::Delete),
        Some(_) => Err(reply::validation_failed("action")),
    }
}

fn applies(file: &Value, action: Action) -> bool {
    match action {
        Action::Trash => recording_files::listed(file),
        Action::Delete => recording_files::status(file) != DELETED,
    }
}

fn apply(file: &mut Value, action: Action) {
    let Some(file) = file.as_object_mut() else {
        return;
    };
    let status = match action {
        Action::Trash => TRASHED,
        Action::Delete => DELETED,
    };
    file.insert("status".into(), status.into());
    if !file.contains_key("deleted_time") {
        file.insert("deleted_time".into(), zoom_time(&Utc::now()).into());
    }
}
