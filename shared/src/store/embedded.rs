//! The embedded store: one redb file, ACID, surviving restarts. Writers are
//! serialised by redb, so a batch checks its conditions and applies its writes
//! in one write transaction with nobody in between.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde_json::Value;

use super::{
    Item, Key, PK, Query, SK, SkRange, Store, StoreError, StoreResult, Write, check_item_size,
    validate_batch, validate_key, validate_keys, validate_query,
};

const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "store.redb";

const OPEN_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
const OPEN_RETRY: std::time::Duration = std::time::Duration::from_millis(25);

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
}

impl EmbeddedStore {
    /// Opens (or creates) `store.redb` in `data_dir`, creating the directory.
    pub fn open(data_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(unavailable)?;
        let path = data_dir.join(DB_FILE);
        // A process (or server) that is shutting down may hold the file for a
        // moment longer: wait a little before calling it a conflict.
        let mut waited = std::time::Duration::ZERO;
        let db = loop {
            match Database::create(&path) {
                Ok(db) => break db,
                Err(redb::DatabaseError::DatabaseAlreadyOpen) if waited < OPEN_WAIT => {
                    std::thread::sleep(OPEN_RETRY);
                    waited += OPEN_RETRY;
                }
                Err(e) => return Err(unavailable(format!("{}: {e}", path.display()))),
            }
        };
        let txn = db.begin_write().map_err(unavailable)?;
        txn.open_table(ITEMS).map_err(unavailable)?;
        txn.commit().map_err(unavailable)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// The stored bytes of one item, read in a read transaction on the
    /// calling task and turned into `T` by `f`.
    fn read<T>(
        &self,
        key: &Key,
        f: impl FnOnce(&[u8]) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let txn = self.db.begin_read().map_err(unavailable)?;
        let table = txn.open_table(ITEMS).map_err(unavailable)?;
        let found = table
            .get((key.pk.as_str(), key.sk.as_str()))
            .map_err(unavailable)?;
        found.map(|v| f(v.value())).transpose()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(unavailable)?
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn decode(bytes: &[u8]) -> StoreResult<Item> {
    serde_json::from_slice(bytes).map_err(unavailable)
}

fn encode(item: &Item) -> Vec<u8> {
    serde_json::to_vec(item).expect("a JSON map always serialises")
}

/// A range read in one read transaction (see `get` for why it runs inline).
fn run_query(db: &Database, query: &Query) -> StoreResult<Vec<Item>> {
    let txn = db.begin_read().map_err(unavailable)?;
    let table = txn.open_table(ITEMS).map_err(unavailable)?;
    let pk = query.pk.as_str();
    let (lo, hi): (&str, Option<&str>) = match &query.range {
        SkRange::BeginsWith(prefix) => (prefix, None),
        SkRange::Between(lo, hi) => (lo, Some(hi)),
        SkRange::AtLeast(lo) => (lo, None),
    };
    let range = table.range((pk, lo)..).map_err(unavailable)?;
    let past_cursor = |sk: &str| match &query.after {
        None => true,
        Some(after) if query.descending => sk < after.as_str(),
        Some(after) => sk > after.as_str(),
    };
    // Ascending: stream from the lower bound and stop at the limit.
    // Descending: collect the range, then walk it backwards.
    let mut selected = Vec::new();
    let mut rows = Vec::new();
    for entry in range {
        let (k, v) = entry.map_err(unavailable)?;
        let (entry_pk, sk) = k.value();
        if entry_pk != pk || !query.range.contains(sk) || hi.is_some_and(|hi| sk > hi) {
            break;
        }
        if query.descending {
            rows.push((sk.to_owned(), v.value().to_vec()));
        } else if past_cursor(sk) {
            selected.push(decode(v.value())?);
            if selected.len() >= query.limit {
                break;
            }
        }
    }
    for (sk, bytes) in rows.iter().rev() {
        if selected.len() >= query.limit {
            break;
        }
        if past_cursor(sk) {
            selected.push(decode(bytes)?);
        }
    }
    Ok(selected)
}

#[async_trait]
impl Store for EmbeddedStore {
    // Reads run on the calling task: a redb read transaction takes no lock
    // and serves pages from its cache, so it costs microseconds; handing it
    // to the blocking pool cost two thread switches per read (a quarter of
    // the CPU of an attendee signature). Writes, which sync the file, still
    // go to the blocking pool.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        validate_key(key)?;
        self.read(key, decode)
    }

    async fn get_json(&self, key: &Key) -> StoreResult<Option<Vec<u8>>> {
        validate_key(key)?;
        self.read(key, |bytes| Ok(bytes.to_vec()))
    }

    /// One read transaction; keys sorted, so the answer is in key order.
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        let keys = validate_keys(keys)?;
        let txn = self.db.begin_read().map_err(unavailable)?;
        let table = txn.open_table(ITEMS).map_err(unavailable)?;
        let mut items = Vec::with_capacity(keys.len());
        for key in &keys {
            let found = table
                .get((key.pk.as_str(), key.sk.as_str()))
                .map_err(unavailable)?;
            if let Some(bytes) = found {
                items.push(decode(bytes.value())?);
            }
        }
        Ok(items)
    }

    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        validate_query(query)?;
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        run_query(&self.db, query)
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        let keys = validate_batch(&writes)?;
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(unavailable)?;
            {
                let mut table = txn.open_table(ITEMS).map_err(unavailable)?;
                let mut current = Vec::with_capacity(writes.len());
                let mut failed = Vec::new();
                for (index, (write, key)) in writes.iter().zip(&keys).enumerate() {
                    let existing = table
                        .get((key.pk.as_str(), key.sk.as_str()))
                        .map_err(unavailable)?
                        .map(|v| decode(v.value()))
                        .transpose()?;
                    if let Some(condition) = write.condition()
                        && !condition.holds(existing.as_ref())
                    {
                        failed.push(index);
                    }
                    current.push(existing);
                }
                if !failed.is_empty() {
                    // Dropping the transaction without commit aborts it.
                    return Err(StoreError::ConditionFailed { failed });
                }
                for ((write, key), existing) in writes.into_iter().zip(&keys).zip(current) {
                    let k = (key.pk.as_str(), key.sk.as_str());
                    match write {
                        Write::Put { item, .. } => {
                            table
                                .insert(k, encode(&item).as_slice())
                                .map_err(unavailable)?;
                        }
                        Write::Update { set, remove, .. } => {
                            let mut item = existing.unwrap_or_else(|| {
                                let mut fresh = Item::new();
                                fresh.insert(PK.into(), Value::String(key.pk.clone()));
                                fresh.insert(SK.into(), Value::String(key.sk.clone()));
                                fresh
                            });
                            item.extend(set);
                            for name in remove {
                                item.remove(&name);
                            }
                            // DynamoDB refuses an update that makes the item
                            // too large; dropping the transaction aborts it.
                            check_item_size(&item)?;
                            table
                                .insert(k, encode(&item).as_slice())
                                .map_err(unavailable)?;
                        }
                        Write::Delete { .. } => {
                            table.remove(k).map_err(unavailable)?;
                        }
                        Write::Check { .. } => {}
                    }
                }
            }
            txn.commit().map_err(unavailable)
        })
        .await
    }
}
