//! The `recording-archiver` function's edge: each SQS record is one archive
//! job, attempted under the invocation's deadline. A job to try again is
//! reported in `batchItemFailures` (the event source mapping has
//! `ReportBatchItemFailures`), after its visibility was set to the backoff;
//! a job done is left for Lambda to delete (no call of our own);
//! a job done is left for Lambda to delete;
//! one given up is reported too, visible at once, so that the queue's
//! redrive policy hands it to the dead-letter queue on its next receive.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::app::archive::archiver::Settle;
use crate::deadline::Deadline;
use crate::http::deadline::STEP_MARGIN;
use crate::queue::{Delivery, SqsQueue};
use crate::state::AppState;

use super::Error;

/// Serves archive jobs until the runtime stops (the function's `main`).
pub async fn run_archiver(state: AppState) -> Result<(), Error> {
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let state = state.clone();
        async move {
            let deadline = Deadline::from_epoch_ms(event.context.deadline).earlier(STEP_MARGIN);
            Ok::<Value, Error>(
                deadline
                    .scope(archive_records(&state, &event.payload))
                    .await,
            )
        }
    }))
    .await
}

/// The records of one SQS event: `{"batchItemFailures": [...]}`.
pub async fn archive_records(state: &AppState, event: &Value) -> Value {
    let mut failures = Vec::new();
    for record in event["Records"].as_array().into_iter().flatten() {
        let id = record["messageId"].as_str().unwrap_or_default();
        let Some(delivery) = delivery(record) else {
            // Not a job: nothing will ever make it one. Dropped, loudly.
            tracing::error!(message_id = %id, "an archive queue record that is not a job was dropped");
            continue;
        };
        // Lambda deletes a record reported done; the others are made
        // visible when they are to be tried again (or handed to the dead
        // letters) and reported as failures.
        let queue = state.archives.queue();
        let settled = match state.archiver.attempt(&delivery).await {
            Settle::Done => continue,
            Settle::RetryAfter(delay) => queue.retry_after(&delivery, delay).await,
            Settle::Dead => queue.dead(&delivery).await,
        };
        if let Err(e) = settled {
            // Visible again anyway once its visibility timeout ends.
            tracing::warn!(job = %delivery.job.id(), error = %e, "archive job visibility not changed");
        }
        failures.push(json!({"itemIdentifier": id}));
    }
    json!({"batchItemFailures": failures})
}

fn delivery(record: &Value) -> Option<Delivery> {
    let count = record["attributes"]["ApproximateReceiveCount"]
        .as_str()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    SqsQueue::delivery(
        record["body"].as_str()?,
        record["receiptHandle"].as_str()?,
        count,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppConfig;

    fn event(records: Vec<Value>) -> Value {
        json!({ "Records": records })
    }

    fn record(id: &str, body: &str, count: &str) -> Value {
        json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
               "attributes": {"ApproximateReceiveCount": count}, "eventSource": "aws:sqs"})
    }

    #[test]
    fn records_become_deliveries() {
        let job = r#"{"academyId":"a1","meetingId":"mtg_1","recordingId":"f1"}"#;
        let d = delivery(&record("m1", job, "3")).expect("a job");
        assert_eq!(
            (
                d.job.recording_id.as_str(),
                d.receipt.as_str(),
                d.receive_count
            ),
            ("f1", "rh-m1", 3)
        );
        assert!(delivery(&record("m2", "not json", "1")).is_none());
        assert!(delivery(&json!({"messageId": "m3"})).is_none());
    }

    #[tokio::test]
    async fn jobs_with_nothing_to_do_succeed_and_strangers_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let config = AppConfig::from_lookup(|_| None).unwrap();
        let state = AppState::embedded(config, dir.path()).unwrap();
        // A file nobody recorded: nothing to archive, so the job is done.
        let job = r#"{"academyId":"a1","meetingId":"mtg_1","recordingId":"f1"}"#;
        let answer = archive_records(
            &state,
            &event(vec![record("m1", job, "1"), record("m2", "{}", "1")]),
        )
        .await;
        assert_eq!(answer, json!({"batchItemFailures": []}));
    }
}
