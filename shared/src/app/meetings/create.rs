//! Creating a meeting: once per Idempotency-Key; reserve → create in Zoom →
//! commit, and every failure undoes what was done.

use chrono::{DateTime, Duration, Utc};

use super::booking::{Ask, Pick, RESERVATION_TTL, create_repair};
use super::commit::{COMMIT_WRITES, commit_writes};
use super::{Host, MeetingService};
use crate::deadline;
use crate::domain::meeting::{Meeting, MeetingStatus, NewMeeting};
use crate::domain::scheduling::Booking;
use crate::error::AppError;
use crate::repo::RepoError;
use crate::repo::idempotency::{Begin, IdempotencyRepo};
use crate::repo::meetings::{meeting_item, put_meeting, put_zoom_index, status_is};
use crate::repo::reconcile::schedule_reconcile;
use crate::repo::repairs::{RepairRecord, close_repair, open_repair};
use crate::store::{StoreError, Write};
use crate::zoom::ZoomError;
use crate::zoom::meetings::ZoomCreated;

/// Kept back from a step that Zoom or the store may fail, for undoing it:
/// the Zoom meeting deleted, the slot released.
pub(super) const UNDO_RESERVE: std::time::Duration = std::time::Duration::from_secs(5);
/// Kept back from a create in Zoom, for finding its meeting if the answer is lost.
const LOOKUP_RESERVE: std::time::Duration = std::time::Duration::from_secs(3);
/// Kept back from undoing in Zoom, for releasing the slot after it.
pub(super) const RELEASE_RESERVE: std::time::Duration = std::time::Duration::from_millis(1500);

/// How long a request waits for an earlier one with its Idempotency-Key.
const IDEMPOTENCY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// An Idempotency-Key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// A create's answer: the meeting, or the meeting an earlier request with
/// the same Idempotency-Key created (answered again as it was).
pub enum CreateOutcome {
    Created(Box<Meeting>),
    Replayed(Box<Meeting>),
}

/// The Zoom meeting a create ends with.
pub(super) enum Made {
    Created(ZoomCreated),
    /// Made by Zoom although its answer was lost (`ZoomError` is that loss).
    Adopted(ZoomCreated, ZoomError),
}

impl Made {
    fn zoom(&self) -> &ZoomCreated {
        match self {
            Made::Created(z) | Made::Adopted(z, _) => z,
        }
    }
}

fn new_meeting_id() -> String {
    format!("mtg_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The pending record of a meeting about to be reserved.
fn pending(academy_id: &str, new: &NewMeeting) -> Meeting {
    let now = Utc::now();
    Meeting {
        meeting_id: new_meeting_id(),
        academy_id: academy_id.to_owned(),
        license_id: String::new(),
        zoom_meeting_id: None,
        zoom_uuid: None,
        topic: new.topic.clone(),
        start_time: new.start_time,
        duration_minutes: new.duration_minutes,
        timezone: new.timezone.clone(),
        agenda: new.agenda.clone(),
        external_ref: new.external_ref.clone(),
        settings: new.settings.clone(),
        join_url: None,
        password: None,
        share_url: None,
        play_passcode: None,
        status: MeetingStatus::Pending,
        booking_rev: 1,
        held: Default::default(),
        series_id: None,
        occurrence_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

impl MeetingService {
    /// Creates a meeting, once per Idempotency-Key.
    pub async fn create(
        &self,
        academy_id: &str,
        new: NewMeeting,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<CreateOutcome, AppError> {
        let Some(idem) = idempotency else {
            let meeting = self.create_once(academy_id, &new, None).await?;
            return Ok(CreateOutcome::Created(Box::new(meeting)));
        };
        let attempt = match self.claim::<Meeting>(academy_id, &idem).await? {
            Ok(attempt) => attempt,
            Err(replayed) => return Ok(CreateOutcome::Replayed(replayed)),
        };
        match self
            .create_once(academy_id, &new, Some((&idem, &attempt)))
            .await
        {
            Ok(meeting) => Ok(CreateOutcome::Created(Box::new(meeting))),
            Err(e) => {
                let abandoned = self.idempotency.abandon(academy_id, &idem.key, &attempt);
                if let Err(abandon) = abandoned.await {
                    tracing::warn!(error = %abandon, "could not release an idempotency key");
                }
                Err(e)
            }
        }
    }

    /// Owns the key (`Ok(attempt)`) or finds the meeting its first request
    /// made (`Err(meeting)`), waiting a while for a first request still running.
    pub(super) async fn claim<T: serde::de::DeserializeOwned>(
        &self,
        academy_id: &str,
        idem: &IdempotencyKey,
    ) -> Result<Result<String, Box<T>>, AppError> {
        let started = std::time::Instant::now();
        let stale = RESERVATION_TTL + Duration::seconds(30);
        loop {
            let begun = self
                .idempotency
                .begin(academy_id, &idem.key, &idem.request_hash, stale);
            match begun.await? {
                Begin::Owner { attempt } => return Ok(Ok(attempt)),
                Begin::Replay { body, .. } => {
                    let meeting = serde_json::from_value(body)
                        .map_err(|e| AppError::Internal(format!("unreadable replay: {e}")))?;
                    return Ok(Err(Box::new(meeting)));
                }
                Begin::Mismatch => return Err(AppError::IdempotencyKeyReused),
                Begin::InProgress
                    if started.elapsed() < IDEMPOTENCY_WAIT
                        && deadline::sleep_if_fits(std::time::Duration::from_millis(50)).await => {}
                Begin::InProgress => return Err(AppError::IdempotencyInProgress),
            }
        }
    }

    async fn create_once(
        &self,
        academy_id: &str,
        new: &NewMeeting,
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<Meeting, AppError> {
        let mut meeting = pending(academy_id, new);
        let ask = Ask {
            academy_id,
            meeting_id: &meeting.meeting_id,
            rev: meeting.booking_rev,
            start: meeting.start_time,
            end: meeting.end_time(),
            pick: new.license_id.as_deref().map_or(Pick::Pool, Pick::Named),
        };
        // The repair record goes with the reservation: should this request
        // die before it commits or undoes, `maintenance` undoes.
        let reserved = self
            .reserve(&ask, |license, booking| {
                let mut record = meeting.clone();
                record.license_id.clone_from(&license.license_id);
                let repair = create_repair(academy_id, &license.license_id, booking);
                let repair = RepairRecord::new(repair, RESERVATION_TTL);
                vec![put_meeting(&record, None), open_repair(&repair)]
            })
            .await;
        let (license, booking) = reserved?;
        meeting.license_id.clone_from(&license.license_id);
        let host = match self.host(license).await {
            Ok(host) => host,
            Err(e) => {
                self.release(academy_id, &meeting.license_id, &booking)
                    .await;
                return Err(e);
            }
        };
        let asked = self.create_in_zoom(&host, new, &meeting, &[]);
        let mut made = match deadline::keeping(UNDO_RESERVE, asked).await {
            Ok(made) => made,
            Err(e) => {
                self.release(academy_id, &meeting.license_id, &booking)
                    .await;
                return Err(e.into());
            }
        };
        let mut taken = Vec::new();
        loop {
            let committed = self.commit(&meeting, &booking, made.zoom(), idempotency);
            match deadline::keeping(UNDO_RESERVE, committed).await {
                Ok(scheduled) => return Ok(scheduled),
                // Another create of ours adopted this Zoom meeting first: look again.
                Err(e) if e.failed_at(COMMIT_WRITES) && matches!(made, Made::Adopted(..)) => {
                    taken.push(made.zoom().id.clone());
                    made = match self
                        .create_in_zoom_again(&host, new, &meeting, &taken, made)
                        .await
                    {
                        Ok(again) => again,
                        Err(lost) => {
                            self.release(academy_id, &meeting.license_id, &booking)
                                .await;
                            return Err(lost.into());
                        }
                    };
                }
                Err(e) => {
                    let undo = self.commit_failed(&host, &meeting, &booking, made.zoom(), e);
                    return Err(undo.await);
                }
            }
        }
    }

    /// Asks Zoom for the meeting. With no answer (or a failure on Zoom's
    /// side) Zoom may have created it all the same: look before giving up,
    /// so no Zoom meeting is left that nobody knows about.
    async fn create_in_zoom(
        &self,
        host: &Host,
        new: &NewMeeting,
        meeting: &Meeting,
        taken: &[String],
    ) -> Result<Made, ZoomError> {
        let asked_at = Utc::now();
        let asked = self.zoom.create_meeting(&host.creds, &host.user, new);
        // Time is kept for looking the meeting up should the answer be lost.
        match deadline::keeping(LOOKUP_RESERVE, asked).await {
            Ok(created) => Ok(Made::Created(created)),
            Err(e) if e.is_unavailable() && !e.was_not_sent() => {
                self.adopt_or(host, new, meeting, asked_at, taken, e).await
            }
            Err(e) => Err(e),
        }
    }

    /// After losing an adopted Zoom meeting to another create: the next match, if any.
    async fn create_in_zoom_again(
        &self,
        host: &Host,
        new: &NewMeeting,
        meeting: &Meeting,
        taken: &[String],
        lost: Made,
    ) -> Result<Made, ZoomError> {
        let Made::Adopted(_, answer_lost) = lost else {
            unreachable!("only an adopted meeting is looked for again")
        };
        self.adopt_or(host, new, meeting, meeting.created_at, taken, answer_lost)
            .await
    }

    /// Records Zoom's id on the pending meeting, then commits in one transaction.
    async fn commit(
        &self,
        meeting: &Meeting,
        booking: &Booking,
        zoom: &ZoomCreated,
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<Meeting, StoreError> {
        let mut scheduled = meeting.clone();
        scheduled.zoom_meeting_id = Some(zoom.id.clone());
        scheduled.zoom_uuid.clone_from(&zoom.uuid);
        scheduled.join_url.clone_from(&zoom.join_url);
        scheduled.password.clone_from(&zoom.password);
        self.meetings
            .record_zoom_id(&scheduled)
            .await
            .map_err(store_error)?;
        scheduled.status = MeetingStatus::Scheduled;
        scheduled.updated_at = Utc::now();
        let record = Write::put_if(meeting_item(&scheduled), status_is(MeetingStatus::Pending));
        let mut writes = commit_writes(booking, record, &scheduled);
        writes.extend(put_zoom_index(&scheduled));
        if let Some((idem, attempt)) = idempotency {
            let finish = IdempotencyRepo::finish(
                &meeting.academy_id,
                &idem.key,
                attempt,
                &idem.request_hash,
                201,
                &scheduled,
            );
            writes.push(finish);
        }
        let repair = create_repair(&meeting.academy_id, &meeting.license_id, booking);
        writes.push(close_repair(&repair));
        // Once it ended, its attendance is reconciled with Zoom's report.
        let academy = &scheduled.academy_id;
        writes.push(schedule_reconcile(
            academy,
            &scheduled.meeting_id,
            scheduled.end_time(),
        ));
        self.meetings.write(writes).await.map_err(store_error)?;
        self.caches.committed(&scheduled.license_id, booking);
        tracing::info!(meeting_id = %scheduled.meeting_id, license_id = %scheduled.license_id, "meeting created");
        Ok(scheduled)
    }

    /// Zoom has a meeting nobody will know about: take it back, free the slot.
    async fn commit_failed(
        &self,
        host: &Host,
        meeting: &Meeting,
        booking: &Booking,
        zoom: &ZoomCreated,
        e: StoreError,
    ) -> AppError {
        let undone = self.zoom.delete_meeting(&host.creds, &zoom.id);
        if let Err(undo) = deadline::keeping(RELEASE_RESERVE, undone).await {
            tracing::error!(meeting_id = %meeting.meeting_id, error = %undo, "could not delete an uncommitted Zoom meeting; its id is recorded on the pending meeting");
            return RepoError::Store(e).into();
        }
        self.release(&meeting.academy_id, &meeting.license_id, booking)
            .await;
        match e {
            StoreError::ConditionFailed { .. } => AppError::SlotConflict {
                license_id: Some(meeting.license_id.clone()),
                conflicts: Vec::new(),
            },
            other => RepoError::Store(other).into(),
        }
    }
}

fn store_error(e: RepoError) -> StoreError {
    match e {
        RepoError::Store(e) => e,
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// When a create went out: lookups accept meetings Zoom made since shortly before.
pub(super) fn created_since(asked_at: DateTime<Utc>) -> DateTime<Utc> {
    asked_at - Duration::minutes(5)
}
