//! Server-to-Server OAuth (ZOOM.md §1): a new access token for a license's
//! credentials. The token cache ([`super::token`]) decides when to ask.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::{ZoomError, classify_oauth};
use super::failures::{api_error, rate_limited, transport_error};
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
        loop {
            let request = self
                .http()?
                .post(&self.settings.oauth_url)
                .basic_auth(&creds.client_id, Some(creds.client_secret.expose()))
                .query(&[
                    ("grant_type", "account_credentials"),
                    ("account_id", creds.account_id.as_str()),
                ]);
            let retryable = match self.exchange_in_time(request).await? {
                Ok((status, headers, body)) => {
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
                Err(e) => transport_error(&e),
            };
            if attempt >= self.settings.max_retries || !self.backoff().wait(attempt).await {
                return Err(retryable);
            }
            attempt += 1;
        }
    }
}
