//! [`Session`]: the per-request handle that handlers (and the authentication layer)
//! read and write. It records what changed, key by key; the layer writes those
//! changes to the store when the response is ready.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use chrono::{DateTime, Utc};
use http::request::Parts;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::SessionKey;
use super::error::{SessionError, SessionRejection};
use super::id::SessionId;
use super::store::SessionChange;
use crate::request::RequestAuth;

/// The session of the current request, given to it by
/// [`SessionLayer`](super::SessionLayer); handlers take it as an extractor
/// (middleware: [`Session::from_extensions`]). Clones share one session.
///
/// Reads and writes touch only this request's copy; the layer stores the changes
/// once the handler has answered. Changes are kept per key, so a concurrent request
/// on the same session that writes other keys keeps its writes too. Nothing is
/// stored, and no cookie is set, until a value is inserted.
///
/// ```
/// use aksara_auth::session::{MemoryStore, Session, SessionError, SessionLayer};
/// use axum::{Router, routing::get};
///
/// async fn visits(session: Session) -> Result<String, SessionError> {
///     let count: u64 = session.get("visits").await?.unwrap_or(0) + 1;
///     session.insert("visits", &count).await?;
///     Ok(format!("visit number {count}"))
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(visits))
///     .layer(SessionLayer::new(MemoryStore::new()).secure(false));
/// ```
///
/// `Option<Session>` is `None` instead of an error when the layer is missing.
#[derive(Clone)]
pub struct Session {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("keys", &state.data.keys().collect::<Vec<_>>())
            .field("stored", &state.loaded.is_some())
            .field("changed_keys", &state.changes.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// The stored session this request started from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) id: SessionId,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) last_seen: DateTime<Utc>,
}

/// Everything the layer needs at the end of the request.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The valid stored session the request came with.
    pub(crate) loaded: Option<Loaded>,
    /// The id the response's cookie should carry: the loaded one, a cycled one, a
    /// new one once data was inserted, or none.
    pub(crate) current: Option<SessionId>,
    /// The values as this request sees them.
    pub(crate) data: Map<String, Value>,
    /// What this request changed, by key.
    pub(crate) changes: BTreeMap<String, SessionChange>,
    /// `flush` was called: delete the loaded session from the store.
    pub(crate) flushed: bool,
    /// The request sent a session cookie that is invalid, unknown or expired.
    pub(crate) stale_cookie: bool,
    /// The handler looked at the session: the response varies with the cookie.
    pub(crate) accessed: bool,
    /// An anonymous unsafe request from another site (set by the
    /// authentication layer): `login` refuses it, with this reason.
    pub(crate) cross_site: Option<&'static str>,
}

impl Session {
    /// An empty session for a request without a cookie.
    pub(crate) fn fresh() -> Self {
        // `Arc::default` builds the state in place; `from_state(State::default())`
        // built it on the stack and copied it twice (an anonymous request's cost).
        Self {
            state: Arc::default(),
        }
    }

    pub(crate) fn from_state(state: State) -> Self {
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover rather than spread a poison.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, noting that the handler used the session.
    fn access(&self) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        state.accessed = true;
        state
    }

    /// The value stored under `key`, as a `T`; `None` when the key is absent.
    ///
    /// # Errors
    /// [`SessionError::Deserialize`] when the stored value does not fit `T`.
    ///
    /// ```
    /// # use aksara_auth::session::{Session, SessionError};
    /// async fn theme(session: Session) -> Result<String, SessionError> {
    ///     Ok(session.get::<String>("theme").await?.unwrap_or_else(|| "light".into()))
    /// }
    /// ```
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        let state = self.access();
        let Some(value) = state.data.get(key) else {
            return Ok(None);
        };
        T::deserialize(value)
            .map(Some)
            .map_err(|source| SessionError::Deserialize {
                key: key.to_owned(),
                source,
            })
    }

    /// Stores `value` under `key` (as JSON). Writing the value a key already holds
    /// changes nothing. The first insert into a new session gives it an id, and the
    /// response a cookie.
    ///
    /// # Errors
    /// [`SessionError::Serialize`] when `value` does not serialize to JSON.
    ///
    /// ```
    /// # use aksara_auth::session::{Session, SessionError};
    /// async fn choose_theme(session: Session) -> Result<(), SessionError> {
    ///     session.insert("theme", "dark").await
    /// }
    /// ```
    pub async fn insert<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), SessionError> {
        let value = serde_json::to_value(value).map_err(|source| SessionError::Serialize {
            key: key.to_owned(),
            source,
        })?;
        let mut state = self.access();
        if state.data.get(key) == Some(&value) {
            return Ok(());
        }
        if state.current.is_none() {
            state.current = Some(SessionId::generate());
        }
        state
            .changes
            .insert(key.to_owned(), SessionChange::Set(value.clone()));
        state.data.insert(key.to_owned(), value);
        Ok(())
    }

    /// Removes `key`; returns whether it was there.
    ///
    /// ```
    /// # use aksara_auth::session::Session;
    /// async fn dismiss_banner(session: Session) {
    ///     session.remove("banner").await;
    /// }
    /// ```
    pub async fn remove(&self, key: &str) -> bool {
        let mut state = self.access();
        if state.data.remove(key).is_none() {
            return false;
        }
        state.changes.insert(key.to_owned(), SessionChange::Removed);
        true
    }

    /// Gives the session a new id, keeping its data, and restarts its absolute
    /// lifetime. Call it whenever privileges change (login does), so an id planted
    /// before the change (session fixation) is worthless after it: the old id no
    /// longer loads. On a session with nothing stored this does nothing; its first
    /// insert gets a fresh id anyway.
    ///
    /// ```
    /// # use aksara_auth::session::{Session, SessionError};
    /// async fn elevate(session: Session) -> Result<(), SessionError> {
    ///     session.cycle_id().await;
    ///     session.insert("sudo_until", &1_700_000_000).await
    /// }
    /// ```
    pub async fn cycle_id(&self) {
        let mut state = self.access();
        if state.current.is_some() {
            state.current = Some(SessionId::generate());
        }
    }

    /// Ends the session: clears its data, deletes it from the store and expires the
    /// cookie (logout does this). Replaying the old cookie afterwards is an
    /// anonymous request. Values inserted after `flush` start a new session with a
    /// new id.
    ///
    /// ```
    /// # use aksara_auth::session::Session;
    /// async fn sign_out(session: Session) {
    ///     session.flush().await;
    /// }
    /// ```
    #[doc(alias = "delete")]
    #[doc(alias = "logout")]
    pub async fn flush(&self) {
        let mut state = self.access();
        state.flushed = state.loaded.is_some() || state.flushed;
        state.current = None;
        state.data.clear();
        state.changes.clear();
    }

    /// The key the store keeps this session under, or `None` while the session
    /// has nothing stored and nothing inserted. It changes with
    /// [`cycle_id`](Session::cycle_id) and [`flush`](Session::flush). It is not the
    /// cookie's value: it cannot be turned into a cookie.
    ///
    /// ```
    /// # use aksara_auth::session::Session;
    /// async fn is_new(session: Session) -> bool {
    ///     session.id().is_none()
    /// }
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<SessionKey> {
        self.access().current.as_ref().map(|id| id.key().clone())
    }

    /// Whether the session holds a value under `key` (Django's `key in session`).
    ///
    /// ```
    /// # use aksara_auth::session::Session;
    /// async fn has_cart(session: Session) -> bool {
    ///     session.contains("cart")
    /// }
    /// ```
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.access().data.contains_key(key)
    }

    /// Whether the session holds no value.
    ///
    /// ```
    /// # use aksara_auth::session::Session;
    /// async fn anonymous_and_new(session: Session) -> bool {
    ///     session.is_empty()
    /// }
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.access().data.is_empty()
    }

    /// The request's session, from its extensions (in middleware, or in an
    /// [`Authenticator`](crate::Authenticator) of your own); `None` when no
    /// [`SessionLayer`](super::SessionLayer) ran before. Handlers take `Session` as
    /// an extractor instead.
    ///
    /// ```
    /// use aksara_auth::session::Session;
    /// fn has_cart(request: &http::Request<axum::body::Body>) -> bool {
    ///     Session::from_extensions(request.extensions()).is_some_and(|s| s.contains("cart"))
    /// }
    /// ```
    #[must_use]
    pub fn from_extensions(extensions: &http::Extensions) -> Option<Self> {
        RequestAuth::session(extensions).cloned()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_extensions(&parts.extensions).ok_or(SessionRejection)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(Self::from_extensions(&parts.extensions))
    }
}
