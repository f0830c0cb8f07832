//! [`SessionLayer`]: the builder of the session middleware and its settings. What
//! a request does to its session is decided in [`lifecycle`](super::lifecycle);
//! the tower service that runs it is in [`service`](super::service).

use std::sync::{Arc, Once};

use chrono::{Duration, Utc};
use cookie::SameSite;
use tower::Layer;

use super::cookie::{CookieSettings, Signer, is_attribute_value, is_cookie_name};
use super::error::SessionConfigError;
use super::lifecycle::Config;
use super::service::SessionService;
use super::settings::SessionSettings;
use super::store::SessionStore;

/// Adds a [`Session`](super::Session) to every request: loads it from the store when the request
/// carries a valid signed cookie, and after the handler stores what changed and
/// sets (or expires) the cookie.
///
/// | setting | default |
/// |---|---|
/// | [`secret_key`](SessionLayer::secret_key) | random per process (a warning is logged): set it |
/// | [`cookie_name`](SessionLayer::cookie_name) | `session` |
/// | [`max_age`](SessionLayer::max_age) | 2 weeks (`None`: the cookie ends with the browser) |
/// | [`idle_timeout`](SessionLayer::idle_timeout) | the max age (2 weeks when it is `None`) |
/// | [`absolute_lifetime`](SessionLayer::absolute_lifetime) | 30 days |
/// | [`touch_interval`](SessionLayer::touch_interval) | a tenth of the idle timeout |
/// | [`secure`](SessionLayer::secure) | `true` |
/// | [`same_site`](SessionLayer::same_site) | `Lax` |
/// | [`path`](SessionLayer::path) / [`domain`](SessionLayer::domain) | `/` / none (this host only) |
///
/// `HttpOnly` is always set. A store failure answers `503` with a JSON error.
///
/// ```
/// use aksara_auth::session::{Duration, MemoryStore, Session, SessionLayer};
/// use axum::{Router, routing::post};
///
/// let sessions = SessionLayer::new(MemoryStore::new())
///     .secret_key(b"0123456789abcdef0123456789abcdef-change-me")
///     .cookie_name("session")
///     .max_age(Duration::days(7))
///     .idle_timeout(Duration::hours(12))
///     .absolute_lifetime(Duration::days(30));
/// let app: Router = Router::new()
///     .route("/cart", post(|session: Session| async move {
///         session.insert("cart", &["book"]).await.map(|()| "added")
///     }))
///     .layer(sessions);
/// ```
#[derive(Clone)]
pub struct SessionLayer {
    config: Arc<Config>,
}

impl std::fmt::Debug for SessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = &self.config;
        f.debug_struct("SessionLayer")
            .field("cookie", &config.cookie)
            .field("idle_timeout", &config.idle_timeout())
            .field("absolute_lifetime", &config.absolute_lifetime)
            .field("touch_interval", &config.touch_interval())
            .finish_non_exhaustive()
    }
}

impl SessionLayer {
    /// Sessions kept in `store`, with the default settings (see the table above).
    ///
    /// ```
    /// use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new());
    /// ```
    pub fn new(store: impl SessionStore) -> Self {
        Self {
            config: Arc::new(Config {
                store: Arc::new(store),
                cookie: CookieSettings::new(Signer::random()),
                idle_timeout: None,
                absolute_lifetime: Duration::days(30),
                touch_interval: None,
                random_key_warning: Some(Arc::new(Once::new())),
            }),
        }
    }

    /// Sessions kept in `store`, configured by the `[session]` section
    /// ([`SessionSettings`]) of [`aksara::Settings`] (cookie name, `secure`, `same_site`, max age, idle
    /// timeout, absolute lifetime, domain, path) and signed with its secret key.
    ///
    /// # Errors
    /// [`SessionConfigError`] when the secret key is shorter than 32 bytes (the
    /// settings loader already refuses that outside debug mode), or when the
    /// `[session]` section is invalid (only for settings built by hand: the loader
    /// checks it).
    ///
    /// ```
    /// use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let settings = aksara::Settings::from_sources(
    ///     Some("debug = true\nsecret_key = \"0123456789abcdefghijklmnopqrstuvwxyz\"\n[session]\ncookie_name = \"sid\""),
    ///     Vec::<(String, String)>::new(),
    /// ).unwrap();
    /// let layer = SessionLayer::from_settings(MemoryStore::new(), &settings).unwrap();
    /// ```
    pub fn from_settings(
        store: impl SessionStore,
        settings: &aksara::Settings,
    ) -> Result<Self, SessionConfigError> {
        let session: SessionSettings = settings
            .section()
            .map_err(|err| SessionConfigError::Settings(Arc::new(err)))?;
        let duration = |std: std::time::Duration| Duration::from_std(std).unwrap_or(Duration::MAX);
        let mut layer = Self::new(store)
            .try_secret_key(settings.secret_key.as_bytes())?
            .cookie_name(session.cookie_name)
            .secure(session.secure)
            .same_site(session.same_site)
            .max_age(duration(session.max_age))
            .idle_timeout(duration(session.idle_timeout))
            .absolute_lifetime(duration(session.absolute_lifetime))
            .path(session.path);
        if let Some(domain) = session.domain {
            layer = layer.domain(domain);
        }
        Ok(layer)
    }

    fn config(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.config)
    }

    /// Signs cookies with a key derived from `secret`, which must be at least 32
    /// random bytes and the same on every process serving the app. Without it each
    /// process uses a random key, so sessions do not survive a restart.
    ///
    /// # Panics
    /// When `secret` is shorter than 32 bytes; [`try_secret_key`](SessionLayer::try_secret_key)
    /// returns the error instead.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let secret = std::env::var("APP_SECRET_KEY").unwrap_or_else(|_| "x".repeat(32));
    /// let layer = SessionLayer::new(MemoryStore::new()).secret_key(secret);
    /// ```
    #[must_use]
    pub fn secret_key(self, secret: impl AsRef<[u8]>) -> Self {
        match self.try_secret_key(secret) {
            Ok(layer) => layer,
            Err(err) => panic!(
                "SessionLayer::secret_key: {err}. Keep the key out of the code: set \
                 AKSARA_SECRET_KEY (or `secret_key` in aksara.toml) and pass \
                 `settings.secret_key.as_bytes()`; call `try_secret_key` to handle \
                 this as an error instead of a panic"
            ),
        }
    }

    /// [`secret_key`](SessionLayer::secret_key), returning an error for a short key.
    ///
    /// # Errors
    /// [`SessionConfigError::SecretKeyTooShort`] below 32 bytes.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// assert!(SessionLayer::new(MemoryStore::new()).try_secret_key([7_u8; 32]).is_ok());
    /// assert!(SessionLayer::new(MemoryStore::new()).try_secret_key("too short").is_err());
    /// ```
    pub fn try_secret_key(mut self, secret: impl AsRef<[u8]>) -> Result<Self, SessionConfigError> {
        let signer = Signer::from_secret(secret.as_ref())?;
        let config = self.config();
        config.cookie.signer = signer;
        config.random_key_warning = None;
        Ok(self)
    }

    /// The cookie's name (default `session`). A `__Host-` prefix makes browsers
    /// insist on `Secure`, `Path=/` and no `Domain`.
    ///
    /// # Panics
    /// When `name` is not a valid cookie name (empty, or with spaces, `;`, `=`, …).
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).cookie_name("__Host-session");
    /// ```
    #[must_use]
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(
            is_cookie_name(&name),
            "`{name}` is not a valid cookie name: use letters, digits and `-_.`"
        );
        self.config().cookie.name = name;
        self
    }

    /// How long the browser keeps the cookie after it was last sent; `None` makes it
    /// a browser-session cookie. The cookie is sent again whenever the session
    /// changes or is touched, so this runs from the last activity. It is also the
    /// default [`idle_timeout`](SessionLayer::idle_timeout).
    ///
    /// ```
    /// # use aksara_auth::session::{Duration, MemoryStore, SessionLayer};
    /// let week = SessionLayer::new(MemoryStore::new()).max_age(Duration::days(7));
    /// let until_browser_closes = SessionLayer::new(MemoryStore::new()).max_age(None);
    /// ```
    #[must_use]
    pub fn max_age(mut self, max_age: impl Into<Option<Duration>>) -> Self {
        self.config().cookie.max_age = max_age.into().map(sane_duration);
        self
    }

    /// A session unused for this long ends (default: the max age, or 2 weeks).
    /// Activity is recorded at most once per [`touch_interval`](SessionLayer::touch_interval),
    /// so a session ends between `idle_timeout - touch_interval` and `idle_timeout`
    /// after its last request.
    ///
    /// ```
    /// # use aksara_auth::session::{Duration, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).idle_timeout(Duration::minutes(30));
    /// ```
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config().idle_timeout = Some(sane_duration(timeout));
        self
    }

    /// A session ends this long after it began, however active (default 30 days).
    /// Cycling the id at login restarts it.
    ///
    /// ```
    /// # use aksara_auth::session::{Duration, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).absolute_lifetime(Duration::hours(12));
    /// ```
    #[must_use]
    pub fn absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.config().absolute_lifetime = sane_duration(lifetime);
        self
    }

    /// How stale the stored last-seen time may get before a read-only request
    /// writes it again (default: a tenth of the idle timeout). Larger means fewer
    /// store writes and a less exact idle timeout.
    ///
    /// ```
    /// # use aksara_auth::session::{Duration, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).touch_interval(Duration::minutes(1));
    /// ```
    #[must_use]
    pub fn touch_interval(mut self, interval: Duration) -> Self {
        self.config().touch_interval =
            Some(interval.clamp(Duration::zero(), Duration::days(36_525)));
        self
    }

    /// Whether the cookie is `Secure` (sent over HTTPS only). Default `true`; turn
    /// it off only for plain-HTTP development.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let local = SessionLayer::new(MemoryStore::new()).secure(false);
    /// ```
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.config().cookie.secure = secure;
        self.warn_if_same_site_none_without_secure();
        self
    }

    fn warn_if_same_site_none_without_secure(&self) {
        let cookie = &self.config.cookie;
        if cookie.same_site == SameSite::None && !cookie.secure {
            tracing::warn!(target: "aksara_auth::session", "SameSite=None without Secure: browsers will refuse the session cookie");
        }
    }

    /// The cookie's `SameSite` (default `Lax`). `None` needs `Secure` in browsers.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SameSite, SessionLayer};
    /// let strict = SessionLayer::new(MemoryStore::new()).same_site(SameSite::Strict);
    /// ```
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.config().cookie.same_site = same_site;
        self.warn_if_same_site_none_without_secure();
        self
    }

    /// The cookie's `Domain`, to share it with subdomains (default: none, this host
    /// only).
    ///
    /// # Panics
    /// When `domain` is empty or holds spaces, control characters or `;`.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).domain("example.com");
    /// ```
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        assert!(
            is_attribute_value(&domain),
            "`{domain}` is not a valid cookie domain"
        );
        self.config().cookie.domain = Some(domain);
        self
    }

    /// The cookie's `Path` (default `/`).
    ///
    /// # Panics
    /// When `path` is empty or holds spaces, control characters or `;`.
    ///
    /// ```
    /// # use aksara_auth::session::{MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).path("/app");
    /// ```
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(
            is_attribute_value(&path),
            "`{path}` is not a valid cookie path"
        );
        self.config().cookie.path = path;
        self
    }

    /// Deletes expired sessions from the store every `every`, in a Tokio task, until
    /// the returned handle is aborted or the runtime stops. Failures are logged and
    /// retried at the next tick. (Redis expires sessions itself.)
    ///
    /// ```
    /// # use aksara_auth::session::{Duration, MemoryStore, SessionLayer};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let layer = SessionLayer::new(MemoryStore::new());
    /// let purge = layer.spawn_purge_task(Duration::hours(1));
    /// // … serve the app with `layer` …
    /// purge.abort();
    /// # }
    /// ```
    #[must_use = "dropping the handle keeps the task running; keep it to stop the task"]
    pub fn spawn_purge_task(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = Arc::clone(&self.config.store);
        let period = every
            .to_std()
            .unwrap_or_default()
            .max(std::time::Duration::from_secs(1));
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match store.purge_expired(Utc::now()).await {
                    Ok(purged) => {
                        tracing::debug!(target: "aksara_auth::session", purged, "expired sessions purged")
                    }
                    Err(err) => {
                        tracing::warn!(target: "aksara_auth::session", error = %err, "purging expired sessions failed")
                    }
                }
            }
        })
    }
}

/// Durations are kept between one second and a century.
fn sane_duration(duration: Duration) -> Duration {
    duration.clamp(Duration::seconds(1), Duration::days(36_525))
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        if let Some(once) = &self.config.random_key_warning {
            once.call_once(|| {
                tracing::warn!(target: "aksara_auth::session", "no session secret key set: using a random one, so sessions end when the process restarts and are not shared between processes; call SessionLayer::secret_key");
            });
        }
        SessionService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}
