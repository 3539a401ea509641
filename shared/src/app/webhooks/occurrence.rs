//! Which occurrence of a class series a Zoom event is about. Every
//! occurrence shares the series' Zoom meeting id, and Zoom's events carry no
//! `occurrence_id` (ZOOM-2.md D), only the instance's `uuid` and
//! `start_time`: an instance UUID matched before names its occurrence;
//! otherwise the occurrence scheduled nearest to the instance's start is
//! taken (a heuristic, UNCONFIRMED), and the UUID is remembered with the
//! event's effect so every later event of that instance lands there too.

use super::{WebhookService, event_time};
use crate::error::AppError;
use crate::repo::series::put_instance;
use crate::store::Write;
use crate::zoom::events::ZoomEvent;

/// The occurrence matched, and the write that remembers its instance.
pub(super) struct Matched {
    pub meeting_id: String,
    pub remember: Option<Write>,
}

impl WebhookService {
    pub(super) async fn occurrence_of(
        &self,
        academy_id: &str,
        series_id: &str,
        zoom_id: &str,
        event: &ZoomEvent,
    ) -> Result<Option<Matched>, AppError> {
        let Some(about) = event.about() else {
            return Ok(None);
        };
        let uuid = about.meeting.uuid.as_deref().filter(|u| !u.is_empty());
        if let Some(uuid) = uuid
            && let Some(meeting_id) = self.series.instance(zoom_id, uuid).await?
        {
            return Ok(Some(Matched {
                meeting_id,
                remember: None,
            }));
        }
        let Some(series) = self.series.get(academy_id, series_id).await? else {
            return Ok(None);
        };
        let ts = about.event_ts.map(str::to_owned);
        let start = about
            .meeting
            .started_at()
            .unwrap_or_else(|| event_time(&ts));
        Ok(series.nearest(start).map(|o| Matched {
            meeting_id: o.meeting_id.clone(),
            remember: uuid.map(|u| put_instance(zoom_id, u, &o.meeting_id)),
        }))
    }
}
