//! Archive jobs on an SQS queue. Its redrive policy moves a job to the
//! dead-letter queue after its fifth receive (template.yaml); [`JobQueue::dead`]
//! therefore only makes the job visible again, and the next receive (Lambda's
//! poller, or ours) hands it to the dead letters.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageSystemAttributeName;

use super::{ArchiveJob, Delivery, JobQueue, QueueError};
use crate::lazy_client::Lazy;
use crate::store::Write;

/// SQS's longest visibility timeout (12 hours) and long-poll wait (20 s).
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);
const MAX_WAIT: Duration = Duration::from_secs(20);
/// Between two receives when polling.
const POLL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct SqsQueue {
    client: Lazy<Client>,
    url: String,
    /// Ask SQS to hold a receive until a job comes (long polling), or poll.
    long_poll: bool,
}

fn unavailable(e: impl std::error::Error) -> QueueError {
    QueueError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
}

fn seconds(d: Duration, max: Duration) -> i32 {
    d.min(max).as_secs() as i32
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self::lazy(Lazy::ready(client), url)
    }

    /// With a client built on first use.
    pub fn lazy(client: Lazy<Client>, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
            long_poll: true,
        }
    }

    /// Polls instead of long polling: for an SQS emulation that serves one
    /// request at a time (the test suite's moto), where a held receive
    /// would hold up every other call.
    pub fn polling(mut self) -> Self {
        self.long_poll = false;
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A job from an SQS message (a Lambda event record or a receive).
    pub fn delivery(body: &str, receipt: &str, receive_count: u32) -> Option<Delivery> {
        let job = serde_json::from_str(body).ok()?;
        Some(Delivery {
            job,
            receipt: receipt.to_owned(),
            receive_count,
        })
    }

    async fn receive_once(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Delivery>, QueueError> {
        let answer = self
            .client
            .get()
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(1)
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
            .wait_time_seconds(seconds(wait, MAX_WAIT))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(unavailable)?;
        for message in answer.messages() {
            let receipt = message.receipt_handle().unwrap_or_default();
            let count = message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            match Self::delivery(message.body().unwrap_or_default(), receipt, count) {
                Some(delivery) => return Ok(Some(delivery)),
                None => {
                    // Not a job of ours: drop it rather than loop on it.
                    tracing::warn!("an archive queue message that is not a job was dropped");
                    let _ = self
                        .client
                        .get()
                        .delete_message()
                        .queue_url(&self.url)
                        .receipt_handle(receipt)
                        .send()
                        .await;
                }
            }
        }
        Ok(None)
    }

    async fn visible_in(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError> {
        self.client
            .get()
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(&delivery.receipt)
            .visibility_timeout(seconds(delay, MAX_VISIBILITY))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl JobQueue for SqsQueue {
    fn in_batch(&self, _job: &ArchiveJob) -> Option<Write> {
        None
    }

    async fn send(&self, job: &ArchiveJob) -> Result<(), QueueError> {
        let body =
            serde_json::to_string(job).map_err(|e| QueueError::Unavailable(e.to_string()))?;
        self.client
            .get()
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn receive(
        &self,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Option<Delivery>, QueueError> {
        if self.long_poll {
            return self.receive_once(visibility, wait).await;
        }
        let until = tokio::time::Instant::now() + wait;
        loop {
            if let Some(delivery) = self.receive_once(visibility, Duration::ZERO).await? {
                return Ok(Some(delivery));
            }
            if tokio::time::Instant::now() + POLL > until {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn done(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.client
            .get()
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&delivery.receipt)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn retry_after(&self, delivery: &Delivery, delay: Duration) -> Result<(), QueueError> {
        self.visible_in(delivery, delay).await
    }

    async fn dead(&self, delivery: &Delivery) -> Result<(), QueueError> {
        self.visible_in(delivery, Duration::ZERO).await
    }
}
