//! A stored meeting and the JSON shapes Zoom renders it in.

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value, json};

use crate::events::MeetingInstance;
use crate::ids;
use crate::occurrences::Occurrence;
use crate::recurrence::Recurrence;
use crate::state::Shared;

/// A meeting as the emulator stores it.
#[derive(Debug, Clone)]
pub(crate) struct Meeting {
    pub id: u64,
    pub uuid: String,
    /// Index of the owning account.
    pub account: usize,
    pub host_id: String,
    pub host_email: String,
    pub topic: String,
    /// Zoom's meeting `type`: 1 instant, 2 scheduled, 3 recurring without fixed time, 8 recurring.
    pub kind: u8,
    pub start_time: DateTime<Utc>,
    pub duration: u32,
    pub timezone: String,
    pub agenda: String,
    pub created_at: DateTime<Utc>,
    pub password: String,
    pub encrypted_password: String,
    pub h323_password: String,
    pub pstn_password: String,
    pub pre_schedule: bool,
    pub settings: Map<String, Value>,
    /// Request fields echoed back as given (`tracking_fields`, and a type-3
    /// meeting's `recurrence`).
    pub echoed: Map<String, Value>,
    /// A type-8 meeting's validated `recurrence`.
    pub recurrence: Option<Recurrence>,
    /// A type-8 meeting's occurrences, by start as scheduled.
    pub occurrences: Vec<Occurrence>,
    /// The UTC offset occurrences keep (the series `start_time`'s; see
    /// [`crate::recurrence`]).
    pub wall_offset: FixedOffset,
}

/// Which occurrences a Get lists, and as which one it answers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct View<'a> {
    /// Answer as this occurrence (its `start_time`, `duration`, `agenda`,
    /// `settings`).
    pub occurrence: Option<&'a Occurrence>,
    /// List only occurrences that have not ended by then (`None` = all).
    pub listed_from: Option<DateTime<Utc>>,
}

/// Zoom's time format: `yyyy-MM-ddTHH:mm:ssZ`, UTC.
pub(crate) fn zoom_time(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Meeting {
    /// The instance [`crate::events`] describe: the stored UUID, the
    /// scheduled start and duration.
    pub(crate) fn instance(&self, shared: &Shared) -> MeetingInstance {
        MeetingInstance {
            account_id: shared.accounts[self.account].account_id.clone(),
            id: self.id,
            uuid: self.uuid.clone(),
            host_id: self.host_id.clone(),
            host_email: self.host_email.clone(),
            topic: self.topic.clone(),
            kind: self.kind,
            start_time: self.start_time,
            timezone: self.timezone.clone(),
            duration: self.duration,
            password: self.password.clone(),
        }
    }

    /// The instance of occurrence `occurrence_id` (not deleted): the same
    /// `id`, the occurrence's own UUID (made now if it has none: every
    /// started occurrence gets a new one, ZOOM-2.md D), `start_time` and
    /// `duration`. `None` if there is no such occurrence.
    pub(crate) fn occurrence_instance(
        &mut self,
        shared: &Shared,
        occurrence_id: i64,
    ) -> Option<MeetingInstance> {
        let mut instance = self.instance(shared);
        let series_duration = self.duration;
        let occurrence = self
            .occurrences
            .iter_mut()
            .find(|o| o.id == occurrence_id && !o.deleted)?;
        instance.uuid = occurrence
            .uuid
            .get_or_insert_with(ids::meeting_uuid)
            .clone();
        instance.start_time = occurrence.start_time;
        instance.duration = occurrence.duration.unwrap_or(series_duration);
        Some(instance)
    }

    /// `{base}/j/{id}?pwd=…`
    pub(crate) fn join_url(&self, base_url: &str) -> String {
        format!("{base_url}/j/{}?pwd={}", self.id, self.encrypted_password)
    }

    /// `{base}/s/{id}?zak=…` with a fresh ZAK.
    pub(crate) fn start_url(&self, base_url: &str) -> String {
        format!("{base_url}/s/{}?zak={}", self.id, ids::zak())
    }

    /// The create (201) and get (200) body: Zoom's Get shape, which is the
    /// create response plus `uuid`, `host_id` and `status`; a type-8
    /// meeting's has `recurrence` and every occurrence.
    pub(crate) fn to_json(&self, base_url: &str) -> Value {
        self.render(base_url, View::default())
    }

    /// The occurrence with this `occurrence_id`, deleted or not.
    pub(crate) fn occurrence(&self, occurrence_id: i64) -> Option<&Occurrence> {
        self.occurrences.iter().find(|o| o.id == occurrence_id)
    }

    /// Zoom's `occurrences[]` (see [`View::listed_from`]).
    pub(crate) fn occurrences_json(&self, listed_from: Option<DateTime<Utc>>) -> Vec<Value> {
        self.occurrences
            .iter()
            .filter(|o| {
                listed_from.is_none_or(|now| {
                    o.start_time + chrono::Duration::minutes(i64::from(o.duration(self))) > now
                })
            })
            .map(|o| o.to_json(self))
            .collect()
    }

    /// The Get body as `view` asks.
    pub(crate) fn render(&self, base_url: &str, view: View<'_>) -> Value {
        let mut body = json!({
            "uuid": self.uuid,
            "id": self.id,
            "host_id": self.host_id,
            "host_email": self.host_email,
            "assistant_id": "",
            "topic": self.topic,
            "type": self.kind,
            "status": "waiting",
        });
        let object = body.as_object_mut().expect("object literal");
        let (start_time, duration, agenda, settings) = match view.occurrence {
            Some(o) => (
                o.start_time,
                o.duration(self),
                o.agenda(self),
                o.settings(self),
            ),
            None => (
                self.start_time,
                self.duration,
                self.agenda.as_str(),
                self.settings.clone(),
            ),
        };
        if self.kind != 3 {
            object.insert("start_time".into(), zoom_time(&start_time).into());
            object.insert("duration".into(), duration.into());
        }
        let rest = json!({
            "timezone": self.timezone,
            "agenda": agenda,
            "created_at": zoom_time(&self.created_at),
            "start_url": self.start_url(base_url),
            "join_url": self.join_url(base_url),
            "password": self.password,
            "h323_password": self.h323_password,
            "pstn_password": self.pstn_password,
            "encrypted_password": self.encrypted_password,
        });
        object.extend(rest.as_object().expect("object literal").clone());
        if self.recurrence.is_some() {
            object.insert(
                "occurrences".into(),
                self.occurrences_json(view.listed_from).into(),
            );
        }
        object.insert("settings".into(), settings.into());
        if let Some(recurrence) = &self.recurrence {
            object.insert("recurrence".into(), recurrence.to_json());
        }
        object.insert("pre_schedule".into(), self.pre_schedule.into());
        object.insert("creation_source".into(), "open_api".into());
        object.extend(self.echoed.clone());
        body
    }

    /// An item of `GET /users/{userId}/meetings`.
    pub(crate) fn list_item_json(&self, base_url: &str) -> Value {
        let mut item = json!({
            "uuid": self.uuid,
            "id": self.id,
            "host_id": self.host_id,
            "topic": self.topic,
            "type": self.kind,
        });
        let object = item.as_object_mut().expect("object literal");
        if self.kind != 3 {
            object.insert("start_time".into(), zoom_time(&self.start_time).into());
            object.insert("duration".into(), self.duration.into());
        }
        object.insert("timezone".into(), self.timezone.clone().into());
        if !self.agenda.is_empty() {
            object.insert("agenda".into(), self.agenda.clone().into());
        }
        object.insert("created_at".into(), zoom_time(&self.created_at).into());
        object.insert("join_url".into(), self.join_url(base_url).into());
        item
    }
}

/// The settings Zoom reports when a request does not set them.
pub(crate) fn default_settings() -> Map<String, Value> {
    let defaults = json!({
        "host_video": false,
        "participant_video": false,
        "cn_meeting": false,
        "in_meeting": false,
        "join_before_host": false,
        "jbh_time": 0,
        "mute_upon_entry": false,
        "watermark": false,
        "use_pmi": false,
        "approval_type": 2,
        "audio": "voip",
        "auto_recording": "none",
        "enforce_login": false,
        "enforce_login_domains": "",
        "alternative_hosts": "",
        "alternative_hosts_email_notification": true,
        "close_registration": false,
        "show_share_button": false,
        "allow_multiple_devices": false,
        "registrants_confirmation_email": true,
        "waiting_room": false,
        "request_permission_to_unmute_participants": false,
        "registrants_email_notification": true,
        "meeting_authentication": false,
        "encryption_type": "enhanced_encryption",
        "approved_or_denied_countries_or_regions": {"enable": false},
        "breakout_room": {"enable": false},
        "internal_meeting": false,
        "continuous_meeting_chat": {"enable": false},
        "participant_focused_meeting": false,
        "push_change_to_calendar": false,
        "auto_start_meeting_summary": false,
        "email_notification": true,
        "host_save_video_order": false,
        "device_testing": false,
        "private_meeting": false,
        "sign_language_interpretation": {"enable": false},
        "focus_mode": false,
    });
    match defaults {
        Value::Object(map) => map,
        _ => unreachable!("object literal"),
    }
}
