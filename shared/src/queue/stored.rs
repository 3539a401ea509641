//! A durable job queue in the store (`JOBQ` / `{job id}`; given-up jobs in
//! `JOBQ-DEAD`): enqueued atomically with the record that creates the
//! work, received by a conditional claim (a fresh receipt and a visibility
//! time), so two workers never hold one job and a worker that died gives
//! its job back when the visibility ends.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;

use super::{ArchiveJob, Delivery, JobQueue, QueueError};
use crate::repo::{get_record_of, to_item_of};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Write};

pub const QUEUE_PK: &str = "JOBQ";
pub const DEAD_PK: &str = "JOBQ-DEAD";
/// Jobs looked at per receive.
const SCAN: usize = 100;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    job: ArchiveJob,
    /// Milliseconds since the epoch from which it may be received.
    visible_at: i64,
    receive_count: u32,
    /// Empty until received; each receive sets a fresh one.
    receipt: String,
}

#[derive(Clone)]
pub struct StoreQueue {
    store: Arc<dyn Store>,
    wake: Arc<Notify>,
}

fn unavailable(e: StoreError) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn key(job_id: &str) -> Key {
    Key::new(QUEUE_PK, job_id)
}

/// The job is still this delivery's.
fn held_by(delivery: &Delivery) -> Condition {
    Condition::AttrEquals("receipt".into(), json!(delivery.receipt))
}

impl StoreQueue {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            wake: Arc::new(Notify::new()),
        }
    }

    fn entry_item(entry: &Entry) -> Item {
        to_item_of(&key(&entry.job.id()), entry)
    }

    /// The first visible job, claimed; none when there is none now.
    async fn claim_next(&self, visibility: Duration) -> Result<Option<Delivery>, QueueError> {
        let items = self
            .store
            .query(&Query::new(QUEUE_PK, SkRange::AtLeast("!".into()), SCAN))
            .await
            .map_err(unavailable)?;
        let now = Utc::now().timestamp_millis();
        for item in items {
            let Ok(entry) = serde_json::from_value::<Entry>(item.into()) else {
                continue;
            };
            if entry.visible_at > now {
                continue;
            }
            let mut claimed = entry.clone();
            claimed.receipt = ulid::Ulid::new().to_string();
            claimed.receive_count += 1;
            claimed.visible_at = now + visibility.as_millis() as i64;
            let write = Write::put_if(
                Self::entry_item(&claimed),
                Condition::AttrEquals("receipt".into(), json!(entry.receipt)),
            );
            match self.store.transact(vec![write]).await {
                Ok(()) => {
                    return Ok(Some(Delivery {
                        job: claimed.job,
                        receipt: claimed.receipt,
                        receive_count: claimed.receive_count,
                    }));
                }
                // Another worker took it (or it changed): the next one.
                Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(None)
    }

    async fn held(&self, delivery: &Delivery) -> Result<Option<Entry>, QueueError> {
        let entry: Option<Entry> = get_record_of(self.store.as_ref(), &key(&delivery.job.id()))
            .await
            .map_err(unavailable)?;
        Ok(entry.filter(|e| e.receipt == delivery.receipt))
    }

    /// Runs `writes` (each conditional on [`held_by`]); a later receipt that
    /// has the job now (this one's visibility ended) keeps it.
    async fn settle(&self, writes: Vec<Write>) -> Result<(), QueueError> {
        match self.store.transact(writes).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Jobs waiting (or being worked on), and given up.
    pub async fn depth(&self) -> Result<(usize, usize), QueueError> {
        let count = |pk: &'static str| async move {
            crate::repo::paging::collect::<serde_json::Value>(
                self.store.as_ref(),
                Query::new(pk, SkRange::AtLeast("!".into()), 1000),
            )
            .await
            .map(|v| v.len())
        };
        let live = count(QUEUE_PK)
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        let dead = count(DEAD_PK)
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        Ok((live, dead))
    }
}

#[async_trait]
impl JobQueue for StoreQueue {
    fn in_batch(&self, job: &ArchiveJob) -> Option<Write> {
        let entry = Entry {
            job: job.clone(),
            visible_at: 0,
            receive_count: 0,
            receipt: String::new(),
        };
        // Put whole: a job enqueued again (POST .../archive) starts afresh.
        Some(Write::put(Self::entry_item(&entry)))
    }

    async fn send(&self, _job: &ArchiveJob) -> Result<(), QueueError> {
        self.wake.notify_one();
        Ok(())
    }

    async fn receive(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Delivery>, QueueError> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            // Registered before looking, so a send in between is not missed.
            let woken = self.wake.notified();
            if let Some(delivery) = self.claim_next(visibility).await? {
                return Ok(Some(delivery));
            }
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            // A job due later (a backoff) is found by the next look: look
            // again within a second at most.
            let _ = tokio::time::timeout(left.min(Duration::from_secs(1)), woken).await;
        }
    }

    async fn done(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let write = Write::delete_if(key(&delivery.job.id()), held_by(delivery));
        self.settle(vec![write]).await
    }

    async fn retry_after(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError> {
        let Some(mut entry) = self.held(delivery).await? else {
            return Ok(());
        };
        entry.visible_at = Utc::now().timestamp_millis() + delay.as_millis() as i64;
        let write = Write::put_if(Self::entry_item(&entry), held_by(delivery));
        self.settle(vec![write]).await
    }

    async fn dead(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let Some(entry) = self.held(delivery).await? else {
            return Ok(());
        };
        let dead = to_item_of(&Key::new(DEAD_PK, delivery.job.id()), &entry);
        let gone = Write::delete_if(key(&delivery.job.id()), held_by(delivery));
        self.settle(vec![Write::put(dead), gone]).await
    }
}
