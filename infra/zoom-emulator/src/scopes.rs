//! Scope checks: an endpoint accepts any one of the granular or classic
//! scopes its entry in [`crate::endpoints`] names (ZOOM.md §3–4).

use axum::http::StatusCode;

use crate::endpoints::{self, Endpoint};
use crate::reply::{self, Rejection};

/// Code of Zoom's "token lacks scopes" error.
///
/// ZOOM.md §2 says 4700; every raw body found in the wild for granular scopes
/// carries 4711 (e.g. `{"code":4711,"message":"Invalid access token, does not
/// contain scopes:[user:read:list_users:admin]."}` in JubaerHossain/zoom-laravel
/// #15 and lanec/zoom-batch-downloader #34), so the emulator sends 4711.
pub const MISSING_SCOPES_CODE: i64 = 4711;

/// The scopes an endpoint accepts.
pub(crate) struct ScopeRule {
    /// Named in the 4711 message, in this order.
    pub granular: &'static [&'static str],
    pub classic: &'static [&'static str],
}

/// The endpoint's rule (from [`crate::endpoints`]); `None` for the token endpoint.
pub(crate) fn rule(endpoint: Endpoint) -> Option<&'static ScopeRule> {
    endpoints::declaration(endpoint).scopes.as_ref()
}

/// `Err(400 4711 …)` unless `granted` holds one of the endpoint's scopes.
///
/// No distinction is made between own-data and `:admin` scopes: an S2S token
/// with `meeting:write:meeting` may act on any user of its account here.
pub(crate) fn check(endpoint: Endpoint, granted: &[String]) -> Result<(), Rejection> {
    let Some(rule) = rule(endpoint) else {
        return Ok(());
    };
    let accepted = rule.granular.iter().chain(rule.classic);
    if accepted.clone().any(|s| granted.iter().any(|g| g == s)) {
        return Ok(());
    }
    Err(reply::zoom_error(
        StatusCode::BAD_REQUEST,
        MISSING_SCOPES_CODE,
        missing_scopes_message(rule),
    ))
}

fn missing_scopes_message(rule: &ScopeRule) -> String {
    format!(
        "Invalid access token, does not contain scopes:[{}].",
        rule.granular.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_lists_granular_scopes() {
        let rule = rule(Endpoint::GetUserToken).unwrap();
        assert_eq!(
            missing_scopes_message(rule),
            "Invalid access token, does not contain scopes:[user:read:token, user:read:token:admin]."
        );
    }

    #[test]
    fn write_scope_does_not_allow_update_but_classic_write_does() {
        let granular = vec!["meeting:write:meeting:admin".to_owned()];
        assert!(check(Endpoint::CreateMeeting, &granular).is_ok());
        assert!(check(Endpoint::UpdateMeeting, &granular).is_err());
        assert!(check(Endpoint::DeleteMeeting, &granular).is_err());
        let classic = vec!["meeting:write:admin".to_owned()];
        assert!(check(Endpoint::UpdateMeeting, &classic).is_ok());
        assert!(check(Endpoint::DeleteMeeting, &classic).is_ok());
        assert!(check(Endpoint::GetMeeting, &classic).is_err());
    }
}
