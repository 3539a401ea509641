//! License verification as data: which checks ran and how each ended.
//! Messages are worded at the HTTP edge, in the reader's language, from
//! `code` and `params`.

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

#[cfg(test)]
mod tests {
    use super::*;

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
