//! One recording file as the download side sees it: the id in its
//! `download_url`, the size and type of its bytes, its status (completed,
//! trashed, deleted), and finding it among the stored recordings.

use serde_json::Value;

use crate::recordings::Recording;
use crate::state::State;

/// Default `file_size` of a seeded MP4 that gives none.
pub(crate) const DEFAULT_MP4_SIZE: u64 = 1_000_000;
/// Default `file_size` of any other seeded file that gives none, and the
/// size of the bytes served for `CC`/`TB` files (which have no `file_size`).
pub(crate) const DEFAULT_OTHER_SIZE: u64 = 4_096;

/// `status` of a file that can be downloaded.
pub(crate) const COMPLETED: &str = "completed";
/// `status` after `DELETE …?action=trash` (recoverable on Zoom for 30 days).
pub(crate) const TRASHED: &str = "trashed";
/// `status` after `DELETE …?action=delete` (gone for good).
pub(crate) const DELETED: &str = "deleted";

/// The default `file_size` for a file of this `file_type`.
pub(crate) fn default_size(file_type: &str) -> u64 {
    match file_type {
        "MP4" => DEFAULT_MP4_SIZE,
        _ => DEFAULT_OTHER_SIZE,
    }
}

/// `{base_url}/rec/download/{file_id}`.
pub(crate) fn download_url(base_url: &str, file_id: &str) -> String {
    format!("{base_url}/rec/download/{file_id}")
}

/// The file id its `download_url` names (for `CC`/`TB` files, which have
/// no `id`, the only one).
pub(crate) fn download_id<'a>(file: &'a Value, base_url: &str) -> Option<&'a str> {
    file.get("download_url")?
        .as_str()?
        .strip_prefix(base_url)?
        .strip_prefix("/rec/download/")
}

/// How many bytes its download serves: `file_size`, else the type's default.
pub(crate) fn served_size(file: &Value) -> u64 {
    file.get("file_size")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| default_size(str_field(file, "file_type").unwrap_or("")))
}

/// `Content-Type` of its bytes, by `file_extension` (UNCONFIRMED: what
/// Zoom's CDN sends is not documented).
pub(crate) fn content_type(file: &Value) -> &'static str {
    match str_field(file, "file_extension").unwrap_or("") {
        "MP4" => "video/mp4",
        "M4A" => "audio/mp4",
        "VTT" => "text/vtt",
        "JSON" => "application/json",
        "TXT" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A file name for `Content-Disposition`: `{file_id}.{extension}`.
pub(crate) fn file_name(file: &Value, file_id: &str) -> String {
    let extension = str_field(file, "file_extension").unwrap_or("bin");
    format!("{file_id}.{}", extension.to_ascii_lowercase())
}

/// Its `status`; `CC`/`TB` files, which have none, count as completed.
pub(crate) fn status(file: &Value) -> &str {
    str_field(file, "status").unwrap_or(COMPLETED)
}

/// Whether `GET /meetings/{id}/recordings` lists it (trashed and deleted
/// files are left out, as Zoom lists trashed ones only from the trash).
pub(crate) fn listed(file: &Value) -> bool {
    !matches!(status(file), TRASHED | DELETED)
}

/// Whether its bytes can be downloaded (a file still processing, trashed or
/// deleted cannot).
pub(crate) fn downloadable(file: &Value) -> bool {
    status(file) == COMPLETED
}

fn str_field<'a>(file: &'a Value, key: &str) -> Option<&'a str> {
    file.get(key).and_then(Value::as_str)
}

/// The recording holding the file whose `download_url` names `file_id`
/// (any account), and the file's index in it.
pub(crate) fn find(state: &State, base_url: &str, file_id: &str) -> Option<(usize, usize)> {
    state
        .recordings
        .iter()
        .enumerate()
        .rev()
        .find_map(|(index, recording)| {
            position(recording, base_url, file_id).map(|file| (index, file))
        })
}

fn position(recording: &Recording, base_url: &str, file_id: &str) -> Option<usize> {
    recording
        .instance
        .recording_files
        .iter()
        .position(|file| download_id(file, base_url) == Some(file_id))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn download_id_and_sizes() {
        let file = json!({"file_type": "TB", "file_extension": "JSON",
            "download_url": "http://h:1/rec/download/abc"});
        assert_eq!(download_id(&file, "http://h:1"), Some("abc"));
        assert_eq!(download_id(&file, "http://h:2"), None);
        assert_eq!(served_size(&file), DEFAULT_OTHER_SIZE);
        assert_eq!(served_size(&json!({"file_size": 7})), 7);
        assert_eq!(served_size(&json!({"file_type": "MP4"})), DEFAULT_MP4_SIZE);
        assert_eq!(content_type(&file), "application/json");
        assert_eq!(file_name(&file, "abc"), "abc.json");
    }

    #[test]
    fn statuses() {
        assert!(downloadable(&json!({})) && listed(&json!({})));
        let trashed = json!({"status": "trashed"});
        assert!(!downloadable(&trashed) && !listed(&trashed));
        let processing = json!({"status": "processing"});
        assert!(!downloadable(&processing) && listed(&processing));
    }
}
