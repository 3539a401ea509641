//! A Lambda host for the tests: runs the real function binaries the way
//! Lambda runs them.
//!
//! - One Runtime API (an axum router per execution environment, each on a
//!   loopback port of its own) hands out API Gateway HTTP API (payload 2.0)
//!   events or EventBridge events with `Lambda-Runtime-Deadline-Ms` = now +
//!   the function's `Timeout` (template.yaml's, or a test's override).
//! - N processes (instances) of one function binary, each with the
//!   environment Lambda sets plus the caller's variables; one invocation per
//!   instance at a time; invocations beyond N wait for an instance (as under
//!   reserved concurrency, minus the throttling).
//! - An invocation without an answer at its deadline is recorded as timed
//!   out (`Task timed out after X seconds`), its process is SIGKILLed, and
//!   the next invocation gets a fresh process (a cold start). A process that
//!   exits mid-invocation is a crash, handled alike.
//! - Every instance is frozen (SIGSTOP) while it has no invocation: from the
//!   moment its answer arrives (before its runtime hears `202`) until it is
//!   handed the next event (SIGCONT). Background work of a function never
//!   runs between invocations. Turning that off takes a reason, and says so.
//! - Counters, every instance's stdout/stderr lines (the JSON logs, for the
//!   secret scans) and Lambda's platform lines (START/END/REPORT, timeouts).
//!
//! ```ignore
//! let host = LambdaHost::builder(FunctionSpec::licenses())
//!     .store(&table, &prefix)
//!     .zoom(&emulator)
//!     .start()
//!     .await;
//! let created = host.invoke_http(HttpRequest::post("/v1/academies/a1/licenses").json(&body)).await;
//! created.in_time().ok(201);
//! ```

pub mod binaries;
pub mod events;
pub mod functions;
mod runtime_api;
pub mod signals;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Semaphore, oneshot, watch};

pub use events::{HttpRequest, api_base_url, scheduled_event};
pub use functions::{FunctionSpec, Route};
pub use signals::process_state;

use crate::kit::Answer;
use runtime_api::{EnvShared, Init, NextEvent, Posted};

/// Lambda's limit on a synchronous invocation's response payload.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function posted this response payload in time.
    Response(Vec<u8>),
    /// The function (or its runtime) posted an error, or its response was
    /// over Lambda's limit (`Function.ResponseSizeTooLarge`).
    Error { error_type: String, body: String },
    /// No answer at the deadline: the process was killed.
    TimedOut,
    /// The process exited during the invocation.
    Crashed(String),
    /// The fresh process started for this invocation did not finish init.
    InitFailed(String),
}

/// One invocation, as the host saw it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    /// Which process served it: its serial number in this host and its pid.
    pub instance: u64,
    pub pid: u32,
    /// The first invocation of its process.
    pub cold: bool,
    /// When a process was started for this very invocation: its init time.
    pub init: Option<Duration>,
    /// The `Timeout` it ran under, and its `Lambda-Runtime-Deadline-Ms`.
    pub timeout: Duration,
    pub deadline_ms: i64,
    /// From handing the event over to its end (Lambda's `Duration`).
    pub duration: Duration,
    /// From the call to its end: waiting for an instance and init included.
    pub elapsed: Duration,
    pub outcome: Outcome,
}

impl Invocation {
    pub fn timed_out(&self) -> bool {
        self.outcome == Outcome::TimedOut
    }

    /// The response payload as JSON; panics on any other outcome.
    #[track_caller]
    pub fn response_json(&self) -> Value {
        match &self.outcome {
            Outcome::Response(body) => serde_json::from_slice(body).expect("a JSON response"),
            other => panic!("invocation {} ended {other:?}", self.request_id),
        }
    }
}

/// An HTTP invocation: what the client of API Gateway got, and the
/// invocation behind it (`None` when no route matched and API Gateway
/// answered 404 itself).
#[derive(Debug, Clone)]
pub struct HttpInvocation {
    pub answer: Answer,
    pub invocation: Option<Invocation>,
}

impl HttpInvocation {
    pub fn timed_out(&self) -> bool {
        self.invocation.as_ref().is_some_and(Invocation::timed_out)
    }

    /// Asserts the function answered, before its `Timeout`, and returns the
    /// answer (`Answer::ok`, `Answer::problem` check the rest).
    #[track_caller]
    pub fn in_time(&self) -> &Answer {
        let invocation = self
            .invocation
            .as_ref()
            .unwrap_or_else(|| panic!("no route matched: {}", self.answer.text));
        assert!(
            matches!(invocation.outcome, Outcome::Response(_)),
            "invocation {} ended {:?} after {:?} (Timeout {:?})",
            invocation.request_id,
            invocation.outcome,
            invocation.duration,
            invocation.timeout
        );
        assert!(
            invocation.duration < invocation.timeout,
            "answered after {:?}, beyond the Timeout of {:?}",
            invocation.duration,
            invocation.timeout
        );
        &self.answer
    }
}

/// The host's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events handed to a process.
    pub invocations: u64,
    pub responses: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub crashes: u64,
    pub init_failures: u64,
    /// Processes started (the pre-warmed ones included).
    pub cold_starts: u64,
    /// Processes the host killed (timeouts, failed inits).
    pub killed: u64,
    /// HTTP requests API Gateway answered 404 without a function.
    pub no_route: u64,
    /// Most invocations in flight at once.
    pub peak_in_flight: u64,
}

/// One line a process wrote.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub instance: u64,
    pub pid: u32,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    pub line: String,
}

/// An instance now.
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    pub slot: usize,
    pub instance: u64,
    pub pid: u32,
    pub busy: bool,
    /// The host holds it stopped (SIGSTOP sent).
    pub frozen: bool,
    /// How often it was frozen.
    pub freezes: u64,
    pub invocations: u64,
    /// `/proc/<pid>/stat`'s state (`T` = stopped).
    pub state: Option<char>,
}

/// Waits for `condition`, checking every 10 ms, and panics naming `what`
/// after `bound`.
#[track_caller]
pub fn eventually(
    what: &str,
    bound: Duration,
    mut condition: impl FnMut() -> bool,
) -> impl Future<Output = ()> {
    let caller = std::panic::Location::caller();
    let what = what.to_owned();
    async move {
        let started = Instant::now();
        while !condition() {
            assert!(
                started.elapsed() < bound,
                "{caller}: not within {bound:?}: {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Configures a [`LambdaHost`].
pub struct HostBuilder {
    spec: FunctionSpec,
    instances: usize,
    prewarm: Option<usize>,
    timeout: Option<Duration>,
    advertised: Option<Duration>,
    init_timeout: Duration,
    env: Vec<(String, String)>,
    freeze: Result<(), String>,
    binary: Option<PathBuf>,
    aws_endpoint: Option<String>,
}

impl HostBuilder {
    /// How many instances may run at once (default 1).
    pub fn instances(mut self, n: usize) -> Self {
        assert!(n >= 1, "at least one instance");
        self.instances = n;
        self
    }

    /// How many of them start (and finish init) before `start` returns
    /// (default all); the others start on demand, as cold starts.
    pub fn prewarm(mut self, n: usize) -> Self {
        self.prewarm = Some(n);
        self
    }

    /// Another `Timeout` than template.yaml's (e.g. 2 s to provoke one).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Hands the function a `Lambda-Runtime-Deadline-Ms` this far ahead
    /// instead of its `Timeout` (still enforced): a function that keeps to
    /// the deadline it is told can only be made to overrun by lying to it.
    pub fn advertise_deadline(mut self, ahead: Duration) -> Self {
        self.advertised = Some(ahead);
        self
    }

    /// Lambda's init limit (default 10 s).
    pub fn init_timeout(mut self, timeout: Duration) -> Self {
        self.init_timeout = timeout;
        self
    }

    /// One more environment variable of the function (as in template.yaml's
    /// `Environment.Variables`); a later one wins.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// `TABLE_NAME` and `SECRETS_PREFIX`.
    pub fn store(self, table: &str, secrets_prefix: &str) -> Self {
        self.env("TABLE_NAME", table)
            .env("SECRETS_PREFIX", secrets_prefix)
    }

    /// `ZOOM_API_URL` and `ZOOM_OAUTH_URL` of an emulator.
    pub fn zoom(self, zoom: &zoom_emulator::Emulator) -> Self {
        self.zoom_urls(&zoom.api_url(), &zoom.oauth_url())
    }

    pub fn zoom_urls(self, api: &str, oauth: &str) -> Self {
        self.env("ZOOM_API_URL", api).env("ZOOM_OAUTH_URL", oauth)
    }

    /// `RUST_LOG` (template.yaml's `LogLevel`, default `info`).
    pub fn rust_log(self, filter: &str) -> Self {
        self.env("RUST_LOG", filter)
    }

    /// `AWS_ENDPOINT_URL` (default: the suite's moto, [`crate::moto_endpoint`]).
    pub fn aws_endpoint(mut self, url: &str) -> Self {
        self.aws_endpoint = Some(url.to_owned());
        self
    }

    /// Runs this binary instead of the workspace's `functions/<name>`.
    pub fn binary(mut self, path: PathBuf) -> Self {
        self.binary = Some(path);
        self
    }

    /// Lets instances run between invocations (no SIGSTOP), unlike Lambda.
    /// Only for a test that says why; the host prints it.
    pub fn keep_running_between_invocations(mut self, why: &str) -> Self {
        assert!(
            !why.trim().is_empty(),
            "say why instances must not be frozen"
        );
        self.freeze = Err(why.to_owned());
        self
    }

    pub async fn start(self) -> LambdaHost {
        let binary = match self.binary {
            Some(path) => path,
            None => {
                let name = self.spec.name.clone();
                tokio::task::spawn_blocking(move || binaries::function_binary(&name))
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
        };
        let freeze = match &self.freeze {
            Ok(()) => true,
            Err(why) => {
                eprintln!(
                    "lambda_host: {} instances are NOT frozen between invocations (unlike Lambda): {why}",
                    self.spec.name
                );
                false
            }
        };
        let aws_endpoint = self.aws_endpoint.unwrap_or_else(crate::moto_endpoint);
        let timeout = self.timeout.unwrap_or(self.spec.timeout);
        let inner = Arc::new(Inner {
            timeout,
            advertised: self.advertised.unwrap_or(timeout),
            init_timeout: self.init_timeout,
            binary,
            env: self.env,
            aws_endpoint,
            freeze,
            slots: Mutex::new((0..self.instances).map(|_| Slot::Empty).collect()),
            permits: Arc::new(Semaphore::new(self.instances)),
            stats: Mutex::new(Stats::default()),
            logs: Arc::new(Mutex::new(Vec::new())),
            platform: Mutex::new(Vec::new()),
            serial: AtomicU64::new(0),
            in_flight: Mutex::new(0),
            spec: self.spec,
        });
        let prewarm = self.prewarm.unwrap_or(self.instances).min(self.instances);
        let started =
            futures::future::join_all((0..prewarm).map(|slot| Env::start(&inner, slot))).await;
        let mut failures = Vec::new();
        {
            let mut slots = inner.slots.lock().unwrap();
            for (slot, env) in started.into_iter().enumerate() {
                match env {
                    Ok(env) => slots[slot] = Slot::Idle(Arc::new(env)),
                    Err(e) => failures.push(e),
                }
            }
        }
        let host = LambdaHost { inner };
        assert!(
            failures.is_empty(),
            "{}: init failed: {}\n{}",
            host.inner.spec.name,
            failures.join("; "),
            host.log_text()
        );
        host
    }
}

enum Slot {
    Empty,
    Starting,
    Idle(Arc<Env>),
    Busy(Arc<Env>),
}

struct Inner {
    spec: FunctionSpec,
    timeout: Duration,
    /// What `Lambda-Runtime-Deadline-Ms` says is left (normally `timeout`).
    advertised: Duration,
    init_timeout: Duration,
    binary: PathBuf,
    env: Vec<(String, String)>,
    aws_endpoint: String,
    freeze: bool,
    slots: Mutex<Vec<Slot>>,
    permits: Arc<Semaphore>,
    stats: Mutex<Stats>,
    logs: Arc<Mutex<Vec<LogLine>>>,
    platform: Mutex<Vec<String>>,
    serial: AtomicU64,
    in_flight: Mutex<u64>,
}

impl Inner {
    fn platform(&self, line: String) {
        self.platform.lock().unwrap().push(line);
    }

    fn function_name(&self) -> String {
        format!("lms-zoom-{}", self.spec.name)
    }

    /// What Lambda sets for a provided.al2023 function, then the caller's variables.
    fn lambda_env(&self, runtime_api: SocketAddr, serial: u64) -> Vec<(String, String)> {
        let name = self.function_name();
        let stream = format!(
            "{}/[$LATEST]{:032x}",
            chrono::Utc::now().format("%Y/%m/%d"),
            ulid::Ulid::new().0 ^ u128::from(serial)
        );
        let mut env: Vec<(String, String)> = [
            ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                self.spec.memory_mb.to_string(),
            ),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
            ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
            ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
            // template.yaml: LoggingConfig.LogFormat JSON.
            ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
            ("AWS_LAMBDA_LOG_LEVEL", "INFO".into()),
            ("AWS_REGION", events::REGION.into()),
            ("AWS_DEFAULT_REGION", events::REGION.into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into()),
            ("AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129:2000".into()),
            ("_AWS_XRAY_DAEMON_ADDRESS", "169.254.79.129".into()),
            ("_AWS_XRAY_DAEMON_PORT", "2000".into()),
            ("_HANDLER", "bootstrap".into()),
            ("LAMBDA_TASK_ROOT", "/var/task".into()),
            ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
            ("LANG", "en_US.UTF-8".into()),
            ("TZ", ":UTC".into()),
            ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
            // The stand-in for AWS's endpoints.
            ("AWS_ENDPOINT_URL", self.aws_endpoint.clone()),
            // template.yaml Globals: RUST_LOG is the LogLevel parameter.
            ("RUST_LOG", "info".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(self.env.iter().cloned());
        env
    }

    async fn invoke(self: Arc<Self>, payload: Vec<u8>) -> Invocation {
        let inner = &self;
        let called = Instant::now();
        let _permit = inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the host's permits");
        let request_id = request_id();
        let (env, init) = match self.take_instance().await {
            Ok(taken) => taken,
            Err((instance, reason)) => {
                return Invocation {
                    request_id,
                    instance,
                    pid: 0,
                    cold: true,
                    init: None,
                    timeout: inner.timeout,
                    deadline_ms: 0,
                    duration: Duration::ZERO,
                    elapsed: called.elapsed(),
                    outcome: Outcome::InitFailed(reason),
                };
            }
        };
        let cold = env.invocations.fetch_add(1, Ordering::SeqCst) == 0;
        let deadline_ms =
            chrono::Utc::now().timestamp_millis() + inner.advertised.as_millis() as i64;
        inner.platform(format!(
            "START RequestId: {request_id} Version: $LATEST Instance: {}",
            env.serial
        ));
        inner.stats.lock().unwrap().invocations += 1;
        inner.in_flight(1);
        let handed = Instant::now();
        let ended = env.shared.dispatch(NextEvent {
            request_id: request_id.clone(),
            deadline_ms,
            function_arn: format!(
                "arn:aws:lambda:{}:{}:function:{}",
                events::REGION,
                events::ACCOUNT,
                inner.function_name()
            ),
            trace_id: events::trace_id(),
            body: payload,
        });
        let ended = tokio::time::timeout(inner.timeout, ended).await;
        let duration = handed.elapsed();
        let (outcome, keep) = match ended {
            Ok(Ok(Posted::Response(body))) if body.len() > MAX_RESPONSE_BYTES => (
                Outcome::Error {
                    error_type: "Function.ResponseSizeTooLarge".into(),
                    body: format!("response payload of {} bytes", body.len()),
                },
                true,
            ),
            Ok(Ok(Posted::Response(body))) => (Outcome::Response(body), true),
            Ok(Ok(Posted::Error { error_type, body })) => {
                (Outcome::Error { error_type, body }, true)
            }
            Ok(Ok(Posted::Exited(status))) => (Outcome::Crashed(status), false),
            Ok(Err(_)) => (
                Outcome::Crashed("the Runtime API lost the invocation".into()),
                false,
            ),
            Err(_) => {
                env.shared.abandon();
                inner.platform(format!(
                    "{} {request_id} Task timed out after {:.2} seconds",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                    inner.timeout.as_secs_f64()
                ));
                (Outcome::TimedOut, false)
            }
        };
        inner.platform(format!("END RequestId: {request_id}"));
        inner.platform(format!(
            "REPORT RequestId: {request_id}\tDuration: {:.2} ms\tMemory Size: {} MB{}\tStatus: {}",
            duration.as_secs_f64() * 1e3,
            inner.spec.memory_mb,
            init.map(|d| format!("\tInit Duration: {:.2} ms", d.as_secs_f64() * 1e3))
                .unwrap_or_default(),
            match &outcome {
                Outcome::Response(_) => "success",
                Outcome::Error { .. } => "error",
                Outcome::TimedOut => "timeout",
                Outcome::Crashed(_) => "crash",
                Outcome::InitFailed(_) => "init error",
            }
        ));
        {
            let mut stats = inner.stats.lock().unwrap();
            match &outcome {
                Outcome::Response(_) => stats.responses += 1,
                Outcome::Error { .. } => stats.errors += 1,
                Outcome::TimedOut => stats.timeouts += 1,
                Outcome::Crashed(_) => stats.crashes += 1,
                Outcome::InitFailed(_) => stats.init_failures += 1,
            }
        }
        let (instance, pid, slot) = (env.serial, env.shared.pid, env.slot);
        if keep {
            inner.slots.lock().unwrap()[slot] = Slot::Idle(env);
        } else {
            // A timeout or a crash: Lambda resets the environment; the next
            // invocation on this slot is a cold start.
            // The slot stays taken until the old process is reaped.
            let held = std::mem::replace(&mut inner.slots.lock().unwrap()[slot], Slot::Starting);
            drop(held);
            let mut env = Arc::into_inner(env).expect("the slot's only holder");
            env.end(inner).await;
            inner.slots.lock().unwrap()[slot] = Slot::Empty;
        }
        inner.in_flight(-1);
        Invocation {
            request_id,
            instance,
            pid,
            cold,
            init,
            timeout: inner.timeout,
            deadline_ms,
            duration,
            elapsed: called.elapsed(),
            outcome,
        }
    }

    /// An idle instance (now busy), or a fresh one started in an empty slot
    /// (with its init time). The caller holds a permit, so there is one.
    async fn take_instance(
        self: &Arc<Self>,
    ) -> Result<(Arc<Env>, Option<Duration>), (u64, String)> {
        let inner = self;
        let empty = {
            let mut slots = inner.slots.lock().unwrap();
            let mut idle = None;
            for (i, slot) in slots.iter_mut().enumerate() {
                if let Slot::Idle(env) = slot {
                    if env.shared.is_dead() {
                        // Died while frozen (killed from outside, OOM…).
                        inner.platform(format!(
                            "Instance {} (pid {}) exited while idle",
                            env.serial, env.shared.pid
                        ));
                        *slot = Slot::Empty;
                    } else if idle.is_none() {
                        idle = Some(i);
                    }
                }
            }
            if let Some(i) = idle {
                let Slot::Idle(env) = std::mem::replace(&mut slots[i], Slot::Starting) else {
                    unreachable!()
                };
                slots[i] = Slot::Busy(env.clone());
                return Ok((env, None));
            }
            let empty = slots
                .iter()
                .position(|s| matches!(s, Slot::Empty))
                .expect("a permit guarantees an idle or empty slot");
            slots[empty] = Slot::Starting;
            empty
        };
        match Env::start(inner, empty).await {
            Ok(env) => {
                let env = Arc::new(env);
                let init = env.init;
                inner.slots.lock().unwrap()[empty] = Slot::Busy(env.clone());
                Ok((env, Some(init)))
            }
            Err(e) => {
                inner.slots.lock().unwrap()[empty] = Slot::Empty;
                Err((inner.serial.load(Ordering::SeqCst), e))
            }
        }
    }

    fn in_flight(&self, delta: i64) {
        let mut n = self.in_flight.lock().unwrap();
        *n = n.checked_add_signed(delta).expect("in-flight count");
        let mut stats = self.stats.lock().unwrap();
        stats.peak_in_flight = stats.peak_in_flight.max(*n);
    }
}

/// One execution environment: a process of the function and its Runtime API.
struct Env {
    serial: u64,
    slot: usize,
    shared: Arc<EnvShared>,
    server: tokio::task::JoinHandle<()>,
    exit: watch::Receiver<Option<String>>,
    init: Duration,
    invocations: AtomicU64,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.shared.kill();
        self.server.abort();
    }
}

fn read_lines(
    stream: impl Read + Send + 'static,
    name: &'static str,
    instance: u64,
    pid: u32,
    logs: Arc<Mutex<Vec<LogLine>>>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let line = String::from_utf8_lossy(&buf).trim_end().to_owned();
            logs.lock().unwrap().push(LogLine {
                instance,
                pid,
                stream: name,
                line,
            });
            buf.clear();
        }
    });
}

impl Env {
    /// Starts a process and waits for its init to end (its first poll).
    async fn start(inner: &Arc<Inner>, slot: usize) -> Result<Env, String> {
        let serial = inner.serial.fetch_add(1, Ordering::SeqCst) + 1;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind the Runtime API: {e}"))?;
        let addr = listener.local_addr().unwrap();
        let started = Instant::now();
        let mut child = Command::new(&inner.binary)
            .env_clear()
            .envs(inner.lambda_env(addr, serial))
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", inner.binary.display()))?;
        let pid = child.id();
        inner.stats.lock().unwrap().cold_starts += 1;
        let (init_tx, init_rx) = oneshot::channel();
        let shared = Arc::new(EnvShared::new(pid, inner.freeze, init_tx));
        let server = tokio::spawn({
            let router = runtime_api::router(shared.clone());
            async move {
                let _ = axum::serve(listener, router).await;
            }
        });
        read_lines(
            child.stdout.take().unwrap(),
            "stdout",
            serial,
            pid,
            inner.logs.clone(),
        );
        read_lines(
            child.stderr.take().unwrap(),
            "stderr",
            serial,
            pid,
            inner.logs.clone(),
        );
        let (exit_tx, exit) = watch::channel(None);
        std::thread::spawn({
            let shared = shared.clone();
            move || {
                let status = match child.wait() {
                    Ok(status) => status.to_string(),
                    Err(e) => format!("wait failed: {e}"),
                };
                shared.exited(status.clone());
                let _ = exit_tx.send(Some(status));
            }
        });
        let mut env = Env {
            serial,
            slot,
            shared,
            server,
            exit,
            init: Duration::ZERO,
            invocations: AtomicU64::new(0),
        };
        let failed = match tokio::time::timeout(inner.init_timeout, init_rx).await {
            Ok(Ok(Init::Ready)) => None,
            Ok(Ok(Init::Error(body))) => Some(format!("init error: {body}")),
            Ok(Ok(Init::Exited(status))) => Some(format!("exited during init: {status}")),
            Ok(Err(_)) => Some("the Runtime API lost the init".to_owned()),
            Err(_) => Some(format!("init outlived {:?}", inner.init_timeout)),
        };
        env.init = started.elapsed();
        match failed {
            None => {
                inner.platform(format!(
                    "INIT_REPORT Instance: {serial} Pid: {pid} Init Duration: {:.2} ms",
                    env.init.as_secs_f64() * 1e3
                ));
                Ok(env)
            }
            Some(e) => {
                env.end(inner).await;
                inner.stats.lock().unwrap().init_failures += 1;
                let e = format!("instance {serial} (pid {pid}): {e}");
                inner.platform(format!("INIT_REPORT Instance: {serial} Status: error {e}"));
                Err(e)
            }
        }
    }

    /// Kills the process (unless already gone) and waits until it is reaped.
    async fn end(&mut self, inner: &Inner) {
        if !self.shared.is_dead() {
            self.shared.kill();
            inner.stats.lock().unwrap().killed += 1;
        }
        let reaped =
            tokio::time::timeout(Duration::from_secs(10), self.exit.wait_for(|s| s.is_some()))
                .await;
        assert!(
            matches!(reaped, Ok(Ok(_))),
            "pid {} did not die of SIGKILL within 10 s",
            self.shared.pid
        );
    }
}

fn request_id() -> String {
    let hex = format!("{:032x}", ulid::Ulid::new().0);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The host of one function. Dropping it kills its processes.
pub struct LambdaHost {
    inner: Arc<Inner>,
}

impl Drop for LambdaHost {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.inner.logs.lock().unwrap();
            let from = logs.len().saturating_sub(60);
            eprintln!(
                "lambda_host {}: platform log:\n{}\nlast function log lines:",
                self.inner.spec.name,
                self.inner.platform.lock().unwrap().join("\n")
            );
            for l in &logs[from..] {
                eprintln!("[{} pid {} {}] {}", l.instance, l.pid, l.stream, l.line);
            }
        }
        for slot in self.inner.slots.lock().unwrap().iter_mut() {
            *slot = Slot::Empty;
        }
    }
}

impl LambdaHost {
    pub fn builder(spec: FunctionSpec) -> HostBuilder {
        HostBuilder {
            spec,
            instances: 1,
            prewarm: None,
            timeout: None,
            advertised: None,
            init_timeout: Duration::from_secs(10),
            env: Vec::new(),
            freeze: Ok(()),
            binary: None,
            aws_endpoint: None,
        }
    }

    pub fn spec(&self) -> &FunctionSpec {
        &self.inner.spec
    }

    /// The `Timeout` invocations run under.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// A client to build requests with (never to send them): with
    /// [`LambdaHost::url`] and [`LambdaHost::send`], a test written against
    /// `TestServer` (`server.http.post(server.url(p))`) ports over as is.
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// `https://<api>.execute-api.us-east-1.amazonaws.com{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", api_base_url())
    }

    /// Invokes with a request built by reqwest (see [`LambdaHost::http`]).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> HttpInvocation {
        let request = request.build().expect("a request");
        self.invoke_http(HttpRequest::from(request)).await
    }

    /// What API Gateway does with an HTTP request: finds the route, builds
    /// the payload 2.0 event, invokes, and turns the outcome into the answer
    /// its client gets (the function's response, or API Gateway's own 500).
    pub async fn invoke_http(&self, request: HttpRequest) -> HttpInvocation {
        let (raw_path, _) = request.split_path();
        let Some((route, params)) = self.inner.spec.route(&request.method, raw_path) else {
            self.inner.stats.lock().unwrap().no_route += 1;
            return HttpInvocation {
                answer: events::gateway_answer(404, "Not Found"),
                invocation: None,
            };
        };
        let event = events::http_event(&request, route, &params);
        let invocation = self.invoke_event(event).await;
        let answer = match &invocation.outcome {
            Outcome::Response(payload) => events::decode_http_response(payload),
            _ => events::gateway_answer(500, "Internal Server Error"),
        };
        HttpInvocation {
            answer,
            invocation: Some(invocation),
        }
    }

    /// Invokes with any event (an EventBridge [`scheduled_event`], …).
    pub async fn invoke_event(&self, event: Value) -> Invocation {
        self.invoke_payload(serde_json::to_vec(&event).unwrap())
            .await
    }

    /// Invokes with a raw payload. The invocation runs on a task of its
    /// own: a caller that stops waiting (a `timeout`, a `select!`) leaves it
    /// to end as Lambda would, with the instance's bookkeeping intact.
    pub async fn invoke_payload(&self, payload: Vec<u8>) -> Invocation {
        let task = tokio::spawn(self.inner.clone().invoke(payload));
        task.await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    pub fn stats(&self) -> Stats {
        self.inner.stats.lock().unwrap().clone()
    }

    /// The live instances.
    pub fn instances(&self) -> Vec<InstanceInfo> {
        self.inner
            .slots
            .lock()
            .unwrap()
            .iter()
            .enumerate()
            .filter_map(|(slot, s)| {
                let (env, busy) = match s {
                    Slot::Idle(env) => (env, false),
                    Slot::Busy(env) => (env, true),
                    Slot::Empty | Slot::Starting => return None,
                };
                Some(InstanceInfo {
                    slot,
                    instance: env.serial,
                    pid: env.shared.pid,
                    busy,
                    frozen: env.shared.frozen(),
                    freezes: env.shared.freezes(),
                    invocations: env.invocations.load(Ordering::SeqCst),
                    state: process_state(env.shared.pid),
                })
            })
            .collect()
    }

    /// Waits until every live idle instance is stopped (`T` in /proc).
    pub async fn wait_idle_frozen(&self) {
        eventually(
            "every idle instance stopped (T)",
            Duration::from_secs(5),
            || {
                self.instances()
                    .iter()
                    .filter(|i| !i.busy)
                    .all(|i| i.state == Some('T'))
            },
        )
        .await
    }

    /// Every line every process of this host wrote, in arrival order.
    pub fn logs(&self) -> Vec<LogLine> {
        self.inner.logs.lock().unwrap().clone()
    }

    /// The same, one line each (for secret scans).
    pub fn log_text(&self) -> String {
        self.inner
            .logs
            .lock()
            .unwrap()
            .iter()
            .map(|l| format!("{}\n", l.line))
            .collect()
    }

    /// The log lines of this host's processes that hold any of `secrets`
    /// (`"<secret>: <line>"`), for the secret scans; empty when none leaked.
    pub fn leaks<S: AsRef<str>>(&self, secrets: &[S]) -> Vec<String> {
        let logs = self.inner.logs.lock().unwrap();
        let mut hits = Vec::new();
        for secret in secrets.iter().map(AsRef::as_ref) {
            assert!(secret.len() >= 8, "a distinctive secret: {secret:?}");
            for l in logs.iter().filter(|l| l.line.contains(secret)) {
                hits.push(format!(
                    "{secret}: [{} pid {}] {}",
                    l.instance, l.pid, l.line
                ));
            }
        }
        hits
    }

    /// Lambda's platform lines: INIT_REPORT, START, END, REPORT, timeouts.
    pub fn platform_log(&self) -> Vec<String> {
        self.inner.platform.lock().unwrap().clone()
    }
}
