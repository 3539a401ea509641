//! Meetings (`ACADEMY#{a}` / `MEETING#{id}`), their copy in the academy's
//! calendar (`ACADEMY#{a}#CAL` / `{start}#{id}`, what the list pages through),
//! and the Zoom id index (`ZOOMMEETING#{zoomId}`) webhooks use.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{RepoError, from_item, get_record, keys, to_item};
use crate::domain::meeting::{Meeting, MeetingStatus};
use crate::store::{Condition, Item, Query, SkRange, Store, Write};

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
    Some(Write::put(item))
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

    /// A raw item of the table (e.g. a lock), or `None`.
    pub async fn get_item(&self, key: &crate::store::Key) -> Result<Option<Item>, RepoError> {
        Ok(self.store.get(key).await?)
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
        let pk = keys::calendar_pk(academy_id);
        let mut items = Vec::new();
        let mut cursor = after;
        let mut next = None;
        'pages: loop {
            let query = Query::new(&pk, SkRange::Between(lo.clone(), hi.clone()), limit + 1)
                .after(cursor.clone());
            let page = self.store.query(&query).await?;
            let exhausted = page.len() <= limit;
            for item in page {
                let sk = item
                    .get("sk")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let meeting: Meeting = from_item(item)?;
                let wanted = filter
                    .license_id
                    .as_ref()
                    .is_none_or(|l| *l == meeting.license_id)
                    && filter
                        .external_ref
                        .as_ref()
                        .is_none_or(|r| Some(r) == meeting.external_ref.as_ref());
                cursor = Some(sk.clone());
                if wanted {
                    if items.len() == limit {
                        break 'pages;
                    }
                    items.push(meeting);
                    next = Some(sk);
                }
            }
            if exhausted {
                next = None;
                break;
            }
        }
        if items.len() < limit {
            next = None;
        }
        Ok(MeetingPage { items, next })
    }
}
