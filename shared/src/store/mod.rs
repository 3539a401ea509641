//! The storage port: the few operations DynamoDB itself offers (get, query a
//! partition by sort-key range with paging, an atomic batch of conditional
//! writes), and two implementations that give the same guarantees.

mod dynamo;
mod embedded;

pub use dynamo::{DynamoStore, TTL_ATTRIBUTE};
pub use embedded::EmbeddedStore;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// An item: a JSON object holding the string attributes `pk` and `sk`.
pub type Item = Map<String, Value>;

/// Attribute names of the key.
pub const PK: &str = "pk";
pub const SK: &str = "sk";

/// At most this many writes in one atomic batch (DynamoDB's TransactWriteItems limit).
pub const MAX_BATCH: usize = 100;
/// DynamoDB's limits on key and item sizes, enforced by both stores alike.
pub const MAX_PK_BYTES: usize = 2048;
pub const MAX_SK_BYTES: usize = 1024;
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item, if it has string `pk` and `sk` attributes.
    pub fn of(item: &Item) -> Option<Self> {
        Some(Self::new(
            item.get(PK)?.as_str()?,
            item.get(SK)?.as_str()?.to_owned(),
        ))
    }
}

/// A condition on the current state of one item, checked atomically with the batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The item must not exist.
    NotExists,
    /// The item must exist.
    Exists,
    /// The item must exist and its attribute must equal the value.
    AttrEquals(String, Value),
}

impl Condition {
    /// Whether the current item (or its absence) satisfies the condition.
    pub fn holds(&self, current: Option<&Item>) -> bool {
        match (self, current) {
            (Condition::NotExists, current) => current.is_none(),
            (Condition::Exists, current) => current.is_some(),
            (Condition::AttrEquals(name, value), Some(item)) => item.get(name) == Some(value),
            (Condition::AttrEquals(..), None) => false,
        }
    }
}

/// One write of an atomic batch.
#[derive(Debug, Clone)]
pub enum Write {
    /// Replace (or create) the whole item.
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    /// Set the given attributes (creating the item when absent) and remove others.
    Update {
        key: Key,
        set: Item,
        remove: Vec<String>,
        condition: Option<Condition>,
    },
    /// Delete the item (a no-op when absent, unless a condition says otherwise).
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Only check a condition on an item, writing nothing.
    Check { key: Key, condition: Condition },
}

impl Write {
    pub fn put(item: Item) -> Self {
        Write::Put {
            item,
            condition: None,
        }
    }

    pub fn put_if(item: Item, condition: Condition) -> Self {
        Write::Put {
            item,
            condition: Some(condition),
        }
    }

    pub fn delete_if(key: Key, condition: Condition) -> Self {
        Write::Delete {
            key,
            condition: Some(condition),
        }
    }

    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Update { key, .. } | Write::Delete { key, .. } | Write::Check { key, .. } => {
                Some(key.clone())
            }
        }
    }

    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Write::Put { condition, .. }
            | Write::Update { condition, .. }
            | Write::Delete { condition, .. } => condition.as_ref(),
            Write::Check { condition, .. } => Some(condition),
        }
    }
}

/// Which sort keys of a partition a query reads; bounds are inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkRange {
    BeginsWith(String),
    Between(String, String),
    AtLeast(String),
}

impl SkRange {
    pub fn contains(&self, sk: &str) -> bool {
        match self {
            SkRange::BeginsWith(prefix) => sk.starts_with(prefix.as_str()),
            SkRange::Between(lo, hi) => lo.as_str() <= sk && sk <= hi.as_str(),
            SkRange::AtLeast(lo) => lo.as_str() <= sk,
        }
    }
}

/// A query of one partition, in ascending or descending sort-key order.
#[derive(Debug, Clone)]
pub struct Query {
    pub pk: String,
    pub range: SkRange,
    /// Start strictly after (ascending) or before (descending) this sort key.
    pub after: Option<String>,
    /// Return at most this many items; fewer only when no more match.
    pub limit: usize,
    pub descending: bool,
}

impl Query {
    pub fn new(pk: impl Into<String>, range: SkRange, limit: usize) -> Self {
        Self {
            pk: pk.into(),
            range,
            after: None,
            limit,
            descending: false,
        }
    }

    pub fn after(mut self, sk: Option<String>) -> Self {
        self.after = sk;
        self
    }

    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// One or more conditions of the batch did not hold; nothing was written.
    /// `failed` lists the indexes of the writes whose condition failed, when known.
    #[error("condition failed for writes {failed:?}")]
    ConditionFailed { failed: Vec<usize> },
    /// Another transaction touched the same items at the same time; nothing was written.
    #[error("transaction conflict")]
    Contention,
    /// The request itself was not valid (a bug in the caller).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// The store could not be reached or failed; the outcome of a write is unknown.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether the write at `index` of the batch is known to have failed its condition.
    pub fn failed_at(&self, index: usize) -> bool {
        matches!(self, StoreError::ConditionFailed { failed } if failed.contains(&index))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The item with this key, strongly consistent.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;

    /// The item with this key as the bytes of a JSON object, for reads that
    /// decode straight into a record (no map in between). The default goes
    /// through [`Store::get`]; the embedded store hands over what it keeps.
    async fn get_json(&self, key: &Key) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .get(key)
            .await?
            .map(|item| serde_json::to_vec(&item).expect("a JSON map always serialises")))
    }

    /// Items of one partition within a sort-key range, in sort-key order.
    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>>;

    /// Apply every write or none: all conditions are checked against the state
    /// before the batch, atomically with the writes. At most [`MAX_BATCH`]
    /// writes, each to a distinct key.
    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()>;
}

/// Checks a batch the way DynamoDB does before sending it anywhere.
pub(crate) fn validate_batch(writes: &[Write]) -> StoreResult<Vec<Key>> {
    if writes.is_empty() {
        return Err(StoreError::Invalid("empty batch".into()));
    }
    if writes.len() > MAX_BATCH {
        return Err(StoreError::Invalid(format!(
            "{} writes in one batch (max {MAX_BATCH})",
            writes.len()
        )));
    }
    let mut keys = Vec::with_capacity(writes.len());
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| StoreError::Invalid("item without string pk and sk".into()))?;
        if key.pk.is_empty() || key.sk.is_empty() {
            return Err(StoreError::Invalid("empty pk or sk".into()));
        }
        if key.pk.len() > MAX_PK_BYTES || key.sk.len() > MAX_SK_BYTES {
            return Err(StoreError::Invalid("key too long".into()));
        }
        if keys.contains(&key) {
            return Err(StoreError::Invalid(format!(
                "two writes to one item ({}, {})",
                key.pk, key.sk
            )));
        }
        match write {
            Write::Update { set, remove, .. } => {
                if set.contains_key(PK)
                    || set.contains_key(SK)
                    || remove.iter().any(|a| a == PK || a == SK)
                {
                    return Err(StoreError::Invalid(
                        "an update may not change the key".into(),
                    ));
                }
                if set.is_empty() && remove.is_empty() {
                    return Err(StoreError::Invalid(
                        "an update with nothing to change".into(),
                    ));
                }
                if remove.iter().any(|a| set.contains_key(a)) {
                    return Err(StoreError::Invalid(
                        "an update may not set and remove one attribute".into(),
                    ));
                }
                if encoded_len(set) > MAX_ITEM_BYTES {
                    return Err(StoreError::Invalid("item larger than 400 KB".into()));
                }
            }
            Write::Put { item, .. } if encoded_len(item) > MAX_ITEM_BYTES => {
                return Err(StoreError::Invalid("item larger than 400 KB".into()));
            }
            _ => {}
        }
        keys.push(key);
    }
    Ok(keys)
}

/// Size of an item as JSON: close to (and not below) DynamoDB's own count.
fn encoded_len(item: &Item) -> usize {
    serde_json::to_vec(item).map_or(usize::MAX, |v| v.len())
}
