//! Every expected outcome that is not a success, typed. The HTTP edge
//! (`http::status`) gives each its status and stable problem code and words
//! it in the caller's language.

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

/// An occurrence of a series that does not fit, and what is in its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceConflict {
    pub meeting_id: String,
    pub start_time: chrono::DateTime<chrono::Utc>,
    pub end_time: chrono::DateTime<chrono::Utc>,
    pub conflicts: Vec<Conflict>,
}

/// `ReportUnavailable` reasons.
pub const REPORT_NOT_READY: &str = "not_ready";
pub const REPORT_PAID_ONLY: &str = "paid_plan_required";
pub const REPORT_MISSING_SCOPES: &str = "missing_scopes";

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("meeting not found")]
    MeetingNotFound,
    #[error("series not found")]
    SeriesNotFound,
    /// Zoom's occurrences of a recurring meeting are not the ones we booked.
    #[error("Zoom's occurrences differ from the series' ({0})")]
    ZoomOccurrencesDiffer(String),
    #[error("meeting can no longer be changed")]
    MeetingNotEditable,
    #[error("meeting deleted")]
    MeetingDeleted,
    #[error("recording not found")]
    RecordingNotFound,
    /// No verified copy of the file exists (yet).
    #[error("recording not archived")]
    RecordingNotArchived,
    #[error("recording unpublished")]
    RecordingUnpublished,
    /// Zoom has no participant report for this meeting (`reason`: not
    /// ready yet, a paid plan needed, or the report scope missing).
    #[error("Zoom's participant report is not available: {reason}")]
    ReportUnavailable { reason: &'static str },
    #[error("slot conflict")]
    SlotConflict {
        license_id: Option<String>,
        conflicts: Vec<Conflict>,
    },
    /// A series (all or nothing) does not fit: every occurrence in the way.
    #[error("slot conflict on {} occurrence(s)", occurrences.len())]
    SeriesConflict {
        license_id: Option<String>,
        occurrences: Vec<OccurrenceConflict>,
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
            ZoomError::Timeout | ZoomError::OutOfTime | ZoomError::Unreachable(_) => {
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
