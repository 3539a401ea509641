//! In-process caches that take reads off the booking path. Nothing here is
//! trusted on its own: every booking transaction checks the license version
//! and the schedule version it was decided on, so a stale cache costs a
//! retry, never a double booking. Each cache is bounded in size and age, so a
//! warm process that has served many academies holds no more than that.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::license::License;
use crate::domain::scheduling::{Booking, BookingState};
use crate::repo::schedule::Schedule;

/// How long a license (or an academy's pool) is reused without reading it.
pub const LICENSE_TTL: Duration = Duration::from_secs(10);
/// How long a license's schedule is reused (its version guards it; the age
/// bounds what an idle process keeps).
pub const SCHEDULE_TTL: Duration = Duration::from_secs(60);
/// Entries each cache holds at most.
pub const CAPACITY: usize = 1024;

/// A map bounded in size and in age: an entry older than `ttl` is gone, and
/// inserting into a full map drops the expired entries, then the oldest.
struct Bounded<K, V> {
    entries: HashMap<K, (Instant, V)>,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    fn new(ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            ttl,
        }
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let ttl = self.ttl;
        self.entries
            .get_mut(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v)
    }

    fn insert(&mut self, key: K, value: V) {
        if self.entries.len() >= CAPACITY && !self.entries.contains_key(&key) {
            let ttl = self.ttl;
            self.entries.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        if self.entries.len() >= CAPACITY
            && !self.entries.contains_key(&key)
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(key, (Instant::now(), value));
    }

    fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }
}

pub struct BookingCaches {
    licenses: Mutex<Bounded<(String, String), License>>,
    pools: Mutex<Bounded<String, Vec<License>>>,
    schedules: Mutex<Bounded<String, Schedule>>,
}

impl Default for BookingCaches {
    fn default() -> Self {
        Self {
            licenses: Mutex::new(Bounded::new(LICENSE_TTL)),
            pools: Mutex::new(Bounded::new(LICENSE_TTL)),
            schedules: Mutex::new(Bounded::new(SCHEDULE_TTL)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BookingCaches {
    pub fn license(&self, academy_id: &str, license_id: &str) -> Option<License> {
        let key = (academy_id.to_owned(), license_id.to_owned());
        lock(&self.licenses).get_mut(&key).map(|l| l.clone())
    }

    pub fn put_license(&self, license: &License) {
        let key = (license.academy_id.clone(), license.license_id.clone());
        lock(&self.licenses).insert(key, license.clone());
    }

    pub fn pool(&self, academy_id: &str) -> Option<Vec<License>> {
        lock(&self.pools)
            .get_mut(&academy_id.to_owned())
            .map(|p| p.clone())
    }

    pub fn put_pool(&self, academy_id: &str, pool: &[License]) {
        lock(&self.pools).insert(academy_id.to_owned(), pool.to_vec());
    }

    /// Forgets a license and the pools that hold it (it changed, or a check on it failed).
    pub fn forget_license(&self, academy_id: &str, license_id: &str) {
        lock(&self.licenses).remove(&(academy_id.to_owned(), license_id.to_owned()));
        lock(&self.pools).remove(&academy_id.to_owned());
        self.forget_schedule(license_id);
    }

    pub fn schedule(&self, license_id: &str) -> Option<Schedule> {
        lock(&self.schedules)
            .get_mut(&license_id.to_owned())
            .map(|s| s.clone())
    }

    pub fn put_schedule(&self, license_id: &str, schedule: Schedule) {
        lock(&self.schedules).insert(license_id.to_owned(), schedule);
    }

    pub fn forget_schedule(&self, license_id: &str) {
        lock(&self.schedules).remove(&license_id.to_owned());
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
        let key = license_id.to_owned();
        match schedules.get_mut(&key) {
            Some(s) if s.version == read_version => {
                s.version += 1;
                s.bookings.retain(|b| !removed.contains(b));
                s.bookings.push(booking.clone());
            }
            _ => schedules.remove(&key),
        }
    }

    /// Our reservation was committed (the store's version does not move).
    pub fn committed(&self, license_id: &str, booking: &Booking) {
        if let Some(s) = lock(&self.schedules).get_mut(&license_id.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_stays_at_its_capacity() {
        let mut cache = Bounded::new(Duration::from_secs(60));
        for i in 0..CAPACITY + 10 {
            cache.insert(i, i);
        }
        assert_eq!(cache.entries.len(), CAPACITY);
        assert_eq!(cache.get_mut(&(CAPACITY + 9)).copied(), Some(CAPACITY + 9));
    }

    #[test]
    fn an_old_entry_is_not_served() {
        let mut cache = Bounded::new(Duration::ZERO);
        cache.insert("a", 1);
        assert!(cache.get_mut(&"a").is_none());
    }
}
