//! The checks of a verification that say what will not arrive from Zoom:
//! the participant report (attendance reconciled after a meeting) and the
//! participant and recording webhook events. Each missing one is a `warn`
//! naming what is lost; none of them keeps classes from being scheduled.

use crate::domain::verification::{Check, CheckStatus};
use crate::zoom::event_scopes::{
    EventScopes, PARTICIPANT_EVENTS, RECORDING_EVENTS, uses_granular_scopes,
};
use crate::zoom::operations::PARTICIPANTS_REPORT;

pub const REPORT_CHECK: &str = "attendance_report";
pub const PARTICIPANT_EVENTS_CHECK: &str = "participant_events";
pub const RECORDING_EVENTS_CHECK: &str = "recording_events";

/// Whether attendance can be pulled from Zoom's participant report: its scope
/// (granular or classic) and a paid plan (`host_basic`: the host is on Basic,
/// which Zoom answers with "Only available for Paid account").
pub fn report_check(granted: &[String], host_basic: bool) -> Check {
    if !PARTICIPANTS_REPORT.allowed_by(granted) {
        let others: Vec<&str> = PARTICIPANTS_REPORT.scopes[1..].to_vec();
        return Check::new(REPORT_CHECK, CheckStatus::Warn, "report_scope_missing")
            .with("scope", PARTICIPANTS_REPORT.preferred_scope())
            .with("classicScope", others.join(", "));
    }
    if host_basic {
        return Check::new(REPORT_CHECK, CheckStatus::Warn, "report_needs_paid_plan");
    }
    Check::new(REPORT_CHECK, CheckStatus::Pass, "ok")
}

/// Whether Zoom will deliver these events. Only granular scopes name them
/// (ZOOM.md §4): an app on classic scopes is `skip` / `classic_scopes`.
fn events_check(name: &str, missing_code: &str, events: &EventScopes, granted: &[String]) -> Check {
    if !uses_granular_scopes(granted) {
        return Check::new(name, CheckStatus::Skip, "classic_scopes");
    }
    if events.allowed_by(granted) {
        return Check::new(name, CheckStatus::Pass, "ok");
    }
    Check::new(name, CheckStatus::Warn, missing_code)
        .with("scope", events.preferred_scope())
        .with("events", events.events.join(", "))
}

/// The report check and the two event checks, in that order, and the scopes
/// the event checks found missing (to add to the report's `missingScopes`;
/// the report's own scope is there already, as an operation's).
pub fn arrival_checks(granted: &[String], host_basic: bool) -> (Vec<Check>, Vec<String>) {
    let checks = vec![
        report_check(granted, host_basic),
        events_check(
            PARTICIPANT_EVENTS_CHECK,
            "participant_event_scope_missing",
            &PARTICIPANT_EVENTS,
            granted,
        ),
        events_check(
            RECORDING_EVENTS_CHECK,
            "recording_event_scope_missing",
            &RECORDING_EVENTS,
            granted,
        ),
    ];
    let missing = checks[1..]
        .iter()
        .filter(|c| c.status == CheckStatus::Warn)
        .filter_map(|c| c.params.get("scope").cloned())
        .collect();
    (checks, missing)
}

/// The three checks as skipped (no token: nothing could be judged).
pub fn skipped() -> Vec<Check> {
    [
        REPORT_CHECK,
        PARTICIPANT_EVENTS_CHECK,
        RECORDING_EVENTS_CHECK,
    ]
    .into_iter()
    .map(|name| Check::new(name, CheckStatus::Skip, "skipped"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn outcomes(checks: &[Check]) -> Vec<(&str, CheckStatus, &str)> {
        checks
            .iter()
            .map(|c| (c.name.as_str(), c.status, c.code.as_str()))
            .collect()
    }

    #[test]
    fn everything_granted() {
        let granted = scopes(&[
            "report:read:list_meeting_participants:admin",
            "meeting:read:participant:admin",
            "cloud_recording:read:recording:admin",
        ]);
        let (checks, missing) = arrival_checks(&granted, false);
        assert!(
            checks.iter().all(|c| c.status == CheckStatus::Pass),
            "{checks:?}"
        );
        assert!(missing.is_empty());
        let (checks, _) = arrival_checks(&granted, true);
        assert_eq!(
            outcomes(&checks[..1]),
            [(REPORT_CHECK, CheckStatus::Warn, "report_needs_paid_plan")]
        );
    }

    #[test]
    fn each_missing_scope_is_a_warning_naming_it() {
        let (checks, missing) = arrival_checks(&scopes(&["meeting:read:meeting:admin"]), false);
        assert_eq!(
            outcomes(&checks),
            [
                (REPORT_CHECK, CheckStatus::Warn, "report_scope_missing"),
                (
                    PARTICIPANT_EVENTS_CHECK,
                    CheckStatus::Warn,
                    "participant_event_scope_missing"
                ),
                (
                    RECORDING_EVENTS_CHECK,
                    CheckStatus::Warn,
                    "recording_event_scope_missing"
                ),
            ]
        );
        assert_eq!(
            checks[0].params["scope"],
            "report:read:list_meeting_participants:admin"
        );
        assert_eq!(checks[0].params["classicScope"], "report:read:admin");
        assert_eq!(
            missing,
            [
                "meeting:read:participant:admin",
                "cloud_recording:read:recording:admin"
            ]
        );
    }

    #[test]
    fn classic_apps_have_the_report_judged_and_the_events_skipped() {
        let classic = scopes(&[
            "meeting:read:admin",
            "report:read:admin",
            "recording:read:admin",
        ]);
        let (checks, missing) = arrival_checks(&classic, false);
        assert_eq!(
            outcomes(&checks),
            [
                (REPORT_CHECK, CheckStatus::Pass, "ok"),
                (
                    PARTICIPANT_EVENTS_CHECK,
                    CheckStatus::Skip,
                    "classic_scopes"
                ),
                (RECORDING_EVENTS_CHECK, CheckStatus::Skip, "classic_scopes"),
            ]
        );
        assert!(missing.is_empty());
    }
}
