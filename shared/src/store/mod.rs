//! The storage port: the few operations DynamoDB itself offers (get, query a
//! partition by sort-key range with paging, an atomic batch of conditional
//! writes), and two implementations that give the same guarantees.

mod dynamo;
mod embedded;
mod in_time;

pub use dynamo::{DynamoStore, TTL_ATTRIBUTE};
pub use embedded::EmbeddedStore;
pub use in_time::InTime;

use async_trait::async_trait;
use serde_json::{Map, Value};

/// An item: a JSON object holding the string attributes `pk` and `sk`.
pub type Item = Map<String, Value>;

/// Attribute names of the key.
pub const PK: &str = "pk";
pub const SK: &str = "sk";

/// At most this many writes in one atomic batch (DynamoDB's TransactWriteItems limit).
pub const MAX_BATCH: usize = 100;
/// At most this many keys in one BatchGetItem call; [`Store::batch_get`]
/// takes any number and splits them.
pub const MAX_BATCH_GET: usize = 100;
/// DynamoDB's limits on key values (UTF-8 bytes), enforced by both stores
/// alike on every request, reads included: DynamoDB refuses an over-long key
/// in a GetItem or a Query as it does in a write (moto does not check reads).
pub const MAX_PK_BYTES: usize = 2048;
pub const MAX_SK_BYTES: usize = 1024;
/// The largest item both stores take, as counted by [`item_size`].
///
/// DynamoDB's limit is 400 KB (409,600 bytes by its count); moto refuses
/// items over 405,000 bytes by a count that never exceeds ours. Refusing
/// above 400,000 by our count (an upper bound of both) makes the boundary
/// one and the same on the embedded store, on moto and on DynamoDB: what
/// one store takes, every store takes.
pub const MAX_ITEM_BYTES: usize = 400_000;
/// DynamoDB refuses a transaction whose items add up to more than 4 MB
/// (moto does not check): both stores refuse above 4,000,000 bytes by
/// [`item_size`] (for an update: the attributes it sets and the key).
pub const MAX_BATCH_BYTES: usize = 4_000_000;

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

    /// The items with these keys, strongly consistent: each item found once
    /// (duplicate keys are read once), missing ones absent, **in key order**
    /// (by `pk`, then `sk`; DynamoDB answers in no particular order, so the
    /// order of `keys` is not kept: map the answer by [`Key::of`]). Any
    /// number of keys; DynamoDB reads them [`MAX_BATCH_GET`] at a time.
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>>;

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
    let mut batch_bytes = 0;
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| StoreError::Invalid("item without string pk and sk".into()))?;
        validate_key(&key)?;
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
                // The attributes set and the key: the least the item will
                // hold (the embedded store checks the whole updated item).
                let mut least = set.clone();
                least.insert(PK.into(), Value::String(key.pk.clone()));
                least.insert(SK.into(), Value::String(key.sk.clone()));
                batch_bytes += check_item_size(&least)?;
            }
            Write::Put { item, .. } => batch_bytes += check_item_size(item)?,
            _ => {}
        }
        keys.push(key);
    }
    if batch_bytes > MAX_BATCH_BYTES {
        return Err(StoreError::Invalid(format!(
            "items of {batch_bytes} bytes in one batch (max {MAX_BATCH_BYTES})"
        )));
    }
    Ok(keys)
}

/// The size of an item as DynamoDB counts it, rounded up where DynamoDB's
/// own count is approximate, so never below DynamoDB's count nor moto's:
///
/// - an item: the sum over its attributes of the name's UTF-8 bytes plus the
///   value's size;
/// - a string: its UTF-8 bytes; a boolean or null: 1;
/// - a number: the characters of its decimal text plus 1 (DynamoDB: about
///   one byte per two significant digits plus one; moto: the characters);
/// - a list: 3 + for each element, 1 + its size; a map: 3 + for each entry,
///   1 + the key's UTF-8 bytes + the value's size (DynamoDB's documented
///   overheads; moto counts none).
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 1,
        Value::Number(n) => n.to_string().len() + 1,
        Value::String(s) => s.len(),
        Value::Array(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        Value::Object(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
    }
}

/// Refuses an item over [`MAX_ITEM_BYTES`]; its size otherwise.
pub(crate) fn check_item_size(item: &Item) -> StoreResult<usize> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item of {size} bytes (max {MAX_ITEM_BYTES})"
        )));
    }
    Ok(size)
}

fn check_pk(pk: &str) -> StoreResult<()> {
    if pk.is_empty() {
        return Err(StoreError::Invalid("empty pk".into()));
    }
    if pk.len() > MAX_PK_BYTES {
        return Err(StoreError::Invalid(format!(
            "pk of {} bytes (max {MAX_PK_BYTES})",
            pk.len()
        )));
    }
    Ok(())
}

fn check_sk(what: &str, sk: &str) -> StoreResult<()> {
    if sk.is_empty() {
        return Err(StoreError::Invalid(format!("empty {what}")));
    }
    if sk.len() > MAX_SK_BYTES {
        return Err(StoreError::Invalid(format!(
            "{what} of {} bytes (max {MAX_SK_BYTES})",
            sk.len()
        )));
    }
    Ok(())
}

/// Refuses a key DynamoDB refuses in any request: an empty or over-long
/// `pk` or `sk` (a `ValidationException` there).
pub(crate) fn validate_key(key: &Key) -> StoreResult<()> {
    check_pk(&key.pk)?;
    check_sk("sk", &key.sk)
}

/// Refuses a query DynamoDB refuses for its key values: the partition key
/// and each bound of the range are key values, empty or over-long ones are a
/// `ValidationException` there; so is an over-long cursor.
pub(crate) fn validate_query(query: &Query) -> StoreResult<()> {
    check_pk(&query.pk)?;
    match &query.range {
        SkRange::BeginsWith(prefix) => check_sk("sort key prefix", prefix)?,
        SkRange::Between(lo, hi) => {
            check_sk("sort key bound", lo)?;
            check_sk("sort key bound", hi)?;
        }
        SkRange::AtLeast(lo) => check_sk("sort key bound", lo)?,
    }
    // A cursor is a sort key of an earlier page: over-long, it is refused
    // wherever it falls. An empty one is before every sort key (nothing is
    // sent to DynamoDB for a cursor outside the range), so it stays allowed.
    if let Some(after) = query.after.as_ref().filter(|a| !a.is_empty()) {
        check_sk("cursor", after)?;
    }
    Ok(())
}

/// The keys of a batch read, each valid, sorted and deduplicated.
pub(crate) fn validate_keys(keys: &[Key]) -> StoreResult<Vec<Key>> {
    keys.iter().try_for_each(validate_key)?;
    let mut keys = keys.to_vec();
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// Sorts the answer of a batch read by key (the order [`Store::batch_get`] promises).
pub(crate) fn sort_by_key(items: &mut [Item]) {
    items.sort_by(|a, b| {
        let key = |i: &Item| {
            (
                i.get(PK).and_then(Value::as_str).map(str::to_owned),
                i.get(SK).and_then(Value::as_str).map(str::to_owned),
            )
        };
        key(a).cmp(&key(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        match v {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn item_size_counts_names_and_values() {
        // Names + UTF-8 bytes of strings.
        assert_eq!(
            item_size(&item(json!({"pk": "p", "sk": "ñ"}))),
            2 + 1 + 2 + 2
        );
        // Numbers: their text plus one; booleans and null: one.
        assert_eq!(
            item_size(&item(json!({"n": 12345, "b": true, "z": null}))),
            1 + 6 + 1 + 1 + 1 + 1
        );
        assert_eq!(item_size(&item(json!({"f": -2.5}))), 1 + 5);
        // Lists and maps: 3 bytes, plus one per element.
        assert_eq!(item_size(&item(json!({"l": []}))), 1 + 3);
        assert_eq!(
            item_size(&item(json!({"l": ["ab", 1]}))),
            1 + 3 + (1 + 2) + (1 + 2)
        );
        assert_eq!(
            item_size(&item(json!({"m": {"k": "v"}}))),
            1 + 3 + (1 + 1 + 1)
        );
    }

    #[test]
    fn writes_over_the_limits_are_invalid() {
        let sized = |n: usize| {
            let mut i = item(json!({"pk": "p", "sk": "s", "d": ""}));
            let base = item_size(&i);
            i.insert("d".into(), Value::String("x".repeat(n - base)));
            i
        };
        assert!(validate_batch(&[Write::put(sized(MAX_ITEM_BYTES))]).is_ok());
        assert!(matches!(
            validate_batch(&[Write::put(sized(MAX_ITEM_BYTES + 1))]),
            Err(StoreError::Invalid(_))
        ));
        let long = |n| "k".repeat(n);
        assert!(validate_key(&Key::new(long(MAX_PK_BYTES), long(MAX_SK_BYTES))).is_ok());
        assert!(validate_key(&Key::new(long(MAX_PK_BYTES + 1), "s")).is_err());
        assert!(validate_key(&Key::new("p", long(MAX_SK_BYTES + 1))).is_err());
        // Bytes, not characters.
        assert!(validate_key(&Key::new("p", "é".repeat(MAX_SK_BYTES / 2 + 1))).is_err());
    }
}
