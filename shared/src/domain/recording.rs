//! Recording files, stored one record per file. Zoom's description of them
//! is read in `zoom::events` (`ZoomRecordingFile`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingFile {
    pub recording_id: String,
    #[serde(default)]
    pub file_type: Option<String>,
    #[serde(default)]
    pub file_extension: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
    #[serde(default)]
    pub recording_type: Option<String>,
    #[serde(default)]
    pub recording_start: Option<String>,
    #[serde(default)]
    pub recording_end: Option<String>,
    #[serde(default)]
    pub play_url: Option<String>,
    #[serde(default)]
    pub download_url: Option<String>,
    pub status: String,
}

impl RecordingFile {
    /// The key of the stored record (ids are safe, but keep sort keys tidy).
    pub fn key(&self) -> String {
        self.recording_id.clone()
    }
}
