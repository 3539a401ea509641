//! Recurring meetings in Zoom (ZOOM-2.md D): one type-8 meeting per class
//! series, its `occurrences`, and changes to one occurrence
//! (`?occurrence_id=`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::meetings::{CreateMeetingBody, MeetingUpdate, gone_is_deleted};
use super::operations::{
    CREATE_MEETING, DELETE_MEETING, GET_MEETING, PAST_INSTANCES, UPDATE_MEETING,
};
use super::types::id_string;
use crate::domain::meeting::NewMeeting;

/// A recurring meeting with a fixed time.
const RECURRING_FIXED_TIME: u8 = 8;

/// The body of a recurring create: a meeting's, with type 8 and Zoom's `recurrence`.
#[derive(Debug, Serialize)]
struct CreateSeriesBody<'a> {
    #[serde(flatten)]
    meeting: CreateMeetingBody<'a>,
    recurrence: &'a Value,
}

/// One of Zoom's `occurrences[]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZoomOccurrence {
    #[serde(deserialize_with = "id_string")]
    pub occurrence_id: String,
    pub start_time: DateTime<Utc>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub status: Option<String>,
}

impl ZoomOccurrence {
    pub fn is_available(&self) -> bool {
        self.status.as_deref() != Some("deleted")
    }
}

/// What Zoom's answer about a recurring meeting carries that we keep.
#[derive(Debug, Clone, Deserialize)]
pub struct ZoomSeries {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub occurrences: Vec<ZoomOccurrence>,
}

/// One of `GET /past_meetings/{id}/instances`' `meetings[]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ZoomInstance {
    pub uuid: String,
    pub start_time: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct ZoomInstances {
    #[serde(default)]
    meetings: Vec<ZoomInstance>,
}

/// How far from its scheduled start an instance may have started and still
/// be that occurrence: less than half the shortest gap between two
/// occurrences (a day), so two occurrences never claim one instance.
const INSTANCE_MATCH_WINDOW: chrono::Duration = chrono::Duration::hours(12);

/// The instance that started nearest to `scheduled`, within the window.
fn nearest(instances: &[ZoomInstance], scheduled: DateTime<Utc>) -> Option<&ZoomInstance> {
    instances
        .iter()
        .filter(|i| (i.start_time - scheduled).abs() < INSTANCE_MATCH_WINDOW)
        .min_by_key(|i| (i.start_time - scheduled).abs())
}

impl ZoomClient {
    /// The UUID of the ended instance of recurring meeting `meeting` that was
    /// its occurrence scheduled at `scheduled`, if it was held.
    pub async fn occurrence_instance(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        scheduled: DateTime<Utc>,
    ) -> Result<Option<String>, ZoomError> {
        let listed: ZoomInstances = self
            .send(creds, &PAST_INSTANCES, &[meeting], &[], None::<&()>)
            .await?
            .json()?;
        Ok(nearest(&listed.meetings, scheduled).map(|i| i.uuid.clone()))
    }

    /// Creates the series' one recurring meeting (`new.start_time` is the
    /// first occurrence's). Never repeated once it may have reached Zoom.
    pub async fn create_series_meeting(
        &self,
        creds: &ZoomCredentials,
        user: &str,
        new: &NewMeeting,
        recurrence: &Value,
    ) -> Result<ZoomSeries, ZoomError> {
        let body = CreateSeriesBody {
            meeting: CreateMeetingBody::from(new).of_type(RECURRING_FIXED_TIME),
            recurrence,
        };
        self.send(creds, &CREATE_MEETING, &[user], &[], Some(&body))
            .await?
            .json()
    }

    /// A recurring meeting with every occurrence, past and deleted ones too.
    pub async fn get_series_meeting(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<ZoomSeries, ZoomError> {
        let query = [("show_previous_occurrences", "true")];
        self.send(creds, &GET_MEETING, &[meeting], &query, None::<&()>)
            .await?
            .json()
    }

    /// Changes one occurrence only (Zoom takes its agenda, start, duration
    /// and settings there).
    pub async fn update_occurrence(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        occurrence_id: &str,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        let query = [("occurrence_id", occurrence_id)];
        self.send(creds, &UPDATE_MEETING, &[meeting], &query, Some(update))
            .await
            .map(drop)
    }

    /// Deletes one occurrence; one Zoom no longer has counts as deleted.
    pub async fn delete_occurrence(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        occurrence_id: &str,
    ) -> Result<(), ZoomError> {
        let query = [("occurrence_id", occurrence_id)];
        let path = [meeting];
        let sent = self.send(creds, &DELETE_MEETING, &path, &query, None::<&()>);
        gone_is_deleted(sent.await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn occurrences_are_read_as_zoom_sends_them() {
        let series: ZoomSeries = serde_json::from_value(json!({
            "id": 81234567890u64, "uuid": "abc==", "join_url": "https://zoom.us/j/1",
            "occurrences": [
                {"occurrence_id": "1648194360000", "start_time": "2022-03-25T07:46:00Z",
                 "duration": 60, "status": "available"},
                {"occurrence_id": 1648799160000u64, "start_time": "2022-04-01T07:46:00Z",
                 "status": "deleted"}
            ]
        }))
        .unwrap();
        assert_eq!(series.id, "81234567890");
        assert_eq!(series.occurrences[1].occurrence_id, "1648799160000");
        assert!(series.occurrences[0].is_available());
        assert!(!series.occurrences[1].is_available());
    }

    #[test]
    fn an_instance_is_the_occurrence_it_started_nearest_to() {
        let listed: ZoomInstances = serde_json::from_value(json!({"meetings": [
            {"uuid": "a==", "start_time": "2031-03-04T21:05:00Z"},
            {"uuid": "b==", "start_time": "2031-03-05T21:02:00Z"}
        ]}))
        .unwrap();
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let uuid = |t| nearest(&listed.meetings, at(t)).map(|i| i.uuid.as_str());
        assert_eq!(uuid("2031-03-04T21:00:00Z"), Some("a=="));
        assert_eq!(uuid("2031-03-05T21:00:00Z"), Some("b=="));
        assert_eq!(uuid("2031-03-07T21:00:00Z"), None, "not held");
    }

    #[test]
    fn the_create_body_is_type_8_with_the_recurrence() {
        let new = NewMeeting {
            topic: "Álgebra".into(),
            start_time: "2027-03-02T21:00:00Z".parse().unwrap(),
            duration_minutes: 90,
            timezone: Some("America/Argentina/Buenos_Aires".into()),
            license_id: None,
            agenda: None,
            external_ref: None,
            settings: Default::default(),
        };
        let recurrence =
            json!({"type": 2, "repeat_interval": 1, "weekly_days": "3,5", "end_times": 24});
        let body = CreateSeriesBody {
            meeting: CreateMeetingBody::from(&new).of_type(RECURRING_FIXED_TIME),
            recurrence: &recurrence,
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v["type"], 8);
        assert_eq!(v["start_time"], "2027-03-02T21:00:00Z");
        assert_eq!(v["recurrence"]["weekly_days"], "3,5");
    }
}
