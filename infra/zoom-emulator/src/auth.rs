//! What every REST request goes through first: count and faults, then the
//! bearer token, then the endpoint's scopes.

use std::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri, header};

use crate::endpoints::Endpoint;
use crate::faults;
use crate::reply::{self, Rejection};
use crate::scopes;
use crate::state::Shared;

/// Who is calling: the account whose token was presented.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    /// Index into [`Shared::accounts`].
    pub account: usize,
}

const INVALID_TOKEN: &str = "Invalid access token.";
const EXPIRED_TOKEN: &str = "Access token is expired.";
const QUERY_TOKEN: &str =
    "Invalid access token, this access token is not supported as query parameter string.";

/// A request as its handler sees it: the [`Endpoint`] its route declares
/// (see [`crate::router`]), its headers and its URI. Extracting it checks
/// nothing: the handler calls [`Call::enter`] or [`guard`] once its other
/// arguments are extracted.
pub(crate) struct Call {
    pub endpoint: Endpoint,
    pub headers: HeaderMap,
    pub uri: Uri,
}

impl<S: Send + Sync> FromRequestParts<S> for Call {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let endpoint = parts.extensions.get::<Endpoint>().copied().ok_or_else(|| {
            let message = "route without an endpoint";
            reply::zoom_error(StatusCode::INTERNAL_SERVER_ERROR, 500, message)
        })?;
        Ok(Self {
            endpoint,
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
        })
    }
}

impl Call {
    /// Counts the request and applies injected faults.
    pub(crate) async fn enter(&self, shared: &Shared) -> Result<(), Rejection> {
        faults::enter(shared, self.endpoint).await
    }
}

/// Counts the call and applies faults, then authenticates and authorises it.
pub(crate) async fn guard(shared: &Shared, call: &Call) -> Result<Caller, Rejection> {
    call.enter(shared).await?;
    if query_has_access_token(&call.uri) {
        return Err(reply::invalid_token(QUERY_TOKEN));
    }
    let token = bearer(&call.headers).ok_or_else(|| reply::invalid_token(INVALID_TOKEN))?;
    let state = shared.lock();
    let issued = state
        .tokens
        .get(token)
        .ok_or_else(|| reply::invalid_token(INVALID_TOKEN))?;
    if Instant::now() >= issued.expires_at {
        return Err(reply::invalid_token(EXPIRED_TOKEN));
    }
    scopes::check(call.endpoint, &issued.scopes)?;
    Ok(Caller {
        account: issued.account,
    })
}

/// The token of an `Authorization: Bearer <token>` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn query_has_access_token(uri: &Uri) -> bool {
    let Some(query) = uri.query() else {
        return false;
    };
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map(|pairs| pairs.iter().any(|(k, _)| k == "access_token"))
        .unwrap_or(false)
}

/// The query string's parameters (an unparsable query counts as empty).
pub(crate) fn query_params(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// The part of `uri`'s path between `prefix` and `suffix` (a path
/// parameter, still encoded), if the path has both.
pub(crate) fn path_between<'a>(uri: &'a Uri, prefix: &str, suffix: &str) -> Option<&'a str> {
    uri.path().strip_prefix(prefix)?.strip_suffix(suffix)
}

/// The first value of `name` among `params`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
