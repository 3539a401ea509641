//! The integration suite as one test binary: each module was its own
//! `tests/*.rs` binary. Every such binary links the whole library, the AWS
//! SDK and the emulator again (~90 MB and several seconds of linking each in
//! a debug build): one binary for all of them saves ~2 GB of `target/` and
//! the links, and its tests still run in parallel as before. Run one module
//! with `cargo test -p lms-zoom-tests --test suite series_api::`.
//!
//! The test files that read the process-wide log capture (`logs()`, which
//! installs a global `debug` subscriber) stay binaries of their own beside
//! this one, so that every other test does not log into it.

mod archive_e2e;
mod archive_ports;
mod attendance_api;
mod contract_regressions;
mod faults_fuzz;
mod faults_store;
mod faults_zoom;
mod lambda_faults;
mod license_repo;
mod maintenance;
mod maintenance_api;
mod meetings_api;
mod moto_fidelity;
mod openapi_routes;
mod reconcile_e2e;
mod series_api;
mod series_booking;
mod series_faults;
mod store_contract;
mod verification;
mod webhooks_e2e;
mod webhooks_store_down;
mod zoom_client;
mod zoom_reports;
