//! What Zoom's "no such meeting" means during an edit: a delete of ours that
//! ran meanwhile removed it from Zoom first and commits to the store after.
//! Then the edit lost to the delete — `409 meeting_not_editable`, as for an
//! edit sent after the delete — and is not a gateway error.

use std::future::Future;
use std::time::Duration;

use crate::deadline;
use crate::error::AppError;
use crate::zoom::ZoomError;

/// How often, and how far apart, the store is read for the delete's commit.
const READS: usize = 10;
const BETWEEN_READS: Duration = Duration::from_millis(100);

/// `e` as the edit's answer: `MeetingNotEditable` when `is_deleted` comes
/// to say so within the request's deadline, Zoom's own error otherwise
/// (a meeting removed in Zoom by someone else stays a `zoom_error`).
pub(super) async fn refused<F, Fut>(e: ZoomError, mut is_deleted: F) -> AppError
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, AppError>>,
{
    if !e.is_not_found() {
        return e.into();
    }
    for _ in 0..READS {
        match is_deleted().await {
            Ok(true) => return AppError::MeetingNotEditable,
            Ok(false) if deadline::sleep_if_fits(BETWEEN_READS).await => {}
            _ => break,
        }
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn zoom(status: u16, code: Option<i64>) -> ZoomError {
        ZoomError::Api {
            status,
            code,
            message: "Meeting does not exist: 81234567890.".into(),
        }
    }

    #[tokio::test]
    async fn a_delete_that_commits_while_we_read_makes_it_not_editable() {
        let reads = AtomicUsize::new(0);
        let answer = refused(zoom(404, Some(3001)), || async {
            Ok(reads.fetch_add(1, Ordering::SeqCst) >= 2)
        })
        .await;
        assert!(matches!(answer, AppError::MeetingNotEditable), "{answer:?}");
        assert_eq!(reads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_meeting_removed_by_someone_else_stays_a_zoom_error() {
        let reads = AtomicUsize::new(0);
        let answer = refused(zoom(404, Some(3001)), || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(false)
        })
        .await;
        assert!(matches!(answer, AppError::ZoomError { .. }), "{answer:?}");
        assert_eq!(reads.load(Ordering::SeqCst), READS);
    }

    #[tokio::test]
    async fn other_refusals_and_unreadable_stores_are_not_waited_on() {
        let reads = AtomicUsize::new(0);
        let count = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(true)
        };
        let answer = refused(zoom(400, Some(300)), count).await;
        assert!(matches!(answer, AppError::ZoomError { .. }), "{answer:?}");
        assert_eq!(reads.load(Ordering::SeqCst), 0);
        let answer = refused(zoom(404, Some(3001)), || async {
            Err(AppError::StoreUnavailable("down".into()))
        })
        .await;
        assert!(matches!(answer, AppError::ZoomError { .. }), "{answer:?}");
    }
}
