//! A type-8 meeting's `recurrence` (ZOOM-2.md D): parsing and validating it
//! the way Zoom answers (`400 {"code":300,"message":"Validation Failed.",…}`
//! naming the first bad field), its JSON shape, and the occurrence start
//! times it produces.
//!
//! Occurrences keep the wall-clock time of the first one in the meeting's
//! IANA `timezone` across daylight-saving changes, as Zoom does (chrono-tz);
//! a `timezone` the database does not know falls back to the UTC offset the
//! `start_time` was given with. A local time that occurs twice (fall-back)
//! takes the earlier instant; one that does not exist (spring-forward) is
//! skipped (UNCONFIRMED: Zoom's choice is not documented).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::meeting_model::zoom_time;
use crate::reply::{self, Rejection};

/// Most occurrences a series may have: the occurrence docs' 50, not the
/// older `end_times` maximum of 60 (ZOOM-2.md D; UNCONFIRMED).
pub(crate) const MAX_OCCURRENCES: u32 = 50;
/// Longest `repeat_interval` per `type`: 90 days, 12 weeks, 3 months.
const MAX_INTERVAL: [u32; 3] = [90, 12, 3];
/// Candidate dates looked at before giving up (months without a 31st…).
const MAX_CANDIDATES: usize = 2_000;

/// How a series repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    Daily,
    /// Zoom's `weekly_days`, 1 = Sunday … 7 = Saturday, ascending, no repeats.
    Weekly(Vec<u32>),
    /// `monthly_day` 1–31; a month without that day has no occurrence
    /// (UNCONFIRMED: Zoom may move it to the month's last day instead).
    Monthly(u32),
}

/// How a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// `end_times`: this many occurrences.
    Times(u32),
    /// `end_date_time`: occurrences starting at or before it (at most
    /// [`MAX_OCCURRENCES`]; later ones are dropped, UNCONFIRMED).
    Date(DateTime<Utc>),
}

/// A validated `recurrence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recurrence {
    pub pattern: Pattern,
    pub interval: u32,
    pub end: End,
}

fn invalid(field: &str) -> Rejection {
    reply::validation_failed(&format!("recurrence.{field}"))
}

/// A JSON integer, or a string of digits (Zoom's binding coerces those).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn given<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// `"2,4"` (or a single number) → `[2, 4]`; each day 1–7.
fn weekly_days(value: &Value) -> Option<Vec<u32>> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let mut days = Vec::new();
    for part in text.split(',') {
        let day: u32 = part.trim().parse().ok()?;
        if !(1..=7).contains(&day) {
            return None;
        }
        days.push(day);
    }
    days.sort_unstable();
    days.dedup();
    Some(days)
}

impl Recurrence {
    /// Validates a request's `recurrence` (`None` = absent: a validation
    /// error on `recurrence`, UNCONFIRMED wording for a type-8 meeting
    /// without one). Neither `end_times` nor `end_date_time` = `end_times`
    /// 1 (Zoom's documented default); both, `end_times` 0 (Zoom's "no end",
    /// not emulated) or above 50, and `monthly_week`/`monthly_week_day`
    /// (not emulated, logged) are validation errors.
    pub(crate) fn parse(value: Option<&Value>) -> Result<Recurrence, Rejection> {
        let Some(Value::Object(object)) = value else {
            return Err(reply::validation_failed("recurrence"));
        };
        let kind = given(object, "type")
            .and_then(integer)
            .filter(|t| (1..=3).contains(t))
            .ok_or_else(|| invalid("type"))? as usize;
        let interval = match given(object, "repeat_interval") {
            None => 1,
            Some(value) => integer(value)
                .filter(|&n| n >= 1 && n <= i64::from(MAX_INTERVAL[kind - 1]))
                .ok_or_else(|| invalid("repeat_interval"))? as u32,
        };
        let pattern = match kind {
            1 => Pattern::Daily,
            2 => Pattern::Weekly(
                given(object, "weekly_days")
                    .and_then(weekly_days)
                    .ok_or_else(|| invalid("weekly_days"))?,
            ),
            _ => {
                for unsupported in ["monthly_week", "monthly_week_day"] {
                    if given(object, unsupported).is_some() {
                        tracing::warn!(
                            "zoom emulator: recurrence.{unsupported} is not supported; use monthly_day"
                        );
                        return Err(invalid(unsupported));
                    }
                }
                Pattern::Monthly(
                    given(object, "monthly_day")
                        .and_then(integer)
                        .filter(|d| (1..=31).contains(d))
                        .ok_or_else(|| invalid("monthly_day"))? as u32,
                )
            }
        };
        let end = match (given(object, "end_times"), given(object, "end_date_time")) {
            (Some(_), Some(_)) => return Err(invalid("end_date_time")),
            (None, None) => End::Times(1),
            (Some(times), None) => End::Times(
                integer(times)
                    .filter(|&n| n >= 1 && n <= i64::from(MAX_OCCURRENCES))
                    .ok_or_else(|| invalid("end_times"))? as u32,
            ),
            (None, Some(date)) => End::Date(
                date.as_str()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .ok_or_else(|| invalid("end_date_time"))?
                    .with_timezone(&Utc),
            ),
        };
        Ok(Recurrence {
            pattern,
            interval,
            end,
        })
    }

    /// Zoom's shape: `type`, `repeat_interval`, `weekly_days` (weekly) or
    /// `monthly_day` (monthly), and `end_times` or `end_date_time`.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = Map::new();
        let kind = match self.pattern {
            Pattern::Daily => 1,
            Pattern::Weekly(_) => 2,
            Pattern::Monthly(_) => 3,
        };
        object.insert("type".into(), kind.into());
        object.insert("repeat_interval".into(), self.interval.into());
        match &self.pattern {
            Pattern::Daily => {}
            Pattern::Weekly(days) => {
                let days: Vec<String> = days.iter().map(u32::to_string).collect();
                object.insert("weekly_days".into(), days.join(",").into());
            }
            Pattern::Monthly(day) => {
                object.insert("monthly_day".into(), (*day).into());
            }
        }
        match self.end {
            End::Times(n) => object.insert("end_times".into(), n.into()),
            End::Date(date) => object.insert("end_date_time".into(), zoom_time(&date).into()),
        };
        Value::Object(object)
    }

    /// The series' occurrence starts, from the first date on or after
    /// `start`'s (local) date that fits the pattern, each at `start`'s
    /// wall-clock time in `offset` (see the module docs). An empty series
    /// (an `end_date_time` before the first) is a validation error on
    /// `recurrence.end_date_time`.
    pub(crate) fn starts<Z: TimeZone>(
        &self,
        start: DateTime<Utc>,
        offset: &Z,
    ) -> Result<Vec<DateTime<Utc>>, Rejection> {
        let local = start.with_timezone(offset);
        let first_day = local.date_naive();
        let time = local.time();
        let limit = match self.end {
            End::Times(n) => n,
            End::Date(_) => MAX_OCCURRENCES,
        } as usize;
        let mut out = Vec::new();
        for date in self.candidates(first_day).take(MAX_CANDIDATES) {
            if out.len() >= limit {
                break;
            }
            let Some(at) = offset.from_local_datetime(&date.and_time(time)).earliest() else {
                continue;
            };
            let at = at.with_timezone(&Utc);
            if let End::Date(end) = self.end
                && at > end
            {
                break;
            }
            out.push(at);
        }
        if out.is_empty() {
            return Err(invalid("end_date_time"));
        }
        Ok(out)
    }

    /// Dates fitting the pattern, ascending, from `first_day` on.
    fn candidates(&self, first_day: NaiveDate) -> Box<dyn Iterator<Item = NaiveDate> + '_> {
        let interval = i64::from(self.interval);
        match &self.pattern {
            Pattern::Daily => Box::new((0..).map_while(move |k: i64| {
                first_day.checked_add_signed(Duration::days(k * interval))
            })),
            Pattern::Weekly(days) => {
                let sunday = first_day
                    - Duration::days(i64::from(first_day.weekday().num_days_from_sunday()));
                Box::new(
                    (0..)
                        .flat_map(move |week: i64| {
                            days.iter().map(move |&day| {
                                sunday + Duration::days(7 * week * interval + i64::from(day) - 1)
                            })
                        })
                        .filter(move |date| *date >= first_day),
                )
            }
            Pattern::Monthly(day) => {
                let day = *day;
                let month0 = first_day.year() * 12 + first_day.month0() as i32;
                Box::new(
                    (0..)
                        .map(move |k: i32| month0 + k * self.interval as i32)
                        .take(MAX_CANDIDATES)
                        .filter_map(move |m| {
                            NaiveDate::from_ymd_opt(
                                m.div_euclid(12),
                                m.rem_euclid(12) as u32 + 1,
                                day,
                            )
                        })
                        .filter(move |date| *date >= first_day),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn starts(recurrence: Value, start: &str) -> Vec<String> {
        let offset = DateTime::parse_from_rfc3339(start)
            .unwrap()
            .offset()
            .to_owned();
        Recurrence::parse(Some(&recurrence))
            .unwrap()
            .starts(at(start), &offset)
            .unwrap()
            .iter()
            .map(zoom_time)
            .collect()
    }

    #[test]
    fn weekly_starts_on_the_first_listed_day_on_or_after_the_start() {
        // 2030-01-01 is a Tuesday; 3 = Tuesday, 5 = Thursday.
        let got = starts(
            json!({"type": 2, "weekly_days": "5,3", "end_times": 5}),
            "2030-01-02T15:00:00Z",
        );
        assert_eq!(
            got,
            [
                "2030-01-03T15:00:00Z",
                "2030-01-08T15:00:00Z",
                "2030-01-10T15:00:00Z",
                "2030-01-15T15:00:00Z",
                "2030-01-17T15:00:00Z",
            ]
        );
    }

    #[test]
    fn every_other_week_daily_monthly_and_offsets() {
        let got = starts(
            json!({"type": 2, "repeat_interval": 2, "weekly_days": "1", "end_times": 3}),
            "2030-01-06T10:00:00Z",
        );
        assert_eq!(
            got,
            [
                "2030-01-06T10:00:00Z",
                "2030-01-20T10:00:00Z",
                "2030-02-03T10:00:00Z"
            ]
        );
        let got = starts(
            json!({"type": 1, "repeat_interval": 3, "end_date_time": "2030-01-07T10:00:00Z"}),
            "2030-01-01T10:00:00Z",
        );
        assert_eq!(
            got,
            [
                "2030-01-01T10:00:00Z",
                "2030-01-04T10:00:00Z",
                "2030-01-07T10:00:00Z"
            ]
        );
        let got = starts(
            json!({"type": 3, "monthly_day": 31, "end_times": 3}),
            "2030-01-15T10:00:00Z",
        );
        assert_eq!(
            got,
            [
                "2030-01-31T10:00:00Z",
                "2030-03-31T10:00:00Z",
                "2030-05-31T10:00:00Z"
            ]
        );
        // 23:30 at -05:00 is 04:30 UTC the next day; Monday (2) in local days.
        let got = starts(
            json!({"type": 2, "weekly_days": "2", "end_times": 2}),
            "2030-01-07T23:30:00-05:00",
        );
        assert_eq!(got, ["2030-01-08T04:30:00Z", "2030-01-15T04:30:00Z"]);
    }

    #[test]
    fn refuses_what_zoom_refuses() {
        let bad = [
            (json!(null), "recurrence"),
            (json!({"type": 4}), "recurrence.type"),
            (
                json!({"type": 1, "repeat_interval": 91}),
                "recurrence.repeat_interval",
            ),
            (
                json!({"type": 2, "repeat_interval": 13, "weekly_days": "1"}),
                "recurrence.repeat_interval",
            ),
            (
                json!({"type": 3, "repeat_interval": 4, "monthly_day": 1}),
                "recurrence.repeat_interval",
            ),
            (json!({"type": 2}), "recurrence.weekly_days"),
            (
                json!({"type": 2, "weekly_days": "0,8"}),
                "recurrence.weekly_days",
            ),
            (json!({"type": 3}), "recurrence.monthly_day"),
            (
                json!({"type": 3, "monthly_day": 32}),
                "recurrence.monthly_day",
            ),
            (
                json!({"type": 3, "monthly_week": 1, "monthly_week_day": 2}),
                "recurrence.monthly_week",
            ),
            (json!({"type": 1, "end_times": 51}), "recurrence.end_times"),
            (json!({"type": 1, "end_times": 0}), "recurrence.end_times"),
            (
                json!({"type": 1, "end_times": 2, "end_date_time": "2030-01-01T00:00:00Z"}),
                "recurrence.end_date_time",
            ),
        ];
        for (value, field) in bad {
            let given = (!value.is_null()).then_some(&value);
            let Err(Rejection::Zoom { body, .. }) = Recurrence::parse(given) else {
                panic!("{value} was accepted");
            };
            assert_eq!(body["errors"][0]["field"], field, "{value}");
        }
        let fifty = Recurrence::parse(Some(&json!({"type": 1, "end_times": 50}))).unwrap();
        assert_eq!(
            fifty
                .starts(
                    at("2030-01-01T00:00:00Z"),
                    &FixedOffset::east_opt(0).unwrap()
                )
                .unwrap()
                .len(),
            50
        );
        let before = Recurrence::parse(Some(
            &json!({"type": 1, "end_date_time": "2029-01-01T00:00:00Z"}),
        ))
        .unwrap();
        assert!(
            before
                .starts(
                    at("2030-01-01T00:00:00Z"),
                    &FixedOffset::east_opt(0).unwrap()
                )
                .is_err()
        );
    }

    #[test]
    fn new_york_keeps_18_00_across_the_march_change() {
        let weekly = Recurrence::parse(Some(
            &json!({"type": 2, "weekly_days": "3", "end_times": 3}),
        ))
        .unwrap();
        let zone: chrono_tz::Tz = "America/New_York".parse().unwrap();
        // Tuesdays 2027-03-09 (EST), 03-16 and 03-23 (EDT, from 03-14).
        let starts = weekly.starts(at("2027-03-09T23:00:00Z"), &zone).unwrap();
        let shown: Vec<String> = starts.iter().map(zoom_time).collect();
        assert_eq!(
            shown,
            [
                "2027-03-09T23:00:00Z",
                "2027-03-16T22:00:00Z",
                "2027-03-23T22:00:00Z"
            ]
        );
    }
}
