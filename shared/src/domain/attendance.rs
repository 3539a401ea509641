//! Attendance per participant from join/leave events, which may arrive late,
//! twice or out of order: sessions are paired by time, rejoins summed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(default)]
    pub join: Option<DateTime<Utc>>,
    #[serde(default)]
    pub leave: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attendance {
    pub participant_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub sessions: Vec<Session>,
    /// The Meeting SDK's customer key the participant joined with (the LMS user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_key: Option<String>,
    /// Where the sessions came from (`webhook`, `report`); none recorded
    /// means webhooks (records written before sources were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    pub version: u64,
}

pub const FROM_WEBHOOK: &str = "webhook";
pub const FROM_REPORT: &str = "report";

impl Attendance {
    pub fn new(participant_id: String) -> Self {
        Self {
            participant_id,
            name: None,
            email: None,
            sessions: Vec::new(),
            customer_key: None,
            sources: Vec::new(),
            version: 0,
        }
    }

    /// Where the sessions came from.
    pub fn sources(&self) -> Vec<String> {
        if self.sources.is_empty() {
            vec![FROM_WEBHOOK.to_owned()]
        } else {
            self.sources.clone()
        }
    }

    /// Notes that `source` saw this participant.
    pub fn seen_by(&mut self, source: &str) {
        if !self.sources.iter().any(|s| s == source) {
            self.sources.push(source.to_owned());
            self.sources.sort();
        }
    }

    /// A whole session as a report lists it; `false` when it was known
    /// (the same join, or the same leave) and nothing changed.
    pub fn add_session(&mut self, join: DateTime<Utc>, leave: DateTime<Utc>) -> bool {
        let known = self
            .sessions
            .iter()
            .any(|s| s.join == Some(join) && s.leave == Some(leave));
        if known {
            return false;
        }
        self.joined(join);
        self.left(leave);
        true
    }

    pub fn joined(&mut self, at: DateTime<Utc>) {
        if self.sessions.iter().any(|s| s.join == Some(at)) {
            return;
        }
        // A leave that arrived first, after this join: complete that session.
        let orphan = self
            .sessions
            .iter_mut()
            .filter(|s| s.join.is_none() && s.leave.is_some_and(|l| l >= at))
            .min_by_key(|s| s.leave);
        match orphan {
            Some(session) => session.join = Some(at),
            None => self.sessions.push(Session {
                join: Some(at),
                leave: None,
            }),
        }
        self.sessions.sort_by_key(|s| s.join.or(s.leave));
    }

    pub fn left(&mut self, at: DateTime<Utc>) {
        if self.sessions.iter().any(|s| s.leave == Some(at)) {
            return;
        }
        // The latest open session that started before this leave.
        let open = self
            .sessions
            .iter_mut()
            .filter(|s| s.leave.is_none() && s.join.is_some_and(|j| j <= at))
            .max_by_key(|s| s.join);
        match open {
            Some(session) => session.leave = Some(at),
            None => self.sessions.push(Session {
                join: None,
                leave: Some(at),
            }),
        }
        self.sessions.sort_by_key(|s| s.join.or(s.leave));
    }

    pub fn duration_seconds(&self) -> i64 {
        self.sessions
            .iter()
            .filter_map(|s| Some((s.leave? - s.join?).num_seconds().max(0)))
            .sum()
    }

    /// When the participant first joined.
    pub fn first_join(&self) -> Option<DateTime<Utc>> {
        self.sessions.iter().filter_map(|s| s.join).min()
    }

    /// When the participant last left; `None` while a session is still open.
    pub fn last_leave(&self) -> Option<DateTime<Utc>> {
        let open = self
            .sessions
            .iter()
            .any(|s| s.join.is_some() && s.leave.is_none());
        if open {
            None
        } else {
            self.sessions.iter().filter_map(|s| s.leave).max()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 10, m, 0).unwrap()
    }

    #[test]
    fn rejoins_sum_and_repeats_do_not_count_twice() {
        let mut a = Attendance::new("p".into());
        a.joined(at(0));
        a.left(at(10));
        a.joined(at(20));
        a.left(at(25));
        a.left(at(25));
        a.joined(at(0));
        assert_eq!(a.duration_seconds(), 15 * 60);
        assert_eq!(a.first_join(), Some(at(0)));
        assert_eq!(a.last_leave(), Some(at(25)));
    }

    #[test]
    fn out_of_order_events_pair_up() {
        let mut a = Attendance::new("p".into());
        a.left(at(30));
        a.left(at(10));
        a.joined(at(20));
        a.joined(at(0));
        assert_eq!(a.duration_seconds(), 20 * 60);
        let mut open = Attendance::new("q".into());
        open.joined(at(5));
        assert_eq!(open.duration_seconds(), 0);
        assert!(open.last_leave().is_none());
    }
}
