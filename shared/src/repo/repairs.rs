//! Repair records (`REPAIR` / `{kind}#{id}`): what a request started that
//! must be finished or undone should the request die before it does — Lambda
//! may kill it at its deadline, or freeze it after answering. A record is
//! written in the transaction that starts the risky step (or before it) and
//! deleted in the transaction that ends it; one whose `dueAt` has passed
//! belongs to the `maintenance` function, which claims it (so two runs never
//! work on the same record), resolves it and deletes it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{RepoError, from_item, paging, to_item};
use crate::domain::scheduling::Booking;
use crate::store::{Condition, Key, Query, SkRange, Store, TTL_ATTRIBUTE, Write};

pub const REPAIR_PK: &str = "REPAIR";
/// How long after its owner's deadline a record waits for the owner, by
/// default; `REPAIR_GRACE_SECONDS` (0–3600) sets it for the process.
pub const DEFAULT_GRACE: Duration = Duration::seconds(30);

/// The grace of this process (read once).
pub fn grace() -> Duration {
    static GRACE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *GRACE.get_or_init(|| {
        std::env::var("REPAIR_GRACE_SECONDS")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|s| (0..=3600).contains(s))
            .map_or(DEFAULT_GRACE, Duration::seconds)
    })
}
/// Records read per query page.
const PAGE: usize = 200;

/// What was started, with what undoing or finishing it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Repair {
    /// A meeting create between its reservation and its commit: Zoom may
    /// hold a meeting nobody knows, the slot is reserved.
    #[serde(rename_all = "camelCase")]
    Create {
        academy_id: String,
        meeting_id: String,
        license_id: String,
        booking: Booking,
    },
    /// A class series create between its reservation and its last commit:
    /// Zoom may hold a recurring meeting nobody knows, the slots are
    /// reserved, some occurrences may be committed.
    #[serde(rename_all = "camelCase")]
    Series {
        academy_id: String,
        series_id: String,
        license_id: String,
        bookings: Vec<Booking>,
    },
    /// A series time change between its new reservation and its commit:
    /// Zoom may have the new times while the series has the old ones.
    #[serde(rename_all = "camelCase")]
    SeriesMove {
        academy_id: String,
        series_id: String,
        license_id: String,
        zoom_meeting_id: String,
        bookings: Vec<Booking>,
        attempt: String,
    },
    /// A series time change committed on the series record: its
    /// occurrences' meetings, calendar copies and old bookings are still
    /// to follow (redone until they do).
    #[serde(rename_all = "camelCase")]
    SeriesFollow {
        academy_id: String,
        series_id: String,
    },
    /// A reschedule between its new reservation and its commit: Zoom may
    /// have the new time while ours is the old one.
    #[serde(rename_all = "camelCase")]
    Reschedule {
        academy_id: String,
        meeting_id: String,
        license_id: String,
        zoom_meeting_id: String,
        booking: Booking,
        /// Tells attempts at the same new booking apart (one that failed
        /// to put Zoom back leaves its record for `maintenance`).
        attempt: String,
    },
    /// A license create between its secret and its record: the secret may
    /// outlive a license that was never created.
    #[serde(rename_all = "camelCase")]
    Secret {
        academy_id: String,
        license_id: String,
        secret_name: String,
    },
    /// An archive job between the batch that recorded its file and its send
    /// to a queue outside the store (SQS): sent again should the sender die.
    #[serde(rename_all = "camelCase")]
    Enqueue { job: crate::queue::ArchiveJob },
    /// A webhook event about a meeting not (yet) ours, kept compactly (only
    /// what its effect needs) to be applied once the meeting is committed.
    #[serde(rename_all = "camelCase")]
    Webhook {
        license_id: String,
        zoom_meeting_id: String,
        hash: String,
        event: serde_json::Value,
    },
}

impl Repair {
    /// The record's sort key: one record per thing repaired.
    pub fn id(&self) -> String {
        match self {
            Repair::Create { meeting_id, .. } => format!("create#{meeting_id}"),
            Repair::Reschedule {
                meeting_id,
                booking,
                attempt,
                ..
            } => format!("reschedule#{meeting_id}#{}#{attempt}", booking.rev),
            Repair::Series { series_id, .. } => format!("series#{series_id}"),
            Repair::SeriesMove {
                series_id, attempt, ..
            } => format!("series-move#{series_id}#{attempt}"),
            Repair::SeriesFollow { series_id, .. } => format!("series-follow#{series_id}"),
            Repair::Secret { license_id, .. } => format!("secret#{license_id}"),
            Repair::Webhook { hash, .. } => format!("webhook#{hash}"),
            Repair::Enqueue { job } => format!("archive#{}", job.id()),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Repair::Create { .. } => "create",
            Repair::Reschedule { .. } => "reschedule",
            Repair::Series { .. } => "series",
            Repair::SeriesMove { .. } => "series-move",
            Repair::SeriesFollow { .. } => "series-follow",
            Repair::Secret { .. } => "secret",
            Repair::Webhook { .. } => "webhook",
            Repair::Enqueue { .. } => "enqueue",
        }
    }
}

/// A stored repair record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairRecord {
    #[serde(flatten)]
    pub repair: Repair,
    pub created_at: DateTime<Utc>,
    /// From then on the owner is taken as dead.
    pub due_at: DateTime<Utc>,
    /// The maintenance run working on it ("" when none), until `claimed_until`.
    #[serde(default)]
    pub claimed_by: String,
    #[serde(default)]
    pub claimed_until: Option<DateTime<Utc>>,
    /// Resolution attempts that failed (kept for the status and the logs).
    #[serde(default)]
    pub attempts: u32,
}

impl RepairRecord {
    /// A record for `repair`, due when the owner's deadline (or, without
    /// one, `fallback`) and the [`grace`] have passed.
    pub fn new(repair: Repair, fallback: Duration) -> Self {
        let now = Utc::now();
        let owner = crate::deadline::remaining()
            .and_then(|left| Duration::from_std(left).ok())
            .unwrap_or(fallback);
        Self {
            repair,
            created_at: now,
            due_at: now + owner + grace(),
            claimed_by: String::new(),
            claimed_until: None,
            attempts: 0,
        }
    }

    /// A record due at once (nobody owns the step: a kept webhook event).
    pub fn due_now(repair: Repair) -> Self {
        let now = Utc::now();
        Self {
            repair,
            created_at: now,
            due_at: now,
            claimed_by: String::new(),
            claimed_until: None,
            attempts: 0,
        }
    }

    /// Due now, and not claimed by a run that is still within its lease.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.due_at <= now && self.claimed_until.is_none_or(|until| until <= now)
    }
}

pub fn repair_key(id: &str) -> Key {
    Key::new(REPAIR_PK, id)
}

/// Writes the record (it must not exist yet).
pub fn open_repair(record: &RepairRecord) -> Write {
    let mut item = to_item(&repair_key(&record.repair.id()), record);
    // Kept at most a week after it was due: a record nobody could resolve
    // by then is dropped by the store (and was logged by every run).
    let expires = record.due_at + Duration::days(7);
    item.insert(TTL_ATTRIBUTE.into(), json!(expires.timestamp()));
    Write::put_if(item, Condition::NotExists)
}

/// Writes an outbox record ([`Repair::Enqueue`]), replacing one for the
/// same job: sending a job twice is harmless (the archiver does a file once).
pub fn open_outbox(record: &RepairRecord) -> Write {
    let mut item = to_item(&repair_key(&record.repair.id()), record);
    let expires = record.due_at + Duration::days(7);
    item.insert(TTL_ATTRIBUTE.into(), json!(expires.timestamp()));
    Write::put(item)
}

/// Deletes the record as its owner, finishing its step: only while no
/// maintenance run has claimed it (a run that did is undoing the step, so
/// the owner's batch must fail instead of committing what is being undone).
pub fn close_repair(repair: &Repair) -> Write {
    Write::delete_if(
        repair_key(&repair.id()),
        Condition::AttrEquals("claimedBy".into(), json!("")),
    )
}

/// Deletes the record if the run `claim` still holds it.
pub fn close_claimed(repair: &Repair, claim: &str) -> Write {
    Write::delete_if(
        repair_key(&repair.id()),
        Condition::AttrEquals("claimedBy".into(), json!(claim)),
    )
}

#[derive(Clone)]
pub struct RepairRepo {
    store: Arc<dyn Store>,
}

impl RepairRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn write(&self, writes: Vec<Write>) -> Result<(), RepoError> {
        Ok(super::transact(self.store.as_ref(), writes).await?)
    }

    /// Records in id order, at most `limit` (an unreadable one is logged and skipped).
    pub async fn all(&self, limit: usize) -> Result<Vec<RepairRecord>, RepoError> {
        let query = Query::new(REPAIR_PK, SkRange::AtLeast("a".into()), PAGE.min(limit));
        let mut records = Vec::new();
        paging::walk(self.store.as_ref(), query, |item| {
            match from_item::<RepairRecord>(item) {
                Ok(record) => records.push(record),
                Err(e) => tracing::error!(error = %e, "an unreadable repair record is skipped"),
            }
            Ok(if records.len() >= limit {
                paging::Walk::Stop
            } else {
                paging::Walk::Continue
            })
        })
        .await?;
        Ok(records)
    }

    /// Claims an open record for the run `claim` until `until`: `false`
    /// when another run claimed it first (or it is gone).
    pub async fn claim(
        &self,
        record: &RepairRecord,
        claim: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut claimed = record.clone();
        claimed.claimed_by = claim.to_owned();
        claimed.claimed_until = Some(until);
        claimed.attempts = record.attempts + 1;
        let key = repair_key(&record.repair.id());
        let mut item = to_item(&key, &claimed);
        let expires = record.due_at + Duration::days(7);
        item.insert(TTL_ATTRIBUTE.into(), json!(expires.timestamp()));
        let write = Write::put_if(
            item,
            Condition::AttrEquals("claimedBy".into(), json!(record.claimed_by)),
        );
        match self.write(vec![write]).await {
            Ok(()) => Ok(true),
            Err(RepoError::Store(crate::store::StoreError::ConditionFailed { .. })) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The record with this id, if any.
    pub async fn get(&self, id: &str) -> Result<Option<RepairRecord>, RepoError> {
        Ok(super::get_record(self.store.as_ref(), &repair_key(id)).await?)
    }
}
