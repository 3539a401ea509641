//! License verification as data: which checks ran, how each ended, and the
//! scopes each feature needs. Messages are worded at the HTTP edge, in the
//! reader's language, from `code` and `params`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::license::LicenseStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
    /// Could not be decided (Zoom unreachable).
    Error,
    /// Not run because an earlier check failed.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Check {
    pub fn new(name: &str, status: CheckStatus, code: &str) -> Self {
        Self {
            name: name.to_owned(),
            status,
            code: code.to_owned(),
            params: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.params.insert(key.to_owned(), value.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedUser {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub plan: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub status: LicenseStatus,
    pub checked_at: DateTime<Utc>,
    pub granted_scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    #[serde(default)]
    pub zoom_user: Option<VerifiedUser>,
    pub checks: Vec<Check>,
}

impl Verification {
    /// `invalid` on any failed check, `unverified` when Zoom could not be
    /// asked, `verified` otherwise (warnings included).
    pub fn from_checks(
        checks: Vec<Check>,
        granted_scopes: Vec<String>,
        missing_scopes: Vec<String>,
        zoom_user: Option<VerifiedUser>,
        now: DateTime<Utc>,
    ) -> Self {
        let status = if checks.iter().any(|c| c.status == CheckStatus::Fail) {
            LicenseStatus::Invalid
        } else if checks.iter().any(|c| c.status == CheckStatus::Error) {
            LicenseStatus::Unverified
        } else {
            LicenseStatus::Verified
        };
        Self {
            status,
            checked_at: now,
            granted_scopes,
            missing_scopes,
            zoom_user,
            checks,
        }
    }
}

/// A capability lms-zoom uses and the scopes that grant it: granular
/// (admin-level first, the one we ask admins to add) and classic.
pub struct Feature {
    pub name: &'static str,
    /// Without it lms-zoom cannot schedule classes: missing means `fail`.
    pub core: bool,
    pub accepted: &'static [&'static str],
}

pub const FEATURES: &[Feature] = &[
    Feature {
        name: "create_meetings",
        core: true,
        accepted: &[
            "meeting:write:meeting:admin",
            "meeting:write:meeting",
            "meeting:write:admin",
            "meeting:write",
        ],
    },
    Feature {
        name: "read_meetings",
        core: true,
        accepted: &[
            "meeting:read:meeting:admin",
            "meeting:read:meeting",
            "meeting:read:admin",
            "meeting:read",
        ],
    },
    Feature {
        name: "update_meetings",
        core: true,
        accepted: &[
            "meeting:update:meeting:admin",
            "meeting:update:meeting",
            "meeting:write:admin",
            "meeting:write",
        ],
    },
    Feature {
        name: "delete_meetings",
        core: true,
        accepted: &[
            "meeting:delete:meeting:admin",
            "meeting:delete:meeting",
            "meeting:write:admin",
            "meeting:write",
        ],
    },
    Feature {
        name: "read_users",
        core: true,
        accepted: &[
            "user:read:user:admin",
            "user:read:user",
            "user:read:admin",
            "user:read",
        ],
    },
    Feature {
        name: "host_zak",
        core: false,
        accepted: &[
            "user:read:token:admin",
            "user:read:token",
            "user:read:admin",
            "user:read",
            "user_zak:read",
        ],
    },
    Feature {
        // Finding the meeting a create made when Zoom's answer was lost.
        name: "list_meetings",
        core: false,
        accepted: &[
            "meeting:read:list_meetings:admin",
            "meeting:read:list_meetings",
            "meeting:read:admin",
            "meeting:read",
        ],
    },
    Feature {
        name: "read_recordings",
        core: false,
        accepted: &[
            "cloud_recording:read:list_recording_files:admin",
            "cloud_recording:read:list_recording_files",
            "cloud_recording:read:list_recording_files:master",
            "recording:read:admin",
            "recording:read",
        ],
    },
];

/// Compares granted scopes with what each feature needs; returns the check
/// and the scopes to add (the preferred name of each missing feature).
pub fn check_scopes(granted: &[String]) -> (Check, Vec<String>) {
    let missing: Vec<&Feature> = FEATURES
        .iter()
        .filter(|f| !f.accepted.iter().any(|s| granted.iter().any(|g| g == s)))
        .collect();
    let names: Vec<String> = missing.iter().map(|f| f.accepted[0].to_owned()).collect();
    let check = if missing.is_empty() {
        Check::new("scopes", CheckStatus::Pass, "ok")
    } else if missing.iter().any(|f| f.core) {
        Check::new("scopes", CheckStatus::Fail, "scopes_missing").with("scopes", names.join(", "))
    } else {
        Check::new("scopes", CheckStatus::Warn, "optional_scopes_missing")
            .with("scopes", names.join(", "))
    };
    (check, names)
}

/// Whether the granted scopes let us read users (else the host check cannot run).
pub fn can_read_users(granted: &[String]) -> bool {
    FEATURES
        .iter()
        .find(|f| f.name == "read_users")
        .is_some_and(|f| f.accepted.iter().any(|s| granted.iter().any(|g| g == s)))
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
        assert_eq!(missing, vec!["meeting:read:list_meetings:admin"]);
        let mut granular = granular;
        granular.push("meeting:read:list_meetings:admin".into());
        assert_eq!(check_scopes(&granular).0.status, CheckStatus::Pass);
        let classic = scopes(&[
            "meeting:write:admin",
            "meeting:read:admin",
            "user:read:admin",
            "recording:read:admin",
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
                "cloud_recording:read:list_recording_files:admin"
            ]
        );
    }

    #[test]
    fn status_from_checks() {
        let now = Utc::now();
        let pass = Check::new("a", CheckStatus::Pass, "ok");
        let warn = Check::new("b", CheckStatus::Warn, "w");
        let fail = Check::new("c", CheckStatus::Fail, "f");
        let error = Check::new("d", CheckStatus::Error, "e");
        let status = |c: Vec<Check>| Verification::from_checks(c, vec![], vec![], None, now).status;
        assert_eq!(
            status(vec![pass.clone(), warn.clone()]),
            LicenseStatus::Verified
        );
        assert_eq!(
            status(vec![pass.clone(), error.clone()]),
            LicenseStatus::Unverified
        );
        assert_eq!(status(vec![error, fail]), LicenseStatus::Invalid);
    }
}
