//! Field-level problems found in a request, as data; the HTTP edge words them
//! in the caller's language.

use serde_json::{Map, Value};

/// What is wrong with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Required,
    NotNull,
    Unknown,
    WrongType(&'static str),
    Blank,
    TooLong(usize),
    InnerWhitespace,
    ControlCharacters,
    OutOfRange(i64, i64),
    NotEmailOrUserId,
    NotAnEmail,
    InvalidCursor,
    InvalidAcademyId,
    NotBoolean,
    InvalidQuery,
    NotATimeWithOffset,
    NotATimezone,
    OneOf(&'static [&'static str]),
    InvalidIdempotencyKey,
    EndBeforeStart,
    /// A course matches more meetings than one request reads.
    TooManyMeetings(usize),
    /// A list that must name at least one value is empty.
    EmptyList,
    /// A field that applies only when another field (here a recurrence's
    /// `type`) has this value.
    OnlyForType(&'static str),
    /// Exactly one of these fields must be given (not both, not neither).
    ExactlyOneOf(&'static [&'static str]),
    /// Neither a `YYYY-MM-DD` date nor an RFC 3339 time with an offset.
    NotADateOrTime,
    /// An end that leaves a series no occurrence: it is before `startTime`.
    BeforeStartTime,
    /// A field of one occurrence that only its series may change.
    SeriesWide,
    /// A new series time that would give it another number of classes.
    ChangesOccurrenceCount,
    /// A series end that gives more occurrences than a series may have.
    TooManyOccurrences(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub rule: Rule,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: Rule) -> Self {
        Self {
            field: field.into(),
            rule,
        }
    }
}

/// The shape of an email address: something, one `@`, and a domain with a
/// dot inside it. White space is the caller's to forbid (a single-token read).
pub fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// The outcome of reading a JSON object field by field: wrong JSON types are
/// told apart from values that break a rule (400 versus 422 at the edge).
#[derive(Debug, Default)]
pub struct Problems {
    pub wrong_types: Vec<FieldError>,
    pub invalid: Vec<FieldError>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.wrong_types.is_empty() && self.invalid.is_empty()
    }
}

/// A field present in the body: absent, explicitly `null`, or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<T> {
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn into_option(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads typed fields out of a JSON object, recording every problem.
pub struct Reader {
    object: Map<String, Value>,
    pub problems: Problems,
}

impl Reader {
    /// Rejects fields not in `known` as unknown.
    pub fn new(object: Map<String, Value>, known: &[&str]) -> Self {
        let mut problems = Problems::default();
        for name in object.keys() {
            if !known.contains(&name.as_str()) {
                problems.invalid.push(FieldError::new(name, Rule::Unknown));
            }
        }
        Self { object, problems }
    }

    /// A raw JSON value, for nested objects read by their own rules.
    pub fn take_value(&mut self, name: &str) -> Field<Value> {
        self.take(name)
    }

    fn take(&mut self, name: &str) -> Field<Value> {
        match self.object.remove(name) {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(v) => Field::Value(v),
        }
    }

    /// A string, trimmed. `single_token` forbids white space inside (pasted credentials).
    pub fn string(&mut self, name: &str, max_chars: usize, single_token: bool) -> Field<String> {
        match self.take(name) {
            Field::Value(Value::String(s)) => {
                let s = s.trim();
                let rule = if s.is_empty() {
                    Some(Rule::Blank)
                } else if s.chars().count() > max_chars {
                    Some(Rule::TooLong(max_chars))
                } else if s.chars().any(char::is_control) {
                    Some(Rule::ControlCharacters)
                } else if single_token && s.chars().any(char::is_whitespace) {
                    Some(Rule::InnerWhitespace)
                } else {
                    None
                };
                match rule {
                    Some(rule) => {
                        self.problems.invalid.push(FieldError::new(name, rule));
                        Field::Absent
                    }
                    None => Field::Value(s.to_owned()),
                }
            }
            Field::Value(_) => {
                self.problems
                    .wrong_types
                    .push(FieldError::new(name, Rule::WrongType("string")));
                Field::Absent
            }
            Field::Null => Field::Null,
            Field::Absent => Field::Absent,
        }
    }

    /// An integer within `min..=max`.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Field<i64> {
        match self.take(name) {
            Field::Value(Value::Number(n)) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Field::Value(i),
                Some(_) => {
                    self.problems
                        .invalid
                        .push(FieldError::new(name, Rule::OutOfRange(min, max)));
                    Field::Absent
                }
                None => {
                    self.problems
                        .wrong_types
                        .push(FieldError::new(name, Rule::WrongType("integer")));
                    Field::Absent
                }
            },
            Field::Value(_) => {
                self.problems
                    .wrong_types
                    .push(FieldError::new(name, Rule::WrongType("integer")));
                Field::Absent
            }
            Field::Null => Field::Null,
            Field::Absent => Field::Absent,
        }
    }

    /// Records that a field must be present (and not null) when it is not.
    pub fn require<T>(&mut self, name: &str, field: Field<T>, was_invalid: bool) -> Option<T> {
        match field {
            Field::Value(v) => Some(v),
            Field::Null => {
                self.problems
                    .invalid
                    .push(FieldError::new(name, Rule::NotNull));
                None
            }
            Field::Absent => {
                if !was_invalid {
                    self.problems
                        .invalid
                        .push(FieldError::new(name, Rule::Required));
                }
                None
            }
        }
    }

    /// Whether a problem was already recorded for `name`.
    pub fn has_problem(&self, name: &str) -> bool {
        self.problems
            .wrong_types
            .iter()
            .chain(&self.problems.invalid)
            .any(|e| e.field == name)
    }

    pub fn invalid(&mut self, name: &str, rule: Rule) {
        self.problems.invalid.push(FieldError::new(name, rule));
    }
}
