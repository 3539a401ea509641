//! The `maintenance` job: every minute (EventBridge in AWS, a timer in the
//! local server), bounded by its own deadline, idempotent. It resolves the
//! repair records whose owner died — each claimed first, so two runs that
//! overlap never work on the same one — and records how it went for
//! `GET /v1/maintenance/status`.
//!
//! - [`run`]: one run over the open repair records
//! - [`status`]: the last run and what is pending
//! - reconciliations of ended meetings with Zoom's reports (`app/reconcile.rs`)

mod run;
mod status;

use std::sync::Arc;

use super::archive::Archives;
use super::attendance::AttendanceService;
use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::webhooks::WebhookService;
use crate::repo::repairs::RepairRepo;
use crate::store::Store;

pub use run::{Resolved, RunReport};
pub use status::{COUNT_LIMIT, MaintenanceStatus};

#[derive(Clone)]
pub struct MaintenanceService {
    store: Arc<dyn Store>,
    repairs: RepairRepo,
    licenses: LicenseService,
    meetings: MeetingService,
    webhooks: WebhookService,
    attendance: AttendanceService,
    archives: Archives,
}

impl MaintenanceService {
    pub fn new(
        store: Arc<dyn Store>,
        licenses: LicenseService,
        meetings: MeetingService,
        webhooks: WebhookService,
        attendance: AttendanceService,
        archives: Archives,
    ) -> Self {
        Self {
            repairs: RepairRepo::new(store.clone()),
            store,
            licenses,
            meetings,
            webhooks,
            attendance,
            archives,
        }
    }
}
