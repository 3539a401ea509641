//! Reserving a slot: the one booking loop, used by creates and reschedules.
//! Read the candidate licenses' schedules around the meeting, pick the least
//! booked license that fits, and write a pending booking on condition that
//! the schedule's version (and the license) did not move; on a lost race,
//! read again and decide again.

use chrono::{DateTime, Duration, Utc};

use super::MeetingService;
use crate::backoff::{Backoff, Jitter};
use crate::domain::license::{License, LicenseStatus};
use crate::domain::scheduling::{Booking, BookingState, conflicts, expired, window_floor};
use crate::error::{AppError, Conflict};
use crate::repo::RepoError;
use crate::repo::keys;
use crate::repo::repairs::{Repair, close_repair};
use crate::repo::schedule::{LOOKAHEAD, ScheduleView, put_booking, remove_booking};
use crate::store::{Condition, StoreError, Write};

/// How long a reservation holds its slot while Zoom is asked.
pub const RESERVATION_TTL: Duration = Duration::seconds(60);
/// Reads and re-checks before a busy schedule is reported as unavailable.
pub(super) const BOOKING_ATTEMPTS: usize = 25;
/// Pause before booking again after losing a race: full jitter, so that on
/// a slow store the losers spread out instead of colliding again.
pub(super) const BOOKING_BACKOFF: Backoff = Backoff::new(
    std::time::Duration::from_millis(10),
    std::time::Duration::from_millis(640),
    Jitter::Full,
);
/// Expired reservations a booking removes at most.
const STALE_PER_BOOKING: usize = 50;

/// Which licenses a reservation may go to.
pub(super) enum Pick<'a> {
    /// Any usable license of the academy's pool.
    Pool,
    /// The license the caller named (refused when `invalid`).
    Named(&'a str),
    /// The license the meeting already has (a reschedule); its own
    /// booking does not count against the new time.
    Current(&'a License),
}

/// A slot to reserve.
pub(super) struct Ask<'a> {
    pub academy_id: &'a str,
    pub meeting_id: &'a str,
    /// The revision of the meeting's booking the reservation becomes.
    pub rev: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub pick: Pick<'a>,
}

/// The license chosen on one read, and what the choice was made on.
struct Choice<'a> {
    license: &'a License,
    view: &'a ScheduleView,
    cached: bool,
}

enum Decision<'a> {
    Book(Choice<'a>),
    /// Decided on cached schedules: read them fresh and decide again.
    Recheck,
    Refuse(AppError),
}

pub(super) fn slot_conflict(bookings: &[&Booking], license_id: &str) -> AppError {
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

/// A cached reservation is taken as holding even past its expiry: only a
/// fresh read may free its place.
fn as_of(cached: bool, now: DateTime<Utc>) -> DateTime<Utc> {
    if cached {
        DateTime::<Utc>::MIN_UTC
    } else {
        now
    }
}

impl Ask<'_> {
    fn own(&self) -> Option<&str> {
        matches!(self.pick, Pick::Current(_)).then_some(self.meeting_id)
    }

    fn pending(&self, now: DateTime<Utc>) -> Booking {
        Booking {
            meeting_id: self.meeting_id.to_owned(),
            rev: self.rev,
            start_time: self.start,
            end_time: self.end,
            state: BookingState::Pending,
            expires_at: Some(now + RESERVATION_TTL),
        }
    }

    /// The least booked license around the meeting that fits it (ties by id).
    fn decide<'a>(
        &self,
        candidates: &'a [License],
        views: &'a [(ScheduleView, bool)],
        now: DateTime<Utc>,
    ) -> Decision<'a> {
        let mut order: Vec<(usize, Choice<'a>)> = candidates
            .iter()
            .zip(views)
            .map(|(license, (view, cached))| {
                let at = as_of(*cached, now);
                let load = view.bookings.iter().filter(|b| b.holds(at)).count();
                let choice = Choice {
                    license,
                    view,
                    cached: *cached,
                };
                (load, choice)
            })
            .collect();
        order.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.license.license_id.cmp(&b.1.license.license_id))
        });
        let fits = |c: &Choice| {
            let max = usize::from(c.license.max_concurrent_meetings);
            let at = as_of(c.cached, now);
            conflicts(&c.view.bookings, self.start, self.end, max, at, self.own()).is_none()
        };
        if let Some((_, choice)) = order.into_iter().find(|(_, c)| fits(c)) {
            return Decision::Book(choice);
        }
        if views.iter().any(|(_, cached)| *cached) {
            return Decision::Recheck;
        }
        if matches!(self.pick, Pick::Pool) {
            return Decision::Refuse(AppError::NoLicenseAvailable);
        }
        let (license, (view, _)) = (&candidates[0], &views[0]);
        let max = usize::from(license.max_concurrent_meetings);
        let busy = conflicts(&view.bookings, self.start, self.end, max, now, self.own())
            .unwrap_or_default();
        Decision::Refuse(slot_conflict(&busy, &license.license_id))
    }
}

impl MeetingService {
    /// Reserves a slot: writes a pending booking, plus `extra(license, booking)` in
    /// the same transaction, on the license chosen; re-reads and decides
    /// again whenever another booking won the race.
    pub(super) async fn reserve(
        &self,
        ask: &Ask<'_>,
        extra: impl Fn(&License, &Booking) -> Vec<Write>,
    ) -> Result<(License, Booking), AppError> {
        let mut fresh = false;
        let mut attempt = 0;
        while attempt < BOOKING_ATTEMPTS {
            if crate::deadline::budget(std::time::Duration::MAX).is_none() {
                break;
            }
            let candidates = self.candidates(ask).await?;
            let views = futures::future::try_join_all(
                candidates
                    .iter()
                    .map(|l| self.schedule_view(&l.license_id, ask.start, ask.end, fresh)),
            )
            .await?;
            let now = Utc::now();
            let choice = match ask.decide(&candidates, &views, now) {
                Decision::Book(choice) => choice,
                Decision::Recheck => {
                    fresh = true;
                    continue;
                }
                Decision::Refuse(e) => return Err(e),
            };
            let booking = ask.pending(now);
            let stale = stale_bookings(&choice, now);
            let mut writes = vec![
                choice.view.bump(),
                put_booking(&choice.license.license_id, &booking),
            ];
            writes.extend(extra(choice.license, &booking));
            if !matches!(ask.pick, Pick::Current(_)) {
                writes.push(crate::repo::licenses::unchanged(choice.license));
            }
            writes.extend(
                stale
                    .iter()
                    .map(|b| remove_booking(&choice.license.license_id, b)),
            );
            match self.meetings.write(writes).await {
                Ok(()) => {
                    let license_id = &choice.license.license_id;
                    self.caches
                        .reserved(license_id, choice.view.version, &booking, &stale);
                    for b in &stale {
                        self.resolve_abandoned(ask.academy_id, &b.meeting_id).await;
                    }
                    return Ok((choice.license.clone(), booking));
                }
                Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                    // Somebody booked (or changed the license) meanwhile: read again.
                    let license = choice.license;
                    self.caches
                        .forget_license(&license.academy_id, &license.license_id);
                    if !choice.cached && !BOOKING_BACKOFF.wait(attempt as u32).await {
                        break;
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

    /// The licenses a reservation may go to (from the cache while fresh: the
    /// booking transaction checks the chosen license's version).
    async fn candidates(&self, ask: &Ask<'_>) -> Result<Vec<License>, AppError> {
        let academy_id = ask.academy_id;
        let id = match ask.pick {
            Pick::Current(license) => return Ok(vec![license.clone()]),
            Pick::Named(id) => id,
            Pick::Pool => return self.pool(academy_id).await,
        };
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
        Ok(vec![license])
    }

    /// The academy's licenses that are not `invalid`.
    async fn pool(&self, academy_id: &str) -> Result<Vec<License>, AppError> {
        let all = match self.caches.pool(academy_id) {
            Some(pool) => pool,
            None => {
                let all = self.licenses.list_all(academy_id).await?;
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
        let (from, to) = (window_floor(start), end + LOOKAHEAD);
        let schedule = self.schedule.load(license_id, from, to).await?;
        let view = schedule
            .view(license_id, start, end)
            .expect("a schedule loaded around the meeting covers it");
        self.caches.put_schedule(license_id, schedule);
        Ok((view, false))
    }

    /// Undoes a create's reservation: its booking, its pending meeting and
    /// its repair record (unless `maintenance` claimed it: then it undoes).
    pub(super) async fn release(&self, academy_id: &str, license_id: &str, booking: &Booking) {
        self.caches.forget_schedule(license_id);
        let repair = create_repair(academy_id, license_id, booking);
        let writes = vec![
            close_repair(&repair),
            Write::delete_if(
                crate::repo::schedule::booking_key(license_id, booking),
                Condition::Exists,
            ),
            Write::delete_if(
                keys::meeting(academy_id, &booking.meeting_id),
                crate::repo::meetings::status_is(crate::domain::meeting::MeetingStatus::Pending),
            ),
        ];
        if let Err(e) = self.meetings.write(writes).await {
            // The reservation expires on its own; the next booking clears it.
            tracing::warn!(meeting_id = %booking.meeting_id, error = %e, "could not release a reservation");
        }
    }
}

/// The repair record of a create holding `booking` on `license_id`.
pub(super) fn create_repair(academy_id: &str, license_id: &str, booking: &Booking) -> Repair {
    Repair::Create {
        academy_id: academy_id.to_owned(),
        meeting_id: booking.meeting_id.clone(),
        license_id: license_id.to_owned(),
        booking: booking.clone(),
    }
}

/// Reservations abandoned by a crash in the window read: the booking gives
/// their place up (only on a fresh read).
fn stale_bookings(choice: &Choice, now: DateTime<Utc>) -> Vec<Booking> {
    if choice.cached {
        return Vec::new();
    }
    expired(&choice.view.bookings, now)
        .into_iter()
        .take(STALE_PER_BOOKING)
        .cloned()
        .collect()
}
