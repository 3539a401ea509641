//! Class series (`ACADEMY#{a}` / `SERIES#{id}`), the Zoom id index of their
//! one recurring meeting (`ZOOMMEETING#{zoomId}`, naming the series instead
//! of a meeting) and the instance index (`ZOOMINSTANCE#{uuid}`) that ties a
//! started occurrence's UUID to its meeting.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{RepoError, get_record, keys, to_item};
use crate::domain::series::{Series, SeriesStatus};
use crate::store::{Condition, Item, Store, TTL_ATTRIBUTE, Write};

/// How long an instance UUID is remembered (its events and recordings come
/// within days; a report is read within one).
const INSTANCE_DAYS: i64 = 400;

pub fn series_item(series: &Series) -> Item {
    to_item(&keys::series(&series.academy_id, &series.series_id), series)
}

pub fn series_status_is(status: SeriesStatus) -> Condition {
    Condition::AttrEquals("status".into(), json!(status))
}

/// The series record, written if its version is still `expected`'s (None: new).
pub fn put_series(series: &Series, expected: Option<&Series>) -> Write {
    let condition = match expected {
        Some(current) => Condition::AttrEquals("version".into(), Value::from(current.version)),
        None => Condition::NotExists,
    };
    Write::put_if(series_item(series), condition)
}

/// The Zoom id index of a series, written only if nothing of ours holds
/// that Zoom meeting yet.
pub fn put_series_zoom_index(series: &Series) -> Option<Write> {
    let zoom_id = series.zoom_meeting_id.as_ref()?;
    let item = to_item(
        &keys::zoom_meeting(zoom_id),
        &json!({
            "academyId": series.academy_id,
            "seriesId": series.series_id,
            "licenseId": series.license_id,
        }),
    );
    Some(Write::put_if(item, Condition::NotExists))
}

/// Instance `uuid` of Zoom meeting `zoom_id` is our meeting `meeting_id`.
pub fn put_instance(zoom_id: &str, uuid: &str, meeting_id: &str) -> Write {
    let expires = chrono::Utc::now() + chrono::Duration::days(INSTANCE_DAYS);
    let item = to_item(
        &keys::zoom_instance(uuid),
        &json!({"zoomMeetingId": zoom_id, "meetingId": meeting_id,
                TTL_ATTRIBUTE: expires.timestamp()}),
    );
    Write::put(item)
}

#[derive(Clone)]
pub struct SeriesRepo {
    store: Arc<dyn Store>,
}

impl SeriesRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn get(
        &self,
        academy_id: &str,
        series_id: &str,
    ) -> Result<Option<Series>, RepoError> {
        let key = keys::series(academy_id, series_id);
        Ok(get_record(self.store.as_ref(), &key).await?)
    }

    /// The meeting of ours an instance UUID of `zoom_id` was matched to.
    pub async fn instance(&self, zoom_id: &str, uuid: &str) -> Result<Option<String>, RepoError> {
        let Some(item) = self.store.get(&keys::zoom_instance(uuid)).await? else {
            return Ok(None);
        };
        let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
        Ok(match (text("zoomMeetingId"), text("meetingId")) {
            (Some(z), Some(m)) if z == zoom_id => Some(m),
            _ => None,
        })
    }

    /// Records the Zoom meeting of a pending series before its occurrences
    /// are committed, so an interrupted create can be found and undone.
    pub async fn record_zoom_id(&self, pending: &Series) -> Result<(), RepoError> {
        let Some(zoom_id) = &pending.zoom_meeting_id else {
            return Ok(());
        };
        let mut set = Item::new();
        set.insert("zoomMeetingId".into(), json!(zoom_id));
        let write = Write::Update {
            key: keys::series(&pending.academy_id, &pending.series_id),
            set,
            remove: Vec::new(),
            condition: Some(series_status_is(SeriesStatus::Pending)),
        };
        self.write(vec![write]).await
    }

    pub async fn write(&self, writes: Vec<Write>) -> Result<(), RepoError> {
        super::transact(self.store.as_ref(), writes).await?;
        Ok(())
    }
}
