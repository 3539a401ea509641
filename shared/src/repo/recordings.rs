//! What happened in a meeting: recording files (`MEETING#{id}` / `RECORDING#{file}`)
//! and attendance (`MEETING#{id}` / `PARTICIPANT#{key}`), plus the record of
//! webhook events already applied (`ZOOMEVENT#{hash}`, 7 days).

use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::{RepoError, get_record, keys, to_item};
use crate::domain::attendance::Attendance;
use crate::domain::recording::RecordingFile;
use crate::store::{Condition, Query, SkRange, Store, TTL_ATTRIBUTE, Write};

/// How long an applied event is remembered (Zoom retries for about 1.5 h).
pub const EVENT_RETENTION: Duration = Duration::days(7);
const PAGE: usize = 1000;

#[derive(Clone)]
pub struct RecordingRepo {
    store: Arc<dyn Store>,
}

/// Marks an event applied; fails the batch when it already was.
pub fn event_seen(hash: &str, event: &str, unmatched: Option<&Value>) -> Write {
    let now = Utc::now();
    let mut record = json!({
        "event": event,
        "receivedAt": now,
        TTL_ATTRIBUTE: (now + EVENT_RETENTION).timestamp(),
    });
    if let Some(body) = unmatched {
        // Kept for later matching: no meeting of ours has this Zoom id (yet).
        record["unmatched"] = body.clone();
    }
    Write::put_if(
        to_item(&keys::zoom_event(hash), &record),
        Condition::NotExists,
    )
}

pub fn put_recording(meeting_id: &str, file: &RecordingFile) -> Write {
    Write::put(to_item(&keys::recording(meeting_id, &file.key()), file))
}

/// The attendance record, written if nobody changed it since it was read.
pub fn put_attendance(meeting_id: &str, attendance: &Attendance, read_version: u64) -> Write {
    let key = keys::participant(meeting_id, &attendance.participant_id);
    let condition = if read_version == 0 {
        Condition::NotExists
    } else {
        Condition::AttrEquals("version".into(), Value::from(read_version))
    };
    Write::put_if(to_item(&key, attendance), condition)
}

impl RecordingRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Every item of a meeting under a prefix, page after page.
    async fn children<T: serde::de::DeserializeOwned>(
        &self,
        meeting_id: &str,
        prefix: &str,
    ) -> Result<Vec<T>, RepoError> {
        let query = Query::new(
            keys::meeting_children_pk(meeting_id),
            SkRange::BeginsWith(prefix.into()),
            PAGE,
        );
        Ok(super::paging::collect(self.store.as_ref(), query).await?)
    }

    pub async fn recordings(&self, meeting_id: &str) -> Result<Vec<RecordingFile>, RepoError> {
        self.children(meeting_id, keys::RECORDING_PREFIX).await
    }

    pub async fn recording(
        &self,
        meeting_id: &str,
        key: &str,
    ) -> Result<Option<RecordingFile>, RepoError> {
        Ok(get_record(self.store.as_ref(), &keys::recording(meeting_id, key)).await?)
    }

    pub async fn attendance(&self, meeting_id: &str) -> Result<Vec<Attendance>, RepoError> {
        self.children(meeting_id, keys::PARTICIPANT_PREFIX).await
    }

    pub async fn participant(
        &self,
        meeting_id: &str,
        key: &str,
    ) -> Result<Option<Attendance>, RepoError> {
        Ok(get_record(self.store.as_ref(), &keys::participant(meeting_id, key)).await?)
    }

    /// What of ours a Zoom meeting id belongs to: a meeting, or a series
    /// (whose occurrences share it).
    pub async fn by_zoom_id(&self, zoom_id: &str) -> Result<Option<ZoomOwner>, RepoError> {
        let Some(item) = self.store.get(&keys::zoom_meeting(zoom_id)).await? else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
        let of = match (text("meetingId"), text("seriesId")) {
            (Some(m), _) => Owned::Meeting(m),
            (None, Some(s)) => Owned::Series(s),
            (None, None) => return Ok(None),
        };
        Ok(match (text("academyId"), text("licenseId")) {
            (Some(academy_id), Some(license_id)) => Some(ZoomOwner {
                academy_id,
                license_id,
                of,
            }),
            _ => None,
        })
    }

    pub async fn write(&self, writes: Vec<Write>) -> Result<(), RepoError> {
        super::transact(self.store.as_ref(), writes).await?;
        Ok(())
    }
}

/// Who holds a Zoom meeting id: an academy's meeting or series, on a license.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoomOwner {
    pub academy_id: String,
    pub license_id: String,
    pub of: Owned,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    Meeting(String),
    Series(String),
}
