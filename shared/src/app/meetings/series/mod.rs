//! Class series: one Zoom recurring meeting (type 8) on one license, every
//! occurrence booked on it at once, and each occurrence a meeting of ours
//! (`seriesId`, `occurrenceId`) that the meeting routes serve.
//!
//! - [`create`]: reserve every occurrence → one Zoom create → commit, once per Idempotency-Key
//! - [`commit`]: the occurrences' writes, in batches within DynamoDB's 100 items
//! - [`undo`]: taking back a series that never committed (the request's failure, or `maintenance`)
//! - [`edit`]: series-wide edits and deleting a series
//! - [`moves`]: a series time change, every occurrence re-booked at once
//! - [`move_repair`]: finishing or undoing a time change whose request died (for `maintenance`)
//! - [`occurrence`]: what an edit or delete of one occurrence asks of Zoom

mod commit;
mod create;
mod edit;
mod move_repair;
mod moves;
pub(super) mod occurrence;
mod undo;

use crate::domain::meeting::Meeting;
use crate::domain::series::{Series, SeriesStatus};
use crate::error::AppError;

use super::MeetingService;

pub use create::SeriesOutcome;

/// A series and its occurrences' meetings, in start order.
#[derive(Debug, Clone)]
pub struct SeriesView {
    pub series: Series,
    pub meetings: Vec<Meeting>,
}

fn new_series_id() -> String {
    format!("ser_{}", ulid::Ulid::new().to_string().to_lowercase())
}

fn visible(status: SeriesStatus) -> bool {
    matches!(status, SeriesStatus::Scheduled | SeriesStatus::Deleted)
}

impl MeetingService {
    /// A series as the LMS sees it; not found while pending or failed.
    pub async fn series(&self, academy_id: &str, series_id: &str) -> Result<Series, AppError> {
        match self.series.get(academy_id, series_id).await? {
            Some(s) if visible(s.status) => Ok(s),
            _ => Err(AppError::SeriesNotFound),
        }
    }

    /// A series with its occurrences' meetings (read at once).
    pub async fn series_view(
        &self,
        academy_id: &str,
        series_id: &str,
    ) -> Result<SeriesView, AppError> {
        let series = self.series(academy_id, series_id).await?;
        self.view_of(series).await
    }

    async fn view_of(&self, series: Series) -> Result<SeriesView, AppError> {
        let reads = series
            .occurrences
            .iter()
            .map(|o| self.meetings.get(&series.academy_id, &o.meeting_id));
        let meetings = futures::future::try_join_all(reads)
            .await?
            .into_iter()
            .flatten()
            .collect();
        Ok(SeriesView { series, meetings })
    }
}
