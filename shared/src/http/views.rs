//! The JSON the API returns for licenses, in the reader's language.

use serde_json::{Value, json};

use super::check_text;
use super::i18n::Lang;
use crate::domain::license::{License, rfc3339};
use crate::domain::verification::Verification;

pub fn verification(report: &Verification, lang: Lang) -> Value {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "status": c.status,
                "code": c.code,
                "message": check_text::message(lang, c),
            })
        })
        .collect();
    json!({
        "status": report.status,
        "checkedAt": rfc3339(&report.checked_at),
        "grantedScopes": report.granted_scopes,
        "missingScopes": report.missing_scopes,
        "zoomUser": report.zoom_user,
        "checks": checks,
    })
}

/// A license without any secret: hints only.
pub fn license(license: &License, public_base_url: Option<&str>, lang: Lang) -> Value {
    json!({
        "licenseId": license.license_id,
        "academyId": license.academy_id,
        "name": license.name,
        "accountId": license.account_id,
        "clientId": license.client_id,
        "sdkKey": license.sdk_key,
        "clientSecretHint": license.client_secret_hint,
        "sdkSecretHint": license.sdk_secret_hint,
        "webhookSecretConfigured": license.webhook_secret_configured,
        "webhookUrl": license.webhook_url(public_base_url),
        "hostUser": license.host_user,
        "zoomUserId": license.zoom_user_id,
        "maxConcurrentMeetings": license.max_concurrent_meetings,
        "status": license.status,
        "verification": license.verification.as_ref().map(|v| verification(v, lang)),
        "version": license.version,
        "createdAt": rfc3339(&license.created_at),
        "updatedAt": rfc3339(&license.updated_at),
    })
}
