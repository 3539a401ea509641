//! Meetings (`ACADEMY#{a}` / `MEETING#{id}`), their copy in the academy's
//! calendar (`ACADEMY#{a}#CAL` / `{start}#{id}`, what the list pages through),
//! and the Zoom id index (`ZOOMMEETING#{zoomId}`) webhooks use.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::paging::{Walk, sort_key, walk};
use super::{RepoError, from_item, get_record, keys, to_item};
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::store::{Condition, Item, Query, SkRange, Store, StoreError, TTL_ATTRIBUTE, Write};

#[derive(Clone)]
pub struct MeetingRepo {
    store: Arc<dyn Store>,
}

pub struct MeetingPage {
    pub items: Vec<Meeting>,
    /// Calendar sort key to continue after.
    pub next: Option<String>,
}

/// Filters of the list.
#[derive(Debug, Default, Clone)]
pub struct MeetingFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub license_id: Option<String>,
    pub external_ref: Option<String>,
}

impl MeetingFilter {
    /// Whether a meeting in the time range passes the other filters.
    fn admits(&self, meeting: &Meeting) -> bool {
        self.license_id
            .as_ref()
            .is_none_or(|l| *l == meeting.license_id)
            && self
                .external_ref
                .as_ref()
                .is_none_or(|r| Some(r) == meeting.external_ref.as_ref())
    }
}

pub fn meeting_item(meeting: &Meeting) -> Item {
    to_item(
        &keys::meeting(&meeting.academy_id, &meeting.meeting_id),
        meeting,
    )
}

pub fn calendar_item(meeting: &Meeting) -> Item {
    let key = keys::calendar(
        &meeting.academy_id,
        &meeting.start_time,
        &meeting.meeting_id,
    );
    to_item(&key, meeting)
}

pub fn status_is(status: MeetingStatus) -> Condition {
    Condition::AttrEquals("status".into(), json!(status))
}

pub fn version_is(meeting: &Meeting) -> Condition {
    Condition::AttrEquals("version".into(), Value::from(meeting.version))
}

/// The meeting record, written if its version is still `expected` (None: new).
pub fn put_meeting(meeting: &Meeting, expected: Option<&Meeting>) -> Write {
    let condition = match expected {
        Some(current) => version_is(current),
        None => Condition::NotExists,
    };
    Write::put_if(meeting_item(meeting), condition)
}

pub fn put_calendar(meeting: &Meeting) -> Write {
    Write::put(calendar_item(meeting))
}

pub fn delete_calendar(meeting: &Meeting) -> Write {
    Write::Delete {
        key: keys::calendar(
            &meeting.academy_id,
            &meeting.start_time,
            &meeting.meeting_id,
        ),
        condition: None,
    }
}

/// The Zoom id index of a meeting, written only if no meeting of ours holds
/// that Zoom meeting yet: two creates can never commit the same Zoom meeting.
pub fn put_zoom_index(meeting: &Meeting) -> Option<Write> {
    let zoom_id = meeting.zoom_meeting_id.as_ref()?;
    let item = to_item(
        &keys::zoom_meeting(zoom_id),
        &json!({
            "academyId": meeting.academy_id,
            "meetingId": meeting.meeting_id,
            "licenseId": meeting.license_id,
        }),
    );
    Some(Write::put_if(item, Condition::NotExists))
}

impl MeetingRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn get(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<Option<Meeting>, RepoError> {
        self.get_as(academy_id, meeting_id).await
    }

    /// The part `T` of a meeting record, nothing else decoded.
    pub async fn get_as<T: serde::de::DeserializeOwned>(
        &self,
        academy_id: &str,
        meeting_id: &str,
    ) -> Result<Option<T>, RepoError> {
        let key = keys::meeting(academy_id, meeting_id);
        Ok(get_record(self.store.as_ref(), &key).await?)
    }

    /// Records the Zoom meeting of a pending reservation before it is
    /// committed, so an interrupted create can be found and undone.
    pub async fn record_zoom_id(&self, pending: &Meeting) -> Result<(), RepoError> {
        let Some(zoom_id) = &pending.zoom_meeting_id else {
            return Ok(());
        };
        let mut set = Item::new();
        set.insert("zoomMeetingId".into(), json!(zoom_id));
        let write = Write::Update {
            key: keys::meeting(&pending.academy_id, &pending.meeting_id),
            set,
            remove: Vec::new(),
            condition: Some(status_is(MeetingStatus::Pending)),
        };
        super::transact(self.store.as_ref(), vec![write]).await?;
        Ok(())
    }

    /// Whether a meeting of ours holds this Zoom meeting (its Zoom id index).
    pub async fn holds_zoom_id(&self, zoom_meeting_id: &str) -> Result<bool, RepoError> {
        Ok(self
            .store
            .get(&keys::zoom_meeting(zoom_meeting_id))
            .await?
            .is_some())
    }

    /// Takes a meeting's edit lock until `expires` (or one left by an edit
    /// that crashed, once expired): `Some(token)`, or `None` while another
    /// edit holds it.
    pub async fn lock_edit(
        &self,
        academy_id: &str,
        meeting_id: &str,
        expires: DateTime<Utc>,
    ) -> Result<Option<String>, RepoError> {
        let key = keys::meeting_edit(academy_id, meeting_id);
        let token = ulid::Ulid::new().to_string();
        let item = to_item(
            &key,
            &json!({"token": token, "expiresAt": expires.timestamp(),
                    TTL_ATTRIBUTE: (expires + chrono::Duration::days(1)).timestamp()}),
        );
        let now = Utc::now().timestamp();
        let condition = match self.store.get(&key).await? {
            None => Condition::NotExists,
            Some(held) if held.get("expiresAt").and_then(Value::as_i64) < Some(now) => {
                let held_token = held.get("token").cloned().unwrap_or_default();
                Condition::AttrEquals("token".into(), held_token)
            }
            Some(_) => return Ok(None),
        };
        match self.write(vec![Write::put_if(item, condition)]).await {
            Ok(()) => Ok(Some(token)),
            Err(RepoError::Store(StoreError::ConditionFailed { .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Gives a meeting's edit lock up, if it is still the one `token` took.
    pub async fn unlock_edit(
        &self,
        academy_id: &str,
        meeting_id: &str,
        token: &str,
    ) -> Result<(), RepoError> {
        let unlock = Write::delete_if(
            keys::meeting_edit(academy_id, meeting_id),
            Condition::AttrEquals("token".into(), json!(token)),
        );
        self.write(vec![unlock]).await
    }

    pub async fn write(&self, writes: Vec<Write>) -> Result<(), RepoError> {
        super::transact(self.store.as_ref(), writes).await?;
        Ok(())
    }

    /// One page of the academy's calendar, in start-time order.
    pub async fn list(
        &self,
        academy_id: &str,
        filter: &MeetingFilter,
        after: Option<String>,
        limit: usize,
    ) -> Result<MeetingPage, RepoError> {
        let lo = filter
            .from
            .map_or_else(|| "0".to_owned(), |t| keys::key_time(&t));
        // `~` sorts after '#': every meeting starting at `to` is included.
        let hi = filter
            .to
            .map_or_else(|| "~".to_owned(), |t| format!("{}~", keys::key_time(&t)));
        let query = Query::new(
            keys::calendar_pk(academy_id),
            SkRange::Between(lo, hi),
            limit + 1,
        )
        .after(after);
        let mut items = Vec::new();
        let mut next = None;
        let mut more = false;
        walk(self.store.as_ref(), query, |item| {
            let sk = sort_key(&item);
            let meeting: Meeting = from_item(item)?;
            if !filter.admits(&meeting) {
                return Ok(Walk::Continue);
            }
            if items.len() == limit {
                more = true;
                return Ok(Walk::Stop);
            }
            items.push(meeting);
            next = sk;
            Ok(Walk::Continue)
        })
        .await?;
        let next = if more { next } else { None };
        Ok(MeetingPage { items, next })
    }
}
