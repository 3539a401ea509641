//! In-process caches that take reads off the booking path. Nothing here is
//! trusted on its own: every booking transaction checks the license version
//! and the schedule version it was decided on, so a stale cache costs a
//! retry, never a double booking.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::license::License;
use crate::domain::scheduling::{Booking, BookingState};
use crate::repo::schedule::Schedule;

/// How long a license (or an academy's pool) is reused without reading it.
pub const LICENSE_TTL: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct BookingCaches {
    licenses: Mutex<HashMap<(String, String), (Instant, License)>>,
    pools: Mutex<HashMap<String, (Instant, Vec<License>)>>,
    schedules: Mutex<HashMap<String, Schedule>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BookingCaches {
    pub fn license(&self, academy_id: &str, license_id: &str) -> Option<License> {
        let key = (academy_id.to_owned(), license_id.to_owned());
        lock(&self.licenses)
            .get(&key)
            .filter(|(at, _)| at.elapsed() < LICENSE_TTL)
            .map(|(_, l)| l.clone())
    }

    pub fn put_license(&self, license: &License) {
        let key = (license.academy_id.clone(), license.license_id.clone());
        lock(&self.licenses).insert(key, (Instant::now(), license.clone()));
    }

    pub fn pool(&self, academy_id: &str) -> Option<Vec<License>> {
        lock(&self.pools)
            .get(academy_id)
            .filter(|(at, _)| at.elapsed() < LICENSE_TTL)
            .map(|(_, p)| p.clone())
    }

    pub fn put_pool(&self, academy_id: &str, pool: &[License]) {
        lock(&self.pools).insert(academy_id.to_owned(), (Instant::now(), pool.to_vec()));
    }

    /// Forgets a license and the pools that hold it (it changed, or a check on it failed).
    pub fn forget_license(&self, academy_id: &str, license_id: &str) {
        lock(&self.licenses).remove(&(academy_id.to_owned(), license_id.to_owned()));
        lock(&self.pools).remove(academy_id);
        self.forget_schedule(license_id);
    }

    pub fn schedule(&self, license_id: &str) -> Option<Schedule> {
        lock(&self.schedules).get(license_id).cloned()
    }

    pub fn put_schedule(&self, license_id: &str, schedule: Schedule) {
        lock(&self.schedules).insert(license_id.to_owned(), schedule);
    }

    pub fn forget_schedule(&self, license_id: &str) {
        lock(&self.schedules).remove(license_id);
    }

    /// Our reservation went through on top of `read_version`: follow it, or
    /// forget the schedule when it moved on in between.
    pub fn reserved(
        &self,
        license_id: &str,
        read_version: u64,
        booking: &Booking,
        removed: &[Booking],
    ) {
        let mut schedules = lock(&self.schedules);
        match schedules.get_mut(license_id) {
            Some(s) if s.version == read_version => {
                s.version += 1;
                s.bookings.retain(|b| !removed.contains(b));
                s.bookings.push(booking.clone());
            }
            _ => {
                schedules.remove(license_id);
            }
        }
    }

    /// Our reservation was committed (the store's version does not move).
    pub fn committed(&self, license_id: &str, booking: &Booking) {
        if let Some(s) = lock(&self.schedules).get_mut(license_id)
            && let Some(b) = s
                .bookings
                .iter_mut()
                .find(|b| b.meeting_id == booking.meeting_id && b.rev == booking.rev)
        {
            b.state = BookingState::Committed;
            b.expires_at = None;
        }
    }
}
