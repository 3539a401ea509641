//! The archive queue's consumer where no Lambda runs it (`lms-zoom-local`,
//! on either store): one job at a time, each under the archiver function's
//! own timeout, hidden from other consumers a little longer than that.

use std::sync::Arc;
use std::time::Duration;

use super::archiver::Archiver;
use crate::deadline::Deadline;
use crate::functions::RECORDING_ARCHIVER;
use crate::queue::JobQueue;

/// How long a receive waits for a job before looking again.
const WAIT: Duration = Duration::from_secs(10);

/// A receipt stays hidden this much longer than an attempt may last.
pub fn visibility() -> Duration {
    RECORDING_ARCHIVER.timeout + Duration::from_secs(60)
}

/// Consumes jobs until `stop` resolves.
pub async fn run(
    archiver: Archiver,
    queue: Arc<dyn JobQueue>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            () = &mut stop => return,
            next = queue.receive(visibility(), WAIT) => next,
        };
        match next {
            Ok(Some(delivery)) => {
                let attempt = Deadline::after(RECORDING_ARCHIVER.timeout)
                    .scope(archiver.process(queue.as_ref(), &delivery));
                if let Err(e) = attempt.await {
                    tracing::warn!(job = %delivery.job.id(), error = %e, "archive job not settled; it comes back");
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "archive queue unavailable");
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    }
}
