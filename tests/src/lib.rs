//! Test equipment shared by the integration tests: the moto endpoint, fresh
//! DynamoDB tables, stores of both kinds, an in-process `lms-zoom-local`, and
//! a capture of every log line the suite writes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use lms_zoom::store::{DynamoStore, EmbeddedStore, Store};
use lms_zoom::{AppConfig, telemetry};
use lms_zoom_local::{Args, Server, StoreKind};
use zoom_emulator::{Account, Emulator, EmulatorConfig, User};

pub mod kit;
pub mod lambda_host;

/// Every scope lms-zoom asks admins for (granular, admin level).
pub const ALL_SCOPES: &[&str] = &[
    "meeting:write:meeting:admin",
    "meeting:read:meeting:admin",
    "meeting:update:meeting:admin",
    "meeting:delete:meeting:admin",
    "meeting:read:list_meetings:admin",
    "user:read:user:admin",
    "user:read:token:admin",
    "cloud_recording:read:list_recording_files:admin",
    "cloud_recording:delete:recording_file:admin",
    "report:read:list_meeting_participants:admin",
    "meeting:read:list_past_instances:admin",
    // Webhook events (ZOOM.md §4): participant and recording events.
    "meeting:read:participant:admin",
    "cloud_recording:read:recording:admin",
];

/// Credentials of the emulator's test account (what `license_body`s use).
pub const ACCOUNT_ID: &str = "AcC-123_xyz";
pub const CLIENT_ID: &str = "cLiEnT1d";
pub const CLIENT_SECRET: &str = "client-secret-VALUE-9f8e7d";
pub const HOST_EMAIL: &str = "teacher@example.com";
pub const HOST_ID: &str = "teacherUserId01";

/// The emulator's test account: every scope, a licensed host, a Basic and an inactive user.
pub fn test_account() -> Account {
    Account::new(ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET)
        .with_scopes(ALL_SCOPES)
        .with_user(User::licensed(HOST_ID, HOST_EMAIL))
        .with_user(User::basic("basicUserId01", "basic@example.com"))
        .with_user(User::licensed("inactiveUser01", "inactive@example.com").with_status("inactive"))
}

pub fn test_zoom() -> EmulatorConfig {
    EmulatorConfig {
        accounts: vec![test_account()],
        ..EmulatorConfig::demo()
    }
}

/// The moto server the test script started. Panics (never skips) without one.
pub fn moto_endpoint() -> String {
    match std::env::var("AWS_ENDPOINT_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "AWS_ENDPOINT_URL is not set: these tests need a moto server. Run infra/scripts/test.sh"
        ),
    }
}

/// AWS SDK configuration pointing at moto.
pub async fn aws_config() -> aws_config::SdkConfig {
    moto_endpoint();
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A DynamoDB store on a table of its own, created in moto.
pub async fn dynamo_store() -> DynamoStore {
    let sdk = aws_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), unique("lmsz-test"));
    store
        .ensure_table()
        .await
        .expect("create the table in moto");
    store
}

/// An embedded store in a temporary directory (kept alive by the returned guard).
pub fn embedded_store() -> (EmbeddedStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(dir.path()).expect("open embedded store");
    (store, dir)
}

/// A store of either kind, for suites that must pass on both.
pub struct AnyStore {
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn store_of(kind: StoreKind) -> AnyStore {
    match kind {
        StoreKind::Embedded => {
            let (store, dir) = embedded_store();
            AnyStore {
                store: Arc::new(store),
                _dir: Some(dir),
            }
        }
        StoreKind::Aws => AnyStore {
            store: Arc::new(dynamo_store().await),
            _dir: None,
        },
    }
}

/// Every log line written by this test binary, in order.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installs the production JSON log format at `debug` into a capture, once.
pub fn logs() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE
        .get_or_init(|| {
            let capture = LogCapture::default();
            telemetry::init_with(capture.clone(), "debug");
            capture
        })
        .clone()
}

/// Where a test server keeps its data.
pub enum Backend {
    Embedded(tempfile::TempDir),
    Aws { table: String, prefix: String },
}

impl Backend {
    pub fn embedded() -> Self {
        Backend::Embedded(tempfile::tempdir().expect("temp dir"))
    }

    /// A fresh table and secrets prefix in moto.
    pub fn aws() -> Self {
        moto_endpoint();
        Backend::Aws {
            table: unique("lmsz-api"),
            prefix: format!("{}/", unique("lmsz")),
        }
    }

    pub fn of(kind: StoreKind) -> Self {
        match kind {
            StoreKind::Embedded => Self::embedded(),
            StoreKind::Aws => Self::aws(),
        }
    }

    pub fn data_dir(&self) -> Option<PathBuf> {
        match self {
            Backend::Embedded(dir) => Some(dir.path().to_path_buf()),
            Backend::Aws { .. } => None,
        }
    }

    fn args(&self) -> Args {
        let (store, data_dir) = match self {
            Backend::Embedded(dir) => (StoreKind::Embedded, dir.path().to_path_buf()),
            Backend::Aws { .. } => (StoreKind::Aws, PathBuf::from("./unused")),
        };
        Args {
            listen: "127.0.0.1:0".parse().unwrap(),
            store,
            data_dir,
            zoom_emulator: false,
            // No timer unless a test asks (TestServer::start_with_flags).
            maintenance_interval: std::time::Duration::ZERO,
            timeouts: Vec::new(),
        }
    }

    fn config(&self, zoom: &Emulator) -> AppConfig {
        let (table, prefix) = match self {
            Backend::Embedded(_) => ("lms-zoom", "lms-zoom/"),
            Backend::Aws { table, prefix } => (table.as_str(), prefix.as_str()),
        };
        AppConfig::from_lookup(|name| match name {
            "TABLE_NAME" => Some(table.to_owned()),
            "SECRETS_PREFIX" => Some(prefix.to_owned()),
            "ZOOM_API_URL" => Some(zoom.api_url()),
            "ZOOM_OAUTH_URL" => Some(zoom.oauth_url()),
            // A failed archive attempt is retried at once (tests wait for
            // the outcome, not for a backoff).
            "ARCHIVE_RETRY_SECONDS" => Some("0".to_owned()),
            _ => None,
        })
        .expect("test configuration")
    }
}

/// `lms-zoom-local` running in this process on a random loopback port,
/// talking to a Zoom emulator of its own.
pub struct TestServer {
    pub backend: Backend,
    pub base: String,
    pub http: reqwest::Client,
    pub zoom: Emulator,
    server: Option<Server>,
    token: Option<String>,
    /// The flags it was started with (kept by `restart`).
    args: Args,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, None, test_zoom()).await
    }

    /// Like `start`, with `lms-zoom-local`'s flags as `flags` leaves them:
    /// e.g. `args.maintenance_interval` (0 in tests unless set here) or
    /// `args.timeouts` (`"meetings=0.5".parse().unwrap()`).
    pub async fn start_with_flags(backend: Backend, flags: impl FnOnce(&mut Args)) -> Self {
        let zoom = Emulator::start(test_zoom())
            .await
            .expect("start the Zoom emulator");
        let mut args = backend.args();
        flags(&mut args);
        Self::serve_args(backend, None, zoom, args).await
    }

    pub async fn start_with_token(backend: Backend, token: Option<&str>) -> Self {
        Self::start_with(backend, token, test_zoom()).await
    }

    pub async fn start_with(backend: Backend, token: Option<&str>, zoom: EmulatorConfig) -> Self {
        let zoom = Emulator::start(zoom)
            .await
            .expect("start the Zoom emulator");
        Self::serve(backend, token, zoom).await
    }

    async fn serve(backend: Backend, token: Option<&str>, zoom: Emulator) -> Self {
        let args = backend.args();
        Self::serve_args(backend, token, zoom, args).await
    }

    async fn serve_args(backend: Backend, token: Option<&str>, zoom: Emulator, args: Args) -> Self {
        logs();
        let server = lms_zoom_local::start(
            &args,
            backend.config(&zoom),
            token.map(lms_zoom::secrets::Secret::new),
        )
        .await
        .expect("start lms-zoom-local");
        Self {
            base: format!("http://{}", server.addr),
            backend,
            http: reqwest::Client::new(),
            zoom,
            server: Some(server),
            token: token.map(str::to_owned),
            args,
        }
    }

    /// Stops the server (releasing the store) and starts it again on the same
    /// data and the same Zoom.
    pub async fn restart(self) -> Self {
        let TestServer {
            backend,
            zoom,
            mut server,
            token,
            args,
            ..
        } = self;
        server.take().unwrap().stop().await.expect("stop");
        Self::serve_args(backend, token.as_deref(), zoom, args).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn secrets_prefix(&self) -> String {
        self.backend.config(&self.zoom).secrets_prefix
    }

    pub fn table(&self) -> String {
        self.backend.config(&self.zoom).table_name
    }
}

impl TestServer {
    /// Like `start_with`, with the store wrapped (to count or break its calls).
    pub async fn start_wrapped(
        backend: Backend,
        zoom: EmulatorConfig,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> Self {
        let zoom = Emulator::start(zoom)
            .await
            .expect("start the Zoom emulator");
        Self::start_on(backend, zoom, wrap).await
    }

    /// `start_wrapped` with `lms-zoom-local`'s flags as `flags` leaves them
    /// (see `start_with_flags`).
    pub async fn start_wrapped_with_flags(
        backend: Backend,
        zoom: EmulatorConfig,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
        flags: impl FnOnce(&mut Args),
    ) -> Self {
        let zoom = Emulator::start(zoom)
            .await
            .expect("start the Zoom emulator");
        let mut args = backend.args();
        flags(&mut args);
        Self::start_on_args(backend, zoom, wrap, args).await
    }

    /// A second process on the same Zoom (`zoom`, another server's emulator),
    /// as every process of a deployment talks to the one Zoom.
    pub async fn start_on(
        backend: Backend,
        zoom: Emulator,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> Self {
        let args = backend.args();
        Self::start_on_args(backend, zoom, wrap, args).await
    }

    async fn start_on_args(
        backend: Backend,
        zoom: Emulator,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
        args: Args,
    ) -> Self {
        logs();
        let mut config = backend.config(&zoom);
        let (store, secrets, ports) = lms_zoom_local::stores(&args, &mut config)
            .await
            .expect("stores");
        let state = lms_zoom::AppState::new(config, wrap(store), secrets, ports);
        let server = lms_zoom_local::serve_state(&args, state, None)
            .await
            .expect("serve");
        Self {
            base: format!("http://{}", server.addr),
            backend,
            http: reqwest::Client::new(),
            zoom,
            server: Some(server),
            token: None,
            args,
        }
    }
}

impl TestServer {
    /// A server whose state the test keeps too (to run `maintenance` in
    /// this process), on the store and secret store as `wrap` and
    /// `wrap_secrets` make them.
    pub async fn start_keeping_state(
        backend: Backend,
        zoom: EmulatorConfig,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
        wrap_secrets: impl FnOnce(
            Arc<dyn lms_zoom::secrets::SecretStore>,
        ) -> Arc<dyn lms_zoom::secrets::SecretStore>,
    ) -> (Self, lms_zoom::AppState) {
        let zoom = Emulator::start(zoom)
            .await
            .expect("start the Zoom emulator");
        let args = backend.args();
        let mut config = backend.config(&zoom);
        let (store, secrets, ports) = lms_zoom_local::stores(&args, &mut config)
            .await
            .expect("stores");
        let state = lms_zoom::AppState::new(config, wrap(store), wrap_secrets(secrets), ports);
        let server = Self::serve_state(backend, zoom, state.clone()).await;
        (server, state)
    }

    /// Serves a state built by the caller (e.g. on a moto of its own).
    pub async fn serve_state(backend: Backend, zoom: Emulator, state: lms_zoom::AppState) -> Self {
        logs();
        let args = backend.args();
        let server = lms_zoom_local::serve_state(&args, state, None)
            .await
            .expect("serve");
        Self {
            base: format!("http://{}", server.addr),
            backend,
            http: reqwest::Client::new(),
            zoom,
            server: Some(server),
            token: None,
            args,
        }
    }
}

/// Counts the round trips made to the store it wraps.
#[derive(Clone)]
pub struct CountingStore {
    inner: Arc<dyn Store>,
    pub gets: Arc<std::sync::atomic::AtomicUsize>,
    pub queries: Arc<std::sync::atomic::AtomicUsize>,
    pub transacts: Arc<std::sync::atomic::AtomicUsize>,
    pub batch_gets: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            gets: Default::default(),
            queries: Default::default(),
            transacts: Default::default(),
            batch_gets: Default::default(),
        }
    }

    /// (gets, queries, transactions) so far.
    pub fn counts(&self) -> (usize, usize, usize) {
        use std::sync::atomic::Ordering::SeqCst;
        (
            self.gets.load(SeqCst),
            self.queries.load(SeqCst),
            self.transacts.load(SeqCst),
        )
    }
}

#[async_trait::async_trait]
impl Store for CountingStore {
    async fn get(
        &self,
        key: &lms_zoom::store::Key,
    ) -> lms_zoom::store::StoreResult<Option<lms_zoom::store::Item>> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn batch_get(
        &self,
        keys: &[lms_zoom::store::Key],
    ) -> lms_zoom::store::StoreResult<Vec<lms_zoom::store::Item>> {
        self.batch_gets
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.batch_get(keys).await
    }
    async fn query(
        &self,
        query: &lms_zoom::store::Query,
    ) -> lms_zoom::store::StoreResult<Vec<lms_zoom::store::Item>> {
        self.queries
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.query(query).await
    }
    async fn transact(
        &self,
        writes: Vec<lms_zoom::store::Write>,
    ) -> lms_zoom::store::StoreResult<()> {
        self.transacts
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.transact(writes).await
    }
}

/// A store wrapper that forwards every read to `inner` and lets a
/// transaction through only when the type's own `gate(&writes)` says so.
macro_rules! gated_store {
    ($wrapper:ty) => {
        #[async_trait::async_trait]
        impl Store for $wrapper {
            async fn get(
                &self,
                key: &lms_zoom::store::Key,
            ) -> lms_zoom::store::StoreResult<Option<lms_zoom::store::Item>> {
                self.inner.get(key).await
            }
            async fn get_json(
                &self,
                key: &lms_zoom::store::Key,
            ) -> lms_zoom::store::StoreResult<Option<Vec<u8>>> {
                self.inner.get_json(key).await
            }
            async fn batch_get(
                &self,
                keys: &[lms_zoom::store::Key],
            ) -> lms_zoom::store::StoreResult<Vec<lms_zoom::store::Item>> {
                self.inner.batch_get(keys).await
            }
            async fn query(
                &self,
                query: &lms_zoom::store::Query,
            ) -> lms_zoom::store::StoreResult<Vec<lms_zoom::store::Item>> {
                self.inner.query(query).await
            }
            async fn transact(
                &self,
                writes: Vec<lms_zoom::store::Write>,
            ) -> lms_zoom::store::StoreResult<()> {
                self.gate(&writes)?;
                self.inner.transact(writes).await
            }
        }
    };
}

type Picker = Box<dyn Fn(&[lms_zoom::store::Write]) -> bool + Send + Sync>;

/// Fails (as unavailable) the transactions a predicate picks, a number of times.
pub struct FailingStore {
    inner: Arc<dyn Store>,
    picks: Picker,
    remaining: std::sync::atomic::AtomicUsize,
}

impl FailingStore {
    pub fn new(
        inner: Arc<dyn Store>,
        times: usize,
        picks: impl Fn(&[lms_zoom::store::Write]) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            inner,
            picks: Box::new(picks),
            remaining: std::sync::atomic::AtomicUsize::new(times),
        }
    }

    /// Picks a batch writing into a partition whose key ends with `suffix`.
    pub fn writes_to(writes: &[lms_zoom::store::Write], suffix: &str) -> bool {
        writes
            .iter()
            .any(|w| w.key().is_some_and(|k| k.pk.ends_with(suffix)))
    }
}

gated_store!(FailingStore);

impl FailingStore {
    /// Unavailable for the batches the predicate picks, while failures remain.
    fn gate(&self, writes: &[lms_zoom::store::Write]) -> lms_zoom::store::StoreResult<()> {
        use std::sync::atomic::Ordering::SeqCst;
        if (self.picks)(writes)
            && self
                .remaining
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            return Err(lms_zoom::store::StoreError::Unavailable(
                "injected failure".into(),
            ));
        }
        Ok(())
    }
}

/// Plays DynamoDB's `TransactionConflict`: the transactions it picks fail
/// with [`StoreError::Contention`](lms_zoom::store::StoreError::Contention)
/// and write nothing (the inner store never sees them), as DynamoDB cancels
/// a transaction that collides with another. moto serialises every request
/// and the embedded store serialises its writers, so neither ever answers
/// a conflict by itself: this is how the retry paths get exercised.
pub struct ContentionStore {
    inner: Arc<dyn Store>,
    /// Fail the first this many transactions...
    first: usize,
    /// ...then this fraction of the others, spread evenly...
    fraction: f64,
    /// ...and every one while this is on.
    switch: Arc<std::sync::atomic::AtomicBool>,
    seen: std::sync::atomic::AtomicUsize,
    injected: std::sync::atomic::AtomicUsize,
    applied: std::sync::atomic::AtomicUsize,
}

impl ContentionStore {
    /// The first `n` transactions conflict, the rest go through.
    pub fn first(inner: Arc<dyn Store>, n: usize) -> Self {
        Self::new(inner, n, 0.0)
    }

    /// Every transaction conflicts.
    pub fn always(inner: Arc<dyn Store>) -> Self {
        Self::new(inner, usize::MAX, 1.0)
    }

    /// Every transaction conflicts while `on` is set, none otherwise.
    pub fn switched(inner: Arc<dyn Store>, on: Arc<std::sync::atomic::AtomicBool>) -> Self {
        Self {
            switch: on,
            ..Self::new(inner, 0, 0.0)
        }
    }

    /// A `fraction` (0 to 1) of the transactions conflicts, spread evenly and
    /// deterministically (transaction `i` conflicts when `⌊(i+1)·f⌋ > ⌊i·f⌋`),
    /// so a failing run fails the same way again.
    pub fn fraction(inner: Arc<dyn Store>, fraction: f64) -> Self {
        Self::new(inner, 0, fraction)
    }

    fn new(inner: Arc<dyn Store>, first: usize, fraction: f64) -> Self {
        Self {
            inner,
            first,
            fraction,
            switch: Default::default(),
            seen: Default::default(),
            injected: Default::default(),
            applied: Default::default(),
        }
    }

    /// Transactions refused with an injected conflict so far.
    pub fn injected(&self) -> usize {
        self.injected.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Transactions handed to the inner store so far (whatever their outcome).
    pub fn passed(&self) -> usize {
        self.applied.load(std::sync::atomic::Ordering::SeqCst)
    }
}

gated_store!(ContentionStore);

impl ContentionStore {
    /// A conflict for the transactions this store picks; the others pass.
    fn gate(&self, _writes: &[lms_zoom::store::Write]) -> lms_zoom::store::StoreResult<()> {
        use std::sync::atomic::Ordering::SeqCst;
        let n = self.seen.fetch_add(1, SeqCst);
        let spread = |i: usize| (i as f64 * self.fraction).floor();
        let conflict = self.switch.load(SeqCst) || n < self.first || spread(n + 1) > spread(n);
        if conflict {
            self.injected.fetch_add(1, SeqCst);
            return Err(lms_zoom::store::StoreError::Contention);
        }
        self.applied.fetch_add(1, SeqCst);
        Ok(())
    }
}

pub use lms_zoom_local::StoreKind as Kind;

/// One `#[tokio::test]` per store for each suite function, in module
/// `embedded` and module `dynamodb` (moto), named after the function:
///
/// - `on_both_stores!(a, b)` for `async fn a(kind: Kind)` (the suite starts what
///   it needs on that kind; 2 worker threads);
/// - `on_both_stores!(store: a, b)` for `async fn a(store: Arc<dyn Store>)`
///   (a fresh store of each kind per test; 4 worker threads).
#[macro_export]
macro_rules! on_both_stores {
    (store: $($name:ident),* $(,)?) => {
        $crate::on_both_stores!(@both store 4; $($name)*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_stores!(@both kind 2; $($name)*);
    };
    (@both $arg:ident $threads:tt; $($name:ident)*) => {
        mod embedded {
            $crate::on_both_stores!(@tests $arg Embedded $threads; $($name)*);
        }
        mod dynamodb {
            $crate::on_both_stores!(@tests $arg Aws $threads; $($name)*);
        }
    };
    (@tests $arg:ident $kind:ident $threads:tt; $($name:ident)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = $threads)]
            async fn $name() {
                $crate::on_both_stores!(@run $arg $kind $name)
            }
        )*
    };
    (@run kind $kind:ident $name:ident) => {
        super::$name($crate::Kind::$kind).await
    };
    (@run store $kind:ident $name:ident) => {{
        let any = $crate::store_of($crate::Kind::$kind).await;
        super::$name(any.store.clone()).await
    }};
}
