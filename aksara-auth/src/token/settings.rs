//! The `[tokens]` section of [`aksara::Settings`]: how long opaque bearer tokens
//! live and whether use renews them, and how long password-reset and
//! email-verification links are accepted.

use std::time::Duration;

use aksara::settings::{GivenKeys, InvalidKey, Section, deserialize_duration};
use serde::Deserialize;

/// How long opaque bearer tokens ([`Token`](super::Token)) live (`[tokens]` in
/// TOML, `AKSARA_TOKENS_*` in the environment).
///
/// | TOML key | environment variable | type | default |
/// |---|---|---|---|
/// | `ttl` | `AKSARA_TOKENS_TTL` | duration | `10h` |
/// | `renew_on_use` | `AKSARA_TOKENS_RENEW_ON_USE` | bool: each use moves the expiry to `ttl` from now | `false` |
/// | `max_lifetime` | `AKSARA_TOKENS_MAX_LIFETIME` | duration: no renewal goes past issue time + this | `30d` |
/// | `password_reset_ttl` | `AKSARA_TOKENS_PASSWORD_RESET_TTL` | duration, at most `7d`: how long a reset link ([`one_time`](crate::one_time)) is accepted | `1h` |
/// | `email_verification_ttl` | `AKSARA_TOKENS_EMAIL_VERIFICATION_TTL` | duration, at most `30d`: how long a verification link is accepted | `3d` |
///
/// As knox's `TOKEN_TTL`, `AUTO_REFRESH` and `AUTO_REFRESH_MAX_TTL`. A renewal is
/// written with the `last_used_at` update, so at most once a minute per token.
///
/// ```
/// use std::time::Duration;
/// use aksara_auth::token::TokenSettings;
///
/// let settings = aksara::Settings::from_sources(
///     Some("debug = true\n[tokens]\nttl = \"1h\"\nrenew_on_use = true\n"),
///     None::<(String, String)>,
/// )?;
/// let tokens: TokenSettings = settings.section()?;
/// assert_eq!(tokens.ttl, Duration::from_secs(3600));
/// assert!(tokens.renew_on_use);
/// assert_eq!(tokens.max_lifetime, Duration::from_secs(30 * 86_400));
/// assert_eq!(tokens.password_reset_ttl, Duration::from_secs(3600));
/// assert_eq!(tokens.email_verification_ttl, Duration::from_secs(3 * 86_400));
/// # Ok::<(), aksara::SettingsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenSettings {
    /// How long a token is accepted after it is issued (or last renewed).
    #[serde(deserialize_with = "deserialize_duration")]
    pub ttl: Duration,
    /// Whether each use (at most once a minute) moves the expiry to `ttl` from now.
    pub renew_on_use: bool,
    /// The hard cap of renewals: a token never lives past issue time + this.
    #[serde(deserialize_with = "deserialize_duration")]
    pub max_lifetime: Duration,
    /// How long a password-reset key
    /// ([`OneTimeToken`](crate::one_time::OneTimeToken)) is accepted after issue.
    #[serde(deserialize_with = "deserialize_duration")]
    pub password_reset_ttl: Duration,
    /// How long an email-verification key is accepted after issue.
    #[serde(deserialize_with = "deserialize_duration")]
    pub email_verification_ttl: Duration,
}

/// The longest `password_reset_ttl` accepted: a reset link is a password.
const MAX_PASSWORD_RESET_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The longest `email_verification_ttl` accepted.
const MAX_EMAIL_VERIFICATION_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(10 * 60 * 60),
            renew_on_use: false,
            max_lifetime: Duration::from_secs(30 * 24 * 60 * 60),
            password_reset_ttl: Duration::from_secs(60 * 60),
            email_verification_ttl: Duration::from_secs(3 * 24 * 60 * 60),
        }
    }
}

impl TokenSettings {
    /// The default settings with another `ttl`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let tokens = aksara_auth::token::TokenSettings::with_ttl(Duration::from_secs(60));
    /// assert_eq!(tokens.ttl, Duration::from_secs(60));
    /// ```
    #[must_use]
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            ..Self::default()
        }
    }
}

impl Section for TokenSettings {
    const NAME: &'static str = "tokens";

    /// Refuses zero durations, a cap shorter than the lifetime, and link
    /// lifetimes over their maximum (7 days for a reset, 30 for a verification).
    fn finish(&mut self, _given: &GivenKeys<'_>) -> Result<(), InvalidKey> {
        InvalidKey::unless_nonzero([
            ("ttl", self.ttl),
            ("max_lifetime", self.max_lifetime),
            ("password_reset_ttl", self.password_reset_ttl),
            ("email_verification_ttl", self.email_verification_ttl),
        ])?;
        if self.password_reset_ttl > MAX_PASSWORD_RESET_TTL {
            return Err(InvalidKey::new(
                "password_reset_ttl",
                "expected a duration of at most 7 days",
            ));
        }
        if self.email_verification_ttl > MAX_EMAIL_VERIFICATION_TTL {
            return Err(InvalidKey::new(
                "email_verification_ttl",
                "expected a duration of at most 30 days",
            ));
        }
        if self.max_lifetime < self.ttl {
            return Err(InvalidKey::new(
                "max_lifetime",
                "expected a cap at least as long as ttl",
            ));
        }
        Ok(())
    }
}

aksara::declare_section!(TokenSettings);
