//! The Meeting SDK `customerKey` of an LMS user (API.md "SDK signature: who
//! joins"; ZOOM-2.md B). The LMS page passes it to `client.join()`, and Zoom
//! reports it back as `customer_key` in participant events and in the
//! participant report: that is how attendance knows which LMS user a Zoom
//! participant was. Zoom keeps at most 36 characters (the Web SDK warns and
//! truncates longer ones), so:
//!
//! - **direct key**: the LMS user id itself, when it is 1–36 characters of
//!   `[A-Za-z0-9._@-]` (API.md) and does not have the shape of a derived key;
//! - **derived key**: otherwise `lzk_` followed by the first 20 bytes
//!   (160 bits) of SHA-256 of the id's UTF-8 bytes, in RFC 4648 base32,
//!   lower case, unpadded: always 36 characters of `[a-z2-7_]`, inside the
//!   alphabet ZOOM-2.md B calls safe (`[A-Za-z0-9_-]`; which other characters
//!   Zoom keeps is UNCONFIRMED). Same id, same key, on every host and every
//!   call; two ids share a key only by a SHA-256 collision on 160 bits.
//!
//! An id that itself has the derived shape (`lzk_` + 32 of `[a-z2-7]`) is
//! hashed like any other, so a direct key never has that shape and a key
//! tells by its shape alone which kind it is ([`is_direct`], [`is_derived`]).
//!
//! A derived key cannot be turned back into its id: signing stores nothing
//! (the attendee path makes no store write and no Zoom call). Whoever knows
//! the candidate ids (attendance, from the LMS user ids it has; or the LMS
//! itself, which can compute this function for its roster) maps a key back
//! with [`lms_user_id`]; a derived key whose id is not among them stays
//! unidentified (`lmsUserId: null`). The function is pure and stable: changing
//! it would orphan every key Zoom has already recorded.

use sha2::{Digest, Sha256};

/// Zoom's limit on `customerKey` (ZOOM-2.md B).
pub const MAX_CHARS: usize = 36;
/// What every derived key starts with.
pub const DERIVED_PREFIX: &str = "lzk_";
/// Bytes of the SHA-256 digest a derived key keeps (160 bits).
const DIGEST_BYTES: usize = 20;
/// Base32 characters of those bytes: 20 × 8 / 5.
const DIGEST_CHARS: usize = DIGEST_BYTES * 8 / 5;
/// RFC 4648 base32, lower case.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// The `customerKey` for an LMS user id: the id itself when it may be one,
/// else the derived key (see the module documentation).
pub fn customer_key(lms_user_id: &str) -> String {
    if is_direct(lms_user_id) {
        lms_user_id.to_owned()
    } else {
        derived_key(lms_user_id)
    }
}

/// Whether `key` is an LMS user id used as is: 1–36 of `[A-Za-z0-9._@-]`,
/// not shaped like a derived key.
pub fn is_direct(key: &str) -> bool {
    (1..=MAX_CHARS).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
        && !is_derived(key)
}

/// Whether `key` has the shape of a derived key: `lzk_` + 32 of `[a-z2-7]`.
pub fn is_derived(key: &str) -> bool {
    key.strip_prefix(DERIVED_PREFIX).is_some_and(|digest| {
        digest.len() == DIGEST_CHARS && digest.bytes().all(|b| BASE32.contains(&b))
    })
}

/// The LMS user id behind `key`: the key itself when it is direct, else the
/// first of `known` whose derived key it is. `None` for a derived key of an id
/// not in `known`, and for a key lms-zoom never hands out (another app's, or
/// one cut by Zoom).
pub fn lms_user_id<'a, I>(key: &'a str, known: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    if is_direct(key) {
        return Some(key);
    }
    if !is_derived(key) {
        return None;
    }
    known.into_iter().find(|id| derived_key(id) == key)
}

fn derived_key(lms_user_id: &str) -> String {
    let digest = Sha256::digest(lms_user_id.as_bytes());
    let mut key = String::with_capacity(MAX_CHARS);
    key.push_str(DERIVED_PREFIX);
    // 20 bytes are 4 groups of 5 bytes, each 8 base32 characters.
    for group in digest[..DIGEST_BYTES].chunks_exact(5) {
        let bits = group.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        for i in (0..8).rev() {
            key.push(char::from(BASE32[(bits >> (i * 5)) as usize & 31]));
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 §10's base32 vectors, through the same encoder.
    fn base32_of(bytes: &[u8; 5]) -> String {
        let bits = bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        (0..8)
            .rev()
            .map(|i| char::from(BASE32[(bits >> (i * 5)) as usize & 31]))
            .collect()
    }

    #[test]
    fn base32_follows_rfc_4648() {
        assert_eq!(base32_of(b"fooba"), "mzxw6ytb");
        assert_eq!(base32_of(&[0; 5]), "aaaaaaaa");
        assert_eq!(base32_of(&[0xff; 5]), "77777777");
    }

    #[test]
    fn short_plain_ids_are_their_own_key() {
        for id in [
            "lms-user-17",
            "17",
            "a",
            "ana.perez@example.com",
            "A_b-C.d@E",
            "0123456789abcdef0123456789abcdef0123", // 36
            "f81d4fae-7dec-11d0-a765-00a0c91e6bf6", // a UUID: 36
        ] {
            assert_eq!(customer_key(id), id);
            assert!(is_direct(id) && !is_derived(id), "{id}");
            assert_eq!(lms_user_id(id, []), Some(id));
        }
    }

    #[test]
    fn long_or_odd_ids_get_a_stable_derived_key() {
        let ids = [
            "0123456789abcdef0123456789abcdef01234", // 37
            "https://lms.example.edu/users/17",      // '/' and ':'
            "Ana Pérez",
            "ana+lms@example.com",
            "ñ",
            &"x".repeat(200),
            "lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // shaped like a derived key
        ];
        let mut keys = Vec::new();
        for id in ids {
            let key = customer_key(id);
            assert_eq!(key, customer_key(id), "same id, same key");
            assert_eq!(key.len(), MAX_CHARS, "{key}");
            assert!(key.starts_with(DERIVED_PREFIX), "{key}");
            assert!(
                key.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{key}"
            );
            assert!(is_derived(&key) && !is_direct(&key), "{key}");
            assert_ne!(key, id);
            keys.push(key);
        }
        let mut distinct = keys.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    }

    #[test]
    fn the_derivation_is_pinned() {
        // Computed apart, with Python's hashlib and base64.b32encode. A change
        // here orphans every key Zoom has already recorded.
        assert_eq!(
            customer_key("https://lms.example.edu/users/17"),
            "lzk_6n3yvzb2rmy6jf52d4g4fsuqafmqepoq"
        );
        assert_eq!(
            customer_key("0123456789abcdef0123456789abcdef01234"),
            "lzk_jiltzv5m2jl7f53hvoeg7xlb6te2z2tw"
        );
    }

    #[test]
    fn shapes() {
        assert!(!is_direct(""));
        assert!(!is_direct(&"a".repeat(37)));
        assert!(!is_direct("a b"));
        assert!(!is_direct("a/b"));
        assert!(!is_direct("ü"));
        assert!(is_derived("lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!is_derived("lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); // 31
        assert!(!is_derived("lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1")); // '1' is not base32
        assert!(!is_derived("lzk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        // Not derived-shaped and one character too short or wrong case: direct.
        assert!(is_direct("lzk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(is_direct("lzk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    }

    #[test]
    fn keys_map_back_to_known_ids() {
        let long = "https://lms.example.edu/users/17";
        let other = "https://lms.example.edu/users/18";
        let key = customer_key(long);
        assert_eq!(lms_user_id(&key, [other, long]), Some(long));
        assert_eq!(lms_user_id(&key, [other]), None, "an id not known");
        assert_eq!(lms_user_id(&key, []), None);
        // A direct key needs no list; a key of neither shape is nobody's.
        assert_eq!(lms_user_id("lms-user-17", [long]), Some("lms-user-17"));
        assert_eq!(lms_user_id("a b", ["a b"]), None);
        assert_eq!(lms_user_id("", [""]), None);
    }
}
