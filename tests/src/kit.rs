//! Equipment of the fault suites (`faults_*.rs`): a moto server of a test's
//! own to freeze, a store wrapper that plays an outage, a recorder of every
//! answer, problem checks, and the secret scan over answers and logs.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lms_zoom::store::{Item, Key, Query, Store, StoreError, StoreResult, Write};
use lms_zoom::{AppConfig, AppState};
use lms_zoom_local::StoreKind;
use reqwest::StatusCode;
use serde_json::{Value, json};
use zoom_emulator::{Emulator, EmulatorConfig};

use crate::{ACCOUNT_ID, Backend, CLIENT_ID, CLIENT_SECRET, HOST_EMAIL, TestServer, logs, unique};

/// A moto server of this test alone (DynamoDB and Secrets Manager), to stop
/// with SIGSTOP and resume with SIGCONT. Needs `LMS_ZOOM_MOTO_PYTHON` and
/// `LMS_ZOOM_MOTO_SERVER` (set by infra/scripts/test.sh); panics without them.
pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub async fn start() -> Moto {
        let python = std::env::var("LMS_ZOOM_MOTO_PYTHON")
            .expect("LMS_ZOOM_MOTO_PYTHON is not set: run infra/scripts/test.sh");
        let server =
            std::env::var("LMS_ZOOM_MOTO_SERVER").expect("LMS_ZOOM_MOTO_SERVER is not set");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .args([server.as_str(), "127.0.0.1", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let url = format!("http://127.0.0.1:{port}");
        let moto = Moto { child, url };
        let started = Instant::now();
        loop {
            if reqwest::get(format!("{}/moto-api/", moto.url))
                .await
                .is_ok()
            {
                moto.warm_up().await;
                return moto;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// moto loads a service on its first request, which can outlast the
    /// SDK's 2 s operation timeout on a busy machine: load both now.
    async fn warm_up(&self) {
        let http = reqwest::Client::new();
        for (service, target, content_type) in [
            (
                "dynamodb",
                "DynamoDB_20120810.ListTables",
                "application/x-amz-json-1.0",
            ),
            (
                "secretsmanager",
                "secretsmanager.ListSecrets",
                "application/x-amz-json-1.1",
            ),
        ] {
            let answer = http
                .post(format!("{}/", self.url))
                .header("content-type", content_type)
                .header("x-amz-target", target)
                .header(
                    "authorization",
                    format!(
                        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
                    ),
                )
                .body("{}")
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .unwrap_or_else(|e| panic!("moto's {service} did not answer: {e}"));
            assert!(
                answer.status().is_success(),
                "moto's {service}: {}",
                answer.status()
            );
        }
    }

    fn signal(&self, sig: &str) {
        assert!(
            Command::new("kill")
                .args([sig, &self.child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
    }

    /// SIGSTOP: the process stops answering (connections hang).
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT.
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    /// AWS SDK configuration pointing at this moto.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .load()
            .await
    }
}

/// Makes every call of the store it wraps fail as unavailable while switched
/// off: the embedded store's counterpart of a frozen moto.
pub struct OutageStore {
    inner: Arc<dyn Store>,
    down: Arc<AtomicBool>,
}

impl OutageStore {
    pub fn new(inner: Arc<dyn Store>, down: Arc<AtomicBool>) -> Self {
        Self { inner, down }
    }

    fn check(&self) -> StoreResult<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("injected outage".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl Store for OutageStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        self.check()?;
        self.inner.batch_get(keys).await
    }
    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        self.check()?;
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        self.check()?;
        self.inner.transact(writes).await
    }
}

/// A test server whose store can be taken down and brought back: the
/// embedded store behind an [`OutageStore`], or DynamoDB + Secrets Manager on
/// a moto of its own that is frozen (SIGSTOP).
pub struct Outage {
    pub server: TestServer,
    down: Arc<AtomicBool>,
    moto: Option<Moto>,
}

impl Outage {
    pub async fn start(kind: StoreKind, zoom: EmulatorConfig) -> Outage {
        let down = Arc::new(AtomicBool::new(false));
        match kind {
            StoreKind::Embedded => {
                let flag = down.clone();
                let server = TestServer::start_wrapped(Backend::embedded(), zoom, move |store| {
                    Arc::new(OutageStore::new(store, flag))
                })
                .await;
                Outage {
                    server,
                    down,
                    moto: None,
                }
            }
            StoreKind::Aws => {
                let moto = Moto::start().await;
                let emulator = Emulator::start(zoom).await.expect("start the emulator");
                let table = unique("lmsz-outage");
                let prefix = format!("{}/", unique("lmsz"));
                let config = AppConfig::from_lookup(|name| match name {
                    "TABLE_NAME" => Some(table.clone()),
                    "SECRETS_PREFIX" => Some(prefix.clone()),
                    "ZOOM_API_URL" => Some(emulator.api_url()),
                    "ZOOM_OAUTH_URL" => Some(emulator.oauth_url()),
                    _ => None,
                })
                .unwrap();
                let sdk = moto.sdk().await;
                let (dynamo, _) = lms_zoom::state::aws_clients(&sdk);
                lms_zoom::store::DynamoStore::new(dynamo, &table)
                    .ensure_table()
                    .await
                    .expect("create the table in our moto");
                let state = AppState::aws(config, &sdk);
                let server =
                    TestServer::serve_state(Backend::Aws { table, prefix }, emulator, state).await;
                Outage {
                    server,
                    down,
                    moto: Some(moto),
                }
            }
        }
    }

    pub fn down(&self) {
        match &self.moto {
            Some(moto) => moto.freeze(),
            None => self.down.store(true, Ordering::SeqCst),
        }
    }

    pub fn up(&self) {
        match &self.moto {
            Some(moto) => moto.thaw(),
            None => self.down.store(false, Ordering::SeqCst),
        }
    }

    /// The Secrets Manager client of this moto (AWS only).
    pub async fn secrets_manager(&self) -> Option<aws_sdk_secretsmanager::Client> {
        match &self.moto {
            Some(moto) => Some(aws_sdk_secretsmanager::Client::new(&moto.sdk().await)),
            None => None,
        }
    }
}

/// One answer: status, headers, the body as text and as JSON (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        self
    }

    /// Asserts a `Retry-After` of whole seconds, at least one.
    #[track_caller]
    pub fn retry_after(&self) -> u64 {
        let value = self
            .headers
            .get("retry-after")
            .unwrap_or_else(|| panic!("no Retry-After: {}", self.text));
        let seconds: u64 = value.to_str().unwrap().parse().expect("seconds");
        assert!(seconds >= 1, "Retry-After {seconds}");
        seconds
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        &self.body
    }

    pub fn id(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in {}", self.text))
            .to_owned()
    }
}

/// Sends requests and keeps every answer (headers and body) for the secret
/// scan at the end of the test.
#[derive(Clone, Default)]
pub struct Recorder {
    answers: Arc<Mutex<Vec<String>>>,
    secrets: Arc<Mutex<BTreeSet<String>>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends and records. A host signature's own `zak` is taken out of the
    /// recorded copy (that answer is where it belongs) and becomes a secret
    /// that must appear nowhere else.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mut recorded = text.clone();
        if let Some(zak) = body.get("zak").and_then(Value::as_str) {
            recorded = recorded.replace(zak, "<zak>");
            self.secret(zak);
        }
        let mut record = String::new();
        for (name, value) in &headers {
            record.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        record.push_str(&recorded);
        self.answers.lock().unwrap().push(record);
        Answer {
            status,
            headers,
            text,
            body,
        }
    }

    /// Something that must appear in no answer and no log line.
    pub fn secret(&self, value: &str) {
        assert!(
            value.len() >= 8,
            "a secret to scan for is distinctive: {value:?}"
        );
        self.secrets.lock().unwrap().insert(value.to_owned());
    }

    /// Every Zoom token the emulator issued (S2S access tokens, ZAKs).
    pub fn zoom_tokens(&self, zoom: &Emulator) {
        for token in zoom.issued_tokens() {
            self.secret(&token);
        }
    }

    /// How many answers were recorded.
    pub fn answers(&self) -> usize {
        self.answers.lock().unwrap().len()
    }

    /// Searches every recorded answer and every log line written so far for
    /// every secret: none may appear. Returns how many secrets were searched.
    #[track_caller]
    pub fn assert_no_secret_leaked(&self) -> usize {
        let logs = logs().text();
        assert!(!logs.is_empty(), "logs are captured");
        let answers = self.answers.lock().unwrap();
        let secrets = self.secrets.lock().unwrap();
        assert!(!secrets.is_empty(), "something to scan for");
        let mut hits = Vec::new();
        for secret in secrets.iter() {
            for (i, answer) in answers.iter().enumerate() {
                if answer.contains(secret.as_str()) {
                    hits.push(format!("answer {i} holds {secret:?}: {answer}"));
                }
            }
            for line in logs.lines().filter(|l| l.contains(secret.as_str())) {
                hits.push(format!("a log line holds {secret:?}: {line}"));
            }
        }
        assert!(
            hits.is_empty(),
            "{} leaks:\n{}",
            hits.len(),
            hits.join("\n")
        );
        secrets.len()
    }
}

/// Secrets of a license body: distinctive values per `tag`, so a scan cannot
/// match a field name or a hint by accident.
pub struct LicenseSecrets {
    pub sdk_key: String,
    pub sdk_secret: String,
    pub webhook_secret: String,
}

impl LicenseSecrets {
    pub fn new(tag: &str) -> Self {
        let n = ulid::Ulid::new().to_string().to_lowercase();
        Self {
            sdk_key: format!("sdkKey-{tag}-{}", &n[..8]),
            sdk_secret: format!("sdk-SECRET-{tag}-{n}"),
            webhook_secret: format!("wh-SECRET-{tag}-{n}"),
        }
    }

    /// Registers the secrets (and the S2S client secret) with a recorder.
    pub fn register(&self, recorder: &Recorder) {
        recorder.secret(CLIENT_SECRET);
        recorder.secret(&self.sdk_secret);
        recorder.secret(&self.webhook_secret);
    }

    /// A create body on the emulator's test account.
    pub fn body(&self, name: &str, max: u8) -> Value {
        json!({
            "name": name, "accountId": ACCOUNT_ID, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
            "sdkKey": self.sdk_key, "sdkSecret": self.sdk_secret, "webhookSecretToken": self.webhook_secret,
            "hostUser": HOST_EMAIL, "maxConcurrentMeetings": max,
        })
    }
}

/// A license on the emulator's test account, `max` meetings at once, in
/// academy `a1` (its secrets registered with `rec`): its id and secrets.
pub async fn new_license(
    server: &TestServer,
    rec: &Recorder,
    tag: &str,
    max: u8,
) -> (String, LicenseSecrets) {
    let secrets = LicenseSecrets::new(tag);
    secrets.register(rec);
    let url = server.url("/v1/academies/a1/licenses");
    let answer = rec
        .send(server.http.post(url).json(&secrets.body(tag, max)))
        .await;
    answer.ok(201);
    (answer.id("licenseId"), secrets)
}

/// A meeting create body.
pub fn meeting_body(start: &str, minutes: u32, license: Option<&str>) -> Value {
    let mut body = json!({"topic": "Clase", "startTime": start, "durationMinutes": minutes,
        "timezone": "America/Argentina/Buenos_Aires", "externalRef": "faults"});
    if let Some(l) = license {
        body["licenseId"] = json!(l);
    }
    body
}

/// `v0=` + hex HMAC-SHA256 over `v0:{ts}:{body}`: a Zoom webhook signature.
pub fn zoom_signature(secret: &str, ts: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// A signed webhook delivery (timestamp now).
pub fn webhook(
    server: &TestServer,
    license_id: &str,
    secret: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    let ts = chrono::Utc::now().timestamp();
    server
        .http
        .post(server.url(&format!("/v1/webhooks/zoom/{license_id}")))
        .header("content-type", "application/json")
        .header("x-zm-request-timestamp", ts.to_string())
        .header("x-zm-signature", zoom_signature(secret, ts, body))
        .body(body.to_vec())
}

/// Every meeting of an academy the API lists (all pages), as views.
pub async fn list_meetings(server: &TestServer, rec: &Recorder, academy: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("/v1/academies/{academy}/meetings?limit=100");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = rec.send(server.http.get(server.url(&url))).await;
        let body = page.ok(200).clone();
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The Zoom meetings the API knows (scheduled ones, every academy given)
/// are exactly the meetings the emulator holds: no orphan in Zoom, no
/// meeting of ours missing there.
pub async fn assert_zoom_matches(server: &TestServer, rec: &Recorder, academies: &[&str]) {
    let mut ours = BTreeSet::new();
    for academy in academies {
        for m in list_meetings(server, rec, academy).await {
            if m["status"] != "deleted" {
                ours.insert(m["zoomMeetingId"].as_str().unwrap().to_owned());
            }
        }
    }
    let zoom: BTreeSet<String> = server.zoom.meeting_ids().into_iter().collect();
    assert_eq!(ours, zoom, "our meetings vs the emulator's");
}
