//! `lms-zoom-local`: every router of lms-zoom merged on one port, on the
//! embedded store (default) or on DynamoDB + Secrets Manager, each
//! function's routes under its timeout, and maintenance on a timer.
//!
//! - [`timeouts`]: `--timeout FUNCTION=SECONDS`
//! - [`maintenance`]: `--maintenance-interval SECONDS`
//! - [`archiver`]: the archive queue's consumer (and its AWS resources)

pub mod archiver;
pub mod maintenance;
pub mod timeouts;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use clap::{Parser, ValueEnum};
use lms_zoom::functions;
use lms_zoom::http::deadline::with_deadline;
use lms_zoom::http::{self, auth};
use lms_zoom::secrets::Secret;
use lms_zoom::secrets::{EmbeddedSecretStore, SecretStore, SecretsManagerStore};
use lms_zoom::state::{ArchivePorts, StartError};
use lms_zoom::store::{DynamoStore, EmbeddedStore, Store};
use lms_zoom::{AppConfig, AppState};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use zoom_emulator::{Emulator, EmulatorConfig};

use archiver::ArchiveWorker;
use maintenance::MaintenanceTimer;
use timeouts::{TimeoutOverride, Timeouts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    /// redb + a 0600 secrets file in --data-dir; no AWS needed.
    Embedded,
    /// DynamoDB + Secrets Manager from the usual AWS variables; creates the table if missing.
    Aws,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "lms-zoom-local", version, about = "lms-zoom on one local port")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Where data lives.
    #[arg(long, value_enum, default_value_t = StoreKind::Embedded)]
    pub store: StoreKind,
    /// Directory of the embedded store.
    #[arg(long, default_value = "./.lms-zoom")]
    pub data_dir: PathBuf,
    /// Start the Zoom emulator in-process and talk to it instead of Zoom.
    #[arg(long)]
    pub zoom_emulator: bool,
    /// Seconds between maintenance runs (fractions allowed); 0 runs none.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = maintenance::parse_interval)]
    pub maintenance_interval: Duration,
    /// A function's request timeout in seconds (fractions allowed) instead of
    /// its Lambda Timeout; repeatable. FUNCTION: licenses, meetings,
    /// sdk-signature or zoom-webhooks.
    #[arg(long = "timeout", value_name = "FUNCTION=SECONDS")]
    pub timeouts: Vec<TimeoutOverride>,
}

impl Args {
    /// Each function's request timeout, after the `--timeout`s.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts::new(&self.timeouts)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Config(#[from] lms_zoom::config::ConfigError),
    #[error(transparent)]
    Start(#[from] lms_zoom::state::StartError),
    #[error(transparent)]
    Store(#[from] lms_zoom::store::StoreError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("recordings archive: {0}")]
    Archive(String),
}

/// The stores chosen by `args`: data, secrets and the recordings archive
/// (with `--store aws`, the table, the bucket and the queue are created if
/// missing, and `config` names the last two).
pub async fn stores(
    args: &Args,
    config: &mut AppConfig,
) -> Result<(Arc<dyn Store>, Arc<dyn SecretStore>, ArchivePorts), LocalError> {
    Ok(match args.store {
        StoreKind::Embedded => {
            let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&args.data_dir)?);
            let secrets = EmbeddedSecretStore::open(&args.data_dir).map_err(StartError::from)?;
            let ports = ArchivePorts::local(store.clone(), &args.data_dir);
            (store, Arc::new(secrets), ports)
        }
        StoreKind::Aws => {
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let (dynamo, secrets) = lms_zoom::state::aws_clients(&sdk);
            let dynamo = DynamoStore::new(dynamo, &config.table_name);
            dynamo.ensure_table().await?;
            archiver::ensure_aws(config, &sdk)
                .await
                .map_err(LocalError::Archive)?;
            let store: Arc<dyn Store> = Arc::new(dynamo);
            let ports = ArchivePorts::aws(config, &sdk, store.clone());
            (store, Arc::new(SecretsManagerStore::new(secrets)), ports)
        }
    })
}

/// The state for the chosen store.
pub async fn state(args: &Args, mut config: AppConfig) -> Result<AppState, LocalError> {
    let (store, secrets, ports) = stores(args, &mut config).await?;
    Ok(AppState::new(config, store, secrets, ports))
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// All routes on one router, each function's under its timeout; LMS routes
/// need `Authorization: Bearer <token>` when a token is set.
pub fn app(state: AppState, api_token: Option<Secret>, timeouts: &Timeouts) -> Router {
    let timed = |routes, function| with_deadline(routes, timeouts.of(function));
    let mut lms = timed(http::licenses_function(state.clone()), functions::LICENSES)
        .merge(timed(
            http::signature::routes(state.clone()),
            functions::SDK_SIGNATURE,
        ))
        .merge(timed(
            http::meetings_function(state.clone()),
            functions::MEETINGS,
        ));
    if let Some(token) = api_token {
        lms = lms.layer(axum::middleware::from_fn_with_state(
            Arc::new(token),
            auth::require_bearer,
        ));
    }
    let webhooks = timed(http::webhooks::routes(state), functions::ZOOM_WEBHOOKS);
    http::edge(
        Router::new()
            .route("/healthz", get(healthz))
            .merge(lms)
            .merge(webhooks),
    )
}

/// A running server; dropping it does not stop it, [`Server::stop`] does.
pub struct Server {
    pub addr: SocketAddr,
    /// The in-process Zoom emulator, with `--zoom-emulator`.
    pub zoom: Option<Emulator>,
    /// The maintenance runs, unless `--maintenance-interval 0`.
    maintenance: Option<MaintenanceTimer>,
    /// The archive queue's consumer.
    archive: Option<ArchiveWorker>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops accepting, lets requests in flight (and a maintenance run in
    /// progress) finish, and releases the store.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        if let Some(maintenance) = self.maintenance {
            maintenance.stop().await;
        }
        if let Some(archive) = self.archive {
            archive.stop().await;
        }
        let result = self.task.await.unwrap_or(Ok(()));
        if let Some(zoom) = self.zoom {
            zoom.stop().await;
        }
        result
    }

    /// Serves until the task ends (for the binary).
    pub async fn wait(self) -> std::io::Result<()> {
        let Server {
            shutdown,
            task,
            maintenance,
            archive,
            ..
        } = self;
        let result = task.await.unwrap_or(Ok(()));
        if let Some(maintenance) = maintenance {
            maintenance.stop().await;
        }
        if let Some(archive) = archive {
            archive.stop().await;
        }
        drop(shutdown);
        result
    }
}

/// Binds `args.listen` and serves `app` in the background.
pub async fn serve(args: &Args, app: Router) -> Result<Server, LocalError> {
    let listener = TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        addr,
        zoom: None,
        maintenance: None,
        archive: None,
        shutdown,
        task,
    })
}

/// Everything the binary does before printing its address.
pub async fn start(
    args: &Args,
    mut config: AppConfig,
    api_token: Option<Secret>,
) -> Result<Server, LocalError> {
    let zoom = if args.zoom_emulator {
        let zoom = Emulator::start(EmulatorConfig::demo()).await?;
        config.zoom_api_url = zoom.api_url();
        config.zoom_oauth_url = zoom.oauth_url();
        Some(zoom)
    } else {
        None
    };
    let state = state(args, config).await?;
    let mut server = serve_state(args, state, api_token).await?;
    server.zoom = zoom;
    Ok(server)
}

/// Serves `state` as `args` say: every route under its function's timeout,
/// and maintenance every `--maintenance-interval`.
pub async fn serve_state(
    args: &Args,
    state: AppState,
    api_token: Option<Secret>,
) -> Result<Server, LocalError> {
    let maintenance = state.maintenance.clone();
    let archive = ArchiveWorker::start(&state);
    let mut server = serve(args, app(state, api_token, &args.timeouts())).await?;
    server.archive = Some(archive);
    if !args.maintenance_interval.is_zero() {
        server.maintenance = Some(MaintenanceTimer::start(
            maintenance,
            args.maintenance_interval,
        ));
    }
    Ok(server)
}

/// What a person needs to try the API against the emulator.
pub fn demo_credentials_text(zoom: &Emulator) -> String {
    let demo = EmulatorConfig::demo();
    let mut text = format!(
        "zoom emulator at {} (Zoom API {})\n",
        zoom.base_url(),
        zoom.api_url()
    );
    for account in &demo.accounts {
        text.push_str(&format!(
            "demo license: accountId={} clientId={} clientSecret={}",
            account.account_id, account.client_id, account.client_secret
        ));
        if let Some(user) = account.users.first() {
            text.push_str(&format!(" hostUser={}", user.email));
        }
        text.push('\n');
    }
    text
}
