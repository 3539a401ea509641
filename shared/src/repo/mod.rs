//! Repositories: the application's records written once over the storage port,
//! so both store implementations behave the same.

pub mod keys;
pub mod licenses;

pub use licenses::{LicensePage, LicenseRepo};

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

/// Reads a record back from an item (key attributes and unknown attributes ignored).
pub(crate) fn from_item<T: serde::de::DeserializeOwned>(
    item: crate::store::Item,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::Object(item))
        .map_err(|e| StoreError::Unavailable(format!("unreadable record: {e}")))
}
