//! The secret port: one secret per license holding its Zoom secrets, with a
//! Secrets Manager and an embedded implementation and a TTL cache in front.

mod aws;
pub mod cache;
mod embedded;
mod secret;

pub use aws::SecretsManagerStore;
pub use cache::SecretCache;
pub use embedded::EmbeddedSecretStore;
pub use secret::Secret;

use async_trait::async_trait;
use serde::Deserialize;

/// The secret values of one license, as stored: a JSON object.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LicenseSecrets {
    pub client_secret: Secret,
    pub sdk_secret: Secret,
    #[serde(default)]
    pub webhook_secret_token: Option<Secret>,
}

impl LicenseSecrets {
    /// The JSON document stored in the secret store. The returned string is
    /// itself secret: it goes straight into the store's request.
    pub(crate) fn to_document(&self) -> Secret {
        let mut doc = serde_json::Map::new();
        doc.insert("clientSecret".into(), self.client_secret.expose().into());
        doc.insert("sdkSecret".into(), self.sdk_secret.expose().into());
        if let Some(token) = &self.webhook_secret_token {
            doc.insert("webhookSecretToken".into(), token.expose().into());
        }
        Secret::new(serde_json::Value::Object(doc).to_string())
    }

    pub(crate) fn from_document(doc: &str) -> Result<Self, SecretError> {
        serde_json::from_str(doc).map_err(|_| SecretError::Corrupt)
    }
}

/// A stored version of a secret; licenses record the version they use, so a
/// reader always gets the values that match the license it read.
pub type SecretVersion = String;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret not found")]
    NotFound,
    #[error("secret is not a valid license secret document")]
    Corrupt,
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
}

/// Days a deleted license's secret stays recoverable.
pub const RECOVERY_WINDOW_DAYS: i64 = 7;

#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Creates the secret with its first version.
    async fn create(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError>;
    /// Adds a new version (rotation) and returns its id.
    async fn put_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError>;
    /// Reads one version.
    async fn get(&self, name: &str, version: &str) -> Result<LicenseSecrets, SecretError>;
    /// Schedules the secret for deletion after [`RECOVERY_WINDOW_DAYS`]; recoverable until then.
    async fn schedule_deletion(&self, name: &str) -> Result<(), SecretError>;
    /// Deletes at once a secret that no license ever used (undo of a failed create).
    async fn discard(&self, name: &str) -> Result<(), SecretError>;
}
