//! Zoom's two error shapes made typed: REST `{code, message}` and OAuth
//! `{reason, error}`, plus what goes wrong on the way (timeouts, refused
//! connections, rate limits).

use std::time::Duration;

/// Why the token endpoint refused the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthFailure {
    /// Client ID or Client Secret wrong (`invalid_client`).
    InvalidClient,
    /// Credentials of an app that cannot use `account_credentials` (not S2S).
    UnsupportedGrant,
    /// The Account ID does not belong to the app.
    WrongAccount,
    /// The app exists but is not activated (or was deactivated).
    Deactivated,
    /// Anything else Zoom said.
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    #[error("zoom oauth error {status}: {error}: {reason}")]
    OAuth {
        status: u16,
        failure: OAuthFailure,
        error: String,
        reason: String,
    },
    #[error("zoom api error {status}: code {code:?}: {message}")]
    Api {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error("zoom rate limited (retry after {retry_after:?}, daily cap: {daily})")]
    RateLimited {
        retry_after: Option<Duration>,
        daily: bool,
        message: String,
    },
    #[error("zoom did not answer in time")]
    Timeout,
    /// Not sent: what is left of the request's deadline is too short for a call.
    #[error("no time left to ask zoom")]
    OutOfTime,
    #[error("zoom unreachable: {0}")]
    Unreachable(String),
    #[error("zoom answered something we cannot read: {0}")]
    InvalidResponse(String),
}

/// Zoom's code for "the token lacks scopes" (some answers use 4711).
pub const CODE_MISSING_SCOPES: i64 = 4700;
pub const CODE_INVALID_TOKEN: i64 = 124;
pub const CODE_USER_NOT_FOUND: i64 = 1001;
pub const CODE_MEETING_NOT_FOUND: i64 = 3001;
/// "Only available for Paid account" (also other paid-plan features, ZOOM-2.md A, E).
pub const CODE_PAID_ONLY: i64 = 200;
/// A bad or expired `next_page_token` (also Zoom's generic validation code).
pub const CODE_BAD_REQUEST: i64 = 300;

impl ZoomError {
    pub fn code(&self) -> Option<i64> {
        match self {
            ZoomError::Api { code, .. } => *code,
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ZoomError::Api { status, .. } | ZoomError::OAuth { status, .. } => Some(*status),
            ZoomError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Zoom could not be reached or failed on its side: worth trying later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ZoomError::Timeout | ZoomError::OutOfTime | ZoomError::Unreachable(_) => true,
            ZoomError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    pub fn is_missing_scopes(&self) -> bool {
        matches!(self.code(), Some(4700 | 4711))
            || matches!(self, ZoomError::Api { message, .. } if message.contains("does not contain scopes"))
    }

    /// The scopes a 4700 answer names: `... does not contain scopes:[a, b].`
    pub fn missing_scopes(&self) -> Vec<String> {
        let ZoomError::Api { message, .. } = self else {
            return Vec::new();
        };
        let Some(start) = message.find('[') else {
            return Vec::new();
        };
        let rest = &message[start + 1..];
        let end = rest.find(']').unwrap_or(rest.len());
        rest[..end]
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The request never left: nothing can have happened in Zoom.
    pub fn was_not_sent(&self) -> bool {
        matches!(self, ZoomError::OutOfTime)
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ZoomError::Api { status: 404, .. })
            || matches!(
                self.code(),
                Some(CODE_USER_NOT_FOUND | CODE_MEETING_NOT_FOUND)
            )
    }

    /// Zoom offers this only on a paid plan (code 200, e.g. "Only available
    /// for Paid account" from the participant report).
    pub fn is_paid_only(&self) -> bool {
        self.code() == Some(CODE_PAID_ONLY)
    }

    /// A report Zoom does not have (yet): code 3001 "Meeting ID is invalid or
    /// not end." — the meeting has not ended, or is unknown — or a bare 404.
    /// The HTTP status of the 3001 answer is UNCONFIRMED (ZOOM-2.md A), hence
    /// the code alone decides; how long after the end a report appears is
    /// UNCONFIRMED too, so callers retry later.
    pub fn is_report_not_ready(&self) -> bool {
        self.code() == Some(CODE_MEETING_NOT_FOUND)
            || matches!(
                self,
                ZoomError::Api {
                    status: 404,
                    code: None,
                    ..
                }
            )
    }

    pub fn is_invalid_token(&self) -> bool {
        matches!(self, ZoomError::Api { status: 401, .. })
            || self.code() == Some(CODE_INVALID_TOKEN)
    }
}

/// Classifies an OAuth error answer. Zoom documents `invalid_client` and
/// `unsupported_grant_type`; the wording for a wrong account id or a
/// deactivated app is not documented, so it is recognised by its words.
pub fn classify_oauth(error: &str, reason: &str) -> OAuthFailure {
    let reason_lc = reason.to_ascii_lowercase();
    if error == "unsupported_grant_type" || reason_lc.contains("grant type") {
        OAuthFailure::UnsupportedGrant
    } else if reason_lc.contains("deactivat")
        || reason_lc.contains("disabled")
        || reason_lc.contains("not activated")
    {
        OAuthFailure::Deactivated
    } else if reason_lc.contains("account") {
        OAuthFailure::WrongAccount
    } else if error == "invalid_client" || reason_lc.contains("client_id or client_secret") {
        OAuthFailure::InvalidClient
    } else {
        OAuthFailure::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_named_in_a_4700_answer() {
        let e = ZoomError::Api {
            status: 400,
            code: Some(4700),
            message: "Invalid access token, does not contain scopes:[user_zak:read, user:read:token:admin].".into(),
        };
        assert!(e.is_missing_scopes());
        assert_eq!(
            e.missing_scopes(),
            vec!["user_zak:read", "user:read:token:admin"]
        );
    }

    #[test]
    fn report_answers() {
        let api = |status, code, message: &str| ZoomError::Api {
            status,
            code,
            message: message.into(),
        };
        let paid = api(400, Some(200), "Only available for Paid account");
        assert!(paid.is_paid_only() && !paid.is_report_not_ready());
        for not_ready in [
            api(404, Some(3001), "Meeting ID is invalid or not end."),
            api(400, Some(3001), "Meeting ID is invalid or not end."),
            api(404, None, "Not Found"),
        ] {
            assert!(not_ready.is_report_not_ready(), "{not_ready:?}");
            assert!(!not_ready.is_paid_only());
        }
        assert!(!api(404, Some(4711), "scopes").is_report_not_ready());
    }

    #[test]
    fn oauth_failures() {
        assert_eq!(
            classify_oauth("invalid_client", "Invalid client_id or client_secret"),
            OAuthFailure::InvalidClient
        );
        assert_eq!(
            classify_oauth("unsupported_grant_type", "unsupported grant type"),
            OAuthFailure::UnsupportedGrant
        );
        assert_eq!(
            classify_oauth(
                "invalid_request",
                "Invalid request : Account ID is not matched with the client"
            ),
            OAuthFailure::WrongAccount
        );
        assert_eq!(
            classify_oauth("invalid_client", "The app has been deactivated"),
            OAuthFailure::Deactivated
        );
        assert_eq!(classify_oauth("server_error", "oops"), OAuthFailure::Other);
    }
}
