//! Someone in an emulated meeting: what its participant events and its row
//! in the participant report say about them.

use crate::ids;

/// Someone in a meeting, as participant events name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Zoom's `participant.user_id`.
    pub user_id: String,
    /// `participant.participant_uuid`; left out of the events when `None`.
    pub participant_uuid: Option<String>,
    pub user_name: String,
    /// `""` for a guest whose email Zoom hides, or a phone line.
    pub email: String,
    /// The Meeting SDK `customerKey` it joined with: `participant.customer_key`
    /// in its events and `customer_key` in the report; left out when `None`.
    pub customer_key: Option<String>,
    /// Its Zoom user id when signed in to the meeting's account: the report's
    /// `id` and `participant_user_id`, empty for guests (ZOOM-2.md A).
    pub zoom_user_id: Option<String>,
}

impl Participant {
    /// A participant with a fresh `participant_uuid`.
    pub fn new(
        user_id: impl Into<String>,
        user_name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            participant_uuid: Some(ids::participant_uuid()),
            user_name: user_name.into(),
            email: email.into(),
            customer_key: None,
            zoom_user_id: None,
        }
    }

    /// Someone dialled in by phone: no email, no customer key; `name` is
    /// what Zoom shows for the line (a number, or `Caller 1`).
    pub fn phone(user_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self::new(user_id, name, "")
    }

    /// The same participant, joined through the Meeting SDK with `key` as
    /// `customerKey`.
    pub fn with_customer_key(self, key: impl Into<String>) -> Self {
        Self {
            customer_key: Some(key.into()),
            ..self
        }
    }

    /// The same participant, signed in as Zoom user `zoom_user_id` of the
    /// meeting's account (not a guest).
    pub fn signed_in(self, zoom_user_id: impl Into<String>) -> Self {
        Self {
            zoom_user_id: Some(zoom_user_id.into()),
            ..self
        }
    }

    /// The same person on another device: a new in-meeting `user_id` and, if
    /// it had one, a new `participant_uuid` (UNCONFIRMED: whether Zoom keeps
    /// that UUID across devices), the rest (customer key included) kept.
    pub fn on_another_device(&self, user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            participant_uuid: self
                .participant_uuid
                .as_ref()
                .map(|_| ids::participant_uuid()),
            ..self.clone()
        }
    }

    /// The same participant without a `participant_uuid` (optional in Zoom's
    /// events).
    pub fn without_uuid(self) -> Self {
        Self {
            participant_uuid: None,
            ..self
        }
    }
}
