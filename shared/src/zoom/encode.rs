//! Path segments for Zoom: meeting ids as they are, meeting UUIDs that start
//! with `/` or contain `//` encoded twice (ZOOM.md §5).

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A meeting id or UUID as a path segment.
pub fn meeting_ref(id_or_uuid: &str) -> String {
    if id_or_uuid.starts_with('/') || id_or_uuid.contains("//") {
        percent_encode(&percent_encode(id_or_uuid))
    } else {
        percent_encode(id_or_uuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_uuids() {
        assert_eq!(meeting_ref("81234567890"), "81234567890");
        assert_eq!(
            meeting_ref("aDYlohsHRtCd4ii1uC2+hA=="),
            "aDYlohsHRtCd4ii1uC2%2BhA%3D%3D"
        );
        assert_eq!(
            meeting_ref("/ajXp112QmuoKj4854875=="),
            "%252FajXp112QmuoKj4854875%253D%253D"
        );
        assert_eq!(meeting_ref("ab//cd"), "ab%252F%252Fcd");
        assert_eq!(percent_encode("a@b.com"), "a%40b.com");
    }
}
