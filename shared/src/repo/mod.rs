//! Repositories: the application's records written once over the storage port,
//! so both store implementations behave the same.

pub mod archives;
pub mod idempotency;
pub mod keys;
pub mod licenses;
pub mod meetings;
pub mod paging;
pub mod reconcile;
pub mod recordings;
pub mod repairs;
pub mod schedule;
pub mod series;

pub use licenses::{LicensePage, LicenseRepo};

use crate::backoff::{Backoff, Jitter};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("name taken")]
    NameTaken,
    #[error("changed by somebody else")]
    VersionConflict,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs a batch, repeating it a few times when it lost a race with another
/// transaction on the same items (DynamoDB's `TransactionConflict`): the
/// conditions are checked again each time, so repeating is safe.
pub(crate) async fn transact(
    store: &dyn crate::store::Store,
    writes: Vec<crate::store::Write>,
) -> Result<(), StoreError> {
    const ATTEMPTS: u32 = 4;
    const BACKOFF: Backoff = Backoff::new(
        std::time::Duration::from_millis(40),
        std::time::Duration::from_secs(1),
        Jitter::Equal,
    );
    let mut attempt = 0;
    loop {
        match store.transact(writes.clone()).await {
            Err(StoreError::Contention)
                if attempt + 1 < ATTEMPTS && BACKOFF.wait(attempt).await =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Converts a record to an item with the given key.
pub(crate) fn to_item<T: serde::Serialize>(
    key: &crate::store::Key,
    record: &T,
) -> crate::store::Item {
    let mut item = match serde_json::to_value(record) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => unreachable!("records serialise to JSON objects"),
    };
    item.insert(crate::store::PK.into(), key.pk.clone().into());
    item.insert(crate::store::SK.into(), key.sk.clone().into());
    item
}

/// The record with this key, decoded straight from the stored JSON (key
/// attributes and unknown attributes ignored).
pub(crate) async fn get_record<T: serde::de::DeserializeOwned>(
    store: &dyn crate::store::Store,
    key: &crate::store::Key,
) -> Result<Option<T>, StoreError> {
    match store.get_json(key).await? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Unavailable(format!("unreadable record: {e}"))),
        None => Ok(None),
    }
}

/// Reads a record back from an item (key attributes and unknown attributes ignored).
pub(crate) fn from_item<T: serde::de::DeserializeOwned>(
    item: crate::store::Item,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::Object(item))
        .map_err(|e| StoreError::Unavailable(format!("unreadable record: {e}")))
}

/// A record read for a use case outside the repositories' own records.
pub async fn get_record_of<T: serde::de::DeserializeOwned>(
    store: &dyn crate::store::Store,
    key: &crate::store::Key,
) -> Result<Option<T>, StoreError> {
    get_record(store, key).await
}

/// A record as an item with this key, for a use case's own small records.
pub fn to_item_of<T: serde::Serialize>(key: &crate::store::Key, record: &T) -> crate::store::Item {
    to_item(key, record)
}
