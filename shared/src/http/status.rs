//! What each [`AppError`] is on the wire: its HTTP status, its stable
//! problem code, and when a retry makes sense.

use crate::error::{AppError, REPORT_NOT_READY};

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::MalformedJson { .. } => 400,
            AppError::Unauthorized => 401,
            AppError::LicenseNotFound
            | AppError::RouteNotFound
            | AppError::MeetingNotFound
            | AppError::SeriesNotFound => 404,
            AppError::SlotConflict { .. }
            | AppError::SeriesConflict { .. }
            | AppError::NoLicenseAvailable
            | AppError::MeetingNotEditable
            | AppError::IdempotencyInProgress => 409,
            AppError::LicenseInvalid | AppError::IdempotencyKeyReused => 422,
            AppError::MethodNotAllowed => 405,
            AppError::MeetingDeleted | AppError::ReportUnavailable { .. } => 409,
            AppError::RecordingNotArchived => 409,
            AppError::RecordingUnpublished => 403,
            AppError::RecordingNotFound => 404,
            AppError::LicenseNameTaken | AppError::LicenseInUse => 409,
            AppError::VersionConflict { .. } => 412,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::Validation(_) => 422,
            AppError::StoreUnavailable(_) | AppError::ZoomUnavailable(_) => 503,
            AppError::ZoomRateLimited { .. } => 429,
            AppError::ZoomError { .. } | AppError::ZoomOccurrencesDiffer(_) => 502,
            AppError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson { .. } => "malformed_json",
            AppError::MeetingNotFound => "meeting_not_found",
            AppError::SeriesNotFound => "series_not_found",
            AppError::ZoomOccurrencesDiffer(_) => "zoom_occurrences_differ",
            AppError::MeetingNotEditable => "meeting_not_editable",
            AppError::MeetingDeleted => "meeting_deleted",
            AppError::RecordingNotFound => "recording_not_found",
            AppError::RecordingNotArchived => "recording_not_archived",
            AppError::RecordingUnpublished => "recording_unpublished",
            AppError::ReportUnavailable { .. } => "attendance_report_unavailable",
            AppError::SlotConflict { .. } | AppError::SeriesConflict { .. } => "slot_conflict",
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
            AppError::ReportUnavailable { reason } if *reason == REPORT_NOT_READY => Some(60),
            AppError::ZoomRateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::AppError;
    use crate::zoom::{OAuthFailure, ZoomError};
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
