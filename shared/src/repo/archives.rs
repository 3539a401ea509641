//! The archive state of recording files (`MEETING#{id}` / `ARCHIVE#{file}`),
//! written under its version so that a job, a retry and a publish never
//! undo each other.

use std::sync::Arc;

use serde_json::Value;

use super::{RepoError, get_record, keys, paging, to_item};
use crate::domain::archive::Archive;
use crate::store::{Condition, Query, SkRange, Store, StoreError, Write};

const PAGE: usize = 1000;

/// A file's first archive state: only if it has none.
pub fn create_archive(meeting_id: &str, archive: &Archive) -> Write {
    Write::put_if(
        to_item(&keys::archive(meeting_id, &archive.recording_id), archive),
        Condition::NotExists,
    )
}

/// The next state, if nobody wrote one since `read_version`.
pub fn update_archive(meeting_id: &str, archive: &Archive, read_version: u64) -> Write {
    Write::put_if(
        to_item(&keys::archive(meeting_id, &archive.recording_id), archive),
        Condition::AttrEquals("version".into(), Value::from(read_version)),
    )
}

#[derive(Clone)]
pub struct ArchiveRepo {
    store: Arc<dyn Store>,
}

impl ArchiveRepo {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn of_meeting(&self, meeting_id: &str) -> Result<Vec<Archive>, RepoError> {
        let query = Query::new(
            keys::meeting_children_pk(meeting_id),
            SkRange::BeginsWith(keys::ARCHIVE_PREFIX.into()),
            PAGE,
        );
        Ok(paging::collect(self.store.as_ref(), query).await?)
    }

    pub async fn get(
        &self,
        meeting_id: &str,
        recording_id: &str,
    ) -> Result<Option<Archive>, RepoError> {
        Ok(get_record(
            self.store.as_ref(),
            &keys::archive(meeting_id, recording_id),
        )
        .await?)
    }

    /// Writes `next` (version bumped) over `current`: `false` when somebody
    /// else wrote first.
    pub async fn replace(
        &self,
        meeting_id: &str,
        current: &Archive,
        next: &mut Archive,
        also: Vec<Write>,
    ) -> Result<bool, RepoError> {
        next.version = current.version + 1;
        // Version 0: a file that has no state yet.
        let write = if current.version == 0 {
            create_archive(meeting_id, next)
        } else {
            update_archive(meeting_id, next, current.version)
        };
        let mut writes = vec![write];
        writes.extend(also);
        match super::transact(self.store.as_ref(), writes).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn write(&self, writes: Vec<Write>) -> Result<(), RepoError> {
        Ok(super::transact(self.store.as_ref(), writes).await?)
    }
}
