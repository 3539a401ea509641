//! Secrets Manager: one secret per license, a JSON document, a new version on
//! rotation, deletion with a recovery window.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

use super::{LicenseSecrets, RECOVERY_WINDOW_DAYS, SecretError, SecretStore, SecretVersion};

#[derive(Clone)]
pub struct SecretsManagerStore {
    client: Client,
}

impl SecretsManagerStore {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn sdk_error<E: ProvideErrorMetadata, R>(e: SdkError<E, R>) -> SecretError {
    match e.as_service_error() {
        Some(s) if s.code() == Some("ResourceNotFoundException") => SecretError::NotFound,
        Some(s) => SecretError::Unavailable(format!(
            "{}: {}",
            s.code().unwrap_or("unknown"),
            s.message().unwrap_or("")
        )),
        None => SecretError::Unavailable(match &e {
            SdkError::TimeoutError(_) => "timeout".to_owned(),
            SdkError::DispatchFailure(_) => "connection failed".to_owned(),
            _ => "request failed".to_owned(),
        }),
    }
}

fn version(id: Option<String>) -> Result<SecretVersion, SecretError> {
    id.ok_or_else(|| SecretError::Unavailable("no version id in the answer".into()))
}

#[async_trait]
impl SecretStore for SecretsManagerStore {
    async fn create(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        let out = self
            .client
            .create_secret()
            .name(name)
            .description("Zoom secrets of one lms-zoom license")
            .secret_string(value.to_document().expose())
            .send()
            .await
            .map_err(sdk_error)?;
        version(out.version_id)
    }

    async fn put_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        let out = self
            .client
            .put_secret_value()
            .secret_id(name)
            .secret_string(value.to_document().expose())
            .send()
            .await
            .map_err(sdk_error)?;
        version(out.version_id)
    }

    async fn get(&self, name: &str, version: &str) -> Result<LicenseSecrets, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(name)
            .version_id(version)
            .send()
            .await
            .map_err(sdk_error)?;
        let doc = out.secret_string().ok_or(SecretError::Corrupt)?;
        LicenseSecrets::from_document(doc)
    }

    async fn schedule_deletion(&self, name: &str) -> Result<(), SecretError> {
        match self
            .client
            .delete_secret()
            .secret_id(name)
            .recovery_window_in_days(RECOVERY_WINDOW_DAYS)
            .send()
            .await
            .map_err(sdk_error)
        {
            Ok(_) | Err(SecretError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn discard(&self, name: &str) -> Result<(), SecretError> {
        match self
            .client
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
            .map_err(sdk_error)
        {
            Ok(_) | Err(SecretError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
