//! Cloud recordings of a meeting (ZOOM.md §5).

use serde::de::DeserializeOwned;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::operations::MEETING_RECORDINGS;

/// Zoom's code for "this meeting has no recording".
pub const CODE_NO_RECORDING: i64 = 3301;

impl ZoomClient {
    /// The recording files of a meeting instance (UUID) or of the latest
    /// instance (id); `None` when it has none (yet).
    pub async fn meeting_recordings<T: DeserializeOwned>(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<Option<T>, ZoomError> {
        match self
            .send_for(creds, &MEETING_RECORDINGS, &[meeting], &[], None::<&()>)
            .await
        {
            Ok(answer) => Ok(Some(answer)),
            Err(e) if e.is_not_found() || e.code() == Some(CODE_NO_RECORDING) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
