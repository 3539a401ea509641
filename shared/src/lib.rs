//! lms-zoom: the Zoom integration back end of an LMS. This crate holds what
//! every Lambda function and the local server share.

pub mod app;
pub mod backoff;
pub mod config;
pub mod deadline;
pub mod domain;
pub mod error;
pub mod functions;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod lazy_client;
pub mod objects;
pub mod queue;
pub mod repo;
pub mod secrets;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod zoom;

pub use config::AppConfig;
pub use error::AppError;
pub use state::AppState;
