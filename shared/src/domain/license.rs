//! Licenses: what an academy registers (Zoom S2S and Meeting SDK credentials
//! plus a host user), the rules their fields follow, and the view we return.
//! No I/O here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::archive::ArchiveMode;
use super::validation::{Field, Problems, Reader, Rule, looks_like_email};
use super::verification::Verification;
use crate::secrets::{LicenseSecrets, Secret};

pub const NAME_MAX_CHARS: usize = 100;
pub const CREDENTIAL_MAX_CHARS: usize = 256;
pub const HOST_USER_MAX_CHARS: usize = 128;
pub const MAX_CONCURRENT_MEETINGS: i64 = 10;
pub const DEFAULT_HOST_USER: &str = "me";

const CREATE_FIELDS: &[&str] = &[
    "name",
    "accountId",
    "clientId",
    "clientSecret",
    "sdkKey",
    "sdkSecret",
    "webhookSecretToken",
    "hostUser",
    "maxConcurrentMeetings",
    "recordingArchive",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LicenseStatus {
    Verified,
    Invalid,
    Unverified,
}

/// A license as stored (no secret value in it: the secret store holds those,
/// under `secretVersion`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct License {
    pub license_id: String,
    pub academy_id: String,
    pub name: String,
    pub account_id: String,
    pub client_id: String,
    pub sdk_key: String,
    pub client_secret_hint: String,
    pub sdk_secret_hint: String,
    pub webhook_secret_configured: bool,
    pub host_user: String,
    #[serde(default)]
    pub zoom_user_id: Option<String>,
    pub max_concurrent_meetings: u8,
    /// What happens to its cloud recordings (API.md "Recording archive").
    #[serde(default)]
    pub recording_archive: ArchiveMode,
    pub status: LicenseStatus,
    #[serde(default)]
    pub verification: Option<Verification>,
    pub version: u64,
    pub secret_version: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The part of a license that an attendee signature and a webhook check read:
/// its ids, SDK key and the secret version it uses. Decoding only these skips
/// the rest of the record (the verification report above all) on the two
/// hottest paths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseKeys {
    pub license_id: String,
    pub academy_id: String,
    pub sdk_key: String,
    pub secret_version: String,
}

pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl License {
    pub fn keys(&self) -> LicenseKeys {
        LicenseKeys {
            license_id: self.license_id.clone(),
            academy_id: self.academy_id.clone(),
            sdk_key: self.sdk_key.clone(),
            secret_version: self.secret_version.clone(),
        }
    }

    /// The path Zoom posts this license's events to, absolute under `public_base_url`.
    pub fn webhook_url(&self, public_base_url: Option<&str>) -> String {
        let path = format!("/v1/webhooks/zoom/{}", self.license_id);
        match public_base_url {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path,
        }
    }

    /// The key under which names are unique within an academy.
    pub fn name_key(&self) -> String {
        name_key(&self.name)
    }

    /// Takes in a verification report: status, report and the host's Zoom user id.
    pub fn record_verification(&mut self, report: Verification) {
        self.status = report.status;
        if let Some(user) = &report.zoom_user {
            self.zoom_user_id = Some(user.id.clone());
        }
        self.verification = Some(report);
    }

    /// Whether Zoom credentials, secrets or the host differ between two states.
    pub fn credentials_differ(&self, other: &License) -> bool {
        self.account_id != other.account_id
            || self.client_id != other.client_id
            || self.sdk_key != other.sdk_key
            || self.host_user != other.host_user
            || self.secret_version != other.secret_version
    }

    /// Forgets the verification (credentials changed and were not checked).
    pub fn reset_verification(&mut self) {
        self.status = LicenseStatus::Unverified;
        self.verification = None;
        self.zoom_user_id = None;
    }

    /// Records the hints of (new) secret values.
    pub fn set_secret_hints(&mut self, secrets: &LicenseSecrets) {
        self.client_secret_hint = secrets.client_secret.hint();
        self.sdk_secret_hint = secrets.sdk_secret.hint();
        self.webhook_secret_configured = secrets.webhook_secret_token.is_some();
    }
}

/// Case-insensitive form of a license name.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A valid create request.
#[derive(Debug)]
pub struct NewLicense {
    pub name: String,
    pub account_id: String,
    pub client_id: String,
    pub sdk_key: String,
    pub host_user: String,
    pub max_concurrent_meetings: u8,
    pub recording_archive: ArchiveMode,
    pub secrets: LicenseSecrets,
}

impl NewLicense {
    /// The stored license for this request (version 1, unverified).
    pub fn into_license(
        self,
        license_id: String,
        academy_id: String,
        secret_version: String,
        now: DateTime<Utc>,
    ) -> (License, LicenseSecrets) {
        let mut license = License {
            license_id,
            academy_id,
            name: self.name,
            account_id: self.account_id,
            client_id: self.client_id,
            sdk_key: self.sdk_key,
            client_secret_hint: String::new(),
            sdk_secret_hint: String::new(),
            webhook_secret_configured: false,
            host_user: self.host_user,
            zoom_user_id: None,
            max_concurrent_meetings: self.max_concurrent_meetings,
            recording_archive: self.recording_archive,
            status: LicenseStatus::Unverified,
            verification: None,
            version: 1,
            secret_version,
            created_at: now,
            updated_at: now,
        };
        license.set_secret_hints(&self.secrets);
        (license, self.secrets)
    }
}

/// A valid patch: only what the caller sent.
#[derive(Debug, Default)]
pub struct LicensePatch {
    pub name: Option<String>,
    pub account_id: Option<String>,
    pub client_id: Option<String>,
    pub sdk_key: Option<String>,
    pub client_secret: Option<Secret>,
    pub sdk_secret: Option<Secret>,
    /// `Some(None)`: remove the webhook secret token.
    pub webhook_secret_token: Option<Option<Secret>>,
    pub host_user: Option<String>,
    pub max_concurrent_meetings: Option<u8>,
    pub recording_archive: Option<ArchiveMode>,
}

impl LicensePatch {
    pub fn touches_secrets(&self) -> bool {
        self.client_secret.is_some()
            || self.sdk_secret.is_some()
            || self.webhook_secret_token.is_some()
    }

    /// The secrets after this patch.
    pub fn apply_secrets(&self, current: &LicenseSecrets) -> LicenseSecrets {
        LicenseSecrets {
            client_secret: self
                .client_secret
                .clone()
                .unwrap_or_else(|| current.client_secret.clone()),
            sdk_secret: self
                .sdk_secret
                .clone()
                .unwrap_or_else(|| current.sdk_secret.clone()),
            webhook_secret_token: match &self.webhook_secret_token {
                Some(token) => token.clone(),
                None => current.webhook_secret_token.clone(),
            },
        }
    }

    /// The license after this patch, without touching version, timestamps,
    /// secrets or verification.
    pub fn apply(&self, current: &License) -> License {
        let mut next = current.clone();
        let set = |target: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                target.clone_from(v);
            }
        };
        set(&mut next.name, &self.name);
        set(&mut next.account_id, &self.account_id);
        set(&mut next.client_id, &self.client_id);
        set(&mut next.sdk_key, &self.sdk_key);
        set(&mut next.host_user, &self.host_user);
        if let Some(max) = self.max_concurrent_meetings {
            next.max_concurrent_meetings = max;
        }
        if let Some(mode) = self.recording_archive {
            next.recording_archive = mode;
        }
        next
    }
}

fn valid_host_user(value: &str) -> bool {
    let user_id = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    user_id || looks_like_email(value)
}

struct Common {
    name: Field<String>,
    account_id: Field<String>,
    client_id: Field<String>,
    client_secret: Field<String>,
    sdk_key: Field<String>,
    sdk_secret: Field<String>,
    webhook_secret_token: Field<String>,
    host_user: Field<String>,
    max_concurrent_meetings: Field<i64>,
    recording_archive: Field<ArchiveMode>,
}

/// `recordingArchive`: one of [`ArchiveMode::NAMES`].
fn read_archive_mode(reader: &mut Reader) -> Field<ArchiveMode> {
    match reader.string("recordingArchive", 32, true) {
        Field::Value(name) => match ArchiveMode::parse(&name) {
            Some(mode) => Field::Value(mode),
            None => {
                reader.invalid("recordingArchive", Rule::OneOf(ArchiveMode::NAMES));
                Field::Absent
            }
        },
        Field::Null => Field::Null,
        Field::Absent => Field::Absent,
    }
}

fn read_common(reader: &mut Reader) -> Common {
    let credential = |r: &mut Reader, name| r.string(name, CREDENTIAL_MAX_CHARS, true);
    let common = Common {
        name: reader.string("name", NAME_MAX_CHARS, false),
        account_id: credential(reader, "accountId"),
        client_id: credential(reader, "clientId"),
        client_secret: credential(reader, "clientSecret"),
        sdk_key: credential(reader, "sdkKey"),
        sdk_secret: credential(reader, "sdkSecret"),
        webhook_secret_token: credential(reader, "webhookSecretToken"),
        host_user: reader.string("hostUser", HOST_USER_MAX_CHARS, true),
        max_concurrent_meetings: reader.integer(
            "maxConcurrentMeetings",
            1,
            MAX_CONCURRENT_MEETINGS,
        ),
        recording_archive: read_archive_mode(reader),
    };
    if let Field::Value(host) = &common.host_user
        && !valid_host_user(host)
    {
        reader.invalid("hostUser", Rule::NotEmailOrUserId);
    }
    common
}

fn done<T>(reader: Reader, value: impl FnOnce() -> T) -> Result<T, Problems> {
    if reader.problems.is_empty() {
        Ok(value())
    } else {
        Err(reader.problems)
    }
}

/// Reads a create request.
pub fn parse_create(body: Map<String, Value>) -> Result<NewLicense, Problems> {
    let mut r = Reader::new(body, CREATE_FIELDS);
    let c = read_common(&mut r);
    let required = |r: &mut Reader, name: &str, field: Field<String>| {
        let seen = r.has_problem(name);
        r.require(name, field, seen)
    };
    let name = required(&mut r, "name", c.name);
    let account_id = required(&mut r, "accountId", c.account_id);
    let client_id = required(&mut r, "clientId", c.client_id);
    let client_secret = required(&mut r, "clientSecret", c.client_secret);
    let sdk_key = required(&mut r, "sdkKey", c.sdk_key);
    let sdk_secret = required(&mut r, "sdkSecret", c.sdk_secret);
    let webhook = c.webhook_secret_token.into_option();
    let host_user = c.host_user.into_option();
    let max = c.max_concurrent_meetings.into_option();
    let recording_archive = match c.recording_archive {
        Field::Null => {
            r.invalid("recordingArchive", Rule::NotNull);
            None
        }
        other => other.into_option(),
    };
    done(r, || NewLicense {
        name: name.unwrap_or_default(),
        account_id: account_id.unwrap_or_default(),
        client_id: client_id.unwrap_or_default(),
        sdk_key: sdk_key.unwrap_or_default(),
        host_user: host_user.unwrap_or_else(|| DEFAULT_HOST_USER.to_owned()),
        max_concurrent_meetings: max.map_or(1, |m| m as u8),
        recording_archive: recording_archive.unwrap_or_default(),
        secrets: LicenseSecrets {
            client_secret: Secret::new(client_secret.unwrap_or_default()),
            sdk_secret: Secret::new(sdk_secret.unwrap_or_default()),
            webhook_secret_token: webhook.map(Secret::new),
        },
    })
}

/// Reads a patch: any subset of the create fields. `null` removes the webhook
/// secret token and resets the host user to `me`; other fields cannot be null.
pub fn parse_patch(body: Map<String, Value>) -> Result<LicensePatch, Problems> {
    let mut r = Reader::new(body, CREATE_FIELDS);
    let c = read_common(&mut r);
    let keep = |r: &mut Reader, name: &str, field: Field<String>| match field {
        Field::Null => {
            r.invalid(name, Rule::NotNull);
            None
        }
        other => other.into_option(),
    };
    let name = keep(&mut r, "name", c.name);
    let account_id = keep(&mut r, "accountId", c.account_id);
    let client_id = keep(&mut r, "clientId", c.client_id);
    let client_secret = keep(&mut r, "clientSecret", c.client_secret);
    let sdk_key = keep(&mut r, "sdkKey", c.sdk_key);
    let sdk_secret = keep(&mut r, "sdkSecret", c.sdk_secret);
    let webhook_secret_token = match c.webhook_secret_token {
        Field::Null => Some(None),
        Field::Value(v) => Some(Some(Secret::new(v))),
        Field::Absent => None,
    };
    let host_user = match c.host_user {
        Field::Null => Some(DEFAULT_HOST_USER.to_owned()),
        other => other.into_option(),
    };
    let max = match c.max_concurrent_meetings {
        Field::Null => {
            r.invalid("maxConcurrentMeetings", Rule::NotNull);
            None
        }
        other => other.into_option(),
    };
    let recording_archive = match c.recording_archive {
        Field::Null => {
            r.invalid("recordingArchive", Rule::NotNull);
            None
        }
        other => other.into_option(),
    };
    done(r, || LicensePatch {
        recording_archive,
        name,
        account_id,
        client_id,
        sdk_key,
        client_secret: client_secret.map(Secret::new),
        sdk_secret: sdk_secret.map(Secret::new),
        webhook_secret_token,
        host_user,
        max_concurrent_meetings: max.map(|m| m as u8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn full() -> Value {
        json!({"name":" Principal ","accountId":" acc \n","clientId":"cid","clientSecret":"\tcsecret ",
               "sdkKey":"sdk","sdkSecret":"ssecret"})
    }

    #[test]
    fn create_trims_and_defaults() {
        let new = parse_create(object(full())).unwrap();
        assert_eq!(new.name, "Principal");
        assert_eq!(new.account_id, "acc");
        assert_eq!(new.secrets.client_secret.expose(), "csecret");
        assert_eq!(new.host_user, "me");
        assert_eq!(new.max_concurrent_meetings, 1);
        assert!(new.secrets.webhook_secret_token.is_none());
    }

    #[test]
    fn create_reports_every_problem() {
        let body = json!({"name":"", "clientId": 5, "sdkKey":"a b", "extra": 1,
                          "maxConcurrentMeetings": 11, "hostUser": "not an email"});
        let problems = parse_create(object(body)).unwrap_err();
        let rule = |f: &str| {
            problems
                .invalid
                .iter()
                .chain(&problems.wrong_types)
                .find(|e| e.field == f)
                .map(|e| e.rule.clone())
        };
        assert_eq!(rule("name"), Some(Rule::Blank));
        assert_eq!(rule("clientId"), Some(Rule::WrongType("string")));
        assert_eq!(rule("sdkKey"), Some(Rule::InnerWhitespace));
        assert_eq!(rule("extra"), Some(Rule::Unknown));
        assert_eq!(rule("maxConcurrentMeetings"), Some(Rule::OutOfRange(1, 10)));
        assert_eq!(rule("hostUser"), Some(Rule::InnerWhitespace));
        assert_eq!(rule("accountId"), Some(Rule::Required));
        assert_eq!(rule("sdkSecret"), Some(Rule::Required));
        assert_eq!(problems.wrong_types.len(), 1);
    }

    #[test]
    fn name_length_counts_characters() {
        let mut body = full();
        body["name"] = json!("ñ".repeat(100));
        assert!(parse_create(object(body.clone())).is_ok());
        body["name"] = json!("ñ".repeat(101));
        assert!(parse_create(object(body)).is_err());
    }

    #[test]
    fn host_user_is_email_or_user_id() {
        assert!(valid_host_user("teacher@example.com"));
        assert!(valid_host_user("KdYKjnimT4KPd8FFgQt9FQ"));
        assert!(valid_host_user("me"));
        assert!(!valid_host_user("a@b"));
        assert!(!valid_host_user("a@@b.com"));
        assert!(!valid_host_user("x/y"));
    }

    #[test]
    fn patch_null_semantics() {
        let patch = parse_patch(object(
            json!({"webhookSecretToken": null, "hostUser": null}),
        ))
        .unwrap();
        assert_eq!(patch.webhook_secret_token.map(|t| t.is_none()), Some(true));
        assert_eq!(patch.host_user.as_deref(), Some("me"));
        let problems = parse_patch(object(json!({"name": null, "sdkSecret": null}))).unwrap_err();
        assert_eq!(problems.invalid.len(), 2);
    }

    #[test]
    fn credential_changes_are_detected() {
        let (license, _) = parse_create(object(full())).unwrap().into_license(
            "lic_1".into(),
            "a1".into(),
            "v1".into(),
            Utc::now(),
        );
        let renamed = parse_patch(object(json!({"name":"Otra"})))
            .unwrap()
            .apply(&license);
        assert!(!renamed.credentials_differ(&license));
        let rehosted = parse_patch(object(json!({"hostUser":"x@y.com"})))
            .unwrap()
            .apply(&license);
        assert!(rehosted.credentials_differ(&license));
        let mut rotated = license.clone();
        rotated.secret_version = "v2".into();
        assert!(rotated.credentials_differ(&license));
    }
}
