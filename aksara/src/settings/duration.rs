//! Durations in settings: whole seconds (`3600`) or readable text (`"30m"`,
//! `"12h"`, `"7d"`, `"1h 30m"`), parsed by `humantime`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

const EXPECTED: &str =
    r#"a number of seconds (3600) or a duration such as "30m", "12h", "7d" or "1h 30m""#;

/// Parses a duration setting: a whole number of seconds, or `humantime` text such
/// as `"30m"`, `"12h"`, `"7d"`, `"2w"` or `"1h 30m"`.
///
/// # Errors
/// [`InvalidDuration`] saying what was wrong and what is accepted.
///
/// ```
/// use std::time::Duration;
/// use aksara::settings::parse_duration;
///
/// assert_eq!(parse_duration("3600")?, Duration::from_secs(3600));
/// assert_eq!(parse_duration("7d")?, Duration::from_secs(7 * 86_400));
/// assert_eq!(parse_duration("1h 30m")?, Duration::from_secs(5400));
/// assert!(parse_duration("7 dayz").is_err());
/// # Ok::<(), aksara::settings::InvalidDuration>(())
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, InvalidDuration> {
    let trimmed = text.trim();
    let invalid = |reason: String| InvalidDuration {
        text: text.to_owned(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(invalid("it is empty".into()));
    }
    if trimmed.bytes().all(|byte| byte.is_ascii_digit()) {
        return trimmed
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| invalid("too many seconds".into()));
    }
    humantime::parse_duration(trimmed).map_err(|err| invalid(err.to_string()))
}

/// A duration setting that [`parse_duration`] could not read.
///
/// ```
/// let err = aksara::settings::parse_duration("soon").unwrap_err();
/// assert!(err.to_string().starts_with("invalid duration \"soon\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDuration {
    text: String,
    reason: String,
}

impl fmt::Display for InvalidDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration {:?} ({}): expected {EXPECTED}",
            self.text, self.reason
        )
    }
}

impl std::error::Error for InvalidDuration {}

/// Deserializes a [`Duration`] the way the built-in settings read theirs (see
/// [`parse_duration`]); use it for durations in your own settings with
/// `#[serde(deserialize_with = "aksara::settings::deserialize_duration")]`.
///
/// # Errors
/// The deserializer's error when the value is neither a non-negative integer nor
/// readable duration text.
///
/// ```
/// use std::time::Duration;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Cache {
///     #[serde(deserialize_with = "aksara::settings::deserialize_duration")]
///     ttl: Duration,
/// }
///
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[app]\nttl = \"10m\"\n"),
///     [("AKSARA_APP_TTL", "90")],
/// )?;
/// assert_eq!(settings.extra::<Cache>()?.ttl, Duration::from_secs(90));
/// # Ok::<(), aksara::SettingsError>(())
/// ```
pub fn deserialize_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, secs: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(secs))
    }

    fn visit_i64<E: de::Error>(self, secs: i64) -> Result<Duration, E> {
        u64::try_from(secs)
            .map(Duration::from_secs)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(secs), &self))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        parse_duration(text).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_readable_text() {
        let cases = [
            ("0", 0),
            ("59", 59),
            (" 60 ", 60),
            ("30s", 30),
            ("30m", 1800),
            ("12h", 43_200),
            ("7d", 604_800),
            ("2w", 1_209_600),
            ("1h 30m", 5400),
            ("1h30m", 5400),
            ("90min", 5400),
        ];
        for (text, secs) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_text_says_what_is_accepted() {
        for text in [
            "",
            "  ",
            "7 dayz",
            "-5",
            "1.5",
            "d7",
            "99999999999999999999999",
        ] {
            let err = parse_duration(text).unwrap_err().to_string();
            assert!(
                err.contains("expected a number of seconds"),
                "{text}: {err}"
            );
        }
        let err = parse_duration("7 dayz").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid duration \"7 dayz\" (unknown time unit"),
            "{err}"
        );
    }
}
