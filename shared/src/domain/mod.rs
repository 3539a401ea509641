//! Plain types and rules, no I/O.

pub mod license;
pub mod meeting;
pub mod scheduling;
pub mod validation;
pub mod verification;
