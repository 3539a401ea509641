//! What every handler shares: configuration, the store, the secrets, the services.
//! Built once per process (Lambda cold start or local server start).

use std::path::Path;
use std::sync::Arc;

use crate::app::archive::Archives;
use crate::app::archive::archiver::Archiver;
use crate::app::attendance::AttendanceService;
use crate::app::maintenance::MaintenanceService;
use crate::app::recordings::RecordingService;
use crate::app::verify::Verifier;
use crate::app::webhooks::WebhookService;
use crate::app::{LicenseService, MeetingService};
use crate::config::AppConfig;
use crate::lazy_client::Lazy;
use crate::objects::{DirObjects, ObjectStore, S3Objects};
use crate::queue::{JobQueue, SqsQueue, StoreQueue};
use crate::repo::LicenseRepo;
use crate::repo::meetings::MeetingRepo;
use crate::repo::recordings::RecordingRepo;
use crate::repo::repairs::RepairRepo;
use crate::repo::series::SeriesRepo;
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
    pub recordings: RecordingService,
    pub attendance: AttendanceService,
    pub webhooks: WebhookService,
    pub maintenance: MaintenanceService,
    pub archives: Archives,
    pub archiver: Archiver,
}

/// Where archived recordings go and how their jobs travel.
#[derive(Clone)]
pub struct ArchivePorts {
    pub objects: Arc<dyn ObjectStore>,
    pub queue: Arc<dyn JobQueue>,
}

impl ArchivePorts {
    /// `recordings/` in the data directory, jobs in the store itself.
    pub fn local(store: Arc<dyn Store>, data_dir: &Path) -> Self {
        Self {
            objects: Arc::new(DirObjects::new(data_dir.join("recordings"))),
            queue: Arc::new(StoreQueue::new(store)),
        }
    }

    /// `RECORDINGS_BUCKET` and `RECORDINGS_QUEUE_URL` (a queue in the store
    /// without it). Without a bucket every copy fails, saying so.
    pub fn aws(config: &AppConfig, sdk: &aws_config::SdkConfig, store: Arc<dyn Store>) -> Self {
        // Built on first use: most invocations never touch S3 or SQS.
        let s3 = {
            let sdk = sdk.clone();
            Lazy::new(move || s3_client(&sdk))
        };
        let sqs = {
            let sdk = sdk.clone();
            Lazy::new(move || sqs_client(&sdk))
        };
        let objects: Arc<dyn ObjectStore> = match &config.recordings_bucket {
            Some(bucket) => Arc::new(S3Objects::lazy(s3, bucket)),
            None => Arc::new(crate::objects::Unconfigured),
        };
        let queue: Arc<dyn JobQueue> = match &config.recordings_queue_url {
            // moto (the tests' AWS) serves one request at a time: a held
            // long poll would hold up every other call there.
            Some(url) if std::env::var_os("AWS_ENDPOINT_URL").is_some() => {
                Arc::new(SqsQueue::lazy(sqs, url).polling())
            }
            Some(url) => Arc::new(SqsQueue::lazy(sqs, url)),
            None => Arc::new(StoreQueue::new(store)),
        };
        Self { objects, queue }
    }
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
        ports: ArchivePorts,
    ) -> Self {
        // Every store call keeps to the request's deadline, whatever the store.
        let store: Arc<dyn Store> = Arc::new(crate::store::InTime(store));
        let secrets = SecretCache::new(secret_store, cache::DEFAULT_TTL);
        let zoom = ZoomClient::new(ZoomSettings::new(
            config.zoom_api_url.clone(),
            config.zoom_oauth_url.clone(),
        ));
        let licenses = LicenseService::new(
            LicenseRepo::new(store.clone()),
            secrets.clone(),
            config.secrets_prefix.clone(),
            Verifier::new(zoom.clone(), config.public_base_url.clone()),
        );
        let meetings = MeetingService::new(store.clone(), licenses.clone(), zoom.clone());
        let archives = Archives::new(store.clone(), ports.queue.clone(), ports.objects.clone());
        let archiver = Archiver::new(
            store.clone(),
            licenses.clone(),
            zoom.clone(),
            ports.objects.clone(),
            config.archive_retry_base,
        );
        let recordings = RecordingService::new(
            licenses.clone(),
            meetings.clone(),
            RecordingRepo::new(store.clone()),
            zoom.clone(),
            archives.clone(),
        );
        let attendance = AttendanceService::new(
            store.clone(),
            meetings.clone(),
            licenses.clone(),
            zoom.clone(),
            recordings.clone(),
        );
        let webhooks = WebhookService::new(
            licenses.clone(),
            MeetingRepo::new(store.clone()),
            RecordingRepo::new(store.clone()),
            RepairRepo::new(store.clone()),
            archives.clone(),
            SeriesRepo::new(store.clone()),
        );
        let maintenance = MaintenanceService::new(
            store.clone(),
            licenses.clone(),
            meetings.clone(),
            webhooks.clone(),
            attendance.clone(),
            archives.clone(),
        );
        Self {
            config: Arc::new(config),
            store,
            secrets,
            zoom,
            licenses,
            meetings,
            recordings,
            attendance,
            webhooks,
            maintenance,
            archives,
            archiver,
        }
    }

    /// DynamoDB and Secrets Manager, from the usual AWS configuration.
    pub fn aws(config: AppConfig, sdk: &aws_config::SdkConfig) -> Self {
        let (dynamo, secrets) = aws_clients(sdk);
        let store: Arc<dyn Store> = Arc::new(DynamoStore::new(dynamo, &config.table_name));
        let ports = ArchivePorts::aws(&config, sdk, store.clone());
        Self::new(
            config,
            store,
            Arc::new(SecretsManagerStore::new(secrets)),
            ports,
        )
    }

    /// The embedded store and secrets in `data_dir`.
    pub fn embedded(config: AppConfig, data_dir: &Path) -> Result<Self, StartError> {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(data_dir)?);
        let secrets = EmbeddedSecretStore::open(data_dir)?;
        let ports = ArchivePorts::local(store.clone(), data_dir);
        Ok(Self::new(config, store, Arc::new(secrets), ports))
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

/// How long one AWS call may take in all (retries included) and per attempt:
/// webhooks must answer Zoom within 3 s, so a stuck store becomes a 503 in time.
pub const AWS_OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(2000);
pub const AWS_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// DynamoDB and Secrets Manager clients with bounded call times.
pub fn aws_clients(
    sdk: &aws_config::SdkConfig,
) -> (aws_sdk_dynamodb::Client, aws_sdk_secretsmanager::Client) {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(500))
        .operation_timeout(AWS_OPERATION_TIMEOUT)
        .operation_attempt_timeout(AWS_ATTEMPT_TIMEOUT)
        .build();
    let dynamo = aws_sdk_dynamodb::config::Builder::from(sdk)
        .timeout_config(timeouts.clone())
        .build();
    let secrets = aws_sdk_secretsmanager::config::Builder::from(sdk)
        .timeout_config(timeouts)
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(dynamo),
        aws_sdk_secretsmanager::Client::from_conf(secrets),
    )
}

/// S3 for archived recordings: parts of 8 MiB need more than the table's
/// call times; path-style addressing when `AWS_ENDPOINT_URL` points
/// elsewhere than AWS (moto, a local S3).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_timeout(std::time::Duration::from_secs(120))
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .build();
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .timeout_config(timeouts)
        .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// SQS for archive jobs: a receive long-polls up to 20 s.
pub fn sqs_client(sdk: &aws_config::SdkConfig) -> aws_sdk_sqs::Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(500))
        .operation_timeout(std::time::Duration::from_secs(25))
        .operation_attempt_timeout(std::time::Duration::from_secs(22))
        .build();
    let config = aws_sdk_sqs::config::Builder::from(sdk)
        .timeout_config(timeouts)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}
