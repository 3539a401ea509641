//! Meeting SDK (Web) signatures (ZOOM.md §6): a JWT, HS256 with the license's
//! SDK secret, carrying `appKey`/`sdkKey`, the meeting number, the role and
//! its lifetime. No I/O here.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use crate::secrets::Secret;

/// Shortest lifetime Zoom's validator accepts (30 min).
pub const MIN_EXPIRES_IN_SECS: i64 = 1800;
/// Longest lifetime Zoom's validator accepts (48 h).
pub const MAX_EXPIRES_IN_SECS: i64 = 172_800;
/// Lifetime when the caller names none (2 h, as Zoom's sample).
pub const DEFAULT_EXPIRES_IN_SECS: i64 = 7200;
/// `iat` is backdated this much, so a verifier whose clock is a little behind
/// ours does not see a token from the future.
pub const IAT_BACKDATE_SECS: i64 = 30;

/// Who joins with the signature: `role` 0 or 1 in the JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdkRole {
    Attendee,
    Host,
}

impl SdkRole {
    pub const NAMES: &'static [&'static str] = &["attendee", "host"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "attendee" => Some(SdkRole::Attendee),
            "host" => Some(SdkRole::Host),
            _ => None,
        }
    }

    /// The JWT's `role`: 0 participant, 1 host.
    pub fn code(self) -> u8 {
        match self {
            SdkRole::Attendee => 0,
            SdkRole::Host => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SdkRole::Attendee => "attendee",
            SdkRole::Host => "host",
        }
    }
}

/// What a signature says, besides the secret it is signed with.
#[derive(Debug, Clone, Copy)]
pub struct SdkJwtInput<'a> {
    /// The license's SDK key (Client ID of the General App).
    pub sdk_key: &'a str,
    /// Zoom's meeting number, as a string.
    pub meeting_number: &'a str,
    pub role: SdkRole,
    /// Seconds from `iat` to `exp`, within [`MIN_EXPIRES_IN_SECS`]..=[`MAX_EXPIRES_IN_SECS`].
    pub expires_in_secs: i64,
    /// `video_webrtc_mode` (0 or 1), only when given.
    pub video_webrtc_mode: Option<u8>,
}

#[derive(Serialize)]
struct Claims<'a> {
    #[serde(rename = "appKey")]
    app_key: &'a str,
    #[serde(rename = "sdkKey")]
    sdk_key: &'a str,
    mn: &'a str,
    role: u8,
    iat: i64,
    exp: i64,
    #[serde(rename = "tokenExp")]
    token_exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    video_webrtc_mode: Option<u8>,
}

/// A signed JWT and the times it carries (Unix seconds).
#[derive(Debug, Clone)]
pub struct SdkJwt {
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot sign the SDK JWT: {0}")]
pub struct SdkJwtError(#[from] jsonwebtoken::errors::Error);

/// Signs `input` with `secret` at `now`: `iat` = now − 30 s, `exp` = `tokenExp` = iat + lifetime.
pub fn sign(
    input: &SdkJwtInput<'_>,
    secret: &Secret,
    now: DateTime<Utc>,
) -> Result<SdkJwt, SdkJwtError> {
    let iat = now.timestamp() - IAT_BACKDATE_SECS;
    let exp = iat + input.expires_in_secs;
    let claims = Claims {
        app_key: input.sdk_key,
        sdk_key: input.sdk_key,
        mn: input.meeting_number,
        role: input.role.code(),
        iat,
        exp,
        token_exp: exp,
        video_webrtc_mode: input.video_webrtc_mode,
    };
    let key = EncodingKey::from_secret(secret.expose().as_bytes());
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)?;
    Ok(SdkJwt {
        token,
        issued_at: iat,
        expires_at: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::TimeZone;
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    /// HMAC-SHA256 from its definition (RFC 2104), to check the signature
    /// without the code that made it.
    fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.map(|b| b ^ byte);
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }

    fn part(token: &str, index: usize) -> Value {
        let raw = URL_SAFE_NO_PAD
            .decode(token.split('.').nth(index).unwrap())
            .unwrap();
        serde_json::from_slice(&raw).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn input(role: SdkRole, mode: Option<u8>) -> SdkJwtInput<'static> {
        SdkJwtInput {
            sdk_key: "sdkKeyAbc",
            meeting_number: "81234567890",
            role,
            expires_in_secs: DEFAULT_EXPIRES_IN_SECS,
            video_webrtc_mode: mode,
        }
    }

    #[test]
    fn claims_and_header_follow_zoom() {
        let jwt = sign(
            &input(SdkRole::Host, Some(1)),
            &Secret::new("sdkSecretXyz"),
            now(),
        )
        .unwrap();
        let iat = now().timestamp() - 30;
        assert_eq!(part(&jwt.token, 0), json!({"alg": "HS256", "typ": "JWT"}));
        assert_eq!(
            part(&jwt.token, 1),
            json!({"appKey": "sdkKeyAbc", "sdkKey": "sdkKeyAbc", "mn": "81234567890",
                   "role": 1, "iat": iat, "exp": iat + 7200, "tokenExp": iat + 7200,
                   "video_webrtc_mode": 1})
        );
        assert_eq!((jwt.issued_at, jwt.expires_at), (iat, iat + 7200));
    }

    #[test]
    fn attendee_without_webrtc_mode() {
        let jwt = sign(
            &input(SdkRole::Attendee, None),
            &Secret::new("sdkSecretXyz"),
            now(),
        )
        .unwrap();
        let claims = part(&jwt.token, 1);
        assert_eq!(claims["role"], 0);
        assert!(claims.get("video_webrtc_mode").is_none());
        assert!(claims["mn"].is_string());
    }

    #[test]
    fn signature_is_hmac_sha256_of_header_and_claims() {
        let secret = "sdkSecretXyz";
        let jwt = sign(
            &input(SdkRole::Attendee, Some(0)),
            &Secret::new(secret),
            now(),
        )
        .unwrap();
        let (message, signature) = jwt.token.rsplit_once('.').unwrap();
        let expected = hmac_sha256(secret.as_bytes(), message.as_bytes());
        assert_eq!(URL_SAFE_NO_PAD.decode(signature).unwrap(), expected);
        let other = hmac_sha256(b"another secret", message.as_bytes());
        assert_ne!(URL_SAFE_NO_PAD.decode(signature).unwrap(), other);
    }

    #[test]
    fn lifetime_is_counted_from_the_backdated_iat() {
        let mut i = input(SdkRole::Attendee, None);
        i.expires_in_secs = MAX_EXPIRES_IN_SECS;
        let jwt = sign(&i, &Secret::new("s"), now()).unwrap();
        assert_eq!(
            jwt.expires_at,
            now().timestamp() - IAT_BACKDATE_SECS + 172_800
        );
        assert_eq!(part(&jwt.token, 1)["tokenExp"], jwt.expires_at);
    }

    #[test]
    fn roles() {
        assert_eq!(SdkRole::parse("host"), Some(SdkRole::Host));
        assert_eq!(SdkRole::parse("attendee").map(SdkRole::code), Some(0));
        assert_eq!(SdkRole::parse("Host"), None);
        assert_eq!(SdkRole::Host.as_str(), "host");
    }
}
