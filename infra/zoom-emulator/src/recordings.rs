//! `GET /v2/meetings/{meetingId}/recordings` and the seeding behind
//! [`crate::Emulator::add_recording`]. Every file's `download_url` is the
//! emulator's own `/rec/download/{fileId}` ([`crate::downloads`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use crate::auth::{self, Call};
use crate::download_tokens;
use crate::events::{MeetingInstance, RecordingInstance};
use crate::ids;
use crate::meeting_model::zoom_time;
use crate::recording_files;
use crate::reply::{self, Rejection};
use crate::state::Shared;

/// One recorded meeting instance, as its account stores it.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    /// Index of the owning account.
    pub account: usize,
    pub instance: RecordingInstance,
}

impl Recording {
    /// A recording of `meeting` with these files, a fresh share URL and
    /// play passcode.
    pub(crate) fn new(
        account: usize,
        meeting: MeetingInstance,
        files: Vec<Value>,
        base_url: &str,
    ) -> Self {
        let instance = RecordingInstance {
            meeting,
            share_url: format!("{base_url}/rec/share/{}", ids::alphanumeric(40)),
            recording_play_passcode: ids::alphanumeric(32),
            recording_files: files,
        };
        Self { account, instance }
    }

    pub(crate) fn meeting_id(&self) -> u64 {
        self.instance.meeting.id
    }

    pub(crate) fn uuid(&self) -> &str {
        &self.instance.meeting.uuid
    }

    /// Whether `key` (a numeric meeting id or an instance UUID) names it.
    pub(crate) fn answers(&self, key: &str) -> bool {
        match key.parse::<u64>() {
            Ok(id) => self.meeting_id() == id,
            Err(_) => self.uuid() == key,
        }
    }
}

/// `meetingId` is a numeric id (its latest recorded instance) or an instance
/// UUID. A UUID that starts with `/` or contains `//` must arrive double
/// URL-encoded; sent encoded only once it is not found, as on Zoom.
///
/// Trashed and deleted files are left out; an instance left with none is
/// not found (3301), and a numeric id then answers an older instance.
/// `include_fields=download_access_token` adds a top-level
/// `download_access_token` that downloads this recording's files for `ttl`
/// seconds (0–604800, default 86400; UNCONFIRMED: the default, and the 400
/// code 300 for a `ttl` out of range).
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    call: Call,
) -> Result<Response, Rejection> {
    let caller = auth::guard(&shared, &call).await?;
    let access_token_ttl = access_token_ttl(&call.uri)?;
    let key =
        auth::path_between(&call.uri, "/v2/meetings/", "/recordings").and_then(decode_meeting_key);
    let mut state = shared.lock();
    let recording = key
        .and_then(|key| {
            state.recordings.iter().rev().find(|r| {
                r.account == caller.account
                    && r.answers(&key)
                    && r.instance
                        .recording_files
                        .iter()
                        .any(recording_files::listed)
            })
        })
        .ok_or_else(reply::recording_not_found)?
        .clone();
    let access_token = access_token_ttl
        .map(|ttl| download_tokens::issue_access_token(&mut state, &recording, ttl));
    Ok(reply::json(
        StatusCode::OK,
        &recording_json(&recording.instance, access_token.as_deref()),
    ))
}

/// The lifetime of the `download_access_token` asked for, if
/// `include_fields` (a comma-separated list) names it.
fn access_token_ttl(uri: &Uri) -> Result<Option<std::time::Duration>, Rejection> {
    let params = auth::query_params(uri);
    let wanted = auth::param(&params, "include_fields").is_some_and(|fields| {
        fields
            .split(',')
            .any(|f| f.trim() == "download_access_token")
    });
    if !wanted {
        return Ok(None);
    }
    let ttl = match auth::param(&params, "ttl") {
        None => download_tokens::DEFAULT_ACCESS_TOKEN_TTL,
        Some(ttl) => ttl
            .parse::<u64>()
            .ok()
            .filter(|&ttl| ttl <= download_tokens::MAX_ACCESS_TOKEN_TTL)
            .ok_or_else(|| reply::validation_failed("ttl"))?,
    };
    Ok(Some(std::time::Duration::from_secs(ttl)))
}

/// Decodes the raw path segment: once (the router's job on Zoom), and once
/// more if it still holds `%` (double encoding). A once-decoded value that
/// starts with `/` or holds `//` was not double-encoded: `None`.
pub(crate) fn decode_meeting_key(raw: &str) -> Option<String> {
    let once = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
    if once.contains('%') {
        return Some(percent_decode_str(&once).decode_utf8().ok()?.into_owned());
    }
    if once.starts_with('/') || once.contains("//") {
        return None;
    }
    Some(once)
}

/// Zoom's recording body for one instance: its listed files, and the
/// `download_access_token` if one was asked for.
fn recording_json(recording: &RecordingInstance, access_token: Option<&str>) -> Value {
    let meeting = &recording.meeting;
    let files: Vec<Value> = recording
        .recording_files
        .iter()
        .filter(|f| recording_files::listed(f))
        .cloned()
        .collect();
    let mut body = json!({
        "uuid": meeting.uuid,
        "id": meeting.id,
        "account_id": meeting.account_id,
        "host_id": meeting.host_id,
        "host_email": meeting.host_email,
        "topic": meeting.topic,
        "type": meeting.kind,
        "start_time": zoom_time(&meeting.start_time),
        "timezone": meeting.timezone,
        "duration": meeting.duration,
        "total_size": total_size(&files),
        "recording_count": files.len(),
        "share_url": recording.share_url,
        "recording_play_passcode": recording.recording_play_passcode,
        "password": meeting.password,
    });
    let object = body.as_object_mut().expect("object literal");
    if let Some(token) = access_token {
        object.insert("download_access_token".into(), token.into());
    }
    object.insert("recording_files".into(), files.into());
    body
}

/// The sum of the files' `file_size`.
pub(crate) fn total_size(files: &[Value]) -> u64 {
    files
        .iter()
        .filter_map(|f| f.get("file_size").and_then(Value::as_u64))
        .sum()
}

/// Builds a recording's files from what a test gave: an array of (possibly
/// partial) file objects, or an object with `recording_files`. Missing fields
/// get Zoom-like defaults (`CC`/`TB` files get no `id`, `status`,
/// `file_size`, `recording_type` or `play_url`, as on Zoom; other files a
/// `file_size` of 1 000 000 bytes for an MP4, 4096 otherwise). The
/// `download_url` is always the emulator's `/rec/download/{id}`, with the
/// given `id` if there is one (a fresh one for `CC`/`TB` files, which only
/// their `download_url` names).
pub(crate) fn build_files(
    given: Value,
    uuid: &str,
    start: DateTime<Utc>,
    duration: u32,
    base_url: &str,
) -> Vec<Value> {
    let end = start + Duration::minutes(i64::from(duration));
    build_files_between(given, uuid, start, end, base_url)
}

/// Like [`build_files`], for a recording from `start` to `end`.
pub(crate) fn build_files_between(
    given: Value,
    uuid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    base_url: &str,
) -> Vec<Value> {
    let files = match given {
        Value::Array(files) => files,
        Value::Object(mut object) => match object.remove("recording_files") {
            Some(Value::Array(files)) => files,
            _ => vec![Value::Object(object)],
        },
        _ => Vec::new(),
    };
    files
        .into_iter()
        .map(|file| {
            let given = match file {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            complete_file(given, uuid, start, end, base_url)
        })
        .collect()
}

fn complete_file(
    given: Map<String, Value>,
    uuid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    base_url: &str,
) -> Value {
    let file_type = given
        .get("file_type")
        .and_then(Value::as_str)
        .unwrap_or("MP4")
        .to_owned();
    let id = match given.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(Value::Null) | None => ids::file_id(),
        Some(other) => other.to_string(),
    };
    let mut file = Map::new();
    let bare = matches!(file_type.as_str(), "CC" | "TB");
    if !bare {
        file.insert("id".into(), id.clone().into());
    }
    file.insert("meeting_id".into(), uuid.into());
    file.insert("recording_start".into(), zoom_time(&start).into());
    file.insert("recording_end".into(), zoom_time(&end).into());
    file.insert("file_type".into(), file_type.clone().into());
    file.insert("file_extension".into(), extension(&file_type).into());
    if !bare {
        let size = recording_files::default_size(&file_type);
        file.insert("file_size".into(), size.into());
        file.insert(
            "play_url".into(),
            format!("{base_url}/rec/play/{id}").into(),
        );
    }
    let download_url = recording_files::download_url(base_url, &id);
    file.insert("download_url".into(), download_url.clone().into());
    if !bare {
        file.insert("status".into(), recording_files::COMPLETED.into());
        file.insert("recording_type".into(), recording_type(&file_type).into());
    }
    file.extend(given);
    file.insert("download_url".into(), download_url.into());
    Value::Object(file)
}

fn extension(file_type: &str) -> &'static str {
    match file_type {
        "M4A" => "M4A",
        "TRANSCRIPT" | "CC" => "VTT",
        "CHAT" => "TXT",
        "TB" => "JSON",
        "CSV" => "CSV",
        _ => "MP4",
    }
}

fn recording_type(file_type: &str) -> &'static str {
    match file_type {
        "M4A" => "audio_only",
        "TRANSCRIPT" => "audio_transcript",
        "CHAT" => "chat_file",
        _ => "shared_screen_with_speaker_view",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_single_and_double_encoded_keys() {
        assert_eq!(
            decode_meeting_key("81234567890").as_deref(),
            Some("81234567890")
        );
        assert_eq!(
            decode_meeting_key("ab%2Bc%3D%3D").as_deref(),
            Some("ab+c==")
        );
        assert_eq!(
            decode_meeting_key("%252Fab%252F%252Fc%3D%3D").as_deref(),
            Some("/ab//c==")
        );
        assert_eq!(decode_meeting_key("%2Fabc"), None);
    }
}
