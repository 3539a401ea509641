//! The archive queue inside the local server: a consumer task (as the
//! `recording-archiver` function consumes SQS in AWS), and with `--store
//! aws` the bucket and the queue (with its dead-letter queue) created when
//! missing, as the table is.

use lms_zoom::AppConfig;
use lms_zoom::app::archive::worker;
use lms_zoom::state::AppState;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Receives after which SQS hands a job to the dead letters (template.yaml).
pub const MAX_RECEIVES: u32 = 5;

/// The consumer, until [`ArchiveWorker::stop`].
pub struct ArchiveWorker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ArchiveWorker {
    pub fn start(state: &AppState) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let archiver = state.archiver.clone();
        let queue = state.archives.queue().clone();
        let task = tokio::spawn(worker::run(archiver, queue, async move {
            let _ = stopped.await;
        }));
        Self { stop, task }
    }

    /// Stops after the job in progress (which keeps to its deadline).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the archive worker ended abnormally");
        }
    }
}

/// `RECORDINGS_BUCKET` (default: named after the table) and
/// `RECORDINGS_QUEUE_URL` (default: a queue named after the table, with a
/// dead-letter queue after [`MAX_RECEIVES`]), created when missing.
pub async fn ensure_aws(config: &mut AppConfig, sdk: &aws_config::SdkConfig) -> Result<(), String> {
    let bucket = config.recordings_bucket.clone().unwrap_or_else(|| {
        let table = config
            .table_name
            .to_ascii_lowercase()
            .replace(['_', '.'], "-");
        format!("{table}-recordings")
    });
    let s3 = lms_zoom::state::s3_client(sdk);
    if s3.head_bucket().bucket(&bucket).send().await.is_err() {
        s3.create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "create bucket {bucket}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            })?;
    }
    config.recordings_bucket = Some(bucket);
    if config.recordings_queue_url.is_none() {
        let sqs = lms_zoom::state::sqs_client(sdk);
        let name = format!("{}-archive", config.table_name);
        config.recordings_queue_url = Some(ensure_queue(&sqs, &name).await?);
    }
    Ok(())
}

fn queue_failed(name: &str, e: impl std::error::Error) -> String {
    format!(
        "queue {name}: {}",
        aws_sdk_sqs::error::DisplayErrorContext(e)
    )
}

async fn ensure_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, String> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let dead = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .map_err(|e| queue_failed(name, e))?;
    let dead_url = dead.queue_url().unwrap_or_default().to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&dead_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| queue_failed(name, e))?;
    let dead_arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_arn,
        "maxReceiveCount": MAX_RECEIVES.to_string(),
    });
    let visibility = worker::visibility().as_secs().to_string();
    let queue = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(QueueAttributeName::VisibilityTimeout, visibility)
        .send()
        .await
        .map_err(|e| queue_failed(name, e))?;
    Ok(queue.queue_url().unwrap_or_default().to_owned())
}
