//! Random tokens, UUIDs, passwords and the like, shaped like Zoom's.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::Rng;
use rand::distr::Alphanumeric;

/// `n` random ASCII letters and digits.
pub(crate) fn alphanumeric(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// `n` random decimal digits.
pub(crate) fn digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill(&mut bytes[..]);
    bytes
}

/// An opaque OAuth access token (64 URL-safe characters).
pub(crate) fn access_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<48>())
}

/// A JWT-looking ZAK (header.payload.signature); never the same twice.
pub(crate) fn zak() -> String {
    jwt_shaped(r#""aud":"clientsm""#)
}

/// `header.payload.signature`, the payload `{<claim>,"nonce":<random>}`,
/// the signature random bytes.
fn jwt_shaped(claim: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{{claim},"nonce":"{}"}}"#, alphanumeric(24)));
    let signature = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    format!("{header}.{payload}.{signature}")
}

/// A meeting-instance UUID: standard base64 of 16 random bytes (24 characters,
/// may contain `/` and `+`, ends in `==`), as Zoom's are.
pub(crate) fn meeting_uuid() -> String {
    STANDARD.encode(random_bytes::<16>())
}

/// A lowercase hyphenated UUID, like Zoom's recording file ids.
pub(crate) fn file_id() -> String {
    let h = hex::encode(random_bytes::<16>());
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A participant UUID: an uppercase hyphenated UUID (UNCONFIRMED: Zoom
/// documents `participant_uuid` as an opaque string).
pub(crate) fn participant_uuid() -> String {
    file_id().to_uppercase()
}

/// 32 random bytes, for keys.
pub(crate) fn secret_key() -> [u8; 32] {
    random_bytes::<32>()
}

/// A JWT-shaped `download_access_token` (from `GET
/// /meetings/{id}/recordings`); never the same twice.
pub(crate) fn download_access_token() -> String {
    jwt_shaped(r#""purpose":"recording_download_access""#)
}

/// A JWT-shaped recording `download_token`; never the same twice.
pub(crate) fn download_token() -> String {
    jwt_shaped(r#""purpose":"recording_download""#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(digits(6).len(), 6);
        assert!(digits(6).chars().all(|c| c.is_ascii_digit()));
        assert_eq!(meeting_uuid().len(), 24);
        assert!(meeting_uuid().ends_with("=="));
        assert_eq!(file_id().len(), 36);
        assert_ne!(zak(), zak());
        assert_eq!(zak().split('.').count(), 3);
        assert_eq!(participant_uuid().len(), 36);
        assert_ne!(download_token(), download_token());
        assert_ne!(download_access_token(), download_token());
    }
}
