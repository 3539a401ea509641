//! When to reconcile a meeting with Zoom's reports (`RECONCILE` /
//! `{due}#{academy}#{meeting}`): written with the meeting's commit, due a
//! quarter of an hour after its scheduled end, read by `maintenance` in due
//! order (a range query up to now: future meetings are never read), claimed
//! before it is worked on, moved later while Zoom has no report yet.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{RepoError, from_item, keys, to_item};
use crate::store::{Condition, Key, Query, SkRange, Store, StoreError, TTL_ATTRIBUTE, Write};

pub const RECONCILE_PK: &str = "RECONCILE";
/// After the scheduled end, the first look at Zoom's report.
pub const AFTER_END: Duration = Duration::minutes(15);
/// Records read per run at most.
const PER_RUN: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconcile {
    pub academy_id: String,
    pub meeting_id: String,
    pub due_at: DateTime<Utc>,
    /// Failed looks so far (Zoom had no report yet, or refused it).
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub claimed_by: String,
    /// A claim is given up after this (its run died).
    #[serde(default)]
    pub claimed_until: Option<DateTime<Utc>>,
}

impl Reconcile {
    pub fn new(academy_id: &str, meeting_id: &str, due_at: DateTime<Utc>) -> Self {
        Self {
            academy_id: academy_id.to_owned(),
            meeting_id: meeting_id.to_owned(),
            due_at,
            attempts: 0,
            claimed_by: String::new(),
            claimed_until: None,
        }
    }

    /// Claimed by a run that is still within its lease.
    pub fn is_claimed(&self, now: DateTime<Utc>) -> bool {
        !self.claimed_by.is_empty() && self.claimed_until.is_some_and(|until| until > now)
    }

    fn key(&self) -> Key {
        Key::new(
            RECONCILE_PK,
            format!(
                "{}#{}#{}",
                keys::key_time(&self.due_at),
                self.academy_id,
                self.meeting_id
            ),
        )
    }

    fn item(&self) -> crate::store::Item {
        let mut item = to_item(&self.key(), self);
        // Nothing is reconciled more than a month after it was due.
        let expires = self.due_at + Duration::days(31);
        item.insert(TTL_ATTRIBUTE.into(), json!(expires.timestamp()));
        item
    }
}

/// The record of a meeting that ends at `end` (written with its commit).
pub fn schedule_reconcile(academy_id: &str, meeting_id: &str, end: DateTime<Utc>) -> Write {
    reconcile_at(academy_id, meeting_id, end + AFTER_END)
}

/// A reconciliation due at `due` (e.g. when `meeting.ended` came).
pub fn reconcile_at(academy_id: &str, meeting_id: &str, due: DateTime<Utc>) -> Write {
    Write::put(Reconcile::new(academy_id, meeting_id, due).item())
}

#[derive(Clone)]
pub struct ReconcileRepo {
    store: Arc<dyn Store>,
}

impl ReconcileRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Records due by `now`, earliest first.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<Reconcile>, RepoError> {
        let range = SkRange::Between("0".into(), format!("{}~", keys::key_time(&now)));
        let items = self
            .store
            .query(&Query::new(RECONCILE_PK, range, PER_RUN))
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|item| from_item::<Reconcile>(item).ok())
            .collect())
    }

    /// Claims a record for the run `claim` until `until`; `false` when
    /// another run has it.
    pub async fn claim(
        &self,
        record: &Reconcile,
        claim: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let mut claimed = record.clone();
        claimed.claimed_by = claim.to_owned();
        claimed.claimed_until = Some(until);
        let write = Write::put_if(
            claimed.item(),
            Condition::AttrEquals("claimedBy".into(), json!(record.claimed_by)),
        );
        self.settle(vec![write]).await
    }

    /// Done with it: the record goes (with `also`, in the same batch).
    pub async fn finish(
        &self,
        record: &Reconcile,
        claim: &str,
        also: Vec<Write>,
    ) -> Result<bool, RepoError> {
        let mut writes = vec![Write::delete_if(
            record.key(),
            Condition::AttrEquals("claimedBy".into(), json!(claim)),
        )];
        writes.extend(also);
        self.settle(writes).await
    }

    /// Not yet: looked at again from `until` on (unclaimed).
    pub async fn postpone(
        &self,
        record: &Reconcile,
        claim: &str,
        until: DateTime<Utc>,
        failed: bool,
    ) -> Result<bool, RepoError> {
        let mut later = record.clone();
        later.due_at = until;
        later.claimed_by = String::new();
        later.claimed_until = None;
        later.attempts += u32::from(failed);
        if later.key() == record.key() {
            let write = Write::put_if(
                later.item(),
                Condition::AttrEquals("claimedBy".into(), json!(claim)),
            );
            return self.settle(vec![write]).await;
        }
        self.finish(record, claim, vec![Write::put(later.item())])
            .await
    }

    /// `false` when a condition failed (another run got there first).
    async fn settle(&self, writes: Vec<Write>) -> Result<bool, RepoError> {
        match super::transact(self.store.as_ref(), writes).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
