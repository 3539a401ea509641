//! Idempotency records (`ACADEMY#{a}` / `IDEMPOTENCY#{key}`, 24 h): the first
//! request with a key owns it until it stores its response; later ones with
//! the same body get that response, with another body a refusal.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{RepoError, from_item, keys, to_item};
use crate::store::{Condition, Store, StoreError, TTL_ATTRIBUTE, Write};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub attempt: String,
    pub state: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub body: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub ttl: i64,
}

#[derive(Debug)]
pub enum Begin {
    /// This request runs; `attempt` identifies it.
    Owner { attempt: String },
    /// The first request finished: answer as it did.
    Replay { status: u16, body: Value },
    /// Same key, other body.
    Mismatch,
    /// The first request is still running.
    InProgress,
}

#[derive(Clone)]
pub struct IdempotencyRepo {
    store: Arc<dyn Store>,
}

fn attempt_is(attempt: &str) -> Condition {
    Condition::AttrEquals("attempt".into(), json!(attempt))
}

impl IdempotencyRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    fn pending(hash: &str, now: DateTime<Utc>) -> IdempotencyRecord {
        IdempotencyRecord {
            request_hash: hash.to_owned(),
            attempt: ulid::Ulid::new().to_string(),
            state: "pending".into(),
            status: None,
            body: None,
            created_at: now,
            ttl: (now + RETENTION).timestamp(),
        }
    }

    /// Claims the key, or says what the earlier request with it did.
    /// An owner that has been silent longer than `stale_after` (it crashed) is replaced.
    pub async fn begin(
        &self,
        academy_id: &str,
        key: &str,
        hash: &str,
        stale_after: Duration,
    ) -> Result<Begin, RepoError> {
        let k = keys::idempotency(academy_id, key);
        for _ in 0..5 {
            let now = Utc::now();
            let fresh = Self::pending(hash, now);
            let claim = Write::put_if(to_item(&k, &fresh), Condition::NotExists);
            match self.store.transact(vec![claim]).await {
                Ok(()) => {
                    return Ok(Begin::Owner {
                        attempt: fresh.attempt,
                    });
                }
                Err(StoreError::ConditionFailed { .. }) | Err(StoreError::Contention) => {}
                Err(e) => return Err(e.into()),
            }
            let Some(item) = self.store.get(&k).await? else {
                continue; // removed meanwhile: claim again
            };
            let existing: IdempotencyRecord = from_item(item)?;
            let expired = existing.ttl <= now.timestamp();
            let abandoned = existing.state == "pending" && now - existing.created_at > stale_after;
            if expired || (abandoned && existing.request_hash == hash) {
                let take = Write::put_if(to_item(&k, &fresh), attempt_is(&existing.attempt));
                match self.store.transact(vec![take]).await {
                    Ok(()) => {
                        return Ok(Begin::Owner {
                            attempt: fresh.attempt,
                        });
                    }
                    Err(StoreError::ConditionFailed { .. }) | Err(StoreError::Contention) => {
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if existing.request_hash != hash {
                return Ok(Begin::Mismatch);
            }
            return Ok(
                match (existing.state.as_str(), existing.status, existing.body) {
                    ("done", Some(status), Some(body)) => Begin::Replay { status, body },
                    _ => Begin::InProgress,
                },
            );
        }
        Ok(Begin::InProgress)
    }

    /// The write that stores the response (part of the request's last transaction).
    pub fn finish(
        academy_id: &str,
        key: &str,
        attempt: &str,
        hash: &str,
        status: u16,
        body: &impl Serialize,
    ) -> Write {
        let now = Utc::now();
        let body = serde_json::to_value(body).expect("records serialise to JSON");
        let record = IdempotencyRecord {
            request_hash: hash.to_owned(),
            attempt: attempt.to_owned(),
            state: "done".into(),
            status: Some(status),
            body: Some(body),
            created_at: now,
            ttl: (now + RETENTION).timestamp(),
        };
        let item = to_item(&keys::idempotency(academy_id, key), &record);
        debug_assert!(item.contains_key(TTL_ATTRIBUTE));
        Write::put_if(item, attempt_is(attempt))
    }

    /// Gives the key up (the request failed): a retry may run again.
    pub async fn abandon(
        &self,
        academy_id: &str,
        key: &str,
        attempt: &str,
    ) -> Result<(), RepoError> {
        let write = Write::delete_if(keys::idempotency(academy_id, key), attempt_is(attempt));
        match self.store.transact(vec![write]).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
