//! Which Zoom meeting instance a meeting of ours is, to read its report or
//! recordings: the instance UUID its events gave; for a single meeting, its
//! id (which names its latest — its only — instance); for an occurrence of a
//! series whose events never came, the ended instance Zoom lists that
//! started nearest to it (never the series' id: that names another
//! occurrence). `None`: Zoom lists no such instance (not held, or not over).

use crate::deadline;
use crate::domain::meeting::Meeting;
use crate::zoom::{ZoomClient, ZoomCredentials, ZoomError};

/// Kept back from the lookup for what the caller does with its answer.
const RESERVE: std::time::Duration = std::time::Duration::from_millis(1500);

pub(crate) async fn instance_of(
    zoom: &ZoomClient,
    creds: &ZoomCredentials,
    meeting: &Meeting,
    zoom_id: String,
) -> Result<Option<String>, ZoomError> {
    if let Some(uuid) = &meeting.zoom_uuid {
        return Ok(Some(uuid.clone()));
    }
    if meeting.occurrence_id.is_none() {
        return Ok(Some(zoom_id));
    }
    let listed = zoom.occurrence_instance(creds, &zoom_id, meeting.start_time);
    deadline::keeping(RESERVE, listed).await
}
