//! Downloading a cloud recording file (ZOOM-2.md C, ZOOM.md §5): a download
//! credential fetched fresh for each attempt (`include_fields=
//! download_access_token`; Zoom's answer may lack it, and then the S2S
//! token is the Bearer, as Zoom's own samples do), sent as `Authorization:
//! Bearer`, redirects followed. A `200` that is a web page (Zoom's answer
//! for a deleted or forbidden file) or JSON is not the file. Credentials are
//! used and dropped: never stored, logged or returned.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::events::ZoomRecordingFile;
use super::operations::{MEETING_RECORDINGS, TRASH_RECORDING_FILE};
use super::recordings::CODE_NO_RECORDING;
use crate::secrets::Secret;

/// How long the fresh download credential is asked to last.
const CREDENTIAL_TTL_SECONDS: &str = "3600";

/// Where one file's bytes are, and the credential that fetches them.
pub struct DownloadSource {
    pub file: ZoomRecordingFile,
    pub url: String,
    pub token: Secret,
}

impl std::fmt::Debug for DownloadSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadSource")
            .field("file", &self.file.id)
            .finish_non_exhaustive()
    }
}

/// Why a download did not start.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Zoom answered something other than the file's bytes.
    #[error("Zoom answered {status} ({content_type}) instead of the file")]
    NotTheFile { status: u16, content_type: String },
    #[error("Zoom refused the download with {0}")]
    Refused(u16),
    #[error("the download failed: {0}")]
    Transport(String),
}

/// Downloads have no overall timeout (a file may be gigabytes): a
/// connection that stops sending for this long is given up.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

fn downloads_client() -> Result<&'static reqwest::Client, DownloadError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(READ_TIMEOUT)
        .user_agent(concat!("lms-zoom/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DownloadError::Transport(e.to_string()))?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Whether a `Content-Type` is a page or an API answer rather than a file.
fn is_not_a_file(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "text/html" || media == "application/xhtml+xml"
}

impl ZoomClient {
    /// The file `recording_id` of a meeting instance (UUID) or the latest
    /// one (id), with a fresh credential; none when Zoom no longer lists it.
    pub async fn download_source(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        recording_id: &str,
    ) -> Result<Option<DownloadSource>, ZoomError> {
        let query = [
            ("include_fields", "download_access_token"),
            ("ttl", CREDENTIAL_TTL_SECONDS),
        ];
        let answer = match self
            .send(creds, &MEETING_RECORDINGS, &[meeting], &query, None::<&()>)
            .await
        {
            Ok(answer) => answer.json::<Value>()?,
            Err(e) if e.is_not_found() || e.code() == Some(CODE_NO_RECORDING) => return Ok(None),
            Err(e) => return Err(e),
        };
        let file = answer
            .get("recording_files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| serde_json::from_value::<ZoomRecordingFile>(f.clone()).ok())
            .find(|f| f.id.as_deref() == Some(recording_id));
        let Some(file) = file else {
            return Ok(None);
        };
        let Some(url) = file.download_url.clone() else {
            return Ok(None);
        };
        let token = match answer.get("download_access_token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Secret::new(token.to_owned()),
            // UNCONFIRMED whether every account gets one: the S2S token then.
            _ => self.token(creds).await?.value.clone(),
        };
        Ok(Some(DownloadSource { file, url, token }))
    }

    /// Starts the download: the answer whose body is the file, or why not.
    pub async fn open_download(
        &self,
        source: &DownloadSource,
    ) -> Result<reqwest::Response, DownloadError> {
        let response = downloads_client()?
            .get(&source.url)
            .bearer_auth(source.token.expose())
            .send()
            .await
            .map_err(|e| DownloadError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if status.is_success() && is_not_a_file(&content_type)
            || status.is_success()
                && content_type.starts_with("application/json")
                && !source.is_json_file()
        {
            return Err(DownloadError::NotTheFile {
                status: status.as_u16(),
                content_type,
            });
        }
        if !status.is_success() {
            return Err(DownloadError::Refused(status.as_u16()));
        }
        Ok(response)
    }

    /// Moves one file to Zoom's trash. A file Zoom no longer has is trashed.
    pub async fn trash_recording_file(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        recording_id: &str,
    ) -> Result<(), ZoomError> {
        match self
            .send(
                creds,
                &TRASH_RECORDING_FILE,
                &[meeting, recording_id],
                &[("action", "trash")],
                None::<&()>,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() || e.code() == Some(CODE_NO_RECORDING) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl DownloadSource {
    /// A timeline (`file_extension` JSON) is a JSON file.
    fn is_json_file(&self) -> bool {
        self.file
            .file_extension
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || matches!(self.file.file_type.as_deref(), Some("TIMELINE" | "TB"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_not_files() {
        assert!(is_not_a_file("text/html; charset=utf-8"));
        assert!(is_not_a_file("TEXT/HTML"));
        assert!(!is_not_a_file("video/mp4"));
        assert!(!is_not_a_file(""));
    }
}
