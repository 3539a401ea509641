//! A create whose answer was lost (timeout, dropped connection, 5xx) may
//! have made the meeting in Zoom all the same: find it among the host's
//! upcoming meetings and keep it, instead of leaving an orphan in Zoom.

use chrono::{DateTime, Utc};

use super::create::created_since;
use super::{Host, MeetingService};
use crate::domain::meeting::{Meeting, NewMeeting};
use crate::zoom::ZoomError;
use crate::zoom::meetings::{ZoomCreated, ZoomListedMeeting};

/// Pages of the host's upcoming meetings read when looking.
const LOOKUP_PAGES: usize = 5;

/// What a create asked Zoom for, as far as finding it again goes.
pub(super) struct Asked<'a> {
    pub topic: &'a str,
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
}

impl<'a> From<&'a NewMeeting> for Asked<'a> {
    fn from(new: &'a NewMeeting) -> Self {
        Self {
            topic: &new.topic,
            start_time: new.start_time,
            duration_minutes: new.duration_minutes,
        }
    }
}

impl<'a> From<&'a Meeting> for Asked<'a> {
    fn from(meeting: &'a Meeting) -> Self {
        Self {
            topic: &meeting.topic,
            start_time: meeting.start_time,
            duration_minutes: meeting.duration_minutes,
        }
    }
}

/// Whether a listed meeting is the one asked for, made since `asked_at`.
fn is_the_one(listed: &ZoomListedMeeting, asked: &Asked, asked_at: DateTime<Utc>) -> bool {
    listed.topic == asked.topic
        && listed.start_time == Some(asked.start_time)
        && listed.duration == Some(asked.duration_minutes)
        && listed
            .created_at
            .is_none_or(|at| at >= created_since(asked_at))
}

impl MeetingService {
    /// The meeting Zoom made for the lost create, as `Made::Adopted`; else
    /// `lost`, the failure that lost the answer.
    pub(super) async fn adopt_or(
        &self,
        host: &Host,
        new: &NewMeeting,
        meeting: &Meeting,
        asked_at: DateTime<Utc>,
        taken: &[String],
        lost: ZoomError,
    ) -> Result<super::create::Made, ZoomError> {
        match self.find_created(host, &new.into(), asked_at, taken).await {
            Ok(Some(created)) => {
                tracing::warn!(meeting_id = %meeting.meeting_id, zoom_meeting_id = %created.id, error = %lost, "Zoom created the meeting but its answer was lost: adopted");
                Ok(super::create::Made::Adopted(created, lost))
            }
            Ok(None) => Err(lost),
            Err(lookup) => {
                tracing::warn!(meeting_id = %meeting.meeting_id, error = %lost, lookup = %lookup, "a create went unanswered and Zoom's meeting list could not be read: a Zoom meeting may be left over");
                Err(lost)
            }
        }
    }

    /// An upcoming meeting of the host with the topic, start and duration
    /// asked for, created since the request, that no meeting of ours holds
    /// (nor `taken`). The license's slot was reserved for it, so nothing
    /// else of ours matches.
    pub(super) async fn find_created(
        &self,
        host: &Host,
        asked: &Asked<'_>,
        asked_at: DateTime<Utc>,
        taken: &[String],
    ) -> Result<Option<ZoomCreated>, ZoomError> {
        let mut page_token = String::new();
        for _ in 0..LOOKUP_PAGES {
            let page = self
                .zoom
                .upcoming_meetings(&host.creds, &host.user, &page_token)
                .await?;
            for listed in page.meetings {
                if !is_the_one(&listed, asked, asked_at)
                    || taken.contains(&listed.id)
                    || self
                        .meetings
                        .holds_zoom_id(&listed.id)
                        .await
                        .unwrap_or(true)
                {
                    continue;
                }
                return self
                    .zoom
                    .get_meeting(&host.creds, &listed.id)
                    .await
                    .map(Some);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Ok(None)
    }
}
