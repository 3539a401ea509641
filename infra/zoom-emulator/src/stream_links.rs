//! The signed, short-lived links a successful download redirects to, in the
//! manner of Zoom's CDN (CloudFront-style `Policy`, `Signature`, `Expires`,
//! ZOOM-2.md C): `{base_url}/rec/stream/{file_id}?Policy=…&Signature=…&Expires=…`.
//! The policy names the link and its expiry; the signature is an HMAC-SHA256
//! of the policy under a key of this emulator (UNCONFIRMED: CloudFront signs
//! with RSA; only the shape is copied). No `Authorization` is needed there.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::auth;

type HmacSha256 = Hmac<Sha256>;

/// `{base_url}/rec/stream/{file_id}` (no query).
fn resource(base_url: &str, file_id: &str) -> String {
    format!("{base_url}/rec/stream/{file_id}")
}

/// CloudFront's URL-safe base64: `+`→`-`, `=`→`_`, `/`→`~`.
fn cloudfront_base64(bytes: &[u8]) -> String {
    STANDARD
        .encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            c => c,
        })
        .collect()
}

fn decode_cloudfront_base64(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            c => c,
        })
        .collect();
    STANDARD.decode(standard).ok()
}

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// A link to `file_id`'s bytes that works until `expires` (Unix seconds).
pub(crate) fn signed_url(key: &[u8], base_url: &str, file_id: &str, expires: i64) -> String {
    let resource = resource(base_url, file_id);
    let policy = json!({"Statement": [{
        "Resource": resource,
        "Condition": {"DateLessThan": {"AWS:EpochTime": expires}},
    }]});
    let policy = cloudfront_base64(policy.to_string().as_bytes());
    let mut signer = mac(key);
    signer.update(policy.as_bytes());
    let signature = cloudfront_base64(&signer.finalize().into_bytes());
    format!("{resource}?Policy={policy}&Signature={signature}&Expires={expires}")
}

/// Whether the query of a `/rec/stream/{file_id}` request is a link
/// [`signed_url`] made for this file and it has not expired.
pub(crate) fn verify(key: &[u8], base_url: &str, file_id: &str, uri: &axum::http::Uri) -> bool {
    let params = auth::query_params(uri);
    let (Some(policy), Some(signature), Some(expires)) = (
        auth::param(&params, "Policy"),
        auth::param(&params, "Signature"),
        auth::param(&params, "Expires").and_then(|e| e.parse::<i64>().ok()),
    ) else {
        return false;
    };
    let Some(signature) = decode_cloudfront_base64(signature) else {
        return false;
    };
    let mut verifier = mac(key);
    verifier.update(policy.as_bytes());
    if verifier.verify_slice(&signature).is_err() {
        return false;
    }
    let Some(policy) = decode_cloudfront_base64(policy)
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
    else {
        return false;
    };
    let statement = &policy["Statement"][0];
    statement["Resource"].as_str() == Some(resource(base_url, file_id).as_str())
        && statement["Condition"]["DateLessThan"]["AWS:EpochTime"].as_i64() == Some(expires)
        && Utc::now().timestamp() < expires
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(url: &str) -> axum::http::Uri {
        url.parse().unwrap()
    }

    #[test]
    fn signed_links_verify_for_their_file_until_they_expire() {
        let (key, base) = (b"key".as_slice(), "http://h:1");
        let later = Utc::now().timestamp() + 60;
        let url = signed_url(key, base, "f1", later);
        assert!(url.starts_with("http://h:1/rec/stream/f1?Policy="));
        assert!(verify(key, base, "f1", &uri(&url)));
        assert!(!verify(key, base, "f2", &uri(&url)), "another file");
        assert!(!verify(b"other", base, "f1", &uri(&url)), "another key");
        let tampered = url.replace(
            &format!("Expires={later}"),
            &format!("Expires={}", later + 1),
        );
        assert!(!verify(key, base, "f1", &uri(&tampered)));
        let past = signed_url(key, base, "f1", Utc::now().timestamp());
        assert!(!verify(key, base, "f1", &uri(&past)), "expired");
        assert!(!verify(key, base, "f1", &uri("http://h:1/rec/stream/f1")));
    }
}
