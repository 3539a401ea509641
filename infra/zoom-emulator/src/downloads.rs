//! `GET /rec/download/{fileId}` (a file's `download_url`) and the signed
//! `GET /rec/stream/{fileId}` it redirects to, the way Zoom answers them
//! (ZOOM-2.md C):
//!
//! - an unknown file: 404 `{"code":3301,"message":"This recording does not exist."}`;
//! - a trashed or deleted file (or one [`crate::Emulator::serve_html_for`]
//!   names), or a missing or refused credential: **200 `text/html`**, a small
//!   page, not an error status;
//! - otherwise 302 to a signed link ([`crate::stream_links`]), which answers
//!   200 with the bytes ([`crate::content`]), or 403 when its signature is bad
//!   or it expired. Without the redirect
//!   ([`crate::Emulator::set_download_redirect`]) the download answers the
//!   bytes itself.
//!
//! A `Range` header is ignored: the whole file is sent (UNCONFIRMED whether
//! Zoom honours it).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;

use crate::auth::Call;
use crate::content_body::ContentBody;
use crate::download_tokens;
use crate::recording_files;
use crate::reply::{self, Rejection};
use crate::state::{Shared, State as Store};
use crate::stream_links;

/// The page for a credential Zoom refuses (the words harvard-dce quotes,
/// ZOOM-2.md C; the markup is the emulator's).
const ONLY_THE_HOST: &str = "Only the host can download this recording. Sign in as the host or ask the host to share the recording with you.";
/// The page for a trashed or deleted file (UNCONFIRMED wording).
const NOT_AVAILABLE: &str = "This recording does not exist or has been deleted.";

pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Path(file_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    call.enter(&shared).await?;
    let mut state = shared.lock();
    let found = recording_files::find(&state, &shared.base_url, &file_id)
        .ok_or_else(reply::recording_not_found)?;
    let recording = &state.recordings[found.0];
    let file = &recording.instance.recording_files[found.1];
    if state.downloads.serves_html(&file_id) || !recording_files::downloadable(file) {
        return Ok(html_page(NOT_AVAILABLE));
    }
    if !download_tokens::authorized(&state, &call.headers, recording) {
        return Ok(html_page(ONLY_THE_HOST));
    }
    if !state.downloads.redirect {
        return Ok(transfer(&mut state, found, &file_id));
    }
    let ttl = i64::try_from(state.downloads.stream_link_ttl.as_secs()).unwrap_or(i64::MAX);
    let expires = Utc::now().timestamp().saturating_add(ttl);
    let location = stream_links::signed_url(&shared.link_key, &shared.base_url, &file_id, expires);
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

pub(crate) async fn stream(
    State(shared): State<Arc<Shared>>,
    Path(file_id): Path<String>,
    call: Call,
) -> Result<Response, Rejection> {
    call.enter(&shared).await?;
    if !stream_links::verify(&shared.link_key, &shared.base_url, &file_id, &call.uri) {
        return Ok(access_denied());
    }
    let mut state = shared.lock();
    match recording_files::find(&state, &shared.base_url, &file_id) {
        Some(found) => Ok(transfer(&mut state, found, &file_id)),
        None => Ok(access_denied()),
    }
}

/// 200 with the bytes of the file at `(recording, file)` (indices from
/// [`recording_files::find`]), streamed. Counts the transfer and applies a
/// pending cut.
fn transfer(state: &mut Store, (recording, file): (usize, usize), file_id: &str) -> Response {
    let file = &state.recordings[recording].instance.recording_files[file];
    let size = recording_files::served_size(file);
    let content_type = recording_files::content_type(file);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        recording_files::file_name(file, file_id)
    );
    let cut = state.downloads.begin_transfer(file_id);
    let mut response = Response::new(Body::new(ContentBody::new(file_id, size, cut)));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// 200 `text/html` with `message` in a small page.
fn html_page(message: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Zoom</title></head>\
         <body><div class=\"error-message\"><p>{message}</p></div></body></html>\n"
    );
    let mut response = Response::new(Body::from(page));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=utf-8"),
    );
    response
}

/// CloudFront's answer to a bad or expired signed link.
fn access_denied() -> Response {
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>\
                <Message>Access denied</Message></Error>";
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}
