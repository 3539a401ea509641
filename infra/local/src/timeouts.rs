//! `--timeout FUNCTION=SECONDS`: a function's request timeout on this
//! server in place of its Lambda `Timeout` (`lms_zoom::functions`), e.g. a
//! short one to see what a request does when its deadline comes.

use std::str::FromStr;
use std::time::Duration;

use lms_zoom::functions::{self, Function};

/// The functions whose routes the server serves.
pub const SERVED: [Function; 4] = [
    functions::LICENSES,
    functions::MEETINGS,
    functions::SDK_SIGNATURE,
    functions::ZOOM_WEBHOOKS,
];

/// Lambda's own limit; also keeps a deadline far from `Instant`'s end.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// One `--timeout FUNCTION=SECONDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutOverride {
    pub function: Function,
    pub timeout: Duration,
}

impl FromStr for TimeoutOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, seconds) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: expected FUNCTION=SECONDS"))?;
        let function = SERVED
            .into_iter()
            .find(|f| f.name == name.trim())
            .ok_or_else(|| format!("`{name}`: FUNCTION is one of {}", served_names()))?;
        let timeout = parse_seconds(seconds)?;
        if timeout.is_zero() || timeout > MAX_TIMEOUT {
            return Err(format!(
                "`{seconds}`: a timeout is more than 0 and at most {} seconds",
                MAX_TIMEOUT.as_secs()
            ));
        }
        Ok(Self { function, timeout })
    }
}

fn served_names() -> String {
    SERVED.map(|f| f.name).join(", ")
}

/// Seconds, fractions allowed (`2.5`), as a duration.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}`: seconds are finite and not negative"))
}

/// Each served function's request timeout: the last `--timeout` naming it,
/// else its Lambda `Timeout`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeouts(Vec<TimeoutOverride>);

impl Timeouts {
    pub fn new(overrides: &[TimeoutOverride]) -> Self {
        Self(overrides.to_vec())
    }

    pub fn of(&self, function: Function) -> Duration {
        self.0
            .iter()
            .rev()
            .find(|o| o.function.name == function.name)
            .map_or(function.timeout, |o| o.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TimeoutOverride, String> {
        text.parse()
    }

    #[test]
    fn a_timeout_names_a_served_function_and_seconds() {
        assert_eq!(
            parse("sdk-signature=2.5"),
            Ok(TimeoutOverride {
                function: functions::SDK_SIGNATURE,
                timeout: Duration::from_millis(2500),
            })
        );
        assert_eq!(
            parse("zoom-webhooks=900").map(|o| o.timeout),
            Ok(MAX_TIMEOUT)
        );
        for bad in [
            "licenses",
            "licenses=",
            "licenses=abc",
            "licenses=0",
            "licenses=-1",
            "licenses=NaN",
            "licenses=inf",
            "licenses=900.5",
            "maintenance=10",
            "nope=1",
        ] {
            assert!(parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(
            parse("nope=1")
                .unwrap_err()
                .contains("licenses, meetings, sdk-signature, zoom-webhooks")
        );
    }

    #[test]
    fn the_last_override_wins_and_the_rest_keep_their_lambda_timeout() {
        let timeouts = Timeouts::new(&[
            parse("meetings=1").unwrap(),
            parse("meetings=0.25").unwrap(),
        ]);
        assert_eq!(timeouts.of(functions::MEETINGS), Duration::from_millis(250));
        assert_eq!(
            timeouts.of(functions::LICENSES),
            functions::LICENSES.timeout
        );
        assert_eq!(
            Timeouts::default().of(functions::ZOOM_WEBHOOKS),
            Duration::from_secs(3)
        );
    }
}
