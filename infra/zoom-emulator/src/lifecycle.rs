//! A meeting's whole life as Zoom's webhooks tell it: started, participants
//! joining and leaving, ended, and the cloud recording, which is also
//! registered for `GET /meetings/{id}/recordings`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::emulator::Emulator;
use crate::events::{self, MeetingInstance, RecordingInstance};
use crate::ids;
use crate::meeting_model::Meeting;
use crate::recordings::{self, Recording};
use crate::state::Shared;
use crate::webhook;

/// How long after the meeting's end `recording.completed` is dated
/// (UNCONFIRMED: Zoom's processing time varies with the recording).
const RECORDING_DELAY_MINUTES: i64 = 5;
/// Bytes per second of the lifecycle recording's MP4 and M4A files.
const MP4_BYTES_PER_SECOND: u64 = 40_000;
const M4A_BYTES_PER_SECOND: u64 = 4_000;

/// Someone in a meeting, as participant events name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Zoom's `participant.user_id`.
    pub user_id: String,
    /// `participant.participant_uuid`; left out of the events when `None`.
    pub participant_uuid: Option<String>,
    pub user_name: String,
    pub email: String,
}

impl Participant {
    /// A participant with a fresh `participant_uuid`.
    pub fn new(
        user_id: impl Into<String>,
        user_name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            participant_uuid: Some(ids::participant_uuid()),
            user_name: user_name.into(),
            email: email.into(),
        }
    }

    /// The same participant without a `participant_uuid` (optional in Zoom's
    /// events).
    pub fn without_uuid(self) -> Self {
        Self {
            participant_uuid: None,
            ..self
        }
    }
}

/// One stay of a participant in the meeting; a rejoin is a second session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub participant: Participant,
    /// From the meeting's actual start.
    pub join_offset: Duration,
    /// From the meeting's actual start; at most [`Lifecycle::duration`].
    pub leave_offset: Duration,
}

impl Session {
    /// A session of (a clone of) `participant`.
    pub fn new(participant: &Participant, join_offset: Duration, leave_offset: Duration) -> Self {
        Self {
            participant: participant.clone(),
            join_offset,
            leave_offset,
        }
    }
}

/// What happens in one meeting instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub sessions: Vec<Session>,
    /// The actual meeting length (start to end).
    pub duration: Duration,
    /// Whether the meeting was cloud-recorded (`recording.completed`).
    pub with_recording: bool,
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).expect("lifecycle offsets fit in chrono's range")
}

fn meeting_instance(shared: &Shared, meeting: &Meeting) -> MeetingInstance {
    MeetingInstance {
        account_id: shared.accounts[meeting.account].account_id.clone(),
        id: meeting.id,
        uuid: meeting.uuid.clone(),
        host_id: meeting.host_id.clone(),
        host_email: meeting.host_email.clone(),
        topic: meeting.topic.clone(),
        kind: meeting.kind,
        start_time: meeting.start_time,
        timezone: meeting.timezone.clone(),
        duration: meeting.duration,
        password: meeting.password.clone(),
    }
}

/// The `leave_reason` of a participant leaving at `leave_offset`
/// (UNCONFIRMED: wording from Zoom's event reference, not observed traffic).
fn leave_reason(participant: &Participant, leave_offset: Duration, end: Duration) -> String {
    if leave_offset >= end {
        "Host ended the meeting.".to_owned()
    } else {
        format!("{} left the meeting.", participant.user_name)
    }
}

/// Where an event goes among those at the same instant: leaves first, then
/// joins, then the leaves of sessions that began at that instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Leave,
    Join,
    LeaveOfInstantSession,
}

impl Emulator {
    /// The instance of meeting `meeting_id` (any account) that
    /// [`crate::events`] functions describe: its stored UUID, its scheduled
    /// start as the actual start, its scheduled duration. `None` if unknown.
    pub fn meeting_instance(&self, meeting_id: &str) -> Option<MeetingInstance> {
        let id: u64 = meeting_id.parse().ok()?;
        let shared = self.shared();
        let state = shared.lock();
        state
            .meetings
            .get(&id)
            .map(|meeting| meeting_instance(shared, meeting))
    }

    /// Builds the events Zoom would send for meeting `meeting_id` (created
    /// earlier through the API), in order: `meeting.started`, every
    /// `meeting.participant_joined` / `meeting.participant_left` ordered by
    /// time, `meeting.ended`, and (if `with_recording`) `recording.completed`.
    ///
    /// The instance starts at the meeting's scheduled `start_time`, has its
    /// stored UUID and lasts `lifecycle.duration`. With a recording (an MP4,
    /// an M4A and a `TB` timeline file, from start to end), the same files
    /// are registered for `GET /meetings/{id}/recordings` (replacing an
    /// earlier recording of this instance), with the recording's `duration`
    /// the meeting's length in whole minutes, rounded up.
    ///
    /// Participants leaving at `lifecycle.duration` get the leave reason
    /// `Host ended the meeting.`, others `<user_name> left the meeting.`.
    ///
    /// # Panics
    /// If no meeting has this id, or a session leaves before it joins or
    /// after the meeting ends.
    pub fn lifecycle_events(&self, meeting_id: &str, lifecycle: &Lifecycle) -> Vec<Value> {
        let shared = self.shared();
        let mut state = shared.lock();
        let meeting = meeting_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.meetings.get(&id))
            .unwrap_or_else(|| panic!("lifecycle_events: no meeting {meeting_id}"));
        let instance = meeting_instance(shared, meeting);
        let account = meeting.account;
        let start = instance.start_time;
        let end = start + chrono_duration(lifecycle.duration);

        let mut timed: Vec<(DateTime<Utc>, Rank, Value)> = Vec::new();
        for session in &lifecycle.sessions {
            assert!(
                session.join_offset <= session.leave_offset,
                "lifecycle_events: {} leaves ({:?}) before joining ({:?})",
                session.participant.user_name,
                session.leave_offset,
                session.join_offset
            );
            assert!(
                session.leave_offset <= lifecycle.duration,
                "lifecycle_events: {} leaves ({:?}) after the meeting ends ({:?})",
                session.participant.user_name,
                session.leave_offset,
                lifecycle.duration
            );
            let join = start + chrono_duration(session.join_offset);
            let leave = start + chrono_duration(session.leave_offset);
            let reason = leave_reason(
                &session.participant,
                session.leave_offset,
                lifecycle.duration,
            );
            let leave_rank = if join == leave {
                Rank::LeaveOfInstantSession
            } else {
                Rank::Leave
            };
            timed.push((
                join,
                Rank::Join,
                events::participant_joined(&instance, &session.participant, join),
            ));
            timed.push((
                leave,
                leave_rank,
                events::participant_left(&instance, &session.participant, leave, Some(&reason)),
            ));
        }
        timed.sort_by_key(|(time, rank, _)| (*time, *rank));

        let mut out = Vec::with_capacity(timed.len() + 3);
        out.push(events::meeting_started(&instance));
        out.extend(timed.into_iter().map(|(_, _, event)| event));
        out.push(events::meeting_ended(&instance, end));

        if lifecycle.with_recording {
            let seconds = lifecycle.duration.as_secs();
            let minutes = u32::try_from(seconds.div_ceil(60)).unwrap_or(u32::MAX);
            let files = recordings::build_files_between(
                json!([
                    {"file_type": "MP4", "file_size": seconds * MP4_BYTES_PER_SECOND},
                    {"file_type": "M4A", "file_size": seconds * M4A_BYTES_PER_SECOND},
                    {"file_type": "TB"},
                ]),
                &instance.uuid,
                start,
                end,
                &shared.base_url,
            );
            let recording = Recording {
                uuid: instance.uuid.clone(),
                meeting_id: instance.id,
                account,
                host_id: instance.host_id.clone(),
                host_email: instance.host_email.clone(),
                topic: instance.topic.clone(),
                kind: instance.kind,
                start_time: start,
                timezone: instance.timezone.clone(),
                duration: minutes,
                password: instance.password.clone(),
                share_url: format!("{}/rec/share/{}", shared.base_url, ids::alphanumeric(40)),
                play_passcode: ids::alphanumeric(32),
                files,
            };
            let described = RecordingInstance {
                meeting: MeetingInstance {
                    duration: minutes,
                    ..instance
                },
                share_url: recording.share_url.clone(),
                recording_play_passcode: recording.play_passcode.clone(),
                recording_files: recording.files.clone(),
            };
            state
                .recordings
                .retain(|r| !(r.meeting_id == recording.meeting_id && r.uuid == recording.uuid));
            state.recordings.push(recording);
            let completed_at = end + chrono::Duration::minutes(RECORDING_DELAY_MINUTES);
            out.push(events::recording_completed(
                &described,
                &ids::download_token(),
                completed_at,
            ));
        }
        out
    }

    /// Signs and POSTs each of [`Emulator::lifecycle_events`] to `url` with
    /// `secret` ([`webhook::send`]), in order, whatever the answers; returns
    /// the HTTP statuses. Stops at the first request that gets no answer.
    pub async fn emit_lifecycle(
        &self,
        meeting_id: &str,
        lifecycle: &Lifecycle,
        url: &str,
        secret: &str,
    ) -> reqwest::Result<Vec<u16>> {
        let events = self.lifecycle_events(meeting_id, lifecycle);
        let mut statuses = Vec::with_capacity(events.len());
        for event in &events {
            let response = webhook::send(url, secret, event).await?;
            statuses.push(response.status().as_u16());
        }
        Ok(statuses)
    }
}
