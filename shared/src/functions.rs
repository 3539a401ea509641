//! The Lambda functions of lms-zoom and their timeouts, as `template.yaml`
//! declares them (a test keeps the two equal). The local server gives each
//! function's routes the same timeout, so a request has the same time on
//! every host.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The binary's name (`functions/<name>`).
    pub name: &'static str,
    /// `Timeout` in `template.yaml`.
    pub timeout: Duration,
}

pub const LICENSES: Function = Function {
    name: "licenses",
    timeout: Duration::from_secs(29),
};
pub const MEETINGS: Function = Function {
    name: "meetings",
    timeout: Duration::from_secs(29),
};
pub const SDK_SIGNATURE: Function = Function {
    name: "sdk-signature",
    timeout: Duration::from_secs(15),
};
/// Zoom counts an answer after 3 s as a failure.
pub const ZOOM_WEBHOOKS: Function = Function {
    name: "zoom-webhooks",
    timeout: Duration::from_secs(3),
};
/// Runs every minute; a run stops well before the next one starts.
pub const MAINTENANCE: Function = Function {
    name: "maintenance",
    timeout: Duration::from_secs(50),
};

pub const ALL: [Function; 5] = [
    LICENSES,
    MEETINGS,
    SDK_SIGNATURE,
    ZOOM_WEBHOOKS,
    MAINTENANCE,
];
