//! Attendance per person: the participant records Zoom's events and report
//! rows left (one per device, per rejoin, per source) grouped into the
//! people they are. A person is their customer key (the LMS user the
//! Meeting SDK joined as); without one (a phone, a Zoom client outside the
//! LMS), their name and email. Their time is the union of their sessions:
//! overlapping sessions (two devices, the same session seen by a webhook
//! and by the report) count once.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::attendance::Attendance;

/// One span of presence, merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub joined_at: DateTime<Utc>,
    /// `None` while still in the meeting.
    pub left_at: Option<DateTime<Utc>>,
}

/// One person's attendance of one meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// The first participant record's id (what the API showed before).
    pub participant_id: String,
    pub customer_key: Option<String>,
    /// The LMS user, when the customer key names one.
    pub lms_user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub spans: Vec<Span>,
    pub duration_seconds: i64,
    /// Of the meeting's length, 0–100, rounded; `None` without a length.
    pub attended_percent: Option<u8>,
    /// Where the sessions came from: `webhook`, `report`.
    pub sources: BTreeSet<String>,
}

impl Person {
    pub fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.spans.first().map(|s| s.joined_at)
    }

    /// When they last left; `None` while a span is open.
    pub fn left_at(&self) -> Option<DateTime<Utc>> {
        match self.spans.last() {
            Some(last) => last.left_at,
            None => None,
        }
    }
}

/// What a person is grouped by.
fn person_key(record: &Attendance) -> String {
    if let Some(key) = &record.customer_key {
        return format!("ck:{key}");
    }
    let lower = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_lowercase();
    let (name, email) = (lower(&record.name), lower(&record.email));
    if name.is_empty() && email.is_empty() {
        return format!("id:{}", record.participant_id);
    }
    format!("who:{name}|{email}")
}

/// Merges sessions into disjoint spans, in time order: overlapping or
/// touching sessions become one; an open session stays open from its join.
/// A leave seen without its join counts nothing (its start is unknown).
pub fn merge_spans(
    sessions: impl IntoIterator<Item = (DateTime<Utc>, Option<DateTime<Utc>>)>,
) -> Vec<Span> {
    let mut sessions: Vec<_> = sessions.into_iter().collect();
    sessions.sort_by_key(|(join, _)| *join);
    let mut spans: Vec<Span> = Vec::new();
    for (join, leave) in sessions {
        let leave = leave.map(|l| l.max(join));
        match spans.last_mut() {
            Some(last) if last.left_at.is_none_or(|l| join <= l) => {
                last.left_at = match (last.left_at, leave) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => spans.push(Span {
                joined_at: join,
                left_at: leave,
            }),
        }
    }
    spans
}

fn closed_seconds(spans: &[Span]) -> i64 {
    spans
        .iter()
        .filter_map(|s| Some((s.left_at? - s.joined_at).num_seconds().max(0)))
        .sum()
}

/// Of `length`, rounded, 0–100.
fn percent(seconds: i64, length: Option<Duration>) -> Option<u8> {
    let total = length?.num_seconds();
    if total <= 0 {
        return None;
    }
    let p = ((seconds as f64) * 100.0 / (total as f64)).round();
    Some(p.clamp(0.0, 100.0) as u8)
}

/// The people in `records`, by first join (then key). `lms_user` maps a
/// customer key to the LMS user it stands for; `length` is the meeting's
/// actual length (else its scheduled one).
pub fn people(
    records: &[Attendance],
    length: Option<Duration>,
    lms_user: impl Fn(&str) -> Option<String>,
) -> Vec<Person> {
    let mut groups: BTreeMap<String, Vec<&Attendance>> = BTreeMap::new();
    for record in records {
        groups.entry(person_key(record)).or_default().push(record);
    }
    let mut out: Vec<Person> = groups
        .into_values()
        .map(|group| person_of(&group, length, &lms_user))
        .collect();
    out.sort_by(|a, b| {
        a.joined_at()
            .cmp(&b.joined_at())
            .then_with(|| a.participant_id.cmp(&b.participant_id))
    });
    out
}

fn person_of(
    group: &[&Attendance],
    length: Option<Duration>,
    lms_user: &impl Fn(&str) -> Option<String>,
) -> Person {
    let first = group
        .iter()
        .min_by_key(|r| (r.first_join(), r.participant_id.clone()))
        .expect("a group has a record");
    let pick = |f: fn(&Attendance) -> &Option<String>| {
        group
            .iter()
            .find_map(|r| f(r).clone().filter(|v| !v.is_empty()))
    };
    let spans = merge_spans(
        group
            .iter()
            .flat_map(|r| r.sessions.iter())
            .filter_map(|s| Some((s.join?, s.leave))),
    );
    let duration_seconds = closed_seconds(&spans);
    let customer_key = first.customer_key.clone();
    Person {
        participant_id: first.participant_id.clone(),
        lms_user_id: customer_key.as_deref().and_then(lms_user),
        customer_key,
        name: pick(|r| &r.name),
        email: pick(|r| &r.email),
        attended_percent: percent(duration_seconds, length),
        duration_seconds,
        spans,
        sources: group.iter().flat_map(|r| r.sources()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 10, m, 0).unwrap()
    }

    fn record(
        id: &str,
        key: Option<&str>,
        name: &str,
        sessions: &[(u32, Option<u32>)],
    ) -> Attendance {
        let mut a = Attendance::new(id.into());
        a.customer_key = key.map(str::to_owned);
        a.name = Some(name.into());
        for (join, leave) in sessions {
            a.joined(at(*join));
            if let Some(l) = leave {
                a.left(at(*l));
            }
        }
        a
    }

    #[test]
    fn spans_merge_overlaps_once() {
        let spans = merge_spans([
            (at(0), Some(at(10))),
            (at(5), Some(at(20))),
            (at(30), Some(at(40))),
            (at(30), Some(at(40))),
        ]);
        assert_eq!(spans.len(), 2);
        assert_eq!(closed_seconds(&spans), 30 * 60);
        let open = merge_spans([(at(0), Some(at(10))), (at(5), None)]);
        assert_eq!(
            open,
            vec![Span {
                joined_at: at(0),
                left_at: None
            }]
        );
    }

    #[test]
    fn one_person_per_customer_key_and_phones_by_name() {
        let records = vec![
            record("uuid:a1", Some("ana"), "Ana", &[(0, Some(30))]),
            record("uuid:a2", Some("ana"), "Ana (tablet)", &[(20, Some(50))]),
            record(
                "uuid:b1",
                Some("bob"),
                "Bob",
                &[(0, Some(10)), (20, Some(30))],
            ),
            record("uuid:p1", None, "Phone 555", &[(5, Some(15))]),
            record("report:p", None, "phone 555", &[(5, Some(15))]),
        ];
        let length = Some(Duration::minutes(60));
        let people = people(&records, length, |k| {
            (k != "bob").then(|| format!("lms-{k}"))
        });
        assert_eq!(people.len(), 3, "{people:#?}");
        let ana = people
            .iter()
            .find(|p| p.customer_key.as_deref() == Some("ana"))
            .unwrap();
        assert_eq!(ana.duration_seconds, 50 * 60);
        assert_eq!(ana.attended_percent, Some(83));
        assert_eq!(ana.lms_user_id.as_deref(), Some("lms-ana"));
        assert_eq!(ana.participant_id, "uuid:a1");
        let bob = people
            .iter()
            .find(|p| p.customer_key.as_deref() == Some("bob"))
            .unwrap();
        assert_eq!(bob.duration_seconds, 20 * 60);
        assert_eq!(bob.lms_user_id, None);
        let phone = people.iter().find(|p| p.customer_key.is_none()).unwrap();
        assert_eq!(phone.duration_seconds, 10 * 60);
        assert_eq!(phone.lms_user_id, None);
    }

    #[test]
    fn percent_is_bounded_and_needs_a_length() {
        assert_eq!(percent(4000, Some(Duration::seconds(3600))), Some(100));
        assert_eq!(percent(0, Some(Duration::seconds(3600))), Some(0));
        assert_eq!(percent(10, None), None);
    }
}
