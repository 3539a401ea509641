//! Licenses and their per-academy name guards. The guard item
//! (`LICENSENAME#{lowercased name}`) makes names unique case-insensitively in
//! the same transaction that writes the license, and is the index the list
//! pages through in name order.

use std::collections::HashMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::paging::{Walk, sort_key, walk};
use super::{RepoError, from_item, get_record, keys, to_item};
use crate::domain::license::License;
#[cfg(doc)]
use crate::domain::license::LicenseKeys;
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Write};

#[derive(Clone)]
pub struct LicenseRepo {
    store: Arc<dyn Store>,
}

pub struct LicensePage {
    pub items: Vec<License>,
    /// The name key to continue after, when more licenses follow.
    pub next: Option<String>,
}

fn guard_item(license: &License) -> Item {
    let key = keys::license_name(&license.academy_id, &license.name_key());
    to_item(&key, &json!({ "licenseId": license.license_id }))
}

fn index_item(license: &License) -> Item {
    to_item(
        &keys::license_index(&license.license_id),
        &json!({ "academyId": license.academy_id }),
    )
}

/// A check that the license is still as read (status, capacity): booking
/// on it is decided on that.
pub fn unchanged(license: &License) -> Write {
    Write::Check {
        key: keys::license(&license.academy_id, &license.license_id),
        condition: version_is(license),
    }
}

fn version_is(license: &License) -> Condition {
    Condition::AttrEquals("version".into(), Value::from(license.version))
}

impl LicenseRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Writes a new license and claims its name, or neither.
    pub async fn insert(&self, license: &License) -> Result<(), RepoError> {
        self.insert_with(license, Vec::new()).await
    }

    /// Inserts the license with `extra` in the same transaction.
    pub async fn insert_with(&self, license: &License, extra: Vec<Write>) -> Result<(), RepoError> {
        let key = keys::license(&license.academy_id, &license.license_id);
        let mut writes = vec![
            Write::put_if(guard_item(license), Condition::NotExists),
            Write::put_if(to_item(&key, license), Condition::NotExists),
            Write::put(index_item(license)),
        ];
        writes.extend(extra);
        match super::transact(self.store.as_ref(), writes).await {
            Ok(()) => Ok(()),
            Err(e) if e.failed_at(0) => Err(RepoError::NameTaken),
            Err(StoreError::ConditionFailed { .. }) => Err(self.diagnose_name(license).await),
            Err(e) => Err(e.into()),
        }
    }

    /// The repair records, on the same store.
    pub fn repairs(&self) -> super::repairs::RepairRepo {
        super::repairs::RepairRepo::new(self.store.clone())
    }

    /// When a store does not say which condition failed, look.
    async fn diagnose_name(&self, license: &License) -> RepoError {
        let guard = keys::license_name(&license.academy_id, &license.name_key());
        match self.store.get(&guard).await {
            Ok(Some(item)) if item.get("licenseId") != Some(&license.license_id.clone().into()) => {
                RepoError::NameTaken
            }
            Ok(_) => RepoError::VersionConflict,
            Err(e) => e.into(),
        }
    }

    /// A license (or the part `T` of it) found by its id alone (webhooks carry no academy).
    pub async fn find<T: DeserializeOwned>(
        &self,
        license_id: &str,
    ) -> Result<Option<T>, RepoError> {
        let Some(index) = self.store.get(&keys::license_index(license_id)).await? else {
            return Ok(None);
        };
        match index.get("academyId").and_then(Value::as_str) {
            Some(academy_id) => self.get_as(academy_id, license_id).await,
            None => Ok(None),
        }
    }

    pub async fn get(
        &self,
        academy_id: &str,
        license_id: &str,
    ) -> Result<Option<License>, RepoError> {
        self.get_as(academy_id, license_id).await
    }

    /// The part `T` of a license record (e.g. [`LicenseKeys`]), nothing else decoded.
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        academy_id: &str,
        license_id: &str,
    ) -> Result<Option<T>, RepoError> {
        let key = keys::license(academy_id, license_id);
        Ok(get_record(self.store.as_ref(), &key).await?)
    }

    /// One page of an academy's licenses in name order, after the name key `after`.
    pub async fn list(
        &self,
        academy_id: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<LicensePage, RepoError> {
        let pk = keys::academy_pk(academy_id);
        let prefix = keys::LICENSE_NAME_PREFIX;
        let query = Query::new(pk, SkRange::BeginsWith(prefix.into()), limit + 1)
            .after(after.map(|name| format!("{prefix}{name}")));
        let mut guards = Vec::with_capacity(limit);
        let mut more = false;
        walk(self.store.as_ref(), query, |guard| {
            if guards.len() == limit {
                more = true;
                return Ok(Walk::Stop);
            }
            guards.push(guard);
            Ok(Walk::Continue)
        })
        .await?;
        let next = guards
            .last()
            .filter(|_| more)
            .and_then(sort_key)
            .and_then(|sk| sk.strip_prefix(prefix).map(str::to_owned));
        // Query + one batch read: two round trips a page, whatever its size.
        let keys: Vec<Key> = guards
            .iter()
            .filter_map(|g| g.get("licenseId")?.as_str())
            .map(|id| keys::license(academy_id, id))
            .collect();
        let mut found: HashMap<Key, Item> = self
            .store
            .batch_get(&keys)
            .await?
            .into_iter()
            .filter_map(|item| Some((Key::of(&item)?, item)))
            .collect();
        // In the guards' (name) order; a license deleted between the two
        // reads is simply not listed.
        let items = keys
            .iter()
            .filter_map(|key| found.remove(key))
            .map(from_item)
            .collect::<Result<Vec<License>, _>>()?;
        Ok(LicensePage { items, next })
    }

    /// Replaces `current` by `next` if nobody changed it since it was read
    /// (same version); moves the name guard when the name changed.
    pub async fn replace(&self, current: &License, next: &License) -> Result<(), RepoError> {
        let key = keys::license(&current.academy_id, &current.license_id);
        let mut writes = vec![Write::put_if(to_item(&key, next), version_is(current))];
        if current.name_key() != next.name_key() {
            writes.push(Write::put_if(guard_item(next), Condition::NotExists));
            writes.push(Write::delete_if(
                keys::license_name(&current.academy_id, &current.name_key()),
                Condition::Exists,
            ));
        }
        match super::transact(self.store.as_ref(), writes).await {
            Ok(()) => Ok(()),
            Err(e) if e.failed_at(0) => Err(RepoError::VersionConflict),
            Err(e) if e.failed_at(1) => Err(RepoError::NameTaken),
            Err(StoreError::ConditionFailed { .. }) => Err(self.diagnose_name(next).await),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the license and frees its name if nobody changed it since it was read.
    pub async fn delete(&self, license: &License) -> Result<(), RepoError> {
        let key = keys::license(&license.academy_id, &license.license_id);
        let writes = vec![
            Write::delete_if(key, version_is(license)),
            Write::delete_if(
                keys::license_name(&license.academy_id, &license.name_key()),
                Condition::Exists,
            ),
            Write::Delete {
                key: keys::license_index(&license.license_id),
                condition: None,
            },
        ];
        match super::transact(self.store.as_ref(), writes).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { .. }) => Err(RepoError::VersionConflict),
            Err(e) => Err(e.into()),
        }
    }
}
