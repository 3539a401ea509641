//! Booking rules: a license never holds more than `maxConcurrentMeetings`
//! meetings at one instant. Intervals are half-open `[start, end)`: a meeting
//! ending at 10:00 and one starting at 10:00 do not overlap.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::meeting::MAX_DURATION_MINUTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingState {
    /// Reserved while Zoom is asked; holds the slot until `expiresAt`.
    Pending,
    Committed,
}

/// One meeting's hold on a license's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub meeting_id: String,
    /// Tells a meeting's successive bookings apart.
    #[serde(default)]
    pub rev: u64,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub state: BookingState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Booking {
    /// Whether it still holds its slot at `now` (an expired reservation does not).
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            BookingState::Committed => true,
            BookingState::Pending => self.expires_at.is_none_or(|at| at > now),
        }
    }

    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.start_time < end && self.end_time > start
    }
}

/// The earliest start a booking overlapping `[start, ..)` can have.
pub fn window_floor(start: DateTime<Utc>) -> DateTime<Utc> {
    start - Duration::minutes(MAX_DURATION_MINUTES)
}

/// Most bookings holding at one instant within `[start, end)`.
pub fn peak(bookings: &[&Booking], start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
    // Sweep the clipped intervals: ends sort before starts at the same instant,
    // which is what makes back-to-back meetings not overlap.
    let mut events: Vec<(DateTime<Utc>, i32)> = Vec::with_capacity(bookings.len() * 2);
    for b in bookings {
        events.push((b.start_time.max(start), 1));
        events.push((b.end_time.min(end), -1));
    }
    events.sort();
    let (mut current, mut best) = (0i32, 0i32);
    for (_, delta) in events {
        current += delta;
        best = best.max(current);
    }
    best.max(0) as usize
}

/// `None` when a meeting in `[start, end)` fits under `max`; otherwise the
/// bookings in the way. `ignore` names a meeting whose own booking does not count
/// (a reschedule moves it).
pub fn conflicts<'a>(
    bookings: &'a [Booking],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    max: usize,
    now: DateTime<Utc>,
    ignore: Option<&str>,
) -> Option<Vec<&'a Booking>> {
    let overlapping: Vec<&Booking> = bookings
        .iter()
        .filter(|b| b.holds(now) && b.overlaps(start, end))
        .filter(|b| ignore != Some(b.meeting_id.as_str()))
        .collect();
    if peak(&overlapping, start, end) < max {
        None
    } else {
        Some(overlapping)
    }
}

/// Expired reservations within the window: the booking that takes their place removes them.
pub fn expired(bookings: &[Booking], now: DateTime<Utc>) -> Vec<&Booking> {
    bookings.iter().filter(|b| !b.holds(now)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
    }

    fn booking(id: &str, s: (u32, u32), e: (u32, u32)) -> Booking {
        Booking {
            meeting_id: id.into(),
            rev: 1,
            start_time: at(s.0, s.1),
            end_time: at(e.0, e.1),
            state: BookingState::Committed,
            expires_at: None,
        }
    }

    #[test]
    fn back_to_back_is_not_a_conflict() {
        let b = vec![
            booking("a", (9, 0), (10, 0)),
            booking("b", (11, 0), (12, 0)),
        ];
        assert!(conflicts(&b, at(10, 0), at(11, 0), 1, at(0, 0), None).is_none());
        let hit = conflicts(&b, at(9, 59), at(11, 0), 1, at(0, 0), None).unwrap();
        assert_eq!(hit.len(), 1);
        assert_eq!(hit[0].meeting_id, "a");
    }

    #[test]
    fn peak_counts_simultaneous_meetings_not_all_in_the_window() {
        // Two meetings that never overlap each other, both overlapping the new one.
        let b = vec![
            booking("a", (10, 0), (11, 0)),
            booking("b", (11, 0), (12, 0)),
        ];
        assert!(conflicts(&b, at(10, 0), at(12, 0), 2, at(0, 0), None).is_none());
        assert!(conflicts(&b, at(10, 0), at(12, 0), 1, at(0, 0), None).is_some());
        let three = vec![
            booking("a", (10, 0), (12, 0)),
            booking("b", (10, 30), (11, 30)),
            booking("c", (11, 30), (13, 0)),
        ];
        assert!(conflicts(&three, at(9, 0), at(14, 0), 2, at(0, 0), None).is_some());
        assert!(conflicts(&three, at(12, 0), at(14, 0), 2, at(0, 0), None).is_none());
        assert!(conflicts(&three, at(9, 0), at(14, 0), 3, at(0, 0), None).is_none());
    }

    #[test]
    fn expired_reservations_do_not_hold_and_own_booking_is_ignored() {
        let mut pending = booking("p", (10, 0), (11, 0));
        pending.state = BookingState::Pending;
        pending.expires_at = Some(at(8, 0));
        let b = vec![pending.clone()];
        assert!(conflicts(&b, at(10, 0), at(11, 0), 1, at(8, 1), None).is_none());
        assert!(conflicts(&b, at(10, 0), at(11, 0), 1, at(7, 59), None).is_some());
        assert_eq!(expired(&b, at(8, 1)).len(), 1);
        let own = vec![booking("m", (10, 0), (11, 0))];
        assert!(conflicts(&own, at(10, 30), at(11, 30), 1, at(0, 0), Some("m")).is_none());
    }
}
