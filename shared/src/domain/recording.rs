//! Recording files as Zoom describes them (webhook and REST alike), stored one
//! record per file. Files without an `id` (such as `TB`) are keyed by type and start.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

fn text(file: &Value, name: &str) -> Option<String> {
    match file.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl RecordingFile {
    /// One entry of Zoom's `recording_files`; `None` when it says nothing usable.
    /// Never reads a download token: it is not part of a file.
    pub fn from_zoom(file: &Value, default_status: &str) -> Option<Self> {
        let file_type = text(file, "file_type");
        let recording_start = text(file, "recording_start");
        let recording_id = match text(file, "id") {
            Some(id) => id,
            None => format!(
                "{}-{}",
                file_type.as_deref()?,
                recording_start.as_deref().unwrap_or("unknown")
            ),
        };
        Some(Self {
            recording_id,
            file_type,
            file_extension: text(file, "file_extension"),
            file_size: file.get("file_size").and_then(Value::as_u64),
            recording_type: text(file, "recording_type"),
            recording_start,
            recording_end: text(file, "recording_end"),
            play_url: text(file, "play_url"),
            download_url: text(file, "download_url"),
            status: text(file, "status").unwrap_or_else(|| default_status.to_owned()),
        })
    }

    /// The key of the stored record (ids are safe, but keep sort keys tidy).
    pub fn key(&self) -> String {
        self.recording_id.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_without_id_are_keyed_by_type_and_start() {
        let tb = json!({"file_type": "TB", "recording_start": "2030-01-01T10:00:00Z", "download_url": "https://x/y"});
        let f = RecordingFile::from_zoom(&tb, "completed").unwrap();
        assert_eq!(f.recording_id, "TB-2030-01-01T10:00:00Z");
        assert_eq!(f.status, "completed");
        let mp4 =
            json!({"id": "abc", "file_type": "MP4", "file_size": 12345, "status": "completed"});
        assert_eq!(
            RecordingFile::from_zoom(&mp4, "x").unwrap().file_size,
            Some(12345)
        );
        assert!(RecordingFile::from_zoom(&json!({}), "x").is_none());
    }
}
