//! The writes that turn a reservation into a booking, for creates and
//! reschedules alike: the booking committed (only if it is still the
//! reservation we made), the meeting record, its calendar copy.

use serde_json::json;

use crate::domain::meeting::Meeting;
use crate::domain::scheduling::{Booking, BookingState};
use crate::repo::meetings::put_calendar;
use crate::repo::schedule::booking_key;
use crate::repo::to_item;
use crate::store::{Condition, Write};

/// Index in [`commit_writes`]' batch of the first write the caller adds after it.
pub(super) const COMMIT_WRITES: usize = 3;

/// `booking` committed on `license_id`, if it is still the reservation made.
pub(super) fn commit_booking(license_id: &str, booking: &Booking) -> Write {
    let mut committed = booking.clone();
    committed.state = BookingState::Committed;
    committed.expires_at = None;
    Write::put_if(
        to_item(&booking_key(license_id, booking), &committed),
        Condition::AttrEquals("expiresAt".into(), json!(booking.expires_at)),
    )
}

/// The booking committed, `meeting_write` (the record of `next`, on the
/// condition the use case needs) and `next`'s calendar copy.
pub(super) fn commit_writes(booking: &Booking, meeting_write: Write, next: &Meeting) -> Vec<Write> {
    vec![
        commit_booking(&next.license_id, booking),
        meeting_write,
        put_calendar(next),
    ]
}
