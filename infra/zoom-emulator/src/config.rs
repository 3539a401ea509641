//! What the emulator is configured with: accounts (one app each), their users and
//! the scopes their app was granted.

use std::time::Duration;

/// Demo account id used by [`EmulatorConfig::demo`].
pub const DEMO_ACCOUNT_ID: &str = "demo-account";
/// Demo S2S client id used by [`EmulatorConfig::demo`].
pub const DEMO_CLIENT_ID: &str = "demo-client-id";
/// Demo S2S client secret used by [`EmulatorConfig::demo`].
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// Id of the demo's licensed host (`teacher@example.com`).
pub const DEMO_HOST_ID: &str = "demo-teacher";
/// Id of the demo's basic user (`basic@example.com`).
pub const DEMO_BASIC_ID: &str = "demo-basic";

/// Every granular scope lms-zoom needs (meetings, users, ZAK, recordings,
/// archives, the participant report, webhook events); granted to the demo
/// account.
pub const DEMO_SCOPES: &[&str] = &[
    "meeting:write:meeting:admin",
    "meeting:read:meeting:admin",
    "meeting:update:meeting:admin",
    "meeting:delete:meeting:admin",
    "meeting:read:list_meetings:admin",
    "meeting:update:status:admin",
    "meeting:read:participant:admin",
    "report:read:list_meeting_participants:admin",
    "meeting:read:list_past_instances:admin",
    "user:read:user:admin",
    "user:read:token:admin",
    "user:read:zak:admin",
    "cloud_recording:read:list_recording_files:admin",
    "cloud_recording:read:list_user_recordings:admin",
    "cloud_recording:read:recording:admin",
    "cloud_recording:delete:meeting_recording:admin",
    "cloud_recording:delete:recording_file:admin",
    "archiving:read:archived_files:admin",
    "archiving:read:list_archived_files:admin",
];

/// The emulator's whole configuration.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub accounts: Vec<Account>,
    /// Lifetime of issued access tokens (`expires_in`); Zoom's is 3600 s.
    pub token_ttl: Duration,
    /// `true`: `GET /users/me` (and `me` in any `{userId}`) with an S2S token
    /// means the account's first user; `false`: 404 code 1001.
    pub me_supported: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            accounts: Vec::new(),
            token_ttl: Duration::from_secs(3600),
            me_supported: true,
        }
    }
}

impl EmulatorConfig {
    /// A config with these accounts and the defaults (3600 s tokens, `me` supported).
    pub fn new(accounts: Vec<Account>) -> Self {
        Self {
            accounts,
            ..Self::default()
        }
    }

    /// One activated S2S account (`demo-account` / `demo-client-id` /
    /// `demo-client-secret`) with [`DEMO_SCOPES`], a licensed host
    /// `teacher@example.com` (id `demo-teacher`) and a basic user
    /// `basic@example.com` (id `demo-basic`).
    pub fn demo() -> Self {
        let account = Account::new(DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .with_scopes(DEMO_SCOPES)
            .with_user(
                User::licensed(DEMO_HOST_ID, "teacher@example.com").with_name("Demo", "Teacher"),
            )
            .with_user(User::basic(DEMO_BASIC_ID, "basic@example.com").with_name("Basic", "User"));
        Self::new(vec![account])
    }

    /// Builder: token lifetime.
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Builder: whether `me` resolves with S2S tokens.
    pub fn with_me_supported(mut self, supported: bool) -> Self {
        self.me_supported = supported;
        self
    }
}

/// The kind of Marketplace app whose credentials an account carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    /// Server-to-Server OAuth: `grant_type=account_credentials` works.
    ServerToServer,
    /// General (user-managed) app: `account_credentials` is refused with
    /// `unsupported_grant_type`.
    General,
}

/// A Zoom account with the one app whose credentials reach it.
#[derive(Debug, Clone)]
pub struct Account {
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub app_type: AppType,
    pub activated: bool,
    /// Scopes granted to the app (granular or classic); all go into every token.
    pub scopes: Vec<String>,
    /// The account's users; the first one answers `me`.
    pub users: Vec<User>,
}

impl Account {
    /// An activated S2S app with no scopes and no users.
    pub fn new(
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            account_id: account_id.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            app_type: AppType::ServerToServer,
            activated: true,
            scopes: Vec::new(),
            users: Vec::new(),
        }
    }

    /// Adds these scopes to the ones already granted.
    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes.extend(scopes.iter().map(|s| (*s).to_owned()));
        self
    }

    /// Adds a user.
    pub fn with_user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Sets the app type.
    pub fn app_type(mut self, app_type: AppType) -> Self {
        self.app_type = app_type;
        self
    }

    /// Marks the app deactivated: the token endpoint refuses it.
    pub fn deactivated(mut self) -> Self {
        self.activated = false;
        self
    }
}

/// A user's plan: Zoom's user `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanType {
    /// `type` 1.
    Basic,
    /// `type` 2.
    Licensed,
}

impl PlanType {
    /// Zoom's numeric user `type`.
    pub fn zoom_type(self) -> u8 {
        match self {
            PlanType::Basic => 1,
            PlanType::Licensed => 2,
        }
    }
}

/// A user of an account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub plan: PlanType,
    /// `active`, `inactive` or `pending`.
    pub status: String,
}

impl User {
    /// An active licensed (type 2) user; the name comes from the email's local part.
    pub fn licensed(id: impl Into<String>, email: impl Into<String>) -> Self {
        Self::with_plan(id.into(), email.into(), PlanType::Licensed)
    }

    /// An active basic (type 1) user; the name comes from the email's local part.
    pub fn basic(id: impl Into<String>, email: impl Into<String>) -> Self {
        Self::with_plan(id.into(), email.into(), PlanType::Basic)
    }

    /// Sets the status (`active`, `inactive`, `pending`).
    pub fn with_status(mut self, status: &str) -> Self {
        self.status = status.to_owned();
        self
    }

    /// Sets first and last name.
    pub fn with_name(mut self, first: &str, last: &str) -> Self {
        self.first_name = first.to_owned();
        self.last_name = last.to_owned();
        self
    }

    fn with_plan(id: String, email: String, plan: PlanType) -> Self {
        let local = email.split('@').next().unwrap_or_default();
        let mut chars = local.chars();
        let first_name = match chars.next() {
            Some(c) => c.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        Self {
            id,
            email,
            first_name,
            last_name: "User".to_owned(),
            plan,
            status: "active".to_owned(),
        }
    }
}
