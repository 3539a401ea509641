//! Zoom's participant report merged into the attendance webhooks brought:
//! each report row (one join segment) goes to the person it is (customer
//! key, else name and email), onto the record of theirs it overlaps; a row
//! already known (the same session) only notes that the report saw it; a
//! person only the report knows gets a record of their own. Counting
//! overlaps once is the person view's job ([`super::people`]).

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::attendance::{Attendance, FROM_REPORT};

/// One report row, as far as attendance goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub customer_key: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub left_at: DateTime<Utc>,
}

fn lower(v: &Option<String>) -> String {
    v.as_deref().unwrap_or_default().trim().to_lowercase()
}

fn same_person(record: &Attendance, row: &ReportRow) -> bool {
    match (&record.customer_key, &row.customer_key) {
        (Some(a), Some(b)) => a == b,
        (None, None) => {
            let named = !lower(&row.name).is_empty() || !lower(&row.email).is_empty();
            named
                && lower(&record.name) == lower(&row.name)
                && lower(&record.email) == lower(&row.email)
        }
        _ => false,
    }
}

fn overlaps(record: &Attendance, row: &ReportRow) -> bool {
    record.sessions.iter().any(|s| {
        let start = s.join.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let end = s.leave.unwrap_or(DateTime::<Utc>::MAX_UTC);
        start <= row.left_at && row.joined_at <= end
    })
}

/// The record id of a person only the report knows.
fn report_id(row: &ReportRow) -> String {
    let who = match &row.customer_key {
        Some(key) => format!("ck:{key}"),
        None => format!("who:{}|{}", lower(&row.name), lower(&row.email)),
    };
    let digest = hex::encode(Sha256::digest(who.as_bytes()));
    format!("report:{}", &digest[..32])
}

/// The records `rows` change or add (each with the version it was read
/// at, 0 for a new one), merged into `records`.
pub fn merge_report(records: &[Attendance], rows: &[ReportRow]) -> Vec<(Attendance, u64)> {
    let mut all: Vec<(Attendance, u64, bool)> = records
        .iter()
        .map(|r| (r.clone(), r.version, false))
        .collect();
    for row in rows {
        let person: Vec<usize> = (0..all.len())
            .filter(|&i| same_person(&all[i].0, row))
            .collect();
        // The record of the same session first (the same join: a leave the
        // webhooks lost is filled in there), else one it overlaps.
        let same_join = |i: &usize| {
            all[*i]
                .0
                .sessions
                .iter()
                .any(|s| s.join == Some(row.joined_at))
        };
        let target = person
            .iter()
            .copied()
            .find(same_join)
            .or_else(|| person.iter().copied().find(|&i| overlaps(&all[i].0, row)))
            .or_else(|| person.first().copied());
        let index = match target {
            Some(i) => i,
            None => {
                let mut fresh = Attendance::new(report_id(row));
                fresh.customer_key.clone_from(&row.customer_key);
                all.push((fresh, 0, true));
                all.len() - 1
            }
        };
        let (record, _, changed) = &mut all[index];
        let before = record.clone();
        let covered = record.sessions.iter().any(|s| {
            s.join.is_some_and(|j| j <= row.joined_at) && s.leave.is_some_and(|l| l >= row.left_at)
        });
        if !covered {
            record.add_session(row.joined_at, row.left_at);
        }
        record.seen_by(FROM_REPORT);
        if record.name.is_none() {
            record.name.clone_from(&row.name);
        }
        if record.email.is_none() {
            record.email = row.email.clone().filter(|e| !e.is_empty());
        }
        *changed |= *record != before;
    }
    all.into_iter()
        .filter(|(_, _, changed)| *changed)
        .map(|(mut record, read, _)| {
            record.version = read + 1;
            (record, read)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::people::people;
    use chrono::TimeZone;

    fn at(m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 10, m, 0).unwrap()
    }

    fn row(key: Option<&str>, name: &str, from: u32, to: u32) -> ReportRow {
        ReportRow {
            customer_key: key.map(str::to_owned),
            name: Some(name.into()),
            email: None,
            joined_at: at(from),
            left_at: at(to),
        }
    }

    #[test]
    fn known_sessions_count_once_and_gaps_are_filled() {
        // Webhooks saw Ana join at 0 but not leave; Bob's second join was lost.
        let mut ana = Attendance::new("uuid:a".into());
        ana.customer_key = Some("ana".into());
        ana.joined(at(0));
        ana.version = 3;
        let mut bob = Attendance::new("uuid:b".into());
        bob.customer_key = Some("bob".into());
        bob.joined(at(0));
        bob.left(at(10));
        bob.version = 2;
        let rows = vec![
            row(Some("ana"), "Ana", 0, 30),
            row(Some("bob"), "Bob", 0, 10),
            row(Some("bob"), "Bob", 20, 30),
            row(None, "Phone", 5, 15),
        ];
        let changed = merge_report(&[ana.clone(), bob.clone()], &rows);
        assert_eq!(changed.len(), 3, "{changed:#?}");
        let mut records: Vec<Attendance> = vec![ana, bob];
        for (record, read) in &changed {
            assert_eq!(record.version, read + 1);
            records.retain(|r| r.participant_id != record.participant_id);
            records.push(record.clone());
        }
        let people = people(&records, None, |k| Some(k.to_owned()));
        let seconds: Vec<(Option<String>, i64)> = people
            .iter()
            .map(|p| (p.customer_key.clone(), p.duration_seconds))
            .collect();
        assert!(
            seconds.contains(&(Some("ana".into()), 30 * 60)),
            "{seconds:?}"
        );
        assert!(
            seconds.contains(&(Some("bob".into()), 20 * 60)),
            "{seconds:?}"
        );
        assert!(seconds.contains(&(None, 10 * 60)), "{seconds:?}");
        // Merging the same report again changes nothing.
        assert!(merge_report(&records, &rows).is_empty());
    }
}
