//! A stand-in for Zoom, for tests and demos: Server-to-Server OAuth and the
//! REST endpoints lms-zoom calls (users, ZAK, meetings, recordings, the
//! participant report), with Zoom's real paths, status codes, JSON shapes and
//! error bodies (see `shared/ZOOM.md`, `shared/ZOOM-2.md`), plus fault
//! injection, a signed-webhook sender and Zoom's webhook events ([`events`]),
//! down to a created meeting's whole lifecycle ([`Emulator::emit_lifecycle`],
//! or only chosen deliveries of it with [`Emulator::emit_lifecycle_filtered`]),
//! after which the participant report lists the instance's sessions.
//! Recurring meetings (`type: 8`) list their occurrences, each read, moved
//! and deleted by `occurrence_id`, and each started as its own instance
//! ([`Emulator::emit_occurrence_lifecycle`]).
//! Recording files download from the emulator itself (`/rec/download/{id}`,
//! Zoom's HTML page for refusals, a 302 to a signed `/rec/stream` link), with
//! deterministic bytes generated while streaming ([`recording_content`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use zoom_emulator::{Emulator, EmulatorConfig};
//! let zoom = Emulator::start(EmulatorConfig::demo()).await?;
//! println!("token endpoint {}, API {}", zoom.oauth_url(), zoom.api_url());
//! zoom.stop().await;
//! # Ok(()) }
//! ```
//!
//! What the emulator chose where Zoom's behaviour is not documented is marked
//! UNCONFIRMED next to the code that chose it.

mod auth;
mod config;
mod content;
mod content_body;
mod daily_limit;
mod download_faults;
mod download_tokens;
mod downloads;
mod emulator;
mod endpoints;
pub mod events;
mod faults;
mod ids;
mod lifecycle;
mod meeting_input;
mod meeting_list;
mod meeting_model;
mod meetings;
mod oauth;
mod occurrences;
mod participant;
mod recording_delete;
mod recording_files;
mod recordings;
mod recurrence;
mod reply;
mod report;
mod router;
mod scopes;
mod server;
mod state;
mod stream_links;
mod users;
pub mod webhook;

pub use config::{
    Account, AppType, DEMO_ACCOUNT_ID, DEMO_BASIC_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
    DEMO_HOST_ID, DEMO_SCOPES, EmulatorConfig, PlanType, User,
};
pub use content::{
    CONTENT_CHUNK_SIZE, RecordingContent, recording_content, recording_content_sha256,
};
pub use daily_limit::DAILY_CREATE_UPDATE_LIMIT;
pub use emulator::Emulator;
pub use endpoints::Endpoint;
pub use faults::{Fault, FaultKind};
pub use lifecycle::{Lifecycle, Session};
pub use participant::Participant;
pub use scopes::MISSING_SCOPES_CODE;
