//! The emulator's shared state: configuration plus everything requests change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::{Account, EmulatorConfig, User};
use crate::download_faults::DownloadState;
use crate::download_tokens::DownloadGrant;
use crate::endpoints::Endpoint;
use crate::faults::Fault;
use crate::ids;
use crate::meeting_model::Meeting;
use crate::recordings::Recording;
use crate::report::{EndedInstance, ReportCursor};

/// First meeting id handed out (11 digits, above `u32::MAX`).
pub(crate) const FIRST_MEETING_ID: u64 = 81_234_567_890;

/// Configuration and state shared by every request.
pub(crate) struct Shared {
    pub accounts: Vec<Account>,
    pub token_ttl: Duration,
    pub me_supported: bool,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub started_at: DateTime<Utc>,
    /// Signs the `/rec/stream` links downloads redirect to.
    pub link_key: [u8; 32],
    state: Mutex<State>,
}

/// An access token the token endpoint issued.
pub(crate) struct IssuedToken {
    /// Index into [`Shared::accounts`].
    pub account: usize,
    pub scopes: Vec<String>,
    pub expires_at: Instant,
}

/// A `next_page_token` of the meeting list: where the next page starts.
pub(crate) struct PageCursor {
    pub account: usize,
    pub host_id: String,
    pub offset: usize,
    pub expires_at: Instant,
}

/// Everything requests change.
#[derive(Default)]
pub(crate) struct State {
    pub tokens: HashMap<String, IssuedToken>,
    pub faults: Vec<Fault>,
    pub counts: HashMap<Endpoint, usize>,
    /// Meetings by id, in creation order.
    pub meetings: BTreeMap<u64, Meeting>,
    pub next_meeting_id: u64,
    /// Create/update requests per (account, host user id, UTC day).
    pub daily: HashMap<(usize, String, NaiveDate), u32>,
    /// Seeded recordings, oldest first.
    pub recordings: Vec<Recording>,
    pub cursors: HashMap<String, PageCursor>,
    /// Ended meeting instances (the participant report's source), oldest first.
    pub ended: Vec<EndedInstance>,
    /// Meetings whose reports answer as if not ended yet.
    pub withheld_reports: HashSet<u64>,
    pub report_cursors: HashMap<String, ReportCursor>,
    /// Every access token and user token (ZAK) handed out, for secret scans.
    pub issued: Vec<String>,
    /// Recording download tokens (webhook `download_token`s and
    /// `download_access_token`s) by token.
    pub download_grants: HashMap<String, DownloadGrant>,
    /// Every download token handed out, for secret scans.
    pub issued_download_tokens: Vec<String>,
    /// Download faults, knobs and counts.
    pub downloads: DownloadState,
}

impl Shared {
    pub(crate) fn new(config: EmulatorConfig, base_url: String) -> Self {
        let state = State {
            next_meeting_id: FIRST_MEETING_ID,
            ..State::default()
        };
        Self {
            accounts: config.accounts,
            token_ttl: config.token_ttl,
            me_supported: config.me_supported,
            base_url,
            started_at: Utc::now(),
            link_key: ids::secret_key(),
            state: Mutex::new(state),
        }
    }

    /// Locks the state (a panic elsewhere does not poison it for good).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Finds a user of an account by id, email (any case) or `me`.
    pub(crate) fn find_user(&self, account: usize, user_id: &str) -> Option<&User> {
        let users = &self.accounts[account].users;
        if user_id == "me" {
            return if self.me_supported {
                users.first()
            } else {
                None
            };
        }
        users
            .iter()
            .find(|u| u.id == user_id || u.email.eq_ignore_ascii_case(user_id))
    }
}
