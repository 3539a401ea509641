//! What every handler shares: configuration, the store, the secrets, the services.
//! Built once per process (Lambda cold start or local server start).

use std::path::Path;
use std::sync::Arc;

use crate::app::verify::Verifier;
use crate::app::{LicenseService, MeetingService};
use crate::config::AppConfig;
use crate::repo::LicenseRepo;
use crate::secrets::{
    EmbeddedSecretStore, SecretCache, SecretError, SecretStore, SecretsManagerStore, cache,
};
use crate::store::{DynamoStore, EmbeddedStore, Store, StoreError};
use crate::zoom::{ZoomClient, ZoomSettings};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<AppConfig>,
    pub store: Arc<dyn Store>,
    pub secrets: SecretCache,
    pub zoom: ZoomClient,
    pub licenses: LicenseService,
    pub meetings: MeetingService,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secrets(#[from] SecretError),
}

impl AppState {
    pub fn new(
        config: AppConfig,
        store: Arc<dyn Store>,
        secret_store: Arc<dyn SecretStore>,
    ) -> Self {
        let secrets = SecretCache::new(secret_store, cache::DEFAULT_TTL);
        let zoom = ZoomClient::new(ZoomSettings::new(
            config.zoom_api_url.clone(),
            config.zoom_oauth_url.clone(),
        ));
        let licenses = LicenseService::new(
            LicenseRepo::new(store.clone()),
            secrets.clone(),
            config.secrets_prefix.clone(),
            Verifier::new(zoom.clone()),
        );
        let meetings = MeetingService::new(store.clone(), licenses.clone(), zoom.clone());
        Self {
            config: Arc::new(config),
            store,
            secrets,
            zoom,
            licenses,
            meetings,
        }
    }

    /// DynamoDB and Secrets Manager, from the usual AWS configuration.
    pub fn aws(config: AppConfig, sdk: &aws_config::SdkConfig) -> Self {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &config.table_name);
        let secrets = SecretsManagerStore::new(aws_sdk_secretsmanager::Client::new(sdk));
        Self::new(config, Arc::new(store), Arc::new(secrets))
    }

    /// The embedded store and secrets in `data_dir`.
    pub fn embedded(config: AppConfig, data_dir: &Path) -> Result<Self, StartError> {
        let store = EmbeddedStore::open(data_dir)?;
        let secrets = EmbeddedSecretStore::open(data_dir)?;
        Ok(Self::new(config, Arc::new(store), Arc::new(secrets)))
    }
}

impl AppState {
    /// DynamoDB and Secrets Manager configured from the environment (region,
    /// credentials, `AWS_ENDPOINT_URL`), as in Lambda.
    pub async fn from_aws_env(config: AppConfig) -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self::aws(config, &sdk)
    }
}
