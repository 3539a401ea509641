//! Meeting use cases over the license pool. A create reserves a slot on a
//! license (optimistic lock on the license's schedule), creates the meeting in
//! Zoom, records Zoom's id, then commits; every failure undoes what was done.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::caches::BookingCaches;
use super::licenses::LicenseService;
use super::verify::credentials;
use crate::domain::license::{License, LicenseStatus};
use crate::domain::meeting::{Meeting, MeetingJoin, MeetingPatch, MeetingStatus, NewMeeting};
use crate::domain::scheduling::{Booking, BookingState, conflicts, expired};
use crate::error::{AppError, Conflict};
use crate::repo::idempotency::{Begin, IdempotencyRepo};
use crate::repo::meetings::{
    MeetingFilter, MeetingPage, MeetingRepo, delete_calendar, put_calendar, put_meeting,
    put_zoom_index, status_is,
};
use crate::repo::schedule::{ScheduleRepo, ScheduleView, booking_key, put_booking, remove_booking};
use crate::repo::{RepoError, keys, to_item};
use crate::store::{Condition, Store, Write};
use crate::zoom::encode::{meeting_ref, percent_encode};
use crate::zoom::types::id_string;
use crate::zoom::{ZoomClient, ZoomCredentials, ZoomError};

/// How long a reservation holds its slot while Zoom is asked.
pub const RESERVATION_TTL: Duration = Duration::seconds(60);
/// Reads and re-checks before a busy schedule is reported as unavailable.
const BOOKING_ATTEMPTS: usize = 25;
/// How long a request waits for an earlier one with its Idempotency-Key.
const IDEMPOTENCY_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// What Zoom's create answer carries that we keep (never `start_url`).
#[derive(Debug, Deserialize)]
struct ZoomCreated {
    #[serde(deserialize_with = "id_string")]
    id: String,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    join_url: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Pages of the host's upcoming meetings read when looking for a meeting
/// whose create went unanswered.
const LOOKUP_PAGES: usize = 5;

/// One page of `GET /users/{userId}/meetings`, as far as the lookup reads it.
#[derive(Deserialize)]
struct ZoomMeetingPage {
    #[serde(default)]
    meetings: Vec<ZoomListedMeeting>,
    #[serde(default)]
    next_page_token: String,
}

#[derive(Deserialize)]
struct ZoomListedMeeting {
    #[serde(deserialize_with = "id_string")]
    id: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    duration: Option<u32>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

/// An Idempotency-Key and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub request_hash: String,
}

/// A create's answer: the meeting, or the replay of an earlier answer.
pub enum CreateOutcome {
    Created(Box<Meeting>),
    Replayed { status: u16, body: Value },
}

#[derive(Clone)]
pub struct MeetingService {
    caches: Arc<BookingCaches>,
    licenses: LicenseService,
    zoom: ZoomClient,
    meetings: MeetingRepo,
    schedule: ScheduleRepo,
    idempotency: IdempotencyRepo,
}

struct Host {
    creds: ZoomCredentials,
    user: String,
}

fn new_meeting_id() -> String {
    format!("mtg_{}", ulid::Ulid::new().to_string().to_lowercase())
}

fn slot_conflict(bookings: &[&Booking], license_id: &str) -> AppError {
    AppError::SlotConflict {
        license_id: Some(license_id.to_owned()),
        conflicts: bookings
            .iter()
            .map(|b| Conflict {
                meeting_id: b.meeting_id.clone(),
                start_time: b.start_time,
                end_time: b.end_time,
            })
            .collect(),
    }
}

/// Jittered pause before booking again after losing a race. Exponential (10
/// ms doubling, capped at 640 ms) so that on a slow store losers spread out
/// instead of colliding again on every attempt.
async fn pause(attempt: usize) {
    let ceiling = (10u64 << attempt.min(6)).min(640);
    tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(
        1..=ceiling,
    )))
    .await;
}

impl MeetingService {
    pub fn new(store: Arc<dyn Store>, licenses: LicenseService, zoom: ZoomClient) -> Self {
        Self {
            caches: Arc::new(BookingCaches::default()),
            licenses,
            zoom,
            meetings: MeetingRepo::new(store.clone()),
            schedule: ScheduleRepo::new(store.clone()),
            idempotency: IdempotencyRepo::new(store),
        }
    }

    async fn host(&self, license: License) -> Result<Host, AppError> {
        let secrets = self.licenses.secrets_of(&license).await?;
        let creds = credentials(&license, &secrets);
        let user = license
            .zoom_user_id
            .clone()
            .unwrap_or_else(|| license.host_user.clone());
        Ok(Host { creds, user })
    }

    pub async fn get(&self, academy_id: &str, meeting_id: &str) -> Result<Meeting, AppError> {
        match self.meetings.get(academy_id, meeting_id).await? {
            Some(m) if visible(m.status) => Ok(m),
            _ => Err(AppError::MeetingNotFound),
        }
    }

    /// What a signature needs of a meeting; not found as [`Self::get`].
    pub async fn join_info(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<MeetingJoin, AppError> {
        match self
            .meetings
            .get_as::<MeetingJoin>(academy_id, meeting_id)
            .await?
        {
            Some(m) if visible(m.status) => Ok(m),
            _ => Err(AppError::MeetingNotFound),
        }
    }

    pub async fn list(
        &self,
        academy_id: &str,
        filter: &MeetingFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<MeetingPage, AppError> {
        Ok(self.meetings.list(academy_id, filter, after, limit).await?)
    }

    /// Creates a meeting, once per Idempotency-Key.
    pub async fn create(
        &self,
        academy_id: &str,
        new: NewMeeting,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<CreateOutcome, AppError> {
        let Some(idem) = idempotency else {
            return self
                .create_once(academy_id, &new, None)
                .await
                .map(|m| CreateOutcome::Created(Box::new(m)));
        };
        let started = std::time::Instant::now();
        let stale = RESERVATION_TTL + Duration::seconds(30);
        let attempt = loop {
            match self
                .idempotency
                .begin(academy_id, &idem.key, &idem.request_hash, stale)
                .await?
            {
                Begin::Owner { attempt } => break attempt,
                Begin::Replay { status, body } => {
                    return Ok(CreateOutcome::Replayed { status, body });
                }
                Begin::Mismatch => return Err(AppError::IdempotencyKeyReused),
                Begin::InProgress if started.elapsed() < IDEMPOTENCY_WAIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Begin::InProgress => return Err(AppError::IdempotencyInProgress),
            }
        };
        let owned = Some((&idem, attempt.as_str()));
        match self.create_once(academy_id, &new, owned).await {
            Ok(meeting) => Ok(CreateOutcome::Created(Box::new(meeting))),
            Err(e) => {
                if let Err(abandon) = self
                    .idempotency
                    .abandon(academy_id, &idem.key, &attempt)
                    .await
                {
                    tracing::warn!(error = %abandon, "could not release an idempotency key");
                }
                Err(e)
            }
        }
    }

    /// The licenses a meeting may go to (from the cache while fresh: the
    /// booking transaction checks the chosen license's version).
    async fn candidates(
        &self,
        academy_id: &str,
        new: &NewMeeting,
    ) -> Result<Vec<License>, AppError> {
        if let Some(id) = &new.license_id {
            let license = match self.caches.license(academy_id, id) {
                Some(l) => l,
                None => {
                    let l = self.licenses.get(academy_id, id).await?;
                    self.caches.put_license(&l);
                    l
                }
            };
            if license.status == LicenseStatus::Invalid {
                return Err(AppError::LicenseInvalid);
            }
            return Ok(vec![license]);
        }
        let all = match self.caches.pool(academy_id) {
            Some(pool) => pool,
            None => {
                let mut all = Vec::new();
                let mut after = None;
                loop {
                    let page = self.licenses.list(academy_id, after, 200).await?;
                    all.extend(page.items);
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
                self.caches.put_pool(academy_id, &all);
                all
            }
        };
        let usable: Vec<License> = all
            .into_iter()
            .filter(|l| l.status != LicenseStatus::Invalid)
            .collect();
        if usable.is_empty() {
            return Err(AppError::NoLicenseAvailable);
        }
        Ok(usable)
    }

    /// A license's bookings around `[start, end)`: from the cache when it
    /// covers them (`true`), else read from the store (and cached).
    async fn schedule_view(
        &self,
        license_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        fresh: bool,
    ) -> Result<(ScheduleView, bool), AppError> {
        if !fresh
            && let Some(view) = self
                .caches
                .schedule(license_id)
                .and_then(|s| s.view(license_id, start, end))
        {
            return Ok((view, true));
        }
        let from = crate::domain::scheduling::window_floor(start.min(Utc::now()));
        let schedule = self.schedule.load(license_id, from).await?;
        let view = schedule
            .view(license_id, start, end)
            .expect("a schedule loaded from the window floor covers the window");
        self.caches.put_schedule(license_id, schedule);
        Ok((view, false))
    }

    /// Reserves a slot: re-reads and re-checks whenever another booking won the race.
    async fn reserve(
        &self,
        new: &NewMeeting,
        pending: &mut Meeting,
    ) -> Result<(License, Booking), AppError> {
        let named = new.license_id.is_some();
        let (start, end) = (pending.start_time, pending.end_time());
        let mut fresh = false;
        let mut attempt = 0;
        while attempt < BOOKING_ATTEMPTS {
            let candidates = self.candidates(&pending.academy_id, new).await?;
            let now = Utc::now();
            let views = futures::future::try_join_all(
                candidates
                    .iter()
                    .map(|l| self.schedule_view(&l.license_id, start, end, fresh)),
            )
            .await?;
            // A cached reservation is taken as holding even past its expiry:
            // only a fresh read may free its place.
            let at = |cached: bool| {
                if cached {
                    DateTime::<Utc>::MIN_UTC
                } else {
                    now
                }
            };
            // Least booked around the meeting first; ties by license id.
            let mut order: Vec<(usize, &License, &ScheduleView, bool)> = candidates
                .iter()
                .zip(&views)
                .map(|(l, (v, cached))| {
                    let load = v.bookings.iter().filter(|b| b.holds(at(*cached))).count();
                    (load, l, v, *cached)
                })
                .collect();
            order.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| a.1.license_id.cmp(&b.1.license_id))
            });
            let free = order.iter().find(|(_, l, v, cached)| {
                let max = usize::from(l.max_concurrent_meetings);
                conflicts(&v.bookings, start, end, max, at(*cached), None).is_none()
            });
            let Some((_, license, view, cached)) = free else {
                if views.iter().any(|(_, cached)| *cached) {
                    // Decided on cached schedules: make sure with fresh ones.
                    fresh = true;
                    continue;
                }
                if named {
                    let view = &views[0].0;
                    let max = usize::from(candidates[0].max_concurrent_meetings);
                    let busy =
                        conflicts(&view.bookings, start, end, max, now, None).unwrap_or_default();
                    return Err(slot_conflict(&busy, &candidates[0].license_id));
                }
                return Err(AppError::NoLicenseAvailable);
            };
            pending.license_id = license.license_id.clone();
            let booking = Booking {
                meeting_id: pending.meeting_id.clone(),
                rev: pending.booking_rev,
                start_time: start,
                end_time: end,
                state: BookingState::Pending,
                expires_at: Some(now + RESERVATION_TTL),
            };
            let mut writes = vec![
                view.bump(),
                put_booking(&license.license_id, &booking),
                put_meeting(pending, None),
                // The license as it was when chosen (status, capacity).
                Write::Check {
                    key: keys::license(&license.academy_id, &license.license_id),
                    condition: Condition::AttrEquals(
                        "version".into(),
                        Value::from(license.version),
                    ),
                },
            ];
            // Reservations abandoned by a crash give their place up here.
            let stale: Vec<Booking> = if *cached {
                Vec::new()
            } else {
                expired(&view.bookings, now)
                    .into_iter()
                    .take(50)
                    .cloned()
                    .collect()
            };
            writes.extend(stale.iter().map(|b| remove_booking(&license.license_id, b)));
            match self.meetings.write(writes).await {
                Ok(()) => {
                    self.caches
                        .reserved(&license.license_id, view.version, &booking, &stale);
                    for b in &stale {
                        self.resolve_abandoned(&pending.academy_id, &b.meeting_id)
                            .await;
                    }
                    return Ok(((*license).clone(), booking));
                }
                Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => {
                    // Somebody booked (or changed the license) meanwhile: read again.
                    self.caches
                        .forget_license(&license.academy_id, &license.license_id);
                    if !*cached {
                        pause(attempt).await;
                    }
                    fresh = true;
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the schedule kept changing".into(),
        ))
    }

    /// Cleans up after a create that never finished: its Zoom meeting (if
    /// recorded) is deleted and the record marked failed.
    async fn resolve_abandoned(&self, academy_id: &str, meeting_id: &str) {
        let Ok(Some(meeting)) = self.meetings.get(academy_id, meeting_id).await else {
            return;
        };
        if meeting.status != MeetingStatus::Pending {
            return;
        }
        if let Some(zoom_id) = &meeting.zoom_meeting_id
            && let Ok(license) = self.licenses.get(academy_id, &meeting.license_id).await
            && let Ok(host) = self.host(license).await
        {
            self.delete_in_zoom(&host.creds, zoom_id).await.ok();
        }
        let mut failed = meeting.clone();
        failed.status = MeetingStatus::Failed;
        let _ = self
            .meetings
            .write(vec![Write::put_if(
                crate::repo::meetings::meeting_item(&failed),
                status_is(MeetingStatus::Pending),
            )])
            .await;
        tracing::info!(meeting_id, "abandoned reservation resolved");
    }

    async fn delete_in_zoom(
        &self,
        creds: &ZoomCredentials,
        zoom_id: &str,
    ) -> Result<(), ZoomError> {
        let path = format!("/meetings/{}", meeting_ref(zoom_id));
        match self
            .zoom
            .call(creds, Method::DELETE, &path, &[], None)
            .await
        {
            Ok(_) => Ok(()),
            // Already gone in Zoom: what we wanted.
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Undoes a reservation: booking, pending meeting (and nothing else exists yet).
    async fn release(&self, meeting: &Meeting, booking: &Booking) {
        self.caches.forget_schedule(&meeting.license_id);
        let writes = vec![
            Write::delete_if(booking_key(&meeting.license_id, booking), Condition::Exists),
            Write::delete_if(
                keys::meeting(&meeting.academy_id, &meeting.meeting_id),
                status_is(MeetingStatus::Pending),
            ),
        ];
        if let Err(e) = self.meetings.write(writes).await {
            // The reservation expires on its own; the next booking clears it.
            tracing::warn!(meeting_id = %meeting.meeting_id, error = %e, "could not release a reservation");
        }
    }

    /// The meeting a create that went unanswered made in Zoom, if it did: an
    /// upcoming meeting of the host with the topic, start and duration asked
    /// for, created since the request, that no meeting of ours holds. The
    /// license's slot was reserved for it, so nothing else of ours matches.
    async fn find_created(
        &self,
        host: &Host,
        new: &NewMeeting,
        asked_at: DateTime<Utc>,
    ) -> Result<Option<ZoomCreated>, ZoomError> {
        let path = format!("/users/{}/meetings", percent_encode(&host.user));
        let mut page_token = String::new();
        for _ in 0..LOOKUP_PAGES {
            let mut query = vec![("type", "upcoming"), ("page_size", "300")];
            if !page_token.is_empty() {
                query.push(("next_page_token", page_token.as_str()));
            }
            let page: ZoomMeetingPage = self
                .zoom
                .call(&host.creds, Method::GET, &path, &query, None)
                .await?
                .json()?;
            for listed in page.meetings {
                let same = listed.topic == new.topic
                    && listed.start_time == Some(new.start_time)
                    && listed.duration == Some(new.duration_minutes)
                    && listed
                        .created_at
                        .is_none_or(|at| at >= asked_at - Duration::minutes(5));
                if !same
                    || self
                        .meetings
                        .holds_zoom_id(&listed.id)
                        .await
                        .unwrap_or(true)
                {
                    continue;
                }
                let path = format!("/meetings/{}", meeting_ref(&listed.id));
                let found: ZoomCreated = self
                    .zoom
                    .call(&host.creds, Method::GET, &path, &[], None)
                    .await?
                    .json()?;
                return Ok(Some(found));
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Ok(None)
    }

    async fn create_once(
        &self,
        academy_id: &str,
        new: &NewMeeting,
        idempotency: Option<(&IdempotencyKey, &str)>,
    ) -> Result<Meeting, AppError> {
        let now = Utc::now();
        let mut meeting = Meeting {
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
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let (license, booking) = self.reserve(new, &mut meeting).await?;
        let host = match self.host(license).await {
            Ok(host) => host,
            Err(e) => {
                self.release(&meeting, &booking).await;
                return Err(e);
            }
        };
        let path = format!("/users/{}/meetings", percent_encode(&host.user));
        let asked_at = Utc::now();
        let created = self
            .zoom
            .call(&host.creds, Method::POST, &path, &[], Some(&new.to_zoom()))
            .await
            .and_then(|r| r.json::<ZoomCreated>());
        let created = match created {
            Ok(created) => created,
            // No answer (or a failure on Zoom's side): Zoom may have created
            // the meeting all the same. Look before giving the slot back, so
            // no Zoom meeting is left that nobody knows about.
            Err(e) if e.is_unavailable() => match self.find_created(&host, new, asked_at).await {
                Ok(Some(created)) => {
                    tracing::warn!(meeting_id = %meeting.meeting_id, zoom_meeting_id = %created.id, error = %e, "Zoom created the meeting but its answer was lost: adopted");
                    created
                }
                Ok(None) => {
                    self.release(&meeting, &booking).await;
                    return Err(e.into());
                }
                Err(lookup) => {
                    tracing::warn!(meeting_id = %meeting.meeting_id, error = %e, lookup = %lookup, "a create went unanswered and Zoom's meeting list could not be read: a Zoom meeting may be left over");
                    self.release(&meeting, &booking).await;
                    return Err(e.into());
                }
            },
            Err(e) => {
                self.release(&meeting, &booking).await;
                return Err(e.into());
            }
        };
        meeting.zoom_meeting_id = Some(created.id.clone());
        meeting.zoom_uuid = created.uuid;
        meeting.join_url = created.join_url;
        meeting.password = created.password;
        let mut writes = Vec::new();
        let committed = async {
            self.meetings.record_zoom_id(&meeting).await?;
            let mut scheduled = meeting.clone();
            scheduled.status = MeetingStatus::Scheduled;
            scheduled.updated_at = Utc::now();
            let mut committed_booking = booking.clone();
            committed_booking.state = BookingState::Committed;
            committed_booking.expires_at = None;
            writes.push(Write::put_if(
                to_item(
                    &booking_key(&scheduled.license_id, &booking),
                    &committed_booking,
                ),
                Condition::AttrEquals("expiresAt".into(), json!(booking.expires_at)),
            ));
            writes.push(Write::put_if(
                crate::repo::meetings::meeting_item(&scheduled),
                status_is(MeetingStatus::Pending),
            ));
            writes.push(put_calendar(&scheduled));
            writes.extend(put_zoom_index(&scheduled));
            if let Some((idem, attempt)) = idempotency {
                writes.push(IdempotencyRepo::finish(
                    academy_id,
                    &idem.key,
                    attempt,
                    &idem.request_hash,
                    201,
                    scheduled.view(),
                ));
            }
            self.meetings.write(std::mem::take(&mut writes)).await?;
            Ok::<Meeting, RepoError>(scheduled)
        }
        .await;
        match committed {
            Ok(scheduled) => {
                self.caches.committed(&scheduled.license_id, &booking);
                tracing::info!(meeting_id = %scheduled.meeting_id, license_id = %scheduled.license_id, "meeting created");
                Ok(scheduled)
            }
            Err(e) => {
                // Zoom has a meeting nobody will know about: take it back.
                if let Err(undo) = self.delete_in_zoom(&host.creds, &created.id).await {
                    tracing::error!(meeting_id = %meeting.meeting_id, error = %undo, "could not delete an uncommitted Zoom meeting; its id is recorded on the pending meeting");
                    return Err(e.into());
                }
                self.release(&meeting, &booking).await;
                Err(match e {
                    RepoError::Store(crate::store::StoreError::ConditionFailed { .. }) => {
                        AppError::SlotConflict {
                            license_id: Some(meeting.license_id.clone()),
                            conflicts: Vec::new(),
                        }
                    }
                    other => other.into(),
                })
            }
        }
    }

    /// Reschedules or edits a meeting; a new time is booked before Zoom is
    /// told, and the old slot freed in the transaction that commits. One edit
    /// of a meeting at a time: edits racing for it get `412 version_conflict`
    /// before they tell Zoom anything, so Zoom never keeps the time of an
    /// edit that lost (nor loses the winner's to the loser's undo).
    pub async fn patch(
        &self,
        academy_id: &str,
        meeting_id: &str,
        patch: MeetingPatch,
    ) -> Result<Meeting, AppError> {
        self.get(academy_id, meeting_id).await?;
        let Some(token) = self.lock_edit(academy_id, meeting_id).await? else {
            let current = self.get(academy_id, meeting_id).await?;
            return Err(AppError::VersionConflict {
                current: current.version,
            });
        };
        let result = self.patch_locked(academy_id, meeting_id, patch).await;
        let unlock = Write::delete_if(
            keys::meeting_edit(academy_id, meeting_id),
            Condition::AttrEquals("token".into(), json!(token)),
        );
        if let Err(e) = self.meetings.write(vec![unlock]).await {
            // It expires on its own.
            tracing::warn!(meeting_id, error = %e, "could not release a meeting edit lock");
        }
        result
    }

    /// Takes the meeting's edit lock (or one left by an edit that crashed,
    /// once expired): `Some(token)`, or `None` while another edit holds it.
    async fn lock_edit(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<Option<String>, AppError> {
        let key = keys::meeting_edit(academy_id, meeting_id);
        let token = ulid::Ulid::new().to_string();
        let now = Utc::now();
        let expires = now + RESERVATION_TTL;
        let item = to_item(
            &key,
            &json!({"token": token, "expiresAt": expires.timestamp(),
                    crate::store::TTL_ATTRIBUTE: (expires + Duration::days(1)).timestamp()}),
        );
        let condition = match self.meetings.get_item(&key).await? {
            None => Condition::NotExists,
            Some(held) if held.get("expiresAt").and_then(Value::as_i64) < Some(now.timestamp()) => {
                Condition::AttrEquals(
                    "token".into(),
                    held.get("token").cloned().unwrap_or_default(),
                )
            }
            Some(_) => return Ok(None),
        };
        match self
            .meetings
            .write(vec![Write::put_if(item, condition)])
            .await
        {
            Ok(()) => Ok(Some(token)),
            Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn patch_locked(
        &self,
        academy_id: &str,
        meeting_id: &str,
        patch: MeetingPatch,
    ) -> Result<Meeting, AppError> {
        let current = self.get(academy_id, meeting_id).await?;
        if current.status != MeetingStatus::Scheduled {
            return Err(AppError::MeetingNotEditable);
        }
        self.caches.forget_schedule(&current.license_id);
        let mut next = patch.apply(&current);
        if next == current {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at = Utc::now();
        let moved = next.start_time != current.start_time || next.end_time() != current.end_time();
        let license = self.licenses.get(academy_id, &current.license_id).await?;
        let host = self.host(license.clone()).await?;
        let zoom_id = current
            .zoom_meeting_id
            .clone()
            .ok_or(AppError::MeetingNotEditable)?;
        let path = format!("/meetings/{}", meeting_ref(&zoom_id));
        let body = patch.to_zoom(&next);

        if !moved {
            if let Err(e) = self
                .zoom
                .call(&host.creds, Method::PATCH, &path, &[], Some(&body))
                .await
            {
                return Err(self.patch_refused(academy_id, meeting_id, e).await);
            }
            let writes = vec![put_meeting(&next, Some(&current)), put_calendar(&next)];
            return match self.meetings.write(writes).await {
                Ok(()) => Ok(next),
                Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => {
                    Err(AppError::VersionConflict {
                        current: current.version,
                    })
                }
                Err(e) => Err(e.into()),
            };
        }

        // Reserve the new time (the meeting's own booking does not count against it).
        next.booking_rev = current.booking_rev + 1;
        let (start, end) = (next.start_time, next.end_time());
        let mut reserved = None;
        for attempt in 0..BOOKING_ATTEMPTS {
            let now = Utc::now();
            let view = self.schedule.read(&license.license_id, start, end).await?;
            let max = usize::from(license.max_concurrent_meetings);
            if let Some(busy) = conflicts(&view.bookings, start, end, max, now, Some(meeting_id)) {
                return Err(slot_conflict(&busy, &license.license_id));
            }
            let booking = Booking {
                meeting_id: meeting_id.to_owned(),
                rev: next.booking_rev,
                start_time: start,
                end_time: end,
                state: BookingState::Pending,
                expires_at: Some(now + RESERVATION_TTL),
            };
            let writes = vec![view.bump(), put_booking(&license.license_id, &booking)];
            match self.meetings.write(writes).await {
                Ok(()) => {
                    reserved = Some(booking);
                    break;
                }
                Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => {
                    pause(attempt).await
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(booking) = reserved else {
            return Err(AppError::StoreUnavailable(
                "the schedule kept changing".into(),
            ));
        };
        let release_new = || async {
            let write = remove_booking(&license.license_id, &booking);
            if let Err(e) = self.meetings.write(vec![write]).await {
                tracing::warn!(meeting_id, error = %e, "could not release a reservation");
            }
        };
        if let Err(e) = self
            .zoom
            .call(&host.creds, Method::PATCH, &path, &[], Some(&body))
            .await
        {
            if e.is_unavailable() {
                // No answer (or a failure on Zoom's side): Zoom may have moved
                // the meeting all the same. Put it back where it still is for
                // us, so Zoom never holds a time the schedule did not book.
                self.put_back(&host.creds, &path, &current).await;
            }
            release_new().await;
            return Err(self.patch_refused(academy_id, meeting_id, e).await);
        }
        let mut committed_booking = booking.clone();
        committed_booking.state = BookingState::Committed;
        committed_booking.expires_at = None;
        let old_booking = current.booking();
        let mut writes = vec![
            Write::put_if(
                to_item(
                    &booking_key(&license.license_id, &booking),
                    &committed_booking,
                ),
                Condition::AttrEquals("expiresAt".into(), json!(booking.expires_at)),
            ),
            Write::Delete {
                key: booking_key(&license.license_id, &old_booking),
                condition: None,
            },
            put_meeting(&next, Some(&current)),
            put_calendar(&next),
        ];
        if next.start_time != current.start_time {
            writes.push(delete_calendar(&current));
        }
        match self.meetings.write(writes).await {
            Ok(()) => Ok(next),
            Err(e) => {
                self.put_back(&host.creds, &path, &current).await;
                release_new().await;
                Err(match e {
                    RepoError::Store(crate::store::StoreError::ConditionFailed { .. }) => {
                        AppError::VersionConflict {
                            current: current.version,
                        }
                    }
                    other => other.into(),
                })
            }
        }
    }

    /// Puts Zoom's meeting back at the time and length it has for us.
    async fn put_back(&self, creds: &ZoomCredentials, path: &str, current: &Meeting) {
        let back = json!({
            "start_time": crate::domain::meeting::zoom_time(&current.start_time),
            "duration": current.duration_minutes,
        });
        if let Err(undo) = self
            .zoom
            .call(creds, Method::PATCH, path, &[], Some(&back))
            .await
        {
            tracing::error!(meeting_id = %current.meeting_id, error = %undo, "Zoom may have the new time but the store kept the old one");
        }
    }

    /// What a Zoom refusal of a reschedule means: a meeting Zoom no longer
    /// has because a concurrent delete removed it is `meeting_not_editable`
    /// (409, as for a reschedule after the delete), not a gateway error.
    async fn patch_refused(&self, academy_id: &str, meeting_id: &str, e: ZoomError) -> AppError {
        if e.is_not_found() {
            // The delete may still be between Zoom and its own commit.
            for _ in 0..10 {
                match self.meetings.get(academy_id, meeting_id).await {
                    Ok(now)
                        if now
                            .as_ref()
                            .is_none_or(|m| m.status == MeetingStatus::Deleted) =>
                    {
                        return AppError::MeetingNotEditable;
                    }
                    Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                    Err(_) => break,
                }
            }
        }
        e.into()
    }

    /// Deletes in Zoom (already gone is fine), frees the slot, keeps the record as `deleted`.
    pub async fn delete(&self, academy_id: &str, meeting_id: &str) -> Result<(), AppError> {
        let mut current = self.get(academy_id, meeting_id).await?;
        if current.status == MeetingStatus::Deleted {
            return Ok(());
        }
        self.caches.forget_schedule(&current.license_id);
        if let Some(zoom_id) = &current.zoom_meeting_id {
            let license = self.licenses.get(academy_id, &current.license_id).await;
            match license {
                Ok(license) => {
                    let host = self.host(license).await?;
                    self.delete_in_zoom(&host.creds, zoom_id).await?;
                }
                // The license is gone (force-deleted): nothing to ask Zoom with.
                Err(AppError::LicenseNotFound) => {}
                Err(e) => return Err(e),
            }
        }
        // Zoom no longer has the meeting: a reschedule that changed it
        // meanwhile must not keep it scheduled here, so read again and retry.
        for _ in 0..BOOKING_ATTEMPTS {
            let mut deleted = current.clone();
            deleted.status = MeetingStatus::Deleted;
            deleted.version = current.version + 1;
            deleted.updated_at = Utc::now();
            let writes = vec![
                put_meeting(&deleted, Some(&current)),
                Write::Delete {
                    key: booking_key(&current.license_id, &current.booking()),
                    condition: None,
                },
                delete_calendar(&current),
            ];
            match self.meetings.write(writes).await {
                Ok(()) => {
                    tracing::info!(meeting_id, "meeting deleted");
                    return Ok(());
                }
                Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => {
                    current = self.get(academy_id, meeting_id).await?;
                    if current.status == MeetingStatus::Deleted {
                        return Ok(());
                    }
                    self.caches.forget_schedule(&current.license_id);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::VersionConflict {
            current: current.version,
        })
    }

    /// Whether a license still has meetings that have not ended.
    pub async fn license_busy(
        &self,
        license_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        Ok(!self
            .schedule
            .upcoming(license_id, now, 100)
            .await?
            .is_empty())
    }
}

/// A reservation still in flight (or one that failed) is nobody's meeting yet.
fn visible(status: MeetingStatus) -> bool {
    status != MeetingStatus::Pending && status != MeetingStatus::Failed
}
