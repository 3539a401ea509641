//! The handle tests hold: start, URLs, fault injection and inspection.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::EmulatorConfig;
use crate::endpoints::Endpoint;
use crate::events::MeetingInstance;
use crate::faults::Fault;
use crate::ids;
use crate::recordings::{self, Recording};
use crate::router::router;
use crate::server;
use crate::state::Shared;

/// A running emulator. Clones share the same server and state; the server
/// stops on [`Emulator::stop`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
    server: Arc<ServerTask>,
    addr: SocketAddr,
}

struct ServerTask {
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

impl Emulator {
    /// Starts on `127.0.0.1` on a free port.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        Self::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts on `addr` (port 0 = any free port).
    pub async fn start_on(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<Emulator> {
        let (listener, addr) = server::bind(addr).await?;
        let shared = Arc::new(Shared::new(config, format!("http://{addr}")));
        let (shutdown, shutdown_rx) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, router(shared.clone()), shutdown_rx));
        Ok(Emulator {
            shared,
            server: Arc::new(ServerTask {
                shutdown: Mutex::new(Some(shutdown)),
                task: Mutex::new(Some(task)),
            }),
            addr,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (also the token response's `api_url`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://ADDR/v2`: the REST base (Zoom's `https://api.zoom.us/v2`).
    pub fn api_url(&self) -> String {
        format!("{}/v2", self.shared.base_url)
    }

    /// `http://ADDR/oauth/token` (Zoom's `https://zoom.us/oauth/token`).
    pub fn oauth_url(&self) -> String {
        format!("{}/oauth/token", self.shared.base_url)
    }

    /// Adds a fault; faults for the same endpoint apply in the order added.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes every fault, download faults included
    /// ([`Emulator::serve_html_for`], [`Emulator::cut_download`]).
    pub fn clear_faults(&self) {
        let mut state = self.shared.lock();
        state.faults.clear();
        state.downloads.clear_faults();
    }

    /// Requests received by an endpoint so far, faulted ones included.
    pub fn count(&self, endpoint: Endpoint) -> usize {
        self.shared
            .lock()
            .counts
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Invalidates every access token issued so far (401 code 124 "Invalid
    /// access token."; recording downloads with them answer Zoom's HTML
    /// page); tokens issued afterwards work. Download tokens are not touched.
    pub fn revoke_tokens(&self) {
        self.shared.lock().tokens.clear();
    }

    /// Every access token and user token (ZAK or `type=token`) issued so
    /// far, revoked ones included: what a secret scan looks for.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued.clone()
    }

    /// The ids of every stored meeting (any account), ascending.
    pub fn meeting_ids(&self) -> Vec<String> {
        self.shared
            .lock()
            .meetings
            .keys()
            .map(u64::to_string)
            .collect()
    }

    /// A stored meeting in Zoom's Get shape (any account), or `None`.
    pub fn meeting(&self, id: &str) -> Option<Value> {
        let id: u64 = id.parse().ok()?;
        let state = self.shared.lock();
        state
            .meetings
            .get(&id)
            .map(|m| m.to_json(&self.shared.base_url))
    }

    /// Sets the stored instance UUID of meeting `meeting_id` (e.g. one that
    /// starts with `/` or contains `//`, which must be double URL-encoded in
    /// paths). Later recordings and lifecycle events use it; recordings seeded
    /// before keep theirs.
    ///
    /// # Panics
    /// If no meeting has this id.
    pub fn set_meeting_uuid(&self, meeting_id: &str, uuid: &str) {
        let mut state = self.shared.lock();
        let meeting = meeting_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.meetings.get_mut(&id))
            .unwrap_or_else(|| panic!("set_meeting_uuid: no meeting {meeting_id}"));
        meeting.uuid = uuid.to_owned();
    }

    /// The occurrences of type-8 meeting `meeting_id` (any account) as Zoom
    /// lists them with `show_previous_occurrences=true`: every one, past,
    /// moved and deleted included, each `{occurrence_id, start_time,
    /// duration, status}`. Empty for an unknown or non-recurring meeting.
    pub fn occurrences(&self, meeting_id: &str) -> Vec<Value> {
        let state = self.shared.lock();
        meeting_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.meetings.get(&id))
            .map(|m| m.occurrences_json(None))
            .unwrap_or_default()
    }

    /// Sets the instance UUID of one occurrence (as
    /// [`Emulator::set_meeting_uuid`] does for a meeting); its later
    /// lifecycle events and recordings use it.
    ///
    /// # Panics
    /// If the meeting has no such occurrence.
    pub fn set_occurrence_uuid(&self, meeting_id: &str, occurrence_id: &str, uuid: &str) {
        let mut state = self.shared.lock();
        let occurrence = meeting_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.meetings.get_mut(&id))
            .and_then(|m| {
                let wanted = occurrence_id.parse::<i64>().ok()?;
                m.occurrences.iter_mut().find(|o| o.id == wanted)
            })
            .unwrap_or_else(|| {
                panic!("set_occurrence_uuid: no occurrence {occurrence_id} of meeting {meeting_id}")
            });
        occurrence.uuid = Some(uuid.to_owned());
    }

    /// Like [`Emulator::add_recording`] for one occurrence of a type-8
    /// meeting: the recording takes the occurrence's instance UUID (see
    /// [`Emulator::occurrence_instance`]), `start_time` and `duration`.
    ///
    /// # Panics
    /// If the meeting has no such occurrence (or it is deleted).
    pub fn add_occurrence_recording(&self, meeting_id: &str, occurrence_id: &str, files: Value) {
        let shared = &self.shared;
        let mut state = shared.lock();
        let found = meeting_id
            .parse::<u64>()
            .ok()
            .and_then(|id| state.meetings.get_mut(&id))
            .and_then(|m| {
                let instance = m.occurrence_instance(shared, occurrence_id.parse().ok()?)?;
                Some((m.account, instance))
            });
        let (account, meeting) = found.unwrap_or_else(|| {
            panic!(
                "add_occurrence_recording: no occurrence {occurrence_id} of meeting {meeting_id}"
            )
        });
        let files = recordings::build_files(
            files,
            &meeting.uuid,
            meeting.start_time,
            meeting.duration,
            &shared.base_url,
        );
        let recording = Recording::new(account, meeting, files, &shared.base_url);
        state.recordings.push(recording);
    }

    /// How many meetings are stored (deleted ones are gone).
    pub fn meeting_count(&self) -> usize {
        self.shared.lock().meetings.len()
    }

    /// Seeds a recording of meeting `meeting_id` for `GET
    /// /meetings/{id}/recordings`. `files` is an array of (partial) recording
    /// file objects, or an object with `recording_files`; missing fields get
    /// Zoom-like defaults (`file_size` 1 000 000 for an MP4, 4096 otherwise),
    /// and every `download_url` is the emulator's `/rec/download/{id}`,
    /// which serves [`crate::recording_content`]`(id, file_size)`. If the meeting exists, the recording takes its
    /// account, host, topic and times, and its first recording takes its
    /// UUID; otherwise it belongs to the first account's first user. Each call
    /// adds a newer instance; the numeric id answers the newest.
    ///
    /// # Panics
    /// If `meeting_id` is not a number.
    pub fn add_recording(&self, meeting_id: &str, files: Value) {
        self.seed_recording(meeting_id, None, files);
    }

    /// Like [`Emulator::add_recording`] with a chosen instance UUID (to test
    /// UUIDs that start with `/` or contain `//`).
    ///
    /// # Panics
    /// If `meeting_id` is not a number.
    pub fn add_recording_instance(&self, meeting_id: &str, uuid: &str, files: Value) {
        self.seed_recording(meeting_id, Some(uuid.to_owned()), files);
    }

    fn seed_recording(&self, meeting_id: &str, uuid: Option<String>, files: Value) {
        let id: u64 = meeting_id
            .parse()
            .expect("add_recording: meeting_id must be a numeric Zoom meeting id");
        let shared = &self.shared;
        let mut state = shared.lock();
        let already = state.recordings.iter().any(|r| r.meeting_id() == id);
        let (account, mut meeting) = match state.meetings.get(&id) {
            Some(m) => (m.account, m.instance(shared)),
            None => (0, unknown_meeting(shared, id)),
        };
        match uuid {
            Some(uuid) => meeting.uuid = uuid,
            None if already => meeting.uuid = ids::meeting_uuid(),
            None => {}
        }
        let files = recordings::build_files(
            files,
            &meeting.uuid,
            meeting.start_time,
            meeting.duration,
            &shared.base_url,
        );
        let recording = Recording::new(account, meeting, files, &shared.base_url);
        state.recordings.push(recording);
    }

    /// The state shared with the server.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Stops the server (every clone's) and waits for it.
    pub async fn stop(self) {
        if let Some(shutdown) = self.server.shutdown.lock().ok().and_then(|mut s| s.take()) {
            let _ = shutdown.send(());
        }
        let task = self.server.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

/// A recorded meeting the emulator never stored: the first account's first
/// user's, with a fresh UUID and the defaults of a create.
fn unknown_meeting(shared: &Shared, id: u64) -> MeetingInstance {
    let account = shared.accounts.first();
    let host = account.and_then(|a| a.users.first());
    MeetingInstance {
        account_id: account.map(|a| a.account_id.clone()).unwrap_or_default(),
        id,
        uuid: ids::meeting_uuid(),
        host_id: host.map(|u| u.id.clone()).unwrap_or_default(),
        host_email: host.map(|u| u.email.clone()).unwrap_or_default(),
        topic: "Zoom Meeting".to_owned(),
        kind: 2,
        start_time: chrono::Utc::now(),
        timezone: "UTC".to_owned(),
        duration: 60,
        password: ids::alphanumeric(6),
    }
}
