//! Webhook events kept for a meeting we did not know when they came
//! (Zoom's event can beat the create's commit): `maintenance` applies each
//! once its meeting is ours — the batch that applies it deletes its record,
//! so it is applied once — and drops it, with a log line, when the meeting
//! is not ours: the Zoom id belongs to another license, or no create of this
//! license was in flight for longer than any request lives, or a week went by.

use chrono::{Duration, Utc};

use super::{WebhookOutcome, WebhookService};
use crate::app::maintenance::Resolved;
use crate::error::AppError;
use crate::repo::repairs::{Repair, RepairRecord, close_claimed};
use crate::zoom::events::ZoomEvent;

/// After this, an event no create in flight can claim is not about a meeting of ours.
const NOT_OURS_AFTER: Duration = Duration::minutes(10);
/// Kept at most this long in any case.
const KEPT_AT_MOST: Duration = Duration::days(7);

impl WebhookService {
    /// Applies (or drops) a kept event claimed by `claim`.
    pub(crate) async fn replay(
        &self,
        record: &RepairRecord,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let repair = &record.repair;
        let Repair::Webhook {
            license_id,
            zoom_meeting_id,
            event,
            ..
        } = repair
        else {
            return Err(AppError::Internal("not a webhook repair".into()));
        };
        let Ok(event) = ZoomEvent::from_value(event) else {
            return self.drop_kept(repair, claim, "unreadable").await;
        };
        if let Some(ours) = self.ours(license_id, zoom_meeting_id, &event).await? {
            let done = || {
                let mut first = vec![close_claimed(repair, claim)];
                first.extend(ours.remember.clone());
                first
            };
            return match self
                .apply_to(&ours.academy_id, &ours.meeting_id, &event, done)
                .await?
            {
                WebhookOutcome::Applied | WebhookOutcome::Duplicate => Ok(Resolved::Done),
                _ => Ok(Resolved::NotYet),
            };
        }
        let age = Utc::now() - record.created_at;
        if age >= KEPT_AT_MOST {
            return self.drop_kept(repair, claim, "kept a week").await;
        }
        if self.recordings.by_zoom_id(zoom_meeting_id).await?.is_some() {
            return self.drop_kept(repair, claim, "of another license").await;
        }
        if age >= NOT_OURS_AFTER && !self.create_in_flight(license_id).await? {
            return self.drop_kept(repair, claim, "no meeting of ours").await;
        }
        Ok(Resolved::NotYet)
    }

    /// Whether a create of this license may still commit a meeting.
    async fn create_in_flight(&self, license_id: &str) -> Result<bool, AppError> {
        let records = self
            .repairs
            .all(crate::app::maintenance::COUNT_LIMIT)
            .await?;
        Ok(records.iter().any(|r| match &r.repair {
            Repair::Create { license_id: of, .. } | Repair::Series { license_id: of, .. } => {
                of == license_id
            }
            _ => false,
        }))
    }

    async fn drop_kept(
        &self,
        repair: &Repair,
        claim: &str,
        why: &'static str,
    ) -> Result<Resolved, AppError> {
        if let Repair::Webhook {
            zoom_meeting_id, ..
        } = repair
        {
            tracing::info!(zoom_meeting_id = %zoom_meeting_id, why, "a kept webhook event was dropped: its meeting is not ours");
        }
        self.repairs
            .write(vec![close_claimed(repair, claim)])
            .await?;
        Ok(Resolved::Done)
    }
}
