//! Reading a signature request body: every problem is a validation failure
//! (422), wrong JSON types included.

use serde_json::{Map, Value};

use crate::app::signature::{JoinUser, SignatureRequest};
use crate::domain::validation::{Field, FieldError, Reader, Rule, looks_like_email};
use crate::error::AppError;
use crate::zoom::sdk_jwt::{
    DEFAULT_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS, MIN_EXPIRES_IN_SECS, SdkRole,
};

const FIELDS: &[&str] = &["role", "expiresInSeconds", "videoWebrtcMode", "user"];
const WEBRTC_MODES: &[&str] = &["0", "1"];
const USER_FIELDS: &[&str] = &["id", "name", "email"];
/// `user.id` and `user.name`: 1–200 characters (API.md).
pub const USER_ID_MAX_CHARS: usize = 200;
pub const USER_NAME_MAX_CHARS: usize = 200;
/// RFC 5321's limit on a forward path.
pub const USER_EMAIL_MAX_CHARS: usize = 254;

/// Reads a request body. Every problem is a validation failure (422), wrong
/// JSON types included: `role` is required, `expiresInSeconds` an integer in
/// 1800..=172800 (default 7200), `videoWebrtcMode` 0 or 1, `user` as
/// [`read_user`] says, nothing else.
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
    let user = read_user(&mut r);
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
        user,
    })
}

/// `user`, optional (`null` is the same as absent): an object with `id`
/// (required, 1–200 characters), `name` (required, 1–200: the Meeting SDK
/// refuses an empty `userName`) and `email` (optional, one token shaped like
/// an address, at most 254 characters). Strings are trimmed and may not hold
/// control characters. Problems are reported as `user.id`, `user.name`,
/// `user.email` (and `user.*` for unknown fields).
fn read_user(r: &mut Reader) -> Option<JoinUser> {
    let object = match r.take_value("user") {
        Field::Value(Value::Object(object)) => object,
        Field::Value(_) => {
            r.problems
                .wrong_types
                .push(FieldError::new("user", Rule::WrongType("object")));
            return None;
        }
        Field::Null | Field::Absent => return None,
    };
    let mut u = Reader::new(object, USER_FIELDS);
    let id = u.string("id", USER_ID_MAX_CHARS, false);
    let id_invalid = u.has_problem("id");
    let id = u.require("id", id, id_invalid);
    let name = u.string("name", USER_NAME_MAX_CHARS, false);
    let name_invalid = u.has_problem("name");
    let name = u.require("name", name, name_invalid);
    let email = u.string("email", USER_EMAIL_MAX_CHARS, true).into_option();
    if email.as_deref().is_some_and(|e| !looks_like_email(e)) {
        u.invalid("email", Rule::NotAnEmail);
    }
    let nested = |errors: Vec<FieldError>| {
        errors.into_iter().map(|e| FieldError {
            field: format!("user.{}", e.field),
            rule: e.rule,
        })
    };
    let ok = u.problems.is_empty();
    r.problems.invalid.extend(nested(u.problems.invalid));
    r.problems
        .wrong_types
        .extend(nested(u.problems.wrong_types));
    match (id, name) {
        (Some(id), Some(name)) if ok => Some(JoinUser { id, name, email }),
        _ => None,
    }
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
                video_webrtc_mode: None,
                user: None,
            }
        );
        assert_eq!(
            parse(json!({"role": "host", "expiresInSeconds": 1800, "videoWebrtcMode": 0})).unwrap(),
            SignatureRequest {
                role: SdkRole::Host,
                expires_in_secs: 1800,
                video_webrtc_mode: Some(0),
                user: None,
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

    #[test]
    fn user_is_read_trimmed() {
        let request = parse(json!({"role": "attendee", "user": {
            "id": " lms-user-17 ", "name": "Ana Pérez", "email": "ana@example.com"}}))
        .unwrap();
        assert_eq!(
            request.user,
            Some(JoinUser {
                id: "lms-user-17".into(),
                name: "Ana Pérez".into(),
                email: Some("ana@example.com".into()),
            })
        );
        let no_email =
            parse(json!({"role": "host", "user": {"id": "x", "name": "Ana", "email": null}}))
                .unwrap();
        assert_eq!(no_email.user.unwrap().email, None);
        assert_eq!(
            parse(json!({"role": "host", "user": null})).unwrap().user,
            None
        );
        // The longest id and name are accepted; an id may hold any printable text.
        let long = parse(json!({"role": "attendee", "user": {
            "id": "ñ ".repeat(99) + "ñ", "name": "n".repeat(200)}}))
        .unwrap();
        assert_eq!(long.user.unwrap().id.chars().count(), 199);
    }

    #[test]
    fn user_problems_are_named_by_their_path() {
        let cases = [
            (
                json!("lms-user-17"),
                vec![("user", Rule::WrongType("object"))],
            ),
            (json!([]), vec![("user", Rule::WrongType("object"))]),
            (
                json!({}),
                vec![("user.id", Rule::Required), ("user.name", Rule::Required)],
            ),
            (json!({"id": "x"}), vec![("user.name", Rule::Required)]),
            (json!({"name": "Ana"}), vec![("user.id", Rule::Required)]),
            (
                json!({"id": null, "name": "Ana"}),
                vec![("user.id", Rule::NotNull)],
            ),
            (
                json!({"id": "  ", "name": "Ana"}),
                vec![("user.id", Rule::Blank)],
            ),
            (
                json!({"id": "x".repeat(201), "name": "Ana"}),
                vec![("user.id", Rule::TooLong(200))],
            ),
            (
                json!({"id": 17, "name": "Ana"}),
                vec![("user.id", Rule::WrongType("string"))],
            ),
            (
                json!({"id": "a\u{0}b", "name": "Ana"}),
                vec![("user.id", Rule::ControlCharacters)],
            ),
            (
                json!({"id": "x", "name": ""}),
                vec![("user.name", Rule::Blank)],
            ),
            (
                json!({"id": "x", "name": "n".repeat(201)}),
                vec![("user.name", Rule::TooLong(200))],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": "ana"}),
                vec![("user.email", Rule::NotAnEmail)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": "ana@example"}),
                vec![("user.email", Rule::NotAnEmail)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": "a@b@c.d"}),
                vec![("user.email", Rule::NotAnEmail)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": "@example.com"}),
                vec![("user.email", Rule::NotAnEmail)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": "ana @example.com"}),
                vec![("user.email", Rule::InnerWhitespace)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": ""}),
                vec![("user.email", Rule::Blank)],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": 1}),
                vec![("user.email", Rule::WrongType("string"))],
            ),
            (
                json!({"id": "x", "name": "Ana", "email": format!("{}@example.com", "a".repeat(243))}),
                vec![("user.email", Rule::TooLong(254))],
            ),
            (
                json!({"id": "x", "name": "Ana", "zak": "z"}),
                vec![("user.zak", Rule::Unknown)],
            ),
        ];
        for (user, expected) in cases {
            let got = fields(parse(json!({"role": "attendee", "user": user})).unwrap_err());
            let expected: Vec<(String, Rule)> = expected
                .into_iter()
                .map(|(f, r)| (f.to_owned(), r))
                .collect();
            assert_eq!(got, expected, "{user}");
        }
        // Alongside the other fields' problems.
        let all = fields(parse(json!({"role": "guest", "user": {"id": ""}})).unwrap_err());
        assert_eq!(all.len(), 3, "{all:?}");
    }
}
