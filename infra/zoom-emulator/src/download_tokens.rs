//! Who may download a recording file (ZOOM-2.md C): `Authorization: Bearer`
//! with a `download_access_token` that `GET /meetings/{id}/recordings`
//! issued, the `download_token` of a `recording.completed` event the emulator
//! built (both good for that recording's files only, until they expire), or an
//! OAuth access token of the account owning the recording.

use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use chrono::Utc;
use serde_json::Value;

use crate::auth;
use crate::emulator::Emulator;
use crate::events::{self, RecordingInstance};
use crate::ids;
use crate::recording_files;
use crate::recordings::Recording;
use crate::state::State;

/// How long a webhook `download_token` works: "only lasts for 24 hours after
/// generation" (ZOOM.md §5).
pub(crate) const WEBHOOK_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// The largest `ttl` of a `download_access_token` (ZOOM.md §5).
pub(crate) const MAX_ACCESS_TOKEN_TTL: u64 = 604_800;
/// `ttl` when the request gives none (UNCONFIRMED: Zoom's default is not
/// documented).
pub(crate) const DEFAULT_ACCESS_TOKEN_TTL: u64 = 86_400;

/// A download token: the recording whose files it opens, and until when.
pub(crate) struct DownloadGrant {
    pub account: usize,
    pub meeting_id: u64,
    pub uuid: String,
    pub expires_at: Instant,
}

/// Registers `token` for the files of `recording` for `ttl`.
pub(crate) fn grant(state: &mut State, recording: &Recording, token: &str, ttl: Duration) {
    let grant = DownloadGrant {
        account: recording.account,
        meeting_id: recording.meeting_id(),
        uuid: recording.uuid().to_owned(),
        expires_at: Instant::now() + ttl,
    };
    state.download_grants.insert(token.to_owned(), grant);
    state.issued_download_tokens.push(token.to_owned());
}

/// A fresh `download_access_token` for `recording`, valid `ttl`.
pub(crate) fn issue_access_token(
    state: &mut State,
    recording: &Recording,
    ttl: Duration,
) -> String {
    let token = ids::download_access_token();
    grant(state, recording, &token, ttl);
    token
}

/// Whether the request's bearer token may download a file of `recording`.
/// Tokens in the query (`?access_token=`) are not accepted (UNCONFIRMED
/// whether Zoom still takes them; ZOOM-2.md C says prefer the header).
pub(crate) fn authorized(state: &State, headers: &HeaderMap, recording: &Recording) -> bool {
    let Some(token) = auth::bearer(headers) else {
        return false;
    };
    let now = Instant::now();
    if let Some(grant) = state.download_grants.get(token) {
        return now < grant.expires_at
            && grant.account == recording.account
            && grant.meeting_id == recording.meeting_id()
            && grant.uuid == recording.uuid();
    }
    state
        .tokens
        .get(token)
        .is_some_and(|issued| now < issued.expires_at && issued.account == recording.account)
}

impl Emulator {
    /// `recording.completed` for the newest stored recording of `meeting` (a
    /// numeric meeting id or an instance UUID, any account), dated now, its
    /// files those `GET /meetings/{id}/recordings` lists, with a fresh
    /// top-level `download_token` that downloads them for 24 hours. `None`
    /// if no recording answers `meeting`. (Lifecycle recordings already come
    /// with such an event: [`Emulator::lifecycle_events`].)
    pub fn recording_completed_event(&self, meeting: &str) -> Option<Value> {
        let mut state = self.shared().lock();
        let recording = state
            .recordings
            .iter()
            .rev()
            .find(|r| r.answers(meeting))?
            .clone();
        let token = ids::download_token();
        grant(&mut state, &recording, &token, WEBHOOK_TOKEN_TTL);
        let listed = RecordingInstance {
            recording_files: recording
                .instance
                .recording_files
                .iter()
                .filter(|f| recording_files::listed(f))
                .cloned()
                .collect(),
            ..recording.instance
        };
        Some(events::recording_completed(&listed, &token, Utc::now()))
    }

    /// Every download token issued so far (webhook `download_token`s and
    /// `download_access_token`s), expired ones included: what a secret scan
    /// looks for, with [`Emulator::issued_tokens`].
    pub fn issued_download_tokens(&self) -> Vec<String> {
        self.shared().lock().issued_download_tokens.clone()
    }
}
