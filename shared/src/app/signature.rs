//! Meeting SDK signatures (API.md "SDK signature"): a JWT for a meeting the
//! academy scheduled, signed with its license's SDK secret. An attendee's
//! costs no Zoom call (the meeting, the license and the cached secret); a
//! host's also carries a fresh ZAK of the license's host user, asked of Zoom
//! every time and never cached, logged or stored.
//!
//! When the LMS says who joins (API.md "SDK signature: who joins"), the answer
//! also carries that user's `customerKey` ([`customer_key`]) and the join
//! options in the Meeting SDK's own names. That costs a hash, no store write
//! and no Zoom call: the key is a pure function of the LMS user id.

use chrono::{DateTime, Utc};

use super::licenses::LicenseService;
use super::meetings::MeetingService;
use super::verify::credentials;
use crate::domain::customer_key::customer_key;
use crate::domain::license::License;
use crate::domain::meeting::MeetingStatus;
use crate::error::AppError;
use crate::secrets::{LicenseSecrets, Secret};
use crate::zoom::ZoomClient;
use crate::zoom::sdk_jwt::{self, SdkJwtInput, SdkRole};

/// A valid signature request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRequest {
    pub role: SdkRole,
    pub expires_in_secs: i64,
    pub video_webrtc_mode: Option<u8>,
    /// Who joins, when the LMS says.
    pub user: Option<JoinUser>,
}

/// The LMS user who joins with the signature (the request's `user`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinUser {
    /// The LMS's id of the user: 1–200 characters.
    pub id: String,
    /// The name Zoom shows (`userName`; the SDK refuses an empty one).
    pub name: String,
    pub email: Option<String>,
}

/// Who joins, as the Meeting SDK is told: `userName`, `userEmail`, `customerKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joiner {
    pub name: String,
    pub email: Option<String>,
    /// At most 36 characters; see [`crate::domain::customer_key`].
    pub customer_key: String,
}

impl From<JoinUser> for Joiner {
    fn from(user: JoinUser) -> Self {
        Joiner {
            customer_key: customer_key(&user.id),
            name: user.name,
            email: user.email,
        }
    }
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
    /// When the request named the user who joins.
    pub joiner: Option<Joiner>,
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
            joiner: request.user.map(Joiner::from),
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
