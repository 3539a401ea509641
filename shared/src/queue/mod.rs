//! The job queue port: archive jobs, one per recording file. Two
//! implementations: SQS in AWS ([`SqsQueue`]: a dead-letter queue takes a
//! job after its fifth receive) and a durable queue inside the store itself
//! ([`StoreQueue`], the embedded default: jobs survive a restart).
//!
//! The use case that records new work puts [`JobQueue::in_batch`]'s write
//! (if any) in the same atomic batch as the file record, then calls
//! [`JobQueue::send`] once the batch committed. A store queue's job is in
//! the batch; an external queue's is sent after it, and the use case keeps a
//! repair record in the batch until the send is done, so that no file is
//! left without its job.

mod sqs;
mod stored;

pub use sqs::SqsQueue;
pub use stored::StoreQueue;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::store::Write;

/// Copy one recording file into the object store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveJob {
    pub academy_id: String,
    pub meeting_id: String,
    pub recording_id: String,
}

impl ArchiveJob {
    /// One job per file: the same file is the same job.
    pub fn id(&self) -> String {
        format!("{}#{}", self.meeting_id, self.recording_id)
    }
}

/// A job as received: who it is for, and how to settle it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub job: ArchiveJob,
    /// Settles this receipt of the job (SQS's receipt handle).
    pub receipt: String,
    /// How many times the job was received, this one included.
    pub receive_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait JobQueue: Send + Sync {
    /// The write that enqueues `job` with the batch that creates its work,
    /// when the queue lives in the store; `None` when it is elsewhere.
    fn in_batch(&self, job: &ArchiveJob) -> Option<Write>;
    /// After that batch committed: hands the job over (or wakes the worker).
    async fn send(&self, job: &ArchiveJob) -> Result<(), QueueError>;
    /// The next visible job, hidden from other receivers for `visibility`;
    /// waits up to `wait` for one.
    async fn receive(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Delivery>, QueueError>;
    /// The job is done: it goes.
    async fn done(&self, delivery: &Delivery) -> Result<(), QueueError>;
    /// Receive it again after `delay`.
    async fn retry_after(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError>;
    /// Given up: the job goes to the dead letters.
    async fn dead(&self, delivery: &Delivery) -> Result<(), QueueError>;
}
