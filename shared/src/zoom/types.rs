//! What we read from Zoom, parsed tolerantly: optional fields optional,
//! enums open, ids as strings whatever JSON type Zoom used.

use serde::{Deserialize, Deserializer};

/// A JSON number or string as a string (Zoom ids are int64 and sometimes strings).
pub fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        N(i64),
        U(u64),
        S(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::N(n) => n.to_string(),
        Id::U(n) => n.to_string(),
        Id::S(s) => s,
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub api_url: Option<String>,
}

/// Zoom user plan: 1 Basic, 2 Licensed; other values kept as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserPlan {
    Basic,
    Licensed,
    Other(i64),
}

impl UserPlan {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => UserPlan::Basic,
            2 => UserPlan::Licensed,
            other => UserPlan::Other(other),
        }
    }

    pub fn label(self) -> String {
        match self {
            UserPlan::Basic => "basic".into(),
            UserPlan::Licensed => "licensed".into(),
            UserPlan::Other(n) => format!("type_{n}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ZoomUser {
    #[serde(deserialize_with = "id_string")]
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default, rename = "type")]
    pub plan_code: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub account_id: Option<String>,
}

impl ZoomUser {
    pub fn plan(&self) -> Option<UserPlan> {
        self.plan_code.map(UserPlan::from_code)
    }

    /// Users without a status field are taken as active.
    pub fn is_active(&self) -> bool {
        self.status.as_deref().is_none_or(|s| s == "active")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserToken {
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_parses_tolerantly() {
        let u: ZoomUser =
            serde_json::from_str(r#"{"id":"KdYKjnimT4KPd8FFgQt9FQ","type":2,"extra":{"x":1}}"#)
                .unwrap();
        assert_eq!(u.plan(), Some(UserPlan::Licensed));
        assert!(u.is_active());
        let u: ZoomUser =
            serde_json::from_str(r#"{"id":12345678901,"type":99,"status":"inactive"}"#).unwrap();
        assert_eq!(u.id, "12345678901");
        assert_eq!(u.plan(), Some(UserPlan::Other(99)));
        assert!(!u.is_active());
    }
}
