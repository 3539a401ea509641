//! The scope check of a verification, derived from the Zoom operations'
//! declarations: a license lacks a feature when no scope it was granted
//! allows the operation behind it.

use crate::domain::verification::{Check, CheckStatus};
use crate::zoom::operations::{self, GET_USER};

/// Compares granted scopes with what each operation needs; returns the check
/// and the scopes to add (the preferred scope of each missing operation).
pub fn check_scopes(granted: &[String]) -> (Check, Vec<String>) {
    let missing = operations::not_allowed(granted);
    let names: Vec<String> = missing
        .iter()
        .map(|op| op.preferred_scope().to_owned())
        .collect();
    let check = if missing.is_empty() {
        Check::new("scopes", CheckStatus::Pass, "ok")
    } else if missing.iter().any(|op| op.core) {
        Check::new("scopes", CheckStatus::Fail, "scopes_missing").with("scopes", names.join(", "))
    } else {
        Check::new("scopes", CheckStatus::Warn, "optional_scopes_missing")
            .with("scopes", names.join(", "))
    };
    (check, names)
}

/// Whether the granted scopes let us read users (else the host check cannot run).
pub fn can_read_users(granted: &[String]) -> bool {
    GET_USER.allowed_by(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn granular_and_classic_both_satisfy() {
        let granular = scopes(&[
            "meeting:write:meeting:admin",
            "meeting:read:meeting:admin",
            "meeting:update:meeting:admin",
            "meeting:delete:meeting:admin",
            "user:read:user:admin",
            "user:read:token:admin",
            "cloud_recording:read:list_recording_files:admin",
        ]);
        let (check, missing) = check_scopes(&granular);
        assert_eq!(check.status, CheckStatus::Warn);
        assert_eq!(
            missing,
            vec![
                "meeting:read:list_meetings:admin",
                "cloud_recording:delete:recording_file:admin",
                "report:read:list_meeting_participants:admin",
                "meeting:read:list_past_instances:admin"
            ]
        );
        let mut granular = granular;
        granular.push("meeting:read:list_meetings:admin".into());
        granular.push("cloud_recording:delete:recording_file:admin".into());
        granular.push("report:read:list_meeting_participants:admin".into());
        granular.push("meeting:read:list_past_instances:admin".into());
        assert_eq!(check_scopes(&granular).0.status, CheckStatus::Pass);
        let classic = scopes(&[
            "meeting:write:admin",
            "meeting:read:admin",
            "user:read:admin",
            "recording:read:admin",
            "recording:write:admin",
            "report:read:admin",
        ]);
        let (check, missing) = check_scopes(&classic);
        assert_eq!(check.status, CheckStatus::Pass, "{missing:?}");
    }

    #[test]
    fn write_does_not_imply_update_in_granular_scopes() {
        let granted = scopes(&[
            "meeting:write:meeting:admin",
            "meeting:read:meeting:admin",
            "user:read:user:admin",
        ]);
        let (check, missing) = check_scopes(&granted);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(missing.contains(&"meeting:update:meeting:admin".to_owned()));
        assert!(missing.contains(&"meeting:delete:meeting:admin".to_owned()));
        assert!(missing.contains(&"user:read:token:admin".to_owned()));
    }

    #[test]
    fn only_optional_missing_is_a_warning() {
        let granted = scopes(&[
            "meeting:write:admin",
            "meeting:read:admin",
            "user:read:user:admin",
        ]);
        let (check, missing) = check_scopes(&granted);
        assert_eq!(check.status, CheckStatus::Warn);
        assert_eq!(
            missing,
            vec![
                "user:read:token:admin",
                "cloud_recording:read:list_recording_files:admin",
                "cloud_recording:delete:recording_file:admin",
                "report:read:list_meeting_participants:admin"
            ]
        );
    }
}
