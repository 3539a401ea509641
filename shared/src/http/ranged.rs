//! A local file as an HTTP answer, with `Range` (one range, RFC 9110
//! §14): `206` with `Content-Range`, `416` for a range outside the file,
//! the whole file otherwise. Read in 64 KiB chunks as it is sent.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::AppError;

const CHUNK: usize = 64 * 1024;

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against a file of `len` bytes:
/// `Some(Ok((first, last)))`, `Some(Err(()))` when unsatisfiable, `None`
/// when the header is not a single byte range (the whole file, as RFC 9110 allows).
fn parse_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.is_empty(), end.is_empty()) {
        (true, true) => return None,
        (true, false) => {
            let n: u64 = end.parse().ok()?;
            if n == 0 || len == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(n), len - 1)
        }
        (false, _) => {
            let first: u64 = start.parse().ok()?;
            let last: u64 = if end.is_empty() {
                len.saturating_sub(1)
            } else {
                end.parse::<u64>().ok()?.min(len.saturating_sub(1))
            };
            if first >= len || last < first {
                return Some(Err(()));
            }
            (first, last)
        }
    };
    Some(Ok(range))
}

pub async fn serve_file(
    path: &Path,
    content_type: &str,
    range: Option<&HeaderValue>,
) -> Result<Response, AppError> {
    let unavailable = |e: std::io::Error| AppError::StoreUnavailable(e.to_string());
    let mut file = tokio::fs::File::open(path).await.map_err(unavailable)?;
    let len = file.metadata().await.map_err(unavailable)?.len();
    let asked = range
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let (status, first, last) = match asked {
        Some(Ok((first, last))) => (StatusCode::PARTIAL_CONTENT, first, last),
        Some(Err(())) => {
            let mut refused = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                refused.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(refused);
        }
        None => (StatusCode::OK, 0, len.saturating_sub(1)),
    };
    let count = if len == 0 { 0 } else { last - first + 1 };
    file.seek(std::io::SeekFrom::Start(first))
        .await
        .map_err(unavailable)?;
    let stream = futures::stream::unfold((file, count), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let mut buf = vec![0u8; CHUNK.min(left as usize)];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), (file, left - n as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let put = |headers: &mut axum::http::HeaderMap, name, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    put(headers, header::CONTENT_TYPE, content_type.to_owned());
    put(headers, header::CONTENT_LENGTH, count.to_string());
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        put(
            headers,
            header::CONTENT_RANGE,
            format!("bytes {first}-{last}/{len}"),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-1", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=x-1", 100), None);
    }
}
