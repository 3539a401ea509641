//! Reading a signature request body: every problem is a validation failure
//! (422), wrong JSON types included.

use serde_json::{Map, Value};

use crate::app::signature::SignatureRequest;
use crate::domain::validation::{Field, FieldError, Reader, Rule};
use crate::error::AppError;
use crate::zoom::sdk_jwt::{
    DEFAULT_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS, MIN_EXPIRES_IN_SECS, SdkRole,
};

const FIELDS: &[&str] = &["role", "expiresInSeconds", "videoWebrtcMode"];
const WEBRTC_MODES: &[&str] = &["0", "1"];

/// Reads a request body. Every problem is a validation failure (422), wrong
/// JSON types included: `role` is required, `expiresInSeconds` an integer in
/// 1800..=172800 (default 7200), `videoWebrtcMode` 0 or 1, nothing else.
pub fn parse_request(body: Map<String, Value>) -> Result<SignatureRequest, AppError> {
    let mut r = Reader::new(body, FIELDS);
    let role = match r.take_value("role") {
        Field::Value(Value::String(name)) => {
            let role = SdkRole::parse(&name);
            if role.is_none() {
                r.invalid("role", Rule::OneOf(SdkRole::NAMES));
            }
            role
        }
        Field::Value(_) => {
            r.invalid("role", Rule::OneOf(SdkRole::NAMES));
            None
        }
        Field::Null => {
            r.invalid("role", Rule::NotNull);
            None
        }
        Field::Absent => {
            r.invalid("role", Rule::Required);
            None
        }
    };
    let expires_in_secs = r
        .integer("expiresInSeconds", MIN_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS)
        .into_option()
        .unwrap_or(DEFAULT_EXPIRES_IN_SECS);
    let video_webrtc_mode = match r.take_value("videoWebrtcMode") {
        Field::Value(Value::Number(n)) if matches!(n.as_u64(), Some(0 | 1)) => {
            n.as_u64().map(|mode| mode as u8)
        }
        Field::Value(_) => {
            r.invalid("videoWebrtcMode", Rule::OneOf(WEBRTC_MODES));
            None
        }
        Field::Null | Field::Absent => None,
    };
    let problems = r.problems;
    if !problems.is_empty() {
        let mut errors: Vec<FieldError> = problems.invalid;
        errors.extend(problems.wrong_types);
        return Err(AppError::Validation(errors));
    }
    Ok(SignatureRequest {
        role: role.unwrap_or(SdkRole::Attendee),
        expires_in_secs,
        video_webrtc_mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<SignatureRequest, AppError> {
        parse_request(v.as_object().unwrap().clone())
    }

    fn fields(e: AppError) -> Vec<(String, Rule)> {
        match e {
            AppError::Validation(errors) => errors.into_iter().map(|e| (e.field, e.rule)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_and_values() {
        assert_eq!(
            parse(json!({"role": "attendee"})).unwrap(),
            SignatureRequest {
                role: SdkRole::Attendee,
                expires_in_secs: 7200,
                video_webrtc_mode: None
            }
        );
        assert_eq!(
            parse(json!({"role": "host", "expiresInSeconds": 1800, "videoWebrtcMode": 0})).unwrap(),
            SignatureRequest {
                role: SdkRole::Host,
                expires_in_secs: 1800,
                video_webrtc_mode: Some(0)
            }
        );
        let max = parse(json!({"role": "host", "expiresInSeconds": 172800})).unwrap();
        assert_eq!(max.expires_in_secs, 172_800);
    }

    #[test]
    fn every_problem_is_a_validation_failure() {
        assert_eq!(
            fields(parse(json!({})).unwrap_err()),
            vec![("role".into(), Rule::Required)]
        );
        let all = fields(
            parse(json!({"role": "teacher", "expiresInSeconds": 1799,
                         "videoWebrtcMode": 2, "extra": true}))
            .unwrap_err(),
        );
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all.contains(&("extra".into(), Rule::Unknown)));
        assert!(all.contains(&("role".into(), Rule::OneOf(SdkRole::NAMES))));
        assert!(all.contains(&("expiresInSeconds".into(), Rule::OutOfRange(1800, 172_800))));
        assert!(all.contains(&("videoWebrtcMode".into(), Rule::OneOf(WEBRTC_MODES))));
        let typed = fields(
            parse(json!({"role": 1, "expiresInSeconds": "7200", "videoWebrtcMode": true}))
                .unwrap_err(),
        );
        assert_eq!(typed.len(), 3, "{typed:?}");
        assert!(typed.contains(&("expiresInSeconds".into(), Rule::WrongType("integer"))));
        assert!(parse(json!({"role": "host", "expiresInSeconds": 7200.5})).is_err());
        assert!(parse(json!({"role": "host", "expiresInSeconds": 172801})).is_err());
    }
}
