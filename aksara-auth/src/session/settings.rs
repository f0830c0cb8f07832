//! The `[session]` section of [`aksara::Settings`]: the session cookie, how long
//! a session lives, and the one-setting strict profile. Read by
//! [`SessionLayer::from_settings`](super::SessionLayer::from_settings).

use std::fmt;
use std::time::Duration;

use aksara::settings::{GivenKeys, InvalidKey, Section, deserialize_duration};
use serde::{Deserialize, Deserializer};

use super::SameSite;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// The session cookie and how long a session lives (`[session]` in TOML,
/// `AKSARA_SESSION_*` in the environment). The cookie is always `HttpOnly`.
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `cookie_name` | `AKSARA_SESSION_COOKIE_NAME` | cookie name | `aksara_session` |
/// | `secure` | `AKSARA_SESSION_SECURE` | bool | `true` |
/// | `same_site` | `AKSARA_SESSION_SAME_SITE` | `strict`, `lax`, `none` | `lax` |
/// | `profile` | `AKSARA_SESSION_PROFILE` | `standard`, `strict` | `standard` |
/// | `max_age` | `AKSARA_SESSION_MAX_AGE` | duration | `14d` (`strict`: `8h`) |
/// | `idle_timeout` | `AKSARA_SESSION_IDLE_TIMEOUT` | duration | `14d` (`strict`: `30m`) |
/// | `absolute_lifetime` | `AKSARA_SESSION_ABSOLUTE_LIFETIME` | duration | `30d` (`strict`: `8h`) |
/// | `domain` | `AKSARA_SESSION_DOMAIN` | host name | none (host-only cookie) |
/// | `path` | `AKSARA_SESSION_PATH` | path | `/` |
///
/// # Lifetimes: the trade-off
///
/// The [`standard`](SessionProfile::Standard) defaults — a session ends after
/// 14 days unused and 30 days after login, however active — favour people who
/// stay signed in on their own devices, as Django does (its `SESSION_COOKIE_AGE`
/// is two weeks). They are far above what OWASP's Session Management Cheat
/// Sheet advises: an idle timeout of 2–5 minutes for high-value applications and
/// 15–30 minutes for low-risk ones, and an absolute timeout of about a working
/// day (4–8 hours). The longer a session lives, the longer a stolen cookie (a
/// shared computer, a leaked log, malware) stays useful.
///
/// `profile = "strict"` ([`SessionProfile::Strict`], `AKSARA_SESSION_PROFILE=strict`)
/// switches the three lifetimes at once to 30 minutes idle, 8 hours absolute
/// and an 8-hour cookie `Max-Age`, the upper end of OWASP's ranges. A lifetime
/// set explicitly (in the file or the environment) still wins over the profile,
/// so `profile = "strict"` with `idle_timeout = "5m"` suits a high-value app.
/// The profile is applied when the settings are loaded; in code, start from
/// [`SessionSettings::strict`].
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::session::{SameSite, SessionSettings};
///
/// let session = SessionSettings::default();
/// assert_eq!(session.cookie_name, "aksara_session");
/// assert!(session.secure);
/// assert_eq!(session.same_site, SameSite::Lax);
/// assert_eq!(session.idle_timeout, Duration::from_secs(14 * 86_400));
///
/// let strict: SessionSettings = aksara::Settings::from_sources(
///     Some("debug = true\n[session]\nprofile = \"strict\"\nabsolute_lifetime = \"4h\"\n"),
///     None::<(String, String)>,
/// )?
/// .section()?;
/// assert_eq!(strict.idle_timeout, Duration::from_secs(30 * 60));
/// assert_eq!(strict.absolute_lifetime, Duration::from_secs(4 * 3600)); // explicit wins
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionSettings {
    /// The cookie's name (default `aksara_session`).
    pub cookie_name: String,
    /// Send the cookie over HTTPS only (default `true`; browsers accept it on
    /// `http://localhost` too).
    pub secure: bool,
    /// The cookie's `SameSite` attribute (default [`SameSite::Lax`]); read
    /// case-insensitively.
    #[serde(deserialize_with = "deserialize_same_site")]
    pub same_site: SameSite,
    /// Which defaults the three lifetimes below take (default
    /// [`SessionProfile::Standard`]); a lifetime set explicitly wins.
    pub profile: SessionProfile,
    /// The cookie's `Max-Age` (default 14 days; `strict`: 8 hours).
    #[serde(deserialize_with = "deserialize_duration")]
    pub max_age: Duration,
    /// A session unused for this long ends (default 14 days; `strict`: 30
    /// minutes).
    #[serde(deserialize_with = "deserialize_duration")]
    pub idle_timeout: Duration,
    /// A session ends this long after login, however active (default 30 days;
    /// `strict`: 8 hours).
    #[serde(deserialize_with = "deserialize_duration")]
    pub absolute_lifetime: Duration,
    /// The cookie's `Domain` (default none: only the host that set it).
    pub domain: Option<String>,
    /// The cookie's `Path` (default `/`).
    pub path: String,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            cookie_name: "aksara_session".into(),
            secure: true,
            same_site: SameSite::Lax,
            profile: SessionProfile::Standard,
            max_age: Duration::from_secs(14 * DAY),
            idle_timeout: Duration::from_secs(14 * DAY),
            absolute_lifetime: Duration::from_secs(30 * DAY),
            domain: None,
            path: "/".into(),
        }
    }
}

impl SessionSettings {
    /// The defaults with the [strict profile](SessionProfile::Strict): 30 minutes
    /// idle, 8 hours absolute, an 8-hour cookie.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aksara_auth::session::{SessionProfile, SessionSettings};
    /// let strict = SessionSettings::strict();
    /// assert_eq!(strict.profile, SessionProfile::Strict);
    /// assert_eq!(strict.idle_timeout, Duration::from_secs(1800));
    /// assert_eq!(strict.absolute_lifetime, Duration::from_secs(8 * 3600));
    /// assert_eq!(strict.max_age, strict.absolute_lifetime);
    /// ```
    #[must_use]
    pub fn strict() -> Self {
        Self {
            profile: SessionProfile::Strict,
            max_age: Duration::from_secs(8 * HOUR),
            idle_timeout: Duration::from_secs(30 * MINUTE),
            absolute_lifetime: Duration::from_secs(8 * HOUR),
            ..Self::default()
        }
    }

    /// Gives the lifetimes that were not set explicitly the profile's values.
    fn apply_profile(&mut self, given: &GivenKeys<'_>) {
        let profile = match self.profile {
            SessionProfile::Standard => return,
            SessionProfile::Strict => Self::strict(),
        };
        if !given.is_set("max_age") {
            self.max_age = profile.max_age;
        }
        if !given.is_set("idle_timeout") {
            self.idle_timeout = profile.idle_timeout;
        }
        if !given.is_set("absolute_lifetime") {
            self.absolute_lifetime = profile.absolute_lifetime;
        }
    }
}

impl Section for SessionSettings {
    const NAME: &'static str = "session";

    /// Applies the profile, then refuses a cookie a browser would reject or drop.
    fn finish(&mut self, given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        self.apply_profile(given);
        let name = &self.cookie_name;
        if !super::cookie::is_cookie_name(name) {
            return Err(InvalidKey::new(
                "cookie_name",
                format!(
                    "expected a cookie name of letters, digits and !#$%&'*+-.^_`|~, got {name:?}"
                ),
            ));
        }
        if !self.path.starts_with('/') || !super::cookie::is_attribute_value(&self.path) {
            return Err(InvalidKey::new(
                "path",
                format!("expected a path starting with /, got {:?}", self.path),
            ));
        }
        if let Some(domain) = &mut self.domain {
            if domain.is_empty()
                || !domain
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.')
            {
                return Err(InvalidKey::new(
                    "domain",
                    format!("expected a host name such as example.com, got {domain:?}"),
                ));
            }
            domain.make_ascii_lowercase();
        }
        InvalidKey::unless_nonzero([
            ("max_age", self.max_age),
            ("idle_timeout", self.idle_timeout),
            ("absolute_lifetime", self.absolute_lifetime),
        ])?;
        if self.same_site == SameSite::None && !self.secure {
            return Err(InvalidKey::new(
                "same_site",
                "same_site = \"none\" requires secure = true (browsers drop such cookies otherwise)",
            ));
        }
        Ok(())
    }
}

aksara::declare_section!(SessionSettings);

/// `strict`, `lax` or `none`, in any case.
fn deserialize_same_site<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SameSite, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.trim().to_ascii_lowercase().as_str() {
        "strict" => Ok(SameSite::Strict),
        "lax" => Ok(SameSite::Lax),
        "none" => Ok(SameSite::None),
        _ => Err(serde::de::Error::custom(format!(
            "expected \"strict\", \"lax\" or \"none\", got {text:?}"
        ))),
    }
}

/// The defaults of the session lifetimes (`[session] profile`,
/// `AKSARA_SESSION_PROFILE`). Read case-insensitively. See
/// [`SessionSettings`] for the trade-off.
///
/// ```
/// use aksara_auth::session::SessionProfile;
/// assert_eq!(SessionProfile::default(), SessionProfile::Standard);
/// assert_eq!(SessionProfile::Strict.as_str(), "strict");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionProfile {
    /// 14 days idle, 30 days absolute, a 14-day cookie: stay signed in, as Django.
    #[default]
    Standard,
    /// 30 minutes idle, 8 hours absolute, an 8-hour cookie: OWASP's ranges.
    Strict,
}

impl SessionProfile {
    /// The name written in settings.
    ///
    /// ```
    /// assert_eq!(aksara_auth::session::SessionProfile::Standard.as_str(), "standard");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Strict => "strict",
        }
    }
}

impl fmt::Display for SessionProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SessionProfile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Self::Standard),
            "strict" => Ok(Self::Strict),
            _ => Err(serde::de::Error::custom(format!(
                "expected \"standard\" or \"strict\", got {text:?}"
            ))),
        }
    }
}
