//! Login and email throttling, on by default with allauth's limits: 5 failed
//! logins per 5 minutes per account and 20 per minute per client address;
//! 5 password-reset and 5 verification mails per minute per address.
//!
//! Every login tried also counts against its address (30 a minute, allauth's
//! `login` rate), answered or not.
//!
//! A [`Throttle`] counts in fixed windows: a window starts at a key's first hit
//! and lasts the [`Rate`]'s `per`. Once an account's or an address's failures
//! reach the limit, [`Throttle::check_login`] refuses every login for it, the
//! right password too, until the window ends ([`Throttled`]: 429 with
//! `Retry-After`). A successful login clears the account's failures (allauth
//! does the same); the address's stay.
//!
//! ```
//! use std::net::IpAddr;
//! use aksara_auth::prelude::*;
//! use aksara_auth::{Throttle, User};
//! use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! db.migrate().await?;
//! User::objects().create().email("jane@example.com").password("correct horse").exec(&db).await?;
//! let throttle = Throttle::new(MemoryThrottleStore::new(10_000), ThrottleSettings::default());
//! let ip: IpAddr = "203.0.113.7".parse()?;
//!
//! for _ in 0..5 {
//!     throttle.check_login("jane@example.com", ip).await?;
//!     assert!(authenticate::<User>(&db, "jane@example.com", "guess").await?.is_none());
//!     throttle.login_failed("jane@example.com", ip).await;
//! }
//! // The sixth try is refused before the password is even looked at.
//! let refused = throttle.check_login("Jane@Example.com", ip).await.unwrap_err();
//! assert!(refused.retry_after.as_secs() <= 300);
//! # Ok(()) }
//! ```
//!
//! In a handler, take the [`Throttle`] (an `Extension`) and the [`ClientIp`]:
//! `check_login` → [`authenticate`](crate::authenticate) → `login_failed` or
//! `login_succeeded`; `examples/session_auth.rs` does exactly this.
//!
//! ## Stores
//!
//! [`ThrottleSettings::store`] picks where counters live: the process's memory
//! ([`MemoryThrottleStore`], the default, bounded by `memory_max_entries`), the
//! database ([`DbThrottleStore`], the `auth_throttle` table) or Redis
//! (`RedisThrottleStore`, feature `redis`). An app served by several processes
//! or machines needs the database or Redis: with memory each process counts
//! alone, and an attacker spreading requests over them gets each one's limit.
//!
//! ## When the store fails
//!
//! A store that cannot be reached (Redis down, the database timing out) lets the
//! request through — the throttle *fails open* — and logs an `error` event on
//! target `aksara_auth::throttle`; the client never sees a 500 or the store's
//! error. Failing closed would turn a cache outage into a login outage for every
//! user, which an attacker could then cause on purpose by overloading the store.
//! Failing open costs little: every login still costs one argon2id hash on a
//! bounded pool, so guessing stays at a few dozen tries a second for the whole
//! server while the store is down, and the error events say that it is.
//!
//! ## Logs
//!
//! When a counter reaches its limit a `warn` event on target
//! `aksara_auth::throttle` names the scope (`login_account`, `login_ip`,
//! `login_attempts_ip`,
//! `forgot_password`, `send_verification`, `app`), the window and the key's
//! short digest ([`ThrottleKey::short`]); for per-address limits it also names
//! the address, which operators need to block a source. Emails never appear in
//! clear: the stores and the logs only see SHA-256 digests of them. Each refused
//! request is a `debug` event.

mod client_ip;
mod settings;
mod store;

pub use client_ip::{ClientIp, client_ip};
pub use settings::{InvalidRate, Rate, ThrottleSettings, ThrottleStoreKind};
#[cfg(feature = "redis")]
pub use store::RedisThrottleStore;
pub use store::{
    DbThrottleStore, MemoryThrottleStore, ThrottleCounter, ThrottleFuture, ThrottleKey,
    ThrottleStore, Window,
};

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use aksara::ApiError;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{HeaderValue, header};

/// Why a [`Throttle`] could not be built or a store failed.
///
/// ```
/// let err = aksara_auth::throttle::ThrottleError::store("connection refused");
/// assert_eq!(err.to_string(), "the throttle store failed: connection refused");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThrottleError {
    /// The `[throttle]` settings are invalid.
    #[error(transparent)]
    Settings(#[from] aksara::SettingsError),
    /// The store could not be reached or answered with an error.
    #[error("the throttle store failed: {0}")]
    Store(String),
}

impl ThrottleError {
    /// A store failure, described by `error`.
    ///
    /// ```
    /// let err = aksara_auth::throttle::ThrottleError::store("timed out");
    /// assert!(matches!(err, aksara_auth::throttle::ThrottleError::Store(_)));
    /// ```
    pub fn store(error: impl fmt::Display) -> Self {
        Self::Store(error.to_string())
    }
}

/// A request refused by a [`Throttle`]: answers `429 Too Many Requests` with
/// `Retry-After` (whole seconds, rounded up) and
/// `{"error":{"code":"throttled","message":…}}`.
///
/// ```
/// use std::time::Duration;
/// use axum::response::IntoResponse;
/// use aksara_auth::Throttled;
///
/// let response = Throttled { retry_after: Duration::from_millis(1500) }.into_response();
/// assert_eq!(response.status(), 429);
/// assert_eq!(response.headers()["retry-after"], "2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts: try again in {} s", retry_seconds(*retry_after))]
pub struct Throttled {
    /// How long until the window that refused ends.
    pub retry_after: Duration,
}

/// Whole seconds, rounded up, at least 1: `Retry-After: 0` would invite a retry
/// that is refused again.
fn retry_seconds(wait: Duration) -> u64 {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    seconds.max(1)
}

impl From<Throttled> for ApiError {
    fn from(throttled: Throttled) -> Self {
        let seconds = retry_seconds(throttled.retry_after);
        ApiError::too_many_requests(format!("too many attempts: try again in {seconds} seconds"))
            .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
    }
}

impl IntoResponse for Throttled {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// Which mail [`Throttle::hit_email`] counts, each with its own limit.
///
/// ```
/// use aksara_auth::throttle::EmailAction;
/// assert_ne!(EmailAction::ForgotPassword, EmailAction::SendVerification);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EmailAction {
    /// A password-reset mail (`[throttle] forgot_password`).
    ForgotPassword,
    /// An email-verification mail (`[throttle] send_verification`).
    SendVerification,
}

impl EmailAction {
    fn scope(self) -> &'static str {
        match self {
            Self::ForgotPassword => "forgot_password",
            Self::SendVerification => "send_verification",
        }
    }
}

/// One counter as the throttle uses it: its scope (for logs), key and rate.
struct Counter {
    scope: &'static str,
    key: ThrottleKey,
    rate: Rate,
    /// The address, for per-address counters' log events.
    ip: Option<IpAddr>,
}

/// Login and email throttling over a [`ThrottleStore`]; see the
/// [module notes](self). Cheap to clone (one `Arc`); share one per app, as an
/// `Extension`, which handlers then take as an argument.
///
/// ```
/// use aksara_auth::Throttle;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let settings = aksara::Settings::from_sources(Some("debug = true"), None::<(String, String)>)?;
/// let db = aksara::Db::connect("sqlite::memory:").await?;
/// let throttle = Throttle::from_settings(&db, &settings)?; // memory store by default
/// let app: axum::Router = axum::Router::new().layer(axum::Extension(throttle));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    store: Box<dyn ThrottleStore>,
    settings: ThrottleSettings,
}

impl fmt::Debug for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Throttle")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// The account key of an email: trimmed, lower-cased, as logins match it.
fn account(email: &str) -> String {
    crate::normalize_email(email).to_lowercase()
}

/// The per-address key: an IPv4 address, or an IPv6 address's /64 network,
/// which one subscriber usually holds whole (one limit per address there would
/// give an attacker 2⁶⁴ of them).
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
    }
}

impl Throttle {
    /// A throttle over `store` with `settings`.
    ///
    /// ```
    /// use aksara_auth::Throttle;
    /// use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// let throttle = Throttle::new(MemoryThrottleStore::new(10_000), ThrottleSettings::default());
    /// assert!(throttle.settings().enabled);
    /// ```
    pub fn new(store: impl ThrottleStore, settings: ThrottleSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: Box::new(store),
                settings,
            }),
        }
    }

    /// A throttle configured by the `[throttle]` section of `settings`, its
    /// store chosen by `store` (`db` is the database store's database). Call it
    /// inside a Tokio runtime (the Redis store needs one).
    ///
    /// # Errors
    /// [`ThrottleError::Settings`] for an invalid section; [`ThrottleError::Store`]
    /// for a malformed `redis_url`.
    ///
    /// ```
    /// use aksara_auth::Throttle;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\n[throttle]\nstore = \"database\"\n"),
    ///     None::<(String, String)>,
    /// )?;
    /// let db = aksara::Db::connect("sqlite::memory:").await?;
    /// db.migrate().await?;
    /// let throttle = Throttle::from_settings(&db, &settings)?;
    /// # Ok(()) }
    /// ```
    pub fn from_settings(
        db: &aksara::Db,
        settings: &aksara::Settings,
    ) -> Result<Self, ThrottleError> {
        let section: ThrottleSettings = settings.section()?;
        Ok(match section.store {
            ThrottleStoreKind::Memory => Self::new(
                MemoryThrottleStore::new(section.memory_max_entries),
                section,
            ),
            ThrottleStoreKind::Database => Self::new(DbThrottleStore::new(db.clone()), section),
            #[cfg(feature = "redis")]
            ThrottleStoreKind::Redis => {
                let url = section.redis_url.clone().unwrap_or_default();
                Self::new(RedisThrottleStore::new(&url)?, section)
            }
            #[cfg(not(feature = "redis"))]
            ThrottleStoreKind::Redis => {
                return Err(ThrottleError::store(
                    "store = \"redis\" needs aksara-auth's `redis` feature",
                ));
            }
        })
    }

    /// The settings in force.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// let throttle = Throttle::new(MemoryThrottleStore::new(10), ThrottleSettings::default());
    /// assert_eq!(throttle.settings().trusted_proxies, 0);
    /// ```
    #[must_use]
    pub fn settings(&self) -> &ThrottleSettings {
        &self.inner.settings
    }

    fn counter(scope: &'static str, value: &str, rate: Rate, ip: Option<IpAddr>) -> Counter {
        Counter {
            scope,
            key: ThrottleKey::new(scope, value),
            rate,
            ip,
        }
    }

    fn account_counter(&self, email: &str) -> Counter {
        let rate = self.inner.settings.login_failed_per_account;
        Self::counter("login_account", &account(email), rate, None)
    }

    fn ip_counter(&self, ip: IpAddr) -> Counter {
        let rate = self.inner.settings.login_failed_per_ip;
        Self::counter("login_ip", &network(ip), rate, Some(ip))
    }

    fn attempts_counter(&self, ip: IpAddr) -> Counter {
        let rate = self.inner.settings.login_attempts_per_ip;
        Self::counter("login_attempts_ip", &network(ip), rate, Some(ip))
    }

    /// A store result, or `None` after logging its failure: the throttle fails
    /// open (see the [module notes](self)).
    fn open<T>(result: Result<T, ThrottleError>, counter: &Counter) -> Option<T> {
        result
            .inspect_err(|error| {
                tracing::error!(
                    target: "aksara_auth::throttle",
                    %error,
                    scope = counter.scope,
                    key = %counter.key.short(),
                    "the throttle store failed; letting the request through"
                );
            })
            .ok()
    }

    /// Refused when the window of `counter` already holds its limit.
    async fn peek(&self, counter: &Counter) -> Result<(), Throttled> {
        let window = Self::open(self.inner.store.peek(&counter.key).await, counter).flatten();
        match window {
            Some(window) if window.count >= u64::from(counter.rate.limit) => {
                Err(Self::refuse(counter, window))
            }
            _ => Ok(()),
        }
    }

    /// Counts a hit on `counter`; refused when it went past the limit.
    async fn count(&self, counter: &Counter) -> Result<(), Throttled> {
        let result = self.inner.store.hit(&counter.key, counter.rate.per).await;
        let Some(window) = Self::open(result, counter) else {
            return Ok(());
        };
        let limit = u64::from(counter.rate.limit);
        if window.count == limit {
            tracing::warn!(
                target: "aksara_auth::throttle",
                scope = counter.scope,
                key = %counter.key.short(),
                ip = counter.ip.map(tracing::field::display),
                rate = %counter.rate,
                retry_after_s = retry_seconds(window.remaining),
                "throttle limit reached"
            );
        }
        if window.count > limit {
            return Err(Self::refuse(counter, window));
        }
        Ok(())
    }

    fn refuse(counter: &Counter, window: Window) -> Throttled {
        tracing::debug!(
            target: "aksara_auth::throttle",
            scope = counter.scope,
            key = %counter.key.short(),
            "request throttled"
        );
        Throttled {
            retry_after: window.remaining,
        }
    }

    /// Whether a login for `email` from `ip` may be tried: refused once the
    /// account's or the address's failures reached their limit, until that
    /// window ends (the longer wait when several did). Counts one attempt for
    /// the address (`login_attempts_per_ip`, 30 a minute): a client that hangs
    /// up while its password is checked never reaches
    /// [`login_failed`](Self::login_failed), so only this count refuses a
    /// flood of abandoned logins before the user lookup and the hash.
    ///
    /// # Errors
    /// [`Throttled`] with the wait.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let ip = "192.0.2.1".parse()?;
    /// throttle.check_login("jane@example.com", ip).await?; // nothing failed yet
    /// # Ok(()) }
    /// ```
    pub async fn check_login(&self, email: &str, ip: IpAddr) -> Result<(), Throttled> {
        if !self.inner.settings.enabled {
            return Ok(());
        }
        let (account, address) = (self.account_counter(email), self.ip_counter(ip));
        let attempts = self.attempts_counter(ip);
        let verdicts = tokio::join!(
            self.count(&attempts),
            self.peek(&account),
            self.peek(&address)
        );
        [verdicts.0, verdicts.1, verdicts.2]
            .into_iter()
            .filter_map(Result::err)
            .reduce(Throttled::max_wait)
            .map_or(Ok(()), Err)
    }

    /// Counts a failed login for `email` (its account) and `ip`.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let ip = "192.0.2.1".parse()?;
    /// for _ in 0..5 {
    ///     throttle.login_failed("jane@example.com", ip).await;
    /// }
    /// assert!(throttle.check_login("jane@example.com", ip).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn login_failed(&self, email: &str, ip: IpAddr) {
        if !self.inner.settings.enabled {
            return;
        }
        let (account, address) = (self.account_counter(email), self.ip_counter(ip));
        let _ = tokio::join!(self.count(&account), self.count(&address));
    }

    /// Clears the failures of `email`'s account after a successful login (the
    /// address's count stays).
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let ip = "192.0.2.1".parse()?;
    /// for _ in 0..4 {
    ///     throttle.login_failed("jane@example.com", ip).await;
    /// }
    /// throttle.login_succeeded("jane@example.com").await;
    /// throttle.login_failed("jane@example.com", ip).await;
    /// assert!(throttle.check_login("jane@example.com", ip).await.is_ok()); // 1 of 5 again
    /// # Ok(()) }
    /// ```
    pub async fn login_succeeded(&self, email: &str) {
        if !self.inner.settings.enabled {
            return;
        }
        let account = self.account_counter(email);
        Self::open(self.inner.store.reset(&account.key).await, &account);
    }

    /// Counts one mail of `action` asked for `email`; refused past the limit
    /// (`forgot_password` or `send_verification`). Answer a refusal with the
    /// 429 whether or not the address has an account, so that it reveals none.
    ///
    /// # Errors
    /// [`Throttled`] with the wait.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{EmailAction, MemoryThrottleStore, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// for _ in 0..5 {
    ///     throttle.hit_email(EmailAction::ForgotPassword, "jane@example.com").await?;
    /// }
    /// assert!(throttle.hit_email(EmailAction::ForgotPassword, "JANE@example.com").await.is_err());
    /// throttle.hit_email(EmailAction::SendVerification, "jane@example.com").await?; // its own limit
    /// # Ok(()) }
    /// ```
    pub async fn hit_email(&self, action: EmailAction, email: &str) -> Result<(), Throttled> {
        if !self.inner.settings.enabled {
            return Ok(());
        }
        let rate = match action {
            EmailAction::ForgotPassword => self.inner.settings.forgot_password,
            EmailAction::SendVerification => self.inner.settings.send_verification,
        };
        self.count(&Self::counter(action.scope(), &account(email), rate, None))
            .await
    }

    /// Whether `key` (a name of the app's own, such as `"export:42"`) is still
    /// under `rate`: refused once its window holds `rate.limit` hits. Counts
    /// nothing; pair it with [`record`](Self::record).
    ///
    /// # Errors
    /// [`Throttled`] with the wait.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, Rate, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let rate: Rate = "2/1m".parse()?;
    /// throttle.record("export:42", rate).await;
    /// throttle.check("export:42", rate).await?;
    /// throttle.record("export:42", rate).await;
    /// assert!(throttle.check("export:42", rate).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn check(&self, key: &str, rate: Rate) -> Result<(), Throttled> {
        if !self.inner.settings.enabled {
            return Ok(());
        }
        self.peek(&Self::counter("app", key, rate, None)).await
    }

    /// Counts a hit on `key` under `rate`, without a verdict.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, Rate, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// throttle.record("export:42", "1/1m".parse()?).await;
    /// # Ok(()) }
    /// ```
    pub async fn record(&self, key: &str, rate: Rate) {
        if self.inner.settings.enabled {
            let _ = self.count(&Self::counter("app", key, rate, None)).await;
        }
    }

    /// Counts a hit on `key` under `rate`; refused when it is past the limit
    /// (the `limit + 1`-th hit of a window and later ones).
    ///
    /// # Errors
    /// [`Throttled`] with the wait.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, Rate, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let rate: Rate = "1/1m".parse()?;
    /// throttle.hit("search:jane", rate).await?;
    /// assert!(throttle.hit("search:jane", rate).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn hit(&self, key: &str, rate: Rate) -> Result<(), Throttled> {
        if !self.inner.settings.enabled {
            return Ok(());
        }
        self.count(&Self::counter("app", key, rate, None)).await
    }

    /// Ends the window of `key`.
    ///
    /// ```
    /// # use aksara_auth::Throttle;
    /// # use aksara_auth::throttle::{MemoryThrottleStore, Rate, ThrottleSettings};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let throttle = Throttle::new(MemoryThrottleStore::new(100), ThrottleSettings::default());
    /// let rate: Rate = "1/1m".parse()?;
    /// throttle.hit("search:jane", rate).await?;
    /// throttle.reset("search:jane").await;
    /// throttle.hit("search:jane", rate).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reset(&self, key: &str) {
        if self.inner.settings.enabled {
            let counter = Self::counter("app", key, Rate::new(1, Duration::from_secs(1)), None);
            Self::open(self.inner.store.reset(&counter.key).await, &counter);
        }
    }
}

impl Throttled {
    fn max_wait(self, other: Self) -> Self {
        Self {
            retry_after: self.retry_after.max(other.retry_after),
        }
    }
}

/// A handler takes `throttle: Throttle` when the app carries one as an
/// `Extension`; without it, the request fails with a 500 `internal_error` and an
/// error event saying what to add (a wiring mistake, found by the first test).
impl<S: Send + Sync> FromRequestParts<S> for Throttle {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Throttle>().cloned().ok_or_else(|| {
            tracing::error!(
                target: "aksara_auth::throttle",
                "a handler asked for `Throttle`, but the request carries none: add \
                 `.middleware(axum::Extension(throttle))` to the app or `.layer(axum::Extension(throttle))` to the router"
            );
            ApiError::internal()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_seconds(Duration::ZERO), 1);
        assert_eq!(retry_seconds(Duration::from_secs(60)), 60);
        assert_eq!(retry_seconds(Duration::from_millis(60_001)), 61);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        assert_eq!(network(a), network(b));
        assert_eq!(network(a), "2001:db8:1:2::/64");
        assert_eq!(network("192.0.2.1".parse().expect("v4")), "192.0.2.1");
    }

    #[test]
    fn accounts_match_as_logins_do() {
        assert_eq!(account("  Jane@Example.COM "), account("jane@example.com"));
    }
}
