//! Booking a class series whole: every occurrence checked on its exact
//! interval against one fresh read of the license's schedule, and booked in
//! one atomic decision — the schedule's version bumped once, one pending
//! booking per occurrence, all in one transaction (at most 50 occurrences:
//! 50 bookings + the version + the license check + the caller's writes stay
//! well within DynamoDB's 100 items). A booking that won meanwhile moves the
//! version, so the whole decision fails and is made again: two series that
//! overlap on one occurrence can never both book.

use chrono::{DateTime, Utc};

use super::MeetingService;
use super::booking::{BOOKING_ATTEMPTS, BOOKING_BACKOFF, RESERVATION_TTL};
use crate::domain::license::{License, LicenseStatus};
use crate::domain::recurrence::MAX_OCCURRENCES;
use crate::domain::scheduling::{Booking, BookingState, conflicts, window_floor};
use crate::error::{AppError, Conflict, OccurrenceConflict};
use crate::repo::RepoError;
use crate::repo::schedule::{ScheduleView, put_booking};
use crate::store::{StoreError, Write};

/// One occurrence to book: the meeting it will be, and its interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub meeting_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The bookings a series moving to new times holds already: they do not
/// count against the new times, and the new ones get the next revision.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Moving<'a> {
    pub meeting_ids: &'a [String],
    pub rev: u64,
}

/// Writes besides the bookings a series transaction may hold.
const OTHER_WRITES: usize = 100 - MAX_OCCURRENCES - 2;

impl MeetingService {
    /// Reserves every slot on one license (`license_id`, or the first of
    /// the academy's usable licenses, by id, that is free for all of them),
    /// with `extra(license, bookings)` in the same transaction. Named
    /// license busy: `SeriesConflict` listing each occurrence in the way.
    pub async fn reserve_series(
        &self,
        academy_id: &str,
        license_id: Option<&str>,
        slots: &[Slot],
        extra: impl Fn(&License, &[Booking]) -> Vec<Write>,
    ) -> Result<(License, Vec<Booking>), AppError> {
        let fresh = Moving::default();
        self.reserve_series_as(academy_id, license_id, slots, fresh, extra)
            .await
    }

    /// [`Self::reserve_series`] for a series `moving` from bookings it holds.
    pub(super) async fn reserve_series_as(
        &self,
        academy_id: &str,
        license_id: Option<&str>,
        slots: &[Slot],
        moving: Moving<'_>,
        extra: impl Fn(&License, &[Booking]) -> Vec<Write>,
    ) -> Result<(License, Vec<Booking>), AppError> {
        if slots.is_empty() || slots.len() > MAX_OCCURRENCES {
            return Err(AppError::Internal(format!("{} occurrences", slots.len())));
        }
        for attempt in 0..BOOKING_ATTEMPTS {
            let candidates = self.series_candidates(academy_id, license_id).await?;
            let mut first_refusal = None;
            let mut lost_race = false;
            for license in &candidates {
                let view = self.series_schedule(&license.license_id, slots).await?;
                let now = Utc::now();
                let busy = busy_occurrences(license, &view, slots, moving, now);
                if !busy.is_empty() {
                    first_refusal.get_or_insert(AppError::SeriesConflict {
                        license_id: Some(license.license_id.clone()),
                        occurrences: busy,
                    });
                    continue;
                }
                let bookings = pending(slots, moving.rev.max(1), now);
                let mut writes = vec![view.bump(), crate::repo::licenses::unchanged(license)];
                writes.extend(bookings.iter().map(|b| put_booking(&license.license_id, b)));
                let others = extra(license, &bookings);
                if others.len() > OTHER_WRITES {
                    return Err(AppError::Internal("too many writes for one series".into()));
                }
                writes.extend(others);
                match self.meetings.write(writes).await {
                    Ok(()) => {
                        self.caches.forget_schedule(&license.license_id);
                        return Ok((license.clone(), bookings));
                    }
                    Err(RepoError::Store(StoreError::ConditionFailed { .. })) => {
                        // Another booking won meanwhile: decide again on a fresh read.
                        self.caches.forget_license(academy_id, &license.license_id);
                        lost_race = true;
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if !lost_race {
                // Every candidate was read fresh and is busy.
                return Err(match license_id {
                    Some(_) => first_refusal.unwrap_or(AppError::NoLicenseAvailable),
                    None => AppError::NoLicenseAvailable,
                });
            }
            if !BOOKING_BACKOFF.wait(attempt as u32).await {
                break;
            }
        }
        Err(AppError::StoreUnavailable(
            "the schedule kept changing".into(),
        ))
    }

    /// The named license (not `invalid`), or the academy's usable ones by id.
    async fn series_candidates(
        &self,
        academy_id: &str,
        license_id: Option<&str>,
    ) -> Result<Vec<License>, AppError> {
        let mut candidates = match license_id {
            Some(id) => {
                let license = self.licenses.get(academy_id, id).await?;
                if license.status == LicenseStatus::Invalid {
                    return Err(AppError::LicenseInvalid);
                }
                vec![license]
            }
            None => self
                .licenses
                .list_all(academy_id)
                .await?
                .into_iter()
                .filter(|l| l.status != LicenseStatus::Invalid)
                .collect(),
        };
        if candidates.is_empty() {
            return Err(AppError::NoLicenseAvailable);
        }
        candidates.sort_by(|a, b| a.license_id.cmp(&b.license_id));
        Ok(candidates)
    }

    /// One fresh read of the license's schedule over the whole series.
    async fn series_schedule(
        &self,
        license_id: &str,
        slots: &[Slot],
    ) -> Result<ScheduleView, AppError> {
        let first = slots.iter().map(|s| s.start).min().unwrap_or_else(Utc::now);
        let last = slots.iter().map(|s| s.end).max().unwrap_or(first);
        let schedule = self
            .schedule
            .load(license_id, window_floor(first), last)
            .await?;
        Ok(ScheduleView {
            license_id: license_id.to_owned(),
            version: schedule.version,
            bookings: schedule.bookings,
        })
    }
}

fn pending(slots: &[Slot], rev: u64, now: DateTime<Utc>) -> Vec<Booking> {
    slots
        .iter()
        .map(|s| Booking {
            meeting_id: s.meeting_id.clone(),
            rev,
            start_time: s.start,
            end_time: s.end,
            state: BookingState::Pending,
            expires_at: Some(now + RESERVATION_TTL),
        })
        .collect()
}

/// The occurrences that do not fit, each with the bookings in its way
/// (earlier occurrences of the same series count too).
fn busy_occurrences(
    license: &License,
    view: &ScheduleView,
    slots: &[Slot],
    moving: Moving<'_>,
    now: DateTime<Utc>,
) -> Vec<OccurrenceConflict> {
    let max = usize::from(license.max_concurrent_meetings);
    let mut taken: Vec<Booking> = view
        .bookings
        .iter()
        .filter(|b| !moving.meeting_ids.contains(&b.meeting_id))
        .cloned()
        .collect();
    let mut busy = Vec::new();
    for booking in pending(slots, 1, now) {
        if let Some(in_way) =
            conflicts(&taken, booking.start_time, booking.end_time, max, now, None)
        {
            busy.push(OccurrenceConflict {
                meeting_id: booking.meeting_id.clone(),
                start_time: booking.start_time,
                end_time: booking.end_time,
                conflicts: in_way
                    .iter()
                    .map(|b| Conflict {
                        meeting_id: b.meeting_id.clone(),
                        start_time: b.start_time,
                        end_time: b.end_time,
                    })
                    .collect(),
            });
        }
        taken.push(booking);
    }
    busy
}
