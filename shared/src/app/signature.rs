//! Meeting SDK signatures (API.md "SDK signature"): a JWT for a meeting the
//! academy scheduled, signed with its license's SDK secret. An attendee's
//! costs no Zoom call (the meeting, the license and the cached secret); a
//! host's also carries a fresh ZAK of the license's host user, asked of Zoom
//! every time and never cached, logged or stored.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::verify::credentials;
use crate::domain::license::License;
use crate::domain::meeting::MeetingStatus;
use crate::domain::validation::{Field, FieldError, Reader, Rule};
use crate::error::AppError;
use crate::secrets::{LicenseSecrets, Secret};
use crate::zoom::ZoomClient;
use crate::zoom::sdk_jwt::{
    self, DEFAULT_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS, MIN_EXPIRES_IN_SECS, SdkJwtInput, SdkRole,
};

const FIELDS: &[&str] = &["role", "expiresInSeconds", "videoWebrtcMode"];
const WEBRTC_MODES: &[&str] = &["0", "1"];

/// A valid signature request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureRequest {
    pub role: SdkRole,
    pub expires_in_secs: i64,
    pub video_webrtc_mode: Option<u8>,
}

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

/// What the LMS hands to the Meeting SDK's `join()`.
#[derive(Debug, Clone)]
pub struct Signature {
    pub signature: String,
    pub sdk_key: String,
    pub meeting_number: String,
    /// The meeting passcode; empty when the meeting has none (`join()` wants a string).
    pub password: String,
    pub role: SdkRole,
    /// Hosts only: a fresh ZAK of the license's host user.
    pub zak: Option<Secret>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct SignatureService {
    licenses: LicenseService,
    meetings: MeetingService,
    zoom: ZoomClient,
}

impl SignatureService {
    pub fn new(licenses: LicenseService, meetings: MeetingService, zoom: ZoomClient) -> Self {
        Self {
            licenses,
            meetings,
            zoom,
        }
    }

    /// A signature for one meeting of the academy (another academy's is not found).
    pub async fn sign(
        &self,
        academy_id: &str,
        meeting_id: &str,
        request: SignatureRequest,
    ) -> Result<Signature, AppError> {
        let meeting = self.meetings.join_info(academy_id, meeting_id).await?;
        if meeting.status == MeetingStatus::Deleted {
            return Err(AppError::MeetingDeleted);
        }
        let meeting_number = meeting.zoom_meeting_id.ok_or(AppError::MeetingNotFound)?;
        // An attendee's needs the license's keys only; a host's the whole
        // license (its Zoom credentials), read once so both agree.
        let (keys, license) = match request.role {
            SdkRole::Host => {
                let license = self.licenses.get(academy_id, &meeting.license_id).await?;
                (license.keys(), Some(license))
            }
            SdkRole::Attendee => {
                let keys = self.licenses.keys(academy_id, &meeting.license_id).await?;
                (keys, None)
            }
        };
        tracing::Span::current().record("license_id", keys.license_id.as_str());
        let secrets = self.licenses.secrets_of_keys(&keys).await?;
        let zak = match &license {
            Some(license) => Some(self.fresh_zak(license, &secrets, &meeting_number).await?),
            None => None,
        };
        let input = SdkJwtInput {
            sdk_key: &keys.sdk_key,
            meeting_number: &meeting_number,
            role: request.role,
            expires_in_secs: request.expires_in_secs,
            video_webrtc_mode: request.video_webrtc_mode,
        };
        let jwt = sdk_jwt::sign(&input, &secrets.sdk_secret, Utc::now())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let expires_at = DateTime::from_timestamp(jwt.expires_at, 0)
            .ok_or_else(|| AppError::Internal("signature expiry out of range".into()))?;
        Ok(Signature {
            signature: jwt.token,
            sdk_key: keys.sdk_key,
            meeting_number,
            password: meeting.password.unwrap_or_default(),
            role: request.role,
            zak,
            expires_at,
        })
    }

    /// The host user's ZAK, fresh from Zoom. Without the token scope, the one
    /// in the meeting's `start_url` (Zoom mints it for the host on every read).
    async fn fresh_zak(
        &self,
        license: &License,
        secrets: &LicenseSecrets,
        zoom_meeting_id: &str,
    ) -> Result<Secret, AppError> {
        let creds = credentials(license, secrets);
        let user = license
            .zoom_user_id
            .as_deref()
            .unwrap_or(&license.host_user);
        match self.zoom.user_zak(&creds, user).await {
            Ok(zak) => Ok(zak),
            Err(denied) if denied.is_missing_scopes() => {
                tracing::info!(
                    license_id = %license.license_id,
                    "no user token scope: the host's ZAK comes from the meeting's start_url"
                );
                match self.zoom.start_url_zak(&creds, zoom_meeting_id).await {
                    Ok(zak) => Ok(zak),
                    // Neither way is allowed: the first scope is the one to add.
                    Err(e) if e.is_missing_scopes() => Err(denied.into()),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
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
