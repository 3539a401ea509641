//! The edges of the functions that are not HTTP APIs, in Lambda:
//!
//! - [`maintenance`]: one maintenance run per scheduled event
//! - [`archiver`]: one archive job per SQS message (batch size 1), with
//!   partial-batch failure reporting

pub mod archiver;
pub mod maintenance;

pub use lambda_http::Error;
pub use maintenance::run_maintenance;
