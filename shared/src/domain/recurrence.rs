//! Class series: a course's recurring meeting. How the request's
//! `recurrence` object is read, how it expands into occurrences that keep
//! their local wall-clock time across daylight-saving changes, and Zoom's
//! `recurrence` object for a type-8 (fixed time) meeting. No I/O here.
//!
//! Local times that a daylight-saving change makes ambiguous or skips follow
//! RFC 5545 §3.3.5: an ambiguous time (fall back) is its earlier instant; a
//! skipped time (spring forward) is read with the offset in force before the
//! gap, so 02:30 on a day clocks jump from 02:00 to 03:00 becomes 03:30.

use chrono::{
    DateTime, Datelike, Days, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, SubsecRound,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::validation::{Field, FieldError, Problems, Reader, Rule};

/// Most occurrences a series may have (API.md; Zoom's documented `end_times` limit).
pub const MAX_OCCURRENCES: usize = 50;
pub const TYPES: &[&str] = &["daily", "weekly", "monthly"];
/// `weeklyDays` values, Sunday first (Zoom's `weekly_days` count 1 = Sunday).
pub const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
pub const END_FIELDS: &[&str] = &["endTimes", "endDate"];
const SUNDAY_FIRST: [Weekday; 7] = [
    Weekday::Sun,
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
];

const FIELD: &str = "recurrence";
const FIELDS: &[&str] = &[
    "type",
    "interval",
    "weeklyDays",
    "monthlyDay",
    "endTimes",
    "endDate",
];
/// Periods (days, weeks or months) looked at when expanding: a bound, so a
/// hand-built `Recurrence` that matches no date cannot loop for ever.
const MAX_PERIODS: u32 = 1000;

/// On which days a series meets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Daily,
    /// On these days of the week, sorted from Sunday, without repeats.
    Weekly(Vec<Weekday>),
    /// On this day of the month, 1-31. Months without that day (31 in April,
    /// 30 in February) are skipped, not clamped to their last day: Zoom does
    /// not document what it does there (UNCONFIRMED).
    Monthly(u32),
}

impl Pattern {
    /// Zoom's `repeat_interval` limit: 90 days, 12 weeks, 3 months.
    pub fn max_interval(&self) -> u32 {
        Kind::of(self).max_interval()
    }
}

/// When a series stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// After this many occurrences, 1-50.
    Times(u32),
    /// With the last occurrence starting on or before this end (inclusive).
    Until(EndDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndDate {
    /// An RFC 3339 time: occurrences starting at or before it.
    Instant(DateTime<Utc>),
    /// A `YYYY-MM-DD` date: occurrences whose local date, in the series'
    /// time zone, is on or before it.
    Day(NaiveDate),
}

impl EndDate {
    fn includes(&self, start: DateTime<Utc>, tz: Tz) -> bool {
        match self {
            EndDate::Instant(end) => start <= *end,
            EndDate::Day(day) => start.with_timezone(&tz).date_naive() <= *day,
        }
    }
}

/// A valid `recurrence` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub pattern: Pattern,
    /// Every how many days, weeks or months; 1 when the request leaves it out.
    pub interval: u32,
    pub end: End,
}

/// One class of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start_time: DateTime<Utc>,
    pub duration_minutes: u32,
}

impl Occurrence {
    pub fn end_time(&self) -> DateTime<Utc> {
        self.start_time + Duration::minutes(i64::from(self.duration_minutes))
    }
}

/// The type without its data, to read the fields that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Daily,
    Weekly,
    Monthly,
}

impl Kind {
    fn of(pattern: &Pattern) -> Self {
        match pattern {
            Pattern::Daily => Kind::Daily,
            Pattern::Weekly(_) => Kind::Weekly,
            Pattern::Monthly(_) => Kind::Monthly,
        }
    }

    fn name(self) -> &'static str {
        TYPES[self as usize]
    }

    fn max_interval(self) -> u32 {
        match self {
            Kind::Daily => 90,
            Kind::Weekly => 12,
            Kind::Monthly => 3,
        }
    }
}

/// An IANA time zone name (`America/Argentina/Buenos_Aires`, `UTC`), from
/// the compiled-in tz database; names are case-sensitive.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// Reads a request's `recurrence` value into `reader`'s problems, the
/// nested fields named `recurrence.weeklyDays` and so on. Absent or `null`
/// is a problem too: a series always has a recurrence.
pub fn read_recurrence(reader: &mut Reader, value: Field<Value>) -> Option<Recurrence> {
    let object = match value {
        Field::Value(Value::Object(o)) => o,
        Field::Value(_) => {
            let error = FieldError::new(FIELD, Rule::WrongType("object"));
            reader.problems.wrong_types.push(error);
            return None;
        }
        Field::Null => {
            reader.invalid(FIELD, Rule::NotNull);
            return None;
        }
        Field::Absent => {
            reader.invalid(FIELD, Rule::Required);
            return None;
        }
    };
    let mut inner = Reader::new(object, FIELDS);
    let recurrence = read_fields(&mut inner);
    absorb(reader, inner.problems);
    recurrence
}

/// A `recurrence` object on its own, with every problem found in it.
pub fn parse_recurrence(value: Value) -> Result<Recurrence, Problems> {
    let mut reader = Reader::new(Map::new(), &[]);
    let recurrence = read_recurrence(&mut reader, Field::Value(value));
    match recurrence {
        Some(r) if reader.problems.is_empty() => Ok(r),
        _ => Err(reader.problems),
    }
}

/// The inner reader's problems, under `recurrence.` (a nameless one is the
/// object's own).
fn absorb(reader: &mut Reader, problems: Problems) {
    let name = |e: FieldError| match e.field.as_str() {
        "" => FieldError::new(FIELD, e.rule),
        field => FieldError::new(format!("{FIELD}.{field}"), e.rule),
    };
    let wrong = problems.wrong_types.into_iter().map(name);
    reader.problems.wrong_types.extend(wrong);
    reader
        .problems
        .invalid
        .extend(problems.invalid.into_iter().map(name));
}

fn read_fields(r: &mut Reader) -> Option<Recurrence> {
    let kind = read_kind(r);
    let max = kind.map_or(Kind::Daily.max_interval(), Kind::max_interval);
    let interval = match r.integer("interval", 1, i64::from(max)) {
        Field::Null => {
            r.invalid("interval", Rule::NotNull);
            None
        }
        Field::Value(i) => Some(i as u32),
        Field::Absent => Some(1),
    };
    let pattern = read_pattern(r, kind);
    let end = read_end(r);
    if !r.problems.is_empty() {
        return None;
    }
    Some(Recurrence {
        pattern: pattern?,
        interval: interval?,
        end: end?,
    })
}

fn read_kind(r: &mut Reader) -> Option<Kind> {
    let raw = r.string("type", 16, true);
    let seen = r.has_problem("type");
    let name = r.require("type", raw, seen)?;
    match TYPES.iter().position(|t| *t == name) {
        Some(0) => Some(Kind::Daily),
        Some(1) => Some(Kind::Weekly),
        Some(_) => Some(Kind::Monthly),
        None => {
            r.invalid("type", Rule::OneOf(TYPES));
            None
        }
    }
}

fn read_pattern(r: &mut Reader, kind: Option<Kind>) -> Option<Pattern> {
    let days = read_weekdays(r);
    let day = r.integer("monthlyDay", 1, 31);
    for (name, given, only) in [
        ("weeklyDays", matches!(days, Field::Value(_)), Kind::Weekly),
        ("monthlyDay", matches!(day, Field::Value(_)), Kind::Monthly),
    ] {
        if given && kind.is_some_and(|k| k != only) {
            r.invalid(name, Rule::OnlyForType(only.name()));
        }
    }
    match kind? {
        Kind::Daily => Some(Pattern::Daily),
        Kind::Weekly => {
            let seen = r.has_problem("weeklyDays");
            r.require("weeklyDays", days, seen).map(Pattern::Weekly)
        }
        Kind::Monthly => {
            let seen = r.has_problem("monthlyDay");
            let day = r.require("monthlyDay", day, seen)?;
            Some(Pattern::Monthly(day as u32))
        }
    }
}

/// `weeklyDays`: a non-empty array of `sun`..`sat`, kept sorted from Sunday
/// without repeats (a repeated day is the same day).
fn read_weekdays(r: &mut Reader) -> Field<Vec<Weekday>> {
    let items = match r.take_value("weeklyDays") {
        Field::Value(Value::Array(items)) => items,
        Field::Value(_) => {
            let error = FieldError::new("weeklyDays", Rule::WrongType("array"));
            r.problems.wrong_types.push(error);
            return Field::Absent;
        }
        Field::Null => return Field::Null,
        Field::Absent => return Field::Absent,
    };
    let mut days: Vec<Weekday> = Vec::with_capacity(items.len());
    let (mut wrong_type, mut unknown) = (false, false);
    for item in &items {
        match item.as_str().map(|s| WEEKDAYS.iter().position(|d| *d == s)) {
            Some(Some(i)) => days.push(SUNDAY_FIRST[i]),
            Some(None) => unknown = true,
            None => wrong_type = true,
        }
    }
    if wrong_type {
        let error = FieldError::new("weeklyDays", Rule::WrongType("array"));
        r.problems.wrong_types.push(error);
    } else if unknown {
        r.invalid("weeklyDays", Rule::OneOf(WEEKDAYS));
    } else if items.is_empty() {
        r.invalid("weeklyDays", Rule::EmptyList);
    } else {
        days.sort_by_key(Weekday::num_days_from_sunday);
        days.dedup();
        return Field::Value(days);
    }
    Field::Absent
}

/// Exactly one of `endTimes` (1-50) and `endDate`.
fn read_end(r: &mut Reader) -> Option<End> {
    let times = r.integer("endTimes", 1, MAX_OCCURRENCES as i64);
    let times_given = !matches!(times, Field::Absent) || r.has_problem("endTimes");
    let raw = r.string("endDate", 64, true);
    let date_given = !matches!(raw, Field::Absent) || r.has_problem("endDate");
    if times_given == date_given {
        r.invalid("", Rule::ExactlyOneOf(END_FIELDS));
        return None;
    }
    for (name, null) in [
        ("endTimes", matches!(times, Field::Null)),
        ("endDate", matches!(raw, Field::Null)),
    ] {
        if null {
            r.invalid(name, Rule::NotNull);
        }
    }
    if let Field::Value(n) = times {
        return Some(End::Times(n as u32));
    }
    let raw = raw.into_option()?;
    let date = parse_end_date(&raw);
    if date.is_none() {
        r.invalid("endDate", Rule::NotADateOrTime);
    }
    date.map(End::Until)
}

/// `YYYY-MM-DD`, or RFC 3339 with an offset to the whole second.
fn parse_end_date(raw: &str) -> Option<EndDate> {
    if let Ok(t) = DateTime::<FixedOffset>::parse_from_rfc3339(raw) {
        return Some(EndDate::Instant(t.with_timezone(&Utc).trunc_subsecs(0)));
    }
    let shaped = raw.len() == 10
        && raw.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(EndDate::Day)
}

impl Recurrence {
    /// The request's form (what `read_recurrence` reads back), for the series view.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), json!(Kind::of(&self.pattern).name()));
        o.insert("interval".into(), json!(self.interval));
        match &self.pattern {
            Pattern::Daily => {}
            Pattern::Weekly(days) => {
                let names: Vec<_> = days
                    .iter()
                    .map(|d| WEEKDAYS[d.num_days_from_sunday() as usize])
                    .collect();
                o.insert("weeklyDays".into(), json!(names));
            }
            Pattern::Monthly(day) => {
                o.insert("monthlyDay".into(), json!(day));
            }
        }
        let (name, end) = match self.end {
            End::Times(n) => ("endTimes", json!(n)),
            End::Until(EndDate::Instant(t)) => ("endDate", json!(super::meeting::zoom_time(&t))),
            End::Until(EndDate::Day(d)) => ("endDate", json!(d.format("%Y-%m-%d").to_string())),
        };
        o.insert(name.into(), end);
        Value::Object(o)
    }
}

/// The series' occurrences, from its first `start` (the instant the request's
/// `startTime` names), each keeping `start`'s local wall-clock time in `tz`.
///
/// Daily: every `interval` days from the start date. Weekly: every
/// `interval` weeks (weeks counted from the Sunday on or before the start
/// date; Zoom's own week start is UNCONFIRMED) on each of the days, never
/// before the start. Monthly: day `monthlyDay` every `interval` months from
/// the start's month, never before the start, skipping months without that
/// day. An occurrence on the start date is `start` itself; the others follow
/// the module's rule for ambiguous and skipped local times.
///
/// An `endDate` that leaves no occurrence, or more than 50, is a problem
/// on `recurrence.endDate`.
pub fn expand(
    recurrence: &Recurrence,
    start: DateTime<Utc>,
    duration_minutes: u32,
    tz: Tz,
) -> Result<Vec<Occurrence>, FieldError> {
    let local = start.with_timezone(&tz).naive_local();
    let (first, time) = (local.date(), local.time());
    let starts = candidate_dates(recurrence, first).map(|date| {
        if date == first {
            start
        } else {
            resolve(tz, date.and_time(time))
        }
    });
    let starts: Vec<DateTime<Utc>> = match &recurrence.end {
        End::Times(n) => starts.take(*n as usize).collect(),
        End::Until(end) => {
            let field = format!("{FIELD}.endDate");
            let within: Vec<_> = starts
                .take_while(|s| end.includes(*s, tz))
                .take(MAX_OCCURRENCES + 1)
                .collect();
            if within.is_empty() {
                return Err(FieldError::new(field, Rule::BeforeStartTime));
            }
            if within.len() > MAX_OCCURRENCES {
                return Err(FieldError::new(
                    field,
                    Rule::TooManyOccurrences(MAX_OCCURRENCES),
                ));
            }
            within
        }
    };
    let occurrence = |start_time| Occurrence {
        start_time,
        duration_minutes,
    };
    Ok(starts.into_iter().map(occurrence).collect())
}

/// The local dates the pattern gives from `first` on, in order.
fn candidate_dates(
    recurrence: &Recurrence,
    first: NaiveDate,
) -> Box<dyn Iterator<Item = NaiveDate> + '_> {
    let step = recurrence.interval.max(1);
    let periods = (0..MAX_PERIODS).map(move |k| k * step);
    match &recurrence.pattern {
        Pattern::Daily => Box::new(periods.filter_map(move |k| add_days(first, k))),
        Pattern::Weekly(days) => {
            let sunday = first - Days::new(u64::from(first.weekday().num_days_from_sunday()));
            let mut offsets: Vec<u32> = days.iter().map(Weekday::num_days_from_sunday).collect();
            offsets.sort_unstable();
            offsets.dedup();
            let weeks = periods.flat_map(move |k| {
                let days = offsets.clone().into_iter();
                days.filter_map(move |d| add_days(sunday, k * 7 + d))
            });
            Box::new(weeks.filter(move |d| *d >= first))
        }
        Pattern::Monthly(day) => {
            let day = *day;
            let months = periods.filter_map(move |k| month_day(first, k, day));
            Box::new(months.filter(move |d| *d >= first))
        }
    }
}

fn add_days(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

/// Day `day` of the month `months` after `first`'s, if that month has it.
fn month_day(first: NaiveDate, months: u32, day: u32) -> Option<NaiveDate> {
    let index = i64::from(first.year()) * 12 + i64::from(first.month0()) + i64::from(months);
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(year, index.rem_euclid(12) as u32 + 1, day)
}

/// The instant of a local time in `tz`: an ambiguous one is its earlier
/// instant; a skipped one is read with the offset in force before the gap.
fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        chrono::LocalResult::None => {
            // A day earlier is before the gap: no zone changes offset twice in a day.
            let before = tz.offset_from_utc_datetime(&(local - Duration::days(1)));
            let seconds = before.fix().local_minus_utc();
            Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(seconds))))
        }
    }
}

/// Zoom's `recurrence` object for a type-8 meeting. The end is always
/// `end_times`, the number of `occurrences` (an `endDate` converted to the
/// count this module computed), so Zoom and we agree on how many there are.
/// Zoom is also to be given the first occurrence as the meeting's `start_time`.
pub fn zoom_recurrence(recurrence: &Recurrence, occurrences: &[Occurrence]) -> Value {
    let mut o = Map::new();
    let kind = Kind::of(&recurrence.pattern);
    o.insert("type".into(), json!(kind as u8 + 1));
    o.insert("repeat_interval".into(), json!(recurrence.interval));
    match &recurrence.pattern {
        Pattern::Daily => {}
        Pattern::Weekly(days) => {
            let numbers: Vec<String> = days
                .iter()
                .map(|d| (d.num_days_from_sunday() + 1).to_string())
                .collect();
            o.insert("weekly_days".into(), json!(numbers.join(",")));
        }
        Pattern::Monthly(day) => {
            o.insert("monthly_day".into(), json!(day));
        }
    }
    o.insert("end_times".into(), json!(occurrences.len()));
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recurrence(v: Value) -> Recurrence {
        parse_recurrence(v).unwrap()
    }

    fn problems(v: Value) -> Vec<(String, Rule)> {
        let p = parse_recurrence(v).unwrap_err();
        let all = p.wrong_types.into_iter().chain(p.invalid);
        all.map(|e| (e.field, e.rule)).collect()
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn tz(name: &str) -> Tz {
        parse_timezone(name).unwrap()
    }

    /// Each occurrence's start as `YYYY-MM-DDTHH:MM:SSZ`.
    fn starts(v: Value, start: &str, zone: &str) -> Vec<String> {
        let occurrences = expand(&recurrence(v), at(start), 90, tz(zone)).unwrap();
        let times = occurrences.iter().map(|o| o.start_time);
        times
            .map(|t| super::super::meeting::zoom_time(&t))
            .collect()
    }

    const BA: &str = "America/Argentina/Buenos_Aires";
    const NY: &str = "America/New_York";

    #[test]
    fn weekly_tuesday_thursday_24_from_a_tuesday() {
        let v =
            json!({"type": "weekly", "weeklyDays": ["thu", "tue"], "interval": 1, "endTimes": 24});
        let s = starts(v, "2027-03-02T18:00:00-03:00", BA);
        assert_eq!(s.len(), 24);
        assert_eq!(s[0], "2027-03-02T21:00:00Z");
        assert_eq!(s[1], "2027-03-04T21:00:00Z");
        assert_eq!(s[2], "2027-03-09T21:00:00Z");
        assert_eq!(s[23], "2027-05-20T21:00:00Z");
        let days: Vec<_> = s.iter().map(|t| at(t).weekday()).collect();
        assert!(days.chunks(2).all(|w| w == [Weekday::Tue, Weekday::Thu]));
    }

    #[test]
    fn weekly_from_a_wednesday_starts_on_thursday() {
        let v = json!({"type": "weekly", "weeklyDays": ["tue", "thu"], "endTimes": 3});
        let s = starts(v, "2027-03-03T18:00:00-03:00", BA);
        assert_eq!(
            s,
            [
                "2027-03-04T21:00:00Z",
                "2027-03-09T21:00:00Z",
                "2027-03-11T21:00:00Z"
            ]
        );
    }

    #[test]
    fn weekly_interval_counts_weeks_from_the_start_week() {
        let v =
            json!({"type": "weekly", "weeklyDays": ["mon", "fri"], "interval": 2, "endTimes": 4});
        // Wednesday 2027-03-03: that week's Monday is past, its Friday is not.
        let s = starts(v, "2027-03-03T10:00:00Z", "UTC");
        let days: Vec<_> = s.iter().map(|t| &t[..10]).collect();
        assert_eq!(
            days,
            ["2027-03-05", "2027-03-15", "2027-03-19", "2027-03-29"]
        );
    }

    #[test]
    fn daily_interval_two() {
        let v = json!({"type": "daily", "interval": 2, "endTimes": 4});
        let s = starts(v, "2027-02-27T10:00:00Z", "UTC");
        let days: Vec<_> = s.iter().map(|t| &t[..10]).collect();
        assert_eq!(
            days,
            ["2027-02-27", "2027-03-01", "2027-03-03", "2027-03-05"]
        );
    }

    #[test]
    fn monthly_31_skips_short_months() {
        let v = json!({"type": "monthly", "monthlyDay": 31, "endTimes": 5});
        let s = starts(v, "2027-01-15T15:00:00Z", "UTC");
        let days: Vec<_> = s.iter().map(|t| &t[..10]).collect();
        assert_eq!(
            days,
            [
                "2027-01-31",
                "2027-03-31",
                "2027-05-31",
                "2027-07-31",
                "2027-08-31"
            ]
        );
        let v = json!({"type": "monthly", "monthlyDay": 31, "interval": 3, "endTimes": 3});
        let s = starts(v, "2027-01-31T15:00:00Z", "UTC");
        let days: Vec<_> = s.iter().map(|t| &t[..10]).collect();
        assert_eq!(days, ["2027-01-31", "2027-07-31", "2027-10-31"]);
        // A start after this month's day: the first is next month's.
        let v = json!({"type": "monthly", "monthlyDay": 15, "endTimes": 1});
        assert_eq!(
            starts(v, "2027-01-20T15:00:00Z", "UTC"),
            ["2027-02-15T15:00:00Z"]
        );
    }

    #[test]
    fn end_date_is_inclusive_in_the_series_timezone() {
        // 22:00 in Buenos Aires is 01:00 UTC the next day: the date is local.
        let v = json!({"type": "daily", "endDate": "2027-03-05"});
        let s = starts(v, "2027-03-01T22:00:00-03:00", BA);
        assert_eq!(s.len(), 5);
        assert_eq!(s[4], "2027-03-06T01:00:00Z");
        let v = json!({"type": "daily", "endDate": "2027-03-05T22:00:00-03:00"});
        assert_eq!(starts(v, "2027-03-01T22:00:00-03:00", BA).len(), 5);
        let v = json!({"type": "daily", "endDate": "2027-03-05T21:59:59-03:00"});
        assert_eq!(starts(v, "2027-03-01T22:00:00-03:00", BA).len(), 4);
    }

    #[test]
    fn end_date_past_50_occurrences_or_before_the_start_is_refused() {
        let start = at("2027-03-01T10:00:00Z");
        let fifty = recurrence(json!({"type": "daily", "endDate": "2027-04-19"}));
        assert_eq!(expand(&fifty, start, 60, Tz::UTC).unwrap().len(), 50);
        for (end, rule) in [
            ("2027-04-20", Rule::TooManyOccurrences(50)),
            ("2027-12-31", Rule::TooManyOccurrences(50)),
            ("2027-02-28", Rule::BeforeStartTime),
            ("2027-03-01T09:59:59Z", Rule::BeforeStartTime),
        ] {
            let r = recurrence(json!({"type": "daily", "endDate": end}));
            let error = expand(&r, start, 60, Tz::UTC).unwrap_err();
            assert_eq!(error, FieldError::new("recurrence.endDate", rule), "{end}");
        }
    }

    #[test]
    fn end_times_out_of_range_is_refused() {
        for n in [0, 51] {
            let p = problems(json!({"type": "daily", "endTimes": n}));
            assert_eq!(p, [("recurrence.endTimes".into(), Rule::OutOfRange(1, 50))]);
        }
        assert_eq!(
            recurrence(json!({"type": "daily", "endTimes": 50})).end,
            End::Times(50)
        );
    }

    #[test]
    fn exactly_one_end_is_required() {
        let one = Rule::ExactlyOneOf(END_FIELDS);
        let both = json!({"type": "daily", "endTimes": 3, "endDate": "2027-04-01"});
        assert_eq!(problems(both), [("recurrence".into(), one.clone())]);
        assert_eq!(
            problems(json!({"type": "daily"})),
            [("recurrence".into(), one)]
        );
    }

    #[test]
    fn new_york_keeps_18_local_across_the_march_change() {
        // Clocks go forward on Sunday 2027-03-14: EST (-5) to EDT (-4).
        let v = json!({"type": "daily", "endTimes": 4});
        let s = starts(v, "2027-03-12T18:00:00-05:00", NY);
        assert_eq!(
            s,
            [
                "2027-03-12T23:00:00Z",
                "2027-03-13T23:00:00Z",
                "2027-03-14T22:00:00Z",
                "2027-03-15T22:00:00Z"
            ]
        );
        let local: Vec<_> = s
            .iter()
            .map(|t| at(t).with_timezone(&tz(NY)).time())
            .collect();
        assert!(local.iter().all(|t| t.to_string() == "18:00:00"));
        // And back on 2027-11-07, weekly.
        let v = json!({"type": "weekly", "weeklyDays": ["sun"], "endTimes": 2});
        let s = starts(v, "2027-10-31T18:00:00-04:00", NY);
        assert_eq!(s, ["2027-10-31T22:00:00Z", "2027-11-07T23:00:00Z"]);
    }

    #[test]
    fn buenos_aires_has_a_constant_utc_hour() {
        let v = json!({"type": "monthly", "monthlyDay": 2, "endTimes": 12});
        let s = starts(v, "2027-03-02T18:00:00-03:00", BA);
        assert_eq!(s.len(), 12);
        assert!(s.iter().all(|t| t.ends_with("T21:00:00Z")), "{s:?}");
    }

    #[test]
    fn a_skipped_local_time_uses_the_offset_before_the_gap() {
        // 02:30 does not exist in New York on 2027-03-14: read as EST, 03:30 EDT.
        let v = json!({"type": "daily", "endTimes": 3});
        let s = starts(v, "2027-03-13T02:30:00-05:00", NY);
        assert_eq!(
            s,
            [
                "2027-03-13T07:30:00Z",
                "2027-03-14T07:30:00Z",
                "2027-03-15T06:30:00Z"
            ]
        );
        let local = at(&s[1]).with_timezone(&tz(NY)).time();
        assert_eq!(local.to_string(), "03:30:00");
    }

    #[test]
    fn an_ambiguous_local_time_is_the_earlier_instant() {
        // 01:30 happens twice in New York on 2027-11-07: EDT first, then EST.
        let v = json!({"type": "daily", "endTimes": 3});
        let s = starts(v, "2027-11-06T01:30:00-04:00", NY);
        assert_eq!(
            s,
            [
                "2027-11-06T05:30:00Z",
                "2027-11-07T05:30:00Z",
                "2027-11-08T06:30:00Z"
            ]
        );
    }

    #[test]
    fn zoom_wire_form_for_each_type() {
        let start = at("2027-03-02T18:00:00-03:00");
        let cases = [
            (
                json!({"type": "daily", "interval": 2, "endTimes": 4}),
                json!({"type": 1, "repeat_interval": 2, "end_times": 4}),
            ),
            (
                json!({"type": "weekly", "weeklyDays": ["thu", "sun", "tue"], "endTimes": 24}),
                json!({"type": 2, "repeat_interval": 1, "weekly_days": "1,3,5", "end_times": 24}),
            ),
            (
                // Day 31 from March to the end of 2027: Mar, May, Jul, Aug, Oct, Dec.
                json!({"type": "monthly", "monthlyDay": 31, "interval": 1, "endDate": "2027-12-31"}),
                json!({"type": 3, "repeat_interval": 1, "monthly_day": 31, "end_times": 6}),
            ),
        ];
        for (request, wire) in cases {
            let r = recurrence(request);
            let occurrences = expand(&r, start, 90, tz(BA)).unwrap();
            assert_eq!(zoom_recurrence(&r, &occurrences), wire);
        }
    }

    #[test]
    fn every_problem_is_reported_under_recurrence() {
        let p = problems(json!({
            "type": "daily", "interval": 91, "weeklyDays": ["tue"], "monthlyDay": 3,
            "endDate": "2027-02-30", "colour": "red"
        }));
        let expected = [
            ("recurrence.colour", Rule::Unknown),
            ("recurrence.interval", Rule::OutOfRange(1, 90)),
            ("recurrence.weeklyDays", Rule::OnlyForType("weekly")),
            ("recurrence.monthlyDay", Rule::OnlyForType("monthly")),
            ("recurrence.endDate", Rule::NotADateOrTime),
        ];
        let expected: Vec<_> = expected.map(|(f, r)| (f.to_owned(), r)).into();
        assert_eq!(p, expected);
    }

    #[test]
    fn type_dependent_fields() {
        for (v, field, rule) in [
            (json!({"endTimes": 1}), "type", Rule::Required),
            (
                json!({"type": "yearly", "endTimes": 1}),
                "type",
                Rule::OneOf(TYPES),
            ),
            (
                json!({"type": "weekly", "endTimes": 1}),
                "weeklyDays",
                Rule::Required,
            ),
            (
                json!({"type": "weekly", "weeklyDays": [], "endTimes": 1}),
                "weeklyDays",
                Rule::EmptyList,
            ),
            (
                json!({"type": "weekly", "weeklyDays": ["tue", "tues"], "endTimes": 1}),
                "weeklyDays",
                Rule::OneOf(WEEKDAYS),
            ),
            (
                json!({"type": "weekly", "weeklyDays": [2], "endTimes": 1}),
                "weeklyDays",
                Rule::WrongType("array"),
            ),
            (
                json!({"type": "weekly", "weeklyDays": ["tue"], "interval": 13, "endTimes": 1}),
                "interval",
                Rule::OutOfRange(1, 12),
            ),
            (
                json!({"type": "monthly", "endTimes": 1}),
                "monthlyDay",
                Rule::Required,
            ),
            (
                json!({"type": "monthly", "monthlyDay": 32, "endTimes": 1}),
                "monthlyDay",
                Rule::OutOfRange(1, 31),
            ),
            (
                json!({"type": "monthly", "monthlyDay": 1, "interval": 4, "endTimes": 1}),
                "interval",
                Rule::OutOfRange(1, 3),
            ),
            (
                json!({"type": "daily", "interval": 0, "endTimes": 1}),
                "interval",
                Rule::OutOfRange(1, 90),
            ),
            (
                json!({"type": "daily", "endDate": "2027-6-3"}),
                "endDate",
                Rule::NotADateOrTime,
            ),
        ] {
            let field = format!("recurrence.{field}");
            assert_eq!(problems(v.clone()), [(field, rule)], "{v}");
        }
    }

    #[test]
    fn read_recurrence_requires_an_object() {
        let mut r = Reader::new(Map::new(), &[]);
        assert!(read_recurrence(&mut r, Field::Absent).is_none());
        assert!(read_recurrence(&mut r, Field::Value(json!([1]))).is_none());
        assert_eq!(
            r.problems.invalid,
            [FieldError::new("recurrence", Rule::Required)]
        );
        let wrong = FieldError::new("recurrence", Rule::WrongType("object"));
        assert_eq!(r.problems.wrong_types, [wrong]);
    }

    #[test]
    fn the_request_form_reads_back_the_same() {
        for v in [
            json!({"type": "weekly", "interval": 2, "weeklyDays": ["tue", "thu"], "endTimes": 24}),
            json!({"type": "monthly", "interval": 1, "monthlyDay": 31, "endDate": "2027-12-31"}),
            json!({"type": "daily", "interval": 1, "endDate": "2027-12-31T21:00:00Z"}),
        ] {
            let r = recurrence(v.clone());
            assert_eq!(r.to_json(), v);
            assert_eq!(recurrence(r.to_json()), r);
        }
        let sorted = recurrence(
            json!({"type": "weekly", "weeklyDays": ["thu", "tue", "thu"], "endTimes": 2}),
        );
        assert_eq!(
            sorted.pattern,
            Pattern::Weekly(vec![Weekday::Tue, Weekday::Thu])
        );
    }
}
