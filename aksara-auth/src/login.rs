//! Session login and logout, as Django's `login`, `logout`, `get_user` and
//! `update_session_auth_hash`, and [`SessionAuthentication`], the authenticator
//! that reads the session.
//!
//! The session stores the user's id and a *session auth hash*: a SHA-256 digest of
//! the user's current password hash. Each request recomputes it from the loaded
//! user; when the password changed since login the digests differ, the session is
//! flushed and the request is anonymous, so changing a password ends every other
//! session of that user. [`update_session_auth_hash`] keeps the session that made
//! the change logged in.
//!
//! ## The user cache
//!
//! Loading the user is a database query, and on SQLite through sqlx it costs more
//! than the rest of the request (see `BENCHMARKS.md`). [`SessionAuthentication`]
//! therefore keeps each user it loaded for a short time, one second by default
//! ([`set_user_cache_ttl`]): a user who is deactivated, deleted or changes their
//! password elsewhere is anonymous on every session within that second. [`login`],
//! [`logout`] and [`update_session_auth_hash`] drop the user's entry at once in
//! this process. Set the time to zero to load the user on every request, as
//! Django does.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aksara::{Db, Executor};
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::authentication::{Authentication, Authenticator, Outcome};
use crate::request::RequestAuth;
use crate::session::{Session, SessionError};
use crate::{AuthError, AuthUser, record_login};

/// Session key of the logged-in user's id.
const USER_ID_KEY: &str = "_auth_user_id";
/// Session key of the session auth hash.
const USER_HASH_KEY: &str = "_auth_user_hash";

/// The digest of `user`'s password hash that ties a session to that password.
fn session_auth_hash<U: AuthUser>(user: &U) -> String {
    let mut digest = Sha256::new();
    digest.update(b"aksara_auth.session_auth_hash\0");
    digest.update(user.password_hash().as_encoded().as_bytes());
    STANDARD_NO_PAD.encode(digest.finalize())
}

/// How long [`SessionAuthentication`] keeps a loaded user, in milliseconds.
static USER_CACHE_TTL_MS: AtomicU64 = AtomicU64::new(1_000);
/// At most this many cached users; a full cache drops its expired entries, then all.
const USER_CACHE_CAPACITY: usize = 10_000;

/// Sets how long [`SessionAuthentication`] may reuse a user it loaded (default one
/// second; zero loads the user on every request). A deactivation or password
/// change made elsewhere applies within that time; `login`, `logout` and
/// `update_session_auth_hash` drop the user's entry at once in this process.
///
/// ```
/// // Always read the user from the database, as Django does.
/// aksara_auth::set_user_cache_ttl(std::time::Duration::ZERO);
/// ```
pub fn set_user_cache_ttl(ttl: Duration) {
    let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
    USER_CACHE_TTL_MS.store(millis, Ordering::Relaxed);
    if millis == 0 {
        user_cache()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// A loaded user and the digest of its password hash.
struct CachedUser {
    loaded: Instant,
    user: Arc<dyn Any + Send + Sync>,
    auth_hash: String,
}

/// Keyed by user id alone: ids are random UUIDs, and an entry of another user
/// model fails the downcast and counts as a miss.
type UserCache = Mutex<HashMap<Uuid, CachedUser>>;

fn user_cache() -> &'static UserCache {
    static CACHE: OnceLock<UserCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Drops `id`'s cached user in this process.
fn forget_user(id: Uuid) {
    user_cache()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&id);
}

/// The user `id` of model `U` with its auth hash: with `use_cache`, from the
/// cache when fresh, else from the database (and then cached).
async fn load_user<U: AuthUser>(
    id: Uuid,
    db: &(impl Executor + ?Sized),
    use_cache: bool,
) -> aksara::Result<Option<(Arc<U>, String)>> {
    let ttl = if use_cache {
        Duration::from_millis(USER_CACHE_TTL_MS.load(Ordering::Relaxed))
    } else {
        Duration::ZERO
    };
    if !ttl.is_zero() {
        let cache = user_cache()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(entry) = cache.get(&id).filter(|entry| entry.loaded.elapsed() < ttl)
            && let Ok(user) = Arc::clone(&entry.user).downcast::<U>()
        {
            return Ok(Some((user, entry.auth_hash.clone())));
        }
    }
    let Some(user) = U::objects()
        .filter(aksara::Column::<U, Uuid>::new(U::META.primary_key).eq(id))
        .first(db)
        .await?
    else {
        return Ok(None);
    };
    let user = Arc::new(user);
    let auth_hash = session_auth_hash(&*user);
    if !ttl.is_zero() {
        let mut cache = user_cache()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= USER_CACHE_CAPACITY {
            cache.retain(|_, entry| entry.loaded.elapsed() < ttl);
            if cache.len() >= USER_CACHE_CAPACITY {
                cache.clear();
            }
        }
        let entry = CachedUser {
            loaded: Instant::now(),
            user: Arc::clone(&user) as Arc<dyn Any + Send + Sync>,
            auth_hash: auth_hash.clone(),
        };
        cache.insert(id, entry);
    }
    Ok(Some((user, auth_hash)))
}

impl From<SessionError> for AuthError {
    fn from(error: SessionError) -> Self {
        Self::Session(error)
    }
}

/// Logs `user` in on this session: a new session id (against session fixation;
/// the data of an anonymous session is kept, that of another user's session is
/// dropped), the user's id and session auth hash stored, and
/// [`record_login`] called to update `last_login`.
///
/// Call it after [`authenticate`](crate::authenticate) succeeded.
///
/// # Errors
/// [`AuthError`] when `last_login` cannot be written.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// use aksara_auth::session::Session;
///
/// async fn sign_in(db: Db, session: Session, email: String, password: String) -> Result<bool, AuthError> {
///     let Some(mut user) = authenticate::<User>(&db, &email, &password).await? else {
///         return Ok(false);
///     };
///     login(&session, &db, &mut user).await?;
///     Ok(true)
/// }
/// ```
pub async fn login<U: AuthUser>(
    session: &Session,
    db: &(impl Executor + ?Sized),
    user: &mut U,
) -> Result<(), AuthError> {
    let previous: Option<Uuid> = session.get(USER_ID_KEY).await.ok().flatten();
    if previous.is_some_and(|id| id != user.id()) {
        session.flush().await;
    } else {
        session.cycle_id().await;
    }
    session.insert(USER_ID_KEY, &user.id()).await?;
    session
        .insert(USER_HASH_KEY, &session_auth_hash(user))
        .await?;
    record_login(db, user).await?;
    forget_user(user.id());
    tracing::info!(target: "aksara_auth::login", user_id = %user.id(), "logged in");
    Ok(())
}

/// Logs the session out: deletes it from the store and expires the cookie.
/// Replaying the old cookie afterwards is an anonymous request.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::session::Session;
///
/// async fn sign_out(session: Session) -> axum::http::StatusCode {
///     logout(&session).await;
///     axum::http::StatusCode::NO_CONTENT
/// }
/// ```
pub async fn logout(session: &Session) {
    if let Ok(Some(id)) = session.get::<Uuid>(USER_ID_KEY).await {
        forget_user(id);
    }
    session.flush().await;
}

/// The session's user, read from the database (never from the user cache):
/// `Ok(None)` when nobody is logged in, the user is gone or
/// inactive, or the password changed since login (then the session is flushed).
///
/// # Errors
/// A database error.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// use aksara_auth::session::Session;
///
/// async fn who(db: Db, session: Session) -> aksara::Result<String> {
///     Ok(match get_user::<User>(&session, &db).await? {
///         Some(user) => user.email,
///         None => "anonymous".to_owned(),
///     })
/// }
/// ```
pub async fn get_user<U: AuthUser>(
    session: &Session,
    db: &(impl Executor + ?Sized),
) -> aksara::Result<Option<U>> {
    let user = session_user::<U>(session, db, false).await?;
    // Loaded for this call and never cached, so this does not copy.
    Ok(user.and_then(|user| Arc::try_unwrap(user).ok()))
}

/// The session's active user whose password is unchanged since login (through
/// the user cache); flushes the session when the user is gone or the password
/// changed.
async fn session_user<U: AuthUser>(
    session: &Session,
    db: &(impl Executor + ?Sized),
    use_cache: bool,
) -> aksara::Result<Option<Arc<U>>> {
    let Ok(Some(id)) = session.get::<Uuid>(USER_ID_KEY).await else {
        return Ok(None);
    };
    let stored: Option<String> = session.get(USER_HASH_KEY).await.ok().flatten();
    let matches = |current: &str| {
        stored
            .as_deref()
            .is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(current.as_bytes())))
    };
    let mut loaded = load_user::<U>(id, db, use_cache).await?;
    if use_cache
        && loaded
            .as_ref()
            .is_some_and(|(_, current)| !matches(current))
    {
        // A cached copy may predate a password change made through this very
        // session: only the database may end it.
        forget_user(id);
        loaded = load_user::<U>(id, db, false).await?;
    }
    let Some((user, current)) = loaded else {
        session.flush().await;
        return Ok(None);
    };
    if !matches(&current) {
        tracing::info!(target: "aksara_auth::login", user_id = %id, "session ended: the password changed since login");
        session.flush().await;
        return Ok(None);
    }
    Ok(user.is_active().then_some(user))
}

/// After a user changed their own password, keeps *this* session logged in
/// (every other session of the user ends), as Django's `update_session_auth_hash`.
///
/// # Errors
/// [`SessionError`] if the session cannot store the new digest.
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// use aksara_auth::session::Session;
///
/// async fn change_password(db: Db, session: Session, user: CurrentUser<User>, new: String) -> Result<(), AuthError> {
///     let mut user = user.user().clone();
///     user.set_password(&new).await?;
///     user.save(&db).await?;
///     update_session_auth_hash(&session, &user).await?;
///     Ok(())
/// }
/// ```
pub async fn update_session_auth_hash<U: AuthUser>(
    session: &Session,
    user: &U,
) -> Result<(), SessionError> {
    forget_user(user.id());
    session.cycle_id().await;
    session
        .insert(USER_HASH_KEY, &session_auth_hash(user))
        .await
}

/// Authenticates requests by the session cookie (after [`login`]). Needs the
/// [`SessionLayer`](crate::SessionLayer) to run before the
/// [`AuthenticationLayer`](crate::AuthenticationLayer).
///
/// ```
/// use aksara_auth::prelude::*;
/// use aksara_auth::User;
/// let layer = AuthenticationLayer::<User>::new().with(SessionAuthentication);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionAuthentication;

impl<U: AuthUser> Authenticator<U> for SessionAuthentication {
    fn name(&self) -> &'static str {
        "session"
    }

    fn has_credential(&self, parts: &Parts) -> bool {
        // Without a session, `authenticate` reports the missing layer.
        RequestAuth::session(&parts.extensions).is_none_or(|session| session.contains(USER_ID_KEY))
    }

    async fn authenticate(&self, parts: &Parts, db: &Db) -> Outcome<U> {
        let Some(session) = RequestAuth::session(&parts.extensions) else {
            tracing::error!(
                target: "aksara_auth::authentication",
                "SessionAuthentication found no session: add SessionLayer so that it runs before \
                 AuthenticationLayer (on Aksara, `.layer(SessionLayer…)` first; on a plain axum \
                 Router, after `.layer(AuthenticationLayer…)`)"
            );
            return Outcome::Failed(aksara::ApiError::internal());
        };
        match session_user::<U>(session, db, true).await {
            Ok(Some(user)) => Outcome::Authenticated(Authentication::shared(user, "session")),
            Ok(None) => Outcome::NoCredential,
            Err(error) => Outcome::from(error),
        }
    }
}
