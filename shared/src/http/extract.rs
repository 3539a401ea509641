//! Request extractors that turn every bad input into an [`AppError`].

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::app::licenses::Precondition;
use crate::domain::validation::{FieldError, Rule};
use crate::error::AppError;

/// Largest body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON object body: `application/json`, at most 64 KiB, valid JSON, an object.
pub struct JsonObject(pub Map<String, Value>);

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = AppError;

    async fn from_request(request: Request<Body>, _: &S) -> Result<Self, AppError> {
        let headers = request.headers();
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(AppError::PayloadTooLarge);
        }
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if !content_type.is_some_and(is_json) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| AppError::MalformedJson {
            detail: Some(e.to_string()),
            errors: Vec::new(),
        })?;
        match value {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(AppError::MalformedJson {
                detail: Some("expected a JSON object".into()),
                errors: Vec::new(),
            }),
        }
    }
}

/// `If-Match`: `"3"`, `W/"3"`, `3`, a list of them, or `*`.
pub struct IfMatch(pub Precondition);

pub fn parse_if_match(value: Option<&str>) -> Precondition {
    let Some(value) = value else {
        return Precondition::None;
    };
    if value.trim() == "*" {
        return Precondition::Any;
    }
    let versions: Vec<u64> = value
        .split(',')
        .filter_map(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.trim_matches('"').parse().ok()
        })
        .collect();
    if versions.is_empty() {
        Precondition::Unmatchable
    } else {
        Precondition::Versions(versions)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let value = match parts.headers.get(IF_MATCH) {
            None => None,
            Some(v) => Some(v.to_str().unwrap_or("\u{0}")),
        };
        Ok(IfMatch(parse_if_match(value)))
    }
}

/// Page size when the caller names none, and the largest allowed.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

/// `limit` (1–200, default 50) and `cursor` (opaque: base64url of a sort key)
/// of a list route; problems are added to `errors`.
/// The longest decoded cursor: a calendar or license-name sort key is far shorter.
pub const MAX_CURSOR_BYTES: usize = 512;

pub fn page_params(
    params: &std::collections::HashMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> (usize, Option<String>) {
    use base64::Engine as _;
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    Rule::OutOfRange(1, MAX_PAGE as i64),
                ));
                DEFAULT_PAGE
            }
        },
    };
    let cursor = params
        .get("cursor")
        .filter(|c| !c.is_empty())
        .and_then(|raw| {
            // A cursor is a sort key we handed out: never longer than the
            // store's sort keys (a longer one would be refused there).
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .filter(|b| b.len() <= MAX_CURSOR_BYTES)
                .and_then(|b| String::from_utf8(b).ok());
            if decoded.is_none() {
                errors.push(FieldError::new("cursor", Rule::InvalidCursor));
            }
            decoded
        });
    (limit, cursor)
}

/// The cursor a list answer hands out for a sort key.
pub fn encode_cursor(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// Academy ids come from the path and are part of storage keys.
pub fn check_academy_id(academy_id: &str) -> Result<(), AppError> {
    let ok = (1..=64).contains(&academy_id.len())
        && academy_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::Validation(vec![FieldError::new(
            "academyId",
            Rule::InvalidAcademyId,
        )]))
    }
}

/// A license id that could exist: anything else is simply not found.
pub fn is_license_id(license_id: &str) -> bool {
    license_id.len() == 30
        && license_id.starts_with("lic_")
        && license_id[4..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        assert_eq!(parse_if_match(None), Precondition::None);
        assert_eq!(parse_if_match(Some("*")), Precondition::Any);
        assert_eq!(
            parse_if_match(Some("\"3\"")),
            Precondition::Versions(vec![3])
        );
        assert_eq!(
            parse_if_match(Some("W/\"3\", \"4\"")),
            Precondition::Versions(vec![3, 4])
        );
        assert_eq!(parse_if_match(Some("7")), Precondition::Versions(vec![7]));
        assert_eq!(parse_if_match(Some("\"abc\"")), Precondition::Unmatchable);
    }

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn ids() {
        assert!(check_academy_id("a1").is_ok());
        assert!(check_academy_id("a#1").is_err());
        assert!(check_academy_id("").is_err());
        assert!(is_license_id(&crate::app::licenses::new_license_id()));
        assert!(!is_license_id("lic_x"));
    }
}
