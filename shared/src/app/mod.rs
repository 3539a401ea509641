//! Use cases: what a request does, over the repositories and the secret store.

pub mod archive;
pub mod arrivals;
pub mod attendance;
pub mod caches;
mod instances;
pub mod licenses;
pub mod maintenance;
pub mod meetings;
pub mod reconcile;
pub mod recordings;
pub mod scopes;
pub mod signature;
pub mod verify;
pub mod webhooks;

pub use licenses::LicenseService;
pub use meetings::MeetingService;
