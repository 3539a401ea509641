//! Every expected outcome that is not a success, with its HTTP status and its
//! stable problem code. The HTTP edge words them in the caller's language.

use crate::domain::validation::{FieldError, Problems};
use crate::repo::RepoError;
use crate::secrets::SecretError;
use crate::store::StoreError;
use crate::zoom::{OAuthFailure, ZoomError};

/// A meeting in the way of a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub meeting_id: String,
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub end_time: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("meeting not found")]
    MeetingNotFound,
    #[error("meeting can no longer be changed")]
    MeetingNotEditable,
    #[error("meeting deleted")]
    MeetingDeleted,
    #[error("slot conflict")]
    SlotConflict {
        license_id: Option<String>,
        conflicts: Vec<Conflict>,
    },
    #[error("no license available")]
    NoLicenseAvailable,
    #[error("license invalid")]
    LicenseInvalid,
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    #[error("idempotent request in progress")]
    IdempotencyInProgress,
    #[error("malformed JSON")]
    MalformedJson {
        detail: Option<String>,
        errors: Vec<FieldError>,
    },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("license not found")]
    LicenseNotFound,
    #[error("route not found")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("license name taken")]
    LicenseNameTaken,
    #[error("license in use")]
    LicenseInUse,
    #[error("version conflict")]
    VersionConflict { current: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("store unavailable: {0}")]
    StoreUnavailable(String),
    #[error("zoom rate limited")]
    ZoomRateLimited { retry_after_secs: u64 },
    #[error("zoom error {zoom_code:?}: {zoom_message}")]
    ZoomError {
        zoom_code: Option<i64>,
        zoom_message: String,
    },
    #[error("zoom unavailable: {0}")]
    ZoomUnavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::MalformedJson { .. } => 400,
            AppError::Unauthorized => 401,
            AppError::LicenseNotFound | AppError::RouteNotFound | AppError::MeetingNotFound => 404,
            AppError::SlotConflict { .. }
            | AppError::NoLicenseAvailable
            | AppError::MeetingNotEditable
            | AppError::IdempotencyInProgress => 409,
            AppError::LicenseInvalid | AppError::IdempotencyKeyReused => 422,
            AppError::MethodNotAllowed => 405,
            AppError::MeetingDeleted => 409,
            AppError::LicenseNameTaken | AppError::LicenseInUse => 409,
            AppError::VersionConflict { .. } => 412,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::Validation(_) => 422,
            AppError::StoreUnavailable(_) | AppError::ZoomUnavailable(_) => 503,
            AppError::ZoomRateLimited { .. } => 429,
            AppError::ZoomError { .. } => 502,
            AppError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson { .. } => "malformed_json",
            AppError::MeetingNotFound => "meeting_not_found",
            AppError::MeetingNotEditable => "meeting_not_editable",
            AppError::MeetingDeleted => "meeting_deleted",
            AppError::SlotConflict { .. } => "slot_conflict",
            AppError::NoLicenseAvailable => "no_license_available",
            AppError::LicenseInvalid => "license_invalid",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::IdempotencyInProgress => "idempotency_in_progress",
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthorized => "unauthorized",
            AppError::LicenseNotFound => "license_not_found",
            AppError::RouteNotFound => "route_not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::LicenseNameTaken => "license_name_taken",
            AppError::LicenseInUse => "license_in_use",
            AppError::VersionConflict { .. } => "version_conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::StoreUnavailable(_) => "store_unavailable",
            AppError::ZoomRateLimited { .. } => "zoom_rate_limited",
            AppError::ZoomError { .. } => "zoom_error",
            AppError::ZoomUnavailable(_) => "zoom_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// Seconds after which a retry makes sense, for 503s.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::StoreUnavailable(_) | AppError::IdempotencyInProgress => Some(1),
            AppError::ZoomUnavailable(_) => Some(5),
            AppError::ZoomRateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// Field problems of a request body: wrong JSON types are a malformed
    /// body (400), broken rules a validation failure (422).
    pub fn from_problems(problems: Problems) -> Self {
        if problems.wrong_types.is_empty() {
            AppError::Validation(problems.invalid)
        } else {
            AppError::MalformedJson {
                detail: None,
                errors: problems.wrong_types,
            }
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(detail) => AppError::Internal(detail),
            other => AppError::StoreUnavailable(other.to_string()),
        }
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::NameTaken => AppError::LicenseNameTaken,
            RepoError::NotFound => AppError::LicenseNotFound,
            RepoError::VersionConflict => AppError::VersionConflict { current: 0 },
            RepoError::Store(e) => e.into(),
        }
    }
}

impl From<ZoomError> for AppError {
    fn from(e: ZoomError) -> Self {
        match e {
            ZoomError::RateLimited { retry_after, .. } => AppError::ZoomRateLimited {
                // Round up: never tell a caller to come back too early.
                retry_after_secs: retry_after
                    .map_or(1, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
                    .max(1),
            },
            ZoomError::Timeout | ZoomError::Unreachable(_) => {
                AppError::ZoomUnavailable(e.to_string())
            }
            ZoomError::Api { status, .. } if status >= 500 => {
                AppError::ZoomUnavailable(e.to_string())
            }
            ZoomError::Api { code, message, .. } => AppError::ZoomError {
                zoom_code: code,
                zoom_message: message,
            },
            // Zoom refuses the license's own credentials: not a gateway
            // failure and not worth retrying; the license needs fixing.
            ZoomError::OAuth { failure, .. } if failure != OAuthFailure::Other => {
                AppError::LicenseInvalid
            }
            ZoomError::OAuth { error, reason, .. } => AppError::ZoomError {
                zoom_code: None,
                zoom_message: format!("{error}: {reason}"),
            },
            ZoomError::InvalidResponse(detail) => AppError::ZoomError {
                zoom_code: None,
                zoom_message: detail,
            },
        }
    }
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Unavailable(detail) => AppError::StoreUnavailable(detail),
            other => AppError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn zoom_errors_map_to_problems() {
        let limited = AppError::from(ZoomError::RateLimited {
            retry_after: Some(Duration::from_millis(1500)),
            daily: false,
            message: String::new(),
        });
        assert_eq!(
            (limited.status(), limited.code(), limited.retry_after()),
            (429, "zoom_rate_limited", Some(2))
        );
        let down = AppError::from(ZoomError::Api {
            status: 503,
            code: None,
            message: "x".into(),
        });
        assert_eq!((down.status(), down.code()), (503, "zoom_unavailable"));
        let odd = AppError::from(ZoomError::Api {
            status: 400,
            code: Some(3003),
            message: "not host".into(),
        });
        assert_eq!((odd.status(), odd.code()), (502, "zoom_error"));
        let refused = AppError::from(ZoomError::OAuth {
            status: 401,
            failure: OAuthFailure::InvalidClient,
            error: "invalid_client".into(),
            reason: "Invalid client_id or client_secret".into(),
        });
        assert_eq!((refused.status(), refused.code()), (422, "license_invalid"));
        let other = AppError::from(ZoomError::OAuth {
            status: 400,
            failure: OAuthFailure::Other,
            error: "invalid_request".into(),
            reason: "?".into(),
        });
        assert_eq!((other.status(), other.code()), (502, "zoom_error"));
        assert_eq!(AppError::from(ZoomError::Timeout).status(), 503);
    }
}
