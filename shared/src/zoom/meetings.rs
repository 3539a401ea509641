//! Meetings in Zoom (ZOOM.md §2): the bodies we send, the parts of Zoom's
//! answers we keep, and the typed operations the app calls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::operations::{
    CREATE_MEETING, DELETE_MEETING, GET_MEETING, LIST_MEETINGS, UPDATE_MEETING,
};
use super::types::id_string;
use crate::domain::meeting::{Meeting, MeetingPatch, MeetingSettings, NewMeeting, zoom_time};
use crate::secrets::Secret;

/// A scheduled meeting with a fixed time.
const SCHEDULED: u8 = 2;

/// What Zoom's create or get answer carries that we keep (never `start_url`).
#[derive(Debug, Clone, Deserialize)]
pub struct ZoomCreated {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// One page of `GET /users/{userId}/meetings`, as far as we read it.
#[derive(Debug, Deserialize)]
pub struct ZoomMeetingPage {
    #[serde(default)]
    pub meetings: Vec<ZoomListedMeeting>,
    #[serde(default)]
    pub next_page_token: String,
}

#[derive(Debug, Deserialize)]
pub struct ZoomListedMeeting {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// Zoom's `settings` object: only what was set.
#[derive(Debug, Clone, Serialize)]
pub struct ZoomSettingsBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    waiting_room: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_before_host: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mute_upon_entry: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_recording: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host_video: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    participant_video: Option<bool>,
}

impl From<&MeetingSettings> for ZoomSettingsBody {
    fn from(s: &MeetingSettings) -> Self {
        Self {
            waiting_room: s.waiting_room,
            join_before_host: s.join_before_host,
            mute_upon_entry: s.mute_upon_entry,
            auto_recording: s.auto_recording.clone(),
            host_video: s.host_video,
            participant_video: s.participant_video,
        }
    }
}

/// The body of `POST /users/{userId}/meetings`.
#[derive(Debug, Serialize)]
pub struct CreateMeetingBody<'a> {
    topic: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    start_time: String,
    duration: u32,
    settings: ZoomSettingsBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agenda: Option<&'a str>,
}

impl CreateMeetingBody<'_> {
    /// The same body for a meeting of another `type` (8: recurring, fixed time).
    pub(super) fn of_type(mut self, kind: u8) -> Self {
        self.kind = kind;
        self
    }
}

impl<'a> From<&'a NewMeeting> for CreateMeetingBody<'a> {
    fn from(new: &'a NewMeeting) -> Self {
        Self {
            topic: &new.topic,
            kind: SCHEDULED,
            start_time: zoom_time(&new.start_time),
            duration: new.duration_minutes,
            settings: ZoomSettingsBody::from(&new.settings),
            timezone: new.timezone.as_deref(),
            agenda: new.agenda.as_deref(),
        }
    }
}

/// The body of `PATCH /meetings/{meetingId}`: only what changes.
#[derive(Debug, Default, Serialize)]
pub struct MeetingUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agenda: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settings: Option<ZoomSettingsBody>,
    /// A recurring meeting's: Zoom wants it with every series time change.
    #[serde(skip_serializing_if = "Option::is_none")]
    recurrence: Option<serde_json::Value>,
}

impl MeetingUpdate {
    /// A recurring meeting's new time: its first occurrence, length, zone
    /// and recurrence (ZOOM-2.md D: a series PATCH with a future
    /// `start_time` requires `recurrence`).
    pub fn series_time(
        start: &DateTime<Utc>,
        duration_minutes: u32,
        timezone: &str,
        recurrence: serde_json::Value,
    ) -> Self {
        Self {
            start_time: Some(zoom_time(start)),
            duration: Some(duration_minutes),
            timezone: Some(timezone.to_owned()),
            recurrence: Some(recurrence),
            ..Self::default()
        }
    }

    /// What `patch` changes, with the time and length of `next`.
    pub fn of_patch(patch: &MeetingPatch, next: &Meeting) -> Self {
        let moved = patch.start_time.is_some() || patch.duration_minutes.is_some();
        Self {
            topic: patch.topic.clone(),
            start_time: moved.then(|| zoom_time(&next.start_time)),
            duration: moved.then_some(next.duration_minutes),
            timezone: patch.timezone.clone(),
            agenda: patch.agenda.clone(),
            settings: patch.settings.as_ref().map(ZoomSettingsBody::from),
            recurrence: None,
        }
    }

    /// The time and length `meeting` has (to put Zoom back).
    pub fn time_of(meeting: &Meeting) -> Self {
        Self {
            start_time: Some(zoom_time(&meeting.start_time)),
            duration: Some(meeting.duration_minutes),
            ..Self::default()
        }
    }
}

/// The only part of Zoom's meeting read for a host's ZAK (never kept).
#[derive(Deserialize)]
struct StartUrl {
    #[serde(default)]
    start_url: Option<Secret>,
}

fn no_zak(why: &str) -> ZoomError {
    ZoomError::InvalidResponse(format!("no ZAK in the meeting's start_url: {why}"))
}

/// The `zak` query parameter of a `start_url`.
fn zak_of(start_url: &Secret) -> Result<Secret, ZoomError> {
    let url = reqwest::Url::parse(start_url.expose()).map_err(|_| no_zak("not a URL"))?;
    url.query_pairs()
        .find(|(name, _)| name == "zak")
        .map(|(_, value)| Secret::new(value.into_owned()))
        .filter(|zak| !zak.expose().is_empty())
        .ok_or_else(|| no_zak("no zak parameter"))
}

/// A delete's answer: one Zoom no longer has counts as deleted.
pub(super) fn gone_is_deleted<T>(answer: Result<T, ZoomError>) -> Result<(), ZoomError> {
    match answer {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

impl ZoomClient {
    /// Creates a scheduled meeting hosted by `user`. Never repeated once it may have reached Zoom.
    pub async fn create_meeting(
        &self,
        creds: &ZoomCredentials,
        user: &str,
        new: &NewMeeting,
    ) -> Result<ZoomCreated, ZoomError> {
        let body = CreateMeetingBody::from(new);
        self.send(creds, &CREATE_MEETING, &[user], &[], Some(&body))
            .await?
            .json()
    }

    /// A meeting by id or instance UUID.
    pub async fn get_meeting(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<ZoomCreated, ZoomError> {
        self.send(creds, &GET_MEETING, &[meeting], &[], None::<&()>)
            .await?
            .json()
    }

    /// The host's ZAK as carried by the meeting's `start_url` (Zoom mints it on every read).
    pub async fn start_url_zak(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<Secret, ZoomError> {
        let answer: StartUrl = self
            .send(creds, &GET_MEETING, &[meeting], &[], None::<&()>)
            .await?
            .json()?;
        zak_of(&answer.start_url.ok_or_else(|| no_zak("no start_url"))?)
    }

    pub async fn update_meeting(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
        update: &MeetingUpdate,
    ) -> Result<(), ZoomError> {
        self.send(creds, &UPDATE_MEETING, &[meeting], &[], Some(update))
            .await
            .map(drop)
    }

    /// Deletes a meeting; one Zoom no longer has counts as deleted.
    pub async fn delete_meeting(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<(), ZoomError> {
        let path = [meeting];
        let sent = self.send(creds, &DELETE_MEETING, &path, &[], None::<&()>);
        gone_is_deleted(sent.await)
    }

    /// One page (up to 300) of `user`'s upcoming meetings; `page_token` from the page before.
    pub async fn upcoming_meetings(
        &self,
        creds: &ZoomCredentials,
        user: &str,
        page_token: &str,
    ) -> Result<ZoomMeetingPage, ZoomError> {
        let mut query = vec![("type", "upcoming"), ("page_size", "300")];
        if !page_token.is_empty() {
            query.push(("next_page_token", page_token));
        }
        self.send(creds, &LIST_MEETINGS, &[user], &query, None::<&()>)
            .await?
            .json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::meeting::{MeetingStatus, parse_create, parse_patch};
    use chrono::Utc;
    use serde_json::json;

    fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    fn to_json(body: &impl Serialize) -> serde_json::Value {
        serde_json::to_value(body).unwrap()
    }

    #[test]
    fn create_maps_to_zoom() {
        let new = NewMeeting {
            topic: "Clase 3".into(),
            start_time: "2026-12-01T18:00:00Z".parse().unwrap(),
            duration_minutes: 90,
            timezone: Some("America/Argentina/Buenos_Aires".into()),
            license_id: None,
            agenda: Some("Unidad 2".into()),
            external_ref: None,
            settings: MeetingSettings {
                waiting_room: Some(true),
                join_before_host: Some(false),
                mute_upon_entry: Some(true),
                auto_recording: Some("cloud".into()),
                host_video: Some(true),
                participant_video: Some(false),
            },
        };
        let zoom = to_json(&CreateMeetingBody::from(&new));
        assert_eq!(zoom["start_time"], "2026-12-01T18:00:00Z");
        assert_eq!(zoom["duration"], 90);
        assert_eq!(zoom["type"], 2);
        assert_eq!(zoom["timezone"], "America/Argentina/Buenos_Aires");
        assert_eq!(
            zoom["settings"],
            json!({"waiting_room": true, "join_before_host": false, "mute_upon_entry": true,
                   "auto_recording": "cloud", "host_video": true, "participant_video": false})
        );
    }

    #[test]
    fn patch_maps_changed_fields_only() {
        let new = parse_create(object(
            json!({"topic": "a", "startTime": "2026-12-01T15:00:00Z", "durationMinutes": 60}),
        ))
        .unwrap();
        let meeting = Meeting {
            meeting_id: "mtg_1".into(),
            academy_id: "a1".into(),
            license_id: "lic_1".into(),
            zoom_meeting_id: Some("81234567890".into()),
            zoom_uuid: None,
            topic: new.topic,
            start_time: new.start_time,
            duration_minutes: 60,
            timezone: None,
            agenda: None,
            external_ref: None,
            settings: MeetingSettings::default(),
            join_url: None,
            password: None,
            share_url: None,
            play_passcode: None,
            status: MeetingStatus::Scheduled,
            booking_rev: 1,
            held: Default::default(),
            series_id: None,
            occurrence_id: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let patch = parse_patch(object(json!({"durationMinutes": 30}))).unwrap();
        let next = patch.apply(&meeting);
        assert_eq!(
            to_json(&MeetingUpdate::of_patch(&patch, &next)),
            json!({"start_time": "2026-12-01T15:00:00Z", "duration": 30})
        );
        let patch = parse_patch(object(json!({"topic": "b"}))).unwrap();
        assert_eq!(
            to_json(&MeetingUpdate::of_patch(&patch, &patch.apply(&meeting))),
            json!({"topic": "b"})
        );
        assert!(parse_patch(object(json!({"licenseId": "x"}))).is_err());
    }

    #[test]
    fn create_body_carries_only_what_was_set() {
        let new = NewMeeting {
            topic: "Clase".into(),
            start_time: "2026-12-01T18:00:00Z".parse().unwrap(),
            duration_minutes: 90,
            timezone: None,
            license_id: None,
            agenda: Some("a".into()),
            external_ref: None,
            settings: MeetingSettings {
                waiting_room: Some(true),
                ..MeetingSettings::default()
            },
        };
        assert_eq!(
            serde_json::to_value(CreateMeetingBody::from(&new)).unwrap(),
            json!({"topic":"Clase","type":2,"start_time":"2026-12-01T18:00:00Z","duration":90,
                   "settings":{"waiting_room":true},"agenda":"a"})
        );
    }

    #[test]
    fn zak_from_a_start_url() {
        let url = Secret::new("https://zoom.us/s/81234567890?zak=eyJ0.eyJh.c2ln&x=1");
        assert_eq!(zak_of(&url).unwrap().expose(), "eyJ0.eyJh.c2ln");
        let encoded = Secret::new("https://zoom.us/s/1?zak=a%2Bb");
        assert_eq!(zak_of(&encoded).unwrap().expose(), "a+b");
        assert!(zak_of(&Secret::new("https://zoom.us/s/1?pwd=x")).is_err());
        assert!(zak_of(&Secret::new("https://zoom.us/s/1?zak=")).is_err());
        assert!(zak_of(&Secret::new("not a url")).is_err());
    }
}
