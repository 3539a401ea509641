//! A secret value that cannot end up in a log line by accident.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// A secret string. `Debug` and `Display` print `[redacted]`; it does not
/// implement `Serialize`, so it cannot be written into an item or a response.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the few places that must use it (signing, Basic auth).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last four characters, for people to tell secrets apart: `…Xy9z`.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.expose().chars().collect();
        let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
        format!("…{tail}")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose()
            .as_bytes()
            .ct_eq(other.expose().as_bytes())
            .into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&s)), "Some([redacted])");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn hint_is_the_last_four_characters() {
        assert_eq!(Secret::new("abcdefXy9z").hint(), "…Xy9z");
        assert_eq!(Secret::new("ñandú").hint(), "…andú");
        assert_eq!(Secret::new("ab").hint(), "…ab");
    }
}
