//! Every expected outcome that is not a success, with its HTTP status and its
//! stable problem code. The HTTP edge words them in the caller's language.

use crate::domain::validation::{FieldError, Problems};
use crate::repo::RepoError;
use crate::secrets::SecretError;
use crate::store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
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
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::MalformedJson { .. } => 400,
            AppError::Unauthorized => 401,
            AppError::LicenseNotFound | AppError::RouteNotFound => 404,
            AppError::MethodNotAllowed => 405,
            AppError::LicenseNameTaken | AppError::LicenseInUse => 409,
            AppError::VersionConflict { .. } => 412,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::Validation(_) => 422,
            AppError::StoreUnavailable(_) => 503,
            AppError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson { .. } => "malformed_json",
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
            AppError::Internal(_) => "internal_error",
        }
    }

    /// Seconds after which a retry makes sense, for 503s.
    pub fn retry_after(&self) -> Option<u32> {
        matches!(self, AppError::StoreUnavailable(_)).then_some(1)
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

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        match e {
            SecretError::Unavailable(detail) => AppError::StoreUnavailable(detail),
            other => AppError::Internal(other.to_string()),
        }
    }
}
