//! [`SessionLayer`]: the tower middleware that loads the session before the handler
//! and stores its changes after it, and its settings.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Once};
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use cookie::SameSite;
use http::{HeaderMap, HeaderValue, Request, header};
use tower::{Layer, Service};

use super::cookie::{CookieRead, CookieSettings, Signer, is_attribute_value, is_cookie_name};
use super::error::{SessionConfigError, SessionStoreError};
use super::handle::{Loaded, Session, State};
use super::id::SessionId;
use super::store::{SessionRecord, SessionStore, SessionUpdate};
use crate::request::RequestAuth;

/// Adds a [`Session`] to every request: loads it from the store when the request
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

#[derive(Clone)]
struct Config {
    store: Arc<dyn SessionStore>,
    cookie: CookieSettings,
    idle_timeout: Option<Duration>,
    absolute_lifetime: Duration,
    touch_interval: Option<Duration>,
    /// Set while no secret was given; the warning is logged once.
    random_key_warning: Option<Arc<Once>>,
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

impl Config {
    fn idle_timeout(&self) -> Duration {
        self.idle_timeout
            .or(self.cookie.max_age)
            .unwrap_or(Duration::weeks(2))
    }

    fn touch_interval(&self) -> Duration {
        self.touch_interval
            .unwrap_or_else(|| self.idle_timeout() / 10)
    }

    /// The earlier of the idle and the absolute deadline, from `now`.
    fn expires_at(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        after(now, self.idle_timeout()).min(after(created_at, self.absolute_lifetime))
    }

    /// Loads the session a cookie names; any cookie that does not lead to a live
    /// session gives an anonymous one.
    async fn open(&self, read: CookieRead) -> Result<Session, SessionStoreError> {
        let id = match read {
            CookieRead::Absent => return Ok(Session::fresh()),
            CookieRead::Invalid => {
                tracing::debug!(target: "aksara_auth::session", "session cookie does not verify; anonymous");
                return Ok(stale());
            }
            CookieRead::Valid(id) => id,
        };
        let record = match self.store.load(id.key()).await {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::debug!(target: "aksara_auth::session", "unknown session; anonymous");
                return Ok(stale());
            }
            Err(SessionStoreError::Corrupt(message)) => {
                tracing::warn!(target: "aksara_auth::session", %message, "unreadable session; anonymous");
                return Ok(stale());
            }
            Err(err) => return Err(err),
        };
        let now = Utc::now();
        let idle_end = after(record.last_seen, self.idle_timeout());
        let absolute_end = after(record.created_at, self.absolute_lifetime);
        if now >= idle_end || now >= absolute_end || now >= record.expires_at {
            tracing::debug!(target: "aksara_auth::session", "expired session; anonymous");
            return Ok(stale());
        }
        Ok(Session::from_state(State {
            loaded: Some(Loaded {
                id: id.clone(),
                created_at: record.created_at,
                last_seen: record.last_seen,
            }),
            current: Some(id),
            data: record.data,
            ..State::default()
        }))
    }

    /// Decides what the end of the request does to the store, and adds
    /// `Vary: Cookie` when the request looked at the session.
    fn finish(&self, session: &Session, headers: &mut HeaderMap) -> Plan {
        let (plan, accessed) = {
            let mut state = session.lock();
            (self.plan(&mut state), state.accessed)
        };
        if accessed {
            vary_on_cookie(headers);
        }
        plan
    }

    /// Carries out `plan` and sets (or expires) the response's cookie.
    async fn execute(&self, plan: Plan, headers: &mut HeaderMap) -> Result<(), SessionStoreError> {
        let store = &*self.store;
        let cookie = match plan {
            Plan::Nothing => return Ok(()),
            Plan::Remove { delete } => {
                if let Some(key) = delete {
                    store.delete(key.key()).await?;
                }
                Cookie::Remove
            }
            Plan::Create {
                delete,
                id,
                record,
                now,
            } => {
                if let Some(old) = delete {
                    store.delete(old.key()).await?;
                }
                store.create(id.key(), &record).await?;
                let ends_at = after(record.created_at, self.absolute_lifetime);
                Cookie::Set(id, now, ends_at)
            }
            Plan::Save { id, update, now } => {
                if store.save(id.key(), &update).await? {
                    Cookie::Set(id, now, after(update.created_at, self.absolute_lifetime))
                } else {
                    // Deleted meanwhile (a logout in another tab, a purge): do not
                    // bring it back with this request's writes.
                    tracing::debug!(target: "aksara_auth::session", "session vanished during the request; its writes are dropped");
                    Cookie::Remove
                }
            }
            Plan::Cycle {
                old,
                id,
                update,
                record,
                now,
            } => {
                let moved = store.cycle(old.key(), id.key()).await?;
                if !(moved && store.save(id.key(), &update).await?) {
                    // The old session vanished meanwhile: this request's view is the
                    // authoritative one for a privilege change, so store it afresh.
                    store.create(id.key(), &record).await?;
                }
                Cookie::Set(id, now, after(update.created_at, self.absolute_lifetime))
            }
        };
        let value = match cookie {
            Cookie::Set(id, now, ends_at) => self.cookie.set_cookie(&id, now, ends_at),
            Cookie::Remove => self.cookie.removal(),
        };
        if let Some(value) = value {
            headers.append(header::SET_COOKIE, value);
            // A shared cache must never keep a response that hands out (or
            // clears) someone's session cookie, whatever the handler said.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Ok(())
    }

    /// Reads the clock only when the plan needs the time: most requests change
    /// nothing.
    fn plan(&self, state: &mut State) -> Plan {
        if state.loaded.is_none() && state.current.is_none() && !state.stale_cookie {
            // No cookie came and none goes out: the common anonymous request. (The
            // general case below gives the same answer after building more.)
            return Plan::Nothing;
        }
        let deleted = if state.flushed {
            state.loaded.take().map(|loaded| loaded.id)
        } else {
            None
        };
        let changes = std::mem::take(&mut state.changes);
        match (state.loaded.take(), state.current.clone()) {
            (_, None) => {
                if deleted.is_some() || state.stale_cookie {
                    Plan::Remove { delete: deleted }
                } else {
                    Plan::Nothing
                }
            }
            (Some(loaded), Some(id)) if loaded.id == id => {
                let now = Utc::now();
                if changes.is_empty() && now - loaded.last_seen < self.touch_interval() {
                    return Plan::Nothing;
                }
                let mut update = SessionUpdate::new(
                    loaded.created_at,
                    now,
                    self.expires_at(loaded.created_at, now),
                );
                update.changes = changes;
                Plan::Save { id, update, now }
            }
            (Some(loaded), Some(id)) => {
                let now = Utc::now();
                let mut update = SessionUpdate::new(now, now, self.expires_at(now, now));
                update.changes = changes;
                let mut record = SessionRecord::new(now, update.expires_at);
                record.data = state.data.clone();
                Plan::Cycle {
                    old: loaded.id,
                    id,
                    update,
                    record,
                    now,
                }
            }
            (None, Some(id)) => {
                if state.data.is_empty() {
                    if deleted.is_some() || state.stale_cookie {
                        return Plan::Remove { delete: deleted };
                    }
                    return Plan::Nothing;
                }
                let now = Utc::now();
                let mut record = SessionRecord::new(now, self.expires_at(now, now));
                record.data = state.data.clone();
                Plan::Create {
                    delete: deleted,
                    id,
                    record,
                    now,
                }
            }
        }
    }
}

/// Adds `Vary: Cookie`, so shared caches do not serve one user's page to another.
fn vary_on_cookie(headers: &mut HeaderMap) {
    let cookie = HeaderValue::from_static("Cookie");
    match headers.entry(header::VARY) {
        header::Entry::Vacant(vary) => {
            vary.insert(cookie);
        }
        header::Entry::Occupied(mut vary) => {
            let covered = vary.iter().any(|value| {
                value.to_str().is_ok_and(|text| {
                    text.split(',').any(|name| {
                        name.trim() == "*" || name.trim().eq_ignore_ascii_case("cookie")
                    })
                })
            });
            if !covered {
                vary.append(cookie);
            }
        }
    }
}

fn stale() -> Session {
    Session::from_state(State {
        stale_cookie: true,
        ..State::default()
    })
}

/// What the end of a request does to the store.
enum Plan {
    Nothing,
    /// Expire the cookie, deleting the flushed session if any.
    Remove {
        delete: Option<SessionId>,
    },
    /// Store a new session (after deleting a flushed one).
    Create {
        delete: Option<SessionId>,
        id: SessionId,
        record: SessionRecord,
        now: DateTime<Utc>,
    },
    /// Merge changes into the loaded session, or just touch it.
    Save {
        id: SessionId,
        update: SessionUpdate,
        now: DateTime<Utc>,
    },
    /// Move the loaded session to a new id, then merge; `record` is the whole
    /// session, stored afresh if the old one vanished.
    Cycle {
        old: SessionId,
        id: SessionId,
        update: SessionUpdate,
        record: SessionRecord,
        now: DateTime<Utc>,
    },
}

enum Cookie {
    /// The id, the time now and the absolute deadline.
    Set(SessionId, DateTime<Utc>, DateTime<Utc>),
    Remove,
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

    /// Sessions kept in `store`, configured by the `[session]` section of
    /// [`aksara::Settings`] (cookie name, `secure`, `same_site`, max age, idle
    /// timeout, absolute lifetime, domain, path) and signed with its secret key.
    ///
    /// # Errors
    /// [`SessionConfigError`] when the secret key is shorter than 32 bytes (the
    /// settings loader already refuses that outside debug mode).
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
        let session = &settings.session;
        let duration = |std: std::time::Duration| Duration::from_std(std).unwrap_or(Duration::MAX);
        let same_site = match session.same_site {
            aksara::settings::SameSite::Strict => SameSite::Strict,
            aksara::settings::SameSite::Lax => SameSite::Lax,
            aksara::settings::SameSite::None => SameSite::None,
        };
        let mut layer = Self::new(store)
            .try_secret_key(settings.secret_key.as_bytes())?
            .cookie_name(session.cookie_name.clone())
            .secure(session.secure)
            .same_site(same_site)
            .max_age(duration(session.max_age))
            .idle_timeout(duration(session.idle_timeout))
            .absolute_lifetime(duration(session.absolute_lifetime))
            .path(session.path.clone());
        if let Some(domain) = &session.domain {
            layer = layer.domain(domain.clone());
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

/// `at + duration`, saturating instead of panicking on a corrupt far-future time.
fn after(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    at.checked_add_signed(duration)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
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

/// The service [`SessionLayer`] wraps around a router or handler.
///
/// ```
/// use aksara_auth::session::{MemoryStore, SessionLayer, SessionService};
/// use tower::Layer;
/// let service: SessionService<_> = SessionLayer::new(MemoryStore::new())
///     .layer(tower::service_fn(|_: http::Request<()>| async { Ok::<_, std::convert::Infallible>("hi") }));
/// ```
#[derive(Clone)]
pub struct SessionService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService").finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for SessionService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Error: Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = SessionFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let read = self.config.cookie.read(request.headers());
        if let CookieRead::Absent = read {
            // Nothing to load: the handler runs at once, and the store is touched
            // only if it puts something in the session.
            let session = Session::fresh();
            RequestAuth::slot(request.extensions_mut()).session = Some(session.clone());
            return SessionFuture {
                state: FutureState::Handler {
                    inner: self.inner.call(request),
                    session: Some(session),
                    config: Arc::clone(&self.config),
                },
            };
        }
        // The clone is not ready; the instance that was polled ready is the one used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        // Only the load is boxed: the handler's future then runs in place, and the
        // box stays small (the whole request in one async block took 2 KiB, past
        // the allocator's fast sizes).
        let loading: Loading<S::Future> = Box::pin(async move {
            let session = config
                .open(read)
                .await
                .map_err(IntoResponse::into_response)?;
            RequestAuth::slot(request.extensions_mut()).session = Some(session.clone());
            Ok((inner.call(request), session, config))
        });
        SessionFuture {
            state: FutureState::Loading { future: loading },
        }
    }
}

impl Config {
    /// The response, after carrying out `plan`; a 503 instead when the store fails.
    async fn store(&self, plan: Plan, mut response: Response) -> Response {
        match self.execute(plan, response.headers_mut()).await {
            Ok(()) => response,
            Err(err) => err.into_response(),
        }
    }
}

type BoxedResponse<E> = Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>;

/// Loads the session and calls the handler with it: the handler's future, the
/// session and the layer's settings, or the response to send instead (a 503 when
/// the store fails).
type Loading<F> = Pin<Box<dyn Future<Output = Result<(F, Session, Arc<Config>), Response>> + Send>>;

pin_project_lite::pin_project! {
    /// The response future of [`SessionService`].
    pub struct SessionFuture<F, E> {
        #[pin]
        state: FutureState<F, E>,
    }
}

pin_project_lite::pin_project! {
    #[project = FutureStateProjection]
    enum FutureState<F, E> {
        /// Loading the session the cookie names.
        Loading {
            future: Loading<F>,
        },
        /// The handler runs.
        Handler {
            #[pin]
            inner: F,
            session: Option<Session>,
            config: Arc<Config>,
        },
        /// Storing what the request changed.
        Storing {
            future: BoxedResponse<E>,
        },
        Done,
    }
}

impl<F, E> std::fmt::Debug for SessionFuture<F, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionFuture").finish_non_exhaustive()
    }
}

impl<F, R, E> Future for SessionFuture<F, E>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
    E: Send + 'static,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        loop {
            let (result, session, config) = match state.as_mut().project() {
                FutureStateProjection::Loading { future } => {
                    match std::task::ready!(future.as_mut().poll(cx)) {
                        Ok((inner, session, config)) => {
                            state.set(FutureState::Handler {
                                inner,
                                session: Some(session),
                                config,
                            });
                            continue;
                        }
                        Err(response) => {
                            state.set(FutureState::Done);
                            return Poll::Ready(Ok(response));
                        }
                    }
                }
                FutureStateProjection::Handler {
                    inner,
                    session,
                    config,
                } => {
                    let result = std::task::ready!(inner.poll(cx));
                    (result, session.take(), Arc::clone(config))
                }
                FutureStateProjection::Storing { future } => {
                    let output = std::task::ready!(future.as_mut().poll(cx));
                    state.set(FutureState::Done);
                    return Poll::Ready(output);
                }
                FutureStateProjection::Done => panic!("SessionFuture polled after completion"),
            };
            state.set(FutureState::Done);
            let (mut response, Some(session)) = (result?.into_response(), session) else {
                panic!("SessionFuture polled after completion");
            };
            let plan = config.finish(&session, response.headers_mut());
            if let Plan::Nothing = plan {
                return Poll::Ready(Ok(response));
            }
            let mut future: BoxedResponse<E> =
                Box::pin(async move { Ok(config.store(plan, response).await) });
            return match future.as_mut().poll(cx) {
                Poll::Ready(output) => Poll::Ready(output),
                Poll::Pending => {
                    state.set(FutureState::Storing { future });
                    Poll::Pending
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary_after(existing: &[&'static str]) -> Vec<String> {
        let mut headers = HeaderMap::new();
        for value in existing {
            headers.append(header::VARY, HeaderValue::from_static(value));
        }
        vary_on_cookie(&mut headers);
        headers
            .get_all(header::VARY)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn vary_gains_cookie_once_and_keeps_what_was_there() {
        assert_eq!(vary_after(&[]), ["Cookie"]);
        assert_eq!(
            vary_after(&["Accept-Encoding"]),
            ["Accept-Encoding", "Cookie"]
        );
        assert_eq!(
            vary_after(&["Accept-Encoding, cookie"]),
            ["Accept-Encoding, cookie"]
        );
        assert_eq!(vary_after(&["Origin", "COOKIE"]), ["Origin", "COOKIE"]);
        assert_eq!(vary_after(&["*"]), ["*"]);
    }
}
