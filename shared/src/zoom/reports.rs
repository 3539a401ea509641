//! Zoom's participant report of an ended meeting (ZOOM-2.md A): who was in
//! it, one row per join segment, read tolerantly and every page walked.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::events::{objects, text};
use super::operations::PARTICIPANTS_REPORT;

/// Rows asked for per page: the maximum per moodle and PSZoom (ZOOM-2.md A;
/// no Zoom text gives it, and Zoom is taken to cap a larger value).
const PAGE_SIZE: &str = "300";
/// Pages read at most: 15 000 rows. A report that goes on is an error, not a
/// silently shortened list.
pub const MAX_REPORT_PAGES: usize = 50;

/// One row of the report: one stay of one participant (a rejoin, a second
/// device or a phone line is a row of its own). Strings may be empty in
/// Zoom's answer; here an empty or missing field is `None`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
pub struct ZoomReportParticipant {
    /// The participant's Zoom user id; empty for guests since 2023-03-03.
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    /// The in-meeting participant id (valid for this meeting only), as
    /// `participant.user_id` in participant events.
    #[serde(default, deserialize_with = "text")]
    pub user_id: Option<String>,
    /// Like `id`: the signed-in user's id, empty for guests.
    #[serde(default, deserialize_with = "text")]
    pub participant_user_id: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    /// Hidden for most guests (ZOOM-2.md B).
    #[serde(default, deserialize_with = "text")]
    pub user_email: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub join_time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub leave_time: Option<String>,
    /// Seconds in the meeting in this row ("likely seconds", ZOOM-2.md A:
    /// moodle reads it so; no Zoom wording found). Prefer the times.
    #[serde(default, deserialize_with = "seconds")]
    pub duration: Option<u64>,
    /// `in_meeting` or `in_waiting_room`; kept open.
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    /// The Meeting SDK `customerKey` the participant joined with.
    #[serde(default, deserialize_with = "text")]
    pub customer_key: Option<String>,
    /// Only with `include_fields=registrant_id`, for registered participants.
    #[serde(default, deserialize_with = "text")]
    pub registrant_id: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub failover: Option<bool>,
    /// The breakout room, when the row is one.
    #[serde(default, deserialize_with = "text")]
    pub bo_mtg_id: Option<String>,
}

/// A whole number of seconds: an integer, a float (truncated) or a string of
/// digits; anything else (negative included) is absent.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A JSON boolean, or the strings `true`/`false`; anything else is absent.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    })
}

fn time(text: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl ZoomReportParticipant {
    pub fn joined_at(&self) -> Option<DateTime<Utc>> {
        time(self.join_time.as_deref())
    }

    pub fn left_at(&self) -> Option<DateTime<Utc>> {
        time(self.leave_time.as_deref())
    }
}

/// One page of the report, as far as it is read.
#[derive(Debug, Default, Deserialize)]
struct ReportPage {
    #[serde(default, deserialize_with = "objects")]
    participants: Vec<ZoomReportParticipant>,
    #[serde(default, deserialize_with = "text")]
    next_page_token: Option<String>,
}

fn too_long() -> ZoomError {
    ZoomError::InvalidResponse(format!(
        "the participant report goes on past {MAX_REPORT_PAGES} pages"
    ))
}

impl ZoomClient {
    /// Every row of the participant report of `meeting`: an instance UUID
    /// (double-encoded when it must be) or a meeting id (its latest ended
    /// instance, per Zoom). Pages are walked with `next_page_token`, at most
    /// [`MAX_REPORT_PAGES`]; an answer that is not an object lists nothing.
    ///
    /// Errors are Zoom's: [`ZoomError::is_report_not_ready`] (not ended, or
    /// no report yet: try later), [`ZoomError::is_paid_only`] (Basic plan),
    /// [`ZoomError::is_missing_scopes`], or a page token Zoom no longer
    /// takes (code 300, it expires after 15 minutes: start again).
    pub async fn participants_report(
        &self,
        creds: &ZoomCredentials,
        meeting: &str,
    ) -> Result<Vec<ZoomReportParticipant>, ZoomError> {
        let mut rows = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_REPORT_PAGES {
            let mut query = vec![
                ("page_size", PAGE_SIZE),
                ("include_fields", "registrant_id"),
            ];
            if let Some(token) = &token {
                query.push(("next_page_token", token.as_str()));
            }
            let answer = self
                .send(creds, &PARTICIPANTS_REPORT, &[meeting], &query, None::<&()>)
                .await?;
            let page: ReportPage = match answer.json::<Value>()? {
                value @ Value::Object(_) => serde_json::from_value(value)
                    .map_err(|e| ZoomError::InvalidResponse(e.to_string()))?,
                _ => ReportPage::default(),
            };
            rows.extend(page.participants);
            match page.next_page_token {
                // The same token again would loop for ever.
                Some(next) if token.as_deref() == Some(next.as_str()) => return Err(too_long()),
                Some(next) => token = Some(next),
                None => return Ok(rows),
            }
        }
        Err(too_long())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> ZoomReportParticipant {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn rows_parse_tolerantly() {
        let guest = row(json!({
            "id": "", "user_id": 16778240u64, "participant_user_id": "", "name": "Ana",
            "user_email": "", "join_time": "2030-05-01T15:00:00Z", "leave_time": "2030-05-01T15:10:00Z",
            "duration": 600, "status": "in_meeting", "customer_key": "lms-ana",
            "registrant_id": "", "failover": false, "extra": {"x": 1}
        }));
        assert_eq!(guest.id, None);
        assert_eq!(guest.participant_user_id, None);
        assert_eq!(guest.user_email, None);
        assert_eq!(guest.user_id.as_deref(), Some("16778240"));
        assert_eq!(guest.customer_key.as_deref(), Some("lms-ana"));
        assert_eq!(guest.duration, Some(600));
        assert_eq!(guest.failover, Some(false));
        assert_eq!(
            (guest.left_at().unwrap() - guest.joined_at().unwrap()).num_seconds(),
            600
        );
        for (duration, read) in [
            (json!(59.9), Some(59)),
            (json!("61"), Some(61)),
            (json!(-3), None),
            (json!(null), None),
            (json!("x"), None),
        ] {
            assert_eq!(row(json!({"duration": duration})).duration, read);
        }
        assert_eq!(row(json!({"failover": "true"})).failover, Some(true));
        assert_eq!(row(json!({"failover": 1})).failover, None);
        assert_eq!(row(json!({})), ZoomReportParticipant::default());
    }

    #[test]
    fn pages_parse_tolerantly() {
        let page: ReportPage = serde_json::from_value(json!({
            "page_size": 300, "total_records": 2, "next_page_token": "",
            "participants": [{"name": "a"}, 5, {"name": "b"}]
        }))
        .unwrap();
        assert_eq!(page.participants.len(), 2);
        assert_eq!(page.next_page_token, None);
        let page: ReportPage = serde_json::from_value(json!({"participants": {}})).unwrap();
        assert!(page.participants.is_empty());
    }
}
