//! Use cases: what a request does, over the repositories and the secret store.

pub mod licenses;
pub mod meetings;
pub mod verify;

pub use licenses::LicenseService;
pub use meetings::MeetingService;
