//! A license's schedule: its bookings (`LICENSE#{id}#SCHED` / `{start}#{meetingId}`)
//! and a version (`VERSION`) that every booking change bumps. A booking is
//! written only on condition that the version is still the one read, so two
//! requests that read the same schedule cannot both book into it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::{RepoError, from_item, keys, to_item};
use crate::domain::scheduling::{Booking, window_floor};
use crate::store::{Condition, Key, Query, SkRange, Store, Write};

/// What a booking decision was made on.
#[derive(Debug, Clone)]
pub struct ScheduleView {
    pub license_id: String,
    /// 0 when the license never had a booking.
    pub version: u64,
    /// Bookings that may overlap the window read.
    pub bookings: Vec<Booking>,
}

impl ScheduleView {
    /// The write that moves the version on, valid only if nobody else did meanwhile.
    pub fn bump(&self) -> Write {
        let key = keys::schedule_version(&self.license_id);
        let item = to_item(&key, &json!({ "version": self.version + 1 }));
        let condition = if self.version == 0 {
            Condition::NotExists
        } else {
            Condition::AttrEquals("version".into(), Value::from(self.version))
        };
        Write::put_if(item, condition)
    }
}

/// Everything booked on a license starting in `[from, to]`, as of `version`.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub version: u64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub bookings: Vec<Booking>,
}

impl Schedule {
    /// The bookings that may overlap `[start, end)`, if this schedule covers them.
    pub fn view(
        &self,
        license_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Option<ScheduleView> {
        let floor = window_floor(start);
        if floor < self.from || end > self.to {
            return None;
        }
        let bookings = self
            .bookings
            .iter()
            .filter(|b| b.start_time >= floor && b.start_time <= end)
            .cloned()
            .collect();
        Some(ScheduleView {
            license_id: license_id.to_owned(),
            version: self.version,
            bookings,
        })
    }
}

/// How far past a meeting a schedule read reaches, so that the next
/// bookings near it are decided on the same (cached) read.
pub const LOOKAHEAD: Duration = Duration::days(7);

#[derive(Clone)]
pub struct ScheduleRepo {
    store: Arc<dyn Store>,
}

/// Query page size when reading a window (bookings per day are few).
const PAGE: usize = 1000;

impl ScheduleRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The version, then every booking starting in `[from, to]`. The
    /// version is read first: a booking written after it moves the version,
    /// so a decision on a stale read fails its condition instead of winning.
    pub async fn load(
        &self,
        license_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Schedule, RepoError> {
        let version = match self.store.get(&keys::schedule_version(license_id)).await? {
            Some(item) => item.get("version").and_then(Value::as_u64).unwrap_or(0),
            None => 0,
        };
        // `~` sorts after '#': every booking starting at `to` is included.
        let range = SkRange::Between(keys::key_time(&from), format!("{}~", keys::key_time(&to)));
        let query = Query::new(keys::schedule_pk(license_id), range, PAGE);
        let bookings = super::paging::collect(self.store.as_ref(), query).await?;
        Ok(Schedule {
            version,
            from,
            to,
            bookings,
        })
    }

    /// The booking stored under `booking`'s key, as it is now.
    pub async fn booking(
        &self,
        license_id: &str,
        booking: &Booking,
    ) -> Result<Option<Booking>, RepoError> {
        let key = booking_key(license_id, booking);
        Ok(super::get_record(self.store.as_ref(), &key).await?)
    }

    /// Bookings that have not ended by `now` (for "license in use").
    pub async fn upcoming(
        &self,
        license_id: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Booking>, RepoError> {
        let range = SkRange::Between(
            keys::key_time(&window_floor(now)),
            keys::SCHEDULE_VERSION.to_owned(),
        );
        let items = self
            .store
            .query(&Query::new(keys::schedule_pk(license_id), range, limit))
            .await?;
        Ok(items
            .into_iter()
            .filter(|i| i.get("sk").and_then(Value::as_str) != Some(keys::SCHEDULE_VERSION))
            .map(from_item::<Booking>)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|b| b.end_time > now && b.holds(now))
            .collect())
    }
}

pub fn booking_key(license_id: &str, booking: &Booking) -> Key {
    Key::new(
        keys::schedule_pk(license_id),
        keys::booking_sk(&booking.start_time, &booking.meeting_id, booking.rev),
    )
}

/// Puts a new booking (its key must be free).
pub fn put_booking(license_id: &str, booking: &Booking) -> Write {
    Write::put_if(
        to_item(&booking_key(license_id, booking), booking),
        Condition::NotExists,
    )
}

/// Removes a booking if it is still exactly as read.
pub fn remove_booking(license_id: &str, booking: &Booking) -> Write {
    let condition = match booking.expires_at {
        Some(at) => Condition::AttrEquals("expiresAt".into(), json!(at)),
        None => Condition::Exists,
    };
    Write::delete_if(booking_key(license_id, booking), condition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::scheduling::BookingState;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_900_000_000, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn a_schedule_covers_only_its_window() {
        let booking = Booking {
            meeting_id: "mtg_1".into(),
            rev: 1,
            start_time: at(30),
            end_time: at(31),
            state: BookingState::Committed,
            expires_at: None,
        };
        let schedule = Schedule {
            version: 3,
            from: at(0),
            to: at(24 * 7),
            bookings: vec![booking],
        };
        // A meeting whose overlapping bookings may start before `from` is not covered.
        assert!(schedule.view("lic", at(10), at(11)).is_none());
        let view = schedule.view("lic", at(30), at(32)).unwrap();
        assert_eq!((view.version, view.bookings.len()), (3, 1));
        assert!(
            schedule
                .view("lic", at(24 * 7 - 1), at(24 * 7 + 1))
                .is_none()
        );
    }
}
