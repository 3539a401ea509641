//! Plain types and rules, no I/O.

pub mod archive;
pub mod attendance;
pub mod customer_key;
pub mod license;
pub mod meeting;
pub mod people;
pub mod recording;
pub mod recurrence;
pub mod report_merge;
pub mod scheduling;
pub mod series;
pub mod validation;
pub mod verification;
