//! The `[throttle]` section of [`aksara::Settings`] and [`Rate`], a limit per window.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aksara::settings::{GivenKeys, InvalidKey, Section, parse_duration};
use serde::Deserialize;

/// At most `limit` hits per window of `per`: `"5/5m"`, `"20/1m"`, `"5/min"`.
///
/// The text is the limit, `/`, and either a duration as in the other settings
/// (`"30s"`, `"5m"`, `"1h"`, `"300"` seconds) or a unit alone meaning one of it
/// (`s`, `sec`, `m`, `min`, `h`, `hour`, `d`, `day`).
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::throttle::Rate;
///
/// let rate: Rate = "5/5m".parse()?;
/// assert_eq!(rate, Rate::new(5, Duration::from_secs(300)));
/// assert_eq!("20/min".parse::<Rate>()?.per, Duration::from_secs(60));
/// assert_eq!(rate.to_string(), "5/5m");
/// assert!("5 per minute".parse::<Rate>().is_err());
/// # Ok::<(), aksara_auth::throttle::InvalidRate>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Hits allowed in one window.
    pub limit: u32,
    /// The window's length, from its first hit.
    pub per: Duration,
}

impl Rate {
    /// `limit` hits per `per`.
    ///
    /// ```
    /// let rate = aksara_auth::throttle::Rate::new(3, std::time::Duration::from_secs(10));
    /// assert_eq!(rate.to_string(), "3/10s");
    /// ```
    #[must_use]
    pub const fn new(limit: u32, per: Duration) -> Self {
        Self { limit, per }
    }
}

/// Text that is not a [`Rate`]; the message says what is expected.
///
/// ```
/// let err = "five/5m".parse::<aksara_auth::throttle::Rate>().unwrap_err();
/// assert!(err.to_string().contains("expected a rate such as \"5/5m\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate {text:?}: {reason}; expected a rate such as \"5/5m\", \"20/1m\" or \"5/min\" (hits / window)"
)]
pub struct InvalidRate {
    text: String,
    reason: String,
}

impl FromStr for Rate {
    type Err = InvalidRate;

    fn from_str(text: &str) -> Result<Self, InvalidRate> {
        let invalid = |reason: &str| InvalidRate {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (limit, per) = text.split_once('/').ok_or_else(|| invalid("no `/`"))?;
        let limit: u32 = limit
            .trim()
            .parse()
            .map_err(|_| invalid("the limit is not a whole number"))?;
        let per = per.trim();
        let unit_alone = match per {
            "s" | "sec" | "second" => Some(1),
            "m" | "min" | "minute" => Some(60),
            "h" | "hour" => Some(3600),
            "d" | "day" => Some(86_400),
            _ => None,
        };
        let per = match unit_alone {
            Some(seconds) => Duration::from_secs(seconds),
            None => parse_duration(per).map_err(|err| invalid(&err.to_string()))?,
        };
        if limit == 0 || per.is_zero() {
            return Err(invalid(
                "the limit and the window must be greater than zero",
            ));
        }
        Ok(Self { limit, per })
    }
}

impl fmt::Display for Rate {
    /// `limit/window`, the window in its largest whole unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.per.as_millis();
        let (count, unit) = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1000, "s"),
        ]
        .into_iter()
        .find(|(size, _)| millis.is_multiple_of(*size))
        .map_or((millis, "ms"), |(size, unit)| (millis / size, unit));
        write!(f, "{}/{count}{unit}", self.limit)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where the counters live (`[throttle] store`).
///
/// ```
/// use aksara_auth::throttle::{ThrottleSettings, ThrottleStoreKind};
/// assert_eq!(ThrottleSettings::default().store, ThrottleStoreKind::Memory);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ThrottleStoreKind {
    /// In this process ([`MemoryThrottleStore`](super::MemoryThrottleStore)):
    /// right for one process; with several, each counts alone.
    #[default]
    Memory,
    /// The `auth_throttle` table ([`DbThrottleStore`](super::DbThrottleStore)),
    /// shared by every instance on the database.
    Database,
    /// Redis at `redis_url` (`RedisThrottleStore`, feature `redis`), shared.
    Redis,
}

/// Login and email throttling (`[throttle]` in TOML, `AKSARA_THROTTLE_*` in the
/// environment), on by default with allauth's limits.
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `enabled` | `AKSARA_THROTTLE_ENABLED` | bool | `true` |
/// | `store` | `AKSARA_THROTTLE_STORE` | `"memory"`, `"database"` or `"redis"` | `"memory"` |
/// | `redis_url` | `AKSARA_THROTTLE_REDIS_URL` | `redis://…`, for `store = "redis"` | none |
/// | `trusted_proxies` | `AKSARA_THROTTLE_TRUSTED_PROXIES` | integer: proxies in front that append to `X-Forwarded-For` | `0` |
/// | `login_failed_per_account` | `AKSARA_THROTTLE_LOGIN_FAILED_PER_ACCOUNT` | [`Rate`] | `"5/5m"` |
/// | `login_failed_per_ip` | `AKSARA_THROTTLE_LOGIN_FAILED_PER_IP` | [`Rate`] | `"20/1m"` |
/// | `login_attempts_per_ip` | `AKSARA_THROTTLE_LOGIN_ATTEMPTS_PER_IP` | [`Rate`]: every login tried, failed or not, answered or abandoned | `"30/1m"` |
/// | `forgot_password` | `AKSARA_THROTTLE_FORGOT_PASSWORD` | [`Rate`], per address | `"5/1m"` |
/// | `send_verification` | `AKSARA_THROTTLE_SEND_VERIFICATION` | [`Rate`], per address | `"5/1m"` |
/// | `memory_max_entries` | `AKSARA_THROTTLE_MEMORY_MAX_ENTRIES` | integer ≥ 1: the memory store's cap | `100000` |
///
/// `Debug` does not show `redis_url`, which may hold a password.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::throttle::{Rate, ThrottleSettings, ThrottleStoreKind};
///
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[throttle]\nstore = \"database\"\nlogin_failed_per_ip = \"50/1m\"\n"),
///     [("AKSARA_THROTTLE_TRUSTED_PROXIES", "1")],
/// )?;
/// let throttle: ThrottleSettings = settings.section()?;
/// assert!(throttle.enabled);
/// assert_eq!(throttle.store, ThrottleStoreKind::Database);
/// assert_eq!(throttle.trusted_proxies, 1);
/// assert_eq!(throttle.login_failed_per_ip, Rate::new(50, Duration::from_secs(60)));
/// assert_eq!(throttle.login_failed_per_account, Rate::new(5, Duration::from_secs(300)));
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ThrottleSettings {
    /// Whether anything is counted or refused.
    pub enabled: bool,
    /// Where the counters live.
    pub store: ThrottleStoreKind,
    /// The Redis server for `store = "redis"`.
    pub redis_url: Option<String>,
    /// How many reverse proxies in front of the app append the address they saw
    /// to `X-Forwarded-For`; 0 reads the peer address only (see
    /// [`client_ip`](super::client_ip)).
    pub trusted_proxies: usize,
    /// Failed logins per account (normalised email) before its logins are refused.
    pub login_failed_per_account: Rate,
    /// Failed logins per client address before its logins are refused.
    pub login_failed_per_ip: Rate,
    /// Logins tried per client address, counted before the password is checked
    /// (allauth's `login` rate): this is what refuses a flood of logins whose
    /// clients hang up before the answer, which never get as far as a failure.
    pub login_attempts_per_ip: Rate,
    /// Password-reset mails asked for per address.
    pub forgot_password: Rate,
    /// Verification mails asked for per address.
    pub send_verification: Rate,
    /// The most keys the memory store holds.
    pub memory_max_entries: usize,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        Self {
            enabled: true,
            store: ThrottleStoreKind::Memory,
            redis_url: None,
            trusted_proxies: 0,
            login_failed_per_account: Rate::new(5, 5 * minute),
            login_failed_per_ip: Rate::new(20, minute),
            login_attempts_per_ip: Rate::new(30, minute),
            forgot_password: Rate::new(5, minute),
            send_verification: Rate::new(5, minute),
            memory_max_entries: 100_000,
        }
    }
}

impl fmt::Debug for ThrottleSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleSettings")
            .field("enabled", &self.enabled)
            .field("store", &self.store)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "…"))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("login_failed_per_account", &self.login_failed_per_account)
            .field("login_failed_per_ip", &self.login_failed_per_ip)
            .field("login_attempts_per_ip", &self.login_attempts_per_ip)
            .field("forgot_password", &self.forgot_password)
            .field("send_verification", &self.send_verification)
            .field("memory_max_entries", &self.memory_max_entries)
            .finish()
    }
}

impl ThrottleSettings {
    /// The defaults with throttling switched off (tests of other behaviour).
    ///
    /// ```
    /// assert!(!aksara_auth::throttle::ThrottleSettings::disabled().enabled);
    /// ```
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

impl Section for ThrottleSettings {
    const NAME: &'static str = "throttle";

    /// Refuses a Redis store without a URL or without the `redis` feature, and an
    /// empty memory cap.
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        if self.memory_max_entries == 0 {
            return Err(InvalidKey::new(
                "memory_max_entries",
                "expected at least 1 (the memory store's cap on keys)",
            ));
        }
        if self.store == ThrottleStoreKind::Redis {
            if !cfg!(feature = "redis") {
                return Err(InvalidKey::new(
                    "store",
                    "\"redis\" needs aksara-auth's `redis` feature: enable it in Cargo.toml, or use \"database\"",
                ));
            }
            if self.redis_url.as_deref().is_none_or(str::is_empty) {
                return Err(InvalidKey::new(
                    "redis_url",
                    "expected a URL such as redis://127.0.0.1:6379 for store = \"redis\"",
                ));
            }
        }
        Ok(())
    }
}

aksara::declare_section!(ThrottleSettings);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_from_a_count_and_a_window() {
        let minute = Duration::from_secs(60);
        for (text, limit, per) in [
            ("5/5m", 5, 5 * minute),
            ("20/1m", 20, minute),
            ("5/min", 5, minute),
            (" 3 / 30s ", 3, Duration::from_secs(30)),
            ("100/hour", 100, 60 * minute),
            ("7/300", 7, 5 * minute),
        ] {
            assert_eq!(text.parse(), Ok(Rate::new(limit, per)), "{text}");
        }
        for bad in ["5", "x/1m", "0/1m", "5/0s", "5/fortnightly", "-1/1m"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
        assert_eq!(
            Rate::new(2, Duration::from_millis(1500)).to_string(),
            "2/1500ms"
        );
    }

    #[test]
    fn a_bad_rate_in_the_settings_names_its_key() {
        let err = aksara::Settings::from_sources(
            Some("debug = true\n[throttle]\nforgot_password = \"5 per minute\"\n"),
            None::<(String, String)>,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("invalid setting `throttle.forgot_password`"),
            "{err}"
        );
        assert!(err.contains("expected a rate such as"), "{err}");
    }

    #[test]
    fn a_redis_store_needs_a_url() {
        let err = aksara::Settings::from_sources(
            Some("debug = true\n[throttle]\nstore = \"redis\"\n"),
            None::<(String, String)>,
        )
        .unwrap_err()
        .to_string();
        let expected = if cfg!(feature = "redis") {
            "redis_url"
        } else {
            "feature"
        };
        assert!(err.contains(expected), "{err}");
    }

    #[test]
    fn debug_hides_the_redis_url() {
        let settings = ThrottleSettings {
            redis_url: Some("redis://:hunter2@cache".into()),
            ..ThrottleSettings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
