//! Zoom's failed answers turned into typed errors: REST errors, rate limits
//! (with when to try again), and what goes wrong on the way.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use super::error::ZoomError;

/// Seconds until the next 00:00 UTC, when Zoom's daily caps reset.
pub fn until_utc_midnight(now: DateTime<Utc>) -> Duration {
    let tomorrow = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    (tomorrow - now).to_std().unwrap_or(Duration::ZERO)
}

/// `Retry-After` as seconds, an HTTP date or an ISO time (all seen from Zoom).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_rfc2822(value))
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

pub(super) fn rate_limited(headers: &HeaderMap, body: &[u8]) -> ZoomError {
    let now = Utc::now();
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    let daily_type = headers
        .get("x-ratelimit-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.eq_ignore_ascii_case("daily-limit"));
    let daily = daily_type || lower.contains("daily") || lower.contains("00:00:00");
    let header = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let retry_after = header.or_else(|| daily.then(|| until_utc_midnight(now)));
    ZoomError::RateLimited {
        retry_after,
        daily,
        message,
    }
}

pub(super) fn api_error(status: StatusCode, body: &[u8]) -> ZoomError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.get("code"))
        .and_then(Value::as_i64);
    let message = parsed
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    ZoomError::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

pub(super) fn transport_error(e: &reqwest::Error) -> ZoomError {
    if e.is_timeout() {
        ZoomError::Timeout
    } else {
        // Never the URL: it may carry an email. The kind is enough.
        let kind = if e.is_connect() {
            "connection failed"
        } else {
            "connection lost"
        };
        ZoomError::Unreachable(kind.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_forms() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 23, 59, 0).unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("2026-11-28T00:00:00Z", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(until_utc_midnight(now), Duration::from_secs(60));
    }

    #[test]
    fn daily_cap_resumes_at_midnight_utc() {
        let body = br#"{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."}"#;
        match rate_limited(&HeaderMap::new(), body) {
            ZoomError::RateLimited {
                retry_after: Some(wait),
                daily: true,
                ..
            } => {
                assert!(wait <= Duration::from_secs(86_400));
            }
            other => panic!("{other:?}"),
        }
    }
}
