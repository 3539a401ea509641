//! The Zoom REST client: S2S tokens from the token cache, timeouts on every
//! call, retries with jittered backoff only where repeating is safe, and
//! Zoom's answers turned into typed results.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{CODE_INVALID_TOKEN, ZoomError};
use super::failures::{api_error, rate_limited, transport_error};
use super::operations::{Operation, Retry};
use super::token::{AccessToken, TokenCache};
use crate::backoff::{Backoff, Jitter};
use crate::deadline::{self, Waiting};
use crate::secrets::Secret;

/// The S2S credentials of one license. `cache_key` names the license and
/// secret version, so a rotation gets a token of its own.
#[derive(Debug, Clone)]
pub struct ZoomCredentials {
    pub cache_key: String,
    pub account_id: String,
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone)]
pub struct ZoomSettings {
    pub api_url: String,
    pub oauth_url: String,
    pub connect_timeout: Duration,
    pub call_timeout: Duration,
    /// Retries after the first attempt, for calls safe to repeat.
    pub max_retries: u32,
    pub backoff_base: Duration,
    /// A 429 whose `Retry-After` is at most this long is waited out (safe calls only).
    pub max_rate_limit_wait: Duration,
}

impl ZoomSettings {
    pub fn new(api_url: impl Into<String>, oauth_url: impl Into<String>) -> Self {
        Self {
            api_url: api_url.into().trim_end_matches('/').to_owned(),
            oauth_url: oauth_url.into(),
            connect_timeout: Duration::from_secs(3),
            call_timeout: Duration::from_secs(10),
            max_retries: 2,
            backoff_base: Duration::from_millis(200),
            max_rate_limit_wait: Duration::from_secs(2),
        }
    }
}

#[derive(Clone)]
pub struct ZoomClient {
    /// Built on the first Zoom call, not at start: building it loads the
    /// platform's CA roots (reading and parsing every certificate, a few ms
    /// of a cold start), which most requests never need — the AWS SDK's
    /// client has loaded its own copy for DynamoDB already.
    http: Arc<OnceLock<reqwest::Client>>,
    pub(super) settings: Arc<ZoomSettings>,
    tokens: Arc<TokenCache>,
}

/// A successful answer: status and body bytes.
#[derive(Debug)]
pub struct ZoomResponse {
    pub status: StatusCode,
    pub body: bytes::Bytes,
}

impl ZoomResponse {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ZoomError> {
        serde_json::from_slice(&self.body).map_err(|e| ZoomError::InvalidResponse(e.to_string()))
    }
}

impl ZoomClient {
    pub fn new(settings: ZoomSettings) -> Self {
        Self {
            http: Arc::new(OnceLock::new()),
            settings: Arc::new(settings),
            tokens: Arc::new(TokenCache::default()),
        }
    }

    /// The HTTP client, built on first use. It fails only when the platform
    /// has no usable CA roots: Zoom is then unreachable, and the next call
    /// tries again.
    pub(super) fn http(&self) -> Result<&reqwest::Client, ZoomError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(self.settings.connect_timeout)
            .timeout(self.settings.call_timeout)
            .user_agent(concat!("lms-zoom/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "the Zoom HTTP client could not be built");
                ZoomError::Unreachable("no TLS setup".into())
            })?;
        Ok(self.http.get_or_init(|| client))
    }

    pub fn settings(&self) -> &ZoomSettings {
        &self.settings
    }

    /// Equal jitter: between half and all of `backoff_base · 2^attempt`.
    pub(super) fn backoff(&self) -> Backoff {
        Backoff::new(
            self.settings.backoff_base,
            Duration::from_secs(30),
            Jitter::Equal,
        )
    }

    /// The cached token for these credentials, fetched once when missing or stale.
    pub async fn token(&self, creds: &ZoomCredentials) -> Result<Arc<AccessToken>, ZoomError> {
        self.tokens
            .get(&creds.cache_key, || self.fetch_token(creds))
            .await
    }

    /// Forgets cached tokens of a license (after its credentials changed).
    pub fn forget_tokens(&self, cache_key_prefix: &str) {
        self.tokens.forget_prefix(cache_key_prefix);
    }

    /// One REST call of a declared operation. Safe operations are repeated
    /// on 5xx, lost connections and timeouts; a create only when the request
    /// provably did not reach Zoom. A token Zoom rejects is dropped and
    /// fetched once more.
    pub(super) async fn send<B: Serialize + ?Sized>(
        &self,
        creds: &ZoomCredentials,
        op: &Operation,
        args: &[&str],
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<ZoomResponse, ZoomError> {
        let repeatable = op.retry == Retry::Safe;
        let url = format!("{}{}", self.settings.api_url, op.path_for(args));
        let mut attempt = 0;
        let mut refetched = false;
        let mut last: Option<ZoomError> = None;
        loop {
            let token = match self.token(creds).await {
                Ok(token) => token,
                Err(e) => return Err(last.take().unwrap_or(e)),
            };
            let mut request = self
                .http()?
                .request(op.method.clone(), &url)
                .bearer_auth(token.value.expose());
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let started = std::time::Instant::now();
            let exchanged = match self.exchange_in_time(request).await {
                Ok(exchanged) => exchanged,
                // A repeat with no time left to send it: what the last
                // attempt got is the answer (Zoom may have acted on it).
                Err(e) => return Err(last.take().unwrap_or(e)),
            };
            let error = match exchanged {
                Exchanged::Answer(status, headers, body) => {
                    tracing::debug!(
                        operation = op.feature,
                        status = status.as_u16(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "zoom call"
                    );
                    if status.is_success() {
                        return Ok(ZoomResponse { status, body });
                    }
                    let error = if status == StatusCode::TOO_MANY_REQUESTS {
                        rate_limited(&headers, &body)
                    } else {
                        api_error(status, &body)
                    };
                    // Rejected before anything was done: safe to repeat with a new token, once.
                    if (status == StatusCode::UNAUTHORIZED
                        || error.code() == Some(CODE_INVALID_TOKEN))
                        && !refetched
                    {
                        refetched = true;
                        self.tokens.invalidate(&creds.cache_key, &token).await;
                        continue;
                    }
                    if let Some(wait) = self.rate_limit_wait(&error, repeatable, attempt)
                        && deadline::sleep_if_fits(wait).await
                    {
                        attempt += 1;
                        continue;
                    }
                    if !(status.is_server_error() && repeatable) {
                        return Err(error);
                    }
                    error
                }
                Exchanged::Failed { error, refused } => {
                    tracing::debug!(operation = op.feature, error = %error, "zoom call failed");
                    // A refused connection never reached Zoom: even a create may go again.
                    if !(repeatable || refused) {
                        return Err(error);
                    }
                    error
                }
            };
            if attempt >= self.settings.max_retries || !self.backoff().wait(attempt).await {
                return Err(error);
            }
            last = Some(error);
            attempt += 1;
        }
    }

    /// One exchange within what is left of the deadline (at most the call
    /// timeout). Not started for lack of time: `Err(OutOfTime)`. Cut by the
    /// deadline or the call timeout (whichever timer fires first): a
    /// timeout, as if Zoom had not answered, retried like any other.
    pub(super) async fn exchange_in_time(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Exchanged, ZoomError> {
        let Some(budget) = deadline::budget(self.settings.call_timeout) else {
            return Err(ZoomError::OutOfTime);
        };
        Ok(
            match deadline::within(budget, Waiting::Zoom, exchange(request)).await {
                Ok(Ok((status, headers, body))) => Exchanged::Answer(status, headers, body),
                Ok(Err(e)) => Exchanged::Failed {
                    error: transport_error(&e),
                    refused: e.is_connect(),
                },
                Err(_) => Exchanged::Failed {
                    error: ZoomError::Timeout,
                    refused: false,
                },
            },
        )
    }

    /// How long to wait out a short, non-daily 429 before repeating a safe call.
    fn rate_limit_wait(
        &self,
        error: &ZoomError,
        repeatable: bool,
        attempt: u32,
    ) -> Option<Duration> {
        match error {
            ZoomError::RateLimited {
                retry_after: Some(wait),
                daily: false,
                ..
            } if repeatable
                && attempt < self.settings.max_retries
                && *wait <= self.settings.max_rate_limit_wait =>
            {
                Some(*wait)
            }
            _ => None,
        }
    }
}

/// What one attempt came to.
pub(super) enum Exchanged {
    /// Zoom answered (any status).
    Answer(StatusCode, HeaderMap, bytes::Bytes),
    /// No answer; `refused`: the connection was refused (Zoom never saw it).
    Failed { error: ZoomError, refused: bool },
}

/// Sends a request and reads its whole answer.
async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, HeaderMap, bytes::Bytes), reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    Ok((status, headers, response.bytes().await?))
}
