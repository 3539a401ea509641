//! The archive copy of a recording file (API.md "Recording archive"): our
//! own state about a file Zoom recorded, kept beside Zoom's description of
//! it (which a webhook or a sync may rewrite at any time) so that nothing
//! Zoom says can undo what the archiver verified. No I/O here.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many attempts a file gets before it is `failed`.
pub const MAX_ATTEMPTS: u32 = 5;

/// A license's `recordingArchive`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveMode {
    /// Copy every file into the academy's bucket.
    #[default]
    Archive,
    /// Copy, then move the Zoom file to Zoom's trash once the copy verified.
    ArchiveAndTrash,
    /// Leave recordings in Zoom.
    Off,
}

impl ArchiveMode {
    pub const NAMES: &'static [&'static str] = &["archive", "archive_and_trash", "off"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "archive" => Some(Self::Archive),
            "archive_and_trash" => Some(Self::ArchiveAndTrash),
            "off" => Some(Self::Off),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::ArchiveAndTrash => "archive_and_trash",
            Self::Off => "off",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchiveStatus {
    /// A job is queued (or waiting out its backoff).
    Pending,
    /// An attempt is streaming the file.
    Archiving,
    /// The copy exists and its byte count matched Zoom's.
    Archived,
    /// Every attempt failed; `POST .../archive` tries again.
    Failed,
    /// The license does not archive.
    Off,
}

/// Why an attempt failed: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveFailure {
    pub code: String,
    pub message: String,
}

impl ArchiveFailure {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Our state of one recording file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Archive {
    pub recording_id: String,
    pub status: ArchiveStatus,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub bytes: Option<u64>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub archived_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub error: Option<ArchiveFailure>,
    /// Where the copy is, in the object store.
    #[serde(default)]
    pub object_key: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// When the Zoom file was moved to Zoom's trash (`archive_and_trash`).
    #[serde(default)]
    pub trashed_in_zoom_at: Option<DateTime<Utc>>,
    #[serde(default = "published_by_default")]
    pub published: bool,
    pub version: u64,
}

fn published_by_default() -> bool {
    true
}

impl Archive {
    /// The state of a file Zoom just told us about.
    pub fn new(recording_id: &str, mode: ArchiveMode) -> Self {
        Self {
            recording_id: recording_id.to_owned(),
            status: if mode == ArchiveMode::Off {
                ArchiveStatus::Off
            } else {
                ArchiveStatus::Pending
            },
            attempts: 0,
            bytes: None,
            sha256: None,
            archived_at: None,
            error: None,
            object_key: None,
            content_type: None,
            trashed_in_zoom_at: None,
            published: true,
            version: 1,
        }
    }

    /// Whether a job should (still) work on it.
    pub fn wants_copy(&self) -> bool {
        matches!(
            self.status,
            ArchiveStatus::Pending | ArchiveStatus::Archiving
        )
    }

    /// After a failed attempt: pending again, or failed for good.
    pub fn attempt_failed(&mut self, failure: ArchiveFailure) {
        self.error = Some(failure);
        self.status = if self.attempts >= MAX_ATTEMPTS {
            ArchiveStatus::Failed
        } else {
            ArchiveStatus::Pending
        };
    }

    /// Asked again (`POST .../archive`): a fresh set of attempts.
    pub fn restart(&mut self) {
        self.status = ArchiveStatus::Pending;
        self.attempts = 0;
        self.error = None;
    }
}

/// The wait before attempt `attempt + 1`, after `attempt` failed ones:
/// `base`, doubled per failure, at most 15 minutes.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let doubled = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    doubled.min(Duration::from_secs(15 * 60))
}

/// The object key of a file's copy: academy, meeting, file; the extension
/// Zoom gave (lower case), so a downloaded copy opens as what it is.
pub fn object_key(academy_id: &str, meeting_id: &str, recording_id: &str, ext: &str) -> String {
    let ext: String = ext
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    let safe: String = recording_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if ext.is_empty() {
        safe
    } else {
        format!("{safe}.{ext}")
    };
    format!("recordings/{academy_id}/{meeting_id}/{name}")
}

/// The `Content-Type` of a copy, by Zoom's `file_extension` / `file_type`.
pub fn content_type(file_type: Option<&str>, extension: Option<&str>) -> &'static str {
    let ext = extension.unwrap_or_default().to_ascii_uppercase();
    match (ext.as_str(), file_type.unwrap_or_default()) {
        ("MP4", _) => "video/mp4",
        ("M4A", _) => "audio/mp4",
        ("VTT", _) | (_, "TRANSCRIPT" | "CC") => "text/vtt",
        ("JSON", _) | (_, "TIMELINE" | "TB") => "application/json",
        ("TXT", _) | (_, "CHAT") => "text/plain; charset=utf-8",
        ("CSV", _) | (_, "CSV") => "text/csv",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_fail_the_file() {
        let mut archive = Archive::new("f1", ArchiveMode::Archive);
        for attempt in 1..=MAX_ATTEMPTS {
            archive.attempts = attempt;
            archive.attempt_failed(ArchiveFailure::new("not_a_recording", "html"));
            let expected = if attempt < MAX_ATTEMPTS {
                ArchiveStatus::Pending
            } else {
                ArchiveStatus::Failed
            };
            assert_eq!(archive.status, expected, "after attempt {attempt}");
        }
        archive.restart();
        assert_eq!(archive.status, ArchiveStatus::Pending);
        assert_eq!(archive.attempts, 0);
        assert!(archive.error.is_none());
    }

    #[test]
    fn off_files_want_no_copy() {
        assert!(!Archive::new("f", ArchiveMode::Off).wants_copy());
        assert!(Archive::new("f", ArchiveMode::ArchiveAndTrash).wants_copy());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 40), Duration::from_secs(900));
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }

    #[test]
    fn object_keys_are_tidy() {
        assert_eq!(
            object_key("ac", "mtg_1", "a/b..c", "MP4"),
            "recordings/ac/mtg_1/a_b__c.mp4"
        );
        assert_eq!(object_key("ac", "m", "f", ""), "recordings/ac/m/f");
    }

    #[test]
    fn modes_round_trip() {
        for name in ArchiveMode::NAMES {
            assert_eq!(ArchiveMode::parse(name).unwrap().as_str(), *name);
        }
        assert!(ArchiveMode::parse("trash").is_none());
    }
}
