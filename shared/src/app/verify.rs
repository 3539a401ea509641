//! Verifies a license against Zoom: credentials, scopes, host user and plan,
//! what will arrive from Zoom (participant report, participant and recording
//! events), SDK credentials, webhook secret. Every outcome becomes a check
//! with a code an admin can act on; nothing here fails the request.

use chrono::Utc;

use super::arrivals::{self, arrival_checks};
use super::scopes::{can_read_users, check_scopes};
use crate::domain::license::{DEFAULT_HOST_USER, License};
use crate::domain::verification::{Check, CheckStatus, Verification, VerifiedUser};
use crate::secrets::LicenseSecrets;
use crate::zoom::types::UserPlan;
use crate::zoom::{OAuthFailure, ZoomClient, ZoomCredentials, ZoomError};

/// The S2S credentials of a license, keyed by license and secret version.
pub fn credentials(license: &License, secrets: &LicenseSecrets) -> ZoomCredentials {
    ZoomCredentials {
        cache_key: format!("{}#{}", license.license_id, license.secret_version),
        account_id: license.account_id.clone(),
        client_id: license.client_id.clone(),
        client_secret: secrets.client_secret.clone(),
    }
}

fn skipped(name: &str) -> Check {
    Check::new(name, CheckStatus::Skip, "skipped")
}

/// A check that could not be decided because Zoom did not answer usefully.
fn undecided(name: &str, error: &ZoomError) -> Check {
    match error {
        ZoomError::RateLimited { .. } => Check::new(name, CheckStatus::Error, "zoom_rate_limited"),
        _ => Check::new(name, CheckStatus::Error, "zoom_unreachable"),
    }
}

fn credentials_check(error: &ZoomError) -> Check {
    let code = match error {
        ZoomError::OAuth { failure, .. } => match failure {
            OAuthFailure::InvalidClient => "invalid_client",
            OAuthFailure::UnsupportedGrant => "wrong_app_type",
            OAuthFailure::WrongAccount => "wrong_account_id",
            OAuthFailure::Deactivated => "app_deactivated",
            OAuthFailure::Other => "credentials_rejected",
        },
        e if e.is_unavailable() || matches!(e, ZoomError::RateLimited { .. }) => {
            return undecided("credentials", e);
        }
        _ => "credentials_rejected",
    };
    Check::new("credentials", CheckStatus::Fail, code)
}

fn sdk_check(license: &License, secrets: &LicenseSecrets) -> Check {
    if license.sdk_key == license.client_id {
        Check::new("sdk_credentials", CheckStatus::Warn, "sdk_key_is_client_id")
    } else if secrets.sdk_secret == secrets.client_secret {
        Check::new(
            "sdk_credentials",
            CheckStatus::Warn,
            "sdk_secret_is_client_secret",
        )
    } else {
        Check::new("sdk_credentials", CheckStatus::Pass, "ok")
    }
}

fn webhook_check(license: &License, secrets: &LicenseSecrets, base: Option<&str>) -> Check {
    let check = if secrets.webhook_secret_token.is_some() {
        Check::new("webhook", CheckStatus::Pass, "ok")
    } else {
        Check::new("webhook", CheckStatus::Warn, "webhook_secret_missing")
    };
    // Absolute when PUBLIC_BASE_URL is set: the URL to paste into Zoom.
    check.with("webhookPath", license.webhook_url(base))
}

fn plan_check(plan: Option<UserPlan>) -> Check {
    match plan {
        Some(UserPlan::Basic) => Check::new("host_plan", CheckStatus::Warn, "basic_plan"),
        Some(UserPlan::Licensed) => Check::new("host_plan", CheckStatus::Pass, "licensed"),
        Some(UserPlan::Other(n)) => {
            Check::new("host_plan", CheckStatus::Pass, "other_plan").with("type", n.to_string())
        }
        None => Check::new("host_plan", CheckStatus::Warn, "plan_unknown"),
    }
}

#[derive(Clone)]
pub struct Verifier {
    zoom: ZoomClient,
    public_base_url: Option<String>,
}

impl Verifier {
    pub fn new(zoom: ZoomClient, public_base_url: Option<String>) -> Self {
        Self {
            zoom,
            public_base_url,
        }
    }

    pub async fn verify(&self, license: &License, secrets: &LicenseSecrets) -> Verification {
        let creds = credentials(license, secrets);
        let mut checks = Vec::with_capacity(9);
        let mut granted = Vec::new();
        let mut missing = Vec::new();
        let mut zoom_user = None;
        match self.zoom.token(&creds).await {
            Err(error) => {
                tracing::info!(license_id = %license.license_id, error = %error, "verification: no token");
                checks.push(credentials_check(&error));
                for name in ["scopes", "host_user", "host_plan"] {
                    checks.push(skipped(name));
                }
                checks.extend(arrivals::skipped());
            }
            Ok(token) => {
                checks.push(Check::new("credentials", CheckStatus::Pass, "ok"));
                granted = token.scopes.clone();
                let (scopes, names) = check_scopes(&granted);
                missing = names;
                checks.push(scopes);
                let (host, plan) = self
                    .host_checks(license, &creds, &granted, &mut zoom_user)
                    .await;
                checks.push(host);
                checks.push(plan);
                let host_basic = zoom_user
                    .as_ref()
                    .is_some_and(|u| u.plan == UserPlan::Basic.label());
                let (arrivals, events_missing) = arrival_checks(&granted, host_basic);
                checks.extend(arrivals);
                missing.extend(events_missing);
            }
        }
        checks.push(sdk_check(license, secrets));
        checks.push(webhook_check(
            license,
            secrets,
            self.public_base_url.as_deref(),
        ));
        Verification::from_checks(checks, granted, missing, zoom_user, Utc::now())
    }

    async fn host_checks(
        &self,
        license: &License,
        creds: &ZoomCredentials,
        granted: &[String],
        zoom_user: &mut Option<VerifiedUser>,
    ) -> (Check, Check) {
        let host = license.host_user.as_str();
        if !can_read_users(granted) {
            let check = Check::new("host_user", CheckStatus::Skip, "needs_user_read_scope");
            return (check, skipped("host_plan"));
        }
        match self.zoom.get_user(creds, host).await {
            Ok(user) => {
                let plan = user.plan();
                *zoom_user = Some(VerifiedUser {
                    id: user.id.clone(),
                    email: user.email.clone(),
                    plan: plan.map_or_else(|| "unknown".to_owned(), UserPlan::label),
                });
                let check = if user.is_active() {
                    Check::new("host_user", CheckStatus::Pass, "ok")
                        .with("host", host)
                        .with("userId", user.id.clone())
                } else {
                    Check::new("host_user", CheckStatus::Fail, "host_user_inactive")
                        .with("host", host)
                        .with("userStatus", user.status.clone().unwrap_or_default())
                };
                (check, plan_check(plan))
            }
            Err(e) if e.is_missing_scopes() => (
                Check::new("host_user", CheckStatus::Skip, "needs_user_read_scope"),
                skipped("host_plan"),
            ),
            Err(e) if e.is_not_found() || e.code() == Some(1010) => {
                let code = if host == DEFAULT_HOST_USER {
                    "host_me_unsupported"
                } else {
                    "host_user_not_found"
                };
                (
                    Check::new("host_user", CheckStatus::Fail, code).with("host", host),
                    skipped("host_plan"),
                )
            }
            Err(e) if e.is_unavailable() || matches!(e, ZoomError::RateLimited { .. }) => {
                (undecided("host_user", &e), skipped("host_plan"))
            }
            Err(e) => (
                Check::new("host_user", CheckStatus::Fail, "host_user_unreadable")
                    .with("host", host)
                    .with("zoomMessage", e.to_string()),
                skipped("host_plan"),
            ),
        }
    }
}
