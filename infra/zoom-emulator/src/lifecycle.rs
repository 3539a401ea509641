//! A meeting's whole life as Zoom's webhooks tell it: started, participants
//! joining and leaving, ended, and the cloud recording, which is also
//! registered for `GET /meetings/{id}/recordings`; the ended instance and its
//! sessions are registered for `GET /report/meetings/{id}/participants`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::download_tokens::{self, WEBHOOK_TOKEN_TTL};
use crate::emulator::Emulator;
use crate::events::{self, MeetingInstance};
use crate::ids;
use crate::participant::Participant;
use crate::recordings::{self, Recording};
use crate::report::{self, EndedInstance, Segment};
use crate::state::{Shared, State};
use crate::webhook;

/// How long after the meeting's end `recording.completed` is dated
/// (UNCONFIRMED: Zoom's processing time varies with the recording).
const RECORDING_DELAY_MINUTES: i64 = 5;
/// Bytes per second of the lifecycle recording's MP4 and M4A files.
const MP4_BYTES_PER_SECOND: u64 = 40_000;
const M4A_BYTES_PER_SECOND: u64 = 4_000;

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

/// Every participant's joins and leaves, ordered by time (then [`Rank`]).
fn participant_events(instance: &MeetingInstance, lifecycle: &Lifecycle) -> Vec<Value> {
    let start = instance.start_time;
    let mut timed: Vec<(DateTime<Utc>, Rank, Value)> = Vec::new();
    for session in &lifecycle.sessions {
        check_offsets(session, lifecycle.duration);
        let participant = &session.participant;
        let join = start + chrono_duration(session.join_offset);
        let leave = start + chrono_duration(session.leave_offset);
        let reason = leave_reason(participant, session.leave_offset, lifecycle.duration);
        let leave_rank = if join == leave {
            Rank::LeaveOfInstantSession
        } else {
            Rank::Leave
        };
        let joined = events::participant_joined(instance, participant, join);
        let left = events::participant_left(instance, participant, leave, Some(&reason));
        timed.push((join, Rank::Join, joined));
        timed.push((leave, leave_rank, left));
    }
    timed.sort_by_key(|(time, rank, _)| (*time, *rank));
    timed.into_iter().map(|(_, _, event)| event).collect()
}

/// Panics unless the session joins, then leaves, by the meeting's end.
fn check_offsets(session: &Session, meeting_duration: Duration) {
    let name = &session.participant.user_name;
    let (join, leave) = (session.join_offset, session.leave_offset);
    assert!(
        join <= leave,
        "lifecycle_events: {name} leaves ({leave:?}) before joining ({join:?})"
    );
    assert!(
        leave <= meeting_duration,
        "lifecycle_events: {name} leaves ({leave:?}) after the meeting ends ({meeting_duration:?})"
    );
}

/// The instance's cloud recording: an MP4, an M4A and a `TB` file from start
/// to end, its `duration` the meeting's length in whole minutes, rounded up.
fn lifecycle_recording(
    shared: &Shared,
    account: usize,
    instance: MeetingInstance,
    lifecycle: &Lifecycle,
) -> Recording {
    let seconds = lifecycle.duration.as_secs();
    let minutes = u32::try_from(seconds.div_ceil(60)).unwrap_or(u32::MAX);
    let start = instance.start_time;
    let files = recordings::build_files_between(
        json!([
            {"file_type": "MP4", "file_size": seconds * MP4_BYTES_PER_SECOND},
            {"file_type": "M4A", "file_size": seconds * M4A_BYTES_PER_SECOND},
            {"file_type": "TB"},
        ]),
        &instance.uuid,
        start,
        start + chrono_duration(lifecycle.duration),
        &shared.base_url,
    );
    let meeting = MeetingInstance {
        duration: minutes,
        ..instance
    };
    Recording::new(account, meeting, files, &shared.base_url)
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

/// The instance as its participant report lists it: a row per session.
fn ended_instance(
    account: usize,
    instance: &MeetingInstance,
    lifecycle: &Lifecycle,
) -> EndedInstance {
    let start = instance.start_time;
    let segments = lifecycle
        .sessions
        .iter()
        .map(|session| Segment {
            participant: session.participant.clone(),
            join: start + chrono_duration(session.join_offset),
            leave: start + chrono_duration(session.leave_offset),
        })
        .collect();
    EndedInstance {
        account,
        meeting_id: instance.id,
        uuid: instance.uuid.clone(),
        host_id: instance.host_id.clone(),
        start_time: start,
        segments,
    }
}

/// The account and instance of an occurrence (its UUID made if new).
fn occurrence_of(
    shared: &Shared,
    state: &mut State,
    meeting_id: &str,
    occurrence_id: &str,
) -> Option<(usize, MeetingInstance)> {
    let occurrence_id: i64 = occurrence_id.parse().ok()?;
    let meeting = state.meetings.get_mut(&meeting_id.parse().ok()?)?;
    let instance = meeting.occurrence_instance(shared, occurrence_id)?;
    Some((meeting.account, instance))
}

/// The events of one instance's `lifecycle`, registering its recording and
/// its end (see [`Emulator::lifecycle_events`]).
fn instance_events(
    shared: &Shared,
    state: &mut State,
    account: usize,
    instance: MeetingInstance,
    lifecycle: &Lifecycle,
) -> Vec<Value> {
    let end = instance.start_time + chrono_duration(lifecycle.duration);
    let ended = ended_instance(account, &instance, lifecycle);

    let mut out = Vec::with_capacity(2 * lifecycle.sessions.len() + 3);
    out.push(events::meeting_started(&instance));
    out.extend(participant_events(&instance, lifecycle));
    out.push(events::meeting_ended(&instance, end));
    if lifecycle.with_recording {
        let recording = lifecycle_recording(shared, account, instance, lifecycle);
        let (id, uuid) = (recording.meeting_id(), recording.uuid().to_owned());
        state
            .recordings
            .retain(|r| !(r.meeting_id() == id && r.uuid() == uuid));
        let completed_at = end + chrono::Duration::minutes(RECORDING_DELAY_MINUTES);
        let token = ids::download_token();
        download_tokens::grant(state, &recording, &token, WEBHOOK_TOKEN_TTL);
        out.push(events::recording_completed(
            &recording.instance,
            &token,
            completed_at,
        ));
        state.recordings.push(recording);
    }
    report::record(state, ended);
    out
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
            .map(|meeting| meeting.instance(shared))
    }

    /// Builds the events Zoom would send for meeting `meeting_id` (created
    /// earlier through the API), in order: `meeting.started`, every
    /// `meeting.participant_joined` / `meeting.participant_left` ordered by
    /// time, `meeting.ended`, and (if `with_recording`) `recording.completed`,
    /// whose top-level `download_token` downloads the recording's files for
    /// 24 hours (from when this is called).
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
    /// The instance is registered as ended, so `GET /report/meetings/{id or
    /// uuid}/participants` lists its sessions, one row each (replacing an
    /// earlier registration of this instance).
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
        let instance = meeting.instance(shared);
        let account = meeting.account;
        instance_events(shared, &mut state, account, instance, lifecycle)
    }

    /// Like [`Emulator::lifecycle_events`] for one occurrence of a type-8
    /// meeting (`occurrence_id` as `occurrences[]` lists it): every event
    /// carries the meeting's `id`, the occurrence's own instance `uuid` (new
    /// per occurrence, the same on every call for that occurrence; see
    /// [`Emulator::occurrence_instance`]) and the occurrence's `start_time`
    /// and `duration`, and no `occurrence_id` (Zoom's events have none,
    /// ZOOM-2.md D). The recording and the ended instance are registered
    /// under that UUID, so `GET /meetings/{uuid}/recordings` and the
    /// participant report tell occurrences apart; by numeric id they answer
    /// the latest.
    ///
    /// # Panics
    /// If the meeting has no such occurrence (or it is deleted), or as
    /// [`Emulator::lifecycle_events`] does.
    pub fn occurrence_lifecycle_events(
        &self,
        meeting_id: &str,
        occurrence_id: &str,
        lifecycle: &Lifecycle,
    ) -> Vec<Value> {
        let shared = self.shared();
        let mut state = shared.lock();
        let (account, instance) = occurrence_of(shared, &mut state, meeting_id, occurrence_id)
            .unwrap_or_else(|| {
                panic!("occurrence_lifecycle_events: no occurrence {occurrence_id} of meeting {meeting_id}")
            });
        instance_events(shared, &mut state, account, instance, lifecycle)
    }

    /// Signs and POSTs each of [`Emulator::occurrence_lifecycle_events`], as
    /// [`Emulator::emit_lifecycle`] does.
    pub async fn emit_occurrence_lifecycle(
        &self,
        meeting_id: &str,
        occurrence_id: &str,
        lifecycle: &Lifecycle,
        url: &str,
        secret: &str,
    ) -> reqwest::Result<Vec<u16>> {
        let events = self.occurrence_lifecycle_events(meeting_id, occurrence_id, lifecycle);
        let delivered = webhook::send_where(url, secret, &events, |_| true).await?;
        Ok(delivered.into_iter().flatten().collect())
    }

    /// The instance of occurrence `occurrence_id` of meeting `meeting_id`
    /// (any account) for [`crate::events`]: the meeting's `id`, the
    /// occurrence's UUID (made on first use, then kept), `start_time` and
    /// `duration`. `None` if unknown or deleted.
    pub fn occurrence_instance(
        &self,
        meeting_id: &str,
        occurrence_id: &str,
    ) -> Option<MeetingInstance> {
        let shared = self.shared();
        let mut state = shared.lock();
        occurrence_of(shared, &mut state, meeting_id, occurrence_id).map(|(_, i)| i)
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
        let delivered = self
            .emit_lifecycle_filtered(meeting_id, lifecycle, url, secret, |_| true)
            .await?;
        Ok(delivered.into_iter().flatten().collect())
    }

    /// Like [`Emulator::emit_lifecycle`], delivering only the events `deliver`
    /// accepts (as when Zoom gives up on a webhook): one entry per event of
    /// [`Emulator::lifecycle_events`], in order, the HTTP status of a
    /// delivered one, `None` for one dropped. The meeting ends (and its
    /// report and recording are registered) whatever was delivered.
    pub async fn emit_lifecycle_filtered(
        &self,
        meeting_id: &str,
        lifecycle: &Lifecycle,
        url: &str,
        secret: &str,
        deliver: impl FnMut(&Value) -> bool,
    ) -> reqwest::Result<Vec<Option<u16>>> {
        let events = self.lifecycle_events(meeting_id, lifecycle);
        webhook::send_where(url, secret, &events, deliver).await
    }
}
