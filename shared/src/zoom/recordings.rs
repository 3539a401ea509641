//! Cloud recordings of a meeting (ZOOM.md §5).

use serde_json::Value;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::events::ZoomRecordings;
use super::operations::MEETING_RECORDINGS;

/// Zoom's code for "this meeting has no recording".
pub const CODE_NO_RECORDING: i64 = 3301;

impl ZoomClient {
    /// The recording files of a meeting instance (UUID) or of the latest
    /// instance (id); none when it has none (yet).
    pub async fn meeting_recordings(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<ZoomRecordings, ZoomError> {
        match self
            .send(creds, &MEETING_RECORDINGS, &[meeting], &[], None::<&()>)
            .await
        {
            Ok(answer) => Ok(ZoomRecordings::from_answer(answer.json::<Value>()?)),
            Err(e) if e.is_not_found() || e.code() == Some(CODE_NO_RECORDING) => {
                Ok(ZoomRecordings::default())
            }
            Err(e) => Err(e),
        }
    }
}
