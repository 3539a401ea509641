//! Plain types and rules, no I/O.

pub mod license;
pub mod validation;
pub mod verification;
