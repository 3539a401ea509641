//! Server-to-Server OAuth (ZOOM.md §1): a new access token for a license's
//! credentials. The token cache ([`super::token`]) decides when to ask.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::client::{Exchanged, ZoomClient, ZoomCredentials};
use super::error::{ZoomError, classify_oauth};
use super::failures::{api_error, rate_limited};
use super::token::AccessToken;
use super::types::TokenResponse;
use crate::secrets::Secret;

impl ZoomClient {
    /// Requests a new S2S token; safe to repeat, so 5xx and lost connections are retried.
    pub(super) async fn fetch_token(
        &self,
        creds: &ZoomCredentials,
    ) -> Result<AccessToken, ZoomError> {
        let mut attempt = 0;
        let mut last: Option<ZoomError> = None;
        loop {
            let request = self
                .http()?
                .post(&self.settings.oauth_url)
                .basic_auth(&creds.client_id, Some(creds.client_secret.expose()))
                .query(&[
                    ("grant_type", "account_credentials"),
                    ("account_id", creds.account_id.as_str()),
                ]);
            let exchanged = match self.exchange_in_time(request).await {
                Ok(exchanged) => exchanged,
                // A repeat with no time left: the last attempt's failure is the answer.
                Err(e) => return Err(last.take().unwrap_or(e)),
            };
            let retryable = match exchanged {
                Exchanged::Answer(status, headers, body) => {
                    if status.is_success() {
                        let token: TokenResponse = serde_json::from_slice(&body)
                            .map_err(|e| ZoomError::InvalidResponse(format!("token: {e}")))?;
                        let scopes = token
                            .scope
                            .unwrap_or_default()
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect();
                        let ttl = Duration::from_secs(token.expires_in.unwrap_or(3600));
                        return Ok(AccessToken::new(
                            Secret::new(token.access_token),
                            scopes,
                            ttl,
                        ));
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        return Err(rate_limited(&headers, &body));
                    }
                    if status.is_server_error() {
                        api_error(status, &body)
                    } else {
                        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let error = parsed["error"].as_str().unwrap_or("").to_owned();
                        let reason = parsed["reason"]
                            .as_str()
                            .or_else(|| parsed["error_description"].as_str())
                            .unwrap_or("")
                            .to_owned();
                        return Err(ZoomError::OAuth {
                            status: status.as_u16(),
                            failure: classify_oauth(&error, &reason),
                            error,
                            reason,
                        });
                    }
                }
                Exchanged::Failed { error, .. } => error,
            };
            if attempt >= self.settings.max_retries || !self.backoff().wait(attempt).await {
                return Err(retryable);
            }
            last = Some(retryable);
            attempt += 1;
        }
    }
}
