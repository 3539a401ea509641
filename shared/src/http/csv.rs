//! CSV answers (RFC 4180): a header row, CRLF line ends, UTF-8; a field is
//! quoted when it holds a comma, a quote or a line break (quotes doubled).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Whether the caller asked for CSV (`Accept: text/csv`).
pub fn wanted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            part.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        })
}

fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The table as CSV text.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, cell);
        }
        out.push_str("\r\n");
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// A `200 text/csv` answer.
pub fn answer(header: &[&str], rows: &[Vec<String>]) -> Response {
    let mut response = table(header, rows).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let text = table(
            &["a", "b"],
            &[
                vec!["Pérez, Ana".into(), "say \"hi\"".into()],
                vec!["x".into(), "1\n2".into()],
            ],
        );
        assert_eq!(
            text,
            "a,b\r\n\"Pérez, Ana\",\"say \"\"hi\"\"\"\r\nx,\"1\n2\"\r\n"
        );
    }

    #[test]
    fn accept_is_read_per_media_range() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/csv;q=0.9"),
        );
        assert!(wanted(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("text/csvx"));
        assert!(!wanted(&h));
    }
}
