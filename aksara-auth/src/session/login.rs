//! Session login and logout, as Django's `login`, `logout`, `get_user` and
//! `update_session_auth_hash`.
//!
//! The session stores the user's id and a *session auth hash*: a SHA-256 digest of
//! the user's current password hash. Each request recomputes it from the loaded
//! user; when the password changed since login the digests differ, the session is
//! flushed and the request is anonymous, so changing a password ends every other
//! session of that user. [`update_session_auth_hash`] keeps the session that made
//! the change logged in.

use std::sync::Arc;

use aksara::Executor;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::session::{Session, SessionError};
use crate::{AuthError, AuthUser, UserCache, record_login};

/// Session key of the logged-in user's id.
pub(super) const USER_ID_KEY: &str = "_auth_user_id";
/// Session key of the session auth hash.
const USER_HASH_KEY: &str = "_auth_user_hash";

/// The digest of `user`'s password hash that ties a session to that password.
fn session_auth_hash<U: AuthUser>(user: &U) -> String {
    crate::user::password_fingerprint(user, b"aksara_auth.session_auth_hash\0")
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
/// [`AuthError`] when `last_login` cannot be written, and
/// [`AuthError::CrossSite`] (a `403 csrf_failed`) on an unsafe request that
/// another site made (login CSRF), when the
/// [`AuthenticationLayer`](crate::AuthenticationLayer) runs.
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
    crate::csrf::refuse_cross_site_login(session).map_err(AuthError::CrossSite)?;
    let previous: Option<Uuid> = session.get(USER_ID_KEY).await.ok().flatten();
    if previous.is_some_and(|id| id != user.id()) {
        session.flush().await;
    } else {
        session.cycle_id().await;
    }
    crate::csrf::rotate_token(session).await;
    session.insert(USER_ID_KEY, &user.id()).await?;
    session
        .insert(USER_HASH_KEY, &session_auth_hash(user))
        .await?;
    // Through the ORM, so user caches drop this user (its `last_login` changed).
    record_login(db, user).await?;
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
    let user = session_user::<U>(session, db, &UserCache::disabled()).await?;
    // Loaded for this call and never cached, so this does not copy.
    Ok(user.and_then(|user| Arc::try_unwrap(user).ok()))
}

/// The session's active user whose password is unchanged since login (through
/// the user cache); flushes the session when the user is gone or the password
/// changed.
pub(super) async fn session_user<U: AuthUser>(
    session: &Session,
    db: &(impl Executor + ?Sized),
    cache: &UserCache,
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
    let mut loaded = cache
        .load::<U>(id, db, true, ("session", session_auth_hash))
        .await?;
    if !cache.ttl().is_zero()
        && loaded
            .as_ref()
            .is_some_and(|(_, current)| !matches(current))
    {
        // A cached copy may predate a password change made through this very
        // session: only the database may end it.
        cache.forget(id);
        loaded = cache
            .load::<U>(id, db, false, ("session", session_auth_hash))
            .await?;
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
    session.cycle_id().await;
    session
        .insert(USER_HASH_KEY, &session_auth_hash(user))
        .await
}
