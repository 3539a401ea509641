//! Use cases: what a request does, over the repositories and the secret store.

pub mod licenses;

pub use licenses::LicenseService;
